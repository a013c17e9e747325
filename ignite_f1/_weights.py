"""Sample weights of a batch (metrics built with ``sample_weight=True``): checked, then flat float64.

The weights follow the targets: one per sample of ``y`` (N,), or one per element of ``y`` (N, d1, ...)
for segmentation, or one per image (N,) spread over the image's elements. They are counted as
scikit-learn's ``sample_weight`` of the flattened data: every count becomes a float64 sum of weights.
"""

from __future__ import annotations

from typing import Any

import torch


def check_sample_weight(weight: Any, y: torch.Tensor, validate: bool = True) -> torch.Tensor:
    """``weight`` flattened as ``y.reshape(-1)`` is, as float64, or a ``TypeError`` / ``ValueError``.

    Args:
        weight: a float tensor of the shape of ``y``, or (N,) for ``y`` of shape (N, d1, ...).
        y: the batch's targets (already checked to be a tensor).
        validate: check the values too (finite and >= 0, one host synchronisation); the type and
            the shape are always checked.

    Examples:
        >>> import torch
        >>> check_sample_weight(torch.tensor([0.5, 2.0]), torch.tensor([[1, 0], [0, 0]]))
        tensor([0.5000, 0.5000, 2.0000, 2.0000], dtype=torch.float64)
        >>> check_sample_weight(torch.tensor([-1.0]), torch.tensor([1]))
        Traceback (most recent call last):
            ...
        ValueError: Argument `sample_weight` must hold finite weights >= 0, got a weight of -1.0.
    """
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
    per_image = y.ndim > 1 and tuple(weight.shape) == tuple(y.shape[:1])
    if tuple(weight.shape) != tuple(y.shape) and not per_image:
        allowed = f"{tuple(y.shape)}" + (f" or {tuple(y.shape[:1])}" if y.ndim > 1 else "")
        raise ValueError(
            f"Argument `sample_weight` must have the shape of `y` {allowed}, got {tuple(weight.shape)}."
        )
    if validate and weight.numel() > 0:
        bad = ~torch.isfinite(weight) | (weight < 0)
        if bool(bad.any()):
            value = weight[bad][0].item()
            raise ValueError(
                f"Argument `sample_weight` must hold finite weights >= 0, got a weight of {value!r}."
            )
    if per_image:
        weight = weight.reshape(-1, *([1] * (y.ndim - 1))).expand(y.shape)
    flat: torch.Tensor = weight.reshape(-1).to(device=y.device, dtype=torch.float64)
    return flat
