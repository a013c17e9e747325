"""Every example script runs with small settings in a temporary directory and does its job.

Running the examples takes minutes, so those tests are marked ``slow`` (``python -m pytest -m slow``;
``.ci/run`` runs them). The default run checks, in this process, that every example imports and
documents the common flags, and that what the examples print can be run.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

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


@pytest.mark.parametrize(
    "name",
    [
        "digits_multiclass.py",
        "breast_cancer_binary.py",
        "multilabel.py",
        "distributed.py",
        "plain_pytorch_loop.py",
    ],
)
def test_help_documents_the_common_flags(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--help`` in this process (a fresh interpreter per script took 4-16 s): the script imports
    and documents the flags every example takes."""
    if not (EXAMPLES / name).exists():
        pytest.fail(f"examples/{name} is missing")
    monkeypatch.syspath_prepend(str(EXAMPLES))  # as `python examples/<name>` has it: `import _common`
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / name), "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--epochs", "--seed", "--output-dir", "--device"):
        assert flag in out


@pytest.mark.slow
def test_multilabel(tmp_path: Path) -> None:
    result = run_example("multilabel.py", tmp_path, "--epochs", "8")
    results = json.loads((tmp_path / "multilabel" / "results.json").read_text())
    for key in ("f1_micro", "f1_macro", "f1_samples"):
        assert key in result.stdout
        assert 0.5 < results[key] <= 1.0, results
    assert set(results["per_label"]) == {"sports", "politics", "science", "travel", "food"}


@pytest.mark.slow
def test_multilabel_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    run_example("multilabel.py", first, "--epochs", "2", "--seed", "3")
    run_example("multilabel.py", second, "--epochs", "2", "--seed", "3")
    assert (first / "multilabel" / "results.json").read_text() == (
        second / "multilabel" / "results.json"
    ).read_text()


@pytest.mark.slow
def test_distributed_matches_single_process(tmp_path: Path) -> None:
    result = run_example("distributed.py", tmp_path, "--epochs", "3")
    assert "identical to the single-process F1" in result.stdout
    assert "269 scored" in result.stdout  # the padding duplicate was left out
    results = json.loads((tmp_path / "distributed" / "results.json").read_text())
    assert results["f1_micro"] > 0.7


@pytest.mark.slow
def test_digits_multiclass(tmp_path: Path) -> None:
    result = run_example("digits_multiclass.py", tmp_path, "--epochs", "12")
    runs = list((tmp_path / "digits_multiclass").iterdir())
    assert len(runs) == 1
    results = json.loads((runs[0] / "results.json").read_text())
    assert results["f1_macro"] > 0.6
    assert results["accuracy"] >= results["f1_macro"]  # the rare digits pull macro F1 down
    checkpoint = Path(results["checkpoint"])
    assert checkpoint.exists() and checkpoint.parent == runs[0] / "checkpoints"
    assert any((runs[0] / "tensorboard").iterdir())
    command = f"tensorboard --logdir {runs[0] / 'tensorboard'}"
    for text in ("| seven |", "macro avg", command, str(checkpoint)):
        assert text in result.stdout


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
    (run,) = (tmp_path / "breast_cancer").iterdir()
    results = json.loads((run / "results.json").read_text())
    assert results["f1_at_0.5"] > 0.6
    assert results["best_f1"] >= results["f1_at_0.5"]  # 0.5 is one of the 101 thresholds
    assert 0.0 <= results["best_threshold"] <= 1.0
    assert Path(results["checkpoint"]).exists() and Path(results["checkpoint"]).parent == run / "checkpoints"
    assert "| threshold | precision | recall | f1 |" in result.stdout


@pytest.mark.slow
def test_plain_pytorch_loop(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = run_example("plain_pytorch_loop.py", tmp_path, "--epochs", "6")
    results = json.loads((tmp_path / "plain_loop" / "results.json").read_text())
    assert results["best_f1_macro"] > 0.8
    assert "| class_0 |" in result.stdout
    events = EventAccumulator(str(tmp_path / "plain_loop" / "tensorboard"), size_guidance={"scalars": 0})
    events.Reload()
    scalars = events.Tags()["scalars"]
    assert "validation/f1_macro" in scalars
    assert {"validation/f1/class_0", "validation/f1/class_1", "validation/f1/class_2"} <= set(scalars)
    assert [e.step for e in events.Scalars("validation/f1_macro")] == list(range(1, 7))


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


def test_the_installation_page_lists_what_each_extra_installs() -> None:
    page = (ROOT / "docs" / "installation.md").read_text()
    rows = {
        cells[0].strip("`"): cells[1].lower()
        for line in page.splitlines()
        if line.startswith("| `")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    extras = _extras()
    assert set(rows) == set(extras)
    for extra, distributions in extras.items():
        listed = rows[extra]
        for included in re.findall(r"the `(\w+)` extra", listed):
            listed += ", " + rows[included]
        for distribution in distributions:
            assert distribution in listed, f"{extra}: {distribution} not in {listed!r}"
