"""Sample weights of a batch (metrics built with ``sample_weight=True``): checked, then flat float64.

The weights follow the targets: one per sample of ``y`` (N,), or one per element of ``y`` (N, d1, ...)
for segmentation, or one per image (N,) spread over the image's elements. They are counted as
scikit-learn's ``sample_weight`` of the flattened data: every count becomes a float64 sum of weights.

Multilabel data (N, L) take one weight per sample (row) only, as scikit-learn's ``sample_weight``
for indicator matrices: it has no weight per (sample, label) element.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ignite_f1 import _validation

_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
"""The dtypes of weights: float8 ones have no ``isfinite`` nor comparison in torch."""


class WeightCheck:
    """The values the weights' check reads (any weight < 0 or not finite; their float64 sum), read
    in validation's one host synchronisation off the CPU (:func:`ignite_f1._inputs._host_values`
    asks for :meth:`parts` and stores ``values``). ``values`` stays None when validation read
    nothing there (on the CPU, an empty batch): the check then reads them itself."""

    def __init__(self, weight: Any) -> None:
        self.weight = weight
        self.values: list[float] | None = None

    def parts(self, device: torch.device) -> list[torch.Tensor]:
        weight = self.weight
        if (
            not isinstance(weight, torch.Tensor)
            or weight.layout is not torch.strided
            or weight.is_nested
            or weight.dtype not in _FLOATS
            or weight.numel() == 0
        ):
            return []  # refused by the check, with its message
        if weight.device != device:
            return []  # moved by the check, which reads them then
        return _value_parts(weight)


def _value_parts(weight: torch.Tensor) -> list[torch.Tensor]:
    bad = ~torch.isfinite(weight) | (weight < 0)
    return [bad.any().double(), weight.sum(dtype=torch.float64)]


def check_sample_weight(
    weight: Any, y: torch.Tensor, validate: bool = True, read: list[float] | None = None, factor: float = 1.0
) -> torch.Tensor:
    """``weight`` flattened as ``y.reshape(-1)`` is, as float64, or a ``TypeError`` / ``ValueError``.

    Args:
        weight: a float tensor of the shape of ``y``, or (N,) for ``y`` of shape (N, d1, ...).
        y: the batch's targets (already checked to be a tensor).
        validate: check the values too (finite and >= 0, one host synchronisation, none when
            ``read`` holds them: :class:`WeightCheck`); the type and the shape are always checked.
        read: the values of :class:`WeightCheck`, or None.
        factor: the sum of the weights times ``factor`` must be finite too: ``1 + beta**2`` for
            per-image scores, whose numerator and denominator are at most that times an image's sum
            (an infinite one would make the image's score NaN, and leave it out of the mean).

    Examples:
        >>> import torch
        >>> check_sample_weight(torch.tensor([0.5, 2.0]), torch.tensor([[1, 0], [0, 0]]))
        tensor([0.5000, 0.5000, 2.0000, 2.0000], dtype=torch.float64)
        >>> check_sample_weight(torch.tensor([-1.0]), torch.tensor([1]))
        Traceback (most recent call last):
            ...
        ValueError: Argument `sample_weight` must hold finite weights >= 0, got a weight of -1.0.
    """
    _check_type(weight)
    per_image = y.ndim > 1 and tuple(weight.shape) == tuple(y.shape[:1])
    if tuple(weight.shape) != tuple(y.shape) and not per_image:
        allowed = f"{tuple(y.shape)}" + (f" or {tuple(y.shape[:1])}" if y.ndim > 1 else "")
        raise ValueError(
            f"Argument `sample_weight` must have the shape of `y` {allowed}, got {tuple(weight.shape)}."
        )
    _check_values(weight, validate, math.prod(y.shape[1:]) if per_image else 1, read, factor)
    if per_image:
        weight = weight.reshape(-1, *([1] * (y.ndim - 1))).expand(y.shape)
    flat: torch.Tensor = weight.reshape(-1).to(device=y.device, dtype=torch.float64)
    return flat


def check_multilabel_weight(
    weight: Any, y: torch.Tensor, validate: bool = True, read: list[float] | None = None
) -> torch.Tensor:
    """``weight`` of multilabel targets ``y`` (N, L): one per sample, (N,), as float64.

    scikit-learn's ``sample_weight`` weighs the rows of an indicator matrix; a weight per element
    (N, L) has no scikit-learn meaning, so it is refused with the ways out.

    Examples:
        >>> import torch
        >>> y = torch.tensor([[1, 0, 1], [0, 0, 1]])
        >>> check_multilabel_weight(torch.tensor([0.5, 2.0]), y)
        tensor([0.5000, 2.0000], dtype=torch.float64)
        >>> check_multilabel_weight(torch.ones(2, 3), y)
        Traceback (most recent call last):
            ...
        ValueError: Argument `sample_weight` must have shape (N,) = (2,) for multilabel ...
    """
    _check_type(weight)
    if tuple(weight.shape) != tuple(y.shape[:1]):
        per_element = tuple(weight.shape) == tuple(y.shape)
        why = (
            ": scikit-learn's sample_weight weighs whole samples of multilabel data and has no "
            "weight per (sample, label); pass one weight per sample, or count a label with its own "
            "weights in a BinaryF1Score(sample_weight=True)"
            if per_element
            else ""
        )
        raise ValueError(
            f"Argument `sample_weight` must have shape (N,) = {tuple(y.shape[:1])} for multilabel "
            f"targets of shape {tuple(y.shape)} (one weight per sample), got {tuple(weight.shape)}{why}."
        )
    _check_values(weight, validate, 1, read)
    flat: torch.Tensor = weight.to(device=y.device, dtype=torch.float64)
    return flat


def _check_type(weight: Any) -> None:
    if isinstance(weight, torch.Tensor) and (weight.layout is not torch.strided or weight.is_nested):
        raise TypeError(_validation.not_dense("sample_weight", weight, " (the third element of `output`)"))
    if not isinstance(weight, torch.Tensor) or not weight.is_floating_point():
        got = (
            f"a torch.Tensor of dtype {weight.dtype}"
            if isinstance(weight, torch.Tensor)
            else type(weight).__name__
        )
        raise TypeError(
            "Argument `sample_weight` (the third element of `output`) must be a float torch.Tensor, "
            f"got {got}."
        )
    if weight.dtype not in _FLOATS:
        raise TypeError(
            "Argument `sample_weight` (the third element of `output`) must be a float torch.Tensor of "
            f"dtype float16, bfloat16, float32 or float64, got one of dtype {weight.dtype}: pass "
            "sample_weight.float()."
        )


def finite_total(total: torch.Tensor, who: str, factor: float = 1.0, counted: str = "") -> torch.Tensor:
    """``total``, a sum of the weights a metric counted since its reset, refused when it, or it times
    ``factor``, is past float64's range (each batch's sum was finite, but they add up across batches).

    ``factor``: ``1 + beta**2`` where an F-score of that beta is computed from sums up to ``total``:
    its numerator ``(1 + beta**2) * tp`` and its denominator ``beta**2 * (tp + fn) + tp + fp`` are
    at most that times ``total``, and an infinite one makes the score NaN. ``counted``: how the
    weights were summed, when not once per sample.
    """
    value = float(total)
    if not math.isfinite(value * factor):
        times = f", times 1 + beta**2 = {factor!r} (an F-score's numerator and denominator are at most that),"
        raise ValueError(
            f"Argument `sample_weight` must hold weights whose sums{times if factor != 1.0 else ''} stay "
            "finite float64: the "
            f"weights {who} counted since its reset{counted} sum to {value!r}; scale them down (a common "
            "factor changes no score)."
        )
    return total


def score_total(counts: torch.Tensor, pooled: bool, labels: bool) -> tuple[torch.Tensor, str]:
    """The largest sum of weights that an F-score from the per-class predicted and true ``counts``
    (2, K) multiplies by ``1 + beta**2`` (for :func:`finite_total`), and how it was counted: a
    class's, or ``pooled`` (the micro average) all classes' (for multilabel data, ``labels``, a
    sample's weight once per label it is predicted or true for)."""
    if not pooled:
        return counts.max(), f", in its {'label' if labels else 'class'} with the most weight,"
    return counts.sum(-1).max(), ", once per label predicted or true," if labels else ""


def _check_values(
    weight: torch.Tensor, validate: bool, spread: int, read: list[float] | None, factor: float = 1.0
) -> None:
    """Finite weights >= 0 whose float64 sum (each weight counted ``spread`` times: the pixels of
    its image) is finite, so that the counts, sums of weights, stay finite: the values ``read``
    with validation's, or one host read here."""
    if validate and weight.numel() > 0:
        found, total = read if read is not None else torch.stack(_value_parts(weight)).tolist()
        if found:
            bad = ~torch.isfinite(weight) | (weight < 0)
            value = weight[bad][0].item()
            raise ValueError(
                f"Argument `sample_weight` must hold finite weights >= 0, got a weight of {value!r}."
            )
        if not math.isfinite(total * spread * factor):
            times = "" if factor == 1.0 else f" times 1 + beta**2 = {factor!r} (per-image scores multiply it)"
            raise ValueError(
                f"Argument `sample_weight` must hold weights whose sum{times} is a finite float64 (the "
                f"counts are sums of weights), got weights summing to {total * spread!r}: scale them down "
                "(a common factor changes no score)."
            )
