"""Sufficient statistics from formatted batches: pure torch, O(batch) work, int64 counts.

Nothing here stores predictions: each function turns a batch into fixed-size counts that are added
to the metric's state, so memory does not grow with the number of samples. Every function reads a
batch in as few passes as it can (a metric runs on every batch), and none reads a value on the host,
so none makes an accelerator wait.
"""

from __future__ import annotations

import torch

# [tn, fp, fn, tp] = _BINARY_CELLS @ [pp, ap, tp] + [n, 0, 0, 0]: tn = n - pp - ap + tp, fp = pp - tp,
# fn = ap - tp
_BINARY_CELLS = ((-1, -1, 1), (1, 0, -1), (0, 1, -1), (0, 0, 1))
_EXACT_FLOAT32 = 1 << 24
"""Float32 holds every integer below this exactly: sums of that many 0/1 values are exact."""
CODES_MAX = 1 << 13
"""Binary batches up to this size (on the CPU) are counted with one ``bincount`` of the cell codes
``2 * y + pred``: four operations where the float sums take eleven, and each costs microseconds of
fixed overhead. Above it the float sums read the batch faster (measured, one thread: 15 against 28 us
at 1,024; 22 against 30 at 4,096; even at 8,192; 190 against 97 at 65,536)."""
SMALL_MATRIX = 1 << 10
"""Confusion matrices up to this many cells (on the CPU) are counted with one dense ``bincount``
whatever the batch: on small batches its O(cells) zeroing costs less than the four ops that mask
skipped pairs for ``index_add_`` (measured, one thread, 8 samples: 6.7 against 10.6 us at C = 10,
even at C = 32; at C = 64 the dense count is already slower, 10.9 against 9.8 us)."""
_CONSTANTS: dict[tuple[object, ...], torch.Tensor] = {}


