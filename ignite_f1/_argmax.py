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

Rows holding NaN come out wrong, and so can rows whose maximum is below the smallest normal float
in magnitude (zero or denormal) when ``torch.set_flush_denormal(True)`` is on: the flag is per
thread, so ops run by different threads disagree on whether denormals equal zero, and
``torch.argmax`` itself answers by the thread that ran each row. Both kinds of row show in the maxima
(:func:`check_value`): a batch holding one is recomputed with ``torch.argmax``, whose answer is the
reference. On real scores neither happens, and the check is one reduction of the (N,) maxima.

The fast path is taken on the CPU for float32 / float64 scores, chunk by chunk. Each chunk holds at
most :data:`SERIAL` scores when torch runs more than one thread, so that no op of the path opens a
parallel region (a region stalls for milliseconds whenever a worker thread is descheduled on a busy
machine, and the path issues about ten ops per chunk); with one thread, chunks of :data:`CHUNK`
scores keep the temporaries in cache. Elsewhere it is ``torch.argmax``: on an accelerator (where the
arg-max is fast), for half precision, and for (N, C) scores with fewer than ``MIN_CLASSES`` classes
or fewer than ``MIN_SCORES`` scores, where it is as fast.
"""

from __future__ import annotations

import math

import torch

MIN_CLASSES = 32
"""Below this many classes in the last dimension ((N, C) scores), ``torch.argmax`` is as fast."""

MIN_SCORES = 1 << 16
"""Below this many (N, C) scores, ``torch.argmax`` is as fast as the fast path's ten-odd ops (measured:
(512, 100) 49 against 63 us, (1024, 100) 116 against 92 us, one thread)."""

CHUNK = 1 << 19
"""Scores handled per chunk with one thread (2 MB of float32): temporaries stay in cache."""

SERIAL = 1 << 15
"""Scores handled per chunk with several threads: torch's grain size, below which an op runs serially."""

_TINY = {dtype: torch.finfo(dtype).tiny for dtype in (torch.float32, torch.float64)}

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
    """Arg-max over dim 1 of a (A, C, B) float chunk into ``out`` (A, 1, B) int64; maxima into ``top``."""
    maximum = torch.amax(x, dim=1, keepdim=True, out=top)
    largest = torch.finfo(x.dtype).max
    shift = torch.neg(maximum).clamp_(-largest, largest)  # -m (finite), +0.0 for m = +-0.0
    key = torch.add(x, shift).view(reverse.dtype).add_(reverse)
    base = torch.add(maximum, shift).view(reverse.dtype)  # the key of a maximum, less C - c
    torch.sub(base.add_(x.shape[1]), torch.amax(key, dim=1, keepdim=True), out=out)


def uses_torch_argmax(scores: torch.Tensor, dim: int) -> bool:
    """Whether :func:`argmax` hands ``scores`` to ``torch.argmax`` (the fast path is not taken)."""
    num_classes = scores.shape[dim]
    return (
        (dim == scores.ndim - 1 and (num_classes < MIN_CLASSES or scores.numel() < MIN_SCORES))
        or scores.device.type != "cpu"
        or scores.dtype not in _BITS
        or num_classes >= 1 << 22  # C - c must not reach the float exponent bits
        or scores.numel() == 0
    )


def argmax_unchecked(
    scores: torch.Tensor, dim: int = 1
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """:func:`argmax` without its check: ``(indices, maxima, check)``, ``check`` for :func:`settle`.

    ``check`` is ``None`` when the indices are ``torch.argmax``'s own (nothing to check; ``maxima``
    is then ``None`` too: a caller looking for NaN reads ``scores.amax()``, one op); otherwise a 0-d
    tensor the caller reads (with its other values, in one read) and hands to :func:`settle`, and
    ``maxima`` hold the row maxima, NaN in rows holding NaN.
    """
    if uses_torch_argmax(scores, dim):
        return torch.argmax(scores, dim=dim), None, None
    num_classes = scores.shape[dim]
    shape = scores.shape[:dim] + scores.shape[dim + 1 :]
    outer, inner = math.prod(scores.shape[:dim]), math.prod(scores.shape[dim + 1 :])
    x = scores.reshape(outer, num_classes, inner)
    indices = torch.empty(outer, 1, inner, dtype=torch.int64)
    top = torch.empty(outer, 1, inner, dtype=scores.dtype)
    reverse = _reversed_indices(num_classes, _BITS[scores.dtype], scores.device)
    per_chunk = max(1, (CHUNK if torch.get_num_threads() == 1 else SERIAL) // num_classes)
    if inner >= per_chunk:  # (N, C, H, W): split the positions of each sample
        for a in range(outer):
            for b in range(0, inner, per_chunk):
                s = slice(b, b + per_chunk)
                _argmax_chunk(x[a : a + 1, :, s], reverse, indices[a : a + 1, :, s], top[a : a + 1, :, s])
    else:  # (N, C), or few positions: split the samples
        rows = max(1, per_chunk // inner)
        if rows >= outer:
            _argmax_chunk(x, reverse, indices, top)
        else:
            for a in range(0, outer, rows):
                s = slice(a, a + rows)
                _argmax_chunk(x[s], reverse, indices[s], top[s])
    top = top.view(shape)
    return indices.view(shape), top, top.abs().amin()  # NaN, or below the smallest normal: see settle


def settle(scores: torch.Tensor, dim: int, indices: torch.Tensor, check: float | None) -> torch.Tensor:
    """The exact indices: ``indices``, or ``torch.argmax``'s when ``check`` (read from
    :func:`argmax_unchecked`) shows a row holding NaN or a maximum below the smallest normal float."""
    if check is None or check >= _TINY[scores.dtype]:  # False for NaN
        return indices
    return torch.argmax(scores, dim=dim)


def argmax(scores: torch.Tensor, dim: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The index of the maximal score along ``dim`` and the maximal score, exactly as ``torch.argmax``.

    Args:
        scores: a float tensor with at least one entry along ``dim``.
        dim: the class dimension.

    Returns:
        ``(indices, maxima)``: int64 indices, those of ``torch.argmax(scores, dim)`` (first maximal
        index on ties; first NaN in a row that holds NaN; the same answer with
        ``torch.set_flush_denormal(True)``), and the maxima (NaN for a row holding NaN), both with
        ``dim`` removed.
    """
    indices, top, check = argmax_unchecked(scores, dim)
    if top is None:
        top = scores.gather(dim, indices.unsqueeze(dim)).squeeze(dim)  # NaN in a row holding NaN
    return settle(scores, dim, indices, None if check is None else check.item()), top
