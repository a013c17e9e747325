"""``multidim_average="samplewise"`` with ``sample_weight=True``: the weighted mean of per-image scores.

The oracle (``sklearn_samplewise_fbeta(..., sample_weight=w)``) scores each image with
``fbeta_score(y[i], pred[i], sample_weight=w[i])`` over its kept pixels, and averages the defined
scores weighted by each image's weight, the mean weight of its kept pixels; results agree to 1e-12
relative (the float sums are added in another order). Weights all 1 give the unweighted metric's
results bit for bit.
"""

from __future__ import annotations

import itertools
import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _gloo
import ignite.distributed as idist
import numpy as np
import pytest
import torch
from _cases import n_examples, split_sizes
from _reference import (
    assert_same,
    record_warnings,
    sklearn_samplewise_fbeta,
    sklearn_samplewise_undefined,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.exceptions import NotComputableError
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import fbeta_score

from ignite_f1 import BinaryF1Score, BinaryFBetaScore, MulticlassF1Score, MulticlassFBetaScore, _samplewise

RTOL = 1e-12
ZERO_DIVISIONS = ["warn", 0.0, 1.0, math.nan]


def assert_relative(actual: Any, expected: Any) -> None:
    """Equal to ``RTOL`` relative (NaN equal to NaN), floats or per-class tensors / arrays."""
    a = np.asarray(actual.numpy() if isinstance(actual, torch.Tensor) else actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, (a, e)
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=0, equal_nan=True)


# ---- the cases: images, weights per pixel or per image, a metric configuration, a batch split


@st.composite
def weight_values(draw: Any, shape: tuple[int, ...]) -> np.ndarray:
    """float64 weights >= 0 of ``shape``: zeros, round values and arbitrary ones; some images all 0."""
    value = st.one_of(st.just(0.0), st.sampled_from([0.25, 1.0, 2.5]), st.floats(1e-3, 1e3))
    size = math.prod(shape)
    weights = np.asarray(draw(st.lists(value, min_size=size, max_size=size)), dtype=np.float64)
    weights = weights.reshape(shape)
    if draw(st.booleans()):
        weights[draw(st.integers(0, shape[0] - 1))] = 0.0  # an image of weight 0
    return weights


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["binary", "multiclass"]))
    n = draw(st.integers(1, 6))
    shape = (n, draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    size = math.prod(shape)
    case: dict[str, Any] = {"kind": kind, "beta": draw(st.sampled_from([0.5, 1.0, 2.0]))}
    case["zero_division"] = draw(st.sampled_from(ZERO_DIVISIONS))
    if kind == "binary":
        case["y"] = np.asarray(draw(st.lists(st.integers(0, 1), min_size=size, max_size=size))).reshape(shape)
        case["y"][0] = 0  # an image with no positive target
        prob = draw(st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.7, 1.0]), min_size=size, max_size=size))
        case["y_pred"] = np.asarray(prob, dtype=np.float32).reshape(shape)
        case["pred"] = (case["y_pred"] >= 0.5).astype(np.int64)
        case.update(average="binary", labels=None, ignore_index=None, num_classes=2, keep=True)
    else:
        c = draw(st.integers(2, 5))
        ignore = draw(st.sampled_from([None, -1]))
        top = c if ignore is None else c + 1
        values = draw(st.lists(st.integers(0, top - 1), min_size=2 * size, max_size=2 * size))
        data = np.asarray(values, dtype=np.int64).reshape(2, *shape)
        y = data[0] if ignore is None else np.where(data[0] == c, ignore, data[0])
        if draw(st.booleans()):
            y[0] = y.reshape(n, -1)[0, 0]  # an image of one class (or all ignored)
        case.update(y=y, pred=np.minimum(data[1], c - 1), num_classes=c, ignore_index=ignore)
        case["y_pred"] = case["pred"]
        case["average"] = draw(st.sampled_from(["micro", "macro", "weighted", None]))
        case["labels"] = draw(st.sampled_from([None, [0], [1, 0], list(range(c))]))
        case["keep"] = draw(st.booleans())
    per_image = draw(st.booleans())
    case["w"] = draw(weight_values((n,) if per_image else shape))
    bounds = [0, *sorted(draw(st.lists(st.integers(0, n), max_size=3))), n]
    case["sizes"] = [b - a for a, b in itertools.pairwise(bounds)]  # empty batches too
    return case


