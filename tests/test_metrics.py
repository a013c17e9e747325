"""The Metric classes inside and outside an Ignite Engine: result types, epochs, state_dict round
trips, constant memory, segmentation with ``ignore_index``, ``validate_args``, ``device`` and the F1
aliases.
"""

from __future__ import annotations

import copy
import io
import math
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
from ignite.engine import Engine, Events
from ignite.exceptions import NotComputableError
from sklearn.metrics import classification_report, confusion_matrix, f1_score, fbeta_score

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
    MultilabelFBetaScore,
)

Batch = tuple[torch.Tensor, torch.Tensor]


def _same(a: Any, b: Any) -> None:
    """Exact equality of results: floats (NaN equal to NaN), tensors (dtype, shape and values) and
    nested dicts (same keys in the same order)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert type(a) is type(b) and a == b, (a, b)


def _split(y_pred: torch.Tensor, y: torch.Tensor, sizes: list[int]) -> list[Batch]:
    assert sum(sizes) == y.shape[0]
    return list(zip(y_pred.split(sizes), y.split(sizes), strict=True))


# --------------------------------------------------------------------------- data


def _binary_data(n: int = 60, seed: int = 0) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=gen), torch.randint(0, 2, (n,), generator=gen)


def _multiclass_data(n: int = 60, num_classes: int = 4, seed: int = 0) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, num_classes, generator=gen), torch.randint(0, num_classes, (n,), generator=gen)


def _multilabel_data(n: int = 60, num_labels: int = 4, seed: int = 0) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    # a sparse target so that some samples have no true label (the samples-average special case)
    y = (torch.rand(n, num_labels, generator=gen) < 0.3).long()
    return torch.randn(n, num_labels, generator=gen) - 0.8, y


def _segmentation_data(n: int = 12, num_classes: int = 4, seed: int = 0) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    scores = torch.randn(n, num_classes, 5, 7, generator=gen)
    y = torch.randint(0, num_classes, (n, 5, 7), generator=gen)
    y[torch.rand(n, 5, 7, generator=gen) < 0.2] = 255
    return scores, y


# --------------------------------------------------------------------------- Engine


NAMES = ["cat", "dog", "owl", "yak"]


def test_engine_puts_floats_and_per_class_results_in_state_metrics() -> None:
    mc_scores, mc_y = _multiclass_data(50)
    bin_logits, bin_y = _binary_data(50)
    ml_logits, ml_y = _multilabel_data(50)
    data = [
        {"mc": (mc_scores[i : i + 8], mc_y[i : i + 8]), "bin": (bin_logits[i : i + 8], bin_y[i : i + 8])}
        | {"ml": (ml_logits[i : i + 8], ml_y[i : i + 8])}
        for i in range(0, 50, 8)
    ]
    evaluator = Engine(lambda engine, batch: batch)

    def mc(output: dict[str, Batch]) -> Batch:
        return output["mc"]

    MulticlassF1Score(4, output_transform=mc).attach(evaluator, "f1")
    MulticlassFBetaScore(2.0, 4, average="weighted", output_transform=mc).attach(evaluator, "f2_weighted")
    MulticlassF1Score(4, average=None, class_names=NAMES, output_transform=mc).attach(evaluator, "per_class")
    MulticlassF1Score(4, average=None, output_transform=mc).attach(evaluator, "per_class_tensor")
    BinaryF1Score(output_transform=lambda o: o["bin"], from_logits=True).attach(evaluator, "binary_f1")
    MultilabelF1Score(
        4, average="samples", zero_division=0.0, output_transform=lambda o: o["ml"], from_logits=True
    ).attach(evaluator, "ml_samples")

    metrics = evaluator.run(data).metrics

    mc_pred = mc_scores.argmax(1).numpy()
    expected_mc = f1_score(y_true=mc_y.numpy(), y_pred=mc_pred, average="macro")
    assert type(metrics["f1"]) is float
    assert metrics["f1"] == pytest.approx(expected_mc, abs=1e-12)
    assert type(metrics["f2_weighted"]) is float
    expected_f2 = fbeta_score(y_true=mc_y.numpy(), y_pred=mc_pred, beta=2.0, average="weighted")
    assert metrics["f2_weighted"] == pytest.approx(expected_f2, abs=1e-12)

    per_class = f1_score(y_true=mc_y.numpy(), y_pred=mc_pred, average=None, labels=range(4))
    assert isinstance(metrics["per_class"], dict)
    assert list(metrics["per_class"]) == NAMES
    assert all(type(v) is float for v in metrics["per_class"].values())
    assert list(metrics["per_class"].values()) == pytest.approx(per_class.tolist(), abs=1e-12)

    tensor = metrics["per_class_tensor"]
    assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float64 and tensor.shape == (4,)
    assert tensor.tolist() == pytest.approx(per_class.tolist(), abs=1e-12)

    assert type(metrics["binary_f1"]) is float
    expected_bin = f1_score(y_true=bin_y.numpy(), y_pred=(bin_logits >= 0).long().numpy())
    assert metrics["binary_f1"] == pytest.approx(expected_bin, abs=1e-12)

    assert type(metrics["ml_samples"]) is float
    expected_ml = f1_score(
        y_true=ml_y.numpy(), y_pred=(ml_logits >= 0).long().numpy(), average="samples", zero_division=0.0
    )
    assert metrics["ml_samples"] == pytest.approx(expected_ml, abs=1e-12)


def test_every_epoch_starts_from_zero() -> None:
    """Three epochs over different data: each epoch's value is sklearn on that epoch only."""
    scores, y = _multiclass_data(90, seed=3)
    batches = _split(scores, y, [10] * 9)  # 3 epochs of 3 batches, the iterator runs on across epochs
    evaluator = Engine(lambda engine, batch: batch)
    metric = MulticlassF1Score(4, average="micro")
    metric.attach(evaluator, "f1")
    seen: list[tuple[float, int]] = []

    @evaluator.on(Events.EPOCH_COMPLETED)
    def record(engine: Engine) -> None:
        seen.append((engine.state.metrics["f1"], int(metric.confusion_matrix().sum())))

    evaluator.run(batches, max_epochs=3, epoch_length=3)

    assert len(seen) == 3
    for epoch, (value, count) in enumerate(seen):
        part = slice(30 * epoch, 30 * (epoch + 1))
        expected = f1_score(y_true=y[part].numpy(), y_pred=scores[part].argmax(1).numpy(), average="micro")
        assert count == 30
        assert value == pytest.approx(expected, abs=1e-12)


