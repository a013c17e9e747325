"""The usual CPU batch counted with NumPy: the same counts, a fraction of the fixed cost.

A metric's ``update`` on a small batch is mostly fixed cost: each torch operation costs 2 to 5 us of
dispatch, a NumPy one about 1. And on the CPU the arg-max here is faster than ``torch.argmax`` at
any batch size, with one thread or two, so it is also the fast path for large (N, C) batches:
NumPy's own for many classes ((4096, 100): 111 against 859 us), and from 512 rows of fewer than 32
classes :func:`ignite_f1._argmax.few_classes_argmax`, which has no branch per score (distinct
batches, one thread: (1024, 10) 20 against 39 us, (65536, 2) 178 against 584 us; two threads,
where ``torch.argmax`` splits the rows between them: (4096, 10) 62 against 89 us, (65536, 2) 176
against 326 us). Score maps (N, C, H, W) take :func:`ignite_f1._argmax.numpy_argmax`, and binary
batches of any size are three ``count_nonzero`` (65,536 samples: about 45 us, against 120 for
torch's threshold and three sums). NumPy runs every op in the calling thread, so this path opens no
parallel region that a busy machine could stall (with two torch threads and two busy processes, a
65,536-sample binary update took 3.3 ms on the torch path, 0.44 ms here).

The functions here take the batch a metric was given and return its counts, or ``None`` for any
batch that is not the usual one or that fails a check: the metric then counts it on its general
path, which names what is wrong (or, for the rare rows below, gives ``torch.argmax``'s own answer).
So this module never raises on input and never decides what an input means: it accepts only
batches whose meaning the general path fixes, and gives exactly the general path's counts.

The arg-max gives the first maximal index on ties, as ``torch.argmax``, and is checked by the
batch's smallest row maximum in magnitude (NumPy's arg-max: read where its indices point): a row
holding NaN (its maximum is NaN) and a row whose maximum is zero or denormal (where
``torch.set_flush_denormal(True)`` makes threads disagree, see :mod:`ignite_f1._argmax`) both show
there and send the batch to the general path. Rows whose maximum is a normal float hold no value
that flushing could reorder against it, so the indices are ``torch.argmax``'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ignite_f1 import _argmax, _counts

_FLOATS = (torch.float32, torch.float64)
_LABELS = (torch.int64, torch.int32, torch.uint8, torch.bool)
_LABELS_AND_FLOATS = _LABELS + _FLOATS
_TINY = {
    torch.float32: float(torch.finfo(torch.float32).tiny),
    torch.float64: float(torch.finfo(torch.float64).tiny),
}
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_MIN, _MAX, _SUM = np.minimum.reduce, np.maximum.reduce, np.add.reduce


def _pair(
    output: Any, targets: tuple[torch.dtype, ...] = _LABELS
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(y_pred, y)`` when ``output`` is the pair of CPU tensors that NumPy can read: float scores or
    integer labels, and targets of a dtype in ``targets``. A tensor that requires grad (the scores
    of a model in training, as a metric on the trainer gets them) is read through ``detach()``:
    only its values are counted, as on the general path.

    A sparse, mkldnn or nested tensor, which ``.numpy()`` cannot read, gives ``None`` (the general path
    refuses it by name). A view with torch's negative bit (``z.conj().imag``: real values stored
    negated), which ``.numpy()`` refuses too, is read through its resolved copy (``resolve_neg()``),
    so it is counted exactly as that copy. (The conjugate bit, the other lazy bit, is only ever set
    on complex tensors, which the dtype check sends away.) Reading the layout and the bit
    dispatches no torch operation."""
    if not (type(output) is tuple or type(output) is list) or len(output) != 2:
        return None
    y_pred, y = output
    if not (type(y_pred) is torch.Tensor and type(y) is torch.Tensor):
        return None
    if y_pred.layout is not torch.strided or y.layout is not torch.strided or y_pred.is_nested or y.is_nested:
        return None
    if (y_pred.dtype not in _FLOATS and y_pred.dtype not in _LABELS) or y.dtype not in targets:
        return None
    if y_pred.device.type != "cpu" or y.device.type != "cpu":
        return None
    if y_pred.requires_grad:
        y_pred = y_pred.detach()
    if y.requires_grad:
        y = y.detach()
    if y_pred.is_neg():
        y_pred = y_pred.resolve_neg()
    if y.is_neg():
        y = y.resolve_neg()
    return y_pred, y


