"""An evaluation stopped by ``terminate()`` during its epoch is skipped by every monitoring handler.

Ignite fires the evaluator's ``COMPLETED`` after ``terminate()`` but not ``EPOCH_COMPLETED``, where
the metrics compute: ``state.metrics`` still holds the previous evaluation's score. The handlers
used to act on it: a checkpoint of the current weights named with the old score (and, with
``n_saved``, a real file rotated out for it), an early-stopping count of an evaluation that did not
happen, and the old score drawn in TensorBoard at the new step.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import pytest
import torch
from _scripted import Scripted, pt_files
from ignite.engine import Engine, Events
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ignite_f1 import MulticlassF1Score
from ignite_f1.handlers import RetrainEvents, setup_f1_monitoring

SCORES = [0.5, 0.7, 0.99, 0.8]  # epoch 3's evaluation is terminated: its 0.99 is never set
TERMINATED_EPOCH = 3


def _terminate_at(run: Scripted, epoch: int, skip_completed: bool = False) -> None:
    def stop(evaluator: Engine) -> None:
        if run.trainer.state.epoch == epoch:
            evaluator.terminate(skip_completed=skip_completed)

    run.evaluator.add_event_handler(Events.ITERATION_COMPLETED, stop)


def test_a_terminated_evaluation_saves_no_file_and_counts_nothing(tmp_path: Path) -> None:
    run = Scripted(SCORES)
    _terminate_at(run, TERMINATED_EPOCH)
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "ckpt", patience=3, n_saved=None
    )
    counters: list[tuple[int, int]] = []  # the early-stopping counter after each epoch
    run.trainer.add_event_handler(
        Events.EPOCH_COMPLETED,
        lambda trainer: counters.append((trainer.state.epoch, monitoring.early_stopping.counter)),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run.run()
    assert run.evaluator.state.metrics["f1"] == 0.8  # the last, completed evaluation
    # the terminated epoch saved nothing (it would have been best_model_3_f1=0.7000.pt)
    assert pt_files(tmp_path / "ckpt") == [
        "best_model_1_f1=0.5000.pt",
        "best_model_2_f1=0.7000.pt",
        "best_model_4_f1=0.8000.pt",
    ]
    assert counters == [(1, 0), (2, 0), (3, 0), (4, 0)]  # epoch 3 counted no plateau
    terminated = [str(w.message) for w in caught if "terminate()" in str(w.message)]
    assert len(terminated) == 1, [str(w.message) for w in caught]  # one warning for the skipped evaluation
    assert "state.metrics['f1']" in terminated[0] and "skipped" in terminated[0]


def test_n_saved_keeps_the_real_files_and_early_stopping_the_whole_patience(tmp_path: Path) -> None:
    scores = [0.9, 0.5, 0.99, 0.5, 0.5]  # epoch 3 terminated; epochs 2, 4 and 5 are plateaus
    run = Scripted(scores)
    _terminate_at(run, TERMINATED_EPOCH)
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "ckpt", patience=3, n_saved=2
    )
    with pytest.warns(UserWarning, match=r"terminate\(\)"):
        run.run()
    assert run.trainer.state.epoch == 5  # 3 plateaus end the run at epoch 5, not at epoch 4
    assert pt_files(tmp_path / "ckpt") == ["best_model_1_f1=0.9000.pt", "best_model_2_f1=0.5000.pt"]
    assert monitoring.best_checkpoint == tmp_path / "ckpt" / "best_model_1_f1=0.9000.pt"


def test_a_terminated_evaluation_is_no_plateau_of_the_retrain_trigger(tmp_path: Path) -> None:
    scores = [0.9, 0.5, 0.99, 0.5]  # retrain after 2 plateaus: epochs 2 and 4, epoch 3 terminated
    run = Scripted(scores)
    _terminate_at(run, TERMINATED_EPOCH)
    monitoring = setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        {"model": run.model},
        tmp_path / "ckpt",
        patience=9,
        retrain={"patience": 2},
    )
    retrained_at: list[int] = []
    run.trainer.add_event_handler(
        RetrainEvents.RETRAIN_TRIGGERED, lambda t: retrained_at.append(t.state.epoch)
    )
    with pytest.warns(UserWarning, match=r"terminate\(\)"):
        run.run()
    assert retrained_at == [4]
    assert monitoring.retrain is not None and run.trainer.state.retrain_count == 1


def test_a_terminated_evaluation_writes_nothing_to_tensorboard(tmp_path: Path) -> None:
    pytest.importorskip("tensorboardX")
    generator = torch.Generator().manual_seed(0)
    batches = [(torch.randn(16, 3, generator=generator), torch.randint(0, 3, (16,), generator=generator))]
    batches.append(batches[0])
    trainer = Engine(lambda engine, batch: None)
    evaluator = Engine(lambda engine, batch: batch)
    MulticlassF1Score(num_classes=3).attach(evaluator, "f1")
    evaluator.add_event_handler(
        Events.ITERATION_COMPLETED,
        lambda e: e.terminate() if trainer.state.epoch == TERMINATED_EPOCH else None,
    )
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run(batches))
    model = torch.nn.Linear(3, 3)
    monitoring = setup_f1_monitoring(
        trainer, evaluator, "f1", {"model": model}, tmp_path / "ckpt", patience=9, log_dir=tmp_path / "tb"
    )
    with pytest.warns(UserWarning, match=r"terminate\(\)"):
        trainer.run([0], max_epochs=4)
    monitoring.tensorboard.close()
    scalars = EventAccumulator(str(tmp_path / "tb")).Reload()
    f1 = evaluator.state.metrics["f1"]
    for tag in ("validation/f1", "validation/f1/0"):
        assert [e.step for e in scalars.Scalars(tag)] == [1, 2, 4], tag
    assert [e.value for e in scalars.Scalars("validation/f1")] == [pytest.approx(f1)] * 3


def test_skip_completed_and_terminate_epoch_are_unchanged(tmp_path: Path) -> None:
    # terminate(skip_completed=True) fires no COMPLETED: nothing runs, and nothing warns
    run = Scripted(SCORES)
    _terminate_at(run, TERMINATED_EPOCH, skip_completed=True)
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "a", patience=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.run()
    assert pt_files(tmp_path / "a") == ["best_model_4_f1=0.8000.pt"]
    # terminate_epoch() completes the epoch: the metrics compute, and the evaluation counts
    run = Scripted(SCORES)
    run.evaluator.add_event_handler(
        Events.ITERATION_COMPLETED,
        lambda e: e.terminate_epoch() if run.trainer.state.epoch == TERMINATED_EPOCH else None,
    )
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "b", patience=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.run()
    assert pt_files(tmp_path / "b") == ["best_model_3_f1=0.9900.pt"]


def test_an_evaluator_terminated_in_a_later_epoch_is_skipped_too(tmp_path: Path) -> None:
    # Its metrics were reset at the epoch's start: the counts are those of part of that epoch.
    run = Scripted(SCORES)
    run.trainer.remove_event_handler(run._evaluate, Events.EPOCH_COMPLETED)
    run.trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: run.evaluator.run([0, 1], max_epochs=2))
    run.evaluator.add_event_handler(
        Events.ITERATION_COMPLETED,
        lambda e: (
            e.terminate() if run.trainer.state.epoch == TERMINATED_EPOCH and e.state.epoch == 2 else None
        ),
    )
    setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "ckpt", n_saved=None
    )
    with pytest.warns(UserWarning, match=r"terminate\(\)"):
        run.run()
    assert pt_files(tmp_path / "ckpt") == [
        "best_model_1_f1=0.5000.pt",
        "best_model_2_f1=0.7000.pt",
        "best_model_4_f1=0.8000.pt",
    ]


@pytest.mark.parametrize("stop", ["terminate", "max_iters"])
def test_an_evaluation_that_never_completes_an_epoch_still_fails_loudly(tmp_path: Path, stop: str) -> None:
    # terminate() or max_iters before the epoch's end at every evaluation: no score at all, which the
    # handlers refuse as before (the filter skips only an evaluation with an earlier score to act on)
    run = Scripted(SCORES)
    if stop == "terminate":
        run.evaluator.add_event_handler(Events.ITERATION_COMPLETED, lambda e: e.terminate())
    else:
        if "max_iters" not in inspect.signature(Engine.run).parameters:
            pytest.skip("this pytorch-ignite has no Engine.run(max_iters=...) (added after 0.5.4)")
        run.trainer.remove_event_handler(run._evaluate, Events.EPOCH_COMPLETED)
        run.trainer.add_event_handler(
            Events.EPOCH_COMPLETED, lambda: run.evaluator.run([0, 1, 2, 3], max_iters=2)
        )
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "ckpt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Exception, match=r"Metric .f1. is not in engine\.state\.metrics"):
            run.run()
    assert pt_files(tmp_path / "ckpt") == []


def test_monitoring_completed_is_the_filtered_event_to_attach_again_with(tmp_path: Path) -> None:
    run = Scripted([0.9, 0.5, 0.99, 0.5])  # retrain after 2 plateaus: epochs 2 and 4, epoch 3 terminated
    _terminate_at(run, TERMINATED_EPOCH)
    monitoring = setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        {"model": run.model},
        tmp_path / "ckpt",
        patience=9,
        retrain={"patience": 2},
    )
    assert monitoring.retrain is not None
    run.evaluator.remove_event_handler(monitoring.retrain, Events.COMPLETED)
    monitoring.retrain.attach(run.evaluator, monitoring.completed)  # as the retrain guide says
    retrained_at: list[int] = []
    run.trainer.add_event_handler(
        RetrainEvents.RETRAIN_TRIGGERED, lambda t: retrained_at.append(t.state.epoch)
    )
    with pytest.warns(UserWarning, match=r"terminate\(\)"):
        run.run()
    assert retrained_at == [4]
