"""Confusion-matrix pictures: a labelled heatmap as a matplotlib figure, or rendered to an RGB image.

matplotlib is imported when a figure is made, never before (and ``pyplot`` never): it draws on an Agg
canvas and never opens a window.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ignite_f1 import _validation

__all__ = ["confusion_matrix_figure", "confusion_matrix_image"]

_NORMALIZE = (None, "true", "pred", "all")
_ANNOTATE_MAX = 40  # classes (or labels) up to which every cell gets its numbers
_MAX_NAME = 24  # characters of a class name shown on an axis
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")  # line breaks, tabs...: one line per name
_COLOUR_LABELS = {
    None: "count",
    "true": "row share (recall)",
    "pred": "column share (precision)",
    "all": "share of all",
}


def _matplotlib() -> tuple[Any, Any]:
    """(Figure, FigureCanvasAgg), imported on first use."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "Confusion-matrix images need matplotlib, which comes with the `tensorboard` extra: "
            'pip install -e ".[tensorboard]" in the clone of the repository (see the installation '
            "page), or pip install matplotlib. log_f1_summary and F1TensorboardHandler write no "
            "image with confusion_matrix=False."
        ) from error
    return Figure, FigureCanvasAgg


def _as_counts(cm: Any) -> np.ndarray:
    given = cm
    if isinstance(cm, torch.Tensor):
        cm = cm.detach().cpu().numpy()
    if not isinstance(cm, np.ndarray):
        raise TypeError(f"Argument `cm` must be a tensor or array of counts, got {type(cm).__name__}.")
    if not (np.issubdtype(cm.dtype, np.integer) or np.issubdtype(cm.dtype, np.floating)):
        kind = "an ndarray" if given is cm else f"a {type(given).__name__}"  # a Tensor, a Parameter...
        raise TypeError(
            "Argument `cm` must be a tensor or array of counts (an integer or floating dtype), got "
            f"{kind} of dtype {given.dtype}."
        )
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
    """A class name as one line of an axis label: line breaks and other control characters as
    spaces (a label of two lines runs into its neighbour), cut to ``_MAX_NAME``, ``$`` escaped."""
    name = _CONTROL.sub(" ", name)
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


@dataclass
class _Grid:
    """What the heatmap shows: a (rows, cols) grid of counts, shares and colours, and its labels.

    A (C, C) matrix is drawn as it is; a stack (L, 2, 2) as one row per label, columns TN, FP, FN, TP.
    """

    counts: np.ndarray
    shares: np.ndarray
    colours: np.ndarray
    names: list[str]  # one per row
    columns: list[str]  # one per column
    diagonal: set[tuple[int, int]]  # the cells of right answers, annotated even when empty
    stacked: bool


def _grid(cm: Any, class_names: Sequence[str] | None, normalize: str | None) -> _Grid:
    if normalize not in _NORMALIZE:
        raise ValueError(f"Argument `normalize` must be one of {list(_NORMALIZE)}, got {normalize!r}.")
    counts = _as_counts(cm)
    stacked = counts.ndim == 3
    n = counts.shape[0]
    names = _validation.check_class_names(class_names, n, "num_labels" if stacked else "num_classes")
    names = [str(i) for i in range(n)] if names is None else names
    shares = _normalized(counts, normalize or "true")
    colours = counts if normalize is None else shares
    if stacked:
        counts, shares, colours = (a.reshape(n, 4) for a in (counts, shares, colours))
        diagonal = {(r, c) for r in range(n) for c in (0, 3)}
        return _Grid(counts, shares, colours, names, ["TN", "FP", "FN", "TP"], diagonal, True)
    columns = [_short(name) for name in names]
    return _Grid(counts, shares, colours, names, columns, {(i, i) for i in range(n)}, False)