def _labels(y: torch.Tensor, high: int) -> np.ndarray | None:
    """``y`` as an int64 NumPy array, or ``None`` for a label outside [0, high].

    Checked with or without validation: what the general path does with such labels is its own.
    """
    t = y.numpy()
    if t.dtype == np.bool_:
        return t.view(np.uint8).astype(np.int64)
    if _MAX(_unsigned(t), axis=None) > high:  # a negative label reads as a huge unsigned one
        return None
    return t if t.dtype == np.int64 else t.astype(np.int64)


def _unsigned(t: np.ndarray) -> np.ndarray:
    """The integers ``t`` read as unsigned ones of the same width (a view): the negative ones
    become larger than any non-negative one, so one maximum checks both ends of a range."""
    return t if t.dtype.kind == "u" else t.view(_UNSIGNED[t.dtype.itemsize])


def flat_view(counts: torch.Tensor, cache: dict[str, Any], name: str) -> np.ndarray:
    """The flat NumPy view of the CPU count state ``counts``, kept in ``cache`` while it is the same tensor.

    ``reset()`` and ``load_state_dict()`` replace the state tensors, and a copied metric (``deepcopy``,
    pickling) has new tensors with copies of the views: a view is used only while it was made from
    this very tensor and still points at its memory. The state is contiguous (``load_state_dict``
    makes it so): ``view`` raises rather than flatten a copy, into which a batch would be lost.
    """
    kept = cache.get(name)
    if kept is None or kept[0] is not counts or kept[2] != counts.data_ptr():
        kept = cache[name] = (counts, counts.view(-1).numpy(), counts.data_ptr())
    view: np.ndarray = kept[1]
    return view


def binary(
    output: Any, cut: float, from_logits: bool, validate: bool
) -> tuple[np.ndarray, bool | None] | None:
    """The int64 counts ``[tn, fp, fn, tp]`` of a usual binary batch and its score flag, or ``None``.

    The usual batch: float32 / float64 scores (or integer or bool 0/1 labels) and integer or bool
    0/1 targets on the CPU, of one shape (N, ...) (or (N,) with (N, 1)), N >= 1. A sample is
    positive when its score is ``>= cut``, compared in the scores' dtype as ``torch.ge`` compares
    it (the cut is cast to that dtype, as torch casts a Python scalar). The counts are three
    ``count_nonzero`` of booleans (predicted, actual, both), several times cheaper than a
    ``bincount`` of ``2 * target + prediction``.
    """
    batch = _binary_bools(output, cut, from_logits, validate, images=False)
    if batch is None:
        return None
    pred, target, in_unit_interval = batch
    count = np.count_nonzero
    tp, predicted, actual = count(np.logical_and(pred, target)), count(pred), count(target)
    return _confusion(target.size, tp, predicted, actual), in_unit_interval


def _confusion(size: int, tp: Any, predicted: Any, actual: Any) -> np.ndarray:
    """The int64 counts ``[tn, fp, fn, tp]`` of ``size`` samples from their true positives,
    predicted and actual positives (integers)."""
    return np.array([size - predicted - actual + tp, predicted - tp, actual - tp, tp], dtype=np.int64)


def binary_images(
    output: Any, cut: float, from_logits: bool, validate: bool
) -> tuple[np.ndarray, bool | None, np.ndarray] | None:
    """:func:`binary` of a batch of N masks (N, d1, ...) (``y_pred`` of the targets' shape, not
    (N, 1)), and the int64 (N, 3) true positives, predicted and actual positives of each image."""
    if not images_of(output) or output[1].shape == (output[1].shape[0], 1):  # (N, 1): a column
        return None
    batch = _binary_bools(output, cut, from_logits, validate, images=True)  # y_pred of y's shape
    if batch is None:
        return None
    pred, target, in_unit_interval = batch
    num_images = output[1].shape[0]
    pred, target = pred.reshape(num_images, -1), target.reshape(num_images, -1)
    hits = np.logical_and(pred, target)
    if pred.shape[1] >= IMAGE_ROW_LOOP:  # a count_nonzero per row: far faster than a sum along rows
        count = np.count_nonzero
        rows = zip(hits, pred, target, strict=True)
        ones = np.array([[count(h), count(p), count(t)] for h, p, t in rows], dtype=np.int64)
    else:
        ones = np.stack([_SUM(a, axis=1, dtype=np.int64) for a in (hits, pred, target)], 1)
    tp, predicted, actual = _SUM(ones, axis=0)
    return _confusion(target.size, tp, predicted, actual), in_unit_interval, ones.reshape(num_images, 3)


