"""What :class:`F1TensorboardHandler` and :func:`log_f1_summary` write, read through the metric's counts.

See :mod:`ignite_f1.tensorboard` for the tags written.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch
from ignite.engine import Engine, Events
from ignite.handlers import TensorboardLogger
from ignite.handlers.base_logger import BaseHandler

from ignite_f1 import _bootstrap, _curves, _scores, _validation
from ignite_f1.tensorboard._charts import BAND_CATEGORY, layout_charts, per_class_charts
from ignite_f1.tensorboard._markdown import report_markdown
from ignite_f1.tensorboard._source import (
    F1SummarySource,
    check_band_source,
    check_confidence_level,
    check_outside_classes,
    check_source,
    clean_name,
    image_flag,
    tag_class_names,
)
from ignite_f1.tensorboard.figures import confusion_matrix_image

__all__ = ["F1SummarySource", "F1TensorboardHandler", "log_f1_summary"]

# The bootstrap behind the band: confidence_interval()'s default number of resamples, and a fixed
# seed, so that the same counts always draw the same band (a rerun or a resumed run matches).
BAND_SEED = 0
# --------------------------------------------------------------------------- names and tags


def _score_name(beta: float) -> str:
    """``f1``, ``f2``, ``f0.5``...: the shortest number that is ``beta`` (``f1.0000001``, not ``f1``),
    cleaned as TensorBoard cleans tags (``f1e+06`` -> ``f1e_06``), for the tags, charts and table.

    Examples:
        >>> [_score_name(beta) for beta in (1.0, 2.0, 0.5, 1.0000001, 1e6, 1 / 3)]
        ['f1', 'f2', 'f0.5', 'f1.0000001', 'f1e_06', 'f0.3333333333333333']
    """
    text = f"{beta:g}"  # 6 digits: 1.0000001 would read as 1, so then repr's shortest exact form
    return clean_name(f"f{text if float(text) == beta else repr(float(beta))}")


# --------------------------------------------------------------------------- summary writing


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
        confusion_matrix: bool | None,
        report: bool,
        pr_curve: bool,
        confidence_level: Any = None,
        score_name: Any = None,
    ) -> None:
        self.per_class = _validation.check_bool("per_class", per_class)
        self.confusion_matrix = image_flag(metric, confusion_matrix)
        self.report = _validation.check_bool("report", report)
        self.pr_curve = _validation.check_bool("pr_curve", pr_curve)
        check_source(metric, self.confusion_matrix, self.report)
        self.metric: F1SummarySource = metric
        self.names, self.tag_names = tag_class_names(metric, class_names)
        self.tag = _validation.check_tag(tag)
        self.score = _score_name(metric.beta)
        self.level = check_confidence_level(confidence_level)
        if score_name is not None:
            _validation.check_string("score_name", score_name)
            if self.per_class and self.level is not None:  # the band's scalars, beside the classes'
                check_outside_classes("score_name", score_name, self.score, self.tag_names, band=True)
        if self.level is not None:
            check_band_source(metric, self.level)
        # the averaged score's scalar: written here, or by another handler under `score_name`
        self.write_value = score_name is None
        value = self.score if score_name is None else _validation.TAG_CHARACTERS.sub("_", score_name)
        self.band_tags = (f"{self.tag}/{value}", f"{self.tag}/{value}_ci_low", f"{self.tag}/{value}_ci_high")

    def _prf(self, counts: torch.Tensor, average: str | None) -> tuple[Any, Any, Any]:
        """Precision, recall and F-beta by scikit-learn (compute() gave the warnings already)."""
        return _scores.per_class_prf(counts, self.metric.beta, average, self.metric.zero_division)

    def write(self, writer: Any, step: int) -> None:
        metric, tag = self.metric, self.tag
        counts = metric.per_class_counts()  # NotComputableError before any sample
        scored = metric.scored_classes()
        if self.per_class:
            precision, recall, fbeta = self._prf(counts, None)
            for c in scored:
                name = self.tag_names[c]
                writer.add_scalar(f"{tag}/{self.score}/{name}", float(fbeta[c]), step)
                writer.add_scalar(f"{tag}/precision/{name}", float(precision[c]), step)
                writer.add_scalar(f"{tag}/recall/{name}", float(recall[c]), step)
            logged = [self.names[c] for c in scored], [self.tag_names[c] for c in scored]
            charts = per_class_charts(tag, self.score, *logged)  # no chart of a class never logged
            layout_charts(writer, {title: ["Multiline", [regex]] for title, regex in charts.items()})
        if self.confusion_matrix:
            image = confusion_matrix_image(metric.confusion_matrix(), self.names, normalize="true")
            writer.add_image(f"{tag}/confusion_matrix", image, step, dataformats="HWC")
        if self.report:
            writer.add_text(f"{tag}/classification_report", self._report_table(counts[:, scored]), step)
        histogram = metric.threshold_histogram() if self.pr_curve else None
        if histogram is not None:
            self._write_pr_curves(writer, step, histogram)
        if self.level is not None:
            self._write_band(writer, step, counts, self.level)

    def _averaged_score(self, counts: torch.Tensor) -> float:
        """What ``compute()`` returned, from the kept per-class counts (no collective call)."""
        metric = self.metric
        average = getattr(metric, "average", _bootstrap.BINARY)
        if average == _bootstrap.BINARY:  # the F-beta of class 1
            return float(self._prf(counts, None)[2][1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # compute() gave the UndefinedMetricWarnings already
            score = _scores.multiclass_fbeta(
                counts, metric.beta, average, getattr(metric, "labels", None), metric.zero_division
            )
        return float(score)

    def _write_band(self, writer: Any, step: int, counts: torch.Tensor, level: float) -> None:
        """The averaged score's bootstrap bounds (and the score), and their margin chart."""
        source: Any = self.metric  # confidence_interval() is not part of F1SummarySource
        low, high = source.confidence_interval(level=level, seed=BAND_SEED)
        if not (_validation.is_real(low) and _validation.is_real(high)):
            raise TypeError(
                "The metric's confidence_interval() must give two floats for a band, got "
                f"{type(low).__name__} and {type(high).__name__}."
            )
        value_tag, low_tag, high_tag = self.band_tags
        if self.write_value:
            writer.add_scalar(value_tag, self._averaged_score(counts), step)
        writer.add_scalar(low_tag, float(low), step)
        writer.add_scalar(high_tag, float(high), step)
        title = f"{value_tag} with its {level * 100:g}% bootstrap band"
        layout_charts(writer, {title: ["Margin", list(self.band_tags)]}, BAND_CATEGORY)

    def _report_table(self, scored_counts: torch.Tensor) -> str:
        """The report as markdown, with an F-beta column when beta is not 1: per class and the micro,
        macro and weighted averages (not the samples average, a mean over samples that the per-label
        counts cannot give: its cell is empty)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # compute() gave the UndefinedMetricWarnings already
            report = self.metric.report()
        names = [self.names[c] for c in self.metric.scored_classes()]
        fbeta = None
        if self.metric.beta != 1.0:
            keys = list(report)
            fbeta = {keys[i]: float(v) for i, v in enumerate(self._prf(scored_counts, None)[2])}
            for average in ("micro", "macro", "weighted"):
                if f"{average} avg" in report:
                    fbeta[f"{average} avg"] = float(self._prf(scored_counts, average)[2])
        return report_markdown(report, names, fbeta, self.score)

    def _write_pr_curves(self, writer: Any, step: int, histogram: torch.Tensor) -> None:
        """One PR curve for a (2, T) histogram, one per label for a (2, K, T) one."""
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
                num_thresholds=histogram.shape[-1],
            )


def log_f1_summary(
    writer: Any,
    metric: F1SummarySource,
    tag: str,
    step: int,
    class_names: Sequence[str] | None = None,
    per_class: bool = True,
    confusion_matrix: bool | None = None,
    report: bool = True,
    pr_curve: bool = True,
    *,
    confidence_level: float | None = None,
    score_name: str | None = None,
) -> None:
    """Write what :class:`F1TensorboardHandler` writes, to any ``SummaryWriter``, at ``step``.

    For code outside Ignite (a Lightning module, a plain loop): call it after ``metric.compute()``.

    Args:
        writer: a ``tensorboardX.SummaryWriter``, a ``torch.utils.tensorboard.SummaryWriter`` or an
            Ignite ``TensorboardLogger``.
        metric: a binary, multi-class or multilabel F1 / F-beta metric of this package, or any
            object with the members of :class:`F1SummarySource`.
        tag: the first level of every tag written (cleaned as TensorBoard cleans tags).
        step: the global step (for example the epoch).
        class_names: names of the classes (2 for a binary metric); default: the metric's
            ``class_names``, else ``0..C-1``.
        per_class: write the per-class scalars and their custom-scalars chart.
        confusion_matrix: write the confusion-matrix image: ``None`` (default) when the metric
            keeps a confusion matrix (not for a multi-class metric built with
            ``keep_confusion_matrix=False``, the default above 1024 classes), ``True`` always,
            ``False`` never.
        report: write the classification report as a markdown table.
        pr_curve: write the PR curve(s) of a metric built with ``num_thresholds``.
        confidence_level: None (no band), or a level in (0, 1) such as 0.95: also write the
            bootstrap bounds of the averaged score, ``{tag}/{name}_ci_low`` and
            ``{tag}/{name}_ci_high``, next to the score ``{tag}/{name}`` (``name``: ``f1``,
            ``f2``..., or ``score_name``), and a custom-scalars margin chart of the three. The
            bounds are ``metric.confidence_interval(confidence_level, seed=0)`` (1,000 resamples of
            the kept confusion matrix; the fixed seed draws the same band from the same counts).
            Binary and multi-class metrics with an averaged score only (see Raises).
        score_name: with ``confidence_level``, the name of a scalar ``{tag}/{score_name}`` that
            already holds the averaged score at the same steps (Ignite's ``OutputHandler`` with
            ``metric_names=[score_name]`` and this ``tag``, or your own ``add_scalar``): only the
            bounds are written then, named after it, and the margin chart draws that scalar.
            Default: the score is written here, as ``{tag}/f1`` (``{tag}/f2``...).

    Raises:
        TypeError: a metric without the members of :class:`F1SummarySource`; with
            ``confidence_level``, a metric without ``confidence_interval()`` (multilabel metrics:
            their per-label counts do not hold what the bootstrap resamples).
        ValueError: class names that collide once cleaned; ``confusion_matrix=True`` for a metric
            built with ``keep_confusion_matrix=False``; a ``confidence_level`` outside (0, 1), or
            given for a metric that cannot give the interval of one averaged score: built with
            ``keep_confusion_matrix=False``, ``sample_weight=True``,
            ``multidim_average="samplewise"`` or ``average=None``.
        NotComputableError: the metric has no sample.
        RuntimeError: in a distributed run, a metric not computed since its last update,
            ``reset()`` or ``load_state_dict()``.
        ImportError: matplotlib is missing while the image is drawn (``confusion_matrix`` None or
            True): install the ``tensorboard`` extra, or pass ``confusion_matrix=False``.

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

        With ``confidence_level``, the macro F1 and its 95% bootstrap band (wide: 4 samples):

        >>> from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        >>> with tempfile.TemporaryDirectory() as logdir:
        ...     with SummaryWriter(logdir) as writer:
        ...         log_f1_summary(writer, metric, "val", 1, per_class=False,
        ...                        confidence_level=0.95)
        ...     events = EventAccumulator(logdir).Reload()
        >>> sorted(events.Tags()["scalars"])
        ['val/f1', 'val/f1_ci_high', 'val/f1_ci_low']
        >>> [round(events.Scalars(t)[0].value, 4) for t in sorted(events.Tags()["scalars"])]
        [0.7778, 1.0, 0.33]
        >>> low, high = metric.confidence_interval(0.95, seed=0)  # the bounds written
        >>> round(low, 4), round(high, 4)
        (0.33, 1.0)
    """
    summary = _Summary(
        metric, tag, class_names, per_class, confusion_matrix, report, pr_curve, confidence_level, score_name
    )
    summary.write(_writer_of(writer), step)


class F1TensorboardHandler(BaseHandler):
    """Ignite logger handler: per-class F-scores, confusion-matrix image, report table and PR curves.

    Attach it with ``TensorboardLogger.attach(evaluator, log_handler=..., event_name=Events.COMPLETED)``.
    It reads the metric's counts as :mod:`ignite_f1.tensorboard` describes: in a single process the
    live counts, in a distributed run the sums kept by the last ``compute()`` (so it can be attached
    on one process only and never starts a collective call). Attached at ``COMPLETED``, after
    Ignite's ``compute()`` at ``EPOCH_COMPLETED`` and before any new update, it logs what
    ``compute()`` returned. See :mod:`ignite_f1.tensorboard` for the tags.

    Args:
        metric: a binary, multi-class or multilabel F1 / F-beta metric of this package, attached to
            the engine (or any object with the members of :class:`F1SummarySource`).
        tag: the first level of every tag, e.g. ``"validation"``.
        class_names: names of the classes (2 for a binary metric); default: the metric's
            ``class_names``, else ``0..C-1``. Cleaned for tags as TensorBoard cleans them, ``/``
            becoming ``_``; names that collide once cleaned are refused.
        global_step_transform: ``(engine, event_name) -> int``; use
            ``global_step_from_engine(trainer)`` on an evaluator so the points land on the
            trainer's epochs. Default: the engine's own counter for the event.
        per_class: write ``{tag}/{f1|fbeta}/{class}``, ``{tag}/precision/{class}``,
            ``{tag}/recall/{class}`` of the scored classes and custom-scalars charts of their
            F-scores (one, or from 6 to 20 of them one per group of at most 5, so that each has
            its own marker).
        confusion_matrix: write the image ``{tag}/confusion_matrix``: ``None`` (default) when the
            metric keeps a confusion matrix (not with ``keep_confusion_matrix=False``, the default
            above 1024 classes); ``True`` always (refused for such a metric); ``False`` never.
        report: write the text ``{tag}/classification_report`` (listed by TensorBoard as
            ``{tag}/classification_report/text_summary``).
        pr_curve: write ``{tag}/pr_curve`` (per label: ``{tag}/pr_curve/{label}``) for a metric built
            with ``num_thresholds``; ignored otherwise.
        confidence_level: None (no band), or a level in (0, 1) such as 0.95: also write the
            bootstrap bounds of the averaged score, ``{tag}/{name}_ci_low`` and
            ``{tag}/{name}_ci_high``, next to the score ``{tag}/{name}`` (``name``: ``f1``,
            ``f2``..., or ``score_name``), and a custom-scalars margin chart of the three. The
            bounds are ``metric.confidence_interval(confidence_level, seed=0)`` (1,000 resamples of
            the kept confusion matrix; the fixed seed draws the same band from the same counts).
            Binary and multi-class metrics with an averaged score only (see Raises).
        score_name: with ``confidence_level``, the name of a scalar ``{tag}/{score_name}`` that
            already holds the averaged score at the same steps (Ignite's ``OutputHandler`` with
            ``metric_names=[score_name]`` and this ``tag``, or your own ``add_scalar``): only the
            bounds are written then, named after it, and the margin chart draws that scalar.
            Default: the score is written here, as ``{tag}/f1`` (``{tag}/f2``...).

    Raises:
        TypeError: a metric without the members of :class:`F1SummarySource`, or a non-callable
            ``global_step_transform``; with ``confidence_level``, a metric without
            ``confidence_interval()`` (multilabel metrics: their per-label counts do not hold what
            the bootstrap resamples).
        ValueError: class names of the wrong number, repeated, or colliding once cleaned;
            ``confusion_matrix=True`` for a metric built with ``keep_confusion_matrix=False``; a
            ``confidence_level`` outside (0, 1), or given for a metric that cannot give the interval
            of one averaged score: built with ``keep_confusion_matrix=False``, ``sample_weight=True``,
            ``multidim_average="samplewise"`` or ``average=None`` (``confidence_interval()`` would
            raise at the first write).

    Notes:
        TensorBoard shows only the last custom-scalars layout written to a run, so the handlers that
        share a writer keep one merged layout (category "F-scores per class", the charts of each tag)
        and rewrite it whenever a new chart joins. A layout of your own on the same writer would
        replace it. The margin charts of ``confidence_level`` join that layout, in the category
        "F-score confidence bands", one chart per tag, titled
        ``"{tag}/{name} with its 95% bootstrap band"``. TensorBoard draws a margin chart only when
        the score and its two bounds have the same steps.

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
        metric: F1SummarySource,
        tag: str,
        class_names: Sequence[str] | None = None,
        global_step_transform: Callable[[Engine, str | Events], int] | None = None,
        per_class: bool = True,
        confusion_matrix: bool | None = None,
        report: bool = True,
        pr_curve: bool = True,
        *,
        confidence_level: float | None = None,
        score_name: str | None = None,
    ) -> None:
        if global_step_transform is not None and not callable(global_step_transform):
            raise TypeError(
                f"Argument `global_step_transform` must be callable or None, got {global_step_transform!r}."
            )
        self._summary = _Summary(
            metric,
            tag,
            class_names,
            per_class,
            confusion_matrix,
            report,
            pr_curve,
            confidence_level,
            score_name,
        )
        self.metric = metric
        self.tag = self._summary.tag
        self.class_names = list(self._summary.names)
        self.global_step_transform = global_step_transform

    def __call__(self, engine: Engine, logger: Any, event_name: str | Events) -> None:
        """Write the summary of the metric's counts at the step of ``event_name``.

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
            RuntimeError: in a distributed run, a metric not computed since its last update,
                ``reset()`` or ``load_state_dict()``.

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
