"""Handlers driven by an F1 score: early stopping, best-F1 checkpoints and retraining on a plateau.

The F1 metric lives on the evaluator; :func:`score_function` turns ``evaluator.state.metrics[name]``
into a float that never counts NaN as an improvement; Ignite's ``EarlyStopping`` and ``Checkpoint``
and this module's :class:`RetrainOnPlateau` read it on the evaluator's ``Events.COMPLETED`` and act
on the trainer. :func:`setup_f1_monitoring` wires the usual set in one call.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import math
import os
import re
import secrets
import socket
import stat
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import numpy as np
import torch
from ignite.base.mixins import Serializable
from ignite.engine import Engine, EventEnum, Events
from ignite.handlers import Checkpoint, DiskSaver, EarlyStopping, global_step_from_engine
from ignite.handlers.checkpoint import BaseSaveHandler
from ignite.metrics import Metric
from ignite.utils import setup_logger

from ignite_f1._validation import check_count, check_real, check_tag, is_real

__all__ = [
    "F1Monitoring",
    "MissingMetricError",
    "RetrainEvents",
    "RetrainOnPlateau",
    "score_function",
    "setup_f1_monitoring",
]

ScoreFunction = Callable[[Engine], float]

# Ignite 0.5.5 renamed EarlyStopping's `min_delta` to `threshold`: use the installed Ignite's name.
_EARLY_STOPPING_DELTA = (
    "threshold" if "threshold" in inspect.signature(EarlyStopping.__init__).parameters else "min_delta"
)

_REDUCTIONS = ("min", "mean")
_STRATEGIES = ("restore_best", "reinitialize")
_RESET_METHOD = "reset_parameters"
# Keys of `setup_f1_monitoring(retrain=...)`: the ones the user may give, and the ones it sets itself.
_RETRAIN_KEYS = (
    "patience",
    "to_load",
    "optimizer",
    "min_delta",
    "strategy",
    "max_retrains",
    "reset_optimizer",
    "lr_factor",
)
_RETRAIN_KEYS_SET_BY_SETUP = ("score_function", "trainer", "checkpoint")


def _check_engine(name: str, value: Any) -> Engine:
    if not isinstance(value, Engine):
        raise TypeError(f"Argument `{name}` must be an ignite Engine, got {type(value).__name__}.")
    return value


def _safe_name(name: str) -> str:
    """``name`` with path separators replaced by ``_``, so that it stays one file name."""
    return name.replace("/", "_").replace("\\", "_")


# --------------------------------------------------------------------------- score_function


class MissingMetricError(KeyError):
    """The metric a :func:`score_function` reads is not in ``engine.state.metrics``.

    A ``KeyError`` (catch either), whose message prints as a sentence: it lists the metrics present
    and says which engine the handler belongs on (``KeyError`` itself would print it in quotes).

    Examples:
        >>> from ignite.engine import Engine
        >>> from ignite_f1.handlers import MissingMetricError, score_function
        >>> trainer = Engine(lambda engine, batch: None)
        >>> trainer.state.metrics = {"loss": 0.3}  # the F1 metric lives on the evaluator
        >>> try:
        ...     score_function("f1")(trainer)
        ... except MissingMetricError as error:
        ...     print(isinstance(error, KeyError), error)
        True Metric 'f1' is not in engine.state.metrics; metrics present: ['loss']. ...
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _nan_to_neg_inf(score: float) -> float:
    return -math.inf if math.isnan(score) else score


def _as_score(value: Any, metric_name: str, reduce: str | None) -> float:
    """One float from a metric result: a number, or per-class scores reduced by ``reduce``."""
    if is_real(value):
        return _nan_to_neg_inf(float(value))
    if isinstance(value, torch.Tensor | np.ndarray):
        array = value.detach().cpu().double().numpy() if isinstance(value, torch.Tensor) else value
        array = np.asarray(array, dtype=np.float64)
        if array.ndim == 0:
            return _nan_to_neg_inf(float(array))
        values = array.ravel()
        kind = f"a tensor of shape {tuple(array.shape)}"
    elif isinstance(value, Mapping):
        try:
            values = np.array([float(v) for v in value.values()], dtype=np.float64)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"Metric {metric_name!r} must map class names to numbers to be used as a score, "
                f"got {value!r}."
            ) from None
        kind = f"a dict of {len(value)} per-class scores"
    else:
        raise TypeError(
            f"Metric {metric_name!r} must be a number, a tensor or a dict of per-class scores to be "
            f"used as a score, got {type(value).__name__}: {value!r}."
        )
    if reduce is None:
        raise ValueError(
            f"Argument `reduce` must be 'min' or 'mean' when metric {metric_name!r} is per-class "
            f"({kind}), got None. Pass reduce='min' (the worst class) or reduce='mean', or attach "
            "an averaged metric (e.g. average='macro')."
        )
    if values.size == 0:
        raise ValueError(f"Metric {metric_name!r} must hold at least one per-class score, got {kind}.")
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return -math.inf
    return float(defined.min() if reduce == "min" else defined.mean())


