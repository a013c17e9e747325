"""The threshold-curve feature of the binary and multilabel metrics (``metrics/_thresholds.py``):
``num_thresholds`` keeps counts at many thresholds; ``curve()`` and ``best_threshold()`` against
scikit-learn, state dicts, merging, reset and errors. The pure bin arithmetic is tested in
``tests/test_curves.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _cases import split_every
from _reference import sklearn_curve, sklearn_fbeta, sklearn_report
from ignite.engine import Engine, Events
from ignite.exceptions import NotComputableError
from sklearn.metrics import precision_recall_curve

from ignite_f1 import BinaryF1Score, BinaryFBetaScore, MultilabelF1Score, MultilabelFBetaScore, _curves

# --------------------------------------------------------------------------- references


def _grid(num_thresholds: int, dtype: torch.dtype, from_logits: bool) -> np.ndarray:
    """The thresholds as the metric compares them: in the scores' dtype, logits for logits."""
    return _curves.score_boundaries(num_thresholds, from_logits).to(dtype).double().numpy()


@pytest.fixture
def binary_data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(11)
    logits = torch.randn(700, generator=g) * 2.0
    y = (torch.rand(700, generator=g) < torch.sigmoid(logits)).long()
    return logits, y


# --------------------------------------------------------------------------- binary


@pytest.mark.parametrize(
    ("beta", "num_thresholds", "from_logits", "dtype"),
    [
        pytest.param(1.0, 11, False, torch.float64, id="probs-f64-T11"),
        pytest.param(2.0, 101, False, torch.float32, id="probs-f32-T101-beta2"),
        pytest.param(0.5, 7, True, torch.float32, id="logits-f32-T7-beta0.5"),
        pytest.param(1.0, 33, True, torch.float16, id="logits-f16-T33"),
    ],
)
def test_binary_curve_equals_sklearn_at_every_threshold(
    binary_data, beta, num_thresholds, from_logits, dtype
):
    logits, y = binary_data
    scores = (logits if from_logits else torch.sigmoid(logits)).to(dtype)
    metric = BinaryFBetaScore(beta, from_logits=from_logits, num_thresholds=num_thresholds)
    for batch in split_every(scores, y, 64):
        metric.update(batch)
    curve = metric.curve()
    assert set(curve) == {"thresholds", "precision", "recall", "fbeta"}
    assert all(v.dtype == torch.float64 and v.shape == (num_thresholds,) for v in curve.values())
    assert torch.equal(
        curve["thresholds"], torch.arange(num_thresholds, dtype=torch.float64) / (num_thresholds - 1)
    )
    assert curve["thresholds"][0] == 0.0 and curve["thresholds"][-1] == 1.0

    expected = sklearn_curve(
        scores=scores.double().numpy(),
        y_true=y.numpy(),
        cuts=_grid(num_thresholds, dtype, from_logits),
        beta=beta,
    )
    for name in ("precision", "recall", "fbeta"):
        np.testing.assert_allclose(curve[name].numpy(), expected[name], rtol=1e-12, atol=0, err_msg=name)

    best, score = metric.best_threshold()
    index = int(np.argmax(expected["fbeta"]))
    assert isinstance(best, float) and isinstance(score, float)
    assert best == curve["thresholds"][index].item()
    assert score == pytest.approx(expected["fbeta"][index], rel=1e-12)


