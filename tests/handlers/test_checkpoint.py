"""Tests of ignite_f1.handlers.checkpoint: best-F1 files that never overwrite nor lose a file.

Files are made through setup_f1_monitoring, the public route. One test trains a small network on
scikit-learn's digits; two resume a run in a new Python process (``_resume_worker.py``).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _scripted import LEDGER, NAN, Scripted, ledgers, listing, pt_files, state_equal
from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import Checkpoint
from ignite.handlers.checkpoint import CheckpointEvents
from sklearn.datasets import load_digits
from sklearn.metrics import f1_score

from ignite_f1 import MulticlassF1Score
from ignite_f1.handlers import (
    setup_f1_monitoring,
)
from ignite_f1.handlers._saver import _HOST

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize(
    ("metric_name", "to_save_names", "prefix", "expected"),
    [
        pytest.param("f1", ["model"], "best", "best_model_3_f1=0.7000.pt", id="one-object"),
        pytest.param(
            "val/f1", ["model", "optimizer"], "best", "best_checkpoint_3_val_f1=0.7000.pt", id="slash-metric"
        ),
        pytest.param(
            "f1", ["net/main"], "runs/a", "runs_a_net_main_3_f1=0.7000.pt", id="slash-key-and-prefix"
        ),
        pytest.param("f1", ["a{b}"], "", "a{b}_3_f1=0.7000.pt", id="braces-no-prefix"),
    ],
)
def test_best_checkpoint_file_name_and_contents(
    tmp_path: Path, metric_name: str, to_save_names: list[str], prefix: str, expected: str
) -> None:
    run = Scripted([0.5, 0.6, 0.7, 0.65, 0.7], metric_name=metric_name)
    objects = {"model": run.model, "optimizer": run.optimizer}
    to_save = {name: objects["optimizer" if name == "optimizer" else "model"] for name in to_save_names}
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, metric_name, to_save, tmp_path, patience=5, filename_prefix=prefix
    )
    run.run()
    assert listing(tmp_path) == [expected]  # files directly in checkpoint_dir, nothing else
    assert len(ledgers(tmp_path)) == 1  # and the run's ledger of its own files
    assert monitoring.best_checkpoint == tmp_path / expected
    saved = torch.load(tmp_path / expected, weights_only=True)
    if len(to_save) == 1:  # Ignite stores a single object's state_dict directly
        assert state_equal(saved, run.weights[3])
    else:
        assert state_equal(saved["model"], run.weights[3])
    fresh = {name: copy.deepcopy(obj) for name, obj in to_save.items()}
    Checkpoint.load_objects(fresh, tmp_path / expected)
    model = next(obj for obj in fresh.values() if isinstance(obj, torch.nn.Module))
    assert state_equal(model.state_dict(), run.weights[3])


def test_n_saved_keeps_the_best_files(tmp_path: Path) -> None:
    run = Scripted([0.5, 0.8, 0.6, 0.7, 0.9, 0.65])
    setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, patience=9, n_saved=2
    )
    run.run()
    assert pt_files(tmp_path) == ["best_model_2_f1=0.8000.pt", "best_model_5_f1=0.9000.pt"]


def test_first_nan_evaluation_is_saved_then_replaced(tmp_path: Path) -> None:
    run = Scripted([NAN, NAN, 0.4, NAN])
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, patience=5)
    listings: list[list[str]] = []
    run.trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: listings.append(pt_files(tmp_path)))
    run.run()
    assert listings == [["best_model_1_f1=-inf.pt"]] * 2 + [["best_model_3_f1=0.4000.pt"]] * 2


def test_directory_with_checkpoints_is_refused_and_left_untouched(tmp_path: Path) -> None:
    (tmp_path / "old.pt").write_bytes(b"user's model")
    (tmp_path / "notes.txt").write_text("keep")
    run = Scripted([0.5])
    with pytest.raises(
        ValueError,
        match=r"Argument `checkpoint_dir` must hold no checkpoint .*\['old.pt'\].*require_empty=False",
    ):
        setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    assert not run.evaluator._event_handlers[Events.COMPLETED]  # nothing was attached
    assert sorted(os.listdir(tmp_path)) == ["notes.txt", "old.pt"]
    assert (tmp_path / "old.pt").read_bytes() == b"user's model"


def test_directory_with_other_files_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    run = Scripted([0.5])
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    run.run()
    assert listing(tmp_path) == ["best_model_1_f1=0.5000.pt", "notes.txt"]


def test_require_empty_false_keeps_existing_files(tmp_path: Path) -> None:
    (tmp_path / "old.pt").write_bytes(b"user's model")
    run = Scripted([0.5, 0.7, 0.9])
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, require_empty=False)
    run.run()
    assert pt_files(tmp_path) == ["best_model_3_f1=0.9000.pt", "old.pt"]
    assert (tmp_path / "old.pt").read_bytes() == b"user's model"


def test_a_file_in_the_way_is_never_overwritten_and_the_save_takes_the_next_name(tmp_path: Path) -> None:
    # It used to end training (FileExistsError): with two runs in one checkpoint_dir, early
    # evaluations of equal F1 give equal names.
    (tmp_path / "best_model_2_f1=0.7000.pt").write_bytes(b"user's model")
    run = Scripted([0.5, 0.7, 0.9])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, require_empty=False, n_saved=None
    )
    with pytest.warns(UserWarning, match=r"best_model_2_f1=0.7000.pt' already exists .* next name .*-2"):
        run.run()
    assert listing(tmp_path) == [
        "best_model_1_f1=0.5000.pt",
        "best_model_2-2_f1=0.7000.pt",
        "best_model_2_f1=0.7000.pt",
        "best_model_3_f1=0.9000.pt",
    ]
    assert (tmp_path / "best_model_2_f1=0.7000.pt").read_bytes() == b"user's model"
    assert state_equal(
        torch.load(tmp_path / "best_model_2-2_f1=0.7000.pt", weights_only=True), run.weights[2]
    )
    assert monitoring.best_checkpoint == tmp_path / "best_model_3_f1=0.9000.pt"


def test_two_runs_sharing_a_directory_both_finish(tmp_path: Path) -> None:
    first, second = Scripted([0.26, 0.2, 0.1]), Scripted([0.26, 0.6, 0.1])
    for run in (first, second):
        setup_f1_monitoring(
            run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, require_empty=False
        )
    first.run()
    with pytest.warns(UserWarning, match=r"Another run saves in the same checkpoint_dir"):
        second.run()  # its epoch 1 has the first run's name
    assert pt_files(tmp_path) == [
        "best_model_1_f1=0.2600.pt",
        "best_model_2_f1=0.6000.pt",
    ]  # the -2 file gone
    assert first.trainer.state.epoch == second.trainer.state.epoch == 3


class _Unpicklable:
    def __reduce__(self) -> Any:
        raise OSError("simulated failure while writing")


class _Flaky:
    """An object to save whose state cannot be written once ``broken`` is set."""

    def __init__(self) -> None:
        self.broken = False

    def state_dict(self) -> dict[str, Any]:
        return {"x": _Unpicklable()} if self.broken else {"x": 1}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


@pytest.mark.parametrize("failure", ["unpicklable-state", "disk-full-mid-write"])
def test_a_failed_write_loses_no_checkpoint_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    run = Scripted([0.5, 0.7, 0.9])
    flaky = _Flaky()
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model, "flaky": flaky}, tmp_path
    )
    real_save = torch.save
    if failure == "unpicklable-state":
        run.trainer.add_event_handler(Events.EPOCH_STARTED(once=2), lambda: setattr(flaky, "broken", True))
    else:

        def failing_save(obj: Any, file: Any, *args: Any, **kwargs: Any) -> None:
            if run.trainer.state.epoch < 2:
                real_save(obj, file, *args, **kwargs)
                return
            file.write(b"half a checkpoint")
            raise OSError(28, "No space left on device (simulated failure)")

        monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="simulated failure"):
        run.run()
    # The previous best is still there, whole, and still the handler's best; no temporary file is left.
    assert listing(tmp_path) == ["best_checkpoint_1_f1=0.5000.pt"]
    assert monitoring.best_checkpoint == tmp_path / "best_checkpoint_1_f1=0.5000.pt"
    saved = torch.load(tmp_path / "best_checkpoint_1_f1=0.5000.pt", weights_only=True)
    assert state_equal(saved["model"], run.weights[1])
    # Once writing works again, the next best replaces it.
    flaky.broken = False
    monkeypatch.setattr(torch, "save", real_save)
    run.evaluator.state.metrics["f1"] = 0.8
    monitoring.checkpoint(run.evaluator)
    assert listing(tmp_path) == ["best_checkpoint_2_f1=0.8000.pt"]


def test_a_failing_saved_checkpoint_handler_keeps_the_new_best_file_named(tmp_path: Path) -> None:
    run = Scripted([0.5, 0.7, 0.6])
    monitoring = setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    run.evaluator.register_events(*CheckpointEvents)
    failing = [2]  # the epochs at which the upload fails

    @run.evaluator.on(Checkpoint.SAVED_CHECKPOINT)
    def upload(engine: Engine) -> None:  # a user's handler, failing after the save of epoch 2
        if run.trainer.state.epoch in failing:
            raise ConnectionError("simulated upload failure")

    with pytest.raises(ConnectionError, match="simulated upload failure"):
        run.run()
    # The new best file is on disk and named (was: epoch 1's file, already deleted).
    assert monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.7000.pt"
    assert listing(tmp_path) == ["best_model_2_f1=0.7000.pt"]
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), run.weights[2])
    # The handler goes on from there: the next best replaces it.
    failing.clear()
    run.evaluator.state.metrics["f1"] = 0.9
    monitoring.checkpoint(run.evaluator)
    assert monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.9000.pt"
    assert listing(tmp_path) == ["best_model_2_f1=0.9000.pt"]


@pytest.mark.parametrize("hard_links", [True, False], ids=["hard-links", "no-hard-links"])
def test_a_file_that_appears_during_a_save_is_never_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    if not hard_links:  # the name is then reserved with O_EXCL before the file moves onto it

        def no_link(source: Any, target: Any) -> None:
            raise PermissionError(1, "Operation not permitted (simulated: no hard links here)")

        monkeypatch.setattr(os, "link", no_link)
    run = Scripted([0.5, 0.7])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, require_empty=False
    )
    real_save = torch.save

    def slow_save(obj: Any, file: Any, *args: Any, **kwargs: Any) -> None:
        if run.trainer.state.epoch == 2:  # another run sharing the directory saves the same name meanwhile
            (tmp_path / "best_model_2_f1=0.7000.pt").write_bytes(b"the other run's model")
        real_save(obj, file, *args, **kwargs)

    monkeypatch.setattr(torch, "save", slow_save)
    with pytest.warns(UserWarning, match=r"best_model_2_f1=0.7000.pt' already exists .* next name"):
        run.run()
    assert (tmp_path / "best_model_2_f1=0.7000.pt").read_bytes() == b"the other run's model"
    assert listing(tmp_path) == ["best_model_2-2_f1=0.7000.pt", "best_model_2_f1=0.7000.pt"]  # no temp
    assert monitoring.best_checkpoint == tmp_path / "best_model_2-2_f1=0.7000.pt"
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), run.weights[2])


def test_a_save_under_a_name_the_run_holds_gets_a_new_name(tmp_path: Path) -> None:
    """Evaluated again at the same epoch with the same F1: the same name. The new file replaced the
    first; now it is named with the epoch ``0-2``, and the first, of equal score, stays the best."""
    model = torch.nn.Linear(2, 2)
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
    monitoring = setup_f1_monitoring(trainer, evaluator, "f1", {"model": model}, tmp_path, n_saved=2)
    evaluator.state.metrics = {"f1": 0.5}
    monitoring.checkpoint(evaluator)  # epoch 0, F1 0.5
    first = copy.deepcopy(model.state_dict())
    with torch.no_grad():
        model.weight.fill_(3.0)
    monitoring.checkpoint(evaluator)  # evaluated again at the same epoch with the same F1: same name
    assert listing(tmp_path) == ["best_model_0-2_f1=0.5000.pt", "best_model_0_f1=0.5000.pt"]
    assert monitoring.best_checkpoint == tmp_path / "best_model_0_f1=0.5000.pt"
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), first)
    again = torch.load(tmp_path / "best_model_0-2_f1=0.5000.pt", weights_only=True)
    assert state_equal(again, model.state_dict())


def test_two_runs_sharing_a_directory_delete_only_their_own_files(tmp_path: Path) -> None:
    first, second = Scripted([0.5, 0.7]), Scripted([0.6, 0.9])
    one = setup_f1_monitoring(first.trainer, first.evaluator, "f1", {"model": first.model}, tmp_path)
    first.run()
    two = setup_f1_monitoring(
        second.trainer, second.evaluator, "f1", {"model": second.model}, tmp_path, require_empty=False
    )
    second.run()
    assert pt_files(tmp_path) == ["best_model_2_f1=0.7000.pt", "best_model_2_f1=0.9000.pt"]
    first.evaluator.state.metrics["f1"] = 0.8  # the first run improves: it replaces its own file only
    one.checkpoint(first.evaluator)
    assert pt_files(tmp_path) == ["best_model_2_f1=0.8000.pt", "best_model_2_f1=0.9000.pt"]
    assert (one.best_checkpoint, two.best_checkpoint) == (
        tmp_path / "best_model_2_f1=0.8000.pt",
        tmp_path / "best_model_2_f1=0.9000.pt",
    )
    assert len(ledgers(tmp_path)) == 2  # one per run


class _Run:
    """A model, a trainer and an evaluator under setup_f1_monitoring in ``directory``; :meth:`evaluate`
    sets the trainer's epoch and the F1, fills the weights with ``fill`` and runs the best-F1
    checkpoint handler (what the evaluator's COMPLETED event does)."""

    def __init__(self, directory: Path, require_empty: bool = False) -> None:
        self.model = torch.nn.Linear(2, 2)
        self.trainer, self.evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
        self.monitoring = setup_f1_monitoring(
            self.trainer, self.evaluator, "f1", {"model": self.model}, directory, require_empty=require_empty
        )

    def evaluate(self, epoch: int, score: float, fill: float) -> None:
        with torch.no_grad():
            self.model.weight.fill_(fill)
        self.trainer.state.epoch = epoch
        self.evaluator.state.metrics = {"f1": score}
        self.monitoring.checkpoint(self.evaluator)

    def resume(self, state: Any) -> _Run:
        self.monitoring.checkpoint.load_state_dict(copy.deepcopy(state))
        return self


def _weight(path: Path) -> float:
    return float(torch.load(path, weights_only=True)["weight"][0, 0])


def test_a_resumed_run_takes_no_file_of_another_run_under_a_restored_name(tmp_path: Path) -> None:
    """The restored state names a file the run deleted since (its ledger no longer lists it);
    another run then wrote a file of that name. The resumed run does not take it (the state
    records which file it named) and so does not delete it."""
    first = _Run(tmp_path, require_empty=True)
    first.evaluate(3, 0.5, fill=1.0)
    state = first.monitoring.checkpoint.state_dict()  # saved for resuming at epoch 3
    first.evaluate(5, 0.6, fill=2.0)  # a new best: the epoch-3 file is deleted
    first.evaluate(6, 0.65, fill=3.0)  # and the ledger written again, without it
    other = _Run(tmp_path)
    other.evaluate(3, 0.5, fill=42.0)  # same epoch, same F1: the same name
    name = "best_model_3_f1=0.5000.pt"
    assert pt_files(tmp_path) == [name, "best_model_6_f1=0.6500.pt"]
    with pytest.warns(UserWarning, match=rf"{name}', named by the restored state, is not taken over"):
        resumed = _Run(tmp_path).resume(state)  # the first run crashed after epoch 6
    assert resumed.monitoring.best_checkpoint == tmp_path / "best_model_6_f1=0.6500.pt"  # from its ledger
    resumed.evaluate(7, 0.7, fill=4.0)
    assert pt_files(tmp_path) == [name, "best_model_7_f1=0.7000.pt"]
    assert _weight(tmp_path / name) == 42.0 and other.monitoring.best_checkpoint == tmp_path / name


def test_runs_resumed_from_one_state_keep_apart(tmp_path: Path) -> None:
    """Two runs resumed from one state in one directory (a restarted job while the old one still
    runs, or two fine-tunings from one point). When one is resumed again from its own state, it
    takes its own files only: not the other's, even with a better score."""
    original = _Run(tmp_path, require_empty=True)
    original.evaluate(2, 0.5, fill=1.0)
    state = original.monitoring.checkpoint.state_dict()
    a, b = _Run(tmp_path).resume(state), _Run(tmp_path).resume(state)
    a.evaluate(3, 0.6, fill=6.0)
    b.evaluate(3, 0.65, fill=7.0)
    a_state = a.monitoring.checkpoint.state_dict()
    again = _Run(tmp_path).resume(a_state)  # a crashed
    assert again.monitoring.best_checkpoint == tmp_path / "best_model_3_f1=0.6000.pt"
    again.evaluate(4, 0.7, fill=8.0)
    assert pt_files(tmp_path) == ["best_model_3_f1=0.6500.pt", "best_model_4_f1=0.7000.pt"]
    assert _weight(tmp_path / "best_model_3_f1=0.6500.pt") == 7.0
    assert b.monitoring.best_checkpoint == tmp_path / "best_model_3_f1=0.6500.pt"


def test_a_run_resumed_twice_from_one_state_takes_the_files_of_the_first_resume(tmp_path: Path) -> None:
    """A run resumed from a state crashed before saving a state of its own; resumed again from the
    same state, the run takes over what the first resume wrote (its ledger names the run it
    continues): it names it as its best file, and deletes it for a better one."""
    first = _Run(tmp_path, require_empty=True)
    first.evaluate(2, 0.5, fill=1.0)
    state = first.monitoring.checkpoint.state_dict()
    first.evaluate(3, 0.6, fill=2.0)  # then it crashed
    once = _Run(tmp_path).resume(state)
    assert once.monitoring.best_checkpoint == tmp_path / "best_model_3_f1=0.6000.pt"
    once.evaluate(4, 0.7, fill=3.0)  # then it crashed too
    twice = _Run(tmp_path).resume(state)
    assert twice.monitoring.best_checkpoint == tmp_path / "best_model_4_f1=0.7000.pt"
    twice.evaluate(5, 0.8, fill=4.0)
    assert pt_files(tmp_path) == ["best_model_5_f1=0.8000.pt"]


def test_a_state_saved_without_identities_still_names_its_files(tmp_path: Path) -> None:
    """A state from before identities were recorded (``run_id`` and ``_saved`` only): its names are
    taken as they are, and the resumed run replaces them as its own."""
    first = _Run(tmp_path, require_empty=True)
    first.evaluate(3, 0.5, fill=1.0)
    state = first.monitoring.checkpoint.state_dict()
    assert set(state) >= {"_saved", "run_id", "identities"}
    del state["identities"]
    for ledger in ledgers(tmp_path):  # and no ledger: only the state names the file
        (tmp_path / ledger).unlink()
    resumed = _Run(tmp_path).resume(state)
    assert resumed.monitoring.best_checkpoint == tmp_path / "best_model_3_f1=0.5000.pt"
    resumed.evaluate(4, 0.6, fill=2.0)
    assert pt_files(tmp_path) == ["best_model_4_f1=0.6000.pt"]


@pytest.mark.slow  # a real training run or new processes
def test_setup_removes_the_temporary_files_of_a_killed_save_and_only_those(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, str(HERE / "_handlers_killed_save.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 9, process.stderr
    (killed,) = listing(tmp_path)  # the half-written temporary file of the killed save
    assert (tmp_path / killed).read_bytes() == b"half a checkpoint"
    host = killed.split("-")[1]
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    kept = [
        "notes.tmp",  # the user's
        f".ignite_f1-{host}-{os.getppid()}-{'a' * 16}.tmp",  # a save in progress in a live process
        f".ignite_f1-{host}x-{dead.stdout.strip()}-{'b' * 16}.tmp",  # another machine's: cannot tell
    ]
    stale = f".ignite_f1-{host}-{dead.stdout.strip()}-{'c' * 16}.tmp"  # left by hand: a dead process's
    for name in [*kept, stale]:
        (tmp_path / name).write_bytes(b"")
    run = Scripted([0.5])
    setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    assert listing(tmp_path) == sorted(kept)


def test_another_users_stale_temporary_file_is_left_to_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a shared (sticky) directory another user's temporary file cannot be removed: setup failed
    with PermissionError, and nobody could use the directory until its owner cleaned it."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    theirs = tmp_path / f".ignite_f1-{_HOST}-{dead.stdout.strip()}-{'d' * 16}.tmp"
    theirs.write_bytes(b"")
    real_unlink = os.unlink

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path) == theirs:
            raise PermissionError(1, "Operation not permitted", str(path))
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    run = Scripted([0.5, 0.7])
    monitoring = setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
    run.run()
    assert theirs.exists() and monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.7000.pt"


def test_files_are_made_readable_not_executable(tmp_path: Path) -> None:
    """``os.open`` without a mode makes files 0o777 less the umask: checkpoints were executable."""
    umask = os.umask(0o022)
    try:
        run = Scripted([0.5])
        setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path)
        run.run()
    finally:
        os.umask(umask)
    modes = {name: stat.S_IMODE((tmp_path / name).stat().st_mode) for name in os.listdir(tmp_path)}
    assert len(modes) == 2 and set(modes.values()) == {0o644}, modes  # the file and the run's ledger


def test_reset_starts_a_run_that_never_replaces_the_previous_runs_files(tmp_path: Path) -> None:
    """Ignite's ``Checkpoint.reset()`` (to run the trainer again from scratch) forgot the names but
    the saver still owned the files: a new best file of the same name replaced the first run's."""
    run = Scripted([0.5, 0.8, 0.6, 0.6])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, patience=2
    )
    run.trainer.run([0], max_epochs=4)
    first = monitoring.best_checkpoint
    assert first is not None and first.name == "best_model_2_f1=0.8000.pt"
    saved = first.read_bytes()
    monitoring.early_stopping.reset()
    monitoring.checkpoint.reset()
    run.scores = [0.3, 0.8, 0.9, 0.1]
    with pytest.warns(UserWarning, match=r"best_model_2_f1=0\.8000\.pt' already exists"):
        run.trainer.run([0], max_epochs=4)  # from epoch 1: 0.3, then 0.8 at epoch 2 again
    assert first.read_bytes() == saved
    assert monitoring.best_checkpoint == tmp_path / "best_model_3_f1=0.9000.pt"  # the new run's
    assert pt_files(tmp_path) == ["best_model_2_f1=0.8000.pt", "best_model_3_f1=0.9000.pt"]