def score_function(metric_name: str, reduce: str | None = None) -> ScoreFunction:
    """A score function reading an F1 metric, for Ignite's ``EarlyStopping`` and ``Checkpoint``.

    The returned ``fn(engine) -> float`` reads ``engine.state.metrics[metric_name]``, so the handler
    that calls it must run on the engine that computes the metric: the evaluator, on
    ``Events.COMPLETED``.

    Args:
        metric_name: name under which the metric is attached to the evaluator.
        reduce: how per-class scores (a tensor of one score per class, or a ``{class_name: score}``
            dict, as given by ``average=None``) become one number: ``"min"`` (the worst class) or
            ``"mean"``. Required for per-class results; ignored for a number.

    Returns:
        A function ``fn(engine) -> float``.

    Raises:
        TypeError: ``metric_name`` is not a string (at once), or the metric is neither a number, a
            tensor nor a dict of numbers (when called).
        ValueError: ``reduce`` is not None, "min" or "mean" (at once); the metric is per-class and
            ``reduce`` is None, or holds no score (when called).
        MissingMetricError: a ``KeyError``: the metric is not in ``engine.state.metrics`` (when
            called); the message lists the metrics present and says which engine the handler
            belongs on.

    Notes:
        A NaN score (for instance F1 with ``zero_division=nan`` and nothing to score) becomes
        ``-inf``: it is never an improvement, so it never resets ``EarlyStopping``'s patience nor
        replaces a saved best model (Ignite compares scores with ``>``, and every comparison with
        NaN is False, which would count NaN as an improvement). When reducing per-class scores,
        NaN classes are left out, as scikit-learn leaves them out of averages; if every class is
        NaN the score is ``-inf``.

    Examples:
        >>> import math
        >>> import torch
        >>> from ignite.engine import Engine
        >>> from ignite_f1.handlers import score_function
        >>> evaluator = Engine(lambda engine, batch: None)
        >>> evaluator.state.metrics = {"f1": 0.75, "f1_per_class": torch.tensor([0.5, 1.0, float("nan")])}
        >>> score_function("f1")(evaluator)
        0.75
        >>> score_function("f1_per_class", reduce="min")(evaluator)
        0.5
        >>> score_function("f1_per_class", reduce="mean")(evaluator)
        0.75
        >>> evaluator.state.metrics["f1"] = float("nan")
        >>> score_function("f1")(evaluator)
        -inf
        >>> try:
        ...     score_function("val_f1")(evaluator)
        ... except KeyError as error:
        ...     print(error)
        Metric 'val_f1' is not in engine.state.metrics; metrics present: ['f1', 'f1_per_class']. ...
    """
    if not isinstance(metric_name, str):
        raise TypeError(f"Argument `metric_name` must be a non-empty string, got {metric_name!r}.")
    if not metric_name:
        raise ValueError(f"Argument `metric_name` must be a non-empty string, got {metric_name!r}.")
    if reduce is not None and (not isinstance(reduce, str) or reduce not in _REDUCTIONS):
        raise ValueError(f"Argument `reduce` must be None, 'min' or 'mean', got {reduce!r}.")

    def score(engine: Engine) -> float:
        metrics = engine.state.metrics
        if metric_name not in metrics:
            raise MissingMetricError(
                f"Metric {metric_name!r} is not in engine.state.metrics; metrics present: "
                f"{sorted(metrics)}. The score is read from the engine the handler is attached to: "
                "attach the F1 metric and the handler (EarlyStopping, Checkpoint, RetrainOnPlateau) "
                "to the evaluator, with evaluator.add_event_handler(Events.COMPLETED, handler), "
                "not to the trainer."
            )
        return _as_score(metrics[metric_name], metric_name, reduce)

    score.__qualname__ = score.__name__ = f"score_function({metric_name!r})"
    return score


# --------------------------------------------------------------------------- RetrainOnPlateau


