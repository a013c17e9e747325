"""Pieces shared by the example scripts: command-line flags, seeding, data and a small model.

The examples run on data that ships with scikit-learn (no download) and on a CPU in seconds.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def parser(description: str, epochs: int) -> argparse.ArgumentParser:
    """An argument parser with the flags every example takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs, help=f"training epochs (default: {epochs})")
    p.add_argument("--seed", type=int, default=0, help="random seed; results are reproducible for a seed")
    p.add_argument(
        "--output-dir",
        default="runs",
        help="where logs and checkpoints are written (default: ./runs)",
    )
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    return p


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a generator for data loaders.

    Also runs torch on one thread: these models are tiny, and more threads only add overhead.
    """
    torch.set_num_threads(1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def mlp(num_inputs: int, num_outputs: int, hidden: int = 64) -> nn.Module:
    """A small two-layer perceptron."""
    return nn.Sequential(nn.Linear(num_inputs, hidden), nn.ReLU(), nn.Linear(hidden, num_outputs))


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale features with the training set's mean and standard deviation."""
    mean, std = train.mean(0), train.std(0) + 1e-6
    return [(a - mean) / std for a in (train, *others)]


def loader(
    x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, generator: torch.Generator | None = None
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """A DataLoader over float features and the given targets."""
    targets = torch.as_tensor(y)
    dataset = TensorDataset(torch.as_tensor(x, dtype=torch.float32), targets)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


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
    """A new directory ``output_dir/example/<date-time>`` for one run (earlier runs are kept)."""
    base = Path(output_dir) / example
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run = base / stamp
    suffix = 1
    while run.exists():
        suffix += 1
        run = base / f"{stamp}-{suffix}"
    run.mkdir(parents=True)
    return run