def make(case: dict[str, Any], sample_weight: bool = True) -> Any:
    if case["kind"] == "binary":
        return BinaryFBetaScore(
            case["beta"],
            from_logits=False,
            zero_division=case["zero_division"],
            multidim_average="samplewise",
            sample_weight=sample_weight,
        )
    return MulticlassFBetaScore(
        case["beta"],
        case["num_classes"],
        average=case["average"],
        labels=case["labels"],
        ignore_index=case["ignore_index"],
        zero_division=case["zero_division"],
        keep_confusion_matrix=case["keep"],
        multidim_average="samplewise",
        sample_weight=sample_weight,
    )


def feed(metric: Any, case: dict[str, Any], w: np.ndarray | None) -> None:
    """The case's images in its batches, with the weights ``w`` (or none)."""
    y_pred, y = torch.from_numpy(case["y_pred"]), torch.from_numpy(case["y"])
    weights = None if w is None else torch.from_numpy(w).split(case["sizes"])
    for i, (p, t) in enumerate(split_sizes(y_pred, y, case["sizes"])):
        metric.update((p, t) if weights is None else (p, t, weights[i]))


def kept_weight(case: dict[str, Any]) -> float:
    """The total weight of the kept pixels: 0 makes the metric not computable."""
    y, w = case["y"], case["w"]
    w = w if w.shape == y.shape else np.broadcast_to(w.reshape(-1, 1, 1), y.shape)
    return float(w[y != case["ignore_index"]].sum() if case["ignore_index"] is not None else w.sum())


def oracle(case: dict[str, Any]) -> tuple[Any, int]:
    """scikit-learn per image, weighted: (the result, the number of undefined per-image scores)."""
    common = {
        "y_true": case["y"],
        "y_pred": case["pred"],
        "average": case["average"],
        "labels": case["labels"],
        "ignore_index": case["ignore_index"],
        "sample_weight": case["w"],
    }
    expected = sklearn_samplewise_fbeta(
        **common, beta=case["beta"], zero_division=case["zero_division"], num_scores=case["num_classes"]
    )
    return expected, sklearn_samplewise_undefined(**common)


def undefined_warnings(caught: list[tuple[type[Warning], str]]) -> list[str]:
    return [message for category, message in caught if category is UndefinedMetricWarning]


# ---- parity with the oracle


@settings(max_examples=n_examples(2), deadline=None)
@given(case=cases())
def test_matches_the_weighted_per_image_oracle(case: dict[str, Any]) -> None:
    metric = make(case)
    feed(metric, case, case["w"])
    if kept_weight(case) == 0:
        with pytest.raises(NotComputableError, match="weight > 0"):
            metric.compute()
        return
    result, caught = record_warnings(metric.compute)
    expected, undefined = oracle(case)
    assert_relative(result, expected)
    messages = undefined_warnings(caught)
    if case["zero_division"] == "warn" and undefined:  # one warning, naming the oracle's count
        assert len(messages) == 1 and f": {undefined} per-image F-score(s) are ill-defined" in messages[0]
    else:
        assert messages == []


@settings(max_examples=n_examples(2), deadline=None)
@given(case=cases())
def test_weights_all_one_give_the_unweighted_result_bit_for_bit(case: dict[str, Any]) -> None:
    weighted, unweighted = make(case), make(case, sample_weight=False)
    feed(weighted, case, np.ones_like(case["w"]))
    feed(unweighted, case, None)
    if kept_weight({**case, "w": np.ones_like(case["w"])}) == 0:  # every pixel ignored
        for metric in (weighted, unweighted):
            with pytest.raises(NotComputableError):
                metric.compute()
        return
    result, caught = record_warnings(weighted.compute)
    plain, plain_caught = record_warnings(unweighted.compute)
    assert_same(result, plain)
    assert len(undefined_warnings(caught)) == len(undefined_warnings(plain_caught))


@settings(max_examples=n_examples(1), deadline=None)
@given(case=cases(), data=st.data())
def test_images_of_weight_zero_change_nothing(case: dict[str, Any], data: Any) -> None:
    """Extra images of weight 0, in batches of their own: the same result, the same warnings."""
    if kept_weight(case) == 0:
        return
    metric, padded = make(case), make(case)
    feed(metric, case, case["w"])
    feed(padded, case, case["w"])
    n = data.draw(st.integers(1, 3))
    shuffled = data.draw(st.permutations(range(len(case["y"]))))
    extra = [i % len(case["y"]) for i in shuffled][:n]
    zeros = np.zeros((len(extra), *case["w"].shape[1:]))
    padded.update(
        (torch.from_numpy(case["y_pred"][extra]), torch.from_numpy(case["y"][extra]), torch.from_numpy(zeros))
    )
    result, caught = record_warnings(metric.compute)
    again, caught_again = record_warnings(padded.compute)
    assert_same(again, result)
    assert undefined_warnings(caught_again) == undefined_warnings(caught)