class RetrainEvents(EventEnum):
    """Events that :class:`RetrainOnPlateau` fires on the trainer.

    ``RETRAIN_TRIGGERED`` fires after the weights were restored (or reinitialised) and the optimizer
    reset. It is registered with ``event_to_attr={RETRAIN_TRIGGERED: "retrain_count"}``, so
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
        >>> @trainer.on(RetrainEvents.RETRAIN_TRIGGERED)
        ... def announce(engine):
        ...     print("retrain", engine.state.retrain_count)
        >>> evaluator = Engine(lambda engine, batch: None)
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
        trainer: the engine to retrain or stop; the events are registered on it at construction.
        checkpoint: the Ignite ``Checkpoint`` whose best file ``restore_best`` loads (its
            ``last_checkpoint``; its ``save_handler`` must be a ``DiskSaver`` or have a ``dirname``).
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
        is skipped. ``lr_factor`` scales the learning rates cumulatively (``lr_factor ** n`` after
        ``n`` retrains); a learning-rate scheduler attached to the trainer may override it. In a
        distributed run every process loads the best file, so its directory must be shared.

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

    _state_dict_all_req_keys = ("counter", "best_score", "retrain_count")

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
        if not callable(score_function):
            raise TypeError(f"Argument `score_function` must be callable, got {score_function!r}.")
        self.patience = check_count("patience", patience, minimum=1)
        self.trainer = _check_engine("trainer", trainer)
        if not isinstance(strategy, str) or strategy not in _STRATEGIES:
            raise ValueError(
                f"Argument `strategy` must be 'restore_best' or 'reinitialize', got {strategy!r}."
            )
        if not isinstance(to_load, Mapping):
            raise TypeError(f"Argument `to_load` must be a mapping of names to objects, got {to_load!r}.")
        if len(to_load) == 0:
            raise ValueError(f"Argument `to_load` must hold at least one object, got {to_load!r}.")
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"Argument `optimizer` must be a torch Optimizer or None, got {optimizer!r}.")
        if not isinstance(reset_optimizer, bool):
            raise TypeError(f"Argument `reset_optimizer` must be a bool, got {reset_optimizer!r}.")
        if lr_factor is not None:
            check_real("lr_factor", lr_factor, 0, open_low=True)
            if optimizer is None:
                raise ValueError(
                    f"Argument `lr_factor` needs an `optimizer` whose learning rates it scales, got "
                    f"lr_factor={lr_factor!r} with optimizer=None."
                )
        if strategy == "restore_best":
            self._check_checkpoint(checkpoint, to_load)
        elif not _modules_with_reset(to_load):
            raise ValueError(
                "Argument `to_load` must hold a torch module with reset_parameters() (at any depth) "
                f"for strategy='reinitialize', got {to_load!r}."
            )
        elif checkpoint is not None and not isinstance(checkpoint, Checkpoint):
            raise TypeError(
                f"Argument `checkpoint` must be an ignite Checkpoint or None, got {checkpoint!r}."
            )

        self.score_function = score_function
        self.checkpoint = checkpoint
        self.to_load = to_load
        self.optimizer = optimizer
        self.min_delta = check_real("min_delta", min_delta, 0)
        self.strategy = strategy
        self.max_retrains = check_count("max_retrains", max_retrains, minimum=0)
        self.reset_optimizer = reset_optimizer
        self.lr_factor = None if lr_factor is None else float(lr_factor)
        self.counter = 0
        self.best_score: float | None = None
        self.retrain_count = 0
        self.logger = setup_logger(__name__ + "." + type(self).__name__)

        if not trainer.has_registered_events(RetrainEvents.RETRAIN_TRIGGERED):
            trainer.register_events(
                *RetrainEvents, event_to_attr={RetrainEvents.RETRAIN_TRIGGERED: "retrain_count"}
            )
        self._publish_count()

    @staticmethod
    def _check_checkpoint(checkpoint: Any, to_load: Mapping[str, Any]) -> None:
        if checkpoint is None:
            raise ValueError(
                "Argument `checkpoint` must be an ignite Checkpoint for strategy='restore_best', got None."
            )
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"Argument `checkpoint` must be an ignite Checkpoint, got {checkpoint!r}.")
        handler = checkpoint.save_handler
        if not isinstance(handler, DiskSaver) and getattr(handler, "dirname", None) is None:
            raise ValueError(
                "Argument `checkpoint` must save to disk for strategy='restore_best' (its save_handler a "
                f"DiskSaver or an object with a `dirname`), got a save_handler {type(handler).__name__}."
            )
        saved = checkpoint.to_save
        missing = [name for name in to_load if name not in saved]
        if missing:
            raise ValueError(
                f"Argument `to_load` must name objects that `checkpoint` saves ({sorted(saved)}), got "
                f"{missing} that it does not."
            )
        Checkpoint._check_objects(to_load, "load_state_dict")

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
        engine.add_event_handler(event, self)

    def __call__(self, engine: Engine) -> None:
        score = self.score_function(engine)
        if not is_real(score):
            raise TypeError(f"Argument `score_function` must return a real number, got {score!r}.")
        score = _nan_to_neg_inf(float(score))
        if self.best_score is None:
            self.best_score = score
            return
        if score > self.best_score + self.min_delta:
            self.best_score = score
            self.counter = 0
            return
        self.best_score = max(score, self.best_score)
        self.counter += 1
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
        if self.strategy == "restore_best":
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
            for reset_parameters in _modules_with_reset(self.to_load):
                reset_parameters()
        if self.optimizer is not None:
            if self.reset_optimizer:
                self.optimizer.state.clear()
            if self.lr_factor is not None:
                for group in self.optimizer.param_groups:
                    group["lr"] = group["lr"] * self.lr_factor
        self._publish_count()
        self.logger.info("RetrainOnPlateau: retrain %i (%s)", self.retrain_count, self.strategy)
        self.trainer.fire_event(RetrainEvents.RETRAIN_TRIGGERED)

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
        self.counter = 0
        self.best_score = None
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
        return OrderedDict(
            [
                ("counter", self.counter),
                ("best_score", self.best_score),
                ("retrain_count", self.retrain_count),
            ]
        )

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
        super().load_state_dict(state_dict)
        self.counter = int(state_dict["counter"])
        best = state_dict["best_score"]
        self.best_score = None if best is None else float(best)
        self.retrain_count = int(state_dict["retrain_count"])
        self._publish_count()


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


# --------------------------------------------------------------------------- setup_f1_monitoring


# Every file this module writes in a checkpoint directory, other than the checkpoints themselves,
# starts with this prefix: temporary files `.ignite_f1-{host}-{pid}-{token}.tmp` (a save in
# progress) and one ledger per run, `.ignite_f1-run-{run_id}.json` (the files the run owns).
_OWN_PREFIX = ".ignite_f1-"
_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname()) or "host"
_TEMP_NAME = re.compile(r"\.ignite_f1-(?P<host>[A-Za-z0-9_]+)-(?P<pid>[0-9]+)-[0-9a-f]{16}\.tmp")
_RUN_ID = re.compile(r"[0-9a-f]{32}")
# Temporary files this process is writing now: never stale, whatever the next setup finds.
_WRITING: set[str] = set()

Identity = tuple[int, int]


def _identity(path: Path) -> Identity | None:
    """(size, modification time in ns) of the regular file at ``path``, or None if there is none."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (status.st_size, status.st_mtime_ns)


def _unlink_temp(path: Path) -> None:
    _WRITING.discard(str(path))
    with contextlib.suppress(OSError):
        path.unlink()


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT there: cannot tell, keep the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: a process of another user has that pid
        return True
    return True


