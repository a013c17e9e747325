"""Constructor arguments (``ignite_f1/_validation.py``): one message shape for every public argument.

Each rejected argument raises ``TypeError`` (wrong type) or ``ValueError`` (wrong value) with a
message that names the argument, the rule and the value given; each accepted one is stored
normalised (``float``, ``int``, ``list``). Checked through the metrics' constructors, where users
meet them, and directly for the checks the handlers and TensorBoard share.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
from _reference import assert_close, assert_same, record_warnings, sklearn_fbeta
from sklearn.metrics import classification_report, f1_score

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
    MultilabelFBetaScore,
    _validation,
)

NAN = float("nan")

# --------------------------------------------------------------------------- constructor arguments


def _mc(**kwargs: Any) -> Callable[[], Any]:
    return lambda: MulticlassFBetaScore(**{"beta": 1.0, "num_classes": 3, **kwargs})


def _ml(**kwargs: Any) -> Callable[[], Any]:
    return lambda: MultilabelFBetaScore(**{"beta": 1.0, "num_labels": 3, "from_logits": True, **kwargs})


def _bin(**kwargs: Any) -> Callable[[], Any]:
    return lambda: BinaryFBetaScore(**{"beta": 1.0, "from_logits": True, **kwargs})


BETA_SQUARE = (
    r"^Argument `beta` must be a finite real number > 0 whose square is a positive float64 and small "
    r"enough that \(1 \+ beta \*\* 2\) times any int64 count \(2 \*\* 63\) is a finite float64 "
    r"\(1\.57173e-162 <= beta <= 4\.41482e\+144: the score weighs recall by beta \*\* 2, and a larger "
    r"beta overflows its arithmetic\), "
)

BAD_ARGUMENTS = [
    # ---- num_classes / num_labels
    pytest.param(
        _mc(num_classes=1),
        ValueError,
        r"Argument `num_classes` must be an integer >= 2, got 1: a yes/no task .* is binary: use "
        r"BinaryF1Score or BinaryFBetaScore\.",
        id="num_classes-1",
    ),
    pytest.param(
        _mc(num_classes=0),
        ValueError,
        r"Argument `num_classes` must be an integer >= 2, got 0\.",
        id="num_classes-0",
    ),
    pytest.param(
        _mc(num_classes=-3),
        ValueError,
        r"Argument `num_classes` must be an integer >= 2, got -3\.",
        id="num_classes-negative",
    ),
    pytest.param(
        _mc(num_classes=3.0),
        TypeError,
        r"Argument `num_classes` must be an integer >= 2, got 3\.0\.",
        id="num_classes-float",
    ),
    pytest.param(
        _mc(num_classes="3"),
        TypeError,
        r"Argument `num_classes` must be an integer >= 2, got '3'\.",
        id="num_classes-str",
    ),
    pytest.param(
        _mc(num_classes=True),
        TypeError,
        r"Argument `num_classes` must be an integer >= 2, got True\.",
        id="num_classes-bool",
    ),
    pytest.param(
        _mc(num_classes=None),
        TypeError,
        r"Argument `num_classes` must be an integer >= 2, got None\.",
        id="num_classes-None",
    ),
    pytest.param(
        lambda: MulticlassF1Score(num_classes=1),
        ValueError,
        r"Argument `num_classes` must be an integer >= 2, got 1: .* use BinaryF1Score or BinaryFBetaScore\.",
        id="num_classes-1-F1",
    ),
    pytest.param(
        _ml(num_labels=1),
        ValueError,
        r"Argument `num_labels` must be an integer >= 2, got 1: for a single label, use BinaryF1Score or "
        r"BinaryFBetaScore",
        id="num_labels-1",
    ),
    pytest.param(
        _ml(num_labels=2.5),
        TypeError,
        r"Argument `num_labels` must be an integer >= 2, got 2\.5\.",
        id="num_labels-float",
    ),
    pytest.param(
        _ml(num_labels=False),
        TypeError,
        r"Argument `num_labels` must be an integer >= 2, got False\.",
        id="num_labels-bool",
    ),
    # ---- beta
    pytest.param(
        _bin(beta=0), ValueError, r"Argument `beta` must be a finite real number > 0, got 0\.", id="beta-0"
    ),
    pytest.param(
        _mc(beta=-1.0),
        ValueError,
        r"Argument `beta` must be a finite real number > 0, got -1\.0\.",
        id="beta-negative",
    ),
    pytest.param(
        _ml(beta=NAN),
        ValueError,
        r"Argument `beta` must be a finite real number > 0, got nan\.",
        id="beta-nan",
    ),
    pytest.param(
        _ml(beta=1e200),
        ValueError,
        BETA_SQUARE + r"got 1e\+200: pass a beta in that range\.",
        id="beta-square-overflows",
    ),
    # a square that underflows to 0 is F-beta's limit, precision, whose per-sample definedness differs
    # (scikit-learn's samples average leaves a sample without a predicted label undefined): it gave a
    # wrong number without a warning; refused for every F-beta class as the overflow is
    pytest.param(
        _ml(beta=1e-170),
        ValueError,
        BETA_SQUARE + r"got 1e-170: pass a beta in that range\.",
        id="beta-square-underflows",
    ),
    pytest.param(
        _bin(beta=1e-170),
        ValueError,
        BETA_SQUARE + r"got 1e-170: pass a beta in that range\.",
        id="binary-beta-underflows",
    ),
    pytest.param(
        _mc(beta=1e-200),
        ValueError,
        BETA_SQUARE + r"got 1e-200: pass a beta in that range\.",
        id="multiclass-beta-underflows",
    ),
    pytest.param(
        _ml(beta=1.5717277847026285e-162, average="samples"),
        ValueError,
        BETA_SQUARE + r"got 1\.5717277847026285e-162: pass a beta in that range\.",
        id="beta-one_ulp_below_the_smallest",
    ),
    pytest.param(
        _bin(beta=5e-324),
        ValueError,
        BETA_SQUARE + r"got 5e-324: pass a beta in that range\.",
        id="beta-smallest_float",
    ),
    pytest.param(
        _bin(beta=float("inf")),
        ValueError,
        r"Argument `beta` must be a finite real number > 0, got inf\.",
        id="beta-inf",
    ),
    pytest.param(
        _bin(beta=True),
        TypeError,
        r"Argument `beta` must be a finite real number > 0, got True\.",
        id="beta-bool",
    ),
    pytest.param(
        _mc(beta="1"),
        TypeError,
        r"Argument `beta` must be a finite real number > 0, got '1'\.",
        id="beta-str",
    ),
    pytest.param(
        _ml(beta=None),
        TypeError,
        r"Argument `beta` must be a finite real number > 0, got None\.",
        id="beta-None",
    ),
    # ---- average
    pytest.param(
        _mc(average="median"),
        ValueError,
        r"Argument `average` must be one of \['micro', 'macro', 'weighted', None\], got 'median'\.",
        id="average-unknown",
    ),
    pytest.param(
        _mc(average="samples"),
        ValueError,
        r"Argument `average` must be one of \['micro', 'macro', 'weighted', None\], got 'samples'\.",
        id="average-samples_for_multiclass",
    ),
    pytest.param(
        _mc(average="binary"),
        ValueError,
        r"Argument `average` must be one of \['micro', 'macro', 'weighted', None\], got 'binary'\.",
        id="average-binary_for_multiclass",
    ),
    pytest.param(
        _ml(average="binary"),
        ValueError,
        r"Argument `average` must be one of \['micro', 'macro', 'weighted', 'samples', None\], "
        r"got 'binary'\.",
        id="average-binary_for_multilabel",
    ),
    pytest.param(
        _ml(average="Macro"),
        ValueError,
        r"Argument `average` must be one of .*, got 'Macro'\.",
        id="average-wrong_case",
    ),
    # a value that is not a string (nor None) is of the wrong type: a TypeError, with the same rule
    pytest.param(
        _mc(average=1), TypeError, r"Argument `average` must be one of .*, got 1\.", id="average-int"
    ),
    pytest.param(
        _mc(average=False),
        TypeError,
        r"Argument `average` must be one of \['micro', 'macro', 'weighted', None\], got False\.",
        id="average-False",
    ),
    pytest.param(
        _ml(average=True),
        TypeError,
        r"Argument `average` must be one of \['micro', 'macro', 'weighted', 'samples', None\], got True\.",
        id="average-True",
    ),
    # ---- multidim_average: a choice among strings, None is no option
    pytest.param(
        _mc(multidim_average=None),
        TypeError,
        r"^Argument `multidim_average` must be one of \['global', 'samplewise'\], got None\.$",
        id="multidim_average-None",
    ),
    pytest.param(
        _bin(multidim_average=1),
        TypeError,
        r"^Argument `multidim_average` must be one of \['global', 'samplewise'\], got 1\.$",
        id="multidim_average-int",
    ),
    pytest.param(
        _bin(multidim_average="Global"),
        ValueError,
        r"^Argument `multidim_average` must be one of \['global', 'samplewise'\], got 'Global'\.$",
        id="multidim_average-wrong_case",
    ),
    # ---- zero_division
    pytest.param(
        _bin(zero_division=2),
        ValueError,
        r'Argument `zero_division` must be "warn", 0\.0, 1\.0 or nan, got 2\.',
        id="zero_division-2",
    ),
    pytest.param(
        _mc(zero_division="nan"),
        ValueError,
        r"Argument `zero_division` must be \"warn\", 0\.0, 1\.0 or nan, got 'nan'\.",
        id="zero_division-nan_string",
    ),
    pytest.param(  # neither a string nor a real number: a TypeError
        _ml(zero_division=None),
        TypeError,
        r'Argument `zero_division` must be "warn", 0\.0, 1\.0 or nan, got None\.',
        id="zero_division-None",
    ),
    pytest.param(  # a bool is no real number here (as for beta and threshold)
        _mc(zero_division=True),
        TypeError,
        r'Argument `zero_division` must be "warn", 0\.0, 1\.0 or nan, got True\.',
        id="zero_division-bool",
    ),
    pytest.param(
        _bin(zero_division=[0.0]),
        TypeError,
        r'Argument `zero_division` must be "warn", 0\.0, 1\.0 or nan, got \[0\.0\]\.',
        id="zero_division-list",
    ),
    pytest.param(
        _mc(zero_division=0.5),
        ValueError,
        r'Argument `zero_division` must be "warn", 0\.0, 1\.0 or nan, got 0\.5\.',
        id="zero_division-half",
    ),
    pytest.param(
        _bin(zero_division="Warn"),
        ValueError,
        r"Argument `zero_division` must be \"warn\", 0\.0, 1\.0 or nan, got 'Warn'\.",
        id="zero_division-wrong_case",
    ),
    # ---- labels
    pytest.param(
        _mc(labels=[0, 3]),
        ValueError,
        r"Argument `labels` must hold class indices in \[0, 3\) \(num_classes=3\), got \[0, 3\] "
        r"\(out of range: \[3\]\)\.",
        id="labels-out_of_range",
    ),
    pytest.param(
        _mc(labels=[-1, 1]),
        ValueError,
        r"Argument `labels` must hold class indices in \[0, 3\).*got \[-1, 1\] \(out of range: \[-1\]\)\.",
        id="labels-negative",
    ),
    pytest.param(
        _mc(labels=torch.tensor([1, 5])),
        ValueError,
        r"Argument `labels` must hold class indices in \[0, 3\).*got \[1, 5\] \(out of range: \[5\]\)\.",
        id="labels-tensor_out_of_range",
    ),
    pytest.param(
        _mc(labels=[0, 2, 0]),
        ValueError,
        r"Argument `labels` must not repeat a class, got \[0, 2, 0\]\.",
        id="labels-duplicates",
    ),
    pytest.param(
        _mc(labels=[]),
        ValueError,
        r"Argument `labels` must be None or a non-empty sequence of class indices, got \[\]\.",
        id="labels-empty",
    ),
    pytest.param(
        _mc(labels=["a", "b"]),
        TypeError,
        r"Argument `labels` must hold integers, got \['a', 'b'\]\.",
        id="labels-str_items",
    ),
    pytest.param(
        _mc(labels=[0.0, 1.0]),
        TypeError,
        r"Argument `labels` must hold integers, got \[0\.0, 1\.0\]\.",
        id="labels-float_items",
    ),
    pytest.param(
        _mc(labels=2),
        TypeError,
        r"Argument `labels` must be None or a non-empty sequence of class indices, got 2\.",
        id="labels-int",
    ),
    # a 0-d tensor or array is shown as given: "got 1" would read as the int 1
    pytest.param(
        _mc(labels=torch.tensor(1)),
        TypeError,
        r"^Argument `labels` must be None or a non-empty sequence of class indices, got tensor\(1\)\.$",
        id="labels-0d_tensor",
    ),
    pytest.param(
        _mc(labels=np.array(2)),
        TypeError,
        r"^Argument `labels` must be None or a non-empty sequence of class indices, got array\(2\)\.$",
        id="labels-0d_array",
    ),
    pytest.param(
        _mc(labels=torch.tensor([])),
        ValueError,
        r"^Argument `labels` must be None or a non-empty sequence of class indices, got tensor\(\[\]\)\.$",
        id="labels-empty_tensor",
    ),
    # ---- class_names
    pytest.param(
        _mc(class_names=["a", "b"]),
        ValueError,
        r"Argument `class_names` must have one name per class \(num_classes=3\), got 2 names: \['a', 'b'\]\.",
        id="class_names-too_few",
    ),
    pytest.param(
        _ml(class_names=["a", "b", "c", "d"]),
        ValueError,
        r"Argument `class_names` must have one name per class \(num_labels=3\), got 4 names: "
        r"\['a', 'b', 'c', 'd'\]\.",
        id="class_names-too_many_multilabel",
    ),
    pytest.param(
        _mc(class_names=["cat", "dog", "cat"]),
        ValueError,
        r"Argument `class_names` must not repeat a name, got duplicates \['cat'\]\.",
        id="class_names-duplicates",
    ),
    pytest.param(
        _ml(class_names=["x", "x", "y"]),
        ValueError,
        r"Argument `class_names` must not repeat a name, got duplicates \['x'\]\.",
        id="class_names-duplicates_multilabel",
    ),
    pytest.param(
        _mc(class_names=[0, 1, 2]),
        TypeError,
        r"Argument `class_names` must hold strings, got \[0, 1, 2\]\.",
        id="class_names-non_str",
    ),
    pytest.param(
        _mc(class_names="abc"),
        TypeError,
        r"Argument `class_names` must be None or a sequence of strings, got 'abc'\.",
        id="class_names-one_string",
    ),
    # ---- threshold
    pytest.param(
        _bin(threshold=1.5),
        ValueError,
        r"Argument `threshold` must be a real number in \[0, 1\], got 1\.5\.",
        id="threshold-above_1",
    ),
    pytest.param(
        _ml(threshold=-0.1),
        ValueError,
        r"Argument `threshold` must be a real number in \[0, 1\], got -0\.1\.",
        id="threshold-negative",
    ),
    pytest.param(
        _bin(threshold=NAN),
        ValueError,
        r"Argument `threshold` must be a real number in \[0, 1\], got nan\.",
        id="threshold-nan",
    ),
    pytest.param(
        _ml(threshold="0.5"),
        TypeError,
        r"Argument `threshold` must be a real number in \[0, 1\], got '0\.5'\.",
        id="threshold-str",
    ),
    # ---- ignore_index
    pytest.param(
        _mc(ignore_index=2**63),
        ValueError,
        r"^Argument `ignore_index` must fit in int64, in \[-9223372036854775808, 9223372036854775807\], "
        r"got 9223372036854775808: use the value that marks skipped targets in `y` "
        r"\(such as -100 or 255\)\.$",
        id="ignore_index-too_large",
    ),
    pytest.param(
        _mc(ignore_index=-(2**63) - 1),
        ValueError,
        r"^Argument `ignore_index` must fit in int64, .*got -9223372036854775809: ",
        id="ignore_index-too_small",
    ),
    pytest.param(
        _mc(num_classes=100_000, keep_confusion_matrix=True),
        ValueError,
        r"^Argument `num_classes` must be small enough for the 100000 x 100000 int64 confusion matrix this "
        r"metric keeps \(80,000,000,000 bytes\), got 100000 \(more than the limit of 17,179,869,184 bytes\): "
        r"reduce the number of classes \(for instance by grouping rare ones\), or build the metric with "
        r"keep_confusion_matrix=False, which keeps per-class counts only \(O\(num_classes\) memory\) and "
        r"computes every score and report from them\.$",
        id="num_classes-matrix_too_large",
    ),
    pytest.param(
        _mc(ignore_index=1.5),
        TypeError,
        r"Argument `ignore_index` must be None or an integer, got 1\.5\.",
        id="ignore_index-float",
    ),
]


@pytest.mark.parametrize(("make", "error", "match"), BAD_ARGUMENTS)
def test_bad_constructor_argument(make: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


GOOD_ARGUMENTS = [
    pytest.param(
        lambda: BinaryFBetaScore(beta=0.5, threshold=0.0, zero_division=NAN, from_logits=True),
        {"beta": 0.5, "threshold": 0.0, "zero_division": NAN, "from_logits": True, "validate_args": True},
        id="binary",
    ),
    pytest.param(
        lambda: BinaryFBetaScore(beta=2, threshold=1, from_logits=np.True_, validate_args=np.False_),
        {"beta": 2.0, "threshold": 1.0, "zero_division": "warn", "from_logits": True, "validate_args": False},
        id="binary-int_beta_threshold-numpy_bools",
    ),
    pytest.param(
        lambda: BinaryF1Score(from_logits=False, zero_division=1),
        {"beta": 1.0, "threshold": 0.5, "zero_division": 1.0, "from_logits": False},
        id="binary-F1",
    ),
    pytest.param(
        lambda: MulticlassFBetaScore(
            beta=2.0,
            num_classes=np.int64(4),
            average=None,
            labels=(3, 0),
            ignore_index=np.int32(-100),
            zero_division=1.0,
            class_names=("a", "b", "c", "d"),
        ),
        {
            "beta": 2.0,
            "num_classes": 4,
            "average": None,
            "labels": [3, 0],
            "ignore_index": -100,
            "zero_division": 1.0,
            "class_names": ["a", "b", "c", "d"],
        },
        id="multiclass",
    ),
    pytest.param(
        lambda: MulticlassF1Score(3, labels=torch.tensor([2, 1]), class_names=np.array(["x", "y", "z"])),
        {"beta": 1.0, "num_classes": 3, "average": "macro", "labels": [2, 1], "class_names": ["x", "y", "z"]},
        id="multiclass-F1-tensor_labels-array_names",
    ),
    pytest.param(
        lambda: MultilabelFBetaScore(
            beta=1e-3, num_labels=2, average="samples", zero_division=0, from_logits=True
        ),
        {
            "beta": 1e-3,
            "num_labels": 2,
            "average": "samples",
            "zero_division": 0.0,
            "from_logits": True,
            "threshold": 0.5,
            "class_names": None,
        },
        id="multilabel",
    ),
]


@pytest.mark.parametrize(("make", "expected"), GOOD_ARGUMENTS)
def test_good_constructor_arguments_are_stored_normalised(
    make: Callable[[], Any], expected: dict[str, Any]
) -> None:
    """Accepted arguments are kept as plain Python values: ints and reals as ``int`` and ``float``
    (numpy scalars included), sequences and tensors of labels or names as lists."""
    metric = make()
    assert_same({name: getattr(metric, name) for name in expected}, expected)


# --------------------------------------------------------------------------- from_logits and flags

NEEDS_FROM_LOGITS = [
    pytest.param(partial(BinaryFBetaScore, beta=1.0), "BinaryFBetaScore", id="BinaryFBetaScore"),
    pytest.param(BinaryF1Score, "BinaryF1Score", id="BinaryF1Score"),
    pytest.param(
        partial(MultilabelFBetaScore, beta=1.0, num_labels=3), "MultilabelFBetaScore", id="MultilabelFBeta"
    ),
    pytest.param(partial(MultilabelF1Score, num_labels=3), "MultilabelF1Score", id="MultilabelF1Score"),
]


@pytest.mark.parametrize(("make", "name"), NEEDS_FROM_LOGITS)
def test_from_logits_is_required_and_the_error_explains_both_values(
    make: Callable[..., Any], name: str
) -> None:
    """Probabilities are valid logits: no default can be right for both, so there is none."""
    with pytest.raises(TypeError) as raised:
        make()
    message = str(raised.value)
    assert message.startswith(f"{name}() needs the keyword argument `from_logits`")
    assert "from_logits=True when `y_pred` holds raw model outputs (logits" in message
    assert "from_logits=False when it holds probabilities (after a sigmoid) or 0/1 labels" in message
    assert make(from_logits=True).from_logits is True
    assert make(from_logits=False).from_logits is False


def test_from_logits_is_keyword_only() -> None:
    with pytest.raises(TypeError, match="positional argument"):
        BinaryFBetaScore(1.0, True)  # type: ignore[misc]


ALL_CLASSES = [
    pytest.param(partial(BinaryFBetaScore, beta=1.0, from_logits=True), id="BinaryFBetaScore"),
    pytest.param(partial(BinaryF1Score, from_logits=True), id="BinaryF1Score"),
    pytest.param(partial(MulticlassFBetaScore, beta=1.0, num_classes=3), id="MulticlassFBetaScore"),
    pytest.param(partial(MulticlassF1Score, num_classes=3), id="MulticlassF1Score"),
    pytest.param(
        partial(MultilabelFBetaScore, beta=1.0, num_labels=3, from_logits=True), id="MultilabelFBeta"
    ),
    pytest.param(partial(MultilabelF1Score, num_labels=3, from_logits=True), id="MultilabelF1Score"),
]
NOT_BOOLS = [
    pytest.param("False", id="str_False"),
    pytest.param("no", id="str_no"),
    pytest.param(1, id="int_1"),
    pytest.param(0, id="int_0"),
    pytest.param(None, id="None"),
    pytest.param(1.0, id="float"),
]


@pytest.mark.parametrize("value", NOT_BOOLS)
@pytest.mark.parametrize("make", ALL_CLASSES)
def test_validate_args_accepts_only_a_bool(make: Callable[..., Any], value: Any) -> None:
    # "no" and "False" are truthy: read as bools they would turn the checks on, silently
    with pytest.raises(
        TypeError,
        match=rf"^Argument `validate_args` must be True or False \(a bool\), got {re.escape(repr(value))}\.$",
    ):
        make(validate_args=value)
    assert make(validate_args=np.False_).validate_args is False


@pytest.mark.parametrize("value", NOT_BOOLS)
@pytest.mark.parametrize(("make", "name"), NEEDS_FROM_LOGITS)
def test_from_logits_accepts_only_a_bool(make: Callable[..., Any], name: str, value: Any) -> None:
    # from_logits="False" would otherwise read the scores as logits: the opposite of what was asked
    with pytest.raises(
        TypeError,
        match=rf"^Argument `from_logits` must be True or False \(a bool\), got {re.escape(repr(value))}\.$",
    ):
        make(from_logits=value)


def test_curve_average_of_the_wrong_type_is_a_type_error() -> None:
    metric = MultilabelF1Score(3, from_logits=True, num_thresholds=4)
    metric.update((torch.zeros(2, 3), torch.zeros(2, 3)))
    with pytest.raises(
        TypeError, match=r"^Argument `average` must be one of \[None, 'micro', 'macro'\], got True\.$"
    ):
        metric.curve(average=True)
    with pytest.raises(ValueError, match=r"^Argument `average` must be one of .*, got 'weighted'\.$"):
        metric.curve(average="weighted")


# --------------------------------------------------------------------------- device

DEVICE = r'^Argument `device` must be a device that torch reads and can keep the counts on, such as "cpu", '
NO_DEVICE = "cuda:99"  # no machine has 100 GPUs: refused with CUDA (no such device) and without


@pytest.mark.parametrize(
    ("device", "error", "match"),
    [
        pytest.param(
            "meta",
            ValueError,
            r"^Argument `device` must not be a meta device \(meta tensors hold no values: the counts could "
            r"not be read\), got 'meta': use \"cpu\" or an accelerator such as \"cuda:0\"\.$",
            id="meta",
        ),
        pytest.param(torch.device("meta"), ValueError, r"got device\(type='meta'\)", id="meta_device"),
        pytest.param(
            "nonsense", ValueError, DEVICE + r".*, got 'nonsense': torch says 'Expected one of cpu", id="str"
        ),
        pytest.param(None, TypeError, DEVICE + r'.*torch\.device\("cpu"\), got None\.$', id="None"),
        pytest.param(1.5, TypeError, DEVICE + r".*, got 1\.5\.$", id="float"),
        pytest.param(True, TypeError, DEVICE + r".*, got True\.$", id="bool"),
        pytest.param(-1, ValueError, DEVICE + r".*, got -1: torch says '.+'\.$", id="negative_index"),
        pytest.param(NO_DEVICE, ValueError, DEVICE + r".*, got 'cuda:99': torch says '.+'\.$", id="cuda_99"),
    ],
)
@pytest.mark.parametrize("make", ALL_CLASSES)
def test_a_device_torch_cannot_use_is_refused_by_name(
    make: Callable[..., Any], device: Any, error: type[Exception], match: str
) -> None:
    """A meta device was accepted, counted, and failed at compute() ("Cannot copy out of meta
    tensor"); the others raised torch's own messages, which do not name `device`."""
    with pytest.raises(error, match=match):
        make(device=device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the index 0 is a CUDA device here")
def test_a_device_index_without_an_accelerator_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=DEVICE + r".*, got 0: torch says 'Cannot access accelerator"):
        MulticlassF1Score(3, device=0)


@pytest.mark.parametrize("device", ["cpu", "cpu:0", torch.device("cpu")], ids=["str", "index", "device"])
@pytest.mark.parametrize("make", ALL_CLASSES)
def test_cpu_devices_are_accepted(make: Callable[..., Any], device: Any) -> None:
    metric = make(device=device)
    assert all(getattr(metric, name).device.type == "cpu" for name in metric._states)


# --------------------------------------------------------------------------- class names


@pytest.mark.parametrize("reserved", ["accuracy", "macro avg", "micro avg", "weighted avg", "samples avg"])
@pytest.mark.parametrize("family", ["multiclass", "multilabel"])
def test_class_names_that_are_report_keys_are_refused(family: str, reserved: str) -> None:
    """A class called "accuracy" would be overwritten in the report by the accuracy (a float), and a
    consumer of the report (TensorBoard's summary) would then fail on it."""
    names = ["cat", reserved, "owl"]
    make = _mc(class_names=names) if family == "multiclass" else _ml(class_names=names)
    with pytest.raises(ValueError) as raised:
        make()
    message = str(raised.value)
    assert message.startswith(
        "Argument `class_names` must not use the keys of scikit-learn's classification report"
    )
    assert message.endswith(f"got [{reserved!r}]: rename those classes.")
    # the report really has these keys (a multilabel report has "samples avg", a multi-class one
    # "accuracy" or "micro avg"): the list refused is scikit-learn's
    keys = set(classification_report([0, 1, 2], [0, 1, 1], output_dict=True, zero_division=0.0))
    keys |= set(classification_report([0, 1], [0, 1], labels=[0, 1, 2], output_dict=True, zero_division=0.0))
    keys |= set(
        classification_report(np.eye(3, dtype=int), np.eye(3, dtype=int), output_dict=True, zero_division=0.0)
    )
    assert keys - {"0", "1", "2"} == {"accuracy", "macro avg", "micro avg", "weighted avg", "samples avg"}
    # a name that only contains one is fine
    (_mc if family == "multiclass" else _ml)(class_names=["cat", f"{reserved} x", "owl"])()


# --------------------------------------------------------------------------- limits


def test_the_largest_matrix_allowed_is_16_gib() -> None:
    # 8 bytes a cell: 46340^2 * 8 is just under 2^34 bytes, 46341^2 * 8 just over
    assert 46340**2 * 8 <= 2**34 < 46341**2 * 8
    assert _validation.check_confusion_size(46340) == 46340
    with pytest.raises(ValueError, match=r"got 46341 \(more than the limit of 17,179,869,184 bytes\)"):
        _validation.check_confusion_size(46341)


def test_a_matrix_the_allocator_refuses_is_a_clear_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the limit, an allocation that fails is reported with its size, not as a raw RuntimeError."""
    monkeypatch.setattr(_validation, "MAX_CONFUSION_BYTES", 1 << 62)
    with pytest.raises(
        ValueError,
        match=r"^Argument `num_classes` must be small enough for the 67108864 x "
        r"67108864 int64 confusion matrix this metric keeps \(36,028,797,018,963,968 bytes\), "
        r"got 67108864 \(the allocator refused: .*\): reduce the number of classes",
    ):
        MulticlassF1Score(
            num_classes=2**26, keep_confusion_matrix=True
        )  # 2^55 bytes: more than any address space


def test_an_ignore_index_at_the_int64_limits_is_accepted_and_works() -> None:
    for ignore_index in (2**63 - 1, -(2**63)):
        metric = MulticlassF1Score(3, average=None, ignore_index=ignore_index, zero_division=0.0)
        metric.update((torch.tensor([0, 1, 2, 0]), torch.tensor([0, 1, ignore_index, 2])))
        expected = f1_score(
            y_true=[0, 1, 2], y_pred=[0, 1, 0], labels=[0, 1, 2], average=None, zero_division=0.0
        )
        assert metric.compute().tolist() == expected.tolist()


# --------------------------------------------------------------------------- the checks themselves


@pytest.mark.parametrize(
    ("bounds", "rule"),
    [
        pytest.param({}, "a finite real number", id="any"),
        pytest.param({"low": 0, "open_low": True}, "a finite real number > 0", id="positive"),
        pytest.param({"low": 0}, "a finite real number >= 0", id="non_negative"),
        pytest.param({"low": 0, "high": 1}, "a real number in [0, 1]", id="closed"),
        pytest.param(
            {"low": 0, "high": 1, "open_low": True}, "a finite real number > 0 and <= 1", id="half_open"
        ),
        pytest.param({"high": 2.5}, "a finite real number <= 2.5", id="at_most"),
    ],
)
def test_check_real_states_one_rule_in_both_errors(bounds: dict[str, Any], rule: str) -> None:
    assert _validation.check_real("x", 1, **bounds) == 1.0
    assert type(_validation.check_real("x", np.float32(0.5), **bounds)) is float
    with pytest.raises(TypeError, match=rf"^Argument `x` must be {re.escape(rule)}, got '1'\.$"):
        _validation.check_real("x", "1", **bounds)
    with pytest.raises(TypeError, match=rf"^Argument `x` must be {re.escape(rule)}, got True\.$"):
        _validation.check_real("x", True, **bounds)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match=rf"^Argument `x` must be {re.escape(rule)}, got {bad!r}\.$"):
            _validation.check_real("x", bad, **bounds)


def test_check_real_bounds_are_inclusive_unless_open() -> None:
    assert _validation.check_real("x", 0, 0, 1) == 0.0
    assert _validation.check_real("x", 1, 0, 1) == 1.0
    with pytest.raises(ValueError, match=r"got 0\.$"):
        _validation.check_real("x", 0, 0, open_low=True)
    with pytest.raises(ValueError, match=r"got 1\.0000001\.$"):
        _validation.check_real("x", 1.0000001, 0, 1)


def test_check_count_names_its_minimum() -> None:
    assert _validation.check_count("patience", np.int16(1), minimum=1) == 1
    with pytest.raises(ValueError, match=r"^Argument `patience` must be an integer >= 1, got 0\.$"):
        _validation.check_count("patience", 0, minimum=1)
    with pytest.raises(TypeError, match=r"^Argument `patience` must be an integer >= 1, got 1\.0\.$"):
        _validation.check_count("patience", 1.0, minimum=1)


def test_check_string_check_choice_and_check_bool() -> None:
    assert _validation.check_string("mode", "max") == "max"
    with pytest.raises(TypeError, match=r"^Argument `mode` must be a non-empty string, got None\.$"):
        _validation.check_string("mode", None)
    with pytest.raises(ValueError, match=r"^Argument `mode` must be a non-empty string, got ''\.$"):
        _validation.check_string("mode", "")

    assert _validation.check_choice("mode", "max", ["min", "max"]) == "max"
    with pytest.raises(ValueError, match=r"^Argument `mode` must be one of \['min', 'max'\], got 'Max'\.$"):
        _validation.check_choice("mode", "Max", ["min", "max"])
    with pytest.raises(ValueError, match=r"got True\.$"):  # compared by type: True is not 1
        _validation.check_choice("level", True, [0, 1])
    # among strings, a value that is no string is of the wrong type (None too, unless an option)
    for value in (1, True, None, b"max", ["max"]):
        with pytest.raises(TypeError, match=r"^Argument `mode` must be one of \['min', 'max'\], got "):
            _validation.check_choice("mode", value, ["min", "max"])
    assert _validation.check_choice("reduce", None, [None, "min"]) is None
    with pytest.raises(TypeError, match=r"^Argument `reduce` must be one of \[None, 'min'\], got 0\.$"):
        _validation.check_choice("reduce", 0, [None, "min"])
    with pytest.raises(ValueError, match=r"^Argument `reduce` must be one of \[None, 'min'\], got 'max'\.$"):
        _validation.check_choice("reduce", "max", [None, "min"])

    assert _validation.check_bool("flag", np.True_) is True
    with pytest.raises(TypeError, match=r"^Argument `flag` must be True or False \(a bool\), got 'yes'\.$"):
        _validation.check_bool("flag", "yes")


@pytest.mark.parametrize(
    ("tag", "cleaned"),
    [
        pytest.param("f1", "f1", id="plain"),
        pytest.param("val/f1", "val/f1", id="path"),
        pytest.param("/val f1 (macro)/", "val_f1__macro_", id="cleaned_like_tensorboard"),
        pytest.param("a-b.c_d", "a-b.c_d", id="allowed_punctuation"),
    ],
)
def test_check_tag_returns_the_tag_tensorboard_will_show(tag: str, cleaned: str) -> None:
    assert _validation.check_tag(tag) == cleaned


@pytest.mark.parametrize(
    ("tag", "error"),
    [
        pytest.param("", ValueError, id="empty"),
        pytest.param("//", ValueError, id="only_slashes"),
        pytest.param(None, TypeError, id="None"),
        pytest.param(b"f1", TypeError, id="bytes"),
    ],
)
def test_check_tag_refuses_what_is_empty_once_cleaned(tag: Any, error: type[Exception]) -> None:
    with pytest.raises(
        error, match=rf"^Argument `tag` must be a non-empty string, got {re.escape(repr(tag))}\.$"
    ):
        _validation.check_tag(tag)


def test_the_bounds_of_beta_are_the_last_floats_whose_square_is_positive_and_counts_times_it_finite() -> None:
    smallest, largest = _validation._SMALLEST_BETA, _validation._LARGEST_BETA
    below, above = math.nextafter(smallest, 0), math.nextafter(largest, math.inf)
    assert smallest * smallest > 0 and below * below == 0
    # (1 + beta**2) times the largest int64 count (2**63, as a float64) stays finite up to the largest
    assert math.isfinite((1 + largest * largest) * 2.0**63) and (1 + above * above) * 2.0**63 == math.inf
    assert 4.41e144 < largest < 4.42e144
    for beta in (smallest, largest):
        for cls in (BinaryFBetaScore, MulticlassFBetaScore, MultilabelFBetaScore):
            kwargs = {"num_classes": 3} if cls is MulticlassFBetaScore else {"from_logits": False}
            kwargs |= {"num_labels": 3} if cls is MultilabelFBetaScore else {}
            assert cls(beta, **kwargs).beta == beta


@pytest.mark.parametrize("zero_division", ["warn", 0.0, 1.0, NAN], ids=str)
@pytest.mark.parametrize("sample_weight", [False, True], ids=["counts", "weighted"])
def test_the_smallest_beta_gives_scikit_learns_samples_average_and_warnings(
    zero_division: Any, sample_weight: bool
) -> None:
    """At the smallest beta allowed (beta ** 2 = 5e-324, subnormal) a sample with true labels and
    none predicted stays undefined, as in scikit-learn: the score and the warnings are its own."""
    beta = _validation._SMALLEST_BETA
    y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    p = np.array([[1, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 0]])
    metric = MultilabelFBetaScore(
        beta,
        3,
        from_logits=False,
        average="samples",
        zero_division=zero_division,
        sample_weight=sample_weight,
    )
    batch = (torch.from_numpy(p), torch.from_numpy(y))
    metric.update((*batch, torch.ones(4)) if sample_weight else batch)
    got, caught = record_warnings(metric.compute)
    expected, expected_caught = record_warnings(
        sklearn_fbeta,
        y_true=y,
        y_pred=p,
        beta=beta,
        kind="multilabel",
        average="samples",
        zero_division=zero_division,
    )
    assert_close(got, expected)
    assert [kind for kind, _ in caught] == [kind for kind, _ in expected_caught]
