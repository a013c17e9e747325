"""What :class:`F1TensorboardHandler` and :func:`log_f1_summary` write, read through the metric's counts.

See :mod:`ignite_f1.tensorboard` for the tags written.
"""

from __future__ import annotations

import re
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import torch
from ignite.engine import Engine, Events
from ignite.handlers import TensorboardLogger
from ignite.handlers.base_logger import BaseHandler

from ignite_f1 import _curves, _scores, _validation
from ignite_f1.metrics import (
    BinaryFBetaScore,
    MulticlassFBetaScore,
    MultilabelFBetaScore,
)
from ignite_f1.tensorboard._markdown import report_markdown
from ignite_f1.tensorboard.figures import confusion_matrix_image

__all__ = ["F1TensorboardHandler", "log_f1_summary"]

F1Metric = BinaryFBetaScore | MulticlassFBetaScore | MultilabelFBetaScore

_LAYOUT_CATEGORY = "F-scores per class"

# The merged custom-scalars layout of each writer: {category: {title: ["Multiline", [regex]]}}.
_LAYOUTS: weakref.WeakKeyDictionary[Any, dict[str, dict[str, list[Any]]]] = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- names and tags


def _clean_name(name: str) -> str:
    """A class name as one tag level: TensorBoard's cleaning, then ``/`` -> ``_``."""
    return _validation.TAG_CHARACTERS.sub("_", name).replace("/", "_")


def _metric_classes(metric: Any) -> tuple[int, str, list[str] | None]:
    """(number of classes, the name of that number, the metric's own class names) of a core metric."""
    if isinstance(metric, BinaryFBetaScore):
        return 2, "num_classes", None
    if isinstance(metric, MulticlassFBetaScore):
        return metric.num_classes, "num_classes", metric.class_names
    if isinstance(metric, MultilabelFBetaScore):
        return metric.num_labels, "num_labels", metric.class_names
    raise TypeError(
        "Argument `metric` must be a BinaryFBetaScore, MulticlassFBetaScore or MultilabelFBetaScore "
        f"(or their F1 versions), got {type(metric).__name__}."
    )


def _class_names(metric: Any, class_names: Any) -> tuple[list[str], list[str]]:
    """(display names, tag names) of a metric's classes; tag names must be distinct once cleaned."""
    count, count_name, own = _metric_classes(metric)
    names = _validation.check_class_names(class_names, count, count_name)
    if names is None:
        names = own if own is not None else [str(i) for i in range(count)]
    cleaned = [_clean_name(name) for name in names]
    if "" in cleaned:
        raise ValueError(f"Argument `class_names` must not hold an empty name, got {names!r}.")
    first: dict[str, str] = {}
    for name, tag_name in zip(names, cleaned, strict=True):
        if tag_name in first:
            raise ValueError(
                "Argument `class_names` must stay distinct once cleaned for TensorBoard tags (characters "
                f"outside [-\\w.] and '/' become '_'), got {first[tag_name]!r} and {name!r}, "
                f"both {tag_name!r}."
            )
        first[tag_name] = name
    return names, cleaned


def _score_name(beta: float) -> str:
    return "f1" if beta == 1.0 else f"f{beta:g}"


# --------------------------------------------------------------------------- summary writing


def _label_counts(metric: F1Metric, cm: torch.Tensor) -> torch.Tensor:
    """Per-class (tp, predicted positives, actual positives), int64 (3, C)."""
    if isinstance(metric, MultilabelFBetaScore):
        tp = cm[:, 1, 1]
        return torch.stack([tp, cm[:, 0, 1] + tp, cm[:, 1, 0] + tp])
    return torch.stack([cm.diagonal(), cm.sum(0), cm.sum(1)])


def _layout_chart(writer: Any, title: str, regex: str) -> None:
    """Add a chart to the writer's merged custom-scalars layout, and write the layout if it changed."""
    layout = _LAYOUTS.setdefault(writer, {})
    charts = layout.setdefault(_LAYOUT_CATEGORY, {})
    chart = ["Multiline", [regex]]
    if charts.get(title) != chart:
        charts[title] = chart
        writer.add_custom_scalars({category: dict(c) for category, c in layout.items()})