def constant(
    key: tuple[object, ...], values: object, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """A small constant tensor, made once per (key, device) instead of once per batch."""
    full_key = (*key, dtype, device)
    tensor = _CONSTANTS.get(full_key)
    if tensor is None:
        tensor = torch.tensor(values, dtype=dtype, device=device)
        if len(_CONSTANTS) < 64:  # as _argmax.CACHED_MOST: a run makes few; any others each time
            _CONSTANTS[full_key] = tensor
    return tensor


def _zero_one(values: torch.Tensor, cut: float | None, dtype: torch.dtype) -> torch.Tensor:
    """0/1 floats: ``values >= cut`` for scores, the labels themselves (converted) for ``cut=None``."""
    if cut is None:
        return values.to(dtype)
    return torch.ge(values, cut, out=torch.empty(values.shape, dtype=dtype, device=values.device))


def _float_dtype(longest_sum: int) -> torch.dtype:
    return torch.float32 if longest_sum < _EXACT_FLOAT32 else torch.float64


def binary_target(y: torch.Tensor) -> torch.Tensor | None:
    """``y`` as the floats :func:`binary_counts` counts it with, or ``None`` where it takes ``y`` as it is.

    Small integer or bool targets on the CPU are counted as they are (cell codes); others as 0/1
    floats, converted once, so that validation can read the floats too.
    """
    if y.numel() <= CODES_MAX and y.device.type == "cpu" and not y.is_floating_point():
        return None
    dtype = _float_dtype(y.numel())
    return y if y.dtype == dtype else y.to(dtype)


def multilabel_target(y: torch.Tensor) -> torch.Tensor:
    """(N, L) targets as the 0/1 floats :func:`multilabel_counts` counts."""
    dtype = _float_dtype(max(y.shape))
    return y if y.dtype == dtype else y.to(dtype)


def binary_counts(pred: torch.Tensor, target: torch.Tensor, cut: float | None = None) -> torch.Tensor:
    """The 2 x 2 confusion matrix ``[[tn, fp], [fn, tp]]`` (int64) of a flat binary batch.

    ``pred``: float scores, predicted positive at or above ``cut`` (the threshold in score space),
    or 0/1 labels (integer, bool or float) with ``cut=None``; ``target``: 0/1 labels. Both flat, as
    :func:`ignite_f1._inputs.format_binary` gives them.

    Small batches on the CPU (up to :data:`CODES_MAX` samples, integer or bool targets) are counted
    with one ``bincount`` of the cell codes ``2 * target + pred``. Others are thresholded into 0/1
    floats and counted by two sums and one dot product, exact while the batch is small enough for
    the dtype (float32 below 2^24 elements, float64 above), combined into the four cells in int64.
    Off the CPU ``bincount`` is never used: sizing its output reads the largest code on the host.
    Labels other than 0 and 1 (possible only without validation) give wrong counts, or an error.
    """
    n = target.numel()
    if n <= CODES_MAX and target.device.type == "cpu" and not target.is_floating_point():
        if cut is not None:
            pred = torch.ge(pred, cut)
        elif pred.is_floating_point():
            pred = pred.to(torch.int64)
        # bool + bool is logical: the targets count as bytes
        codes = torch.add(pred, target.view(torch.uint8) if target.dtype == torch.bool else target, alpha=2)
        counts = torch.bincount(codes, minlength=4)
        return (counts if counts.numel() == 4 else counts[:4]).view(2, 2)
    dtype = _float_dtype(n)
    pred, target = _zero_one(pred, cut, dtype), _zero_one(target, None, dtype)
    # pp, ap, tp: each sum is exact in its dtype; combining them is not (-pp - ap passes 2^24, where
    # float32 stops holding every integer, for batches over 2^23), so it is done in int64
    sums = torch.stack([pred.sum(), target.sum(), torch.dot(pred, target)]).to(torch.int64)
    cells = constant(("binary cells",), _BINARY_CELLS, torch.int64, sums.device)
    # CUDA has no integer matrix products
    counts = torch.mv(cells, sums) if sums.device.type == "cpu" else (cells * sums).sum(1)
    first = constant(("first cell",), (1, 0, 0, 0), torch.int64, sums.device)
    return counts.add_(first, alpha=n).view(2, 2)


def add_confusion(
    cm: torch.Tensor, target: torch.Tensor, pred: torch.Tensor, weight: torch.Tensor | None = None
) -> None:
    """Add the (target, pred) pairs of a batch to the C x C confusion matrix ``cm`` in place.

    ``target`` and ``pred``: flat int64, ``pred`` in [0, C). Pairs whose target is >= C are skipped
    (:func:`ignite_f1._inputs.format_multiclass` gives ignored targets such a value).

    The work is O(batch): a dense ``bincount(minlength=C*C)`` costs O(C^2) per batch, which at 1000
    classes is more than the arg-max itself, so it is only used while C*C is small next to the batch
    or below :data:`SMALL_MATRIX`; otherwise each pair is added at its index. Off the CPU it is never
    used: sizing its output reads the largest index on the host, which would make the device wait on
    every batch. With ``weight`` (flat float64, one per pair) the pairs add their weights to the
    float64 ``cm`` instead of 1.
    """
    if target.numel() == 0:
        return
    num_classes = cm.shape[0]
    cells = num_classes * num_classes
    if target.device != cm.device:
        target, pred = target.to(cm.device), pred.to(cm.device)
    if weight is not None:
        weight = weight.to(cm.device)
    index = torch.add(pred, target, alpha=num_classes)
    flat = cm.view(-1)
    if cells <= max(index.numel(), SMALL_MATRIX) and index.device.type == "cpu":
        counts = torch.bincount(index, weights=weight, minlength=cells)
        flat.add_(counts if counts.numel() == cells else counts[:cells])  # skipped targets: past the end
    else:
        kept = (index < cells).to(cm.dtype)
        flat.index_add_(0, index.clamp_(max=cells - 1), kept if weight is None else kept * weight)


def binary_weighted_counts(
    pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, cut: float | None = None
) -> torch.Tensor:
    """The float64 2 x 2 ``[[tn, fp], [fn, tp]]`` sums of ``weight`` of a flat binary batch.

    ``pred``, ``target`` and ``cut`` as for :func:`binary_counts`; ``weight``: flat float64, one per
    sample. Each sample adds its weight to its cell (code ``2 * target + pred``).
    """
    positive = torch.ge(pred, cut) if cut is not None else pred != 0
    codes = torch.add(positive.to(torch.int64), (target != 0).to(torch.int64), alpha=2)
    cells = torch.zeros(4, dtype=torch.float64, device=weight.device)
    return cells.index_add_(0, codes.to(weight.device), weight).view(2, 2)


def confusion_class_counts(cm: torch.Tensor) -> torch.Tensor:
    """Per-class (true positives, predicted positives, actual positives), (3, C), of a C x C matrix.

    Rows of ``cm`` are true classes, columns predicted ones (``[[tn, fp], [fn, tp]]`` for C = 2).
    """
    return torch.stack([cm.diagonal(), cm.sum(0), cm.sum(1)])


def add_class_counts(
    counts: torch.Tensor, target: torch.Tensor, pred: torch.Tensor, weight: torch.Tensor | None = None
) -> None:
    """Add the per-class counts of a batch to ``counts`` in place: (3, C) true positives, predicted, actual.

    ``target`` and ``pred``: flat int64 as for :func:`add_confusion` (``pred`` in [0, C); pairs whose
    target is >= C are skipped). These three rows are all that every F-beta average and the report
    need, in O(C) memory whatever the number of classes (see ``keep_confusion_matrix``).

    The work is O(batch) whatever C, and on any device: one ``index_add_`` of 3 N ones (or zeros, for
    skipped pairs and misses) at their flat index into ``counts``; a ``bincount(minlength=C)`` would
    cost O(C) per batch, and sizing one without ``minlength`` reads the largest index on the host.
    With ``weight`` (flat float64, one per pair) each pair adds its weight to the float64 ``counts``.
    """
    if target.numel() == 0:
        return
    num_classes = counts.shape[1]
    if target.device != counts.device:
        target, pred = target.to(counts.device), pred.to(counts.device)
    kept = target < num_classes  # a skipped target is never equal to its prediction (< C)
    # row 0: tp at the target when it equals the prediction; row 1: the prediction; row 2: the target
    index = torch.cat([pred, pred + num_classes, target + 2 * num_classes]).clamp_(max=3 * num_classes - 1)
    ones = torch.cat([target == pred, kept, kept]).to(counts.dtype)
    if weight is not None:
        ones *= weight.to(counts.device).repeat(3)
    counts.view(-1).index_add_(0, index, ones)


def multilabel_confusion(label_counts: torch.Tensor, num_samples: torch.Tensor) -> torch.Tensor:
    """Per-label (L, 2, 2) ``[[tn, fp], [fn, tp]]`` from (3, L) tp, predicted and actual positives.

    ``num_samples``: the number of samples, or the float64 sum of their weights. Cells of float
    sums of weights are differences of sums, in scikit-learn's order (``tn = W - tp - fp - fn``:
    ``W - pp - ap + tp`` cancels catastrophically, 0.5 for a true 0 beside a weight of 1e16), which
    rounding may leave a few ulps below 0 where the true cell is 0: they are clamped at 0 (a count
    is never negative).
    """
    tp, pp, ap = label_counts
    fp, fn = pp - tp, ap - tp
    cells = torch.stack([num_samples - tp - fp - fn, fp, fn, tp], dim=1).reshape(-1, 2, 2)
    return cells.clamp_(min=0) if cells.is_floating_point() else cells


def multilabel_counts(
    pred: torch.Tensor, target: torch.Tensor, beta: float, cut: float | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-label and per-sample statistics of an (N, L) multilabel batch.

    ``pred``: float scores, predicted positive at or above ``cut``, or 0/1 labels with ``cut=None``;
    ``target``: 0/1 labels, as :func:`ignite_f1._inputs.format_multilabel` gives them. They are
    counted as 0/1 floats (float32 while every sum has fewer than 2^24 terms, float64 otherwise),
    whose sums are exact.

    Returns:
        ``label_counts``: int64 (3, L), the per-label true positives, predicted positives and actual
        positives; ``sample_sums``: float64 (4,), the sums over samples of the defined per-sample
        precision, recall, F1 and F-beta; ``sample_defined``: int64 (3,), how many samples had
        precision, recall and F-score defined (precision needs a predicted label, recall a true
        label, an F-score either).

    Notes:
        A per-sample ratio is undefined only when its denominator is 0, and then its true
        positives are 0 too, so dividing by the denominator raised to half the smallest positive one
        (``min(1, beta^2)``) gives the defined ratios and 0 elsewhere, in one pass. The numerators
        ``tp, tp, 2 tp, (1 + b^2) tp`` and denominators ``pp, ap, pp + ap, b^2 ap + pp`` of the
        four ratios come from one matrix product of the per-sample (tp, pp, ap), so that the batch
        costs a fixed, small number of operations. F-beta with ``beta = 1`` is F1.
    """
    dtype = _float_dtype(max(target.shape))
    # (3, N, L): hits, predicted, actual, written in place (stacking them copied all three planes)
    stacked = torch.empty((3, *target.shape), dtype=dtype, device=target.device)
    hits, predicted, actual = stacked.unbind(0)
    if cut is None:
        predicted.copy_(pred)
    else:
        torch.ge(pred, cut, out=predicted)
    actual.copy_(target)
    torch.mul(predicted, actual, out=hits)
    label_counts = stacked.sum(1).to(torch.int64)
    # (3, N): tp, pp, ap; summed in the 0/1 dtype (exact: at most L terms) and then widened, as a
    # float64 sum would first copy the whole (3, N, L) stack to float64
    per_sample = stacked.sum(2).to(torch.float64)
    beta2 = beta * beta
    smallest = min(1.0, beta2) / 2  # a positive denominator is at least min(1, b^2)
    if smallest == 0:  # b^2 underflows to 0: F-beta's denominator is pp alone, and may be 0
        return label_counts, *_sample_sums_underflow(per_sample, beta2)
    weights = constant(("sample ratios", beta2), ratio_weights(beta2), torch.float64, per_sample.device)
    numerators, denominators = torch.mm(weights, per_sample).view(2, 4, -1).unbind(0)
    sums = torch.div(numerators, denominators.clamp(min=smallest)).sum(1)
    defined = torch.count_nonzero(denominators[:3], dim=1)  # the F-beta row is defined with F1's
    return label_counts, sums, defined


def multilabel_weighted_counts(
    pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, beta: float, cut: float | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`multilabel_counts` with one weight per sample (``sample_weight=True``), in float64.

    ``weight``: float64 (N,), checked (:func:`ignite_f1._weights.check_multilabel_weight`).

    Returns:
        ``label_counts``: float64 (3, L), the per-label sums of the weights of the true positives,
        predicted and actual positives; ``sample_sums``: float64 (4,), the weighted sums
        ``sum(w_i * score_i)`` of the defined per-sample precision, recall, F1 and F-beta;
        ``sample_defined``: int64 (4,), how many samples have each defined; ``sample_weights``:
        float64 (2, 4), the sums of the weights of the samples where each is defined (row 0) and
        undefined (row 1).

    Notes:
        scikit-learn's per-sample scores with ``sample_weight`` divide weighted counts, ``w tp / w pp``:
        a sample of weight 0 is undefined (its denominator is 0) whatever its labels, and the
        "samples" average is ``np.average(scores, weights=w)``. The ratios here are those of the
        exact integer counts (the same value, unrounded by the weight) and a score is defined where
        ``w > 0`` and its count denominator is > 0.
    """
    dtype = torch.float64
    pred, target = _zero_one(pred, cut, dtype), _zero_one(target, None, dtype)
    weight = weight.to(device=pred.device, dtype=dtype)
    stacked = torch.stack([pred * target, pred, target])  # (3, N, L): hits, predicted, actual
    label_counts = (stacked * weight[:, None]).sum(1)
    tp, pp, ap = stacked.sum(2)  # (N,) each: exact integers
    beta2 = beta * beta
    numerators = torch.stack([tp, tp, 2.0 * tp, (1.0 + beta2) * tp])
    denominators = torch.stack([pp, ap, pp + ap, beta2 * ap + pp])
    defined = (denominators > 0) & (weight > 0)
    ratios = torch.where(defined, numerators / torch.where(defined, denominators, 1.0), 0.0)
    sums = (ratios * weight).sum(1)
    defined_weight = torch.where(defined, weight, 0.0).sum(1)
    undefined_weight = torch.where(defined, 0.0, weight).sum(1)
    return label_counts, sums, defined.sum(1), torch.stack([defined_weight, undefined_weight])


def ratio_weights(beta2: float) -> tuple[tuple[float, float, float], ...]:
    """(8, 3) weights on (tp, pp, ap): the numerators, then the denominators, of P, R, F1, F-beta."""
    return (
        (1.0, 0.0, 0.0),
        (1.0, 0.0, 0.0),
        (2.0, 0.0, 0.0),
        (1.0 + beta2, 0.0, 0.0),
        (0.0, 1.0, 0.0),
        (0.0, 0.0, 1.0),
        (0.0, 1.0, 1.0),
        (0.0, 1.0, beta2),
    )


def _sample_sums_underflow(per_sample: torch.Tensor, beta2: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The per-sample sums and defined counts when ``beta^2`` underflows to 0 (a rare, slower path)."""
    tp, pp, ap = per_sample
    either = ap + pp
    precision = (tp / pp.clamp(min=0.5)).sum()
    recall = (tp / ap.clamp(min=0.5)).sum()
    f1 = ((2.0 * tp) / either.clamp(min=0.5)).sum()
    numerators, denominators = (1.0 + beta2) * tp, beta2 * ap + pp
    defined = denominators > 0
    fbeta = torch.where(defined, numerators / torch.where(defined, denominators, 1.0), 0.0).sum()
    counts = torch.stack([torch.count_nonzero(pp), torch.count_nonzero(ap), torch.count_nonzero(either)])
    return torch.stack([precision, recall, f1, fbeta]), counts