def test_a_second_run_does_not_carry_over() -> None:
    evaluator = Engine(lambda engine, batch: batch)
    BinaryF1Score(from_logits=True).attach(evaluator, "f1")
    for seed in (1, 2):
        logits, y = _binary_data(40, seed=seed)
        value = evaluator.run(_split(logits, y, [16, 16, 8])).metrics["f1"]
        assert value == pytest.approx(f1_score(y_true=y.numpy(), y_pred=(logits >= 0).numpy()), abs=1e-12)


# --------------------------------------------------------------------------- state_dict round trips


CONFIGS: list[Any] = [
    pytest.param(BinaryFBetaScore, {"beta": 0.5, "from_logits": True}, _binary_data, id="binary-f0.5"),
    pytest.param(
        BinaryF1Score,
        {"threshold": 0.7, "from_logits": True, "zero_division": 1.0},
        _binary_data,
        id="binary-f1",
    ),
    pytest.param(MulticlassF1Score, {"num_classes": 4}, _multiclass_data, id="multiclass-macro"),
    pytest.param(
        MulticlassFBetaScore,
        {"beta": 2.0, "num_classes": 4, "average": None, "class_names": NAMES},
        _multiclass_data,
        id="multiclass-none-names",
    ),
    pytest.param(
        MulticlassF1Score,
        {"num_classes": 4, "average": "weighted", "labels": [2, 0]},
        _multiclass_data,
        id="multiclass-weighted-labels",
    ),
    pytest.param(
        MulticlassF1Score,
        {"num_classes": 4, "average": None, "ignore_index": 255, "zero_division": 0.0},
        _segmentation_data,
        id="segmentation-none",
    ),
    pytest.param(
        MultilabelF1Score,
        {"num_labels": 4, "from_logits": True, "zero_division": 0.0},
        _multilabel_data,
        id="multilabel-macro",
    ),
    pytest.param(
        MultilabelF1Score,
        {"num_labels": 4, "from_logits": True, "average": "micro", "zero_division": 0.0},
        _multilabel_data,
        id="multilabel-micro",
    ),
    pytest.param(
        MultilabelFBetaScore,
        {"beta": 0.5, "num_labels": 4, "from_logits": True, "average": "samples", "zero_division": 0.0},
        _multilabel_data,
        id="multilabel-samples",
    ),
    pytest.param(
        MultilabelFBetaScore,
        {
            "beta": 3.0,
            "num_labels": 4,
            "from_logits": True,
            "average": "samples",
            "zero_division": float("nan"),
        },
        _multilabel_data,
        id="multilabel-samples-zd_nan",
    ),
    pytest.param(
        MultilabelF1Score,
        {"num_labels": 4, "from_logits": True, "average": None, "class_names": NAMES, "zero_division": 1.0},
        _multilabel_data,
        id="multilabel-none-names",
    ),
]


