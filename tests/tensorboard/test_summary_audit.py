"""What an audit of the TensorBoard summary found, each read back from real event files: two writers on
one directory, the per-image score of a samplewise metric, a step refused halfway, many classes, the
step and the names of a band drawn around another writer's scalar."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from ignite.engine import Engine, Events
from ignite.handlers import TensorboardLogger
from sklearn.metrics import precision_recall_fscore_support
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboardX import SummaryWriter

from ignite_f1 import MulticlassF1Score
from ignite_f1.handlers import setup_f1_monitoring
from ignite_f1.tensorboard import F1TensorboardHandler, log_f1_summary
from ignite_f1.tensorboard import figures as figures_module


def _accumulator(logdir: Path) -> EventAccumulator:
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


class _NullWriter:
    """A writer that accepts every call and keeps nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _value(acc: EventAccumulator, tag: str) -> float:
    [event] = acc.Scalars(tag)
    return event.value


# --------------------------------------------------------------------------- two writers, one directory


def test_a_users_writer_and_setup_f1_monitorings_opened_in_one_second_both_keep_their_events(
    tmp_path, monkeypatch
):
    """tensorboardX names an event file after the second and the host only: the user's logger and
    the one of ``setup_f1_monitoring`` opened in the same second shared one file, and only the
    user's scalars survived. The clock is held at one second while both are opened."""
    trainer, evaluator = Engine(lambda engine, batch: 1.0), Engine(lambda engine, batch: batch)
    MulticlassF1Score(3).attach(evaluator, "f1")
    with monkeypatch.context() as clock:
        clock.setattr(time, "time", lambda: 1_700_000_000.25)
        mine = TensorboardLogger(log_dir=str(tmp_path / "runs"))
        monitoring = setup_f1_monitoring(
            trainer,
            evaluator,
            "f1",
            {"model": torch.nn.Linear(2, 2)},
            tmp_path / "ckpt",
            log_dir=tmp_path / "runs",
        )
    mine.attach_output_handler(
        trainer, Events.EPOCH_COMPLETED, tag="train", output_transform=lambda loss: {"loss": loss}
    )
    batch = (torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1]))
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run([batch]))
    trainer.run([0], max_epochs=2)
    mine.close()
    assert monitoring.tensorboard is not None
    monitoring.tensorboard.close()
    assert len(list((tmp_path / "runs").iterdir())) == 2  # one event file each
    scalars = _accumulator(tmp_path / "runs").Tags()["scalars"]
    assert {"train/loss", "validation/f1", "validation/f1/0", "validation/recall/2"} <= set(scalars)


# --------------------------------------------------------------------------- samplewise metrics


def _label_maps() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (4, 8, 8), generator=g)
    y_pred = torch.randint(0, 3, (4, 8, 8), generator=g)
    y_pred[0] = y[0]  # one perfect image: its mean per-image scores differ from the pooled ones
    return y_pred, y


def test_a_samplewise_metric_logs_its_per_image_scores_and_names_the_pooled_ones(tmp_path):
    """``{tag}/f1/{class}`` held the F1 of the pixels pooled over the images, not the mean per-image
    score that ``compute()`` returns for the class: now it holds compute()'s, and the pooled scores
    are named ``pooled_...`` (and charted)."""
    y_pred, y = _label_maps()
    names = ["background", "cat", "dog"]
    per_class = MulticlassF1Score(3, average=None, multidim_average="samplewise", class_names=names)
    macro = MulticlassF1Score(3, multidim_average="samplewise", class_names=names)
    for metric in (per_class, macro):
        metric.update((y_pred, y))
    result = per_class.compute()
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, per_class, "dice", 1)
        log_f1_summary(writer, macro, "macro", 1)
    acc = _accumulator(tmp_path)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y.ravel().numpy(), y_pred.ravel().numpy(), labels=[0, 1, 2], average=None, zero_division=0
    )
    for c, name in enumerate(names):
        assert _value(acc, f"dice/f1/{name}") == pytest.approx(result[name], rel=1e-6)
        assert _value(acc, f"dice/f1/{name}") != pytest.approx(float(f1[c]), rel=1e-3)
        for tag in ("dice", "macro"):
            assert _value(acc, f"{tag}/pooled_f1/{name}") == pytest.approx(float(f1[c]), rel=1e-6)
            assert _value(acc, f"{tag}/pooled_precision/{name}") == pytest.approx(
                float(precision[c]), rel=1e-6
            )
            assert _value(acc, f"{tag}/pooled_recall/{name}") == pytest.approx(float(recall[c]), rel=1e-6)
    scalars = acc.Tags()["scalars"]
    assert not [
        tag for tag in scalars if tag.startswith(("macro/f1/", "macro/precision/", "dice/precision/"))
    ]
    [layout] = acc.Tensors("custom_scalars__config__")[-1:]
    assert b"^dice/pooled_f1/" in layout.tensor_proto.string_val[0]


