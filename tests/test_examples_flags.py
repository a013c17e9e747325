"""The example scripts refuse a flag out of its range with one argparse-style error line (exit status
2) before anything is trained or written, as docs/examples.md says: no traceback, no empty run folder.

A value out of range used to end in a traceback, some only after training: ``--epochs 0`` in a
``FileNotFoundError: 'None'``, a ``KeyError`` or a ``NotComputableError``, ``--seed -1`` in NumPy's
``ValueError`` (after an empty run folder was made), ``--boundary-weight -0.5`` in the metric's error
about ``sample_weight`` after training, an ``--output-dir`` that is a file in ``NotADirectoryError``.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _example_scripts import EXAMPLE_NAMES, EXAMPLES, load_example, run_fresh

# the folder each script makes under --output-dir
RUN_FOLDERS = {
    "digits_multiclass.py": "digits_multiclass",
    "breast_cancer_binary.py": "breast_cancer",
    "multilabel.py": "multilabel",
    "distributed.py": "distributed",
    "plain_pytorch_loop.py": "plain_loop",
    "segmentation_dice.py": "segmentation_dice",
}

SEED_RULE = "must be an integer from 0 to 2**32 - 1 = 4294967295"
COMMON_CASES = [
    ("--epochs", "0", "must be an integer >= 1, got 0"),
    ("--epochs", "-1", "must be an integer >= 1, got -1"),
    ("--epochs", "2.5", "must be an integer >= 1, got '2.5'"),
    ("--seed", "-1", f"{SEED_RULE}, got -1"),
    ("--seed", "4294967296", f"{SEED_RULE}, got 4294967296"),
]
BOUNDARY_RULE = "must be a finite number from 0 to 1e300"
BOUNDARY_CASES = [
    ("--boundary-weight", "-0.5", f"{BOUNDARY_RULE}, got -0.5"),
    ("--boundary-weight", "nan", f"{BOUNDARY_RULE}, got nan"),
    ("--boundary-weight", "inf", f"{BOUNDARY_RULE}, got inf"),
    ("--boundary-weight", "1e301", f"{BOUNDARY_RULE}, got 1e301"),
    ("--boundary-weight", "heavy", f"{BOUNDARY_RULE}, got 'heavy'"),
]


def _run_with_flags(name: str, output_dir: Path, *flags: str) -> tuple[int, str, list[str]]:
    """Run examples/<name> with ``flags`` in a fresh interpreter: its exit status, its standard
    error, and the heavy modules it had imported when it exited."""
    code, result, heavy = run_fresh(name, "--output-dir", str(output_dir), *flags, cwd=output_dir)
    return code, result.stderr, heavy


@pytest.mark.parametrize(
    ("name", "flag", "value", "message"),
    [(name, *case) for name in EXAMPLE_NAMES for case in COMMON_CASES]
    + [("segmentation_dice.py", *case) for case in BOUNDARY_CASES],
)
def test_a_flag_out_of_range_is_one_argparse_error_before_anything_runs(
    name: str, flag: str, value: str, message: str, tmp_path: Path
) -> None:
    code, err, heavy = _run_with_flags(name, tmp_path, flag, value)
    assert code == 2, err
    assert err.startswith(f"usage: {name} "), err
    assert err.splitlines()[-1] == f"{name}: error: argument {flag}: {message}"
    assert "Traceback" not in err
    assert heavy == []  # refused while the flags are read, at `--help` speed
    assert not any(tmp_path.iterdir())  # no run folder made


def test_the_flags_take_the_ends_of_their_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    common = load_example("_common.py", monkeypatch)
    parser = common.parser("demo", epochs=7)
    defaults = parser.parse_args([])
    assert (defaults.epochs, defaults.seed, defaults.output_dir) == (7, 0, "runs")
    args = parser.parse_args(["--epochs", "1", "--seed", "4294967295"])
    assert (args.epochs, args.seed) == (1, 2**32 - 1)
    assert parser.parse_args(["--seed", "0"]).seed == 0

    segmentation = load_example("segmentation_dice.py", monkeypatch)
    for text, value in [("0", 0.0), ("0.1", 0.1), ("1", 1.0), ("1e300", 1e300), ("0.25", 0.25)]:
        assert segmentation.boundary_weight_flag(text) == value


def test_the_help_states_the_ranges_and_an_absolute_output_dir(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--help`` gives each range, and the run folder as ``OUTPUT_DIR/...`` (it said
    ``./<output-dir>/...``, wrong for an absolute ``--output-dir``)."""
    common = load_example("_common.py", monkeypatch)
    with pytest.raises(SystemExit) as exited:
        common.parser("demo", epochs=7).parse_args(["--help"])
    assert exited.value.code == 0
    text = re.sub(r"(?<=\w)- ", "-", " ".join(capsys.readouterr().out.split()))  # unwrapped
    assert "training epochs, >= 1 (default: 7)" in text
    assert "random seed, from 0 to 2**32 - 1" in text
    assert "./" not in text
    assert (
        "a new folder OUTPUT_DIR/<example>/<date-time>; a relative OUTPUT_DIR is taken from the current"
        in text
    )


def test_an_output_dir_that_cannot_hold_a_run_folder_is_one_line_and_status_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    common = load_example("_common.py", monkeypatch)
    monkeypatch.setattr(sys, "argv", ["multilabel.py"])
    a_file = tmp_path / "a file"
    a_file.write_text("")
    for output_dir in (a_file, a_file / "below"):
        with pytest.raises(SystemExit) as exited:
            common.run_directory(str(output_dir), "multilabel")
        assert exited.value.code == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        (line,) = captured.err.splitlines()
        reason = OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(output_dir / "multilabel"))
        assert line == (
            "multilabel.py: error: argument --output-dir: must be a folder where this script can make "
            f"its run folder <output-dir>/multilabel/<date-time>, got {str(output_dir)!r} ({reason})"
        )
    assert [p.name for p in tmp_path.iterdir()] == ["a file"]


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_an_output_dir_that_is_a_file_ends_the_script_before_training(name: str, tmp_path: Path) -> None:
    """Each script, given a file as ``--output-dir``: the one line, status 2, no traceback."""
    a_file = tmp_path / "a file"
    a_file.write_text("")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--output-dir", str(a_file)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    example = RUN_FOLDERS[name]
    reason = OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(a_file / example))
    assert result.stderr.splitlines() == [
        f"{name}: error: argument --output-dir: must be a folder where this script can make its run "
        f"folder <output-dir>/{example}/<date-time>, got {str(a_file)!r} ({reason})"
    ]
    assert "epoch" not in result.stdout  # nothing was trained
    assert [p.name for p in tmp_path.iterdir()] == ["a file"]
