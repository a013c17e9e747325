"""Many classes (issue 11): per-class counts give scikit-learn's numbers at any C, with or without
the C x C matrix.

- Hypothesis parity on raw data for C up to a few thousand, with and without the kept matrix:
  ``labels`` subsets (absent classes included), ``ignore_index``, every ``average`` and
  ``zero_division``, the report, the warnings in order.
- The grouping of classes by equal counts (both of its paths) and large counts.
- C = 100,000 end to end on a small batch: constant-size state, scikit-learn's results, report keys.
"""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

import numpy as np
import pytest
import torch
from _cases import (
    AVERAGES_MULTICLASS,
    ZERO_DIVISIONS,
    Case,
    betas,
    multiclass_case,
    n_examples,
    seeds,
    zd_id,
    zero_divisions,
)
from _reference import (
    assert_close,
    assert_same,
    assert_unit_interval,
    is_nan,
    record_warnings,
    sklearn_fbeta,
    sklearn_report,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.exceptions import NotComputableError
from sklearn.metrics import confusion_matrix, fbeta_score

from ignite_f1 import MulticlassF1Score, MulticlassFBetaScore
from ignite_f1._columns import distinct_columns
from ignite_f1._scores import classification_report_dict, multiclass_fbeta

pytestmark = pytest.mark.usefixtures("one_thread")


@st.composite
def many_class_cases(draw: st.DrawFn) -> Case:
    """Multi-class cases with up to a few thousand classes, most of them absent."""
    c = draw(st.one_of(st.integers(2, 12), st.sampled_from([64, 700, 1500, 3000])))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    labels = None
    if draw(st.booleans()):  # a subset in any order: classes that occur and classes that do not
        labels = rng.choice(c, size=draw(st.integers(1, min(c, 40))), replace=False).tolist()
    ignore_index = draw(st.sampled_from([None, -100, 255, c, c + 7, 0, c - 1]))
    n = draw(st.integers(1, 60 if c > 12 else 120))
    input = draw(st.sampled_from(["logits", "labels"]))
    return multiclass_case(
        seed=seed,
        n=n,
        num_classes=c,
        beta=draw(betas),
        average=draw(st.sampled_from(AVERAGES_MULTICLASS)),
        labels=labels,
        ignore_index=ignore_index,
        zero_division=draw(zero_divisions),
        class_names=draw(st.booleans()),
        input=input,
        ties=draw(st.booleans()) if c <= 12 else False,
        score_dtype=torch.float32 if input == "logits" else torch.int64,
        present_true=draw(st.integers(1, min(c, 30))),
        present_pred=draw(st.integers(1, min(c, 30))),
        agreement=draw(st.sampled_from([0.0, 0.5, 0.9, 1.0])),
        ignore_rate=draw(st.sampled_from([0.0, 0.3, 1.0])),
        cuts=draw(st.lists(st.integers(0, n), max_size=4)),
        validate_args=draw(st.booleans()),
    )


def check_parity_both_ways(case: Case) -> None:
    """With and without the kept matrix: the same per-class counts, scores, report and warnings as
    scikit-learn on all the data."""
    results = {}
    for keep in (True, False):
        metric = case.run(case.metric(keep_confusion_matrix=keep))
        assert metric.keep_confusion_matrix is keep
        if case.num_samples == 0:
            for method in (metric.compute, metric.report, metric.per_class_counts):
                with pytest.raises(NotComputableError):
                    method()
            continue
        cm = case.expected_confusion_matrix()
        counts = metric.per_class_counts()
        assert counts.tolist() == [np.diag(cm).tolist(), cm.sum(0).tolist(), cm.sum(1).tolist()]
        if keep:
            assert np.array_equal(metric.confusion_matrix().numpy(), cm)
        result, caught = record_warnings(metric.compute)
        expected, expected_caught = record_warnings(case.expected)
        assert_close(result, expected)
        assert caught == expected_caught
        assert_unit_interval(result, allow_nan=is_nan(case.kwargs["zero_division"]))
        report, caught = record_warnings(metric.report)
        expected_report, expected_caught = record_warnings(case.expected_report)
        assert_close(report, expected_report)
        assert caught == expected_caught
        results[keep] = (result, report)
    if results:
        assert_close(results[False][0], results[True][0], tol=0.0)
        assert_close(results[False][1], results[True][1], tol=0.0)


@settings(max_examples=n_examples(0.25))  # thousands of classes per example; CI's thorough run draws 15x
@given(case=many_class_cases())
def test_parity_with_and_without_the_matrix_up_to_thousands_of_classes(case: Case) -> None:
    check_parity_both_ways(case)


@pytest.mark.slow  # about 1 s per case at thousands of classes; the hypothesis test covers them by default
@pytest.mark.parametrize("average", AVERAGES_MULTICLASS, ids=str)
@pytest.mark.parametrize("zero_division", ["warn", 0.0, 1.0, math.nan], ids=str)
def test_fixed_parity_with_absent_classes_and_labels(average: str | None, zero_division: Any) -> None:
    # 2000 classes, targets and predictions among 5 of them; labels mix present and absent classes
    for labels in (None, [1999, 3, 0, 17], list(range(2000))):
        case = multiclass_case(
            seed=11,
            n=80,
            num_classes=2000,
            average=average,
            labels=labels,
            ignore_index=-100,
            zero_division=zero_division,
            present_true=5,
            present_pred=5,
            ignore_rate=0.3,
            cuts=(10, 10, 50),
        )
        check_parity_both_ways(case)


# --------------------------------------------------------------------------- grouping by equal counts


@pytest.mark.parametrize(
    "scale",
    [1, 1000, 10**12],
    ids=["small_counts-bincount", "counts-sorted_keys", "large_counts-sorted_columns"],
)
def test_distinct_columns_group_classes_with_equal_counts(scale: int) -> None:
    rng = np.random.default_rng(3)
    pp, ap = rng.integers(0, 6, 5000) * scale, rng.integers(0, 6, 5000) * scale
    tp = np.minimum(pp, ap) // 2
    kept = np.stack([tp, pp, ap])
    first, of_class = distinct_columns(kept)
    columns = kept[:, first]
    assert np.array_equal(columns[:, of_class], kept)  # every class finds its counts
    assert len({tuple(c) for c in columns.T}) == columns.shape[1]  # each triple once
    assert [tuple(c) for c in columns.T] == sorted({tuple(c) for c in kept.T})  # in lexicographic order


def test_large_counts_give_sklearns_scores() -> None:
    # counts past 2^32 (a long run): the cells of the matrix as weighted samples are the reference
    cm = np.array([[3, 1, 0], [2, 5, 1], [0, 0, 4]], dtype=np.int64) * (10**11 + 7)
    cm[2, 0] = 1
    true, pred = np.nonzero(cm)
    counts = torch.tensor(np.stack([np.diag(cm), cm.sum(0), cm.sum(1)]))
    for average in AVERAGES_MULTICLASS:
        expected = fbeta_score(
            y_true=true,
            y_pred=pred,
            sample_weight=cm[true, pred],
            beta=2.0,
            average=average,
            labels=[0, 1, 2],
        )
        assert_close(multiclass_fbeta(counts, 2.0, average, [0, 1, 2], 0.0), expected)
    report = classification_report_dict(counts, [0, 1, 2], None, 0.0)
    assert report["2"]["support"] == float(cm[2].sum())


# --------------------------------------------------------------------------- 100,000 classes


@pytest.mark.slow  # 100,000 classes: a few seconds
def test_one_hundred_thousand_classes_end_to_end() -> None:
    num_classes = 100_000
    metric = MulticlassF1Score(num_classes, average=None, zero_division=0.0)
    assert metric.keep_confusion_matrix is False  # the default above 1024 classes
    assert dict(metric.state_dict()["__metric_state_per_rank"][0])["_counts"].shape == (3, num_classes)
    g = torch.Generator().manual_seed(0)
    truth = torch.tensor([5, 99_999, 7, 7, 123, 50_000, 5, 0])
    scores = torch.randn(8, num_classes, generator=g)
    hard = torch.tensor([5, 99_999, 7, 8, 123, 0, 6, 0])  # 5 hits, 3 misses
    scores[torch.arange(8), hard] = 10.0
    metric.update((scores[:3], truth[:3]))
    metric.update((scores[3:], truth[3:]))
    state = metric.state_dict()["__metric_state_per_rank"][0]
    assert [tuple(t.shape) for t in state.values()] == [(3, num_classes)]  # constant size: 2.4 MB
    assert sum(t.numel() * t.element_size() for t in state.values()) == 2_400_000

    y, p = truth.numpy(), hard.numpy()
    per_class = metric.compute()
    expected = fbeta_score(
        y_true=y, y_pred=p, beta=1.0, average=None, labels=np.arange(num_classes), zero_division=0.0
    )
    assert isinstance(per_class, torch.Tensor) and per_class.shape == (num_classes,)
    assert_close(per_class, expected)
    # 0: tp 1, fp 1 (the 50_000 predicted 0); 5: tp 1, fn 1; 7: tp 1, fn 1; 123 and 99_999: perfect
    assert per_class[[0, 5, 7, 123, 99_999]].tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 1.0, 1.0])
    for average in ("micro", "macro", "weighted"):
        averaged = MulticlassF1Score(num_classes, average=average, zero_division=0.0)
        averaged.load_state_dict(metric.state_dict())
        value = averaged.compute()
        # labels=None: the averages count the 9 classes that occur (scikit-learn's rule)
        assert value == pytest.approx(
            sklearn_fbeta(
                y_true=y, y_pred=p, beta=1.0, kind="multiclass", average=average, zero_division=0.0
            ),
            abs=1e-12,
        )

    report = metric.report()
    assert list(report)[:3] == ["0", "1", "2"] and len(report) == num_classes + 3
    assert list(report)[-3:] == ["accuracy", "macro avg", "weighted avg"]
    assert report["accuracy"] == 5 / 8 and report["7"]["support"] == 2.0
    assert_close(
        report,
        sklearn_report(y_true=y, y_pred=p, labels=range(num_classes), zero_division=0.0),
    )
    with pytest.raises(RuntimeError, match="keep_confusion_matrix=False"):
        metric.confusion_matrix()