class _ExclusiveSaver(BaseSaveHandler):
    """Writes each checkpoint to a new file of ``dirname`` and never replaces a file it did not write.

    A save writes a temporary file (removed if the write fails), records the file in the run's
    ledger, then hard-links it to its final name, which fails if that name exists: another run's
    file is never replaced, even by a save that started before it appeared. A file this run owns
    (written by it, or restored with :meth:`adopt`) may be replaced, and the files Ignite's
    ``Checkpoint`` asks to remove are removed only after the next write succeeded, so a failed save
    never loses the previous best file.
    """

    def __init__(self, dirname: Path, save_on_rank: int = 0) -> None:
        self.dirname = dirname
        self.save_on_rank = save_on_rank
        self.run_id = uuid.uuid4().hex
        self.written = False  # whether the last save reached its final name (see `begin`)
        self._owned: dict[str, tuple[float, Identity]] = {}  # name -> (priority, identity)
        self._pending: list[str] = []  # asked to be removed by the save in progress
        self._leftovers: list[str] = []  # owned files beyond n_saved after `adopt`

    def _is_writer(self) -> bool:
        return idist.get_rank() == self.save_on_rank

    def _ledger(self) -> Path:
        return self.dirname / f"{_OWN_PREFIX}run-{self.run_id}.json"

    def begin(self) -> None:
        """Start a save (or forget a failed one): nothing written yet, nothing to remove."""
        self.written = False
        self._pending = []

    def remove(self, filename: str) -> None:
        self._pending.append(filename)  # done once the next file is safely on disk

    def __call__(
        self, checkpoint: Mapping[Any, Any], filename: str, metadata: Mapping[Any, Any] | None = None
    ) -> None:
        if not self._is_writer():
            self.written, self._pending = True, []
            return
        priority = -math.inf if metadata is None else float(metadata["priority"])
        path = self.dirname / filename
        replace = self._owns(filename)
        if not replace and os.path.lexists(path):  # fail fast; the link below is the real check
            raise self._exists_error(path)
        temp = self._write_temp(lambda file: torch.save(checkpoint, file))
        previous = self._owned.get(filename)
        try:
            identity = _identity(temp)
            assert identity is not None
            self._owned[filename] = (priority, identity)
            self._write_ledger()  # before the file appears: a crash after it leaves the file owned
            if replace:
                os.replace(temp, path)
            else:
                self._link(temp, path)
        except BaseException:
            if previous is None:
                self._owned.pop(filename, None)
            else:
                self._owned[filename] = previous
            raise
        finally:
            _unlink_temp(temp)
        self.written = True
        to_delete = [name for name in self._pending + self._leftovers if name != filename]
        self._pending, self._leftovers = [], []
        for name in to_delete:
            self._delete(name)

    def _owns(self, name: str) -> bool:
        entry = self._owned.get(name)
        return entry is not None and _identity(self.dirname / name) == entry[1]

    def _exists_error(self, path: Path) -> FileExistsError:
        return FileExistsError(
            f"Checkpoint file {str(path)!r} already exists and was not written by this handler: "
            "refusing to overwrite it. Move it away, or use another `checkpoint_dir` or "
            "`filename_prefix`."
        )

    def _write_temp(self, write: Callable[[Any], object]) -> Path:
        temp = self.dirname / f"{_OWN_PREFIX}{_HOST}-{os.getpid()}-{secrets.token_hex(8)}.tmp"
        _WRITING.add(str(temp))
        try:
            descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
            with os.fdopen(descriptor, "wb") as file:
                write(file)
                file.flush()
                os.fsync(file.fileno())
        except BaseException:
            _unlink_temp(temp)
            raise
        return temp

    def _link(self, temp: Path, path: Path) -> None:
        """Give ``temp``'s content the name ``path``, failing if ``path`` exists."""
        try:
            os.link(temp, path)
            return
        except FileExistsError:
            raise self._exists_error(path) from None
        except FileNotFoundError:
            raise
        except OSError:  # no hard links on this file system: reserve the name, then move onto it
            pass
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            raise self._exists_error(path) from None
        try:
            os.replace(temp, path)
        except BaseException:
            _unlink_temp(path)  # the empty reservation is ours
            raise

    def _write_ledger(self) -> None:
        files = [[priority, name, list(identity)] for name, (priority, identity) in self._owned.items()]
        text = json.dumps({"run_id": self.run_id, "files": files})
        temp = self._write_temp(lambda file: file.write(text.encode()))
        try:
            os.replace(temp, self._ledger())
        finally:
            _unlink_temp(temp)

    def _read_ledger(self) -> list[tuple[float, str, Identity]]:
        try:
            files = json.loads(self._ledger().read_text())["files"]
            return [(float(p), str(name), (int(size), int(mtime))) for p, name, (size, mtime) in files]
        except (OSError, ValueError, KeyError, TypeError):
            return []  # no ledger (or not readable): only the restored files are the run's

    def _delete(self, name: str) -> None:
        if not self._owns(name):  # gone, or replaced by someone else: not ours to delete
            self._owned.pop(name, None)
            return
        try:
            (self.dirname / name).unlink()
        except OSError as error:
            message = f"Could not remove the old checkpoint file {name!r}; it stays on disk: {error}"
            warnings.warn(message, UserWarning, stacklevel=3)
            return
        self._owned.pop(name, None)

    def adopt(
        self, run_id: str | None, restored: list[tuple[float, str]], n_saved: int | None
    ) -> list[tuple[float, str]]:
        """Take over the files of a restored run; return the ``(priority, name)`` list to keep.

        The run's files are those named in ``restored`` (the restored ``Checkpoint`` state) and
        those its ledger lists (written after that state was saved, for instance just before a
        crash), that are still on disk unchanged. The best ``n_saved`` are kept; the others are
        removed after the next successful save.
        """
        candidates: dict[str, tuple[float, Identity | None]] = dict(self._owned)
        if run_id is not None and _RUN_ID.fullmatch(run_id) and run_id != self.run_id:
            if self._is_writer() and self._owned:
                self._ledger().unlink(missing_ok=True)  # its files move to the restored run's ledger
            self.run_id = run_id
            for priority, name, written in self._read_ledger():
                candidates.setdefault(name, (priority, written))
        for priority, name in restored:
            candidates.setdefault(name, (float(priority), None))
        owned: dict[str, tuple[float, Identity]] = {}
        for name, (priority, identity) in candidates.items():
            now = _identity(self.dirname / name)
            if now is not None and identity in (None, now):
                owned[name] = (priority, now)
        ranked = sorted(owned, key=lambda name: owned[name][0])
        keep = ranked if n_saved is None else ranked[-n_saved:]
        self._owned = owned
        self._leftovers = [name for name in ranked if name not in keep]
        if self._is_writer() and owned:
            self._write_ledger()
        return [(owned[name][0], name) for name in keep]

    def remove_stale_temps(self) -> list[str]:
        """Remove the temporary files of saves that died (this host's, of a finished process)."""
        removed = []
        for entry in os.scandir(self.dirname):
            match = _TEMP_NAME.fullmatch(entry.name)
            if match is None or match["host"] != _HOST or entry.path in _WRITING:
                continue
            pid = int(match["pid"])
            if pid == os.getpid() or not _pid_alive(pid):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                removed.append(entry.name)
        return removed


