"""Constructor argument checks: one message shape for every public argument.

Each check names the argument, the rule and the value given ("Argument `beta` must be a finite real
number > 0, got 0."), raises ``TypeError`` for a wrong type and ``ValueError`` for a wrong value,
and returns the value normalised (``float``, ``int``, ``list``). Batch checks are in
:mod:`ignite_f1._inputs`; the messages of its common mistakes, which also say what to do, are in
:mod:`ignite_f1._messages` and imported here (``not_probabilities``, ``not_zero_one``,
``float_scores_rank``, ``one_hot_pairs``...).
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

from ignite_f1._messages import TWO_COLUMNS as TWO_COLUMNS
from ignite_f1._messages import bad_dtype as bad_dtype
from ignite_f1._messages import column_of_labels as column_of_labels
from ignite_f1._messages import float_scores_rank as float_scores_rank
from ignite_f1._messages import nan_targets as nan_targets
from ignite_f1._messages import not_dense as not_dense
from ignite_f1._messages import not_probabilities as not_probabilities
from ignite_f1._messages import not_zero_one as not_zero_one
from ignite_f1._messages import one_hot_pairs as one_hot_pairs
from ignite_f1._messages import scores_per_class as scores_per_class
from ignite_f1._messages import two_scores as two_scores

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


DEVICES = (
    'a device that torch reads and can keep the counts on, such as "cpu", "cuda:0" or torch.device("cpu")'
)


def check_device(device: Any) -> torch.device:
    """Check ``device`` as torch reads it (a ``str``, a ``torch.device`` or an accelerator index), and
    usable: an empty tensor is made on it, as the counts are at construction (a ``TypeError`` for a
    value torch refuses by type, a ``ValueError`` naming torch's reason otherwise). A meta device is
    refused: its tensors hold no values, so the counts could not be read. XLA is left to Ignite."""
    try:
        parsed = torch.device(device)
    except TypeError:
        raise TypeError(f"Argument `device` must be {DEVICES}, got {device!r}.") from None
    except RuntimeError as error:
        raise ValueError(
            f"Argument `device` must be {DEVICES}, got {device!r}: {_first_line(error)}"
        ) from None
    if parsed.type == "meta":
        raise ValueError(
            f"Argument `device` must not be a meta device (meta tensors hold no values: the counts could "
            f'not be read), got {device!r}: use "cpu" or an accelerator such as "cuda:0".'
        )
    if parsed.type != "xla":  # Ignite's Metric refuses it with its own message
        try:
            torch.empty(0, device=parsed)
        except (RuntimeError, AssertionError, NotImplementedError) as error:  # torch's, for each backend
            raise ValueError(
                f"Argument `device` must be {DEVICES}, got {device!r}: {_first_line(error)}"
            ) from None
    return parsed


def _first_line(error: BaseException) -> str:
    """Torch's reason for refusing a device, on one line (ending with a full stop)."""
    line = (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
    return f"torch says {line!r}."


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
    """Check ``zero_division`` against what scikit-learn takes: "warn", 0.0, 1.0 or nan (a
    ``TypeError`` for neither a string nor a real number, such as None or a bool)."""
    message = f'Argument `zero_division` must be "warn", 0.0, 1.0 or nan, got {zero_division!r}.'
    if not (isinstance(zero_division, str) or is_real(zero_division)):
        raise TypeError(message)
    if isinstance(zero_division, str) and zero_division == "warn":
        return "warn"
    if is_real(zero_division) and (zero_division in (0, 1) or math.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(message)


def check_average(average: Any, options: tuple[str | None, ...]) -> str | None:
    """Check ``average`` against the options of the metric (:func:`check_choice`)."""
    option: str | None = check_choice("average", average, options)  # a str, not a subclass such as np.str_
    return option


def check_labels(labels: Any, num_classes: int) -> list[int] | None:
    """Check ``labels``: None, or a non-empty sequence of distinct class indices in [0, num_classes)."""
    if labels is None:
        return None
    rule = f"Argument `labels` must be None or a non-empty sequence of class indices, got {labels!r}."
    if isinstance(labels, (torch.Tensor, np.ndarray)):
        labels = labels.tolist()  # a 0-d one gives a number: the message shows what was given
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
        raise TypeError(rule)
    if len(labels) == 0:
        raise ValueError(rule)
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
    A choice among strings (and ``None``) raises a ``TypeError`` for a value of another type (``1``,
    ``True``), a ``ValueError`` for an unknown string.
    """
    for option in options:
        same_type = type(value) is type(option) or (isinstance(option, str) and isinstance(value, str))
        if same_type and value == option:
            return option
    message = f"Argument `{name}` must be one of {list(options)}, got {value!r}."
    strings = all(option is None or isinstance(option, str) for option in options)
    if strings and not isinstance(value, str):  # None when None is no option, too
        raise TypeError(message)
    raise ValueError(message)


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