def _writer_of(logger: Any) -> Any:
    if isinstance(logger, TensorboardLogger):
        return logger.writer
    if callable(getattr(logger, "add_scalar", None)):
        return logger
    raise TypeError(
        f"Argument `writer` must be a TensorboardLogger or a SummaryWriter, got {type(logger).__name__}."
    )


class _Summary:
    """What the handler and :func:`log_f1_summary` write, with names checked once."""

    def __init__(
        self,
        metric: Any,
        tag: Any,
        class_names: Any,
        per_class: bool,
        confusion_matrix: bool,
        report: bool,
        pr_curve: bool,
    ) -> None:
        self.names, self.tag_names = _class_names(metric, class_names)
        self.metric: F1Metric = metric
        self.tag = _validation.check_tag(tag)
        self.score = _score_name(metric.beta)
        self.per_class = _validation.check_bool("per_class", per_class)
        self.confusion_matrix = _validation.check_bool("confusion_matrix", confusion_matrix)
        self.report = _validation.check_bool("report", report)
        self.pr_curve = _validation.check_bool("pr_curve", pr_curve)

    def _scored(self) -> list[int]:
        metric = self.metric
        if isinstance(metric, MulticlassFBetaScore) and metric.labels is not None:
            return metric.labels
        return list(range(len(self.names)))

    def write(self, writer: Any, step: int) -> None:
        metric, tag = self.metric, self.tag
        cm = metric.confusion_matrix()
        metric._check_computable(cm[0].sum() if cm.ndim == 3 else cm.sum())
        label_counts = _label_counts(metric, cm)
        scored = self._scored()
        # per-class precision, recall and F-beta by scikit-learn (warnings were given by compute())
        precision, recall, fbeta, _ = _scores._multilabel_prfs(
            label_counts, metric.beta, None, metric.zero_division, ()
        )
        if self.per_class:
            for c in scored:
                name = self.tag_names[c]
                writer.add_scalar(f"{tag}/{self.score}/{name}", float(fbeta[c]), step)
                writer.add_scalar(f"{tag}/precision/{name}", float(precision[c]), step)
                writer.add_scalar(f"{tag}/recall/{name}", float(recall[c]), step)
            _layout_chart(writer, f"{tag}: {self.score} per class", f"^{re.escape(tag)}/{self.score}/[^/]+$")
        if self.confusion_matrix:
            image = confusion_matrix_image(cm, self.names, normalize="true")
            writer.add_image(f"{tag}/confusion_matrix", image, step, dataformats="HWC")
        if self.report:
            writer.add_text(f"{tag}/classification_report", self._report_table(label_counts), step)
        if (
            self.pr_curve
            and not isinstance(metric, MulticlassFBetaScore)
            and metric.num_thresholds is not None
        ):
            self._write_pr_curves(writer, step, metric.num_thresholds)

    def _report_table(self, label_counts: torch.Tensor) -> str:
        metric = self.metric
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # compute() gave the UndefinedMetricWarnings already
            report = metric.report()
        names = [self.names[c] for c in self._scored()]
        fbeta = None
        if metric.beta != 1.0:
            labels = label_counts[:, self._scored()]
            values = _scores._multilabel_prfs(labels, metric.beta, None, metric.zero_division, ())[2]
            keys = list(report)
            fbeta = {keys[i]: float(v) for i, v in enumerate(values)}
            for average in ("micro", "macro", "weighted"):
                if f"{average} avg" in report:
                    value = _scores._multilabel_prfs(labels, metric.beta, average, metric.zero_division, ())
                    fbeta[f"{average} avg"] = float(value[2])
        return report_markdown(report, names, fbeta, self.score)

    def _write_pr_curves(self, writer: Any, step: int, num_thresholds: int) -> None:
        histogram = self.metric._reduced()["_threshold_counts"]
        counts = _curves.pr_curve_counts(histogram)
        curves = _curves.curve(histogram, self.metric.beta)
        parts: list[tuple[str, Any]]
        if histogram.ndim == 2:
            parts = [(f"{self.tag}/pr_curve", ...)]
        else:
            parts = [(f"{self.tag}/pr_curve/{name}", i) for i, name in enumerate(self.tag_names)]
        for pr_tag, index in parts:
            writer.add_pr_curve_raw(
                pr_tag,
                *(counts[key][index].numpy() for key in ("tp", "fp", "tn", "fn")),
                curves["precision"][index].numpy(),
                curves["recall"][index].numpy(),
                step,
                num_thresholds=num_thresholds,
            )


