"""One call for the usual set: :func:`setup_f1_monitoring` and the :class:`F1Monitoring` it returns.

It composes the other modules of this package, as Ignite's ``ignite.contrib.engines.common``
composes its ``add_*`` helpers: the best-F1 checkpoint (:mod:`ignite_f1.handlers.checkpoint`),
Ignite's ``EarlyStopping``, optionally :class:`~ignite_f1.handlers.RetrainOnPlateau` and TensorBoard
logging. Every argument is checked before anything is made or attached.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch
from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, EarlyStopping
from ignite.metrics import Metric

from ignite_f1._validation import check_bool, check_count, check_real
from ignite_f1.handlers import _tensorboard
from ignite_f1.handlers._directory import prepare_checkpoint_dir
from ignite_f1.handlers._evaluated import CompletedEvaluation
from ignite_f1.handlers._retrain_checks import check_engine
from ignite_f1.handlers.checkpoint import best_f1_checkpoint
from ignite_f1.handlers.retrain import RetrainOnPlateau
from ignite_f1.handlers.scoring import ScoreFunction, per_class_needs_reduce, score_function
from ignite_f1.metrics import attached_metric

__all__ = ["F1Monitoring", "setup_f1_monitoring"]

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


@dataclass(frozen=True)
class F1Monitoring:
    """The handlers :func:`setup_f1_monitoring` made and attached to the evaluator.

    Attributes:
        score_function: the :func:`score_function` the handlers share.
        early_stopping: Ignite's ``EarlyStopping`` on the F1 score.
        checkpoint: Ignite's ``Checkpoint`` keeping the ``n_saved`` best-F1 files.
        retrain: the :class:`RetrainOnPlateau` handler, or None.
        tensorboard: the ``TensorboardLogger`` writing to ``log_dir``, or None. Close it when done.
        completed: the evaluator's ``Events.COMPLETED`` that the handlers run on, filtered to the
            evaluations whose last epoch completed: attach a handler of your own (or one removed
            and attached again) with it, ``evaluator.add_event_handler(monitoring.completed, ...)``.

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
    completed: Any = Events.COMPLETED

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


