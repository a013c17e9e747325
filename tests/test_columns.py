"""Classes grouped by equal scores give scikit-learn's scores and warnings, to the bit.

The reference is scikit-learn called on every class's own column (no grouping); the shortcuts under
test (one class scored per group, the F1 key, the micro average as one more column, the warnings
of the per-class call given again from a few columns) must not change a bit nor a warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _cases import ZERO_DIVISIONS, n_examples, seeds, zd_id
from _reference import record_warnings
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite_f1._columns import ALL_RATIOS, Columns, distinct_columns, micro_prfs, prfs, score_key


def _random_counts(seed: int, n: int, scale: int) -> np.ndarray:
    """(3, n) tp <= predicted, tp <= actual: small numbers with many zeros, as with many classes."""
    rng = np.random.default_rng(seed)
    tp = rng.integers(0, 3, n) * rng.integers(0, 2, n) * scale
    return np.stack([tp, tp + rng.integers(0, 4, n) * scale, tp + rng.integers(0, 4, n) * scale])


def _same_bits(values: np.ndarray) -> bool:
    return len({v.tobytes() for v in np.asarray(values, dtype=np.float64)}) <= 1


@settings(max_examples=n_examples(1.0))
@given(
    seed=seeds,
    n=st.integers(1, 300),
    scale=st.sampled_from([1, 7, 10**9]),
    beta=st.sampled_from([1.0, 0.5, 2.0, 1e-200]),
    zero_division=st.sampled_from(ZERO_DIVISIONS),
)
def test_classes_with_equal_keys_get_equal_scores(
    seed: int, n: int, scale: int, beta: float, zero_division: Any
) -> None:
    kept = _random_counts(seed, n, scale)
    precision, recall, fbeta, _ = prfs(kept, beta, None, zero_division, ())  # each class on its own
    for fbeta_only, scores in ((None, (precision, recall, fbeta)), (beta, (fbeta,))):
        _, of_class = distinct_columns(score_key(kept, fbeta_only))
        for group in np.unique(of_class):
            members = of_class == group
            assert all(_same_bits(values[members]) for values in scores), (fbeta_only, kept[:, members])


def test_the_f1_key_groups_more_than_the_counts() -> None:
    # tp 1 with 3 + 1 and with 2 + 2 predicted + actual: the same F1 (2 / 4), other precisions
    kept = np.array([[1, 1, 0, 0], [3, 2, 5, 0], [1, 2, 0, 4]])
    assert len(distinct_columns(score_key(kept, None))[0]) == 4
    assert distinct_columns(score_key(kept, 1.0))[1].tolist() == [2, 2, 1, 0]  # no tp: by zero pattern


@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS, ids=zd_id)
@pytest.mark.parametrize("case", ["several", "one_column", "none_predicted", "nothing"])
def test_report_prfs_equal_the_per_class_and_micro_calls(case: str, zero_division: Any) -> None:
    counts = {
        "several": _random_counts(1, 50, 1),
        "one_column": np.array([[2], [3], [5]]),
        "none_predicted": np.array([[0, 0, 0], [0, 0, 0], [4, 0, 1]]),
        "nothing": np.zeros((3, 4), dtype=np.int64),
    }[case]
    scored = np.arange(counts.shape[1])
    columns = Columns(counts, scored, np.flatnonzero(counts[1] + counts[2]))

    def reference() -> tuple[Any, ...]:
        p, r, f, _ = prfs(columns.counts, 1.0, None, zero_division, ALL_RATIOS)
        micro = micro_prfs(counts.sum(axis=1), 1.0, zero_division, ALL_RATIOS)[:3]
        return p, r, f, tuple(float(v) for v in micro)

    (p, r, f, micro), caught = record_warnings(columns.report_prfs, zero_division)
    (ep, er, ef, expected_micro), expected_caught = record_warnings(reference)
    assert caught == expected_caught
    for got, want in ((p, ep), (r, er), (f, ef)):
        assert np.asarray(got).tobytes() == np.asarray(want).tobytes()
    assert np.array(micro).tobytes() == np.array(expected_micro).tobytes()
    _, again = record_warnings(columns.warn_again, 1.0, zero_division, ALL_RATIOS)
    _, per_class = record_warnings(prfs, columns.counts, 1.0, None, zero_division, ALL_RATIOS)
    assert again == per_class  # what scikit-learn's macro and weighted calls give again