def test_one_hundred_thousand_classes_with_the_matrix_is_refused_naming_the_flag() -> None:
    with pytest.raises(ValueError, match=r"build the metric with keep_confusion_matrix=False"):
        MulticlassFBetaScore(1.0, 100_000, keep_confusion_matrix=True)


@pytest.mark.parametrize("keep", [True, False], ids=["matrix", "counts"])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, float("nan")], ids=["zd0", "zd1", "zd_nan"])
@settings(max_examples=n_examples(0.6), deadline=None)  # 12 random cases by default, 180 in CI
@given(seed=st.integers(0, 2**32 - 1))
def test_averages_equal_sklearn_to_the_last_bit(
    keep: bool, average: str, zero_division: float, seed: int
) -> None:
    # The docs promise every multi-class average bit for bit: classes that share their counts are
    # scored once, but the mean is taken over one value per class in scikit-learn's order (a
    # weighted sum over the shared columns differed in the last bit in most random cases).
    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(2, 40))
    size = int(rng.integers(1, 600))
    y = rng.integers(0, num_classes, size)
    y_pred = np.where(rng.random(size) < 0.3, y, rng.integers(0, num_classes, size))
    metric = MulticlassFBetaScore(
        beta=0.5,
        num_classes=num_classes,
        average=average,
        zero_division=zero_division,
        keep_confusion_matrix=keep,
    )
    metric.update((torch.as_tensor(y_pred), torch.as_tensor(y)))
    expected = fbeta_score(y, y_pred, beta=0.5, average=average, zero_division=zero_division)
    result = metric.compute()
    assert result == expected or (math.isnan(result) and math.isnan(expected)), (result, expected)