class _BestF1Checkpoint(Checkpoint):
    """Ignite's ``Checkpoint`` over an :class:`_ExclusiveSaver`, whose list of files always names
    files on disk: it is rolled back when a save fails before its file is written (not when a
    handler of ``SAVED_CHECKPOINT`` fails after), and :meth:`load_state_dict` takes over the
    restored run's files, those written after its state was saved included."""

    def __init__(self, to_save: Mapping[str, Any], saver: _ExclusiveSaver, **kwargs: Any) -> None:
        super().__init__(to_save, saver, **kwargs)
        self.saver = saver

    @property
    def last_checkpoint(self) -> Path | None:
        name = super().last_checkpoint  # the file name: the saver is not a DiskSaver
        return None if name is None else self.saver.dirname / name

    def __call__(self, engine: Engine, *args: Any, **kwargs: Any) -> None:
        before = self.state_dict()
        self.saver.begin()
        try:
            super().__call__(engine, *args, **kwargs)
        except BaseException:
            if not self.saver.written:  # the new file is not on disk: keep naming the old ones
                Checkpoint.load_state_dict(self, before)
                self.saver.begin()
            raise

    def state_dict(self) -> OrderedDict[str, Any]:
        state = super().state_dict()
        state["run_id"] = self.saver.run_id
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)  # checks the format
        restored = [(priority, name) for priority, name in state_dict["_saved"]]
        run_id = state_dict.get("run_id")
        kept = self.saver.adopt(run_id if isinstance(run_id, str) else None, restored, self.n_saved)
        Checkpoint.load_state_dict(self, {"_saved": kept})


@dataclass(frozen=True)
class F1Monitoring:
    """The handlers :func:`setup_f1_monitoring` made and attached to the evaluator.

    Attributes:
        score_function: the :func:`score_function` the handlers share.
        early_stopping: Ignite's ``EarlyStopping`` on the F1 score.
        checkpoint: Ignite's ``Checkpoint`` keeping the ``n_saved`` best-F1 files.
        retrain: the :class:`RetrainOnPlateau` handler, or None.
        tensorboard: the ``TensorboardLogger`` writing to ``log_dir``, or None. Close it when done.

    Examples:
        >>> import tempfile
        >>> import torch
        >>> from ignite.engine import Engine
        >>> from ignite_f1.handlers import setup_f1_monitoring
        >>> model = torch.nn.Linear(2, 2)
        >>> trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     monitoring = setup_f1_monitoring(trainer, evaluator, "f1", {"model": model}, tmp)
        >>> type(monitoring.early_stopping).__name__, monitoring.retrain, monitoring.best_checkpoint
        ('EarlyStopping', None, None)
        >>> sorted(monitoring.objects_to_save())
        ['best_checkpoint', 'early_stopping']
    """

    score_function: ScoreFunction
    early_stopping: EarlyStopping
    checkpoint: Checkpoint
    retrain: RetrainOnPlateau | None = None
    tensorboard: Any | None = None

    @property
    def best_checkpoint(self) -> Path | None:
        """The path of the best-F1 file saved so far, or None.

        Examples:
            >>> import tempfile
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1.handlers import setup_f1_monitoring
            >>> trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
            >>> model = torch.nn.Linear(2, 2)
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     monitoring = setup_f1_monitoring(trainer, evaluator, "f1", {"model": model}, tmp)
            ...     evaluator.state.metrics = {"f1": 0.75}  # as after an evaluation, at the trainer's epoch 0
            ...     monitoring.checkpoint(evaluator)  # what the evaluator's Events.COMPLETED runs first
            ...     print(monitoring.best_checkpoint.name, monitoring.best_checkpoint.is_file())
            best_model_0_f1=0.7500.pt True
        """
        last = self.checkpoint.last_checkpoint
        return None if last is None else Path(last)

    def objects_to_save(self) -> dict[str, Any]:
        """The stateful handlers, to add to the ``to_save`` of a checkpoint used to resume training.

        Returns:
            ``{"early_stopping": ..., "best_checkpoint": ..., "retrain": ...}`` (``retrain`` only
            when there is one).

        Examples:
            >>> import tempfile
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1.handlers import setup_f1_monitoring
            >>> trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
            >>> model = torch.nn.Linear(2, 2)
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     monitoring = setup_f1_monitoring(trainer, evaluator, "f1", {"model": model}, tmp,
            ...                                      patience=3, retrain={"patience": 1})
            >>> to_save = {"trainer": trainer, "model": model, **monitoring.objects_to_save()}  # to resume
            >>> sorted(to_save), to_save["retrain"] is monitoring.retrain
            (['best_checkpoint', 'early_stopping', 'model', 'retrain', 'trainer'], True)
        """
        objects: dict[str, Any] = {"early_stopping": self.early_stopping, "best_checkpoint": self.checkpoint}
        if self.retrain is not None:
            objects["retrain"] = self.retrain
        return objects


