"""Messages of the batch checks' common mistakes: the argument, the rule, the value, and what to do.

:mod:`ignite_f1._inputs` raises them; :mod:`ignite_f1._validation` imports them back, where they
were first written (``_validation.not_zero_one`` and the others).
"""

from __future__ import annotations

import math

import torch


def not_probabilities(lo: float, hi: float) -> str:
    """The message for scores outside [0, 1] with ``from_logits=False``: most often logits."""
    return (
        "Argument `y_pred` must hold probabilities in [0, 1] when from_logits=False, "
        f"got values in [{lo!r}, {hi!r}]: if these are logits (raw model outputs, before a sigmoid), "
        "build the metric with from_logits=True."
    )


def number(value: float) -> str:
    """A value as a message shows it: an integral one without ".0" (255, not 255.0)."""
    return str(int(value)) if math.isfinite(value) and value == int(value) else repr(value)


def not_zero_one(name: str, lo: float, hi: float, integral: bool, multilabel: bool = False) -> str:
    """The message for binary or multilabel targets (or integer predictions) other than 0 and 1.

    Its advice never maps a value that may mark elements to leave out ("ignore" marks such as 255
    for void pixels, or -1 for an unknown label) to 0 or 1, which would count those elements."""
    got = f"got values in [{number(lo)}, {number(hi)}]"
    if not integral:
        got += " including non-integral values"
    if name != "y":
        fix = "integer y_pred is read as predicted labels; pass scores as a float tensor"
    elif not integral:
        fix = "map the targets to 0 and 1 first, e.g. (y >= 0.5).long() for soft (smoothed) targets"
    elif lo >= -1 and hi <= 1:
        fix = (
            "map the targets to 0 and 1 first, e.g. (y > 0).long() for -1/+1 targets; but where -1 marks "
            "an unknown label rather than a negative, those elements must be left out, not mapped: "
            + _kept_first(-1, multilabel)
        )
    else:
        mark = number(hi if hi > 1 else lo)
        fix = (
            f"values that mark elements to leave out (such as 255 for void pixels) must not be mapped to 0 "
            f"or 1, which would count them: if {mark} is one, {_kept_first(mark, multilabel)}"
        )
        if lo >= 0 and not multilabel:
            fix += "; if the targets are class labels of more than two classes, use MulticlassF1Score"
    return f"Argument `{name}` must hold only 0 and 1, {got}: {fix}."


def _kept_first(mark: float | str, multilabel: bool) -> str:
    """How to select the elements to count before an update, leaving out those marked ``mark``."""
    if multilabel:  # the samples stay whole rows of num_labels
        return (
            f"select the samples without it first (keep = (y != {mark}).all(1); y_pred[keep], y[keep]), "
            "or score each label on its kept elements with a BinaryF1Score"
        )
    return f"select the kept elements first (keep = y != {mark}; y_pred[keep], y[keep])"


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
