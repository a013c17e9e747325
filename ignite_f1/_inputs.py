"""Argument checks and input formatting: pure torch, no Ignite import.

Every public error names the argument, the rule and the value given (scikit-learn's message shape).
Batch formatting functions validate everything before they return, so a metric that calls them first
and mutates its state afterwards leaves that state untouched when a batch is rejected. Values that
must be read on the host for validation are gathered into one tensor and read with a single sync
on an accelerator (on the CPU there is nothing to wait for).

A metric formats every batch, so formatting dispatches as few torch operations as it can (each
costs microseconds of fixed overhead, and may open a parallel region that stalls on a busy machine):
the arg-max is :func:`ignite_f1._argmax.argmax_unchecked`, validation reads one reduction per tensor
(``aminmax`` for scores and labels, ``amax`` of the arg-max's maxima), and binary and multilabel
batches come back as given, for :mod:`ignite_f1._counts` to threshold and count.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch

from ignite_f1 import _argmax, _counts, _validation
from ignite_f1._messages import number as _fmt

_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)
_LABEL_DTYPES = frozenset(_INT_DTYPES[:-1])


def logit_threshold(threshold: float) -> float:
    """The logit of a probability threshold: comparing logits with it equals comparing probabilities."""
    if threshold == 0.0:
        return -math.inf
    if threshold == 1.0:
        return math.inf
    return math.log(threshold) - math.log1p(-threshold)


# --------------------------------------------------------------------------- batch checks


_NAN_SCORES = "Argument `y_pred` must not contain NaN scores, got NaN."


def _check_tensor(name: str, value: Any) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"Argument `{name}` must be a torch.Tensor, got {type(value).__name__}.")
    if value.layout is not torch.strided or value.is_nested:  # else torch's errors, from deep inside
        raise TypeError(_validation.not_dense(name, value))
    if value.dtype not in _FLOAT_DTYPES and value.dtype not in _INT_DTYPES:
        raise TypeError(_validation.bad_dtype(name, value.dtype))
    return value


def _host_values(parts: list[torch.Tensor], extra: Any = None) -> list[float]:
    """Read the scalars validation needs: one synchronisation on an accelerator, none on the CPU.

    On an accelerator they are read at once, with those of ``extra`` (the weights' check, a
    :class:`ignite_f1._weights.WeightCheck`: its ``parts``, read into its ``values``); on the CPU
    reading each value costs less than gathering them."""
    if not parts:
        return []
    if parts[0].device.type == "cpu":
        return [p.item() for p in parts]
    more = [] if extra is None else extra.parts(parts[0].device)
    values: list[float] = torch.stack([p.to(torch.float64) for p in parts + more]).tolist()
    if more:
        extra.values = values[len(parts) :]
    return values[: len(parts)]


def _check_binary_target(name: str, lo: float, hi: float, integral: bool, multilabel: bool = False) -> None:
    if math.isnan(lo) or math.isnan(hi):  # NaN propagates into both: only float targets hold it
        raise ValueError(_validation.nan_targets(multiclass=False))
    if not integral or lo < 0 or hi > 1:
        raise ValueError(_validation.not_zero_one(name, lo, hi, integral, multilabel))


def _target_parts(y: torch.Tensor, converted: torch.Tensor | None = None) -> list[torch.Tensor]:
    """Scalars that tell whether a 0/1 target is valid: min, max and (for floats) integrality.

    For integer ``y``, ``converted`` (``y`` as floats, which counting reads anyway) can stand in: an
    integer converts into [0, 1] only if it is 0 or 1, and ``aminmax`` reads floats several times
    faster than int64. The values of an error message are then read again from ``y``
    (:func:`_exact_range`).
    """
    if y.dtype == torch.bool:
        return []
    lo, hi = torch.aminmax(y if converted is None or y.is_floating_point() else converted)
    parts = [lo, hi]
    if y.is_floating_point():
        parts.append((y != y.trunc()).any())
    return parts


def _exact_range(y: torch.Tensor, lo: float, hi: float) -> tuple[float, float]:
    """``(lo, hi)`` if they show a valid 0/1 tensor, else the exact range of ``y`` (for the message)."""
    if lo >= 0 and hi <= 1:
        return lo, hi
    exact_lo, exact_hi = torch.aminmax(y)
    return exact_lo.item(), exact_hi.item()


def _score_parts(y_pred: torch.Tensor) -> list[torch.Tensor]:
    """Scalars that tell whether float scores are valid: min and max (NaN propagates into both)."""
    lo, hi = torch.aminmax(y_pred)
    return [lo, hi]


def _check_scores(lo: float, hi: float, from_logits: bool) -> None:
    if math.isnan(lo) or math.isnan(hi):
        raise ValueError(_NAN_SCORES)
    if not from_logits and (lo < 0 or hi > 1):
        raise ValueError(_validation.not_probabilities(lo, hi))


def _check_zero_one_batch(
    y_pred: torch.Tensor,
    y: torch.Tensor,
    from_logits: bool,
    target: torch.Tensor | None,
    extra: Any,
    multilabel: bool = False,
) -> bool | None:
    """Check a non-empty binary or multilabel batch with one host synchronisation.

    Float ``y_pred`` must hold no NaN (and probabilities in [0, 1] unless ``from_logits``); integer
    ``y_pred`` and ``y`` must hold only 0 and 1. Scores are read with one ``aminmax`` (NaN
    propagates into both), whose minimum and maximum also tell whether logits look like
    probabilities; ``y`` with another (:func:`_target_parts`), or ``target``, ``y`` already
    converted to floats for counting, in its place when ``y`` holds integers. ``multilabel``: for
    the message of a wrong target (:func:`ignite_f1._messages.not_zero_one`).

    Returns:
        For float ``y_pred``, whether every score lies in [0, 1]; ``None`` for labels.
    """
    if y_pred.is_floating_point() and y.dtype in _LABEL_DTYPES and y.device.type == "cpu":
        # the usual batch, scores and integer targets, in fewer Python steps (a call's fixed cost)
        scores = torch.aminmax(y_pred)
        labels = torch.aminmax(y if target is None else target)
        low, high = scores[0].item(), scores[1].item()
        _check_scores(low, high, from_logits)
        _check_binary_target("y", *_exact_range(y, labels[0].item(), labels[1].item()), True, multilabel)
        return low >= 0 and high <= 1
    if y_pred.dtype == torch.bool:
        pred_parts: list[torch.Tensor] = []
    elif y_pred.is_floating_point():
        pred_parts = _score_parts(y_pred)
    else:
        pred_parts = _target_parts(y_pred)
    values = _host_values(pred_parts + _target_parts(y, target), extra)
    pred_values, target_values = values[: len(pred_parts)], values[len(pred_parts) :]
    in_unit_interval = None
    if pred_values and y_pred.is_floating_point():
        _check_scores(pred_values[0], pred_values[1], from_logits)
        in_unit_interval = pred_values[0] >= 0 and pred_values[1] <= 1
    elif pred_values:
        _check_binary_target("y_pred", pred_values[0], pred_values[1], True)
    if target_values:
        integral = len(target_values) < 3 or not target_values[2]
        y_lo, y_hi = _exact_range(y, target_values[0], target_values[1]) if integral else target_values[:2]
        _check_binary_target("y", y_lo, y_hi, integral, multilabel)
    return in_unit_interval


def score_threshold(threshold: float, from_logits: bool) -> float:
    """The threshold that float scores are compared with: ``logit(threshold)`` for logits."""
    return logit_threshold(threshold) if from_logits else threshold


def format_binary(
    y_pred: Any, y: Any, from_logits: bool, validate: bool = True, images: bool = False, extra: Any = None
) -> tuple[torch.Tensor, torch.Tensor, bool | None]:
    """Check a binary batch and return flat (y_pred, y) and a score flag.

    ``y_pred``: float scores (logits or probabilities) or 0/1 integer/bool labels, shape (N,), (N, 1)
    or (N, ...); ``y``: 0/1 of the same shape ((N,) also goes with (N, 1)). They come back flat, as
    given (no copy), except ``y`` converted to floats when :func:`ignite_f1._counts.binary_counts`
    counts floats (:func:`ignite_f1._counts.binary_target`), which validation then reads instead
    (``aminmax`` reads floats several times faster than int64).

    The flag tells whether every float score lies in [0, 1], read from validation's reduction; it is
    ``None`` for labels, an empty batch or ``validate=False``. Both of shape (N, 2) are refused
    unless they are ``images`` (per-image scores): a two-class output with one-hot targets, or two
    binary outputs per sample. ``extra``: read with validation's values (:func:`_host_values`)."""
    y_pred = _check_tensor("y_pred", y_pred)
    y = _check_tensor("y", y)
    if y_pred.ndim == 0:
        raise ValueError(
            f"Argument `y_pred` must have at least 1 dimension (N, ...), got shape {tuple(y_pred.shape)}."
        )
    if y_pred.shape != y.shape:
        squeezed = y_pred.squeeze(1) if y_pred.ndim == 2 and y_pred.shape[1] == 1 else y_pred
        target = y.squeeze(1) if y.ndim == 2 and y.shape[1] == 1 else y
        if squeezed.shape != target.shape and y_pred.ndim == 2 and y_pred.shape[1] == 2 and target.ndim == 1:
            raise ValueError(_validation.two_scores(tuple(y_pred.shape), tuple(y.shape)))
        if squeezed.shape != target.shape:
            raise ValueError(
                "Arguments `y_pred` and `y` must have the same shape ((N,) and (N, 1) go together), "
                f"got y_pred {tuple(y_pred.shape)} and y {tuple(y.shape)}."
            )
        y_pred, y = squeezed, target
    elif y.ndim == 2 and y.shape[1] == 2 and not images:
        raise ValueError(_validation.TWO_COLUMNS.format(shape=tuple(y.shape)))
    if y.ndim != 1:  # a reshape is one more dispatched operation: flat input skips it
        y_pred, y = y_pred.reshape(-1), y.reshape(-1)
    # counted as floats (large batches): converted here, so that validation reads the floats
    target = _counts.binary_target(y)
    in_unit_interval = None
    if validate and y.numel() > 0:
        in_unit_interval = _check_zero_one_batch(y_pred, y, from_logits, target, extra)
    return y_pred, y if target is None else target, in_unit_interval


