"""Bad input: every rejected batch or argument raises the right exception with a message that names
the argument, the rule and the value given, and a rejected batch leaves the metric exactly as it was.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from _reference import assert_same
from ignite.engine import create_supervised_trainer
from ignite.exceptions import NotComputableError
from sklearn.metrics import confusion_matrix, f1_score

from ignite_f1 import (
    BinaryF1Score,
    MulticlassF1Score,
    MultilabelF1Score,
    _host,
    _weights,
)

NAN = float("nan")

# --------------------------------------------------------------------------- metrics and valid batches


def _binary() -> BinaryF1Score:
    return BinaryF1Score(zero_division=0.0, from_logits=True)


def _binary_prob() -> BinaryF1Score:
    return BinaryF1Score(from_logits=False, zero_division=0.0)


def _multiclass() -> MulticlassF1Score:
    return MulticlassF1Score(num_classes=3, zero_division=0.0)


def _multiclass_ignore(ignore_index: int) -> Callable[[], MulticlassF1Score]:
    return lambda: MulticlassF1Score(num_classes=3, ignore_index=ignore_index, zero_division=0.0)


def _multilabel() -> MultilabelF1Score:
    # "samples" so that the per-sample running sums are part of the state under test
    return MultilabelF1Score(num_labels=3, average="samples", zero_division=0.0, from_logits=True)


def _multilabel_prob() -> MultilabelF1Score:
    return MultilabelF1Score(num_labels=3, from_logits=False, average="samples", zero_division=0.0)


def _valid_binary() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([0.3, -1.2, 2.0, -0.1]), torch.tensor([1, 0, 1, 1])


def _valid_binary_prob() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([0.7, 0.2, 0.9, 0.4]), torch.tensor([1, 0, 1, 1])


def _valid_multiclass() -> tuple[torch.Tensor, torch.Tensor]:
    scores = torch.tensor([[2.0, 0.1, 0.3], [0.2, 1.5, 0.1], [0.1, 0.2, 3.0], [1.0, 0.5, 0.2]])
    return scores, torch.tensor([0, 2, 2, 1])


def _valid_segmentation() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(2, 3, 4, 4, generator=gen)
    y = torch.randint(0, 3, (2, 4, 4), generator=gen)
    y[0, 0, :2] = 255
    return scores, y


def _valid_multilabel() -> tuple[torch.Tensor, torch.Tensor]:
    logits = torch.tensor([[2.0, -1.0, 0.5], [-0.5, 1.0, -2.0], [0.1, 0.2, -0.3], [-1.0, -1.0, -1.0]])
    return logits, torch.tensor([[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 0]])


def _valid_multilabel_prob() -> tuple[torch.Tensor, torch.Tensor]:
    probs = torch.tensor([[0.9, 0.1, 0.6], [0.3, 0.8, 0.1], [0.5, 0.4, 0.2], [0.0, 1.0, 0.0]])
    return probs, torch.tensor([[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 0]])


FAMILIES: dict[str, tuple[Callable[[], Any], Callable[[], tuple[torch.Tensor, torch.Tensor]]]] = {
    "binary": (_binary, _valid_binary),
    "binary_prob": (_binary_prob, _valid_binary_prob),
    "multiclass": (_multiclass, _valid_multiclass),
    "multiclass_ignore255": (_multiclass_ignore(255), _valid_multiclass),
    "multiclass_ignore-1": (_multiclass_ignore(-1), _valid_multiclass),
    "segmentation": (_multiclass_ignore(255), _valid_segmentation),
    "multilabel": (_multilabel, _valid_multilabel),
    "multilabel_prob": (_multilabel_prob, _valid_multilabel_prob),
}


# --------------------------------------------------------------------------- state snapshots


def _snapshot(metric: Any) -> dict[str, Any]:
    """Everything observable about the state: the state dict (deep-copied, its tensors alias the
    live state), the confusion matrix and the tensor attributes of the object."""
    tensors = {k: v.clone() for k, v in vars(metric).items() if isinstance(v, torch.Tensor)}
    return {
        "state_dict": copy.deepcopy(metric.state_dict()),
        "confusion_matrix": metric.confusion_matrix().clone(),
        "tensors": tensors,
    }


# --------------------------------------------------------------------------- the bad-batch table


def _nan_at(t: torch.Tensor, index: tuple[int, ...]) -> torch.Tensor:
    t = t.clone()
    t[index] = NAN
    return t


def _seg(y_pred: torch.Tensor | None = None, y: torch.Tensor | None = None) -> tuple[Any, Any]:
    scores, target = _valid_segmentation()
    return scores if y_pred is None else y_pred, target if y is None else y


def _seg_y_with(value: int) -> torch.Tensor:
    y = _valid_segmentation()[1].clone()
    y[1, 3, 3] = value
    return y


_SCORES_3 = _valid_multiclass()[0]
_Y_3 = _valid_multiclass()[1]
_ML_LOGITS, _ML_Y = _valid_multilabel()
_ML_PROBS = _valid_multilabel_prob()[0]

# (family, (y_pred, y), exception, regex on the message)
_ONE_HOT_3 = torch.nn.functional.one_hot(_Y_3, 3)
_SEG_SCORES, _SEG_Y = _valid_segmentation()
_SEG_Y_CLEAN = _SEG_Y.clamp(max=2)

BAD_BATCHES = [
    # ---- multi-class targets in the wrong form, named with the fix
    pytest.param(
        "multiclass",
        (_SCORES_3, _ONE_HOT_3),
        ValueError,
        r"^Argument `y` must hold one class label per sample, shape \(N, \.\.\.\), not one-hot "
        r"\(N, num_classes=3, \.\.\.\), got y \(4, 3\) with y_pred \(4, 3\): pass y\.argmax\(1\)\.$",
        id="multiclass-one_hot_y",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3.argmax(1), _ONE_HOT_3),
        ValueError,
        r"not one-hot .*got y \(4, 3\) with y_pred \(4,\): pass y\.argmax\(1\)\.$",
        id="multiclass-one_hot_y_label_pred",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, _Y_3.unsqueeze(1)),
        ValueError,
        r"^Argument `y` must hold class labels of shape \(N, \.\.\.\) without a dimension of size 1, "
        r"got y \(4, 1\) with y_pred \(4, 3\): pass y\.squeeze\(1\)\.$",
        id="multiclass-y_N1",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3.argmax(1), _Y_3.unsqueeze(1)),
        ValueError,
        r"got y \(4, 1\) with y_pred \(4,\): pass y\.squeeze\(1\)\.$",
        id="multiclass-y_N1_label_pred",
    ),
    pytest.param(
        "segmentation",
        (_SEG_SCORES, torch.nn.functional.one_hot(_SEG_Y_CLEAN, 3).permute(0, 3, 1, 2)),
        ValueError,
        r"not one-hot .*got y \(2, 3, 4, 4\) with y_pred \(2, 3, 4, 4\): pass y\.argmax\(1\)\.$",
        id="segmentation-one_hot_y",
    ),
    pytest.param(
        "segmentation",
        (_SEG_SCORES, _SEG_Y.unsqueeze(1)),
        ValueError,
        r"got y \(2, 1, 4, 4\) with y_pred \(2, 3, 4, 4\): pass y\.squeeze\(1\)\.$",
        id="segmentation-y_N1",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([0, -100, 2, -100])),
        ValueError,
        r"^Argument `y` must hold class labels in \[0, 3\) \(num_classes=3\), got values in \[-100, 2\]: "
        r"if -100 marks targets to skip \(padding, void pixels\), pass ignore_index=-100; otherwise check "
        r"num_classes and the labels\.$",
        id="multiclass-y_minus_100_without_ignore_index",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([0, 255, 2, 1], dtype=torch.uint8)),
        ValueError,
        r"got values in \[0, 255\]: if 255 marks targets to skip .*pass ignore_index=255;",
        id="multiclass-y_255_without_ignore_index",
    ),
    # ---- binary
    pytest.param(
        "binary",
        (torch.randn(4), torch.tensor([1, 0, 1, 0, 1])),
        ValueError,
        r"Arguments `y_pred` and `y` must have the same shape .*got y_pred \(4,\) and y \(5,\)",
        id="binary-batch_size_mismatch",
    ),
    pytest.param(
        "binary",
        (torch.randn(4, 2), torch.tensor([1, 0, 1, 0])),
        ValueError,
        r"^Argument `y_pred` of a binary metric must hold one score per sample, shape \(N,\) or \(N, 1\) "
        r"like y, got y_pred \(4, 2\) and y \(4,\) \(two scores per sample\): for two-class outputs use "
        r"MulticlassF1Score\(num_classes=2\), or keep the positive class's column: y_pred\[:, 1\] for "
        r"softmax probabilities \(from_logits=False\), y_pred\[:, 1\] - y_pred\[:, 0\] for two-class logits",
        id="binary-two_columns",
    ),
    pytest.param(
        "binary_prob",
        (torch.rand(4, 2), torch.tensor([[1], [0], [1], [0]])),
        ValueError,
        r"^Argument `y_pred` of a binary metric must hold one score per sample.*"
        r"got y_pred \(4, 2\) and y \(4, 1\)",
        id="binary-two_columns_y_N1",
    ),
    pytest.param(
        "binary",
        (torch.tensor(0.3), torch.tensor(1)),
        ValueError,
        r"Argument `y_pred` must have at least 1 dimension .*got shape \(\)",
        id="binary-ndim0",
    ),
    pytest.param(
        "binary",
        (torch.randn(4), torch.tensor([0, 1, 2, 0])),
        ValueError,
        r"Argument `y` must hold only 0 and 1, got values in \[0, 2\]",
        id="binary-y_not_01",
    ),
    pytest.param(
        "binary",
        (torch.randn(4), torch.tensor([0, -1, 1, 0])),
        ValueError,
        r"Argument `y` must hold only 0 and 1, got values in \[-1, 1\]",
        id="binary-y_negative",
    ),
    pytest.param(
        "binary",
        (torch.randn(4), torch.tensor([0.0, 0.5, 1.0, 0.0])),
        ValueError,
        r"Argument `y` must hold only 0 and 1, got values in \[0, 1\] including non-integral values",
        id="binary-y_float_nonintegral",
    ),
    pytest.param(
        "binary",
        (torch.tensor([0, 2, 1, 0]), torch.tensor([0, 1, 1, 0])),
        ValueError,
        r"Argument `y_pred` must hold only 0 and 1, got values in \[0, 2\]",
        id="binary-ypred_labels_not_01",
    ),
    pytest.param(
        "binary",
        (torch.tensor([0.1, NAN, -0.3, 0.2]), torch.tensor([0, 1, 1, 0])),
        ValueError,
        r"Argument `y_pred` must not contain NaN scores, got NaN",
        id="binary-nan_logits",
    ),
    pytest.param(
        "binary_prob",
        (torch.tensor([0.1, NAN, 0.3, 0.2]), torch.tensor([0, 1, 1, 0])),
        ValueError,
        r"Argument `y_pred` must not contain NaN scores, got NaN",
        id="binary-nan_probs",
    ),
    pytest.param(
        "binary_prob",
        (torch.tensor([0.2, 1.5, 0.3, 0.9]), torch.tensor([0, 1, 1, 0])),
        ValueError,
        r"Argument `y_pred` must hold probabilities in \[0, 1\] when from_logits=False, "
        r"got values in \[0\.(2|2000\d*), 1\.5\]",
        id="binary-prob_above_1",
    ),
    pytest.param(
        "binary_prob",
        (torch.tensor([0.2, -0.5, 0.3, 0.9]), torch.tensor([0, 1, 1, 0])),
        ValueError,
        r"Argument `y_pred` must hold probabilities in \[0, 1\] when from_logits=False, "
        r"got values in \[-0\.5, 0\.(9|8999\d*)\]",
        id="binary-prob_negative",
    ),
    pytest.param(
        "binary",
        (torch.randn(4, dtype=torch.complex64), torch.tensor([0, 1, 1, 0])),
        TypeError,
        r"Argument `y_pred` must have one of the dtypes float16, .* got torch\.complex64: complex values",
        id="binary-ypred_complex",
    ),
    pytest.param(
        "binary",
        ([0.1, 0.2, -0.3, 0.4], torch.tensor([0, 1, 1, 0])),
        TypeError,
        r"Argument `y_pred` must be a torch\.Tensor, got list",
        id="binary-ypred_list",
    ),
    pytest.param(
        "binary",
        (torch.randn(4), [0, 1, 1, 0]),
        TypeError,
        r"Argument `y` must be a torch\.Tensor, got list",
        id="binary-y_list",
    ),
    # ---- multi-class
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([0, 2, 2, 1, 0])),
        ValueError,
        r"Arguments `y_pred` .* and `y` .* must agree in N.*got y_pred \(4, 3\) and y \(5,\)",
        id="multiclass-batch_size_mismatch",
    ),
    pytest.param(
        "multiclass",
        (torch.randn(4, 4), _Y_3),
        ValueError,
        r"Argument `y_pred` must have num_classes=3 scores in dimension 1, got shape \(4, 4\)",
        id="multiclass-ypred_width_ne_num_classes",
    ),
    pytest.param(
        "multiclass",
        (torch.randn(4, 3, 2), _Y_3),
        ValueError,
        r"Argument `y_pred` of float scores must have one more dimension than `y`.*"
        r"got y_pred \(4, 3, 2\) and y \(4,\)",
        id="multiclass-ypred_ndim_too_big",
    ),
    pytest.param(
        "multiclass",
        (torch.randn(4), _Y_3),
        ValueError,
        r"Argument `y_pred` of float scores must have one more dimension than `y`.*"
        r"got y_pred \(4,\) and y \(4,\)",
        id="multiclass-ypred_scores_1d",
    ),
    pytest.param(
        "multiclass",
        (torch.randn(3), torch.tensor(1)),
        ValueError,
        r"Argument `y` must have at least 1 dimension .*got shape \(\)",
        id="multiclass-y_ndim0",
    ),
    pytest.param(
        "multiclass",
        (torch.tensor([0, 1, 2, 1]), torch.tensor([0, 1, 2, 1, 0])),
        ValueError,
        r"Argument `y_pred` of integer class labels must have the same shape as `y`, "
        r"got y_pred \(4,\) and y \(5,\)",
        id="multiclass-label_shape_mismatch",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([0, 1, 3, 2])),
        ValueError,
        r"Argument `y` must hold class labels in \[0, 3\) \(num_classes=3\), got values in \[0, 3\]",
        id="multiclass-y_out_of_range",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([0, -1, 2, 1])),
        ValueError,
        r"Argument `y` must hold class labels in \[0, 3\) \(num_classes=3\), got values in \[-1, 2\]",
        id="multiclass-y_negative",
    ),
    pytest.param(
        "multiclass",
        (torch.tensor([0, 1, 5, 2]), _Y_3),
        ValueError,
        r"Argument `y_pred` must hold class labels in \[0, 3\) \(num_classes=3\), got values in \[0, 5\]",
        id="multiclass-ypred_labels_out_of_range",
    ),
    pytest.param(
        "multiclass",
        (torch.tensor([0, -2, 1, 2]), _Y_3),
        ValueError,
        r"Argument `y_pred` must hold class labels in \[0, 3\) \(num_classes=3\), got values in \[-2, 2\]",
        id="multiclass-ypred_labels_negative",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([0.0, 1.5, 2.0, 1.0])),
        ValueError,
        r"Argument `y` must hold integer class labels, got non-integral float values in \[0\.0, 2\.0\]",
        id="multiclass-y_float_nonintegral",
    ),
    pytest.param(
        "multiclass",
        (_nan_at(_SCORES_3, (2, 1)), _Y_3),
        ValueError,
        r"Argument `y_pred` must not contain NaN scores, got NaN",
        id="multiclass-nan_scores",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([True, False, True, True])),
        TypeError,
        r"Argument `y` must hold integer class labels, got dtype torch\.bool",
        id="multiclass-y_bool",
    ),
    pytest.param(
        "multiclass",
        (torch.tensor([True, False, True, True]), _Y_3),
        TypeError,
        r"Argument `y_pred` must hold float scores .* or integer class labels, got dtype torch\.bool",
        id="multiclass-ypred_bool",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, _Y_3.to(torch.complex64)),
        TypeError,
        r"Argument `y` must have one of the dtypes float16, .* or bool, got torch\.complex64: complex values",
        id="multiclass-y_complex",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3.tolist(), _Y_3),
        TypeError,
        r"Argument `y_pred` must be a torch\.Tensor, got list",
        id="multiclass-ypred_list",
    ),
    pytest.param(
        "multiclass_ignore255",
        (_SCORES_3, torch.tensor([0, 1, 254, 255])),
        ValueError,
        r"Argument `y` must hold class labels in \[0, 3\) or ignore_index=255 \(num_classes=3\), "
        r"got values in \[0, 254\]",
        id="multiclass-y_out_of_range_not_ignore_index",
    ),
    pytest.param(
        "multiclass_ignore-1",
        (_SCORES_3, torch.tensor([0, -2, -1, 1])),
        ValueError,
        r"Argument `y` must hold class labels in \[0, 3\) or ignore_index=-1 \(num_classes=3\), "
        r"got values in \[-2, 1\]",
        id="multiclass-y_negative_not_ignore_index",
    ),
    # ---- segmentation (N, C, H, W) with ignore_index=255
    pytest.param(
        "segmentation",
        _seg(y_pred=_nan_at(_valid_segmentation()[0], (1, 2, 3, 0))),
        ValueError,
        r"Argument `y_pred` must not contain NaN scores, got NaN",
        id="segmentation-nan_scores",
    ),
    pytest.param(
        "segmentation",
        _seg(y=torch.zeros(2, 4, 5, dtype=torch.int64)),
        ValueError,
        r"Arguments `y_pred` .* and `y` .* must agree in N and d1.*"
        r"got y_pred \(2, 3, 4, 4\) and y \(2, 4, 5\)",
        id="segmentation-spatial_mismatch",
    ),
    pytest.param(
        "segmentation",
        _seg(y=_seg_y_with(7)),
        ValueError,
        r"Argument `y` must hold class labels in \[0, 3\) or ignore_index=255 .*got values in \[0, 7\]",
        id="segmentation-y_out_of_range",
    ),
    pytest.param(
        "segmentation",
        _seg(y_pred=torch.randn(2, 4, 4, 4)),
        ValueError,
        r"Argument `y_pred` must have num_classes=3 scores in dimension 1, got shape \(2, 4, 4, 4\)",
        id="segmentation-channels_ne_num_classes",
    ),
    pytest.param(
        "segmentation",
        _seg(y=torch.zeros(2, 4, 4, 1, dtype=torch.int64)),
        ValueError,
        r"Argument `y_pred` of float scores must have one more dimension than `y`",
        id="segmentation-y_ndim",
    ),
    # ---- multilabel
    pytest.param(
        "multilabel",
        (_ML_LOGITS, _ML_Y[:, :2]),
        ValueError,
        r"Arguments `y_pred` and `y` must have the same shape .*got y_pred \(4, 3\) and y \(4, 2\)",
        id="multilabel-shape_mismatch",
    ),
    pytest.param(
        "multilabel",
        (_ML_LOGITS, torch.cat([_ML_Y, _ML_Y[:1]])),
        ValueError,
        r"Arguments `y_pred` and `y` must have the same shape .*got y_pred \(4, 3\) and y \(5, 3\)",
        id="multilabel-batch_size_mismatch",
    ),
    pytest.param(
        "multilabel",
        (torch.randn(4, 4), torch.zeros(4, 4, dtype=torch.int64)),
        ValueError,
        r"Argument `y_pred` must have shape \(N, num_labels=3\), got \(4, 4\)",
        id="multilabel-ypred_width_ne_num_labels",
    ),
    pytest.param(
        "multilabel",
        (torch.randn(4), torch.tensor([0, 1, 1, 0])),
        ValueError,
        r"Argument `y_pred` must have 2 dimensions \(N, num_labels\), got shape \(4,\)",
        id="multilabel-ndim1",
    ),
    pytest.param(
        "multilabel",
        (torch.randn(4, 3, 2), torch.zeros(4, 3, 2, dtype=torch.int64)),
        ValueError,
        r"Argument `y_pred` must have 2 dimensions \(N, num_labels\), got shape \(4, 3, 2\)",
        id="multilabel-ndim3",
    ),
    pytest.param(
        "multilabel",
        (_ML_LOGITS, torch.tensor([[1, 0, 0], [0, 2, 1], [1, 1, 0], [0, 0, 0]])),
        ValueError,
        r"Argument `y` must hold only 0 and 1, got values in \[0, 2\]",
        id="multilabel-y_not_01",
    ),
    pytest.param(
        "multilabel",
        (_ML_LOGITS, torch.tensor([[1, 0, 0], [0, -1, 1], [1, 1, 0], [0, 0, 0]])),
        ValueError,
        r"Argument `y` must hold only 0 and 1, got values in \[-1, 1\]",
        id="multilabel-y_negative",
    ),
    pytest.param(
        "multilabel",
        (_ML_LOGITS, torch.tensor([[1.0, 0, 0], [0, 0.5, 1], [1, 1, 0], [0, 0, 0]])),
        ValueError,
        r"Argument `y` must hold only 0 and 1, got values in \[0, 1\] including non-integral values",
        id="multilabel-y_float_nonintegral",
    ),
    pytest.param(
        "multilabel",
        (torch.tensor([[1, 0, 0], [0, 3, 1], [1, 1, 0], [0, 0, 0]]), _ML_Y),
        ValueError,
        r"Argument `y_pred` must hold only 0 and 1, got values in \[0, 3\]",
        id="multilabel-ypred_labels_not_01",
    ),
    pytest.param(
        "multilabel",
        (_nan_at(_ML_LOGITS, (3, 2)), _ML_Y),
        ValueError,
        r"Argument `y_pred` must not contain NaN scores, got NaN",
        id="multilabel-nan_logits",
    ),
    pytest.param(
        "multilabel_prob",
        (_nan_at(_ML_PROBS, (0, 0)), _ML_Y),
        ValueError,
        r"Argument `y_pred` must not contain NaN scores, got NaN",
        id="multilabel-nan_probs",
    ),
    pytest.param(
        "multilabel_prob",
        (_ML_PROBS * 2, _ML_Y),
        ValueError,
        r"Argument `y_pred` must hold probabilities in \[0, 1\] when from_logits=False, "
        r"got values in \[0\.0, 2\.0\]",
        id="multilabel-prob_above_1",
    ),
    pytest.param(
        "multilabel",
        (_ML_LOGITS.to(torch.complex128), _ML_Y),
        TypeError,
        r"Argument `y_pred` must have one of the dtypes float16, .* got torch\.complex128: complex values",
        id="multilabel-ypred_complex",
    ),
    pytest.param(
        "multilabel",
        (_ML_LOGITS, _ML_Y.tolist()),
        TypeError,
        r"Argument `y` must be a torch\.Tensor, got list",
        id="multilabel-y_list",
    ),
]


# ---- a tensor that is not dense (sparse, mkldnn, nested) is refused by name: torch failed on it
# deep inside (.numpy(), aminmax, argmax, is_contiguous) with its own message, or no message at all


def _not_dense(name: str, layout: str) -> str:
    return (
        rf"^Argument `{name}` must be a dense \(strided\) tensor, got layout torch\.{layout}: "
        rf"pass {name}\.to_dense\(\)\.$"
    )


def _nested(name: str, layout: str) -> str:
    return (
        rf"^Argument `{name}` must be a dense \(strided\) tensor, got a nested tensor "
        rf"\(layout torch\.{layout}\): pass its tensors joined into one, "
        rf"such as torch\.cat\({name}\.unbind\(\)\)\.$"
    )


def _nest(t: torch.Tensor, layout: torch.layout = torch.strided) -> torch.Tensor:
    """The rows of ``t`` as a nested tensor: its first row, then the others."""
    return torch.nested.nested_tensor([t[:1], t[1:]], layout=layout)


_BIN_LOGITS, _BIN_Y = _valid_binary()
_BIN_PROBS = _valid_binary_prob()[0]
NOT_DENSE = [
    pytest.param(
        "binary", (_BIN_LOGITS.to_sparse(), _BIN_Y), TypeError, _not_dense("y_pred", "sparse_coo"), id="coo"
    ),
    pytest.param(
        "binary", (_BIN_LOGITS.to_mkldnn(), _BIN_Y), TypeError, _not_dense("y_pred", "_mkldnn"), id="mkl"
    ),
    pytest.param(
        "binary", (_BIN_LOGITS, _BIN_Y.to_sparse()), TypeError, _not_dense("y", "sparse_coo"), id="y_coo"
    ),
    pytest.param(
        "binary", (_nest(_BIN_LOGITS), _BIN_Y), TypeError, _nested("y_pred", "strided"), id="nested"
    ),
    pytest.param(
        "binary_prob",
        (_BIN_PROBS[:, None].to_sparse_csr(), _BIN_Y),
        TypeError,
        _not_dense("y_pred", "sparse_csr"),
        id="binary_prob-csr",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3.to_sparse(), _Y_3),
        TypeError,
        _not_dense("y_pred", "sparse_coo"),
        id="mc-coo",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3.to_sparse_csr(), _Y_3),
        TypeError,
        _not_dense("y_pred", "sparse_csr"),
        id="mc-csr",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3.to_sparse_bsr((1, 1)), _Y_3),
        TypeError,
        _not_dense("y_pred", "sparse_bsr"),
        id="mc-bsr",
    ),
    pytest.param(
        "multiclass", (_Y_3, _Y_3.to_sparse()), TypeError, _not_dense("y", "sparse_coo"), id="mc-y_coo"
    ),
    pytest.param(
        "multiclass", (_SCORES_3, _nest(_Y_3)), TypeError, _nested("y", "strided"), id="mc-y_nested"
    ),
    pytest.param(
        "multiclass_ignore255",
        (_SCORES_3, _Y_3.to_sparse()),
        TypeError,
        _not_dense("y", "sparse_coo"),
        id="ig-coo",
    ),
    pytest.param(
        "multiclass_ignore-1",
        (_SCORES_3.to_mkldnn(), _Y_3),
        TypeError,
        _not_dense("y_pred", "_mkldnn"),
        id="ig-mkl",
    ),
    pytest.param(
        "segmentation",
        _seg(y_pred=_SEG_SCORES.to_sparse()),
        TypeError,
        _not_dense("y_pred", "sparse_coo"),
        id="seg",
    ),
    pytest.param(
        "multilabel",
        (_ML_LOGITS.to_sparse_csr(), _ML_Y),
        TypeError,
        _not_dense("y_pred", "sparse_csr"),
        id="ml-csr",
    ),
    pytest.param(
        "multilabel", (_ML_LOGITS, _ML_Y.to_sparse()), TypeError, _not_dense("y", "sparse_coo"), id="ml-y_coo"
    ),
    pytest.param(
        "multilabel", (_ML_LOGITS.to_mkldnn(), _ML_Y), TypeError, _not_dense("y_pred", "_mkldnn"), id="ml-mkl"
    ),
    pytest.param(
        "multilabel",
        (_nest(_ML_LOGITS, torch.jagged), _ML_Y),
        TypeError,
        _nested("y_pred", "jagged"),
        id="ml-jagged",
    ),
    pytest.param(
        "multilabel_prob",
        (_ML_PROBS.to_sparse_csc(), _ML_Y),
        TypeError,
        _not_dense("y_pred", "sparse_csc"),
        id="ml-csc",
    ),
]

# ---- a non-finite target: no ignore_index can mark it (the constructor takes integers of int64 only)
_NO_IGNORE_INDEX = (
    r": class labels are finite, and ignore_index is an integer; check how the targets are made\.$"
)
NOT_FINITE_TARGETS = [
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([0.0, 1.0, math.inf, 2.0])),
        ValueError,
        r"^Argument `y` must hold class labels in \[0, 3\) \(num_classes=3\), got values in \[0, inf\]"
        + _NO_IGNORE_INDEX,
        id="multiclass-y_inf",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([-1.0, 1.0, -math.inf, 2.0])),
        ValueError,
        r"got values in \[-inf, 2\]" + _NO_IGNORE_INDEX,
        id="multiclass-y_minus_inf",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([-1.0, 1.0, math.inf, 2.0], dtype=torch.float64)),
        ValueError,
        r"got values in \[-1, inf\]" + _NO_IGNORE_INDEX,  # not "pass ignore_index=-1": inf stays
        id="multiclass-y_minus_1_and_inf",
    ),
    pytest.param(
        "multiclass_ignore255",
        (_SCORES_3, torch.tensor([0.0, 255.0, math.inf, 2.0])),
        ValueError,
        r"or ignore_index=255 \(num_classes=3\), got values in \[0, inf\]" + _NO_IGNORE_INDEX,
        id="multiclass_ignore255-y_inf",
    ),
    pytest.param(
        "multiclass",
        (_SCORES_3, torch.tensor([0.0, 1.0, 1e30, 2.0], dtype=torch.float64)),
        ValueError,
        r"got values in \[0, 1000000000000000019884624838656\]\.$",  # no ignore_index: past int64
        id="multiclass-y_past_int64",
    ),
]
BAD_BATCHES += NOT_DENSE + NOT_FINITE_TARGETS


@pytest.mark.parametrize(("family", "batch", "error", "match"), BAD_BATCHES)
def test_bad_batch_is_rejected_and_leaves_state_unchanged(
    family: str, batch: tuple[Any, Any], error: type[Exception], match: str
) -> None:
    make, valid = FAMILIES[family]
    metric = make()
    first = valid()
    metric.update(first)
    before = _snapshot(metric)
    value_before = metric.compute()

    with pytest.raises(error, match=match):
        metric.update(batch)

    assert_same(_snapshot(metric), before)
    assert_same(metric.compute(), value_before)

    # the metric still works, and ends as if the bad batch had never been offered
    second = valid()
    metric.update(second)
    reference = make()
    reference.update(first)
    reference.update(second)
    assert_same(_snapshot(metric), _snapshot(reference))
    assert_same(metric.compute(), reference.compute())


def test_bad_batch_table_covers_every_family() -> None:
    families = {param.values[0] for param in BAD_BATCHES}
    assert families == set(FAMILIES)


# --------------------------------------------------------------------------- empty batches


EMPTY_BATCHES = [
    pytest.param("binary", (torch.empty(0), torch.empty(0, dtype=torch.int64)), id="binary"),
    pytest.param(
        "binary",
        (torch.empty(0, 1), torch.empty(0, dtype=torch.int64)),
        id="binary-N1",
    ),
    pytest.param("binary", (torch.empty(0, 1), torch.empty(0, 1)), id="binary-N1-float_target"),
    pytest.param("binary", (torch.empty(0, 2, 3), torch.empty(0, 2, 3, dtype=torch.int64)), id="binary-grid"),
    pytest.param(
        "binary",
        (torch.empty(0, dtype=torch.int64), torch.empty(0, dtype=torch.bool)),
        id="binary-labels",
    ),
    pytest.param(
        "binary",
        (torch.empty(0, dtype=torch.bool), torch.empty(0, dtype=torch.bool)),
        id="binary-bool",
    ),
    pytest.param("multiclass", (torch.empty(0, 3), torch.empty(0, dtype=torch.int64)), id="multiclass"),
    pytest.param(
        "multiclass",
        (torch.empty(0, dtype=torch.int64), torch.empty(0, dtype=torch.int64)),
        id="multiclass-labels",
    ),
    pytest.param(
        "segmentation",
        (torch.empty(0, 3, 4, 4), torch.empty(0, 4, 4, dtype=torch.int64)),
        id="segmentation",
    ),
    pytest.param(
        "segmentation",
        (torch.randn(1, 3, 2, 2), torch.full((1, 2, 2), 255)),
        id="segmentation-all_ignored",
    ),
    pytest.param("multilabel", (torch.empty(0, 3), torch.empty(0, 3, dtype=torch.int64)), id="multilabel"),
    pytest.param(
        "multilabel",
        (torch.empty(0, 3, dtype=torch.int64), torch.empty(0, 3, dtype=torch.int64)),
        id="multilabel-labels",
    ),
]


@pytest.mark.parametrize(("family", "batch"), EMPTY_BATCHES)
def test_empty_batch_is_a_no_op(family: str, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    """Before, between and after real batches, an empty batch (or one whose every target is
    ignored) changes nothing: the state, the confusion matrix and the score stay as they are."""
    make, valid = FAMILIES[family]
    reference = make()
    reference.update(valid())

    first = make()
    first.update(batch)
    for method in (first.confusion_matrix, first.compute):
        with pytest.raises(NotComputableError):
            method()
    first.update(valid())
    assert_same(_snapshot(first), _snapshot(reference))

    metric = make()
    metric.update(valid())
    metric.update(batch)
    assert_same(_snapshot(metric), _snapshot(reference))
    metric.update(valid())
    reference.update(valid())
    assert_same(_snapshot(metric), _snapshot(reference))
    assert_same(metric.compute(), reference.compute())


# --------------------------------------------------------------------------- nothing to compute


@pytest.mark.parametrize("family", ["binary", "multiclass", "segmentation", "multilabel"])
@pytest.mark.parametrize("method", ["compute", "report", "confusion_matrix"])
def test_compute_before_any_sample_is_not_computable(family: str, method: str) -> None:
    make, valid = FAMILIES[family]
    metric = make()
    with pytest.raises(NotComputableError, match="must have at least one example"):
        getattr(metric, method)()

    metric.update(valid())
    getattr(metric, method)()
    metric.reset()
    with pytest.raises(NotComputableError, match="must have at least one example"):
        getattr(metric, method)()


# --------------------------------------------------------------------------- ignore_index


@pytest.mark.parametrize("validate_args", [True, False], ids=["validate", "no_validate"])
@pytest.mark.parametrize("batch", [6, 40], ids=["small_batch", "large_batch"])
@pytest.mark.parametrize("ignore_index", [-1, -100, 3, 255])
def test_predictions_at_ignored_targets_are_dropped_whatever_they_hold(
    ignore_index: int, batch: int, validate_args: bool
) -> None:
    """A negative prediction at an ignored target used to land in a real cell (pred + C * C) or crash
    half-way; any integer there, in range or not, must be dropped."""
    gen = torch.Generator().manual_seed(batch)
    y = torch.randint(0, 3, (batch,), generator=gen)
    y_pred = torch.randint(0, 3, (batch,), generator=gen)
    ignored = torch.arange(batch) % 3 == 1
    y[ignored] = ignore_index
    junk = torch.tensor([-1, -2, -100, 3, 255, ignore_index, 2**40, -(2**40), 0, 2])
    y_pred[ignored] = junk[torch.arange(int(ignored.sum())) % junk.numel()]
    kept_y, kept_pred = y[~ignored].numpy(), y_pred[~ignored].numpy()

    metric = MulticlassF1Score(3, average=None, ignore_index=ignore_index, validate_args=validate_args)
    metric.update((y_pred, y))
    expected = f1_score(y_true=kept_y, y_pred=kept_pred, labels=[0, 1, 2], average=None, zero_division=0.0)
    assert metric.compute().tolist() == expected.tolist()
    assert (
        metric.confusion_matrix().tolist() == confusion_matrix(kept_y, kept_pred, labels=[0, 1, 2]).tolist()
    )


@pytest.mark.parametrize("validate_args", [True, False], ids=["validate", "no_validate"])
def test_ignore_index_issue_example(validate_args: bool) -> None:
    metric = MulticlassF1Score(3, average=None, ignore_index=-1, validate_args=validate_args)
    metric.update((torch.tensor([0, 1, 1, -1]), torch.tensor([0, 1, 2, -1])))
    expected = f1_score(y_true=[0, 1, 2], y_pred=[0, 1, 1], labels=[0, 1, 2], average=None, zero_division=0.0)
    assert metric.compute().tolist() == expected.tolist()  # [1.0, 0.667, 0.0]


@pytest.mark.parametrize("validate_args", [True, False], ids=["validate", "no_validate"])
@pytest.mark.parametrize("ignore_index", [-1, 255])
def test_a_batch_with_every_target_ignored_adds_nothing(ignore_index: int, validate_args: bool) -> None:
    metric = MulticlassF1Score(3, ignore_index=ignore_index, validate_args=validate_args)
    all_ignored = (torch.tensor([-1, 7, 2, ignore_index]), torch.full((4,), ignore_index))
    metric.update(all_ignored)
    with pytest.raises(NotComputableError):
        metric.compute()
    metric.update((torch.tensor([0, 1]), torch.tensor([0, 2])))
    before = {"cm": metric.confusion_matrix(), "value": metric.compute()}
    metric.update(all_ignored)
    assert torch.equal(metric.confusion_matrix(), before["cm"])
    assert metric.compute() == before["value"]


_NARROW = [
    (torch.int8, [256, -256, 2**40]),
    (torch.uint8, [-1, 256, 257]),
    (torch.int16, [65536, 65537]),
    (torch.int32, [2**32, 2**32 + 1]),
    (torch.float16, [2**16 + 1, 2**40]),  # rounded in float16: 65536 (inf), 2**40 (inf)
    (torch.float32, [2**24 + 1, 2**32 + 2]),
]


@pytest.mark.parametrize("scores", [False, True], ids=["labels", "scores"])
@pytest.mark.parametrize(
    ("dtype", "ignore_index"),
    [(dtype, value) for dtype, values in _NARROW for value in values],
    ids=lambda v: str(v).replace("torch.", ""),
)
def test_an_ignore_index_the_targets_dtype_cannot_hold_ignores_no_target(
    dtype: torch.dtype, ignore_index: int, scores: bool
) -> None:
    """Compared in the targets' dtype, 256 would read 0 in int8 (and -1 would read 255 in uint8):
    targets of a dtype that cannot hold ignore_index are all counted, on every path."""
    gen = torch.Generator().manual_seed(ignore_index % 1000)
    y_pred = torch.randint(0, 3, (40,), generator=gen)
    y = torch.randint(0, 3, (40,), generator=gen).to(dtype)
    output = (torch.nn.functional.one_hot(y_pred, 3).to(torch.float16) if scores else y_pred, y)
    metric = MulticlassF1Score(3, average="micro", ignore_index=ignore_index)
    metric.update(output)
    assert metric.confusion_matrix().sum() == 40
    assert metric.compute() == f1_score(y_true=y.long().numpy(), y_pred=y_pred.numpy(), average="micro")


def test_a_uint8_target_255_with_ignore_index_minus_one_is_refused() -> None:
    metric = MulticlassF1Score(3, ignore_index=-1)
    y = torch.tensor([0, 1, 2, 255], dtype=torch.uint8)
    for y_pred in (torch.tensor([0, 1, 2, 1]), torch.eye(3)[[0, 1, 2, 1]].half()):
        with pytest.raises(
            ValueError, match=r"Argument `y` must hold class labels in \[0, 3\) or ignore_index=-1"
        ):
            metric.update((y_pred, y))
    with pytest.raises(NotComputableError):  # nothing was counted
        metric.compute()


# --------------------------------------------------------------------------- output is a pair

NOT_PAIRS = [
    pytest.param(
        lambda y_pred, y: (y_pred,),
        ValueError,
        r"got a tuple of 1 element: use output_transform",
        id="1-tuple",
    ),
    pytest.param(
        lambda y_pred, y: (y_pred, y, torch.ones(y.shape[0])),
        ValueError,
        r"got a tuple of 3 elements: a third element \(sample weights\) is counted only by a metric built "
        r"with sample_weight=True, and is never dropped silently; build the metric with sample_weight=True "
        r"to weight the samples, or pass \(y_pred, y\)",
        id="3-tuple-weights",
    ),
    pytest.param(
        lambda y_pred, y: [y_pred, y, y],
        ValueError,
        r"got a list of 3 elements: a third element \(sample weights\)",
        id="3-list",
    ),
    pytest.param(lambda y_pred, y: [], ValueError, r"got a list of 0 elements", id="empty-list"),
    pytest.param(
        lambda y_pred, y: {"y_pred": y_pred, "y": y},
        TypeError,
        r"got a dict with keys \['y_pred', 'y'\]: pick the two with output_transform",
        id="dict",
    ),
    pytest.param(
        lambda y_pred, y: 0.6931,
        TypeError,
        r"got float 0\.6931: an engine made by create_supervised_trainer returns the loss \(a float\)",
        id="loss-float",
    ),
    pytest.param(
        lambda y_pred, y: torch.stack([y.to(torch.float32), y.to(torch.float32)]),
        TypeError,
        r"got a single torch\.Tensor of shape \(2, 4[, 3]*\): pass predictions and targets as two tensors",
        id="stacked-tensor",
    ),
    pytest.param(lambda y_pred, y: None, TypeError, r"got NoneType: use output_transform", id="None"),
]


@pytest.mark.parametrize("family", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize(("build", "error", "match"), NOT_PAIRS)
def test_output_must_be_the_pair_y_pred_y(
    build: Callable[[Any, Any], Any], error: type[Exception], match: str, family: str
) -> None:
    make, valid = FAMILIES[family]
    metric = make()
    metric.update(valid())
    before = _snapshot(metric)
    with pytest.raises(
        error,
        match=r"^Argument `output` must be a pair \(y_pred, y\), a tuple or list of 2 elements, " + match,
    ):
        metric.update(build(*valid()))
    assert_same(_snapshot(metric), before)


def test_a_metric_attached_to_a_default_trainer_says_to_use_an_evaluator() -> None:
    """create_supervised_trainer's output is the loss: the metric names it and the way out."""
    model = torch.nn.Linear(3, 1)
    trainer = create_supervised_trainer(
        model, torch.optim.SGD(model.parameters(), lr=0.1), torch.nn.BCEWithLogitsLoss()
    )
    BinaryF1Score(from_logits=True).attach(trainer, "f1")
    data = [(torch.randn(4, 3), torch.randint(0, 2, (4, 1)).float())]
    with pytest.raises(TypeError, match=r"got float .*create_supervised_evaluator returns \(y_pred, y\)"):
        trainer.run(data)


