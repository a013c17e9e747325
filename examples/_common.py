"""Pieces shared by the example scripts: command-line flags, seeding, data and a small model.

The examples run on data that ships with scikit-learn (no download) and on a CPU in seconds.
Importing this module imports nothing heavy: the scripts read their flags first, so that ``--help``
answers at once, and import torch, scikit-learn and Ignite after (torch alone takes seconds).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import numpy as np
    import torch
    from torch.utils.data import DataLoader


SEED_LIMIT = 2**32  # NumPy's and scikit-learn's seeds are integers from 0 to 2**32 - 1


def _integer(text: str, rule: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}") from None


def epochs_flag(text: str) -> int:
    """``--epochs``: an integer >= 1 (no epoch leaves nothing to evaluate nor to checkpoint)."""
    rule = "an integer >= 1"
    value = _integer(text, rule)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be {rule}, got {value}")
    return value


def seed_flag(text: str) -> int:
    """``--seed``: an integer from 0 to 2**32 - 1, the seeds NumPy and scikit-learn accept."""
    rule = f"an integer from 0 to 2**32 - 1 = {SEED_LIMIT - 1}"
    value = _integer(text, rule)
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"must be {rule}, got {value}")
    return value


def parser(description: str, epochs: int) -> argparse.ArgumentParser:
    """An argument parser with the flags every example takes.

    A value out of a flag's range is refused by argparse while it reads the flags, before anything
    is imported, made or trained: its usage line and ``<script>: error: argument --<flag>: must be
    <the rule>, got <the value>``, exit status 2.
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--epochs", type=epochs_flag, default=epochs, help=f"training epochs, >= 1 (default: {epochs})"
    )
    p.add_argument(
        "--seed",
        type=seed_flag,
        default=0,
        help="random seed, from 0 to 2**32 - 1; results are reproducible for a seed (default: 0)",
    )
    p.add_argument(
        "--output-dir",
        default="runs",
        help="each run writes into a new folder OUTPUT_DIR/<example>/<date-time>; a relative "
        "OUTPUT_DIR is taken from the current directory (default: runs)",
    )
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    return p


def available_devices() -> list[str]:
    """The torch devices this machine has: ``cpu``, then ``cuda:0``... and ``mps`` when present."""
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def check_device(name: str) -> str:
    """``name`` if torch can use that device here; otherwise exit with a one-line message (status 2).

    A script asked for ``--device cuda`` on a machine without CUDA would otherwise end in a torch
    traceback at the first tensor moved there.
    """
    import torch

    prog = Path(sys.argv[0]).name or "example"
    available = available_devices()
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        reason = "is not a torch device name"
    else:
        of_its_kind = [d for d in available if torch.device(d).type == device.type]
        if of_its_kind and (device.index is None or str(device) in available):
            return name
        number = "" if device.index is None or not of_its_kind else f" {device.index}"
        reason = f"is not available here (no {device.type.upper()} device{number})"
    print(f"{prog}: error: --device {name} {reason}; available: {', '.join(available)}", file=sys.stderr)
    raise SystemExit(2)  # as argparse does for a bad flag


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a generator for data loaders.

    Also runs torch on one thread: these models are tiny, and more threads only add overhead.
    """
    import random

    import numpy as np
    import torch

    torch.set_num_threads(1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def mlp(num_inputs: int, num_outputs: int, hidden: int = 64) -> torch.nn.Module:
    """A small two-layer perceptron."""
    from torch import nn

    return nn.Sequential(nn.Linear(num_inputs, hidden), nn.ReLU(), nn.Linear(hidden, num_outputs))


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale features with the training set's mean and standard deviation."""
    mean, std = train.mean(0), train.std(0) + 1e-6
    return [(a - mean) / std for a in (train, *others)]


def loader(
    x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, generator: torch.Generator | None = None
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """A DataLoader over float features and the given targets."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    targets = torch.as_tensor(y)
    dataset = TensorDataset(torch.as_tensor(x, dtype=torch.float32), targets)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def progress_bar(trainer: Any) -> Any:
    """Ignite's progress bar on the trainer when the error output is a terminal; None otherwise.

    In a log file or a pipe (CI, ``| tee``) the bar's carriage returns pile up into one huge line,
    so there is none there; the lines a script prints per epoch (or every few) come in both cases.
    """
    if not sys.stderr.isatty():
        return None
    from ignite.handlers import ProgressBar

    bar = ProgressBar(persist=False)
    bar.attach(trainer)
    return bar


def end_of_training(epoch: int, max_epochs: int, early_stopping: Any) -> str:
    """Say why training ended: early stopping (F1 stalled for ``patience`` evaluations) or the epoch limit.

    ``early_stopping`` is Ignite's ``EarlyStopping``; it stopped the run when its counter reached
    its patience.
    """
    if early_stopping is not None and early_stopping.counter >= early_stopping.patience:
        return (
            f"early stopping at epoch {epoch}: F1 did not improve for {early_stopping.patience} "
            f"evaluations (the limit was {max_epochs} epochs)"
        )
    return f"reached the epoch limit: {max_epochs} epochs (early stopping did not fire)"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A small markdown table; floats are printed with 4 decimals."""

    def cell(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def report_table(report: dict[str, dict[str, float] | float]) -> str:
    """A scikit-learn ``classification_report`` dict as a markdown table."""
    rows = []
    for name, values in report.items():
        if isinstance(values, dict):
            scores = [values["precision"], values["recall"], values["f1-score"]]
            rows.append([name, *scores, int(values["support"])])
        else:
            rows.append([name, "", "", float(values), ""])
    return markdown_table(["class", "precision", "recall", "f1", "support"], rows)


def run_directory(output_dir: str, example: str) -> Path:
    """A new directory ``output_dir/example/<date-time>`` for one run (earlier runs are kept).

    When it cannot be made (``--output-dir`` names a file, or a folder this user cannot write), the
    script ends here, before any training, with one line in argparse's style (exit status 2) instead
    of an ``OSError`` traceback.
    """
    base = Path(output_dir) / example
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        base.mkdir(parents=True, exist_ok=True)
        for suffix in itertools.count(1):
            run = base / (stamp if suffix == 1 else f"{stamp}-{suffix}")
            try:
                run.mkdir()  # fails if another run (even one started at the same second) has it
            except FileExistsError:
                continue
            print(f"this run writes into {run}")
            return run
    except OSError as error:
        reason = str(error)
    flag_error(
        "--output-dir",
        f"must be a folder where this script can make its run folder <output-dir>/{example}/<date-time>, "
        f"got {output_dir!r} ({reason})",
    )


def flag_error(flag: str, message: str) -> NoReturn:
    """End the script as argparse ends it for a bad flag, for a check made after the flags are read:
    ``<script>: error: argument <flag>: <message>`` on standard error, exit status 2."""
    prog = Path(sys.argv[0]).name or "example"
    print(f"{prog}: error: argument {flag}: {message}", file=sys.stderr)
    raise SystemExit(2)