@pytest.mark.parametrize(
    ("num_classes", "shape"),
    [
        pytest.param(3, (4, 5, 6), id="bincount"),  # 4 x 4 x 3 cells <= 120 pixels
        pytest.param(6, (4, 2, 3), id="index_add"),  # 4 x 7 x 6 cells > 24 pixels
    ],
)
def test_per_image_class_counts_both_ways(num_classes: int, shape: tuple[int, ...]) -> None:
    """The per-image counts and sums of weights, against a loop over images and classes."""
    gen = torch.Generator().manual_seed(num_classes)
    target = torch.randint(0, num_classes + 1, shape, generator=gen).reshape(-1)  # C: skipped
    pred = torch.randint(0, num_classes, shape, generator=gen).reshape(-1)
    weight = torch.rand(target.numel(), generator=gen, dtype=torch.float64)
    n = shape[0]
    counts = _samplewise.image_class_counts(target, pred, n, num_classes)
    sums, seen = _samplewise.weighted_image_class_counts(target, pred, n, num_classes, weight)
    assert torch.equal(seen, counts) and counts.dtype == torch.int64 and sums.dtype == torch.float64
    for i, (t, p, w) in enumerate(zip(target.view(n, -1), pred.view(n, -1), weight.view(n, -1), strict=True)):
        for k in range(num_classes):
            cells = [(t == k) & (p == k), (p == k) & (t < num_classes), t == k]
            assert counts[i, :, k].tolist() == [int(c.sum()) for c in cells]
            np.testing.assert_allclose(sums[i, :, k], [float(w[c].sum()) for c in cells], rtol=RTOL)


def test_per_image_weights_equal_their_expansion_over_the_pixels() -> None:
    gen = torch.Generator().manual_seed(3)
    scores, y = torch.randn(5, 4, 6, 7, generator=gen), torch.randint(0, 4, (5, 6, 7), generator=gen)
    w = torch.tensor([0.5, 2.0, 0.0, 1.0, 3.25], dtype=torch.float64)
    per_image = MulticlassF1Score(4, average=None, multidim_average="samplewise", sample_weight=True)
    per_pixel = MulticlassF1Score(4, average=None, multidim_average="samplewise", sample_weight=True)
    per_image.update((scores, y, w))
    per_pixel.update((scores, y, w[:, None, None].expand(5, 6, 7)))
    assert_relative(per_image.compute(), per_pixel.compute())
    assert torch.equal(per_image.confusion_matrix(), per_pixel.confusion_matrix())


def test_hand_computed_binary_and_multiclass() -> None:
    # binary, two 1 x 4 masks: image 0 tp 1, fp 1, fn 0 (F1 2/3); image 1 tp 1, fp 0, fn 1 (F1 2/3)
    # per pixel weights change them: image 0 with the fp pixel at 3 -> 2 * 1 / (2 * 1 + 3) = 2/5
    masks = torch.tensor([[[1, 1, 0, 0]], [[1, 0, 0, 0]]])
    truth = torch.tensor([[[1, 0, 0, 0]], [[1, 1, 0, 0]]])
    w = torch.tensor([[[1.0, 3.0, 1.0, 1.0]], [[1.0, 1.0, 1.0, 1.0]]])
    dice = BinaryF1Score(from_logits=False, multidim_average="samplewise", sample_weight=True)
    dice.update((masks, truth, w))
    # image weights: the mean pixel weight, 6/4 and 1
    assert dice.compute() == pytest.approx((1.5 * 2 / 5 + 1.0 * 2 / 3) / 2.5, rel=RTOL)
    per_image = BinaryF1Score(from_logits=False, multidim_average="samplewise", sample_weight=True)
    per_image.update((masks, truth, torch.tensor([1.0, 3.0])))
    assert per_image.compute() == pytest.approx((1.0 * 2 / 3 + 3.0 * 2 / 3) / 4, rel=RTOL)
    # multi-class per class: class 2 only in image 1 (weight 3), so its result is image 1's score
    pred, y = torch.tensor([[[0, 1, 1]], [[2, 2, 0]]]), torch.tensor([[[0, 1, 0]], [[2, 0, 0]]])
    metric = MulticlassF1Score(3, average=None, multidim_average="samplewise", sample_weight=True)
    metric.update((pred, y, torch.tensor([1.0, 3.0])))
    image = [fbeta_score(y[i].ravel(), pred[i].ravel(), beta=1.0, average=None) for i in range(2)]
    # image 0 holds classes 0, 1; image 1 classes 0, 2
    expected = [(image[0][0] + 3 * image[1][0]) / 4, image[0][1], image[1][1]]
    assert_relative(metric.compute(), expected)


