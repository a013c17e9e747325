"""Tests of ignite_f1.handlers._plateau: the plateau tracker shared by the retrain handler."""

from __future__ import annotations

import math

import pytest
from _scripted import NAN
from ignite.engine import Engine
from ignite.handlers import EarlyStopping

from ignite_f1.handlers._plateau import PlateauTracker, check_state_dict, nan_to_neg_inf


def test_nan_never_improves_and_counts_as_a_plateau() -> None:
    tracker = PlateauTracker()
    assert tracker.update(NAN)  # the first score sets the best score, even NaN (as -inf)
    assert tracker.best_score == -math.inf
    assert tracker.update(0.5)  # any real score beats it
    assert [tracker.update(NAN) for _ in range(3)] == [False, False, False]
    assert (tracker.counter, tracker.best_score) == (3, 0.5)
    assert nan_to_neg_inf(NAN) == -math.inf and nan_to_neg_inf(0.25) == 0.25


@pytest.mark.parametrize(
    ("scores", "min_delta", "improved", "counter", "best"),
    [
        pytest.param([0.5, 0.5], 0.0, [True, False], 1, 0.5, id="equal-is-no-improvement"),
        pytest.param([0.5, 0.6, 0.55], 0.0, [True, True, False], 1, 0.6, id="lower-keeps-best"),
        # 0.505 and 0.51 are within min_delta of the best: counted, but the best score follows them
        pytest.param([0.5, 0.505, 0.51, 0.6], 0.01, [True, False, False, True], 0, 0.6, id="min-delta"),
        pytest.param([0.5, 0.505, 0.514], 0.01, [True, False, False], 2, 0.514, id="not-cumulative"),
    ],
)
def test_min_delta(
    scores: list[float], min_delta: float, improved: list[bool], counter: int, best: float
) -> None:
    tracker = PlateauTracker(min_delta)
    assert [tracker.update(score) for score in scores] == improved
    assert (tracker.counter, tracker.best_score) == (counter, best)


@pytest.mark.parametrize("min_delta", [0.0, 0.02])
def test_counts_as_ignite_early_stopping(min_delta: float) -> None:
    """The tracker and Ignite's EarlyStopping (threshold=min_delta, absolute) count the same."""
    scores = [0.5, 0.52, 0.51, NAN, 0.55, 0.56, 0.56, 0.9, 0.89]
    evaluator, trainer = Engine(lambda e, b: None), Engine(lambda e, b: None)
    values = iter(scores)
    early_stopping = EarlyStopping(100, lambda engine: nan_to_neg_inf(next(values)), trainer, min_delta)
    tracker = PlateauTracker(min_delta)
    for score in scores:
        early_stopping(evaluator)
        tracker.update(score)
        assert (tracker.counter, tracker.best_score) == (early_stopping.counter, early_stopping.best_score)


def test_state_dict_round_trip_and_reset() -> None:
    tracker = PlateauTracker(0.01)
    for score in [0.5, 0.7, 0.6, 0.65]:
        tracker.update(score)
    state = tracker.state_dict()
    assert dict(state) == {"counter": 2, "best_score": 0.7}
    restored = PlateauTracker(0.01)
    restored.load_state_dict(state)
    assert restored.state_dict() == state
    assert [restored.update(s) for s in (0.705, 0.8)] == [tracker.update(s) for s in (0.705, 0.8)]
    restored.reset()
    assert dict(restored.state_dict()) == {"counter": 0, "best_score": None}
    restored.load_state_dict({"counter": 0, "best_score": None})  # the state before any score
    assert restored.best_score is None


@pytest.mark.parametrize(
    ("state", "error", "match"),
    [
        pytest.param([("counter", 1)], TypeError, r"should be a dictionary", id="not-a-mapping"),
        pytest.param({"counter": 1}, ValueError, r"Required state attribute 'best_score'", id="missing-key"),
    ],
)
def test_load_state_dict_refuses_a_wrong_state(state: object, error: type, match: str) -> None:
    tracker = PlateauTracker()
    tracker.update(0.5)
    with pytest.raises(error, match=match):
        tracker.load_state_dict(state)  # type: ignore[arg-type]
    assert dict(tracker.state_dict()) == {"counter": 0, "best_score": 0.5}  # untouched
    with pytest.raises(error, match=match):
        check_state_dict(state, ("counter", "best_score"))


@pytest.mark.parametrize(("value", "error"), [(-0.1, ValueError), (math.inf, ValueError), ("0", TypeError)])
def test_min_delta_is_checked(value: object, error: type) -> None:
    with pytest.raises(error, match=r"Argument `min_delta` must be a finite real number >= 0"):
        PlateauTracker(value)  # type: ignore[arg-type]