@dataclass
class _Sizes:
    """Inches and points of a heatmap: cells shrink as classes grow, tick labels thin out."""

    cell_h: float
    cell_w: float
    tick_size: float
    step: int  # one tick label every `step` rows (and columns)
    figsize: tuple[float, float]
    dpi: float


# TensorBoard's Images tab shows a picture about 280 px wide until it is expanded. Up to
# _CARD_CLASSES classes the matrix keeps the same side in inches and the text sizes keep their
# ratio to the figure's width, so the class names still read at that size; beyond, cells keep their
# size until the matrix is _MAX_SIDE inches, then shrink. The pixels per inch are as many as keep
# the image within _MAX_PIXELS, so that the expanded picture ("Show actual image size") is sharp.
_CARD_CLASSES = 20
_CARD_SIDE = 3.0  # inches
_MAX_SIDE = 13.5  # inches
_MAX_PIXELS = 2000
# points: from this cell size on, a cell shows its count above its share; a side of _CARD_SIDE
# inches (216 points) holds such cells up to 12 classes, as confusion_matrix_figure's docstring says
_TWO_LINE_CELL = 17.0


def _sizes(grid: _Grid) -> _Sizes:
    rows, cols = grid.counts.shape
    n = rows if grid.stacked else max(rows, cols)
    side = min(max(_CARD_SIDE, n * _CARD_SIDE / _CARD_CLASSES), _MAX_SIDE)
    cell_h = min(side / n, 0.6 if grid.stacked else side)
    cell_w = 0.6 if grid.stacked else cell_h
    tick_size = min(max(cell_h * 72.0 * 0.85, 5.0), 10.0)
    step = max(1, math.ceil(tick_size * 1.15 / (cell_h * 72.0)))  # tick labels must not overlap
    y_names = [_short(grid.names[i]) for i in range(0, rows, step)]
    x_names = grid.columns if grid.stacked else [grid.columns[i] for i in range(0, cols, step)]
    name_width = max(len(name) for name in y_names) * 0.6 * tick_size / 72.0
    x_name_width = max(len(name) for name in x_names) * 0.6 * tick_size / 72.0
    x_room = 0.3 if grid.stacked else (x_name_width if cols > 12 else 0.72 * x_name_width + 0.1)
    width = cols * cell_w + name_width + 1.45  # + axis title, colour bar and its labels
    height = rows * cell_h + x_room + 0.55
    dpi = min(160.0, max(_MAX_PIXELS / max(width, height), 72.0))
    return _Sizes(cell_h, cell_w, tick_size, step, (width, height), dpi)


def _label_axes(ax: Any, grid: _Grid, sizes: _Sizes) -> None:
    rows, cols = grid.counts.shape
    step, tick_size = sizes.step, sizes.tick_size
    title_size = max(tick_size, 8.0)
    y_names = [_short(grid.names[i]) for i in range(0, rows, step)]
    ax.set_yticks(range(0, rows, step), y_names, fontsize=tick_size)
    ax.tick_params(length=2, pad=1.5)
    if grid.stacked:
        ax.set_xticks(range(cols), grid.columns, fontsize=title_size)
        ax.axvline(1.5, color="white", linewidth=3)  # negatives | positives
        ax.set_xlabel("actual negatives | positives", fontsize=title_size)
        ax.set_ylabel("Label", fontsize=title_size, labelpad=2)
        return
    ax.set_xticks(range(0, cols, step), [grid.columns[i] for i in range(0, cols, step)], fontsize=tick_size)
    if cols > 12:
        ax.tick_params(axis="x", labelrotation=90)
    else:
        ax.tick_params(axis="x", labelrotation=45)
        for text in ax.get_xticklabels():
            text.set_horizontalalignment("right")
            text.set_rotation_mode("anchor")
    ax.set_xlabel("Predicted", fontsize=title_size, labelpad=2)
    ax.set_ylabel("True", fontsize=title_size, labelpad=2)