def log_f1_summary(
    writer: Any,
    metric: F1Metric,
    tag: str,
    step: int,
    class_names: Sequence[str] | None = None,
    per_class: bool = True,
    confusion_matrix: bool = True,
    report: bool = True,
    pr_curve: bool = True,
) -> None:
    """Write what :class:`F1TensorboardHandler` writes, to any ``SummaryWriter``, at ``step``.

    For code outside Ignite (a Lightning module, a plain loop): call it after ``metric.compute()``.

    Args:
        writer: a ``tensorboardX.SummaryWriter``, a ``torch.utils.tensorboard.SummaryWriter`` or an
            Ignite ``TensorboardLogger``.
        metric: a binary, multi-class or multilabel F1 / F-beta metric of this package.
        tag: the first level of every tag written (cleaned as TensorBoard cleans tags).
        step: the global step (for example the epoch).
        class_names: names of the classes (2 for a binary metric); default: the metric's
            ``class_names``, else ``0..C-1``.
        per_class: write the per-class scalars and their custom-scalars chart.
        confusion_matrix: write the confusion-matrix image.
        report: write the classification report as a markdown table.
        pr_curve: write the PR curve(s) of a metric built with ``num_thresholds``.

    Raises:
        ValueError: class names that collide once cleaned.
        NotComputableError: the metric has no sample.
        RuntimeError: in a distributed run, a metric not computed since its last update.

    Examples:
        >>> import tempfile, torch
        >>> from tensorboardX import SummaryWriter
        >>> from ignite_f1 import MulticlassF1Score
        >>> from ignite_f1.tensorboard import log_f1_summary
        >>> metric = MulticlassF1Score(num_classes=3, class_names=["cat", "dog", "owl"])
        >>> metric.update((torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 2])))
        >>> round(metric.compute(), 4)
        0.7778
        >>> with tempfile.TemporaryDirectory() as logdir:
        ...     with SummaryWriter(logdir) as writer:
        ...         log_f1_summary(writer, metric, "val", step=1)
    """
    _Summary(metric, tag, class_names, per_class, confusion_matrix, report, pr_curve).write(
        _writer_of(writer), step
    )


