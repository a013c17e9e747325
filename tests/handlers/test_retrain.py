"""Tests of ignite_f1.handlers.retrain: RetrainOnPlateau and RetrainEvents.

A real trainer and evaluator run with a scripted validation F1 (one value per epoch), so every
retrain happens at a known epoch; the training step moves the weights of a real model with SGD and
momentum, so restored weights and optimizer resets are checked on real tensors.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _scripted import NAN, Scripted, state_equal
from ignite.engine import Engine, Events, State
from ignite.handlers import Checkpoint, DiskSaver, EarlyStopping, TensorboardLogger, global_step_from_engine

from ignite_f1.handlers import (
    RetrainEvents,
    RetrainOnPlateau,
    score_function,
    setup_f1_monitoring,
)


@pytest.mark.parametrize("seed", range(6))
def test_retrain_patience_matches_early_stopping(seed: int) -> None:
    """With no retrain allowed, RetrainOnPlateau ends training exactly when EarlyStopping does."""
    rng = np.random.default_rng(seed)
    scores = rng.choice([0.5, 0.52, 0.55, 0.6, 0.61, NAN], size=15).tolist()
    patience, min_delta = int(rng.integers(1, 4)), float(rng.choice([0.0, 0.02]))
    reference = Scripted(scores)
    # positionally: the 4th parameter is `min_delta` on Ignite 0.5.4 and `threshold` from 0.5.5
    early_stopping = EarlyStopping(patience, score_function("f1"), reference.trainer, min_delta)
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


@pytest.mark.parametrize("reset_optimizer", [True, False])
def test_lr_factor_compounds_when_the_optimizer_is_restored(tmp_path: Path, reset_optimizer: bool) -> None:
    """Loading the best file brings back the best epoch's learning rates; lr_factor multiplies the
    rates training ran with, so after n retrains they are lr * lr_factor ** n, group by group.

    Epoch 2 stays the best: both retrains (epochs 4 and 6) load its file, saved at the first rates;
    the third plateau (epoch 8) ends training."""
    run = Scripted([0.5, 0.7] + [0.6] * 8)
    run.optimizer.add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], "lr": 0.3})
    both = {"model": run.model, "optimizer": run.optimizer}
    setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        both,
        tmp_path,
        patience=10,
        retrain={
            "patience": 2,
            "max_retrains": 2,
            "lr_factor": 0.5,
            "to_load": both,
            "reset_optimizer": reset_optimizer,
        },
    )
    seen: list[tuple[Any, ...]] = []

    @run.trainer.on(RetrainEvents.RETRAIN_TRIGGERED)
    def on_retrain(engine: Engine) -> None:
        seen.append((copy.deepcopy(run.model.state_dict()), *(g["lr"] for g in run.optimizer.param_groups)))

    assert run.run().epoch == 8
    assert [s[1:] for s in seen] == [(0.05, 0.15), (0.025, 0.075)]
    assert state_equal(seen[0][0], run.weights[2]) and state_equal(seen[1][0], run.weights[2])
    (best,) = tmp_path.glob("best_*.pt")
    assert [g["lr"] for g in torch.load(best, weights_only=True)["optimizer"]["param_groups"]] == [0.1, 0.3]


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


def test_the_trainers_later_handlers_still_see_its_epoch_event_after_a_retrain(tmp_path: Path) -> None:
    """The retrain event is fired inside the trainer's EPOCH_COMPLETED: Ignite's own Checkpoint of
    the trainer, attached after the evaluation and named by ``global_step_from_engine(trainer)``,
    took the retrain count as its step, and the retrains' files replaced those of epochs 1 and 2."""
    run = Scripted([0.5, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6])
    setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "best", retrain={"patience": 2}
    )
    resume = Checkpoint(
        {"model": run.model, "trainer": run.trainer},
        DiskSaver(tmp_path / "resume"),
        n_saved=None,
        global_step_transform=global_step_from_engine(run.trainer),
    )
    seen: list[Any] = []
    run.trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda t: seen.append(t.last_event_name))
    run.trainer.add_event_handler(Events.EPOCH_COMPLETED, resume)
    assert run.run().retrain_count == 2  # at epochs 4 and 6
    assert seen == [Events.EPOCH_COMPLETED] * 7
    files = sorted((tmp_path / "resume").iterdir(), key=lambda path: path.stat().st_mtime_ns)
    assert [path.name for path in files] == [f"checkpoint_{epoch}.pt" for epoch in range(1, 8)]
    for epoch, path in enumerate(files, start=1):
        assert torch.load(path, weights_only=True)["trainer"]["iteration"] == epoch  # one per epoch


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
    saved_nothing = Checkpoint({"model": run.model}, DiskSaver(tmp_path), score_function=score_function("f1"))
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


def test_events_registered_at_attach_with_event_to_attr() -> None:
    trainer = Engine(lambda e, b: None)
    model = torch.nn.Linear(2, 2)
    first = RetrainOnPlateau(lambda e: 0.0, 1, trainer, None, {"model": model}, strategy="reinitialize")
    second = RetrainOnPlateau(lambda e: 0.0, 1, trainer, None, {"model": model}, strategy="reinitialize")
    assert not trainer.has_registered_events(RetrainEvents.RETRAIN_TRIGGERED)  # construction changes nothing
    first.attach(Engine(lambda e, b: None))
    second.attach(Engine(lambda e, b: None))
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
    score = score_function("f1")
    memory_saver = Checkpoint(
        {"model": model}, lambda checkpoint, filename, metadata=None: None, score_function=score
    )
    disk = Checkpoint({"model": model}, DiskSaver(directory, require_empty=False), score_function=score)
    return [
        ({"score_function": 0.5}, TypeError, r"Argument `score_function` must be callable, got 0.5"),
        ({"patience": 0}, ValueError, r"Argument `patience` must be an integer >= 1, got 0"),
        ({"patience": 1.5}, TypeError, r"Argument `patience` must be an integer >= 1, got 1.5"),
        ({"trainer": "t"}, TypeError, r"Argument `trainer` must be an ignite Engine, got str"),
        ({"strategy": "rewind"}, ValueError, r"Argument `strategy` must be .* got 'rewind'"),
        ({"checkpoint": None}, ValueError, r"Argument `checkpoint` must be an ignite Checkpoint .* got None"),
        ({"checkpoint": "dir"}, TypeError, r"Argument `checkpoint` must be an ignite Checkpoint, got 'dir'"),
        ({"checkpoint": memory_saver}, ValueError, r"Argument `checkpoint` must save to disk"),
        (  # its last_checkpoint is its newest file: the retrain would load the latest weights
            {
                "checkpoint": Checkpoint(
                    {"model": model}, DiskSaver(directory, require_empty=False), n_saved=3
                )
            },
            ValueError,
            r"Argument `checkpoint` must rank its files by score for strategy='restore_best' .*without one",
        ),
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
        (
            {"reset_optimizer": 1},
            TypeError,
            r"Argument `reset_optimizer` must be True or False \(a bool\), got 1",
        ),
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
            "checkpoint": Checkpoint(
                {"model": model},
                DiskSaver(tmp_path, require_empty=False),
                score_function=score_function("f1"),
            ),
            "to_load": {"model": model},
        }
        kwargs.update(change)
        if error is None:
            RetrainOnPlateau(**kwargs)
        else:
            with pytest.raises(error, match=match):
                RetrainOnPlateau(**kwargs)
