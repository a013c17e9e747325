"""TensorBoard logging: read back with TensorBoard's EventAccumulator and served by a real server."""

from __future__ import annotations

import contextlib
import html.parser
import io
import json
import re
import socket
import subprocess
import sys
import time
import types
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _reference import sklearn_report
from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.exceptions import NotComputableError
from ignite.handlers import TensorboardLogger, global_step_from_engine
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.util import tensor_util

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
)
from ignite_f1 import tensorboard as tb
from ignite_f1.tensorboard import (
    F1TensorboardHandler,
    confusion_matrix_image,
    log_f1_summary,
)

# spaces, a slash, unicode, and the characters TensorBoard keeps ('-', '.')
CLASS_NAMES = ["cat", "big dog", "owl/bird", "ünï ω", "x.y-z"]
TAG_NAMES = ["cat", "big_dog", "owl_bird", "ünï_ω", "x.y-z"]
NUM_CLASSES = len(CLASS_NAMES)
EPOCHS = 3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _accumulator(logdir: Path | str) -> EventAccumulator:
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def _text(acc: EventAccumulator, tag: str) -> list[str]:
    return [e.tensor_proto.string_val[0].decode() for e in acc.Tensors(f"{tag}/text_summary")]


def _layout(acc: EventAccumulator) -> layout_pb2.Layout:
    event = acc.Tensors("custom_scalars__config__")[-1]
    return layout_pb2.Layout.FromString(event.tensor_proto.string_val[0])


class _NullWriter:
    """A writer that accepts every call and keeps nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class _RecordingWriter:
    """A writer that keeps every call: ``calls[method]`` lists the ``(args, kwargs)`` of each."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}

    @property
    def methods(self) -> set[str]:
        return set(self.calls)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.calls.setdefault(name, []).append((args, kwargs))


def _close(actual: float, expected: float) -> bool:
    """TensorBoard stores scalars as float32."""
    return actual == pytest.approx(float(np.float32(expected)), rel=1e-6, abs=1e-7)


# --------------------------------------------------------------------------- a short real training run


def _train_and_log(logdir: Path) -> dict[str, Any]:
    """3 epochs of a linear classifier; three handlers on one evaluator and one writer.

    Returns, per trainer epoch, what the metrics held when the handlers ran, and the evaluator's
    outputs for an independent scikit-learn check.
    """
    torch.manual_seed(0)
    x = torch.randn(600, 6)
    y = (x @ torch.randn(6, NUM_CLASSES) + 0.8 * torch.randn(600, NUM_CLASSES)).argmax(1)
    train = [(x[i : i + 50], y[i : i + 50]) for i in range(0, 400, 50)]
    val = [(x[i : i + 40], y[i : i + 40]) for i in range(400, 600, 40)]
    model = torch.nn.Linear(6, NUM_CLASSES)
    trainer = create_supervised_trainer(
        model, torch.optim.SGD(model.parameters(), lr=0.2), torch.nn.CrossEntropyLoss()
    )
    evaluator = create_supervised_evaluator(model)

    multiclass = MulticlassF1Score(NUM_CLASSES, average=None, class_names=CLASS_NAMES)
    binary = BinaryFBetaScore(
        2.0,
        from_logits=False,
        num_thresholds=21,
        output_transform=lambda out: (out[0].softmax(1)[:, 1], (out[1] == 1).long()),
    )
    multilabel = MultilabelF1Score(
        NUM_CLASSES,
        num_thresholds=11,
        output_transform=lambda out: (out[0], torch.nn.functional.one_hot(out[1], NUM_CLASSES)),
        from_logits=True,
    )
    multiclass.attach(evaluator, "f1")
    binary.attach(evaluator, "f2_binary")
    multilabel.attach(evaluator, "f1_multilabel")

    tb_logger = TensorboardLogger(log_dir=str(logdir))
    step = global_step_from_engine(trainer)
    handlers = {
        "val": F1TensorboardHandler(multiclass, "val", global_step_transform=step),
        "val_binary": F1TensorboardHandler(
            binary, "val_binary", ["other", "big dog"], global_step_transform=step
        ),
        "val_multilabel": F1TensorboardHandler(
            multilabel, "val multilabel", CLASS_NAMES, global_step_transform=step
        ),
    }
    for handler in handlers.values():
        tb_logger.attach(evaluator, log_handler=handler, event_name=Events.COMPLETED)

    records: dict[int, dict[str, Any]] = {}
    outputs: list[tuple[torch.Tensor, torch.Tensor]] = []
    evaluator.add_event_handler(Events.STARTED, lambda _: outputs.clear())
    evaluator.add_event_handler(Events.ITERATION_COMPLETED, lambda e: outputs.append(e.state.output))

    @evaluator.on(Events.COMPLETED)
    def record(_: Engine) -> None:
        y_pred = torch.cat([o[0] for o in outputs]).argmax(1)
        y_true = torch.cat([o[1] for o in outputs])
        records[trainer.state.epoch] = {
            "f1": evaluator.state.metrics["f1"],
            "reports": {name: h.metric.report() for name, h in handlers.items()},
            "confusion": {name: h.metric.confusion_matrix() for name, h in handlers.items()},
            "histograms": {
                name: h.metric.threshold_histogram() for name, h in handlers.items() if name != "val"
            },
            "curves": {name: h.metric.curve() for name, h in handlers.items() if name != "val"},
            "y_pred": y_pred.numpy(),
            "y_true": y_true.numpy(),
        }

    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run(val))
    trainer.run(train, max_epochs=EPOCHS)
    tb_logger.close()
    return {"records": records, "handlers": handlers}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    logdir = tmp_path_factory.mktemp("tb_run")
    result = _train_and_log(logdir)
    result["logdir"] = logdir
    result["acc"] = _accumulator(logdir)
    return result


# --------------------------------------------------------------------------- read back with EventAccumulator


def test_every_per_class_scalar_equals_the_metric_at_every_step(run):
    acc, records = run["acc"], run["records"]
    assert sorted(records) == [1, 2, 3]
    scalar_tags = set(acc.Tags()["scalars"])
    expected_tags = set()
    for prefix, score, names, report_names in [
        ("val", "f1", TAG_NAMES, CLASS_NAMES),
        ("val_binary", "f2", ["other", "big_dog"], ["0", "1"]),
        ("val_multilabel", "f1", TAG_NAMES, [str(i) for i in range(NUM_CLASSES)]),
    ]:
        handler_name = prefix
        for tag_name, report_name in zip(names, report_names, strict=True):
            for kind, key in ((score, "f1-score"), ("precision", "precision"), ("recall", "recall")):
                tag = f"{prefix}/{kind}/{tag_name}"
                expected_tags.add(tag)
                events = acc.Scalars(tag)
                assert [e.step for e in events] == [1, 2, 3], tag
                for event in events:
                    entry = records[event.step]["reports"][handler_name][report_name]
                    if kind == "f2":  # F-beta is not in the report: from the counts, by hand
                        p, r = entry["precision"], entry["recall"]
                        expected = 5 * p * r / (4 * p + r) if p + r else 0.0
                    else:
                        expected = entry[key]
                    assert _close(event.value, expected), (tag, event.step, event.value, expected)
    assert scalar_tags == expected_tags

    # the multi-class F1 scalars are also the metric's compute() and scikit-learn on the epoch's predictions
    for event in acc.Scalars("val/f1/owl_bird"):
        record = records[event.step]
        assert _close(event.value, record["f1"]["owl/bird"])
        reference = sklearn_report(
            y_true=record["y_true"], y_pred=record["y_pred"], labels=range(NUM_CLASSES)
        )
        assert _close(event.value, reference["2"]["f1-score"])
    binary_f2 = [e.value for e in acc.Scalars("val_binary/f2/big_dog")]
    assert all(v > 0 for v in binary_f2)