def test_an_unwritable_checkpoint_dir_is_refused_at_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def setup(checkpoint_dir: Path) -> None:
        run = Scripted([0.5])
        MulticlassF1Score(num_classes=2).attach(run.evaluator, "f1")
        setup_f1_monitoring(
            run.trainer, run.evaluator, "f1", {"model": run.model}, checkpoint_dir, log_dir=tmp_path / "runs"
        )

    (tmp_path / "file.txt").write_text("")
    with pytest.raises(ValueError, match=r"Argument `checkpoint_dir` must be a directory or a path where"):
        setup(tmp_path / "file.txt" / "ckpt")  # was: NotADirectoryError, after making log_dir
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: path != locked and real_access(path, mode))
    with pytest.raises(PermissionError, match=r"Argument `checkpoint_dir` must be a directory this process"):
        setup(locked)
    with pytest.raises(PermissionError, match=r"may not create files \(to make it in '.*locked'\)"):
        setup(locked / "new")
    assert not (tmp_path / "runs").exists() and not (locked / "new").exists()  # nothing made
    assert os.listdir(locked) == []


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root ignores permission bits: the check is tested through os.access above",
)
def test_a_read_only_checkpoint_dir_is_refused_at_setup(tmp_path: Path) -> None:
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o555)
    try:
        run = Scripted([0.5])
        with pytest.raises(PermissionError, match=r"Argument `checkpoint_dir` must be a directory this"):
            setup_f1_monitoring(run.trainer, run.evaluator, "f1", {"model": run.model}, read_only)
    finally:
        read_only.chmod(0o755)


