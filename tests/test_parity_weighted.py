"""Parity with scikit-learn's ``sample_weight`` across the hypothesis suite.

Every case family of ``_cases`` (binary in every shape, multi-class flat and segmentation,
multilabel) is drawn as for ``test_parity.py``, with random non-negative float weights: one per
element of ``y``, or one per sample (image) for targets with more than one dimension, and one per
sample for multilabel data. The metric is built with ``sample_weight=True`` and fed the case's
batches with the weights split the same way; scikit-learn sees all the data with the weights of the
flattened (and, for ``ignore_index``, filtered) targets.

Compared, to 1e-12 relative (the float sums of weights run in another order than scikit-learn's):
``compute()``, ``report()``, ``confusion_matrix()`` (float64) and ``per_class_counts()``, and the
warnings of ``compute()`` and ``report()`` (category and message, in order: ``zero_division="warn"``
included). Weights that are all 0 (or whose samples are all ignored) make every result raise
``NotComputableError``: F-beta of no weight is undefined. scikit-learn 1.9 refuses such weights too;
1.5 to 1.8 return the ``zero_division`` value, which is checked as such
(``assert_sklearn_on_all_zero_weights``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _cases import Case, binary_cases, multiclass_cases, multilabel_cases, n_examples, seeds
from _reference import (
    Caught,
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

pytestmark = pytest.mark.usefixtures("one_thread")  # many tiny batches (conftest.py)

PROBABILITY_MARKER = "was built with from_logits=True, but every score since reset() lay in [0, 1]"
WEIGHT_STYLES = ("uniform", "wide", "sparse", "integers")


# --------------------------------------------------------------------------- weights for a case


def _weights(case: Case, seed: int, style: str, per_sample: bool, dtype: torch.dtype) -> torch.Tensor:
    """Random weights >= 0 for the case's data: (N,) per sample, else the shape of ``y``.

    ``style``: "uniform" in [0, 10); "wide" spans 1e-3 to 1e3; "sparse" is mostly 0; "integers"
    are small whole numbers, 0 included.
    """
    y = torch.cat([b[1] for b in case.batches])
    shape = tuple(y.shape[:1]) if per_sample else tuple(y.shape)
    rng = np.random.default_rng(seed)
    values = {
        "uniform": lambda: rng.uniform(0.0, 10.0, shape),
        "wide": lambda: 10.0 ** rng.uniform(-3.0, 3.0, shape),
        "sparse": lambda: np.where(rng.random(shape) < 0.7, 0.0, rng.uniform(0.0, 2.0, shape)),
        "integers": lambda: rng.integers(0, 4, shape).astype(np.float64),
    }[style]()
    return torch.as_tensor(values).to(dtype)


def _reference_weights(case: Case, weight: torch.Tensor) -> np.ndarray:
    """The weights of the data scikit-learn sees: spread over each sample's elements, flattened as
    the targets are, and those of ignored targets dropped."""
    y = torch.cat([b[1] for b in case.batches])
    if case.kind == "multilabel":
        return weight.double().numpy()
    if weight.shape != y.shape:  # one per sample (image)
        weight = weight.reshape(-1, *([1] * (y.ndim - 1))).expand(y.shape)
    flat = weight.double().reshape(-1).numpy()
    ignore_index = case.kwargs.get("ignore_index")
    if ignore_index is None:
        return flat
    return flat[y.reshape(-1).to(torch.int64).numpy() != ignore_index]


def _run(metric: Any, case: Case, weight: torch.Tensor) -> Any:
    """Feed the case's batches with their slice of ``weight`` (empty batches included)."""
    start = 0
    for y_pred, y in case.batches:
        end = start + y.shape[0]
        metric.update((y_pred, y, weight[start:end]))
        start = end
    return metric


# --------------------------------------------------------------------------- scikit-learn, weighted


def _expected(case: Case, w: np.ndarray) -> Any:
    """What ``compute()`` must return: ``Case.expected`` with ``sample_weight=w``."""
    average = case.kwargs.get("average")
    result = sklearn_fbeta(
        y_true=case.y_true,
        y_pred=case.y_pred,
        beta=case.beta,
        kind=case.kind,
        average=average,
        labels=case.kwargs.get("labels"),
        num_classes=case.num_classes,
        zero_division=case.kwargs["zero_division"],
        sample_weight=w,
    )
    if case.kind != "binary" and average is None and case.target_names is not None:
        return dict(zip(case.target_names, map(float, result), strict=True))
    return result