def test_confusion_matrix_image_is_a_png_of_the_expected_size(run):
    acc, records = run["acc"], run["records"]
    for prefix, names in [
        ("val", CLASS_NAMES),
        ("val_binary", ["other", "big dog"]),
        ("val_multilabel", CLASS_NAMES),
    ]:
        events = acc.Images(f"{prefix}/confusion_matrix")
        assert [e.step for e in events] == [1, 2, 3]
        for event in events:
            assert event.encoded_image_string.startswith(PNG_SIGNATURE)
            image = Image.open(io.BytesIO(event.encoded_image_string))
            assert image.format == "PNG" and image.mode == "RGB"
            assert image.size == (event.width, event.height)
        # the last image is, pixel for pixel, the metric's confusion matrix drawn again (PNG is lossless)
        expected = confusion_matrix_image(records[EPOCHS]["confusion"][prefix], names, normalize="true")
        assert (event.height, event.width, 3) == expected.shape
        assert np.array_equal(np.asarray(image), expected)


def test_report_text_holds_the_table(run):
    acc, records = run["acc"], run["records"]
    texts = _text(acc, "val/classification_report")
    assert len(texts) == EPOCHS
    lines = texts[-1].splitlines()
    assert lines[0] == "| class | precision | recall | f1-score | support |"
    assert lines[1] == "|:---|---:|---:|---:|---:|"
    assert len(lines) == 2 + NUM_CLASSES + 3  # classes, accuracy, macro avg, weighted avg
    report = records[EPOCHS]["reports"]["val"]
    cells = [line.strip("|").split(" | ") for line in lines[2:]]
    assert [c[0].strip() for c in cells] == [
        *CLASS_NAMES,
        "**accuracy**",
        "**macro avg**",
        "**weighted avg**",
    ]
    for row, name in zip(cells[:NUM_CLASSES], CLASS_NAMES, strict=True):
        entry = report[name]
        assert [float(v) for v in row[1:4]] == [
            round(entry[k], 4) for k in ("precision", "recall", "f1-score")
        ]
        assert int(row[4]) == entry["support"]
    assert float(cells[NUM_CLASSES][3]) == round(report["accuracy"], 4)

    binary = _text(acc, "val_binary/classification_report")[-1].splitlines()
    assert binary[0] == "| class | precision | recall | f1-score | f2-score | support |"
    multilabel = _text(acc, "val_multilabel/classification_report")[-1]
    assert "| **samples avg** |" in multilabel and "| **micro avg** |" in multilabel


def test_one_merged_custom_scalars_layout(run):
    acc = run["acc"]
    layout = _layout(acc)
    assert len(acc.Tensors("custom_scalars__config__")) == 3  # written once per handler joining
    [category] = layout.category
    assert category.title == "F-scores per class"
    charts = {chart.title: list(chart.multiline.tag) for chart in category.chart}
    assert set(charts) == {"val: f1 per class", "val_binary: f2 per class", "val_multilabel: f1 per class"}
    scalar_tags = acc.Tags()["scalars"]
    for prefix, score in (("val", "f1"), ("val_binary", "f2"), ("val_multilabel", "f1")):
        [regex] = charts[f"{prefix}: {score} per class"]
        matched = {t for t in scalar_tags if re.match(regex, t)}
        assert matched == {t for t in scalar_tags if t.startswith(f"{prefix}/{score}/")}
        assert len(matched) == (2 if prefix == "val_binary" else NUM_CLASSES)


@pytest.mark.parametrize(
    ("num_classes", "groups"),
    [(5, [5]), (6, [3, 3]), (10, [5, 5]), (12, [4, 4, 4]), (20, [5, 5, 5, 5]), (21, [21])],
)
def test_per_class_charts_hold_at_most_5_classes_up_to_20(num_classes, groups):
    """TensorBoard draws a run's curves in one colour, each with its marker (5 kinds, then again):
    with at most 5 classes in a chart, each class has a marker of its own."""
    names = [f"c{i}" for i in range(num_classes)]
    metric = MulticlassF1Score(num_classes, class_names=names)
    metric.update((torch.arange(num_classes), torch.arange(num_classes)))
    metric.compute()
    writer = _RecordingWriter()
    log_f1_summary(writer, metric, "val", 1, confusion_matrix=False, report=False)
    [((layout,), _)] = writer.calls["add_custom_scalars"]
    charts = layout["F-scores per class"]
    tags = [f"val/f1/{name}" for name in names]
    matched = [[t for t in tags if re.match(regex, t)] for _, [regex] in charts.values()]
    assert [len(m) for m in matched] == groups
    assert [t for m in matched for t in m] == tags  # every class once, in class order
    if len(groups) > 1:
        assert next(iter(charts)) == f"val: f1 per class, c0 to c{groups[0] - 1}"


@pytest.mark.parametrize("num_classes", [3, 25])
def test_per_class_charts_match_the_classes_scalars_only(num_classes):
    """A band named under ``{tag}/f1/`` (Ignite's ``OutputHandler`` with metric name "f1/macro") is
    no class: the chart held its scalars as class curves, below 6 and above 20 classes."""
    names = [f"c{i}" for i in range(num_classes)]
    metric = MulticlassF1Score(num_classes, class_names=names)
    metric.update((torch.arange(num_classes).roll(1), torch.arange(num_classes)))
    metric.compute()
    writer = _RecordingWriter()
    log_f1_summary(writer, metric, "val", 1, report=False, confidence_level=0.9, score_name="f1/macro")
    scalars = [args[0] for args, _ in writer.calls["add_scalar"]]
    assert {"val/f1/macro_ci_low", "val/f1/macro_ci_high"} <= set(scalars)
    layouts = [layout for (layout,), _ in writer.calls["add_custom_scalars"]]
    [regex] = [regex for _, [regex] in layouts[-1]["F-scores per class"].values()]
    assert [t for t in [*scalars, "val/f1/macro"] if re.match(regex, t)] == [f"val/f1/{n}" for n in names]


@pytest.mark.parametrize("score_name", ["f1/macro", "precision/macro", "recall/macro", "f1/dog"])
def test_a_band_named_as_a_class_score_is_refused(score_name):
    """With class "macro" (or "macro_ci_low"), ``val/f1/macro`` would hold two series at one step."""
    metric = MulticlassF1Score(3, class_names=["macro", "dog_ci_low", "owl"])
    metric.update((torch.tensor([0, 1, 2, 1]), torch.tensor([0, 1, 2, 2])))
    metric.compute()
    clash = score_name.replace("dog", "dog_ci_low")
    expected = rf"^Argument `score_name` must not name a scalar under .* {re.escape(repr(clash))} is the tag "
    with pytest.raises(ValueError, match=expected):
        F1TensorboardHandler(metric, "val", confidence_level=0.9, score_name=score_name)
    writer = _RecordingWriter()
    with pytest.raises(ValueError, match=expected):
        log_f1_summary(writer, metric, "val", 1, confidence_level=0.9, score_name=score_name)
    assert writer.calls == {}
    with pytest.raises(ValueError, match="it needs a confidence_level"):  # no band: it would be ignored
        log_f1_summary(writer, metric, "val", 1, score_name=score_name)
    log_f1_summary(writer, metric, "val", 1, per_class=False, confidence_level=0.9, score_name=score_name)
    F1TensorboardHandler(metric, "val", confidence_level=0.9, score_name="f1_macro")


