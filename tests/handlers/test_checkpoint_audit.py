"""Tests of the best-F1 checkpoint found wanting by an audit: copied directories, names saved twice,
reservations left by a kill, restored states that name files outside the directory, a file that
cannot be examined after its write, and files of equal score. Real files throughout.
"""

from __future__ import annotations

import copy
import json
import math
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from _scripted import Scripted, ledgers, listing, pt_files, state_equal
from ignite.engine import Engine
from ignite.handlers import Checkpoint

from ignite_f1.handlers import _saver, setup_f1_monitoring


class _Run:
    """A model, a trainer and an evaluator under setup_f1_monitoring in ``directory``; :meth:`evaluate`
    sets the trainer's epoch and the F1, fills the weights with ``fill`` (the score by default) and
    runs the best-F1 checkpoint handler (what the evaluator's COMPLETED event does)."""

    def __init__(self, directory: Path, n_saved: int | None = 1, require_empty: bool = False) -> None:
        self.model = torch.nn.Linear(2, 2)
        self.trainer, self.evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
        self.monitoring = setup_f1_monitoring(
            self.trainer,
            self.evaluator,
            "f1",
            {"model": self.model},
            directory,
            n_saved=n_saved,
            require_empty=require_empty,
        )
        self.checkpoint = self.monitoring.checkpoint

    def evaluate(self, epoch: int, score: float, fill: float | None = None) -> None:
        with torch.no_grad():
            self.model.weight.fill_(score if fill is None else fill)
        self.trainer.state.epoch = epoch
        self.evaluator.state.metrics = {"f1": score}
        self.checkpoint(self.evaluator)

    def resume(self, state: Any) -> _Run:
        self.checkpoint.load_state_dict(copy.deepcopy(state))
        return self


def _weight(path: Path) -> float:
    return float(torch.load(path, weights_only=True)["weight"][0, 0])


# A resumed run after the checkpoint directory was copied without its modification times


def test_a_file_copied_without_its_time_is_named_in_a_warning(tmp_path: Path) -> None:
    """``cp -r`` gives the copies new modification times: the resumed run did not take its best file,
    silently; the next (worse) evaluation became its best, the one a retrain restores."""
    first = _Run(tmp_path / "run", require_empty=True)
    first.evaluate(2, 0.9)
    state = first.checkpoint.state_dict()
    shutil.copytree(tmp_path / "run", tmp_path / "copy", copy_function=shutil.copyfile)
    name = "best_model_2_f1=0.9000.pt"
    copied = tmp_path / "copy" / name
    os.utime(copied, ns=(10**18, 10**18))  # the copy's time, whatever the clock's resolution
    with pytest.warns(UserWarning) as caught:
        resumed = _Run(tmp_path / "copy").resume(state)
    (warning,) = [str(w.message) for w in caught]
    assert f"{name}', named by the restored state, is not taken over" in warning
    assert "copied without its times (cp -r, rsync -r)" in warning and "cp -p or cp -a, rsync -a" in warning
    assert "never replaced nor deleted" in warning
    assert resumed.monitoring.best_checkpoint is None
    resumed.evaluate(3, 0.6)  # a worse one: the copied file stays
    assert pt_files(tmp_path / "copy") == [name, "best_model_3_f1=0.6000.pt"]
    assert _weight(copied) == pytest.approx(0.9)
    # The advice works: with its time back, the file is taken over again, without a warning.
    recorded = state["identities"][name][1]
    os.utime(copied, ns=(recorded, recorded))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = _Run(tmp_path / "copy").resume(state)
    assert again.monitoring.best_checkpoint == copied


