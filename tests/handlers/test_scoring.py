"""Tests of ignite_f1.handlers.scoring: score_function and MissingMetricError."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _scripted import NAN, Scripted, engine_with, pt_files, state_equal
from ignite.engine import Events
from ignite.handlers import EarlyStopping

import ignite_f1
from ignite_f1 import handlers
from ignite_f1.handlers import MissingMetricError, score_function


@pytest.mark.parametrize(
    ("value", "reduce", "expected"),
    [
        pytest.param(0.75, None, 0.75, id="float"),
        pytest.param(1, None, 1.0, id="int"),
        pytest.param(np.float32(0.5), None, 0.5, id="numpy-scalar"),
        pytest.param(torch.tensor(0.25, dtype=torch.float64), None, 0.25, id="0d-tensor"),
        pytest.param(0.75, "min", 0.75, id="float-reduce-ignored"),
        pytest.param(NAN, None, -math.inf, id="nan"),
        pytest.param(torch.tensor(NAN), None, -math.inf, id="0d-tensor-nan"),
        pytest.param(torch.tensor([0.5, 1.0, 0.75]), "min", 0.5, id="tensor-min"),
        pytest.param(torch.tensor([0.5, 1.0, 0.75]), "mean", 0.75, id="tensor-mean"),
        pytest.param(torch.tensor([0.5, NAN, 1.0]), "min", 0.5, id="tensor-min-nan-class-left-out"),
        pytest.param(torch.tensor([0.5, NAN, 1.0]), "mean", 0.75, id="tensor-mean-nan-class-left-out"),
        pytest.param(torch.tensor([NAN, NAN]), "mean", -math.inf, id="tensor-all-nan"),
        pytest.param({"cat": 0.25, "dog": 0.75}, "mean", 0.5, id="dict-mean"),
        pytest.param({"cat": 0.25, "dog": torch.tensor(0.75)}, "min", 0.25, id="dict-tensor-values-min"),
    ],
)
def test_score_function_values(value: Any, reduce: str | None, expected: float) -> None:
    score = score_function("f1", reduce=reduce)(engine_with({"f1": value}))
    assert type(score) is float
    assert score == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(torch.tensor([0.5, 1.0]), id="tensor"),
        pytest.param({"cat": 0.5, "dog": 1.0}, id="dict"),
    ],
)
def test_score_function_per_class_needs_reduce(value: Any) -> None:
    with pytest.raises(ValueError, match=r"Argument `reduce` must be 'min' or 'mean' when metric 'f1'"):
        score_function("f1")(engine_with({"f1": value}))


def test_score_function_missing_metric_lists_metrics_and_names_the_evaluator() -> None:
    score = score_function("val_f1")
    with pytest.raises(KeyError) as caught:
        score(engine_with({"loss": 0.3, "accuracy": 0.9}))
    assert type(caught.value) is MissingMetricError  # public, a KeyError
    assert ignite_f1.MissingMetricError is MissingMetricError and "MissingMetricError" in handlers.__all__
    message = str(caught.value)
    assert message.startswith("Metric 'val_f1' is not in engine.state.metrics")  # a sentence, no quotes
    assert "['accuracy', 'loss']" in message
    assert "evaluator" in message and "not to the trainer" in message


@pytest.mark.parametrize(
    ("metric_name", "reduce", "error", "match"),
    [
        pytest.param(
            3, None, TypeError, r"Argument `metric_name` must be a non-empty string, got 3", id="name-int"
        ),
        pytest.param(
            "", None, ValueError, r"Argument `metric_name` must be a non-empty string", id="name-empty"
        ),
        pytest.param(
            "f1",
            "max",
            ValueError,
            r"Argument `reduce` must be one of \[None, 'min', 'mean'\], got 'max'",
            id="reduce",
        ),
    ],
)
def test_score_function_arguments(metric_name: Any, reduce: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        score_function(metric_name, reduce)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        pytest.param("high", TypeError, r"Metric 'f1' must be a number, a tensor or a dict", id="string"),
        pytest.param(
            {"cat": "x"}, TypeError, r"Metric 'f1' must map class names to numbers", id="dict-of-strings"
        ),
        pytest.param(  # float("0.5") reads a number where a single "0.5" is refused
            {"cat": "0.5"},
            TypeError,
            r"Metric 'f1' must map class names to numbers",
            id="dict-of-numeric-strings",
        ),
        pytest.param(
            {"cat": 0.5, "dog": True}, TypeError, r"must map class names to numbers", id="dict-with-a-bool"
        ),
        pytest.param({"cat": [0.5]}, TypeError, r"must map class names to numbers", id="dict-of-lists"),
        pytest.param(
            torch.zeros(0), ValueError, r"must hold at least one per-class score", id="empty-tensor"
        ),
        # float() read True as 1.0 (a Python bool is refused), parsed "0.5", dropped an imaginary
        # part, and made None a NaN (then left out)
        pytest.param(
            torch.tensor(True),
            TypeError,
            r"^Metric 'f1' must be a number or a tensor of real numbers .* dtype torch.bool\.$",
            id="bool-tensor",
        ),
        pytest.param(np.array(True), TypeError, r"got an array of dtype bool\.$", id="bool-array"),
        pytest.param(np.array([True, False]), TypeError, r"got an array of dtype bool\.$", id="bool-vector"),
        pytest.param(np.array(["0.5", "0.7"]), TypeError, r"got an array of dtype <U3\.$", id="string-array"),
        pytest.param(np.array("0.9"), TypeError, r"got an array of dtype <U3\.$", id="string-0d"),
        pytest.param(
            torch.tensor(0.5 + 0.5j), TypeError, r"got a tensor of dtype torch.complex64", id="complex"
        ),
        pytest.param(
            torch.tensor([0.5 + 2j, 0.1]),
            TypeError,
            r"got a tensor of dtype torch.complex64",
            id="complex-vector",
        ),
        pytest.param(
            np.array([0.5, None], dtype=object),
            TypeError,
            r"got an array of dtype object\.$",
            id="object-array",
        ),
        pytest.param(
            {"cat": 0.5, "dog": torch.tensor(0.5 + 1j)},
            TypeError,
            r"must map class names to numbers",
            id="dict-complex",
        ),
    ],
)
def test_score_function_refuses_other_results(value: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        score_function("f1", reduce="min")(engine_with({"f1": value}))


def test_plain_ignite_counts_nan_as_improvement_and_score_function_does_not() -> None:
    # The bug this module exists for: EarlyStopping with a raw metric never stops after a NaN.
    scores = [0.5, NAN, NAN, NAN, NAN, NAN]
    raw = Scripted(scores)
    # (added with add_event_handler: EarlyStopping.attach(evaluator) would reset it at every evaluation)
    raw.evaluator.add_event_handler(
        Events.COMPLETED, EarlyStopping(2, lambda e: e.state.metrics["f1"], raw.trainer)
    )
    assert raw.run().epoch == 6  # never stopped
    safe = Scripted(scores)
    safe.evaluator.add_event_handler(Events.COMPLETED, EarlyStopping(2, score_function("f1"), safe.trainer))
    assert safe.run().epoch == 3  # two evaluations without improvement


def test_score_function_drives_model_checkpoint(tmp_path: Path) -> None:
    from ignite.handlers import ModelCheckpoint

    run = Scripted([0.5, NAN, 0.7, 0.6])
    saver = ModelCheckpoint(
        tmp_path, "best", n_saved=2, score_function=score_function("f1"), score_name="f1", require_empty=True
    )
    run.evaluator.add_event_handler(Events.COMPLETED, saver, {"model": run.model})
    run.run()
    # the NaN evaluation scores -inf: the first file to give way; the two best scores are kept
    assert pt_files(tmp_path) == ["best_model_f1=0.6000.pt", "best_model_f1=0.7000.pt"]
    assert state_equal(torch.load(tmp_path / "best_model_f1=0.7000.pt", weights_only=True), run.weights[3])


def test_reduce_mean_is_the_mean_of_the_per_class_scores_not_always_the_macro_f1() -> None:
    """What the docs say of reduce="mean" (they called it the macro average without NaN classes):
    with labels=None, average=None scores a class absent from targets and predictions as
    zero_division's value where average="macro" leaves it out; with labels given, with
    zero_division=nan, and for multilabel metrics, the two agree."""
    from ignite_f1 import MulticlassF1Score, MultilabelF1Score

    y = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
    y_pred = torch.tensor([0, 1, 1, 1, 0, 2, 0, 3])  # class 3 predicted, never true; class 4 absent

    def mean_and_macro(cls: Any, batch: Any, **kwargs: Any) -> tuple[float, float]:
        per_class, macro = cls(average=None, **kwargs), cls(average="macro", **kwargs)
        for metric in (per_class, macro):
            metric.update(batch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn's UndefinedMetricWarning
            value = per_class.compute()
            return score_function("f1", "mean")(engine_with({"f1": value})), macro.compute()

    batch = (y_pred, y)
    assert mean_and_macro(MulticlassF1Score, batch, num_classes=5) == pytest.approx((0.4, 0.5))
    assert mean_and_macro(MulticlassF1Score, batch, num_classes=5, zero_division=1.0) == pytest.approx(
        (0.6, 0.5)
    )
    for kwargs in ({"zero_division": NAN}, {"labels": range(5)}, {"labels": range(5), "zero_division": 1.0}):
        mean, macro = mean_and_macro(MulticlassF1Score, batch, num_classes=5, **kwargs)
        assert mean == pytest.approx(macro)
    multilabel = (
        torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 1, 0]]),
        torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 0]]),
    )
    for zero_division in ("warn", 1.0):  # column 2 never occurs: scored by both
        mean, macro = mean_and_macro(
            MultilabelF1Score, multilabel, num_labels=3, from_logits=False, zero_division=zero_division
        )
        assert mean == pytest.approx(macro)
