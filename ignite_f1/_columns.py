"""Per-class counts as scikit-learn input: columns of a multilabel indicator, grouped by equal scores.

Each column (a class, or a group of classes) is handed to scikit-learn as at most 3 rows of a
multilabel indicator: a true-positive row (true and predicted), a false-positive row (predicted
only) and a false-negative row (true only), each weighted by its count (:func:`indicator_rows`),
so :func:`prfs` gives scikit-learn's precision, recall, F-beta and support per column, with its
warnings.

With many classes most give equal scores (counts of many classes are small numbers), and
scikit-learn's label handling walks the labels in Python (tens of milliseconds at 100,000
labels), while the groups are few. :func:`score_key` says what a class's scores depend on, as
scikit-learn computes them, :func:`distinct_columns` finds the groups in O(n), and
:class:`Columns` scores one class of each group and spreads the scores back to the classes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy import sparse  # type: ignore[import-untyped]  # a dependency of scikit-learn, no stubs
from sklearn.metrics import precision_recall_fscore_support

from ignite_f1._validation import ZeroDivision

ALL_RATIOS = ("precision", "recall", "f-score")


def sklearn_zero_division(zero_division: ZeroDivision) -> Any:
    """``zero_division`` as scikit-learn takes it (``np.nan`` for any NaN)."""
    return np.nan if isinstance(zero_division, float) and math.isnan(zero_division) else zero_division


def indicator_rows(counts: np.ndarray) -> tuple[Any, Any, np.ndarray]:
    """Sparse indicator rows (y_true, y_pred, weight) with the per-column tp, fp and fn of ``counts``.

    ``counts``: (3, K) true positives, predicted and actual positives per column. Each row sets one
    column only (a tp row in both, an fp row in y_pred, an fn row in y_true), so rows of one column
    do not touch the counts of another; true negatives enter no score. Zero counts make no row; an
    all-zero row keeps the input non-empty when nothing was counted. At least 2 columns, so that
    scikit-learn reads a multilabel indicator.
    """
    tp, pp, ap = counts
    num_columns = tp.shape[0]
    weights = np.concatenate([tp, pp - tp, ap - tp])
    rows = np.flatnonzero(weights)
    weight, column, kind = weights[rows], rows % num_columns, rows // num_columns  # kind 0: tp, 1: fp, 2: fn
    if rows.size == 0:  # nothing counted: one row that sets no column
        weight, column, kind = np.ones(1, np.int64), np.zeros(1, np.int64), np.full(1, 3)
    width = max(num_columns, 2)

    def indicator(mask: np.ndarray) -> Any:
        indptr = np.concatenate([[0], np.cumsum(mask)])
        data = np.ones(int(indptr[-1]), dtype=np.int8)
        return sparse.csr_matrix((data, column[mask], indptr), shape=(kind.size, width))

    return indicator((kind == 0) | (kind == 2)), indicator(kind <= 1), weight


def prfs(
    counts: np.ndarray,
    beta: float,
    average: str | None,
    zero_division: ZeroDivision,
    warn_for: tuple[str, ...],
) -> tuple[Any, Any, Any, Any]:
    """``precision_recall_fscore_support`` over the K columns of the per-column ``counts`` (3, K)."""
    true, pred, weight = indicator_rows(counts)
    return precision_recall_fscore_support(  # type: ignore[no-any-return]
        y_true=true,
        y_pred=pred,
        sample_weight=weight,
        beta=beta,
        average=average,
        labels=np.arange(counts.shape[1]),
        warn_for=warn_for,
        zero_division=sklearn_zero_division(zero_division),
    )


def as_array(counts: torch.Tensor | np.ndarray) -> np.ndarray:
    """Per-class counts as int64 (float64: sums of sample weights) numpy, not copied when they are.

    Only read: the array may share the memory of a metric's live counts.
    """
    if isinstance(counts, torch.Tensor):
        counts = counts.detach().cpu().numpy()
    return np.asarray(counts, dtype=np.float64 if counts.dtype.kind == "f" else np.int64)


class Columns:
    """The scored classes of per-class counts grouped by equal scores (:func:`score_key`).

    ``counts`` (3, U) holds the counts of one class of each group (at least 2 columns when 2 or
    more classes are scored, so that scikit-learn words its warnings for several labels as it
    does on the raw data); ``of_class`` (n,) is the column of each scored class, ``supports``
    (n,) their actual positives and ``present`` the classes that occur (as target or prediction).
    With ``fbeta_only`` the columns give that F-beta only (not precision nor recall).
    """

    def __init__(
        self, counts: np.ndarray, scored: np.ndarray, present: np.ndarray, fbeta_only: float | None = None
    ) -> None:
        kept = np.take(counts, scored, axis=1)  # C-ordered (counts[:, scored] is not: slow row reads)
        self.present = present
        self.supports = kept[2]
        first, self.of_class = distinct_columns(score_key(kept, fbeta_only))
        self.counts = kept[:, first]
        if self.counts.shape[1] == 1 and scored.size > 1:  # a second column, sharing no class
            self.counts = np.repeat(self.counts, 2, axis=1)
        self.totals = kept.sum(axis=1)

    def prfs(
        self, beta: float, average: str | None, zero_division: ZeroDivision, warn_for: tuple[str, ...]
    ) -> tuple[Any, Any, Any, Any]:
        """scikit-learn's precision, recall, F-beta and support of each column, or averaged.

        ``average=None``: arrays with one value per column (spread them with :meth:`spread`; the
        support is that of one class of the column, the supports are ``supports``). "micro":
        :func:`micro_prfs` of the totals. "macro", "weighted": the per-column scores averaged
        over the classes by :meth:`mean` (its warnings are those of the per-class call).
        """
        if average == "micro":
            return micro_prfs(self.totals, beta, zero_division, warn_for)
        precision, recall, fbeta, support = prfs(self.counts, beta, None, zero_division, warn_for)
        if average is None:
            return precision, recall, fbeta, support
        p, r, f = (self.mean(self.spread(v), average) for v in (precision, recall, fbeta))
        return p, r, f, None

    def report_prfs(self, zero_division: ZeroDivision) -> tuple[Any, Any, Any, tuple[float, float, float]]:
        """The report's per-column precision, recall and F1, and its micro average, from one call.

        The totals as one more column give the micro average's ratios (the same divisions of the
        same numbers) and no warning of their own (a total with a zero denominator has it zero in
        every class too). scikit-learn's micro call is made where it warns, and beside a single
        column (one more would change the wording of the per-class call's warnings).
        """
        width = self.counts.shape[1]
        fold = width >= 2
        with_totals = np.hstack([self.counts, self.totals[:, None]]) if fold else self.counts
        precision, recall, f1, _ = prfs(with_totals, 1.0, None, zero_division, ALL_RATIOS)
        if fold and not (zero_division == "warn" and min(self.totals[1], self.totals[2]) == 0):
            micro = (precision[-1], recall[-1], f1[-1])
        else:
            micro = micro_prfs(self.totals, 1.0, zero_division, ALL_RATIOS)[:3]
        return (
            precision[:width],
            recall[:width],
            f1[:width],
            (float(micro[0]), float(micro[1]), float(micro[2])),
        )

    def spread(self, per_column: Any) -> np.ndarray:
        """One float64 value per scored class from one per column."""
        values: np.ndarray = np.asarray(per_column, dtype=np.float64)[self.of_class]
        return values

    def mean(self, per_class: np.ndarray, average: str | None) -> float:
        """The "macro" or "weighted" mean of one value per class, in scikit-learn's order: bit for
        bit scikit-learn's (a weighted sum over the shared columns would differ in the last bit)."""
        return nanaverage(per_class, None if average == "macro" else self.supports.astype(np.float64))

    def warn_again(self, beta: float, zero_division: ZeroDivision, warn_for: tuple[str, ...]) -> None:
        """The warnings of the per-column call again, from scikit-learn called on the fewest columns.

        scikit-learn's report calls it once per average, and each call warns as the per-class call
        does: once per ratio (precision, recall, F-beta) with a zero denominator in some column,
        for ``"warn"`` only, worded for one label or several. A column with each zero
        denominator that occurs (and a second column when there are several) gives the same.
        """
        if zero_division != "warn":
            return
        _, pp, ap = self.counts
        denominators = (pp, ap, beta * beta * ap.astype(np.float64) + pp)
        witnesses = {int(np.argmin(d)) for d in denominators if d.min() == 0}
        if not witnesses:
            return
        if self.counts.shape[1] > 1 and len(witnesses) == 1:
            witnesses.add(1 if 0 in witnesses else 0)
        prfs(self.counts[:, sorted(witnesses)], beta, None, zero_division, warn_for)


def micro_prfs(
    totals: np.ndarray, beta: float, zero_division: ZeroDivision, warn_for: tuple[str, ...]
) -> tuple[Any, Any, Any, Any]:
    """scikit-learn's micro average of ``totals`` (3,), the counts summed over the scored classes.

    Handed over as one column beside an empty one: scikit-learn sums its per-class counts as
    floats, exact for integer counts, so it divides the same sums (and warns the same).
    """
    return prfs(np.stack([totals, np.zeros_like(totals)], axis=1), beta, "micro", zero_division, warn_for)


def nanaverage(values: np.ndarray, weights: np.ndarray | None) -> float:
    """scikit-learn's ``_nanaverage`` of one value per class, with the same numpy calls.

    NaN values are left out; ``weights`` (the supports, for "weighted") that sum to 0 fall back to
    the plain mean, as scikit-learn falls back when every support is 0. The same calls on the same
    array give the same bits as scikit-learn's average of its per-class scores.
    """
    if values.shape[0] == 0:
        return math.nan
    mask = np.isnan(values)
    if mask.all():
        return math.nan
    if weights is None:
        return float(np.nanmean(values))
    kept, kept_weights = values[~mask], weights[~mask]
    if kept_weights.sum() == 0:
        return float(np.average(kept))
    return float(np.average(kept, weights=kept_weights))


def score_key(kept: np.ndarray, fbeta_only: float | None) -> np.ndarray:
    """Per class (3, n), what its scores depend on as scikit-learn computes them: classes with equal
    keys get equal scores, to the bit, so scoring one of them scores all.

    Float sums of weights: the (tp, predicted, actual) triple. Integer counts: with no true
    positive every ratio is 0, or undefined where its denominator is 0, so only which of the
    predicted and actual counts are 0 matters; otherwise the triple or, for F1 alone
    (``fbeta_only=1``), tp and predicted + actual, the integers it divides (exact as floats).
    """
    if kept.dtype.kind == "f":
        return kept
    tp, pp, ap = kept
    none = tp == 0
    pp_zero, ap_zero = np.minimum(pp, 1), np.minimum(ap, 1)  # 0 where 0, else 1
    if fbeta_only == 1.0:
        return np.stack([tp, np.where(none, pp_zero, pp + ap), np.where(none, ap_zero, 0)])
    return np.stack([tp, np.where(none, pp_zero, pp), np.where(none, ap_zero, ap)])


def distinct_columns(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One member of each distinct column of ``rows`` (k, n), in lexicographic order, and the
    distinct column of each of the n.

    Integer columns are packed into one int64 key (each row shifted to start at 0, in the radix
    of its span): while the keys span a range no larger than a few times n (counts of many
    classes are small numbers), a bincount finds them in O(n); otherwise a sort of the keys does.
    Float columns (or keys past int64) are sorted as columns.
    """
    n = rows.shape[1]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if rows.dtype.kind == "f":
        return unique_columns(rows)
    low = rows.min(axis=1)
    spans = rows.max(axis=1) - low + 1
    key_range = math.prod(int(span) for span in spans)
    if key_range >= 2**62:
        return unique_columns(rows)
    key = np.zeros(n, dtype=np.int64)
    for row, start, span in zip(rows, low, spans, strict=True):
        key = key * span + (row - start)
    if key_range > 4 * n + 1024:
        _, first, of_class = np.unique(key, return_index=True, return_inverse=True)
        return first, of_class.reshape(-1)
    position = np.cumsum(np.bincount(key, minlength=key_range) > 0) - 1
    of_class = position[key]
    first = np.empty(int(position[-1]) + 1, dtype=np.int64)
    first[of_class] = np.arange(n)  # any member of each column
    return first, of_class


def unique_columns(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distinct_columns` by sorting the columns (any dtype)."""
    _, first, of_class = np.unique(rows, axis=1, return_index=True, return_inverse=True)
    return first, of_class.reshape(-1)