def _imbalanced_digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Digits 0-4 kept whole, 80% of each of 5-9 dropped; 70/30 train/validation split."""
    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    keep = np.ones(len(y), dtype=bool)
    for digit in range(5, 10):
        rows = np.flatnonzero(y == digit)
        keep[rng.choice(rows, size=int(0.8 * len(rows)), replace=False)] = False
    x, y = x[keep] / 16.0, y[keep]
    order = rng.permutation(len(y))
    cut = int(0.7 * len(y))
    train, val = order[:cut], order[cut:]
    as_x = lambda rows: torch.tensor(x[rows], dtype=torch.float32)  # noqa: E731
    as_y = lambda rows: torch.tensor(y[rows], dtype=torch.int64)  # noqa: E731
    return as_x(train), as_y(train), as_x(val), as_y(val)


@pytest.mark.slow  # a real training run or new processes
def test_real_training_on_digits_best_checkpoint_gives_the_best_f1(tmp_path: Path) -> None:
    x_train, y_train, x_val, y_val = _imbalanced_digits()
    assert torch.bincount(y_train)[:5].min() > 3 * torch.bincount(y_train)[5:].max()  # imbalanced
    torch.manual_seed(0)

    def new_model() -> torch.nn.Module:
        return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))

    model = new_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train = [(x_train[i : i + 32], y_train[i : i + 32]) for i in range(0, len(y_train), 32)]
    val = [(x_val[i : i + 100], y_val[i : i + 100]) for i in range(0, len(y_val), 100)]
    trainer = create_supervised_trainer(model, optimizer, torch.nn.CrossEntropyLoss())
    evaluator = create_supervised_evaluator(model, metrics={"f1": MulticlassF1Score(num_classes=10)})
    history: list[float] = []

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: Engine) -> None:
        history.append(evaluator.run(val).metrics["f1"])

    @trainer.on(Events.EPOCH_STARTED(once=6))
    def damage(engine: Engine) -> None:  # the model gets worse late: the best epoch is not the last
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(torch.randn(parameter.shape, generator=torch.Generator().manual_seed(1)))

    monitoring = setup_f1_monitoring(trainer, evaluator, "f1", {"model": model}, tmp_path, patience=10)
    trainer.run(train, max_epochs=6)

    best = max(history)
    best_epoch = history.index(best) + 1
    assert history[-1] < best
    assert monitoring.best_checkpoint == tmp_path / f"best_model_{best_epoch}_f1={best:.4f}.pt"
    assert listing(tmp_path) == [monitoring.best_checkpoint.name]

    restored = new_model()
    Checkpoint.load_objects({"model": restored}, monitoring.best_checkpoint)
    tester = create_supervised_evaluator(restored, metrics={"f1": MulticlassF1Score(num_classes=10)})
    assert tester.run(val).metrics["f1"] == best  # exactly the recorded best F1
    with torch.no_grad():
        predictions = restored(x_val).argmax(1)
    assert f1_score(y_val.numpy(), predictions.numpy(), average="macro") == pytest.approx(best, abs=1e-12)
    weights = torch.load(monitoring.best_checkpoint, weights_only=True)
    assert state_equal(weights, restored.state_dict())


def _load_worker() -> Any:
    spec = importlib.util.spec_from_file_location("_resume_worker", HERE / "_resume_worker.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_worker(workdir: Path, phase: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HERE / "_resume_worker.py"), str(workdir), phase],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _assert_continues(directory: Path, first: str, hidden_files: list[str]) -> None:
    """``hidden_files`` are two ledgers: ``first`` and one whose run continues ``first``'s run."""
    assert len(hidden_files) == 2 and all(LEDGER.fullmatch(name) for name in hidden_files)
    (second,) = (name for name in hidden_files if name != first)
    first_run = json.loads((directory / first).read_text())["run_id"]
    assert json.loads((directory / second).read_text())["continues"] == first_run