IMAGE_ROW_LOOP = 1 << 12
"""From this many pixels per image, per-image counts are one ``count_nonzero`` per image and kind
(8 images of 65,536 pixels: 23 against 196 us for a sum along the rows)."""


def _binary_bools(
    output: Any, cut: float, from_logits: bool, validate: bool, images: bool
) -> tuple[np.ndarray, np.ndarray, bool | None] | None:
    """Flat predictions and targets of a usual binary batch (see :func:`binary`), as bools or 0/1
    integers, and its score flag, or ``None``; (N, 2) targets only if they are ``images`` (else
    the general path refuses them: a two-class output, or two binary outputs per sample)."""
    pair = _pair(output)
    if pair is None:
        return None
    y_pred, y = pair
    if y.ndim == 0 or y.numel() == 0 or (not images and y.shape[1:] == (2,)):
        return None
    if y_pred.shape != y.shape:
        n = y.shape[0]
        if y_pred.shape not in ((n,), (n, 1)) or y.shape not in ((n,), (n, 1)):
            return None
    target = _zero_ones(y)
    if target is None:
        return None
    target = target.reshape(-1)
    in_unit_interval = None
    if y_pred.dtype not in _FLOATS:  # 0/1 labels (integers or bools), as the targets
        pred = _zero_ones(y_pred)
        return None if pred is None else (pred.reshape(-1), target, None)
    scores = y_pred.numpy()
    if scores.ndim != 1:
        scores = scores.reshape(-1)
    if validate:
        low, high = _MIN(scores), _MAX(scores)
        if low != low or high != high or (not from_logits and (low < 0 or high > 1)):
            return None  # NaN, or probabilities outside [0, 1]: the general path says so
        in_unit_interval = bool(low >= 0 and high <= 1)
    return scores >= scores.dtype.type(cut), target, in_unit_interval  # in the scores' dtype, as torch


def multiclass(
    output: Any, num_classes: int, ignore_index: int | None = None, images: bool = False
) -> tuple[np.ndarray, int] | None:
    """The flat cells ``target * C + prediction`` of a usual multi-class batch and the number of
    ignored samples among them, or ``None``.

    The usual batch, on the CPU, with N >= 1 samples (or pixels): contiguous (N, C) float32 /
    float64 scores or (N, C, d1, ...) scores, C >= 2, or integer class labels of the targets'
    shape; integer targets (N,) or (N, d1, ...) in [0, C) or equal to ``ignore_index`` (one
    outside [0, C)). A sample whose target is ``ignore_index`` gets
    a cell of at least ``C * C`` (:func:`add_cells` and :func:`add_class_counts` skip those). The
    prediction is the arg-max (see the module docstring), whose check also finds NaN scores:
    validation needs no other read. Integer labels (N, C) go to the general path unless they are
    ``images`` (per-image scores): it refuses those of 0 and 1 (one-hot rows, or label maps?).
    """
    pair = _pair(output)
    if pair is None:
        return None
    y_pred, y = pair
    if y.dtype == torch.bool or y.ndim == 0 or y.numel() == 0:
        return None
    if ignore_index is not None and 0 <= ignore_index < num_classes:
        return None  # an ignored class inside [0, C): the general path drops its samples
    if y_pred.dtype not in _FLOATS:  # class labels, of the targets' shape
        if (
            y_pred.shape != y.shape
            or y_pred.dtype == torch.bool
            or (y.shape[1:] == (num_classes,) and not images)
        ):
            return None
        pred = _labels(y_pred, num_classes - 1)  # at ignored targets too (else the general path)
        return None if pred is None else _cells(y, pred.reshape(-1), num_classes, ignore_index)
    if y_pred.ndim == 2:
        pred = _row_argmax(y_pred, y, num_classes)
    elif y_pred.ndim == y.ndim + 1 and y_pred.shape[1] == num_classes and num_classes >= 2:
        if y_pred.shape[:1] + y_pred.shape[2:] != y.shape:
            return None
        scores = y_pred.numpy()
        indices, _, check = _argmax.numpy_argmax(scores.reshape(y.shape[0], num_classes, -1))
        pred = indices.reshape(-1) if check >= _TINY[y_pred.dtype] else None  # as in _row_argmax
    else:
        return None
    return None if pred is None else _cells(y, pred, num_classes, ignore_index)


