"""Sufficient statistics from formatted batches: pure torch, O(batch) work, int64 counts.

Nothing here stores predictions: each function turns a batch into fixed-size counts that are added
to the metric's state, so memory does not grow with the number of samples.
"""

from __future__ import annotations

import torch


def binary_counts(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The 2 x 2 confusion matrix ``[[tn, fp], [fn, tp]]`` (int64) of flat boolean inputs."""
    n = pred.numel()
    tp = torch.count_nonzero(pred & target)
    pp = torch.count_nonzero(pred)
    ap = torch.count_nonzero(target)
    # [[tn, fp], [fn, tp]] with fp = pp - tp, fn = ap - tp, tn = n - pp - ap + tp
    return torch.stack([n - pp - ap + tp, pp - tp, ap - tp, tp]).reshape(2, 2)


def add_confusion(cm: torch.Tensor, target: torch.Tensor, pred: torch.Tensor) -> None:
    """Add the (target, pred) pairs of a batch to the C x C confusion matrix ``cm`` in place.

    The work is O(batch): a dense ``bincount(minlength=C*C)`` would cost O(C^2) per batch, which at
    1000 classes is more than the arg-max itself, so it is only used while C*C is small next to the
    batch.
    """
    if target.numel() == 0:
        return
    num_classes = cm.shape[0]
    index = target.to(cm.device) * num_classes + pred.to(cm.device)
    flat = cm.view(-1)
    if num_classes * num_classes <= index.numel():
        flat += torch.bincount(index, minlength=num_classes * num_classes)
    else:
        flat.index_put_((index,), torch.ones_like(index), accumulate=True)


def multilabel_counts(
    pred: torch.Tensor, target: torch.Tensor, beta: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-label and per-sample statistics of boolean (N, L) inputs.

    Returns:
        ``label_counts``: int64 (3, L), the per-label true positives, predicted positives and actual
        positives; ``sample_sums``: float64 (4,), the sums over samples of the defined per-sample
        precision, recall, F1 and F-beta; ``sample_defined``: int64 (3,), how many samples had
        precision, recall and F-score defined (precision needs a predicted label, recall a true
        label, an F-score either).
    """
    hits = pred & target
    tp_label = hits.sum(0)
    pp_label = pred.sum(0)
    ap_label = target.sum(0)
    label_counts = torch.stack([tp_label, pp_label, ap_label]).to(torch.int64)

    tp = hits.sum(1, dtype=torch.float64)
    pp = pred.sum(1, dtype=torch.float64)
    ap = target.sum(1, dtype=torch.float64)
    beta2 = beta * beta
    # per-sample F-beta = (1 + b^2) tp / (b^2 * ap + pp), undefined when ap = pp = 0 (sklearn)
    denominators = torch.stack([pp, ap, ap + pp, beta2 * ap + pp])
    numerators = torch.stack([tp, tp, 2.0 * tp, (1.0 + beta2) * tp])
    defined = denominators > 0
    ratios = torch.where(defined, numerators / torch.where(defined, denominators, 1.0), 0.0)
    return label_counts, ratios.sum(1), defined[:3].sum(1)
