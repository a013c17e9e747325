"""Benchmark ignite_f1 against the alternatives: update time per epoch, compute time, peak memory.

Alternatives, run in one process and interleaved (A B C ... A B C ..., the order rotated every round):

- ``floor``: a plain-torch reference that reads the scores the obvious way, inline, with no
  validation: ``torch.argmax`` alone for multi-class and segmentation; for binary and multilabel the
  threshold comparison plus the three sums (true positives, predicted positives, actual positives).
  It is not a lower bound: ignite_f1 takes its arg-max with faster ops than ``torch.argmax`` on the
  CPU and counts 0/1 floats where the floor multiplies and sums int64, hence ratios below 1x.
- ``ignite_f1``: this package, with validation on (the default).
- ``ignite_f1 (no validation)``: the same with ``validate_args=False`` (documented as unsafe).
- ``torchmetrics``: ``BinaryF1Score`` / ``MulticlassF1Score`` / ``MultilabelF1Score``.
- ``ignite Fbeta``: ``ignite.metrics.Fbeta`` over ``Precision`` / ``Recall`` (``average=False``);
  thresholding and, for ``ignore_index``, selecting the kept pixels are done inline (Ignite has
  neither) and timed with it.
- ``store + sklearn``: keep every prediction and target (int64 labels; booleans for binary and
  multilabel), call ``sklearn.metrics.f1_score`` at the end.

The *samplewise* workloads (issue 13) score each image on its own and average over the images
(``multidim_average="samplewise"``, the mean per-image Dice) on the segmentation batches and on
binary masks: the floor is the same (the arg-max; for masks, the threshold and the three sums, per
image); ignite_f1 and torchmetrics are built with ``multidim_average="samplewise"`` (torchmetrics'
F1 column shows the mean of its per-image scores); Ignite has no per-image mode, so ``ignite Fbeta``
is reset, updated and computed once per image; ``store + sklearn`` calls ``f1_score`` once per image
and averages. ignite_f1 must agree with it to 1e-12 relative there (the per-image means add their
float sums in another order), exactly elsewhere.

Every batch of an epoch is distinct: all are drawn from a seeded generator before the timed loops
(none is recycled, so the confusion matrix fills as it would on real data), and the same batches
serve every alternative and round. The largest full workload holds about 0.8 GB of batches.

Reported per workload and alternative: the median over rounds of the time of all ``update`` calls of
one epoch; its ratio to the floor (the median of the per-round ratios, so that a slow moment of the
machine hits both sides of a ratio); the median time of ``compute()``; the peak resident memory
growth of one epoch, measured for each alternative in a process of its own (``/proc/self/clear_refs``
resets the high-water mark before the epoch, ``VmHWM`` is read after it). Further tables give
``compute()`` time against the number of samples and memory growth against the epoch length (10
classes), then the targets of issue 6 with the measured numbers.

Issue 12 adds: the batch sizes users run (binary at 4,096 and 65,536, 10 classes at 1,024 and
4,096); the fixed cost of one call on an 8-sample batch (against torchmetrics, Ignite ``Fbeta`` and
``ConfusionMatrix``); the metric's share of an Ignite evaluation loop of an MLP on scikit-learn's
digits (batch 32 and 256, with and without ``compute()``); and a table at 1 and 2 threads and at 2
threads on a busy machine (``--busy`` CPU-bound background processes, 2 by default), with the
targets of issue 12 checked under the table.

Reproduce (CPU; one thread except in the threads / busy table):

    python benchmarks/bench_f1.py                  # full run, writes benchmarks/results.md (~10 minutes)
    python benchmarks/bench_f1.py --quick          # small run, what the test suite runs
    python benchmarks/bench_f1.py --skip memory load compute   # epochs, fixed cost and the loop only
    python benchmarks/bench_f1.py --many-classes   # also run bench_many_classes.py (issue 11)

Without ``--many-classes`` the "Many classes" section already in the output file is kept.

The script exits with status 1 if ignite_f1 disagrees with scikit-learn on any workload.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import dataclasses
import functools
import gc
import importlib.util
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

IGNORE = 255
SAMPLEWISE = "samplewise"
Batch = tuple[torch.Tensor, torch.Tensor]


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    """``num_batches`` distinct batches of ``batch_shape`` scores, each drawn afresh (seeded)."""

    name: str
    kind: str  # binary, multiclass or multilabel
    num_classes: int
    batch_shape: tuple[int, ...]  # shape of y_pred
    num_batches: int
    ignore_index: int | None = None
    multidim_average: str = "global"  # "samplewise": one score per image (dim 0), averaged

    @property
    def samples(self) -> int:
        if self.kind == "multiclass":
            per_batch = math.prod(self.batch_shape) // self.num_classes
        elif self.kind == "multilabel":
            per_batch = self.batch_shape[0]
        else:
            per_batch = math.prod(self.batch_shape)
        return per_batch * self.num_batches

    def describe(self) -> str:
        shape = " x ".join(map(str, self.batch_shape))
        extra = f", ignore_index={self.ignore_index} on 5% of the targets" if self.ignore_index else ""
        if self.multidim_average == "samplewise":
            extra += f", scored per image (the mean over {self.batch_shape[0] * self.num_batches} images)"
        batches = f"{self.num_batches} distinct batches of ({shape}) float32 scores"
        return f"{self.samples:,} samples, {batches}{extra}"

    def make_batches(self) -> list[Batch]:
        """Every batch of the epoch, each drawn afresh from one seeded generator (none is reused).

        They are made before the timed loops, so that drawing them is not timed, and the same
        batches serve every alternative and round. The largest full workload holds about 0.8 GB.
        """
        gen = torch.Generator().manual_seed(sum(map(ord, self.name)))
        batches = []
        for _ in range(self.num_batches):
            y_pred = torch.randn(self.batch_shape, generator=gen)
            if self.kind == "multiclass":
                target_shape = self.batch_shape[:1] + self.batch_shape[2:]
                y = torch.randint(0, self.num_classes, target_shape, generator=gen)
                if self.ignore_index is not None:
                    y[torch.rand(target_shape, generator=gen) < 0.05] = self.ignore_index
            else:
                y = (torch.rand(self.batch_shape, generator=gen) < 0.3).to(torch.int64)
            batches.append((y_pred, y))
        return batches


def workloads(quick: bool) -> list[Workload]:
    """The batch sizes users run: binary at 4,096 and 65,536, 10 classes at 1,024 and 4,096, ..."""
    if quick:
        return [
            Workload("binary 4,096", "binary", 2, (4096,), 8),
            Workload("binary 65,536", "binary", 2, (65536,), 2),
            Workload("C=10 batch 1,024", "multiclass", 10, (1024, 10), 8),
            Workload("C=10 batch 4,096", "multiclass", 10, (4096, 10), 4),
            Workload("C=100 batch 4,096", "multiclass", 100, (4096, 100), 2),
            Workload("C=1000 batch 1,024", "multiclass", 1000, (256, 1000), 4),
            Workload("segmentation C=21", "multiclass", 21, (2, 21, 32, 32), 4, IGNORE),
            Workload(
                "segmentation C=21 samplewise", "multiclass", 21, (2, 21, 32, 32), 4, IGNORE, SAMPLEWISE
            ),
            Workload("binary masks samplewise", "binary", 2, (2, 32, 32), 4, None, SAMPLEWISE),
            Workload("multilabel L=50", "multilabel", 50, (1024, 50), 8),
            Workload("multilabel L=50 batch 65,536", "multilabel", 50, (16384, 50), 1),
        ]
    return [
        Workload("binary 4,096", "binary", 2, (4096,), 256),  # 1M logits
        Workload("binary 65,536", "binary", 2, (65536,), 32),  # 2M logits
        Workload("C=10 batch 1,024", "multiclass", 10, (1024, 10), 512),  # 0.5M samples
        Workload("C=10 batch 4,096", "multiclass", 10, (4096, 10), 256),  # 1M
        Workload("C=100 batch 4,096", "multiclass", 100, (4096, 100), 61),  # 250k
        Workload("C=1000 batch 1,024", "multiclass", 1000, (1024, 1000), 98),  # 100k
        Workload("segmentation C=21", "multiclass", 21, (8, 21, 256, 256), 4, IGNORE),  # 32 images
        Workload("segmentation C=21 samplewise", "multiclass", 21, (8, 21, 256, 256), 4, IGNORE, SAMPLEWISE),
        Workload("binary masks samplewise", "binary", 2, (8, 256, 256), 4, None, SAMPLEWISE),  # 32 masks
        Workload("multilabel L=50", "multilabel", 50, (4096, 50), 122),  # 500k
        Workload("multilabel L=50 batch 65,536", "multilabel", 50, (65536, 50), 8),  # 524k rows, 26M labels
    ]


def ten_classes(samples: int) -> Workload:
    """The 10-class workload at another length, for compute time and memory against samples."""
    batch = 65536 if samples >= 10**6 else 1024
    return Workload(f"C=10, {samples:,} samples", "multiclass", 10, (batch, 10), max(1, samples // batch))


# --------------------------------------------------------------------------- alternatives


@dataclass
class Alternative:
    """``reset()``, ``update(y_pred, y)`` and ``compute()`` of one way of getting the F1 score."""

    reset: Callable[[], None]
    update: Callable[[torch.Tensor, torch.Tensor], None]
    compute: Callable[[], Any]


def _floor(w: Workload) -> Alternative:
    """The plain-torch reading of the scores: arg-max, or threshold + three sums, no validation (a
    yardstick, not a lower bound: faster operations can read the same scores)."""
    sink: list[torch.Tensor] = []

    def argmax(y_pred: torch.Tensor, y: torch.Tensor) -> None:
        sink[:] = [y_pred.argmax(1)]

    def binary(y_pred: torch.Tensor, y: torch.Tensor) -> None:
        p = y_pred >= 0.0
        sink[:] = [(p * y).sum(), p.sum(), y.sum()]

    def binary_per_image(y_pred: torch.Tensor, y: torch.Tensor) -> None:
        p = y_pred >= 0.0
        sink[:] = [(p * y).flatten(1).sum(1), p.flatten(1).sum(1), y.flatten(1).sum(1)]

    def multilabel(y_pred: torch.Tensor, y: torch.Tensor) -> None:
        p = y_pred >= 0.0
        sink[:] = [(p * y).sum(0), p.sum(0), y.sum(0)]

    update = {"multiclass": argmax, "binary": binary, "multilabel": multilabel}[w.kind]
    if w.kind == "binary" and w.multidim_average == SAMPLEWISE:
        update = binary_per_image
    return Alternative(sink.clear, update, lambda: None)


def _metric(metric: Any, transform: Callable[..., Batch] | None = None) -> Alternative:
    """An Ignite metric (``update((y_pred, y))``) or a torchmetrics one (``update(preds, target)``)."""
    metric_update = metric.update
    if type(metric).__module__.startswith("torchmetrics"):
        if transform is None:
            update = metric_update
        else:

            def update(y_pred: torch.Tensor, y: torch.Tensor) -> None:
                metric_update(*transform(y_pred, y))

    elif transform is None:

        def update(y_pred: torch.Tensor, y: torch.Tensor) -> None:
            metric_update((y_pred, y))

    else:

        def update(y_pred: torch.Tensor, y: torch.Tensor) -> None:
            metric_update(transform(y_pred, y))

    def compute() -> Any:
        value = metric.compute()
        if isinstance(value, torch.Tensor) and getattr(metric, "multidim_average", "") == SAMPLEWISE:
            return value.mean().item()  # torchmetrics' per-image scores: their mean
        return value.item() if isinstance(value, torch.Tensor) and value.numel() == 1 else value

    return Alternative(metric.reset, update, compute)


def _ignite_f1(w: Workload, validate: bool = True) -> Alternative:
    import ignite_f1

    per_image = {"multidim_average": w.multidim_average}
    if w.kind == "binary":
        return _metric(ignite_f1.BinaryF1Score(validate_args=validate, from_logits=True, **per_image))
    if w.kind == "multilabel":
        return _metric(ignite_f1.MultilabelF1Score(w.num_classes, validate_args=validate, from_logits=True))
    metric = ignite_f1.MulticlassF1Score(
        w.num_classes, ignore_index=w.ignore_index, validate_args=validate, **per_image
    )
    return _metric(metric)


def _torchmetrics(w: Workload) -> Alternative:
    from torchmetrics.classification import BinaryF1Score, MulticlassF1Score, MultilabelF1Score

    per_image = {"multidim_average": w.multidim_average}
    if w.kind == "binary":
        return _metric(BinaryF1Score(**per_image))
    if w.kind == "multilabel":
        return _metric(MultilabelF1Score(num_labels=w.num_classes, average="macro"))
    return _metric(
        MulticlassF1Score(w.num_classes, average="macro", ignore_index=w.ignore_index, **per_image)
    )


def _ignite_fbeta(w: Workload) -> Alternative:
    from ignite.metrics import Fbeta, Precision, Recall

    def threshold(y_pred: torch.Tensor, y: torch.Tensor) -> Batch:
        return (y_pred >= 0.0).long(), y

    def drop_ignored(y_pred: torch.Tensor, y: torch.Tensor) -> Batch:
        keep = y != w.ignore_index  # Ignite has no ignore_index: select the scores of kept pixels
        return y_pred.movedim(1, -1)[keep], y[keep]

    multilabel = w.kind == "multilabel"
    precision = Precision(average=False, is_multilabel=multilabel)
    recall = Recall(average=False, is_multilabel=multilabel)
    metric = Fbeta(1.0, precision=precision, recall=recall)
    transform = threshold if w.kind != "multiclass" else None if w.ignore_index is None else drop_ignored
    if w.multidim_average == SAMPLEWISE:
        return _per_image(metric, transform)
    return _metric(metric, transform)


def _per_image(metric: Any, transform: Callable[..., Batch] | None) -> Alternative:
    """An Ignite metric without a per-image mode, run per image: reset, update, compute each one."""
    scores: list[float] = []

    def update(y_pred: torch.Tensor, y: torch.Tensor) -> None:
        for i in range(len(y)):
            metric.reset()
            batch = (y_pred[i : i + 1], y[i : i + 1])
            metric.update(batch if transform is None else transform(*batch))
            scores.append(float(metric.compute()))

    return Alternative(scores.clear, update, lambda: sum(scores) / len(scores))


def _store_sklearn(w: Workload) -> Alternative:
    from sklearn.metrics import f1_score

    preds: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []

    def reset() -> None:
        preds.clear()
        targets.clear()

    samplewise = w.multidim_average == SAMPLEWISE

    def update(y_pred: torch.Tensor, y: torch.Tensor) -> None:
        if w.kind == "multiclass":
            pred, true = y_pred.argmax(1), y
        else:
            pred, true = y_pred >= 0.0, y.bool()
        if samplewise:  # one row per image
            pred, true = pred.flatten(1), true.flatten(1)
        elif w.kind == "multiclass":  # flat labels; binary and multilabel keep their shape
            pred, true = pred.reshape(-1), true.reshape(-1)
        preds.append(pred)
        targets.append(true)

    def score(pred: Any, true: Any) -> float:
        if w.kind == "binary":
            return float(f1_score(true, pred))
        if w.ignore_index is not None:
            keep = true != w.ignore_index
            pred, true = pred[keep], true[keep]
        return float(f1_score(true, pred, average="macro"))

    def compute() -> float:
        pred, true = torch.cat(preds).numpy(), torch.cat(targets).numpy()
        if not samplewise:
            return score(pred, true)
        with warnings.catch_warnings():  # masks without a positive: F1 0.0, as ignite_f1's "warn"
            warnings.simplefilter("ignore")
            scores = [score(p, t) for p, t in zip(pred, true, strict=True)]
        return statistics.mean(s for s in scores if not math.isnan(s))

    return Alternative(reset, update, compute)


ALTERNATIVES: dict[str, Callable[[Workload], Alternative]] = {
    "floor": _floor,
    "ignite_f1": _ignite_f1,
    "ignite_f1 (no validation)": lambda w: _ignite_f1(w, validate=False),
    "torchmetrics": _torchmetrics,
    "ignite Fbeta": _ignite_fbeta,
    "store + sklearn": _store_sklearn,
}


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    update: list[float] = field(default_factory=list)
    compute: list[float] = field(default_factory=list)
    ratio: list[float] = field(default_factory=list)  # update time / the floor's, same round
    result: Any = None


def run_epoch(alt: Alternative, batches: list[Batch]) -> tuple[float, float, Any]:
    """(seconds of all updates, seconds of compute, result) of one epoch over ``batches``."""
    alt.reset()
    update = alt.update
    start = time.perf_counter()
    for y_pred, y in batches:
        update(y_pred, y)
    middle = time.perf_counter()
    result = alt.compute()
    return middle - start, time.perf_counter() - middle, result


def time_workload(w: Workload, names: list[str], rounds: int, window: float = 0.0) -> dict[str, Timing]:
    """Interleaved rounds of one epoch per alternative. ``window``: the least seconds one timed
    measurement should last; a shorter epoch is timed as several epochs in a row (the floor's
    warm-up epoch decides how many), each of new batches (none is reused), and its time is given
    per epoch."""
    batches = w.make_batches()
    alts = {name: ALTERNATIVES[name](w) for name in names}
    for alt in alts.values():  # first calls allocate and initialise: untimed
        run_epoch(alt, batches[:3])
    passes = 1
    if window > 0:
        floor_seconds = run_epoch(alts["floor"], batches)[0]
        passes = max(1, math.ceil(window / max(floor_seconds, 1e-6)))
        if passes > 1:  # that many epochs of distinct batches, timed together
            batches = dataclasses.replace(w, num_batches=w.num_batches * passes).make_batches()
    timings = {name: Timing() for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        seconds = {}
        for name in order:
            update, compute, result = run_epoch(alts[name], batches)
            update /= passes
            seconds[name] = update
            timings[name].update.append(update)
            timings[name].compute.append(compute)
            timings[name].result = result
        for name in names:
            timings[name].ratio.append(seconds[name] / seconds["floor"])
    return timings


def compute_vs_samples(sizes: list[int], names: list[str], rounds: int) -> dict[str, dict[int, float]]:
    """Median ``compute()`` seconds after an epoch of each length in ``sizes`` (10 classes)."""
    out: dict[str, dict[int, float]] = {name: {} for name in names}
    for samples in sizes:
        w = ten_classes(samples)
        batches = w.make_batches()
        alts = {name: ALTERNATIVES[name](w) for name in names}
        times: dict[str, list[float]] = {name: [] for name in names}
        for r in range(rounds):  # interleaved, the order rotated every round
            for name in names[r % len(names) :] + names[: r % len(names)]:
                times[name].append(run_epoch(alts[name], batches)[1])
        for name in names:
            out[name][w.samples] = statistics.median(times[name])
        del batches, alts
        gc.collect()
    return out


# --------------------------------------------------------------------------- a busy machine


@contextlib.contextmanager
def busy_machine(processes: int) -> Iterator[None]:
    """``processes`` CPU-bound background processes (a pure-Python loop each) while the body runs."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        time.sleep(0.2)  # let them start spinning
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@contextlib.contextmanager
def num_threads(threads: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


LOAD_WINDOW = 0.02
"""Least seconds of one timed measurement in the load table: a shorter (quarter) epoch is timed as
several epochs in a row. On a busy machine the scheduler preempts a process for a few milliseconds every
few milliseconds, so a 2 ms measurement is either preempted or not (binary masks per image: 2.2 or
6.4 ms, about half each, and its median ratio flipped between runs); one of 20 ms or more holds
several preemptions, and its time their average share. The epochs timed together have distinct
batches, as every epoch of the main table."""


def load_rounds(rounds: int) -> int:
    """Rounds of the load table: more than the main table's, as its epochs are short.

    On a busy machine a round whose process the scheduler preempts takes milliseconds more,
    whatever was measured (a quarter epoch lasts 1 to 100 ms): the round times are bimodal, and the
    median of 5 rounds lands on a preempted one often enough to flip a ratio (binary 65,536 read
    4.35x in one run, 0.96x in 11 rounds right after). With 2 * rounds - 3 rounds (11 by default)
    the median is that of the rounds not preempted while fewer than half are.
    """
    return max(3, 2 * rounds - 3)


SETTINGS = [(1, False), (2, False), (2, True)]
"""(threads, busy) of the load table: one thread, two threads, two threads on a busy machine."""

LOAD_ALTERNATIVES = ["floor", "ignite_f1", "torchmetrics"]


def shortened(w: Workload, quick: bool) -> Workload:
    """The workload at a quarter of its epoch (at least 2 batches): the load table runs it 3 times."""
    if quick:
        return w
    return dataclasses.replace(w, num_batches=max(2, w.num_batches // 4))


def time_under_load(
    chosen: list[Workload], rounds: int, quick: bool, burners: int
) -> dict[tuple[int, bool], dict[str, dict[str, Timing]]]:
    """Floor, ignite_f1 and torchmetrics per workload at 1 and 2 threads, quiet and busy."""
    out: dict[tuple[int, bool], dict[str, dict[str, Timing]]] = {}
    for threads, busy in SETTINGS:
        with num_threads(threads), busy_machine(burners if busy else 0):
            out[threads, busy] = {
                w.name: time_workload(shortened(w, quick), LOAD_ALTERNATIVES, rounds, LOAD_WINDOW)
                for w in chosen
            }
        print(f"load table: {threads} thread(s), busy={busy} done", file=sys.stderr)
    return out


# --------------------------------------------------------------------------- fixed cost of one call


FIXED_KINDS = {  # name: (kind, classes or labels)
    "binary": ("binary", 2),
    "C=10": ("multiclass", 10),
    "C=100": ("multiclass", 100),
    "multilabel L=50": ("multilabel", 50),
}


def _ignite_confusion(num_classes: int) -> Alternative:
    from ignite.metrics import ConfusionMatrix

    return _metric(ConfusionMatrix(num_classes))


def _bare_op(kind: str) -> Alternative:
    """The one op a call cannot avoid: the arg-max, or the threshold comparison."""
    sink: list[torch.Tensor] = []

    def update(y_pred: torch.Tensor, y: torch.Tensor) -> None:
        sink[:] = [y_pred.argmax(1) if kind == "multiclass" else y_pred >= 0.0]

    return Alternative(sink.clear, update, lambda: None)


def fixed_cost(rounds: int, quick: bool, batch: int = 8) -> dict[str, dict[str, float]]:
    """Median microseconds of one ``update`` on a ``batch``-sample batch, per kind and alternative.

    256 distinct batches are cycled; each alternative makes ``calls`` calls per round, interleaved
    with the others, the order rotated every round.
    """
    calls = 512 if quick else 4096
    out: dict[str, dict[str, float]] = {}
    for name, (kind, classes) in FIXED_KINDS.items():
        shape = (batch,) if kind == "binary" else (batch, classes)
        w = Workload(name, kind, classes, shape, 256)
        batches = w.make_batches()
        alts = {
            "bare op": _bare_op(kind),
            "ignite_f1": _ignite_f1(w),
            "ignite_f1 (no validation)": _ignite_f1(w, validate=False),
            "torchmetrics": _torchmetrics(w),
            "ignite Fbeta": _ignite_fbeta(w),
        }
        if kind == "multiclass":
            alts["ignite ConfusionMatrix"] = _ignite_confusion(classes)
        times: dict[str, list[float]] = {alt: [] for alt in alts}
        names = list(alts)
        for alt in alts.values():
            alt.reset()
            for y_pred, y in batches[:16]:
                alt.update(y_pred, y)
        for r in range(rounds):
            for alt_name in names[r % len(names) :] + names[: r % len(names)]:
                update = alts[alt_name].update
                start = time.perf_counter()
                for i in range(calls):
                    update(*batches[i & 255])
                times[alt_name].append((time.perf_counter() - start) / calls * 1e6)
        out[name] = {alt: statistics.median(t) for alt, t in times.items()}
    return out


# --------------------------------------------------------------------------- an evaluation loop


LOOP_METRICS = ["ignite_f1", "torchmetrics", "ignite Fbeta", "ignite ConfusionMatrix"]


def _digits_model() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """An MLP trained a little on scikit-learn's digits (1,797 images of 8 x 8 pixels, 10 classes)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.int64)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.eval(), x, y


def evaluation_loop(rounds: int, batch_sizes: tuple[int, ...] = (32, 256)) -> dict[int, dict[str, float]]:
    """The metric's share of an Ignite evaluation loop over the digits: (with it) / (without) - 1.

    One epoch of an Ignite ``Engine`` whose step runs the model (``no_grad``) and the metric's
    ``update``; ``reset`` at ``EPOCH_STARTED`` and, for the "+ compute" shares, ``compute`` at
    ``EPOCH_COMPLETED`` (what ``Metric.attach`` does). Loops with each metric and without any run
    interleaved; a share is the median of the per-round ratios. Keys: ``"<metric>"`` (updates) and
    ``"<metric> + compute"``, and ``"none"``: the loop alone in ms.
    """
    from ignite.metrics import ConfusionMatrix

    model, x, y = _digits_model()
    w = Workload("digits", "multiclass", 10, (1, 10), 1)
    out: dict[int, dict[str, float]] = {}
    for batch_size in batch_sizes:
        batches = [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        metrics: dict[str, Alternative | None] = {
            "none": None,
            "ignite_f1": _ignite_f1(w),
            "torchmetrics": _torchmetrics(w),
            "ignite Fbeta": _ignite_fbeta(w),
            "ignite ConfusionMatrix": _metric(ConfusionMatrix(10)),
        }
        engines = {}
        for name, alt in metrics.items():
            for with_compute in (False, True):
                engines[name + (" + compute" if with_compute else "")] = _engine(model, alt, with_compute)
        names = list(engines)
        for name in names:
            engines[name].run(batches, max_epochs=1)
        ratios: dict[str, list[float]] = {name: [] for name in names}
        for r in range(rounds * 3):
            seconds = {}
            for name in names[r % len(names) :] + names[: r % len(names)]:
                start = time.perf_counter()
                engines[name].run(batches, max_epochs=1)
                seconds[name] = time.perf_counter() - start
            for name in names:
                bare = seconds["none + compute" if name.endswith(" + compute") else "none"]
                ratios[name].append(seconds[name] / bare - 1)
            ratios["none"][-1] = seconds["none"] * 1e3  # the loop alone, in ms
        out[batch_size] = {name: statistics.median(v) for name, v in ratios.items()}
    return out


def _engine(model: torch.nn.Module, alt: Alternative | None, with_compute: bool) -> Any:
    from ignite.engine import Engine, Events

    def step(engine: Engine, batch: Batch) -> None:
        with torch.no_grad():
            logits = model(batch[0])
        if alt is not None:
            alt.update(logits, batch[1])

    engine = Engine(step)
    if alt is not None:
        engine.add_event_handler(Events.EPOCH_STARTED, lambda _: alt.reset())
        if with_compute:
            engine.add_event_handler(Events.EPOCH_COMPLETED, lambda _: alt.compute())
    return engine


# --------------------------------------------------------------------------- memory (a process each)


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def peak_growth_mb(run: Callable[[], Any]) -> float:
    """Peak resident memory growth (MB) while ``run`` runs, above the resident memory before it.

    Freed memory is first returned to the system (``malloc_trim``), so that the run cannot reuse it
    unseen; the high-water mark is reset through ``/proc/self/clear_refs`` (Linux). Elsewhere the
    growth of ``ru_maxrss`` is reported, which misses a peak below an earlier one.
    """
    gc.collect()
    library = ctypes.util.find_library("c")
    libc = ctypes.CDLL(library) if library else None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        import resource

        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        run()
        return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * scale / 2**20
    before = _status_kib("VmRSS")
    run()
    return (_status_kib("VmHWM") - before) / 1024


def memory_worker(name: str, quick: bool, sizes: list[int]) -> dict[str, float]:
    """In a process of its own: the peak growth of one epoch of every workload and of each size."""
    torch.set_num_threads(1)
    out: dict[str, float] = {}
    for w in [*workloads(quick), *map(ten_classes, sizes)]:
        batches = w.make_batches()
        alt = ALTERNATIVES[name](w)
        run_epoch(alt, batches[:2])  # first calls allocate: not counted
        out[w.name] = peak_growth_mb(functools.partial(run_epoch, alt, batches))
        del batches, alt
        gc.collect()
    return out


def measure_memory(names: list[str], quick: bool, sizes: list[int]) -> dict[str, dict[str, float]]:
    out = {}
    for name in names:
        command = [sys.executable, os.path.abspath(__file__), "--memory-worker", name]
        command += ["--sizes", *map(str, sizes), *(["--quick"] if quick else [])]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        out[name] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


# --------------------------------------------------------------------------- report


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:,.0f}"


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.1f}x"


def _loads(loads: tuple[float, float, float]) -> str:
    return " ".join(f"{load:.2f}" for load in loads)


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> list[str]:
    align = ["---" if i < numeric_from else "--:" for i in range(len(header))]
    return ["| " + " | ".join(row) + " |" for row in [header, align, *rows]]


@dataclass
class Results:
    quick: bool
    rounds: int
    loads: tuple[tuple[float, float, float], tuple[float, float, float]]  # (1, 5, 15 min) before, after
    workloads: list[Workload]
    timed: dict[str, dict[str, Timing]]
    compute_sizes: dict[str, dict[int, float]]
    memory: dict[str, dict[str, float]] | None
    memory_sizes: list[int]
    command: str = "python benchmarks/bench_f1.py"
    wall_s: float = 0.0
    fixed: dict[str, dict[str, float]] | None = None
    loop: dict[int, dict[str, float]] | None = None
    under_load: dict[tuple[int, bool], dict[str, dict[str, Timing]]] | None = None
    burners: int = 2
    many_classes: str | None = None


def _median_ratio(r: Results, workload: str, name: str, over: str) -> float:
    """Median over rounds of update time of ``name`` over that of ``over`` (same round)."""
    t = r.timed[workload]
    return statistics.median(a / b for a, b in zip(t[name].update, t[over].update, strict=True))


def targets(r: Results) -> list[tuple[str, bool, str]]:
    """The targets of issue 6, each with whether it is met and the numbers."""
    checks = []
    for w in r.workloads:
        limit = 1.5 if w.kind == "binary" else 1.15
        ratio = statistics.median(r.timed[w.name]["ignite_f1"].ratio)
        checks.append((f"{w.name}: update within {limit}x of the floor", ratio <= limit, _x(ratio)))
    for w in r.workloads:
        ratio = _median_ratio(r, w.name, "torchmetrics", "ignite_f1")
        checks.append((f"{w.name}: faster than torchmetrics", ratio > 1, f"torchmetrics takes {_x(ratio)}"))
    for w in r.workloads:
        ratio = _median_ratio(r, w.name, "ignite Fbeta", "ignite_f1")
        checks.append((f"{w.name}: >= 5x faster than Ignite Fbeta", ratio >= 5, f"Fbeta takes {_x(ratio)}"))
    by_n = r.compute_sizes.get("ignite_f1", {})
    if by_n:
        worst = max(by_n.values())
        shown = ", ".join(f"{_ms(s)} ms at {n:,}" for n, s in sorted(by_n.items()))
        checks.append(("compute() <= 5 ms for 10 classes at both lengths", worst <= 0.005, shown))
    if r.memory is not None:
        small, large = (r.memory["ignite_f1"][ten_classes(n).name] for n in r.memory_sizes)
        sizes = " to ".join(f"{n:,}" for n in r.memory_sizes)
        checks.append(
            (
                f"peak memory growth from {sizes} samples <= 5 MB",
                large - small <= 5,
                f"{large - small:+.1f} MB",
            )
        )
    return checks


def _load_ratio(r: Results, setting: tuple[int, bool], workload: str, name: str) -> float:
    assert r.under_load is not None
    return statistics.median(r.under_load[setting][workload][name].ratio)


def targets_12(r: Results) -> list[tuple[str, bool, str]]:
    """The targets of issue 12 that this run measured, each with whether it is met and the numbers."""
    checks = []
    if r.fixed is not None:
        for kind, by in r.fixed.items():
            limit = 30 if kind.startswith("multilabel") else 20
            own = by["ignite_f1"]
            checks.append((f"fixed cost, {kind}: <= {limit} us", own <= limit, f"{own:.1f} us"))
            rivals = [name for name in ("torchmetrics", "ignite ConfusionMatrix") if name in by]
            shown = ", ".join(f"{name} {by[name]:.1f} us" for name in rivals)
            ok = all(own < by[name] for name in rivals)
            checks.append((f"fixed cost, {kind}: below {' and '.join(rivals)}", ok, f"{own:.1f} us; {shown}"))
    for w in r.workloads:
        ratio = statistics.median(r.timed[w.name]["ignite_f1"].ratio)
        samples = math.prod(w.batch_shape) // (w.num_classes if w.kind == "multilabel" else 1)  # per batch
        limit = 1.5 if w.kind != "multiclass" and samples <= 4096 else 1.15  # masks: 524,288 pixels
        checks.append((f"{w.name}: update within {limit}x of the floor", ratio <= limit, _x(ratio)))
    if r.loop is not None:
        for batch, shares in r.loop.items():
            for suffix in ("", " + compute"):
                own, confusion = shares["ignite_f1" + suffix], shares["ignite ConfusionMatrix" + suffix]
                checks.append(
                    (
                        f"digits loop, batch {batch}{suffix}: share <= Ignite ConfusionMatrix's",
                        own <= confusion,
                        f"{own:+.0%} against {confusion:+.0%}",
                    )
                )
    if r.under_load is not None:
        for w in r.workloads:
            quiet, busy = (_load_ratio(r, (2, b), w.name, "ignite_f1") for b in (False, True))
            checks.append(
                (
                    f"{w.name}, 2 threads busy: ratio to floor <= 1.5x the quiet one",
                    busy <= 1.5 * quiet,
                    f"{_x(busy)} busy, {_x(quiet)} quiet",
                )
            )
            t = r.under_load[2, True][w.name]
            rival = statistics.median(
                a / b for a, b in zip(t["torchmetrics"].update, t["ignite_f1"].update, strict=True)
            )
            checks.append(
                (
                    f"{w.name}, 2 threads busy: faster than torchmetrics",
                    rival > 1,
                    f"torchmetrics takes {_x(rival)}",
                )
            )
    return checks


def render_issue_12(r: Results) -> list[str]:
    """The sections of issue 12: fixed cost, the evaluation loop, threads and a busy machine."""
    lines: list[str] = []
    if r.fixed is not None:
        names = list(dict.fromkeys(name for by in r.fixed.values() for name in by))
        lines += ["", "## Fixed cost of one call (8-sample batch)", ""]
        lines += [
            "Median microseconds per `update` call on 8-sample batches (256 distinct ones cycled), "
            "interleaved rounds. *bare op*: the one op a call cannot avoid (`argmax(1)`, or `y_pred >= 0`).",
            "",
        ]
        rows = [[kind, *(f"{by[n]:.1f}" if n in by else "-" for n in names)] for kind, by in r.fixed.items()]
        lines += _table(["kind", *(f"{n} (us)" for n in names)], rows)
    if r.loop is not None:
        lines += ["", "## Share of an evaluation loop (digits MLP)", ""]
        lines += [
            "scikit-learn's digits (1,797 images, 10 classes), an MLP 64-128-10 (trained a little) in "
            "an Ignite `Engine` whose step runs the model under `no_grad` and the metric's `update`; "
            "`reset` at `EPOCH_STARTED`, and on the *+ compute* rows `compute()` at `EPOCH_COMPLETED` "
            "(what `attach` does). Share: (epoch with the metric) / (epoch without) - 1, median of "
            "per-round ratios.",
            "",
        ]
        names = LOOP_METRICS
        rows = [
            [f"{batch}{suffix}", f"{shares['none']:.2f}", *(f"{shares[n + suffix]:+.0%}" for n in names)]
            for batch, shares in r.loop.items()
            for suffix in ("", " + compute")
        ]
        lines += _table(["batch", "loop alone (ms)", *names], rows)
    if r.under_load is not None:
        lines += ["", "## Threads and a busy machine", ""]
        lines += [
            f"Update per epoch (a quarter of the epochs above) and the ratio to the floor, with 1 and 2 "
            f"torch threads, and with 2 threads while {r.burners} CPU-bound background processes "
            f"(`python -c 'while True: pass'`) run (*busy*). {load_rounds(r.rounds)} interleaved rounds "
            "(more than above: a round the scheduler preempts takes milliseconds more, so round times "
            "on a busy machine are bimodal), medians; an epoch shorter than "
            f"{LOAD_WINDOW * 1e3:.0f} ms (the floor's) is timed as several epochs in a row, each of new "
            "batches, so that one measurement holds several preemptions, and its time is given per epoch.",
            "",
        ]
        header = ["workload", "alternative"]
        for threads, busy in SETTINGS:
            label = f"{threads} thread{'s' if threads > 1 else ''}{', busy' if busy else ''}"
            header += [f"{label} (ms)", "vs floor"]
        rows = []
        for w in r.workloads:
            for name in LOAD_ALTERNATIVES:
                row = [w.name, name]
                for setting in SETTINGS:
                    t = r.under_load[setting][w.name][name]
                    row += [_ms(statistics.median(t.update)), _x(statistics.median(t.ratio))]
                rows.append(row)
        lines += _table(header, rows, numeric_from=2)
    return lines


def render(r: Results) -> str:
    names = list(next(iter(r.timed.values())))
    lines = [
        f"# ignite_f1 benchmark{' (quick run: small workloads, numbers not meaningful)' if r.quick else ''}",
        "",
        f"torch {torch.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, one thread "
        f"(`torch.set_num_threads(1)`), Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. "
        f"Medians of {r.rounds} interleaved rounds; *vs floor* is the median of the per-round ratios. "
        f"Load average (1, 5, 15 min) before: {_loads(r.loads[0])}; after: {_loads(r.loads[1])} "
        f"({os.cpu_count()} CPUs: a load above 1 means other processes competed for them). "
        f"Every batch of an epoch is distinct (none is reused). The run took {r.wall_s / 60:.1f} minutes.",
        "",
        f"Command: `{r.command}`",
        "",
        "## Update time per epoch, compute time, memory",
        "",
    ]
    rows = []
    for w in r.workloads:
        for name, t in r.timed[w.name].items():
            memory = "-" if r.memory is None else f"{r.memory[name][w.name]:.1f}"
            result = f"{t.result:.6f}" if isinstance(t.result, float) else "-"
            compute = "-" if name == "floor" else _ms(statistics.median(t.compute))
            update = _ms(statistics.median(t.update))
            rows.append([w.name, name, update, _x(statistics.median(t.ratio)), compute, memory, result])
    header = [
        "workload",
        "alternative",
        "update / epoch (ms)",
        "vs floor",
        "compute (ms)",
        "peak memory (MB)",
        "F1",
    ]
    lines += _table(header, rows, numeric_from=2)
    errors = mismatches(r)
    lines += [
        "",
        "Agreement with scikit-learn (the F1 column of ignite_f1, with and without validation, against "
        "store + sklearn's; to 1e-12 relative for the samplewise means): "
        + ("equal on every workload." if not errors else "**differs**: " + "; ".join(errors) + "."),
    ]
    lines += ["", "Workloads:", ""] + [f"- **{w.name}**: {w.describe()}." for w in r.workloads]
    lines += [
        "",
        "*peak memory*: growth of the resident memory over one epoch (updates and compute), in a",
        "process of its own, the batches being made before. The floor's is what its own temporaries",
        "take; ignite_f1's state is its counts (int64: C x C for multi-class, 8 MB at C = 1000).",
    ]
    lines += render_issue_12(r)
    lines += [
        "",
        "## compute() against the number of samples (10 classes)",
        "",
    ]
    sizes = sorted(next(iter(r.compute_sizes.values()), {}))
    rows = [[name, *(_ms(by_n[n]) for n in sizes)] for name, by_n in r.compute_sizes.items()]
    lines += _table(["alternative", *(f"{n:,} samples (ms)" for n in sizes)], rows) if rows else ["(not run)"]
    if r.memory is not None:
        lines += ["", "## Peak memory growth against the epoch length (10 classes)", ""]
        keys = [ten_classes(n).name for n in r.memory_sizes]
        rows = [[name, *(f"{r.memory[name][k]:.1f}" for k in keys)] for name in names]
        lines += _table(["alternative", *(f"{n:,} samples (MB)" for n in r.memory_sizes)], rows)
    lines += ["", "## Targets (issue 6)", ""]
    rows = [[goal, "met" if ok else "**not met**", numbers] for goal, ok, numbers in targets(r)]
    lines += _table(["target", "status", "measured"], rows, numeric_from=3)
    lines += ["", "## Targets (issue 12)", ""]
    rows = [[goal, "met" if ok else "**not met**", numbers] for goal, ok, numbers in targets_12(r)]
    lines += _table(["target", "status", "measured"], rows, numeric_from=3)
    if r.many_classes:
        lines += ["", r.many_classes.strip()]
    return "\n".join(lines) + "\n"


def mismatches(r: Results) -> list[str]:
    """ignite_f1, with and without validation, must give the number scikit-learn gives: exactly, or
    to 1e-12 relative for a per-image mean (its float sums are added in another order)."""
    errors = []
    per_image = {w.name for w in r.workloads if w.multidim_average == SAMPLEWISE}
    for workload, by in r.timed.items():
        expected = by["store + sklearn"].result
        for name in ("ignite_f1", "ignite_f1 (no validation)"):
            got = by[name].result
            close = workload in per_image and math.isclose(got, expected, rel_tol=1e-12, abs_tol=0.0)
            if got != expected and not close:
                errors.append(f"{workload}: {name} gives {got!r}, scikit-learn {expected!r}")
    return errors


MANY_CLASSES_HEADING = "## Many classes"


def _kept_section(path: str) -> str | None:
    """The "many classes" section (issue 11) of an earlier results file, kept as it is."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    start = text.find(MANY_CLASSES_HEADING)
    return None if start < 0 else text[start:]


def _many_classes(path: str, quick: bool) -> str | None:
    """Run ``benchmarks/bench_many_classes.py``'s ``main`` when that script is there."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_many_classes.py")
    if not os.path.exists(script):
        print("benchmarks/bench_many_classes.py is absent: no many-classes section", file=sys.stderr)
        return _kept_section(path)
    spec = importlib.util.spec_from_file_location("bench_many_classes", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # registered under its name first: its peers run in spawned processes, which unpickle their
    # worker function as bench_many_classes._peer_worker and must find this very module
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    section: str = module.main(quick=quick)
    torch.set_num_threads(1)  # it may have changed the setting
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="small workloads and few rounds (the tests run it)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 7; quick: 3)")
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md")
    parser.add_argument("--out", default=default_out, help="markdown file to write (default: %(default)s)")
    parser.add_argument(
        "--only", nargs="*", default=None, metavar="WORKLOAD", help="run only these workloads"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the per-process memory measurement")
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["fixed", "loop", "load", "compute", "memory"],
        help="sections to leave out: fixed cost, evaluation loop, threads/busy, compute() sizes, memory",
    )
    parser.add_argument(
        "--busy", type=int, default=2, help="background processes of the busy runs (default 2)"
    )
    parser.add_argument(
        "--many-classes",
        action="store_true",
        help="run benchmarks/bench_many_classes.py (issue 11) and append its section; without it the "
        "section already in --out is kept",
    )
    parser.add_argument("--memory-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs="*", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    memory_sizes = args.sizes or ([10**4, 10**5] if args.quick else [10**6, 10**7])
    if args.memory_worker is not None:
        print(json.dumps(memory_worker(args.memory_worker, args.quick, memory_sizes)))
        return 0

    rounds = args.rounds or (3 if args.quick else 7)
    chosen = [w for w in workloads(args.quick) if args.only is None or w.name in args.only]
    names = list(ALTERNATIVES)
    load_before = os.getloadavg()
    started = time.perf_counter()
    timed = {}
    for w in chosen:
        timed[w.name] = time_workload(w, names, rounds)
        ratios = ", ".join(f"{n} {_x(statistics.median(t.ratio))}" for n, t in timed[w.name].items())
        print(f"{w.name}: {ratios}", file=sys.stderr)
    skip = set(args.skip) | ({"memory"} if args.no_memory else set())
    fixed = None if "fixed" in skip else fixed_cost(rounds, args.quick)
    loop = None if "loop" in skip else evaluation_loop(rounds)
    under_load = (
        None if "load" in skip else time_under_load(chosen, load_rounds(rounds), args.quick, args.busy)
    )
    compute_sizes = (
        {}
        if "compute" in skip
        else compute_vs_samples([10**3, 10**4] if args.quick else [10**5, 10**7], names[1:], rounds)
    )
    memory = None if "memory" in skip else measure_memory(names, args.quick, memory_sizes)
    many_classes = _many_classes(args.out, args.quick) if args.many_classes else _kept_section(args.out)
    loads = (load_before, os.getloadavg())
    command = shlex.join(["python", "benchmarks/bench_f1.py", *(sys.argv[1:] if argv is None else argv)])
    wall_s = time.perf_counter() - started
    results = Results(
        args.quick,
        rounds,
        loads,
        chosen,
        timed,
        compute_sizes,
        memory,
        memory_sizes,
        command,
        wall_s,
        fixed,
        loop,
        under_load,
        args.busy,
        many_classes,
    )
    text = render(results)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    errors = mismatches(results)
    for error in errors:
        print("MISMATCH", error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
