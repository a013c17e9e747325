"""Parity with scikit-learn on all the data of an epoch: property-based, hand-computed, invariants.

The oracle is ``_reference.sklearn_fbeta`` / ``sklearn_confusion_matrix`` / ``sklearn_report`` on the
concatenated data (never on counts). Inputs come from the ``_cases`` builders, whose
docstring explains how predictions are made unambiguous (exact arg-max of the same float32 array;
logits kept 1e-3 away from ``logit(threshold)`` except for ties that are exact in every precision;
probabilities and thresholds on a 1/32 grid so that ``>=`` is tested on exact ties).

Compared: ``compute()`` (float, float64 per-class tensor or dict), ``confusion_matrix()`` exactly,
``report()``, and the warnings of ``compute()`` / ``report()`` (category and message, in order).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from _cases import (
    AVERAGES_MULTICLASS,
    AVERAGES_MULTILABEL,
    ZERO_DIVISIONS,
    Case,
    any_cases,
    betas,
    binary_cases,
    cut_lists,
    full_data,
    label_input_cases,
    multiclass_cases,
    multilabel_cases,
    n_examples,
    parity_cases,
    run_batches,
    seeds,
    split_batches,
)
from _reference import (
    Caught,
    assert_close,
    assert_unit_interval,
    is_nan,
    record_warnings,
    sklearn_fbeta,
    sklearn_report,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.engine import Engine
from ignite.exceptions import NotComputableError

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
    MultilabelFBetaScore,
)

pytestmark = pytest.mark.usefixtures("one_thread")  # thousands of tiny batches (conftest.py)


# --------------------------------------------------------------------------- the parity check


def split_probability_warning(caught: Caught) -> tuple[Caught, Caught]:
    """The metric's own warning that logits look like probabilities (scikit-learn has no such
    warning), and the other warnings, in order."""
    marker = "was built with from_logits=True, but every score since reset() lay in [0, 1]"
    ours = [w for w in caught if w[0] is UserWarning and marker in w[1]]
    return ours, [w for w in caught if w not in ours]


def check_parity(case: Case, *, report: bool = False) -> None:
    """The metric fed the case's batches agrees with the reference on all the data."""
    metric = case.run()
    if case.num_samples == 0:  # every target ignored: nothing to count from
        assert not case.expected_confusion_matrix().any()
        for method in (metric.confusion_matrix, metric.compute, metric.report):
            with pytest.raises(NotComputableError):
                method()
        return
    cm = metric.confusion_matrix()
    assert cm.dtype == torch.int64 and cm.device.type == "cpu"
    assert np.array_equal(cm.numpy(), case.expected_confusion_matrix())

    result, caught = record_warnings(metric.compute)
    expected, expected_caught = record_warnings(case.expected)
    assert_close(result, expected)
    ours, caught = split_probability_warning(caught)
    assert len(ours) == case.scores_look_like_probabilities, ours
    assert caught == expected_caught
    average = case.kwargs.get("average", "binary")
    if average is not None:
        assert type(result) is float
    elif case.kwargs.get("class_names") is None:
        assert isinstance(result, torch.Tensor) and result.dtype == torch.float64
    else:
        assert isinstance(result, dict)
    assert_unit_interval(result, allow_nan=is_nan(case.kwargs["zero_division"]))

    if report:
        got, caught = record_warnings(metric.report)
        want, expected_caught = record_warnings(case.expected_report)
        assert_close(got, want)
        assert caught == expected_caught
        assert_unit_interval(got, allow_nan=is_nan(case.kwargs["zero_division"]))


# --------------------------------------------------------------------------- property-based parity


@settings(max_examples=n_examples(4))
@given(case=binary_cases())
def test_binary_parity(case: Case) -> None:
    check_parity(case)


@settings(max_examples=n_examples(5))
@given(case=multiclass_cases())
def test_multiclass_parity(case: Case) -> None:
    check_parity(case)


@settings(max_examples=n_examples(2))
@given(case=multiclass_cases(spatial=True))
def test_segmentation_parity(case: Case) -> None:
    check_parity(case)


@settings(max_examples=n_examples(5))
@given(case=multilabel_cases())
def test_multilabel_parity(case: Case) -> None:
    check_parity(case)


@settings(max_examples=n_examples(3))
@given(case=any_cases)
def test_report_parity(case: Case) -> None:
    check_parity(case, report=True)


@pytest.mark.parametrize("case", parity_cases())
def test_parity_fixed_cases(case: Case) -> None:
    check_parity(case, report=True)


# --------------------------------------------------------------------------- properties