def test_a_pair_as_a_list_is_accepted() -> None:
    y_pred, y = _valid_binary()
    metric, reference = _binary(), _binary()
    metric.update([y_pred, y])
    reference.update((y_pred, y))
    assert_same(_snapshot(metric), _snapshot(reference))


def test_binary_extra_dimensions_stay_allowed() -> None:
    """Segmentation masks (N, H, W) and (N, d) targets of the same shape are per-element binary."""
    metric, reference = _binary_prob(), _binary_prob()
    y_pred, y = torch.rand(3, 3), torch.randint(0, 2, (3, 3))
    metric.update((y_pred, y))
    reference.update((y_pred.reshape(-1), y.reshape(-1)))
    assert_same(_snapshot(metric), _snapshot(reference))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64])  # NumPy path or not
def test_binary_two_columns_are_refused_and_the_suggested_routes_count_them(dtype: torch.dtype) -> None:
    """(N, 2) scores with (N, 2) targets: softmax with one-hot targets (the positive class's F1 is
    wanted) or two binary outputs per sample (the pooled F1): refused, the two routes named."""
    probabilities = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6]])
    one_hot = torch.tensor([[1, 0], [1, 0], [0, 1], [0, 1]])
    y_pred = probabilities.to(dtype) if dtype.is_floating_point else (probabilities >= 0.5).to(dtype)
    metric = _binary_prob()
    with pytest.raises(
        ValueError, match=r"must not both have shape \(N, 2\), got \(4, 2\): .* y_pred\[:, 1\]"
    ):
        metric.update((y_pred, one_hot))
    with pytest.raises(NotComputableError):  # nothing counted
        metric.compute()
    metric.update((y_pred[:, 1], one_hot[:, 1]))  # the positive class
    hard = (probabilities >= 0.5).long().numpy()
    assert metric.compute() == f1_score(y_true=one_hot[:, 1].numpy(), y_pred=hard[:, 1])
    pooled = MultilabelF1Score(2, average="micro", from_logits=False, zero_division=0.0)
    pooled.update((y_pred, one_hot))  # two outputs per sample
    assert pooled.compute() == f1_score(y_true=one_hot.numpy().reshape(-1), y_pred=hard.reshape(-1))
    per_image = BinaryF1Score(from_logits=False, multidim_average="samplewise", zero_division=0.0)
    per_image.update((y_pred, one_hot))  # images of 2 pixels: no doubt
    expected = [
        f1_score(y_true=t, y_pred=p, zero_division=0.0) for t, p in zip(one_hot.numpy(), hard, strict=True)
    ]
    assert per_image.compute() == pytest.approx(sum(expected) / 4, rel=1e-15)


