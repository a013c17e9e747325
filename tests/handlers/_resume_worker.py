"""The resume scenario of ``test_checkpoint.py``: one training run, whole or cut in two processes.

``python _resume_worker.py WORKDIR PHASE`` runs one phase and writes ``WORKDIR/PHASE.json``:

- ``full``: 12 epochs at most, uninterrupted, best-F1 files in ``WORKDIR/best_full``;
- ``first``: the same run, saving a resume checkpoint of everything after each epoch in
  ``WORKDIR/resume``, interrupted after epoch :data:`INTERRUPT_AFTER`; best files in ``WORKDIR/best``;
- ``crash``: the same run as ``first``, killed (``os._exit``) after epoch :data:`CRASH_AFTER`'s
  best-F1 file was written and before that epoch's resume checkpoint: the resume checkpoint is
  the one of the epoch before, whose state names a best file that the crash deleted;
- ``resume``: a new process loads the resume checkpoint and runs to the end, with the same
  ``WORKDIR/best``.

Training is real (SGD with momentum on a linear model); the validation F1 is a real
``MulticlassF1Score`` computed on scripted predictions, so that the plateaus, retrains and the end
of training happen at known epochs. The test compares ``first`` + ``resume`` with ``full``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import torch
from ignite.engine import Engine, Events
from ignite.handlers import Checkpoint, DiskSaver

from ignite_f1 import MulticlassF1Score
from ignite_f1.handlers import setup_f1_monitoring

# Validation errors per epoch (fewer errors, higher F1). Expected flow, retrain patience 2:
# 1 first; 2 best; 3, 4 plateau -> retrain 1 (restores epoch 2); 5 best; 6 plateau; [interrupted];
# 7 plateau -> retrain 2 (restores epoch 5, a file of the first process); 8, 9 plateau -> no retrain
# left: training ends after epoch 9.
ERRORS = [8, 6, 6, 7, 5, 5, 6, 5, 6, 4, 3, 2]
INTERRUPT_AFTER = 6
CRASH_AFTER = 5  # a new best F1: its file replaces epoch 2's
CRASH_EXIT_CODE = 3
MAX_EPOCHS = 12
N_VAL = 20


def validation_batches(errors: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Ten samples of each class; the first ``errors`` samples of class 0 are predicted as 1."""
    y = torch.tensor([0] * (N_VAL // 2) + [1] * (N_VAL // 2))
    y_pred = y.clone()
    y_pred[:errors] = 1
    return [(y_pred[:10], y[:10]), (y_pred[10:], y[10:])]


def build(best_dir: Path, require_empty: bool) -> dict[str, Any]:
    """Model, optimizer, trainer, evaluator and the F1 monitoring, from the same seed each time."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(32, 4, generator=generator)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    train = [(x[i : i + 8], y[i : i + 8]) for i in range(0, 32, 8)]

    def train_step(engine: Engine, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        optimizer.zero_grad()
        logits = model(batch[0])
        torch.nn.functional.cross_entropy(logits, batch[1]).backward()
        optimizer.step()
        return logits.detach(), batch[1]

    trainer = Engine(train_step)
    train_f1 = MulticlassF1Score(num_classes=2, zero_division=0.0)
    train_f1.attach(trainer, "train_f1")
    evaluator = Engine(lambda engine, batch: batch)
    MulticlassF1Score(num_classes=2).attach(evaluator, "val/f1")

    def evaluate(engine: Engine) -> None:
        evaluator.run(validation_batches(ERRORS[engine.state.epoch - 1]))

    trainer.add_event_handler(Events.EPOCH_COMPLETED, evaluate)
    monitoring = setup_f1_monitoring(
        trainer,
        evaluator,
        "val/f1",
        {"model": model, "optimizer": optimizer},
        best_dir,
        patience=6,
        retrain={"patience": 2, "max_retrains": 2, "lr_factor": 0.5},
        require_empty=require_empty,
    )
    assert monitoring.retrain is not None
    records: list[dict[str, Any]] = []

    def record(engine: Engine) -> None:
        retrain = monitoring.retrain
        assert retrain is not None
        records.append(
            {
                "epoch": engine.state.epoch,
                "f1": evaluator.state.metrics["val/f1"],
                "train_f1": engine.state.metrics["train_f1"],
                "early_stopping": dict(monitoring.early_stopping.state_dict()),
                "retrain": dict(retrain.state_dict()),
                "retrain_count": engine.state.retrain_count,
                "lr": optimizer.param_groups[0]["lr"],
                "momentum_buffers": len(optimizer.state),
                "weight": model.weight.tolist(),
                "bias": model.bias.tolist(),
                "best_checkpoint": monitoring.best_checkpoint.name if monitoring.best_checkpoint else None,
            }
        )

    trainer.add_event_handler(Events.EPOCH_COMPLETED, record)
    to_resume = {
        "trainer": trainer,
        "model": model,
        "optimizer": optimizer,
        "train_f1": train_f1,
        **monitoring.objects_to_save(),
    }
    return {
        "trainer": trainer,
        "train": train,
        "model": model,
        "monitoring": monitoring,
        "records": records,
        "to_resume": to_resume,
        "train_f1": train_f1,
    }


def run_phase(workdir: Path, phase: str) -> dict[str, Any]:
    """Run ``phase`` in ``workdir``, write ``PHASE.json`` there and return what it holds."""
    best_dir = workdir / ("best_full" if phase == "full" else "best")
    parts = build(best_dir, require_empty=phase != "resume")
    trainer: Engine = parts["trainer"]
    loaded: dict[str, Any] = {}
    if phase == "crash":  # runs after the evaluation (and its best-F1 save), before the resume save
        trainer.add_event_handler(Events.EPOCH_COMPLETED(once=CRASH_AFTER), lambda: os._exit(CRASH_EXIT_CODE))
    if phase in ("first", "crash"):
        resume = Checkpoint(parts["to_resume"], DiskSaver(workdir / "resume"), n_saved=1)
        trainer.add_event_handler(Events.EPOCH_COMPLETED, resume)
        trainer.add_event_handler(Events.EPOCH_COMPLETED(once=INTERRUPT_AFTER), lambda: trainer.terminate())
    if phase == "resume":
        (path,) = sorted((workdir / "resume").glob("*.pt"))
        Checkpoint.load_objects(parts["to_resume"], torch.load(path, weights_only=True))
        retrain = parts["monitoring"].retrain
        loaded = {
            "epoch": trainer.state.epoch,
            "train_f1": parts["train_f1"].compute(),
            "early_stopping": dict(parts["monitoring"].early_stopping.state_dict()),
            "retrain": dict(retrain.state_dict()),
            "retrain_count": trainer.state.retrain_count,
            "best_checkpoint": parts["monitoring"].best_checkpoint.name,
            "best_checkpoint_exists": parts["monitoring"].best_checkpoint.is_file(),
        }
        trainer.run(parts["train"])
    else:
        trainer.run(parts["train"], max_epochs=MAX_EPOCHS)
    result = {
        "records": parts["records"],
        "loaded": loaded,
        "final_epoch": trainer.state.epoch,
        "best_files": sorted(p.name for p in best_dir.iterdir() if not p.name.startswith(".")),
        "hidden_files": sorted(p.name for p in best_dir.iterdir() if p.name.startswith(".")),
    }
    (workdir / f"{phase}.json").write_text(json.dumps(result))
    torch.save(parts["model"].state_dict(), workdir / f"{phase}_model.pt")
    return result


if __name__ == "__main__":
    run_phase(Path(sys.argv[1]), sys.argv[2])
