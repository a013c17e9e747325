"""The one scikit-learn reference adapter of the tests, and the assertions that compare with it.

There is exactly one place that decides how scikit-learn is called (STYLE rule 8): every function
here takes keyword arguments only and runs scikit-learn on *all* the data of an epoch (never on
counts).

- ``sklearn_fbeta``, ``sklearn_confusion_matrix``, ``sklearn_report``,
  ``sklearn_samplewise_fbeta`` (per-image scores, averaged over images, weighted by image with
  ``sample_weight``), ``sklearn_samplewise_undefined``, ``sklearn_curve`` (precision, recall and
  F-beta of "positive when score >= cut" at every cut of a threshold grid): the reference adapter.
- ``record_warnings``: run a callable and return its result with the warnings it raised.
- ``assert_close``: floats, tensors, arrays and nested dicts equal to ``TOL`` (1e-12), NaN equal to NaN.
- ``assert_close_relative``: the same, to ``TOL`` relative to the largest magnitude of each compared
  array (and at least 1): for float sums of sample weights, whose order of summation differs.
- ``assert_same``: bit-for-bit equality of two results (type, dtype, shape and value; NaN equal to NaN).
- ``assert_unit_interval``: every score in [0, 1] (NaN only where ``zero_division=nan`` allows it).
- ``assert_sklearn_on_all_zero_weights``: what the installed scikit-learn does with sample weights
  that are all 0, which changed in 1.9 (``SKLEARN_REFUSES_ALL_ZERO_WEIGHTS``); the metrics refuse
  them (``NotComputableError``) with every version.

Test modules import these names directly (``pythonpath = ["tests"]`` in ``pyproject.toml``)::

    from _reference import assert_close, sklearn_fbeta
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import sklearn
import torch
from packaging.version import Version
from sklearn.metrics import (
    classification_report,
    confusion_matrix,
    fbeta_score,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)

__all__ = [
    "SKLEARN_REFUSES_ALL_ZERO_WEIGHTS",
    "TOL",
    "Caught",
    "assert_close",
    "assert_close_relative",
    "assert_same",
    "assert_sklearn_on_all_zero_weights",
    "assert_unit_interval",
    "is_nan",
    "record_warnings",
    "sklearn_confusion_matrix",
    "sklearn_curve",
    "sklearn_fbeta",
    "sklearn_report",
    "sklearn_samplewise_fbeta",
    "sklearn_samplewise_undefined",
]

TOL = 1e-12

# scikit-learn 1.9 raises ValueError("Sample weights must contain at least one non-zero number.")
# for sample weights that are all 0; 1.5 to 1.8 (the floor is 1.5) score them as if no sample had
# been seen: every score is the zero_division value, 0.0 for "warn".
SKLEARN_REFUSES_ALL_ZERO_WEIGHTS = Version(sklearn.__version__).release[:2] >= (1, 9)


def is_nan(value: Any) -> bool:
    """``value`` is a float NaN (``zero_division=math.nan``, or a NaN score)."""
    return isinstance(value, float) and math.isnan(value)


# --------------------------------------------------------------------------- the reference adapter


def _sk_zero_division(zero_division: Any) -> Any:
    return np.nan if is_nan(zero_division) else zero_division


def sklearn_fbeta(
    *,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    beta: float,
    kind: str,
    average: str | None = None,
    labels: Sequence[int] | None = None,
    num_classes: int | None = None,
    zero_division: Any = "warn",
    sample_weight: np.ndarray | None = None,
) -> float | np.ndarray:
    """``sklearn.metrics.fbeta_score`` on all the data, as the metric of ``kind`` promises it.

    ``kind`` is ``"binary"`` (``average="binary", pos_label=1``; ``average`` is ignored),
    ``"multiclass"`` (flat label arrays; with ``average=None`` and no ``labels`` the scores of
    classes ``range(num_classes)``) or ``"multilabel"`` (0/1 indicator matrices).
    Returns a float, or a float64 array when ``average`` is None.
    """
    zd = _sk_zero_division(zero_division)
    if kind == "binary":
        return float(
            fbeta_score(
                y_true=y_true,
                y_pred=y_pred,
                beta=beta,
                average="binary",
                pos_label=1,
                zero_division=zd,
                sample_weight=sample_weight,
            )
        )
    if kind == "multiclass":
        if average is None and labels is None:
            if num_classes is None:
                raise ValueError("sklearn_fbeta(kind='multiclass', average=None) needs labels or num_classes")
            labels = range(num_classes)
    elif kind != "multilabel":
        raise ValueError(f"unknown kind {kind!r}")
    result = fbeta_score(
        y_true=y_true,
        y_pred=y_pred,
        beta=beta,
        average=average,
        labels=None if labels is None else list(labels),
        zero_division=zd,
        sample_weight=sample_weight,
    )
    return np.asarray(result, dtype=np.float64) if average is None else float(result)


def _sklearn_image_fbeta(
    y: np.ndarray,
    pred: np.ndarray,
    *,
    beta: float,
    average: str | None,
    labels: Any,
    zero_division: Any,
    sample_weight: np.ndarray | None = None,
) -> dict[int, float] | float:
    """scikit-learn's score of one image (flat pixels): a float, or {class: score} per class."""
    zd = np.nan if isinstance(zero_division, float) and math.isnan(zero_division) else zero_division
    if y.size == 0:
        return {} if average is None else math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = fbeta_score(
            y_true=y,
            y_pred=pred,
            beta=beta,
            average=average,
            labels=labels,
            zero_division=zd,
            sample_weight=sample_weight,
        )
    if average is not None:
        return float(scores)
    classes = labels if labels is not None else np.unique(np.concatenate([y, pred]))
    return {int(c): float(s) for c, s in zip(classes, scores, strict=True)}


