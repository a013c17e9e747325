"""Which evaluations computed their scores: the event filter of the monitoring's handlers.

An evaluator stopped by ``terminate()`` during its epoch still fires ``Events.COMPLETED`` (unless
``skip_completed=True``), but not ``EPOCH_COMPLETED``, where the attached metrics compute: its
``state.metrics`` then holds the previous evaluation's scores, and the metrics' counts are those
of part of an epoch. A checkpoint would save the current weights under the old score, early
stopping and the retrain trigger would count an evaluation that did not happen, and TensorBoard
would draw the old score at the new step.
"""

from __future__ import annotations

import warnings
from typing import Any

from ignite.engine import Engine, Events


class CompletedEvaluation:
    """Passes the evaluator's ``Events.COMPLETED`` only when its run completed an epoch.

    Registers on the evaluator's ``STARTED`` and ``EPOCH_COMPLETED``; used as the ``event_filter``
    of ``Events.COMPLETED`` for every monitoring handler. A run that completed no epoch is skipped
    by all of them, with one warning.

    Examples:
        >>> from ignite.engine import Engine, Events
        >>> from ignite_f1.handlers._evaluated import CompletedEvaluation
        >>> evaluator = Engine(lambda engine, batch: None)
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
        self.completed_epoch = True  # until the evaluator's next run starts
        self.warned = False
        evaluator.add_event_handler(Events.STARTED, self.started)
        evaluator.add_event_handler(Events.EPOCH_COMPLETED, self.epoch_completed)

    def started(self) -> None:
        self.completed_epoch, self.warned = False, False

    def epoch_completed(self) -> None:
        self.completed_epoch = True

    def __call__(self, engine: Engine, event: Any) -> bool:
        if not self.completed_epoch and not self.warned:
            self.warned = True
            warnings.warn(
                "The evaluator's run ended before it completed an epoch (terminate() during the epoch), "
                f"so its metrics computed nothing: state.metrics[{self.metric_name!r}] still holds the "
                "previous evaluation's score, not one of the current weights. This evaluation is "
                "skipped: no best-F1 checkpoint, no early-stopping or retrain count, nothing written "
                "to TensorBoard. To stop an evaluation early and score what it saw, call "
                "terminate_epoch() instead.",
                UserWarning,
                stacklevel=2,
            )
        return self.completed_epoch
