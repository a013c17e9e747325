"""Retraining on a plateau of the F1 score: :class:`RetrainOnPlateau` and :class:`RetrainEvents`.

The handler runs on the evaluator like Ignite's ``EarlyStopping``, counts evaluations without an
improvement with the shared :class:`~ignite_f1.handlers._plateau.PlateauTracker`, and acts on the
trainer: restore the best checkpoint (or reinitialise), reset the optimizer, fire
:attr:`RetrainEvents.RETRAIN_TRIGGERED`; or stop training once no retrain is left.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch
from ignite.base.mixins import Serializable
from ignite.engine import Engine, EventEnum, Events
from ignite.handlers import Checkpoint, DiskSaver
from ignite.utils import setup_logger

from ignite_f1._validation import check_bool, check_choice, check_count, check_real, is_real
from ignite_f1.handlers._plateau import PlateauTracker, check_state_dict
from ignite_f1.handlers.checkpoint import _ExclusiveSaver, check_restorable
from ignite_f1.handlers.scoring import ScoreFunction

__all__ = ["RetrainEvents", "RetrainOnPlateau"]

_STRATEGIES = ("restore_best", "reinitialize")
_RESET_METHOD = "reset_parameters"


def check_engine(name: str, value: Any) -> Engine:
    """Check an engine argument (``trainer``, ``evaluator``): an Ignite ``Engine``."""
    if not isinstance(value, Engine):
        raise TypeError(f"Argument `{name}` must be an ignite Engine, got {type(value).__name__}.")
    return value


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
        yet, ``"restore_best"`` warns and counts the retrain without loading anything. When
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
        _check_arguments(score_function, trainer, checkpoint, to_load, optimizer, strategy, lr_factor)
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

    @property
    def min_delta(self) -> float:
        """An improvement is a score larger than the best score plus ``min_delta``."""
        return self.plateau.min_delta

    @property
    def counter(self) -> int:
        """Evaluations in a row without an improvement (since the best score or the last retrain)."""
        return self.plateau.counter

    @counter.setter
    def counter(self, value: int) -> None:
        self.plateau.counter = value

    @property
    def best_score(self) -> float | None:
        """The best score so far, or None before the first evaluation."""
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

        Args:
            engine: the evaluator whose ``state.metrics`` holds the F1 score.
            event: the event to run on.

        Raises:
            ValueError: ``engine`` is the trainer (the score belongs to the evaluator).

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
        if engine is self.trainer:
            raise ValueError(
                "Argument `engine` must be the evaluator that computes the F1 score, got the trainer. "
                "Attach the handler to the evaluator on Events.COMPLETED."
            )
        self._register_events()
        self._publish_count()
        engine.add_event_handler(event, self)

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
        self.retrain_count += 1
        self.counter = 0
        # the rates of training so far, not those a loaded optimizer brings back (the best epoch's)
        rates = [g["lr"] for g in self.optimizer.param_groups] if self.optimizer is not None else []
        if self.strategy == "restore_best":
            if idist.get_world_size() > 1:  # rank 0 may be writing that file in this very evaluation
                idist.barrier()
            path = self.best_checkpoint_path()
            if path is None:
                warnings.warn(
                    f"RetrainOnPlateau: retrain {self.retrain_count} of {self.max_retrains} is counted but "
                    "loads nothing: `checkpoint` has not saved a file yet.",
                    UserWarning,
                    stacklevel=3,
                )
            else:
                Checkpoint.load_objects(to_load=self.to_load, checkpoint=path)
        else:
            _reinitialize(self.to_load)
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

        Args:
            state_dict: a mapping with keys ``counter``, ``best_score`` and ``retrain_count``.

        Raises:
            TypeError: ``state_dict`` is not a mapping.
            ValueError: a key is missing.

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
        check_state_dict(state_dict, ("counter", "best_score", "retrain_count"))
        self.plateau.load_state_dict(state_dict)
        self.retrain_count = int(state_dict["retrain_count"])
        self._publish_count()


def _reinitialize(objects: Mapping[str, Any]) -> None:
    """``reset_parameters()`` of the modules in ``objects``; in a distributed run every process then
    takes rank 0's new weights (each draws from its own random state, and DDP copies weights only
    when it is built)."""
    for reset_parameters in _modules_with_reset(objects):
        reset_parameters()
    if idist.get_world_size() > 1:
        with torch.no_grad():
            for module in (obj for obj in objects.values() if isinstance(obj, torch.nn.Module)):
                for tensor in module.state_dict().values():
                    synced = idist.broadcast(tensor, src=0)
                    if synced is not tensor:
                        tensor.copy_(synced)


def _modules_with_reset(objects: Mapping[str, Any]) -> list[Callable[[], object]]:
    """The ``reset_parameters`` of every module (at any depth) in ``objects`` that has one, each once."""
    found: dict[int, Callable[[], object]] = {}
    for obj in objects.values():
        if isinstance(obj, torch.nn.Module):
            for module in obj.modules():
                reset = getattr(module, _RESET_METHOD, None)
                if callable(reset):
                    found.setdefault(id(module), reset)
    return list(found.values())


def _check_arguments(
    score_function: Any,
    trainer: Any,
    checkpoint: Any,
    to_load: Any,
    optimizer: Any,
    strategy: Any,
    lr_factor: Any,
) -> None:
    """The checks of :class:`RetrainOnPlateau`'s arguments that are not a single ``check_*`` call."""
    if not callable(score_function):
        raise TypeError(f"Argument `score_function` must be callable, got {score_function!r}.")
    check_engine("trainer", trainer)
    check_choice("strategy", strategy, _STRATEGIES)
    if not isinstance(to_load, Mapping):
        raise TypeError(f"Argument `to_load` must be a mapping of names to objects, got {to_load!r}.")
    if len(to_load) == 0:
        raise ValueError(f"Argument `to_load` must hold at least one object, got {to_load!r}.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"Argument `optimizer` must be a torch Optimizer or None, got {optimizer!r}.")
    if lr_factor is not None:
        check_real("lr_factor", lr_factor, 0, open_low=True)
        if optimizer is None:
            raise ValueError(
                f"Argument `lr_factor` needs an `optimizer` whose learning rates it scales, got "
                f"lr_factor={lr_factor!r} with optimizer=None."
            )
    if strategy == "restore_best":
        check_restorable(checkpoint, to_load)
    elif not _modules_with_reset(to_load):
        raise ValueError(
            "Argument `to_load` must hold a torch module with reset_parameters() (at any depth) "
            f"for strategy='reinitialize', got {to_load!r}."
        )
    elif checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"Argument `checkpoint` must be an ignite Checkpoint or None, got {checkpoint!r}.")
