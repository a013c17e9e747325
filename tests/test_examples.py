"""Every example script runs with small settings in a temporary directory and does its job.

Running the examples takes minutes, so those tests are marked ``slow`` (``python -m pytest -m slow``;
``.ci/run`` runs them). The default run checks, in this process, that every example imports and
documents the common flags, and that what the examples print can be run.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from _example_scripts import EXAMPLE_NAMES, EXAMPLES, ROOT, load_example, run_fresh

# The programs the examples tell the user to run, and the distribution that installs each one.
PRINTED_COMMANDS = {"tensorboard": "tensorboard"}


def run_example(
    name: str, tmp_path: Path, *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/<name>`` in a fresh interpreter with ``--output-dir tmp_path``; it must succeed."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--output-dir", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _common() -> types.ModuleType:
    """examples/_common.py, imported under its own name (not as a test helper)."""
    spec = importlib.util.spec_from_file_location("examples_common", EXAMPLES / "_common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_help_answers_before_anything_heavy_is_imported(name: str) -> None:
    """``--help`` in a fresh interpreter documents the common flags and imports neither torch nor
    scikit-learn nor Ignite (they took 8-11 s before ``--help`` could answer)."""
    if not (EXAMPLES / name).exists():
        pytest.fail(f"examples/{name} is missing")
    code, result, heavy = run_fresh(name, "--help", timeout=60)
    assert code == 0, result.stderr
    for flag in ("--epochs", "--seed", "--output-dir", "--device"):
        assert flag in result.stdout
    assert heavy == []


def test_every_example_writes_into_a_fresh_run_directory() -> None:
    """Each script that writes files asks ``run_directory`` for a new folder (no fixed folder that a
    second run would append to) and none builds a path from ``--output-dir`` itself."""
    for name in EXAMPLE_NAMES:
        source = (EXAMPLES / name).read_text()
        assert "run_directory(args.output_dir," in source, name
        assert "Path(args.output_dir)" not in source, name


def test_run_directory_is_new_each_time_and_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = _common()
    first, second = common.run_directory(str(tmp_path), "demo"), common.run_directory(str(tmp_path), "demo")
    assert first != second and first.parent == second.parent == tmp_path / "demo"
    assert first.is_dir() and second.is_dir()
    assert capsys.readouterr().out.splitlines() == [f"this run writes into {p}" for p in (first, second)]


def test_a_missing_device_is_one_line_and_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    common = _common()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(sys, "argv", ["digits_multiclass.py"])
    assert common.check_device("cpu") == "cpu"
    for name, reason in [
        ("cuda", "is not available here (no CUDA device)"),
        ("cuda:1", "is not available here (no CUDA device)"),
        ("gpu", "is not a torch device name"),
    ]:
        with pytest.raises(SystemExit) as exited:
            common.check_device(name)
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert err == f"digits_multiclass.py: error: --device {name} {reason}; available: cpu\n"


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from ignite.engine import Engine
    from ignite.handlers import ProgressBar

    common = _common()
    trainer = Engine(lambda engine, batch: None)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a log file: no bar
    assert common.progress_bar(trainer) is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert isinstance(common.progress_bar(trainer), ProgressBar)


def test_end_of_training_says_early_stop_or_epoch_limit() -> None:
    from ignite.engine import Engine
    from ignite.handlers import EarlyStopping

    common = _common()
    trainer = Engine(lambda engine, batch: None)
    evaluator = Engine(lambda engine, batch: None)
    scores = iter([0.5, 0.4, 0.4])
    stopping = EarlyStopping(2, lambda engine: next(scores), trainer)
    stopping(evaluator)
    assert common.end_of_training(7, 40, stopping) == (
        "reached the epoch limit: 40 epochs (early stopping did not fire)"
    )
    stopping(evaluator)
    stopping(evaluator)  # 2 evaluations without improvement: it stops the trainer
    assert common.end_of_training(9, 40, stopping) == (
        "early stopping at epoch 9: F1 did not improve for 2 evaluations (the limit was 40 epochs)"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_device_cuda_without_cuda_is_one_line(name: str, tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--device", "cuda", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{name}: error: --device cuda is not available here (no CUDA device); available: cpu"
    ]
    assert not any(tmp_path.iterdir())  # checked before anything is written


def _only_run(output_dir: Path, example: str) -> Path:
    (run,) = (output_dir / example).iterdir()
    return run


@pytest.mark.slow
def test_multilabel(tmp_path: Path) -> None:
    result = run_example("multilabel.py", tmp_path, "--epochs", "8")
    run = _only_run(tmp_path, "multilabel")
    results = json.loads((run / "results.json").read_text())
    for key in ("f1_micro", "f1_macro", "f1_samples"):
        assert key in result.stdout
        assert 0.5 < results[key] <= 1.0, results
    assert set(results["per_label"]) == {"sports", "politics", "science", "travel", "food"}
    assert f"this run writes into {run}" in result.stdout


@pytest.mark.slow
def test_multilabel_twice_keeps_both_runs_and_is_reproducible(tmp_path: Path) -> None:
    run_example("multilabel.py", tmp_path, "--epochs", "2", "--seed", "3")
    run_example("multilabel.py", tmp_path, "--epochs", "2", "--seed", "3")
    first, second = sorted((tmp_path / "multilabel").iterdir())
    assert (first / "results.json").read_text() == (second / "results.json").read_text()


@pytest.mark.slow
def test_distributed_matches_single_process(tmp_path: Path) -> None:
    result = run_example("distributed.py", tmp_path, "--epochs", "3")
    assert "identical to the single-process F1" in result.stdout
    assert "269 scored" in result.stdout  # the padding duplicate was left out
    results = json.loads((_only_run(tmp_path, "distributed") / "results.json").read_text())
    assert results["f1_micro"] > 0.7


@pytest.mark.slow
def test_digits_multiclass(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.custom_scalar import layout_pb2

    result = run_example("digits_multiclass.py", tmp_path, "--epochs", "12")
    run = _only_run(tmp_path, "digits_multiclass")
    results = json.loads((run / "results.json").read_text())
    assert results["f1_macro"] > 0.6
    assert results["accuracy"] >= results["f1_macro"]  # the rare digits pull macro F1 down
    checkpoint = Path(results["checkpoint"])
    assert checkpoint.exists() and checkpoint.parent == run / "checkpoints"
    command = f"tensorboard --logdir {run / 'tensorboard'}"
    for text in ("| seven |", "macro avg", command, str(checkpoint), f"this run writes into {run}"):
        assert text in result.stdout
    assert not results["early_stopped"]
    assert "reached the epoch limit: 12 epochs (early stopping did not fire)" in result.stdout
    assert "\r" not in result.stderr  # no progress bar outside a terminal

    events = EventAccumulator(
        str(run / "tensorboard"), size_guidance={"scalars": 0, "images": 0, "tensors": 0}
    )
    events.Reload()
    steps = list(range(1, 13))
    for tag in ("validation/f1", "validation/accuracy"):  # accuracy beside F1
        assert [e.step for e in events.Scalars(tag)] == steps
    f1 = [e.value for e in events.Scalars("validation/f1")]
    improved = [
        step for step, value in zip(steps, f1, strict=True) if value > max(f1[: step - 1], default=-1)
    ]
    best_images = [e.step for e in events.Images("validation/best/confusion_matrix")]
    assert best_images == improved  # written each time F1 improved, the last one is the best
    best_text = [e.step for e in events.Tensors("validation/best/classification_report/text_summary")]
    assert best_text == improved

    # the 95% bootstrap band of the macro F1 at each epoch, and its margin chart
    low, high = ([e.value for e in events.Scalars(f"validation/f1_ci_{side}")] for side in ("low", "high"))
    assert [e.step for e in events.Scalars("validation/f1_ci_low")] == steps
    assert [e.step for e in events.Scalars("validation/f1_ci_high")] == steps
    assert all(lo <= value <= hi for lo, value, hi in zip(low, f1, high, strict=True))
    assert sum(hi - lo for lo, hi in zip(low, high, strict=True)) > 0  # 18 rare samples: a real band
    layout = layout_pb2.Layout.FromString(
        events.Tensors("custom_scalars__config__")[-1].tensor_proto.string_val[0]
    )
    margins = [
        (s.value, s.lower, s.upper) for c in layout.category for chart in c.chart for s in chart.margin.series
    ]
    assert margins == [("validation/f1", "validation/f1_ci_low", "validation/f1_ci_high")]
    interval_low, interval_high = results["f1_macro_interval"]
    assert interval_low <= results["f1_macro"] <= interval_high
    assert f"interval (this validation set): {interval_low:.4f} to {interval_high:.4f}" in result.stdout


@pytest.mark.slow
def test_digits_multiclass_twice_keeps_both_runs(tmp_path: Path) -> None:
    run_example("digits_multiclass.py", tmp_path, "--epochs", "2")
    run_example("digits_multiclass.py", tmp_path, "--epochs", "2")
    runs = sorted((tmp_path / "digits_multiclass").iterdir())
    assert len(runs) == 2
    first, second = (json.loads((r / "results.json").read_text()) for r in runs)
    assert first["f1_macro"] == second["f1_macro"]  # same seed, same result


@pytest.mark.slow
def test_breast_cancer_binary(tmp_path: Path) -> None:
    result = run_example("breast_cancer_binary.py", tmp_path, "--epochs", "15")
    run = _only_run(tmp_path, "breast_cancer")
    results = json.loads((run / "results.json").read_text())
    assert results["f1_at_0.5"] > 0.6
    assert results["best_f1"] >= results["f1_at_0.5"]  # 0.5 is one of the 101 thresholds
    assert 0.0 <= results["best_threshold"] <= 1.0
    assert Path(results["checkpoint"]).exists() and Path(results["checkpoint"]).parent == run / "checkpoints"
    assert "| threshold | precision | recall | f1 |" in result.stdout


@pytest.mark.slow
def test_plain_pytorch_loop_twice_keeps_both_runs(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = run_example("plain_pytorch_loop.py", tmp_path, "--epochs", "6")
    run_example("plain_pytorch_loop.py", tmp_path, "--epochs", "6")
    first, second = sorted((tmp_path / "plain_loop").iterdir())
    results = json.loads((first / "results.json").read_text())
    assert results["best_f1_macro"] > 0.8
    assert "| class_0 |" in result.stdout
    assert f"TensorBoard logs: {first / 'tensorboard'}" in result.stdout
    for run in (first, second):  # each its own event files: no zig-zag of two runs in one
        events = EventAccumulator(str(run / "tensorboard"), size_guidance={"scalars": 0})
        events.Reload()
        scalars = events.Tags()["scalars"]
        assert "validation/f1_macro" in scalars
        assert {"validation/f1/class_0", "validation/f1/class_1", "validation/f1/class_2"} <= set(scalars)
        assert [e.step for e in events.Scalars("validation/f1_macro")] == list(range(1, 7))


@pytest.mark.slow
def test_segmentation_dice(tmp_path: Path) -> None:
    """The samplewise value equals the per-image oracle on the saved predictions, and differs from
    the pooled F1 (printed side by side)."""
    from _reference import assert_close, sklearn_samplewise_fbeta

    result = run_example("segmentation_dice.py", tmp_path, "--epochs", "2")
    run = _only_run(tmp_path, "segmentation_dice")
    results = json.loads((run / "results.json").read_text())
    dice, pooled = results["dice_per_image"], results["f1_pooled"]
    assert 0.0 <= dice <= 1.0 and 0.0 <= pooled <= 1.0 and abs(dice - pooled) > 1e-3, results
    saved = np.load(results["predictions"])
    y_true, y_pred = saved["y_true"], saved["y_pred"]
    assert y_true.shape == y_pred.shape == (64, 64, 64)
    expected = sklearn_samplewise_fbeta(y_true=y_true, y_pred=y_pred, beta=1.0, average="macro")
    assert_close(dice, expected)
    per_class = sklearn_samplewise_fbeta(y_true=y_true, y_pred=y_pred, beta=1.0, average=None, num_scores=4)
    assert_close(list(results["dice_per_image_per_class"].values()), per_class)
    # sample weights: boundary pixels weighted 0.25, each image weighted by its mean pixel weight
    weights = saved["weights"]
    assert weights.shape == y_true.shape and set(np.unique(weights)) == {0.25, 1.0}
    weighted = sklearn_samplewise_fbeta(
        y_true=y_true, y_pred=y_pred, beta=1.0, average="macro", sample_weight=weights
    )
    assert_close(results["dice_per_image_boundary_weighted"], weighted)
    assert (
        f"boundary pixels weighted 0.25: {results['dice_per_image_boundary_weighted']:.4f}" in result.stdout
    )
    assert f"mean per-image Dice (samplewise, macro): {dice:.4f}" in result.stdout
    assert f"pooled F1 of all pixels (macro):         {pooled:.4f}" in result.stdout
    assert f"this run writes into {run}" in result.stdout


# --------------------------------------------------------------------------- segmentation_dice.py's weights


def _boundary_oracle(labels: np.ndarray) -> np.ndarray:
    """True on a pixel of ``labels`` (n, h, w) with a pixel of another class among its neighbours in
    the image (8-connected): edge padding repeats an edge pixel, itself a neighbour."""
    _, h, w = labels.shape
    padded = np.pad(labels, ((0, 0), (1, 1), (1, 1)), mode="edge")
    found = np.zeros(labels.shape, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            found |= padded[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] != labels
    return found


def test_boundary_mask_is_the_pixels_next_to_another_class(monkeypatch: pytest.MonkeyPatch) -> None:
    segmentation = load_example("segmentation_dice.py", monkeypatch)
    square = torch.zeros(1, 5, 5, dtype=torch.long)
    square[0, :2, :2] = 2  # a 2x2 square in a corner: 3 of its pixels (not the corner) and 5 around
    expected = torch.zeros(1, 5, 5, dtype=torch.bool)
    expected[0, :3, :3] = True
    expected[0, 0, 0] = False  # its neighbours are all in the square
    assert torch.equal(segmentation.boundary_mask(square), expected)
    _, labels = segmentation.toy_segmentation(8, torch.Generator().manual_seed(0))
    mask = segmentation.boundary_mask(labels)
    assert mask.dtype == torch.bool and mask.shape == labels.shape
    assert np.array_equal(mask.numpy(), _boundary_oracle(labels.numpy()))
    assert 0.0 < float(mask.double().mean()) < 0.5


@pytest.mark.parametrize("weight", [0.1, 0.25, 1 / 3, 0.0, 1.0, 7.5, 1e-300, 1e300])
def test_boundary_weights_are_the_weight_given_in_float64(
    weight: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filled in float64: 0.1 is the float64 0.1 (float32's 0.10000000149011612 put the printed
    weighted Dice 1.6e-10 off, against the 1e-12 promised), and 1e300 fits (it crashed)."""
    segmentation = load_example("segmentation_dice.py", monkeypatch)
    _, labels = segmentation.toy_segmentation(8, torch.Generator().manual_seed(0))
    weights = segmentation.boundary_weights(labels, weight)
    assert weights.dtype == torch.float64 and weights.shape == labels.shape
    expected = np.where(_boundary_oracle(labels.numpy()), weight, 1.0)
    assert np.array_equal(weights.numpy(), expected)


