"""The counting metric shared by the three kinds (``metrics/_base.py``, ``metrics/_state.py``).

- The protocol (per_class_counts, scored_classes, class_display_names, threshold_histogram), the
  attach registry (attached_metric) and ``_scores.per_class_prf``.
- Inside an Ignite Engine: result types in ``state.metrics``, every epoch and run from zero.
- state_dict: mid-epoch round trips, snapshots and copies, the checks of ``load_state_dict``.
- Constant memory, ``validate_args=False``, ``device``, the F1 aliases of every kind.
- The warning when sigmoid outputs are read as logits (binary and multilabel).
"""

from __future__ import annotations

import copy
import gc
import io
import warnings
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
from _cases import (
    Batch,
    binary_batch,
    multiclass_batch,
    multilabel_batch,
    run_batches,
    segmentation_batch,
    split_even,
    split_sizes,
)
from _reference import assert_same, record_warnings
from ignite.engine import Engine, Events
from ignite.exceptions import NotComputableError
from sklearn.metrics import (
    confusion_matrix,
    f1_score,
    fbeta_score,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
    MultilabelFBetaScore,
)
from ignite_f1._scores import per_class_prf
from ignite_f1.metrics import attached_metric

_RNG = np.random.default_rng(7)


def _counts_of(cm: np.ndarray) -> list[list[int]]:
    """(3, K) tp, predicted, actual positives of a square confusion matrix (rows: true)."""
    return [np.diag(cm).tolist(), cm.sum(0).tolist(), cm.sum(1).tolist()]


def _binary() -> tuple[BinaryFBetaScore, np.ndarray, np.ndarray]:
    y_pred, y = _RNG.integers(0, 2, 40), _RNG.integers(0, 2, 40)
    metric = BinaryFBetaScore(beta=2.0, from_logits=False)
    metric.update((torch.from_numpy(y_pred), torch.from_numpy(y)))
    return metric, y_pred, y


def test_binary_per_class_counts_are_those_of_sklearns_confusion_matrix() -> None:
    metric, y_pred, y = _binary()
    counts = metric.per_class_counts()
    assert counts.dtype == torch.int64 and counts.device.type == "cpu" and counts.shape == (3, 2)
    assert counts.tolist() == _counts_of(confusion_matrix(y, y_pred, labels=[0, 1]))


def test_multiclass_per_class_counts_are_those_of_sklearns_confusion_matrix() -> None:
    y_pred, y = _RNG.integers(0, 4, 60), _RNG.integers(0, 4, 60)
    metric = MulticlassFBetaScore(beta=0.5, num_classes=4, labels=[3, 1])
    metric.update((torch.from_numpy(y_pred), torch.from_numpy(y)))
    assert metric.per_class_counts().tolist() == _counts_of(confusion_matrix(y, y_pred, labels=range(4)))
    assert metric.scored_classes() == [3, 1]


def test_multilabel_per_class_counts_are_those_of_sklearns_multilabel_confusion_matrix() -> None:
    y_pred, y = _RNG.integers(0, 2, (30, 3)), _RNG.integers(0, 2, (30, 3))
    metric = MultilabelF1Score(num_labels=3, from_logits=False)
    metric.update((torch.from_numpy(y_pred), torch.from_numpy(y)))
    mcm = multilabel_confusion_matrix(y, y_pred)  # (L, 2, 2): [[tn, fp], [fn, tp]]
    tp, fp, fn = mcm[:, 1, 1], mcm[:, 0, 1], mcm[:, 1, 0]
    assert metric.per_class_counts().tolist() == [tp.tolist(), (tp + fp).tolist(), (tp + fn).tolist()]


def test_per_class_counts_is_a_copy() -> None:
    metric, _, _ = _binary()
    counts = metric.per_class_counts()
    counts.zero_()
    assert int(metric.per_class_counts().sum()) > 0


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(BinaryF1Score(from_logits=False, num_thresholds=3), id="binary"),
        pytest.param(MulticlassF1Score(3), id="multiclass"),
        pytest.param(MultilabelF1Score(2, from_logits=False, num_thresholds=3), id="multilabel"),
    ],
)
def test_protocol_before_any_sample_is_not_computable(metric: MulticlassF1Score) -> None:
    with pytest.raises(NotComputableError):
        metric.per_class_counts()
    if getattr(metric, "num_thresholds", None):
        with pytest.raises(NotComputableError):
            metric.threshold_histogram()


def test_scored_classes_and_display_names() -> None:
    assert BinaryFBetaScore(beta=1.0, from_logits=True).scored_classes() == [0, 1]
    assert MulticlassF1Score(3).scored_classes() == [0, 1, 2]
    assert MultilabelFBetaScore(beta=1.0, num_labels=2, from_logits=True).scored_classes() == [0, 1]
    assert MulticlassF1Score(3).class_display_names() == ["0", "1", "2"]
    named = MultilabelF1Score(2, from_logits=False, class_names=("a", "b"))
    assert named.class_display_names() == ["a", "b"]
    assert BinaryF1Score(from_logits=False).class_display_names() == ["0", "1"]


