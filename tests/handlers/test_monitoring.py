"""Tests of ignite_f1.handlers.monitoring: setup_f1_monitoring and F1Monitoring."""

from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from _scripted import NAN, Scripted, pt_files
from ignite.engine import Engine, Events
from ignite.handlers import TensorboardLogger
from sklearn.metrics import f1_score

from ignite_f1 import MulticlassF1Score
from ignite_f1.handlers import (
    F1Monitoring,
    setup_f1_monitoring,
)


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
    # Imported first: a real import of matplotlib with PIL blocked would fail half-way and leave
    # pieces of matplotlib in sys.modules that break every later test of this process.
    for module in ("matplotlib", "PIL", "tensorboardX"):
        pytest.importorskip(module)
    for module in missing:
        monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails
    run = Scripted([0.5])
    MulticlassF1Score(num_classes=2).attach(run.evaluator, "f1")
    expected = rf"Argument `log_dir` needs {named} .*pip install -e \"\.\[tensorboard\]\" in the clone"
    with pytest.raises(ModuleNotFoundError, match=expected):
        setup_f1_monitoring(
            run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "c", log_dir=tmp_path / "runs"
        )
    assert os.listdir(tmp_path) == []  # nothing made


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
        ({"checkpoint_dir": ""}, ValueError, r"Argument `checkpoint_dir` must be a non-empty path, got ''"),
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
        (
            {"filename_prefix": "x" * 300},  # failed at the first save (OSError: File name too long)
            ValueError,
            r"Arguments `filename_prefix`, `metric_name` and the name in `to_save` must make file names of "
            r"at most 255 bytes without NUL characters, got names such as 'x+_model_1000000000_f1=-inf\.pt' "
            r"\(328 bytes\)",
        ),
        (
            {"filename_prefix": "a\0b"},
            ValueError,
            r"without NUL characters, got names such as 'a\\x00b_model",
        ),
        (
            {"retrain": {"patience": 2, "strategy": "x"}},
            ValueError,
            r"Argument `retrain\['strategy'\]` must be",
        ),
        (
            {"retrain": {"patience": 2, "max_retrains": -1}},
            ValueError,
            r"Argument `retrain\['max_retrains'\]` must be an integer >= 0, got -1",
        ),
        (
            {"retrain": {"patience": 2, "lr_factor": 0.5, "optimizer": None}},
            ValueError,
            r"Argument `retrain\['lr_factor'\]` needs an `optimizer`",
        ),
        (
            {"log_dir": tmp_path / "runs", "metric_name": "other"},
            ValueError,
            r"Argument `metric_name` must name an ignite_f1 metric attached",
        ),
        (
            {"confidence_level": 0.95},
            ValueError,
            r"Argument `confidence_level` must be None without `log_dir` .*got 0\.95\.$",
        ),
        (
            {"log_dir": tmp_path / "runs", "confidence_level": 1.0},
            ValueError,
            r"Argument `confidence_level` must be None or a real number in \(0, 1\)",
        ),
        (
            {"log_dir": tmp_path / "runs", "confidence_level": "95%"},
            TypeError,
            r"Argument `confidence_level` must be None or a real number in \(0, 1\)",
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


def test_a_metric_name_that_is_the_tag_of_a_class_score_is_refused(tmp_path: Path) -> None:
    """Ignite's OutputHandler writes ``val/f1/macro`` for a metric named "f1/macro", where the summary
    writes the F1 of a class named "macro" (with a band, also ``macro_ci_low`` and ``_ci_high``)."""
    pytest.importorskip("ignite_f1.tensorboard")
    cases = [
        (["macro", "b", "c"], "macro", None, "'f1/macro' is the tag of class 'macro'"),
        (["a", "macro_ci_low", "c"], "macro", 0.9, "'f1/macro_ci_low' is the tag of class 'macro_ci_low'"),
        (["a", "macro_ci_low", "c"], "macro", None, None),  # no band: no `_ci_low` scalar
        (["macro", "b", "c"], None, None, None),  # average=None: no OutputHandler, the classes' own tags
    ]
    for names, average, level, clash in cases:
        run = Scripted([0.5])
        MulticlassF1Score(3, average=average, class_names=names).attach(run.evaluator, "f1/macro")
        kwargs: dict[str, Any] = {"log_dir": tmp_path / "runs", "tag": "val", "confidence_level": level}
        kwargs["reduce"] = "min" if average is None else None  # a per-class metric needs one
        setup = functools.partial(
            setup_f1_monitoring, run.trainer, run.evaluator, "f1/macro", {"model": run.model}, tmp_path / "c"
        )
        if clash is None:
            setup(**kwargs)
            continue
        expected = rf"^Argument `metric_name` must not name a scalar under `f1/`.*{re.escape(clash)}"
        with pytest.raises(ValueError, match=expected):
            setup(**kwargs)
        assert not (tmp_path / "c").exists() and not (tmp_path / "runs").exists()


def test_engines_in_the_wrong_order_are_refused_at_setup(tmp_path: Path) -> None:
    """``setup_f1_monitoring(evaluator, trainer, ...)`` was accepted: its handlers ran once, at the end
    of the whole training, which then failed with no early stop and no checkpoint."""
    run = Scripted([0.5, 0.7])
    MulticlassF1Score(num_classes=2).attach(run.evaluator, "f1")
    with pytest.raises(ValueError, match=r"the metric 'f1' is attached to `trainer`, not to `evaluator`"):
        setup_f1_monitoring(run.evaluator, run.trainer, "f1", {"model": run.model}, tmp_path / "c")
    assert not (tmp_path / "c").exists()
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "c")