# --------------------------------------------------------------------------- messages that say what to do

_LOGITS = torch.tensor([2.3, -1.7, 0.4, -0.2])
_PLUS_MINUS = torch.tensor([1, -1, 1, -1])
_VOID_MASKS = torch.tensor(
    [[[0, 1, 1], [255, 255, 0], [1, 0, 0]], [[1, 1, 0], [0, 1, 255], [0, 0, 1]]]
).byte()

COMMON_MISTAKES = [
    pytest.param(
        _binary_prob,
        (_LOGITS, torch.tensor([1, 0, 1, 0])),
        r"^Argument `y_pred` must hold probabilities in \[0, 1\] when from_logits=False, "
        r"got values in \[-1\.7\d*, 2\.(3|29\d*)\]: if these are logits .*"
        r"build the metric with from_logits=True\.$",
        lambda y_pred, y: (torch.sigmoid(y_pred), y),
        id="binary-logits_as_probabilities",
    ),
    pytest.param(
        _multilabel_prob,
        (_ML_LOGITS, _ML_Y),
        r"^Argument `y_pred` must hold probabilities .*got values in \[-2\.0, 2\.0\]: "
        r"if these are logits .*from_logits=True\.$",
        lambda y_pred, y: (torch.sigmoid(y_pred), y),
        id="multilabel-logits_as_probabilities",
    ),
    pytest.param(
        _binary,
        (_LOGITS, _PLUS_MINUS),
        r"^Argument `y` must hold only 0 and 1, got values in \[-1, 1\]: map the targets to 0 and 1 "
        r"first, e\.g\. \(y > 0\)\.long\(\) for -1/\+1 targets; but where -1 marks an unknown label "
        r"rather than a negative, those elements must be left out, not mapped: select the kept elements "
        r"first \(keep = y != -1; y_pred\[keep\], y\[keep\]\)\.$",
        lambda y_pred, y: (y_pred, (y > 0).long()),
        id="binary-plus_minus_one_targets",
    ),
    pytest.param(  # the same message, the other reading: -1 marks unknown labels, left out
        _binary,
        (_LOGITS, torch.tensor([1, -1, 0, -1])),
        r"^Argument `y` must hold only 0 and 1, got values in \[-1, 1\]: .*\(keep = y != -1; ",
        lambda y_pred, y: (y_pred[y != -1], y[y != -1]),
        id="binary-unknown_labels_left_out",
    ),
    pytest.param(  # 255 marks void pixels: mapping it (y > 0) would count them as positives
        _binary_prob,
        (torch.tensor([[0.9, 0.2, 0.7, 0.6]]), torch.tensor([[0, 1, 255, 1]])),
        r"^Argument `y` must hold only 0 and 1, got values in \[0, 255\]: values that mark elements to "
        r"leave out \(such as 255 for void pixels\) must not be mapped to 0 or 1, which would count them: "
        r"if 255 is one, select the kept elements first \(keep = y != 255; y_pred\[keep\], y\[keep\]\); "
        r"if the targets are class labels of more than two classes, use MulticlassF1Score\.$",
        lambda y_pred, y: (y_pred[y != 255], y[y != 255]),
        id="binary-void_pixels_left_out",
    ),
    pytest.param(  # masks are often uint8
        _binary_prob,
        (torch.rand(2, 3, 3, generator=torch.Generator().manual_seed(0)), _VOID_MASKS),
        r"^Argument `y` must hold only 0 and 1, got values in \[0, 255\]: .*\(keep = y != 255; ",
        lambda y_pred, y: (y_pred[y != 255], y[y != 255]),
        id="binary-void_pixels_uint8_masks",
    ),
    pytest.param(  # float targets: the general path
        _binary,
        (_LOGITS, torch.tensor([1.0, 255.0, 0.0, 0.0])),
        r"^Argument `y` must hold only 0 and 1, got values in \[0, 255\]: .*\(keep = y != 255; ",
        lambda y_pred, y: (y_pred[y != 255], y[y != 255]),
        id="binary-void_float_targets",
    ),
    pytest.param(
        _binary,
        (_LOGITS, _PLUS_MINUS.float()),  # float targets: the general path, not the usual batch's
        r"^Argument `y` must hold only 0 and 1, got values in \[-1, 1\]: .*\(y > 0\)\.long\(\)",
        lambda y_pred, y: (y_pred, (y > 0).long()),
        id="binary-plus_minus_one_float_targets",
    ),
    pytest.param(
        _multilabel,
        (_ML_LOGITS, _ML_Y * 2 - 1),
        r"^Argument `y` must hold only 0 and 1, got values in \[-1, 1\]: .*\(y > 0\)\.long\(\)",
        lambda y_pred, y: (y_pred, (y > 0).long()),
        id="multilabel-plus_minus_one_targets",
    ),
    pytest.param(  # -1 as "unknown": whole samples (rows of num_labels) are left out
        _multilabel,
        (_ML_LOGITS, torch.where(torch.eye(4, 3, dtype=torch.bool), -1, _ML_Y)),
        r"^Argument `y` must hold only 0 and 1, got values in \[-1, 1\]: .* where -1 marks an unknown "
        r"label rather than a negative, those elements must be left out, not mapped: select the samples "
        r"without it first \(keep = \(y != -1\)\.all\(1\); y_pred\[keep\], y\[keep\]\), or score each "
        r"label on its kept elements with a BinaryF1Score\.$",
        lambda y_pred, y: (y_pred[(y != -1).all(1)], y[(y != -1).all(1)]),
        id="multilabel-unknown_labels_left_out",
    ),
    pytest.param(
        _multilabel,
        (_ML_LOGITS, torch.where(torch.eye(4, 3, dtype=torch.bool), 255, _ML_Y)),
        r"^Argument `y` must hold only 0 and 1, got values in \[0, 255\]: values that mark elements to "
        r"leave out .* if 255 is one, select the samples without it first \(keep = \(y != 255\)\.all\(1\); "
        r"y_pred\[keep\], y\[keep\]\), or score each label on its kept elements with a BinaryF1Score\.$",
        lambda y_pred, y: (y_pred[(y != 255).all(1)], y[(y != 255).all(1)]),
        id="multilabel-void_labels_left_out",
    ),
    pytest.param(
        _binary,
        (_LOGITS, torch.tensor([0.95, 0.05, 0.95, 0.05])),
        r"^Argument `y` must hold only 0 and 1, got values in \[0\.05\d*, 0\.9(5|49)\d*\] including "
        r"non-integral values: map the targets to 0 and 1 first, e\.g\. \(y >= 0\.5\)\.long\(\)",
        lambda y_pred, y: (y_pred, (y >= 0.5).long()),
        id="binary-soft_targets",
    ),
    pytest.param(
        _binary,
        (torch.tensor([0, 2, 1, 0]), torch.tensor([0, 1, 1, 0])),
        r"^Argument `y_pred` must hold only 0 and 1, got values in \[0, 2\]: integer y_pred is read as "
        r"predicted labels; pass scores as a float tensor\.$",
        lambda y_pred, y: (y_pred.float(), y),
        id="binary-integer_scores",
    ),
    pytest.param(
        _multiclass,
        (torch.tensor([0.0, 2.0, 1.0, 1.0]), _Y_3),
        r"^Argument `y_pred` of float scores must have one more dimension than `y`: .*"
        r"got y_pred \(4,\) and y \(4,\): predicted class labels must be an integer tensor "
        r"\(pass y_pred\.long\(\)\), and for one probability or logit per sample \(two classes\) "
        r"use BinaryF1Score or BinaryFBetaScore\.$",
        lambda y_pred, y: (y_pred.long(), y),
        id="multiclass-float_labels",
    ),
    pytest.param(
        lambda: MulticlassF1Score(2),
        (torch.sigmoid(_LOGITS), torch.tensor([1, 0, 1, 1])),
        r"got y_pred \(4,\) and y \(4,\): .*use BinaryF1Score or BinaryFBetaScore\.$",
        lambda y_pred, y: (torch.stack([1 - y_pred, y_pred], dim=1), y),
        id="multiclass2-one_probability_per_sample",
    ),
    pytest.param(
        _multiclass_ignore(255),
        (torch.randint(0, 3, (2, 4, 4)).float(), torch.randint(0, 3, (2, 4, 4))),
        r"got y_pred \(2, 4, 4\) and y \(2, 4, 4\): predicted class labels must be an integer tensor",
        lambda y_pred, y: (y_pred.long(), y),
        id="segmentation-float_labels",
    ),
]


