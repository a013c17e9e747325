"""Counts to scores and reports through scikit-learn.

scikit-learn does the arithmetic. The binary F-beta passes the non-zero cells of the 2 x 2 confusion
matrix as (y_true, y_pred) pairs with their counts as ``sample_weight``. Everything else starts from
per-class counts, (3, K) true positives, predicted and actual positives (all that precision, recall,
F-beta, support and every average need), handed to scikit-learn as a multilabel indicator of at most
3 rows per column: a true-positive row (true and predicted), a false-positive row (predicted only)
and a false-negative row (true only), each weighted by its count (:func:`_indicator_rows`). The
numbers and the warnings are those of a call on all the data.

Multi-class scores follow scikit-learn's multi-class rules, which differ from its multilabel ones in
two places, written out here: with ``labels=None`` the averages count the classes that occur (as
target or prediction) only, so that list is passed explicitly; and the report shows "accuracy" (the
micro average) when its labels cover every class that occurs. With many classes the columns are
the distinct (tp, predicted, actual) triples among the scored classes (classes with equal counts
have equal scores): scikit-learn's label handling walks the labels in Python, which would cost
tens of milliseconds at 100,000 classes, while the distinct triples are few. Their per-class
scores are spread back to the classes, and the macro and weighted means are then taken as
scikit-learn takes them (``_nanaverage``: NaN left out; all-zero weights fall back to the plain mean).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from scipy import sparse  # type: ignore[import-untyped]  # a dependency of scikit-learn, no stubs
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import fbeta_score, precision_recall_fscore_support

from ignite_f1._validation import ZeroDivision

Report = dict[str, Any]


def _sklearn_zero_division(zero_division: ZeroDivision) -> Any:
    return np.nan if isinstance(zero_division, float) and math.isnan(zero_division) else zero_division


def _cells(cm: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(true, pred, count) of the non-zero cells of a square confusion matrix."""
    counts = cm.cpu().numpy()
    true, pred = np.nonzero(counts)
    return true, pred, counts[true, pred]


def binary_fbeta(cm: torch.Tensor, beta: float, zero_division: ZeroDivision) -> float:
    """F-beta of the positive class (label 1) from a 2 x 2 confusion matrix."""
    true, pred, weight = _cells(cm)
    return float(
        fbeta_score(
            y_true=true,
            y_pred=pred,
            sample_weight=weight,
            beta=beta,
            average="binary",
            pos_label=1,
            zero_division=_sklearn_zero_division(zero_division),
        )
    )


def _indicator_rows(counts: np.ndarray, scale: np.ndarray | None = None) -> tuple[Any, Any, np.ndarray]:
    """Sparse indicator rows (y_true, y_pred, weight) with the per-column tp, fp and fn of ``counts``.

    ``counts``: int (3, K) true positives, predicted and actual positives per column. Each row sets
    one column only (a tp row in both, an fp row in y_pred, an fn row in y_true), so rows of one
    column do not touch the counts of another; true negatives enter no score. Zero counts make no
    row; an all-zero row keeps the input non-empty when nothing was counted. ``scale`` multiplies
    each column's weights (micro sums over classes that share a column). At least 2 columns, so
    that scikit-learn reads a multilabel indicator.
    """
    tp, pp, ap = counts
    num_columns = tp.shape[0]
    weights = np.concatenate([tp, pp - tp, ap - tp])
    if scale is not None:
        weights = weights * np.tile(scale, 3)
    rows = np.flatnonzero(weights)
    weight, column, kind = weights[rows], rows % num_columns, rows // num_columns  # kind 0: tp, 1: fp, 2: fn
    if rows.size == 0:  # nothing counted: one row that sets no column
        weight, column, kind = np.ones(1, np.int64), np.zeros(1, np.int64), np.full(1, 3)
    width = max(num_columns, 2)

    def indicator(kinds: tuple[int, ...]) -> Any:
        mask = np.isin(kind, kinds)
        indptr = np.concatenate([[0], np.cumsum(mask)])
        data = np.ones(int(indptr[-1]), dtype=np.int8)
        return sparse.csr_matrix((data, column[mask], indptr), shape=(kind.size, width))

    return indicator((0, 2)), indicator((0, 1)), weight


