"""Every example script runs with small settings in a temporary directory and does its job."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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
def test_help_documents_the_common_flags(name: str) -> None:
    if not (EXAMPLES / name).exists():
        pytest.fail(f"examples/{name} is missing")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for flag in ("--epochs", "--seed", "--output-dir", "--device"):
        assert flag in result.stdout


def test_multilabel(tmp_path: Path) -> None:
    result = run_example("multilabel.py", tmp_path, "--epochs", "8")
    results = json.loads((tmp_path / "multilabel" / "results.json").read_text())
    for key in ("f1_micro", "f1_macro", "f1_samples"):
        assert key in result.stdout
        assert 0.5 < results[key] <= 1.0, results
    assert set(results["per_label"]) == {"sports", "politics", "science", "travel", "food"}


def test_multilabel_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    run_example("multilabel.py", first, "--epochs", "2", "--seed", "3")
    run_example("multilabel.py", second, "--epochs", "2", "--seed", "3")
    assert (first / "multilabel" / "results.json").read_text() == (
        second / "multilabel" / "results.json"
    ).read_text()


def test_distributed_matches_single_process(tmp_path: Path) -> None:
    result = run_example("distributed.py", tmp_path, "--epochs", "3")
    assert "identical to the single-process F1" in result.stdout
    assert "269 scored" in result.stdout  # the padding duplicate was left out
    results = json.loads((tmp_path / "distributed" / "results.json").read_text())
    assert results["f1_micro"] > 0.7


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


def test_digits_multiclass_twice_keeps_both_runs(tmp_path: Path) -> None:
    run_example("digits_multiclass.py", tmp_path, "--epochs", "2")
    run_example("digits_multiclass.py", tmp_path, "--epochs", "2")
    runs = sorted((tmp_path / "digits_multiclass").iterdir())
    assert len(runs) == 2
    first, second = (json.loads((r / "results.json").read_text()) for r in runs)
    assert first["f1_macro"] == second["f1_macro"]  # same seed, same result


def test_breast_cancer_binary(tmp_path: Path) -> None:
    result = run_example("breast_cancer_binary.py", tmp_path, "--epochs", "15")
    (run,) = (tmp_path / "breast_cancer").iterdir()
    results = json.loads((run / "results.json").read_text())
    assert results["f1_at_0.5"] > 0.6
    assert results["best_f1"] >= results["f1_at_0.5"]  # 0.5 is one of the 101 thresholds
    assert 0.0 <= results["best_threshold"] <= 1.0
    assert Path(results["checkpoint"]).exists() and Path(results["checkpoint"]).parent == run / "checkpoints"
    assert "| threshold | precision | recall | f1 |" in result.stdout


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
