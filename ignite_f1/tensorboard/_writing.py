"""The summary of one metric at one step: everything that can fail is computed first, then written.

:class:`~ignite_f1.tensorboard.F1TensorboardHandler` and :func:`~ignite_f1.tensorboard.log_f1_summary`
write through it; see :mod:`ignite_f1.tensorboard` for the tags.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from ignite.handlers import TensorboardLogger

from ignite_f1 import _bootstrap, _curves, _scores, _validation
from ignite_f1.tensorboard._charts import BAND_CATEGORY, layout_charts, per_class_charts
from ignite_f1.tensorboard._markdown import report_markdown
from ignite_f1.tensorboard._source import (
    F1SummarySource,
    check_band_source,
    check_confidence_level,
    check_outside_classes,
    check_source,
    check_unchanged,
    class_count_flag,
    clean_name,
    image_flag,
    image_means,
    per_class_kinds,
    tag_class_names,
)
from ignite_f1.tensorboard.figures import confusion_matrix_image

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
        per_class: bool | None,
        confusion_matrix: bool | None,
        report: bool | None,
        pr_curve: bool,
        confidence_level: Any = None,
        score_name: Any = None,
    ) -> None:
        self.confusion_matrix = image_flag(metric, confusion_matrix)
        self.pr_curve = _validation.check_bool("pr_curve", pr_curve)
        check_source(metric, self.confusion_matrix, report is not False)
        self.per_class = class_count_flag(metric, "per_class", per_class)
        self.report = class_count_flag(metric, "report", report)
        self.metric: F1SummarySource = metric
        self.names, self.tag_names = tag_class_names(metric, class_names)
        self.tag = _validation.check_tag(tag)
        self.score = _score_name(metric.beta)
        self.kinds = per_class_kinds(metric, self.score)  # (f1, precision, recall), pooled_... too
        self.image_means = image_means(metric)
        self.level = check_confidence_level(confidence_level)
        if score_name is not None:
            _validation.check_string("score_name", score_name)
            if self.level is None:
                raise ValueError(
                    "Argument `score_name` names the scalar that the band of `confidence_level` is "
                    f"drawn around: it needs a confidence_level, got score_name={score_name!r} without one."
                )
            check_unchanged("tag", tag)
            check_unchanged("score_name", score_name)
            if self.per_class and self.level is not None:  # the band's scalars, beside the classes'
                check_outside_classes("score_name", score_name, self.kinds, self.tag_names, band=True)
        if self.level is not None:
            check_band_source(metric, self.level)
        # the averaged score's scalar: written here, or by another handler under `score_name`
        self.write_value = score_name is None
        value = self.score if score_name is None else score_name
        self.band_tags = (f"{self.tag}/{value}", f"{self.tag}/{value}_ci_low", f"{self.tag}/{value}_ci_high")

    def _prf(self, counts: torch.Tensor, average: str | None) -> tuple[Any, Any, Any]:
        """Precision, recall and F-beta by scikit-learn (compute() gave the warnings already)."""
        return _scores.per_class_prf(counts, self.metric.beta, average, self.metric.zero_division)

    def write(self, writer: Any, step: int) -> None:
        """Compute all that can fail (scores, interval, image, table, curves), then write the step."""
        metric, tag = self.metric, self.tag
        counts = metric.per_class_counts()  # NotComputableError before any sample
        scored = metric.scored_classes()
        scalars = self._per_class_scalars(counts, scored) if self.per_class else []
        image = None
        if self.confusion_matrix:
            image = confusion_matrix_image(metric.confusion_matrix(), self.names, normalize="true")
        table = self._report_table(counts[:, scored]) if self.report else None
        histogram = metric.threshold_histogram() if self.pr_curve else None
        curves = [] if histogram is None else self._pr_curves(histogram)
        thresholds = 0 if histogram is None else histogram.shape[-1]
        band = [] if self.level is None else self._band(counts, self.level)
        # nothing below reads the metric: a step is written whole, or not at all
        for scalar_tag, value in scalars:
            writer.add_scalar(scalar_tag, value, step)
        if self.per_class:
            logged = [self.names[c] for c in scored], [self.tag_names[c] for c in scored]
            charts = per_class_charts(tag, self.kinds[-3], *logged)  # no chart of a class never logged
            layout_charts(writer, {title: ["Multiline", [regex]] for title, regex in charts.items()})
        if image is not None:
            writer.add_image(f"{tag}/confusion_matrix", image, step, dataformats="HWC")
        if table is not None:
            writer.add_text(f"{tag}/classification_report", table, step)
        for pr_tag, arrays in curves:
            writer.add_pr_curve_raw(pr_tag, *arrays, step, num_thresholds=thresholds)
        for scalar_tag, value in band:
            writer.add_scalar(scalar_tag, value, step)
        if self.level is not None:
            title = f"{self.band_tags[0]} with its {self.level * 100:g}% bootstrap band"
            layout_charts(writer, {title: ["Margin", list(self.band_tags)]}, BAND_CATEGORY)

    def _per_class_scalars(self, counts: torch.Tensor, scored: list[int]) -> list[tuple[str, float]]:
        """``(tag, value)`` of each scored class: its F-beta, precision and recall from the counts
        (pooled over the images of a samplewise metric), and first, for a samplewise metric with
        ``average=None``, its mean per-image score as ``compute()`` gives it."""
        precision, recall, fbeta = self._prf(counts, None)
        means = self.metric.samplewise_scores() if self.image_means else None  # type: ignore[attr-defined]
        score, precision_kind, recall_kind = self.kinds[-3:]
        scalars = []
        for i, c in enumerate(scored):
            name = self.tag_names[c]
            if means is not None:
                scalars.append((f"{self.tag}/{self.kinds[0]}/{name}", float(means[i])))
            scalars.append((f"{self.tag}/{score}/{name}", float(fbeta[c])))
            scalars.append((f"{self.tag}/{precision_kind}/{name}", float(precision[c])))
            scalars.append((f"{self.tag}/{recall_kind}/{name}", float(recall[c])))
        return scalars

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

    def _band(self, counts: torch.Tensor, level: float) -> list[tuple[str, float]]:
        """``(tag, value)`` of the averaged score's bootstrap bounds (and of the score)."""
        source: Any = self.metric  # confidence_interval() is not part of F1SummarySource
        low, high = source.confidence_interval(level=level, seed=BAND_SEED)
        if not (_validation.is_real(low) and _validation.is_real(high)):
            raise TypeError(
                "The metric's confidence_interval() must give two floats for a band, got "
                f"{type(low).__name__} and {type(high).__name__}."
            )
        value_tag, low_tag, high_tag = self.band_tags
        value = [(value_tag, self._averaged_score(counts))] if self.write_value else []
        return [*value, (low_tag, float(low)), (high_tag, float(high))]

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

    def _pr_curves(self, histogram: torch.Tensor) -> list[tuple[str, list[Any]]]:
        """``(tag, [tp, fp, tn, fn, precision, recall])`` of one PR curve for a (2, T) histogram, of
        one per label for a (2, K, T) one."""
        counts = _curves.pr_curve_counts(histogram)
        curves = _curves.curve(histogram, self.metric.beta)
        parts: list[tuple[str, Any]]
        if histogram.ndim == 2:
            parts = [(f"{self.tag}/pr_curve", ...)]
        else:
            parts = [(f"{self.tag}/pr_curve/{name}", i) for i, name in enumerate(self.tag_names)]
        return [
            (
                pr_tag,
                [counts[key][index].numpy() for key in ("tp", "fp", "tn", "fn")]
                + [curves["precision"][index].numpy(), curves["recall"][index].numpy()],
            )
            for pr_tag, index in parts
        ]