def _results(metric: Any) -> dict[str, Any]:
    return {"compute": metric.compute(), "cm": metric.confusion_matrix(), "report": metric.report()}


def _batches(data: Callable[..., Batch]) -> list[Batch]:
    y_pred, y = data()
    sizes = [len(part) for part in np.array_split(np.arange(y.shape[0]), 10)]
    return _split(y_pred, y, sizes)


@pytest.mark.parametrize(("cls", "kwargs", "data"), CONFIGS)
def test_state_dict_mid_epoch_round_trip(
    cls: type, kwargs: dict[str, Any], data: Callable[..., Batch]
) -> None:
    batches = _batches(data)
    uninterrupted = cls(**kwargs)
    for batch in batches:
        uninterrupted.update(batch)

    saved = cls(**kwargs)
    for batch in batches[:4]:
        saved.update(batch)
    saved.compute()  # a value read mid-epoch must not leak into the checkpoint
    buffer = io.BytesIO()
    torch.save(saved.state_dict(), buffer)
    buffer.seek(0)

    restored = cls(**kwargs)  # a fresh object, as after a restart
    restored.load_state_dict(torch.load(buffer))
    for batch in batches[4:]:
        restored.update(batch)

    _same(_results(restored), _results(uninterrupted))


@pytest.mark.parametrize(("cls", "kwargs", "data"), CONFIGS)
def test_load_state_dict_replaces_a_computed_state(
    cls: type, kwargs: dict[str, Any], data: Callable[..., Batch]
) -> None:
    """Loading into a used metric that has already computed (and kept reduced counts) gives the
    loaded state's results, not the old ones."""
    batches = _batches(data)
    source = cls(**kwargs)
    for batch in batches[:3]:
        source.update(batch)
    expected = _results(source)
    state = torch.load(_saved(source))

    target = cls(**kwargs)
    for batch in batches[3:]:
        target.update(batch)
    _results(target)
    target.load_state_dict(state)
    _same(_results(target), expected)


def _saved(metric: Any) -> io.BytesIO:
    buffer = io.BytesIO()
    torch.save(metric.state_dict(), buffer)
    buffer.seek(0)
    return buffer


# --------------------------------------------------------------------------- constant memory


