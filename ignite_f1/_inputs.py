"""Argument checks and input formatting: pure torch, no Ignite import.

Every public error names the argument, the rule and the value given (scikit-learn's message shape).
Batch formatting functions validate everything before they return, so a metric that calls them first
and mutates its state afterwards leaves that state untouched when a batch is rejected. Values that
must be read on the host for validation are gathered into one tensor and read with a single sync.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch

AVERAGES_MULTICLASS = ("micro", "macro", "weighted", None)
AVERAGES_MULTILABEL = ("micro", "macro", "weighted", "samples", None)

ZeroDivision = str | float

_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)


# --------------------------------------------------------------------------- constructor arguments


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_count(name: str, value: Any, minimum: int = 2) -> int:
    """Check an integer argument such as ``num_classes`` (an integer >= ``minimum``)."""
    if not _is_int(value):
        raise TypeError(f"Argument `{name}` must be an integer >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"Argument `{name}` must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_beta(beta: Any) -> float:
    """Check ``beta``: a finite real > 0."""
    if not _is_real(beta):
        raise TypeError(f"Argument `beta` must be a finite real number > 0, got {beta!r}.")
    if not (math.isfinite(beta) and beta > 0):
        raise ValueError(f"Argument `beta` must be a finite real number > 0, got {beta!r}.")
    return float(beta)


def check_threshold(threshold: Any) -> float:
    """Check ``threshold``: a probability in [0, 1]."""
    if not _is_real(threshold):
        raise TypeError(f"Argument `threshold` must be a real number in [0, 1], got {threshold!r}.")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"Argument `threshold` must be a real number in [0, 1], got {threshold!r}.")
    return float(threshold)


def logit_threshold(threshold: float) -> float:
    """The logit of a probability threshold: comparing logits with it equals comparing probabilities."""
    if threshold == 0.0:
        return -math.inf
    if threshold == 1.0:
        return math.inf
    return math.log(threshold) - math.log1p(-threshold)


def check_zero_division(zero_division: Any) -> ZeroDivision:
    """Check ``zero_division`` against what scikit-learn takes: "warn", 0.0, 1.0 or nan."""
    if isinstance(zero_division, str) and zero_division == "warn":
        return "warn"
    if _is_real(zero_division) and (zero_division in (0, 1) or math.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(f'Argument `zero_division` must be "warn", 0.0, 1.0 or nan, got {zero_division!r}.')


def check_average(average: Any, options: tuple[str | None, ...]) -> str | None:
    """Check ``average`` against the options of the metric."""
    if average not in options or (average is not None and not isinstance(average, str)):
        raise ValueError(f"Argument `average` must be one of {list(options)}, got {average!r}.")
    return average


def check_labels(labels: Any, num_classes: int) -> list[int] | None:
    """Check ``labels``: None, or a non-empty sequence of distinct class indices in [0, num_classes)."""
    if labels is None:
        return None
    if isinstance(labels, torch.Tensor):
        labels = labels.tolist()
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
        raise TypeError(
            f"Argument `labels` must be None or a non-empty sequence of class indices, got {labels!r}."
        )
    if len(labels) == 0:
        raise ValueError(
            f"Argument `labels` must be None or a non-empty sequence of class indices, got {labels!r}."
        )
    if not all(_is_int(label) for label in labels):
        raise TypeError(f"Argument `labels` must hold integers, got {list(labels)!r}.")
    bad = [label for label in labels if not 0 <= label < num_classes]
    if bad:
        raise ValueError(
            f"Argument `labels` must hold class indices in [0, {num_classes}) (num_classes={num_classes}), "
            f"got {list(labels)!r} (out of range: {bad!r})."
        )
    if len(set(labels)) != len(labels):
        raise ValueError(f"Argument `labels` must not repeat a class, got {list(labels)!r}.")
    return [int(label) for label in labels]


def check_class_names(class_names: Any, count: int, count_name: str) -> list[str] | None:
    """Check ``class_names``: None, or ``count`` distinct strings."""
    if class_names is None:
        return None
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Sequence):
        raise TypeError(f"Argument `class_names` must be None or a sequence of strings, got {class_names!r}.")
    names = list(class_names)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"Argument `class_names` must hold strings, got {names!r}.")
    if len(names) != count:
        raise ValueError(
            f"Argument `class_names` must have one name per class ({count_name}={count}), "
            f"got {len(names)} names: {names!r}."
        )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"Argument `class_names` must not repeat a name, got duplicates {duplicates!r}.")
    return names


def check_ignore_index(ignore_index: Any) -> int | None:
    """Check ``ignore_index``: None or an integer."""
    if ignore_index is None:
        return None
    if not _is_int(ignore_index):
        raise TypeError(f"Argument `ignore_index` must be None or an integer, got {ignore_index!r}.")
    return int(ignore_index)


# --------------------------------------------------------------------------- batch checks


def _check_tensor(name: str, value: Any) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"Argument `{name}` must be a torch.Tensor, got {type(value).__name__}.")
    if value.dtype not in _FLOAT_DTYPES and value.dtype not in _INT_DTYPES:
        raise TypeError(
            f"Argument `{name}` must have a floating point, integer or bool dtype, got {value.dtype}."
        )
    return value


def _host_values(parts: list[torch.Tensor]) -> list[float]:
    """Read a few scalars needed by validation with one host synchronisation."""
    if not parts:
        return []
    values: list[float] = torch.stack([p.to(torch.float64) for p in parts]).tolist()
    return values


def _fmt(value: float) -> str:
    return str(int(value)) if math.isfinite(value) and value == int(value) else repr(value)


def _check_binary_target(name: str, lo: float, hi: float, integral: bool) -> None:
    if not integral or math.isnan(lo) or lo < 0 or hi > 1:
        raise ValueError(
            f"Argument `{name}` must hold only 0 and 1, got values in [{_fmt(lo)}, {_fmt(hi)}]"
            + ("" if integral else " including non-integral values")
            + "."
        )


def _target_parts(y: torch.Tensor) -> list[torch.Tensor]:
    """Scalars that tell whether a 0/1 target is valid: min, max and (for floats) integrality."""
    if y.dtype == torch.bool:
        return []
    lo, hi = torch.aminmax(y)
    parts = [lo, hi]
    if y.is_floating_point():
        parts.append((y != y.trunc()).any())
    return parts


def _score_parts(y_pred: torch.Tensor) -> list[torch.Tensor]:
    """Scalars that tell whether float scores are valid: min and max (NaN propagates into both)."""
    lo, hi = torch.aminmax(y_pred)
    return [lo, hi]


def _check_scores(lo: float, hi: float, from_logits: bool) -> None:
    if math.isnan(lo) or math.isnan(hi):
        raise ValueError("Argument `y_pred` must not contain NaN scores, got NaN.")
    if not from_logits and (lo < 0 or hi > 1):
        raise ValueError(
            "Argument `y_pred` must hold probabilities in [0, 1] when from_logits=False, "
            f"got values in [{lo!r}, {hi!r}]."
        )


def _check_zero_one_batch(y_pred: torch.Tensor, y: torch.Tensor, from_logits: bool) -> None:
    """Check a non-empty binary or multilabel batch with one host synchronisation.

    Float ``y_pred`` must hold no NaN (and probabilities in [0, 1] unless ``from_logits``); integer
    ``y_pred`` and ``y`` must hold only 0 and 1.
    """
    if y_pred.dtype == torch.bool:
        pred_parts: list[torch.Tensor] = []
    elif y_pred.is_floating_point():
        pred_parts = _score_parts(y_pred)
    else:
        pred_parts = _target_parts(y_pred)
    values = _host_values(pred_parts + _target_parts(y))
    pred_values, target_values = values[: len(pred_parts)], values[len(pred_parts) :]
    if pred_values and y_pred.is_floating_point():
        _check_scores(pred_values[0], pred_values[1], from_logits)
    elif pred_values:
        _check_binary_target("y_pred", pred_values[0], pred_values[1], True)
    if target_values:
        integral = len(target_values) < 3 or not target_values[2]
        _check_binary_target("y", target_values[0], target_values[1], integral)


def _positive(y_pred: torch.Tensor, threshold: float, from_logits: bool) -> torch.Tensor:
    """Boolean predictions: scores at or above the threshold (compared in logit space for logits)."""
    if y_pred.dtype in _INT_DTYPES:
        return y_pred.bool() if y_pred.dtype != torch.bool else y_pred
    cut = logit_threshold(threshold) if from_logits else threshold
    return y_pred >= cut


def format_binary(
    y_pred: Any, y: Any, threshold: float, from_logits: bool, validate: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a binary batch and return flat boolean (predictions, targets).

    ``y_pred``: float scores (logits or probabilities) or 0/1 integer/bool labels, shape (N,), (N, 1)
    or (N, ...); ``y``: 0/1 of the same shape ((N,) also goes with (N, 1)).
    """
    y_pred = _check_tensor("y_pred", y_pred)
    y = _check_tensor("y", y)
    if y_pred.ndim == 0:
        raise ValueError(
            f"Argument `y_pred` must have at least 1 dimension (N, ...), got shape {tuple(y_pred.shape)}."
        )
    if y_pred.shape != y.shape:
        squeezed = y_pred.squeeze(1) if y_pred.ndim == 2 and y_pred.shape[1] == 1 else y_pred
        target = y.squeeze(1) if y.ndim == 2 and y.shape[1] == 1 else y
        if squeezed.shape != target.shape:
            raise ValueError(
                "Arguments `y_pred` and `y` must have the same shape ((N,) and (N, 1) go together), "
                f"got y_pred {tuple(y_pred.shape)} and y {tuple(y.shape)}."
            )
        y_pred, y = squeezed, target
    if validate and y.numel() > 0:
        _check_zero_one_batch(y_pred, y, from_logits)
    pred = _positive(y_pred, threshold, from_logits).reshape(-1)
    target = (y if y.dtype == torch.bool else y != 0).reshape(-1)
    return pred, target