def test_binary_curve_matches_precision_recall_curve(binary_data):
    """At each grid threshold, the point of sklearn's curve for the lowest score reaching it."""
    logits, y = binary_data
    probs = torch.sigmoid(logits.double())
    metric = BinaryF1Score(from_logits=False, num_thresholds=51)
    metric.update((probs, y))
    curve = metric.curve()
    # y_score=: the keyword since scikit-learn 1.5, the floor (before it, probas_pred=)
    precision, recall, cuts = precision_recall_curve(y_true=y.numpy(), y_score=probs.numpy())
    checked = 0
    for t, p, r in zip(
        curve["thresholds"].tolist(), curve["precision"].tolist(), curve["recall"].tolist(), strict=True
    ):
        reached = np.nonzero(cuts >= t)[0]
        if reached.size == 0:  # no score reaches t: no predicted positive, precision counts as 0
            assert (p, r) == (0.0, 0.0)
            continue
        k = reached[0]
        assert p == pytest.approx(precision[k], rel=1e-12) and r == pytest.approx(recall[k], rel=1e-12)
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("from_logits", [True, False], ids=["logits", "probs"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64], ids=["f16", "f32", "f64"])
def test_curve_point_at_the_metric_threshold_is_the_metric(binary_data, from_logits, dtype):
    """Thresholds are compared as the metric's own threshold: the counts agree exactly."""
    logits, y = binary_data
    scores = (logits if from_logits else torch.sigmoid(logits)).to(dtype)
    for threshold, index in ((0.3, 3), (0.7, 7), (0.5, 5), (0.1, 1)):
        metric = BinaryF1Score(threshold=threshold, from_logits=from_logits, num_thresholds=11)
        metric.update((scores, y))
        assert metric.curve()["fbeta"][index].item() == metric.compute()
        _, fp, _, tp = metric.confusion_matrix().flatten().tolist()
        negatives, positives = _curves.counts_at_or_above(metric._reduced()["_threshold_counts"])
        assert (positives[index].item(), negatives[index].item()) == (tp, fp)


def test_compute_is_unchanged_by_num_thresholds(binary_data):
    logits, y = binary_data
    plain, curved = (
        BinaryFBetaScore(2.0, from_logits=True),
        BinaryFBetaScore(2.0, num_thresholds=64, from_logits=True),
    )
    for batch in split_every(logits, y, 100):
        plain.update(batch)
        curved.update(batch)
    assert plain.compute() == curved.compute()
    assert torch.equal(plain.confusion_matrix(), curved.confusion_matrix())


def test_shapes_labels_and_extreme_scores():
    """(N, 1) scores, integer labels as scores, infinite logits, probabilities 0 and 1."""
    metric = BinaryF1Score(num_thresholds=5, from_logits=True)
    metric.update((torch.tensor([[-math.inf], [math.inf], [0.0]]), torch.tensor([0, 1, 1])))
    metric.update((torch.tensor([1, 0, 1]), torch.tensor([1, 0, 0])))  # 0/1 labels: probabilities 0 and 1
    negatives, positives = _curves.counts_at_or_above(metric._reduced()["_threshold_counts"])
    # scores as probabilities: 0, 1, 0.5 | 1, 0, 1 ; targets 0, 1, 1 | 1, 0, 0
    assert positives.tolist() == [3, 3, 3, 2, 2]
    assert negatives.tolist() == [3, 1, 1, 1, 1]

    probs = BinaryF1Score(from_logits=False, num_thresholds=3)
    probs.update((torch.tensor([0.0, 1.0, 0.5, 0.49999]), torch.tensor([0, 1, 1, 0])))
    assert probs.curve()["recall"].tolist() == [1.0, 1.0, 0.5]
    assert probs.curve()["precision"].tolist() == [0.5, 1.0, 1.0]


def test_undefined_values_count_as_zero():
    metric = BinaryF1Score(from_logits=False, num_thresholds=3)
    metric.update((torch.tensor([0.2, 0.3]), torch.tensor([0, 0])))  # no positive at all
    curve = metric.curve()
    assert curve["precision"].tolist() == [0.0, 0.0, 0.0]  # 0 tp over 2 predicted, then nothing predicted
    assert curve["recall"].tolist() == [0.0, 0.0, 0.0]
    assert curve["fbeta"].tolist() == [0.0, 0.0, 0.0]
    assert metric.best_threshold() == (0.0, 0.0)  # ties: the lowest threshold