def format_multilabel(
    y_pred: Any, y: Any, num_labels: int, from_logits: bool, validate: bool = True, extra: Any = None
) -> tuple[torch.Tensor, torch.Tensor, bool | None]:
    """Check a multilabel batch and return (y_pred, y) of shape (N, L), ``y`` as 0/1 floats.

    The rules, the score flag and ``extra`` are those of :func:`format_binary`, label by label.
    """
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
    target = _counts.multilabel_target(y)  # counted as floats: validation reads them
    in_unit_interval = None
    if validate and y.numel() > 0:
        in_unit_interval = _check_zero_one_batch(y_pred, y, from_logits, target, extra, multilabel=True)
    return y_pred, target, in_unit_interval


def _kept_range(target: torch.Tensor, keep: torch.Tensor | None) -> tuple[float, float]:
    """Smallest and largest kept target, for an error message (``keep`` is known to select some)."""
    kept = target if keep is None else target[keep]
    lo, hi = torch.aminmax(kept)
    return lo.item(), hi.item()


def format_multiclass(
    y_pred: Any,
    y: Any,
    num_classes: int,
    ignore_index: int | None,
    validate: bool = True,
    extra: Any = None,
    images: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a multi-class batch and return flat int64 (targets, predictions).

    ``y_pred``: scores (N, C, d1, ...) (arg-max over dim 1, first index on ties) or integer labels
    (N, d1, ...); ``y``: integer labels (N, d1, ...) (integral floats are accepted). Integer labels
    both (N, C) and only 0 and 1 are refused unless they are ``images`` (per-image scores): one-hot
    rows, or N label maps of C pixels (:func:`_validation.one_hot_pairs`); read from validation's
    values, so not told apart with ``validate=False``.

    Targets equal to ``ignore_index`` come back as a value >= ``num_classes`` (``ignore_index``
    itself when it is one, else ``num_classes``) with the prediction 0, so that their cell lies past
    the C x C matrix and :func:`ignite_f1._counts.add_confusion` skips it, whatever the prediction
    held: removing them from both tensors would copy the batch twice.
    """
    fast = _usual_multiclass_batch(y_pred, y, num_classes, ignore_index, validate)
    if fast is not None:
        return fast
    y_pred = _check_tensor("y_pred", y_pred)
    y = _check_tensor("y", y)
    pred, pred_parts = _multiclass_predictions(y_pred, y, num_classes, validate)
    if y.ndim != 1:  # a reshape is one more dispatched operation: flat input skips it
        y, pred = y.reshape(-1), pred.reshape(-1)
    target = y
    # a target of a dtype that cannot hold ignore_index never equals it (a comparison in that dtype
    # would wrap or round it: 256 reads 0 in uint8, -1 reads 255)
    keep = (
        None
        if ignore_index is None or not _represents(target.dtype, ignore_index)
        else target != ignore_index
    )
    if keep is not None and not y_pred.is_floating_point():
        # label predictions at ignored targets are dropped whatever they hold (often ignore_index, or
        # any integer): class 0 stands in, so that neither the check nor the count reads them (their
        # targets send the cell past the matrix); arg-max predictions are always in [0, C)
        pred = torch.where(keep, pred, 0)
    if validate and not y_pred.is_floating_point() and pred.numel() > 0:
        pred_parts = list(torch.aminmax(pred))
    if validate and target.numel() > 0:
        # ignored targets read as 0, a valid class, so one aminmax checks the kept ones
        lo, hi = torch.aminmax(target if keep is None else torch.where(keep, target, 0))
        target_parts = [lo, hi]
        if target.is_floating_point():
            target_parts.append((target != target.trunc()).any())
        values = _host_values(pred_parts + target_parts, extra)
        pred_values, target_values = values[: len(pred_parts)], values[len(pred_parts) :]
        _check_multiclass_values(pred_values, target_values, num_classes, ignore_index, target, keep)
        pairs = not (y_pred.is_floating_point() or images) and y_pred.shape[1:] == (num_classes,)
        if pairs and pred_values[1] <= 1 and target_values[1] <= 1:  # only 0 and 1 (all >= 0: checked)
            raise ValueError(_validation.one_hot_pairs(tuple(y_pred.shape), num_classes))
    if target.dtype != torch.int64:
        target = target.to(torch.int64)
    if keep is not None and not _lands_past_the_matrix(ignore_index, num_classes, target.numel()):
        target = torch.where(keep, target, num_classes)
    return target, pred if pred.dtype == torch.int64 else pred.to(torch.int64)


@functools.lru_cache(maxsize=64)  # per batch with ignore_index: a few (dtype, value) pairs per run
def _represents(dtype: torch.dtype, value: int) -> bool:  # whether ``dtype`` holds ``value`` exactly
    if dtype.is_floating_point:
        return float(torch.tensor(value, dtype=torch.float64).to(dtype)) == value
    info = torch.iinfo(dtype)
    return info.min <= value <= info.max


def _multiclass_predictions(
    y_pred: torch.Tensor, y: torch.Tensor, num_classes: int, validate: bool
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Check a multi-class batch's shapes and dtypes; (predictions, values validation reads).

    Predictions are the arg-max of float scores or the integer labels themselves; the values to
    read are validation's (the scores' maximum, NaN if one is NaN, unless the arg-max's own check,
    read on the host, already tells NaN apart).
    """
    if y.ndim < 1:
        raise ValueError(f"Argument `y` must have at least 1 dimension (N, ...), got shape {tuple(y.shape)}.")
    _check_not_one_hot(y_pred, y, num_classes)
    if y_pred.is_floating_point():
        if y_pred.ndim != y.ndim + 1:
            raise ValueError(_validation.float_scores_rank(tuple(y_pred.shape), tuple(y.shape)))
        if y_pred.shape[1] != num_classes:
            raise ValueError(_validation.scores_per_class(num_classes, tuple(y_pred.shape)))
        if y_pred.shape[:1] + y_pred.shape[2:] != y.shape:
            raise ValueError(
                "Arguments `y_pred` (N, num_classes, d1, ...) and `y` (N, d1, ...) must agree in N and "
                f"d1, ..., got y_pred {tuple(y_pred.shape)} and y {tuple(y.shape)}."
            )
        if y.dtype == torch.bool:
            raise TypeError("Argument `y` must hold integer class labels, got dtype torch.bool.")
        pred_parts: list[torch.Tensor] = []
        if y.numel() == 0:
            pred = torch.empty(0, dtype=torch.int64, device=y_pred.device)
        else:
            pred, _, check = _argmax.argmax_unchecked(y_pred, dim=1)
            if check is None:  # torch.argmax's indices: validation reads the scores' maximum
                pred_parts = [y_pred.amax()] if validate else []  # NaN if a score is
            else:  # the fast path's check, read on the host, is NaN if a score is
                if validate and check != check:
                    raise ValueError(_NAN_SCORES)
                pred = _argmax.settle(y_pred, 1, pred, check)
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
        if y.dtype == torch.bool:
            raise TypeError("Argument `y` must hold integer class labels, got dtype torch.bool.")
        pred = y_pred
        pred_parts = []
    return pred, pred_parts


def _usual_multiclass_batch(
    y_pred: Any, y: Any, num_classes: int, ignore_index: int | None, validate: bool
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """:func:`format_multiclass` of the usual batch in fewer Python steps, or ``None`` for any other.

    The usual batch: (N, C) float scores that ``torch.argmax`` takes (see :mod:`ignite_f1._argmax`)
    and (N,) int64 labels on the CPU, without ``ignore_index``. A call's fixed cost is mostly Python
    and op dispatch: this path makes the three ops and three reads of the general one and nothing
    else. A batch that fails a check goes to the general path, which names what is wrong.
    """
    if not (
        ignore_index is None
        and isinstance(y_pred, torch.Tensor)
        and isinstance(y, torch.Tensor)
        and y_pred.layout is torch.strided  # else refused by the general path's check, by name
        and y.layout is torch.strided
        and not (y_pred.is_nested or y.is_nested)
        and y_pred.ndim == 2
        and y.ndim == 1
        and y.dtype == torch.int64
        and y_pred.dtype in _FLOAT_DTYPES
        and y_pred.shape[1] == num_classes
        and y_pred.shape[0] == y.shape[0] > 0
        and y_pred.device.type == "cpu"
        and y.device.type == "cpu"
        and _argmax.uses_torch_argmax(y_pred, 1)
    ):
        return None
    pred = torch.argmax(y_pred, dim=1)
    if validate:
        lo, hi = torch.aminmax(y)
        top = y_pred.amax().item()  # NaN if a score is NaN
        if top != top or lo.item() < 0 or hi.item() >= num_classes:
            return None
    return y, pred


def _check_not_one_hot(y_pred: torch.Tensor, y: torch.Tensor, num_classes: int) -> None:
    """Name the two common target mistakes: one-hot (N, C, ...) targets, and (N, 1, ...) targets.

    Valid labels have y_pred's shape without its class dimension (scores) or y_pred's own (labels);
    these mistakes have one dimension more, at dimension 1, so valid input never reaches a raise.
    """
    if y.ndim < 2:
        return
    # the shape of the labels y should be: y_pred's without its class dimension, or y_pred's own
    labels = y_pred.shape[:1] + y_pred.shape[2:] if y_pred.is_floating_point() else y_pred.shape
    if y.shape[:1] + y.shape[2:] != labels:
        return
    got = f"got y {tuple(y.shape)} with y_pred {tuple(y_pred.shape)}"
    if y.shape[1] == num_classes:  # >= 2
        raise ValueError(
            "Argument `y` must hold one class label per sample, shape (N, ...), not one-hot "
            f"(N, num_classes={num_classes}, ...), {got}: pass y.argmax(1)."
        )
    if y.shape[1] == 1:
        raise ValueError(
            f"Argument `y` must hold class labels of shape (N, ...) without a dimension of size 1, {got}: "
            "pass y.squeeze(1)."
        )


def _lands_past_the_matrix(ignore_index: int | None, num_classes: int, batch: int) -> bool:
    """Whether targets equal to ``ignore_index`` can be left in place for counting.

    They can when ``ignore_index >= num_classes`` (their cells fall past the C x C matrix) and
    counting them there stays O(batch): a dense count up to ``(ignore_index + 1) * C`` cells.
    """
    return (
        ignore_index is not None and num_classes <= ignore_index and (ignore_index + 1) * num_classes <= batch
    )


def _check_multiclass_values(
    pred_values: list[float],
    target_values: list[float],
    num_classes: int,
    ignore_index: int | None,
    target: torch.Tensor,
    keep: torch.Tensor | None,
) -> None:
    """Raise on NaN scores, labels out of range, non-integral or out-of-range kept targets."""
    if len(pred_values) == 1 and math.isnan(pred_values[0]):
        raise ValueError(_NAN_SCORES)
    if len(pred_values) == 2 and (pred_values[0] < 0 or pred_values[1] >= num_classes):
        raise ValueError(
            f"Argument `y_pred` must hold class labels in [0, {num_classes}) "
            f"(num_classes={num_classes}), "
            f"got values in [{_fmt(pred_values[0])}, {_fmt(pred_values[1])}]."
        )
    if not target_values:
        return
    lo, hi = target_values[0], target_values[1]
    non_integral = len(target_values) == 3 and bool(target_values[2])
    if not non_integral and lo >= 0 and hi < num_classes:
        return
    if math.isnan(lo) or math.isnan(hi):  # NaN propagates into both (kept: it is no ignore_index)
        raise ValueError(_validation.nan_targets(multiclass=True))
    lo, hi = _kept_range(target, keep)
    if non_integral:
        raise ValueError(
            f"Argument `y` must hold integer class labels, got non-integral float values in [{lo!r}, {hi!r}]."
        )
    extra = "" if ignore_index is None else f" or ignore_index={ignore_index}"
    hint, seen = "", lo if lo < 0 else hi
    if not (math.isfinite(lo) and math.isfinite(hi)):  # no ignore_index is inf: it is an integer
        hint = ": class labels are finite, and ignore_index is an integer; check how the targets are made"
    elif ignore_index is None and -(2**63) <= seen < 2**63:  # an ignore_index the constructor takes
        hint = (
            f": if {_fmt(seen)} marks targets to skip (padding, void pixels), pass "
            f"ignore_index={_fmt(seen)}; otherwise check num_classes and the labels"
        )
    raise ValueError(
        f"Argument `y` must hold class labels in [0, {num_classes}){extra} "
        f"(num_classes={num_classes}), got values in [{_fmt(lo)}, {_fmt(hi)}]{hint}."
    )
