"""Retraining on a plateau of the F1 score: :class:`RetrainOnPlateau` and :class:`RetrainEvents`.

The handler runs on the evaluator like Ignite's ``EarlyStopping``, counts evaluations without an
improvement with the shared :class:`~ignite_f1.handlers._plateau.PlateauTracker`, and acts on the
trainer: restore the best checkpoint (or reinitialise), reset the optimizer, fire
:attr:`RetrainEvents.RETRAIN_TRIGGERED`; or stop training once no retrain is left.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch
from ignite.base.mixins import Serializable
from ignite.engine import Engine, EventEnum, Events
from ignite.handlers import Checkpoint, DiskSaver
from ignite.utils import setup_logger

from ignite_f1._validation import check_bool, check_count, is_real
from ignite_f1.handlers._plateau import PlateauTracker, check_plateau_state, check_state_count
from ignite_f1.handlers._retrain_checks import (
    check_arguments,
    check_engine,
    check_event,
    read_best,
    reinitialize,
)
from ignite_f1.handlers.checkpoint import _ExclusiveSaver
from ignite_f1.handlers.scoring import ScoreFunction

__all__ = ["RetrainEvents", "RetrainOnPlateau"]


class RetrainEvents(EventEnum):
    """Events that :class:`RetrainOnPlateau` fires on the trainer.

    ``RETRAIN_TRIGGERED`` fires after the weights were restored (or reinitialised) and the optimizer
    reset. It is registered on the trainer when the handler is attached (or first runs), with
    ``event_to_attr={RETRAIN_TRIGGERED: "retrain_count"}``, so
    ``trainer.state.retrain_count`` numbers the retrains and event filters
    (``RETRAIN_TRIGGERED(every=2)``) and Ignite loggers work on it.

    Examples:
        >>> import torch
        >>> from ignite.engine import Engine
        >>> from ignite_f1.handlers import RetrainEvents, RetrainOnPlateau
        >>> trainer = Engine(lambda engine, batch: None)
        >>> model = torch.nn.Linear(2, 2)
        >>> retrain = RetrainOnPlateau(lambda engine: 0.5, 1, trainer, None, {"model": model},
        ...                            strategy="reinitialize")
        >>> evaluator = Engine(lambda engine, batch: None)
        >>> retrain.attach(evaluator)  # registers the events on the trainer
        >>> @trainer.on(RetrainEvents.RETRAIN_TRIGGERED)
        ... def announce(engine):
        ...     print("retrain", engine.state.retrain_count)
        >>> retrain(evaluator)  # the first score sets the best score
        >>> retrain(evaluator)  # no improvement: patience 1 is reached
        retrain 1
    """

    RETRAIN_TRIGGERED = "retrain_triggered"


class RetrainOnPlateau(Serializable):
    """Retrain from the best weights (or from scratch) when the F1 score stops improving.

    Attach it to the evaluator on ``Events.COMPLETED``, like Ignite's ``EarlyStopping``. After
    ``patience`` evaluations in a row without an improvement larger than ``min_delta`` it triggers a
    retrain:

    - ``strategy="restore_best"`` loads the best file saved by ``checkpoint`` (an Ignite
      ``Checkpoint`` that saves to disk, usually the best-F1 one) into the objects of ``to_load``;
    - ``strategy="reinitialize"`` calls ``reset_parameters()`` on every module in ``to_load`` (and
      every submodule) that has it, drawing from the current random state.

    Then, when ``optimizer`` is given, ``reset_optimizer`` clears its state (momentum buffers, Adam
    moments) and ``lr_factor`` multiplies the learning rate of each parameter group. The handler
    counts the retrain in ``trainer.state.retrain_count`` and fires
    :attr:`RetrainEvents.RETRAIN_TRIGGERED` on the trainer. After ``max_retrains`` retrains, the next
    plateau ends training with ``trainer.terminate()``, as ``EarlyStopping`` does.

    Args:
        score_function: ``fn(engine) -> float``, higher is better (see :func:`score_function`).
        patience: evaluations without improvement before a retrain (an integer >= 1).
        trainer: the engine to retrain or stop; :class:`RetrainEvents` are registered on it by
            :meth:`attach` (or at the first call), not at construction.
        checkpoint: the Ignite ``Checkpoint`` whose best file ``restore_best`` loads (its
            ``last_checkpoint``; built with a ``score_function``, without which that is the newest
            file; its ``save_handler`` a ``DiskSaver`` or an object with a ``dirname``).
            Unused, and may be None, with ``"reinitialize"``.
        to_load: ``{name: object}`` to restore, with names as in the checkpoint's ``to_save``
            (usually the model; add the optimizer to restore its state too), or the modules to
            reinitialise.
        optimizer: the optimizer to reset and whose learning rates ``lr_factor`` scales.
        min_delta: an improvement is a score larger than the best score plus ``min_delta`` (>= 0).
        strategy: ``"restore_best"`` or ``"reinitialize"``.
        max_retrains: retrains allowed before the next plateau ends training (an integer >= 0).
        reset_optimizer: clear the optimizer's state at each retrain.
        lr_factor: multiply each learning rate by this factor (> 0) at each retrain, or None.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: an argument has a wrong value; ``"restore_best"`` without a ``checkpoint``, or
            with a ``to_load`` name the checkpoint does not save; ``"reinitialize"`` with no module
            that has ``reset_parameters()``; ``lr_factor`` without an ``optimizer``.

    Notes:
        Patience follows ``EarlyStopping`` (``threshold=min_delta``, absolute, not cumulative): the
        first score sets the best score; a score ``<= best + min_delta`` counts one more evaluation
        without improvement (and the best score becomes the larger of the two); a higher score
        becomes the best and restarts the count. A NaN score counts as no improvement. The best
        score survives a retrain and the count restarts after one. When no checkpoint file exists
        yet, or the best one is gone from disk, ``"restore_best"`` warns (naming the file) and
        counts the retrain without loading anything. When
        another handler (``EarlyStopping``) already asked the trainer to terminate, a due retrain
        is skipped. ``lr_factor`` scales the learning rates training ran with, cumulatively
        (``lr_factor ** n`` after ``n`` retrains, also when ``to_load`` restores the optimizer); a
        learning-rate scheduler attached to the trainer may override it. In a
        distributed run every process loads the best file (once rank 0, which writes it, is there),
        so its directory must be shared; ``"reinitialize"`` gives every process rank 0's new weights.

        :meth:`state_dict` holds the patience count, the best score and the number of retrains:
        save it with the trainer (``Checkpoint(to_save={"retrain": handler, ...})``) so that a
        resumed run continues its count. Call :meth:`reset` to run a trainer again from scratch.

    Examples:
        >>> import tempfile
        >>> import torch
        >>> from ignite.engine import Engine, Events
        >>> from ignite.handlers import Checkpoint, DiskSaver
        >>> from ignite_f1.handlers import RetrainEvents, RetrainOnPlateau, score_function
        >>> model = torch.nn.Linear(2, 1)
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> def train_step(engine, batch):  # moves the weights away from the best ones
        ...     with torch.no_grad():
        ...         model.weight += 1.0
        >>> trainer = Engine(train_step)
        >>> scores = iter([0.5, 0.7, 0.6, 0.6, 0.6, 0.6])  # scripted validation F1, one per epoch
        >>> evaluator = Engine(lambda engine, batch: None)
        >>> @evaluator.on(Events.EPOCH_COMPLETED)
        ... def compute_f1(engine):
        ...     engine.state.metrics["f1"] = next(scores)
        >>> _ = trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run([0]))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     best = Checkpoint({"model": model}, DiskSaver(tmp), score_function=score_function("f1"))
        ...     _ = evaluator.add_event_handler(Events.COMPLETED, best)
        ...     retrain = RetrainOnPlateau(score_function("f1"), 2, trainer, best, {"model": model},
        ...                                optimizer=optimizer, max_retrains=1, lr_factor=0.5)
        ...     retrain.attach(evaluator)
        ...     @trainer.on(RetrainEvents.RETRAIN_TRIGGERED)
        ...     def show(engine):  # the weights are those of the best epoch (2), saved by `best`
        ...         saved = torch.load(best.last_checkpoint, weights_only=True)
        ...         print("retrain at epoch", engine.state.epoch, torch.equal(model.weight, saved["weight"]))
        ...     state = trainer.run([0], max_epochs=10)
        retrain at epoch 4 True
        >>> trainer.state.epoch, trainer.state.retrain_count, optimizer.param_groups[0]["lr"]
        (6, 1, 0.05)
        >>> dict(retrain.state_dict())
        {'counter': 2, 'best_score': 0.7, 'retrain_count': 1}
    """

    def __init__(
        self,
        score_function: ScoreFunction,
        patience: int,
        trainer: Engine,
        checkpoint: Checkpoint | None,
        to_load: Mapping[str, Any],
        optimizer: torch.optim.Optimizer | None = None,
        min_delta: float = 0.0,
        strategy: str = "restore_best",
        max_retrains: int = 3,
        reset_optimizer: bool = True,
        lr_factor: float | None = None,
    ) -> None:
        self.patience = check_count("patience", patience, minimum=1)
        check_arguments(score_function, trainer, checkpoint, to_load, optimizer, strategy, lr_factor)
        self.score_function = score_function
        self.trainer = trainer
        self.checkpoint = checkpoint
        self.to_load = to_load
        self.optimizer = optimizer
        self.plateau = PlateauTracker(min_delta)
        self.strategy = strategy
        self.max_retrains = check_count("max_retrains", max_retrains, minimum=0)
        self.reset_optimizer = check_bool("reset_optimizer", reset_optimizer)
        self.lr_factor = None if lr_factor is None else float(lr_factor)
        self.retrain_count = 0
        self.logger = setup_logger(__name__ + "." + type(self).__name__)
        self._attached_to: weakref.ref[Engine] | None = None  # the engine of attach(), if any

    @property
    def min_delta(self) -> float:
        """An improvement is a score larger than the best score plus ``min_delta``.

        Examples:
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1.handlers import RetrainOnPlateau
            >>> retrain = RetrainOnPlateau(lambda engine: 0.5, 2, Engine(lambda e, b: None), None,
            ...                            {"model": torch.nn.Linear(2, 2)}, min_delta=0.01,
            ...                            strategy="reinitialize")
            >>> retrain.min_delta
            0.01
        """
        return self.plateau.min_delta

    @property
    def counter(self) -> int:
        """Evaluations in a row without an improvement (since the best score or the last retrain).

        Examples:
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1.handlers import RetrainOnPlateau
            >>> evaluator = Engine(lambda e, b: None)
            >>> scores = iter([0.7, 0.6, 0.65])  # scripted validation F1
            >>> retrain = RetrainOnPlateau(lambda engine: next(scores), 3, Engine(lambda e, b: None),
            ...                            None, {"model": torch.nn.Linear(2, 2)}, strategy="reinitialize")
            >>> for _ in range(3):
            ...     retrain(evaluator)
            ...     print(retrain.counter)
            0
            1
            2
        """
        return self.plateau.counter

    @counter.setter
    def counter(self, value: int) -> None:
        self.plateau.counter = value

    @property
    def best_score(self) -> float | None:
        """The best score so far, or None before the first evaluation.

        Examples:
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1.handlers import RetrainOnPlateau
            >>> evaluator = Engine(lambda e, b: None)
            >>> scores = iter([0.7, 0.6])  # scripted validation F1
            >>> retrain = RetrainOnPlateau(lambda engine: next(scores), 3, Engine(lambda e, b: None),
            ...                            None, {"model": torch.nn.Linear(2, 2)}, strategy="reinitialize")
            >>> print(retrain.best_score)
            None
            >>> retrain(evaluator)
            >>> retrain(evaluator)
            >>> retrain.best_score
            0.7
        """
        return self.plateau.best_score

    @best_score.setter
    def best_score(self, value: float | None) -> None:
        self.plateau.best_score = value

    def _register_events(self) -> None:
        """Register :class:`RetrainEvents` on the trainer (once) and publish the retrain count."""
        if not self.trainer.has_registered_events(RetrainEvents.RETRAIN_TRIGGERED):
            self.trainer.register_events(
                *RetrainEvents, event_to_attr={RetrainEvents.RETRAIN_TRIGGERED: "retrain_count"}
            )
            self._publish_count()  # 0 until the first retrain

    def _publish_count(self) -> None:
        # `trainer.state.retrain_count` is the attribute the event is registered with.
        self.trainer.state.retrain_count = self.retrain_count  # type: ignore[attr-defined]

    def attach(self, engine: Engine, event: Any = Events.COMPLETED) -> None:
        """Run the handler on ``event`` of ``engine``: the evaluator, on ``Events.COMPLETED``.

        Checked first: nothing is registered on the trainer nor attached when it raises.

        Args:
            engine: the evaluator whose ``state.metrics`` holds the F1 score.
            event: the event to run on, registered on ``engine``.

        Raises:
            TypeError: ``engine`` is not an Ignite ``Engine``.
            ValueError: ``engine`` is the trainer (the score belongs to the evaluator), or ``event``
                is not an event of ``engine``.
            RuntimeError: the handler is already attached (to this or another engine): each
                evaluation would count twice. Make another handler, or first remove this one with
                ``engine.remove_event_handler(handler, event)``.

        Examples:
            >>> import torch
            >>> from ignite.engine import Engine, Events
            >>> from ignite_f1.handlers import RetrainOnPlateau
            >>> trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
            >>> model = torch.nn.Linear(2, 2)
            >>> retrain = RetrainOnPlateau(lambda engine: 0.5, 2, trainer, None, {"model": model},
            ...                            strategy="reinitialize")
            >>> retrain.attach(evaluator)
            >>> evaluator.has_event_handler(retrain, Events.COMPLETED)
            True
        """
        check_engine("engine", engine)
        if engine is self.trainer:
            raise ValueError(
                "Argument `engine` must be the evaluator that computes the F1 score, got the trainer. "
                "Attach the handler to the evaluator on Events.COMPLETED."
            )
        check_event(engine, event)
        attached = None if self._attached_to is None else self._attached_to()
        if engine.has_event_handler(self) or (attached is not None and attached.has_event_handler(self)):
            raise RuntimeError(
                "RetrainOnPlateau is already attached to an engine: attached twice, it would count each "
                "evaluation twice (half the patience). Make another RetrainOnPlateau, or first remove "
                "this one with engine.remove_event_handler(handler, event)."
            )
        self._register_events()
        self._publish_count()
        engine.add_event_handler(event, self)
        self._attached_to = weakref.ref(engine)

    def __call__(self, engine: Engine) -> None:
        score = self.score_function(engine)
        if not is_real(score):
            raise TypeError(f"Argument `score_function` must return a real number, got {score!r}.")
        self._register_events()
        if self.plateau.update(score):
            return
        self.logger.debug("RetrainOnPlateau: %i / %i", self.counter, self.patience)
        if self.counter < self.patience:
            return
        if self.trainer.should_terminate:
            self.logger.info("RetrainOnPlateau: training is already ending, no retrain")
        elif self.retrain_count >= self.max_retrains:
            self.logger.info("RetrainOnPlateau: %i retrains done, stop training", self.retrain_count)
            self.trainer.terminate()
        else:
            self._retrain()

    def _retrain(self) -> None:
        # the rates of training so far, not those a loaded optimizer brings back (the best epoch's)
        rates = [g["lr"] for g in self.optimizer.param_groups] if self.optimizer is not None else []
        if self.strategy == "restore_best":
            self._restore_best(self.retrain_count + 1)
        else:
            reinitialize(self.to_load)
        # counted once the weights are restored: a load that raises leaves the count as it was
        self.retrain_count += 1
        self.counter = 0
        if self.optimizer is not None:
            if self.reset_optimizer:
                self.optimizer.state.clear()
            if self.lr_factor is not None:
                for group, rate in zip(self.optimizer.param_groups, rates, strict=True):
                    group["lr"] = rate * self.lr_factor
        self._publish_count()
        self.logger.info("RetrainOnPlateau: retrain %i (%s)", self.retrain_count, self.strategy)
        # fired inside the trainer's EPOCH_COMPLETED: the handlers after this one must still see that
        # event (global_step_from_engine(trainer) reads it: it would give the retrain count as step)
        previous = self.trainer.last_event_name
        try:
            self.trainer.fire_event(RetrainEvents.RETRAIN_TRIGGERED)
        finally:
            self.trainer.last_event_name = previous

    def _restore_best(self, retrain: int) -> None:
        """Load the best file into ``to_load``; warn and load nothing when there is none on disk."""
        if idist.get_world_size() > 1:  # rank 0 may be writing that file in this very evaluation
            idist.barrier()
        path = self.best_checkpoint_path()
        saved, missing = read_best(path)
        if saved is not None:
            Checkpoint.load_objects(to_load=self.to_load, checkpoint=saved)
            return
        warnings.warn(
            f"RetrainOnPlateau: retrain {retrain} of {self.max_retrains} is counted but loads nothing: "
            f"{missing}.",
            UserWarning,
            stacklevel=4,
        )

    def best_checkpoint_path(self) -> Path | None:
        """The file ``restore_best`` loads: the best one ``checkpoint`` saved, or None before any.

        Returns:
            The path of the checkpoint's ``last_checkpoint`` (its best file), or None.

        Examples:
            >>> import tempfile
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite.handlers import Checkpoint, DiskSaver
            >>> from ignite_f1.handlers import RetrainOnPlateau
            >>> engine, model = Engine(lambda e, b: None), torch.nn.Linear(2, 2)
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     best = Checkpoint({"model": model}, DiskSaver(tmp), score_function=lambda engine: 0.75)
            ...     retrain = RetrainOnPlateau(lambda engine: 0.75, 2, engine, best, {"model": model})
            ...     print(retrain.best_checkpoint_path())  # nothing saved yet
            ...     best(engine)  # saves the model with the score 0.75
            ...     path = retrain.best_checkpoint_path()
            ...     print(path.name, path.parent.samefile(tmp), path.is_file())
            None
            model_0.7500.pt True True
        """
        if self.checkpoint is None:
            return None
        last = self.checkpoint.last_checkpoint
        if last is None:
            return None
        path = Path(last)
        handler: Any = self.checkpoint.save_handler
        if not isinstance(handler, DiskSaver | _ExclusiveSaver):  # Ignite's gives the name only
            path = Path(handler.dirname) / path
        return path

    def reset(self) -> None:
        """Forget the best score, the patience count and the retrains (for a run from scratch).

        Examples:
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1.handlers import RetrainOnPlateau
            >>> trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
            >>> model = torch.nn.Linear(2, 2)
            >>> retrain = RetrainOnPlateau(lambda engine: 0.5, 1, trainer, None, {"model": model},
            ...                            strategy="reinitialize")
            >>> retrain(evaluator)  # the first score, 0.5, is the best score
            >>> retrain(evaluator)  # no improvement: patience 1 is reached, retrain 1
            >>> retrain.reset()
            >>> dict(retrain.state_dict()), trainer.state.retrain_count
            ({'counter': 0, 'best_score': None, 'retrain_count': 0}, 0)
        """
        self.plateau.reset()
        self.retrain_count = 0
        self._publish_count()

    def state_dict(self) -> OrderedDict[str, Any]:
        """The patience count, the best score and the number of retrains.

        Returns:
            ``OrderedDict(counter=int, best_score=float or None, retrain_count=int)``.

        Examples:
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1.handlers import RetrainOnPlateau
            >>> trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
            >>> scores = iter([0.7, 0.6])  # scripted validation F1
            >>> retrain = RetrainOnPlateau(lambda engine: next(scores), 2, trainer, None,
            ...                            {"model": torch.nn.Linear(2, 2)}, strategy="reinitialize")
            >>> retrain(evaluator)  # 0.7: the first score is the best score
            >>> retrain(evaluator)  # 0.6: one evaluation without improvement, no retrain yet
            >>> dict(retrain.state_dict())
            {'counter': 1, 'best_score': 0.7, 'retrain_count': 0}
        """
        state = self.plateau.state_dict()
        state["retrain_count"] = self.retrain_count
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict` (and ``trainer.state.retrain_count``).

        Every entry is checked before any is applied: on an error the state stays as it was.

        Args:
            state_dict: a mapping with keys ``counter``, ``best_score`` and ``retrain_count``.

        Raises:
            TypeError: ``state_dict`` is not a mapping; ``counter`` or ``retrain_count`` is not an
                integer (a bool or a float such as 2.0 is refused), ``best_score`` neither None nor a
                real number.
            ValueError: a key is missing; ``counter`` or ``retrain_count`` is negative,
                ``best_score`` is NaN (scores are NaN-free: a NaN score is kept as ``-inf``).

        Examples:
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1.handlers import RetrainOnPlateau
            >>> trainer = Engine(lambda e, b: None)
            >>> model = torch.nn.Linear(2, 2)
            >>> retrain = RetrainOnPlateau(lambda engine: 0.5, 3, trainer, None, {"model": model},
            ...                            strategy="reinitialize")
            >>> retrain.load_state_dict({"counter": 2, "best_score": 0.8, "retrain_count": 1})  # as saved
            >>> retrain.counter, retrain.best_score, trainer.state.retrain_count
            (2, 0.8, 1)
        """
        counter, best_score = check_plateau_state(state_dict, ("counter", "best_score", "retrain_count"))
        retrain_count = check_state_count(state_dict, "retrain_count")
        self.plateau.counter, self.plateau.best_score = counter, best_score
        self.retrain_count = retrain_count
        self._publish_count()