def test_weighted_average_with_class_weights_below_one() -> None:
    # "weighted" divides by each image's weighted support, here 0.75: not by at least 1
    metric = MulticlassF1Score(2, average="weighted", multidim_average="samplewise", sample_weight=True)
    image = torch.zeros(1, 1, 3, dtype=torch.long)  # 3 pixels of class 0, all right
    metric.update((image, image, torch.tensor([0.25])))
    assert metric.compute() == 1.0


def test_no_defined_image_gives_nan_and_all_zero_weights_are_not_computable() -> None:
    # zero_division=nan: image 0 (weight > 0) is undefined; image 1 has weight 0: no defined score
    masks, truth = torch.zeros(2, 1, 3, dtype=torch.long), torch.tensor([[[0, 0, 0]], [[1, 1, 0]]])
    metric = BinaryF1Score(
        from_logits=False, multidim_average="samplewise", sample_weight=True, zero_division=math.nan
    )
    metric.update((masks, truth, torch.tensor([2.0, 0.0])))
    assert math.isnan(metric.compute())
    zero = MulticlassF1Score(3, multidim_average="samplewise", sample_weight=True)
    zero.update((torch.tensor([[0, 1]]), torch.tensor([[0, 2]]), torch.tensor([0.0])))
    with pytest.raises(NotComputableError, match="weight > 0"):
        zero.compute()


def test_the_warning_counts_undefined_scores_in_images_of_weight_above_zero() -> None:
    # images 0 and 2 have no positive: undefined; image 2 has weight 0 and is not counted
    masks = torch.tensor([[[0, 0]], [[1, 0]], [[0, 0]]])
    truth = torch.tensor([[[0, 0]], [[1, 1]], [[0, 0]]])
    metric = BinaryF1Score(from_logits=False, multidim_average="samplewise", sample_weight=True)
    metric.update((masks, truth, torch.tensor([1.0, 1.0, 0.0])))
    with pytest.warns(UndefinedMetricWarning, match=r": 1 per-image F-score\(s\) .* image of weight > 0"):
        assert metric.compute() == pytest.approx((0.0 + 2 / 3) / 2, rel=RTOL)


# ---- refusals, state


def _fresh(kind: str) -> Any:
    if kind == "binary":
        return BinaryF1Score(from_logits=False, multidim_average="samplewise", sample_weight=True)
    return MulticlassF1Score(3, multidim_average="samplewise", sample_weight=True)


BAD = [
    pytest.param(torch.tensor([[1.0, -0.5, 1.0]]), ValueError, "finite weights >= 0", id="negative"),
    pytest.param(torch.tensor([[1.0, math.nan, 1.0]]), ValueError, "finite weights >= 0", id="nan"),
    pytest.param(torch.tensor([1.0, 1.0]), ValueError, "must have the shape of `y`", id="shape"),
    pytest.param(torch.tensor([[1, 1, 1]]), TypeError, "float torch.Tensor", id="int"),
    pytest.param(None, ValueError, r"Argument `y` must have extra dimensions", id="no_image_dims"),
    pytest.param("none", TypeError, "float torch.Tensor, got NoneType", id="none"),  # multi-class: F1 > 1
]


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize(("weight", "error", "message"), BAD)
def test_bad_batches_are_refused_and_leave_the_state(
    kind: str, weight: Any, error: type[Exception], message: str
) -> None:
    metric = _fresh(kind)
    metric.update((torch.tensor([[1, 0, 1]]), torch.tensor([[1, 1, 0]]), torch.tensor([[0.5, 2.0, 1.0]])))
    before = metric.state_dict()["__metric_state_per_rank"][0]
    with pytest.raises(error, match=message):
        if weight is None:  # a flat batch is not images
            metric.update((torch.tensor([1, 0]), torch.tensor([1, 1]), torch.tensor([1.0, 1.0])))
        elif weight == "none":  # no weights: None as the third element
            metric.update((torch.tensor([[1, 0, 1]]), torch.tensor([[1, 1, 0]]), None))
        else:
            metric.update((torch.tensor([[1, 0, 1]]), torch.tensor([[1, 1, 0]]), weight))
    after = metric.state_dict()["__metric_state_per_rank"][0]
    assert list(after) == list(before)
    for name, value in before.items():
        assert torch.equal(after[name], value), name