@pytest.mark.slow
@pytest.mark.parametrize("weight", ["0.1", "1"])
def test_segmentation_dice_boundary_weight_and_share(weight: str, tmp_path: Path) -> None:
    """The weights saved and used are exactly ``--boundary-weight`` (float64), the weighted Dice is
    scikit-learn's with them to 1e-12, and the share of boundary pixels printed is that of the
    boundary itself, whatever the weight (``--boundary-weight 1`` printed 0.0%)."""
    from _reference import assert_close, sklearn_samplewise_fbeta

    result = run_example("segmentation_dice.py", tmp_path, "--epochs", "1", "--boundary-weight", weight)
    results = json.loads((_only_run(tmp_path, "segmentation_dice") / "results.json").read_text())
    saved = np.load(results["predictions"])
    y_true, y_pred, weights = saved["y_true"], saved["y_pred"], saved["weights"]
    boundary = _boundary_oracle(y_true)
    assert weights.dtype == np.float64
    assert np.array_equal(weights, np.where(boundary, float(weight), 1.0))
    expected = sklearn_samplewise_fbeta(
        y_true=y_true,
        y_pred=y_pred,
        beta=1.0,
        average="macro",
        sample_weight=np.where(boundary, float(weight), 1.0),
    )
    assert_close(results["dice_per_image_boundary_weighted"], expected)
    share = float(boundary.mean())
    assert 0.01 < share < 0.5
    assert f"{share:.1%} of the pixels are on a boundary)" in result.stdout


