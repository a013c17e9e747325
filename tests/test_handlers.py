"""Tests of ignite_f1.handlers: score_function, RetrainOnPlateau and setup_f1_monitoring.

Most tests drive a real trainer and evaluator with a scripted validation F1 (one value per epoch),
so every early stop, checkpoint and retrain happens at a known epoch; the training step moves the
weights of a real model with SGD and momentum, so restored weights and optimizer resets are checked
on real tensors. One test trains a small network on scikit-learn's digits, and one resumes a run in
a new Python process.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import json
import math
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from ignite.engine import Engine, Events, State, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import Checkpoint, DiskSaver, EarlyStopping, TensorboardLogger
from ignite.handlers.checkpoint import CheckpointEvents
from sklearn.datasets import load_digits
from sklearn.metrics import f1_score

from ignite_f1 import MulticlassF1Score
from ignite_f1.handlers import (
    F1Monitoring,
    RetrainEvents,
    RetrainOnPlateau,
    score_function,
    setup_f1_monitoring,
)

NAN = float("nan")
HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- score_function


@pytest.mark.parametrize(
    ("value", "reduce", "expected"),
    [
        pytest.param(0.75, None, 0.75, id="float"),
        pytest.param(1, None, 1.0, id="int"),
        pytest.param(np.float32(0.5), None, 0.5, id="numpy-scalar"),
        pytest.param(torch.tensor(0.25, dtype=torch.float64), None, 0.25, id="0d-tensor"),
        pytest.param(0.75, "min", 0.75, id="float-reduce-ignored"),
        pytest.param(NAN, None, -math.inf, id="nan"),
        pytest.param(torch.tensor(NAN), None, -math.inf, id="0d-tensor-nan"),
        pytest.param(torch.tensor([0.5, 1.0, 0.75]), "min", 0.5, id="tensor-min"),
        pytest.param(torch.tensor([0.5, 1.0, 0.75]), "mean", 0.75, id="tensor-mean"),
        pytest.param(torch.tensor([0.5, NAN, 1.0]), "min", 0.5, id="tensor-min-nan-class-left-out"),
        pytest.param(torch.tensor([0.5, NAN, 1.0]), "mean", 0.75, id="tensor-mean-nan-class-left-out"),
        pytest.param(torch.tensor([NAN, NAN]), "mean", -math.inf, id="tensor-all-nan"),
        pytest.param({"cat": 0.25, "dog": 0.75}, "mean", 0.5, id="dict-mean"),
        pytest.param({"cat": 0.25, "dog": torch.tensor(0.75)}, "min", 0.25, id="dict-tensor-values-min"),
    ],
)
def test_score_function_values(value: Any, reduce: str | None, expected: float) -> None:
    score = score_function("f1", reduce=reduce)(engine_with({"f1": value}))
    assert type(score) is float
    assert score == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(torch.tensor([0.5, 1.0]), id="tensor"),
        pytest.param({"cat": 0.5, "dog": 1.0}, id="dict"),
    ],
)
def test_score_function_per_class_needs_reduce(value: Any) -> None:
    with pytest.raises(ValueError, match=r"Argument `reduce` must be 'min' or 'mean' when metric 'f1'"):
        score_function("f1")(engine_with({"f1": value}))


def test_score_function_missing_metric_lists_metrics_and_names_the_evaluator() -> None:
    score = score_function("val_f1")
    with pytest.raises(KeyError) as caught:
        score(engine_with({"loss": 0.3, "accuracy": 0.9}))
    message = str(caught.value)
    assert "'val_f1'" in message
    assert "['accuracy', 'loss']" in message
    assert "evaluator" in message and "not to the trainer" in message


@pytest.mark.parametrize(
    ("metric_name", "reduce", "error", "match"),
    [
        pytest.param(
            3, None, TypeError, r"Argument `metric_name` must be a non-empty string, got 3", id="name-int"
        ),
        pytest.param(
            "", None, ValueError, r"Argument `metric_name` must be a non-empty string", id="name-empty"
        ),
        pytest.param(
            "f1",
            "max",
            ValueError,
            r"Argument `reduce` must be None, 'min' or 'mean', got 'max'",
            id="reduce",
        ),
    ],
)
def test_score_function_arguments(metric_name: Any, reduce: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        score_function(metric_name, reduce)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        pytest.param("high", TypeError, r"Metric 'f1' must be a number, a tensor or a dict", id="string"),
        pytest.param(
            {"cat": "x"}, TypeError, r"Metric 'f1' must map class names to numbers", id="dict-of-strings"
        ),
        pytest.param(
            torch.zeros(0), ValueError, r"must hold at least one per-class score", id="empty-tensor"
        ),
    ],
)
def test_score_function_refuses_other_results(value: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        score_function("f1", reduce="min")(engine_with({"f1": value}))


def test_plain_ignite_counts_nan_as_improvement_and_score_function_does_not() -> None:
    # The bug this module exists for: EarlyStopping with a raw metric never stops after a NaN.
    scores = [0.5, NAN, NAN, NAN, NAN, NAN]
    raw = Scripted(scores)
    # (added with add_event_handler: EarlyStopping.attach(evaluator) would reset it at every evaluation)
    raw.evaluator.add_event_handler(
        Events.COMPLETED, EarlyStopping(2, lambda e: e.state.metrics["f1"], raw.trainer)
    )
    assert raw.run().epoch == 6  # never stopped
    safe = Scripted(scores)
    safe.evaluator.add_event_handler(Events.COMPLETED, EarlyStopping(2, score_function("f1"), safe.trainer))
    assert safe.run().epoch == 3  # two evaluations without improvement


# ------------------------------------------------------------------ setup_f1_monitoring: early stopping


@pytest.mark.parametrize(
    ("scores", "patience", "min_delta", "stop_epoch"),
    [
        pytest.param([0.5, 0.6, 0.6, 0.55, 0.6, 0.9, 0.9], 3, 0.0, 5, id="plateau"),
        pytest.param([0.5, 0.6, 0.7, 0.8, 0.9], 1, 0.0, 5, id="always-improving"),
        pytest.param([0.5, NAN, NAN, 0.9], 2, 0.0, 3, id="nan-never-improves"),
        pytest.param([NAN, NAN, 0.5, 0.5, 0.5, 0.9], 2, 0.0, 5, id="nan-first"),
        pytest.param([0.5, 0.505, 0.51, 0.515, 0.9], 3, 0.01, 4, id="min-delta"),
    ],
)
def test_early_stopping_stops_at_the_expected_epoch(
    tmp_path: Path, scores: list[float], patience: int, min_delta: float, stop_epoch: int
) -> None:
    run = Scripted(scores)
    monitoring = setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        {"model": run.model},
        tmp_path,
        patience=patience,
        min_delta=min_delta,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # only non-deprecated EarlyStopping arguments
        assert run.run().epoch == stop_epoch
    assert isinstance(monitoring, F1Monitoring)
    assert monitoring.early_stopping.counter == patience or stop_epoch == len(scores)


@pytest.mark.parametrize("seed", range(6))
def test_retrain_patience_matches_early_stopping(seed: int) -> None:
    """With no retrain allowed, RetrainOnPlateau ends training exactly when EarlyStopping does."""
    rng = np.random.default_rng(seed)
    scores = rng.choice([0.5, 0.52, 0.55, 0.6, 0.61, NAN], size=15).tolist()
    patience, min_delta = int(rng.integers(1, 4)), float(rng.choice([0.0, 0.02]))
    reference = Scripted(scores)
    # Ignite 0.5.5 renamed `min_delta` to `threshold`
    parameters = inspect.signature(EarlyStopping.__init__).parameters
    delta = "threshold" if "threshold" in parameters else "min_delta"
    early_stopping = EarlyStopping(patience, score_function("f1"), reference.trainer, **{delta: min_delta})
    reference.evaluator.add_event_handler(Events.COMPLETED, early_stopping)
    run = Scripted(scores)
    RetrainOnPlateau(
        score_function("f1"),
        patience,
        run.trainer,
        None,
        {"model": run.model},
        min_delta=min_delta,
        strategy="reinitialize",
        max_retrains=0,
    ).attach(run.evaluator)
    assert run.run().epoch == reference.run().epoch


# ------------------------------------------------------------------ setup_f1_monitoring: checkpoint


@pytest.mark.parametrize(
    ("metric_name", "to_save_names", "prefix", "expected"),
    [
        pytest.param("f1", ["model"], "best", "best_model_3_f1=0.7000.pt", id="one-object"),
        pytest.param(
            "val/f1", ["model", "optimizer"], "best", "best_checkpoint_3_val_f1=0.7000.pt", id="slash-metric"
        ),
        pytest.param(
            "f1", ["net/main"], "runs/a", "runs_a_net_main_3_f1=0.7000.pt", id="slash-key-and-prefix"
        ),
        pytest.param("f1", ["a{b}"], "", "a{b}_3_f1=0.7000.pt", id="braces-no-prefix"),
    ],
)
def test_best_checkpoint_file_name_and_contents(
    tmp_path: Path, metric_name: str, to_save_names: list[str], prefix: str, expected: str
) -> None:
    run = Scripted([0.5, 0.6, 0.7, 0.65, 0.7], metric_name=metric_name)
    objects = {"model": run.model, "optimizer": run.optimizer}
    to_save = {name: objects["optimizer" if name == "optimizer" else "model"] for name in to_save_names}
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, metric_name, to_save, tmp_path, patience=5, filename_prefix=prefix
    )
    run.run()
    assert listing(tmp_path) == [expected]  # files directly in checkpoint_dir, nothing else
    assert len(ledgers(tmp_path)) == 1  # and the run's ledger of its own files
    assert monitoring.best_checkpoint == tmp_path / expected
    saved = torch.load(tmp_path / expected, weights_only=True)
    if len(to_save) == 1:  # Ignite stores a single object's state_dict directly
        assert state_equal(saved, run.weights[3])
    else:
        assert state_equal(saved["model"], run.weights[3])
    fresh = {name: copy.deepcopy(obj) for name, obj in to_save.items()}
    Checkpoint.load_objects(fresh, tmp_path / expected)
    model = next(obj for obj in fresh.values() if isinstance(obj, torch.nn.Module))
    assert state_equal(model.state_dict(), run.weights[3])


def test_n_saved_keeps_the_best_files(tmp_path: Path) -> None:
    run = Scripted([0.5, 0.8, 0.6, 0.7, 0.9, 0.65])
    setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, patience=9, n_saved=2
    )
    run.run()
    assert pt_files(tmp_path) == ["best_model_2_f1=0.8000.pt", "best_model_5_f1=0.9000.pt"]


def test_per_class_metric_needs_reduce_and_nothing_is_written(tmp_path: Path) -> None:
    per_class = [torch.tensor([0.4, 0.8]), torch.tensor([0.6, 0.7]), torch.tensor([0.5, 0.9])]
    run = Scripted(per_class)
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    with pytest.raises(ValueError, match=r"Argument `reduce` must be 'min' or 'mean'"):
        run.run()
    assert os.listdir(tmp_path) == []
    run = Scripted(per_class)
    setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "min", reduce="min"
    )
    run.run()
    assert pt_files(tmp_path / "min") == ["best_model_2_f1=0.6000.pt"]  # the best worst class


def test_missing_metric_is_a_clear_key_error(tmp_path: Path) -> None:
    run = Scripted([0.5, 0.6], metric_name="accuracy")
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    with pytest.raises(KeyError, match=r"metrics present: \['accuracy'\].*evaluator"):
        run.run()
    assert os.listdir(tmp_path) == []


def test_first_nan_evaluation_is_saved_then_replaced(tmp_path: Path) -> None:
    run = Scripted([NAN, NAN, 0.4, NAN])
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, patience=5)
    listings: list[list[str]] = []
    run.trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: listings.append(pt_files(tmp_path)))
    run.run()
    assert listings == [["best_model_1_f1=-inf.pt"]] * 2 + [["best_model_3_f1=0.4000.pt"]] * 2


# --------------------------------------------------------------------------- checkpoint_dir with files


def test_directory_with_checkpoints_is_refused_and_left_untouched(tmp_path: Path) -> None:
    (tmp_path / "old.pt").write_bytes(b"user's model")
    (tmp_path / "notes.txt").write_text("keep")
    run = Scripted([0.5])
    with pytest.raises(
        ValueError,
        match=r"Argument `checkpoint_dir` must hold no checkpoint .*\['old.pt'\].*require_empty=False",
    ):
        setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    assert not run.evaluator._event_handlers[Events.COMPLETED]  # nothing was attached
    assert sorted(os.listdir(tmp_path)) == ["notes.txt", "old.pt"]
    assert (tmp_path / "old.pt").read_bytes() == b"user's model"


def test_directory_with_other_files_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    run = Scripted([0.5])
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    run.run()
    assert listing(tmp_path) == ["best_model_1_f1=0.5000.pt", "notes.txt"]


def test_require_empty_false_keeps_existing_files(tmp_path: Path) -> None:
    (tmp_path / "old.pt").write_bytes(b"user's model")
    run = Scripted([0.5, 0.7, 0.9])
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, require_empty=False)
    run.run()
    assert pt_files(tmp_path) == ["best_model_3_f1=0.9000.pt", "old.pt"]
    assert (tmp_path / "old.pt").read_bytes() == b"user's model"


def test_a_file_in_the_way_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "best_model_2_f1=0.7000.pt").write_bytes(b"user's model")
    run = Scripted([0.5, 0.7, 0.9])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, require_empty=False
    )
    with pytest.raises(
        FileExistsError, match=r"best_model_2_f1=0.7000.pt' already exists .* refusing to overwrite"
    ):
        run.run()
    assert listing(tmp_path) == ["best_model_1_f1=0.5000.pt", "best_model_2_f1=0.7000.pt"]
    assert (tmp_path / "best_model_2_f1=0.7000.pt").read_bytes() == b"user's model"
    # The handler still points at its own best file, never at the user's.
    assert monitoring.best_checkpoint == tmp_path / "best_model_1_f1=0.5000.pt"


class _Unpicklable:
    def __reduce__(self) -> Any:
        raise OSError("simulated failure while writing")


class _Flaky:
    """An object to save whose state cannot be written once ``broken`` is set."""

    def __init__(self) -> None:
        self.broken = False

    def state_dict(self) -> dict[str, Any]:
        return {"x": _Unpicklable()} if self.broken else {"x": 1}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


def test_a_failed_write_loses_no_checkpoint_and_leaves_no_partial_file(tmp_path: Path) -> None:
    run = Scripted([0.5, 0.7, 0.9])
    flaky = _Flaky()
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model, "flaky": flaky}, tmp_path
    )
    run.trainer.add_event_handler(Events.EPOCH_STARTED(once=2), lambda: setattr(flaky, "broken", True))
    with pytest.raises(OSError, match="simulated failure"):
        run.run()
    # The previous best is still there, whole, and still the handler's best; no temporary file is left.
    assert listing(tmp_path) == ["best_checkpoint_1_f1=0.5000.pt"]
    assert monitoring.best_checkpoint == tmp_path / "best_checkpoint_1_f1=0.5000.pt"
    saved = torch.load(tmp_path / "best_checkpoint_1_f1=0.5000.pt", weights_only=True)
    assert state_equal(saved["model"], run.weights[1])
    # Once writing works again, the next best replaces it.
    flaky.broken = False
    run.evaluator.state.metrics["f1"] = 0.8
    monitoring.checkpoint(run.evaluator)
    assert listing(tmp_path) == ["best_checkpoint_2_f1=0.8000.pt"]


def test_a_failing_saved_checkpoint_handler_keeps_the_new_best_file_named(tmp_path: Path) -> None:
    run = Scripted([0.5, 0.7, 0.6])
    monitoring = setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    run.evaluator.register_events(*CheckpointEvents)
    failing = [2]  # the epochs at which the upload fails

    @run.evaluator.on(Checkpoint.SAVED_CHECKPOINT)
    def upload(engine: Engine) -> None:  # a user's handler, failing after the save of epoch 2
        if run.trainer.state.epoch in failing:
            raise ConnectionError("simulated upload failure")

    with pytest.raises(ConnectionError, match="simulated upload failure"):
        run.run()
    # The new best file is on disk and named (was: epoch 1's file, already deleted).
    assert monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.7000.pt"
    assert listing(tmp_path) == ["best_model_2_f1=0.7000.pt"]
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), run.weights[2])
    # The handler goes on from there: the next best replaces it.
    failing.clear()
    run.evaluator.state.metrics["f1"] = 0.9
    monitoring.checkpoint(run.evaluator)
    assert monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.9000.pt"
    assert listing(tmp_path) == ["best_model_2_f1=0.9000.pt"]


def test_a_file_that_appears_during_a_save_is_never_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Scripted([0.5, 0.7])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, require_empty=False
    )
    real_save = torch.save

    def slow_save(obj: Any, file: Any, *args: Any, **kwargs: Any) -> None:
        if run.trainer.state.epoch == 2:  # another run sharing the directory saves the same name meanwhile
            (tmp_path / "best_model_2_f1=0.7000.pt").write_bytes(b"the other run's model")
        real_save(obj, file, *args, **kwargs)

    monkeypatch.setattr(torch, "save", slow_save)
    with pytest.raises(FileExistsError, match=r"best_model_2_f1=0.7000.pt' already exists .* refusing"):
        run.run()
    assert (tmp_path / "best_model_2_f1=0.7000.pt").read_bytes() == b"the other run's model"
    assert listing(tmp_path) == ["best_model_1_f1=0.5000.pt", "best_model_2_f1=0.7000.pt"]  # no temp
    assert monitoring.best_checkpoint == tmp_path / "best_model_1_f1=0.5000.pt"
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), run.weights[1])


def test_without_hard_links_the_name_is_reserved_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(source: Any, target: Any) -> None:
        raise PermissionError(1, "Operation not permitted (simulated: no hard links here)")

    monkeypatch.setattr(os, "link", no_link)
    run = Scripted([0.5, 0.7, 0.9])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, require_empty=False
    )
    real_save = torch.save

    def slow_save(obj: Any, file: Any, *args: Any, **kwargs: Any) -> None:
        if run.trainer.state.epoch == 3:  # another run saves the same name meanwhile
            (tmp_path / "best_model_3_f1=0.9000.pt").write_bytes(b"the other run's model")
        real_save(obj, file, *args, **kwargs)

    monkeypatch.setattr(torch, "save", slow_save)
    with pytest.raises(FileExistsError, match=r"best_model_3_f1=0.9000.pt' already exists"):
        run.run()
    assert listing(tmp_path) == ["best_model_2_f1=0.7000.pt", "best_model_3_f1=0.9000.pt"]
    assert (tmp_path / "best_model_3_f1=0.9000.pt").read_bytes() == b"the other run's model"
    assert monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.7000.pt"
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), run.weights[2])


def test_a_file_of_the_run_saved_again_under_its_name_is_replaced(tmp_path: Path) -> None:
    model = torch.nn.Linear(2, 2)
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
    monitoring = setup_f1_monitoring(trainer, evaluator, "f1", {"model": model}, tmp_path, n_saved=2)
    evaluator.state.metrics = {"f1": 0.5}
    monitoring.checkpoint(evaluator)  # epoch 0, F1 0.5
    with torch.no_grad():
        model.weight.fill_(3.0)
    monitoring.checkpoint(evaluator)  # evaluated again at the same epoch with the same F1: same name
    assert listing(tmp_path) == ["best_model_0_f1=0.5000.pt"]
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), model.state_dict())


def test_two_runs_sharing_a_directory_delete_only_their_own_files(tmp_path: Path) -> None:
    first, second = Scripted([0.5, 0.7]), Scripted([0.6, 0.9])
    one = setup_f1_monitoring(first.trainer, first.evaluator, "f1", {"model": first.model}, tmp_path)
    first.run()
    two = setup_f1_monitoring(
        second.trainer, second.evaluator, "f1", {"model": second.model}, tmp_path, require_empty=False
    )
    second.run()
    assert pt_files(tmp_path) == ["best_model_2_f1=0.7000.pt", "best_model_2_f1=0.9000.pt"]
    first.evaluator.state.metrics["f1"] = 0.8  # the first run improves: it replaces its own file only
    one.checkpoint(first.evaluator)
    assert pt_files(tmp_path) == ["best_model_2_f1=0.8000.pt", "best_model_2_f1=0.9000.pt"]
    assert (one.best_checkpoint, two.best_checkpoint) == (
        tmp_path / "best_model_2_f1=0.8000.pt",
        tmp_path / "best_model_2_f1=0.9000.pt",
    )
    assert len(ledgers(tmp_path)) == 2  # one per run


def test_a_save_failing_mid_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Scripted([0.5, 0.7])
    monitoring = setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    real_save = torch.save

    def failing_save(obj: Any, file: Any, *args: Any, **kwargs: Any) -> None:
        if run.trainer.state.epoch < 2:
            real_save(obj, file, *args, **kwargs)
            return
        file.write(b"half a checkpoint")
        raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="simulated"):
        run.run()
    assert listing(tmp_path) == ["best_model_1_f1=0.5000.pt"]
    assert monitoring.best_checkpoint == tmp_path / "best_model_1_f1=0.5000.pt"
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), run.weights[1])


def test_setup_removes_the_temporary_files_of_a_killed_save_and_only_those(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, str(HERE / "_handlers_killed_save.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 9, process.stderr
    (killed,) = listing(tmp_path)  # the half-written temporary file of the killed save
    assert (tmp_path / killed).read_bytes() == b"half a checkpoint"
    host = killed.split("-")[1]
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    kept = [
        "notes.tmp",  # the user's
        f".ignite_f1-{host}-{os.getppid()}-{'a' * 16}.tmp",  # a save in progress in a live process
        f".ignite_f1-{host}x-{dead.stdout.strip()}-{'b' * 16}.tmp",  # another machine's: cannot tell
    ]
    stale = f".ignite_f1-{host}-{dead.stdout.strip()}-{'c' * 16}.tmp"  # left by hand: a dead process's
    for name in [*kept, stale]:
        (tmp_path / name).write_bytes(b"")
    run = Scripted([0.5])
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    assert listing(tmp_path) == sorted(kept)


def test_an_unwritable_checkpoint_dir_is_refused_at_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def setup(checkpoint_dir: Path) -> None:
        run = Scripted([0.5])
        MulticlassF1Score(num_classes=2).attach(run.evaluator, "f1")
        setup_f1_monitoring(
            run.trainer, run.evaluator, "f1", {"model": run.model}, checkpoint_dir, log_dir=tmp_path / "runs"
        )

    (tmp_path / "file.txt").write_text("")
    with pytest.raises(ValueError, match=r"Argument `checkpoint_dir` must be a directory or a path where"):
        setup(tmp_path / "file.txt" / "ckpt")  # was: NotADirectoryError, after making log_dir
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: path != locked and real_access(path, mode))
    with pytest.raises(PermissionError, match=r"Argument `checkpoint_dir` must be a directory this process"):
        setup(locked)
    with pytest.raises(PermissionError, match=r"may not create files \(to make it in '.*locked'\)"):
        setup(locked / "new")
    assert not (tmp_path / "runs").exists() and not (locked / "new").exists()  # nothing made
    assert os.listdir(locked) == []


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root ignores permission bits: the check is tested through os.access above",
)
def test_a_read_only_checkpoint_dir_is_refused_at_setup(tmp_path: Path) -> None:
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o555)
    try:
        run = Scripted([0.5])
        with pytest.raises(PermissionError, match=r"Argument `checkpoint_dir` must be a directory this"):
            setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, read_only)
    finally:
        read_only.chmod(0o755)


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        pytest.param(["matplotlib"], "matplotlib", id="matplotlib"),
        pytest.param(["PIL"], "pillow", id="pillow"),
        pytest.param(["tensorboardX", "torch.utils.tensorboard"], "tensorboardX", id="tensorboardX"),
    ],
)
def test_log_dir_without_the_tensorboard_extra_is_refused_at_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: list[str], named: str
) -> None:
    for module in missing:
        monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails
    run = Scripted([0.5])
    MulticlassF1Score(num_classes=2).attach(run.evaluator, "f1")
    expected = rf"Argument `log_dir` needs {named} .*pip install \"ignite_f1\[tensorboard\]\""
    with pytest.raises(ModuleNotFoundError, match=expected):
        setup_f1_monitoring(
            run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "c", log_dir=tmp_path / "runs"
        )
    assert os.listdir(tmp_path) == []  # nothing made


def test_missing_metric_error_is_a_public_key_error() -> None:
    from ignite_f1 import handlers

    with pytest.raises(KeyError) as info:
        score_function("f1")(engine_with({"loss": 0.3}))
    assert type(info.value) is handlers.MissingMetricError
    assert type(info.value).__module__ == "ignite_f1.handlers" and "MissingMetricError" in handlers.__all__
    assert str(info.value).startswith("Metric 'f1' is not in engine.state.metrics")  # a sentence, no quotes


# ------------------------------------------------------------------ setup_f1_monitoring: arguments


def _setup_error_cases(tmp_path: Path) -> list[Any]:
    a_file = tmp_path / "file.pt"
    a_file.write_bytes(b"")
    return [
        ({"evaluator": "trainer"}, ValueError, r"Argument `evaluator` must be the engine that computes"),
        ({"evaluator": None}, TypeError, r"Argument `evaluator` must be an ignite Engine, got NoneType"),
        ({"metric_name": ""}, ValueError, r"Argument `metric_name` must be a non-empty string"),
        ({"to_save": {}}, TypeError, r"Argument `to_save` must be a non-empty mapping"),
        (
            {"to_save": {"model": object()}},
            TypeError,
            r"Argument `to_save` must map names to objects with a state_dict\(\) method, got 'model': object",
        ),
        ({"patience": 0}, ValueError, r"Argument `patience` must be an integer >= 1, got 0"),
        ({"n_saved": 0}, ValueError, r"Argument `n_saved` must be an integer >= 1, got 0"),
        (
            {"min_delta": -0.1},
            ValueError,
            r"Argument `min_delta` must be a finite real number >= 0, got -0.1",
        ),
        (
            {"checkpoint_dir": a_file},
            ValueError,
            r"Argument `checkpoint_dir` must be a directory, got the file",
        ),
        ({"checkpoint_dir": 3}, TypeError, r"Argument `checkpoint_dir` must be a path, got 3"),
        (
            {"retrain": {}},
            ValueError,
            r"Argument `retrain` must give 'patience' \(smaller than `patience`=5\)",
        ),
        (
            {"retrain": {"patience": 5}},
            ValueError,
            r"Argument `retrain\['patience'\]` must be smaller .* got 5 >= 5",
        ),
        (
            {"retrain": {"patience": 2, "trainer": None}},
            ValueError,
            r"Argument `retrain` must not give \['trainer'\]",
        ),
        (
            {"retrain": {"patience": 2, "patiense": 3}},
            ValueError,
            r"must only have keys in .* got \['patiense'\]",
        ),
        ({"retrain": [2]}, TypeError, r"Argument `retrain` must be a dict"),
        ({"retrain": {"patience": 2, "strategy": "x"}}, ValueError, r"Argument `strategy` must be"),
        (
            {"log_dir": tmp_path / "runs", "metric_name": "other"},
            ValueError,
            r"Argument `metric_name` must name a metric attached",
        ),
    ]


def test_setup_argument_errors(tmp_path: Path) -> None:
    for change, error, match in _setup_error_cases(tmp_path):
        run = Scripted([0.5])
        MulticlassF1Score(num_classes=2).attach(run.evaluator, "f1")
        kwargs: dict[str, Any] = {
            "trainer": run.trainer,
            "evaluator": run.evaluator,
            "metric_name": "f1",
            "to_save": {"model": run.model},
            "checkpoint_dir": tmp_path / "ckpt",
        }
        kwargs.update(change)
        if kwargs["evaluator"] == "trainer":
            kwargs["evaluator"] = run.trainer
        with pytest.raises(error, match=match):
            setup_f1_monitoring(**kwargs)
        assert not (tmp_path / "ckpt").exists(), change  # checked before anything is made
        assert not (tmp_path / "runs").exists(), change


# --------------------------------------------------------------------------- RetrainOnPlateau


# Retrain patience 2, at most 2 retrains, early-stopping patience 10:
# 1 first; 2 best; 3, 4 plateau -> retrain 1 restores epoch 2; 5 best; 6, 7 -> retrain 2 restores
# epoch 5; 8, 9 -> no retrain left: training ends after epoch 9.
RETRAIN_SCORES = [0.5, 0.7, 0.6, 0.65, 0.8, 0.7, 0.7, 0.75, 0.79, 0.99, 0.99]


def test_retrain_control_flow(tmp_path: Path) -> None:
    run = Scripted(RETRAIN_SCORES)
    monitoring = setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        {"model": run.model, "optimizer": run.optimizer},
        tmp_path,
        patience=10,
        retrain={"patience": 2, "max_retrains": 2, "lr_factor": 0.5},
    )
    retrain = monitoring.retrain
    assert retrain is not None and retrain.optimizer is run.optimizer  # found in to_save
    assert retrain.to_load == {"model": run.model}  # the modules of to_save
    seen: list[dict[str, Any]] = []

    @run.trainer.on(RetrainEvents.RETRAIN_TRIGGERED)
    def on_retrain(engine: Engine) -> None:
        seen.append(
            {
                "epoch": engine.state.epoch,
                "count": engine.state.retrain_count,
                "weights": copy.deepcopy(run.model.state_dict()),
                "optimizer_state": len(run.optimizer.state),
                "lr": run.optimizer.param_groups[0]["lr"],
            }
        )

    every_second: list[int] = []
    run.trainer.add_event_handler(
        RetrainEvents.RETRAIN_TRIGGERED(every=2), lambda e: every_second.append(e.state.retrain_count)
    )
    assert run.run().epoch == 9
    assert [s["epoch"] for s in seen] == [4, 7]
    assert [s["count"] for s in seen] == [1, 2]
    assert state_equal(seen[0]["weights"], run.weights[2])  # exactly the best weights
    assert state_equal(seen[1]["weights"], run.weights[5])
    assert not state_equal(run.weights[4], run.weights[2])  # they had moved away
    assert [s["optimizer_state"] for s in seen] == [0, 0]  # momentum buffers cleared
    assert [s["lr"] for s in seen] == [0.05, 0.025]
    assert every_second == [2]
    assert run.trainer.state.retrain_count == 2
    assert dict(retrain.state_dict()) == {"counter": 2, "best_score": 0.8, "retrain_count": 2}
    assert monitoring.early_stopping.counter == 4  # early stopping counts across retrains


def test_early_stopping_patience_counts_across_retrains(tmp_path: Path) -> None:
    # The documented example: patience 10, retrain patience 3: retrains after 3, 6 and 9 evaluations
    # without improvement, stop after 10.
    run = Scripted([0.5] * 20)
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, patience=10, retrain={"patience": 3}
    )
    epochs: list[int] = []
    run.trainer.add_event_handler(RetrainEvents.RETRAIN_TRIGGERED, lambda e: epochs.append(e.state.epoch))
    assert run.run().epoch == 11
    assert epochs == [4, 7, 10]
    assert monitoring.retrain is not None and monitoring.retrain.retrain_count == 3


def test_no_retrain_when_early_stopping_ends_the_run(tmp_path: Path) -> None:
    run = Scripted([0.5, 0.4, 0.4, 0.4, 0.4, 0.4])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, patience=4, retrain={"patience": 2}
    )
    assert run.run().epoch == 5  # retrain 1 at epoch 3; at epoch 5 both are due: early stopping wins
    assert monitoring.retrain is not None and monitoring.retrain.retrain_count == 1


def test_retrain_event_reaches_tensorboard_logger_with_filters(tmp_path: Path) -> None:
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    run = Scripted(RETRAIN_SCORES)
    setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        {"model": run.model, "optimizer": run.optimizer},
        tmp_path / "ckpt",
        patience=10,
        retrain={"patience": 2, "max_retrains": 2, "lr_factor": 0.5},
    )
    tb_logger = TensorboardLogger(log_dir=tmp_path / "tb")
    tb_logger.attach_output_handler(
        run.trainer, RetrainEvents.RETRAIN_TRIGGERED, tag="all", state_attributes=["retrain_count", "epoch"]
    )
    tb_logger.attach_output_handler(
        run.trainer, RetrainEvents.RETRAIN_TRIGGERED(every=2), tag="every2", state_attributes=["epoch"]
    )
    tb_logger.attach_opt_params_handler(run.trainer, RetrainEvents.RETRAIN_TRIGGERED, optimizer=run.optimizer)
    run.run()
    tb_logger.close()
    events = event_accumulator.EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0})
    events.Reload()

    def points(tag: str) -> list[tuple[int, float]]:
        return [(e.step, e.value) for e in events.Scalars(tag)]

    assert points("all/retrain_count") == [(1, 1.0), (2, 2.0)]  # step: trainer.state.retrain_count
    assert points("all/epoch") == [(1, 4.0), (2, 7.0)]
    assert points("every2/epoch") == [(2, 7.0)]
    assert points("lr/group_0") == [(1, pytest.approx(0.05)), (2, pytest.approx(0.025))]  # float32


def test_restore_best_without_a_checkpoint_warns_and_counts(tmp_path: Path) -> None:
    run = Scripted([0.5, 0.4, 0.4, 0.4])
    saved_nothing = Checkpoint({"model": run.model}, DiskSaver(tmp_path))  # never attached
    retrain = RetrainOnPlateau(score_function("f1"), 2, run.trainer, saved_nothing, {"model": run.model})
    retrain.attach(run.evaluator)
    with pytest.warns(UserWarning, match=r"retrain 1 of 3 is counted but loads nothing"):
        run.run()
    assert run.trainer.state.retrain_count == 1
    assert state_equal(run.model.state_dict(), run.weights[4])  # weights untouched


def test_reinitialize_resets_every_module_from_the_random_state() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
    retrain = RetrainOnPlateau(lambda e: 0.5, 1, trainer, None, {"model": model}, strategy="reinitialize")
    retrain(evaluator)
    torch.manual_seed(7)
    retrain(evaluator)  # plateau: reinitialise now, from seed 7
    torch.manual_seed(7)
    expected = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    assert state_equal(model.state_dict(), expected.state_dict())
    assert trainer.state.retrain_count == 1


def test_user_score_function_returning_nan_is_no_improvement() -> None:
    run = Scripted([0.5, NAN, NAN, 0.9])
    retrain = RetrainOnPlateau(
        lambda e: e.state.metrics["f1"], 2, run.trainer, None, {"model": run.model}, strategy="reinitialize"
    )
    retrain.attach(run.evaluator)
    run.run()
    assert run.trainer.state.retrain_count == 1
    assert retrain.best_score == 0.9


def test_events_registered_at_construction_with_event_to_attr() -> None:
    trainer = Engine(lambda e, b: None)
    model = torch.nn.Linear(2, 2)
    RetrainOnPlateau(lambda e: 0.0, 1, trainer, None, {"model": model}, strategy="reinitialize")
    RetrainOnPlateau(lambda e: 0.0, 1, trainer, None, {"model": model}, strategy="reinitialize")
    assert trainer.has_registered_events(RetrainEvents.RETRAIN_TRIGGERED)
    assert trainer._allowed_events.count(RetrainEvents.RETRAIN_TRIGGERED) == 1  # registered once
    assert State.event_to_attr[RetrainEvents.RETRAIN_TRIGGERED] == "retrain_count"
    assert trainer.state.retrain_count == 0
    assert trainer.state.get_event_attrib_value(RetrainEvents.RETRAIN_TRIGGERED) == 0


def test_attach_to_the_trainer_is_refused() -> None:
    trainer = Engine(lambda e, b: None)
    retrain = RetrainOnPlateau(
        lambda e: 0.0, 1, trainer, None, {"model": torch.nn.Linear(2, 2)}, strategy="reinitialize"
    )
    with pytest.raises(ValueError, match=r"Argument `engine` must be the evaluator .* got the trainer"):
        retrain.attach(trainer)


def test_state_dict_round_trip(tmp_path: Path) -> None:
    trainer = Engine(lambda e, b: None)
    model = torch.nn.Linear(2, 2)
    first = RetrainOnPlateau(lambda e: 0.0, 3, trainer, None, {"model": model}, strategy="reinitialize")
    first.load_state_dict({"counter": 2, "best_score": 0.75, "retrain_count": 1})
    torch.save(first.state_dict(), tmp_path / "state.pt")
    other_trainer = Engine(lambda e, b: None)
    second = RetrainOnPlateau(
        lambda e: 0.0, 3, other_trainer, None, {"model": model}, strategy="reinitialize"
    )
    second.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    assert (second.counter, second.best_score, second.retrain_count) == (2, 0.75, 1)
    assert other_trainer.state.retrain_count == 1
    with pytest.raises(ValueError, match="Required state attribute 'retrain_count'"):
        second.load_state_dict({"counter": 0, "best_score": None})
    second.reset()
    assert (second.counter, second.best_score, second.retrain_count) == (0, None, 0)
    assert other_trainer.state.retrain_count == 0


def _retrain_error_cases(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer, directory: Path
) -> list[Any]:
    memory_saver = Checkpoint({"model": model}, lambda checkpoint, filename, metadata=None: None)
    disk = Checkpoint({"model": model}, DiskSaver(directory, require_empty=False))
    return [
        ({"score_function": 0.5}, TypeError, r"Argument `score_function` must be callable, got 0.5"),
        ({"patience": 0}, ValueError, r"Argument `patience` must be an integer >= 1, got 0"),
        ({"patience": 1.5}, TypeError, r"Argument `patience` must be an integer >= 1, got 1.5"),
        ({"trainer": "t"}, TypeError, r"Argument `trainer` must be an ignite Engine, got str"),
        ({"strategy": "rewind"}, ValueError, r"Argument `strategy` must be .* got 'rewind'"),
        ({"checkpoint": None}, ValueError, r"Argument `checkpoint` must be an ignite Checkpoint .* got None"),
        ({"checkpoint": "dir"}, TypeError, r"Argument `checkpoint` must be an ignite Checkpoint, got 'dir'"),
        ({"checkpoint": memory_saver}, ValueError, r"Argument `checkpoint` must save to disk"),
        (
            {"to_load": {"net": model}},
            ValueError,
            r"Argument `to_load` must name objects that `checkpoint` saves",
        ),
        ({"to_load": {}}, ValueError, r"Argument `to_load` must hold at least one object"),
        ({"to_load": [model]}, TypeError, r"Argument `to_load` must be a mapping"),
        ({"strategy": "reinitialize", "to_load": {"o": optimizer}}, ValueError, r"reset_parameters"),
        ({"optimizer": "adam"}, TypeError, r"Argument `optimizer` must be a torch Optimizer or None"),
        (
            {"min_delta": -1.0},
            ValueError,
            r"Argument `min_delta` must be a finite real number >= 0, got -1.0",
        ),
        ({"max_retrains": -1}, ValueError, r"Argument `max_retrains` must be an integer >= 0, got -1"),
        ({"reset_optimizer": 1}, TypeError, r"Argument `reset_optimizer` must be a bool, got 1"),
        (
            {"lr_factor": 0.0, "optimizer": optimizer},
            ValueError,
            r"Argument `lr_factor` must be .* > 0, got 0.0",
        ),
        ({"lr_factor": 0.5}, ValueError, r"Argument `lr_factor` needs an `optimizer`"),
        ({"checkpoint": disk}, None, None),  # valid: the base case with a disk checkpoint
    ]


def test_retrain_argument_errors(tmp_path: Path) -> None:
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for change, error, match in _retrain_error_cases(model, optimizer, tmp_path):
        kwargs: dict[str, Any] = {
            "score_function": score_function("f1"),
            "patience": 2,
            "trainer": Engine(lambda e, b: None),
            "checkpoint": Checkpoint({"model": model}, DiskSaver(tmp_path, require_empty=False)),
            "to_load": {"model": model},
        }
        kwargs.update(change)
        if error is None:
            RetrainOnPlateau(**kwargs)
        else:
            with pytest.raises(error, match=match):
                RetrainOnPlateau(**kwargs)


# --------------------------------------------------------------------------- TensorBoard through setup


def test_setup_with_log_dir_logs_f1_and_retrains(tmp_path: Path) -> None:
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    pytest.importorskip("ignite_f1.tensorboard")
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Engine(lambda e, b: None)
    evaluator = Engine(lambda e, b: b)
    MulticlassF1Score(num_classes=2, class_names=["cat", "dog"]).attach(evaluator, "f1")
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    predictions = [[0, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 1, 0], [0, 0, 1, 1, 1, 1]]
    trainer.add_event_handler(
        Events.EPOCH_COMPLETED,
        lambda e: evaluator.run([(torch.tensor(predictions[e.state.epoch - 1]), y)]),
    )
    monitoring = setup_f1_monitoring(
        trainer,
        evaluator,
        "f1",
        {"model": model, "optimizer": optimizer},
        tmp_path / "ckpt",
        patience=3,
        retrain={"patience": 2},
        log_dir=tmp_path / "tb",
    )
    trainer.run([0], max_epochs=4)
    assert isinstance(monitoring.tensorboard, TensorboardLogger)
    monitoring.tensorboard.close()
    events = event_accumulator.EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0})
    events.Reload()
    f1 = [(e.step, round(e.value, 6)) for e in events.Scalars("validation/f1")]
    expected = [f1_score(y.numpy(), p, average="macro") for p in predictions]
    assert f1 == [(epoch, round(value, 6)) for epoch, value in enumerate(expected, start=1)]
    assert [e.step for e in events.Scalars("validation/f1/cat")] == [1, 2, 3, 4]
    assert [(e.step, e.value) for e in events.Scalars("retrain/retrain_count")] == [(4, 1.0)]


def test_only_rank_0_writes_tensorboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ignite_f1.tensorboard")
    import ignite.distributed as idist

    monkeypatch.setattr(idist, "get_rank", lambda: 1)  # as the second process of a distributed run
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: b)
    MulticlassF1Score(num_classes=2).attach(evaluator, "f1")
    model = torch.nn.Linear(2, 2)
    monitoring = setup_f1_monitoring(
        trainer, evaluator, "f1", {"model": model}, tmp_path / "ckpt", log_dir=tmp_path / "tb"
    )
    y = torch.tensor([0, 1, 1])
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda e: evaluator.run([(y, y)]))
    trainer.run([0], max_epochs=2)
    assert monitoring.tensorboard is None
    assert not (tmp_path / "tb").exists()


def test_score_function_drives_model_checkpoint(tmp_path: Path) -> None:
    from ignite.handlers import ModelCheckpoint

    run = Scripted([0.5, NAN, 0.7, 0.6])
    saver = ModelCheckpoint(
        tmp_path, "best", n_saved=2, score_function=score_function("f1"), score_name="f1", require_empty=True
    )
    run.evaluator.add_event_handler(Events.COMPLETED, saver, {"model": run.model})
    run.run()
    # the NaN evaluation scores -inf: the first file to give way; the two best scores are kept
    assert pt_files(tmp_path) == ["best_model_f1=0.6000.pt", "best_model_f1=0.7000.pt"]
    assert state_equal(torch.load(tmp_path / "best_model_f1=0.7000.pt", weights_only=True), run.weights[3])


# --------------------------------------------------------------------------- real training on digits


def _imbalanced_digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Digits 0-4 kept whole, 80% of each of 5-9 dropped; 70/30 train/validation split."""
    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    keep = np.ones(len(y), dtype=bool)
    for digit in range(5, 10):
        rows = np.flatnonzero(y == digit)
        keep[rng.choice(rows, size=int(0.8 * len(rows)), replace=False)] = False
    x, y = x[keep] / 16.0, y[keep]
    order = rng.permutation(len(y))
    cut = int(0.7 * len(y))
    train, val = order[:cut], order[cut:]
    as_x = lambda rows: torch.tensor(x[rows], dtype=torch.float32)  # noqa: E731
    as_y = lambda rows: torch.tensor(y[rows], dtype=torch.int64)  # noqa: E731
    return as_x(train), as_y(train), as_x(val), as_y(val)


