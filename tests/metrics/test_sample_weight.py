"""sample_weight=True: the binary and multi-class metrics against scikit-learn's ``sample_weight``."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from _cases import n_examples
from _reference import assert_close, sklearn_fbeta, sklearn_report
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.exceptions import NotComputableError
from sklearn.metrics import f1_score

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
)

ZERO_DIVISIONS = [0.0, 1.0, math.nan]


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _weights(draw: Any, n: int) -> list[float]:
    # multiples of 1/4: every sum is exact, so the comparison does not depend on the order of sums
    weights = draw(st.lists(st.integers(0, 12).map(lambda k: k / 4), min_size=n, max_size=n))
    if not any(weights):
        weights[0] = 1.0  # every weight 0: undefined, refused (tests/test_parity_weighted.py checks it)
    return list(weights)


@st.composite
def multiclass_cases(draw: Any) -> dict[str, Any]:
    num_classes = draw(st.integers(2, 5))
    n = draw(st.integers(1, 30))
    y = draw(st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n))
    pred = draw(st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n))
    labels = draw(st.none() | st.lists(st.integers(0, num_classes - 1), min_size=1, unique=True))
    return {
        "num_classes": num_classes,
        "y": y,
        "pred": pred,
        "w": _weights(draw, n),
        "average": draw(st.sampled_from(["micro", "macro", "weighted", None])),
        "labels": labels,
        "zero_division": draw(st.sampled_from(ZERO_DIVISIONS)),
        "beta": draw(st.sampled_from([0.5, 1.0, 2.0])),
        "split": draw(st.integers(0, n)),
        "keep": draw(st.booleans()),
    }


@settings(max_examples=n_examples(2), deadline=None)
@given(multiclass_cases())
def test_multiclass_matches_sklearn_sample_weight(case: dict[str, Any]) -> None:
    y, pred, w, split = (
        torch.tensor(case["y"]),
        torch.tensor(case["pred"]),
        torch.tensor(case["w"]),
        case["split"],
    )
    metric = MulticlassFBetaScore(
        case["beta"],
        case["num_classes"],
        average=case["average"],
        labels=case["labels"],
        zero_division=case["zero_division"],
        keep_confusion_matrix=case["keep"],
        sample_weight=True,
    )
    metric.update((pred[:split], y[:split], w[:split]))  # batches split anywhere, an empty one too
    metric.update((pred[split:], y[split:], w[split:]))
    expected = _quiet(
        sklearn_fbeta,
        y_true=y.numpy(),
        y_pred=pred.numpy(),
        beta=case["beta"],
        kind="multiclass",
        average=case["average"],
        labels=case["labels"],
        num_classes=case["num_classes"],
        zero_division=case["zero_division"],
        sample_weight=w.numpy(),
    )
    assert_close(_quiet(metric.compute), expected)
    labels = case["labels"] or range(case["num_classes"])
    report = _quiet(
        sklearn_report,
        y_true=y.numpy(),
        y_pred=pred.numpy(),
        labels=labels,
        zero_division=case["zero_division"],
        sample_weight=w.numpy(),
    )
    assert_close(_quiet(metric.report), report)


@st.composite
def binary_cases(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 30))
    return {
        "y": draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
        "prob": draw(st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.7, 1.0]), min_size=n, max_size=n)),
        "w": _weights(draw, n),
        "zero_division": draw(st.sampled_from(ZERO_DIVISIONS)),
        "beta": draw(st.sampled_from([0.5, 1.0, 2.0])),
        "split": draw(st.integers(0, n)),
    }


@settings(max_examples=n_examples(2), deadline=None)
@given(binary_cases())
def test_binary_matches_sklearn_sample_weight(case: dict[str, Any]) -> None:
    y, prob, w, split = (
        torch.tensor(case["y"]),
        torch.tensor(case["prob"]),
        torch.tensor(case["w"]),
        case["split"],
    )
    metric = BinaryFBetaScore(
        case["beta"], from_logits=False, zero_division=case["zero_division"], sample_weight=True
    )
    metric.update((prob[:split], y[:split], w[:split]))
    metric.update((prob[split:], y[split:], w[split:]))
    pred = (prob >= 0.5).long().numpy()
    expected = _quiet(
        sklearn_fbeta,
        y_true=y.numpy(),
        y_pred=pred,
        beta=case["beta"],
        kind="binary",
        zero_division=case["zero_division"],
        sample_weight=w.numpy(),
    )
    assert_close(_quiet(metric.compute), expected)
    report = _quiet(
        sklearn_report,
        y_true=y.numpy(),
        y_pred=pred,
        labels=[0, 1],
        zero_division=case["zero_division"],
        sample_weight=w.numpy(),
    )
    assert_close(_quiet(metric.report), report)


def test_ignore_index_and_segmentation_weights_match_sklearn() -> None:
    y = torch.tensor([[0, 1, -1], [2, 2, 1]])
    scores = torch.randn(2, 3, 3, generator=torch.Generator().manual_seed(0))
    per_pixel = torch.tensor([[1.0, 0.5, 7.0], [2.0, 0.25, 1.0]])
    per_image = torch.tensor([1.5, 0.5])
    for w, flat in ((per_pixel, per_pixel), (per_image, per_image[:, None].expand(2, 3))):
        metric = MulticlassF1Score(3, average="weighted", ignore_index=-1, sample_weight=True)
        metric.update((scores, y, w))
        kept = y.reshape(-1) != -1
        expected = sklearn_fbeta(
            y_true=y.reshape(-1)[kept].numpy(),
            y_pred=scores.argmax(1).reshape(-1)[kept].numpy(),
            beta=1.0,
            kind="multiclass",
            average="weighted",
            sample_weight=flat.reshape(-1)[kept].numpy(),
        )
        assert_close(metric.compute(), expected)


def test_class_seen_with_weight_zero_only_is_in_sklearn_label_set() -> None:
    # class 2 occurs once, with weight 0: scikit-learn still averages over it (F1 0 with zero_division=0)
    y, pred, w = torch.tensor([1, 0, 2]), torch.tensor([1, 0, 2]), torch.tensor([1.0, 1.0, 0.0])
    metric = MulticlassF1Score(4, zero_division=0.0, sample_weight=True)
    metric.update((pred, y, w))
    assert metric.compute() == pytest.approx(2 / 3)
    expected = sklearn_fbeta(
        y_true=y.numpy(), y_pred=pred.numpy(), beta=1.0, kind="multiclass", average="macro",
        zero_division=0.0, sample_weight=w.numpy(),
    )  # fmt: skip
    assert metric.compute() == expected
    report = metric.report()  # labels [0, 1] do not cover class 2: a "micro avg", not "accuracy"
    two = MulticlassF1Score(4, labels=[0, 1], zero_division=0.0, sample_weight=True)
    two.update((pred, y, w))
    assert "accuracy" in report and "micro avg" in two.report()


def test_confusion_matrix_is_float64_sums_of_weights() -> None:
    metric = MulticlassF1Score(3, sample_weight=True)
    metric.update((torch.tensor([0, 1, 1]), torch.tensor([0, 1, 2]), torch.tensor([0.5, 2.0, 1.0])))
    assert metric.confusion_matrix().tolist() == [[0.5, 0, 0], [0, 2.0, 0], [0, 1.0, 0]]
    assert metric.confusion_matrix().dtype == torch.float64


def _fresh(kind: str) -> Any:
    if kind == "binary":
        return BinaryF1Score(from_logits=False, sample_weight=True)
    return MulticlassF1Score(3, sample_weight=True)


BAD_WEIGHTS = [
    pytest.param(torch.tensor([1.0, -0.5, 1.0]), ValueError, "finite weights >= 0", id="negative"),
    pytest.param(torch.tensor([1.0, math.nan, 1.0]), ValueError, "finite weights >= 0", id="nan"),
    pytest.param(torch.tensor([1.0, math.inf, 1.0]), ValueError, "finite weights >= 0", id="inf"),
    pytest.param(torch.tensor([1.0, 1.0]), ValueError, "must have the shape of `y`", id="short"),
    pytest.param(torch.tensor([1, 1, 1]), TypeError, "float torch.Tensor", id="int"),
    pytest.param([1.0, 1.0, 1.0], TypeError, "float torch.Tensor", id="list"),
    pytest.param(None, TypeError, "float torch.Tensor, got NoneType", id="none"),  # multi-class counted it
    pytest.param(
        torch.full((3,), 1e308, dtype=torch.float64),  # each finite, their sum not: the counts held inf
        ValueError,
        r"weights whose sum is a finite float64 .* got weights summing to inf",
        id="sum-overflows",
    ),
]


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize(("weight", "error", "message"), BAD_WEIGHTS)
def test_bad_weights_are_refused_and_leave_the_state_unchanged(
    kind: str, weight: Any, error: type[Exception], message: str
) -> None:
    metric = _fresh(kind)
    metric.update((torch.tensor([1, 0]), torch.tensor([1, 1]), torch.tensor([0.5, 2.0])))
    before = metric.state_dict()
    with pytest.raises(error, match=message):
        metric.update((torch.tensor([1, 0, 1]), torch.tensor([1, 1, 0]), weight))
    after = metric.state_dict()
    for name, value in before["__metric_state_per_rank"][0].items():
        assert torch.equal(after["__metric_state_per_rank"][0][name], value)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_pair_without_weights_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match=r"must be a triple \(y_pred, y, sample_weight\)"):
        _fresh(kind).update((torch.tensor([1, 0]), torch.tensor([1, 1])))


def test_third_element_without_the_flag_is_refused_as_before() -> None:
    with pytest.raises(ValueError, match="built with sample_weight=True"):
        MulticlassF1Score(3).update((torch.tensor([1]), torch.tensor([1]), torch.tensor([1.0])))


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_confidence_interval_is_refused(kind: str) -> None:
    metric = _fresh(kind)
    metric.update((torch.tensor([1, 0]), torch.tensor([1, 1]), torch.tensor([0.5, 2.0])))
    with pytest.raises(RuntimeError, match="weighted bootstrap"):
        metric.confidence_interval()


def test_sample_weight_must_be_a_bool() -> None:
    # (multidim_average="samplewise" with weights: tests/metrics/test_samplewise_weights.py)
    with pytest.raises(TypeError, match="`sample_weight` must be True or False"):
        MulticlassF1Score(3, sample_weight="yes")  # type: ignore[arg-type]


def test_all_zero_weights_are_not_computable() -> None:
    metric = MulticlassF1Score(3, sample_weight=True)
    metric.update((torch.tensor([1, 0]), torch.tensor([1, 1]), torch.tensor([0.0, 0.0])))
    # refused with every scikit-learn version (1.9 refuses such weights too, 1.5 to 1.8 score them)
    with pytest.raises(NotComputableError, match="weight > 0: every weight 0 leaves F-beta undefined"):
        metric.compute()


@pytest.mark.parametrize("keep", [True, False])
def test_state_dict_round_trip(keep: bool) -> None:
    source = MulticlassF1Score(3, average=None, keep_confusion_matrix=keep, sample_weight=True)
    source.update(
        (torch.tensor([0, 1, 2, 2]), torch.tensor([0, 2, 2, 1]), torch.tensor([0.5, 1.5, 2.0, 0.0]))
    )
    restored = MulticlassF1Score(3, average=None, keep_confusion_matrix=keep, sample_weight=True)
    restored.load_state_dict(source.state_dict())
    assert torch.equal(_quiet(restored.compute), _quiet(source.compute))
    unweighted = MulticlassF1Score(3, average=None, keep_confusion_matrix=keep)
    with pytest.raises(ValueError, match="state_dict"):
        unweighted.load_state_dict(source.state_dict())
    assert np.isfinite(_quiet(restored.compute).numpy()).all()


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_sums_of_weights_past_float64_are_refused_at_compute(kind: str) -> None:
    """Batches whose own sums are finite may add up to inf: compute() (and report()) refuse the
    counts, naming sample_weight, rather than hand scikit-learn infinite weights; 1e300 is exact."""
    if kind == "multilabel":
        metric: Any = MultilabelF1Score(3, from_logits=False, sample_weight=True)
        batch: tuple[torch.Tensor, ...] = (
            torch.tensor([[1, 0, 1], [0, 1, 1]]),
            torch.tensor([[1, 1, 0], [0, 1, 1]]),
        )
    else:
        metric = _fresh(kind)
        batch = (torch.tensor([1, 0, 1]), torch.tensor([1, 1, 0]))
    rows = batch[1].shape[0]
    weights = torch.full((rows,), 1e300, dtype=torch.float64)
    metric.update((*batch, weights))
    expected = metric.compute()
    assert expected == metric.compute()  # an exact score with huge weights
    for _ in range(2):
        metric.update((*batch, torch.full((rows,), 1.6e308 / rows, dtype=torch.float64)))  # sum finite...
    with pytest.raises(
        ValueError, match=r"Argument `sample_weight` must hold weights whose sums stay finite"
    ):
        metric.compute()  # ... their sum is not
    metric.reset()
    metric.update((*batch, weights))
    assert metric.compute() == expected


def test_per_image_weights_are_summed_over_their_pixels_in_the_check() -> None:
    metric = BinaryF1Score(from_logits=False, sample_weight=True)
    masks = (torch.tensor([[1, 1, 0, 1]]), torch.tensor([[1, 0, 0, 1]]))
    metric.update((*masks, torch.tensor([1e307], dtype=torch.float64)))  # 4 pixels: 4e307, finite
    with pytest.raises(ValueError, match=r"got weights summing to inf"):
        metric.update((*masks, torch.tensor([1e308], dtype=torch.float64)))  # 4e308
    assert metric.confusion_matrix().sum() == pytest.approx(4e307, rel=1e-15)  # the first batch only


def test_a_dict_engine_output_carries_its_weights() -> None:
    """A weighted metric reads 'sample_weight' from a dict output (Ignite's required_output_keys); an
    unweighted one refuses such a dict rather than drop the weights, unless an output_transform
    picks what it counts."""
    from ignite.engine import Engine

    batch = {
        "y_pred": torch.tensor([0.9, 0.2, 0.7]),
        "y": torch.tensor([1, 0, 0]),
        "sample_weight": torch.tensor([1.0, 2.0, 3.0]),
    }
    expected = f1_score(y_true=[1, 0, 0], y_pred=[1, 0, 1], sample_weight=[1.0, 2.0, 3.0])
    weighted = BinaryF1Score(from_logits=False, sample_weight=True)
    engine = Engine(lambda engine, b: b)
    weighted.attach(engine, "f1")
    assert engine.run([batch]).metrics["f1"] == expected
    engine = Engine(lambda engine, b: b)
    BinaryF1Score(from_logits=False).attach(engine, "f1")
    with pytest.raises(
        ValueError, match=r"holds 'sample_weight', which a metric built with sample_weight=False"
    ):
        engine.run([batch])
    engine = Engine(lambda engine, b: b)
    picked = BinaryF1Score(from_logits=False, output_transform=lambda out: (out["y_pred"], out["y"]))
    picked.attach(engine, "f1")
    assert engine.run([batch]).metrics["f1"] == f1_score(y_true=[1, 0, 0], y_pred=[1, 0, 1])


@pytest.mark.parametrize(
    ("weight", "match"),
    [
        (torch.tensor([1.0, -0.5, 1.0]), "finite weights >= 0, got a weight of -0.5"),
        (torch.tensor([1.0, math.nan, 1.0]), "finite weights >= 0, got a weight of nan"),
        (torch.full((3,), 1e308, dtype=torch.float64), "got weights summing to inf"),
    ],
)
def test_the_weights_check_read_with_validations_values_refuses_the_same(
    weight: torch.Tensor, match: str
) -> None:
    """Off the CPU the weights' check is read in validation's one synchronisation
    (_weights.WeightCheck); its values, read here directly, refuse what the check's own read does."""
    from ignite_f1 import _weights

    y = torch.tensor([1, 0, 1])
    read = torch.stack(_weights.WeightCheck(weight).parts(weight.device)).tolist()
    for values in (read, None):
        with pytest.raises(ValueError, match=match):
            _weights.check_sample_weight(weight, y, True, values)
    good = torch.tensor([0.5, 2.0, 1.0])
    read = torch.stack(_weights.WeightCheck(good).parts(good.device)).tolist()
    assert torch.equal(_weights.check_sample_weight(good, y, True, read), good.double())
    assert _weights.WeightCheck([1.0, 2.0, 3.0]).parts(good.device) == []  # refused by the check itself
