"""ignite_f1 in PyTorch Lightning: a LightningModule logs MulticlassF1Score with ``self.log``, and
Lightning's own EarlyStopping and ModelCheckpoint act on it (``mode="max"``).

Needs the ``lightning`` extra (``pip install -e ".[lightning]"``); skipped without it. It trains a
model, so it is marked slow: ``.ci/run`` installs the extra and runs it with the other slow tests.
docs/guides/outside-ignite.md shows the module and the trainer from this file.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from sklearn.metrics import f1_score

from ignite_f1 import MulticlassF1Score

pl = pytest.importorskip(
    "pytorch_lightning",
    reason='PyTorch Lightning is not installed: pip install -e ".[lightning]" (.ci/run does)',
)

pytestmark = pytest.mark.slow


# --8<-- [start:module]
class Classifier(pl.LightningModule):
    def __init__(self, model: torch.nn.Module, num_classes: int) -> None:
        super().__init__()
        self.model, self.num_classes = model, num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.cross_entropy(self(x), y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def on_validation_epoch_start(self) -> None:
        # A Metric is not an nn.Module, so Lightning does not move it:
        # make it here, where the device is known.
        self.val_f1 = MulticlassF1Score(self.num_classes, device=self.device)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.val_f1.update((self(x), y))  # Lightning runs this in no_grad

    def on_validation_epoch_end(self) -> None:
        # compute() sums the counts of all processes: the F1 of the whole
        # validation set, the same everywhere; callbacks can monitor it
        self.log("val_f1", self.val_f1.compute())


# --8<-- [end:module]


def _data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """3 imbalanced classes from 8 features."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(900, 8, generator=g)
    y = (x[:, 0] > 0.3).long() + (x[:, 1] > 1.0).long()
    return x, y


def test_lightning_logs_the_f1_of_the_whole_validation_set_and_its_callbacks_use_it(tmp_path: Path) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    pl.seed_everything(0, verbose=False)
    x, y = _data()
    train = DataLoader(TensorDataset(x[:600], y[:600]), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(x[600:], y[600:]), batch_size=64)  # 300 samples, 5 batches
    history: list[float] = []

    class Record(pl.Callback):
        def on_validation_end(self, trainer: Any, module: Any) -> None:
            if not trainer.sanity_checking:
                history.append(float(trainer.callback_metrics["val_f1"]))

    # --8<-- [start:trainer]
    from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

    early_stopping = EarlyStopping(monitor="val_f1", mode="max", patience=3)
    best = ModelCheckpoint(monitor="val_f1", mode="max", dirpath=tmp_path)
    trainer = pl.Trainer(
        max_epochs=60,
        callbacks=[early_stopping, best, Record()],
        default_root_dir=tmp_path,
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    model = Classifier(torch.nn.Linear(8, 3), num_classes=3)
    with warnings.catch_warnings():  # DataLoader workers: not the point here
        warnings.filterwarnings("ignore", ".*does not have many workers")
        trainer.fit(model, train, val)
    # --8<-- [end:trainer]

    # Lightning's EarlyStopping stopped on F1 before the epoch limit, F1 having stalled for 3 epochs
    assert early_stopping.stopped_epoch > 0 and trainer.current_epoch < 60
    assert len(history) == trainer.current_epoch
    assert max(history[-3:]) <= max(history[:-3])
    # ModelCheckpoint kept the epoch of the best F1
    assert best.best_model_score is not None and float(best.best_model_score) == max(history)
    assert Path(best.best_model_path).is_file()

    # the logged value is scikit-learn's F1 on the whole validation set, not a mean of batch F1s
    model.eval()
    with torch.no_grad():
        predictions = model(x[600:]).argmax(1)
    expected = f1_score(y[600:].numpy(), predictions.numpy(), average="macro")
    assert history[-1] == pytest.approx(expected, rel=1e-6)  # logged as float32
    [validated] = trainer.validate(model, val, verbose=False)
    assert validated["val_f1"] == pytest.approx(expected, rel=1e-6)
    batch_mean = sum(
        f1_score(y[i : i + 64].numpy(), predictions[i - 600 : i - 536].numpy(), average="macro")
        for i in range(600, 900, 64)
    ) / len(val)
    assert abs(batch_mean - expected) > 1e-3  # what averaging per batch would have logged instead
