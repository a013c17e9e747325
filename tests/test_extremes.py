"""The edges of what the metrics accept (audit D): beta, sums of weights, state sizes, dtypes and
ambiguous shapes. Each is either scored as scikit-learn scores it or refused with a message that
names the argument, the rule and the value given, and says what to do; a refused update leaves the
state as it was."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, fbeta_score
from torch.overrides import TorchFunctionMode

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
    MultilabelFBetaScore,
    _host,
    _validation,
    _weights,
)

T = torch.tensor
F64 = torch.float64


def _state(metric: Any) -> dict[str, torch.Tensor]:
    return {name: getattr(metric, name).clone() for name in metric._states}


def _assert_refused(metric: Any, output: Any, error: type[Exception], match: str) -> None:
    """``update(output)`` raises ``error`` matching ``match`` and leaves the counts as they were."""
    before = _state(metric)
    with pytest.raises(error, match=match):
        metric.update(output)
    after = _state(metric)
    assert before.keys() == after.keys()
    assert all(torch.equal(before[name], after[name]) for name in before)


def _quiet(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


# --------------------------------------------------------------------------- 1. beta


def _beta_metrics(beta: float) -> list[Any]:
    return [
        lambda: BinaryFBetaScore(beta, from_logits=False),
        lambda: MulticlassFBetaScore(beta, 3),
        lambda: MultilabelFBetaScore(beta, 3, from_logits=False, average="samples"),
    ]


def test_the_largest_beta_keeps_1_plus_its_square_times_any_int64_count_finite() -> None:
    largest = _validation._LARGEST_BETA
    assert math.isfinite((1.0 + largest * largest) * 2.0**63)
    above = math.nextafter(largest, math.inf)
    assert (1.0 + above * above) * 2.0**63 == math.inf
    for make in _beta_metrics(largest):
        assert make().beta == largest
    for make in _beta_metrics(above):
        with pytest.raises(ValueError, match=r"\(1 \+ beta \*\* 2\) times any int64 count \(2 \*\* 63\)"):
            make()


@pytest.mark.parametrize("beta", [1e145, 1e150, 1.3e154], ids=["1e145", "1e150", "1.3e154"])
def test_a_beta_whose_arithmetic_overflows_is_refused(beta: float) -> None:
    # 1.3e154 was accepted (its square is finite) and gave NaN: binary (the true value is ~1) and
    # the multilabel samples average (true value 0.75)
    for make in _beta_metrics(beta):
        with pytest.raises(
            ValueError,
            match=r"^Argument `beta` must be .* small enough that \(1 \+ beta \*\* 2\) times any int64 "
            r"count \(2 \*\* 63\) is a finite float64 \(1\.57173e-162 <= beta <= 4\.41482e\+144: .*\), "
            rf"got {re_float(beta)}: pass a beta in that range\.$",
        ):
            make()


def re_float(value: float) -> str:
    return repr(value).replace("+", r"\+").replace(".", r"\.")


def test_the_largest_beta_scores_as_scikit_learn() -> None:
    beta = _validation._LARGEST_BETA
    y, p = T([1, 1, 1, 0]), T([1, 1, 1, 1])  # tp 3, fp 1, fn 0: recall 1, F-beta -> 1
    binary = BinaryFBetaScore(beta, from_logits=False)
    binary.update((p, y))
    assert binary.compute() == fbeta_score(y.numpy(), p.numpy(), beta=beta) == 1.0
    labels = MultilabelFBetaScore(beta, 2, from_logits=False, average="samples", zero_division=0.0)
    labels.update((torch.stack([p, p], 1), torch.stack([y, y], 1)))
    expected = fbeta_score(
        torch.stack([y, y], 1).numpy(), torch.stack([p, p], 1).numpy(), beta=beta, average="samples"
    )
    assert labels.compute() == pytest.approx(expected, rel=1e-12)
    assert labels.compute() == pytest.approx(0.75, rel=1e-12)


# --------------------------------------------------------------------------- 2. sums of weights


def test_binary_weights_whose_f1_overflows_are_refused_at_compute() -> None:
    # one true positive of weight 1e308: 2 * tp is inf, and the score was NaN (true value 1.0)
    metric = BinaryF1Score(from_logits=False, sample_weight=True, num_thresholds=3)
    metric.update((T([1]), T([1]), T([1e308], dtype=F64)))
    refused = (
        r"^Argument `sample_weight` must hold weights whose sums, times 1 \+ beta\*\*2 = 2\.0 \(.*\), stay "
        r"finite float64: the weights BinaryF1Score .*sum to 1e\+308; scale them down \(a common factor "
        r"changes no score\)\.$"
    )
    with pytest.raises(ValueError, match=refused):
        metric.compute()
    with pytest.raises(ValueError, match=refused.replace("BinaryF1Score ", r"BinaryF1Score \(whose report")):
        metric.report()
    with pytest.raises(ValueError, match=refused):
        metric.curve()
    with pytest.raises(ValueError, match=refused):
        metric.best_threshold()
    # the sums themselves are finite and exact: the counts stay readable
    assert metric.confusion_matrix().tolist() == [[0.0, 0.0], [0.0, 1e308]]


def test_the_factor_is_1_plus_beta_squared() -> None:
    # 4e307 * 2 is finite, 4e307 * 5 is not: F2 overflows where F1 does not
    for beta, refused in [(1.0, False), (2.0, True)]:
        metric = BinaryFBetaScore(beta, from_logits=False, sample_weight=True)
        metric.update((T([1, 0]), T([1, 1]), T([4e307, 1.0], dtype=F64)))
        if refused:
            with pytest.raises(ValueError, match=r"times 1 \+ beta\*\*2 = 5\.0 "):
                metric.compute()
        else:
            expected = fbeta_score([1, 1], [1, 0], beta=beta, sample_weight=[4e307, 1.0])
            assert metric.compute() == expected == pytest.approx(1.0)


def test_weights_just_under_the_limit_give_scikit_learns_number() -> None:
    metric = BinaryF1Score(from_logits=False, sample_weight=True)
    metric.update((T([1]), T([1]), T([8e307], dtype=F64)))
    assert metric.compute() == f1_score([1], [1], sample_weight=[8e307]) == 1.0


def test_multiclass_micro_refuses_what_overflows_and_macro_scores_what_does_not() -> None:
    # two weights of 6e307: the micro sums (1.2e308) times 2 overflow (NaN before), each class's do not
    output = (T([0, 1]), T([0, 1]), T([6e307, 6e307], dtype=F64))
    micro = MulticlassF1Score(3, average="micro", sample_weight=True)
    micro.update(output)
    with pytest.raises(ValueError, match=r"MulticlassF1Score counted since its reset sum to 1\.2e\+308;"):
        micro.compute()
    macro = MulticlassF1Score(3, average="macro", sample_weight=True)
    macro.update(output)
    expected = f1_score([0, 1], [0, 1], average="macro", sample_weight=[6e307, 6e307])
    assert macro.compute() == expected == 1.0
    for keep in (True, False):
        report = MulticlassF1Score(3, sample_weight=True, keep_confusion_matrix=keep)
        report.update(output)
        with pytest.raises(ValueError, match=r"\(whose report\(\) gives F1: beta = 1\)"):
            report.report()


def test_multilabel_micro_refuses_label_sums_that_overflow() -> None:
    # one sample of weight 5e307 with three true and predicted labels: 2 * 5e307 is finite, but the
    # micro average pools the labels: tp 1.5e308, 2 * tp = inf (NaN before)
    y = T([[1, 1, 1]])
    output = (y, y, T([5e307], dtype=F64))
    for average in ("micro", "weighted"):
        metric = MultilabelF1Score(3, from_logits=False, average=average, sample_weight=True)
        metric.update(output)
        with pytest.raises(
            ValueError, match=r"counted since its reset, once per label predicted or true, sum"
        ):
            metric.compute()
    macro = MultilabelF1Score(3, from_logits=False, average="macro", sample_weight=True)
    macro.update(output)
    assert macro.compute() == f1_score(y.numpy(), y.numpy(), average="macro", sample_weight=[5e307]) == 1.0


def test_multilabel_samples_average_needs_only_a_finite_total() -> None:
    # per-sample scores of unweighted counts, averaged with the weights: 0.5, where scikit-learn's
    # arithmetic overflows (it gives 1.0); the micro average of the same data is refused
    y, p = T([[1, 1, 1], [1, 0, 0]]), T([[1, 0, 0], [1, 0, 0]])
    w = T([1e308, 1.0], dtype=F64)
    samples = MultilabelF1Score(
        3, from_logits=False, average="samples", sample_weight=True, zero_division=0.0
    )
    samples.update((p, y, w))
    assert samples.compute() == pytest.approx(0.5, rel=1e-12)
    micro = MultilabelF1Score(3, from_logits=False, average="micro", sample_weight=True, num_thresholds=3)
    micro.update((p, y, w))
    with pytest.raises(ValueError, match=r"once per label predicted or true, sum to inf"):
        micro.compute()
    with pytest.raises(ValueError, match=r"once per label \(pooled by average='micro'\), sum to inf"):
        micro.curve(average="micro")
    with pytest.raises(ValueError, match=r"counted since its reset, per label, sum to 1e\+308"):
        micro.curve()


# --------------------------------------------------------------------------- 3. one-hot pairs

_Y_CLASSES, _P_CLASSES = T([0, 1, 2, 2, 1]), T([0, 2, 2, 1, 1])
_Y_HOT = torch.nn.functional.one_hot(_Y_CLASSES, 3)
_P_HOT = torch.nn.functional.one_hot(_P_CLASSES, 3)
ONE_HOT = (
    r"^Arguments `y_pred` and `y` must not both be \(N, num_classes=3\) integers holding only 0 and 1, "
    r"got both \(5, 3\): .* For one-hot rows pass y_pred\.argmax\(1\) and y\.argmax\(1\); for label maps "
    r"of width 3, add a dimension: .* of shape \(N, 1, 3\)\.$"
)


@pytest.mark.parametrize(
    "pair",
    [
        (_P_HOT, _Y_HOT),
        (_P_HOT.to(torch.int32), _Y_HOT.to(torch.uint8)),
        (_P_HOT, _Y_HOT.to(torch.float32)),  # integral float targets
    ],
    ids=["int64", "int32-uint8", "float-targets"],
)
@pytest.mark.parametrize("keep", [True, False], ids=["matrix", "counts"])
def test_integer_one_hot_pairs_are_refused(pair: tuple[torch.Tensor, torch.Tensor], keep: bool) -> None:
    # they were read as 5 label maps of 3 pixels: macro F1 0.7, where the classes give 0.6667
    metric = MulticlassF1Score(3, keep_confusion_matrix=keep)
    metric.update((T([0, 2]), T([0, 1])))
    _assert_refused(metric, pair, ValueError, ONE_HOT)


def test_the_ways_out_of_the_one_hot_message_score_as_scikit_learn() -> None:
    rows = MulticlassF1Score(3)
    rows.update((_P_HOT.argmax(1), _Y_HOT.argmax(1)))
    assert rows.compute() == f1_score(_Y_CLASSES.numpy(), _P_CLASSES.numpy(), average="macro")
    maps = MulticlassF1Score(3)
    maps.update((_P_HOT.unsqueeze(1), _Y_HOT.unsqueeze(1)))  # label maps of 3 pixels, as meant
    assert maps.compute() == f1_score(_Y_HOT.reshape(-1).numpy(), _P_HOT.reshape(-1).numpy(), average="macro")


def test_label_maps_of_width_num_classes_with_other_classes_are_counted() -> None:
    # only maps of 0 and 1 are ambiguous: one holding class 2 is a label map, on both paths
    y, p = T([[0, 2, 1], [1, 1, 0]]), T([[0, 2, 2], [1, 0, 0]])
    expected = f1_score(y.reshape(-1).numpy(), p.reshape(-1).numpy(), average="macro")
    for dtype in (torch.int64, torch.int16):  # the NumPy path, the torch path
        metric = MulticlassF1Score(3)
        metric.update((p.to(dtype), y.to(dtype)))
        assert metric.compute() == expected


def test_the_numpy_path_hands_one_hot_pairs_to_the_checked_path() -> None:
    assert _host.multiclass((_P_HOT, _Y_HOT), 3) is None
    assert _host.multiclass((_P_HOT, _Y_HOT), 3, images=True) is not None  # per image: images


def test_per_image_metrics_and_unvalidated_ones_take_the_pairs_as_label_maps() -> None:
    images = MulticlassF1Score(3, multidim_average="samplewise", zero_division=0.0)
    images.update((_P_HOT, _Y_HOT))  # declared images: 5 images of 3 pixels
    assert images.compute() == pytest.approx(
        np.mean(
            [f1_score(y, p, average="macro", zero_division=0.0) for y, p in zip(_Y_HOT, _P_HOT, strict=True)]
        )
    )
    unchecked = MulticlassF1Score(3, validate_args=False)  # no value is read: documented
    unchecked.update((_P_HOT, _Y_HOT))
    assert unchecked.compute() == pytest.approx(0.7)


class _Reads(TorchFunctionMode):
    """Counts the values read on the host from ``meta`` tensors (answered with zeros)."""

    _READS = (torch.Tensor.tolist, torch.Tensor.item, torch.Tensor.__bool__, torch.Tensor.__float__)

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        if func in self._READS and args[0].device.type == "meta":
            self.reads += 1
            return getattr(torch.zeros(args[0].shape, dtype=args[0].dtype), func.__name__)()
        return func(*args, **(kwargs or {}))


def test_the_one_hot_check_reads_nothing_more_than_validation_on_a_device(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the constructor refuses a meta device (its counts could not be read): here it stands in for CUDA
    monkeypatch.setattr(_validation, "check_device", torch.device)
    metric = MulticlassF1Score(3, device="meta")
    batch = (torch.empty(8, 3, dtype=torch.int64, device="meta"),) * 2  # read as zeros: only 0 and 1
    with _Reads() as counted, pytest.raises(ValueError, match=ONE_HOT.replace(r"\(5, 3\)", r"\(8, 3\)")):
        metric.update(batch)
    assert counted.reads == 1


# --------------------------------------------------------------------------- 4. sizes


SIZE_MESSAGE = (
    r"Arguments? `num_\w+`( and `num_\w+`)? must be small enough for the counts of shape \([\d, ]+\) "
    r"\((int64|float64), [\d,]+ bytes\) this metric keeps, got num_\w+=\d+(, num_\w+=\d+)? \((more than "
    r"the limit of 17,179,869,184 bytes|the allocator refused: .*)\): (reduce|use fewer) [^:]+\."
)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: MulticlassF1Score(2**40), r"^Argument `num_classes` .* \(3, 1099511627776\) \(int64, "),
        (
            lambda: MulticlassF1Score(2**31, average=None, multidim_average="samplewise"),
            r"^Argument `num_classes` .* got num_classes=2147483648 \(more than the limit",
        ),
        (
            lambda: MultilabelF1Score(2**40, from_logits=False),
            r"^Argument `num_labels` .*reduce the number of",
        ),
        (
            lambda: BinaryF1Score(from_logits=False, num_thresholds=2**40),
            r"^Argument `num_thresholds` must be small enough .* use fewer thresholds",
        ),
        (
            lambda: MultilabelF1Score(1000, from_logits=False, num_thresholds=2**21, sample_weight=True),
            r"^Arguments `num_labels` and `num_thresholds` .* \(2, 1000, 2097152\) \(float64, ",
        ),
    ],
    ids=["classes", "classes-per-image", "labels", "thresholds", "labels-and-thresholds"],
)
def test_a_state_too_large_is_refused_by_its_arguments(make: Callable[[], Any], match: str) -> None:
    # these failed in the allocator with a RuntimeError naming no argument
    with pytest.raises(ValueError, match=match) as refused:
        make()
    assert re.fullmatch(SIZE_MESSAGE, str(refused.value))


@pytest.mark.parametrize(
    "make",
    [
        lambda: MultilabelF1Score(2**50, from_logits=False),
        lambda: MulticlassF1Score(2**50, keep_confusion_matrix=False),
    ],
    ids=["labels", "classes"],
)
def test_a_state_the_allocator_refuses_is_a_clear_value_error(
    make: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_validation, "MAX_CONFUSION_BYTES", 1 << 62)  # past the limit: the allocator's turn
    with pytest.raises(
        ValueError, match=r"^Argument `num_(labels|classes)` must be small enough .*the allocator refused"
    ) as refused:
        make()
    assert re.fullmatch(SIZE_MESSAGE, str(refused.value), flags=re.DOTALL)


def test_another_error_of_the_allocation_is_not_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    def zeros(*args: Any, **kwargs: Any) -> torch.Tensor:
        raise RuntimeError("the device is gone")

    monkeypatch.setattr(torch, "zeros", zeros)
    with pytest.raises(RuntimeError, match=r"^the device is gone$"):
        MultilabelF1Score(3, from_logits=False)


# --------------------------------------------------------------------------- 5. dtypes


def _metrics_and_batches(y_dtype: torch.dtype) -> list[tuple[Any, tuple[torch.Tensor, ...]]]:
    return [
        (BinaryF1Score(from_logits=False), (T([0.2, 0.9, 0.4]), T([0, 1, 1]).to(y_dtype))),
        (MulticlassF1Score(3), (T([0, 1, 2]), T([0, 1, 2]).to(y_dtype))),
        (MultilabelF1Score(3, from_logits=False), (T([[0.1, 0.7, 0.9]]), T([[0, 1, 1]]).to(y_dtype))),
    ]


@pytest.mark.parametrize("dtype", [torch.uint16, torch.uint32, torch.uint64], ids=str)
def test_wide_unsigned_targets_name_the_accepted_dtypes_and_the_fix(dtype: torch.dtype) -> None:
    for metric, batch in _metrics_and_batches(dtype):
        _assert_refused(
            metric,
            batch,
            TypeError,
            r"^Argument `y` must have one of the dtypes float16, bfloat16, float32, float64, uint8, int8, "
            rf"int16, int32, int64 or bool, got {re_dtype(dtype)}: pass y\.long\(\)\.$",
        )


def re_dtype(dtype: torch.dtype) -> str:
    return str(dtype).replace(".", r"\.")


FLOAT8 = [torch.float8_e4m3fn, torch.float8_e5m2]


@pytest.mark.parametrize("dtype", FLOAT8, ids=str)
def test_float8_weights_are_refused_by_name(dtype: torch.dtype) -> None:
    # they passed the float check, then failed inside torch.isfinite (NotImplementedError)
    w = T([1.0, 2.0]).to(dtype)
    for metric, batch in [
        (BinaryF1Score(from_logits=False, sample_weight=True), (T([0.2, 0.9]), T([0, 1]), w)),
        (MulticlassF1Score(3, sample_weight=True), (T([0, 1]), T([0, 1]), w)),
        (
            MultilabelF1Score(2, from_logits=False, sample_weight=True),
            (T([[0.1, 0.7], [0.6, 0.2]]), T([[0, 1], [1, 1]]), w),
        ),
    ]:
        _assert_refused(
            metric,
            batch,
            TypeError,
            r"^Argument `sample_weight` \(the third element of `output`\) must be a float torch\.Tensor of "
            rf"dtype float16, bfloat16, float32 or float64, got one of dtype {re_dtype(dtype)}: pass "
            r"sample_weight\.float\(\)\.$",
        )
    # on an accelerator validation reads the weights' values: float8 ones are left to the check
    assert _weights.WeightCheck(w).parts(torch.device("cpu")) == []


@pytest.mark.parametrize("dtype", FLOAT8, ids=str)
def test_float8_scores_say_float(dtype: torch.dtype) -> None:
    _assert_refused(
        BinaryF1Score(from_logits=False),
        (T([0.2, 0.9]).to(dtype), T([0, 1])),
        TypeError,
        rf"got {re_dtype(dtype)}: pass y_pred\.float\(\)\.$",
    )


# --------------------------------------------------------------------------- 6. messages


def test_nan_targets_are_reported_as_nan() -> None:
    nan = float("nan")
    for metric, batch, rule in [
        (BinaryF1Score(from_logits=False), (T([0.7, 0.2]), T([nan, 0.0])), "hold only 0 and 1"),
        (MultilabelF1Score(2, from_logits=True), (T([[0.7, 0.2]]), T([[1.0, nan]])), "hold only 0 and 1"),
        (MulticlassF1Score(3), (T([0, 1]), T([nan, 0.0])), "hold integer class labels"),
        (
            MulticlassF1Score(3, ignore_index=-1),
            (torch.rand(2, 3), T([nan, -1.0])),
            "hold integer class labels",
        ),
    ]:
        _assert_refused(metric, batch, ValueError, rf"^Argument `y` must {rule}, got NaN: drop the samples")


def test_one_float_score_per_sample_points_to_the_binary_metrics() -> None:
    _assert_refused(
        MulticlassF1Score(2),
        (torch.rand(4, 1), T([0, 1, 1, 0])),
        ValueError,
        r"^Argument `y_pred` must have num_classes=2 scores in dimension 1, got shape \(4, 1\): one "
        r"probability or logit per sample is binary: use BinaryF1Score or BinaryFBetaScore\.$",
    )


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: MulticlassF1Score(1), "num_classes"),
        (lambda: MulticlassFBetaScore(2.0, 1), "num_classes"),
        (lambda: MultilabelF1Score(1, from_logits=False), "num_labels"),
    ],
    ids=["classes", "classes-beta", "labels"],
)
def test_one_class_or_label_points_to_the_binary_metrics(make: Callable[[], Any], name: str) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^Argument `{name}` must be an integer >= 2, got 1: .*use BinaryF1Score or BinaryFBetaScore",
    ):
        make()


def test_string_subclasses_are_taken_as_the_option_they_equal() -> None:
    metric = MulticlassF1Score(3, average=np.str_("micro"), multidim_average=np.str_("samplewise"))
    assert type(metric.average) is str and metric.average == "micro"
    assert type(metric.multidim_average) is str and metric.multidim_average == "samplewise"
    binary = BinaryF1Score(from_logits=False, multidim_average=np.array(["samplewise"])[0])
    assert type(binary.multidim_average) is str
    labels = MultilabelF1Score(3, from_logits=False, average=np.str_("samples"))
    assert type(labels.average) is str and labels.average == "samples"
    with pytest.raises(TypeError, match=r"must be one of \['global', 'samplewise'\], got 1\."):
        MulticlassF1Score(3, multidim_average=1)


@pytest.mark.parametrize(
    "batch",
    [
        (T([[1], [0]]), T([[1], [1]])),
        (torch.rand(2, 3, 1), T([[1], [1]])),
        (T([[1], [0]]).int(), T([[1], [1]]).int()),
    ],
    ids=["labels", "scores", "int32-labels"],
)
def test_per_image_multiclass_refuses_a_column_of_labels_as_the_binary_metrics_do(batch: Any) -> None:
    # (N, 1) targets were taken as N one-pixel images (0.5 here), where the binary metrics refuse them
    metric = MulticlassF1Score(3, multidim_average="samplewise")
    metric.update((T([[[0, 1]]]), T([[[0, 2]]])))
    _assert_refused(
        metric,
        batch,
        ValueError,
        r"^Argument `y` of shape \(2, 1\) is ambiguous with multidim_average='samplewise': .* \(N, 1, 1\)",
    )
    binary = BinaryF1Score(from_logits=False, multidim_average="samplewise")
    with pytest.raises(ValueError, match=r"^Argument `y` of shape \(2, 1\) is ambiguous"):
        binary.update((T([[1], [0]]), T([[1], [1]])))


def test_one_pixel_images_are_taken_with_their_pixel_dimension() -> None:
    metric = MulticlassF1Score(3, multidim_average="samplewise", zero_division=0.0)
    metric.update((T([[[1]], [[0]]]), T([[[1]], [[1]]])))  # (N, 1, 1): image 1 right, image 2 wrong
    assert metric.compute() == 0.5