def _retrain_kwargs(
    retrain: Any, to_save: Mapping[str, Any], patience: int, min_delta: float
) -> dict[str, Any]:
    """The keyword arguments of RetrainOnPlateau from ``setup_f1_monitoring(retrain=...)``."""
    if not isinstance(retrain, Mapping):
        raise TypeError(
            f"Argument `retrain` must be a dict of RetrainOnPlateau arguments or None, got {retrain!r}."
        )
    set_by_setup = [key for key in retrain if key in _RETRAIN_KEYS_SET_BY_SETUP]
    if set_by_setup:
        raise ValueError(
            f"Argument `retrain` must not give {set_by_setup} (setup_f1_monitoring sets them), "
            f"got {dict(retrain)!r}."
        )
    unknown = [key for key in retrain if key not in _RETRAIN_KEYS]
    if unknown:
        raise ValueError(f"Argument `retrain` must only have keys in {list(_RETRAIN_KEYS)}, got {unknown}.")
    if "patience" not in retrain:
        raise ValueError(
            f"Argument `retrain` must give 'patience' (smaller than `patience`={patience}), "
            f"got {dict(retrain)!r}."
        )
    retrain_patience = check_count("retrain['patience']", retrain["patience"], minimum=1)
    if retrain_patience >= patience:
        raise ValueError(
            f"Argument `retrain['patience']` must be smaller than `patience` (the early-stopping patience) "
            f"so that a retrain can happen before training stops, got {retrain_patience} >= {patience}."
        )
    kwargs = dict(retrain)
    kwargs.setdefault("min_delta", min_delta)
    if "to_load" not in kwargs:
        modules = {name: obj for name, obj in to_save.items() if isinstance(obj, torch.nn.Module)}
        if not modules:
            raise ValueError(
                "Argument `retrain` must give 'to_load' when `to_save` holds no torch module, got "
                f"to_save with {sorted(to_save)}."
            )
        kwargs["to_load"] = modules
    if "optimizer" not in kwargs:
        optimizers = [obj for obj in to_save.values() if isinstance(obj, torch.optim.Optimizer)]
        kwargs["optimizer"] = optimizers[0] if len(optimizers) == 1 else None
    return kwargs


def _prepare_checkpoint_dir(checkpoint_dir: Any, require_empty: bool) -> Path:
    if not isinstance(checkpoint_dir, str | os.PathLike):
        raise TypeError(f"Argument `checkpoint_dir` must be a path, got {checkpoint_dir!r}.")
    path = Path(checkpoint_dir).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"Argument `checkpoint_dir` must be a directory, got the file {str(path)!r}.")
    nearest = path.absolute()  # the directory itself, or the closest existing folder above it
    while not nearest.exists() and nearest.parent != nearest:
        nearest = nearest.parent
    if not nearest.is_dir():
        raise ValueError(
            f"Argument `checkpoint_dir` must be a directory or a path where one can be made, got "
            f"{str(path)!r}, inside the file {str(nearest)!r}. Choose another directory."
        )
    if idist.get_rank() == 0 and not os.access(nearest, os.W_OK | os.X_OK):
        made = "" if nearest == path.absolute() else f" (to make it in {str(nearest)!r})"
        raise PermissionError(
            f"Argument `checkpoint_dir` must be a directory this process can write to, got "
            f"{str(path)!r}, where it may not create files{made}. Fix the permissions, or choose "
            "another directory."
        )
    if require_empty and path.is_dir():
        existing = sorted(name for name in os.listdir(path) if name.endswith(".pt"))
        if existing:
            raise ValueError(
                f"Argument `checkpoint_dir` must hold no checkpoint (*.pt) file when require_empty=True, got "
                f"{str(path)!r} holding {existing}. Use a new directory, or pass require_empty=False to "
                "keep them there: files already present are never overwritten nor deleted (unless they "
                "are this run's own, restored with the checkpoint's load_state_dict when resuming)."
            )
    return path