def _prfs(
    counts: np.ndarray,
    beta: float,
    average: str | None,
    zero_division: ZeroDivision,
    warn_for: tuple[str, ...],
    scale: np.ndarray | None = None,
) -> tuple[Any, Any, Any, Any]:
    """``precision_recall_fscore_support`` over the K columns of the per-column ``counts`` (3, K)."""
    true, pred, weight = _indicator_rows(counts, scale)
    return precision_recall_fscore_support(  # type: ignore[no-any-return]
        y_true=true,
        y_pred=pred,
        sample_weight=weight,
        beta=beta,
        average=average,
        labels=np.arange(counts.shape[1]),
        warn_for=warn_for,
        zero_division=_sklearn_zero_division(zero_division),
    )


class _Columns:
    """The scored classes of per-class counts grouped by equal (tp, predicted, actual) triples.

    ``counts`` (3, U) holds each distinct triple once (at least 2 when 2 or more classes are
    scored, so that scikit-learn words its warnings for several labels as it does on the raw
    data); ``of_class`` (n,) is the column of each scored class, ``size`` (U,) how many classes
    share a column, ``present`` the classes that occur (as target or prediction) at all.
    """

    def __init__(
        self, counts: torch.Tensor | np.ndarray, scored: np.ndarray, present: np.ndarray | None = None
    ) -> None:
        if isinstance(counts, torch.Tensor):
            counts = counts.cpu().numpy()
        counts = np.asarray(counts, dtype=np.float64 if counts.dtype.kind == "f" else np.int64)
        kept = counts[:, scored]
        self.present = np.flatnonzero(counts[1] + counts[2]) if present is None else present
        self.supports = kept[2]
        self.counts, self.of_class, self.size = _distinct_columns(kept)
        if self.counts.shape[1] == 1 and scored.size > 1:  # a second column, sharing no class
            self.counts = np.repeat(self.counts, 2, axis=1)
            self.size = np.append(self.size, 0)

    def prfs(
        self, beta: float, average: str | None, zero_division: ZeroDivision, warn_for: tuple[str, ...]
    ) -> tuple[Any, Any, Any, Any]:
        """scikit-learn's precision, recall, F-beta and support of each column, or averaged.

        ``average=None``: arrays with one value per column (spread them with ``of_class``).
        "micro": the columns weighted by how many classes share them. "macro", "weighted": the
        per-column scores averaged over the classes as scikit-learn averages its per-class scores
        (its warnings are those of the per-class call, as on raw data).
        """
        if average == "micro":
            return _prfs(self.counts, beta, "micro", zero_division, warn_for, scale=self.size)
        precision, recall, fbeta, support = _prfs(self.counts, beta, None, zero_division, warn_for)
        if average is None:
            return precision, recall, fbeta, support
        # spread the columns back to one value per class (O(C)), in scikit-learn's order, so the
        # mean is taken over the same array in the same order: bit for bit scikit-learn's
        weights = None if average == "macro" else self.supports.astype(np.float64)
        p, r, f = (_nanaverage(v[self.of_class], weights) for v in (precision, recall, fbeta))
        return p, r, f, None


