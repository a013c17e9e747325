"""Confidence intervals of F-beta from a confusion matrix: the exact bootstrap, vectorised.

The F-beta scores of binary and multi-class data depend on the data only through the confusion
matrix. Resampling the N samples with replacement (the nonparametric bootstrap) therefore gives the
same distribution of scores as drawing a confusion matrix from the multinomial with N trials and the
observed cell frequencies as probabilities: an exact bootstrap from the counts, with no stored
predictions. Cells that hold no sample stay empty in every resample, so only the M non-zero cells
are drawn, ``num_resamples`` at once (:func:`resample`).

Each resampled matrix is reduced to per-class true, predicted and actual positives
(:func:`class_counts`, the layout of ``per_class_counts()``), scored with scikit-learn's rules
written out in numpy over all resamples at once (:func:`fbeta`: ``average``, ``labels`` and
``zero_division`` as ``compute()`` applies them), and the percentile interval is read from the
scores (:func:`interval`). The tests check :func:`fbeta` against scikit-learn on resampled matrices.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from ignite_f1 import _validation
from ignite_f1._validation import ZeroDivision

Bounds = tuple[float, float] | tuple[np.ndarray, np.ndarray]

BINARY = "binary"
"""The ``average`` of the binary metrics: the F-beta of class 1 of a 2 x 2 matrix."""

CHUNK_CELLS = 1 << 23
"""Most cells of a block of resamples (64 MiB of int64): a block of R resamples holds R x M drawn
cells (M non-zero cells in the matrix) and R x 3 x K per-class counts, each at most this many."""


def check_interval_args(level: Any, num_resamples: Any, seed: Any) -> tuple[float, int, int | None]:
    """Check ``confidence_interval``'s arguments: ``level`` in (0, 1), ``num_resamples`` >= 1, ``seed``."""
    rule = "a real number in (0, 1), such as 0.95"
    if not _validation.is_real(level):
        raise TypeError(f"Argument `level` must be {rule}, got {level!r}.")
    if not 0 < level < 1:  # also refuses nan
        raise ValueError(f"Argument `level` must be {rule}, got {level!r}.")
    num_resamples = _validation.check_count("num_resamples", num_resamples, minimum=1)
    if seed is not None:
        rule = "None or an integer >= 0"
        if not _validation.is_int(seed):
            raise TypeError(f"Argument `seed` must be {rule}, got {seed!r}.")
        if seed < 0:
            raise ValueError(f"Argument `seed` must be {rule}, got {seed!r}.")
        seed = int(seed)
    return float(level), num_resamples, seed