def setup_f1_monitoring(
    trainer: Engine,
    evaluator: Engine,
    metric_name: str,
    to_save: Mapping[str, Any],
    checkpoint_dir: str | os.PathLike[str],
    patience: int = 5,
    n_saved: int | None = 1,
    retrain: Mapping[str, Any] | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    *,
    metric: Metric | None = None,
    tag: str = "validation",
    reduce: str | None = None,
    min_delta: float = 0.0,
    filename_prefix: str = "best",
    require_empty: bool = True,
) -> F1Monitoring:
    """Early stopping, a best-F1 checkpoint and optionally retraining, on the evaluator, in one call.

    Attaches to the evaluator, on ``Events.COMPLETED`` and in this order:

    1. a ``Checkpoint`` of ``to_save`` that keeps the ``n_saved`` best-F1 files, directly in
       ``checkpoint_dir``, named ``{filename_prefix}_{name}_{epoch}_{metric_name}={score:.4f}.pt``
       (``name`` is the key of ``to_save`` when it holds one object, else ``checkpoint``; '/' and
       '\\' in names become '_'). Each file is written whole to a temporary file, then given
       its name only if no file has it (see ``require_empty``); files load with
       ``torch.load(path, weights_only=True)`` and ``Checkpoint.load_objects``;
    2. Ignite's ``EarlyStopping(patience, threshold=min_delta)`` on the F1 score;
    3. with ``retrain``, a :class:`RetrainOnPlateau` restoring from that checkpoint;
    4. with ``log_dir``, TensorBoard logging (see ``log_dir``).

    Nothing is made or attached until every argument is checked.

    Args:
        trainer: the training engine (stopped, retrained, and whose epoch names the files).
        evaluator: the engine that computes the metric ``metric_name`` (not the trainer).
        metric_name: name of the F1 metric on the evaluator.
        to_save: ``{name: object}`` saved in each best-F1 file (objects with ``state_dict``).
        checkpoint_dir: directory of the best-F1 files; created when missing. It must be
            writable (checked here). Besides the best files it holds one small hidden file per
            run, ``.ignite_f1-run-{id}.json``, listing the files the run owns, so that a resumed
            run recognises them: keep it while the run may be resumed.
        patience: evaluations without improvement before early stopping (an integer >= 1).
        n_saved: how many best files to keep (an integer >= 1), or None for all.
        retrain: keyword arguments of :class:`RetrainOnPlateau`, or None for no retraining.
            ``patience`` is required and must be smaller than ``patience``; ``to_load`` defaults
            to the modules of ``to_save``, ``optimizer`` to the single optimizer of ``to_save`` (if
            exactly one), ``min_delta`` to this ``min_delta``; ``score_function``, ``trainer`` and
            ``checkpoint`` are set here.
        log_dir: TensorBoard directory, or None for no TensorBoard logging. With a directory, a
            ``TensorboardLogger`` (the ``tensorboard`` extra) writes at each evaluation, at the
            trainer's epoch: the scalar ``{tag}/{metric_name}`` and the
            :class:`~ignite_f1.tensorboard.F1TensorboardHandler` summary of the metric (per-class
            curves, confusion matrix, report); with ``retrain``, ``retrain/retrain_count`` at each
            retrain. It is flushed when the trainer completes. In a distributed run only the
            process of rank 0 writes (``tensorboard`` is None on the others).
        metric: the F1 metric object attached to the evaluator as ``metric_name``, for the
            TensorBoard summary; by default it is found among the evaluator's handlers.
        tag: the first level of the TensorBoard tags.
        reduce: ``"min"`` or ``"mean"`` for a per-class metric (see :func:`score_function`).
        min_delta: an improvement must exceed the best score by more than this (>= 0).
        filename_prefix: first part of the file names.
        require_empty: refuse a ``checkpoint_dir`` that already holds ``*.pt`` files (default).
            With False those files stay where they are: a file the run does not own is never
            overwritten, even one that appears while a save is in progress (saving over one
            raises ``FileExistsError``), and only the run's own files are ever deleted: those
            this checkpoint handler wrote, or, when resuming, those named in the state given to
            its ``load_state_dict`` or written by the same run after that state was saved.

    Returns:
        An :class:`F1Monitoring` with the handlers made.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: an argument has a wrong value; ``evaluator`` is ``trainer``;
            ``checkpoint_dir`` is a file or inside one, or holds ``*.pt`` files with
            ``require_empty=True``; ``log_dir`` is given and no metric ``metric_name`` is
            attached to the evaluator.
        PermissionError: this process may not create files in ``checkpoint_dir`` (or, when it
            is missing, in the folder where it would be made).
        ModuleNotFoundError: ``log_dir`` is given and what the ``tensorboard`` extra brings
            (tensorboardX, matplotlib, pillow) is not installed.

    Notes:
        Early stopping counts evaluations without a new best F1, retrains included: with
        ``patience=10`` and ``retrain={"patience": 3}``, a plateau triggers a retrain after 3
        evaluations, another after 6 and 9, and training stops after 10 unless the score improves
        (or after ``max_retrains`` retrains and one more plateau). A NaN F1 is never an
        improvement. Nothing is reset when the trainer starts, so a resumed run continues: save
        :meth:`F1Monitoring.objects_to_save` with the trainer, and in the new process call this
        function again with ``require_empty=False`` before loading them (the restored checkpoint
        handler then goes on managing its own files). To run the trainer again from scratch,
        call ``reset()`` on the early stopping, checkpoint and retrain handlers (by hand, do not
        use ``EarlyStopping.attach(evaluator)``: its default resets it at every evaluation). The
        first evaluation is always saved, even with a NaN F1 (any real score replaces it). If a
        save fails, the previous best file stays on disk and remains ``best_checkpoint``, and the
        temporary file is removed; once the new file is on disk it is ``best_checkpoint``, even
        if a handler of ``CheckpointEvents.SAVED_CHECKPOINT`` then raises. Temporary files left
        by a killed process (``.ignite_f1-{host}-{pid}-{token}.tmp``) are removed by the next
        call of this function on that directory.

    Examples:
        >>> import os
        >>> import tempfile
        >>> import torch
        >>> from ignite.engine import Engine, Events
        >>> from ignite.handlers import Checkpoint
        >>> from ignite_f1 import MulticlassF1Score
        >>> from ignite_f1.handlers import setup_f1_monitoring
        >>> _ = torch.manual_seed(0)
        >>> model = torch.nn.Linear(4, 3)
        >>> data = [(torch.randn(16, 4), torch.randint(0, 3, (16,)))]
        >>> trainer = Engine(lambda engine, batch: None)  # a training step that does not learn
        >>> evaluator = Engine(lambda engine, batch: (model(batch[0]), batch[1]))
        >>> MulticlassF1Score(num_classes=3, zero_division=0.0).attach(evaluator, "val/f1")
        >>> _ = trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run(data))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     monitoring = setup_f1_monitoring(trainer, evaluator, "val/f1", {"model": model}, tmp,
        ...                                      patience=2)
        ...     state = trainer.run(data, max_epochs=10)  # F1 never improves: stops after 1 + 2 epochs
        ...     print(state.epoch, sorted(name for name in os.listdir(tmp) if name.endswith(".pt")))
        ...     weights = torch.load(monitoring.best_checkpoint, weights_only=True)
        ...     Checkpoint.load_objects({"model": model}, monitoring.best_checkpoint)
        3 ['best_model_1_val_f1=0.2...pt']
        >>> sorted(weights)
        ['bias', 'weight']
    """
    _check_engine("trainer", trainer)
    _check_engine("evaluator", evaluator)
    if evaluator is trainer:
        raise ValueError(
            "Argument `evaluator` must be the engine that computes the F1 score, not the trainer, "
            "got the trainer itself."
        )
    score = score_function(metric_name, reduce)
    if not isinstance(to_save, Mapping) or not to_save:
        raise TypeError(
            f"Argument `to_save` must be a non-empty mapping of names to objects, got {to_save!r}."
        )
    for key, obj in to_save.items():  # containers are checked inside by Checkpoint
        if not isinstance(obj, Mapping | list | tuple) and not callable(getattr(obj, "state_dict", None)):
            raise TypeError(
                f"Argument `to_save` must map names to objects with a state_dict() method, got "
                f"{key!r}: {type(obj).__name__}."
            )
    check_count("patience", patience, minimum=1)
    if n_saved is not None:
        check_count("n_saved", n_saved, minimum=1)
    min_delta = check_real("min_delta", min_delta, 0)
    if not isinstance(filename_prefix, str):
        raise TypeError(f"Argument `filename_prefix` must be a string, got {filename_prefix!r}.")
    if not isinstance(require_empty, bool):
        raise TypeError(f"Argument `require_empty` must be a bool, got {require_empty!r}.")
    retrain_kwargs = None if retrain is None else _retrain_kwargs(retrain, to_save, patience, min_delta)
    if log_dir is not None:
        if not isinstance(log_dir, str | os.PathLike):
            raise TypeError(f"Argument `log_dir` must be a path or None, got {log_dir!r}.")
        check_tag(tag)
        metric = _attached_metric(evaluator, metric_name) if metric is None else metric
        _check_tensorboard_extra()
    directory = _prepare_checkpoint_dir(checkpoint_dir, require_empty)
    saver = _ExclusiveSaver(directory)

    name = next(iter(to_save)) if len(to_save) == 1 else "checkpoint"
    prefix = _safe_name(filename_prefix)
    pattern = ("{filename_prefix}_" if prefix else "") + _safe_name(name).replace("{", "{{").replace(
        "}", "}}"
    )
    pattern += "_{global_step}_{score_name}={score}.{ext}"
    checkpoint = _BestF1Checkpoint(
        to_save,
        saver,
        filename_prefix=prefix,
        score_function=score,
        score_name=_safe_name(metric_name),
        n_saved=n_saved,
        global_step_transform=global_step_from_engine(trainer),
        filename_pattern=pattern,
    )
    delta: dict[str, Any] = {_EARLY_STOPPING_DELTA: min_delta}
    early_stopping = EarlyStopping(patience=patience, score_function=score, trainer=trainer, **delta)
    retrain_handler = None
    if retrain_kwargs is not None:
        retrain_handler = RetrainOnPlateau(score, trainer=trainer, checkpoint=checkpoint, **retrain_kwargs)

    summary = None if log_dir is None else _f1_summary_handler(metric, tag, trainer)

    # Everything is checked: now make the directories and attach. TensorBoard is written by the
    # first process only, as Ignite recommends (every process computes the same global F1).
    tensorboard = None if log_dir is None or idist.get_rank() != 0 else _tensorboard_logger(log_dir)
    if idist.get_rank() == 0:
        directory.mkdir(parents=True, exist_ok=True)
        saver.remove_stale_temps()
    evaluator.add_event_handler(Events.COMPLETED, checkpoint)
    evaluator.add_event_handler(Events.COMPLETED, early_stopping)
    if retrain_handler is not None:
        retrain_handler.attach(evaluator)
    if tensorboard is not None:
        _attach_tensorboard(tensorboard, summary, trainer, evaluator, metric_name, tag, retrain_handler)
    return F1Monitoring(score, early_stopping, checkpoint, retrain_handler, tensorboard)