def test_pr_curves(run):
    acc, records = run["acc"], run["records"]
    tensor_tags = set(acc.Tags()["tensors"])
    assert "val/pr_curve" not in tensor_tags  # multi-class: no curve
    for prefix, index, tag in [("val_binary", ..., "val_binary/pr_curve")] + [
        ("val_multilabel", i, f"val_multilabel/pr_curve/{name}") for i, name in enumerate(TAG_NAMES)
    ]:
        events = acc.Tensors(tag)
        assert [e.step for e in events] == [1, 2, 3]
        for event in events:
            data = tensor_util.make_ndarray(event.tensor_proto)
            histogram = records[event.step]["histograms"][prefix]
            curve = records[event.step]["curves"][prefix]
            negatives_ge = histogram[0].flip(-1).cumsum(-1).flip(-1)[index].numpy()
            positives_ge = histogram[1].flip(-1).cumsum(-1).flip(-1)[index].numpy()
            tp, fp, tn, fn, precision, recall = data
            assert data.shape == (6, histogram.shape[-1])
            assert np.array_equal(tp, positives_ge) and np.array_equal(fp, negatives_ge)
            assert np.array_equal(tp + fn, np.full_like(tp, positives_ge[0]))
            assert np.array_equal(fp + tn, np.full_like(fp, negatives_ge[0]))
            assert np.array_equal(precision, curve["precision"][index].numpy().astype(np.float32))
            assert np.array_equal(recall, curve["recall"][index].numpy().astype(np.float32))


# --------------------------------------------------------------------------- a real TensorBoard server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get_json(base: str, path: str, **params: str) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"{base}{path}{query}", timeout=3) as response:
        return json.loads(response.read().decode())


@contextlib.contextmanager
def _tensorboard_server(logdir: Path) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--load_fast", "false", "--reload_interval", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _poll(base: str, path: str, ready: Any, attempts: int = 80) -> Any:
    """GET ``path`` until ``ready(json)`` is true: the server needs a moment to start and to load."""
    last: Any = None
    for _ in range(attempts):
        try:
            last = _get_json(base, path)
            if ready(last):
                return last
        except (OSError, ValueError):
            pass
        time.sleep(0.25)
    raise AssertionError(f"TensorBoard did not serve {path} in time; last answer: {last!r}")


@pytest.mark.slow  # starts a real TensorBoard server
def test_a_real_tensorboard_server_serves_every_tag(run):
    acc = run["acc"]
    scalar_tags = set(acc.Tags()["scalars"])
    with _tensorboard_server(run["logdir"]) as base:
        scalars = _poll(base, "/data/plugin/scalars/tags", lambda j: scalar_tags <= set(j.get(".", {})))
        assert set(scalars["."]) == scalar_tags
        assert "val/f1/ünï_ω" in scalars["."]

        images = _poll(base, "/data/plugin/images/tags", lambda j: len(j.get(".", {})) == 3)
        assert set(images["."]) == {f"{p}/confusion_matrix" for p in ("val", "val_binary", "val_multilabel")}

        texts = _poll(base, "/data/plugin/text/tags", lambda j: len(j.get(".", [])) == 3)
        assert set(texts["."]) == {
            f"{p}/classification_report/text_summary" for p in ("val", "val_binary", "val_multilabel")
        }

        layout = _poll(base, "/data/plugin/custom_scalars/layout", lambda j: bool(j.get("category")))
        [category] = layout["category"]
        regexes = {chart["title"]: chart["multiline"]["tag"] for chart in category["chart"]}
        assert set(regexes) == {
            "val: f1 per class",
            "val_binary: f2 per class",
            "val_multilabel: f1 per class",
        }

        pr_tags = {"val_binary/pr_curve", *(f"val_multilabel/pr_curve/{n}" for n in TAG_NAMES)}
        pr = _poll(base, "/data/plugin/pr_curves/tags", lambda j: pr_tags <= set(j.get(".", {})))
        assert set(pr["."]) == pr_tags

        # the values and the custom-scalars regex as the dashboards fetch them
        points = _get_json(base, "/data/plugin/scalars/scalars", run=".", tag="val/recall/owl_bird")
        assert [p[1] for p in points] == [1, 2, 3]
        assert [p[2] for p in points] == [e.value for e in acc.Scalars("val/recall/owl_bird")]
        [regex] = regexes["val: f1 per class"]
        matched = _get_json(base, "/data/plugin/custom_scalars/scalars", run=".", tag=regex)
        assert matched["regex_valid"] and set(matched["tag_to_events"]) == {f"val/f1/{n}" for n in TAG_NAMES}
        # the chart gives markers in this order: class order, as docs/make_images.py draws them
        assert list(matched["tag_to_events"]) == [f"val/f1/{n}" for n in TAG_NAMES]
        curves = _get_json(base, "/data/plugin/pr_curves/pr_curves", run=".", tag="val_binary/pr_curve")
        assert [entry["step"] for entry in curves["."]] == [1, 2, 3]


# --------------------------------------------------------------------------- other writers, sizes, names


def test_torch_utils_tensorboard_writer(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    metric = BinaryF1Score(num_thresholds=16, from_logits=True)
    g = torch.Generator().manual_seed(3)
    metric.update((torch.randn(200, generator=g), torch.randint(0, 2, (200,), generator=g)))
    metric.compute()
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, metric, "test", step=7, class_names=["no/neg", "yes pos"])
        log_f1_summary(writer, metric, "again", step=8)
    acc = _accumulator(tmp_path)
    report = metric.report()
    assert _close(acc.Scalars("test/f1/yes_pos")[0].value, metric.compute())
    assert _close(acc.Scalars("test/recall/no_neg")[0].value, report["0"]["recall"])
    assert acc.Scalars("test/precision/yes_pos")[0].step == 7
    [image] = acc.Images("test/confusion_matrix")
    assert Image.open(io.BytesIO(image.encoded_image_string)).size == (image.width, image.height)
    assert "| no/neg |" in _text(acc, "test/classification_report")[0]
    data = tensor_util.make_ndarray(acc.Tensors("test/pr_curve")[0].tensor_proto)
    assert data.shape == (6, 16)
    charts = {c.title for c in _layout(acc).category[0].chart}
    assert charts == {"test: f1 per class", "again: f1 per class"}