@pytest.mark.slow  # a real training run or new processes
def test_resume_in_a_new_process_continues_identically(tmp_path: Path) -> None:
    worker = _load_worker()
    full = worker.run_phase(tmp_path, "full")
    first = worker.run_phase(tmp_path, "first")
    process = _run_worker(tmp_path, "resume")
    assert process.returncode == 0, process.stderr
    resumed = json.loads((tmp_path / "resume.json").read_text())

    # The uninterrupted run goes as scripted: retrains after epochs 4 and 7, the end after epoch 9.
    assert full["final_epoch"] == 9
    assert [r["retrain_count"] for r in full["records"]] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert first["final_epoch"] == worker.INTERRUPT_AFTER

    # What the new process loaded is the state at the interruption...
    last = first["records"][-1]
    assert resumed["loaded"] == {
        "epoch": worker.INTERRUPT_AFTER,
        "train_f1": last["train_f1"],
        "early_stopping": last["early_stopping"],
        "retrain": last["retrain"],
        "retrain_count": last["retrain_count"],
        "best_checkpoint": last["best_checkpoint"],
        "best_checkpoint_exists": True,
    }
    # ...and from there it continues exactly as the uninterrupted run: scores, counters, learning
    # rate, weights (retrain 2 restores a file the first process wrote), final weights and files.
    assert first["records"] + resumed["records"] == full["records"]
    assert resumed["final_epoch"] == full["final_epoch"]
    assert resumed["best_files"] == full["best_files"]
    # no temporary file; the first process's ledger, and the resumed one's, naming the run it continues
    assert len(first["hidden_files"]) == 1 and LEDGER.fullmatch(first["hidden_files"][0])
    _assert_continues(tmp_path / "best", first["hidden_files"][0], resumed["hidden_files"])
    full_model = torch.load(tmp_path / "full_model.pt", weights_only=True)
    assert state_equal(torch.load(tmp_path / "resume_model.pt", weights_only=True), full_model)
    (best_name,) = full["best_files"]
    assert state_equal(
        torch.load(tmp_path / "best" / best_name, weights_only=True)["model"],
        torch.load(tmp_path / "best_full" / best_name, weights_only=True)["model"],
    )


