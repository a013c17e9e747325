"""Torch operations dispatched per ``update()``: a budget per metric kind, so that ops cannot creep back.

Each dispatched op costs microseconds of fixed overhead (the whole update of an 8-sample batch is a
few of them), and on a busy machine an op that opens a parallel region can stall for milliseconds,
so the update path is held to a fixed, small number of ops per batch. The ops are counted with a
``TorchDispatchMode`` (every aten call, views included) on the CPU; the values read on the host are
counted separately: ``aten._local_scalar_dense`` (``.item()``, ``float(t)``) and ``Tensor.tolist``.

On the CPU a read waits for nothing; on an accelerator validation gathers its values into one tensor
and reads it once (``_inputs._host_values``), so "reads" below are one host synchronisation there,
and none without validation (``tests/test_device_syncs.py`` counts them on the ``meta`` device).
The only read without validation is the CPU arg-max's exactness check (a path never taken off the
CPU). Multi-class budgets include the confusion-matrix accumulation of
:func:`ignite_f1._counts.add_confusion`.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from ignite_f1 import BinaryF1Score, MulticlassF1Score, MultilabelF1Score

_READS = ("aten._local_scalar_dense",)


class _Counter(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.ops: collections.Counter[str] = collections.Counter()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        self.ops[str(func.overloadpacket)] += 1
        return func(*args, **(kwargs or {}))


def _count(
    metric: Any, batch: tuple[torch.Tensor, torch.Tensor], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int]:
    """(ops, host reads) of one ``update`` (after a first one, which may build cached constants)."""
    metric.update(batch)
    tolist = torch.Tensor.tolist
    listed = []

    def counted_tolist(self: torch.Tensor) -> Any:
        listed.append(1)
        return tolist(self)

    monkeypatch.setattr(torch.Tensor, "tolist", counted_tolist)
    with _Counter() as counter:
        metric.update(batch)
    monkeypatch.undo()
    reads = sum(counter.ops[name] for name in _READS) + len(listed)
    return sum(counter.ops.values()) - reads, reads


def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def _binary(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, generator=_gen()), torch.randint(0, 2, (n,), generator=_gen())


def _multiclass(n: int, c: int, *spatial: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, c, *spatial, generator=_gen()), torch.randint(0, c, (n, *spatial), generator=_gen())


def _multilabel(n: int, labels: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, labels, generator=_gen()), torch.randint(0, 2, (n, labels), generator=_gen())


def _bin(v: bool) -> Any:
    return BinaryF1Score(from_logits=True, validate_args=v)


def _labels(v: bool) -> Any:
    return BinaryF1Score(from_logits=False, validate_args=v)


def _mc(c: int) -> Callable[[bool], Any]:
    return lambda v: MulticlassF1Score(c, validate_args=v)


def _ml(v: bool) -> Any:
    return MultilabelF1Score(50, from_logits=True, validate_args=v)


_BINARY_LABELS = (torch.randint(0, 2, (8,), generator=_gen()), torch.randint(0, 2, (8,)))

# id: (metric factory taking validate_args, batch, (ops, reads) with validation, (ops, reads) without).
# Binary, small batch: ge, add (cell codes), bincount, view, the state's add_; validation adds one
# aminmax of the scores and one of the targets (4 values read). Binary, large batch: empty, ge, to,
# sum, sum, dot, stack, to, mv, add_, view, the state's add_. Multi-class below the fast arg-max's
# sizes: argmax (validation: amax for NaN, aminmax of the targets), then add_confusion's ops; at
# (1024, 100) the integer-view arg-max in one chunk, and its exactness check read with validation's
# values. Multilabel: empty, unbind, ge, copy_ and mul into the (3, N, L) planes (no stack: it copied
# all three), sum, to, sum, to (the per-sample sums widened after summing: a float64 sum would copy
# the whole stack), mm, view, unbind, clamp, div, sum,
# slice, count_nonzero and the four states' add_.
BUDGETS: dict[
    str, tuple[Callable[[bool], Any], tuple[torch.Tensor, torch.Tensor], tuple[int, int], tuple[int, int]]
] = {
    "binary-8": (_bin, _binary(8), (7, 4), (5, 0)),
    "binary-int-labels-8": (_labels, _BINARY_LABELS, (6, 4), (4, 0)),
    "binary-4096": (_bin, _binary(4096), (7, 4), (5, 0)),
    "binary-65536": (_bin, _binary(65536), (14, 4), (12, 0)),
    "multiclass-C10-8": (_mc(10), _multiclass(8, 10), (9, 3), (7, 0)),
    "multiclass-C10-4096": (_mc(10), _multiclass(4096, 10), (9, 3), (7, 0)),
    "multiclass-C100-8": (_mc(100), _multiclass(8, 100), (9, 3), (7, 0)),
    "multiclass-C100-1024": (_mc(100), _multiclass(1024, 100), (29, 4), (27, 1)),
    "multilabel-L50-8": (_ml, _multilabel(8, 50), (24, 4), (22, 0)),
    "multilabel-L50-4096": (_ml, _multilabel(4096, 50), (24, 4), (22, 0)),
}


def _torch_path(metric: Any) -> Any:
    """``metric`` with its NumPy path (ignite_f1._host) off: the path of batches on an accelerator."""
    metric._host_update = None
    return metric


@pytest.mark.parametrize("name", list(BUDGETS))
def test_ops_per_update_stay_within_the_budget(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The torch path, with one thread (the arg-max's chunks depend on the thread count: see below)."""
    make, batch, checked, unchecked = BUDGETS[name]
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ops, reads = _count(_torch_path(make(True)), batch, monkeypatch)
        assert ops <= checked[0] and reads <= checked[1], (ops, reads)
        ops, reads = _count(_torch_path(make(False)), batch, monkeypatch)
        assert ops <= unchecked[0] and reads <= unchecked[1], (ops, reads)
    finally:
        torch.set_num_threads(previous)