# --------------------------------------------------------------------------- a step whole or not at all


def test_a_step_that_fails_at_the_interval_writes_nothing(tmp_path):
    """Label maps refuse a bootstrap band: 9 scalars, the layout, the image and the table were
    written before ``confidence_interval()`` raised."""
    metric = MulticlassF1Score(3)
    g = torch.Generator().manual_seed(1)
    metric.update((torch.randint(0, 3, (2, 4, 4), generator=g), torch.randint(0, 3, (2, 4, 4), generator=g)))
    metric.compute()
    with SummaryWriter(str(tmp_path)) as writer, pytest.raises(RuntimeError, match="pixels of images"):
        log_f1_summary(writer, metric, "val", 1, confidence_level=0.95)
    tags = _accumulator(tmp_path).Tags()
    assert (tags["scalars"], tags["images"], tags["tensors"]) == ([], [], [])


def test_a_step_that_fails_at_the_image_writes_nothing(tmp_path, monkeypatch):
    def no_matplotlib() -> None:
        raise ImportError("Confusion-matrix images need matplotlib")

    monkeypatch.setattr(figures_module, "_matplotlib", no_matplotlib)
    metric = MulticlassF1Score(3)
    metric.update((torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])))
    with SummaryWriter(str(tmp_path)) as writer, pytest.raises(ImportError, match="matplotlib"):
        log_f1_summary(writer, metric, "val", 1)
    tags = _accumulator(tmp_path).Tags()
    assert (tags["scalars"], tags["tensors"]) == ([], [])


# --------------------------------------------------------------------------- many classes


def test_above_1024_classes_per_class_scalars_and_the_report_are_written_only_when_asked(tmp_path):
    """At 100,000 classes every evaluation wrote 300,000 scalars and a 100,000-row table; now the
    default writes them up to 1024 scored classes, ``True`` always."""
    metric = MulticlassF1Score(2000)
    metric.update((torch.arange(4000) % 2000, torch.arange(4000) % 2000))
    with SummaryWriter(str(tmp_path / "default")) as writer:
        log_f1_summary(writer, metric, "val", 1)
        F1TensorboardHandler(metric, "handler")(Engine(lambda e, b: b), writer, Events.COMPLETED)
    tags = _accumulator(tmp_path / "default").Tags()
    assert (tags["scalars"], tags["images"], tags["tensors"]) == ([], [], [])
    with SummaryWriter(str(tmp_path / "asked")) as writer:
        log_f1_summary(writer, metric, "val", 1, per_class=True, report=True)
    acc = _accumulator(tmp_path / "asked")
    assert len(acc.Tags()["scalars"]) == 3 * 2000
    [table] = acc.Tensors("val/classification_report/text_summary")
    assert "| 1999 |" in table.tensor_proto.string_val[0].decode()


def test_per_class_and_report_must_be_none_or_a_bool():
    metric = MulticlassF1Score(3)
    for argument in ("per_class", "report"):
        with pytest.raises(TypeError, match=f"Argument `{argument}` must be None, True or False, got 'yes'"):
            F1TensorboardHandler(metric, "val", **{argument: "yes"})


# --------------------------------------------------------------------------- the step and the band's names


