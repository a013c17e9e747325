"""Counting from formatted batches equals a plain reference, exactly.

The references are the direct formulas (booleans, ``bincount`` over all C x C cells, masked
per-sample ratios); the functions under test take shortcuts for speed (0/1 floats and dot products,
O(batch) index additions, ratios over clamped denominators) that must not change a single bit.
"""

from __future__ import annotations

import pytest
import torch

from ignite_f1 import BinaryF1Score, _counts


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- binary


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bool], ids=str)
@pytest.mark.parametrize("n", [0, 1, 17, 4096])
def test_binary_counts(n: int, dtype: torch.dtype) -> None:
    gen = _gen(n)
    pred = torch.rand(n, generator=gen) < 0.4
    target = torch.rand(n, generator=gen) < 0.3
    tp = int((pred & target).sum())
    pp, ap = int(pred.sum()), int(target.sum())
    expected = torch.tensor([[n - pp - ap + tp, pp - tp], [ap - tp, tp]])
    counts = _counts.binary_counts(pred.to(dtype), target.to(dtype))
    assert counts.dtype == torch.int64
    assert torch.equal(counts, expected)


def _numpy_cells(pred: torch.Tensor, target: torch.Tensor) -> list[list[int]]:
    """[[tn, fp], [fn, tp]] counted by numpy on booleans, independently of the code under test."""
    p, t = pred.numpy().astype(bool), target.numpy().astype(bool)
    return [[int((~p & ~t).sum()), int((p & ~t).sum())], [int((~p & t).sum()), int((p & t).sum())]]


def test_binary_counts_are_exact_between_2_23_and_2_24_elements() -> None:
    """A (15, 1, 1024, 1024)-sized segmentation batch lies between 2^23 and 2^24 elements: its sums
    are exact in float32, but combining them (-pp - ap, an odd number past 2^24) was not, so tn was
    off by one."""
    n = (1 << 23) + 4097
    pred = torch.ones(n, dtype=torch.uint8)
    target = torch.ones(n, dtype=torch.uint8)
    picked = torch.randperm(n, generator=_gen(1))[:3001]
    pred[picked[:1000]] = 0  # fn
    target[picked[1000:2001]] = 0  # fp
    pred[picked[2001:]] = 0  # tn, with the others: pp + ap is odd and above 2^24
    target[picked[2001:]] = 0
    expected = _numpy_cells(pred, target)
    both = int(pred.sum()) + int(target.sum())
    assert both > 1 << 24 and both % 2 == 1  # not a float32 number
    counts = _counts.binary_counts(pred.to(torch.float32), target.to(torch.float32))
    assert counts.tolist() == expected
    metric = BinaryF1Score(from_logits=False)  # through format_binary, which picks float32 here
    metric.update((pred, target))
    assert metric.confusion_matrix().tolist() == expected


# --------------------------------------------------------------------------- multi-class


def _dense_confusion(target: torch.Tensor, pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    kept = target < num_classes
    index = target[kept] * num_classes + pred[kept]
    return torch.bincount(index, minlength=num_classes**2).view(num_classes, num_classes)


@pytest.mark.parametrize(
    ("num_classes", "n"),
    [(3, 100), (10, 4096), (100, 4096), (1000, 1024), (5, 3), (10, 8), (32, 8), (33, 8)],
    ids=[
        "bincount-3",
        "bincount-10",
        "index_add-100",
        "index_add-1000",
        "bincount-small_matrix-5",
        "bincount-small_matrix-10",
        "bincount-small_matrix-32",
        "index_add-small_batch-33",
    ],
)
@pytest.mark.parametrize("skipped", [None, "num_classes", "255"])
def test_add_confusion(num_classes: int, n: int, skipped: str | None) -> None:
    gen = _gen(num_classes + n)
    target = torch.randint(0, num_classes, (n,), generator=gen)
    pred = torch.randint(0, num_classes, (n,), generator=gen)
    if skipped is not None:  # format_multiclass marks ignored targets with a value >= C
        target[torch.rand(n, generator=gen) < 0.2] = (
            num_classes if skipped == "num_classes" else 255 + num_classes
        )
    cm = torch.ones(num_classes, num_classes, dtype=torch.int64)
    _counts.add_confusion(cm, target, pred)
    _counts.add_confusion(cm, target[:0], pred[:0])
    assert torch.equal(cm, 1 + _dense_confusion(target, pred, num_classes))


# --------------------------------------------------------------------------- multilabel


def _reference_multilabel(
    pred: torch.Tensor, target: torch.Tensor, beta: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The direct formulas, on booleans, with undefined ratios masked out."""
    hits = pred & target
    label_counts = torch.stack([hits.sum(0), pred.sum(0), target.sum(0)])
    tp, pp, ap = (t.sum(1, dtype=torch.float64) for t in (hits, pred, target))
    beta2 = beta * beta
    denominators = torch.stack([pp, ap, ap + pp, beta2 * ap + pp])
    numerators = torch.stack([tp, tp, 2.0 * tp, (1.0 + beta2) * tp])
    defined = denominators > 0
    ratios = torch.where(defined, numerators / torch.where(defined, denominators, 1.0), 0.0)
    return label_counts, ratios.sum(1), defined[:3].sum(1)


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 0.3, 1.7, 1e-200])
@pytest.mark.parametrize(("n", "num_labels"), [(1, 2), (37, 5), (4096, 50), (300, 333)])
def test_multilabel_counts_bit_for_bit(n: int, num_labels: int, beta: float) -> None:
    gen = _gen(n * num_labels)
    for rate_pred, rate_target in [(0.5, 0.3), (0.05, 0.02), (0.0, 0.1), (0.9, 0.0)]:
        pred = torch.rand(n, num_labels, generator=gen) < rate_pred
        target = torch.rand(n, num_labels, generator=gen) < rate_target
        expected = _reference_multilabel(pred, target, beta)
        for dtype in (torch.float32, torch.float64, torch.bool):
            got = _counts.multilabel_counts(pred.to(dtype), target.to(dtype), beta)
            for value, reference in zip(got, expected, strict=True):
                assert value.dtype == reference.dtype
                assert torch.equal(value, reference), (dtype, rate_pred, rate_target)


def test_weighted_multilabel_true_negatives_are_summed_in_sklearns_order() -> None:
    """tn = W - pp - ap + tp cancelled catastrophically: label 0 has no negative sample (tn 0), but
    beside a weight of 1e16 the metric showed 0.5 (confusion_matrix() and TensorBoard). It is
    W - tp - fp - fn, as scikit-learn's multilabel_confusion_matrix computes it; random dyadic
    weights (exact sums) give scikit-learn's matrices bit for bit."""
    import numpy as np
    from sklearn.metrics import multilabel_confusion_matrix

    from ignite_f1 import MultilabelF1Score

    cases = [
        (
            torch.tensor([[0, 0], [1, 1]]),
            torch.tensor([[1, 0], [1, 1]]),
            torch.tensor([1e16, 0.5], dtype=torch.float64),
        )
    ]
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        pred, true = (torch.randint(0, 2, (12, 4), generator=generator) for _ in range(2))
        cases.append((pred, true, torch.randint(0, 64, (12,), generator=generator).double() / 8))
    for pred, true, weight in cases:
        metric = MultilabelF1Score(pred.shape[1], from_logits=False, sample_weight=True)
        metric.update((pred, true, weight))
        expected = multilabel_confusion_matrix(true.numpy(), pred.numpy(), sample_weight=weight.numpy())
        assert np.array_equal(metric.confusion_matrix().numpy(), expected)