def test_state_dict_round_trip_and_unweighted_states_are_refused() -> None:
    source = MulticlassF1Score(3, average=None, multidim_average="samplewise", sample_weight=True)
    source.update((torch.tensor([[0, 1], [2, 2]]), torch.tensor([[0, 1], [2, 1]]), torch.tensor([0.5, 2.0])))
    state = source.state_dict()["__metric_state_per_rank"][0]
    assert state["_sw_sum"].dtype == state["_sw_weight"].dtype == torch.float64
    assert "_sw_defined" not in state and state["_sw_undefined"].dtype == torch.int64
    restored = MulticlassF1Score(3, average=None, multidim_average="samplewise", sample_weight=True)
    restored.load_state_dict(source.state_dict())
    assert_same(restored.compute(), source.compute())
    unweighted = MulticlassF1Score(3, average=None, multidim_average="samplewise")
    with pytest.raises(ValueError, match="state_dict"):
        unweighted.load_state_dict(source.state_dict())
    with pytest.raises(ValueError, match="state_dict"):
        restored.load_state_dict(unweighted.state_dict())
    assert_same(restored.compute(), source.compute())  # the refused load left it as it was


def test_reset_forgets_the_weighted_sums() -> None:
    metric = _fresh("multiclass")
    metric.update((torch.tensor([[0, 1]]), torch.tensor([[0, 2]]), torch.tensor([2.0])))
    metric.reset()
    with pytest.raises(NotComputableError):
        metric.compute()
    metric.update((torch.tensor([[2, 2]]), torch.tensor([[2, 2]]), torch.tensor([0.5])))
    assert metric.compute() == 1.0


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_confidence_interval_stays_refused(kind: str) -> None:
    metric = _fresh(kind)
    metric.update((torch.tensor([[1, 0]]), torch.tensor([[1, 1]]), torch.tensor([1.0])))
    with pytest.raises(RuntimeError, match="confidence_interval"):
        metric.confidence_interval()


# ---- two processes (gloo): each rank its own images and weights, the oracle on the union

WORLD_SIZE = 2
SIZES = {0: [3, 0, 2], 1: [4, 1]}
# name -> (kind, metric factory, oracle arguments)
DISTRIBUTED: dict[str, tuple[str, Callable[[], Any], dict[str, Any]]] = {
    "macro_ignore_per_pixel": (
        "multiclass",
        lambda: MulticlassF1Score(
            4, ignore_index=255, zero_division=0.0, multidim_average="samplewise", sample_weight=True
        ),
        {"beta": 1.0, "average": "macro", "ignore_index": 255, "zero_division": 0.0},
    ),
    "none_per_image": (
        "multiclass_per_image",
        lambda: MulticlassFBetaScore(
            2.0, 4, average=None, ignore_index=255, multidim_average="samplewise", sample_weight=True
        ),
        {"beta": 2.0, "average": None, "ignore_index": 255, "zero_division": "warn", "num_scores": 4},
    ),
    "binary_dice": (
        "binary",
        lambda: BinaryF1Score(
            from_logits=True, zero_division=1.0, multidim_average="samplewise", sample_weight=True
        ),
        {"beta": 1.0, "average": "binary", "zero_division": 1.0},
    ),
}


