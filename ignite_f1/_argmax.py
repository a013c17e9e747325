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

The fast path is taken on the CPU for float32 / float64 scores, and runs in NumPy, chunk by chunk
(:data:`CHUNK` scores, 2 MB of float32, so that the temporaries stay in cache): NumPy runs each op
in the calling thread, so the path opens no parallel region whatever torch's thread count (a region
stalls for milliseconds whenever a worker thread is descheduled on a busy machine, and the path
issues about ten ops per chunk; with torch ops, chunks had to stay below torch's grain size with
more than one thread, at more than twice the cost). Scores with the class dimension last are
handed to NumPy's own arg-max, which returns the first maximal index and the first NaN as
``torch.argmax`` does. Elsewhere it is ``torch.argmax``: on an accelerator (where the arg-max is
fast), for half precision, and for (N, C) scores with fewer than ``MIN_CLASSES`` classes or fewer
than ``MIN_SCORES`` scores, where it is as fast.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import torch

MIN_CLASSES = 32
"""Below this many classes in the last dimension ((N, C) scores), ``torch.argmax`` is as fast."""

MIN_SCORES = 1 << 16
"""Below this many (N, C) scores, ``torch.argmax`` is as fast as the fast path's ten-odd ops (measured:
(512, 100) 49 against 63 us, (1024, 100) 116 against 92 us, one thread)."""

CHUNK = 1 << 19
"""Scores handled per chunk (2 MB of float32): the temporaries stay in cache."""

_TINY = {dtype: torch.finfo(dtype).tiny for dtype in (torch.float32, torch.float64)}

_BITS = {torch.float32: np.int32, torch.float64: np.int64}
_BITS_OF: dict[type, type] = {np.float32: np.int32, np.float64: np.int64}
_REVERSED: dict[tuple[int, type], np.ndarray] = {}
CACHED_MOST = 64
"""The most entries each module-level cache of small arrays keeps (these, :data:`_OFFSETS`, and those
of ``_host`` and ``_counts``): a long search over many class counts or betas stays bounded."""


def _reversed_indices(num_classes: int, bits: type) -> np.ndarray:
    """``[C, C-1, ..., 1]`` as a (C, 1) integer column, cached: added to class c it favours low c."""
    key = (num_classes, bits)
    column = _REVERSED.get(key)
    if column is None:
        column = np.arange(num_classes, 0, -1, dtype=bits).reshape(num_classes, 1)
        if len(_REVERSED) < CACHED_MOST:  # a run has few; any others are made each time
            _REVERSED[key] = column
    return column


def _argmax_chunk(x: np.ndarray, reverse: np.ndarray, out: np.ndarray, top: np.ndarray) -> None:
    """Arg-max over axis 1 of a (A, C, B) float chunk into ``out`` (A, 1, B) int64; maxima into ``top``."""
    maximum = np.maximum.reduce(x, axis=1, keepdims=True, out=top)  # NaN in a row holding NaN
    largest = np.finfo(x.dtype).max
    shift = np.negative(maximum)
    np.clip(shift, -largest, largest, out=shift)  # -m (finite), +0.0 for m = +-0.0
    key = np.add(x, shift).view(reverse.dtype)
    key += reverse
    base = np.add(maximum, shift, out=shift).view(reverse.dtype)  # the key of a maximum, less C - c
    base += x.shape[1]
    np.subtract(base, np.maximum.reduce(key, axis=1, keepdims=True), out=out)


def uses_torch_argmax(scores: torch.Tensor, dim: int) -> bool:
    """Whether :func:`argmax` hands ``scores`` to ``torch.argmax`` (the fast path is not taken)."""
    num_classes = scores.shape[dim]
    return (
        (dim == scores.ndim - 1 and (num_classes < MIN_CLASSES or scores.numel() < MIN_SCORES))
        or scores.device.type != "cpu"
        or scores.dtype not in _BITS
        or scores.is_neg()  # a negated view, which NumPy cannot read
        or num_classes >= 1 << 22  # C - c must not reach the float exponent bits
        or scores.numel() == 0
    )