def test_metric_must_be_the_evaluators_own(tmp_path: Path) -> None:
    """``metric=`` of another evaluator logged that evaluator's per-class curves, matrix and report
    beside this evaluator's score."""
    pytest.importorskip("ignite_f1.tensorboard")
    run = Scripted([0.5])
    own, other, loose = MulticlassF1Score(2), MulticlassF1Score(2), MulticlassF1Score(2)
    own.attach(run.evaluator, "f1")
    other.attach(Engine(lambda engine, batch: None), "f1")  # a train-set evaluator's
    setup = functools.partial(
        setup_f1_monitoring, run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "c"
    )
    for metric in (other, loose):
        with pytest.raises(
            ValueError, match=r"^Argument `metric` must be the metric attached to `evaluator`"
        ):
            setup(log_dir=tmp_path / "runs", metric=metric)
        assert not (tmp_path / "c").exists() and not (tmp_path / "runs").exists()
    setup(log_dir=tmp_path / "runs", metric=own)
    with pytest.raises(ValueError, match=r"not attached to `evaluator` as 'f1', where another metric is"):
        counts = MulticlassF1Score(2)
        counts.attach(run.evaluator, "counts")  # the evaluator's, but not the one scored as "f1"
        setup(log_dir=tmp_path / "runs", metric=counts)
    bare = Scripted([0.5])  # "f1" set by hand: a metric attached under another name is the one
    counts.attach(bare.evaluator, "counts")
    setup_f1_monitoring(
        bare.trainer,
        bare.evaluator,
        "f1",
        {"model": bare.model},
        tmp_path / "c2",
        log_dir=tmp_path / "r2",
        metric=counts,
    )


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


def test_per_class_scores_are_logged_once_under_their_class(tmp_path: Path) -> None:
    """A per-class metric with labels: each scored class's curve holds that class's F1, once per
    step. Ignite's OutputHandler wrote the scores by position under the same tags (class 2's F1
    as class 1's), so it is left out for per-class metrics."""
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    pytest.importorskip("ignite_f1.tensorboard")
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: b)
    MulticlassF1Score(num_classes=3, average=None, labels=[0, 2]).attach(evaluator, "f1")
    y = torch.tensor([0, 0, 1, 2, 2, 2])
    predictions = [torch.tensor([0, 1, 1, 2, 0, 2]), torch.tensor([0, 0, 1, 2, 2, 1])]
    trainer.add_event_handler(
        Events.EPOCH_COMPLETED, lambda e: evaluator.run([(predictions[e.state.epoch - 1], y)])
    )
    monitoring = setup_f1_monitoring(
        trainer,
        evaluator,
        "f1",
        {"model": torch.nn.Linear(2, 2)},
        tmp_path / "ckpt",
        log_dir=tmp_path / "tb",
        reduce="mean",
    )
    trainer.run([0], max_epochs=2)
    assert monitoring.tensorboard is not None
    monitoring.tensorboard.close()
    events = event_accumulator.EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0})
    events.Reload()
    for label in (0, 2):
        expected = [f1_score(y.numpy(), p.numpy(), labels=[label], average=None)[0] for p in predictions]
        logged = [(e.step, e.value) for e in events.Scalars(f"validation/f1/{label}")]
        assert logged == [(step, pytest.approx(v, rel=1e-6)) for step, v in enumerate(expected, start=1)]
    assert "validation/f1/1" not in events.Tags()["scalars"]


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