class F1TensorboardHandler(BaseHandler):
    """Ignite logger handler: per-class F-scores, confusion-matrix image, report table and PR curves.

    Attach it with ``TensorboardLogger.attach(evaluator, log_handler=..., event_name=Events.COMPLETED)``.
    It reads the counts the metric kept at its last ``compute()`` (Ignite computes attached metrics
    at ``EPOCH_COMPLETED``, before ``COMPLETED``), so in a distributed run it can be attached on one
    process only and never starts a collective call. See :mod:`ignite_f1.tensorboard` for the tags.

    Args:
        metric: a binary, multi-class or multilabel F1 / F-beta metric of this package, attached to
            the engine.
        tag: the first level of every tag, e.g. ``"validation"``.
        class_names: names of the classes (2 for a binary metric); default: the metric's
            ``class_names``, else ``0..C-1``. Cleaned for tags as TensorBoard cleans them, ``/``
            becoming ``_``; names that collide once cleaned are refused.
        global_step_transform: ``(engine, event_name) -> int``; use
            ``global_step_from_engine(trainer)`` on an evaluator so the points land on the
            trainer's epochs. Default: the engine's own counter for the event.
        per_class: write ``{tag}/{f1|fbeta}/{class}``, ``{tag}/precision/{class}``,
            ``{tag}/recall/{class}`` and a custom-scalars chart with every class's F-score.
        confusion_matrix: write the image ``{tag}/confusion_matrix``.
        report: write the text ``{tag}/classification_report``.
        pr_curve: write ``{tag}/pr_curve`` (per label: ``{tag}/pr_curve/{label}``) for a metric built
            with ``num_thresholds``; ignored otherwise.

    Raises:
        TypeError: a metric of another kind, or a non-callable ``global_step_transform``.
        ValueError: class names of the wrong number, repeated, or colliding once cleaned.

    Notes:
        TensorBoard shows only the last custom-scalars layout written to a run, so the handlers that
        share a writer keep one merged layout (category "F-scores per class", one chart per tag)
        and rewrite it whenever a new chart joins. A layout of your own on the same writer would
        replace it.

    Examples:
        >>> import tempfile, torch
        >>> from ignite.engine import Engine, Events
        >>> from ignite.handlers import TensorboardLogger
        >>> from ignite_f1 import BinaryF1Score
        >>> from ignite_f1.tensorboard import F1TensorboardHandler
        >>> evaluator = Engine(lambda engine, batch: batch)
        >>> f1 = BinaryF1Score(from_logits=False, num_thresholds=11)
        >>> f1.attach(evaluator, "f1")
        >>> batches = [(torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1, 0, 0]))]
        >>> with tempfile.TemporaryDirectory() as logdir:
        ...     tb_logger = TensorboardLogger(log_dir=logdir)
        ...     handler = F1TensorboardHandler(f1, "val", class_names=["healthy", "sick"])
        ...     _ = tb_logger.attach(evaluator, log_handler=handler, event_name=Events.COMPLETED)
        ...     state = evaluator.run(batches)
        ...     tb_logger.close()
        >>> state.metrics["f1"], f1.best_threshold()
        (0.666..., (0.7, 1.0))
    """

    def __init__(
        self,
        metric: F1Metric,
        tag: str,
        class_names: Sequence[str] | None = None,
        global_step_transform: Callable[[Engine, str | Events], int] | None = None,
        per_class: bool = True,
        confusion_matrix: bool = True,
        report: bool = True,
        pr_curve: bool = True,
    ) -> None:
        if global_step_transform is not None and not callable(global_step_transform):
            raise TypeError(
                f"Argument `global_step_transform` must be callable or None, got {global_step_transform!r}."
            )
        self._summary = _Summary(metric, tag, class_names, per_class, confusion_matrix, report, pr_curve)
        self.metric = metric
        self.tag = self._summary.tag
        self.class_names = list(self._summary.names)
        self.global_step_transform = global_step_transform

    def __call__(self, engine: Engine, logger: Any, event_name: str | Events) -> None:
        """Write the summary of the metric's last ``compute()`` at the step of ``event_name``.

        ``TensorboardLogger.attach`` makes this call on each ``event_name`` of the engine; call it
        yourself to write one summary now.

        Args:
            engine: the engine the metric is attached to (usually the evaluator).
            logger: an Ignite ``TensorboardLogger`` (or a ``SummaryWriter``) to write to.
            event_name: the event being handled; without ``global_step_transform`` the step is
                the engine's counter for it (the epoch for ``Events.COMPLETED``).

        Raises:
            TypeError: ``logger`` is neither a ``TensorboardLogger`` nor a ``SummaryWriter``, or the
                step is not an integer.
            NotComputableError: the metric has no sample.

        Examples:
            >>> import tempfile, torch
            >>> from ignite.engine import Engine, Events
            >>> from ignite.handlers import TensorboardLogger
            >>> from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            >>> from ignite_f1 import BinaryF1Score
            >>> from ignite_f1.tensorboard import F1TensorboardHandler
            >>> evaluator = Engine(lambda engine, batch: batch)
            >>> f1 = BinaryF1Score(from_logits=False)
            >>> f1.attach(evaluator, "f1")
            >>> _ = evaluator.run([(torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1, 0, 0]))])  # 1 epoch
            >>> with tempfile.TemporaryDirectory() as logdir:
            ...     with TensorboardLogger(log_dir=logdir) as tb_logger:
            ...         F1TensorboardHandler(f1, "val")(evaluator, tb_logger, Events.COMPLETED)
            ...     events = EventAccumulator(logdir).Reload()
            >>> [(event.step, round(event.value, 4)) for event in events.Scalars("val/f1/1")]  # tp 1, fp 1
            [(1, 0.6667)]
            >>> events.Tags()["images"]
            ['val/confusion_matrix']
        """
        writer = _writer_of(logger)
        if self.global_step_transform is None:
            step = engine.state.get_event_attrib_value(event_name)
        else:
            step = self.global_step_transform(engine, event_name)
        if not isinstance(step, int):
            raise TypeError(
                f"global_step must be int, got {type(step)}. "
                "Please check the output of global_step_transform."
            )
        self._summary.write(writer, step)
