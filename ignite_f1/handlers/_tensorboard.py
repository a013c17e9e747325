"""TensorBoard wiring of :func:`~ignite_f1.handlers.setup_f1_monitoring` (the ``tensorboard`` extra).

Checks what ``log_dir`` needs before anything is made, then logs the F1 scalar, the
:class:`~ignite_f1.tensorboard.F1TensorboardHandler` summary, the image and report of the best
evaluation so far under ``{tag}/best`` and the retrains through Ignite's public
``TensorboardLogger``. ``ignite_f1.tensorboard`` is imported only when used.
"""

from __future__ import annotations

import importlib
import os
import uuid
from typing import Any

from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, global_step_from_engine
from ignite.metrics import Metric

from ignite_f1._validation import TAG_CHARACTERS, check_tag
from ignite_f1.handlers.retrain import RetrainEvents, RetrainOnPlateau
from ignite_f1.metrics import attached_metric


def check_log_dir(
    log_dir: Any, tag: Any, evaluator: Engine, metric_name: str, metric: Metric | None
) -> Metric:
    """Check the TensorBoard arguments of ``setup_f1_monitoring``; return the metric to summarise.

    The metric is ``metric``, or else the ignite_f1 metric attached to ``evaluator`` as ``metric_name``.
    """
    if not isinstance(log_dir, str | os.PathLike):
        raise TypeError(f"Argument `log_dir` must be a path or None, got {log_dir!r}.")
    check_tag(tag)
    attached = attached_metric(evaluator, metric_name)
    # an Ignite metric given must be the one attached as `metric_name`, or else attached to `evaluator`
    if (
        isinstance(metric, Metric)
        and metric is not attached
        and (attached is not None or not metric.is_attached(evaluator))
    ):
        raise ValueError(
            "Argument `metric` must be the metric attached to `evaluator` as `metric_name` (the "
            f"summary logs its counts beside the score {metric_name!r}), got a "
            f"{type(metric).__name__} that is not attached to `evaluator`"
            + ("" if attached is None else f" as {metric_name!r}, where another metric is")
            + ": pass the evaluator's own metric, or leave `metric` out to use it."
        )
    if metric is None:
        metric = attached
    if metric is None:
        raise ValueError(
            f"Argument `metric_name` must name an ignite_f1 metric attached to the evaluator for TensorBoard "
            f"logging (its F1 summary reads the metric's counts), got {metric_name!r}: attach an ignite_f1 "
            "metric under that name before this call, or pass the metric object as `metric=`."
        )
    _check_tensorboard_extra()
    return metric


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
            'log_dir with them not installed. Install the extra: pip install -e ".[tensorboard]" in the '
            "clone of the repository (see the installation page), "
            "or pass log_dir=None."
        )


def f1_summary_handlers(
    metric: Any, tag: str, trainer: Engine, metric_name: str, confidence_level: Any = None
) -> tuple[Any, Any]:
    """The F1 summary handler of ``ignite_f1.tensorboard`` (imported here: an optional extra), and
    the one that writes the image and report of a new best evaluation under ``{tag}/best``.

    With ``confidence_level``, the summary writes the bounds ``{tag}/{metric_name}_ci_low`` and
    ``_ci_high`` next to the scalar ``{tag}/{metric_name}`` that Ignite's ``OutputHandler`` writes
    (see :func:`attach_tensorboard`), at the same steps, and their margin chart. Building the
    handlers checks, before anything is made, that the metric can give that interval (not with
    ``sample_weight=True``, ``multidim_average="samplewise"``, ``keep_confusion_matrix=False``,
    ``average=None`` or a multilabel metric), and that ``{tag}/{metric_name}`` is not the tag of a
    class's score (``"f1/macro"`` beside a class named "macro"). Both draw the confusion matrix
    only when the metric keeps one (not with ``keep_confusion_matrix=False``, the default above
    1024 classes), and write the per-class scalars and the report only up to 1024 scored classes,
    so ``log_dir`` works with any number of classes.
    """
    from ignite_f1.tensorboard import F1TensorboardHandler
    from ignite_f1.tensorboard._source import (
        check_outside_classes,
        check_source,
        per_class_kinds,
        tag_class_names,
    )
    from ignite_f1.tensorboard._writing import _score_name

    step = global_step_from_engine(trainer)
    band: dict[str, Any] = {}
    if confidence_level is not None:
        # the band is drawn around the OutputHandler's scalar, which this package's writer
        # (tensorboardX) cleans: the band names it cleaned the same way
        band = {"confidence_level": confidence_level, "score_name": TAG_CHARACTERS.sub("_", metric_name)}
    # first the protocol: an Ignite metric answers any name with a MetricsLambda factory, and
    # listing its "class names" below would never end
    check_source(metric, confusion_matrix=False, report=False)
    if getattr(metric, "average", "binary") is not None:  # OutputHandler writes {tag}/{metric_name}
        tag_names = tag_class_names(metric, None)[1]
        kinds = per_class_kinds(metric, _score_name(metric.beta))
        check_outside_classes("metric_name", metric_name, kinds, tag_names, confidence_level is not None)
    every = F1TensorboardHandler(metric, check_tag(tag), global_step_transform=step, **band)
    best = F1TensorboardHandler(
        metric, f"{tag}/best", global_step_transform=step, per_class=False, pr_curve=False
    )
    return every, best


