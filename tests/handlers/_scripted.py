"""Helpers of the handler tests: a scripted trainer/evaluator pair and file listings."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from ignite.engine import Engine, Events, State

NAN = float("nan")


class Scripted:
    """A trainer (one SGD step with momentum per epoch on a linear model) and an evaluator whose
    metric ``metric_name`` takes the next value of ``scores`` at each evaluation.

    ``weights[epoch]`` is the model's state after training that epoch, as the evaluator saw it.
    """

    def __init__(self, scores: Sequence[Any], metric_name: str = "f1") -> None:
        torch.manual_seed(0)
        self.model = torch.nn.Linear(3, 2)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9)
        self.trainer = Engine(self._step)
        self.evaluator = Engine(lambda engine, batch: None)
        self.scores = list(scores)
        self.metric_name = metric_name
        self.weights: dict[int, dict[str, torch.Tensor]] = {}
        self.evaluator.add_event_handler(Events.EPOCH_COMPLETED, self._set_metric)
        self.trainer.add_event_handler(Events.EPOCH_COMPLETED, self._evaluate)

    def _step(self, engine: Engine, batch: Any) -> None:
        self.optimizer.zero_grad()
        self.model(torch.ones(1, 3)).sum().backward()
        self.optimizer.step()

    def _evaluate(self, trainer: Engine) -> None:
        self.weights[trainer.state.epoch] = copy.deepcopy(self.model.state_dict())
        self.evaluator.run([0])

    def _set_metric(self, evaluator: Engine) -> None:
        evaluator.state.metrics[self.metric_name] = self.scores[self.trainer.state.epoch - 1]

    def run(self, max_epochs: int | None = None) -> State:
        return self.trainer.run([0], max_epochs=max_epochs or len(self.scores))


def state_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def pt_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".pt"))


LEDGER = re.compile(r"\.ignite_f1-run-[0-9a-f]{32}\.json")


def listing(directory: Path) -> list[str]:
    """The files of ``directory`` but the run ledgers (``.ignite_f1-run-{id}.json``)."""
    return sorted(name for name in os.listdir(directory) if not LEDGER.fullmatch(name))


def ledgers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if LEDGER.fullmatch(name))


def engine_with(metrics: dict[str, Any]) -> Engine:
    engine = Engine(lambda e, b: None)
    engine.state.metrics = dict(metrics)
    return engine