def sklearn_samplewise_fbeta(
    *,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    beta: float,
    average: str | None,
    labels: Any = None,
    zero_division: Any = "warn",
    ignore_index: int | None = None,
    num_scores: int = 1,
    sample_weight: np.ndarray | None = None,
) -> Any:
    """``multidim_average="samplewise"``: the mean over images (rows of ``y_true``/``y_pred``, any
    trailing shape) of ``fbeta_score`` on each image's pixels (``ignore_index`` pixels dropped).

    A float, the mean of the images whose score is not NaN; with ``average=None`` an array: per
    class (``labels``, else ``range(num_scores)``), the mean over the images whose output holds the
    class with a score that is not NaN (NaN where none).

    ``sample_weight`` (float64, of ``y_true``'s shape, or (N,) one per image): each image is scored
    with ``fbeta_score(..., sample_weight=<its kept pixels' weights>)`` and the means are weighted
    by each image's weight, the mean weight of its kept pixels (an image of weight 0 is left out:
    with every weight 0 its score is undefined; scikit-learn 1.9 refuses such weights).
    """
    per_image, image_weights = [], []
    for target, predicted, weight in _images(y_true, y_pred, ignore_index, sample_weight):
        image_weights.append(1.0 if weight is None else (float(np.mean(weight)) if weight.size else 0.0))
        if image_weights[-1] == 0.0:
            per_image.append({} if average is None else math.nan)
            continue
        per_image.append(
            _sklearn_image_fbeta(
                target,
                predicted,
                beta=beta,
                average=average,
                labels=labels,
                zero_division=zero_division,
                sample_weight=weight,
            )
        )

    def mean(pairs: list[tuple[float, float]]) -> float:
        if not pairs:
            return math.nan
        if sample_weight is None:
            return float(np.mean([v for v, _ in pairs]))
        return float(np.average([v for v, _ in pairs], weights=[w for _, w in pairs]))

    if average is not None:
        return mean([(v, w) for v, w in zip(per_image, image_weights, strict=True) if not math.isnan(v)])
    keys = labels if labels is not None else range(num_scores)
    pairs = zip(per_image, image_weights, strict=True)
    scored = [(s, w) for s, w in pairs if isinstance(s, dict)]
    return np.asarray([mean([(s[c], w) for s, w in scored if c in s and not math.isnan(s[c])]) for c in keys])


def _images(
    y_true: np.ndarray, y_pred: np.ndarray, ignore_index: int | None, sample_weight: np.ndarray | None
) -> Any:
    """Each image's kept (targets, predictions, weights or None), flat."""
    n = len(y_true)
    weights = None
    if sample_weight is not None:
        weights = np.broadcast_to(
            sample_weight.reshape(n, *[1] * (y_true.ndim - 1))
            if sample_weight.shape == (n,)
            else sample_weight,
            y_true.shape,
        ).reshape(n, -1)
    for i, (target, predicted) in enumerate(zip(y_true.reshape(n, -1), y_pred.reshape(n, -1), strict=True)):
        keep = np.ones_like(target, dtype=bool) if ignore_index is None else target != ignore_index
        yield target[keep], predicted[keep], None if weights is None else weights[i][keep]