def _row_argmax(y_pred: torch.Tensor, y: torch.Tensor, num_classes: int) -> np.ndarray | None:
    """The arg-max of contiguous (N, C) scores and (N,) targets (:func:`ignite_f1._argmax.row_argmax`),
    or ``None`` when its maxima show a row holding NaN or a zero or denormal maximum."""
    if y.ndim != 1 or y_pred.shape[1] != num_classes or num_classes < 2:
        return None
    n = y.shape[0]
    if y_pred.shape[0] != n or not y_pred.is_contiguous():
        return None
    pred, maxima = _argmax.row_argmax(y_pred.numpy())
    tiny = _TINY[y_pred.dtype]
    if not (_MIN(maxima) >= tiny or _MIN(np.abs(maxima)) >= tiny):  # the first: all positive, read once
        return None  # NaN (the general path refuses it), or a zero or denormal maximum: torch.argmax's
    return pred


def _cells(
    y: torch.Tensor, pred: np.ndarray, num_classes: int, ignore_index: int | None
) -> tuple[np.ndarray, int] | None:
    """``target * C + pred`` per sample, the ignored ones at ``C * C`` or above, and their number;
    ``None`` for a target outside [0, C) that is not ``ignore_index`` (outside [0, C) itself)."""
    t = y.numpy()
    if t.ndim != 1:
        t = t.reshape(-1)
    wide = t.dtype.itemsize == 8  # int64 (the unsigned targets here are uint8)
    ignored = 0
    if ignore_index is None or not _holds(t.dtype, ignore_index):  # then no target equals it
        if _MAX(_unsigned(t)) > num_classes - 1:  # a negative label reads as a huge unsigned one
            return None
        cells: np.ndarray = t * num_classes if wide else t.astype(np.int64)
        if not wide:
            cells *= num_classes
    else:
        # every target outside [0, C) (a negative one reads as a huge unsigned one) becomes C, and
        # there must be as many of them as targets equal to ignore_index
        # (C fits the unsigned view: a uint8 target holds an ignore_index in [C, 255] only)
        capped = np.minimum(_unsigned(t), num_classes)
        ignored = int(_SUM(t == ignore_index))
        if _SUM(capped == num_classes) != ignored:
            return None
        cells = capped.view(np.int64) if wide else capped.astype(np.int64)
        cells *= num_classes
    cells += pred
    return cells, ignored


_RANGES = {
    np.dtype(kind): (int(np.iinfo(kind).min), int(np.iinfo(kind).max))
    for kind in (np.int64, np.int32, np.uint8)
}


def _holds(dtype: np.dtype, value: int) -> bool:
    """Whether integers of ``dtype`` (int64, int32 or uint8) can hold ``value``."""
    low, high = _RANGES[dtype]
    return low <= value <= high


def images_of(output: Any) -> bool:
    """Whether ``output`` is a pair whose targets are images (N, d1, ...), N >= 1 (per-image scores)."""
    if not (type(output) is tuple or type(output) is list) or len(output) != 2:
        return False
    y = output[1]
    if type(y) is not torch.Tensor or y.is_nested:  # a nested tensor has no shape
        return False
    return y.ndim >= 2 and y.shape[0] > 0


def image_confusion(cells: np.ndarray, num_images: int, num_classes: int) -> np.ndarray | None:
    """Per-image confusion matrices (N, C + 1, C) (row C: the ignored targets) of the flat cells of
    N equal-sized images, by one ``bincount``; ``None`` when they hold more entries than pixels."""
    size = (num_classes + 1) * num_classes
    if num_images * size > cells.size:
        return None
    offsets = np.arange(0, num_images * size, size)
    codes = cells.reshape(num_images, -1) + offsets[:, None]
    return np.bincount(codes.reshape(-1), minlength=num_images * size).reshape(
        num_images, num_classes + 1, -1
    )


def add_cells(flat: np.ndarray, cells: np.ndarray, ignored: int = 0) -> None:
    """Add the cells of a batch to the flat view of a C x C int64 matrix, in place; the ``ignored``
    cells past the matrix are skipped."""
    size = flat.shape[0]
    if size <= max(1024, cells.shape[0]):
        np.add(flat, np.bincount(cells, minlength=size)[:size], out=flat)
    else:
        np.add.at(flat, cells[cells < size] if ignored else cells, 1)


def add_class_counts(flat: np.ndarray, cells: np.ndarray, ignored: int = 0) -> None:
    """Add a batch's cells to the flat view of the (3, C) int64 per-class counts in place, O(batch);
    the ``ignored`` cells past the C x C matrix are skipped.

    Rows: true positives (cells on the diagonal), predicted (the cell's column) and actual (its row).
    """
    num_classes = flat.shape[0] // 3
    if ignored:
        cells = cells[cells < num_classes * num_classes]
    target, pred = np.divmod(cells, num_classes)
    hits = pred[target == pred]
    np.add.at(flat, np.concatenate([hits, pred + num_classes, target + 2 * num_classes]), 1)