def test_real_training_on_digits_best_checkpoint_gives_the_best_f1(tmp_path: Path) -> None:
    x_train, y_train, x_val, y_val = _imbalanced_digits()
    assert torch.bincount(y_train)[:5].min() > 3 * torch.bincount(y_train)[5:].max()  # imbalanced
    torch.manual_seed(0)

    def new_model() -> torch.nn.Module:
        return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))

    model = new_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train = [(x_train[i : i + 32], y_train[i : i + 32]) for i in range(0, len(y_train), 32)]
    val = [(x_val[i : i + 100], y_val[i : i + 100]) for i in range(0, len(y_val), 100)]
    trainer = create_supervised_trainer(model, optimizer, torch.nn.CrossEntropyLoss())
    evaluator = create_supervised_evaluator(model, metrics={"f1": MulticlassF1Score(num_classes=10)})
    history: list[float] = []

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: Engine) -> None:
        history.append(evaluator.run(val).metrics["f1"])

    @trainer.on(Events.EPOCH_STARTED(once=6))
    def damage(engine: Engine) -> None:  # the model gets worse late: the best epoch is not the last
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(torch.randn(parameter.shape, generator=torch.Generator().manual_seed(1)))

    monitoring = setup_f1_monitoring(trainer, evaluator, "f1", {"model": model}, tmp_path, patience=10)
    trainer.run(train, max_epochs=6)

    best = max(history)
    best_epoch = history.index(best) + 1
    assert history[-1] < best
    assert monitoring.best_checkpoint == tmp_path / f"best_model_{best_epoch}_f1={best:.4f}.pt"
    assert listing(tmp_path) == [monitoring.best_checkpoint.name]

    restored = new_model()
    Checkpoint.load_objects({"model": restored}, monitoring.best_checkpoint)
    tester = create_supervised_evaluator(restored, metrics={"f1": MulticlassF1Score(num_classes=10)})
    assert tester.run(val).metrics["f1"] == best  # exactly the recorded best F1
    with torch.no_grad():
        predictions = restored(x_val).argmax(1)
    assert f1_score(y_val.numpy(), predictions.numpy(), average="macro") == pytest.approx(best, abs=1e-12)
    weights = torch.load(monitoring.best_checkpoint, weights_only=True)
    assert state_equal(weights, restored.state_dict())