@settings(max_examples=n_examples(2))
@given(case=any_cases, seed=seeds, data=st.data())
def test_shuffling_and_batch_splitting_do_not_change_the_result(case: Case, seed: int, data: Any) -> None:
    y_pred, y = full_data(case.batches)
    perm = torch.randperm(y.shape[0], generator=torch.Generator().manual_seed(seed))
    cuts = data.draw(cut_lists(y.shape[0]), label="cuts")
    shuffled = split_batches(y_pred[perm], y[perm], cuts)
    first, second = case.run(), case.run(batches=shuffled)
    if case.num_samples == 0:
        for metric in (first, second):
            with pytest.raises(NotComputableError):
                metric.confusion_matrix()
        return
    assert torch.equal(first.confusion_matrix(), second.confusion_matrix())
    result, caught = record_warnings(first.compute)
    again, caught_again = record_warnings(second.compute)
    assert_close(again, result)  # per-sample sums ("samples") are float64: same to 1e-12
    assert caught_again == caught


@settings(max_examples=n_examples(2))
@given(case=label_input_cases(), beta=betas)
def test_swapping_predictions_and_targets_turns_beta_into_its_inverse(case: Case, beta: float) -> None:
    kwargs = {k: v for k, v in case.kwargs.items() if k != "beta"}
    cls = {
        "binary": BinaryFBetaScore,
        "multiclass": MulticlassFBetaScore,
        "multilabel": MultilabelFBetaScore,
    }[case.kind]
    swapped = [(y, y_pred) for y_pred, y in case.batches]
    forward = case.run(cls(beta=beta, **kwargs))
    backward = case.run(cls(beta=1.0 / beta, **kwargs), batches=swapped)
    assert torch.equal(backward.confusion_matrix(), _transpose_cm(forward.confusion_matrix(), case.kind))
    result, _ = record_warnings(forward.compute)
    inverse, _ = record_warnings(backward.compute)
    assert_close(inverse, result)


def _transpose_cm(cm: torch.Tensor, kind: str) -> torch.Tensor:
    """The confusion matrix of swapped inputs: rows and columns trade places (fp <-> fn)."""
    return cm.transpose(-1, -2)


@settings(max_examples=n_examples(0.5))
@given(case=any_cases)
def test_every_average_and_zero_division_lies_in_unit_interval(case: Case) -> None:
    if case.num_samples == 0:
        return
    averages = {"binary": ("binary",), "multiclass": AVERAGES_MULTICLASS, "multilabel": AVERAGES_MULTILABEL}
    for average in averages[case.kind]:
        for zd in ZERO_DIVISIONS:
            overrides: dict[str, Any] = {"zero_division": zd}
            if case.kind != "binary":
                overrides["average"] = average
            metric = case.run(case.metric(**overrides))
            result, _ = record_warnings(metric.compute)
            assert_unit_interval(result, allow_nan=is_nan(zd), path=f"{average}, zero_division={zd}")


# --------------------------------------------------------------------------- hand-computed cases


def test_binary_hand_computed() -> None:
    # y    = 1 1 1 0 0 0 0
    # pred = 1 1 0 1 1 0 0     tp = 2, fp = 2, fn = 1, tn = 2
    # F-beta = (1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)
    # F1 = 4 / (4 + 1 + 2) = 4/7; F2 = 10 / (10 + 4 + 2) = 5/8; F0.5 = 2.5 / (2.5 + 0.25 + 2) = 10/19
    y = torch.tensor([1, 1, 1, 0, 0, 0, 0])
    logits = torch.tensor([3.0, 0.0, -1.0, 0.5, 2.0, -0.1, -4.0])  # logit 0.0 is >= logit(0.5) = 0
    batches = [(logits[:2], y[:2]), (logits[2:], y[2:])]
    for beta, expected in ((1.0, 4 / 7), (2.0, 5 / 8), (0.5, 10 / 19)):
        metric = run_batches(BinaryFBetaScore(beta=beta, from_logits=True), batches)
        assert metric.compute() == pytest.approx(expected, abs=1e-15)
        assert metric.confusion_matrix().tolist() == [[2, 2], [1, 2]]
    metric = run_batches(BinaryF1Score(from_logits=True), batches)
    assert metric.compute() == pytest.approx(4 / 7, abs=1e-15)
    report = metric.report()
    # class 1: precision 2/4, recall 2/3; class 0: precision 2/3, recall 2/4
    assert report["1"]["precision"] == pytest.approx(0.5) and report["1"]["recall"] == pytest.approx(2 / 3)
    assert report["0"]["support"] == 4 and report["1"]["support"] == 3