def argmax_unchecked(
    scores: torch.Tensor, dim: int = 1
) -> tuple[torch.Tensor, torch.Tensor | None, float | None]:
    """:func:`argmax` without its check: ``(indices, maxima, check)``, ``check`` for :func:`settle`.

    ``check`` is ``None`` when the indices are ``torch.argmax``'s own (nothing to check; ``maxima``
    is then ``None`` too: a caller looking for NaN reads ``scores.amax()``, one op); otherwise the
    smallest row maximum in magnitude, a float read on the host (NaN when a score is NaN: it also
    serves validation), and ``maxima`` hold the row maxima, NaN in rows holding NaN.
    """
    if uses_torch_argmax(scores, dim):
        return torch.argmax(scores, dim=dim), None, None
    num_classes = scores.shape[dim]
    shape = scores.shape[:dim] + scores.shape[dim + 1 :]
    outer, inner = math.prod(scores.shape[:dim]), math.prod(scores.shape[dim + 1 :])
    values = (scores.detach() if scores.requires_grad else scores).numpy()
    indices, top, check = numpy_argmax(values.reshape(outer, num_classes, inner))
    return torch.from_numpy(indices).view(shape), torch.from_numpy(top).view(shape), check


def numpy_argmax(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(indices, maxima, check)`` over axis 1 of (A, C, B) float32 / float64 scores, each (A, 1, B).

    ``check``: the smallest maximum in magnitude, NaN when a score is NaN; the indices are
    ``torch.argmax``'s when it is at least the smallest normal float (see :func:`settle`).
    """
    outer, num_classes, inner = x.shape
    if inner == 1:  # the class dimension last
        indices, top = row_argmax(x.reshape(outer, num_classes))
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # x - m may overflow to -inf, as in torch
            indices, top = _argmax_chunks(x, _BITS_OF[x.dtype.type])
    check = float(np.minimum.reduce(np.abs(top), axis=None))  # NaN, or below the smallest normal
    return indices.reshape(outer, 1, inner), top.reshape(outer, 1, inner), check


FEW_CLASSES = 32
"""Below this many classes, (N, C) scores of at least :data:`FEW_CLASSES_ROWS` rows are read by
:func:`few_classes_argmax` on the NumPy path (measured against NumPy's arg-max with its maxima, on
distinct batches: (1024, 10) 19.6 against 31.3 us, (4096, 2) 18 against 43, (1024, 24) 43 against 49,
(1024, 32) 60 against 58)."""

FEW_CLASSES_ROWS = 512
"""From this many rows :func:`few_classes_argmax` is ahead ((512, 10): 13.3 against 16.8 us; at 256
rows they are even, below it its six calls cost more than NumPy's arg-max)."""

WORKSPACE_SCORES = 1 << 16
"""Chunks up to this many scores reuse their temporaries (per thread, for the last few chunk
shapes): with fresh 40 to 80 KB temporaries per call, (1024, 10) read 1.17x the floor in the
benchmark's full epoch section (after the large binary workloads) against 1.03x run alone; with
the workspace, 1.04x there."""

_POWERS: dict[int, np.ndarray] = {}
_LOCAL = threading.local()


def _workspace(columns: int, num_classes: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The (C, n) scores and float64 (C, n) maxima flags of a chunk: kept for small chunks."""
    key = (columns, num_classes, dtype)
    kept: dict[tuple[int, int, np.dtype], tuple[np.ndarray, np.ndarray]] | None
    kept = getattr(_LOCAL, "workspaces", None)
    if kept is None:
        kept = _LOCAL.workspaces = {}
    work = kept.get(key)
    if work is None:
        work = (np.empty((num_classes, columns), dtype), np.empty((num_classes, columns), np.float64))
        if columns * num_classes <= WORKSPACE_SCORES:
            if len(kept) >= 8:
                kept.clear()
            kept[key] = work
    return work


_OFFSETS: dict[tuple[int, int], np.ndarray] = {}


def row_argmax(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, maxima)`` over the last axis of (N, C) float32 / float64 scores, as
    :func:`few_classes_argmax` gives them: that function for :data:`FEW_CLASSES_ROWS` rows or more
    of fewer than :data:`FEW_CLASSES` classes, else NumPy's arg-max (vectorised per row; the first
    maximal index, and the first NaN of a row holding NaN) with the maxima read where it points."""
    n, num_classes = rows.shape
    if num_classes < FEW_CLASSES and n >= FEW_CLASSES_ROWS:
        return few_classes_argmax(rows)
    indices = rows.argmax(1)
    offsets = _OFFSETS.get((n, num_classes))
    if offsets is None:
        offsets = np.arange(0, n * num_classes, num_classes)
        if len(_OFFSETS) < CACHED_MOST:  # the batch sizes of a run are few; any others are made each time
            _OFFSETS[(n, num_classes)] = offsets
    maxima: np.ndarray = rows.reshape(-1)[indices + offsets]  # NaN where a row holds NaN
    return indices, maxima


def few_classes_argmax(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, maxima)`` of (N, C) float32 / float64 scores, 2 <= C < :data:`FEW_CLASSES`, with no
    branch per score: int64 (N,) first maximal indices, and the (N,) maxima (NaN in a row holding
    NaN, whose index is then meaningless: a caller checks the maxima, as :func:`numpy_argmax`'s).

    NumPy's arg-max of a short row branches at each new maximum, and on unordered scores the CPU
    mispredicts about ln(C) times per row: (1024, 10) takes 10 us on a batch seen before, 29 us on a
    new one. Here, chunk by chunk (:data:`CHUNK` scores), on the scores transposed to (C, n) so that
    every op runs along the rows: the maxima ``m`` (one reduction, NaN-propagating); the maximal
    classes ``x == m`` (-0.0 equals +0.0, as in ``torch.argmax``'s ties), as 0.0 / 1.0; and their
    sum weighted by ``2**-c``, exact in float64 (distinct powers of two within 31 binary places),
    whose binary exponent is ``-c*`` for the first maximal class ``c*``: read from the float's bits.
    """
    n, num_classes = rows.shape
    powers = _POWERS.get(num_classes)
    if powers is None:
        powers = _POWERS[num_classes] = np.ldexp(1.0, -np.arange(num_classes))  # 2**-c, float64
    indices = np.empty(n, dtype=np.int64)
    maxima = np.empty(n, dtype=rows.dtype)
    step = max(1, CHUNK // num_classes)
    for start in range(0, n, step):
        part = slice(start, start + step)
        chunk = rows[part]
        columns, flags = _workspace(chunk.shape[0], num_classes, rows.dtype)
        np.copyto(columns, chunk.T)
        top = np.maximum.reduce(columns, axis=0, out=maxima[part])
        np.equal(columns, top, out=flags)
        firsts = np.matmul(powers, flags)  # in [2**-c*, 2**(1 - c*)): exponent -c*; 0 in a NaN row
        out = indices[part]
        np.right_shift(firsts.view(np.int64), 52, out=out)
        np.subtract(1023, out, out=out)  # 1023: float64's exponent bias
    return indices, maxima


def _argmax_chunks(x: np.ndarray, bits: type) -> tuple[np.ndarray, np.ndarray]:
    """Arg-max (int64) and maxima over axis 1 of (A, C, B) float scores, chunk by chunk: (A, 1, B) each."""
    outer, num_classes, inner = x.shape
    indices = np.empty((outer, 1, inner), dtype=np.int64)
    top = np.empty((outer, 1, inner), dtype=x.dtype)
    reverse = _reversed_indices(num_classes, bits)
    per_chunk = max(1, CHUNK // num_classes)
    if inner >= per_chunk:  # (N, C, H, W): split the positions of each sample
        for a in range(outer):
            for b in range(0, inner, per_chunk):
                s = slice(b, b + per_chunk)
                _argmax_chunk(x[a : a + 1, :, s], reverse, indices[a : a + 1, :, s], top[a : a + 1, :, s])
    else:  # few positions: split the samples
        rows = max(1, per_chunk // inner)
        for a in range(0, outer, rows):
            s = slice(a, a + rows)
            _argmax_chunk(x[s], reverse, indices[s], top[s])
    return indices, top


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
    return settle(scores, dim, indices, check), top