@pytest.mark.parametrize(
    "step",
    [2.9, None, "4", True, np.bool_(True), torch.tensor(True), torch.tensor(3.0), torch.tensor([3])],
    ids=["float", "none", "str", "bool", "numpy-bool", "bool-tensor", "float-tensor", "1-d-tensor"],
)
def test_a_step_that_is_not_an_integer_is_refused(step):
    """2.9 was stored as 2, None as 0 and "4" as 4."""
    metric = MulticlassF1Score(3)
    metric.update((torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])))
    with pytest.raises(TypeError, match=r"^Argument `step` must be an integer \(the global step"):
        log_f1_summary(_NullWriter(), metric, "val", step)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "step", [np.int64(3), torch.tensor(3), np.uint8(3)], ids=["int64", "tensor", "uint8"]
)
def test_an_integer_step_of_numpy_or_torch_is_written_at_that_step(tmp_path, step):
    """Loops outside Ignite count steps in NumPy or torch integers (the first version refused them)."""
    metric = MulticlassF1Score(3)
    metric.update((torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])))
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, metric, "val", step, confusion_matrix=False, report=False)
    acc = EventAccumulator(str(tmp_path)).Reload()
    assert [event.step for event in acc.Scalars("val/f1/0")] == [3]


@pytest.mark.parametrize(
    ("tag", "score_name", "argument", "value"),
    [
        ("my val", "f1", "tag", "my val"),
        ("val", "F1 score", "score_name", "F1 score"),
        ("val/", "f1", "tag", "val/"),
    ],
)
def test_a_band_around_another_writers_scalar_refuses_names_that_cleaning_changes(
    tag, score_name, argument, value
):
    """torch's SummaryWriter keeps "my val/F1 score" as it is while the summary cleaned it to
    "my_val/F1_score": the margin chart drew a scalar that does not exist."""
    metric = MulticlassF1Score(3)
    metric.update((torch.tensor([0, 1, 2, 1]), torch.tensor([0, 1, 1, 1])))
    rule = f"Argument `{argument}` must hold only letters, digits, '_', '-', '.' and '/'"
    with pytest.raises(ValueError, match=re.escape(rule) + f".*got {re.escape(repr(value))}\\.$"):
        log_f1_summary(
            _NullWriter(), metric, tag, 1, per_class=False, confidence_level=0.9, score_name=score_name
        )
    with pytest.raises(ValueError, match=re.escape(rule)):
        F1TensorboardHandler(metric, tag, confidence_level=0.9, score_name=score_name)
    log_f1_summary(_NullWriter(), metric, "my val", 1, per_class=False, confidence_level=0.9)  # no score_name


def test_setup_f1_monitorings_band_follows_its_own_writers_cleaning(tmp_path):
    """The band is drawn around the OutputHandler's scalar, which this package's writer (tensorboardX)
    cleans: a tag and a metric name with spaces work as before (a first fix refused them), with the
    band named as the scalar is."""
    trainer, evaluator = Engine(lambda engine, batch: 1.0), Engine(lambda engine, batch: batch)
    MulticlassF1Score(3).attach(evaluator, "val f1")
    monitoring = setup_f1_monitoring(
        trainer,
        evaluator,
        "val f1",
        {"model": torch.nn.Linear(2, 2)},
        tmp_path / "ckpt",
        log_dir=tmp_path / "runs",
        tag="my val",
        confidence_level=0.9,
    )
    batch = (torch.tensor([0, 1, 2, 1]), torch.tensor([0, 1, 1, 1]))
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run([batch]))
    trainer.run([0], max_epochs=2)
    assert monitoring.tensorboard is not None
    monitoring.tensorboard.close()
    acc = _accumulator(tmp_path / "runs")
    band = ["my_val/val_f1", "my_val/val_f1_ci_low", "my_val/val_f1_ci_high"]
    assert [[event.step for event in acc.Scalars(tag)] for tag in band] == [[1, 2]] * 3


def test_score_name_without_a_band_is_refused():
    """It names the scalar the band is drawn around; without confidence_level it was ignored."""
    metric = MulticlassF1Score(3)
    metric.update((torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])))
    rule = "Argument `score_name` names the scalar that the band of `confidence_level` is drawn around"
    with pytest.raises(ValueError, match=re.escape(rule) + ".*got score_name='acc' without one"):
        log_f1_summary(_NullWriter(), metric, "my val", 1, score_name="acc")
    with pytest.raises(ValueError, match=re.escape(rule)):
        F1TensorboardHandler(metric, "val", score_name="f1")