# the usual CPU batches that the NumPy path counts: no torch op but the NumPy views, nothing read
HOST_PATH = [
    "binary-8",
    "binary-4096",
    "multiclass-C10-8",
    "multiclass-C10-4096",
    "multiclass-C100-8",
    "multiclass-C100-1024",
    "multilabel-L50-8",
]


@pytest.mark.parametrize("name", HOST_PATH)
@pytest.mark.parametrize("validate", [True, False])
def test_the_usual_cpu_batch_dispatches_no_torch_op(
    name: str, validate: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the two ``Tensor.numpy()`` calls show (as ``detach`` under a dispatch mode), no read."""
    make, batch, _, _ = BUDGETS[name]
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # with more, large batches of few classes go to torch.argmax's threads
    try:
        metric = make(validate)
        metric.update(batch)
        with _Counter() as counter:
            metric.update(batch)
    finally:
        torch.set_num_threads(previous)
    assert dict(counter.ops) == {"aten.detach": 2}


@pytest.mark.parametrize("threads", [1, 2])
def test_the_arg_max_issues_no_torch_op(threads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segmentation scores: the arg-max runs in NumPy (no torch op, so no parallel region whatever
    the thread count): the update issues the same few ops (the targets' checks and the count,
    views included) whatever the number of chunks, and validation's two reads."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        counted = {}
        for size in (128, 256):  # 1 and 3 chunks per image
            batch = _multiclass(2, 21, size, size)
            for validate in (True, False):
                metric = MulticlassF1Score(21, ignore_index=255, validate_args=validate)
                counted[size, validate] = _count(metric, batch, monkeypatch)
        for validate in (True, False):
            ops, reads = counted[256, validate]
            assert counted[128, validate] == (ops, reads) and ops <= 15 and reads <= (2 if validate else 0)
    finally:
        torch.set_num_threads(previous)