def _expected_report(case: Case, w: np.ndarray) -> dict[str, Any]:
    return sklearn_report(
        y_true=case.y_true,
        y_pred=case.y_pred,
        labels=case.scored_labels,
        target_names=case.target_names,
        zero_division=case.kwargs["zero_division"],
        sample_weight=w,
    )


def _class_counts(cm: np.ndarray) -> np.ndarray:
    """(3, K) tp, predicted, actual of a (C, C) or (L, 2, 2) confusion matrix."""
    if cm.ndim == 3:
        tp = cm[:, 1, 1]
        return np.stack([tp, tp + cm[:, 0, 1], tp + cm[:, 1, 0]])
    return np.stack([np.diag(cm), cm.sum(0), cm.sum(1)])


def _split_probability_warning(caught: Caught) -> tuple[Caught, Caught]:
    """The metric's own warning that logits look like probabilities, and scikit-learn's warnings."""
    ours = [w for w in caught if w[0] is UserWarning and PROBABILITY_MARKER in w[1]]
    return ours, [w for w in caught if w not in ours]


# --------------------------------------------------------------------------- the weighted parity check


def check_weighted_parity(case: Case, weight: torch.Tensor, keep_confusion_matrix: bool = True) -> None:
    overrides: dict[str, Any] = {"sample_weight": True}
    if case.kind == "multiclass" and not keep_confusion_matrix:
        overrides["keep_confusion_matrix"] = False
    metric = _run(case.metric(**overrides), case, weight)
    w = _reference_weights(case, weight)
    if case.num_samples == 0 or not w.any():  # no sample, or every weight 0: nothing to score
        if case.num_samples:
            assert_sklearn_on_all_zero_weights(lambda: _expected(case, w), case.kwargs["zero_division"])
        for method in (metric.compute, metric.report, metric.per_class_counts):
            with pytest.raises(NotComputableError, match="weight > 0"):
                method()
        return

    result, caught = record_warnings(metric.compute)
    expected, expected_caught = record_warnings(_expected, case, w)
    assert_close_relative(result, expected)
    ours, caught = _split_probability_warning(caught)
    assert len(ours) == case.scores_look_like_probabilities, ours
    assert caught == expected_caught

    report, caught = record_warnings(metric.report)
    expected_report, expected_caught = record_warnings(_expected_report, case, w)
    assert_close_relative(report, expected_report)
    assert caught == expected_caught

    cm = sklearn_confusion_matrix(
        y_true=case.y_true, y_pred=case.y_pred, kind=case.kind, num_classes=case.num_classes, sample_weight=w
    )
    counts = metric.per_class_counts()
    assert counts.dtype == torch.float64
    assert_close_relative(counts, _class_counts(cm))
    if overrides.get("keep_confusion_matrix", True):
        got = metric.confusion_matrix()
        assert got.dtype == torch.float64 and got.device.type == "cpu"
        assert bool((got >= 0).all())
        assert_close_relative(got, cm)


@st.composite
def _weights_of(draw: st.DrawFn, case: Case) -> torch.Tensor:
    """Draw the weights of a case: seed, style, one per sample or per element, float32 or 64."""
    y_ndim = case.batches[0][1].ndim
    per_sample = case.kind == "multilabel" or y_ndim == 1 or draw(st.booleans())
    return _weights(
        case,
        seed=draw(seeds),
        style=draw(st.sampled_from(WEIGHT_STYLES)),
        per_sample=per_sample,
        dtype=draw(st.sampled_from([torch.float64, torch.float32])),
    )


@settings(max_examples=n_examples(1))
@given(case=binary_cases(), data=st.data())
def test_binary_weighted_parity(case: Case, data: Any) -> None:
    check_weighted_parity(case, data.draw(_weights_of(case)))


@settings(max_examples=n_examples(1))
@given(case=multiclass_cases(), data=st.data(), keep=st.booleans())
def test_multiclass_weighted_parity(case: Case, data: Any, keep: bool) -> None:
    check_weighted_parity(case, data.draw(_weights_of(case)), keep_confusion_matrix=keep)


@settings(max_examples=n_examples(0.5))
@given(case=multiclass_cases(spatial=True), data=st.data(), keep=st.booleans())
def test_segmentation_weighted_parity(case: Case, data: Any, keep: bool) -> None:
    check_weighted_parity(case, data.draw(_weights_of(case)), keep_confusion_matrix=keep)


@settings(max_examples=n_examples(2))
@given(case=multilabel_cases(), data=st.data())
def test_multilabel_weighted_parity(case: Case, data: Any) -> None:
    check_weighted_parity(case, data.draw(_weights_of(case)))
