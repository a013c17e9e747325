"""Per-image (samplewise) F-beta, the mean Dice of segmentation: pure torch, batched over images.

A batch of N images turns into per-image per-class counts (N, 3, C) (true positives, predicted and
actual pixels of each class in each image) in one ``index_add_`` (:func:`image_class_counts`), or in
three row sums for binary masks (:func:`binary_image_counts`). :func:`image_fbeta` scores every image
at once in float64, following ``sklearn.metrics.fbeta_score`` on that image's pixels: the same
formula ``(1 + beta^2) tp / (beta^2 actual + predicted)``, ``zero_division`` where its denominator is
0 (0.0 for ``"warn"``), with ``labels=None`` the classes absent from an image's targets and
predictions left out of that image's averages, and NaN left out of the averages (all-zero weights of
``"weighted"`` falling back to the plain mean), as scikit-learn's ``_nanaverage`` does. An image
without a counted pixel (every target ignored) has no score. :func:`image_sums` reduces the scores
to the additions of the metric's running sums: the sum of the defined scores, their number and the
number of undefined (zero-division) scores, per class for ``average=None``.

With sample weights (``sample_weight=True``) the counts are float64 sums of the pixels' weights
(:func:`weighted_image_class_counts`, :func:`binary_weighted_image_counts`), each image is scored
as ``fbeta_score(..., sample_weight=w[i])`` scores its pixels (its label set still read from the
unweighted counts, as scikit-learn's is), and the mean over images is weighted by each image's
weight, the mean weight of its counted pixels (:func:`image_weights`, :func:`weighted_image_sums`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ignite_f1 import _counts
from ignite_f1._validation import ZeroDivision

BINARY = "binary"
"""The ``average`` of the binary metrics here: the F-beta of class 1 of the (N, 3, 2) counts."""


def check_images(y: torch.Tensor, shape: str, column_is_samples: bool = False) -> int:
    """The number of images N of a checked target ``y`` (N, d1, ...); refuse a target without extra dims.

    ``column_is_samples``: a binary target (N, 1) is N samples as a column (it is read that way
    with multidim_average='global'), not N one-pixel images: refused rather than guessed.
    """
    if column_is_samples and y.ndim == 2 and y.shape[1] == 1:
        raise ValueError(
            f"Argument `y` of shape {tuple(y.shape)} is ambiguous with multidim_average='samplewise': "
            "a binary (N, 1) target is read as N samples in a column, not N images of one pixel. "
            "Pass images as (N, d1, ...) with d1, ... the pixels (for one-pixel images, (N, 1, 1)), "
            "or use multidim_average='global' for one score over all samples."
        )
    if y.ndim < 2:
        raise ValueError(
            f"Argument `y` must have extra dimensions {shape} with multidim_average='samplewise' "
            f"(one score per image over its d1, ... pixels), got shape {tuple(y.shape)}: for one score "
            "over all samples use multidim_average='global'."
        )
    return int(y.shape[0])


def image_class_counts(
    target: torch.Tensor, pred: torch.Tensor, num_images: int, num_classes: int
) -> torch.Tensor:
    """Per-image (tp, predicted, actual) counts of each class, int64 (N, 3, C), in one pass.

    ``target`` and ``pred``: the flat int64 pixels of N equal-sized images in order (as
    :func:`ignite_f1._inputs.format_multiclass` gives them); targets >= C are skipped.

    On the CPU, while the N (C + 1) x C cells of the per-image confusion matrices are no more than
    the pixels, one ``bincount`` of the pixels' cells (:func:`_image_confusion`); otherwise one
    ``index_add_`` of three entries per pixel, O(pixels) whatever C, on any device.
    """
    if _by_confusion(target, num_images, num_classes):
        return confusion_class_counts(_image_confusion(target, pred, num_images, num_classes))
    counts = torch.zeros(num_images * 3 * num_classes, dtype=torch.int64, device=target.device)
    if target.numel() == 0:
        return counts.view(num_images, 3, num_classes)
    index, ones = _image_cells(target, pred, num_images, num_classes)
    counts.index_add_(0, index, ones.to(torch.int64))
    return counts.view(num_images, 3, num_classes)


def _by_confusion(target: torch.Tensor, num_images: int, num_classes: int) -> bool:
    # bincount sizes its output from the largest code: a host read off the CPU
    cells = num_images * (num_classes + 1) * num_classes
    return target.device.type == "cpu" and 0 < cells <= target.numel()


def _image_confusion(
    target: torch.Tensor,
    pred: torch.Tensor,
    num_images: int,
    num_classes: int,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-image confusion matrices (N, C + 1, C) by one ``bincount`` (rows: true class, row C the
    skipped targets); int64 counts, or float64 sums of ``weight`` (flat, one per pixel)."""
    cells = (num_classes + 1) * num_classes
    codes = target.clamp(max=num_classes).mul_(num_classes).add_(pred).view(num_images, -1)
    codes = codes + torch.arange(0, num_images * cells, cells, device=target.device).unsqueeze(1)
    counts = torch.bincount(codes.view(-1), weights=weight, minlength=num_images * cells)
    return counts.view(num_images, num_classes + 1, num_classes)