def _rank_data(kind: str, rank: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One rank's images (N, 5, 6) with weights per pixel, or per image for ``*_per_image``."""
    n = sum(SIZES[rank])
    gen = torch.Generator().manual_seed(700 + 10 * rank + len(kind))
    if kind == "binary":
        scores, y = (
            torch.randn(n, 5, 6, generator=gen) - 0.5,
            (torch.rand(n, 5, 6, generator=gen) < 0.3).long(),
        )
    else:
        scores, y = torch.randn(n, 4, 5, 6, generator=gen), torch.randint(0, 4, (n, 5, 6), generator=gen)
        y[torch.rand(n, 5, 6, generator=gen) < 0.2] = 255
    per_image = kind.endswith("per_image")
    w = torch.rand((n,) if per_image else (n, 5, 6), generator=gen, dtype=torch.float64) * 4
    w[0] = 0.0  # an image (or a pixel) of weight 0 on each rank
    return scores, y, w


def _worker(local_rank: int, out_dir: str) -> None:
    rank = idist.get_rank()
    seen = {}
    for name, (kind, make_metric, _) in DISTRIBUTED.items():
        metric = make_metric()
        scores, y, w = _rank_data(kind, rank)
        for (p, t), weight in zip(split_sizes(scores, y, SIZES[rank]), w.split(SIZES[rank]), strict=True):
            metric.update((p, t, weight))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first = metric.compute()
            fresh = make_metric()
            fresh.load_state_dict(metric.state_dict())
            seen[name] = {"first": first, "second": metric.compute(), "restored": fresh.compute()}
    torch.save(seen, Path(out_dir) / f"rank{rank}.pt")


@pytest.mark.slow
def test_two_processes_equal_the_oracle_on_the_union(tmp_path: Path) -> None:
    _, stderr = _gloo.run_launcher(__file__, tmp_path)
    files = [tmp_path / f"rank{rank}.pt" for rank in range(WORLD_SIZE)]
    assert all(f.exists() for f in files), f"the two-process run failed:\n{stderr[-6000:]}"
    ranks = [torch.load(f, weights_only=False) for f in files]
    for name, (kind, _, arguments) in DISTRIBUTED.items():
        parts = [_rank_data(kind, rank) for rank in range(WORLD_SIZE)]
        scores, y, w = (torch.cat([part[i] for part in parts]) for i in range(3))
        pred = (scores >= 0).long() if kind == "binary" else scores.argmax(1)
        expected = sklearn_samplewise_fbeta(
            y_true=y.numpy(), y_pred=pred.numpy(), sample_weight=w.numpy(), **arguments
        )
        for seen in ranks:
            assert_relative(seen[name]["first"], expected)
            assert_same(seen[name]["second"], seen[name]["first"])
            assert_same(seen[name]["restored"], seen[name]["first"])


@pytest.mark.parametrize(
    ("make", "beta"),
    [
        (lambda: BinaryF1Score(from_logits=False, multidim_average="samplewise", sample_weight=True), 1.0),
        (lambda: MulticlassF1Score(2, multidim_average="samplewise", sample_weight=True), 1.0),
        (
            lambda: BinaryFBetaScore(
                2.0, from_logits=False, multidim_average="samplewise", sample_weight=True
            ),
            2.0,
        ),
    ],
)
def test_weights_whose_per_image_products_overflow_are_refused(make: Callable[[], Any], beta: float) -> None:
    """An image's score divides (1 + beta**2) tp by beta**2 ap + pp, both at most (1 + beta**2) times
    its sum of weights: past float64 they made the score inf / inf = NaN, and the image (here the
    perfect one, weighing all but nothing) silently dropped out of the mean. Such weights are refused
    as an infinite sum is; scaled down, the same batch gives the per-image oracle's mean."""
    masks, truth = torch.tensor([[[1, 0]], [[1, 1]]]), torch.tensor([[[1, 1]], [[1, 1]]])
    huge = 0.75 * sys.float_info.max / (1 + beta**2)  # an image's sum (2 huge) finite, times 1 + beta**2 not
    metric = make()
    empty = metric.state_dict()["__metric_state_per_rank"][0]
    with pytest.raises(ValueError, match=r"whose sum times 1 \+ beta\*\*2 = .* is a finite float64"):
        metric.update((masks, truth, torch.tensor([1.0, huge], dtype=torch.float64)))
    for name, value in metric.state_dict()["__metric_state_per_rank"][0].items():
        assert torch.equal(value, empty[name]), name
    weights = [1e-300, huge * 1e-300]
    metric.update((masks, truth, torch.tensor(weights, dtype=torch.float64)))
    pairs = zip(truth, masks, strict=True)
    scores = [fbeta_score(t.flatten().numpy(), m.flatten().numpy(), beta=beta) for t, m in pairs]
    assert math.isclose(metric.compute(), float(np.average(scores, weights=weights)), rel_tol=1e-12)
