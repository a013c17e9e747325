"""TensorBoard logging of F1 metrics: per-class curves, a confusion-matrix picture, the report table.

:class:`F1TensorboardHandler` plugs into Ignite's ``TensorboardLogger``; :func:`log_f1_summary` does the
same for any ``SummaryWriter`` (tensorboardX or ``torch.utils.tensorboard``), for code outside Ignite.
Both read the counts a metric kept at its last ``compute()`` (summed over processes then), so they
never start a collective call and can run on one process only. For a metric ``m`` and tag ``val``
they write, at one step:

- scalars ``val/f1/<class>``, ``val/precision/<class>``, ``val/recall/<class>`` (``f2``, ``f0.5``...
  for F-beta metrics), class names cleaned the way TensorBoard cleans tags with ``/`` -> ``_``;
- one custom-scalars chart per tag with every class's F-score, all the handlers of a writer merged
  into one layout (TensorBoard keeps only the last layout written to a run);
- the image ``val/confusion_matrix`` (:func:`confusion_matrix_image`);
- the text ``val/classification_report``, a markdown table (class names escaped, so that a ``|``,
  a line break or markup in a name stays inside its cell);
- for metrics built with ``num_thresholds``, the PR curve ``val/pr_curve`` (``val/pr_curve/<label>``
  per label for multilabel metrics).

matplotlib is imported when an image is made, never before; it draws on an Agg canvas and never
opens a window.
"""

from __future__ import annotations

import math
import re
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
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

__all__ = [
    "F1TensorboardHandler",
    "confusion_matrix_figure",
    "confusion_matrix_image",
    "log_f1_summary",
]

F1Metric = BinaryFBetaScore | MulticlassFBetaScore | MultilabelFBetaScore

_LAYOUT_CATEGORY = "F-scores per class"
_NORMALIZE = (None, "true", "pred", "all")
_ANNOTATE_MAX = 40  # classes (or labels) up to which every cell gets its numbers
_MAX_NAME = 24  # characters of a class name shown on an axis

# The merged custom-scalars layout of each writer: {category: {title: ["Multiline", [regex]]}}.
_LAYOUTS: weakref.WeakKeyDictionary[Any, dict[str, dict[str, list[Any]]]] = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- names and tags


def _clean_tag(tag: str) -> str:
    """A tag as TensorBoard stores it: characters outside ``[-/\\w.]`` become ``_``."""
    return _validation.TAG_CHARACTERS.sub("_", tag).lstrip("/")


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


# --------------------------------------------------------------------------- figures