@pytest.mark.parametrize("num_classes", [2, pytest.param(100, marks=pytest.mark.slow)])  # 100: 1.4 s
def test_two_and_a_hundred_classes(tmp_path, num_classes):
    from tensorboardX import SummaryWriter

    g = torch.Generator().manual_seed(num_classes)
    y = torch.randint(0, num_classes, (3000,), generator=g)
    y_pred = torch.where(
        torch.rand(3000, generator=g) < 0.7, y, torch.randint(0, num_classes, (3000,), generator=g)
    )
    metric = MulticlassF1Score(num_classes, average=None)
    metric.update((y_pred, y))
    per_class = metric.compute()
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, metric, "val", step=1)
    acc = _accumulator(tmp_path)
    assert len(acc.Tags()["scalars"]) == 3 * num_classes
    for c in (0, num_classes - 1):
        assert _close(acc.Scalars(f"val/f1/{c}")[0].value, per_class[c].item())
    [image] = acc.Images("val/confusion_matrix")
    assert image.encoded_image_string.startswith(PNG_SIGNATURE)
    assert 300 <= image.width <= 2000 and 300 <= image.height <= 2000
    assert len(_text(acc, "val/classification_report")[0].splitlines()) == 2 + num_classes + 3


def test_class_names_are_cleaned_and_collisions_refused():
    metric = MulticlassF1Score(4)
    handler = F1TensorboardHandler(metric, "a b/c", ["x y", "p/q", "ünï", "dots.and-dashes"])
    assert handler.tag == "a_b/c"
    assert handler._summary.tag_names == ["x_y", "p_q", "ünï", "dots.and-dashes"]
    assert handler.class_names == ["x y", "p/q", "ünï", "dots.and-dashes"]
    for names, pair in [
        (["a b", "a_b", "c", "d"], "'a b' and 'a_b'"),
        (["a/b", "a b", "c", "d"], "'a/b' and 'a b'"),
    ]:
        with pytest.raises(ValueError, match=f"stay distinct once cleaned.*{re.escape(pair)}, both 'a_b'"):
            F1TensorboardHandler(metric, "val", names)
    with pytest.raises(ValueError, match="empty name"):
        F1TensorboardHandler(metric, "val", ["", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"one name per class \(num_classes=4\)"):
        F1TensorboardHandler(metric, "val", ["a", "b"])
    with pytest.raises(ValueError, match="one name per class"):
        F1TensorboardHandler(BinaryF1Score(from_logits=True), "val", ["a", "b", "c"])
    # the metric's own names are the default
    named = MultilabelF1Score(2, class_names=["has cat", "has/dog"], from_logits=True)
    assert F1TensorboardHandler(named, "val")._summary.tag_names == ["has_cat", "has_dog"]


def test_fbeta_tag_names_flags_and_markdown_escaping(tmp_path):
    from tensorboardX import SummaryWriter

    metric = MulticlassFBetaScore(0.5, 3, labels=[0, 2], class_names=["a|b", "under_score", "*star*"])
    metric.update((torch.tensor([0, 1, 2, 2, 0]), torch.tensor([0, 1, 2, 1, 2])))
    metric.compute()
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, metric, "val", 1, per_class=True, confusion_matrix=False, report=True)
        log_f1_summary(writer, metric, "quiet", 1, per_class=False, confusion_matrix=False, report=False)
    acc = _accumulator(tmp_path)
    # only the scored labels 0 and 2
    assert set(acc.Tags()["scalars"]) == {
        f"val/{k}/{n}" for k in ("f0.5", "precision", "recall") for n in ("a_b", "_star_")
    }
    assert acc.Tags()["images"] == []
    table = _text(acc, "val/classification_report")[0]
    assert "| a\\|b |" in table and "| \\*star\\* |" in table and "under" not in table
    assert "f0.5-score" in table.splitlines()[0] and "| **micro avg** |" in table
    assert not any(
        t.startswith("quiet") for tags in acc.Tags().values() if isinstance(tags, list) for t in tags
    )


class _TableCells(html.parser.HTMLParser):
    """The rows of the tables in an HTML page, each a list of cell texts (``<br>`` read as a newline)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _tensorboard_html(markdown: str) -> str:
    """The HTML TensorBoard's text dashboard shows (its own markdown and HTML sanitising)."""
    from tensorboard import plugin_util

    return plugin_util.markdown_to_safe_html(markdown)


def _rendered_rows(markdown: str) -> list[list[str]]:
    parser = _TableCells()
    parser.feed(_tensorboard_html(markdown))
    return parser.rows


# newlines, pipes, markup, HTML and a link in class names: each stays one cell of one row
MARKDOWN_NAMES = ["two\nlines", "a|b", "**bold**", "<b>x</b> & y", "back\\slash `tick`", "[l](http://x)"]


@pytest.mark.parametrize("through", ["log_f1_summary", "handler"])
def test_report_table_keeps_its_shape_whatever_the_class_names(tmp_path, through):
    from tensorboardX import SummaryWriter

    num_classes = len(MARKDOWN_NAMES)
    y = torch.arange(num_classes).repeat(3)
    y_pred = torch.roll(y, 1)
    if through == "log_f1_summary":
        metric = MulticlassF1Score(num_classes, class_names=MARKDOWN_NAMES)
        metric.update((y_pred, y))
        metric.compute()
        with SummaryWriter(str(tmp_path)) as writer:
            log_f1_summary(writer, metric, "val", 1, per_class=False, confusion_matrix=False)
    else:
        evaluator = Engine(lambda engine, batch: batch)
        metric = MulticlassF1Score(num_classes)
        metric.attach(evaluator, "f1")
        handler = F1TensorboardHandler(metric, "val", MARKDOWN_NAMES, confusion_matrix=False)
        with TensorboardLogger(log_dir=str(tmp_path)) as tb_logger:
            tb_logger.attach(evaluator, log_handler=handler, event_name=Events.COMPLETED)
            evaluator.run([(y_pred, y)])
    (table,) = _text(_accumulator(tmp_path), "val/classification_report")

    # the markdown: a header, the alignment row, one line per class, accuracy and two averages;
    # every line splits into 5 cells on its unescaped pipes
    lines = table.split("\n")
    assert len(lines) == 2 + num_classes + 3
    for line in lines:
        assert len(re.split(r"(?<!\\)\|", line)) == 5 + 2, line

    # as TensorBoard renders it: every row has 5 cells, and each class cell shows the name as given
    rows = _rendered_rows(table)
    assert rows[0] == ["class", "precision", "recall", "f1-score", "support"]
    assert len(rows) == 1 + num_classes + 3
    assert all(len(row) == 5 for row in rows)
    assert [row[0] for row in rows[1:]] == [*MARKDOWN_NAMES, "accuracy", "macro avg", "weighted avg"]
    assert [row[4] for row in rows[1 : 1 + num_classes]] == ["3"] * num_classes
    shown = _tensorboard_html(table)
    assert "<a " not in shown and "<b>" not in shown and "<code>" not in shown  # no link, tag or code
    assert shown.count("<strong>") == 3  # accuracy and the averages only