@pytest.mark.slow  # a real training run or new processes
def test_resume_after_a_crash_between_the_best_save_and_the_resume_save(tmp_path: Path) -> None:
    """The crashed process wrote epoch 5's best file (deleting epoch 2's) but not epoch 5's resume
    checkpoint: the restored state names epoch 2's file. The new process takes over epoch 5's file
    (its run's, written after that state), names it, and goes on as the uninterrupted run."""
    worker = _load_worker()
    full = worker.run_phase(tmp_path, "full")
    crash = _run_worker(tmp_path, "crash")
    assert crash.returncode == worker.CRASH_EXIT_CODE, crash.stderr
    epoch_2, epoch_5 = (full["records"][epoch - 1]["best_checkpoint"] for epoch in (2, 5))
    assert pt_files(tmp_path / "best") == [epoch_5]  # what the crash left
    ledgers_before = ledgers(tmp_path / "best")
    process = _run_worker(tmp_path, "resume")
    assert process.returncode == 0, process.stderr  # was: FileExistsError for epoch 5's own file
    resumed = json.loads((tmp_path / "resume.json").read_text())
    assert resumed["loaded"]["epoch"] == worker.CRASH_AFTER - 1
    assert full["records"][worker.CRASH_AFTER - 2]["best_checkpoint"] == epoch_2  # what the state named
    assert resumed["loaded"]["best_checkpoint"] == epoch_5  # was: epoch 2's, deleted
    assert resumed["loaded"]["best_checkpoint_exists"]
    assert resumed["records"] == full["records"][worker.CRASH_AFTER - 1 :]
    assert resumed["best_files"] == full["best_files"]
    # no temporary file; the crashed run's ledger, and the resumed one's, naming the run it continues
    (crashed,) = (name for name in resumed["hidden_files"] if name in ledgers_before)
    _assert_continues(tmp_path / "best", crashed, resumed["hidden_files"])
    full_model = torch.load(tmp_path / "full_model.pt", weights_only=True)
    assert state_equal(torch.load(tmp_path / "resume_model.pt", weights_only=True), full_model)