def test_a_file_of_the_ledger_copied_without_its_time_is_named_in_a_warning(tmp_path: Path) -> None:
    """A file written after the state (listed by the run's ledger only) is named too."""
    first = _Run(tmp_path, require_empty=True)
    first.evaluate(2, 0.5)
    state = first.checkpoint.state_dict()
    first.evaluate(3, 0.7)  # then the run crashed, and its directory was copied back
    name = "best_model_3_f1=0.7000.pt"
    os.utime(tmp_path / name, ns=(10**18, 10**18))
    with pytest.warns(UserWarning, match=rf"{name}', listed by its ledger, is not taken over"):
        resumed = _Run(tmp_path).resume(state)
    assert resumed.monitoring.best_checkpoint is None  # epoch 2's file was deleted by the crashed run
    assert pt_files(tmp_path) == [name]


def test_a_file_replaced_by_another_of_another_size_is_named_in_a_warning(tmp_path: Path) -> None:
    first = _Run(tmp_path, require_empty=True)
    first.evaluate(2, 0.5)
    state = first.checkpoint.state_dict()
    name = "best_model_2_f1=0.5000.pt"
    (tmp_path / name).write_bytes(b"another file")
    with pytest.warns(UserWarning, match=rf"{name}', named .* not the file this run saved .* \(12 bytes"):
        _Run(tmp_path).resume(state)


# Two saves under one name


@pytest.mark.parametrize("n_saved", [2, None])
def test_a_second_evaluation_of_an_epoch_with_the_same_name_replaces_no_file(
    tmp_path: Path, n_saved: int | None
) -> None:
    """Two evaluations in epoch 2 with F1 0.71234 then 0.71231: both named ``...=0.7123.pt``; the
    worse replaced the better, which EarlyStopping still called its best (and with n_saved=None,
    keeping all, one evaluation was lost)."""
    run = _Run(tmp_path, n_saved=n_saved, require_empty=True)
    for epoch, score in [(1, 0.3), (1, 0.5), (2, 0.71234), (2, 0.71231)]:
        run.evaluate(epoch, score)
    files = {name: round(_weight(tmp_path / name), 5) for name in pt_files(tmp_path)}
    expected = {"best_model_2_f1=0.7123.pt": 0.71234, "best_model_2-2_f1=0.7123.pt": 0.71231}
    if n_saved is None:
        expected |= {"best_model_1_f1=0.3000.pt": 0.3, "best_model_1_f1=0.5000.pt": 0.5}
    assert files == expected
    assert run.monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.7123.pt"


def test_a_trainer_run_again_keeping_all_files_loses_none(tmp_path: Path) -> None:
    """A trainer run again without reset() saves epoch 2 again with a score of the same 4 decimals."""
    run = Scripted([0.5, 0.8])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, n_saved=None
    )
    run.run()
    first_weights = copy.deepcopy(run.weights)
    run.scores = [0.3, 0.79999]
    run.run()
    names = ["best_model_1_f1=0.5000.pt", "best_model_1_f1=0.3000.pt"]
    names += ["best_model_2_f1=0.8000.pt", "best_model_2-2_f1=0.8000.pt"]
    assert pt_files(tmp_path) == sorted(names)
    saved = {name: torch.load(tmp_path / name, weights_only=True) for name in names}
    assert state_equal(saved["best_model_2_f1=0.8000.pt"], first_weights[2])
    assert state_equal(saved["best_model_2-2_f1=0.8000.pt"], run.weights[2])
    assert monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.8000.pt"  # 0.8 > 0.79999


def test_a_third_save_under_one_name_gets_the_next_name_and_a_better_one_ranks_best(tmp_path: Path) -> None:
    run = _Run(tmp_path, n_saved=3, require_empty=True)
    for score in (0.50001, 0.50002, 0.50003):
        run.evaluate(4, score)
    assert pt_files(tmp_path) == [
        "best_model_4-2_f1=0.5000.pt",
        "best_model_4-3_f1=0.5000.pt",
        "best_model_4_f1=0.5000.pt",
    ]
    assert run.monitoring.best_checkpoint == tmp_path / "best_model_4-3_f1=0.5000.pt"
    assert _weight(run.monitoring.best_checkpoint) == pytest.approx(0.50003)
    names = [name for _, name in run.checkpoint.state_dict()["_saved"]]
    assert names == [
        "best_model_4_f1=0.5000.pt",
        "best_model_4-2_f1=0.5000.pt",
        "best_model_4-3_f1=0.5000.pt",
    ]


