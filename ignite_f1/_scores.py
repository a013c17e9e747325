"""Counts to scores and reports through scikit-learn.

scikit-learn does the arithmetic: the non-zero cells of a confusion matrix are passed as
(y_true, y_pred) pairs with their counts as ``sample_weight``, which reproduces the numbers and the
warnings of a call on all the data. Zero cells are left out because scikit-learn's label set (and its
binary / multi-class decision) looks at which labels occur, not at their weights.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import classification_report, fbeta_score, precision_recall_fscore_support

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


def multiclass_fbeta(
    cm: torch.Tensor,
    beta: float,
    average: str | None,
    labels: Sequence[int] | None,
    zero_division: ZeroDivision,
) -> float | np.ndarray:
    """F-beta from a C x C confusion matrix (rows: true class); per class when ``average`` is None."""
    true, pred, weight = _cells(cm)
    if average is None and labels is None:
        labels = range(cm.shape[0])
    result = fbeta_score(
        y_true=true,
        y_pred=pred,
        sample_weight=weight,
        beta=beta,
        average=average,
        labels=None if labels is None else list(labels),
        zero_division=_sklearn_zero_division(zero_division),
    )
    return result if average is None else float(result)


def classification_report_dict(
    cm: torch.Tensor, labels: Sequence[int], target_names: Sequence[str] | None, zero_division: ZeroDivision
) -> Report:
    """``sklearn.metrics.classification_report(..., output_dict=True)`` from a square confusion matrix."""
    true, pred, weight = _cells(cm)
    report: Report = classification_report(
        y_true=true,
        y_pred=pred,
        sample_weight=weight,
        labels=list(labels),
        target_names=None if target_names is None else list(target_names),
        output_dict=True,
        zero_division=_sklearn_zero_division(zero_division),
    )
    return report


# --------------------------------------------------------------------------- multilabel


def _multilabel_rows(label_counts: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indicator rows (y_true, y_pred, weight) with the per-label tp, fp and fn of ``label_counts``.

    Each row sets one label only, so rows of one label do not touch the counts of another. True
    negatives do not enter precision, recall, F-beta or support; an all-zero row keeps the input
    non-empty when nothing was positive.
    """
    tp, pp, ap = label_counts.cpu().numpy().astype(np.int64)
    num_labels = tp.shape[0]
    rows_true, rows_pred, weights = [], [], []
    for cell_true, cell_pred, counts in ((1, 1, tp), (0, 1, pp - tp), (1, 0, ap - tp)):
        for label in np.nonzero(counts)[0]:
            row_true = np.zeros(num_labels, dtype=np.int64)
            row_pred = np.zeros(num_labels, dtype=np.int64)
            row_true[label], row_pred[label] = cell_true, cell_pred
            rows_true.append(row_true)
            rows_pred.append(row_pred)
            weights.append(counts[label])
    if not rows_true:
        rows_true.append(np.zeros(num_labels, dtype=np.int64))
        rows_pred.append(np.zeros(num_labels, dtype=np.int64))
        weights.append(1)
    return np.stack(rows_true), np.stack(rows_pred), np.asarray(weights, dtype=np.int64)


def _multilabel_prfs(
    label_counts: torch.Tensor,
    beta: float,
    average: str | None,
    zero_division: ZeroDivision,
    warn_for: tuple[str, ...],
) -> tuple[Any, Any, Any, Any]:
    true, pred, weight = _multilabel_rows(label_counts)
    return precision_recall_fscore_support(  # type: ignore[no-any-return]
        y_true=true,
        y_pred=pred,
        sample_weight=weight,
        beta=beta,
        average=average,
        labels=list(range(label_counts.shape[1])),
        warn_for=warn_for,
        zero_division=_sklearn_zero_division(zero_division),
    )


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
    precision, recall, fbeta, _ = _multilabel_prfs(counts, beta, average, zero_division, ())
    if average is None:
        return precision, recall, fbeta
    return float(precision), float(recall), float(fbeta)


def _samples_average(
    sample_sums: torch.Tensor,
    sample_defined: torch.Tensor,
    num_samples: int,
    zero_division: ZeroDivision,
    warn_for: tuple[str, ...],
) -> tuple[float, float, float]:
    """sklearn's "samples" average of precision, recall and F-beta from running per-sample sums."""
    sums = sample_sums.cpu().tolist()
    defined = sample_defined.cpu().tolist()
    results = []
    for metric, modifier, total, count in zip(
        ("precision", "recall", "f-score"),
        ("predicted", "true", "true nor predicted"),
        sums,
        defined,
        strict=True,
    ):
        undefined = num_samples - count
        if undefined and zero_division == "warn" and metric in warn_for:
            where = "due to" if num_samples == 1 else "in samples with"
            warnings.warn(
                f"{metric.capitalize()} is ill-defined and being set to 0.0 {where} no {modifier} labels. "
                "Use `zero_division` parameter to control this behavior.",
                UndefinedMetricWarning,
                stacklevel=4,
            )
        if isinstance(zero_division, float) and math.isnan(zero_division):
            results.append(total / count if count else math.nan)
        else:
            fill = 0.0 if zero_division == "warn" else float(zero_division)
            results.append((total + fill * undefined) / num_samples)
    return results[0], results[1], results[2]


def multilabel_fbeta(
    label_counts: torch.Tensor,
    sample_sums: torch.Tensor,
    sample_defined: torch.Tensor,
    num_samples: int,
    beta: float,
    average: str | None,
    zero_division: ZeroDivision,
) -> float | np.ndarray:
    """F-beta of multilabel data from per-label counts (and per-sample sums for "samples")."""
    if average == "samples":
        sums = sample_sums[[0, 1, 3]]  # precision, recall, F-beta
        return _samples_average(sums, sample_defined, num_samples, zero_division, ("f-score",))[2]
    result = _multilabel_prfs(label_counts, beta, average, zero_division, ("f-score",))[2]
    return result if average is None else float(result)


def multilabel_report(
    label_counts: torch.Tensor,
    sample_sums: torch.Tensor,
    sample_defined: torch.Tensor,
    num_samples: int,
    target_names: Sequence[str] | None,
    zero_division: ZeroDivision,
) -> Report:
    """The dict of ``classification_report(..., output_dict=True)`` for multilabel data.

    Laid out as scikit-learn lays it out: one entry per label, then "micro avg", "macro avg",
    "weighted avg" and "samples avg", each with precision, recall, f1-score and support (floats).
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
    p, r, f = _samples_average(sample_sums[:3], sample_defined, num_samples, zero_division, warn_for)
    report["samples avg"] = dict(zip(headers, (p, r, f, total_support), strict=True))
    return report