def test_default_step_and_global_step_transform():
    metric = BinaryF1Score(from_logits=True)
    engine = Engine(lambda e, batch: batch)
    metric.attach(engine, "f1")
    writes: list[tuple[str, int]] = []

    class Writer:
        def add_scalar(self, tag: str, value: float, step: int) -> None:
            writes.append((tag, step))

        def add_custom_scalars(self, layout: Any) -> None:
            pass

    engine.add_event_handler(
        Events.COMPLETED,
        F1TensorboardHandler(metric, "e", confusion_matrix=False, report=False),
        Writer(),
        Events.COMPLETED,
    )
    engine.add_event_handler(
        Events.COMPLETED,
        F1TensorboardHandler(
            metric, "g", global_step_transform=lambda e, n: 42, confusion_matrix=False, report=False
        ),
        Writer(),
        Events.COMPLETED,
    )
    engine.run([(torch.tensor([0.1, 2.0]), torch.tensor([0, 1]))], max_epochs=2)
    assert {step for tag, step in writes if tag.startswith("e/")} == {2}  # the engine's epoch
    assert {step for tag, step in writes if tag.startswith("g/")} == {42}


def test_errors():
    metric = BinaryF1Score(from_logits=True)
    with pytest.raises(TypeError, match="Argument `metric` must be an F1 / F-beta metric of ignite_f1"):
        F1TensorboardHandler(object(), "val")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="global_step_transform"):
        F1TensorboardHandler(metric, "val", global_step_transform=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Argument `tag`"):
        F1TensorboardHandler(metric, "/")
    with pytest.raises(TypeError, match="Argument `tag`"):
        F1TensorboardHandler(metric, None)  # type: ignore[arg-type]
    engine = Engine(lambda e, b: b)
    handler = F1TensorboardHandler(metric, "val", global_step_transform=lambda e, n: 1.5)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="must be a TensorboardLogger or a SummaryWriter"):
        handler(engine, object(), Events.COMPLETED)
    with pytest.raises(TypeError, match="global_step must be int"):
        handler(engine, _NullWriter(), Events.COMPLETED)
    with pytest.raises(NotComputableError):
        log_f1_summary(_NullWriter(), MulticlassF1Score(3), "val", 1)