def test_the_best_evaluation_is_written_again_under_best_each_time_f1_improves(tmp_path: Path) -> None:
    """TensorBoard shows 10 images per tag by default: under ``validation/best`` the last is the best."""
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    pytest.importorskip("ignite_f1.tensorboard")
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: b)
    MulticlassF1Score(num_classes=2, class_names=["cat", "dog"]).attach(evaluator, "f1")
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    predictions = [
        [0, 1, 1, 1, 1, 1],  # epoch 1: first, so the best
        [0, 0, 1, 1, 1, 1],  # 2: better
        [0, 1, 1, 1, 1, 0],  # 3: worse
        [0, 0, 1, 1, 1, 1],  # 4: equal to 2, not better
        [0, 0, 0, 1, 1, 1],  # 5: better (1.0)
        [1, 0, 0, 1, 1, 1],  # 6: worse
    ]
    trainer.add_event_handler(
        Events.EPOCH_COMPLETED,
        lambda e: evaluator.run([(torch.tensor(predictions[e.state.epoch - 1]), y)]),
    )
    model = torch.nn.Linear(2, 2)
    monitoring = setup_f1_monitoring(
        trainer, evaluator, "f1", {"model": model}, tmp_path / "ckpt", patience=5, log_dir=tmp_path / "tb"
    )
    trainer.run([0], max_epochs=6)
    assert monitoring.tensorboard is not None
    monitoring.tensorboard.close()
    everything = {"scalars": 0, "images": 0, "tensors": 0}
    events = event_accumulator.EventAccumulator(str(tmp_path / "tb"), size_guidance=everything)
    events.Reload()
    assert [e.step for e in events.Images("validation/best/confusion_matrix")] == [1, 2, 5]
    reports = events.Tensors("validation/best/classification_report/text_summary")
    assert [e.step for e in reports] == [1, 2, 5]
    every = {e.step: e.encoded_image_string for e in events.Images("validation/confusion_matrix")}
    best = events.Images("validation/best/confusion_matrix")[-1]
    assert best.encoded_image_string == every[5]  # the same picture as at the best epoch
    assert "validation/best/f1/cat" not in events.Tags()["scalars"]  # images and report only
    assert monitoring.best_checkpoint is not None and monitoring.best_checkpoint.name.startswith(
        "best_model_5_"
    )


@pytest.mark.slow  # a whole run with a real event file, 1.2 s: CI runs it
def test_confidence_level_passes_through_to_the_summary(tmp_path: Path) -> None:
    """The bounds sit next to the scalar the OutputHandler writes, ``{tag}/{metric_name}``, at its steps."""
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    layout_pb2 = pytest.importorskip("tensorboard.plugins.custom_scalar.layout_pb2")
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (400,), generator=g)
    batches = [
        [(torch.where(torch.rand(400, generator=g) < wrong, (y + 1) % 3, y), y)] for wrong in (0.4, 0.3, 0.2)
    ]
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: b)
    metric = MulticlassF1Score(num_classes=3)
    metric.attach(evaluator, "val/f1")
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda e: evaluator.run(batches[e.state.epoch - 1]))
    monitoring = setup_f1_monitoring(
        trainer,
        evaluator,
        "val/f1",
        {"model": torch.nn.Linear(2, 3)},
        tmp_path / "ckpt",
        log_dir=tmp_path / "tb",
        confidence_level=0.9,
    )
    bounds: list[tuple[float, float]] = []
    evaluator.add_event_handler(
        Events.COMPLETED, lambda: bounds.append(metric.confidence_interval(0.9, seed=0))
    )
    trainer.run([0], max_epochs=3)
    assert monitoring.tensorboard is not None
    monitoring.tensorboard.close()
    events = event_accumulator.EventAccumulator(
        str(tmp_path / "tb"), size_guidance={"scalars": 0, "tensors": 0}
    )
    events.Reload()
    value, low, high = (
        [(e.step, e.value) for e in events.Scalars(f"validation/val/f1{part}")]
        for part in ("", "_ci_low", "_ci_high")
    )
    assert [step for step, _ in value] == [step for step, _ in low] == [step for step, _ in high] == [1, 2, 3]
    for (_, v), (_, lo), (_, hi), (lo_expected, hi_expected) in zip(value, low, high, bounds, strict=True):
        assert lo == pytest.approx(lo_expected, rel=1e-6) and hi == pytest.approx(hi_expected, rel=1e-6)
        assert lo <= v <= hi
    assert "validation/f1" not in events.Tags()["scalars"]  # the score is the OutputHandler's, once
    config = events.Tensors("custom_scalars__config__")[-1].tensor_proto.string_val[0]
    charts = {
        chart.title: chart
        for category in layout_pb2.Layout.FromString(config).category
        for chart in category.chart
    }
    [series] = charts["validation/val/f1 with its 90% bootstrap band"].margin.series
    assert (series.value, series.lower, series.upper) == (
        "validation/val/f1",
        "validation/val/f1_ci_low",
        "validation/val/f1_ci_high",
    )


