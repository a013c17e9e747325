"""The protocol of the counting metrics (per_class_counts, scored_classes, class_display_names,
threshold_histogram), the attach registry (attached_metric) and ``_scores.per_class_prf``."""

from __future__ import annotations

import gc
import warnings
import weakref
from typing import Any

import numpy as np
import pytest
import torch
from ignite.engine import Engine
from ignite.exceptions import NotComputableError
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix, precision_recall_fscore_support

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