def _distinct_columns(kept: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct columns of ``kept`` (3, n), the column of each of the n, and how many share each.

    Counts of many classes are small numbers: while the triples span a range no larger than a few
    times n, a bincount over their packed keys finds them in O(n); otherwise a sort does.
    """
    if kept.dtype.kind == "f":  # sums of sample weights: no packed integer keys
        return _unique_columns(kept)
    low = kept.min(axis=1, initial=0)
    shifted = kept - low[:, None]
    spans = shifted.max(axis=1, initial=0) + 1
    key_range = int(spans[0]) * int(spans[1]) * int(spans[2])
    if key_range <= 4 * kept.shape[1] + 1024:
        key = (shifted[0] * spans[1] + shifted[1]) * spans[2] + shifted[2]
        sizes = np.bincount(key, minlength=key_range)
        keys = np.flatnonzero(sizes)
        position = np.cumsum(sizes > 0) - 1
        of_class = position[key]
        first = np.empty(keys.size, dtype=np.int64)
        first[of_class] = np.arange(key.size)  # any member of each column
        return kept[:, first], of_class, sizes[keys]
    return _unique_columns(kept)


def _unique_columns(kept: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_distinct_columns` by sorting (any dtype)."""
    _, first, of_class, size = np.unique(
        kept, axis=1, return_index=True, return_inverse=True, return_counts=True
    )
    return kept[:, first], of_class.reshape(-1), size


def _nanaverage(values: np.ndarray, weights: np.ndarray | None) -> float:
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


def _scored_classes(
    counts: torch.Tensor, labels: Sequence[int] | None, average: str | None, present: np.ndarray | None
) -> np.ndarray:
    """The classes a multi-class score covers: ``labels``; else all (per class) or those that occur."""
    if labels is not None:
        return np.asarray(list(labels), dtype=np.int64)
    if average is None:
        return np.arange(counts.shape[1])
    if present is not None:
        return present
    _, pp, ap = counts.cpu().numpy()
    return np.flatnonzero(pp + ap)


def multiclass_fbeta(
    counts: torch.Tensor,
    beta: float,
    average: str | None,
    labels: Sequence[int] | None,
    zero_division: ZeroDivision,
    present: np.ndarray | None = None,
) -> float | np.ndarray:
    """Multi-class F-beta from per-class counts (3, C); per class (float64 (n,)) when ``average`` is None.

    Equal to ``fbeta_score`` on the data the counts come from, ``labels=None`` included (averages
    over the classes that occur; ``average=None`` gives all C classes). Counts that are float sums
    of sample weights need ``present``, the classes that occur (a class seen with weight 0 only
    is in scikit-learn's label set, with no trace in the sums).
    """
    columns = _Columns(counts, _scored_classes(counts, labels, average, present), present)
    fbeta = columns.prfs(beta, average, zero_division, ("f-score",))[2]
    return np.asarray(fbeta, dtype=np.float64)[columns.of_class] if average is None else float(fbeta)


def classification_report_dict(
    counts: torch.Tensor,
    labels: Sequence[int],
    target_names: Sequence[str] | None,
    zero_division: ZeroDivision,
    present: np.ndarray | None = None,
) -> Report:
    """``classification_report(..., output_dict=True)`` of multi-class data from per-class counts (3, C).

    The entries of ``labels`` (keyed by ``target_names``, or the labels as strings), then
    "accuracy" (when ``labels`` cover every class that occurs, as scikit-learn decides) or
    "micro avg", then "macro avg" and "weighted avg"; the warnings in scikit-learn's order.
    ``present``: as for :func:`multiclass_fbeta`.
    """
    scored = np.asarray(list(labels), dtype=np.int64)
    columns = _Columns(counts, scored, present)
    names = _index_names(scored) if target_names is None else list(target_names)
    precision, recall, f1, support = columns.prfs(1.0, None, zero_division, _ALL)
    rows = [
        {"precision": p, "recall": r, "f1-score": f, "support": s}
        for p, r, f, s in zip(
            precision.tolist(), recall.tolist(), f1.tolist(), support.astype(np.float64).tolist(), strict=True
        )
    ]
    # one dict per class (a copy of its column's: classes that share counts share scores)
    report: Report = dict(zip(names, [rows[k].copy() for k in columns.of_class.tolist()], strict=True))
    total = float(np.sum(columns.supports))
    is_accuracy = bool(np.isin(columns.present, scored).all())
    for average in ("micro", "macro", "weighted"):
        p, r, f, _ = columns.prfs(1.0, average, zero_division, _ALL)
        key = "accuracy" if average == "micro" and is_accuracy else f"{average} avg"
        report[key] = {"precision": float(p), "recall": float(r), "f1-score": float(f), "support": total}
    if is_accuracy:
        report["accuracy"] = report["accuracy"]["precision"]
    return report


_ALL = ("precision", "recall", "f-score")
_NAMES: dict[int, list[str]] = {}


def _index_names(scored: np.ndarray) -> list[str]:
    """The scored class indices as strings (``"0"``, ``"1"`` ...), from a cache of the largest seen."""
    largest = int(scored.max(initial=0)) + 1
    names = _NAMES.get(0, [])
    if len(names) < largest:
        names = _NAMES[0] = [str(i) for i in range(largest)]
    if scored.size == len(names) and np.array_equal(scored, np.arange(scored.size)):
        return list(names)
    return [names[i] for i in scored.tolist()]


# --------------------------------------------------------------------------- multilabel

SampleWeights = tuple[torch.Tensor, float]
"""With ``sample_weight=True``: float64 (2, k) sums of the weights of the samples whose per-sample
scores are defined (row 0) and undefined (row 1), one column per score, and the sum of all weights."""


def _multilabel_prfs(
    label_counts: torch.Tensor,
    beta: float,
    average: str | None,
    zero_division: ZeroDivision,
    warn_for: tuple[str, ...],
) -> tuple[Any, Any, Any, Any]:
    counts = label_counts.cpu().numpy()
    if counts.dtype.kind == "f":  # sums of weights: predicted and actual never below tp, after rounding
        counts = np.stack([counts[0], np.maximum(counts[1], counts[0]), np.maximum(counts[2], counts[0])])
    else:
        counts = counts.astype(np.int64)
    return _prfs(counts, beta, average, zero_division, warn_for)


def per_class_prf(
    counts: torch.Tensor, beta: float, average: str | None, zero_division: ZeroDivision
) -> tuple[Any, Any, Any]:
    """Precision, recall and F-beta from per-class counts, by scikit-learn, without warnings.

    Args:
        counts: int (3, K): the true positives, predicted positives and actual positives of each
            class, as ``per_class_counts()`` of the metrics gives them.
        beta: weight of recall against precision (> 0).
        average: ``None`` (one value per class), ``"micro"``, ``"macro"`` or ``"weighted"``, over
            the K classes (pass ``counts[:, labels]`` to score some of them).
        zero_division: value of an undefined ratio: ``"warn"`` (0.0, but no warning here: the
            metric's ``compute()`` gives them), 0.0, 1.0 or ``nan``.

    Returns:
        ``(precision, recall, fbeta)``: float64 arrays (K,) with ``average=None``, floats otherwise.

    Examples:
        >>> import torch
        >>> from ignite_f1._scores import per_class_prf
        >>> counts = torch.tensor([[2, 0], [3, 0], [4, 1]])  # class 0: tp 2, fp 1, fn 2; class 1: tp 0, fn 1
        >>> precision, recall, f1 = per_class_prf(counts, beta=1.0, average=None, zero_division=0.0)
        >>> precision.tolist(), recall.tolist()
        ([0.666..., 0.0], [0.5, 0.0])
        >>> per_class_prf(counts, beta=1.0, average="micro", zero_division=0.0)[2]  # tp 2, fp 1, fn 3
        0.5
    """
    columns = _Columns(counts, np.arange(counts.shape[1]))
    precision, recall, fbeta, _ = columns.prfs(beta, average, zero_division, ())
    if average is None:
        return precision[columns.of_class], recall[columns.of_class], fbeta[columns.of_class]
    return float(precision), float(recall), float(fbeta)


def _samples_average(
    sample_sums: torch.Tensor,
    sample_defined: torch.Tensor,
    num_samples: int,
    zero_division: ZeroDivision,
    warn_for: tuple[str, ...],
    weights: SampleWeights | None = None,
) -> tuple[float, float, float]:
    """sklearn's "samples" average of precision, recall and F-beta from running per-sample sums.

    ``weights`` (``sample_weight=True``): the sums of the weights of the samples where each score
    is defined and undefined, and of all weights; ``sample_sums`` then hold ``sum(w_i * score_i)``.
    scikit-learn averages with ``np.average(scores, weights=sample_weight)``, leaving NaN scores
    (``zero_division=nan``) and their weights out; without weights every weight is 1.
    """
    sums = sample_sums.cpu().tolist()
    defined = sample_defined.cpu().tolist()
    if weights is None:
        defined_weights = [float(count) for count in defined]
        undefined_weights = [float(num_samples - count) for count in defined]
        weight_sum = float(num_samples)
    else:
        defined_weights, undefined_weights = (row.tolist() for row in weights[0].cpu())
        weight_sum = weights[1]
    results = []
    for metric, modifier, total, count, kept, left in zip(
        ("precision", "recall", "f-score"),
        ("predicted", "true", "true nor predicted"),
        sums,
        defined,
        defined_weights,
        undefined_weights,
        strict=True,
    ):
        if num_samples - count and zero_division == "warn" and metric in warn_for:
            where = "due to" if num_samples == 1 else "in samples with"
            warnings.warn(
                f"{metric.capitalize()} is ill-defined and being set to 0.0 {where} no {modifier} labels. "
                "Use `zero_division` parameter to control this behavior.",
                UndefinedMetricWarning,
                stacklevel=4,
            )
        if isinstance(zero_division, float) and math.isnan(zero_division):
            results.append(total / kept if count else math.nan)
        else:
            fill = 0.0 if zero_division == "warn" else float(zero_division)
            results.append((total + fill * left) / weight_sum)
    return results[0], results[1], results[2]


def multilabel_fbeta(
    label_counts: torch.Tensor,
    sample_sums: torch.Tensor,
    sample_defined: torch.Tensor,
    num_samples: int,
    beta: float,
    average: str | None,
    zero_division: ZeroDivision,
    weights: SampleWeights | None = None,
) -> float | np.ndarray:
    """F-beta of multilabel data from per-label counts (and per-sample sums for "samples").

    ``sample_defined`` has 3 entries (precision, recall, F-score) or, with ``weights``, 4 (precision,
    recall, F1, F-beta), as ``sample_sums`` has; ``weights``: see :data:`SampleWeights`.
    """
    if average == "samples":
        rows = [0, 1, 3]  # precision, recall, F-beta
        defined = sample_defined[[0, 1, -1]]  # the F-score count: the last
        kept = None if weights is None else (weights[0][:, [0, 1, -1]], weights[1])
        average_scores = _samples_average(
            sample_sums[rows], defined, num_samples, zero_division, ("f-score",), kept
        )
        return average_scores[2]
    result = _multilabel_prfs(label_counts, beta, average, zero_division, ("f-score",))[2]
    return result if average is None else float(result)


def multilabel_report(
    label_counts: torch.Tensor,
    sample_sums: torch.Tensor,
    sample_defined: torch.Tensor,
    num_samples: int,
    target_names: Sequence[str] | None,
    zero_division: ZeroDivision,
    weights: SampleWeights | None = None,
) -> Report:
    """The dict of ``classification_report(..., output_dict=True)`` for multilabel data.

    Laid out as scikit-learn lays it out: one entry per label, then "micro avg", "macro avg",
    "weighted avg" and "samples avg", each with precision, recall, f1-score and support (floats).
    ``weights``: as for :func:`multilabel_fbeta` (supports are then sums of weights).
    """
    warn_for = ("precision", "recall", "f-score")
    num_labels = label_counts.shape[1]
    names = [str(i) for i in range(num_labels)] if target_names is None else list(target_names)
    headers = ("precision", "recall", "f1-score", "support")
    precision, recall, f1, support = _multilabel_prfs(label_counts, 1.0, None, zero_division, warn_for)
    report: Report = {
        name: dict(zip(headers, map(float, row), strict=True))
        for name, row in zip(names, zip(precision, recall, f1, support, strict=True), strict=True)
    }
    total_support = float(np.sum(support))
    for average in ("micro", "macro", "weighted"):
        p, r, f, _ = _multilabel_prfs(label_counts, 1.0, average, zero_division, warn_for)
        report[f"{average} avg"] = dict(
            zip(headers, (float(p), float(r), float(f), total_support), strict=True)
        )
    kept = None if weights is None else (weights[0][:, :3], weights[1])
    p, r, f = _samples_average(
        sample_sums[:3], sample_defined[:3], num_samples, zero_division, warn_for, kept
    )
    report["samples avg"] = dict(zip(headers, (p, r, f, total_support), strict=True))
    return report