def _as_retrain_key(message: str, keys: Mapping[str, Any]) -> str:
    """A message of RetrainOnPlateau's argument checks, with "Argument `key`" written
    "Argument `retrain['key']`" for the keys of ``setup_f1_monitoring(retrain=...)``."""
    return re.sub(
        r"Argument `(\w+)`",
        lambda match: f"Argument `retrain[{match[1]!r}]`" if match[1] in keys else match[0],
        message,
        count=1,
    )


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
    confidence_level: float | None = None,
) -> F1Monitoring:
    """Early stopping, a best-F1 checkpoint and optionally retraining, on the evaluator, in one call.

    Attaches to the evaluator, on ``Events.COMPLETED`` and in this order:

    1. a ``Checkpoint`` of ``to_save`` that keeps the ``n_saved`` best-F1 files, directly in
       ``checkpoint_dir``, named ``{filename_prefix}_{name}_{epoch}_{metric_name}={score:.4f}.pt``
       (``name`` is the key of ``to_save`` when it holds one object, else ``checkpoint``; '/' and
       '\\' in names become '_'; a second file of one epoch with the same name, from another
       evaluation of that epoch, is named ``..._{epoch}-2_...``; of equal scores, the first
       evaluation's file is the best). Each file is written whole to a temporary file, then given
       its name only if no file has it (see ``require_empty``); files load with
       ``torch.load(path, weights_only=True)`` and ``Checkpoint.load_objects``;
    2. Ignite's ``EarlyStopping(patience, threshold=min_delta)`` on the F1 score;
    3. with ``retrain``, a :class:`RetrainOnPlateau` restoring from that checkpoint;
    4. with ``log_dir``, TensorBoard logging (see ``log_dir``).

    An evaluation whose last epoch did not complete (the evaluator stopped by ``terminate()`` during
    it, or by ``max_iters``; its ``state.metrics`` still hold an earlier score) is skipped by all
    four, with a warning: no file, no count, no TensorBoard step (``F1Monitoring.completed``).
    Nothing is made or attached until every argument is checked.

    Args:
        trainer: the training engine (stopped, retrained, and whose epoch names the files).
        evaluator: the engine that computes the metric ``metric_name`` (not the trainer).
        metric_name: name of the F1 metric on the evaluator.
        to_save: ``{name: object}`` saved in each best-F1 file (objects with ``state_dict``).
        checkpoint_dir: directory of the best-F1 files; created when missing. It must be
            writable (checked here). Besides the best files it holds one small hidden file per
            run (a resumed run writes its own), ``.ignite_f1-run-{id}.json``, listing the files
            the run owned at its last save (a file it removed after that stays listed until the
            next save; a resumed run takes only listed files still on disk unchanged) and the run
            it continues, so that a resumed run recognises them: keep them while the run may be
            resumed.
        patience: evaluations without improvement before early stopping (an integer >= 1).
        n_saved: how many best files to keep (an integer >= 1), or None for all.
        retrain: keyword arguments of :class:`RetrainOnPlateau`, or None for no retraining.
            ``patience`` is required and must be smaller than ``patience``; ``to_load`` defaults
            to the modules of ``to_save``, ``optimizer`` to the single optimizer of ``to_save`` (if
            exactly one), ``min_delta`` to this ``min_delta``; ``score_function``, ``trainer`` and
            ``checkpoint`` are set here.
        log_dir: TensorBoard directory, or None for no TensorBoard logging. With a directory, a
            ``TensorboardLogger`` (the ``tensorboard`` extra) writes at each evaluation, at the
            trainer's epoch: the scalar ``{tag}/{metric_name}`` (of an averaged score; per-class
            scores are the summary's curves) and the
            :class:`~ignite_f1.tensorboard.F1TensorboardHandler` summary of the metric (per-class
            curves and report when it scores at most 1024 classes, confusion matrix when it keeps
            one, so any number of classes works); each time the best-F1 checkpoint saves a new best,
            the confusion matrix and report again under ``{tag}/best`` (TensorBoard shows 10
            images and texts per tag by default, so the best epoch's would often be dropped: there
            the last one is the best); with ``retrain``, ``retrain/retrain_count`` at each
            retrain. It is flushed when the trainer completes. In a distributed run only the
            process of rank 0 writes (``tensorboard`` is None on the others). Its event file has a
            name of its own, so a logger of yours on ``log_dir`` keeps its events (but one
            custom-scalars layout there replaces the other: log more through this one). The logger is
            returned as :attr:`F1Monitoring.tensorboard`, to log more (Ignite's
            ``attach_output_handler``) and to close when done.
        metric: the F1 metric object attached to the evaluator as ``metric_name``, for the
            TensorBoard summary; by default it is found among the evaluator's handlers.
        tag: the first level of the TensorBoard tags.
        reduce: ``"min"`` or ``"mean"`` for a per-class metric (see :func:`score_function`). When
            the metric ``metric_name`` on the evaluator is an ignite_f1 metric, it is checked here:
            required with ``average=None``, refused (it would be ignored) with an averaged one.
        min_delta: an improvement must exceed the best score by more than this (>= 0).
        filename_prefix: first part of the file names (each name must fit in 255 bytes).
        confidence_level: with ``log_dir``, None (no band) or a level in (0, 1) such as 0.95: the
            TensorBoard summary also writes the bootstrap bounds of the F1,
            ``{tag}/{metric_name}_ci_low`` and ``{tag}/{metric_name}_ci_high`` (those of
            ``metric.confidence_interval(confidence_level, seed=0)``), at the steps of
            ``{tag}/{metric_name}``, and a custom-scalars margin chart of the score with its band
            (see :class:`~ignite_f1.tensorboard.F1TensorboardHandler`). Binary and multi-class
            metrics with an averaged score only. It changes nothing else: early stopping and the
            checkpoint still compare the F1 itself.
        require_empty: refuse a ``checkpoint_dir`` that already holds ``*.pt`` files (default).
            With False those files stay where they are: a file the run does not own is never
            overwritten, even one that appears while a save is in progress (a save under its
            name takes the next one, ``..._{epoch}-2_...``, with a warning), and only the run's
            own files are ever deleted: those this checkpoint handler wrote, or, when resuming,
            the files named in the state given to its ``load_state_dict`` (those very files: one
            written since under such a name by another run is not taken) and those written after
            that state was saved by the run that saved it or by runs resumed from it (not by
            another run resumed from the same state: two runs resumed from one state keep apart).

    Returns:
        An :class:`F1Monitoring` with the handlers made.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: an argument has a wrong value; ``evaluator`` is ``trainer``;
            ``checkpoint_dir`` is a file or inside one, or holds ``*.pt`` files with
            ``require_empty=True``; ``reduce`` is None for a per-class ignite_f1 metric, or given
            for an averaged one; ``log_dir`` is given and no metric ``metric_name`` is
            attached to the evaluator; ``confidence_level`` is given without ``log_dir``, is
            outside (0, 1), or is given for a metric that has no interval of one averaged
            score (multilabel, ``keep_confusion_matrix=False``, ``average=None``: a
            ``TypeError`` for multilabel).
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
        3 ['best_model_1_val_f1=0.2963.pt']
        >>> sorted(weights)
        ['bias', 'weight']

        With ``log_dir`` and ``confidence_level``, TensorBoard gets the F1 of each evaluation with
        its 95% bootstrap band (and the per-class curves, the confusion matrix, the report):

        >>> from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        >>> trainer = Engine(lambda engine, batch: None)
        >>> evaluator = Engine(lambda engine, batch: (model(batch[0]), batch[1]))
        >>> MulticlassF1Score(num_classes=3, zero_division=0.0).attach(evaluator, "f1")
        >>> _ = trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run(data))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     monitoring = setup_f1_monitoring(
        ...         trainer, evaluator, "f1", {"model": model}, f"{tmp}/best",
        ...         log_dir=f"{tmp}/tb", confidence_level=0.95)
        ...     _ = trainer.run(data, max_epochs=2)
        ...     monitoring.tensorboard.close()
        ...     tags = EventAccumulator(f"{tmp}/tb").Reload().Tags()["scalars"]
        >>> sorted(tag for tag in tags if tag.startswith("validation/f1") and tag.count("/") == 1)
        ['validation/f1', 'validation/f1_ci_high', 'validation/f1_ci_low']
    """
    _check_setup_arguments(trainer, evaluator, to_save, patience, n_saved, filename_prefix, require_empty)
    score = score_function(metric_name, reduce)
    _check_metric(trainer, evaluator, metric_name, reduce)
    min_delta = check_real("min_delta", min_delta, 0)
    retrain_kwargs = None if retrain is None else _retrain_kwargs(retrain, to_save, patience, min_delta)
    if log_dir is None and confidence_level is not None:
        raise ValueError(
            "Argument `confidence_level` must be None without `log_dir` (the band is drawn in "
            f"TensorBoard; call metric.confidence_interval() for the bounds), got {confidence_level!r}."
        )
    if log_dir is not None:
        metric = _tensorboard.check_log_dir(log_dir, tag, evaluator, metric_name, metric)
    directory = prepare_checkpoint_dir(checkpoint_dir, require_empty)

    checkpoint = best_f1_checkpoint(to_save, directory, score, metric_name, trainer, n_saved, filename_prefix)
    # Positionally: the 4th parameter is `min_delta` on Ignite 0.5.4, `threshold` (same meaning) from 0.5.5.
    early_stopping = EarlyStopping(patience, score, trainer, min_delta)
    retrain_handler = None
    if retrain_kwargs is not None:
        try:
            retrain_handler = RetrainOnPlateau(
                score, trainer=trainer, checkpoint=checkpoint, **retrain_kwargs
            )
        except (TypeError, ValueError) as error:  # name the argument as the caller wrote it
            raise type(error)(_as_retrain_key(str(error), retrain_kwargs)) from error
    summaries = None
    if log_dir is not None:
        summaries = _tensorboard.f1_summary_handlers(metric, tag, trainer, metric_name, confidence_level)

    # Everything is checked: now make the directories and attach. TensorBoard is written by the
    # first process only, as Ignite recommends (every process computes the same global F1).
    tensorboard = None
    if log_dir is not None and idist.get_rank() == 0:
        tensorboard = _tensorboard.tensorboard_logger(log_dir)
    if idist.get_rank() == 0:
        directory.mkdir(parents=True, exist_ok=True)
        checkpoint.saver.remove_stale_temps()
    # an evaluation stopped by terminate() during its epoch computed no score: every handler skips it
    completed = Events.COMPLETED(event_filter=CompletedEvaluation(evaluator, metric_name))
    evaluator.add_event_handler(completed, checkpoint)
    evaluator.add_event_handler(completed, early_stopping)
    if retrain_handler is not None:
        retrain_handler.attach(evaluator, completed)
    if tensorboard is not None and summaries is not None:
        per_class = getattr(metric, "average", "binary") is None  # the summary writes its curves
        _tensorboard.attach_tensorboard(
            tensorboard,
            summaries,
            trainer,
            evaluator,
            metric_name,
            tag,
            checkpoint,
            retrain_handler,
            per_class,
            completed,
        )
    return F1Monitoring(score, early_stopping, checkpoint, retrain_handler, tensorboard, completed)