def sklearn_samplewise_undefined(
    *,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    average: str | None,
    labels: Any = None,
    ignore_index: int | None = None,
    sample_weight: np.ndarray | None = None,
) -> int:
    """How many per-image scores ``fbeta_score`` leaves undefined (NaN with ``zero_division=nan``),
    over the images :func:`sklearn_samplewise_fbeta` scores (with a kept pixel, of weight > 0).

    Per class for ``"macro"``, ``"weighted"`` and ``None`` (the classes of ``labels``, else those
    the image holds), one per image for ``"micro"`` and ``"binary"``.
    """
    undefined = 0
    per_class = None if average in ("macro", "weighted", None) else average
    for target, predicted, weight in _images(y_true, y_pred, ignore_index, sample_weight):
        if target.size == 0 or (weight is not None and float(np.mean(weight)) == 0.0):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = fbeta_score(
                y_true=target,
                y_pred=predicted,
                beta=1.0,
                average=per_class,
                labels=labels,
                zero_division=np.nan,
                sample_weight=weight,
            )
        undefined += int(np.isnan(np.asarray(scores)).sum())
    return undefined


def sklearn_confusion_matrix(
    *,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    kind: str,
    num_classes: int,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """The confusion matrix the metric promises: (C, C) rows = true class, (2, 2) binary, (L, 2, 2).

    With ``sample_weight``: scikit-learn's float sums of the weights.
    """
    if kind == "multilabel":
        return multilabel_confusion_matrix(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    return confusion_matrix(
        y_true=y_true, y_pred=y_pred, labels=list(range(num_classes)), sample_weight=sample_weight
    )


def sklearn_report(
    *,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: Sequence[int],
    target_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    sample_weight: np.ndarray | None = None,
) -> dict[str, Any]:
    """``classification_report(..., output_dict=True)`` on all the data over ``labels``."""
    return classification_report(  # type: ignore[no-any-return]
        y_true=y_true,
        y_pred=y_pred,
        labels=list(labels),
        target_names=None if target_names is None else list(target_names),
        output_dict=True,
        zero_division=_sk_zero_division(zero_division),
        sample_weight=sample_weight,
    )


def sklearn_curve(
    *,
    scores: np.ndarray,
    y_true: np.ndarray,
    cuts: np.ndarray,
    beta: float,
    average: str | None = "binary",
    sample_weight: np.ndarray | None = None,
    thresholds: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """scikit-learn's precision, recall and F-beta of "positive when score >= cut" at every cut.

    ``precision_recall_fscore_support(..., average=average, zero_division=0.0)`` (the curves' rule:
    undefined -> 0; its warnings silenced) of ``y_pred = scores >= cut``, compared in the dtype of
    ``scores`` and ``cuts`` as NumPy promotes them. Returns float64 arrays "precision", "recall"
    and "fbeta" stacked over the cuts: (T,), or (L, T) per label for ``average=None``; with
    ``thresholds``, a "thresholds" entry first (as ``curve()`` orders its keys).
    """
    rows = []
    for cut in cuts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn warns for each undefined point
            p, r, f, _ = precision_recall_fscore_support(
                y_true=y_true,
                y_pred=(scores >= cut).astype(np.int64),
                beta=beta,
                average=average,
                sample_weight=sample_weight,
                zero_division=0.0,
            )
        rows.append((p, r, f))
    precision, recall, fbeta = (
        np.stack(column, axis=-1).astype(np.float64) for column in zip(*rows, strict=True)
    )
    curve = {} if thresholds is None else {"thresholds": thresholds}
    return {**curve, "precision": precision, "recall": recall, "fbeta": fbeta}


# --------------------------------------------------------------------------- comparison helpers

Caught = list[tuple[type[Warning], str]]


def record_warnings(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> tuple[Any, Caught]:
    """Call ``fn(*args, **kwargs)``; return its result and every warning raised, as (category, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, [(w.category, str(w.message)) for w in caught]


def _to_float_array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def assert_close(actual: Any, expected: Any, tol: float = TOL, path: str = "result") -> None:
    """Equal within ``tol`` (absolute), NaN equal to NaN; recurses into dicts (same keys, same order)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a dict, got {type(actual).__name__}"
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_close(actual[key], expected[key], tol, f"{path}[{key!r}]")
        return
    a, e = _to_float_array(actual), _to_float_array(expected)
    assert a.shape == e.shape, f"{path}: shape {a.shape} != {e.shape}"
    same_nan = np.isnan(a) == np.isnan(e)
    close = np.isnan(e) | (np.abs(np.where(np.isnan(a), 0, a) - np.where(np.isnan(e), 0, e)) <= tol)
    assert same_nan.all() and close.all(), f"{path}: {a.tolist()} != {e.tolist()} (tol {tol})"


def assert_close_relative(actual: Any, expected: Any, rtol: float = TOL, path: str = "result") -> None:
    """:func:`assert_close` to ``rtol`` times the largest magnitude of each compared leaf (at least 1).

    For results built from float sums of sample weights: scores (at most 1) are compared to
    ``rtol``, sums of weights (supports, confusion matrices) to ``rtol`` of their scale, so that a
    cell that is a difference of sums (a true negative) is not held to its own tiny magnitude.
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a dict, got {type(actual).__name__}"
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_close_relative(actual[key], expected[key], rtol, f"{path}[{key!r}]")
        return
    e = _to_float_array(expected)
    finite = e[np.isfinite(e)]
    scale = max(1.0, float(np.abs(finite).max(initial=0.0)))
    assert_close(actual, expected, rtol * scale, path)


def assert_same(actual: Any, expected: Any, path: str = "result") -> None:
    """Bit-for-bit equality of two results: the same type; tensors of the same dtype, shape, device
    and values; dicts with the same keys in the same order; lists and tuples item by item; NaN equal
    to NaN."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), f"{path}: expected a tensor, got {type(actual).__name__}"
        got = (actual.dtype, actual.shape, actual.device)
        want = (expected.dtype, expected.shape, expected.device)
        assert got == want, f"{path}: dtype, shape, device {got} != {want}"
        torch.testing.assert_close(actual, expected, rtol=0, atol=0, equal_nan=True, msg=path)
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a dict, got {type(actual).__name__}"
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected), f"{path}: {type(actual).__name__} != {type(expected).__name__}"
        assert len(actual) == len(expected), f"{path}: length {len(actual)} != {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{path}[{i}]")
    else:
        assert type(actual) is type(expected), f"{path}: {type(actual).__name__} != {type(expected).__name__}"
        assert actual == expected or (is_nan(actual) and is_nan(expected)), (
            f"{path}: {actual!r} != {expected!r}"
        )


def assert_unit_interval(value: Any, allow_nan: bool, path: str = "result") -> None:
    """Every score in [0, 1]; NaN only when ``allow_nan`` (zero_division=nan). Dicts recurse.

    "1" allows float rounding (``TOL``): scikit-learn itself gives 1.0000000000000002 for a perfect
    prediction with some betas, e.g. ``fbeta_score([1, 1, 1], [1, 1, 1], beta=1.2414159709631765)``.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "support":
                assert_unit_interval(item, allow_nan, f"{path}[{key!r}]")
        return
    a = _to_float_array(value)
    nan = np.isnan(a)
    assert allow_nan or not nan.any(), f"{path}: NaN without zero_division=nan: {a.tolist()}"
    assert ((a[~nan] >= 0) & (a[~nan] <= 1 + TOL)).all(), f"{path}: outside [0, 1]: {a.tolist()}"


def assert_sklearn_on_all_zero_weights(score: Callable[[], Any], zero_division: Any) -> None:
    """What the installed scikit-learn does with sample weights that are all 0.

    ``score`` calls scikit-learn with such weights (e.g. ``sklearn_fbeta(..., sample_weight=zeros)``);
    its result may be a float, an array or a dict of them. scikit-learn >= 1.9 refuses the weights
    (``ValueError``: "at least one non-zero"); 1.5 to 1.8 return the ``zero_division`` value for
    every score (0.0 for "warn"), with warnings, which are not checked here. The metrics refuse such
    weights with ``NotComputableError`` whatever the version: F-beta of no weight is undefined.
    """
    if SKLEARN_REFUSES_ALL_ZERO_WEIGHTS:
        with pytest.raises(ValueError, match="at least one non-zero"):
            score()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = score()
    values = _to_float_array(list(result.values()) if isinstance(result, dict) else result).ravel()
    expected = 0.0 if zero_division == "warn" else float(zero_division)
    assert values.size > 0, result
    same = np.isnan(values) if math.isnan(expected) else values == expected
    assert same.all(), f"scikit-learn {sklearn.__version__}: {result!r}, not every score {expected}"