def test_state_dict_and_merge_give_the_curve_of_all_data(binary_data):
    """The histogram is part of the state: saved, restored, and summed as all_reduce sums it."""
    logits, y = binary_data
    whole = BinaryF1Score(num_thresholds=17, from_logits=True)
    whole.update((logits, y))
    halves = [
        BinaryF1Score(num_thresholds=17, from_logits=True),
        BinaryF1Score(num_thresholds=17, from_logits=True),
    ]
    halves[0].update((logits[:300], y[:300]))
    halves[1].update((logits[300:], y[300:]))
    states = [h.state_dict()["__metric_state_per_rank"][0] for h in halves]
    assert set(states[0]) == {"_cm", "_threshold_counts"}
    assert (
        "_threshold_counts" not in BinaryF1Score(from_logits=True).state_dict()["__metric_state_per_rank"][0]
    )

    merged = BinaryF1Score(num_thresholds=17, from_logits=True)
    merged.load_state_dict(halves[0].state_dict())
    assert torch.equal(merged._reduced()["_threshold_counts"], states[0]["_threshold_counts"])
    merged.load_state_dict({"__metric_state_per_rank": [{k: states[0][k] + states[1][k] for k in states[0]}]})
    for name in ("precision", "recall", "fbeta"):
        assert torch.equal(merged.curve()[name], whole.curve()[name])
    assert merged.compute() == whole.compute()


def test_reduced_counts_are_what_all_reduce_returns(binary_data, monkeypatch):
    """In a (simulated) 2-process run the curve is computed from the summed histogram."""
    import ignite.distributed as idist

    logits, y = binary_data
    metric = BinaryF1Score(num_thresholds=9, from_logits=True)
    metric.update((logits, y))
    local = metric._threshold_counts.clone()
    monkeypatch.setattr(idist, "get_world_size", lambda: 2)
    monkeypatch.setattr(idist, "all_reduce", lambda t: t * 2)  # both processes saw the same data
    assert torch.equal(metric._reduced(collective=True)["_threshold_counts"], local * 2)
    monkeypatch.undo()
    single = BinaryF1Score(num_thresholds=9, from_logits=True)
    single.update((logits, y))
    assert torch.equal(metric.curve()["fbeta"], single.curve()["fbeta"])


def test_rejected_batch_leaves_the_histogram_unchanged():
    metric = BinaryF1Score(from_logits=False, num_thresholds=5)
    metric.update((torch.tensor([0.2, 0.9]), torch.tensor([0, 1])))
    before = metric._threshold_counts.clone()
    for bad in [
        (torch.tensor([0.2, 1.5]), torch.tensor([0, 1])),  # not a probability
        (torch.tensor([0.2, float("nan")]), torch.tensor([0, 1])),
        (torch.tensor([0.2, 0.4]), torch.tensor([0, 2])),  # not 0/1
        (torch.tensor([0.2, 0.4, 0.1]), torch.tensor([0, 1])),  # shapes
    ]:
        with pytest.raises(ValueError):
            metric.update(bad)
        assert torch.equal(metric._threshold_counts, before)


def test_reset_and_engine_epochs(binary_data):
    logits, y = binary_data
    metric = BinaryF1Score(num_thresholds=11, from_logits=True)
    engine = Engine(lambda engine, batch: batch)
    metric.attach(engine, "f1")
    bests = []
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: bests.append(metric.best_threshold()))
    engine.run(split_every(logits, y, 100), max_epochs=2)
    assert bests[0] == bests[1]  # reset between epochs: the same data, the same curve
    alone = BinaryF1Score(num_thresholds=11, from_logits=True)
    alone.update((logits, y))
    assert bests[0] == alone.best_threshold()


# --------------------------------------------------------------------------- multilabel


@pytest.fixture
def multilabel_data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(400, 4, generator=g) * 1.5
    y = (torch.rand(400, 4, generator=g) < torch.sigmoid(logits + 0.5)).long()
    y[:, 3] = 0  # a label without positives: recall undefined, counted as 0
    return logits, y