def _state_bytes(metric: Any) -> tuple[int, list[tuple[str, tuple[int, ...], torch.dtype]]]:
    """Bytes held in tensors by the state dict and by the object's attributes (including dicts of
    tensors such as the reduced counts kept after compute), with the layout of every tensor."""
    layout: list[tuple[str, tuple[int, ...], torch.dtype]] = []

    def walk(path: str, value: Any) -> int:
        if isinstance(value, torch.Tensor):
            layout.append((path, tuple(value.shape), value.dtype))
            return value.numel() * value.element_size()
        if isinstance(value, dict):
            return sum(walk(f"{path}.{key}", item) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return sum(walk(f"{path}[{i}]", item) for i, item in enumerate(value))
        return 0

    total = walk("state_dict", metric.state_dict()) + walk("attributes", vars(metric))
    return total, layout


@pytest.mark.parametrize(
    ("make", "batch"),
    [
        pytest.param(partial(BinaryF1Score, from_logits=True), lambda: _binary_data(3), id="binary"),
        pytest.param(
            lambda: MulticlassF1Score(4, average=None, zero_division=0.0),
            lambda: _multiclass_data(3),
            id="multiclass",
        ),
        pytest.param(
            lambda: MultilabelF1Score(4, average="samples", zero_division=0.0, from_logits=True),
            lambda: _multilabel_data(3),
            id="multilabel-samples",
        ),
    ],
)
def test_state_size_does_not_grow_with_updates(make: Callable[[], Any], batch: Callable[[], Batch]) -> None:
    sizes = []
    for updates in (10, 10_000):
        metric = make()
        y_pred, y = batch()
        for _ in range(updates):
            metric.update((y_pred, y))
        metric.compute()
        sizes.append(_state_bytes(metric))
        assert int(metric.confusion_matrix().sum()) >= 3 * updates
    assert sizes[0][0] > 0
    assert sizes[0] == sizes[1]


# --------------------------------------------------------------------------- segmentation


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
def test_segmentation_with_ignore_index_equals_sklearn_on_the_union(average: str | None) -> None:
    scores, y = _segmentation_data(n=7, seed=5)
    metric = MulticlassFBetaScore(
        beta=0.5, num_classes=4, average=average, ignore_index=255, zero_division=0.0
    )
    for batch in _split(scores, y, [3, 1, 3]):
        metric.update(batch)

    keep = y != 255
    assert 0 < int((~keep).sum()) < keep.numel()
    y_true = y[keep].numpy()
    y_pred = scores.argmax(1)[keep].numpy()
    expected = fbeta_score(
        y_true=y_true,
        y_pred=y_pred,
        beta=0.5,
        average=average,
        labels=range(4) if average is None else None,
        zero_division=0.0,
    )
    result = metric.compute()
    if average is None:
        assert isinstance(result, torch.Tensor) and result.dtype == torch.float64
        np.testing.assert_allclose(result.numpy(), expected, rtol=0, atol=1e-12)
    else:
        assert type(result) is float and result == pytest.approx(expected, abs=1e-12)

    assert torch.equal(
        metric.confusion_matrix(),
        torch.as_tensor(confusion_matrix(y_true=y_true, y_pred=y_pred, labels=range(4))),
    )
    report = classification_report(
        y_true=y_true, y_pred=y_pred, labels=range(4), output_dict=True, zero_division=0.0
    )
    _close_report(metric.report(), report)


def _close_report(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(actual) == list(expected)
    for key, value in expected.items():
        if isinstance(value, dict):
            assert list(actual[key]) == list(value)
            for field, number in value.items():
                assert actual[key][field] == pytest.approx(number, abs=1e-12), (key, field)
        else:
            assert actual[key] == pytest.approx(value, abs=1e-12), key


# --------------------------------------------------------------------------- validate_args, device


PAIRS: list[Any] = [
    pytest.param(lambda **kw: BinaryFBetaScore(beta=2.0, **kw, from_logits=True), _binary_data, id="binary"),
    pytest.param(
        lambda **kw: MulticlassF1Score(4, average="weighted", **kw), _multiclass_data, id="multiclass"
    ),
    pytest.param(
        lambda **kw: MulticlassF1Score(4, average=None, ignore_index=255, zero_division=0.0, **kw),
        _segmentation_data,
        id="segmentation",
    ),
    pytest.param(
        lambda **kw: MultilabelFBetaScore(
            0.5, 4, average="samples", zero_division=1.0, **kw, from_logits=True
        ),
        _multilabel_data,
        id="multilabel-samples",
    ),
]


@pytest.mark.parametrize(("make", "data"), PAIRS)
def test_validate_args_false_gives_the_same_result_on_valid_input(
    make: Callable[..., Any], data: Callable[..., Batch]
) -> None:
    checked, unchecked = make(), make(validate_args=False)
    for batch in _batches(data):
        checked.update(batch)
        unchecked.update(batch)
    _same(_results(unchecked), _results(checked))


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")], ids=["str", "torch.device"])
@pytest.mark.parametrize(("make", "data"), PAIRS)
def test_cpu_device_passes_inputs_through(
    make: Callable[..., Any], data: Callable[..., Batch], device: str | torch.device
) -> None:
    on_device, default = make(device=device), make()
    for y_pred, y in _batches(data):
        kept = (y_pred.clone(), y.clone())
        on_device.update((y_pred, y))
        default.update((y_pred, y))
        assert torch.equal(y_pred, kept[0]) and torch.equal(y, kept[1])  # inputs are not modified
    for name, value in vars(on_device).items():
        if isinstance(value, torch.Tensor):
            assert value.device == torch.device("cpu"), name
    _same(_results(on_device), _results(default))
    assert on_device.confusion_matrix().device == torch.device("cpu")
    assert on_device.confusion_matrix().dtype == torch.int64


# --------------------------------------------------------------------------- F1 aliases


ALIASES: list[Any] = [
    pytest.param(BinaryF1Score, BinaryFBetaScore, {"from_logits": True}, _binary_data, id="binary"),
    pytest.param(
        BinaryF1Score,
        BinaryFBetaScore,
        {"from_logits": True, "threshold": 0.3, "zero_division": 0.0},
        _binary_data,
        id="binary-kw",
    ),
    pytest.param(
        MulticlassF1Score, MulticlassFBetaScore, {"num_classes": 4}, _multiclass_data, id="multiclass"
    ),
    pytest.param(
        MulticlassF1Score,
        MulticlassFBetaScore,
        {"num_classes": 4, "average": None, "labels": [3, 1], "ignore_index": 255, "class_names": NAMES},
        _segmentation_data,
        id="segmentation-kw",
    ),
    pytest.param(
        MultilabelF1Score,
        MultilabelFBetaScore,
        {"num_labels": 4, "from_logits": True, "average": "samples", "zero_division": 0.0},
        _multilabel_data,
        id="multilabel-samples",
    ),
    pytest.param(
        MultilabelF1Score,
        MultilabelFBetaScore,
        {
            "num_labels": 4,
            "from_logits": True,
            "average": None,
            "threshold": 0.4,
            "class_names": NAMES,
            "zero_division": 1.0,
        },
        _multilabel_data,
        id="multilabel-kw",
    ),
]


@pytest.mark.parametrize(("f1_cls", "fbeta_cls", "kwargs", "data"), ALIASES)
def test_f1_classes_equal_fbeta_with_beta_1(
    f1_cls: type, fbeta_cls: type, kwargs: dict[str, Any], data: Callable[..., Batch]
) -> None:
    f1, fbeta = f1_cls(**kwargs), fbeta_cls(beta=1.0, **kwargs)
    assert issubclass(f1_cls, fbeta_cls)
    assert f1.beta == 1.0
    for batch in _batches(data):
        f1.update(batch)
        fbeta.update(batch)
    _same(_results(f1), _results(fbeta))


def test_a_multiclass_metric_has_no_threshold_curve_and_keeps_its_counts() -> None:
    # Ignite's Metric.__getattr__ would answer with a MetricsLambda factory whose use resets the metric
    metric = MulticlassF1Score(3)
    metric.update((torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])))
    before = metric.confusion_matrix()
    for name in ("curve", "best_threshold", "num_thresholds"):
        with pytest.raises(AttributeError, match=rf"MulticlassF1Score has no `{name}`: threshold curves"):
            getattr(metric, name)
        assert not hasattr(metric, name)
    with pytest.raises(AttributeError, match=r"MulticlassF1Score has no `reprot`\.$"):
        metric.reprot()  # type: ignore[attr-defined]
    assert torch.equal(metric.confusion_matrix(), before)


