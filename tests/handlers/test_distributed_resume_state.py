"""Resuming from the checkpoint state of a process that does not write the files (two gloo processes).

Only rank 0 writes the best-F1 files and records which files they are (run id, size and
modification time); the other processes keep the same list of names. A state saved on rank 1 used
to carry rank 1's own run id, which made a resume take over every named file as it was on disk,
without checking it: a file another run had written since under one of those names was then
listed, and deleted at the next rotation. Such a state now takes over no file (a warning names
each), while rank 0's state, the one Ignite's ``Checkpoint`` saves, still takes over the run's
unchanged files.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import _gloo
import pytest
import torch
from _scripted import Scripted, pt_files
from ignite.handlers import Checkpoint

from ignite_f1.handlers import setup_f1_monitoring

pytestmark = pytest.mark.slow  # real processes (gloo); CI runs them with -m slow

SCORES = [0.5, 0.7, 0.8, 0.6]  # with n_saved=2 the run keeps epochs 3 and 2
REPLACED = "best_model_2_f1=0.7000.pt"  # later replaced by another run's file of that name
KEPT = "best_model_3_f1=0.8000.pt"  # left as the run wrote it


def _worker(local_rank: int, out_dir: str) -> None:
    import ignite.distributed as idist

    run = Scripted(SCORES)
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, Path(out_dir) / "run", patience=9, n_saved=2
    )
    idist.barrier()  # every setup checked the directory before the first save
    run.run()
    state = monitoring.checkpoint.state_dict()  # every process's own, as Ignite's Checkpoint asks for it
    torch.save(state, Path(out_dir) / f"state{idist.get_rank()}.pt")
    idist.barrier()
    torch.save(_resume_own_states(Path(out_dir), state), Path(out_dir) / f"resumed{idist.get_rank()}.pt")


def _resume_own_states(out_dir: Path, state: dict[str, object]) -> dict[str, object]:
    """A second run of both processes in a copy of the run's directory, each loading its own state."""
    import ignite.distributed as idist

    if idist.get_rank() == 0:
        shutil.copytree(out_dir / "run", out_dir / "resumed")  # keeps the modification times
    idist.barrier()
    run = Scripted([0.75, 0.6, 0.95, 0.6])
    monitoring = setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        {"model": run.model},
        out_dir / "resumed",
        patience=9,
        n_saved=2,
        require_empty=False,
    )
    result: dict[str, object] = {"error": None}
    try:
        monitoring.checkpoint.load_state_dict(state)
        result["taken"] = [name for _, name in Checkpoint.state_dict(monitoring.checkpoint)["_saved"]]
        idist.barrier()
        run.run()
    except RuntimeError as error:  # a collective call that timed out
        result["error"] = str(error)
    result["saved"] = [name for _, name in Checkpoint.state_dict(monitoring.checkpoint)["_saved"]]
    return result


def _resume(directory: Path, state: dict[str, object]) -> tuple[list[str], list[str]]:
    """A new single-process run in ``directory`` from ``state``, then two better epochs: the names
    it took over and the warnings of the resume."""
    run = Scripted([0.9, 0.95])
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, directory, n_saved=2, require_empty=False
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        monitoring.checkpoint.load_state_dict(state)
    taken = [name for _, name in Checkpoint.state_dict(monitoring.checkpoint)["_saved"]]
    run.run()  # two saves: with n_saved=2 every file taken over above is removed
    return taken, [str(w.message) for w in caught]


def test_processes_resumed_each_from_its_own_state_list_the_writers_files(tmp_path: Path) -> None:
    # Each process loading the state it saved itself: rank 1's takes over no file, rank 0's does. The
    # lists used to differ, so that only rank 1 saved at the next evaluation and waited alone at the
    # save's collective call. The writer's list is now every process's.
    _, stderr = _gloo.run_launcher(__file__, tmp_path)
    files = [tmp_path / f"resumed{rank}.pt" for rank in range(2)]
    assert all(f.exists() for f in files), f"the two-process run failed:\n{stderr[-6000:]}"
    rank0, rank1 = (torch.load(f, weights_only=False) for f in files)
    assert rank0["error"] is None and rank1["error"] is None, (rank0["error"], rank1["error"])
    assert rank0["taken"] == rank1["taken"] and sorted(rank0["taken"]) == sorted([KEPT, REPLACED])
    assert rank0["saved"] == rank1["saved"] == [KEPT, "best_model_3_f1=0.9500.pt"]
    assert pt_files(tmp_path / "resumed") == [KEPT, "best_model_3_f1=0.9500.pt"]


def test_a_state_saved_by_a_process_that_does_not_write_takes_over_no_file(tmp_path: Path) -> None:
    _, stderr = _gloo.run_launcher(__file__, tmp_path)
    states = [tmp_path / f"state{rank}.pt" for rank in range(2)]
    assert all(s.exists() for s in states), f"the two-process run failed:\n{stderr[-6000:]}"
    rank0, rank1 = (torch.load(s, weights_only=False) for s in states)
    assert rank0["_saved"] == rank1["_saved"]  # the same list of names on both processes
    assert sorted(name for _, name in rank0["_saved"]) == sorted([KEPT, REPLACED])
    assert rank1["run_id"] is None and rank0["run_id"] is not None
    assert rank1["identities"] == {} and sorted(rank0["identities"]) == sorted([KEPT, REPLACED])

    foreign = b"another run's checkpoint"
    for rank, state in ((0, rank0), (1, rank1)):
        directory = tmp_path / f"resumed-from-rank{rank}"
        shutil.copytree(tmp_path / "run", directory)  # keeps the modification times
        (directory / REPLACED).unlink()
        (directory / REPLACED).write_bytes(foreign)
        taken, messages = _resume(directory, state)
        # the other run's file is never taken over, hence never deleted
        assert REPLACED not in taken, rank
        assert (directory / REPLACED).read_bytes() == foreign, rank
        assert any(REPLACED in m and "is not taken over" in m for m in messages), (rank, messages)
        assert pt_files(directory) == sorted(
            [REPLACED, "best_model_1_f1=0.9000.pt", "best_model_2_f1=0.9500.pt"]
            + ([] if rank == 0 else [KEPT])
        ), rank
        if rank == 0:  # the writer's state takes over the run's unchanged file (removed by the rotation)
            assert taken == [KEPT]
        else:  # a non-writer's state takes over none: the run's own file stays on disk, never deleted
            assert taken == []
            assert any(KEPT in m and "rank 0" in m for m in messages), messages