@pytest.mark.parametrize(("make", "batch", "match", "fix"), COMMON_MISTAKES)
def test_a_common_mistake_is_refused_with_what_to_do_and_the_fix_works(
    make: Callable[[], Any],
    batch: tuple[torch.Tensor, torch.Tensor],
    match: str,
    fix: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
) -> None:
    """The message keeps the argument, the rule and the value, and says what to do; the state
    (``state_dict()``) is untouched, and the batch mended as the message says is counted."""
    metric = make()
    before = copy.deepcopy(metric.state_dict())
    with pytest.raises(ValueError, match=match):
        metric.update(batch)
    assert_same(metric.state_dict(), before)
    mended = fix(*batch)
    metric.update(mended)
    reference = make()
    reference.update(mended)
    assert_same(_snapshot(metric), _snapshot(reference))


def test_multi_class_targets_given_to_a_binary_metric_are_pointed_to_multiclass() -> None:
    y_pred, y = torch.tensor([0, 2, 1, 0]), torch.tensor([0, 2, 1, 1])
    with pytest.raises(
        ValueError,
        match=r"^Argument `y` must hold only 0 and 1, got values in \[0, 2\]: .*; if the targets are class "
        r"labels of more than two classes, use MulticlassF1Score\.$",
    ):
        _binary_prob().update((torch.tensor([0.1, 0.9, 0.8, 0.2]), y))
    multiclass = MulticlassF1Score(3, average="macro")
    multiclass.update((y_pred, y))
    assert multiclass.compute() == f1_score(y_true=y.numpy(), y_pred=y_pred.numpy(), average="macro")


