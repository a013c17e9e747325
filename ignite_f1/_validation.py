"""Constructor argument checks: one message shape for every public argument.

Each check names the argument, the rule and the value given ("Argument `beta` must be a finite real
number > 0, got 0."), raises ``TypeError`` for a wrong type and ``ValueError`` for a wrong value,
and returns the value normalised (``float``, ``int``, ``list``). Batch checks are in
:mod:`ignite_f1._inputs`; the messages of its common mistakes, which also say what to do, are here
(:func:`not_probabilities`, :func:`not_zero_one`, :func:`float_scores_rank`, :func:`one_hot_pairs`...).
"""

from __future__ import annotations

import collections
import math
import numbers
import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

AVERAGES_MULTICLASS = ("micro", "macro", "weighted", None)
AVERAGES_MULTILABEL = ("micro", "macro", "weighted", "samples", None)

ZeroDivision = str | float


def is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_bool(name: str, value: Any) -> bool:
    """Check a flag such as ``validate_args``: a ``bool`` (a string such as ``"False"`` is refused)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Argument `{name}` must be True or False (a bool), got {value!r}.")
    return bool(value)


class _Required:
    """The default of a keyword argument that has none: its repr shows in signatures and docs."""

    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Required()
"""Default of ``from_logits``: omitting it raises :func:`check_from_logits`'s ``TypeError``."""


def check_from_logits(from_logits: Any, metric: str) -> bool:
    """Check ``from_logits``, which a binary or multilabel metric must be given explicitly.

    Probabilities are valid logits, so no default can be right for both: guessing would silently
    count sigmoid outputs against the wrong threshold.
    """
    if from_logits is REQUIRED:
        raise TypeError(
            f"{metric}() needs the keyword argument `from_logits`: from_logits=True when `y_pred` holds "
            "raw model outputs (logits, such as a Linear layer's), from_logits=False when it holds "
            "probabilities (after a sigmoid) or 0/1 labels."
        )
    return check_bool("from_logits", from_logits)


_ONE = {
    "num_classes": "a yes/no task (one score or 0/1 label per sample) is binary: use BinaryF1Score or "
    "BinaryFBetaScore",
    "num_labels": "for a single label, use BinaryF1Score or BinaryFBetaScore (they take (N,) and (N, 1) "
    "input)",
}
"""What to do instead of ``num_classes=1`` or ``num_labels=1`` (said by :func:`check_count`)."""


def check_count(name: str, value: Any, minimum: int = 2) -> int:
    """Check an integer argument such as ``num_classes`` (an integer >= ``minimum``)."""
    if not is_int(value):
        raise TypeError(f"Argument `{name}` must be an integer >= {minimum}, got {value!r}.")
    if value < minimum:
        hint = _ONE.get(name) if value == 1 else None
        raise ValueError(
            f"Argument `{name}` must be an integer >= {minimum}, got {value!r}"
            + (f": {hint}." if hint else ".")
        )
    return int(value)


def check_beta(beta: Any) -> float:
    """Check ``beta``: a finite real > 0 whose square is a positive float64, and small enough that
    ``1 + beta**2`` times any int64 count (up to 2**63) is a finite float64: the score's numerator
    ``(1 + beta**2) * tp`` and denominator ``beta**2 * (tp + fn) + tp + fp`` are at most that, and
    an infinite one makes it NaN (sums of weights: :func:`ignite_f1._weights.finite_total`). A square
    that underflows is 0, which makes F-beta precision: scikit-learn then leaves undefined a sample
    with true labels and no predicted one, which every beta whose square is > 0 scores 0."""
    value = check_real("beta", beta, 0, open_low=True)
    if not _beta_fits(value):
        raise ValueError(
            "Argument `beta` must be a finite real number > 0 whose square is a positive float64 and "
            "small enough that (1 + beta ** 2) times any int64 count (2 ** 63) is a finite float64 "
            f"({_SMALLEST_BETA:.6g} <= beta <= {_LARGEST_BETA:.6g}: the score weighs recall by beta ** 2, "
            f"and a larger beta overflows its arithmetic), got {beta!r}: pass a beta in that range."
        )
    return value


MAX_COUNT = float(2**63)  # the largest int64 count, as a float64


def _beta_fits(beta: float) -> bool:
    return beta * beta > 0 and math.isfinite((1.0 + beta * beta) * MAX_COUNT)