# --------------------------------------------------------------------------- epoch-end: exact, and snapshots


@pytest.mark.parametrize("keep", [True, False], ids=["matrix", "counts"])
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS, ids=zd_id)
def test_report_and_scores_equal_sklearn_to_the_last_bit_with_many_classes(
    keep: bool, zero_division: Any
) -> None:
    # random labels as in the benchmark: classes scored once per group of equal scores (equal
    # counts; no true positive and the same zero denominators; equal tp and predicted + actual
    # for F1), the micro average read beside the per-class columns; absent classes too
    rng = np.random.default_rng(5)
    num_classes, size = 300, 3000
    y = rng.integers(0, num_classes - 20, size)  # the last 20 classes are never a target
    y_pred = np.where(rng.random(size) < 0.2, y, rng.integers(0, num_classes - 10, size))
    for labels in (None, [299, 5, 0, 280, 17], [3]):
        scored = range(num_classes) if labels is None else labels
        metric = MulticlassFBetaScore(
            1.0, num_classes, labels=labels, zero_division=zero_division, keep_confusion_matrix=keep
        )
        metric.update((torch.as_tensor(y_pred), torch.as_tensor(y)))
        report, caught = record_warnings(metric.report)
        expected, expected_caught = record_warnings(
            sklearn_report, y_true=y, y_pred=y_pred, labels=scored, zero_division=zero_division
        )
        assert_same(report, expected)
        assert caught == expected_caught
        for beta, average in itertools.product((1.0, 0.5), AVERAGES_MULTICLASS):
            metric = MulticlassFBetaScore(
                beta, num_classes, average, labels, zero_division=zero_division, keep_confusion_matrix=keep
            )
            metric.update((torch.as_tensor(y_pred), torch.as_tensor(y)))
            result, caught = record_warnings(metric.compute)
            kwargs = {"beta": beta, "average": average, "labels": labels, "zero_division": zero_division}
            want, expected_caught = record_warnings(
                sklearn_fbeta, y_true=y, y_pred=y_pred, kind="multiclass", num_classes=num_classes, **kwargs
            )
            assert_same(
                result.tolist() if average is None else result, want.tolist() if average is None else want
            )
            assert caught == expected_caught


