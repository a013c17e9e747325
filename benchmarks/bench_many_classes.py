"""Many classes (issue 11): epoch-end cost, update cost and state size from 1,000 to 100,000 classes.

Printed as markdown tables (CPU, one thread; ``torch.set_num_threads(1)``):

1. ``compute()`` and ``report()`` of ``MulticlassF1Score`` (macro, ``zero_division=0``; default
   ``keep_confusion_matrix``, and per-class counts at 1,000 classes) on random labels: interleaved
   rounds (one ``compute()``, then one ``report()``), medians, and the median of the rounds'
   report / compute ratios. Each call re-reads the counts (the sums kept between two calls
   without an update are dropped first), as the first call after an epoch does; its time includes
   dropping the result (a report of 100,000 dicts).
2. Update time of one epoch at C = 100,000, batch 256, float32 scores, against a bare
   ``scores.argmax(1)`` over the same batches (interleaved rounds; the median of per-round
   ratios), and the size of the metric's state.
3. Peers at C = 10,000 and 100,000: update time per epoch (ratio to the bare arg-max) and
   ``compute()`` of ``ignite_f1``, torchmetrics' ``MulticlassF1Score`` (``compute_with_cache=False``)
   and Ignite's ``Fbeta`` over ``Precision``/``Recall``. Each peer runs in a child process under a
   memory limit (``RLIMIT_AS``); one that cannot run is reported as "fails" with its error.
4. The issue's targets, each marked met or not met with the measured number.

Run alone (``bench_f1.py`` calls :func:`main` for its "many classes" section)::

    python benchmarks/bench_many_classes.py           # about 2 minutes
    python benchmarks/bench_many_classes.py --quick   # smaller epochs
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch

MEMORY_LIMIT_BYTES = 12 << 30  # a peer that needs more fails cleanly instead of swapping the machine


def _median_ms(fn: Callable[[], Any], repeats: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _batches(
    num_classes: int, batch: int, count: int, seed: int = 0
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(batch, num_classes, generator=g), torch.randint(0, num_classes, (batch,), generator=g))
        for _ in range(count)
    ]


# --------------------------------------------------------------------------- 1. epoch-end cost


def _report_objects(num_classes: int) -> Callable[[], Any]:
    """The least any report of ``num_classes`` classes must build: a distinct dict of four floats
    per class (scikit-learn's report gives each class its own), keyed by its name. Copies of one
    dict are the cheapest way CPython makes them (no scoring, all values shared)."""
    names = [str(c) for c in range(num_classes)]
    entry = {"precision": 0.5, "recall": 0.5, "f1-score": 0.5, "support": 1.0}

    def build() -> dict[str, dict[str, float]]:
        return dict(zip(names, map(dict.copy, [entry] * num_classes), strict=True))

    return build


def epoch_end(quick: bool) -> tuple[list[list[str]], list[tuple[int, str, float, float, float, float]]]:
    """The table rows, and per row (classes, mode, compute ms, report ms, median report / compute,
    median dicts / compute).

    Beside ``report()``, the time to build (and drop) its per-class dicts alone, without scoring
    (:func:`_report_objects`): the floor of any report of that shape.
    """
    from ignite_f1 import MulticlassF1Score

    rows, measured = [], []
    for num_classes, samples in ((1000, 1_000_000), (10_000, 1_000_000), (100_000, 1_000_000)):
        g = torch.Generator().manual_seed(1)
        y = torch.randint(0, num_classes, (samples,), generator=g)
        pred = torch.randint(0, num_classes, (samples,), generator=g)
        for keep in (None, False) if num_classes <= 1024 else (None,):
            metric = MulticlassF1Score(num_classes, zero_division=0.0, keep_confusion_matrix=keep)
            metric.update((pred, y))

            def drop(metric: Any = metric) -> None:
                metric._reduced_state = None  # the sums kept since the last update

            # interleaved rounds (compute, then report), so that a slow moment of the machine
            # hits both; the ratio is the median of the rounds' ratios
            computes, reports, objects = [], [], []
            build = _report_objects(num_classes)
            for _ in range(7 if quick else 21):
                computes.append(_median_ms(metric.compute, 1, drop))
                reports.append(_median_ms(metric.report, 1, drop))
                objects.append(_median_ms(build, 1))
            compute, report = statistics.median(computes), statistics.median(reports)
            ratio = statistics.median(r / c for r, c in zip(reports, computes, strict=True))
            mode = "matrix" if metric.keep_confusion_matrix else "counts"
            floor = statistics.median(o / c for o, c in zip(objects, computes, strict=True))
            measured.append((num_classes, mode, compute, report, ratio, floor))
            rows.append(
                [
                    f"{num_classes:,}",
                    f"{samples:,} random",
                    f"{keep} ({mode})",
                    f"{compute:.2f} ms",
                    f"{report:.2f} ms",
                    f"{ratio:.1f}x",
                    f"{statistics.median(objects):.2f} ms",
                    f"{floor:.1f}x",
                ]
            )
    return rows, measured


def targets(
    measured: list[tuple[int, str, float, float, float, float]], update_ratio: float, state_mb: float
) -> str:
    """The issue's targets, each marked met or not met with the measured number."""

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    compute_1000 = next(row[2] for row in measured if row[0] == 1000 and row[1] == "matrix")
    compute_100k = next(row[2] for row in measured if row[0] == 100_000)
    worst = max(measured, key=lambda row: row[4])
    lines = [
        "| target | measured | |",
        "|---|--:|---|",
        f"| `compute()` <= 5 ms at C = 1,000 random (default: matrix) | {compute_1000:.2f} ms "
        f"| {mark(compute_1000 <= 5)} |",
        f"| `compute()` <= 50 ms at C = 100,000 random | {compute_100k:.2f} ms "
        f"| {mark(compute_100k <= 50)} |",
        f"| `report()` <= 4x `compute()` at every row | {worst[4]:.1f}x (C = {worst[0]:,}, {worst[1]}; "
        f"its per-class dicts alone: {worst[5]:.1f}x) | {mark(worst[4] <= 4)} |",
        f"| update at C = 100,000 within 1.15x of a bare `argmax(1)` | {update_ratio:.2f}x "
        f"| {mark(update_ratio <= 1.15)} |",
        f"| state < 10 MB at C = 100,000 | {state_mb:.1f} MB | {mark(state_mb < 10)} |",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- 2. update at 100k classes


def update_cost(quick: bool) -> tuple[list[list[str]], float, float]:
    from ignite_f1 import MulticlassF1Score

    num_classes = 100_000
    batches = _batches(num_classes, 256, 4 if quick else 8)
    metric = MulticlassF1Score(num_classes)

    def ours() -> None:
        for batch in batches:
            metric.update(batch)

    def floor() -> None:
        for scores, _ in batches:
            scores.argmax(1)

    ratios, ours_ms, floor_ms = [], [], []
    for i in range(5 if quick else 11):
        order = (ours, floor) if i % 2 == 0 else (floor, ours)
        timed = {}
        for fn in order:
            timed[fn] = _median_ms(fn, 1)
        ours_ms.append(timed[ours])
        floor_ms.append(timed[floor])
        ratios.append(timed[ours] / timed[floor])
    state = metric.state_dict()["__metric_state_per_rank"][0]
    size = sum(t.numel() * t.element_size() for t in state.values())
    n = len(batches)
    rows = [
        [
            f"bare `argmax(1)`, {n} batches of 256 x 100,000 float32",
            f"{statistics.median(floor_ms):.1f} ms",
            "1.00x",
        ],
        [
            "`MulticlassF1Score(100_000)` update (validation on)",
            f"{statistics.median(ours_ms):.1f} ms",
            f"{statistics.median(ratios):.2f}x",
        ],
    ]
    return rows, size / 1e6, statistics.median(ratios)


# --------------------------------------------------------------------------- 3. peers


def _peer_worker(name: str, num_classes: int, quick: bool, queue: Any) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    try:
        batches = _batches(num_classes, 256, 3 if quick else 6, seed=2)
        if name == "ignite_f1":
            from ignite_f1 import MulticlassF1Score

            metric: Any = MulticlassF1Score(num_classes, zero_division=0.0)
            update = metric.update

            def compute() -> Any:
                metric._reduced_state = None
                return metric.compute()
        elif name == "torchmetrics":
            from torchmetrics.classification import MulticlassF1Score as TMF1

            metric = TMF1(num_classes, average="macro", compute_with_cache=False)

            def update(batch: Any) -> None:
                metric.update(*batch)

            compute = metric.compute
        else:
            from ignite.metrics import Fbeta, Precision, Recall

            precision, recall = Precision(average=False), Recall(average=False)
            metric = Fbeta(1.0, precision=precision, recall=recall)

            def update(batch: Any) -> None:
                precision.update(batch)
                recall.update(batch)

            compute = metric.compute
        ratios, times = [], []
        for _ in range(3 if quick else 5):
            start = time.perf_counter()
            for scores, _ in batches:
                scores.argmax(1)
            bare = time.perf_counter() - start
            start = time.perf_counter()
            for batch in batches:
                update(batch)
            ours = time.perf_counter() - start
            ratios.append(ours / bare)
            times.append(ours)
        compute_ms = _median_ms(compute, 3 if quick else 7)
        queue.put((statistics.median(times) * 1e3, statistics.median(ratios), compute_ms, None))
    except Exception as error:  # a peer that cannot run: reported with its error
        queue.put((None, None, None, f"{type(error).__name__}: {str(error).splitlines()[0][:90]}"))


def peers(quick: bool) -> list[list[str]]:
    context = multiprocessing.get_context("spawn")
    rows = []
    for num_classes in (10_000, 100_000):
        for name in ("ignite_f1", "torchmetrics", "ignite Fbeta"):
            queue = context.Queue()
            process = context.Process(target=_peer_worker, args=(name, num_classes, quick, queue))
            process.start()
            process.join(timeout=600)
            if process.is_alive():
                process.kill()
                result: tuple[Any, ...] = (None, None, None, "did not finish in 600 s")
            elif queue.empty():
                result = (None, None, None, f"the process died (exit code {process.exitcode})")
            else:
                result = queue.get()
            update_ms, ratio, compute_ms, error = result
            if error is None:
                rows.append(
                    [f"{num_classes:,}", name, f"{update_ms:.1f} ms", f"{ratio:.2f}x", f"{compute_ms:.2f} ms"]
                )
            else:
                rows.append([f"{num_classes:,}", name, "fails", "fails", f"fails: {error}"])
    return rows


# --------------------------------------------------------------------------- output


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(quick: bool = False) -> str:
    """Run the measurements and return the markdown section (also what the script prints)."""
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    parts = [f"## Many classes (issue 11)\n\nCPU, one thread; load average before the run: {load}.\n"]
    parts.append("### `compute()` and `report()` (macro F1, `zero_division=0`)\n")
    epoch_rows, measured = epoch_end(quick)
    parts.append(
        _table(
            [
                "classes",
                "samples",
                "keep_confusion_matrix",
                "compute()",
                "report()",
                "report / compute",
                "its dicts alone",
                "dicts / compute",
            ],
            epoch_rows,
        )
    )
    parts.append(
        "\n*its dicts alone*: building and dropping a dict of one distinct four-float dict per class, "
        "keyed by class name, as copies of one dict (the cheapest way CPython makes them), with no "
        "scoring: the least any report of that shape costs."
    )
    rows, state_mb, update_ratio = update_cost(quick)
    parts.append("\n### Update at 100,000 classes, batch 256, float32 scores\n")
    parts.append(_table(["per epoch", "time", "ratio"], rows))
    parts.append(
        f"\nState of `MulticlassF1Score(100_000)` (per-class counts, the default there): {state_mb:.1f} MB.\n"
    )
    parts.append(
        "### Peers (update per epoch of 256-sample batches; ratio to a bare `argmax(1)` over them)\n"
    )
    parts.append(_table(["classes", "metric", "update", "ratio", "compute()"], peers(quick)))
    parts.append("\n### Targets (issue 11)\n")
    parts.append(targets(measured, update_ratio, state_mb))
    after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    parts.append(f"\nLoad average after the run: {after}.")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller epochs and fewer repeats")
    print(main(parser.parse_args().quick))