def _attached_metric(evaluator: Engine, metric_name: str) -> Metric:
    """The metric attached to ``evaluator`` under ``metric_name`` (Ignite keeps no such registry:
    ``Metric.attach`` adds its ``completed(engine, name)`` method as a handler, found here)."""
    for handlers in evaluator._event_handlers.values():
        for handler, args, _ in handlers:
            owner = getattr(handler, "__self__", None)
            if (
                isinstance(owner, Metric)
                and getattr(handler, "__name__", "") == "completed"
                and args[-1:] == (metric_name,)
            ):
                return owner
    raise ValueError(
        f"Argument `metric_name` must name a metric attached to the evaluator for TensorBoard logging, got "
        f"{metric_name!r}; pass the metric object as `metric=`."
    )


def _check_tensorboard_extra() -> None:
    """Refuse a ``log_dir`` before training when what the ``tensorboard`` extra brings is missing."""
    missing = []
    for module, package in (("matplotlib", "matplotlib"), ("PIL", "pillow")):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    try:  # Ignite's TensorboardLogger writes with tensorboardX, else with torch's writer
        importlib.import_module("tensorboardX")
    except ImportError:
        try:
            importlib.import_module("torch.utils.tensorboard")
        except ImportError:
            missing.append("tensorboardX")
    if missing:
        raise ModuleNotFoundError(
            f"Argument `log_dir` needs {' and '.join(missing)} for TensorBoard logging, got "
            'log_dir with them not installed. Install the extra: pip install "ignite_f1[tensorboard]", '
            "or pass log_dir=None."
        )


def _f1_summary_handler(metric: Any, tag: str, trainer: Engine) -> Any:
    """The F1 summary handler of ``ignite_f1.tensorboard`` (imported here: an optional extra)."""
    from ignite_f1.tensorboard import F1TensorboardHandler

    return F1TensorboardHandler(metric, tag, global_step_transform=global_step_from_engine(trainer))


def _tensorboard_logger(log_dir: str | os.PathLike[str]) -> Any:
    from ignite.handlers import TensorboardLogger

    return TensorboardLogger(log_dir=os.fspath(log_dir))


def _attach_tensorboard(
    logger: Any,
    summary: Any,
    trainer: Engine,
    evaluator: Engine,
    metric_name: str,
    tag: str,
    retrain: RetrainOnPlateau | None,
) -> None:
    """Log the F1 scalar and summary at each evaluation, and the retrains, at the trainer's epoch."""
    step = global_step_from_engine(trainer)
    logger.attach_output_handler(
        evaluator, Events.COMPLETED, tag=tag, metric_names=[metric_name], global_step_transform=step
    )
    logger.attach(evaluator, log_handler=summary, event_name=Events.COMPLETED)
    if retrain is not None:
        logger.attach_output_handler(
            trainer,
            RetrainEvents.RETRAIN_TRIGGERED,
            tag="retrain",
            state_attributes=["retrain_count"],
            global_step_transform=_trainer_epoch,
        )
    trainer.add_event_handler(Events.COMPLETED, lambda: logger.writer.flush())


def _trainer_epoch(engine: Engine, event_name: Any) -> int:
    return engine.state.epoch