@pytest.mark.parametrize("keep", [True, False], ids=["matrix", "counts"])
def test_results_are_snapshots_and_an_update_is_seen_after_them(keep: bool) -> None:
    # compute() and report() read the live counts without copying them (a copy of 8 MB at 1000
    # classes): what they and the other readers hand out must not change with a later update,
    # changing it must not change the metric, and what is read after an update counts it
    rng = np.random.default_rng(2)
    y, y_pred = rng.integers(0, 6, 200), rng.integers(0, 6, 200)
    metric = MulticlassF1Score(6, average=None, zero_division=0.0, keep_confusion_matrix=keep)
    metric.update((torch.as_tensor(y_pred[:120]), torch.as_tensor(y[:120])))
    scores, report, counts = metric.compute(), metric.report(), metric.per_class_counts()
    matrix = metric.confusion_matrix() if keep else torch.zeros(())
    kept = (scores.clone(), copy.deepcopy(report), counts.clone(), matrix.clone())
    metric.update((torch.as_tensor(y_pred[120:]), torch.as_tensor(y[120:])))
    assert_same((scores, report, counts, matrix), kept)
    for result in (scores, counts, matrix):
        result += 1  # the caller's copies
    report["0"]["precision"] = 2.0
    expected = sklearn_fbeta(
        y_true=y, y_pred=y_pred, beta=1.0, kind="multiclass", average=None, num_classes=6, zero_division=0.0
    )
    assert metric.compute().tolist() == expected.tolist()
    assert_same(metric.report(), sklearn_report(y_true=y, y_pred=y_pred, labels=range(6), zero_division=0.0))
    cm = confusion_matrix(y, y_pred, labels=range(6))
    assert metric.per_class_counts().tolist() == [
        np.diag(cm).tolist(),
        cm.sum(0).tolist(),
        cm.sum(1).tolist(),
    ]
    if keep:
        assert metric.confusion_matrix().tolist() == cm.tolist()
