"""Sufficient statistics from formatted batches: pure torch, O(batch) work, int64 counts.

Nothing here stores predictions: each function turns a batch into fixed-size counts that are added
to the metric's state, so memory does not grow with the number of samples. Every function reads a
batch in as few passes as it can (a metric runs on every batch), and none reads a value on the host,
so none makes an accelerator wait.
"""

from __future__ import annotations

import torch

# [pp, ap, tp] @ _BINARY_CELLS + [n, 0, 0, 0] = [tn, fp, fn, tp]: tn = n - pp - ap + tp, fp = pp - tp,
# fn = ap - tp
_BINARY_CELLS = ((-1, 1, 0, 0), (-1, 0, 1, 0), (1, -1, -1, 1))
_CONSTANTS: dict[tuple[object, ...], torch.Tensor] = {}


def _constant(
    key: tuple[object, ...], values: object, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """A small constant tensor, made once per (key, device) instead of once per batch."""
    full_key = (*key, dtype, device)
    tensor = _CONSTANTS.get(full_key)
    if tensor is None:
        tensor = _CONSTANTS[full_key] = torch.tensor(values, dtype=dtype, device=device)
    return tensor


def binary_counts(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The 2 x 2 confusion matrix ``[[tn, fp], [fn, tp]]`` (int64) of flat 0/1 inputs.

    ``pred`` and ``target``: 0/1 floats as :func:`ignite_f1._inputs.format_binary` gives them (or
    booleans): two sums and one dot product, exact while the batch is small enough for the dtype
    (format_binary picks float64 past 2^24 elements), combined into the four cells in int64.
    """
    if pred.dtype != target.dtype or not pred.is_floating_point():
        pred, target = pred.to(torch.float64), target.to(torch.float64)
    # pp, ap, tp: each sum is exact in its dtype; combining them is not (-pp - ap passes 2^24, where
    # float32 stops holding every integer, for batches over 2^23), so it is done in int64
    sums = torch.stack([pred.sum(), target.sum(), torch.dot(pred, target)]).to(torch.int64)
    cells = _constant(("binary cells",), _BINARY_CELLS, torch.int64, sums.device)
    counts = (sums.unsqueeze(1) * cells).sum(0)  # not mv: CUDA has no integer matrix products
    counts[0] += pred.numel()
    return counts.view(2, 2)


def add_confusion(cm: torch.Tensor, target: torch.Tensor, pred: torch.Tensor) -> None:
    """Add the (target, pred) pairs of a batch to the C x C confusion matrix ``cm`` in place.

    ``target`` and ``pred``: flat int64, ``pred`` in [0, C). Pairs whose target is >= C are skipped
    (:func:`ignite_f1._inputs.format_multiclass` gives ignored targets such a value).

    The work is O(batch): a dense ``bincount(minlength=C*C)`` costs O(C^2) per batch, which at 1000
    classes is more than the arg-max itself, so it is only used while C*C is small next to the batch;
    otherwise each pair is added at its index. Off the CPU it is never used: sizing its output reads
    the largest index on the host, which would make the device wait on every batch.
    """
    if target.numel() == 0:
        return
    num_classes = cm.shape[0]
    cells = num_classes * num_classes
    if target.device != cm.device:
        target, pred = target.to(cm.device), pred.to(cm.device)
    index = torch.add(pred, target, alpha=num_classes)
    flat = cm.view(-1)
    if cells <= index.numel() and index.device.type == "cpu":
        counts = torch.bincount(index, minlength=cells)
        flat.add_(counts if counts.numel() == cells else counts[:cells])  # skipped targets: past the end
    else:
        kept = (index < cells).to(torch.int64)
        flat.index_add_(0, index.clamp_(max=cells - 1), kept)


def confusion_class_counts(cm: torch.Tensor) -> torch.Tensor:
    """Per-class (true positives, predicted positives, actual positives), (3, C), of a C x C matrix.

    Rows of ``cm`` are true classes, columns predicted ones (``[[tn, fp], [fn, tp]]`` for C = 2).
    """
    return torch.stack([cm.diagonal(), cm.sum(0), cm.sum(1)])


def add_class_counts(counts: torch.Tensor, target: torch.Tensor, pred: torch.Tensor) -> None:
    """Add the per-class counts of a batch to ``counts`` in place: (3, C) true positives, predicted, actual.

    ``target`` and ``pred``: flat int64 as for :func:`add_confusion` (``pred`` in [0, C); pairs whose
    target is >= C are skipped). These three rows are all that every F-beta average and the report
    need, in O(C) memory whatever the number of classes (see ``keep_confusion_matrix``).

    The work is O(batch) whatever C, and on any device: one ``index_add_`` of 3 N ones (or zeros, for
    skipped pairs and misses) at their flat index into ``counts``; a ``bincount(minlength=C)`` would
    cost O(C) per batch, and sizing one without ``minlength`` reads the largest index on the host.
    """
    if target.numel() == 0:
        return
    num_classes = counts.shape[1]
    if target.device != counts.device:
        target, pred = target.to(counts.device), pred.to(counts.device)
    kept = target < num_classes  # a skipped target is never equal to its prediction (< C)
    # row 0: tp at the target when it equals the prediction; row 1: the prediction; row 2: the target
    index = torch.cat([pred, pred + num_classes, target + 2 * num_classes]).clamp_(max=3 * num_classes - 1)
    ones = torch.cat([target == pred, kept, kept]).to(torch.int64)
    counts.view(-1).index_add_(0, index, ones)


def multilabel_confusion(label_counts: torch.Tensor, num_samples: torch.Tensor) -> torch.Tensor:
    """Per-label (L, 2, 2) ``[[tn, fp], [fn, tp]]`` from (3, L) tp, predicted and actual positives."""
    tp, pp, ap = label_counts
    return torch.stack([num_samples - pp - ap + tp, pp - tp, ap - tp, tp], dim=1).reshape(-1, 2, 2)


def multilabel_counts(
    pred: torch.Tensor, target: torch.Tensor, beta: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-label and per-sample statistics of (N, L) 0/1 inputs.

    ``pred`` and ``target``: 0/1 floats as :func:`ignite_f1._inputs.format_multilabel` gives them
    (or booleans); sums of them are exact (see there).

    Returns:
        ``label_counts``: int64 (3, L), the per-label true positives, predicted positives and actual
        positives; ``sample_sums``: float64 (4,), the sums over samples of the defined per-sample
        precision, recall, F1 and F-beta; ``sample_defined``: int64 (3,), how many samples had
        precision, recall and F-score defined (precision needs a predicted label, recall a true
        label, an F-score either).

    Notes:
        A per-sample ratio is undefined only when its denominator is 0, and then its true
        positives are 0 too, so dividing by the denominator raised to half the smallest positive one
        gives the defined ratios and 0 elsewhere, in one pass. F-beta with ``beta = 1`` is F1.
    """
    if pred.dtype != target.dtype or not pred.is_floating_point():
        pred, target = pred.to(torch.float64), target.to(torch.float64)
    hits = pred * target
    label_counts = torch.stack([hits.sum(0), pred.sum(0), target.sum(0)]).to(torch.int64)
    tp, pp, ap = torch.stack([hits.sum(1), pred.sum(1), target.sum(1)]).to(torch.float64)
    either = ap + pp
    precision = (tp / pp.clamp(min=0.5)).sum()  # counts are integers: a positive one is >= 1
    recall = (tp / ap.clamp(min=0.5)).sum()
    f1 = ((2.0 * tp) / either.clamp(min=0.5)).sum()
    fbeta = f1 if beta == 1.0 else _fbeta_sum(tp, pp, ap, beta * beta)
    defined = torch.stack([torch.count_nonzero(pp), torch.count_nonzero(ap), torch.count_nonzero(either)])
    return label_counts, torch.stack([precision, recall, f1, fbeta]), defined


def _fbeta_sum(tp: torch.Tensor, pp: torch.Tensor, ap: torch.Tensor, beta2: float) -> torch.Tensor:
    """Sum of the defined per-sample F-beta = (1 + b^2) tp / (b^2 ap + pp) (undefined when ap = pp = 0)."""
    numerators = (1.0 + beta2) * tp
    denominators = beta2 * ap + pp
    smallest = min(1.0, beta2) / 2  # a positive denominator is at least min(1, b^2)
    if smallest > 0:
        return (numerators / denominators.clamp(min=smallest)).sum()
    defined = denominators > 0  # b^2 underflows to 0
    return torch.where(defined, numerators / torch.where(defined, denominators, 1.0), 0.0).sum()
