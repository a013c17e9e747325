"""What an engine hands a metric (ignite_f1/metrics/_engine.py, ignite_f1/_output.py ``per_sample``).

- A dict holding ``"sample_weight"``, from the engine or from the user's ``output_transform``, is
  refused by a metric built with ``sample_weight=False`` (Ignite would drop the weights).
- Ignite's per-sample lists are counted whole: equal to scikit-learn on the samples, and a batch
  with one bad sample leaves the counts exactly as they were (Ignite's own unrolling called
  ``update`` per sample and left the samples before the bad one counted).
- ``attach`` under a class name of a per-class result is refused when attaching, not at the end of
  the first epoch; Ignite's attribute forwarding stays off, with a message that says what to do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _reference import assert_same
from ignite.engine import Engine
from ignite.metrics import MetricsLambda
from sklearn.metrics import f1_score, fbeta_score

from ignite_f1 import BinaryF1Score, MulticlassF1Score, MultilabelF1Score


def _engine() -> Engine:
    return Engine(lambda engine, batch: batch)


def _state(metric: Any) -> dict[str, torch.Tensor]:
    return {name: value.clone() for name, value in metric.state_dict()["__metric_state_per_rank"][0].items()}


def _assert_state_is(metric: Any, before: dict[str, torch.Tensor]) -> None:
    after = _state(metric)
    assert after.keys() == before.keys()
    for name in before:
        assert torch.equal(after[name], before[name]), name


# ---- dicts: weights are never dropped, whoever made the dict


WEIGHTED_BATCH = {
    "y_pred": torch.tensor([0.9, 0.2, 0.7, 0.6]),
    "y": torch.tensor([1, 0, 0, 1]),
    "sample_weight": torch.tensor([1.0, 2.0, 3.0, 0.5]),
}


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda output: output, id="identity-lambda"),
        pytest.param(lambda output: dict(output), id="copy"),
        pytest.param(
            lambda out: {"y_pred": out["y_pred"], "y": out["y"], "sample_weight": out["sample_weight"]},
            id="rebuilt",
        ),
    ],
)
def test_a_dict_from_output_transform_with_weights_is_refused_without_the_flag(transform: Any) -> None:
    engine = _engine()
    metric = BinaryF1Score(from_logits=False, output_transform=transform)
    metric.attach(engine, "f1")
    with pytest.raises(ValueError, match=r"output_transform's result, a dict\) holds 'sample_weight'"):
        engine.run([WEIGHTED_BATCH])
    weighted = BinaryF1Score(from_logits=False, sample_weight=True, output_transform=transform)
    engine = _engine()
    weighted.attach(engine, "f1")
    expected = f1_score(
        y_true=[1, 0, 0, 1], y_pred=[1, 0, 1, 1], sample_weight=WEIGHTED_BATCH["sample_weight"].numpy()
    )
    assert engine.run([WEIGHTED_BATCH]).metrics["f1"] == expected


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda t: MulticlassF1Score(3, output_transform=t), id="multiclass"),
        pytest.param(lambda t: MultilabelF1Score(2, from_logits=False, output_transform=t), id="multilabel"),
    ],
)
def test_every_kind_refuses_weights_its_transform_would_drop(make: Any) -> None:
    batch = {"y_pred": torch.tensor([[0.9, 0.1], [0.2, 0.8]]), "y": torch.tensor([[1, 0], [0, 1]])}
    if "Multiclass" in type(make(lambda o: o)).__name__:
        batch = {"y_pred": torch.tensor([0, 2]), "y": torch.tensor([0, 1])}
    metric = make(lambda output: {**output, "sample_weight": torch.ones(2)})
    engine = _engine()
    metric.attach(engine, "f1")
    with pytest.raises(
        ValueError, match=r"holds 'sample_weight', which a metric built with sample_weight=Fa"
    ):
        engine.run([batch])


def test_a_dict_missing_a_key_is_refused_with_the_keys_to_give() -> None:
    engine = _engine()
    BinaryF1Score(from_logits=False, sample_weight=True).attach(engine, "f1")
    batch = {"y_pred": torch.tensor([0.9]), "y": torch.tensor([1])}
    with pytest.raises(ValueError, match=r"must hold the keys \['y_pred', 'y', 'sample_weight'\], got keys"):
        engine.run([batch])


# ---- Ignite's per-sample lists: counted whole, or not at all


def test_per_sample_numbers_equal_sklearn_and_a_bad_sample_counts_nothing() -> None:
    engine = _engine()
    metric = BinaryF1Score(from_logits=False)
    metric.attach(engine, "f1")
    good = ([0.9, 0.2, 0.6], [1, 0, 0])
    engine.run([good])
    before = _state(metric)
    assert metric.compute() == f1_score(y_true=[1, 0, 0], y_pred=[1, 0, 1])
    bad = ([0.8, 0.1, 1.5, 0.3], [1, 0, 1, 0])  # 1.5 is no probability: the whole batch is refused
    with pytest.raises(ValueError, match="probabilities in"):
        metric.update(bad)
    _assert_state_is(metric, before)
    engine = _engine()
    metric.attach(engine, "f1")
    with pytest.raises(ValueError, match="probabilities in"):
        engine.run([good, bad])
    _assert_state_is(metric, before)  # the good batch of this run, nothing of the bad one


def test_per_sample_tensors_of_a_multiclass_metric_equal_sklearn_and_refuse_whole() -> None:
    generator = torch.Generator().manual_seed(0)
    scores = [torch.randn(4, generator=generator) for _ in range(9)]
    targets = [torch.tensor(i % 4) for i in range(9)]
    metric = MulticlassF1Score(4, average="macro")
    metric.update((scores, targets))
    expected = f1_score(
        y_true=[int(t) for t in targets], y_pred=[int(s.argmax()) for s in scores], average="macro"
    )
    assert metric.compute() == expected
    before = _state(metric)
    with pytest.raises(ValueError, match=r"class labels in \[0, 4\)"):
        metric.update(([torch.tensor(0), torch.tensor(1), torch.tensor(7)], [torch.tensor(0)] * 3))
    _assert_state_is(metric, before)


@pytest.mark.parametrize("multidim_average", ["global", "samplewise"])
def test_per_sample_images_of_different_sizes_equal_sklearn_per_image(multidim_average: str) -> None:
    generator = torch.Generator().manual_seed(1)
    sizes = [(5, 7), (3, 4), (6, 2)]
    scores = [torch.randn(3, h, w, generator=generator) for h, w in sizes]
    targets = [torch.randint(0, 3, (h, w), generator=generator) for h, w in sizes]
    metric = MulticlassF1Score(3, average="micro", multidim_average=multidim_average)
    engine = _engine()
    metric.attach(engine, "f1")
    result = engine.run([(scores, targets)]).metrics["f1"]
    images = zip(scores, targets, strict=True)
    pairs = [(t.flatten().numpy(), s.argmax(0).flatten().numpy()) for s, t in images]
    if multidim_average == "global":
        y, pred = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
        assert result == f1_score(y_true=y, y_pred=pred, average="micro")
    else:
        expected = [f1_score(y_true=y, y_pred=pred, average="micro") for y, pred in pairs]
        assert_same(result, float(np.mean(expected)))


def test_per_sample_weights_are_a_third_list() -> None:
    metric = MulticlassF1Score(3, average="weighted", sample_weight=True)
    y_pred, y, w = [2, 0, 1, 1, 0], [2, 1, 1, 0, 0], [0.5, 2.0, 1.0, 3.0, 0.25]
    metric.update((y_pred, y, w))
    expected = fbeta_score(y_true=y, y_pred=y_pred, beta=1.0, average="weighted", sample_weight=w)
    assert metric.compute() == expected


def test_per_sample_lists_of_different_lengths_and_counts_are_refused() -> None:
    metric = BinaryF1Score(from_logits=False)
    with pytest.raises(ValueError, match=r"one entry per sample in each list, got 3 y_pred, 2 y"):
        metric.update(([0.9, 0.2, 0.4], [1, 0]))
    with pytest.raises(ValueError, match=r"a third element \(sample weights\) is counted only"):
        metric.update(([0.9], [1], [2.0]))
    with pytest.raises(ValueError, match=r"must be a triple \(y_pred, y, sample_weight\)"):
        BinaryF1Score(from_logits=False, sample_weight=True).update(([0.9], [1]))
    metric.update(([], []))  # no sample: nothing counted, as Ignite counts none
    assert metric.state_dict()["__metric_state_per_rank"][0]["_cm"].sum() == 0


# ---- attach under a class name, attribute forwarding


def test_attaching_under_a_class_name_of_a_per_class_result_is_refused_at_once() -> None:
    names = ["background", "road", "car"]
    engine = _engine()
    metric = MulticlassF1Score(3, average=None, class_names=names)
    with pytest.raises(ValueError, match=r"Argument `name` must not be one of the class names .* got 'road'"):
        metric.attach(engine, "road")
    assert not metric.is_attached(engine)
    metric.attach(engine, "road_f1")  # the way out the message gives
    result = engine.run([(torch.tensor([0, 1, 2, 1]), torch.tensor([0, 1, 1, 2]))]).metrics["road_f1"]
    expected = f1_score(y_true=[0, 1, 1, 2], y_pred=[0, 1, 2, 1], average=None)
    assert result == dict(zip(names, expected.tolist(), strict=True))
    labels = MultilabelF1Score(2, average=None, from_logits=False, class_names=["cat", "dog"])
    with pytest.raises(ValueError, match="got 'dog'"):
        labels.attach(_engine(), "dog")
    averaged = MulticlassF1Score(3, average="macro", class_names=names)
    averaged.attach(_engine(), "road")  # a float result: no dict, no clash


def test_forwarded_attributes_say_how_to_build_the_metrics_lambda() -> None:
    metric = MulticlassF1Score(3, average=None)
    with pytest.raises(AttributeError, match=r"MetricsLambda\(lambda result: result\.mean\(\), metric\)"):
        metric.mean()
    built = MetricsLambda(lambda result: result.mean(), metric)  # the way out the message gives
    metric.update((torch.tensor([0, 1, 2, 1]), torch.tensor([0, 1, 1, 2])))
    expected = f1_score(y_true=[0, 1, 1, 2], y_pred=[0, 1, 2, 1], average=None).mean()
    assert_same(float(built.compute()), float(expected))


def test_per_sample_python_floats_keep_their_float64_value() -> None:
    """Ignite makes a number a tensor of torch's default dtype: 0.49999999999 became float32 0.5,
    predicted positive at a threshold of 0.5, and a weight of 0.1 became 0.10000000149."""
    scores, y = [0.49999999999, 0.9, 0.2], [1, 1, 0]
    metric = BinaryF1Score(from_logits=False)
    metric.update((scores, y))
    assert metric.compute() == f1_score(y_true=y, y_pred=[int(s >= 0.5) for s in scores])
    weights = [0.1, 0.7, 0.3]
    weighted = MulticlassF1Score(3, average="macro", sample_weight=True)
    weighted.update(([2, 1, 1], [2, 0, 1], weights))
    expected = f1_score(y_true=[2, 0, 1], y_pred=[2, 1, 1], average="macro", sample_weight=weights)
    assert weighted.compute() == expected
    assert weighted.confusion_matrix()[2, 2].item() == 0.1


@pytest.mark.parametrize(
    ("output", "name"),
    [
        pytest.param(([0, 2.5], [0, 1]), "y_pred", id="int-and-float-numbers"),
        pytest.param(([torch.tensor(0), torch.tensor(2.5)], [0, 1]), "y_pred", id="int-and-float-tensors"),
        pytest.param(([0.1, 2.5], [0, 1.0]), "y", id="targets"),
    ],
)
def test_per_sample_lists_of_mixed_kinds_are_refused(output: Any, name: str) -> None:
    """One by one, an integer entry is a label and a float one a score: with from_logits=True a 0
    among logits was a negative label, where as the logit 0 of a batch it is a probability of 0.5,
    positive. A list mixing the two is refused, and nothing is counted."""
    metric = BinaryF1Score(from_logits=True)
    with pytest.raises(ValueError, match=rf"Argument `{name}` of per-sample lists must hold entries of one"):
        metric.update(output)
    assert metric.state_dict()["__metric_state_per_rank"][0]["_cm"].sum() == 0
    metric.update(([0.0, 2.5], [0, 1]))  # all floats: logits, as a batch of them would be
    assert metric.compute() == f1_score(y_true=[0, 1], y_pred=[1, 1])