@pytest.mark.parametrize(
    ("zero_division", "expected"),
    [
        pytest.param("warn", 0.0, id="zd_warn"),
        pytest.param(0.0, 0.0, id="zd_0"),
        pytest.param(1.0, 1.0, id="zd_1"),
        pytest.param(math.nan, math.nan, id="zd_nan"),
    ],
)
def test_binary_without_positives_is_zero_division(zero_division: Any, expected: float) -> None:
    # y = pred = 0 0 0: tp = fp = fn = 0, F-beta undefined -> zero_division
    metric = run_batches(
        BinaryF1Score(from_logits=False, zero_division=zero_division), [(torch.zeros(3), torch.zeros(3))]
    )
    result, caught = record_warnings(metric.compute)
    assert_close(result, expected)
    messages = [message for _, message in caught]
    if zero_division == "warn":
        assert messages == [
            "F-score is ill-defined and being set to 0.0 due to no true nor predicted samples. "
            "Use `zero_division` parameter to control this behavior."
        ]
    else:
        assert messages == []


def test_multiclass_macro_absent_class_labels_none_vs_all_classes() -> None:
    # C = 4, class 3 never occurs.
    # y    = 0 0 1 1 2 2
    # pred = 0 1 1 1 2 0
    # class 0: tp 1, fp 1, fn 1 -> F1 = 2/4 = 0.5
    # class 1: tp 2, fp 1, fn 0 -> F1 = 4/5 = 0.8
    # class 2: tp 1, fp 0, fn 1 -> F1 = 2/3
    # class 3: tp 0, fp 0, fn 0 -> undefined (zero_division)
    # labels=None (sklearn: only classes that occur): (0.5 + 0.8 + 2/3) / 3 = 0.65556
    # labels=range(4), zero_division=0 or "warn": (0.5 + 0.8 + 2/3 + 0) / 4 = 0.49167
    # labels=range(4), zero_division=1: (0.5 + 0.8 + 2/3 + 1) / 4 = 0.74167
    # labels=range(4), zero_division=nan: class 3 dropped, = the labels=None value
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    pred = torch.tensor([0, 1, 1, 1, 2, 0])
    known = 0.5 + 0.8 + 2 / 3
    cases = [
        (None, "warn", known / 3, False),
        (range(4), "warn", known / 4, True),
        (range(4), 0.0, known / 4, False),
        (range(4), 1.0, (known + 1) / 4, False),
        (range(4), math.nan, known / 3, False),
    ]
    for labels, zd, expected, warns in cases:
        labels_arg = None if labels is None else list(labels)
        metric = run_batches(
            MulticlassF1Score(4, labels=labels_arg, zero_division=zd), [(pred[:4], y[:4]), (pred[4:], y[4:])]
        )
        result, caught = record_warnings(metric.compute)
        assert result == pytest.approx(expected, abs=1e-15), (labels, zd)
        assert bool(caught) == warns, (labels, zd, caught)
        reference, expected_caught = record_warnings(
            sklearn_fbeta,
            y_true=y.numpy(),
            y_pred=pred.numpy(),
            beta=1.0,
            kind="multiclass",
            average="macro",
            labels=labels_arg,
            zero_division=zd,
        )
        assert_close(result, reference)
        assert caught == expected_caught

    # average=None: one score per class 0..3 whatever `labels`
    per_class = run_batches(MulticlassF1Score(4, average=None, zero_division=1.0), [(pred, y)]).compute()
    assert_close(per_class, torch.tensor([0.5, 0.8, 2 / 3, 1.0], dtype=torch.float64))
    named = run_batches(
        MulticlassF1Score(4, average=None, class_names=["a", "b", "c", "d"], zero_division=0.0), [(pred, y)]
    )
    assert_close(named.compute(), {"a": 0.5, "b": 0.8, "c": 2 / 3, "d": 0.0})
    assert named.confusion_matrix().tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]