@pytest.mark.parametrize(
    "values", [[0, 255], [0, 2], [-100, 1], [-1, 2], [0, 3]], ids=["255", "2", "-100", "-1_2", "3"]
)
@pytest.mark.parametrize("make", [_binary, _multilabel], ids=["binary", "multilabel"])
def test_no_message_maps_a_mark_outside_minus_one_to_one(make: Callable[[], Any], values: list[int]) -> None:
    """(y > 0).long() would count a void pixel (255) as a positive, a padding -100 as a negative: the
    advice is to select the kept elements, with the value seen."""
    y = torch.tensor([[values[0], 1, 0], [values[1], 0, 1]])
    y_pred = torch.zeros(2, 3) if make is _multilabel else torch.zeros(6)
    with pytest.raises(ValueError) as raised:
        make().update((y_pred, y if make is _multilabel else y.reshape(-1)))
    message = str(raised.value)
    assert "y > 0" not in message and "must not be mapped to 0 or 1, which would count them" in message
    mark = values[1] if values[1] > 1 else values[0]
    assert f"if {mark} is one" in message and f"y != {mark}" in message
    assert ("MulticlassF1Score" in message) == (make is _binary and values[0] >= 0)


# --------------------------------------------------------------------------- weights that are not dense


def _weighted(kind: str) -> tuple[Any, tuple[torch.Tensor, torch.Tensor]]:
    if kind == "binary":
        return BinaryF1Score(from_logits=True, sample_weight=True), _valid_binary()
    if kind == "samplewise":
        metric = BinaryF1Score(from_logits=True, sample_weight=True, multidim_average="samplewise")
        logits, y = _valid_binary()
        return metric, (logits.view(2, 2), y.view(2, 2))
    if kind == "multiclass":
        return MulticlassF1Score(3, sample_weight=True), _valid_multiclass()
    return MultilabelF1Score(3, from_logits=True, sample_weight=True, average="samples"), _valid_multilabel()