class _BestSummary:
    """Writes the best-F1 summary when the best-F1 checkpoint holds a new file.

    TensorBoard keeps 10 images and 10 texts per tag by default (``--samples_per_plugin``), so the
    best epoch's confusion matrix is usually not among those shown; under ``{tag}/best`` the last
    one written is always the best. "New best" is what the checkpoint saved as its best file, so the
    picture is that of the weights in ``best_checkpoint``.
    """

    def __init__(self, handler: Any, logger: Any, checkpoint: Checkpoint) -> None:
        self.handler, self.logger, self.checkpoint = handler, logger, checkpoint
        self.seen = checkpoint.last_checkpoint

    def remember(self) -> None:
        """At the trainer's start: a resumed run's restored best is not new."""
        self.seen = self.checkpoint.last_checkpoint

    def __call__(self, evaluator: Engine) -> None:
        best = self.checkpoint.last_checkpoint
        if best is not None and best != self.seen:
            self.seen = best
            self.handler(evaluator, self.logger, Events.COMPLETED)


def tensorboard_logger(log_dir: str | os.PathLike[str]) -> Any:
    """A ``TensorboardLogger`` on ``log_dir`` whose event file is this writer's alone.

    tensorboardX names an event file ``events.out.tfevents.{seconds}.{hostname}``: two writers
    opened on one directory in the same second (the user's own ``TensorboardLogger`` and this one)
    would share one file and one would lose its events. The suffix (process id and random hex;
    ``TensorboardLogger`` hands it to the ``SummaryWriter``) keeps the names apart.
    """
    from ignite.handlers import TensorboardLogger

    suffix = f".{os.getpid()}.{uuid.uuid4().hex[:8]}"
    return TensorboardLogger(log_dir=os.fspath(log_dir), filename_suffix=suffix)


def attach_tensorboard(
    logger: Any,
    summaries: tuple[Any, Any],
    trainer: Engine,
    evaluator: Engine,
    metric_name: str,
    tag: str,
    checkpoint: Checkpoint,
    retrain: RetrainOnPlateau | None,
    per_class: bool,
    completed: Any = Events.COMPLETED,
) -> None:
    """Log the F1 scalar (unless ``per_class``) and summary at each evaluation, the best summary at
    each new best-F1 checkpoint, and the retrains, at the trainer's epoch.

    Per-class scores are not given to Ignite's ``OutputHandler``: it writes them by position,
    ``{tag}/{metric_name}/{i}``, where the summary writes each class's curve under its name (with
    ``labels`` the i-th score is not class i's, and with ``metric_name`` "f1" the tags are the same).
    """
    step = global_step_from_engine(trainer)
    if not per_class:
        logger.attach_output_handler(
            evaluator, completed, tag=tag, metric_names=[metric_name], global_step_transform=step
        )
    every, best = summaries
    logger.attach(evaluator, log_handler=every, event_name=completed)
    best_summary = _BestSummary(best, logger, checkpoint)
    trainer.add_event_handler(Events.STARTED, best_summary.remember)
    evaluator.add_event_handler(completed, best_summary)
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
