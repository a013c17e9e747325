"""The example scripts as the tests reach them: where they are, their names, and two ways to run one
(imported as a module, or in a fresh interpreter that reports which heavy modules it loaded)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = [
    "digits_multiclass.py",
    "breast_cancer_binary.py",
    "multilabel.py",
    "distributed.py",
    "plain_pytorch_loop.py",
    "segmentation_dice.py",
]
# What takes seconds to import; `--help` and a refused flag must answer before any of it is loaded.
HEAVY_MODULES = ("torch", "numpy", "sklearn", "ignite", "ignite_f1", "matplotlib", "tensorboardX")


def load_example(name: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """examples/<name>, imported under another name (it imports ``_common`` from its folder)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"examples_{Path(name).stem}", EXAMPLES / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_fresh(
    name: str, *argv: str, cwd: Path | None = None, timeout: float = 300
) -> tuple[int, subprocess.CompletedProcess[str], list[str]]:
    """Run examples/<name> with ``argv`` in a fresh interpreter: its exit status, the finished
    process (the script's output, then two lines of this probe), and the heavy modules it had
    imported when it exited."""
    script = EXAMPLES / name
    code = (
        "import runpy, sys\n"
        f"sys.path.insert(0, {str(EXAMPLES)!r})\n"
        f"sys.argv = [{str(script)!r}, *{list(argv)!r}]\n"
        "try:\n"
        "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "    code = 0\n"
        "except SystemExit as exited:\n"
        "    code = exited.code\n"
        f"print('HEAVY', sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
        "print('CODE', code)\n"
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("CODE ") and lines[-2].startswith("HEAVY "), result.stdout
    heavy = [m.strip("'") for m in lines[-2].removeprefix("HEAVY [").removesuffix("]").split(", ") if m]
    return int(lines[-1].removeprefix("CODE ")), result, heavy
