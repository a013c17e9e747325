"""The fingerprint that every process compares before summing (``metrics/_collective.py``), in one process.

The two-process runs are in ``test_distributed_settings.py``; here: what the fingerprint holds,
that its digest is the same in another Python process (``hash()`` of a string is not), the message
that names a difference, that one process makes no collective call, and the refusal of a state
dict saved by another number of processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import ignite.distributed as idist
import pytest
import torch

from ignite_f1 import BinaryF1Score, MulticlassF1Score, MultilabelFBetaScore
from ignite_f1.metrics import _collective, _state


def _layout(metric: Any) -> _collective.Layout:
    return _collective.Layout(metric._states, metric._counting_settings(), metric._counts_device)


def _text(metric: Any) -> str:
    return _collective.canonical(_collective.fingerprint(metric, _layout(metric)))


def _differences(*metrics: Any) -> str:
    """What the message says differs when process r built ``metrics[r]``."""
    return _collective.differences([json.loads(_text(metric)) for metric in metrics])


def test_the_fingerprint_holds_the_class_the_arguments_and_the_states() -> None:
    metric = MulticlassF1Score(5, ignore_index=255, sample_weight=True)
    pairs = dict(_collective.fingerprint(metric, _layout(metric)))
    assert pairs["metric"] == "ignite_f1.metrics.multiclass.MulticlassF1Score"
    assert pairs["num_classes"] == 5 and pairs["ignore_index"] == 255 and pairs["sample_weight"] is True
    assert pairs["validate_args"] is True and pairs["keep_confusion_matrix"] is True
    assert pairs["states"] == list(metric._states) and "_seen" in pairs["states"]
    assert pairs["state `_cm`"] == "(5, 5) torch.float64"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            lambda: BinaryF1Score(from_logits=False), lambda: BinaryF1Score(from_logits=False), id="binary"
        ),
        pytest.param(
            lambda: MultilabelFBetaScore(2.0, 3, from_logits=True, num_thresholds=5),
            lambda: MultilabelFBetaScore(2.0, 3, from_logits=True, num_thresholds=5),
            id="multilabel",
        ),
    ],
)
def test_metrics_built_alike_have_the_same_digest(first: Any, second: Any) -> None:
    assert _collective.digest(_text(first())) == _collective.digest(_text(second()))


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(lambda: BinaryF1Score(from_logits=False, threshold=0.7), id="threshold"),
        pytest.param(lambda: BinaryF1Score(from_logits=True), id="from_logits"),
        pytest.param(lambda: BinaryF1Score(from_logits=False, validate_args=False), id="validate_args"),
        pytest.param(lambda: BinaryF1Score(from_logits=False, sample_weight=True), id="sample_weight"),
        pytest.param(lambda: BinaryF1Score(from_logits=False, num_thresholds=3), id="num_thresholds"),
        pytest.param(lambda: MulticlassF1Score(2), id="class"),
    ],
)
def test_a_different_argument_changes_the_digest(other: Any) -> None:
    reference = _text(BinaryF1Score(from_logits=False))
    assert _collective.digest(_text(other())) != _collective.digest(reference)


@pytest.mark.slow  # a subprocess that imports torch
def test_the_digest_is_the_same_in_another_process() -> None:
    # Python's hash() of a string differs between processes (PYTHONHASHSEED): the digest must not
    code = (
        "from ignite_f1 import MulticlassF1Score; from ignite_f1.metrics import _collective as c; "
        "m = MulticlassF1Score(7, ignore_index=-1); "
        "layout = c.Layout(m._states, m._counting_settings(), m._counts_device); "
        "print(c.digest(c.canonical(c.fingerprint(m, layout))))"
    )
    here = _collective.digest(_text(MulticlassF1Score(7, ignore_index=-1)))
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "random"},
        timeout=120,
    )
    assert json.loads(other.stdout) == here
    assert len(here) == 3 and all(0 <= piece < 2**21 for piece in here)  # exact in float32 too


def test_the_message_names_the_argument_and_the_processes() -> None:
    a, b = BinaryF1Score(from_logits=False), BinaryF1Score(from_logits=False, threshold=0.7)
    assert _differences(a, b) == "threshold=0.5 on process 0, 0.7 on process 1"
    assert _differences(a, a, b, a) == "threshold=0.5 on processes 0, 1, 3, 0.7 on process 2"
    assert _differences(*[a] * 5, b) == "threshold=0.5 on processes 0-4, 0.7 on process 5"


def test_the_message_names_every_differing_argument_but_not_the_states_they_shape() -> None:
    a, b = MulticlassF1Score(5), MulticlassF1Score(6, sample_weight=True)
    assert _differences(a, b) == (
        "num_classes=5 on process 0, 6 on process 1; sample_weight=False on process 0, True on process 1"
    )
    weighted = MulticlassF1Score(5, sample_weight=True)
    assert _differences(a, weighted) == "sample_weight=False on process 0, True on process 1"


def test_the_message_names_the_states_when_no_argument_differs() -> None:
    a = json.loads(_text(MulticlassF1Score(5)))
    b = [[key, "(5, 5) torch.float64" if key == "state `_cm`" else value] for key, value in a]
    assert _collective.differences([a, b]) == (
        "state `_cm` (5, 5) torch.int64 on process 0, (5, 5) torch.float64 on process 1"
    )


def test_the_message_shows_a_few_values_of_many() -> None:
    metrics = [MulticlassF1Score(n) for n in range(2, 9)]
    message = _differences(*metrics)
    assert message.startswith("num_classes=2 on process 0, 3 on process 1, 4 on process 2, 5 on process 3")
    assert message.endswith(" and 3 more")


def test_one_process_makes_no_collective_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a collective call in a single process")

    for name in ("all_reduce", "all_gather", "barrier", "broadcast"):
        monkeypatch.setattr(idist, name, refuse)
    monkeypatch.setattr(_collective, "check", refuse)
    metric = BinaryF1Score(from_logits=True)
    metric.update((torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1, 0, 0])))
    assert metric.compute() == 2 / 3  # tp 1, fp 1, fn 0
    assert metric.per_class_counts()[0].tolist() == [1, 1]


def _saved_by(processes: int) -> dict[str, Any]:
    """A MulticlassF1Score(4) state dict as ``processes`` processes save it (each entry its counts)."""
    metric = MulticlassF1Score(4)
    metric.update((torch.tensor([0, 1, 2]), torch.tensor([0, 1, 3])))
    state = metric.state_dict()
    state[_state.PER_RANK] = state[_state.PER_RANK] * processes
    return state


def test_a_state_saved_by_two_processes_is_refused_in_one_saying_so() -> None:
    metric = MulticlassF1Score(4)
    refused = r"saved by 2 processes, loaded in 1: .* load it in a run of 2 processes, each calling it\.$"
    with pytest.raises(ValueError, match=refused):
        metric.load_state_dict(_saved_by(2))
    metric.load_state_dict(_saved_by(1))
    assert int(metric.confusion_matrix().sum()) == 3


@pytest.mark.parametrize(
    "entries",
    [pytest.param([], id="no-entry"), pytest.param(["counts"], id="not-a-mapping")],
)
def test_a_state_of_another_layout_is_refused_as_one(entries: list[Any]) -> None:
    state = _saved_by(1)
    state[_state.PER_RANK] = entries
    with pytest.raises(ValueError, match=r"must be a state dict from the state_dict\(\) of a metric"):
        MulticlassF1Score(4).load_state_dict(state)
