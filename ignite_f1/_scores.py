"""Counts to scores and reports through scikit-learn.

scikit-learn does the arithmetic. The binary F-beta passes the non-zero cells of the 2 x 2 confusion
matrix as (y_true, y_pred) pairs with their counts as ``sample_weight``. Everything else starts from
per-class counts, (3, K) true positives, predicted and actual positives (all that precision, recall,
F-beta, support and every average need), handed to scikit-learn as columns of a multilabel
indicator with weighted rows (:mod:`ignite_f1._columns`). The numbers and the warnings are those
of a call on all the data.

Multi-class scores follow scikit-learn's multi-class rules, which differ from its multilabel ones in
two places, written out here: with ``labels=None`` the averages count the classes that occur (as
target or prediction) only, so that list is passed explicitly; and the report shows "accuracy" (the
micro average) when its labels cover every class that occurs. With many classes the columns are
groups of classes with equal scores (:class:`ignite_f1._columns.Columns`), one class of each
scored by scikit-learn; the per-class scores are spread back to the classes, and the macro and
weighted means are taken as scikit-learn takes them (NaN left out; all-zero weights fall back to
the plain mean). The micro average divides the counts summed over the scored classes, as
scikit-learn sums them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import fbeta_score

from ignite_f1._columns import ALL_RATIOS as _ALL
from ignite_f1._columns import Columns, as_array, distinct_columns, micro_prfs
from ignite_f1._columns import prfs as _prfs
from ignite_f1._columns import sklearn_zero_division as _sklearn_zero_division
from ignite_f1._validation import ZeroDivision

Report = dict[str, Any]


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


def _scored(
    counts: torch.Tensor | np.ndarray,
    labels: Sequence[int] | np.ndarray | None,
    average: str | None,
    present: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(counts, scored, present): the counts as numpy, the classes a multi-class score covers
    (``labels``; else all C for per-class scores, or for an average those that occur, as
    scikit-learn's ``labels=None``) and the classes that occur."""
    array = as_array(counts)
    if present is None:
        present = np.flatnonzero(array[1] + array[2])
    if labels is not None:
        scored = np.asarray(labels if isinstance(labels, np.ndarray) else list(labels), dtype=np.int64)
    else:
        scored = np.arange(array.shape[1]) if average is None else present
    return array, scored, present


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
    array, scored, present = _scored(counts, labels, average, present)
    if average == "micro":
        totals = np.take(array, scored, axis=1).sum(axis=1)
        return float(micro_prfs(totals, beta, zero_division, ("f-score",))[2])
    columns = Columns(array, scored, present, fbeta_only=beta)
    fbeta = columns.spread(_prfs(columns.counts, beta, None, zero_division, ("f-score",))[2])
    return fbeta if average is None else columns.mean(fbeta, average)


_HEADERS = ("precision", "recall", "f1-score", "support")


def classification_report_dict(
    counts: torch.Tensor,
    labels: Sequence[int] | np.ndarray,
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
    array, scored, present = _scored(counts, labels, None, present)
    columns = Columns(array, scored, present)
    precision, recall, f1, (p, r, f) = columns.report_prfs(zero_division)
    report: Report = dict(
        zip(
            _index_names(scored) if target_names is None else list(target_names),
            _class_entries(columns, precision, recall, f1),
            strict=True,
        )
    )
    total = float(np.sum(columns.supports))
    covered = np.zeros(array.shape[1], dtype=bool)
    covered[scored] = True
    is_accuracy = bool(covered[present].all())
    report["accuracy" if is_accuracy else "micro avg"] = dict(zip(_HEADERS, (p, r, f, total), strict=True))
    per_class = [columns.spread(v) for v in (precision, recall, f1)]
    for average in ("macro", "weighted"):
        columns.warn_again(1.0, zero_division, _ALL)  # scikit-learn's call for this average warns again
        p, r, f = (columns.mean(v, average) for v in per_class)
        report[f"{average} avg"] = dict(zip(_HEADERS, (p, r, f, total), strict=True))
    if is_accuracy:
        report["accuracy"] = report["accuracy"]["precision"]
    return report


def _class_entries(columns: Columns, precision: Any, recall: Any, f1: Any) -> Iterator[dict[str, float]]:
    """The report's entry of each scored class: a copy of one dict per distinct (column, support).

    Its support is its own actual positives (as a float: what scikit-learn gives for integer
    counts; classes with no true positive share a column whatever their support).
    """
    supports = columns.supports
    pairs = columns.of_class[None] if supports.dtype.kind == "f" else np.stack([columns.of_class, supports])
    first, of_class = distinct_columns(pairs)
    column = columns.of_class[first]
    values = (precision[column], recall[column], f1[column], supports[first].astype(np.float64))
    entries = [
        dict(zip(_HEADERS, row, strict=True)) for row in zip(*(v.tolist() for v in values), strict=True)
    ]
    return map(dict.copy, map(entries.__getitem__, of_class.tolist()))


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
    columns = Columns(*_scored(counts, np.arange(counts.shape[1]), None, None))
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