@pytest.mark.parametrize("from_logits", [True, False], ids=["logits", "probs"])
def test_multilabel_curves_per_label_micro_macro(multilabel_data, from_logits):
    logits, y = multilabel_data
    scores = logits if from_logits else torch.sigmoid(logits)
    metric = MultilabelFBetaScore(2.0, num_labels=4, from_logits=from_logits, num_thresholds=21)
    for batch in split_every(scores, y, 50):
        metric.update(batch)
    cuts = _grid(21, torch.float32, from_logits)
    s, t = scores.double().numpy(), y.numpy()

    per_label = metric.curve()
    assert per_label["fbeta"].shape == (4, 21) and per_label["thresholds"].shape == (21,)
    for label in range(4):
        expected = sklearn_curve(scores=s[:, label], y_true=t[:, label], cuts=cuts, beta=2.0)
        for name in ("precision", "recall", "fbeta"):
            np.testing.assert_allclose(per_label[name][label].numpy(), expected[name], rtol=1e-12, atol=0)
    assert per_label["recall"][3].abs().sum() == 0 and per_label["fbeta"][3].abs().sum() == 0

    micro = metric.curve(average="micro")
    rows = []
    for cut in cuts:
        pred = (s >= cut).astype(np.int64)
        pooled = sklearn_report(y_true=t, y_pred=pred, labels=range(4), zero_division=0)["micro avg"]
        fbeta = sklearn_fbeta(
            y_true=t, y_pred=pred, beta=2.0, kind="multilabel", average="micro", zero_division=0
        )
        rows.append((pooled["precision"], pooled["recall"], fbeta))
    np.testing.assert_allclose(torch.stack([micro[k] for k in ("precision", "recall", "fbeta")], 1), rows)

    macro = metric.curve(average="macro")
    for name in ("precision", "recall", "fbeta"):
        assert torch.allclose(macro[name], per_label[name].mean(0))

    best, score = metric.best_threshold()
    assert best.shape == score.shape == (4,)
    index = per_label["fbeta"].argmax(1)
    assert torch.equal(best, per_label["thresholds"][index])
    assert torch.equal(score, per_label["fbeta"].amax(1))
    micro_best = metric.best_threshold(average="micro")
    assert isinstance(micro_best[0], float)
    assert micro_best == (micro["thresholds"][micro["fbeta"].argmax()].item(), micro["fbeta"].max().item())


def test_multilabel_curve_at_metric_threshold_and_merge(multilabel_data):
    logits, y = multilabel_data
    metric = MultilabelF1Score(
        num_labels=4, threshold=0.4, average=None, zero_division=0.0, num_thresholds=6, from_logits=True
    )
    metric.update((logits, y))
    assert torch.equal(metric.curve()["fbeta"][:, 2], metric.compute())  # 0.4 = 2 / 5
    halves = [MultilabelF1Score(num_labels=4, num_thresholds=6, from_logits=True) for _ in range(2)]
    halves[0].update((logits[:150], y[:150]))
    halves[1].update((logits[150:], y[150:]))
    states = [h.state_dict()["__metric_state_per_rank"][0] for h in halves]
    assert "_threshold_counts" in states[0] and states[0]["_threshold_counts"].shape == (2, 4, 6)
    merged = MultilabelF1Score(num_labels=4, num_thresholds=6, from_logits=True)
    merged.load_state_dict({"__metric_state_per_rank": [{k: states[0][k] + states[1][k] for k in states[0]}]})
    assert torch.equal(merged.curve()["fbeta"], metric.curve()["fbeta"])


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (1, ValueError),
        (0, ValueError),
        (-3, ValueError),
        (2.0, TypeError),
        ("10", TypeError),
        (True, TypeError),
    ],
)
def test_bad_num_thresholds(value, error):
    for make in (
        lambda: BinaryF1Score(num_thresholds=value, from_logits=True),
        lambda: MultilabelF1Score(3, num_thresholds=value, from_logits=True),
    ):
        with pytest.raises(error, match=r"Argument `num_thresholds` must be an integer >= 2, got"):
            make()


def test_curve_errors():
    binary = BinaryF1Score(from_logits=True)
    binary.update((torch.tensor([0.3]), torch.tensor([1])))
    with pytest.raises(ValueError, match=r"BinaryF1Score.curve\(\) and best_threshold\(\) need"):
        binary.curve()
    plain = MultilabelF1Score(3, from_logits=True)
    plain.update((torch.zeros(2, 3), torch.zeros(2, 3)))
    with pytest.raises(ValueError, match="got num_thresholds=None"):
        plain.best_threshold()
    with pytest.raises(NotComputableError):
        BinaryF1Score(num_thresholds=4, from_logits=True).curve()
    with pytest.raises(NotComputableError):
        MultilabelF1Score(3, num_thresholds=4, from_logits=True).best_threshold()
    metric = MultilabelF1Score(3, num_thresholds=4, from_logits=True)
    metric.update((torch.zeros(2, 3), torch.zeros(2, 3)))
    with pytest.raises(ValueError, match="Argument `average` must be one of"):
        metric.curve(average="weighted")