def test_confidence_level_refused_for_a_multilabel_metric_before_anything_is_made(tmp_path: Path) -> None:
    pytest.importorskip("ignite_f1.tensorboard")
    from ignite_f1 import MultilabelF1Score

    with pytest.raises(TypeError, match="must be None for MultilabelF1Score: its per-label counts"):
        _setup_with_a_band(tmp_path, MultilabelF1Score(3, from_logits=True))
    assert os.listdir(tmp_path) == []


def _setup_with_a_band(tmp_path: Path, metric: Any) -> None:
    """setup_f1_monitoring with log_dir and confidence_level 0.95, ``metric`` attached as "f1"."""
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: b)
    metric.attach(evaluator, "f1")
    setup_f1_monitoring(
        trainer,
        evaluator,
        "f1",
        {"model": torch.nn.Linear(2, 3)},
        tmp_path / "ckpt",
        log_dir=tmp_path / "tb",
        confidence_level=0.95,
    )


def _binary(**kwargs: Any) -> Any:
    from ignite_f1 import BinaryF1Score

    return BinaryF1Score(from_logits=False, **kwargs)


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        pytest.param(
            lambda: MulticlassF1Score(3, sample_weight=True),
            "a MulticlassF1Score built with sample_weight=True: its counts are sums of weights",
            id="multiclass-weighted",
        ),
        pytest.param(
            lambda: _binary(sample_weight=True),
            "a BinaryF1Score built with sample_weight=True: its counts are sums of weights",
            id="binary-weighted",
        ),
        pytest.param(
            lambda: _binary(multidim_average="samplewise"),
            "a BinaryF1Score built with multidim_average='samplewise': its score is a mean of per-image",
            id="binary-samplewise",
        ),
    ],
)
def test_confidence_level_refused_for_metrics_whose_interval_raises_before_anything_is_made(
    tmp_path: Path, make: Any, rule: str
) -> None:
    """confidence_interval() raises for these metrics: refused at setup, not at epoch 1 of training."""
    pytest.importorskip("ignite_f1.tensorboard")
    with pytest.raises(
        ValueError, match=rf"^Argument `confidence_level` must be None for {rule}.*got 0\.95\.$"
    ):
        _setup_with_a_band(tmp_path, make())
    assert os.listdir(tmp_path) == []


def test_log_dir_above_1024_classes_logs_the_score_without_per_class_scalars_report_or_image(
    tmp_path: Path,
) -> None:
    """Above 1024 classes the summary's defaults write no per-class scalar, no report and (with
    keep_confusion_matrix=False, the default there) no image: training goes on (it stopped at epoch
    1 with a RuntimeError) and the score is logged, without 3 scalars and a table row per class."""
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    pytest.importorskip("ignite_f1.tensorboard")
    num_classes = 1025
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: b)
    metric = MulticlassF1Score(num_classes=num_classes)
    assert not metric.keep_confusion_matrix
    metric.attach(evaluator, "f1")
    y = torch.tensor([0, 1, 2, 3])
    predictions = [torch.tensor([0, 1, 1, 0]), torch.tensor([0, 1, 2, 0])]
    trainer.add_event_handler(
        Events.EPOCH_COMPLETED, lambda e: evaluator.run([(predictions[e.state.epoch - 1], y)])
    )
    monitoring = setup_f1_monitoring(
        trainer, evaluator, "f1", {"model": torch.nn.Linear(2, 2)}, tmp_path / "ckpt", log_dir=tmp_path / "tb"
    )
    state = trainer.run([0], max_epochs=2)
    assert state.epoch == 2
    assert monitoring.tensorboard is not None
    monitoring.tensorboard.close()
    events = event_accumulator.EventAccumulator(
        str(tmp_path / "tb"), size_guidance={"scalars": 0, "images": 0, "tensors": 0}
    )
    events.Reload()
    assert (events.Tags()["images"], events.Tags()["tensors"]) == ([], [])
    assert events.Tags()["scalars"] == ["validation/f1"]
    assert [e.step for e in events.Scalars("validation/f1")] == [1, 2]