def _matplotlib() -> tuple[Any, Any]:
    """(Figure, FigureCanvasAgg), imported on first use."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "Confusion-matrix images need matplotlib, which comes with the `tensorboard` extra: "
            "pip install ignite_f1[tensorboard]"
        ) from error
    return Figure, FigureCanvasAgg


def _as_counts(cm: Any) -> np.ndarray:
    if isinstance(cm, torch.Tensor):
        cm = cm.detach().cpu().numpy()
    if not isinstance(cm, np.ndarray) or not (
        np.issubdtype(cm.dtype, np.integer) or np.issubdtype(cm.dtype, np.floating)
    ):
        raise TypeError(f"Argument `cm` must be a tensor or array of counts, got {type(cm).__name__}.")
    square = cm.ndim == 2 and cm.shape[0] == cm.shape[1] and cm.shape[0] >= 1
    stacked = cm.ndim == 3 and cm.shape[1:] == (2, 2) and cm.shape[0] >= 1
    if not (square or stacked):
        raise ValueError(
            "Argument `cm` must have shape (C, C) or (L, 2, 2) (one 2 x 2 matrix per label), "
            f"got {tuple(cm.shape)}."
        )
    if cm.size and not (np.all(np.isfinite(cm)) and cm.min() >= 0):
        raise ValueError("Argument `cm` must hold finite counts >= 0.")
    return cm.astype(np.float64)


def _normalized(cm: np.ndarray, how: str) -> np.ndarray:
    """``cm`` divided by its row sums ("true"), column sums ("pred") or total ("all"); 0 where empty.

    For a stack (L, 2, 2), each 2 x 2 matrix is normalised on its own.
    """
    axes: dict[str, int | tuple[int, int]] = {"true": -1, "pred": -2, "all": (-2, -1)}
    axis = axes[how]
    totals = np.sum(cm, axis=axis, keepdims=True)
    shares: np.ndarray = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    return shares


def _short(name: str) -> str:
    name = name if len(name) <= _MAX_NAME else name[: _MAX_NAME - 1] + "…"
    return name.replace("$", r"\$")  # no mathtext


def _count_text(count: float) -> str:
    if count != int(count):
        return f"{count:.3g}"
    if count < 10_000:
        return str(int(count))
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= limit:
            return f"{count / limit:.3g}{suffix}"
    return str(int(count))  # pragma: no cover


def _share_text(share: float, count: float) -> str:
    return "<1%" if count > 0 and share < 0.005 else f"{share:.0%}"


def confusion_matrix_figure(
    cm: Any, class_names: Sequence[str] | None = None, normalize: str | None = None
) -> Any:
    """A labelled heatmap of a confusion matrix, as a matplotlib ``Figure`` (Agg canvas, no window).

    Up to 40 classes every cell shows its count and, below it, its share of the row (the recall of
    the true class on the diagonal); empty cells off the diagonal stay blank so the mistakes stand
    out. From 41 classes on, the colours alone carry the information. The figure grows with the
    number of classes, up to about 17 inches (at 100 dpi: 1700 pixels).

    Args:
        cm: counts, a tensor or array of shape (C, C) (rows: true class, columns: predicted), or
            (L, 2, 2) per label ``[[tn, fp], [fn, tp]]`` as ``MultilabelF1Score.confusion_matrix()``
            gives, drawn as one row per label with columns TN, FP, FN, TP.
        class_names: C (or L) names for the axes; default ``0..C-1``. Long names are shortened.
        normalize: what the colours show, in scikit-learn's vocabulary: ``None`` the counts,
            ``"true"`` the shares of each row (recall), ``"pred"`` of each column (precision),
            ``"all"`` of the total. The second number in a cell is that share (the row share when
            ``None``).

    Returns:
        A ``matplotlib.figure.Figure``; ``fig.savefig(path)`` writes it.

    Raises:
        ImportError: matplotlib is missing (``pip install ignite_f1[tensorboard]``).
        ValueError: a bad shape, negative counts, a bad ``normalize`` or a wrong number of names.

    Examples:
        >>> import torch
        >>> from ignite_f1.tensorboard import confusion_matrix_figure
        >>> cm = torch.tensor([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
        >>> fig = confusion_matrix_figure(cm, class_names=["cat", "dog", "owl"], normalize="true")
        >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
        ['cat', 'dog', 'owl']
        >>> fig.axes[0].texts[0].get_text()  # cat row: 5 of 6 right
        '5\\n83%'
    """
    if normalize not in _NORMALIZE:
        raise ValueError(f"Argument `normalize` must be one of {list(_NORMALIZE)}, got {normalize!r}.")
    counts = _as_counts(cm)
    stacked = counts.ndim == 3
    n = counts.shape[0]
    names = _validation.check_class_names(class_names, n, "num_labels" if stacked else "num_classes")
    names = [str(i) for i in range(n)] if names is None else names
    shares = _normalized(counts, normalize or "true")
    colours = counts if normalize is None else shares
    if stacked:  # one row per label: TN, FP, FN, TP
        counts, shares, colours = (a.reshape(n, 4) for a in (counts, shares, colours))
        columns = ["TN", "FP", "FN", "TP"]
        diagonal = [(r, c) for r in range(n) for c in (0, 3)]
    else:
        columns = [_short(name) for name in names]
        diagonal = [(i, i) for i in range(n)]
    rows, cols = counts.shape

    figure_class, canvas_class = _matplotlib()
    from matplotlib.colors import Normalize, PowerNorm

    annotate = max(rows, cols) <= _ANNOTATE_MAX
    cell_h = min(0.6, 13.5 / max(rows, cols))  # inches: about 13.5 at most, whatever the count
    cell_w = 0.8 if stacked else cell_h
    cell_points = min(cell_h, cell_w) * 72.0
    tick_size = min(max(cell_h * 72.0 * 0.75, 5.0), 10.0)
    step = max(1, math.ceil(tick_size * 1.15 / (cell_h * 72.0)))  # tick labels must not overlap
    y_names = [_short(names[i]) for i in range(0, rows, step)]
    x_names = [columns[i] for i in range(0, cols, step)] if not stacked else columns
    name_width = max(len(name) for name in y_names) * 0.6 * tick_size / 72.0
    x_name_width = max(len(name) for name in x_names) * 0.6 * tick_size / 72.0
    x_room = 0.3 if stacked else (x_name_width if cols > 12 else 0.72 * x_name_width + 0.15)
    width = max(cols * cell_w + 1.1 * name_width + 2.3, 4.0)
    height = max(rows * cell_h + 1.1 * x_room + 0.9, 3.6)
    fig = figure_class(figsize=(width, height), dpi=100, layout="constrained")
    canvas_class(fig)
    ax = fig.add_subplot()
    vmax = 1.0 if normalize is not None else max(float(colours.max()), 1.0)
    # without numbers in the cells, a square-root scale keeps the small confusions visible
    norm = Normalize(0.0, vmax) if annotate else PowerNorm(0.5, 0.0, vmax)
    image = ax.imshow(
        colours, cmap="Blues", norm=norm, aspect="auto" if stacked else "equal", interpolation="nearest"
    )
    label = {
        None: "count",
        "true": "row share (recall)",
        "pred": "column share (precision)",
        "all": "share of all",
    }[normalize]
    fig.colorbar(image, ax=ax, shrink=0.8, label=label)

    ax.set_yticks(range(0, rows, step), y_names, fontsize=tick_size)
    if stacked:
        ax.set_xticks(range(cols), columns, fontsize=10)
        ax.axvline(1.5, color="white", linewidth=4)  # negatives | positives
        ax.set_xlabel("actual negatives | actual positives", fontsize=10)
        ax.set_ylabel("Label", fontsize=10)
    else:
        ax.set_xticks(range(0, cols, step), x_names, fontsize=tick_size)
        if cols > 12:
            ax.tick_params(axis="x", labelrotation=90)
        else:
            ax.tick_params(axis="x", labelrotation=45)
            for text in ax.get_xticklabels():
                text.set_horizontalalignment("right")
                text.set_rotation_mode("anchor")
        ax.set_xlabel("Predicted", fontsize=10)
        ax.set_ylabel("True", fontsize=10)

    if annotate:
        text_size = min(max(cell_points * 0.26, 5.0), 11.0)
        on_diagonal = set(diagonal)
        for r in range(rows):
            for c in range(cols):
                if counts[r, c] == 0 and (r, c) not in on_diagonal:
                    continue
                dark = colours[r, c] > 0.55 * vmax
                ax.text(
                    c,
                    r,
                    f"{_count_text(counts[r, c])}\n{_share_text(shares[r, c], counts[r, c])}",
                    ha="center",
                    va="center",
                    fontsize=text_size,
                    linespacing=1.1,
                    color="white" if dark else "#1a1a1a",
                )
    return fig


def confusion_matrix_image(
    cm: Any, class_names: Sequence[str] | None = None, normalize: str | None = None
) -> np.ndarray:
    """:func:`confusion_matrix_figure` rendered to an RGB image, for ``add_image(..., dataformats="HWC")``.

    Args:
        cm: counts (C, C) or (L, 2, 2), as for :func:`confusion_matrix_figure`.
        class_names: names for the axes.
        normalize: ``None``, ``"true"``, ``"pred"`` or ``"all"``: what the colours show.

    Returns:
        A ``numpy.uint8`` array (H, W, 3).

    Raises:
        ImportError: matplotlib is missing (``pip install ignite_f1[tensorboard]``).

    Examples:
        >>> import torch
        >>> from ignite_f1.tensorboard import confusion_matrix_image
        >>> image = confusion_matrix_image(torch.tensor([[40, 2], [5, 53]]), ["no", "yes"], normalize="true")
        >>> image.dtype, image.ndim, image.shape[2]
        (dtype('uint8'), 3, 3)
    """
    fig = confusion_matrix_figure(cm, class_names, normalize)
    with warnings.catch_warnings():
        # Names in scripts the default font lacks are drawn as boxes: not worth a warning per epoch.
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return np.ascontiguousarray(rgba[..., :3])


# --------------------------------------------------------------------------- report table


_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")  # what str.splitlines splits on


def _md_escape(text: str) -> str:
    r"""``text`` as one table cell: shown as written, never a pipe, a line break or markup.

    ``&``, ``<`` and ``>`` become HTML entities (no tag, comment or link), backslash escapes keep
    ``\ ` * _ [ ] |`` literal (a ``|`` would split the cell), and each line break becomes ``<br>``,
    so that a name on two lines stays in one row.

    Examples:
        >>> print(_md_escape("a|b\n<i>*c*</i> & [d]"))
        a\|b<br>&lt;i&gt;\*c\*&lt;/i&gt; &amp; \[d\]
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]|])", r"\\\1", text)
    return _LINE_BREAKS.sub("<br>", text)


def _number(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4f}"


def _report_markdown(
    report: dict[str, Any], names: list[str], fbeta: dict[str, float] | None, score_name: str
) -> str:
    """A markdown table of a ``classification_report`` dict; its first entries are the classes."""
    headers = ["class", "precision", "recall", "f1-score"]
    if fbeta is not None:
        headers.append(f"{score_name}-score")
    headers.append("support")
    lines = ["| " + " | ".join(headers) + " |", "|:---" + "|---:" * (len(headers) - 1) + "|"]
    keys = list(report)
    rows = [(_md_escape(display), keys[i]) for i, display in enumerate(names)]  # the classes
    rows += [(f"**{key}**", key) for key in keys[len(names) :]]  # accuracy and the averages, in bold
    total = sum(float(report[key]["support"]) for _, key in rows[: len(names)])
    for display, key in rows:
        entry = report[key]
        if not isinstance(entry, dict):  # "accuracy": a float, shown in the F1 column as sklearn does
            cells = ["", "", _number(float(entry))]
            cells += [""] if fbeta is not None else []
            support = total
        else:
            cells = [_number(float(entry[name])) for name in ("precision", "recall", "f1-score")]
            if fbeta is not None:
                cells.append(_number(fbeta[key]) if key in fbeta else "")
            support = float(entry["support"])
        lines.append("| " + " | ".join([display, *cells, str(round(support))]) + " |")
    return "\n".join(lines)


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
        return _report_markdown(report, names, fbeta, self.score)

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