@pytest.mark.parametrize("kind", ["binary", "samplewise", "multiclass", "multilabel"])
@pytest.mark.parametrize(
    ("make", "got"),
    [
        pytest.param(
            lambda w: w.to_sparse(),
            r"got layout torch\.sparse_coo: pass sample_weight\.to_dense\(\)",
            id="coo",
        ),
        pytest.param(
            lambda w: w.to_mkldnn(), r"got layout torch\._mkldnn: pass sample_weight\.to_dense\(\)", id="mkl"
        ),
        pytest.param(
            lambda w: torch.nested.nested_tensor([w[:1], w[1:]]),
            r"got a nested tensor \(layout torch\.strided\): pass its tensors joined into one, "
            r"such as torch\.cat\(sample_weight\.unbind\(\)\)",
            id="nested",
        ),
    ],
)
def test_sample_weight_that_is_not_dense_is_refused_by_name(kind: str, make: Any, got: str) -> None:
    """Sparse, mkldnn and nested weights failed deep inside torch; now the weights' type check names
    them, and the weights' values are not read with validation's (``WeightCheck.parts``, the one
    synchronisation on an accelerator) before that check."""
    metric, (y_pred, y) = _weighted(kind)
    weight = torch.full((y.shape[0],), 0.5)
    metric.update((y_pred, y, weight))
    before = copy.deepcopy(metric.state_dict())
    bad = make(weight)
    assert _weights.WeightCheck(bad).parts(torch.device("cpu")) == []
    match = (
        r"^Argument `sample_weight` \(the third element of `output`\) must be a dense \(strided\) tensor, "
    )
    with pytest.raises(TypeError, match=match + got + r"\.$"):
        metric.update((y_pred, y, bad))
    assert_same(metric.state_dict(), before)


def test_the_numpy_path_leaves_a_tensor_that_is_not_dense_to_the_check() -> None:
    """``_host`` returns None (its general path then refuses by name) for what ``.numpy()`` cannot read."""
    y = torch.tensor([[0, 1], [1, 0]])
    for other in (y.to_sparse(), y.to_sparse_csr(), torch.nested.nested_tensor([y[0], y[1]])):
        assert _host._pair((y, other)) is None and _host._pair((other, y)) is None
    assert not _host.images_of((y, torch.nested.nested_tensor([y[0], y[1]])))