def confusion_class_counts(confusion: torch.Tensor) -> torch.Tensor:
    """(N, 3, C) true positives, predicted and actual of (N, C + 1, C) matrices (row C skipped)."""
    kept = confusion[:, :-1]
    return torch.stack([kept.diagonal(dim1=1, dim2=2), kept.sum(1), kept.sum(2)], 1)


def _image_cells(
    target: torch.Tensor, pred: torch.Tensor, num_images: int, num_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pixel's three flat indices into the (N, 3, C) counts, and whether each adds (bool)."""
    width = 3 * num_classes
    pixels = target.numel() // num_images
    base = torch.arange(target.numel(), device=target.device).div_(pixels, rounding_mode="floor").mul_(width)
    kept = target < num_classes
    true = target.clamp(max=num_classes - 1)
    index = torch.cat([base + pred, base + pred + num_classes, base + true + 2 * num_classes])
    return index, torch.cat([target == pred, kept, kept])


def weighted_image_class_counts(
    target: torch.Tensor, pred: torch.Tensor, num_images: int, num_classes: int, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image sums of weights (float64 (N, 3, C)) and the counts of :func:`image_class_counts`.

    ``weight``: flat float64, one per pixel of ``target`` (as
    :func:`ignite_f1._weights.check_sample_weight` gives it). The counts decide the label set of
    each image (a class seen with weight 0 is in it, as in scikit-learn) and which images have a
    counted pixel; the sums give the scores.
    """
    if _by_confusion(target, num_images, num_classes):
        weight = weight.to(target.device)
        sums = confusion_class_counts(_image_confusion(target, pred, num_images, num_classes, weight))
        return sums, confusion_class_counts(_image_confusion(target, pred, num_images, num_classes))
    shape = (num_images, 3, num_classes)
    sums = torch.zeros(math.prod(shape), dtype=torch.float64, device=target.device)
    counts = torch.zeros(math.prod(shape), dtype=torch.int64, device=target.device)
    if target.numel() > 0:
        index, ones = _image_cells(target, pred, num_images, num_classes)
        counts.index_add_(0, index, ones.to(torch.int64))
        sums.index_add_(0, index, torch.where(ones, weight.to(target.device).repeat(3), 0.0))
    return sums.view(shape), counts.view(shape)


def binary_image_counts(
    pred: torch.Tensor, target: torch.Tensor, num_images: int, cut: float | None
) -> torch.Tensor:
    """Per-image counts (N, 3, 2) of classes 0 and 1 from flat binary pixels (scores or 0/1 labels).

    ``pred`` is positive when ``>= cut`` (float scores) or 1 (0/1 labels, ``cut=None``). The
    pixels are counted as 0/1 floats (three row sums, several times faster than sums of bools),
    exact while an image has fewer than 2^24 pixels in float32 (float64 beyond), then combined in
    int64.
    """
    pixels = pred.numel() // num_images
    dtype = torch.float32 if pixels < 1 << 24 else torch.float64
    if cut is None:  # 0/1 labels (checked by validation) count as they are
        positive = pred.to(dtype)
    else:  # written as 0/1 floats directly: no bool tensor to convert
        positive = torch.ge(pred, cut, out=torch.empty(pred.shape, dtype=dtype, device=pred.device))
    positive = positive.reshape(num_images, -1)
    true = (target if target.dtype == dtype else target.to(dtype)).reshape(num_images, -1)
    sums = [positive.mul(true).sum(1), positive.sum(1), true.sum(1)]
    return binary_class_counts(torch.stack(sums, 1).to(torch.int64), pixels)


def binary_class_counts(ones: torch.Tensor, pixels: int) -> torch.Tensor:
    """Per-image counts (N, 3, 2) of classes 0 and 1 from the int64 (N, 3) tp, predicted and actual
    of class 1 in images of ``pixels`` pixels."""
    tp1, pp1, ap1 = ones.unbind(1)
    zeros = torch.stack([pixels - pp1 - ap1 + tp1, pixels - pp1, pixels - ap1], 1)
    return torch.stack([zeros, ones], 2)


def binary_weighted_image_counts(
    pred: torch.Tensor, target: torch.Tensor, num_images: int, cut: float | None, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image sums of weights (float64 (N, 3, 2)) and the counts of :func:`binary_image_counts`.

    ``weight``: flat float64, one per pixel. Each of the six sums is taken directly (no
    difference of float sums), so a cell without weight is exactly 0.
    """
    positive = (pred >= cut) if cut is not None else pred != 0
    positive = positive.reshape(num_images, -1)
    true = (target != 0).reshape(num_images, -1)
    w = weight.to(positive.device).reshape(num_images, -1)
    masks = [(~positive & ~true, positive & true), (~positive, positive), (~true, true)]  # tp, pp, ap
    sums = [torch.stack([torch.where(m, w, 0.0).sum(1) for m in pair], 1) for pair in masks]
    return torch.stack(sums, 1), binary_image_counts(pred, target, num_images, cut)


def image_weights(
    weight: torch.Tensor, y_shape: Sequence[int], sums: torch.Tensor, counts: torch.Tensor
) -> torch.Tensor:
    """Each image's weight in the mean over images (float64 (N,)): the mean weight of its counted pixels.

    ``weight``: the batch's weights as given, (N,) per image (then exactly ``weight``) or one per
    pixel of the target of shape ``y_shape`` (then the sum of the counted pixels' weights over their
    number, from the (N, 3, C) ``sums`` and ``counts``; 0 for an image without a counted pixel).
    """
    if tuple(weight.shape) == tuple(y_shape[:1]):
        return weight.to(device=sums.device, dtype=torch.float64)
    number = counts[:, 2].sum(1)
    return torch.where(number > 0, sums[:, 2].sum(1) / number.clamp(min=1), 0.0)


def _zero_division_value(zero_division: ZeroDivision) -> float:
    return 0.0 if zero_division == "warn" else float(zero_division)


def image_fbeta(
    counts: torch.Tensor,
    beta: float,
    average: str | None,
    labels: Sequence[int] | None,
    zero_division: ZeroDivision,
    seen: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each image's F-beta as scikit-learn scores its pixels: (scores, undefined counts).

    ``counts``: (N, 3, C) from :func:`image_class_counts` or :func:`binary_image_counts`, or sums
    of weights; ``seen``: then the unweighted counts, which decide each image's label set and
    whether it has a counted pixel (default: ``counts``).
    ``average``: ``"binary"`` (class 1), ``"micro"``, ``"macro"``, ``"weighted"`` or ``None``.

    Returns:
        float64 scores (N,) (or (N, K) per class for ``average=None``, K = ``len(labels)`` or C),
        NaN where an image has no score (no counted pixel; a class absent from the image with
        ``labels=None``; ``zero_division=nan``), and the number of zero divisions among each
        image's scores (int64 (N,)), for the ``"warn"`` warning.
    """
    seen = counts if seen is None else seen
    tp, pp, ap = counts.to(torch.float64).unbind(1)
    has_pixels = seen[:, 2].sum(1) > 0
    if average == BINARY:
        labels = [1]
    beta2 = beta**2
    if labels is not None:  # the columns: a constant per labels and device (no copy per batch)
        columns = _counts.constant(("labels", *labels), list(labels), torch.int64, counts.device)
        tp, pp, ap = tp[:, columns], pp[:, columns], ap[:, columns]
        scored = has_pixels.unsqueeze(1).expand_as(tp)
    else:
        scored = (seen[:, 1] + seen[:, 2] > 0) & has_pixels.unsqueeze(1)
    zero = _zero_division_value(zero_division)
    if average in ("micro", BINARY):
        tp, pp, ap = (torch.where(scored, x, 0.0).sum(1) for x in (tp, pp, ap))
        scored = has_pixels
    denom = beta2 * ap + pp
    fbeta = torch.where(denom > 0, (1 + beta2) * tp / denom, zero)
    undefined = scored & (denom == 0)
    undefined = undefined.sum(1) if undefined.ndim == 2 else undefined.to(torch.int64)
    fbeta = torch.where(scored, fbeta, math.nan)
    if average in (None, "micro", BINARY):
        return fbeta, undefined
    kept = ~torch.isnan(fbeta)
    values = torch.where(kept, fbeta, 0.0)
    number = kept.sum(1)
    mean = torch.where(number > 0, values.sum(1) / number.clamp(min=1), math.nan)
    if average == "macro":
        return mean, undefined
    weights = torch.where(kept, ap, 0.0)
    total = weights.sum(1)
    weighted = (values * weights).sum(1) / torch.where(total > 0, total, 1.0)  # sums of weights may be < 1
    return torch.where(total > 0, weighted, mean), undefined


def image_sums(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The additions of a batch's scores to the running sums: (sum of defined scores, their number).

    ``scores``: (N,) or (N, K) from :func:`image_fbeta`; the sums have shape (1,) or (K,).
    """
    scores = scores.unsqueeze(1) if scores.ndim == 1 else scores
    defined = ~torch.isnan(scores)
    return torch.where(defined, scores, 0.0).sum(0), defined.sum(0)


def weighted_image_sums(scores: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`image_sums` weighted by the images' ``weight`` (N,): (sum of weight x score, sum of weight).

    Both float64 of shape (1,) or (K,), over the defined (not NaN) scores of each column.
    """
    scores = scores.unsqueeze(1) if scores.ndim == 1 else scores
    defined = ~torch.isnan(scores)
    weight = weight.to(scores.device).unsqueeze(1)
    return torch.where(defined, scores * weight, 0.0).sum(0), torch.where(defined, weight, 0.0).sum(0)


def mean_scores(total: torch.Tensor, number: torch.Tensor) -> torch.Tensor:
    """The mean scores from the running sums (float64 (1,) or (K,)): NaN where no image had a score.

    ``number``: how many images had a score (int64), or the sum of their weights (float64).
    """
    return torch.where(number > 0, total / torch.where(number > 0, number, 1), math.nan)