def _largest_beta() -> float:
    """The largest float64 that :func:`_beta_fits`, found from ``sqrt(max / 2**63)`` ulp by ulp."""
    beta = math.sqrt(sys.float_info.max / MAX_COUNT)
    while _beta_fits(math.nextafter(beta, math.inf)):
        beta = math.nextafter(beta, math.inf)
    while not _beta_fits(beta):
        beta = math.nextafter(beta, 0.0)
    return beta


_LARGEST_BETA = _largest_beta()
"""About 4.4e144 (``tests/test_validation.py`` checks that the next float64 is refused)."""
_SMALLEST_BETA = 1.5717277847026288e-162
"""The smallest float64 whose square is not 0 (``tests/test_validation.py`` checks it)."""


def check_threshold(threshold: Any) -> float:
    """Check ``threshold``: a probability in [0, 1]."""
    return check_real("threshold", threshold, 0, 1)


def check_zero_division(zero_division: Any) -> ZeroDivision:
    """Check ``zero_division`` against what scikit-learn takes: "warn", 0.0, 1.0 or nan."""
    if isinstance(zero_division, str) and zero_division == "warn":
        return "warn"
    if is_real(zero_division) and (zero_division in (0, 1) or math.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(f'Argument `zero_division` must be "warn", 0.0, 1.0 or nan, got {zero_division!r}.')


def check_average(average: Any, options: tuple[str | None, ...]) -> str | None:
    """Check ``average`` against the options of the metric."""
    if average is not None and not isinstance(average, str):
        raise ValueError(f"Argument `average` must be one of {list(options)}, got {average!r}.")
    option: str | None = check_choice("average", average, options)  # a str, not a subclass such as np.str_
    return option


def check_labels(labels: Any, num_classes: int) -> list[int] | None:
    """Check ``labels``: None, or a non-empty sequence of distinct class indices in [0, num_classes)."""
    if labels is None:
        return None
    if isinstance(labels, (torch.Tensor, np.ndarray)):
        labels = labels.tolist()
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
        raise TypeError(
            f"Argument `labels` must be None or a non-empty sequence of class indices, got {labels!r}."
        )
    if len(labels) == 0:
        raise ValueError(
            f"Argument `labels` must be None or a non-empty sequence of class indices, got {labels!r}."
        )
    if not all(is_int(label) for label in labels):
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


REPORT_KEYS = ("accuracy", "macro avg", "micro avg", "weighted avg", "samples avg")
"""Keys that ``classification_report(output_dict=True)`` gives to its averages, next to the classes."""


def check_class_names(class_names: Any, count: int, count_name: str) -> list[str] | None:
    """Check ``class_names``: None, or ``count`` distinct strings, none of them a :data:`REPORT_KEYS` key."""
    if class_names is None:
        return None
    if isinstance(class_names, np.ndarray):
        class_names = class_names.tolist()
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
    if len(set(names)) != len(names):  # linear: 100,000 names are checked at every image
        duplicates = sorted(name for name, times in collections.Counter(names).items() if times > 1)
        raise ValueError(f"Argument `class_names` must not repeat a name, got duplicates {duplicates!r}.")
    reserved = [name for name in names if name in REPORT_KEYS]
    if reserved:
        raise ValueError(
            f"Argument `class_names` must not use the keys of scikit-learn's classification report "
            f"{list(REPORT_KEYS)!r} (a class row would be overwritten by an average), got {reserved!r}: "
            "rename those classes."
        )
    return names


_INT64 = torch.iinfo(torch.int64)


def check_ignore_index(ignore_index: Any) -> int | None:
    """Check ``ignore_index``: None or an integer that fits in int64 (targets are compared with it)."""
    if ignore_index is None:
        return None
    if not is_int(ignore_index):
        raise TypeError(f"Argument `ignore_index` must be None or an integer, got {ignore_index!r}.")
    if not _INT64.min <= ignore_index <= _INT64.max:
        raise ValueError(
            f"Argument `ignore_index` must fit in int64, in [{_INT64.min}, {_INT64.max}], "
            f"got {ignore_index!r}: use the value that marks skipped targets in `y` (such as -100 or 255)."
        )
    return int(ignore_index)


MAX_CONFUSION_BYTES = 1 << 34
"""Largest count state a metric allocates: the C x C int64 confusion matrix (16 GiB: num_classes up
to 46,340), or any other (:func:`state_too_large`)."""


def check_confusion_size(num_classes: int) -> int:
    """Check that a C x C int64 matrix (C = ``num_classes``) fits in :data:`MAX_CONFUSION_BYTES`."""
    size = num_classes * num_classes * 8
    if size > MAX_CONFUSION_BYTES:
        raise ValueError(
            matrix_too_large(num_classes, f"more than the limit of {MAX_CONFUSION_BYTES:,} bytes")
        )
    return num_classes


def matrix_too_large(num_classes: int, why: str) -> str:
    """The message for a confusion matrix that does not fit: its size, why, and what to do."""
    size = num_classes * num_classes * 8
    return (
        f"Argument `num_classes` must be small enough for the {num_classes} x {num_classes} int64 confusion "
        f"matrix this metric keeps ({size:,} bytes), got {num_classes} ({why}): reduce the number of classes "
        "(for instance by grouping rare ones), or build the metric with keep_confusion_matrix=False, which "
        "keeps per-class counts only (O(num_classes) memory) and computes every score and report from them."
    )


_FEWER = {
    "num_classes": "reduce the number of classes (for instance by grouping rare ones)",
    "num_labels": "reduce the number of labels (for instance by scoring groups of them in separate metrics)",
    "num_thresholds": "use fewer thresholds (a few hundred already give a smooth curve)",
}


def check_state_size(settings: dict[str, Any], shape: tuple[int, ...], dtype: torch.dtype) -> None:
    """Refuse a count state of ``shape`` larger than :data:`MAX_CONFUSION_BYTES` (:func:`state_too_large`)."""
    if math.prod(shape) * dtype.itemsize > MAX_CONFUSION_BYTES:
        why = f"more than the limit of {MAX_CONFUSION_BYTES:,} bytes"
        raise ValueError(state_too_large(settings, shape, dtype, why))


def state_too_large(settings: dict[str, Any], shape: tuple[int, ...], dtype: torch.dtype, why: str) -> str:
    """The message for a count state of ``shape`` that does not fit: the size arguments among a
    metric's ``settings`` that it comes from, its size, why, and what to do."""
    matches = {name: settings[name] for name in _FEWER if settings.get(name) in shape}
    arguments = {
        name: value for name, value in matches.items() if value > 4
    } or matches  # not a fixed 2, 3, 4
    size = math.prod(shape) * dtype.itemsize
    names = " and ".join(f"`{name}`" for name in arguments)
    got = ", ".join(f"{name}={value}" for name, value in arguments.items())
    return (
        f"Argument{'s' if len(arguments) > 1 else ''} {names} must be small enough for the counts of "
        f"shape {tuple(shape)} ({str(dtype).removeprefix('torch.')}, {size:,} bytes) this metric keeps, "
        f"got {got} ({why}): {'; or '.join(_FEWER[name] for name in arguments)}."
    )


def allocator_refused(error: RuntimeError) -> bool:
    """Whether ``error`` is an allocator's refusal (``torch.OutOfMemoryError`` on an accelerator)."""
    text = str(error).lower()
    return isinstance(error, torch.OutOfMemoryError) or "allocat" in text or "out of memory" in text


KEEP_CONFUSION_MATRIX_UP_TO = 1024
"""``keep_confusion_matrix=None`` keeps the C x C matrix up to this many classes (8 MiB of int64)."""


def check_keep_confusion_matrix(keep_confusion_matrix: Any, num_classes: int) -> bool:
    """Resolve ``keep_confusion_matrix``: ``None`` keeps the matrix up to
    :data:`KEEP_CONFUSION_MATRIX_UP_TO` classes."""
    if keep_confusion_matrix is None:
        return num_classes <= KEEP_CONFUSION_MATRIX_UP_TO
    if not isinstance(keep_confusion_matrix, (bool, np.bool_)):
        raise TypeError(
            f"Argument `keep_confusion_matrix` must be None, True or False, got {keep_confusion_matrix!r}."
        )
    return bool(keep_confusion_matrix)


def check_real(
    name: str, value: Any, low: float | None = None, high: float | None = None, *, open_low: bool = False
) -> float:
    """Check a real argument: finite, >= ``low`` (> ``low`` with ``open_low``) and <= ``high``.

    The rule is stated the same way in the ``TypeError`` (not a real number) and the ``ValueError``.
    """
    rule = "a finite real number"
    if low is not None and high is not None and not open_low:
        rule = f"a real number in [{low:g}, {high:g}]"
    elif low is not None:
        rule += f" {'>' if open_low else '>='} {low:g}" + ("" if high is None else f" and <= {high:g}")
    elif high is not None:
        rule += f" <= {high:g}"
    if not is_real(value):
        raise TypeError(f"Argument `{name}` must be {rule}, got {value!r}.")
    too_low = low is not None and (value <= low if open_low else value < low)
    if not math.isfinite(value) or too_low or (high is not None and value > high):
        raise ValueError(f"Argument `{name}` must be {rule}, got {value!r}.")
    return float(value)


def check_string(name: str, value: Any) -> str:
    """Check a non-empty string argument (a ``TypeError`` for another type, a ``ValueError`` for "")."""
    if not isinstance(value, str):
        raise TypeError(f"Argument `{name}` must be a non-empty string, got {value!r}.")
    if not value:
        raise ValueError(f"Argument `{name}` must be a non-empty string, got {value!r}.")
    return value


def check_choice(name: str, value: Any, options: Sequence[Any]) -> Any:
    """Check that ``value`` is one of ``options`` and return that option.

    Compared by type and value (``1`` is not ``True``), except that any string equal to a string
    option is taken (a ``numpy.str_`` such as an element of a NumPy array of names), as the option.
    """
    for option in options:
        same_type = type(value) is type(option) or (isinstance(option, str) and isinstance(value, str))
        if same_type and value == option:
            return option
    raise ValueError(f"Argument `{name}` must be one of {list(options)}, got {value!r}.")


TAG_CHARACTERS = re.compile(r"[^-/\w.]")
"""Characters TensorBoard and tensorboardX replace by ``_`` in a tag."""


def check_tag(tag: Any) -> str:
    """Check a TensorBoard tag: a string that is not empty once cleaned; returns it cleaned."""
    if not isinstance(tag, str):
        raise TypeError(f"Argument `tag` must be a non-empty string, got {tag!r}.")
    cleaned = TAG_CHARACTERS.sub("_", tag).lstrip("/").rstrip("/")
    if not cleaned:
        raise ValueError(f"Argument `tag` must be a non-empty string, got {tag!r}.")
    return cleaned


# --------------------------------------------------------------------------- batch messages


def not_probabilities(lo: float, hi: float) -> str:
    """The message for scores outside [0, 1] with ``from_logits=False``: most often logits."""
    return (
        "Argument `y_pred` must hold probabilities in [0, 1] when from_logits=False, "
        f"got values in [{lo!r}, {hi!r}]: if these are logits (raw model outputs, before a sigmoid), "
        "build the metric with from_logits=True."
    )


def not_zero_one(name: str, lo: str, hi: str, integral: bool) -> str:
    """The message for binary or multilabel targets (or integer predictions) other than 0 and 1."""
    got = f"got values in [{lo}, {hi}]" + ("" if integral else " including non-integral values")
    if name != "y":
        fix = "integer y_pred is read as predicted labels; pass scores as a float tensor"
    elif integral:
        fix = "map the targets to 0 and 1 first, e.g. (y > 0).long() for -1/+1 targets"
    else:
        fix = "map the targets to 0 and 1 first, e.g. (y >= 0.5).long() for soft (smoothed) targets"
    return f"Argument `{name}` must hold only 0 and 1, {got}: {fix}."


def not_dense(name: str, value: torch.Tensor, where: str = "") -> str:
    """The message for a tensor that is not dense: sparse (COO, CSR, CSC, BSR, BSC), mkldnn or nested."""
    rule = f"Argument `{name}`{where} must be a dense (strided) tensor"
    if value.is_nested:  # padding would count the pads: the samples of the batch are its tensors
        return (
            f"{rule}, got a nested tensor (layout {value.layout}): pass its tensors joined into one, "
            f"such as torch.cat({name}.unbind())."
        )
    return f"{rule}, got layout {value.layout}: pass {name}.to_dense()."


def float_scores_rank(pred_shape: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """The message for float multi-class ``y_pred`` without one dimension more than ``y``.

    Of ``y``'s shape, it holds float labels or one score per sample: the message says what to do."""
    fix = ""
    if pred_shape == shape:
        fix = (
            ": predicted class labels must be an integer tensor (pass y_pred.long()), and for one "
            "probability or logit per sample (two classes) use BinaryF1Score or BinaryFBetaScore"
        )
    return (
        "Argument `y_pred` of float scores must have one more dimension than `y`: "
        f"(N, num_classes, ...) with y (N, ...), got y_pred {pred_shape} and y {shape}{fix}."
    )


_DTYPES = "float16, bfloat16, float32, float64, uint8, int8, int16, int32, int64 or bool"


def bad_dtype(name: str, dtype: torch.dtype) -> str:
    """The message for a tensor of a dtype that batches cannot have (uint16, float8, complex...)."""
    if dtype.is_complex:
        fix = "complex values have no order to threshold nor to take the arg-max of: pass real ones"
    elif dtype.is_floating_point:
        fix = f"pass {name}.float()"
    else:
        fix = f"pass {name}.long()"
    return f"Argument `{name}` must have one of the dtypes {_DTYPES}, got {dtype}: {fix}."


def nan_targets(multiclass: bool) -> str:
    """The message for NaN among float targets (their range would read [nan, nan])."""
    if multiclass:
        return (
            "Argument `y` must hold integer class labels, got NaN: drop the samples whose target is NaN, "
            "or set their targets to a value passed as ignore_index (such as -100)."
        )
    return "Argument `y` must hold only 0 and 1, got NaN: drop the samples whose target is NaN first."


def scores_per_class(num_classes: int, shape: tuple[int, ...]) -> str:
    """The message for float multi-class ``y_pred`` without ``num_classes`` scores in dimension 1."""
    fix = ": one probability or logit per sample is binary: use BinaryF1Score or BinaryFBetaScore"
    return (
        f"Argument `y_pred` must have num_classes={num_classes} scores in dimension 1, got shape {shape}"
        f"{fix if shape[1] == 1 else ''}."
    )


def one_hot_pairs(shape: tuple[int, ...], num_classes: int) -> str:
    """The message for integer ``y_pred`` and ``y`` both (N, num_classes) of 0 and 1: one-hot rows,
    or label maps of num_classes pixels holding classes 0 and 1 only?"""
    return (
        f"Arguments `y_pred` and `y` must not both be (N, num_classes={num_classes}) integers holding only 0 "
        f"and 1, got both {shape}: one-hot rows and N label maps of {num_classes} "
        "pixels both look like this, and their F1 differ. For one-hot rows pass y_pred.argmax(1) and "
        f"y.argmax(1); for label maps of width {num_classes}, add a dimension: y_pred.unsqueeze(1) and "
        f"y.unsqueeze(1), of shape (N, 1, {num_classes})."
    )


TWO_COLUMNS = (
    "Arguments `y_pred` and `y` of a binary metric must not both have shape (N, 2), got {shape}: "
    "a two-class output with one-hot targets and two binary outputs per sample both look like this, "
    "and their F1 differ. For a two-class output keep the positive class's column: y_pred[:, 1] "
    "(softmax probabilities, from_logits=False) or y_pred[:, 1] - y_pred[:, 0] (two-class logits), "
    "with y[:, 1]. For two binary outputs per sample use MultilabelF1Score(num_labels=2) with "
    'average="micro" (the counts of both pooled) or "samples" (per sample).'
)
"""The message for binary (N, 2) ``y_pred`` and ``y`` (with ``shape``): what to pass for each reading."""


def two_scores(pred_shape: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """The message for binary ``y_pred`` (N, 2) with ``y`` (N,): two-class outputs."""
    return (
        "Argument `y_pred` of a binary metric must hold one score per sample, shape (N,) or (N, 1) "
        f"like y, got y_pred {pred_shape} and y {shape} (two scores per sample): "
        "for two-class outputs use MulticlassF1Score(num_classes=2), or keep the positive class's "
        "column: y_pred[:, 1] for softmax probabilities (from_logits=False), "
        "y_pred[:, 1] - y_pred[:, 0] for two-class logits (from_logits=True)."
    )


def column_of_labels(shape: tuple[int, ...]) -> str:
    """The message for multi-class targets (N, 1) with multidim_average='samplewise'."""
    return (
        f"Argument `y` of shape {shape} is ambiguous with multidim_average='samplewise': (N, 1) class labels "
        "are N samples in a column (as multidim_average='global' reads them), or N images of one pixel, "
        "each scored alone. Pass images as (N, d1, ...) with d1, ... the pixels (for one-pixel images, "
        "y of shape (N, 1, 1) with y_pred (N, num_classes, 1, 1) or (N, 1, 1)), or use "
        "multidim_average='global' for one score over all samples."
    )