def test_never_starts_a_collective_call(monkeypatch):
    import ignite.distributed as idist

    metric = MultilabelF1Score(3, num_thresholds=5, from_logits=True)
    metric.update((torch.randn(10, 3), torch.randint(0, 2, (10, 3))))

    def no_collective(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the handler started a collective call")

    monkeypatch.setattr(idist, "get_world_size", lambda: 2)
    monkeypatch.setattr(idist, "all_reduce", no_collective)
    with pytest.raises(RuntimeError, match="has not been computed since its last update"):
        log_f1_summary(_NullWriter(), metric, "val", 1, confusion_matrix=False)
    monkeypatch.setattr(idist, "all_reduce", lambda t: t)  # what every process does at compute()
    metric.compute()
    monkeypatch.setattr(idist, "all_reduce", no_collective)
    log_f1_summary(_NullWriter(), metric, "val", 1, confusion_matrix=False)  # reads the kept counts


def test_without_matplotlib_only_the_image_fails(monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    metric = BinaryF1Score(from_logits=True)
    metric.update((torch.tensor([1.0]), torch.tensor([1])))
    with pytest.raises(ImportError, match="`tensorboard` extra"):
        log_f1_summary(_NullWriter(), metric, "val", 1)
    writer = _RecordingWriter()
    log_f1_summary(writer, metric, "val", 1, confusion_matrix=False)  # the rest needs no matplotlib
    assert {"add_scalar", "add_text", "add_custom_scalars"} <= writer.methods


# --------------------------------------------------------------------------- the protocol, duck-typed


class _CountsOnly:
    """The smallest metric the summary takes: the four protocol methods, ``beta`` and ``zero_division``.

    Binary, 12 samples: 6 actual "yes", 4 predicted "yes" of which 3 right, so
    "yes": tp 3, predicted 4, actual 6; "no": tp 5, predicted 8, actual 6.
    """

    beta = 2.0
    zero_division = 0.0

    def per_class_counts(self) -> torch.Tensor:
        return torch.tensor([[5, 3], [8, 4], [6, 6]])

    def scored_classes(self) -> list[int]:
        return [0, 1]

    def class_display_names(self) -> list[str]:
        return ["no", "yes"]

    def threshold_histogram(self) -> torch.Tensor | None:
        return torch.tensor([[4, 1, 1], [1, 2, 3]])  # thresholds 0, 0.5, 1: negatives, positives


def test_any_object_with_the_protocol_is_summarised():
    writer = _RecordingWriter()
    log_f1_summary(writer, _CountsOnly(), "val", 3, confusion_matrix=False, report=False)
    scalars = {args[0]: (args[1], args[2]) for args, _ in writer.calls["add_scalar"]}
    # "yes": precision 3/4, recall 3/6, F2 = 5pr / (4p + r) = 1.875 / 3.5; "no": 5/8, 5/6, 2.6042 / 3.3333
    assert scalars == {
        "val/f2/yes": (pytest.approx(1.875 / 3.5), 3),
        "val/precision/yes": (0.75, 3),
        "val/recall/yes": (0.5, 3),
        "val/f2/no": (pytest.approx(0.78125), 3),
        "val/precision/no": (0.625, 3),
        "val/recall/no": (pytest.approx(5 / 6), 3),
    }
    [(args, kwargs)] = writer.calls["add_pr_curve_raw"]
    assert args[0] == "val/pr_curve" and kwargs == {"num_thresholds": 3}
    assert [list(a) for a in args[1:5]] == [[6, 5, 3], [6, 2, 1], [0, 4, 5], [0, 1, 3]]  # tp fp tn fn
    assert writer.methods == {"add_scalar", "add_custom_scalars", "add_pr_curve_raw"}


def test_the_summary_of_a_duck_equals_the_metrics():
    """A wrapper that passes on only the protocol writes what the metric itself writes."""
    metric = MulticlassFBetaScore(0.5, 4, labels=[3, 1, 0], class_names=["a", "b", "c", "d"])
    metric.update((torch.tensor([0, 1, 2, 3, 3, 1, 0, 2]), torch.tensor([0, 1, 1, 3, 2, 1, 3, 2])))
    members = (*tb._source.ALWAYS, "confusion_matrix", "report", "beta", "zero_division")
    duck = types.SimpleNamespace(**{name: getattr(metric, name) for name in members})
    writers = {"metric": _RecordingWriter(), "duck": _RecordingWriter()}
    for source, writer in zip((metric, duck), writers.values(), strict=True):
        log_f1_summary(writer, source, "val", 1)
    metric_calls, duck_calls = (w.calls for w in writers.values())
    assert (
        metric_calls.keys()
        == duck_calls.keys()
        == {"add_scalar", "add_custom_scalars", "add_image", "add_text"}
    )
    assert metric_calls["add_scalar"] == duck_calls["add_scalar"] and len(duck_calls["add_scalar"]) == 9
    assert metric_calls["add_text"] == duck_calls["add_text"]
    assert np.array_equal(metric_calls["add_image"][0][0][1], duck_calls["add_image"][0][0][1])


def test_an_object_without_the_protocol_is_refused_naming_what_it_lacks():
    expected = re.escape(
        "Argument `metric` must be an F1 / F-beta metric of ignite_f1, or provide what the summary reads "
        "(F1SummarySource): per_class_counts(), scored_classes(), class_display_names(), "
        "threshold_histogram(), beta, zero_division, confusion_matrix() for the image and report() for "
        "the table; got "
    )
    lacks = re.escape("object, which lacks per_class_counts(), ") + ".*, zero_division"
    with pytest.raises(TypeError, match=expected + lacks):
        log_f1_summary(_NullWriter(), object(), "val", 1)  # type: ignore[arg-type]
    # with the image and the table (the defaults), their methods are needed too
    with pytest.raises(TypeError, match=r"got _CountsOnly, which lacks confusion_matrix\(\), report\(\)\.$"):
        F1TensorboardHandler(_CountsOnly(), "val")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"which lacks report\(\)\.$"):
        F1TensorboardHandler(_CountsOnly(), "val", confusion_matrix=False)  # type: ignore[arg-type]
    no_histogram = types.SimpleNamespace(**{k: v for k, v in vars(_CountsOnly).items() if k[0] != "_"})
    del no_histogram.threshold_histogram
    with pytest.raises(TypeError, match=r"which lacks threshold_histogram\(\)\.$"):
        log_f1_summary(_NullWriter(), no_histogram, "val", 1, confusion_matrix=False, report=False)


def test_an_ignite_metric_is_refused_not_taken_for_the_protocol():
    """Ignite's Metric answers any unknown attribute with a callable (a MetricsLambda factory): the
    protocol check must not take that for the members, or building the handler walked an endless
    MetricsLambda (setup_f1_monitoring never returned, its memory growing)."""
    from ignite.metrics import Fbeta, Precision

    from ignite_f1.tensorboard._source import check_source

    for metric in (Fbeta(1.0), Precision()):
        with pytest.raises(
            TypeError, match=rf"got {type(metric).__name__}, which lacks per_class_counts\(\), "
        ):
            check_source(metric, confusion_matrix=True, report=True)
        with pytest.raises(TypeError, match=r"must be an F1 / F-beta metric of ignite_f1"):
            F1TensorboardHandler(metric, "val")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the confidence band (issue 13)


def _typical_metrics(seed: int) -> dict[str, Any]:
    """A binary F2 and a macro multi-class F1 with a 0.5 labels subset, on ~80%-right data."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, NUM_CLASSES, (600,), generator=g)
    wrong = torch.rand(600, generator=g) < 0.2
    y_pred = torch.where(wrong, torch.randint(0, NUM_CLASSES, (600,), generator=g), y)
    metrics = {
        "binary": BinaryFBetaScore(2.0, from_logits=False),
        "macro": MulticlassF1Score(NUM_CLASSES, average="macro", class_names=CLASS_NAMES),
        "labels": MulticlassFBetaScore(0.5, NUM_CLASSES, average="weighted", labels=[4, 0, 2]),
    }
    metrics["binary"].update(((y_pred == 1).float(), (y == 1).long()))
    for name in ("macro", "labels"):
        metrics[name].update((y_pred, y))
    for metric in metrics.values():
        metric.compute()
    return metrics


@pytest.mark.slow  # a real event file read back, 2.6 s: CI runs it
def test_confidence_band_is_the_metrics_interval_around_its_score(tmp_path):
    from tensorboardX import SummaryWriter

    expected: dict[str, list[tuple[int, float, float, float]]] = {
        name: [] for name in ("binary", "macro", "labels")
    }
    with SummaryWriter(str(tmp_path)) as writer:
        for step in (1, 2, 3):
            for name, metric in _typical_metrics(step).items():
                log_f1_summary(writer, metric, name, step, confidence_level=0.9)
                low, high = metric.confidence_interval(0.9, seed=0)
                expected[name].append((step, low, metric.compute(), high))
    acc = _accumulator(tmp_path)
    for name, score in (("binary", "f2"), ("macro", "f1"), ("labels", "f0.5")):
        read = {part: acc.Scalars(f"{name}/{score}{part}") for part in ("_ci_low", "", "_ci_high")}
        for i, (step, low, value, high) in enumerate(expected[name]):
            events = [read[part][i] for part in ("_ci_low", "", "_ci_high")]
            assert [e.step for e in events] == [step] * 3
            assert all(_close(e.value, v) for e, v in zip(events, (low, value, high), strict=True))
            assert low <= value <= high and low < high  # typical data: a band around the score
    # the margin charts join the merged layout, next to the per-class charts
    categories = {c.title: c for c in _layout(acc).category}
    assert set(categories) == {"F-scores per class", "F-score confidence bands"}
    margins = {
        chart.title: [(s.value, s.lower, s.upper) for s in chart.margin.series]
        for chart in categories["F-score confidence bands"].chart
    }
    assert margins == {
        f"{name}/{score} with its 90% bootstrap band": [
            (f"{name}/{score}", f"{name}/{score}_ci_low", f"{name}/{score}_ci_high")
        ]
        for name, score in (("binary", "f2"), ("macro", "f1"), ("labels", "f0.5"))
    }
    assert set(acc.Tags()["scalars"]) >= {tag for [series] in margins.values() for tag in series}


def test_band_named_after_an_output_handlers_scalar(tmp_path):
    """With ``score_name``, the bounds sit next to the scalar Ignite's OutputHandler writes, at its
    steps, and the score is not written twice."""
    evaluator = Engine(lambda engine, batch: batch)
    metric = MulticlassF1Score(NUM_CLASSES, average="micro")
    metric.attach(evaluator, "val_f1")
    g = torch.Generator().manual_seed(5)
    y = torch.randint(0, NUM_CLASSES, (300,), generator=g)
    batches = [(torch.where(torch.rand(300, generator=g) < 0.3, (y + 1) % NUM_CLASSES, y), y)]
    with TensorboardLogger(log_dir=str(tmp_path)) as tb_logger:
        tb_logger.attach_output_handler(evaluator, Events.EPOCH_COMPLETED, tag="val", metric_names=["val_f1"])
        handler = F1TensorboardHandler(
            metric, "val", per_class=False, confidence_level=0.95, score_name="val_f1"
        )
        tb_logger.attach(evaluator, log_handler=handler, event_name=Events.EPOCH_COMPLETED)
        evaluator.run(batches, max_epochs=2)
    acc = _accumulator(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["val/val_f1", "val/val_f1_ci_high", "val/val_f1_ci_low"]
    value = acc.Scalars("val/val_f1")
    assert [e.step for e in value] == [1, 2]  # written once per evaluation, by the OutputHandler
    low, high = metric.confidence_interval(0.95, seed=0)
    for tag, bound in (("val/val_f1_ci_low", low), ("val/val_f1_ci_high", high)):
        assert [e.step for e in acc.Scalars(tag)] == [1, 2]
        assert all(_close(e.value, bound) for e in acc.Scalars(tag))
    [category] = _layout(acc).category
    [chart] = category.chart
    assert (chart.title, category.title) == (
        "val/val_f1 with its 95% bootstrap band",
        "F-score confidence bands",
    )
    [series] = chart.margin.series
    assert (series.value, series.lower, series.upper) == (
        "val/val_f1",
        "val/val_f1_ci_low",
        "val/val_f1_ci_high",
    )


def test_band_refused_for_metrics_without_an_averaged_interval():
    with pytest.raises(
        TypeError, match=r"must be None for MultilabelF1Score: its per-label counts do not hold"
    ):
        F1TensorboardHandler(MultilabelF1Score(3, from_logits=True), "val", confidence_level=0.95)
    light = MulticlassF1Score(3, keep_confusion_matrix=False)
    with pytest.raises(ValueError, match=r"built with keep_confusion_matrix=False: .*got 0\.95\.$"):
        log_f1_summary(_NullWriter(), light, "val", 1, confidence_level=0.95)
    with pytest.raises(ValueError, match=r"with average=None: the band is that of one averaged score"):
        F1TensorboardHandler(MulticlassF1Score(3, average=None), "val", confidence_level=0.95)
    with pytest.raises(TypeError, match=r"must be None for _CountsOnly: it has no confidence_interval\(\)"):
        log_f1_summary(
            _NullWriter(), _CountsOnly(), "val", 1, confusion_matrix=False, report=False, confidence_level=0.9
        )  # type: ignore[arg-type]
    # without a level, all of them are logged as before
    F1TensorboardHandler(MultilabelF1Score(3, from_logits=True), "val")
    F1TensorboardHandler(light, "val")


@pytest.mark.parametrize(
    ("level", "error"),
    [
        (0, ValueError),
        (1, ValueError),
        (1.5, ValueError),
        (-0.5, ValueError),
        (float("nan"), ValueError),
        ("0.95", TypeError),
        (True, TypeError),
        (torch.tensor(0.9), TypeError),
    ],
    ids=["zero", "one", "above", "negative", "nan", "string", "bool", "tensor"],
)
def test_bad_confidence_levels_are_refused(level, error):
    rule = re.escape(
        "Argument `confidence_level` must be None or a real number in (0, 1), such as 0.95, got "
    )
    with pytest.raises(error, match=rule):
        F1TensorboardHandler(BinaryF1Score(from_logits=True), "val", confidence_level=level)
    with pytest.raises(error, match=rule):
        log_f1_summary(
            _NullWriter(), MultilabelF1Score(3, from_logits=True), "val", 1, confidence_level=level
        )


def test_bad_score_names_are_refused():
    metric = BinaryF1Score(from_logits=True)
    with pytest.raises(ValueError, match="Argument `score_name` must be a non-empty string, got ''"):
        F1TensorboardHandler(metric, "val", confidence_level=0.9, score_name="")
    with pytest.raises(TypeError, match="Argument `score_name` must be a non-empty string, got 3"):
        F1TensorboardHandler(metric, "val", confidence_level=0.9, score_name=3)  # type: ignore[arg-type]


def test_band_reads_the_kept_counts_without_a_collective_call(monkeypatch):
    import ignite.distributed as idist

    metric = MulticlassF1Score(3, average="macro")
    metric.update((torch.tensor([0, 1, 2, 2, 1, 0]), torch.tensor([0, 1, 2, 1, 1, 0])))

    def no_collective(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the handler started a collective call")

    monkeypatch.setattr(idist, "get_world_size", lambda: 2)
    monkeypatch.setattr(idist, "all_reduce", lambda t: t)  # what every process does at compute()
    score = metric.compute()
    monkeypatch.setattr(idist, "all_reduce", no_collective)
    writer = _RecordingWriter()
    log_f1_summary(
        writer, metric, "val", 4, per_class=False, report=False, confusion_matrix=False, confidence_level=0.8
    )
    scalars = {args[0]: args[1:] for args, _ in writer.calls["add_scalar"]}
    low, high = metric.confidence_interval(0.8, seed=0)
    assert scalars == {"val/f1": (score, 4), "val/f1_ci_low": (low, 4), "val/f1_ci_high": (high, 4)}
    [((layout,), _)] = writer.calls["add_custom_scalars"]
    assert layout == {
        "F-score confidence bands": {
            "val/f1 with its 80% bootstrap band": ["Margin", ["val/f1", "val/f1_ci_low", "val/f1_ci_high"]]
        }
    }


@pytest.mark.parametrize("zero_division", ["warn", 0.0, 1.0, float("nan")])
def test_band_score_equals_compute(zero_division):
    """The score written next to the bounds is compute()'s, undefined classes included."""
    metrics = [
        BinaryF1Score(from_logits=False, zero_division=zero_division),
        MulticlassF1Score(4, average="macro", zero_division=zero_division),
        MulticlassF1Score(4, average="weighted", labels=[3, 1], zero_division=zero_division),
    ]
    metrics[0].update((torch.tensor([0, 0, 0]), torch.tensor([0, 0, 0])))  # F1 undefined
    for metric in metrics[1:]:
        metric.update((torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2])))  # class 3 unseen
    for metric in metrics:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = metric.compute()
        writer = _RecordingWriter()
        log_f1_summary(
            writer,
            metric,
            "val",
            1,
            per_class=False,
            report=False,
            confusion_matrix=False,
            confidence_level=0.95,
        )
        [value] = [args[1] for args, _ in writer.calls["add_scalar"] if args[0] == "val/f1"]
        assert value == pytest.approx(expected, nan_ok=True)


