"""The benchmark script cannot rot: its quick mode runs, agrees with scikit-learn and writes every row.

Timings are not checked here (a benchmark is a script with a table, not a timed test); the script
itself exits with an error when ignite_f1 and scikit-learn disagree on a workload. Running the script
takes about a minute: those tests are marked ``slow`` (``python -m pytest -m slow``; ``.ci/run`` runs them).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

pytest.importorskip("torchmetrics", reason="the benchmarks compare with torchmetrics (the `bench` extra)")

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_f1.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_f1", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_f1"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quick_run_writes_every_table_with_every_row(tmp_path: Path) -> None:
    bench = _script()
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    text = out.read_text()
    assert text in done.stdout  # the table is printed too

    workloads = [w.name for w in bench.workloads(quick=True)]
    alternatives = list(bench.ALTERNATIVES)
    first = text[: text.index("## Fixed cost")]  # the update / compute / memory table
    rows = [line for line in first.splitlines() if line.startswith("| ") and line.count("|") == 8]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    assert cells[0][:2] == ["workload", "alternative"]
    assert [c[:2] for c in cells[2:]] == [[w, a] for w in workloads for a in alternatives]
    for c in cells[2:]:
        update, ratio, memory = c[2], c[3], c[5]
        assert float(update.replace(",", "")) > 0 and ratio.endswith("x") and float(memory) >= -1
        if c[1].startswith("ignite_f1") or c[1] == "store + sklearn":
            assert 0.0 <= float(c[6]) <= 1.0  # the F1 each computed (checked equal by the script)

    sections = [
        "## Fixed cost of one call (8-sample batch)",
        "## Share of an evaluation loop (digits MLP)",
        "## Threads and a busy machine",
        "## compute() against the number of samples",
        "## Peak memory growth",
        "## Targets (issue 6)",
        "## Targets (issue 12)",
    ]
    assert [section in text for section in sections] == [True] * len(sections)
    for kind in bench.FIXED_KINDS:  # a fixed-cost row per kind, with the rivals the issue names
        assert any(line.startswith(f"| {kind} | ") for line in text.splitlines())
    for setting_rows in (f"| {w} | ignite_f1 | " for w in workloads):  # the threads / busy table
        assert sum(line.startswith(setting_rows) and line.count("|") == 9 for line in text.splitlines()) == 1
    for name in alternatives[1:]:  # every metric's compute() time at both lengths
        assert any(line.startswith(f"| {name} | ") and line.count("|") == 4 for line in text.splitlines())


@pytest.mark.parametrize(
    "quick", [pytest.param(True, id="quick"), pytest.param(False, id="full", marks=pytest.mark.slow)]
)
def test_every_batch_of_an_epoch_is_distinct(quick: bool) -> None:
    """A recycled pool would fill few confusion-matrix cells and flatter compute() (at C=1000, 8 batches
    of 1024 fill at most 8,192 of 1e6 cells); every batch is drawn afresh, the same on every run."""
    bench = _script()
    for w in bench.workloads(quick):
        if not quick:  # the full workloads hold up to 0.8 GB: check two batches, drawn the same way
            w = bench.Workload(w.name, w.kind, w.num_classes, w.batch_shape, 2, w.ignore_index)
        batches = w.make_batches()
        assert len(batches) == w.num_batches
        for i, (y_pred, y) in enumerate(batches):
            for other_pred, other_y in batches[:i]:
                assert not torch.equal(y_pred, other_pred) and not torch.equal(y, other_y), w.name
        again = w.make_batches()
        pairs = zip(batches, again, strict=True)
        assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in pairs)  # seeded


@pytest.mark.slow
def test_many_classes_section_runs_from_the_main_script(tmp_path: Path) -> None:
    """``bench_f1.py --many-classes`` runs bench_many_classes.py, whose peers run in spawned
    processes (they must find its worker function by module name), and appends its section."""
    out = tmp_path / "results.md"
    skipped = ["fixed", "loop", "load", "compute", "memory"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--many-classes", "--skip", *skipped, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    section = out.read_text().split("## Many classes (issue 11)")[1]
    headings = ["### `compute()` and `report()`", "### Update at 100,000 classes", "### Peers", "### Targets"]
    assert [heading in section for heading in headings] == [True] * len(headings)
    peers = section.split("### Peers")[1].split("###")[0]
    rows = [line for line in peers.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 6  # the header, then 3 peers at 2 class counts (a peer may read "fails")
    assert {row.split("|")[1].strip() for row in rows if "| ignite_f1 |" in row} == {"10,000", "100,000"}