# A save killed after reserving its name, where there are no hard links


def _no_hard_links(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(source: Any, target: Any) -> None:
        raise PermissionError(1, "Operation not permitted (simulated: no hard links here)")

    monkeypatch.setattr(os, "link", no_link)


def _killed_after_reserving(monkeypatch: pytest.MonkeyPatch, run: _Run, epoch: int, score: float) -> None:
    """Save as a kill between the name's reservation and the move would leave it: the move fails and
    the empty reservation cannot be removed (a kill runs no clean-up)."""
    real_replace, real_unlink = os.replace, os.unlink

    def replace(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        if str(target).endswith(".pt"):
            raise KeyboardInterrupt
        real_replace(source, target, *args, **kwargs)

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith(".pt"):
            raise PermissionError(1, "simulated: the process is dead")
        real_unlink(path, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", replace)
        patch.setattr(os, "unlink", unlink)
        with pytest.raises(KeyboardInterrupt):
            run.evaluate(epoch, score)


def test_the_next_setup_removes_the_empty_reservation_of_a_killed_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The empty file stayed under the final name; a later save of that name failed with an untrue
    'was not written by this handler'."""
    _no_hard_links(monkeypatch)
    first = _Run(tmp_path, require_empty=True)
    first.evaluate(1, 0.5)
    _killed_after_reserving(monkeypatch, first, 2, 0.7)
    reserved = tmp_path / "best_model_2_f1=0.7000.pt"
    assert reserved.stat().st_size == 0
    (tmp_path / "empty.pt").write_bytes(b"")  # a user's empty file, listed by no ledger: kept
    second = _Run(tmp_path)
    assert not reserved.exists() and (tmp_path / "empty.pt").exists()
    second.evaluate(2, 0.7)
    assert _weight(reserved) == pytest.approx(0.7)
    assert second.monitoring.best_checkpoint == reserved


def _set_ledger_writer(directory: Path, writer: Any) -> None:
    """Rewrite the writer recorded in the (one) ledger of ``directory``; None: an earlier version's
    ledger, which records none."""
    (path,) = directory.glob(".ignite_f1-run-*.json")
    ledger = json.loads(path.read_text())
    if writer is None:
        ledger.pop("writer", None)
    else:
        ledger["writer"] = writer
    path.write_text(json.dumps(ledger))


@pytest.mark.parametrize("writer", ["alive", "earlier version"])
def test_a_reservation_whose_writer_may_still_save_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    """A setup removed every empty file a ledger listed, also one a live run had just reserved: its
    move could land between the size check and the removal, and the finished checkpoint was
    deleted. Only the reservations of a finished writer (of this host) are removed now."""
    _no_hard_links(monkeypatch)
    first = _Run(tmp_path, require_empty=True)
    first.evaluate(1, 0.5)
    _killed_after_reserving(monkeypatch, first, 2, 0.7)
    reserved = tmp_path / "best_model_2_f1=0.7000.pt"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _set_ledger_writer(tmp_path, [_saver._HOST, sleeper.pid] if writer == "alive" else None)
        _Run(tmp_path)
        assert reserved.exists() and reserved.stat().st_size == 0
    finally:
        sleeper.kill()
        sleeper.wait()
    if writer == "alive":  # once that process is gone, the next setup removes it
        _Run(tmp_path)
        assert not reserved.exists()


def test_a_resume_after_a_killed_save_takes_its_files_and_saves_the_name_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_hard_links(monkeypatch)
    first = _Run(tmp_path, require_empty=True)
    first.evaluate(1, 0.5)
    state = first.checkpoint.state_dict()
    _killed_after_reserving(monkeypatch, first, 2, 0.7)
    resumed = _Run(tmp_path).resume(state)
    assert resumed.monitoring.best_checkpoint == tmp_path / "best_model_1_f1=0.5000.pt"
    resumed.evaluate(2, 0.7)
    assert pt_files(tmp_path) == ["best_model_2_f1=0.7000.pt"]
    assert _weight(tmp_path / "best_model_2_f1=0.7000.pt") == pytest.approx(0.7)


# Restored states that are not this handler's lists of files


@pytest.mark.parametrize(
    ("saved", "match"),
    [
        pytest.param([(0.1, "../victim.pt")], r"plain file name.*got '\.\./victim\.pt'", id="parent"),
        pytest.param([(0.1, "/tmp/victim.pt")], r"plain file name.*got '/tmp/victim\.pt'", id="absolute"),
        pytest.param([(0.1, "sub\\victim.pt")], r"plain file name.*got 'sub\\\\victim\.pt'", id="backslash"),
        pytest.param([(0.1, "")], r"plain file name.*got ''", id="empty"),
        pytest.param([(0.1, ".")], r"plain file name.*got '\.'", id="dot"),
        pytest.param([(0.1, "..")], r"plain file name.*got '\.\.'", id="dot-dot"),
        pytest.param([(0.1, None)], r"plain file name.*got None", id="none"),
        pytest.param(
            [("abc", "x.pt")], r"a real number \(not a bool, not NaN\), got 'abc' for 'x\.pt'", id="str"
        ),
        pytest.param([(True, "x.pt")], r"a real number .*, got True for 'x\.pt'", id="bool"),
        pytest.param([(math.nan, "x.pt")], r"a real number .*, got nan for 'x\.pt'", id="nan"),
        pytest.param([(0.1, "x.pt", 3)], r"\(priority, file name\) pairs, got the entry \(0\.1", id="triple"),
        pytest.param("x.pt", r"\(priority, file name\) pairs, got 'x\.pt'", id="not-a-list"),
    ],
)
def test_a_state_naming_no_plain_file_is_refused_before_anything_changes(
    tmp_path: Path, saved: Any, match: str
) -> None:
    """``{"_saved": [(0.1, "../victim.pt")]}`` was taken: the next save deleted the user's file
    outside the checkpoint directory; ``("abc", "x.pt")`` raised a bare ValueError after ``_saved``
    had changed."""
    victim = tmp_path / "victim.pt"
    victim.write_bytes(b"the user's model")
    run = _Run(tmp_path / "ck", require_empty=True)
    run.evaluate(1, 0.05)
    before = run.checkpoint.state_dict()
    with pytest.raises(ValueError, match=r"State key `_saved` must .*" + match):
        run.checkpoint.load_state_dict({"_saved": saved, "run_id": before["run_id"]})
    assert run.checkpoint.state_dict() == before
    run.evaluate(2, 0.5)
    assert victim.read_bytes() == b"the user's model"
    assert listing(tmp_path / "ck") == ["best_model_2_f1=0.5000.pt"]


def test_a_ledger_naming_a_file_outside_the_directory_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.pt"
    victim.write_bytes(b"the user's model")
    directory = tmp_path / "ck"
    directory.mkdir()
    run_id = "a" * 32
    status = victim.stat()
    files = [[0.9, "../victim.pt", [status.st_size, status.st_mtime_ns]]]
    ledger = {"run_id": run_id, "continues": None, "files": files}
    (directory / f".ignite_f1-run-{run_id}.json").write_text(json.dumps(ledger))
    run = _Run(directory).resume({"_saved": [], "run_id": run_id, "identities": {}})
    assert run.monitoring.best_checkpoint is None
    run.evaluate(1, 0.95)
    assert victim.read_bytes() == b"the user's model"


def test_a_plain_ignite_state_takes_no_file_and_deletes_none(tmp_path: Path) -> None:
    """A state with neither a run id nor identities (a plain Ignite Checkpoint's) names files nothing
    shows to be this run's: they are named in a warning, and never replaced nor deleted."""
    other = Checkpoint({"model": torch.nn.Linear(2, 2)}, str(tmp_path), score_name="f1", n_saved=1)
    engine = Engine(lambda e, b: None)
    engine.state.metrics = {"f1": 0.5}
    other(engine)
    (name,) = pt_files(tmp_path)
    with pytest.warns(
        UserWarning, match=rf"{name}', named by the restored state, is not taken over: .*run id"
    ):
        run = _Run(tmp_path).resume(other.state_dict())
    assert run.monitoring.best_checkpoint is None
    run.evaluate(1, 0.7)
    run.evaluate(2, 0.8)
    assert pt_files(tmp_path) == sorted([name, "best_model_2_f1=0.8000.pt"])


# A file that cannot be examined once written


def test_a_written_file_that_cannot_be_examined_fails_the_save_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bare ``assert`` checked it (AssertionError, or nothing under ``python -O``)."""
    run = _Run(tmp_path, require_empty=True)
    run.evaluate(1, 0.5)
    real_lstat = os.lstat

    def lstat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith(".tmp"):
            raise OSError(5, "Input/output error (simulated)")
        return real_lstat(path, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(os, "lstat", lstat)
        with pytest.raises(OSError, match=r"size and modification time of '.*\.tmp', the checkpoint just"):
            run.evaluate(2, 0.7)
    assert listing(tmp_path) == ["best_model_1_f1=0.5000.pt"]  # no temporary file, the old best kept
    assert run.monitoring.best_checkpoint == tmp_path / "best_model_1_f1=0.5000.pt"
    assert _weight(run.monitoring.best_checkpoint) == pytest.approx(0.5)
    run.evaluate(2, 0.7)
    assert listing(tmp_path) == ["best_model_2_f1=0.7000.pt"]


# Files of equal score


@pytest.mark.parametrize("n_saved", [1, 2, None])
def test_of_equal_scores_the_first_epoch_is_the_best_file_whatever_n_saved(
    tmp_path: Path, n_saved: int | None
) -> None:
    """Ignite's stable sort made the later epoch the best with n_saved > 1 (the first with
    n_saved=1); EarlyStopping counts the equal score as no improvement."""
    run = Scripted([0.5, 0.7, 0.7, 0.6])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, tmp_path, n_saved=n_saved
    )
    run.run()
    assert monitoring.best_checkpoint == tmp_path / "best_model_2_f1=0.7000.pt"
    assert state_equal(torch.load(monitoring.best_checkpoint, weights_only=True), run.weights[2])


def test_of_equal_scores_the_first_stays_the_best_after_a_resume(tmp_path: Path) -> None:
    """From the state's order, and for a file written after the state (listed by the ledger only)."""
    first = _Run(tmp_path, n_saved=3, require_empty=True)
    first.evaluate(1, 0.7, fill=1.0)
    first.evaluate(2, 0.7, fill=2.0)
    state = first.checkpoint.state_dict()
    first.evaluate(3, 0.7, fill=3.0)  # then it crashed
    assert first.monitoring.best_checkpoint == tmp_path / "best_model_1_f1=0.7000.pt"
    resumed = _Run(tmp_path, n_saved=3).resume(state)
    assert resumed.monitoring.best_checkpoint == tmp_path / "best_model_1_f1=0.7000.pt"
    assert [name for _, name in resumed.checkpoint.state_dict()["_saved"]] == [
        f"best_model_{epoch}_f1=0.7000.pt" for epoch in (3, 2, 1)
    ]
    resumed.evaluate(4, 0.8, fill=4.0)  # a better one: the newest of the equal ones goes first
    assert pt_files(tmp_path) == [
        f"best_model_{epoch}_f1={f}.pt" for epoch, f in ((1, "0.7000"), (2, "0.7000"), (4, "0.8000"))
    ]
    assert len(ledgers(tmp_path)) == 2