# --------------------------------------------------------------------------- weights, no matrix, labels, beta


def _support_column(markdown: str) -> dict[str, str]:
    """The support cell of each row of a report table, by the row's first cell."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in markdown.splitlines()[2:]]
    return {cells[0]: cells[-1] for cells in rows}


def test_weighted_support_is_logged_as_the_report_gives_it(tmp_path):
    """With sample_weight=True the support is a sum of weights: 0.4 stays 0.4 (it was rounded to 0)."""
    from tensorboardX import SummaryWriter

    y_pred, y = torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 2, 1])
    weighted = MulticlassF1Score(3, sample_weight=True)
    # float32 weights: class 0 holds 0.4, class 1 0.3 + 0.2, class 2 2.5
    weighted.update((y_pred, y, torch.tensor([0.4, 0.3, 2.5, 0.2])))
    counted = MulticlassF1Score(3)
    counted.update((y_pred, y))  # supports 1, 2, 1
    for metric in (weighted, counted):
        metric.compute()
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, weighted, "weighted", 1, per_class=False, confusion_matrix=False)
        log_f1_summary(writer, counted, "counted", 1, per_class=False, confusion_matrix=False)
    acc = _accumulator(tmp_path)
    support = {
        tag: _support_column(_text(acc, f"{tag}/classification_report")[0]) for tag in ("weighted", "counted")
    }
    report = weighted.report()
    assert [report[key]["support"] for key in ("0", "1", "2")] == pytest.approx([0.4, 0.5, 2.5])
    averages = ("**accuracy**", "**macro avg**", "**weighted avg**")
    assert support["weighted"] == {"0": "0.4", "1": "0.5", "2": "2.5", **dict.fromkeys(averages, "3.4")}
    assert support["counted"] == {"0": "1", "1": "2", "2": "1", **dict.fromkeys(averages, "4")}


def test_a_metric_without_a_matrix_is_logged_without_the_image(tmp_path):
    """keep_confusion_matrix=False (the default above 1024 classes): everything but the image is
    written (the first write raised RuntimeError, after the scalars), and an image asked for
    explicitly is refused when the handler is built."""
    from tensorboardX import SummaryWriter

    light = MulticlassF1Score(4, keep_confusion_matrix=False)
    light.update((torch.tensor([0, 1, 2, 3, 3]), torch.tensor([0, 1, 2, 2, 3])))
    light.compute()
    handler = F1TensorboardHandler(light, "val", global_step_transform=lambda engine, event: 1)
    with SummaryWriter(str(tmp_path)) as writer:
        handler(Engine(lambda engine, batch: batch), writer, Events.COMPLETED)
        log_f1_summary(writer, light, "plain", 1)
    acc = _accumulator(tmp_path)
    assert acc.Tags()["images"] == []
    for tag in ("val", "plain"):
        [event] = acc.Scalars(f"{tag}/f1/2")  # class 2: tp 1, predicted 1, actual 2
        assert _close(event.value, 2 / 3)
        assert len(_text(acc, f"{tag}/classification_report")) == 1
    expected = re.escape(
        "Argument `confusion_matrix` must be None or False for a MulticlassF1Score built with "
        "keep_confusion_matrix=False (the default above 1024 classes)"
    )
    with pytest.raises(ValueError, match=expected + r".*, got True\.$"):
        F1TensorboardHandler(light, "val", confusion_matrix=True)
    with pytest.raises(ValueError, match=expected):
        log_f1_summary(_NullWriter(), light, "val", 1, confusion_matrix=True)
    with pytest.raises(
        TypeError, match=r"^Argument `confusion_matrix` must be None, True or False, got 'yes'\.$"
    ):
        F1TensorboardHandler(light, "val", confusion_matrix="yes")  # type: ignore[arg-type]
    many = MulticlassF1Score(1025)  # the default keeps no matrix above 1024 classes
    assert not F1TensorboardHandler(many, "val")._summary.confusion_matrix


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        pytest.param(
            lambda: BinaryF1Score(from_logits=False, sample_weight=True),
            "a BinaryF1Score built with sample_weight=True: its counts are sums of weights",
            id="binary-weighted",
        ),
        pytest.param(
            lambda: MulticlassF1Score(3, sample_weight=True),
            "a MulticlassF1Score built with sample_weight=True: its counts are sums of weights",
            id="multiclass-weighted",
        ),
        pytest.param(
            lambda: BinaryF1Score(from_logits=False, multidim_average="samplewise"),
            "a BinaryF1Score built with multidim_average='samplewise': its score is a mean of per-image",
            id="binary-samplewise",
        ),
    ],
)
def test_band_refused_for_metrics_whose_interval_raises(make, rule):
    """confidence_interval() raises for these metrics: refused when built, not at the first write."""
    metric = make()
    with pytest.raises(RuntimeError):  # what the first write met
        metric.confidence_interval()
    expected = rf"^Argument `confidence_level` must be None for {re.escape(rule)}.*, got 0\.95\.$"
    with pytest.raises(ValueError, match=expected):
        F1TensorboardHandler(metric, "val", confidence_level=0.95)
    with pytest.raises(ValueError, match=expected):
        log_f1_summary(_NullWriter(), metric, "val", 1, confidence_level=0.95)
    F1TensorboardHandler(metric, "val")  # without a level, logged as before


@pytest.mark.parametrize(
    ("num_classes", "labels", "groups"),
    [(10, [0, 1, 2], [3]), (12, [11, 0, 5, 6, 7, 8, 9], [4, 3])],
    ids=["3-of-10", "7-of-12"],
)
def test_per_class_charts_cover_the_logged_classes_only(tmp_path, num_classes, labels, groups):
    """With ``labels`` only the scored classes are logged: the charts hold those, split by their count."""
    from tensorboardX import SummaryWriter

    metric = MulticlassF1Score(num_classes, labels=labels)
    metric.update((torch.arange(num_classes), torch.arange(num_classes)))
    metric.compute()
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, metric, "val", 1, confusion_matrix=False, report=False)
    acc = _accumulator(tmp_path)
    logged = [f"val/f1/{c}" for c in labels]
    assert sorted(t for t in acc.Tags()["scalars"] if t.startswith("val/f1/")) == sorted(logged)
    [category] = _layout(acc).category
    regexes = [regex for chart in category.chart for regex in chart.multiline.tag]
    matched = [[t for t in logged if re.match(regex, t)] for regex in regexes]
    assert [len(m) for m in matched] == groups  # no chart of classes never logged
    assert [t for m in matched for t in m] == logged


@pytest.mark.parametrize(
    ("beta", "score"),
    [(1e6, "f1e_06"), (1.0000001, "f1.0000001"), (0.5, "f0.5"), (2.0, "f2")],
    ids=["1e6", "near-1", "half", "two"],
)
def test_the_score_name_is_one_cleaned_name_everywhere(tmp_path, beta, score):
    """The per-class scalars, their chart, the band and its chart, and the table header say the same
    name; ``beta=1e6`` gives ``f1e_06`` (the chart and band said ``f1e+06``), ``beta=1.0000001`` is
    not called ``f1``."""
    from tensorboardX import SummaryWriter

    metric = MulticlassFBetaScore(beta, 3)
    metric.update((torch.tensor([0, 1, 2, 1, 1, 0]), torch.tensor([0, 1, 2, 2, 1, 0])))
    metric.compute()
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, metric, "val", 1, confusion_matrix=False, confidence_level=0.9)
    acc = _accumulator(tmp_path)
    scalars = set(acc.Tags()["scalars"])
    per_class = {f"val/{score}/{c}" for c in "012"}
    band = [f"val/{score}", f"val/{score}_ci_low", f"val/{score}_ci_high"]
    assert scalars == per_class | {f"val/{k}/{c}" for k in ("precision", "recall") for c in "012"} | set(band)
    categories = {category.title: category for category in _layout(acc).category}
    [chart] = categories["F-scores per class"].chart
    [regex] = chart.multiline.tag
    assert chart.title == f"val: {score} per class"
    assert {t for t in scalars if re.match(regex, t)} == per_class
    [margin] = categories["F-score confidence bands"].chart
    [series] = margin.margin.series
    assert margin.title == f"val/{score} with its 90% bootstrap band"
    assert [series.value, series.lower, series.upper] == band
    header = _text(acc, "val/classification_report")[0].splitlines()[0]
    assert header == f"| class | precision | recall | f1-score | {score}-score | support |"


def test_in_one_process_the_summary_reads_the_live_counts_as_documented(tmp_path):
    """The docs said "the counts kept at the last compute()": in one process it is the live counts."""
    from tensorboardX import SummaryWriter

    metric = MulticlassF1Score(3)
    metric.update((torch.tensor([0, 1, 2]), torch.tensor([0, 1, 2])))
    assert metric.compute() == 1.0
    metric.update((torch.tensor([1, 2, 0]), torch.tensor([0, 1, 2])))  # after compute()
    with SummaryWriter(str(tmp_path)) as writer:
        log_f1_summary(writer, metric, "val", 1, confusion_matrix=False, report=False, confidence_level=0.95)
    acc = _accumulator(tmp_path)
    [event] = acc.Scalars("val/f1")
    assert _close(event.value, 0.5) and metric.compute() == 0.5  # the live counts, not 1.0
    module_doc = " ".join((tb.__doc__ or "").split())
    guide = " ".join((Path(__file__).parents[2] / "docs" / "guides" / "tensorboard.md").read_text().split())
    assert "In a single process they read the live counts" in module_doc
    assert "In a single process it reads the live counts" in guide
    for doc in (module_doc, guide):
        assert "kept at its last" not in doc
