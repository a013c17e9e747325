"""TensorBoard wiring of :func:`~ignite_f1.handlers.setup_f1_monitoring` (the ``tensorboard`` extra).

Checks what ``log_dir`` needs before anything is made, then logs the F1 scalar, the
:class:`~ignite_f1.tensorboard.F1TensorboardHandler` summary and the retrains through Ignite's
public ``TensorboardLogger``. ``ignite_f1.tensorboard`` is imported only when used.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from ignite.engine import Engine, Events
from ignite.handlers import global_step_from_engine
from ignite.metrics import Metric

from ignite_f1._validation import check_tag
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
    if metric is None:
        metric = attached_metric(evaluator, metric_name)
    if metric is None:
        raise ValueError(
            f"Argument `metric_name` must name a metric attached to the evaluator for TensorBoard logging, "
            f"got {metric_name!r}; pass the metric object as `metric=`."
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
            'log_dir with them not installed. Install the extra: pip install "ignite_f1[tensorboard]", '
            "or pass log_dir=None."
        )


def f1_summary_handler(metric: Any, tag: str, trainer: Engine) -> Any:
    """The F1 summary handler of ``ignite_f1.tensorboard`` (imported here: an optional extra)."""
    from ignite_f1.tensorboard import F1TensorboardHandler

    return F1TensorboardHandler(metric, tag, global_step_transform=global_step_from_engine(trainer))


def tensorboard_logger(log_dir: str | os.PathLike[str]) -> Any:
    from ignite.handlers import TensorboardLogger

    return TensorboardLogger(log_dir=os.fspath(log_dir))


def attach_tensorboard(
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