MULTILABEL_MAX = 1 << 14
"""Multilabel batches up to this many elements are counted with NumPy; beyond, torch's path is faster
(measured, one thread, L = 50: 256 rows 112 against 133 us, 1024 rows 336 against 263 us)."""

_RATIO_WEIGHTS: dict[float, np.ndarray] = {}


def _zero_ones(y: torch.Tensor) -> np.ndarray | None:
    """The 0/1 values of ``y`` (its shape) as bools or 0/1 integers, or ``None`` unless every one
    is 0 or 1 (integer, bool or float; NaN and soft labels included: the general path decides)."""
    t = y.numpy()
    if t.dtype == np.bool_:
        return t
    if t.dtype.kind == "f":
        if not np.all((t == 0) | (t == 1)):
            return None
        nonzero: np.ndarray = t != 0
        return nonzero
    if _MAX(_unsigned(t), axis=None) > 1:  # a negative value reads as a huge unsigned one
        return None
    return t


def multilabel(
    output: Any, num_labels: int, cut: float, from_logits: bool, beta: float, validate: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool | None] | None:
    """The additions of a usual multilabel batch, or ``None``: what ``_counts.multilabel_counts`` gives.

    The usual batch: (N, L) float32 / float64 scores (or 0/1 labels) and (N, L) 0/1 targets
    (integer, bool or float) on the CPU, 1 <= N * L <= :data:`MULTILABEL_MAX`. Returns
    ``(label_counts, sample_sums, sample_defined, flag)``: int64 (3, L) true, predicted and
    actual positives per label, the float64 (4,) sums of the defined per-sample precision,
    recall, F1 and F-beta, the int64 (3,) numbers of samples where precision, recall and an
    F-score are defined, and the score flag. The sums are those of the general path up to the
    order of the float additions (a few ulps per batch, far inside the 1e-12 relative the samples
    average is held to).
    """
    pair = _pair(output, _LABELS_AND_FLOATS)
    if pair is None:
        return None
    y_pred, y = pair
    if y_pred.ndim != 2 or y_pred.shape != y.shape or y_pred.shape[1] != num_labels:
        return None
    if not 0 < y_pred.numel() <= MULTILABEL_MAX or not min(1.0, beta * beta) / 2 > 0:
        return None  # beta ** 2 of 5e-324: no positive floor below it, the general path's own case
    target = _zero_ones(y)
    if target is None:
        return None
    n = y.shape[0]
    planes = np.empty((3, n, num_labels), dtype=np.bool_)  # hits, predicted, actual
    in_unit_interval = None
    if y_pred.dtype in _FLOATS:
        scores = y_pred.numpy()
        if validate:
            low, high = _MIN(scores, axis=None), _MAX(scores, axis=None)
            if low != low or high != high or (not from_logits and (low < 0 or high > 1)):
                return None
            in_unit_interval = bool(low >= 0 and high <= 1)
        np.greater_equal(scores, scores.dtype.type(cut), out=planes[1])
    else:  # 0/1 labels, as the targets
        labels = _zero_ones(y_pred)
        if labels is None:
            return None
        planes[1] = labels
    planes[2] = target
    np.logical_and(planes[1], planes[2], out=planes[0])
    label_counts = _SUM(planes, axis=1)  # ufunc reductions: the ndarray methods add a Python frame
    per_sample = _SUM(planes, axis=2, dtype=np.float64)  # (3, N): tp, pp, ap
    beta2 = beta * beta
    weights = _RATIO_WEIGHTS.get(beta2)
    if weights is None:  # the torch path's (8, 3) weights, the denominators of P, R and F1 twice more
        paths = np.array(_counts.ratio_weights(beta2))
        weights = np.concatenate([paths[:4], paths[4:7], paths[4:], paths[4:7]])
        if len(_RATIO_WEIGHTS) < _argmax.CACHED_MOST:
            _RATIO_WEIGHTS[beta2] = weights
    ratios = weights @ per_sample  # (14, N): 7 numerators, then their 7 denominators
    # an undefined ratio has tp = 0 over a denominator raised to half the smallest positive one: 0;
    # a count of P, R or F1 over itself so raised is 1 where the ratio is defined (a count >= 1), else 0
    quotients = _SUM(ratios[:7] / np.maximum(ratios[7:], min(1.0, beta2) / 2), axis=1)
    return label_counts, quotients[:4], quotients[4:].astype(np.int64), in_unit_interval
