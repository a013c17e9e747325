"""RetrainOnPlateau against what a user may do wrong: a best file deleted or damaged before the
retrain, a bad state dict, a bad or repeated ``attach``. Each is refused (or warned about) with the
handler and ``trainer.state`` left consistent, never half-changed.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _scripted import Scripted, state_equal
from ignite.engine import Engine, Events

from ignite_f1.handlers import RetrainEvents, RetrainOnPlateau, setup_f1_monitoring
from ignite_f1.handlers._plateau import PlateauTracker

# 1 first; 2 best (saved); 3, 4 plateau: with retrain patience 2 the retrain comes after epoch 4
SCORES = [0.5, 0.9, 0.6, 0.6]


def _monitored(tmp_path: Path) -> tuple[Scripted, Any]:
    run = Scripted(SCORES)
    monitoring = setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        {"model": run.model, "optimizer": run.optimizer},
        tmp_path / "best",
        patience=5,
        retrain={"patience": 2, "lr_factor": 0.5},
    )
    return run, monitoring


def test_a_deleted_best_file_warns_naming_it_and_counts_the_retrain(tmp_path: Path) -> None:
    """The user deletes the best file: a bare FileNotFoundError escaped with the handler counting a
    retrain (retrain_count=1, counter=0) that trainer.state did not (retrain_count=0)."""
    run, monitoring = _monitored(tmp_path)
    deleted: list[Path] = []

    @run.trainer.on(Events.EPOCH_COMPLETED(once=3))
    def delete_best() -> None:
        deleted.append(monitoring.best_checkpoint)
        monitoring.best_checkpoint.unlink()

    seen: list[int] = []
    run.trainer.add_event_handler(
        RetrainEvents.RETRAIN_TRIGGERED, lambda e: seen.append(e.state.retrain_count)
    )
    with pytest.warns(UserWarning, match=r"retrain 1 of 3 is counted but loads nothing") as caught:
        state = run.run()
    (path,) = deleted
    assert not path.exists() and path.name == "best_checkpoint_2_f1=0.9000.pt"
    (message,) = [str(w.message) for w in caught if "RetrainOnPlateau" in str(w.message)]
    assert f"the best file of `checkpoint`, {str(path)!r}, is missing" in message
    retrain = monitoring.retrain
    assert state.epoch == 4 and seen == [1]
    assert (retrain.retrain_count, retrain.counter) == (1, 0) == (run.trainer.state.retrain_count, 0)
    assert state_equal(run.model.state_dict(), run.weights[4])  # nothing loaded
    assert run.optimizer.param_groups[0]["lr"] == pytest.approx(0.05)  # the rest of the retrain applies


def test_a_damaged_best_file_raises_with_the_count_unchanged(tmp_path: Path) -> None:
    """A best file that cannot be read is an error, raised before the retrain is counted."""
    run, monitoring = _monitored(tmp_path)

    @run.trainer.on(Events.EPOCH_COMPLETED(once=3))
    def damage_best() -> None:
        monitoring.best_checkpoint.write_bytes(b"not a checkpoint")

    with pytest.raises(Exception, match=r"(?i)pickle|load|zip|magic"):
        run.run()
    retrain = monitoring.retrain
    assert (retrain.retrain_count, retrain.counter, run.trainer.state.retrain_count) == (0, 2, 0)
    assert run.optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    assert state_equal(run.model.state_dict(), run.weights[4])


def _handler(trainer: Engine | None = None) -> RetrainOnPlateau:
    return RetrainOnPlateau(
        lambda e: 0.5,
        3,
        trainer or Engine(lambda e, b: None),
        None,
        {"model": torch.nn.Linear(2, 2)},
        strategy="reinitialize",
    )


GOOD = {"counter": 1, "best_score": 0.8, "retrain_count": 1}
BAD_STATES = [
    pytest.param(
        {"counter": 2, "best_score": "abc", "retrain_count": 0}, TypeError, "best_score", id="str-best"
    ),
    pytest.param(
        {"counter": 2, "best_score": 0.5, "retrain_count": "x"}, TypeError, "retrain_count", id="str-count"
    ),
    pytest.param(
        {"counter": -5, "best_score": 0.5, "retrain_count": 0}, ValueError, "counter", id="neg-counter"
    ),
    pytest.param(
        {"counter": 0, "best_score": math.nan, "retrain_count": 0}, ValueError, "best_score", id="nan"
    ),
    pytest.param(
        {"counter": 0, "best_score": 0.5, "retrain_count": -2}, ValueError, "retrain_count", id="neg-count"
    ),
    pytest.param(
        {"counter": 2.9, "best_score": 0.5, "retrain_count": 1}, TypeError, "counter", id="float-counter"
    ),
    pytest.param(
        {"counter": 2, "best_score": 0.5, "retrain_count": 1.5}, TypeError, "retrain_count", id="float"
    ),
    pytest.param({"counter": True, "best_score": 0.5, "retrain_count": 0}, TypeError, "counter", id="bool"),
    pytest.param({"counter": None, "best_score": 0.5, "retrain_count": 0}, TypeError, "counter", id="none"),
    pytest.param(
        {"counter": 0, "best_score": True, "retrain_count": 0}, TypeError, "best_score", id="bool-best"
    ),
]


@pytest.mark.parametrize(("state", "error", "key"), BAD_STATES)
def test_load_state_dict_checks_every_entry_before_applying_any(state: dict, error: type, key: str) -> None:
    """A bad state was applied in part (counter 2 before best_score 'abc' raised), nonsense was taken
    (counter -5, best_score NaN, retrain_count -2: extra retrains), 2.9 truncated to 2."""
    trainer = Engine(lambda e, b: None)
    retrain = _handler(trainer)
    retrain.load_state_dict(GOOD)
    value = re.escape(repr(state[key]))
    with pytest.raises(error, match=rf"^Argument `state_dict` entry `{key}` must be .*, got {value}\.$"):
        retrain.load_state_dict(state)
    assert dict(retrain.state_dict()) == GOOD and trainer.state.retrain_count == 1
    plateau_state = {k: v for k, v in state.items() if k != "retrain_count"}
    if key != "retrain_count":  # the tracker's own load checks the same way
        tracker = PlateauTracker()
        tracker.load_state_dict({"counter": 1, "best_score": 0.8})
        with pytest.raises(error, match=rf"entry `{key}`"):
            tracker.load_state_dict(plateau_state)
        assert dict(tracker.state_dict()) == {"counter": 1, "best_score": 0.8}


def test_load_state_dict_takes_what_a_run_can_save() -> None:
    retrain = _handler()
    retrain.load_state_dict({"counter": np.int64(2), "best_score": -math.inf, "retrain_count": 0})
    assert (retrain.counter, retrain.best_score, retrain.retrain_count) == (2, -math.inf, 0)
    assert type(retrain.counter) is int
    retrain.load_state_dict({"counter": 0, "best_score": None, "retrain_count": 3})
    assert (retrain.counter, retrain.best_score, retrain.trainer.state.retrain_count) == (0, None, 3)


@pytest.mark.parametrize(
    ("engine", "event", "error", "match"),
    [
        pytest.param(
            "x",
            Events.COMPLETED,
            TypeError,
            r"^Argument `engine` must be an ignite Engine, got str",
            id="str",
        ),
        pytest.param(
            None,
            "completed",
            ValueError,
            r"^Argument `event` must be an event of `engine`.*'completed'",
            id="name",
        ),
        pytest.param(
            None, "bogus", ValueError, r"^Argument `event` must be an event of `engine`.*'bogus'", id="bogus"
        ),
        pytest.param(
            None, RetrainEvents.RETRAIN_TRIGGERED, ValueError, r"Argument `event`", id="trainer-event"
        ),
    ],
)
def test_attach_checks_engine_and_event_before_registering(
    engine: Any, event: Any, error: type, match: str
) -> None:
    """RETRAIN_TRIGGERED was registered on the trainer before the refusal; attach("x") gave an
    AttributeError naming no argument."""
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
    retrain = _handler(trainer)
    with pytest.raises(error, match=match):
        retrain.attach(evaluator if engine is None else engine, event)
    assert not trainer.has_registered_events(RetrainEvents.RETRAIN_TRIGGERED)
    assert not evaluator.has_event_handler(retrain)


def test_a_second_attach_is_refused() -> None:
    """Attached twice, each evaluation counted twice: patience 2 retrained after 2 evaluations."""
    trainer, evaluator, other = (Engine(lambda e, b: None) for _ in range(3))
    retrain = RetrainOnPlateau(
        lambda e: 0.5, 2, trainer, None, {"model": torch.nn.Linear(2, 2)}, strategy="reinitialize"
    )
    retrain.attach(evaluator)
    for engine in (evaluator, other):
        with pytest.raises(RuntimeError, match=r"already attached .* Make another RetrainOnPlateau"):
            retrain.attach(engine)
    assert not other.has_event_handler(retrain)
    evaluator.run([0])
    evaluator.run([0])
    assert (retrain.counter, retrain.retrain_count) == (1, 0)  # each evaluation counted once
    evaluator.remove_event_handler(retrain, Events.COMPLETED)  # the way to move it
    retrain.attach(other, Events.COMPLETED(every=1) | Events.EPOCH_COMPLETED)
    assert other.has_event_handler(retrain) and not evaluator.has_event_handler(retrain)