def test_a_class_named_like_another_metric_does_not_overwrite_it() -> None:
    y_pred, y = torch.tensor([0, 1, 2, 2, 1, 0]), torch.tensor([0, 1, 1, 2, 2, 0])
    evaluator = Engine(lambda engine, batch: batch)
    MulticlassF1Score(3).attach(evaluator, "f1")
    MulticlassF1Score(3, average=None, class_names=["a", "f1", "c"]).attach(evaluator, "per_class")
    metrics = evaluator.run([(y_pred, y)]).metrics
    assert metrics["f1"] == f1_score(y.numpy(), y_pred.numpy(), average="macro")
    assert set(metrics) == {"f1", "per_class"}  # the per-class dict stays under its own name
    assert list(metrics["per_class"]) == ["a", "f1", "c"]


def test_numpy_labels_and_class_names_are_accepted() -> None:
    names = np.array(["a", "b", "c"])
    metric = MulticlassF1Score(3, average=None, labels=np.array([2, 0]), class_names=names)
    metric.update((torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 2])))
    expected = f1_score([0, 1, 1, 2], [0, 1, 2, 2], average=None, labels=[2, 0])
    assert metric.compute() == {"c": expected[0], "a": expected[1]}


def test_label_predictions_at_ignored_targets_may_hold_anything() -> None:
    # a common segmentation convention: the prediction is ignore_index where the target is
    y = torch.tensor([0, 1, 255, 2, 255])
    y_pred = torch.tensor([0, 2, 255, 2, 7])
    metric = MulticlassF1Score(3, ignore_index=255)
    metric.update((y_pred, y))
    assert metric.compute() == f1_score([0, 1, 2], [0, 2, 2], average="macro")
    with pytest.raises(ValueError, match=r"Argument `y_pred` must hold class labels in \[0, 3\)"):
        metric.update((torch.tensor([0, 7]), torch.tensor([0, 1])))  # 7 at a kept target