def _cell_text(grid: _Grid, r: int, c: int, two_lines: bool) -> str:
    count = grid.counts[r, c]
    if two_lines:
        return f"{_count_text(count)}\n{_share_text(grid.shares[r, c], count)}"
    share = grid.shares[r, c]
    return "<1" if count > 0 and share < 0.005 else f"{share * 100:.0f}"  # the colour bar says %


def _annotate(ax: Any, grid: _Grid, sizes: _Sizes, vmax: float) -> None:
    """Write in every cell but the empty ones off the diagonal its count and share, or in small
    cells its share in percent only."""
    cell = min(sizes.cell_h, sizes.cell_w) * 72.0
    two_lines = cell >= _TWO_LINE_CELL
    text_size = min(max(cell * (0.28 if two_lines else 0.45), 4.0), 11.0)
    rows, cols = grid.counts.shape
    for r in range(rows):
        for c in range(cols):
            if grid.counts[r, c] == 0 and (r, c) not in grid.diagonal:
                continue
            dark = grid.colours[r, c] > 0.55 * vmax
            ax.text(
                c,
                r,
                _cell_text(grid, r, c, two_lines),
                ha="center",
                va="center",
                fontsize=text_size,
                linespacing=1.05,
                color="white" if dark else "#1a1a1a",
            )


def confusion_matrix_figure(
    cm: Any, class_names: Sequence[str] | None = None, normalize: str | None = None
) -> Any:
    """A labelled heatmap of a confusion matrix, as a matplotlib ``Figure`` (Agg canvas, no window).

    Up to 12 classes (or labels) every cell shows its count and, below it, its share of the row (the
    recall of the true class on the diagonal); from 13 to 40, the share in percent only (a cell is
    then under 17 points wide, too small for two lines); empty cells off the diagonal stay blank so
    the mistakes stand out. From 41 classes on, the colours alone carry the information.

    Sized for TensorBoard's Images tab, which shows a picture about 280 px wide until it is
    expanded: up to 20 classes the figure keeps about the same size (5 by 4 inches) and the class
    names stay readable at that width; the image has up to 160 pixels per inch, so that the
    expanded picture is sharp. With more classes the figure grows, up to about 17 inches and 2000
    pixels.

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
        ImportError: matplotlib is missing (the ``tensorboard`` extra: ``pip install -e ".[tensorboard]"``
            in the clone).
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
    grid = _grid(cm, class_names, normalize)
    sizes = _sizes(grid)
    figure_class, canvas_class = _matplotlib()
    from matplotlib.colors import Normalize, PowerNorm

    fig = figure_class(figsize=sizes.figsize, dpi=sizes.dpi, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02)
    canvas_class(fig)
    ax = fig.add_subplot()
    annotate = max(grid.counts.shape) <= _ANNOTATE_MAX
    vmax = 1.0 if normalize is not None else max(float(grid.colours.max()), 1.0)
    # without numbers in the cells, a square-root scale keeps the small confusions visible
    norm = Normalize(0.0, vmax) if annotate else PowerNorm(0.5, 0.0, vmax)
    aspect = "auto" if grid.stacked else "equal"
    image = ax.imshow(grid.colours, cmap="Blues", norm=norm, aspect=aspect, interpolation="nearest")
    bar = fig.colorbar(image, ax=ax, shrink=0.85, fraction=0.06, pad=0.03)
    bar.set_label(_COLOUR_LABELS[normalize], fontsize=max(sizes.tick_size, 8.0) - 1.0, labelpad=2)
    bar.ax.tick_params(labelsize=max(sizes.tick_size, 8.0) - 1.0, length=2, pad=1.5)
    if normalize is not None:
        from matplotlib.ticker import PercentFormatter

        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _label_axes(ax, grid, sizes)
    if annotate:
        _annotate(ax, grid, sizes, vmax)
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
        ImportError: matplotlib is missing (the ``tensorboard`` extra: ``pip install -e ".[tensorboard]"``
            in the clone).

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
