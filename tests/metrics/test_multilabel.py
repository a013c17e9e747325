"""The multilabel metrics (``metrics/multilabel.py``): the float per-sample sums of the samples
average are checked when a state dict is loaded."""

from __future__ import annotations

import copy
import math

import pytest
from _cases import multilabel_batch

from ignite_f1 import MultilabelF1Score


def test_load_state_dict_refuses_negative_or_non_finite_sums() -> None:
    source = MultilabelF1Score(3, from_logits=True, average="samples")
    source.update(multilabel_batch(num_labels=3))
    for value, match in (
        (-0.5, r"must hold sums >= 0, got a value of -0\.5\."),
        (math.nan, "must hold finite sums"),
    ):
        state = copy.deepcopy(source.state_dict())
        state["__metric_state_per_rank"][0]["_sample_sums"][1] = value
        metric = MultilabelF1Score(3, from_logits=True, average="samples")
        with pytest.raises(ValueError, match=rf"^Argument `state_dict` entry `_sample_sums` {match}"):
            metric.load_state_dict(state)