# --------------------------------------------------------------------------- distributed.py interrupted


def _live_processes_in_group(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` that are not zombies (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        state, _ppid, group = text[text.rindex(")") + 2 :].split()[:3]
        if int(group) == pgid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def _default_sigint() -> None:  # in the child before exec: SIGINT handled, even if ignored here
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc")
def test_distributed_ends_within_seconds_after_sigint_to_the_main_process_only(tmp_path: Path) -> None:
    """SIGINT to the main process alone (``kill -INT <pid>``) while its 2 workers start: it used to
    remove the folder of the data and of the rendezvous file on its way out, then wait at exit for
    the workers, which waited for each other in ``init_process_group`` (30 minutes). Now the
    workers are ended first and everything is gone within seconds."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",
            str(EXAMPLES / "distributed.py"),
            "--epochs",
            "1",
            "--output-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        start_new_session=True,  # its own process group: the workers are found, and ended, by it
        preexec_fn=_default_sigint,
    )
    group = process.pid
    lines: list[str] = []
    spawned = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Spawn function" in line:
                spawned.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert spawned.wait(240), "".join(lines)
        time.sleep(0.5)  # the workers run (importing torch, then at the rendezvous)
        assert len(_live_processes_in_group(group)) >= 3, "".join(lines)  # the main one and 2 workers
        os.kill(process.pid, signal.SIGINT)
        started = time.monotonic()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("distributed.py still runs 30 s after SIGINT:\n" + "".join(lines))
        assert process.returncode == -signal.SIGINT, "".join(lines)  # ended by the KeyboardInterrupt
        while _live_processes_in_group(group) and time.monotonic() - started < 30:
            time.sleep(0.1)
        assert not _live_processes_in_group(group), "a worker outlived the main process"
        assert time.monotonic() - started < 20
    finally:
        # Whatever happened, nothing this test started outlives it: the group is this test's own
        # (its leader is the script, alive, or the group still has members, so its id is not reused).
        if process.poll() is None or _live_processes_in_group(group):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        process.wait()
        reader.join(10)
        assert process.stdout is not None
        process.stdout.close()


# --------------------------------------------------------------------------- what the examples print works


def _extras() -> dict[str, set[str]]:
    """pyproject.toml's optional dependencies: extra -> normalised distribution names."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        tomllib = pytest.importorskip("tomli")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        extra: {re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower().replace("_", "-") for req in reqs}
        for extra, reqs in project["optional-dependencies"].items()
    }


def _printed_programs() -> dict[str, set[str]]:
    """program -> the example scripts whose ``print`` calls show ``program --option ...``."""
    found: dict[str, set[str]] = {}
    for script in sorted(EXAMPLES.glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"):
                continue
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    for program in re.findall(r"(?:^|\s)([A-Za-z][\w.-]*) --[A-Za-z]", part.value):
                        found.setdefault(program, set()).add(script.name)
    return found


def test_every_command_an_example_prints_is_installed_by_the_readme_command() -> None:
    printed = _printed_programs()
    assert "tensorboard" in printed  # digits_multiclass.py: "look at them with: tensorboard --logdir ..."
    assert set(printed) <= set(PRINTED_COMMANDS), f"a printed command with no known installer: {printed}"

    # README command 1 (the one that runs the main example) installs these extras
    readme = (ROOT / "README.md").read_text()
    (command,) = [line for line in readme.splitlines() if "python examples/digits_multiclass.py" in line]
    (installed,) = re.findall(r'-e "\.\[([\w,-]+)\]"', command)
    extras = _extras()
    provided = set().union(*(extras[name] for name in installed.split(",")))
    for program in printed:
        distribution = PRINTED_COMMANDS[program]
        assert distribution in provided, f"{program!r} is printed but {command!r} does not install it"
        assert distribution in extras["tensorboard"]  # the extra for viewing the logs brings it too

        # and in this environment the command is there, installed by that distribution, and runs
        scripts = importlib.metadata.entry_points(group="console_scripts", name=program)
        assert scripts and {ep.dist.name.lower() for ep in scripts if ep.dist} == {distribution}
        executable = shutil.which(program, path=str(Path(sys.executable).parent)) or shutil.which(program)
        assert executable is not None, f"{program} is not on PATH nor next to {sys.executable}"
        done = subprocess.run([executable, "--help"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "--logdir" in done.stdout, done.stderr[-2000:]


def _listed(cell: str, rows: dict[str, str]) -> set[str]:
    """The distributions a cell of the installation page's table names: "a, b and the `x` extra"."""
    names: set[str] = set()
    for item in re.split(r",\s*|\s+and\s+", cell):
        included = re.fullmatch(r"the `(\w+)` extra", item.strip())
        if included:
            names |= _listed(rows[included.group(1)], rows)
        elif item.strip():
            names.add(item.split()[0].lower())  # "pytorch-lightning (2.x)" -> "pytorch-lightning"
    return names


def test_the_installation_page_lists_what_each_extra_installs() -> None:
    """docs/installation.md's table of extras says exactly what pyproject.toml's extras install."""
    page = (ROOT / "docs" / "installation.md").read_text()
    rows = {
        cells[0].strip("`"): cells[1]
        for line in page.splitlines()
        if line.startswith("| `")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    extras = _extras()
    assert set(rows) == set(extras)
    for extra, distributions in extras.items():
        assert _listed(rows[extra], rows) == distributions, extra


def test_digits_multiclass_computes_its_report_once() -> None:
    """The report printed and the one in results.json are one ``report()`` call: two calls gave
    scikit-learn's UndefinedMetricWarning about the rare digits twice."""
    tree = ast.parse((EXAMPLES / "digits_multiclass.py").read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "report"
    ]
    assert len(calls) == 1


@pytest.mark.slow
def test_digits_multiclass_prints_a_tensorboard_command_a_shell_reads_back(tmp_path: Path) -> None:
    """The printed ``tensorboard --logdir`` command is shell-quoted: a folder with a space and a
    quote in its name is one argument, the log folder."""
    output = tmp_path / "it's a folder"
    output.mkdir()
    result = run_example("digits_multiclass.py", output, "--epochs", "1")
    run = _only_run(output, "digits_multiclass")
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("look at them with:")]
    command = shlex.split(line.removeprefix("look at them with:"))
    assert command == ["tensorboard", "--logdir", str(run / "tensorboard")]


def test_the_examples_page_names_the_scripts_with_a_progress_bar() -> None:
    """docs/examples.md said every script showed the bar on a terminal and printed "one line every
    few epochs instead" elsewhere; two scripts have a bar, and the epoch lines come either way."""
    with_bar = {
        script.name for script in EXAMPLES.glob("*.py") if "progress_bar(trainer)" in script.read_text()
    }
    assert with_bar == {"digits_multiclass.py", "segmentation_dice.py"}
    page = " ".join((ROOT / "docs" / "examples.md").read_text().split())
    (sentence,) = [s for s in re.split(r"(?<=\.) ", page) if "progress bar" in s and "terminal" in s]
    assert set(re.findall(r"`(\w+\.py)`", sentence)) == with_bar
    assert "instead" not in sentence
    assert "These lines come wherever the output goes." in page