# --------------------------------------------------------------------------- probabilities read as logits


def _warnings_of(call: Callable[[], Any]) -> list[str]:
    """The UserWarnings a call emits (every one, however often it was seen before)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _probability_warnings(metric: Any) -> list[str]:
    return [m for m in _warnings_of(metric.compute) if "look like probabilities" in m]


_BINARY_LOGITS = torch.tensor([2.0, -2.0, -3.0, 1.0, 0.4, -0.2])
_BINARY_Y = torch.tensor([1, 0, 0, 1, 1, 0])
_ML_LOGITS = torch.tensor([[2.0, -1.0, 0.5], [-0.5, 1.0, -2.0], [0.3, 0.2, -0.7], [-1.5, 0.1, 1.2]])
_ML_Y = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 1]])

PROBABILITY_CASES = [
    pytest.param(BinaryF1Score, {}, _BINARY_LOGITS, _BINARY_Y, id="binary"),
    pytest.param(
        BinaryFBetaScore, {"beta": 2.0, "num_thresholds": 5}, _BINARY_LOGITS, _BINARY_Y, id="binary-curve"
    ),
    pytest.param(MultilabelF1Score, {"num_labels": 3}, _ML_LOGITS, _ML_Y, id="multilabel"),
    pytest.param(
        MultilabelFBetaScore,
        {"beta": 0.5, "num_labels": 3, "average": "samples"},
        _ML_LOGITS,
        _ML_Y,
        id="ml-samples",
    ),
]


@pytest.mark.parametrize(("cls", "kwargs", "logits", "y"), PROBABILITY_CASES)
def test_sigmoid_outputs_read_as_logits_warn_once_per_compute(
    cls: type, kwargs: dict[str, Any], logits: torch.Tensor, y: torch.Tensor
) -> None:
    """The most common mistake: sigmoid, then a metric that expects logits. The count is still what
    was asked for (probabilities compared with logit(0.5) = 0), but compute() says so."""
    metric = cls(from_logits=True, zero_division=0.0, **kwargs)
    probabilities = torch.sigmoid(logits)
    metric.update((probabilities[:2], y[:2]))
    metric.update((probabilities[2:], y[2:]))
    for _ in range(2):  # one warning per compute(), not one per batch
        messages = _probability_warnings(metric)
        assert len(messages) == 1
        assert f"{cls.__name__} was built with from_logits=True" in messages[0]
        assert "build the metric with from_logits=False" in messages[0]
    # what was computed is sklearn on probabilities compared with 0, as asked
    average = kwargs.get("average", "macro") if y.ndim == 2 else "binary"
    expected = fbeta_score(
        y_true=y.numpy(),
        y_pred=(probabilities >= 0).numpy(),
        beta=kwargs.get("beta", 1.0),
        average=average,
        zero_division=0.0,
    )
    with pytest.warns(UserWarning, match="look like probabilities"):
        assert metric.compute() == expected


@pytest.mark.parametrize(("cls", "kwargs", "logits", "y"), PROBABILITY_CASES)
def test_real_logits_labels_and_probabilities_do_not_warn(
    cls: type, kwargs: dict[str, Any], logits: torch.Tensor, y: torch.Tensor
) -> None:
    probabilities = torch.sigmoid(logits)
    # one score outside [0, 1] in any batch since reset() shows logits
    metric = cls(from_logits=True, zero_division=0.0, **kwargs)
    metric.update((probabilities[:2], y[:2]))
    metric.update((logits[2:], y[2:]))
    assert _probability_warnings(metric) == []
    # probabilities announced as such
    metric = cls(from_logits=False, zero_division=0.0, **kwargs)
    metric.update((probabilities, y))
    assert _probability_warnings(metric) == []
    # integer and bool predictions are labels, not scores
    metric = cls(from_logits=True, zero_division=0.0, **kwargs)
    metric.update(((logits >= 0).long(), y))
    metric.update(((logits >= 0), y))
    assert _probability_warnings(metric) == []
    # without validation no score is read: nothing is known, nothing is said (documented)
    metric = cls(from_logits=True, zero_division=0.0, validate_args=False, **kwargs)
    metric.update((probabilities, y))
    assert _probability_warnings(metric) == []


@pytest.mark.parametrize(("cls", "kwargs", "logits", "y"), PROBABILITY_CASES)
def test_the_probability_flag_follows_reset_and_ignores_rejected_batches(
    cls: type, kwargs: dict[str, Any], logits: torch.Tensor, y: torch.Tensor
) -> None:
    probabilities = torch.sigmoid(logits)
    metric = cls(from_logits=True, zero_division=0.0, **kwargs)
    metric.update((logits, y))
    assert _probability_warnings(metric) == []
    metric.reset()  # a new epoch of probabilities: the logits of the last one are forgotten
    metric.update((probabilities, y))
    with pytest.raises(ValueError, match="must hold only 0 and 1"):
        metric.update((logits, y + 2))  # rejected: its logits were never counted
    assert len(_probability_warnings(metric)) == 1
    metric.reset()
    metric.update((probabilities, y))
    metric.update((logits[:0], y[:0]))  # an empty batch says nothing either way
    assert len(_probability_warnings(metric)) == 1
    metric.update((logits, y))
    assert _probability_warnings(metric) == []


def test_the_issue_example_warns() -> None:
    metric = BinaryF1Score(from_logits=True)
    metric.update((torch.sigmoid(torch.tensor([2.0, -2.0, -3.0, 1.0])), torch.tensor([1, 0, 0, 1])))
    with pytest.warns(UserWarning, match=r"look like probabilities .* from_logits=False"):
        metric.compute()


# --------------------------------------------------------------------------- state dicts: copies, checked


def _entries(state: Any) -> Any:
    """The per-rank entries of an Ignite state dict (a single process: the only rank)."""
    (per_rank,) = state.values()
    return per_rank[0]


STATE_CONFIGS = [
    pytest.param(
        partial(BinaryFBetaScore, beta=2.0, from_logits=True, num_thresholds=5),
        partial(BinaryFBetaScore, beta=2.0, from_logits=True, num_thresholds=6),
        _binary_data,
        id="binary-curve",
    ),
    pytest.param(
        partial(MulticlassF1Score, 4), partial(MulticlassF1Score, 3), _multiclass_data, id="multiclass"
    ),
    pytest.param(
        partial(MultilabelF1Score, 4, from_logits=True, average="samples", num_thresholds=3),
        partial(MultilabelF1Score, 3, from_logits=True, average="samples", num_thresholds=3),
        _multilabel_data,
        id="multilabel-curve",
    ),
]


@pytest.mark.parametrize(("make", "make_other", "data"), STATE_CONFIGS)
def test_state_dict_is_a_snapshot_and_loading_copies(
    make: Callable[[], Any], make_other: Any, data: Any
) -> None:
    batches = _batches(data)
    metric = make()
    metric.update(batches[0])
    saved = metric.state_dict()
    expected = {name: tensor.clone() for name, tensor in _entries(saved).items()}
    metric.update(batches[1])  # a later update must not reach the snapshot
    for name, tensor in _entries(saved).items():
        assert torch.equal(tensor, expected[name]), name

    first, second = make(), make()
    first.load_state_dict(saved)
    second.load_state_dict(saved)
    first.update(batches[2])  # nor one metric's update the other's counts
    for name, tensor in _entries(second.state_dict()).items():
        assert torch.equal(tensor, expected[name]), name
    reference = make()
    reference.update(batches[0])
    _same(_results(second), _results(reference))
    reference.update(batches[2])
    _same(_results(first), _results(reference))


def _tampered(state: Any, change: Callable[[dict[str, Any]], None]) -> Any:
    state = copy.deepcopy(state)
    change(_entries(state))
    return state


def _first_count(entries: dict[str, Any]) -> str:
    return next(name for name, value in entries.items() if value.dtype == torch.int64)


TAMPERINGS = [
    pytest.param(
        lambda e: e.pop(_first_count(e)),
        r"^Argument `state_dict` must be a state dict from \w+\.state_dict\(\) of a metric configured like "
        r"this one \(.*\), got one Ignite refuses: Required state attribute '_\w+' is absent",
        id="missing_entry",
    ),
    pytest.param(
        lambda e: e.update(_extra=torch.zeros(2, dtype=torch.int64)),
        r"^Argument `state_dict` must hold only the entries \[.*\] of this \w+ \(.*\), got the extra entries "
        r"\['_extra'\]\.$",
        id="extra_entry",
    ),
    pytest.param(
        lambda e: e.update({_first_count(e): e[_first_count(e)].to(torch.float64)}),
        r"^Argument `state_dict` entry `_\w+` must have dtype torch\.int64, got torch\.float64\.$",
        id="float_counts",
    ),
    pytest.param(
        lambda e: e[_first_count(e)].view(-1).__setitem__(0, -3),
        r"^Argument `state_dict` entry `_\w+` must hold counts >= 0, got a value of -3\.$",
        id="negative_count",
    ),
    pytest.param(
        lambda e: e.update({_first_count(e): e[_first_count(e)][..., :1]}),
        r"^Argument `state_dict` entry `_\w+` must have shape \(.*\) for this \w+ \(.*\), got \(.*\)\.$",
        id="wrong_shape",
    ),
    pytest.param(
        lambda e: e.update({_first_count(e): e[_first_count(e)].tolist()}),
        r"got one Ignite refuses: Unsupported type for provided state_dict data: <class 'list'>",
        id="list_instead_of_tensor",
    ),
    pytest.param(
        lambda e: e.update({_first_count(e): 3}),
        r"^Argument `state_dict` entry `_\w+` must be a torch\.Tensor, got int\.$",
        id="int_instead_of_tensor",
    ),
]


@pytest.mark.parametrize(("change", "match"), TAMPERINGS)
@pytest.mark.parametrize(("make", "make_other", "data"), STATE_CONFIGS)
def test_load_state_dict_refuses_a_tampered_state_and_keeps_its_own(
    make: Callable[[], Any], make_other: Any, data: Any, change: Callable[[dict[str, Any]], None], match: str
) -> None:
    batches = _batches(data)
    source = make()
    source.update(batches[0])
    bad = _tampered(source.state_dict(), change)

    metric = make()
    metric.update(batches[1])
    before = {"state": copy.deepcopy(metric.state_dict()), "results": _results(metric)}
    with pytest.raises(ValueError, match=match):
        metric.load_state_dict(bad)
    _same(_entries(metric.state_dict()), _entries(before["state"]))  # all or nothing: nothing
    _same(_results(metric), before["results"])


@pytest.mark.parametrize(("make", "make_other", "data"), STATE_CONFIGS)
def test_load_state_dict_refuses_the_state_of_another_configuration(
    make: Callable[[], Any], make_other: Callable[[], Any], data: Any
) -> None:
    """Another num_classes / num_labels, or a threshold histogram of another size."""
    other = make_other()
    sizes = {name: value for name, value in vars(other).items() if name in ("num_classes", "num_labels")}
    other.update(data(**sizes))
    metric = make()
    with pytest.raises(
        ValueError, match=r"must have shape \(.*\) for this \w+ \((num_classes|num_labels|num_thresholds)=\d"
    ):
        metric.load_state_dict(other.state_dict())
    with pytest.raises(NotComputableError):  # still empty
        metric.compute()


def test_load_state_dict_refuses_negative_or_non_finite_sums() -> None:
    source = MultilabelF1Score(3, from_logits=True, average="samples")
    source.update(_multilabel_data(num_labels=3))
    for value, match in (
        (-0.5, r"must hold sums >= 0, got a value of -0\.5\."),
        (math.nan, "must hold finite sums"),
    ):
        state = copy.deepcopy(source.state_dict())
        _entries(state)["_sample_sums"][1] = value
        metric = MultilabelF1Score(3, from_logits=True, average="samples")
        with pytest.raises(ValueError, match=rf"^Argument `state_dict` entry `_sample_sums` {match}"):
            metric.load_state_dict(state)


def test_load_state_dict_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(TypeError, match=r"^Argument `state_dict` must be a mapping from MulticlassF1Score"):
        MulticlassF1Score(3).load_state_dict([1, 2])
