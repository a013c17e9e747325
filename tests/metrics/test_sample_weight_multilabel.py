"""sample_weight=True for the multilabel metrics: one weight per sample, as scikit-learn's.

Hand-computed cases (the counts in comments) and properties next to the oracle; the property-based
parity over the whole suite of cases is in ``tests/test_parity_weighted.py``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from _cases import multilabel_batch, n_examples
from _reference import (
    assert_close,
    assert_close_relative,
    assert_sklearn_on_all_zero_weights,
    record_warnings,
    sklearn_confusion_matrix,
    sklearn_fbeta,
    sklearn_report,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.exceptions import NotComputableError

from ignite_f1 import MultilabelF1Score, MultilabelFBetaScore

AVERAGES = ["micro", "macro", "weighted", "samples", None]
ZERO_DIVISIONS = ["warn", 0.0, 1.0, math.nan]

# 4 samples, 3 labels; sample 3 has no label at all, sample 1 weighs 0
Y = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
PRED = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 0]])
W = torch.tensor([2.0, 0.0, 0.5, 1.5])


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _metric(**kwargs: Any) -> MultilabelFBetaScore:
    return MultilabelFBetaScore(
        **{"beta": 1.0, "num_labels": 3, "from_logits": False, **kwargs}, sample_weight=True
    )


def test_hand_computed_counts_and_samples_average() -> None:
    metric = _metric(average="samples", zero_division=0.0)
    metric.update((PRED, Y, W))
    # label 0: tp 2.0 + 0.5 (samples 0, 2); label 1: tp 0 (sample 1 weighs 0), fn 0.5 (sample 2);
    # label 2: fn 2.0 (sample 0), fp 0 (sample 1 weighs 0)
    assert metric.per_class_counts().tolist() == [[2.5, 0.0, 0.0], [2.5, 0.0, 0.0], [2.5, 0.5, 2.0]]
    # per-sample F1: sample 0 2/3 (weight 2), sample 1 undefined (weight 0), sample 2 2/3 (weight
    # 0.5), sample 3 undefined (weight 1.5): (2 * 2/3 + 0.5 * 2/3) / 4
    assert metric.compute() == pytest.approx((2.5 * 2 / 3) / 4.0, rel=1e-15)
    expected = sklearn_fbeta(
        y_true=Y.numpy(), y_pred=PRED.numpy(), beta=1.0, kind="multilabel", average="samples",
        zero_division=0.0, sample_weight=W.numpy(),
    )  # fmt: skip
    assert_close(metric.compute(), expected)
    nan_metric = _metric(average="samples", zero_division=math.nan)
    nan_metric.update((PRED, Y, W))
    # nan leaves the undefined samples and their weights out: (2 * 2/3 + 0.5 * 2/3) / 2.5
    assert nan_metric.compute() == pytest.approx(2 / 3, rel=1e-15)


def test_a_sample_of_weight_zero_warns_as_in_sklearn() -> None:
    # sample 1 has labels but weighs 0: scikit-learn divides weighted counts, so its scores are
    # undefined (zero_division), and "warn" warns, although it changes no number
    y, pred, w = Y[:3], PRED[:3], W[:3]
    metric = _metric(average="samples")
    metric.update((pred, y, w))
    result, caught = record_warnings(metric.compute)
    expected, expected_caught = record_warnings(
        sklearn_fbeta, y_true=y.numpy(), y_pred=pred.numpy(), beta=1.0, kind="multilabel",
        average="samples", sample_weight=w.numpy(),
    )  # fmt: skip
    assert_close(result, expected)
    assert caught == expected_caught and len(caught) == 1
    assert "in samples with no true nor predicted labels" in caught[0][1]
    report, caught = record_warnings(metric.report)
    expected_report, expected_caught = record_warnings(
        sklearn_report, y_true=y.numpy(), y_pred=pred.numpy(), labels=range(3), sample_weight=w.numpy()
    )
    assert_close(report, expected_report)
    assert caught == expected_caught


@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS, ids=str)
@pytest.mark.parametrize("average", AVERAGES, ids=str)
def test_every_average_and_zero_division_equals_sklearn(average: str | None, zero_division: Any) -> None:
    y_pred, y = multilabel_batch(n=50, num_labels=4, seed=3)
    w = torch.rand(50, generator=torch.Generator().manual_seed(4), dtype=torch.float64) * 3
    w[::7] = 0.0
    metric = MultilabelFBetaScore(
        2.0, 4, average=average, zero_division=zero_division, from_logits=True, sample_weight=True
    )
    for start in range(0, 50, 16):
        metric.update((y_pred[start : start + 16], y[start : start + 16], w[start : start + 16]))
    pred = (y_pred >= 0).long().numpy()
    result, caught = record_warnings(metric.compute)
    expected, expected_caught = record_warnings(
        sklearn_fbeta, y_true=y.numpy(), y_pred=pred, beta=2.0, kind="multilabel", average=average,
        zero_division=zero_division, sample_weight=w.numpy(),
    )  # fmt: skip
    assert_close_relative(result, expected)
    assert caught == expected_caught
    report, caught = record_warnings(metric.report)
    expected_report, expected_caught = record_warnings(
        sklearn_report, y_true=y.numpy(), y_pred=pred, labels=range(4), zero_division=zero_division,
        sample_weight=w.numpy(),
    )  # fmt: skip
    assert_close_relative(report, expected_report)
    assert caught == expected_caught
    cm = sklearn_confusion_matrix(
        y_true=y.numpy(), y_pred=pred, kind="multilabel", num_classes=4, sample_weight=w.numpy()
    )
    assert metric.confusion_matrix().dtype == torch.float64
    assert_close_relative(metric.confusion_matrix(), cm)


@settings(max_examples=n_examples(1))
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    average=st.sampled_from(AVERAGES),
    zero_division=st.sampled_from(ZERO_DIVISIONS),
)
def test_whole_number_weights_count_as_repeated_samples(
    seed: int, n: int, average: str | None, zero_division: Any
) -> None:
    """Weight k is the sample k times (0: left out), except that sklearn warns for a weight-0
    sample: compared without warnings."""
    y_pred, y = multilabel_batch(n=n, num_labels=5, seed=seed % 10_000)
    repeats = torch.randint(0, 4, (n,), generator=torch.Generator().manual_seed(seed))
    if not repeats.any():
        repeats[0] = 1
    weighted = MultilabelF1Score(
        5, average=average, zero_division=zero_division, from_logits=True, sample_weight=True
    )
    weighted.update((y_pred, y, repeats.double()))
    plain = MultilabelF1Score(5, average=average, zero_division=zero_division, from_logits=True)
    plain.update((y_pred.repeat_interleave(repeats, 0), y.repeat_interleave(repeats, 0)))
    assert_close_relative(_quiet(weighted.compute), _quiet(plain.compute))
    assert_close_relative(_quiet(weighted.report), _quiet(plain.report))
    assert torch.equal(weighted.confusion_matrix(), plain.confusion_matrix().double())


def test_unit_weights_give_the_unweighted_results() -> None:
    y_pred, y = multilabel_batch(n=300, num_labels=6, seed=5)  # above the NumPy small-batch path too
    for average in AVERAGES:
        weighted = MultilabelF1Score(6, average=average, from_logits=True, sample_weight=True)
        plain = MultilabelF1Score(6, average=average, from_logits=True)
        for start in (0, 100):
            batch = (y_pred[start : start + 200], y[start : start + 200])
            weighted.update((*batch, torch.ones(batch[1].shape[0])))
            plain.update(batch)
        assert_close(_quiet(weighted.compute), _quiet(plain.compute))
        assert_close(_quiet(weighted.report), _quiet(plain.report))
        assert torch.equal(weighted.per_class_counts(), plain.per_class_counts().double())


def test_tiny_beta_whose_square_is_subnormal_equals_sklearn() -> None:
    # beta^2 == 1e-320 (a beta whose square underflows to 0 is refused: tests/test_validation.py):
    # the per-sample F-beta is about precision
    y_pred, y = multilabel_batch(n=40, num_labels=3, seed=8)
    w = torch.linspace(0.0, 2.0, 40, dtype=torch.float64)
    metric = MultilabelFBetaScore(
        1e-160, 3, average="samples", zero_division=1.0, from_logits=True, sample_weight=True
    )
    metric.update((y_pred, y, w))
    expected = sklearn_fbeta(
        y_true=y.numpy(), y_pred=(y_pred >= 0).long().numpy(), beta=1e-160, kind="multilabel",
        average="samples", zero_division=1.0, sample_weight=w.numpy(),
    )  # fmt: skip
    assert_close_relative(metric.compute(), expected)


def test_class_names_key_the_per_label_result() -> None:
    metric = _metric(average=None, zero_division=0.0, class_names=["a", "b", "c"])
    metric.update((PRED, Y, W))
    expected = sklearn_fbeta(
        y_true=Y.numpy(), y_pred=PRED.numpy(), beta=1.0, kind="multilabel", zero_division=0.0,
        sample_weight=W.numpy(),
    )  # fmt: skip
    result = metric.compute()
    assert isinstance(result, dict) and list(result) == ["a", "b", "c"]
    assert_close(list(result.values()), expected)


# --------------------------------------------------------------------------- what is refused

BAD_WEIGHTS = [
    pytest.param(torch.tensor([1.0, -0.5, 1.0]), ValueError, "finite weights >= 0", id="negative"),
    pytest.param(torch.tensor([1.0, math.nan, 1.0]), ValueError, "finite weights >= 0", id="nan"),
    pytest.param(torch.tensor([1.0, math.inf, 1.0]), ValueError, "finite weights >= 0", id="inf"),
    pytest.param(torch.tensor([1.0, 1.0]), ValueError, r"must have shape \(N,\) = \(3,\)", id="short"),
    pytest.param(
        torch.ones(3, 3),
        ValueError,
        "has no weight per \\(sample, label\\); pass one weight per sample",
        id="per_label",
    ),
    pytest.param(torch.ones(3, 1), ValueError, r"got \(3, 1\)\.", id="column"),
    pytest.param(torch.tensor([1, 1, 1]), TypeError, "float torch.Tensor", id="int"),
    pytest.param([1.0, 1.0, 1.0], TypeError, "float torch.Tensor", id="list"),
    pytest.param(None, TypeError, "float torch.Tensor", id="none"),
]


def _state(metric: Any) -> dict[str, torch.Tensor]:
    return dict(metric.state_dict()["__metric_state_per_rank"][0])


@pytest.mark.parametrize(("weight", "error", "message"), BAD_WEIGHTS)
def test_bad_weights_are_refused_and_leave_the_state_unchanged(
    weight: Any, error: type[Exception], message: str
) -> None:
    metric = _metric(average="samples", num_thresholds=5)
    metric.update((PRED[:2], Y[:2], W[:2]))
    before = _state(metric)
    with pytest.raises(error, match=message):
        metric.update((PRED[:3].float(), Y[:3], weight))
    after = _state(metric)
    assert list(after) == list(before)
    assert all(torch.equal(after[name], value) for name, value in before.items())


def test_without_validation_the_type_and_shape_are_still_checked() -> None:
    metric = _metric(validate_args=False)
    with pytest.raises(ValueError, match="one weight per sample"):
        metric.update((PRED, Y, torch.ones(4, 3)))
    with pytest.raises(TypeError, match=r"float torch\.Tensor"):
        metric.update((PRED, Y, torch.ones(4, dtype=torch.int64)))


def test_per_label_weights_message_says_what_to_pass() -> None:
    with pytest.raises(ValueError) as caught:
        _metric().update((PRED, Y, torch.ones(4, 3)))
    message = str(caught.value)
    assert message.startswith("Argument `sample_weight` must have shape (N,) = (4,) for multilabel")
    assert "got (4, 3)" in message and "BinaryF1Score(sample_weight=True)" in message


def test_pair_without_weights_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must be a triple \(y_pred, y, sample_weight\)"):
        _metric().update((PRED, Y))


def test_sample_weight_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="`sample_weight` must be True or False"):
        MultilabelF1Score(3, from_logits=False, sample_weight=1)  # type: ignore[arg-type]


def test_empty_batch_checks_its_weights_and_adds_nothing() -> None:
    metric = _metric()
    metric.update((PRED[:0], Y[:0], torch.ones(0)))
    with pytest.raises(ValueError, match=r"must have shape \(N,\) = \(0,\)"):
        metric.update((PRED[:0], Y[:0], torch.ones(1)))
    with pytest.raises(NotComputableError):
        metric.compute()


@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS, ids=str)
@pytest.mark.parametrize("average", AVERAGES, ids=str)
def test_all_zero_weights_are_not_computable(average: str | None, zero_division: Any) -> None:
    """F-beta of no weight is undefined: refused whatever scikit-learn does (1.9 refuses too, 1.5 to
    1.8 return the zero_division value)."""
    metric = _metric(average=average, zero_division=zero_division)
    metric.update((PRED, Y, torch.zeros(4)))
    assert_sklearn_on_all_zero_weights(
        lambda: sklearn_fbeta(
            y_true=Y.numpy(), y_pred=PRED.numpy(), beta=1.0, kind="multilabel", average=average,
            zero_division=zero_division, sample_weight=np.zeros(4),
        ),
        zero_division,
    )  # fmt: skip
    for method in (metric.compute, metric.report, metric.confusion_matrix, metric.per_class_counts):
        with pytest.raises(NotComputableError, match="weight > 0"):
            method()


def test_state_dict_round_trip_and_the_unweighted_state_is_refused() -> None:
    source = _metric(average="samples", zero_division=math.nan, num_thresholds=3)
    source.update((PRED, Y, W))
    restored = _metric(average="samples", zero_division=math.nan, num_thresholds=3)
    restored.load_state_dict(source.state_dict())
    assert restored.compute() == source.compute()
    assert torch.equal(restored.threshold_histogram(), source.threshold_histogram())
    unweighted = MultilabelF1Score(3, average="samples", zero_division=math.nan, from_logits=False)
    with pytest.raises(ValueError, match="state_dict"):
        unweighted.load_state_dict(source.state_dict())
    with pytest.raises(ValueError, match="state_dict"):
        restored.load_state_dict(unweighted.state_dict())
