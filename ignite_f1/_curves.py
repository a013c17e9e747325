"""Counts at many thresholds, and the precision / recall / F-beta curves they give: pure torch.

A metric built with ``num_thresholds=T`` keeps, next to its confusion counts, a histogram of its
scores over T evenly spaced probability thresholds ``t_i = i / (T - 1)`` (0 and 1 included), one row
for negative and one for positive targets. Bin ``i`` holds the samples whose probability is at or
above ``t_i`` and below ``t_(i+1)``; a reversed cumulative sum turns the histogram into the counts of
samples at or above each threshold, which are the true and false positives of the classifier "positive
when the probability is >= t_i". With sample weights (``sample_weight=True``) each sample adds its
weight instead of 1: the histogram holds float64 sums of weights, and the curves are scikit-learn's
with ``sample_weight``. Memory is constant (2 x T, or 2 x L x T for L labels) and a batch
costs O(batch + T): a bin guessed from each probability and corrected by exact comparisons, one
scatter-add into a histogram of the batch, and that histogram added to the kept one.

Thresholds are compared with the scores exactly as the metric compares them with its own
``threshold``: in the dtype of ``y_pred``, and for logits against ``logit(t_i)`` (a sigmoid only
guesses the bin; the comparison that decides is with the logit). The curve point at
``t_i == threshold`` therefore holds exactly the metric's confusion counts.
"""

from __future__ import annotations

from typing import Any

import torch

from ignite_f1._inputs import logit_threshold
from ignite_f1._validation import check_count

CURVE_AVERAGES = (None, "micro", "macro")


def check_num_thresholds(num_thresholds: Any) -> int | None:
    """Check ``num_thresholds``: None or an integer >= 2."""
    if num_thresholds is None:
        return None
    return check_count("num_thresholds", num_thresholds)


def thresholds(num_thresholds: int) -> torch.Tensor:
    """The probability thresholds ``i / (T - 1)`` for i in 0..T-1, float64 (0 and 1 exact)."""
    return torch.arange(num_thresholds, dtype=torch.float64) / (num_thresholds - 1)


def score_boundaries(num_thresholds: int, from_logits: bool) -> torch.Tensor:
    """The thresholds in score space: probabilities, or their logits (-inf and +inf at the ends)."""
    probabilities = thresholds(num_thresholds)
    if not from_logits:
        return probabilities
    return torch.tensor([logit_threshold(t) for t in probabilities.tolist()], dtype=torch.float64)


# Up to this many thresholds, rounding (of the cuts to float32, of the float64 guess) moves a score
# by at most one bin, so one correction each way makes the arithmetic guess exact.
_GUESS_MAX_THRESHOLDS = 1 << 20


_CONVERTED: dict[tuple[int, torch.dtype, torch.device], tuple[torch.Tensor, torch.Tensor]] = {}