def _check_metric(trainer: Engine, evaluator: Engine, metric_name: str, reduce: str | None) -> None:
    """Refuse engines given in the wrong order; for an ignite_f1 metric found on the evaluator, refuse
    now the ``reduce`` that the score function would refuse (or ignore) at each evaluation."""
    metric = attached_metric(evaluator, metric_name)
    if metric is None and attached_metric(trainer, metric_name) is not None:
        raise ValueError(  # the handlers would act at the trainer's end only: no stop, no checkpoint
            f"Argument `evaluator` must be the engine that computes the F1 score: the metric {metric_name!r} "
            "is attached to `trainer`, not to `evaluator`, got them in the wrong order? The call is "
            "setup_f1_monitoring(trainer, evaluator, metric_name, ...)."
        )
    if metric is None:  # a metric of another library: the score function checks each result
        return
    average = getattr(metric, "average", "binary")  # the binary metrics give one score
    kind = type(metric).__name__ + ("" if average == "binary" else f" with average={average!r}")
    if average is None and reduce is None:
        raise ValueError(per_class_needs_reduce(metric_name, kind))
    if average is not None and reduce is not None:
        raise ValueError(
            f"Argument `reduce` must be None when metric {metric_name!r} is one averaged score "
            f"({kind}), got {reduce!r}: it reduces per-class scores (average=None) only, and would "
            "be ignored. Leave it out, or attach the metric with average=None."
        )


def _check_setup_arguments(
    trainer: Any,
    evaluator: Any,
    to_save: Any,
    patience: Any,
    n_saved: Any,
    filename_prefix: Any,
    require_empty: Any,
) -> None:
    """The checks of ``setup_f1_monitoring``'s engines, ``to_save`` and plain arguments."""
    check_engine("trainer", trainer)
    check_engine("evaluator", evaluator)
    if evaluator is trainer:
        raise ValueError(
            "Argument `evaluator` must be the engine that computes the F1 score, not the trainer, "
            "got the trainer itself."
        )
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
    if not isinstance(filename_prefix, str):
        raise TypeError(f"Argument `filename_prefix` must be a string, got {filename_prefix!r}.")
    check_bool("require_empty", require_empty)