def format_multilabel(
    y_pred: Any, y: Any, num_labels: int, threshold: float, from_logits: bool, validate: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a multilabel batch and return boolean (predictions, targets) of shape (N, L)."""
    y_pred = _check_tensor("y_pred", y_pred)
    y = _check_tensor("y", y)
    if y_pred.ndim != 2:
        raise ValueError(
            f"Argument `y_pred` must have 2 dimensions (N, num_labels), got shape {tuple(y_pred.shape)}."
        )
    if y_pred.shape[1] != num_labels:
        raise ValueError(
            f"Argument `y_pred` must have shape (N, num_labels={num_labels}), got {tuple(y_pred.shape)}."
        )
    if y.shape != y_pred.shape:
        raise ValueError(
            "Arguments `y_pred` and `y` must have the same shape (N, num_labels), "
            f"got y_pred {tuple(y_pred.shape)} and y {tuple(y.shape)}."
        )
    if validate and y.numel() > 0:
        _check_zero_one_batch(y_pred, y, from_logits)
    pred = _positive(y_pred, threshold, from_logits)
    target = y if y.dtype == torch.bool else y != 0
    return pred, target


def format_multiclass(
    y_pred: Any, y: Any, num_classes: int, ignore_index: int | None, validate: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a multi-class batch and return flat int64 (targets, predictions), ignored targets removed.

    ``y_pred``: scores (N, C, d1, ...) (arg-max over dim 1) or integer labels (N, d1, ...);
    ``y``: integer labels (N, d1, ...) (integral floats are accepted).
    """
    y_pred = _check_tensor("y_pred", y_pred)
    y = _check_tensor("y", y)
    if y.ndim < 1:
        raise ValueError(f"Argument `y` must have at least 1 dimension (N, ...), got shape {tuple(y.shape)}.")
    if y_pred.is_floating_point():
        if y_pred.ndim != y.ndim + 1:
            raise ValueError(
                "Argument `y_pred` of float scores must have one more dimension than `y`: "
                "(N, num_classes, ...) with y (N, ...), "
                f"got y_pred {tuple(y_pred.shape)} and y {tuple(y.shape)}."
            )
        if y_pred.shape[1] != num_classes:
            raise ValueError(
                f"Argument `y_pred` must have num_classes={num_classes} scores in dimension 1, "
                f"got shape {tuple(y_pred.shape)}."
            )
        if y_pred.shape[:1] + y_pred.shape[2:] != y.shape:
            raise ValueError(
                "Arguments `y_pred` (N, num_classes, d1, ...) and `y` (N, d1, ...) must agree in N and "
                f"d1, ..., got y_pred {tuple(y_pred.shape)} and y {tuple(y.shape)}."
            )
        if y.numel() == 0:
            pred = torch.empty(0, dtype=torch.int64, device=y_pred.device)
            pred_parts: list[torch.Tensor] = []
        else:
            top, pred = y_pred.max(dim=1)
            pred_parts = [torch.isnan(top).any()] if validate else []
    else:
        if y_pred.dtype == torch.bool:
            raise TypeError(
                "Argument `y_pred` must hold float scores (N, num_classes, ...) or integer class labels, "
                "got dtype torch.bool."
            )
        if y_pred.shape != y.shape:
            raise ValueError(
                "Argument `y_pred` of integer class labels must have the same shape as `y`, "
                f"got y_pred {tuple(y_pred.shape)} and y {tuple(y.shape)} (scores must be floating point)."
            )
        pred = y_pred
        pred_parts = list(torch.aminmax(y_pred)) if validate and y_pred.numel() > 0 else []
    target = y.reshape(-1)
    pred = pred.reshape(-1)
    if ignore_index is not None:
        keep = target != ignore_index
        target, pred = target[keep], pred[keep]
    if y.dtype == torch.bool:
        raise TypeError("Argument `y` must hold integer class labels, got dtype torch.bool.")
    if validate and (pred_parts or target.numel() > 0):
        target_parts: list[torch.Tensor] = []
        if target.numel() > 0:
            target_parts = list(torch.aminmax(target))
            if target.is_floating_point():
                target_parts.append((target != target.trunc()).any())
        values = _host_values(pred_parts + target_parts)
        pred_values, target_values = values[: len(pred_parts)], values[len(pred_parts) :]
        if len(pred_values) == 1 and pred_values[0]:
            raise ValueError("Argument `y_pred` must not contain NaN scores, got NaN.")
        if len(pred_values) == 2 and (pred_values[0] < 0 or pred_values[1] >= num_classes):
            raise ValueError(
                f"Argument `y_pred` must hold class labels in [0, {num_classes}) "
                f"(num_classes={num_classes}), "
                f"got values in [{_fmt(pred_values[0])}, {_fmt(pred_values[1])}]."
            )
        if target_values:
            lo, hi = target_values[0], target_values[1]
            if len(target_values) == 3 and target_values[2]:
                raise ValueError(
                    "Argument `y` must hold integer class labels, got non-integral float values "
                    f"in [{lo!r}, {hi!r}]."
                )
            if lo < 0 or hi >= num_classes:
                extra = "" if ignore_index is None else f" or ignore_index={ignore_index}"
                raise ValueError(
                    f"Argument `y` must hold class labels in [0, {num_classes}){extra} "
                    f"(num_classes={num_classes}), got values in [{_fmt(lo)}, {_fmt(hi)}]."
                )
    return target.to(torch.int64), pred.to(torch.int64)