def _converted(boundaries: torch.Tensor, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``boundaries`` in ``dtype`` on ``device``, converted once, not once per batch (a copy to an
    accelerator waits for it). Kept with the tensor it came from, so that a recycled id misses."""
    key = (id(boundaries), dtype, device)
    cached = _CONVERTED.get(key)
    if cached is None or cached[0] is not boundaries:
        if len(_CONVERTED) >= 64:
            _CONVERTED.clear()
        cached = _CONVERTED[key] = (boundaries, boundaries.to(device=device, dtype=dtype))
    return cached[1]


def bin_index(scores: torch.Tensor, boundaries: torch.Tensor, from_logits: bool) -> torch.Tensor:
    """For each score, the index of the highest threshold it reaches (int64, in [0, T-1]).

    Float scores are compared in their own dtype (as ``scores >= threshold`` compares); integer or
    bool scores are 0/1 labels, that is probabilities 0 and 1. For float32 / float64 scores the bin
    is guessed from the probability (``floor(p * (T - 1))``, the sigmoid computed in float64 for
    logits) and corrected by one exact comparison with each neighbouring cut: O(batch), several
    times faster than ``searchsorted`` on CPU. Other dtypes and very many thresholds use
    ``searchsorted`` (O(batch log T)); both give the same bins.
    """
    last = boundaries.numel() - 1
    if not scores.is_floating_point():
        return torch.where(scores != 0, last, 0).to(torch.int64)
    cuts = _converted(boundaries, scores.dtype, scores.device)
    if scores.dtype not in (torch.float32, torch.float64) or last + 1 > _GUESS_MAX_THRESHOLDS:
        return (torch.searchsorted(cuts, scores.contiguous(), right=True) - 1).clamp_(0, last)
    wide = scores.to(torch.float64)
    probability = torch.sigmoid(wide) if from_logits else wide
    guess = (probability * last).floor_().nan_to_num_(0.0).clamp_(0, last).to(torch.int64)
    guess -= (scores < cuts[guess]).to(torch.int64)  # one too high
    following = (guess + 1).clamp_(max=last)
    guess += ((scores >= cuts[following]) & (guess < last)).to(torch.int64)  # one too low
    return guess.clamp_(0, last)


def threshold_histogram(
    scores: torch.Tensor,
    target: torch.Tensor,
    boundaries: torch.Tensor,
    from_logits: bool,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Histogram of a batch over the thresholds, split by target.

    Args:
        scores: flat scores (N,) for one binary problem, or (N, L) for L labels.
        target: boolean targets of the same shape.
        boundaries: the T thresholds in score space (:func:`score_boundaries`).
        from_logits: float scores are logits (and ``boundaries`` their logit thresholds).
        weight: ``None``, or float64 sample weights (N,): one per score, or one per row of (N, L)
            scores (scikit-learn's ``sample_weight``); each sample then adds its weight, not 1.

    Returns:
        int64 counts (2, T) or (2, L, T): ``[negatives, positives]`` whose highest reached threshold
        is ``t_i``; float64 sums of weights with ``weight``.
    """
    num_thresholds = boundaries.numel()
    bins = bin_index(scores, boundaries, from_logits)
    labels = 1 if scores.ndim == 1 else scores.shape[1]
    index = target.to(torch.int64) * labels
    if scores.ndim == 2:
        index = index + torch.arange(labels, device=scores.device)
    index = (index * num_thresholds + bins).reshape(-1)
    size = 2 * labels * num_thresholds
    values = None
    if weight is not None:
        weight = weight.to(device=scores.device, dtype=torch.float64)
        values = (weight if scores.ndim == 1 else weight[:, None].expand(scores.shape)).reshape(-1)
    if index.numel() >= size and index.device.type == "cpu":  # bincount syncs with the host elsewhere
        counts = torch.bincount(index, weights=values, minlength=size)
    else:  # O(batch) instead of O(size) when the histogram is larger than the batch
        dtype = torch.int64 if values is None else torch.float64
        counts = torch.zeros(size, dtype=dtype, device=scores.device)
        counts.index_put_((index,), torch.ones_like(index) if values is None else values, accumulate=True)
    shape = (2, num_thresholds) if scores.ndim == 1 else (2, labels, num_thresholds)
    return counts.reshape(shape)


def counts_at_or_above(histogram: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(negatives, positives) at or above each threshold, from a histogram (2, ..., T)."""
    at_or_above = histogram.flip(-1).cumsum(-1).flip(-1)
    return at_or_above[0], at_or_above[1]


def _ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    defined = denominator > 0
    return torch.where(defined, numerator / torch.where(defined, denominator, 1.0), 0.0)


def curve(histogram: torch.Tensor, beta: float, average: str | None = None) -> dict[str, torch.Tensor]:
    """Precision, recall and F-beta at every threshold, from a histogram (2, T) or (2, L, T).

    Undefined values (no predicted positive for precision, no positive for recall, neither for
    F-beta) are 0. ``average`` applies to (2, L, T) only: None keeps one curve per label, ``"micro"``
    pools the labels' counts, ``"macro"`` is the mean of the labels' curves.

    Returns:
        float64 tensors ``thresholds`` (T,) and ``precision``, ``recall``, ``fbeta`` ((T,), or (L, T)
        per label).
    """
    histogram = histogram.cpu()
    if average == "micro" and histogram.ndim == 3:
        histogram = histogram.sum(1)
    negatives, positives = counts_at_or_above(histogram.to(torch.float64))
    tp, pp = positives, positives + negatives
    ap = positives[..., :1]
    beta2 = beta * beta
    result = {
        "precision": _ratio(tp, pp),
        "recall": _ratio(tp, ap.expand_as(tp)),
        # sklearn's arithmetic: (1 + b^2) tp / (b^2 (tp + fn) + (tp + fp))
        "fbeta": _ratio((1.0 + beta2) * tp, beta2 * ap + pp),
    }
    if average == "macro" and histogram.ndim == 3:
        result = {name: values.mean(0) for name, values in result.items()}
    return {"thresholds": thresholds(histogram.shape[-1]), **result}


def best_threshold(curves: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The threshold with the highest F-beta (the lowest such threshold on ties) and that F-beta.

    0-d float64 tensors for one curve (T,); tensors (L,) for per-label curves (L, T).
    """
    fbeta = curves["fbeta"]
    index = fbeta.argmax(-1)  # the first maximum: the lowest of equally good thresholds
    score = fbeta.gather(-1, index.unsqueeze(-1)).squeeze(-1)
    return curves["thresholds"][index], score


def pr_curve_counts(histogram: torch.Tensor) -> dict[str, torch.Tensor]:
    """tp, fp, tn, fn (float64) at every threshold, in TensorBoard's PR-curve order."""
    negatives, positives = counts_at_or_above(histogram.cpu().to(torch.float64))
    tp, fp = positives, negatives
    return {"tp": tp, "fp": fp, "tn": negatives[..., :1] - fp, "fn": positives[..., :1] - tp}
