"""An exact arg-max over the class dimension that reads scores at the speed of a plain reduction.

On the CPU, ``torch.argmax`` / ``torch.max(dim)`` carry an index through a scalar loop and read
scores several times slower than ``amax`` (ten times for (N, C) scores with C >= 100, twenty for
(N, C, H, W) scores). :func:`argmax` gives the same indices, the first maximal index on ties and the
first NaN in a row holding NaN, from two vectorised passes and two reductions over the scores x:

1. ``m = amax(x)`` over the class dimension, and ``s = -m`` clamped to finite values (a zero ``m``
   gives ``s = +0.0``);
2. ``d = x + s``. Where ``m`` is finite, ``d`` is ``+0.0`` exactly where ``x == m`` (finite floats
   differ by zero only when equal, and ``-0.0 + +0.0`` is ``+0.0``) and negative elsewhere. Where
   ``m = +inf``, ``d`` is ``+inf`` where ``x = +inf`` and at most ``+0.0`` elsewhere; where
   ``m = -inf``, every ``d`` is ``-inf``;
3. ``d`` is read as integers of the same width, an order-preserving view for the values ``d`` takes
   here: every negative float reads below ``-2**23`` (float32; ``-2**52`` for float64). Adding
   ``C - c`` to class ``c`` leaves the maximal entries of a row highest, the first of them highest
   of all, so ``amax`` of these keys is ``base + C - c*`` where ``base`` is the key of ``m + s``,
   and ``c* = base + C - amax``.

Rows holding NaN come out wrong; they are rare (validation rejects them), so :func:`argmax` looks
for NaN in the maxima it returns anyway and recomputes such a batch with ``torch.max``.

The fast path is taken on the CPU for float32 / float64 scores, chunk by chunk so that temporaries
stay in cache. Elsewhere it is ``torch.max(dim)``: on an accelerator (where the arg-max is fast), for
half precision, and for fewer than ``MIN_CLASSES`` classes in the last dimension.
"""

from __future__ import annotations

import math

import torch

MIN_CLASSES = 32
"""Below this many classes in the last dimension ((N, C) scores), ``torch.max(dim)`` is as fast."""

CHUNK = 1 << 19
"""Scores handled per chunk (2 MB of float32): the temporaries stay in cache and are not page-faulted."""

_BITS = {torch.float32: torch.int32, torch.float64: torch.int64}
_REVERSED: dict[tuple[int, torch.dtype, torch.device], torch.Tensor] = {}


def _reversed_indices(num_classes: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``[C, C-1, ..., 1]`` as a (C, 1) integer column, cached: added to class c it favours low c."""
    key = (num_classes, dtype, device)
    column = _REVERSED.get(key)
    if column is None:
        column = torch.arange(num_classes, 0, -1, dtype=dtype, device=device).view(num_classes, 1)
        _REVERSED[key] = column
    return column


def _argmax_chunk(x: torch.Tensor, reverse: torch.Tensor, out: torch.Tensor, top: torch.Tensor) -> None:
    """Arg-max over dim 1 of a (A, C, B) float chunk into ``out`` (A, B) int64; maxima into ``top``."""
    maximum = torch.amax(x, dim=1, keepdim=True)
    top.copy_(maximum.squeeze(1))
    largest = torch.finfo(x.dtype).max
    shift = torch.rsub(maximum, 0.0).clamp_(-largest, largest)  # -m (finite), +0.0 for m = +-0.0
    key = torch.add(x, shift).view(reverse.dtype).add_(reverse)
    base = torch.add(maximum, shift).view(reverse.dtype).squeeze(1)  # the key of a maximum, less C - c
    out.copy_(base.add_(x.shape[1]).sub_(torch.amax(key, dim=1)))


def _uses_torch_max(scores: torch.Tensor, dim: int) -> bool:
    num_classes = scores.shape[dim]
    return (
        (dim == scores.ndim - 1 and num_classes < MIN_CLASSES)
        or scores.device.type != "cpu"
        or scores.dtype not in _BITS
        or num_classes >= 1 << 22  # C - c must not reach the float exponent bits
        or scores.numel() == 0
    )


def argmax(scores: torch.Tensor, dim: int = 1, exact_nan: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The index of the maximal score along ``dim`` and the maximal score, as ``torch.max(scores, dim)``.

    Args:
        scores: a float tensor with at least one entry along ``dim``.
        dim: the class dimension.
        exact_nan: give the first NaN's index in rows holding NaN, as ``torch.max`` does. A caller
            that rejects NaN scores anyway (looking at the maxima) can skip that check.

    Returns:
        ``(indices, maxima)``: int64 indices (first maximal index on ties; first NaN in a row that
        holds NaN) and the maxima (NaN for a row holding NaN), both with ``dim`` removed.
    """
    if _uses_torch_max(scores, dim):
        maxima, indices = torch.max(scores, dim=dim)
        return indices, maxima
    num_classes = scores.shape[dim]
    shape = scores.shape[:dim] + scores.shape[dim + 1 :]
    outer, inner = math.prod(scores.shape[:dim]), math.prod(scores.shape[dim + 1 :])
    x = scores.reshape(outer, num_classes, inner)
    indices = torch.empty(outer, inner, dtype=torch.int64)
    maxima = torch.empty(outer, inner, dtype=scores.dtype)
    reverse = _reversed_indices(num_classes, _BITS[scores.dtype], scores.device)
    per_chunk = max(1, CHUNK // num_classes)
    if inner >= per_chunk:  # (N, C, H, W): split the positions of each sample
        for a in range(outer):
            for b in range(0, inner, per_chunk):
                s = slice(b, b + per_chunk)
                _argmax_chunk(x[a : a + 1, :, s], reverse, indices[a : a + 1, s], maxima[a : a + 1, s])
    else:  # (N, C), or few positions: split the samples
        rows = max(1, per_chunk // inner)
        for a in range(0, outer, rows):
            s = slice(a, a + rows)
            _argmax_chunk(x[s], reverse, indices[s], maxima[s])
    if exact_nan and torch.isnan(maxima.sum()) and torch.isnan(maxima).any():
        maxima, indices = torch.max(scores, dim=dim)  # a row holds NaN: its index is the first NaN's
        return indices, maxima
    return indices.view(shape), maxima.view(shape)