def resample(
    cm: np.ndarray, num_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``num_resamples`` bootstrap confusion matrices of ``cm`` (K x K counts, rows: true class).

    Each resample is multinomial: as many samples as ``cm`` holds, each falling in a cell with the
    cell's observed frequency, which is the distribution of the confusion matrix of N samples drawn
    with replacement from the N counted ones.

    Returns:
        ``(true, pred, draws)``: the true and predicted class of the M non-zero cells of ``cm``
        (int64 (M,), in row-major order), and their counts in each resample, int64 (R, M).
    """
    true, pred = np.nonzero(cm)
    counts = cm[true, pred].astype(np.float64)
    total = int(cm.sum())
    draws = rng.multinomial(total, counts / counts.sum(), size=num_resamples)
    return true.astype(np.int64), pred.astype(np.int64), draws


def class_counts(true: np.ndarray, pred: np.ndarray, draws: np.ndarray, num_classes: int) -> np.ndarray:
    """Per-class counts of resampled matrices: int64 (R, 3, K) true, predicted and actual positives.

    ``true``, ``pred`` and ``draws`` are :func:`resample`'s (``true`` sorted, as it gives them).
    Each row of ``draws`` is reduced in O(M): no K x K matrix is built.
    """
    num_resamples = draws.shape[0]
    counts = np.zeros((num_resamples, 3, num_classes), dtype=np.int64)
    diagonal = true == pred
    counts[:, 0, true[diagonal]] = draws[:, diagonal]
    rows, starts = np.unique(true, return_index=True)  # true is sorted: a row's cells are adjacent
    counts[:, 2, rows] = np.add.reduceat(draws, starts, axis=1)
    order = np.argsort(pred, kind="stable")  # the same for the columns, once sorted
    columns, starts = np.unique(pred[order], return_index=True)
    counts[:, 1, columns] = np.add.reduceat(draws[:, order], starts, axis=1)
    return counts


def _divide(numerator: np.ndarray, denominator: np.ndarray, fill: float) -> np.ndarray:
    """``numerator / denominator``, ``fill`` where the denominator is 0 (scikit-learn's ``_prf_divide``)."""
    undefined = denominator == 0
    result = numerator / np.where(undefined, 1.0, denominator)
    result[undefined] = fill
    return result


def fbeta(
    counts: np.ndarray,
    *,
    beta: float,
    average: str | None,
    labels: list[int] | None,
    zero_division: ZeroDivision,
) -> np.ndarray:
    """F-beta of each of R matrices from their per-class counts, as ``compute()`` scores one matrix.

    The arithmetic of ``sklearn.metrics.fbeta_score`` on the samples of each matrix, written out in
    numpy for all R at once: F-beta = (1 + beta²) tp / (beta² (tp + fn) + tp + fp), ``zero_division``
    where that is 0 / 0 (0.0 for ``"warn"``, silently).

    Args:
        counts: int (R, 3, K): true, predicted and actual positives per class (:func:`class_counts`).
        beta: weight of recall against precision (> 0).
        average: :data:`BINARY` (class 1 of K = 2, as ``average="binary", pos_label=1``), ``"micro"``,
            ``"macro"``, ``"weighted"`` or ``None`` (per class).
        labels: the classes to score; ``None`` follows scikit-learn: averages cover the classes
            present in targets or predictions of each matrix, ``average=None`` covers all K.
        zero_division: ``"warn"``, 0.0, 1.0 or nan; nan scores are left out of averages, and an
            average of no score is nan.

    Returns:
        float64 (R,) for an average, (R, L) per class (L: ``len(labels)``, else K).
    """
    fill = 0.0 if zero_division == "warn" else float(zero_division)
    tp, predicted, actual = (counts[:, row].astype(np.float64) for row in range(3))
    beta2 = beta**2
    if average == BINARY:
        tp, predicted, actual = tp[:, 1], predicted[:, 1], actual[:, 1]
        return _divide((1 + beta2) * tp, beta2 * actual + predicted, fill)
    if labels is not None:
        tp, predicted, actual = tp[:, labels], predicted[:, labels], actual[:, labels]
        present = np.ones(tp.shape, dtype=bool)
    else:  # scikit-learn's label set: the classes that occur in the matrix's targets or predictions
        present = (actual > 0) | (predicted > 0)
    if average == "micro":  # absent classes add 0 to every sum
        tp, predicted, actual = tp.sum(1), predicted.sum(1), actual.sum(1)
        return _divide((1 + beta2) * tp, beta2 * actual + predicted, fill)
    scores = _divide((1 + beta2) * tp, beta2 * actual + predicted, fill)
    if average is None:
        return scores
    kept = present & ~np.isnan(scores)
    values = np.where(kept, scores, 0.0)
    count = kept.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, values.sum(1) / count, np.nan)
        if average == "macro":
            return mean
        # weighted by support; when the kept classes have no support, scikit-learn's plain mean
        weights = np.where(kept, actual, 0.0)
        total = weights.sum(1)
        return np.where(total > 0, (values * weights).sum(1) / total, mean)


def interval(scores: np.ndarray, level: float) -> Bounds:
    """Percentile bounds at ``level`` of resampled ``scores`` (R,) or (R, L), nan scores left out.

    The bounds are the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles (linear interpolation,
    as ``numpy.quantile``) of the defined scores; a bound is nan only when no resample's score is
    defined. Floats for (R,) scores, float64 arrays (L,) for (R, L).
    """
    tail = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice": that bound is nan
        low, high = np.nanquantile(scores, [tail, 1 - tail], axis=0)
    if scores.ndim == 1:
        return float(low), float(high)
    return low, high


def fbeta_interval(
    cm: torch.Tensor | np.ndarray,
    *,
    beta: float,
    average: str | None,
    labels: list[int] | None,
    zero_division: ZeroDivision,
    level: float,
    num_resamples: int,
    seed: int | None,
) -> Bounds:
    """Percentile bootstrap bounds of the F-beta of the confusion matrix ``cm`` (K x K, rows: true).

    Draws ``num_resamples`` matrices (:func:`resample`, in blocks of at most :data:`CHUNK_CELLS`
    drawn cells and per-class counts), scores them (:func:`fbeta`, same arguments) and returns
    :func:`interval`'s bounds. The same ``seed`` gives the same bounds; ``None`` draws fresh entropy.

    Examples:
        >>> import numpy as np
        >>> from ignite_f1._bootstrap import fbeta_interval
        >>> cm = np.array([[50, 10], [5, 35]])  # tn, fp / fn, tp: F1 = 70 / 85 = 0.82
        >>> low, high = fbeta_interval(cm, beta=1.0, average="binary", labels=None, zero_division=0.0,
        ...                            level=0.95, num_resamples=1000, seed=0)
        >>> bool(0.7 < low < 70 / 85 < high < 0.92)
        True
    """
    matrix = cm.cpu().numpy() if isinstance(cm, torch.Tensor) else np.asarray(cm)
    num_classes = matrix.shape[0]
    rng = np.random.default_rng(seed)
    # a block holds (R, M) draws and (R, 3, K) per-class counts (and float copies of those)
    num_cells = max(1, int(np.count_nonzero(matrix)), 3 * num_classes)
    block = max(1, CHUNK_CELLS // num_cells)
    scores = []
    for start in range(0, num_resamples, block):  # blocks of resamples, each drawn and scored at once
        true, pred, draws = resample(matrix, min(block, num_resamples - start), rng)
        counts = class_counts(true, pred, draws, num_classes)
        scores.append(fbeta(counts, beta=beta, average=average, labels=labels, zero_division=zero_division))
    return interval(np.concatenate(scores), level)