def test_threshold_histogram_is_the_kept_histogram() -> None:
    binary = BinaryF1Score(from_logits=False, num_thresholds=5)
    binary.update((torch.tensor([0.1, 0.3, 0.8, 0.9]), torch.tensor([0, 1, 0, 1])))
    assert binary.threshold_histogram().tolist() == [[1, 0, 0, 1, 0], [0, 1, 0, 1, 0]]
    multilabel = MultilabelF1Score(2, from_logits=False, num_thresholds=2)
    multilabel.update((torch.tensor([[0.2, 1.0], [1.0, 0.4]]), torch.tensor([[1, 1], [0, 0]])))
    assert multilabel.threshold_histogram().shape == (2, 2, 2)
    assert MulticlassF1Score(3).threshold_histogram() is None
    assert MultilabelF1Score(2, from_logits=False).threshold_histogram() is None


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("zero_division", ["warn", 0.0, 1.0])
def test_per_class_prf_is_sklearns_without_warnings(average: str | None, zero_division: object) -> None:
    y_pred, y = _RNG.integers(0, 3, 25), _RNG.integers(0, 2, 25)  # class 2 is never true
    y_pred[y_pred == 1] = 0  # class 1 is never predicted
    counts = torch.tensor(_counts_of(confusion_matrix(y, y_pred, labels=range(3))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision, recall, fbeta = per_class_prf(counts, 2.0, average, zero_division)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = precision_recall_fscore_support(
            y_true=y, y_pred=y_pred, beta=2.0, average=average, labels=[0, 1, 2], zero_division=zero_division
        )
    for actual, wanted in zip((precision, recall, fbeta), expected[:3], strict=True):
        np.testing.assert_allclose(actual, wanted, rtol=1e-12)
    assert all(isinstance(value, float) for value in (precision, recall, fbeta)) == (average is not None)


# --------------------------------------------------------------------------- attach registry


def _engine() -> Engine:
    return Engine(lambda engine, batch: batch)


def test_attached_metric_finds_the_metric_under_its_name() -> None:
    evaluator, other = _engine(), _engine()
    f1, f2 = MulticlassF1Score(3), MulticlassFBetaScore(beta=2.0, num_classes=3)
    f1.attach(evaluator, "f1")
    f2.attach(evaluator, "f2", usage="batch_wise")
    assert attached_metric(evaluator, "f1") is f1
    assert attached_metric(evaluator, "f2") is f2
    assert attached_metric(evaluator, "f3") is None
    assert attached_metric(other, "f1") is None
    state = evaluator.run([(torch.tensor([0, 1]), torch.tensor([0, 2]))])
    assert set(state.metrics) == {"f1", "f2"}


def test_detach_forgets_the_metric() -> None:
    evaluator = _engine()
    metric = BinaryF1Score(from_logits=False)
    metric.attach(evaluator, "f1")
    metric.detach(evaluator)
    assert attached_metric(evaluator, "f1") is None
    metric.attach(evaluator, "f1", usage="batch_wise")
    metric.detach(evaluator)  # another usage: still attached
    assert attached_metric(evaluator, "f1") is metric
    metric.detach(evaluator, usage="batch_wise")
    assert attached_metric(evaluator, "f1") is None


def test_a_metric_reattached_under_the_same_name_replaces_the_first() -> None:
    evaluator = _engine()
    first, second = MulticlassF1Score(3), MulticlassF1Score(3)
    first.attach(evaluator, "f1")
    first.detach(evaluator)
    second.attach(evaluator, "f1")
    assert attached_metric(evaluator, "f1") is second


def test_the_registry_keeps_no_engine_or_metric_alive() -> None:
    evaluator = _engine()
    metric = MultilabelF1Score(2, from_logits=False)
    metric.attach(evaluator, "f1")
    engine_ref, metric_ref = weakref.ref(evaluator), weakref.ref(metric)
    del evaluator, metric
    gc.collect()
    assert engine_ref() is None
    assert metric_ref() is None


# --------------------------------------------------------------------------- the package layout


def test_public_names_are_the_same_objects_everywhere() -> None:
    import ignite_f1
    import ignite_f1.metrics as metrics
    from ignite_f1.metrics import CountingMetric

    for name in ("BinaryF1Score", "MulticlassFBetaScore", "MultilabelF1Score"):
        assert getattr(metrics, name) is getattr(ignite_f1, name)
        assert issubclass(getattr(metrics, name), CountingMetric)
    assert set(metrics.__all__) <= set(dir(metrics))


@pytest.mark.parametrize(
    ("make", "keys"),
    [
        pytest.param(lambda: BinaryF1Score(from_logits=False), ["_cm"], id="binary"),
        pytest.param(
            lambda: BinaryF1Score(from_logits=False, num_thresholds=4),
            ["_cm", "_threshold_counts"],
            id="curve",
        ),
        pytest.param(lambda: MulticlassF1Score(3), ["_cm"], id="multiclass"),
        pytest.param(
            lambda: MultilabelF1Score(2, from_logits=False, num_thresholds=3),
            ["_label_counts", "_num_samples", "_sample_sums", "_sample_defined", "_threshold_counts"],
            id="multilabel",
        ),
    ],
)
def test_declared_states_are_the_state_dict_entries(make: Any, keys: list[str]) -> None:
    """The state-dict layout of the release before the split: checkpoints keep loading."""
    assert list(make().state_dict()["__metric_state_per_rank"][0]) == keys


# --------------------------------------------------------------------------- Engine


NAMES = ["cat", "dog", "owl", "yak"]


def test_engine_puts_floats_and_per_class_results_in_state_metrics() -> None:
    mc_scores, mc_y = multiclass_batch(50)
    bin_logits, bin_y = binary_batch(50)
    ml_logits, ml_y = multilabel_batch(50)
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
    scores, y = multiclass_batch(90, seed=3)
    batches = split_sizes(scores, y, [10] * 9)  # 3 epochs of 3 batches, the iterator runs on across epochs
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
        logits, y = binary_batch(40, seed=seed)
        value = evaluator.run(split_sizes(logits, y, [16, 16, 8])).metrics["f1"]
        assert value == pytest.approx(f1_score(y_true=y.numpy(), y_pred=(logits >= 0).numpy()), abs=1e-12)


def test_a_class_named_like_another_metric_does_not_overwrite_it() -> None:
    y_pred, y = torch.tensor([0, 1, 2, 2, 1, 0]), torch.tensor([0, 1, 1, 2, 2, 0])
    evaluator = Engine(lambda engine, batch: batch)
    MulticlassF1Score(3).attach(evaluator, "f1")
    MulticlassF1Score(3, average=None, class_names=["a", "f1", "c"]).attach(evaluator, "per_class")
    metrics = evaluator.run([(y_pred, y)]).metrics
    assert metrics["f1"] == f1_score(y.numpy(), y_pred.numpy(), average="macro")
    assert set(metrics) == {"f1", "per_class"}  # the per-class dict stays under its own name
    assert list(metrics["per_class"]) == ["a", "f1", "c"]


# --------------------------------------------------------------------------- state_dict round trips


CONFIGS: list[Any] = [
    pytest.param(BinaryFBetaScore, {"beta": 0.5, "from_logits": True}, binary_batch, id="binary-f0.5"),
    pytest.param(
        BinaryF1Score,
        {"threshold": 0.7, "from_logits": True, "zero_division": 1.0},
        binary_batch,
        id="binary-f1",
    ),
    pytest.param(MulticlassF1Score, {"num_classes": 4}, multiclass_batch, id="multiclass-macro"),
    pytest.param(
        MulticlassFBetaScore,
        {"beta": 2.0, "num_classes": 4, "average": None, "class_names": NAMES},
        multiclass_batch,
        id="multiclass-none-names",
    ),
    pytest.param(
        MulticlassF1Score,
        {"num_classes": 4, "average": "weighted", "labels": [2, 0]},
        multiclass_batch,
        id="multiclass-weighted-labels",
    ),
    pytest.param(
        MulticlassF1Score,
        {"num_classes": 4, "average": None, "ignore_index": 255, "zero_division": 0.0},
        segmentation_batch,
        id="segmentation-none",
    ),
    pytest.param(
        MultilabelF1Score,
        {"num_labels": 4, "from_logits": True, "zero_division": 0.0},
        multilabel_batch,
        id="multilabel-macro",
    ),
    pytest.param(
        MultilabelF1Score,
        {"num_labels": 4, "from_logits": True, "average": "micro", "zero_division": 0.0},
        multilabel_batch,
        id="multilabel-micro",
    ),
    pytest.param(
        MultilabelFBetaScore,
        {"beta": 0.5, "num_labels": 4, "from_logits": True, "average": "samples", "zero_division": 0.0},
        multilabel_batch,
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
        multilabel_batch,
        id="multilabel-samples-zd_nan",
    ),
    pytest.param(
        MultilabelF1Score,
        {"num_labels": 4, "from_logits": True, "average": None, "class_names": NAMES, "zero_division": 1.0},
        multilabel_batch,
        id="multilabel-none-names",
    ),
]


def _results(metric: Any) -> dict[str, Any]:
    return {"compute": metric.compute(), "cm": metric.confusion_matrix(), "report": metric.report()}


@pytest.mark.parametrize(("cls", "kwargs", "data"), CONFIGS)
def test_state_dict_mid_epoch_round_trip(
    cls: type, kwargs: dict[str, Any], data: Callable[..., Batch]
) -> None:
    batches = split_even(*data())
    uninterrupted = cls(**kwargs)
    run_batches(uninterrupted, batches)

    saved = cls(**kwargs)
    run_batches(saved, batches[:4])
    saved.compute()  # a value read mid-epoch must not leak into the checkpoint
    buffer = _saved(saved)

    restored = cls(**kwargs)  # a fresh object, as after a restart
    restored.load_state_dict(torch.load(buffer))
    run_batches(restored, batches[4:])

    assert_same(_results(restored), _results(uninterrupted))


@pytest.mark.parametrize(("cls", "kwargs", "data"), CONFIGS)
def test_load_state_dict_replaces_a_computed_state(
    cls: type, kwargs: dict[str, Any], data: Callable[..., Batch]
) -> None:
    """Loading into a used metric that has already computed (and kept reduced counts) gives the
    loaded state's results, not the old ones."""
    batches = split_even(*data())
    source = cls(**kwargs)
    run_batches(source, batches[:3])
    expected = _results(source)
    state = torch.load(_saved(source))

    target = cls(**kwargs)
    run_batches(target, batches[3:])
    _results(target)
    target.load_state_dict(state)
    assert_same(_results(target), expected)


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
        pytest.param(partial(BinaryF1Score, from_logits=True), lambda: binary_batch(3), id="binary"),
        pytest.param(
            lambda: MulticlassF1Score(4, average=None, zero_division=0.0),
            lambda: multiclass_batch(3),
            id="multiclass",
        ),
        pytest.param(
            lambda: MultilabelF1Score(4, average="samples", zero_division=0.0, from_logits=True),
            lambda: multilabel_batch(3),
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


# --------------------------------------------------------------------------- validate_args, device


PAIRS: list[Any] = [
    pytest.param(lambda **kw: BinaryFBetaScore(beta=2.0, **kw, from_logits=True), binary_batch, id="binary"),
    pytest.param(
        lambda **kw: MulticlassF1Score(4, average="weighted", **kw), multiclass_batch, id="multiclass"
    ),
    pytest.param(
        lambda **kw: MulticlassF1Score(4, average=None, ignore_index=255, zero_division=0.0, **kw),
        segmentation_batch,
        id="segmentation",
    ),
    pytest.param(
        lambda **kw: MultilabelFBetaScore(
            0.5, 4, average="samples", zero_division=1.0, **kw, from_logits=True
        ),
        multilabel_batch,
        id="multilabel-samples",
    ),
]


@pytest.mark.parametrize(("make", "data"), PAIRS)
def test_validate_args_false_gives_the_same_result_on_valid_input(
    make: Callable[..., Any], data: Callable[..., Batch]
) -> None:
    checked, unchecked = make(), make(validate_args=False)
    for batch in split_even(*data()):
        checked.update(batch)
        unchecked.update(batch)
    assert_same(_results(unchecked), _results(checked))


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")], ids=["str", "torch.device"])
@pytest.mark.parametrize(("make", "data"), PAIRS)
def test_cpu_device_passes_inputs_through(
    make: Callable[..., Any], data: Callable[..., Batch], device: str | torch.device
) -> None:
    on_device, default = make(device=device), make()
    for y_pred, y in split_even(*data()):
        kept = (y_pred.clone(), y.clone())
        on_device.update((y_pred, y))
        default.update((y_pred, y))
        assert torch.equal(y_pred, kept[0]) and torch.equal(y, kept[1])  # inputs are not modified
    for name, value in vars(on_device).items():
        if isinstance(value, torch.Tensor):
            assert value.device == torch.device("cpu"), name
    assert_same(_results(on_device), _results(default))
    assert on_device.confusion_matrix().device == torch.device("cpu")
    assert on_device.confusion_matrix().dtype == torch.int64


# --------------------------------------------------------------------------- F1 aliases


ALIASES: list[Any] = [
    pytest.param(BinaryF1Score, BinaryFBetaScore, {"from_logits": True}, binary_batch, id="binary"),
    pytest.param(
        BinaryF1Score,
        BinaryFBetaScore,
        {"from_logits": True, "threshold": 0.3, "zero_division": 0.0},
        binary_batch,
        id="binary-kw",
    ),
    pytest.param(
        MulticlassF1Score, MulticlassFBetaScore, {"num_classes": 4}, multiclass_batch, id="multiclass"
    ),
    pytest.param(
        MulticlassF1Score,
        MulticlassFBetaScore,
        {"num_classes": 4, "average": None, "labels": [3, 1], "ignore_index": 255, "class_names": NAMES},
        segmentation_batch,
        id="segmentation-kw",
    ),
    pytest.param(
        MultilabelF1Score,
        MultilabelFBetaScore,
        {"num_labels": 4, "from_logits": True, "average": "samples", "zero_division": 0.0},
        multilabel_batch,
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
        multilabel_batch,
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
    for batch in split_even(*data()):
        f1.update(batch)
        fbeta.update(batch)
    assert_same(_results(f1), _results(fbeta))


# --------------------------------------------------------------------------- probabilities read as logits


def _probability_warnings(metric: Any) -> list[str]:
    """The "look like probabilities" UserWarnings of one compute() (every one, however often seen)."""
    _, caught = record_warnings(metric.compute)
    return [
        m for category, m in caught if issubclass(category, UserWarning) and "look like probabilities" in m
    ]


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


# --------------------------------------------------------------------------- state dicts: copies, checked


def _entries(state: Any) -> Any:
    """The per-rank entries of an Ignite state dict (a single process: the only rank)."""
    return state["__metric_state_per_rank"][0]


STATE_CONFIGS = [
    pytest.param(
        partial(BinaryFBetaScore, beta=2.0, from_logits=True, num_thresholds=5),
        partial(BinaryFBetaScore, beta=2.0, from_logits=True, num_thresholds=6),
        binary_batch,
        id="binary-curve",
    ),
    pytest.param(
        partial(MulticlassF1Score, 4), partial(MulticlassF1Score, 3), multiclass_batch, id="multiclass"
    ),
    pytest.param(
        partial(MultilabelF1Score, 4, from_logits=True, average="samples", num_thresholds=3),
        partial(MultilabelF1Score, 3, from_logits=True, average="samples", num_thresholds=3),
        multilabel_batch,
        id="multilabel-curve",
    ),
]


@pytest.mark.parametrize(("make", "make_other", "data"), STATE_CONFIGS)
def test_state_dict_is_a_snapshot_and_loading_copies(
    make: Callable[[], Any], make_other: Any, data: Any
) -> None:
    batches = split_even(*data())
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
    assert_same(_results(second), _results(reference))
    reference.update(batches[2])
    assert_same(_results(first), _results(reference))


def _other_layout(entries: dict[str, Any]) -> None:
    """Every state entry with the same values in another memory layout: column-major matrices,
    stride-2 vectors."""
    for name, tensor in list(entries.items()):
        if tensor.dim() >= 2:
            entries[name] = tensor.transpose(0, -1).contiguous().transpose(0, -1)
        elif tensor.dim() == 1 and tensor.numel() > 1:
            entries[name] = torch.stack([tensor, tensor], 1)[:, 0]


LAYOUT_CONFIGS = [  # the CPU fast path (ignite_f1/_host.py) counts into a NumPy view of each state
    pytest.param(partial(BinaryF1Score, from_logits=True), binary_batch, id="binary"),
    pytest.param(
        partial(BinaryF1Score, from_logits=True, sample_weight=True), binary_batch, id="binary-weighted"
    ),
    pytest.param(partial(MulticlassF1Score, 4), multiclass_batch, id="multiclass"),
    pytest.param(
        partial(MulticlassF1Score, 4, keep_confusion_matrix=False), multiclass_batch, id="multiclass-counts"
    ),
    pytest.param(
        partial(MultilabelF1Score, 4, from_logits=True, average="samples"), multilabel_batch, id="multilabel"
    ),
]


@pytest.mark.parametrize(("make", "data"), LAYOUT_CONFIGS)
def test_a_loaded_state_in_another_memory_layout_keeps_counting(make: Any, data: Any) -> None:
    # A loaded column-major matrix (say, from a transposing tool) used to make the fast path add each
    # later batch into a NumPy copy of the state: the batches were lost, silently.
    batches: list[Any] = split_even(*data())
    if make.keywords.get("sample_weight"):
        batches = [(p, y, torch.linspace(0.5, 2.0, len(y))) for p, y in batches]
    source = make()
    source.update(batches[0])
    state = _tampered(source.state_dict(), _other_layout)
    assert any(not tensor.is_contiguous() for tensor in _entries(state).values())
    metric, reference = make(), make()
    metric.load_state_dict(state)
    reference.update(batches[0])
    for batch in batches[1:]:
        metric.update(batch)
        reference.update(batch)
    for result in (lambda m: m.compute(), lambda m: m.report(), lambda m: m.per_class_counts()):
        assert_same(result(metric), result(reference))


def _tampered(state: Any, change: Callable[[dict[str, Any]], None]) -> Any:
    state = copy.deepcopy(state)
    change(_entries(state))
    return state


def _first_count(entries: dict[str, Any]) -> str:
    return next(name for name, value in entries.items() if value.dtype == torch.int64)


TAMPERINGS = [
    pytest.param(
        lambda e: e.pop(_first_count(e)),
        r"^Argument `state_dict` must hold the entries \[.*\] of this \w+ \(.*\), got \[.*\] \(missing "
        r"\['_\w+'\]\)\.$",
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
        r"^Argument `state_dict` entry `_\w+` must be a torch.Tensor, got list\.$",
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
    batches = split_even(*data())
    source = make()
    source.update(batches[0])
    bad = _tampered(source.state_dict(), change)

    metric = make()
    metric.update(batches[1])
    before = {"state": copy.deepcopy(metric.state_dict()), "results": _results(metric)}
    with pytest.raises(ValueError, match=match):
        metric.load_state_dict(bad)
    assert_same(_entries(metric.state_dict()), _entries(before["state"]))  # all or nothing: nothing
    assert_same(_results(metric), before["results"])


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


_LOGITS = torch.tensor([[2.0, -1.0, 0.3], [-0.5, 1.5, -2.0], [0.1, 0.2, -0.1], [-1.0, -1.0, 3.0]])
_LABELS = torch.tensor([[1, 0, 1], [0, 1, 1], [1, 0, 0], [0, 0, 1]])
_MAPS = (torch.tensor([[0, 1, 2, 2], [1, 1, 0, 2]]), torch.tensor([[0, 1, 1, 2], [1, 0, 0, 2]]))

# (saving metric, loading metric, batch): the counts depend on a setting the two differ in
OTHER_SETTINGS = [
    pytest.param(
        partial(BinaryF1Score, from_logits=True),
        partial(BinaryF1Score, from_logits=False),
        (torch.sigmoid(_LOGITS[:, 0]), _LABELS[:, 0]),
        id="binary-from_logits",
    ),
    pytest.param(
        partial(BinaryF1Score, from_logits=False, threshold=0.3),
        partial(BinaryF1Score, from_logits=False),
        (torch.sigmoid(_LOGITS[:, 0]), _LABELS[:, 0]),
        id="binary-threshold",
    ),
    pytest.param(
        partial(MultilabelFBetaScore, 1.0, 3, average="samples", from_logits=True),
        partial(MultilabelFBetaScore, 2.0, 3, average="samples", from_logits=True),
        (_LOGITS, _LABELS),
        id="multilabel-beta",  # its per-sample sums are of F-beta
    ),
    pytest.param(
        partial(MulticlassF1Score, 3, ignore_index=2),
        partial(MulticlassF1Score, 3, ignore_index=-1),
        (_MAPS[0].reshape(-1), _MAPS[1].reshape(-1)),
        id="multiclass-ignore_index",
    ),
    pytest.param(
        partial(MulticlassF1Score, 3, average="macro", multidim_average="samplewise"),
        partial(MulticlassF1Score, 3, average="micro", multidim_average="samplewise"),
        _MAPS,
        id="samplewise-average",
    ),
    pytest.param(
        partial(MulticlassF1Score, 3, zero_division=float("nan"), multidim_average="samplewise"),
        partial(MulticlassF1Score, 3, zero_division=0.0, multidim_average="samplewise"),
        _MAPS,
        id="samplewise-zero_division",
    ),
]


@pytest.mark.parametrize(("make", "make_other", "batch"), OTHER_SETTINGS)
def test_load_state_dict_refuses_counts_made_with_other_settings(
    make: Callable[[], Any], make_other: Callable[[], Any], batch: Batch
) -> None:
    """Counts of the right shapes, counted under another threshold, ignore_index, beta of the
    per-sample sums...: loading them would give a wrong score silently."""
    source = make()
    source.update(batch)
    metric = make_other()
    metric.update(batch)
    before = {"state": copy.deepcopy(metric.state_dict()), "results": _results(metric)}
    with pytest.raises(
        ValueError, match=r"must come from a metric that counts with the same settings as this \w+ \("
    ):
        metric.load_state_dict(source.state_dict())
    assert_same(_entries(metric.state_dict()), _entries(before["state"]))
    assert_same(_results(metric), before["results"])
    buffer = io.BytesIO()  # the settings survive torch.save / weights_only loading (NaN included)
    torch.save(source.state_dict(), buffer)
    buffer.seek(0)
    restored = make()
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    assert_same(_results(restored), _results(source))


def test_settings_that_act_at_compute_only_may_differ_and_old_states_load() -> None:
    source = MulticlassF1Score(3, average="macro", labels=[0, 1])
    source.update((_MAPS[0].reshape(-1), _MAPS[1].reshape(-1)))
    state = source.state_dict()
    per_class = MulticlassFBetaScore(2.0, 3, average=None, zero_division=1.0)
    per_class.load_state_dict(state)  # the same counts, scored another way
    assert torch.equal(per_class.confusion_matrix(), source.confusion_matrix())
    del state["counting_settings"]  # saved before the settings were recorded: checked as before
    unrecorded = MulticlassF1Score(3, ignore_index=0)
    unrecorded.load_state_dict(state)
    assert torch.equal(unrecorded.confusion_matrix(), source.confusion_matrix())


def test_load_state_dict_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(TypeError, match=r"^Argument `state_dict` must be a mapping from MulticlassF1Score"):
        MulticlassF1Score(3).load_state_dict([1, 2])


def _fed(metric: Any) -> Any:
    """``metric`` after one batch of 4 samples of 3 elements (images for samplewise), weighted with it."""
    generator = torch.Generator().manual_seed(3)
    if isinstance(metric, (MultilabelF1Score, MultilabelFBetaScore)):
        batch: tuple[torch.Tensor, ...] = (
            torch.rand(4, metric.num_labels, generator=generator),
            torch.randint(0, 2, (4, metric.num_labels), generator=generator),
        )
    elif isinstance(metric, (BinaryF1Score, BinaryFBetaScore)):
        batch = (torch.rand(4, 3, generator=generator), torch.randint(0, 2, (4, 3), generator=generator))
    else:
        labels = torch.randint(0, metric.num_classes, (2, 4, 3), generator=generator)
        batch = (labels[0], labels[1])
    metric.update((*batch, torch.rand(4, generator=generator) + 0.5) if metric.sample_weight else batch)
    return metric


def _refused_untouched(metric: Any, state: Any, match: str) -> str:
    """Load ``state`` into the fed ``metric``: refused (``match``), the metric left as it was."""
    before = copy.deepcopy(metric.state_dict())
    result = metric.compute()
    with pytest.raises(ValueError, match=match) as raised:
        metric.load_state_dict(state)
    assert_same(metric.state_dict(), before)
    assert_same(metric.compute(), result)
    return str(raised.value)


_BIN = partial(BinaryF1Score, from_logits=False, zero_division=0.0)
_MC = partial(MulticlassF1Score, zero_division=0.0)
_ML = partial(MultilabelF1Score, from_logits=False, zero_division=0.0)
_KIND = {
    "binary": "a binary metric",
    "multiclass": "a multi-class metric",
    "multilabel": "a multilabel metric",
}

OTHER_KINDS = [  # (saving metric, its kind, loading metric, its kind)
    pytest.param(
        partial(_MC, 2, keep_confusion_matrix=False), "multiclass", _BIN, "binary", id="mc_counts-bin"
    ),
    pytest.param(
        _BIN, "binary", partial(_MC, 3, keep_confusion_matrix=False), "multiclass", id="bin-mc_counts"
    ),
    pytest.param(_BIN, "binary", partial(_MC, 2), "multiclass", id="bin-mc2_matrix"),
    pytest.param(partial(_MC, 2), "multiclass", _BIN, "binary", id="mc2_matrix-bin"),
    pytest.param(partial(_ML, 2), "multilabel", _BIN, "binary", id="ml-bin"),
    pytest.param(
        partial(_BIN, multidim_average="samplewise"), "binary", partial(_ML, 2), "multilabel", id="bin_sw-ml"
    ),
    pytest.param(
        partial(_MC, 2, multidim_average="samplewise"),
        "multiclass",
        partial(_BIN, multidim_average="samplewise"),
        "binary",
        id="mc_sw-bin_sw",
    ),
    pytest.param(
        partial(MultilabelFBetaScore, 2.0, 3, from_logits=False, sample_weight=True),
        "multilabel",
        partial(MulticlassFBetaScore, 2.0, 3, sample_weight=True),
        "multiclass",
        id="ml_weighted-mc_weighted",
    ),
]


@pytest.mark.parametrize(("make_source", "source_kind", "make", "kind"), OTHER_KINDS)
def test_a_state_of_another_kind_of_metric_is_refused_saying_so(
    make_source: Callable[[], Any], source_kind: str, make: Callable[[], Any], kind: str
) -> None:
    """The advice given before could not be followed: keep_confusion_matrix for a binary metric,
    keep_confusion_matrix=True for a binary state (refused again), "build the metric with those
    settings" (threshold, from_logits) for a multi-class metric."""
    message = _refused_untouched(
        _fed(make()),
        _fed(make_source()).state_dict(),
        rf"^Argument `state_dict` must come from {_KIND[kind]} \(.*\) like this \w+ \(.*\), got the state "
        rf"of {_KIND[source_kind]} \(.*\) \(counted with the settings \[.*\], this metric with \[.*\]\): "
        r"counts do not carry over between kinds of metric; load the state into a metric of the kind that "
        r"saved it\.$",
    )
    assert "keep_confusion_matrix" not in message


def test_the_kinds_are_told_by_the_names_of_the_classes_counting_settings() -> None:
    from ignite_f1.metrics import _state

    for cls, kind in [
        (BinaryF1Score, "binary"),
        (BinaryFBetaScore, "binary"),
        (MulticlassF1Score, "multi-class"),
        (MulticlassFBetaScore, "multi-class"),
        (MultilabelF1Score, "multilabel"),
        (MultilabelFBetaScore, "multilabel"),
    ]:
        described = _state.KINDS[frozenset(cls._COUNTING_SETTINGS)]
        assert described.startswith(f"a {kind} metric (") and cls.__name__ in described


def test_states_saved_without_settings_load_as_before() -> None:
    """Ignite's own state_dict (and ignite_f1's before the settings were recorded) hold no settings:
    no kind to tell, so the entries decide, as before (a 2 x 2 matrix is a 2 x 2 matrix)."""
    binary = _fed(_BIN()).state_dict()
    del binary["counting_settings"]
    two_classes = _MC(2)
    two_classes.load_state_dict(binary)
    assert torch.equal(two_classes.confusion_matrix(), _entries(binary)["_cm"])
    matrix = _fed(_MC(2)).state_dict()
    del matrix["counting_settings"]
    restored = _BIN()
    restored.load_state_dict(matrix)
    assert torch.equal(restored.confusion_matrix(), _entries(matrix)["_cm"])
    counts = _fed(_MC(2, keep_confusion_matrix=False)).state_dict()
    del counts["counting_settings"]  # a binary metric has no keep_confusion_matrix to advise
    message = _refused_untouched(
        _fed(_BIN()),
        counts,
        r"^Argument `state_dict` must hold the entries \['_cm'\] of this BinaryF1Score \(.*\), got "
        r"\['_counts'\] \(missing \['_cm'\]\): `_counts` is kept with keep_confusion_matrix=False \(a "
        r"multi-class metric's argument\), which the metric that saved the state was built with and this "
        r"one was not; load the state into a metric built like the one that saved it\.$",
    )
    assert "build this metric with" not in message


_SAVED_WITH = "which the metric that saved the state was built with and this one was not"
_BUILT_WITH = "which this metric was built with and the one that saved the state was not"
_LOAD = r"; load the state into a metric built like the one that saved it\.$"

ENTRY_ARGUMENTS = [  # (saving metric, loading metric, the end of the message)
    pytest.param(
        partial(_BIN, sample_weight=True),
        _BIN,
        rf"got the extra entries \['_seen'\]: `_seen` is kept with sample_weight=True, {_SAVED_WITH}{_LOAD}",
        id="binary-weighted_into_unweighted",
    ),
    pytest.param(
        partial(_MC, 3),
        partial(_MC, 3, sample_weight=True),
        rf"\(missing \['_seen'\]\): `_seen` is kept with sample_weight=True, {_BUILT_WITH}{_LOAD}",
        id="multiclass-unweighted_into_weighted",
    ),
    pytest.param(
        partial(_BIN, num_thresholds=7),
        _BIN,
        rf"got the extra entries \['_threshold_counts'\]: `_threshold_counts` is kept with num_thresholds=7, "
        rf"{_SAVED_WITH}{_LOAD}",
        id="binary-thresholds_into_none",
    ),
    pytest.param(
        _BIN,
        partial(_BIN, num_thresholds=5),
        rf"\(missing \['_threshold_counts'\]\): `_threshold_counts` is kept with num_thresholds=5, "
        rf"{_BUILT_WITH}{_LOAD}",
        id="binary-none_into_thresholds",
    ),
    pytest.param(
        partial(_ML, 3, num_thresholds=4),
        partial(_ML, 3),
        rf"`_threshold_counts` is kept with num_thresholds=4, {_SAVED_WITH}{_LOAD}",
        id="multilabel-thresholds_into_none",
    ),
    pytest.param(
        partial(_ML, 3, sample_weight=True),
        partial(_ML, 3),
        rf"got the extra entries \['_sample_weights', '_weight_sum'\]: `_weight_sum` and `_sample_weights` "
        rf"are kept with sample_weight=True, {_SAVED_WITH}{_LOAD}",
        id="multilabel-weighted_into_unweighted",
    ),
    pytest.param(
        partial(_ML, 3),
        partial(_ML, 3, sample_weight=True),
        rf"`_weight_sum` and `_sample_weights` are kept with sample_weight=True, {_BUILT_WITH}{_LOAD}",
        id="multilabel-unweighted_into_weighted",
    ),
    pytest.param(
        partial(_BIN, multidim_average="samplewise", sample_weight=True),
        partial(_BIN, multidim_average="samplewise"),
        r"\(missing \['_sw_defined'\]\): `_sw_defined` is kept with multidim_average=\"samplewise\" and "
        rf"sample_weight=False, {_BUILT_WITH}; `_seen` is kept with sample_weight=True, {_SAVED_WITH}; "
        rf"`_sw_weight` is kept with multidim_average=\"samplewise\" and sample_weight=True, {_SAVED_WITH}"
        + _LOAD,
        id="samplewise-weighted_into_unweighted",
    ),
]


@pytest.mark.parametrize(("make_source", "make", "match"), ENTRY_ARGUMENTS)
def test_entries_missing_or_extra_name_the_argument_that_keeps_them(
    make_source: Callable[[], Any], make: Callable[[], Any], match: str
) -> None:
    """ "got the extra entries ['_seen']" named an internal state, not sample_weight=True."""
    _refused_untouched(_fed(make()), _fed(make_source()).state_dict(), match)


def test_samplewise_entries_of_a_state_without_settings_name_multidim_average() -> None:
    state = _fed(_MC(3, multidim_average="samplewise")).state_dict()
    del state["counting_settings"]
    _refused_untouched(
        _fed(_MC(3)),
        state,
        r"got the extra entries \['_sw_defined', '_sw_sum', '_sw_undefined'\]: `_sw_sum` and `_sw_undefined` "
        rf"are kept with multidim_average=\"samplewise\", {_SAVED_WITH}; `_sw_defined` is kept with "
        rf"multidim_average=\"samplewise\" and sample_weight=False, {_SAVED_WITH}{_LOAD}",
    )


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("rows", [8, 4096])  # the NumPy path and the general one
def test_tensors_that_require_grad_are_counted_by_their_values(weighted: bool, rows: int) -> None:
    """Scores of a model in training (a metric on the trainer), float targets and weights that
    require grad: the same state as their detached values, no error, and no graph kept."""
    generator = torch.Generator().manual_seed(rows)
    scores = torch.randn(rows, 6, generator=generator)
    float_targets = (torch.rand(rows, 6, generator=generator) < 0.4).float()
    weights = torch.rand(rows, generator=generator)
    cases: list[tuple[Callable[[], Any], tuple[torch.Tensor, ...]]] = [
        (partial(MultilabelF1Score, 6, from_logits=True), (scores, float_targets)),
        (partial(MulticlassF1Score, 6), (scores, float_targets.argmax(1))),
        (partial(BinaryF1Score, from_logits=True), (scores[:, 0], float_targets[:, 0].long())),
    ]
    for make, values in cases:
        if weighted:
            values = (*values, weights)
        with_grad = tuple(v.clone().requires_grad_() if v.is_floating_point() else v for v in values)
        got, expected = make(sample_weight=weighted), make(sample_weight=weighted)
        got.update(with_grad)
        expected.update(values)
        for name in expected._states:
            state = getattr(got, name)
            assert torch.equal(state, getattr(expected, name)) and not state.requires_grad, name