# --------------------------------------------------------------------------- resume in a new process


def _load_worker() -> Any:
    spec = importlib.util.spec_from_file_location("_resume_worker", HERE / "_resume_worker.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_worker(workdir: Path, phase: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HERE / "_resume_worker.py"), str(workdir), phase],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_resume_in_a_new_process_continues_identically(tmp_path: Path) -> None:
    worker = _load_worker()
    full = worker.run_phase(tmp_path, "full")
    first = worker.run_phase(tmp_path, "first")
    process = _run_worker(tmp_path, "resume")
    assert process.returncode == 0, process.stderr
    resumed = json.loads((tmp_path / "resume.json").read_text())

    # The uninterrupted run goes as scripted: retrains after epochs 4 and 7, the end after epoch 9.
    assert full["final_epoch"] == 9
    assert [r["retrain_count"] for r in full["records"]] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert first["final_epoch"] == worker.INTERRUPT_AFTER

    # What the new process loaded is the state at the interruption...
    last = first["records"][-1]
    assert resumed["loaded"] == {
        "epoch": worker.INTERRUPT_AFTER,
        "train_f1": last["train_f1"],
        "early_stopping": last["early_stopping"],
        "retrain": last["retrain"],
        "retrain_count": last["retrain_count"],
        "best_checkpoint": last["best_checkpoint"],
        "best_checkpoint_exists": True,
    }
    # ...and from there it continues exactly as the uninterrupted run: scores, counters, learning
    # rate, weights (retrain 2 restores a file the first process wrote), final weights and files.
    assert first["records"] + resumed["records"] == full["records"]
    assert resumed["final_epoch"] == full["final_epoch"]
    assert resumed["best_files"] == full["best_files"]
    assert resumed["hidden_files"] == first["hidden_files"]  # one run: one ledger, no temporary file
    assert len(first["hidden_files"]) == 1 and LEDGER.fullmatch(first["hidden_files"][0])
    full_model = torch.load(tmp_path / "full_model.pt", weights_only=True)
    assert state_equal(torch.load(tmp_path / "resume_model.pt", weights_only=True), full_model)
    (best_name,) = full["best_files"]
    assert state_equal(
        torch.load(tmp_path / "best" / best_name, weights_only=True)["model"],
        torch.load(tmp_path / "best_full" / best_name, weights_only=True)["model"],
    )


def test_resume_after_a_crash_between_the_best_save_and_the_resume_save(tmp_path: Path) -> None:
    """The crashed process wrote epoch 5's best file (deleting epoch 2's) but not epoch 5's resume
    checkpoint: the restored state names epoch 2's file. The new process takes over epoch 5's file
    (its run's, written after that state), names it, and goes on as the uninterrupted run."""
    worker = _load_worker()
    full = worker.run_phase(tmp_path, "full")
    crash = _run_worker(tmp_path, "crash")
    assert crash.returncode == worker.CRASH_EXIT_CODE, crash.stderr
    epoch_2, epoch_5 = (full["records"][epoch - 1]["best_checkpoint"] for epoch in (2, 5))
    assert pt_files(tmp_path / "best") == [epoch_5]  # what the crash left
    process = _run_worker(tmp_path, "resume")
    assert process.returncode == 0, process.stderr  # was: FileExistsError for epoch 5's own file
    resumed = json.loads((tmp_path / "resume.json").read_text())
    assert resumed["loaded"]["epoch"] == worker.CRASH_AFTER - 1
    assert full["records"][worker.CRASH_AFTER - 2]["best_checkpoint"] == epoch_2  # what the state named
    assert resumed["loaded"]["best_checkpoint"] == epoch_5  # was: epoch 2's, deleted
    assert resumed["loaded"]["best_checkpoint_exists"]
    assert resumed["records"] == full["records"][worker.CRASH_AFTER - 1 :]
    assert resumed["best_files"] == full["best_files"]
    assert len(resumed["hidden_files"]) == 1  # the crashed run's ledger, taken over; no temporary file
    full_model = torch.load(tmp_path / "full_model.pt", weights_only=True)
    assert state_equal(torch.load(tmp_path / "resume_model.pt", weights_only=True), full_model)
