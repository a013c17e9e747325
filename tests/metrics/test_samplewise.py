"""``multidim_average="samplewise"``: the mean over images of each image's F-beta (``_samplewise``).

The oracle is ``sklearn.metrics.fbeta_score`` called on each image's pixels, averaged over the
images whose score is not NaN (per class: over the images whose output holds the class, with a
score that is not NaN), to 1e-12; the per-image scores of ``_samplewise.image_fbeta`` are checked
against it image by image too.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from _cases import n_examples
from _reference import sklearn_samplewise_fbeta
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.exceptions import NotComputableError
from sklearn.exceptions import UndefinedMetricWarning

from ignite_f1 import BinaryF1Score, BinaryFBetaScore, MulticlassF1Score, MulticlassFBetaScore, _samplewise

TOL = 1e-12
ZERO_DIVISIONS = ["warn", 0.0, 1.0, math.nan]


def assert_close(got: Any, expected: Any) -> None:
    got_array = np.asarray(got if not isinstance(got, torch.Tensor) else got.numpy(), dtype=np.float64)
    expected_array = np.asarray(expected, dtype=np.float64)
    assert got_array.shape == expected_array.shape
    np.testing.assert_allclose(got_array, expected_array, rtol=0, atol=TOL, equal_nan=True)


# ---- multi-class


@st.composite
def multiclass_cases(draw: Any) -> dict[str, Any]:
    num_classes = draw(st.integers(2, 5))
    n = draw(st.integers(1, 6))
    shape = (n, draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    ignore = draw(st.sampled_from([None, num_classes, -1]))
    top = num_classes if ignore is None else num_classes + 1
    values = draw(
        st.lists(st.integers(0, top - 1), min_size=2 * math.prod(shape), max_size=2 * math.prod(shape))
    )
    data = np.asarray(values, dtype=np.int64).reshape(2, *shape)
    y = data[0]
    if ignore is not None:
        y = np.where(y == num_classes, ignore, y)
    pred = np.minimum(data[1], num_classes - 1)
    if draw(st.booleans()):
        y[0] = y.reshape(n, -1)[0, 0]  # an image of one class (empty targets for the others)
    average = draw(st.sampled_from(["micro", "macro", "weighted", None]))
    labels = draw(st.sampled_from([None, [0], [1, 0], list(range(num_classes))]))
    return {
        "num_classes": num_classes,
        "y": y,
        "pred": pred,
        "ignore_index": ignore,
        "average": average,
        "labels": labels,
        "beta": draw(st.sampled_from([0.5, 1.0, 2.0])),
        "zero_division": draw(st.sampled_from(ZERO_DIVISIONS)),
    }


@settings(max_examples=n_examples(2), deadline=None)
@given(case=multiclass_cases(), split=st.integers(1, 6), keep=st.booleans())
def test_multiclass_matches_the_per_image_oracle(case: dict[str, Any], split: int, keep: bool) -> None:
    metric = MulticlassFBetaScore(
        case["beta"],
        case["num_classes"],
        average=case["average"],
        labels=case["labels"],
        ignore_index=case["ignore_index"],
        zero_division=case["zero_division"],
        multidim_average="samplewise",
        keep_confusion_matrix=keep,
    )
    y, pred = torch.from_numpy(case["y"]), torch.from_numpy(case["pred"])
    for start in range(0, len(y), split):  # batch splitting does not change the result
        metric.update((pred[start : start + split], y[start : start + split]))
    expected = sklearn_samplewise_fbeta(
        y_true=case["y"],
        y_pred=case["pred"],
        beta=case["beta"],
        average=case["average"],
        labels=case["labels"],
        zero_division=case["zero_division"],
        ignore_index=case["ignore_index"],
        num_scores=case["num_classes"],
    )
    if not (case["ignore_index"] is not None and bool((y == case["ignore_index"]).all())):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            assert_close(metric.compute(), expected)


@settings(max_examples=n_examples(2), deadline=None)
@given(case=multiclass_cases())
def test_image_fbeta_matches_sklearn_image_by_image(case: dict[str, Any]) -> None:
    y, pred = torch.from_numpy(case["y"]), torch.from_numpy(case["pred"])
    c = case["num_classes"]
    target = y.reshape(-1)
    target = (
        torch.where(target == case["ignore_index"], c, target) if case["ignore_index"] is not None else target
    )
    counts = _samplewise.image_class_counts(target, pred.reshape(-1), len(y), c)
    scores, _ = _samplewise.image_fbeta(
        counts, case["beta"], case["average"], case["labels"], case["zero_division"]
    )
    for i in range(len(y)):
        expected = sklearn_samplewise_fbeta(
            y_true=case["y"][i : i + 1],
            y_pred=case["pred"][i : i + 1],
            beta=case["beta"],
            average=case["average"],
            labels=case["labels"],
            zero_division=case["zero_division"],
            ignore_index=case["ignore_index"],
            num_scores=c,
        )
        assert_close(scores[i], expected)


def test_multiclass_segmentation_logits_hand_computed() -> None:
    # image 1: pred [0, 0, 1, 1], true [0, 1, 1, 1]: F1 of 0: 2/3, of 1: 4/5
    # image 2: pred [2, 2, 2, 0], true [2, 2, 2, 2]: F1 of 0: 0 (fp only), of 2: 6/7
    pred = torch.tensor([[[0, 0, 1, 1]], [[2, 2, 2, 0]]])
    logits = torch.nn.functional.one_hot(pred, 3).permute(0, 3, 1, 2).float()
    y = torch.tensor([[[0, 1, 1, 1]], [[2, 2, 2, 2]]])
    macro = MulticlassF1Score(3, multidim_average="samplewise", zero_division=0.0)
    macro.update((logits, y))
    assert macro.compute() == pytest.approx(((2 / 3 + 4 / 5) / 2 + 6 / 7 / 2) / 2, abs=TOL)
    per_class = MulticlassF1Score(3, average=None, multidim_average="samplewise")
    per_class.update((logits, y))
    assert_close(per_class.compute(), [(2 / 3 + 0) / 2, 4 / 5, 6 / 7])
    # the pooled counts stay available and describe all pixels
    assert per_class.confusion_matrix().sum() == 8


# ---- binary


@settings(max_examples=n_examples(2), deadline=None)
@given(
    n=st.integers(1, 6),
    pixels=st.integers(1, 6),
    data=st.data(),
    zero_division=st.sampled_from(ZERO_DIVISIONS),
    beta=st.sampled_from([0.5, 1.0, 3.0]),
    split=st.integers(1, 6),
)
def test_binary_matches_the_per_image_oracle(
    n: int, pixels: int, data: Any, zero_division: Any, beta: float, split: int
) -> None:
    y = np.asarray(data.draw(st.lists(st.integers(0, 1), min_size=n * pixels, max_size=n * pixels))).reshape(
        n, pixels
    )
    y[0] = 0  # an image with empty targets
    prob = np.asarray(data.draw(st.lists(st.floats(0, 1), min_size=n * pixels, max_size=n * pixels))).reshape(
        n, pixels
    )
    metric = BinaryFBetaScore(
        beta, from_logits=False, zero_division=zero_division, multidim_average="samplewise"
    )
    for start in range(0, n, split):  # images (k, 1, pixels): (k, 1) would be a column of samples
        images = (prob[start : start + split, None], y[start : start + split, None])
        metric.update((torch.from_numpy(images[0]), torch.from_numpy(images[1])))
    expected = sklearn_samplewise_fbeta(
        y_true=y,
        y_pred=(prob >= 0.5).astype(np.int64),
        beta=beta,
        average="binary",
        zero_division=zero_division,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        assert_close(metric.compute(), expected)


def test_binary_dice_hand_computed_and_empty_image() -> None:
    masks = torch.tensor([[[1, 0], [1, 0]], [[0, 0], [0, 1]], [[0, 0], [0, 0]]])
    truth = torch.tensor([[[1, 1], [0, 0]], [[0, 0], [0, 1]], [[0, 0], [0, 0]]])
    metric = BinaryF1Score(from_logits=False, multidim_average="samplewise", zero_division=math.nan)
    metric.update((masks, truth))
    assert metric.compute() == pytest.approx(0.75, abs=TOL)  # the empty image is left out
    metric = BinaryF1Score(from_logits=False, multidim_average="samplewise")
    metric.update((masks, truth))
    with pytest.warns(UndefinedMetricWarning, match="1 per-image F-score"):
        assert metric.compute() == pytest.approx(0.5, abs=TOL)  # (1/2 + 1 + 0) / 3


def test_state_dict_holds_the_running_sums() -> None:
    metric = MulticlassF1Score(3, multidim_average="samplewise")
    metric.update((torch.tensor([[0, 1], [2, 2]]), torch.tensor([[0, 1], [2, 1]])))
    restored = MulticlassF1Score(3, multidim_average="samplewise")
    restored.load_state_dict(metric.state_dict())
    assert restored.compute() == metric.compute()
    state = metric.state_dict()["__metric_state_per_rank"][0]
    assert state["_sw_sum"].dtype == torch.float64 and state["_sw_defined"].tolist() == [2]


# ---- bad arguments and inputs


@pytest.mark.parametrize(
    ("value", "error"), [("sample", ValueError), (None, TypeError), ("Global", ValueError), (1, TypeError)]
)
def test_multidim_average_must_be_a_choice(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"Argument `multidim_average` must be one of \['global', 'samplewise'\]"):
        MulticlassF1Score(3, multidim_average=value)
    with pytest.raises(error, match=r"Argument `multidim_average`"):
        BinaryF1Score(from_logits=False, multidim_average=value)


def test_inputs_without_extra_dimensions_are_refused_and_leave_the_state() -> None:
    metric = MulticlassF1Score(3, multidim_average="samplewise")
    metric.update((torch.tensor([[0, 1]]), torch.tensor([[0, 2]])))
    before = metric.state_dict()
    with pytest.raises(ValueError, match=r"Argument `y` must have extra dimensions"):
        metric.update((torch.tensor([0, 1]), torch.tensor([0, 2])))
    after = metric.state_dict()["__metric_state_per_rank"][0]
    for name, value in before["__metric_state_per_rank"][0].items():
        assert torch.equal(value, after[name])
    binary = BinaryF1Score(from_logits=False, multidim_average="samplewise")
    with pytest.raises(ValueError, match=r"Argument `y` must have extra dimensions"):
        binary.update((torch.tensor([0.2, 0.9]), torch.tensor([0, 1])))


def test_a_binary_column_target_is_refused_not_read_as_one_pixel_images() -> None:
    # (N, 1) is N samples in a column with multidim_average="global": reading it as N one-pixel
    # images would be a guess, so it is refused; (N, 1, 1) says one-pixel images explicitly
    binary = BinaryF1Score(from_logits=False, multidim_average="samplewise")
    with pytest.raises(ValueError, match=r"ambiguous.*\(N, 1, 1\)"):
        binary.update((torch.tensor([[0.2], [0.9]]), torch.tensor([[0], [1]])))
    with pytest.raises(NotComputableError):
        binary.compute()
    binary.update((torch.tensor([[[0.9]], [[0.8]]]), torch.tensor([[[1]], [[1]]])))
    assert binary.compute() == 1.0  # two one-pixel images, each a true positive


def test_samplewise_refuses_thresholds_and_intervals() -> None:
    with pytest.raises(ValueError, match=r"Argument `num_thresholds` must be None"):
        BinaryF1Score(from_logits=False, multidim_average="samplewise", num_thresholds=5)
    metric = MulticlassF1Score(3, multidim_average="samplewise")
    metric.update((torch.tensor([[0, 1]]), torch.tensor([[0, 2]])))
    with pytest.raises(RuntimeError, match=r"multidim_average='samplewise'"):
        metric.confidence_interval()