@pytest.mark.parametrize(
    ("zero_division", "expected"),
    [
        pytest.param("warn", 1.5 / 3, id="zd_warn"),
        pytest.param(0.0, 1.5 / 3, id="zd_0"),
        pytest.param(1.0, 2.5 / 3, id="zd_1"),
        pytest.param(math.nan, 1.5 / 2, id="zd_nan"),
    ],
)
def test_multilabel_samples_with_an_empty_sample(zero_division: Any, expected: float) -> None:
    # y    = [1 0 1] [0 0 0] [0 1 0]
    # pred = [1 1 0] [0 0 0] [0 1 0]
    # sample 0: tp 1, fp 1, fn 1 -> F1 = 2/4 = 0.5
    # sample 1: no true and no predicted label -> zero_division (nan: left out of the mean)
    # sample 2: tp 1 -> F1 = 1
    # samples average: (0.5 + zd + 1) / 3, or (0.5 + 1) / 2 with nan
    y = torch.tensor([[1, 0, 1], [0, 0, 0], [0, 1, 0]])
    pred = torch.tensor([[1, 1, 0], [0, 0, 0], [0, 1, 0]])
    metric = run_batches(
        MultilabelF1Score(num_labels=3, average="samples", zero_division=zero_division, from_logits=True),
        [(pred[:1], y[:1]), (pred[1:1], y[1:1]), (pred[1:], y[1:])],
    )
    result, caught = record_warnings(metric.compute)
    assert result == pytest.approx(expected, abs=1e-15)
    reference, expected_caught = record_warnings(
        sklearn_fbeta,
        y_true=y.numpy(),
        y_pred=pred.numpy(),
        beta=1.0,
        kind="multilabel",
        average="samples",
        zero_division=zero_division,
    )
    assert_close(result, reference)
    assert caught == expected_caught
    assert bool(caught) == (zero_division == "warn")
    report, _ = record_warnings(metric.report)
    want, _ = record_warnings(
        sklearn_report, y_true=y.numpy(), y_pred=pred.numpy(), labels=range(3), zero_division=zero_division
    )
    assert_close(report, want)


# --------------------------------------------------------------------------- epoch vs batches


def test_epoch_f1_is_not_the_mean_of_batch_f1s() -> None:
    # batch 1: y = 1,          pred = 1:          tp 1               -> F1 = 1
    # batch 2: y = 1 1 1 1 0,  pred = 0 0 0 1 1:  tp 1, fp 1, fn 3   -> F1 = 2 / (2 + 1 + 3) = 1/3
    # mean of batch F1s = (1 + 1/3) / 2 = 2/3
    # epoch: tp 2, fp 1, fn 3 -> F1 = 4 / (4 + 1 + 3) = 1/2
    batches = [
        (torch.tensor([1]), torch.tensor([1])),
        (torch.tensor([0, 0, 0, 1, 1]), torch.tensor([1, 1, 1, 1, 0])),
    ]
    batch_f1s = [
        sklearn_fbeta(y_true=y.numpy(), y_pred=p.numpy(), beta=1.0, kind="binary") for p, y in batches
    ]
    assert batch_f1s == pytest.approx([1.0, 1 / 3])
    epoch_f1 = sklearn_fbeta(
        y_true=torch.cat([y for _, y in batches]).numpy(),
        y_pred=torch.cat([p for p, _ in batches]).numpy(),
        beta=1.0,
        kind="binary",
    )
    assert epoch_f1 == pytest.approx(0.5)
    assert np.mean(batch_f1s) == pytest.approx(2 / 3)

    evaluator = Engine(lambda engine, batch: batch)
    BinaryF1Score(from_logits=True).attach(evaluator, "f1")
    state = evaluator.run([(p, y) for p, y in batches])
    assert type(state.metrics["f1"]) is float
    assert state.metrics["f1"] == epoch_f1
    assert state.metrics["f1"] != pytest.approx(np.mean(batch_f1s))


def test_epoch_macro_f1_is_not_the_mean_of_batch_macro_f1s() -> None:
    # batch 1: y = 0 1,   pred = 0 1:     classes 0, 1 perfect             -> macro F1 = 1
    # batch 2: y = 2 2 0, pred = 2 0 0:   class 0: tp 1, fp 1 -> 2/3; class 2: tp 1, fn 1 -> 2/3
    #                                      -> macro F1 (classes 0, 2 occur) = 2/3
    # mean of batch macro F1s = 5/6
    # epoch: class 0: tp 2, fp 1 -> 4/5; class 1: tp 1 -> 1; class 2: tp 1, fn 1 -> 2/3
    #        macro F1 = (4/5 + 1 + 2/3) / 3 = 37/45
    batches = [
        (torch.tensor([0, 1]), torch.tensor([0, 1])),
        (torch.tensor([2, 0, 0]), torch.tensor([2, 2, 0])),
    ]
    metric = run_batches(MulticlassF1Score(3), batches)
    assert metric.compute() == pytest.approx(37 / 45, abs=1e-15)
    batch_f1s = [run_batches(MulticlassF1Score(3), [batch]).compute() for batch in batches]
    assert batch_f1s == pytest.approx([1.0, 2 / 3])
    assert metric.compute() != pytest.approx(np.mean(batch_f1s))