def test_an_ignite_metric_under_metric_name_gets_the_right_advice(tmp_path: Path) -> None:
    """With Ignite's own Fbeta attached as "f1", log_dir needs an ignite_f1 metric: the message says
    so (it said no metric was attached), and passing the Fbeta as metric= is refused (it hung)."""
    from ignite.metrics import Fbeta

    run = Scripted([0.5])
    fbeta = Fbeta(1.0)
    fbeta.attach(run.evaluator, "f1")
    common: dict[str, Any] = {"log_dir": tmp_path / "runs"}
    with pytest.raises(
        ValueError, match=r"must name an ignite_f1 metric attached .* got 'f1': attach an ignite_f1"
    ):
        setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "c", **common)
    with pytest.raises(
        TypeError, match=r"must be an F1 / F-beta metric of ignite_f1.* got MetricsLambda, which lacks"
    ):
        setup_f1_monitoring(
            run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path / "c", metric=fbeta, **common
        )
    assert not (tmp_path / "c").exists() and not (tmp_path / "runs").exists()


def test_reduce_is_checked_at_setup_against_the_metric_found(tmp_path: Path) -> None:
    """A per-class metric without `reduce` was accepted, and the ValueError came after a whole training
    epoch; `reduce` given for an averaged metric was silently ignored."""
    from ignite_f1 import BinaryF1Score, MultilabelF1Score

    needs_reduce = (
        r"^Argument `reduce` must be 'min' or 'mean' when metric 'f1' is per-class \(MulticlassF1Score with "
        r"average=None\), got None\. Pass reduce='min' \(the worst class\) or reduce='mean'"
    )
    cases: list[tuple[Any, str | None, str | None]] = [
        (MulticlassF1Score(3, average=None), None, needs_reduce),
        (MulticlassF1Score(3, average=None, class_names=["a", "b", "c"]), None, needs_reduce),
        (
            MulticlassF1Score(3, average="macro"),
            "min",
            r"^Argument `reduce` must be None when metric 'f1' is one averaged score \(MulticlassF1Score "
            r"with average='macro'\), got 'min': .* would be ignored",
        ),
        (BinaryF1Score(from_logits=False), "mean", r"one averaged score \(BinaryF1Score\), got 'mean'"),
        (MulticlassF1Score(3, average=None), "min", None),
        (MultilabelF1Score(3, average=None, from_logits=False), "mean", None),
        (MulticlassF1Score(3), None, None),
    ]
    for index, (metric, reduce, refused) in enumerate(cases):
        trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: b)
        metric.attach(evaluator, "f1")
        directory = tmp_path / f"c{index}"
        setup = functools.partial(
            setup_f1_monitoring,
            trainer,
            evaluator,
            "f1",
            {"model": torch.nn.Linear(2, 2)},
            directory,
            reduce=reduce,
        )
        if refused is None:
            setup()
            continue
        with pytest.raises(ValueError, match=refused):
            setup()
        assert not directory.exists()  # refused before anything is made, at setup, not after an epoch


def test_reduce_of_a_metric_of_another_library_is_checked_at_each_evaluation(tmp_path: Path) -> None:
    """Ignite's Fbeta(average=False) gives per-class scores: not found at setup, it keeps the score
    function's check, at the first evaluation."""
    from ignite.metrics import Fbeta

    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: b)
    Fbeta(1.0, average=False).attach(evaluator, "f1")
    batch = (torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([0, 1]))
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run([batch]))
    setup_f1_monitoring(trainer, evaluator, "f1", {"model": torch.nn.Linear(2, 2)}, tmp_path / "c")
    with pytest.raises(
        ValueError, match=r"Argument `reduce` must be 'min' or 'mean' when metric 'f1' is per-class"
    ):
        trainer.run([0], max_epochs=1)
