"""Which evaluations computed their scores: the event filter of the monitoring's handlers.

An evaluator stopped by ``terminate()`` during an epoch still fires ``Events.COMPLETED`` (unless
``skip_completed=True``), but not that epoch's ``EPOCH_COMPLETED``, where the attached metrics
compute (so do ``terminate_epoch(skip_epoch_completed=True)`` and ``max_iters`` reached before an
epoch's end): its ``state.metrics`` then holds an earlier score, and the metrics' counts are those
of part of an epoch. A checkpoint would save the current weights under the old score, early
stopping and the retrain trigger would count an evaluation that did not happen, and TensorBoard
would draw the old score at the new step.
"""

from __future__ import annotations

import warnings
from typing import Any

from ignite.engine import Engine, Events


class CompletedEvaluation:
    """Passes the evaluator's ``Events.COMPLETED`` only when the last epoch it started completed.

    Registers on the evaluator's ``STARTED``, ``EPOCH_STARTED`` and ``EPOCH_COMPLETED``; used as the
    ``event_filter`` of ``Events.COMPLETED`` for every monitoring handler. A run whose last epoch did
    not complete is skipped by all of them, with one warning, unless ``state.metrics`` has no score
    at all (then the handlers run and say that it is missing, as without the filter).

    Examples:
        >>> from ignite.engine import Engine, Events
        >>> from ignite_f1.handlers._evaluated import CompletedEvaluation
        >>> evaluator = Engine(lambda engine, batch: None)
        >>> @evaluator.on(Events.EPOCH_COMPLETED)
        ... def score(engine):
        ...     engine.state.metrics["f1"] = 0.5
        >>> calls = []
        >>> completed = Events.COMPLETED(event_filter=CompletedEvaluation(evaluator, "f1"))
        >>> evaluator.add_event_handler(completed, lambda: calls.append("scored"))  # doctest: +ELLIPSIS
        <...>
        >>> _ = evaluator.run([0, 1])
        >>> stop = evaluator.add_event_handler(Events.ITERATION_COMPLETED, lambda engine: engine.terminate())
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     _ = evaluator.run([0, 1])
        >>> calls, "terminate()" in str(caught[0].message)
        (['scored'], True)
    """

    def __init__(self, evaluator: Engine, metric_name: str) -> None:
        self.metric_name = metric_name
        self.completed_epoch = True  # until the evaluator's next epoch starts
        self.warned = False
        evaluator.add_event_handler(Events.STARTED, self.started)
        evaluator.add_event_handler(Events.EPOCH_STARTED, self.epoch_started)
        evaluator.add_event_handler(Events.EPOCH_COMPLETED, self.epoch_completed)

    def started(self) -> None:
        self.warned = False

    def epoch_started(self) -> None:
        self.completed_epoch = False  # the metrics counted from zero: part of an epoch until it completes

    def epoch_completed(self) -> None:
        self.completed_epoch = True

    def __call__(self, engine: Engine, event: Any) -> bool:
        if self.completed_epoch or self.metric_name not in engine.state.metrics:
            return True  # nothing stale to act on (a missing score: the handlers say so themselves)
        if not self.warned:
            self.warned = True
            warnings.warn(
                "The evaluator's run ended without completing its last epoch (terminate() during it, "
                "terminate_epoch(skip_epoch_completed=True), or max_iters reached before its end), so "
                f"its metrics computed nothing for it: state.metrics[{self.metric_name!r}] still holds "
                "an earlier score, not one of this epoch's data. This evaluation is skipped: no best-F1 "
                "checkpoint, no early-stopping or retrain count, nothing written to TensorBoard. To "
                "score part of the data, run the evaluator with epoch_length=...; to stop an "
                "evaluation early and score what it saw, call terminate_epoch().",
                UserWarning,
                stacklevel=2,
            )
        return False
