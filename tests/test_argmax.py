"""The fast arg-max gives exactly the indices of ``torch.argmax``: ties, signed zeros, infinities, NaN,
denormals with ``torch.set_flush_denormal(True)`` under two threads.

Each case compares :func:`ignite_f1._argmax.argmax` with ``torch.argmax`` (and its maxima with
``torch.amax``) on the same scores, for float32 and float64, on (N, C) scores (the class dimension
last) and (N, C, H, W) scores (the class dimension strided), with chunks forced small so that chunk
boundaries are crossed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ignite_f1 import _argmax

INF, NAN = float("inf"), float("nan")


@pytest.fixture(autouse=True, scope="module")
def _fast_path_on_small_scores() -> Iterator[None]:
    """The fast path also on small (N, C) scores (``torch.argmax`` takes them otherwise)."""
    smallest = _argmax.MIN_SCORES
    _argmax.MIN_SCORES = 0
    yield
    _argmax.MIN_SCORES = smallest


SHAPES = [(7, 33), (50, 100), (3, 1000), (5, 40), (4, 21, 6, 7), (2, 3, 5, 5), (3, 2, 9)]
DTYPES = [torch.float32, torch.float64]


def _assert_like_torch_max(scores: torch.Tensor, dim: int = 1, flushed: bool = False) -> None:
    indices, maxima = _argmax.argmax(scores, dim=dim)
    expected_indices = torch.argmax(scores, dim=dim)
    expected_maxima = torch.amax(scores, dim=dim) if scores.numel() else maxima
    assert indices.dtype == torch.int64 and indices.shape == expected_indices.shape
    assert torch.equal(indices, expected_indices)
    assert torch.equal(maxima.isnan(), expected_maxima.isnan())
    if flushed:  # a maximum below the smallest normal float depends on the thread that reduced it
        normal = expected_maxima.abs() >= torch.finfo(scores.dtype).tiny
        maxima, expected_maxima = maxima[normal], expected_maxima[normal]
    assert torch.equal(maxima.nan_to_num(), expected_maxima.nan_to_num())


def _random(shape: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _pool(shape: tuple[int, ...], dtype: torch.dtype, values: list[float], seed: int) -> torch.Tensor:
    """Scores drawn from a few values: many ties in every row."""
    gen = torch.Generator().manual_seed(seed)
    return torch.tensor(values, dtype=dtype)[torch.randint(0, len(values), shape, generator=gen)]


CASES: list[tuple[str, Callable[[tuple[int, ...], torch.dtype], torch.Tensor]]] = [
    ("random", lambda s, d: _random(s, d, 0)),
    ("ties", lambda s, d: _pool(s, d, [0.0, 1.0, 2.0], 1)),
    ("all_equal", lambda s, d: torch.full(s, 0.25, dtype=d)),
    ("signed_zeros", lambda s, d: _pool(s, d, [0.0, -0.0, -1.0], 2)),
    ("minus_zero_maximum", lambda s, d: _pool(s, d, [-0.0, -1.0, -INF], 3)),
    ("plus_inf", lambda s, d: _pool(s, d, [INF, 1.0, -INF, 3.0], 4)),
    ("all_plus_inf", lambda s, d: torch.full(s, INF, dtype=d)),
    ("all_minus_inf", lambda s, d: torch.full(s, -INF, dtype=d)),
    ("minus_inf_and_finite", lambda s, d: _pool(s, d, [-INF, -5.0], 5)),
    ("largest_finite", lambda s, d: _pool(s, d, [torch.finfo(d).max, -torch.finfo(d).max, INF], 6)),
    ("subnormals", lambda s, d: _pool(s, d, [torch.finfo(d).smallest_normal / 4, 0.0, -0.0], 7)),
    ("tiny_differences", lambda s, d: 1.0 + _random(s, d, 8) * torch.finfo(d).eps),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("name", "make"), CASES, ids=[name for name, _ in CASES])
def test_argmax_is_torch_max(
    name: str,
    make: Callable[[tuple[int, ...], torch.dtype], torch.Tensor],
    shape: tuple[int, ...],
    dtype: torch.dtype,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scores = make(shape, dtype)
    assert not _argmax.uses_torch_argmax(scores, 1)
    _assert_like_torch_max(scores)
    monkeypatch.setattr(_argmax, "CHUNK", 64)  # many chunks, split by rows and by positions
    _assert_like_torch_max(scores)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_nan_rows_give_the_first_nan_and_a_nan_maximum(dtype: torch.dtype) -> None:
    scores = _random((40, 64), dtype, 9)
    scores[3, 10] = NAN
    scores[3, 20] = NAN
    scores[7, 0] = NAN
    scores[9, :] = NAN
    _assert_like_torch_max(scores)
    indices, maxima, check = _argmax.argmax_unchecked(scores)  # a validating caller reads the maxima
    assert maxima is not None and check is not None and math.isnan(check)
    assert maxima[3].isnan() and maxima[7].isnan() and maxima[9].isnan()
    assert torch.equal(indices[~maxima.isnan()], scores.argmax(1)[~maxima.isnan()])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_random_bit_patterns(dtype: torch.dtype) -> None:
    """Every float: NaN payloads of both signs, infinities, subnormals, with ties drawn from them."""
    gen = torch.Generator().manual_seed(10)
    bits = torch.int32 if dtype == torch.float32 else torch.int64
    info = torch.iinfo(bits)
    for trial in range(40):
        num_classes = int(torch.randint(32, 80, (1,), generator=gen))
        scores = torch.randint(info.min, info.max, (16, num_classes), generator=gen, dtype=bits).view(dtype)
        if trial % 2:
            values = scores.reshape(-1)[torch.randint(0, scores.numel(), (4,), generator=gen)]
            scores = values[torch.randint(0, 4, scores.shape, generator=gen)]
        _assert_like_torch_max(scores)


def test_scores_that_require_grad() -> None:
    """Scores straight from a model (requiring grad) are read without their graph."""
    scores = _random((3, 21, 8, 8), torch.float32, 16).requires_grad_()
    assert not _argmax.uses_torch_argmax(scores, 1)
    _assert_like_torch_max(scores.detach())
    indices, maxima = _argmax.argmax(scores, dim=1)
    assert torch.equal(indices, scores.argmax(1)) and not maxima.requires_grad


def test_layouts_and_dimensions() -> None:
    _assert_like_torch_max(_random((60, 40), torch.float32, 11).t())  # non-contiguous
    _assert_like_torch_max(_random((4, 30, 6, 5), torch.float32, 12).transpose(2, 3))
    _assert_like_torch_max(_random((10, 128), torch.float32, 13)[:, ::2])
    scores = _random((6, 35, 40), torch.float64, 14)
    for dim in range(3):
        _assert_like_torch_max(scores, dim=dim)


@pytest.mark.parametrize(
    "scores",
    [
        pytest.param(torch.randn(8, 10), id="few_classes_last"),
        pytest.param(torch.randn(8, 40).half(), id="float16"),
        pytest.param(torch.randn(8, 40).bfloat16(), id="bfloat16"),
        pytest.param(torch.empty(0, 40), id="empty"),
    ],
)
def test_other_inputs_fall_back_to_torch_argmax(scores: torch.Tensor) -> None:
    assert _argmax.uses_torch_argmax(scores, 1)
    _assert_like_torch_max(scores)
    _, maxima, check = _argmax.argmax_unchecked(scores)
    assert maxima is None and check is None  # torch.argmax's own indices: nothing to check


_DENORMAL_SHAPES = [(8, 10), (4096, 10), (4096, 100), (1024, 1000), (2, 21, 64, 64), (2, 21, 256, 256)]


@pytest.mark.parametrize("shape", _DENORMAL_SHAPES, ids=str)
@pytest.mark.parametrize("threads", [1, 2])
def test_denormal_rows_with_flush_denormal_match_torch_argmax(shape: tuple[int, ...], threads: int) -> None:
    """``set_flush_denormal`` is per thread: with two threads, ops split between them disagree on
    whether denormals equal zero, and so does ``torch.argmax`` row by row. Rows whose maximum is
    below the smallest normal float are recomputed with ``torch.argmax``, the reference."""
    gen = torch.Generator().manual_seed(15)
    scores = torch.randint(1, 1000, shape, generator=gen, dtype=torch.int32).view(torch.float32)
    scores[::3] *= -1  # negative denormals too
    scores[1::5] = 0.0
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.randn(1 << 20).sum()  # the worker threads exist before the flag is set: they do not flush
    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    try:
        _assert_like_torch_max(scores, flushed=True)
        wide = torch.randint(1, 1000, shape, generator=gen, dtype=torch.int64).view(torch.float64)
        _assert_like_torch_max(wide, flushed=True)
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(previous)


_SPECIALS = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1.0, -1.0, 1e-40, -1e-40, 5e-324]


@given(
    dtype=st.sampled_from(DTYPES),
    rows=st.integers(1, 12),
    classes=st.integers(32, 70),
    pool=st.lists(st.sampled_from(_SPECIALS) | st.floats(allow_nan=False, width=32), min_size=1, max_size=5),
    seed=st.integers(0, 2**31 - 1),
    layout=st.sampled_from(["rows", "images"]),
)
def test_hypothesis_any_pool_of_values_matches_torch_argmax(
    dtype: torch.dtype, rows: int, classes: int, pool: list[float], seed: int, layout: str
) -> None:
    """Rows drawn from a small pool of values (ties everywhere) of any kind: special, denormal, any."""
    gen = torch.Generator().manual_seed(seed)
    values = torch.tensor(pool, dtype=torch.float64).to(dtype)
    shape = (rows, classes) if layout == "rows" else (2, classes, rows, 3)
    scores = values[torch.randint(0, len(pool), shape, generator=gen)]
    _assert_like_torch_max(scores)
