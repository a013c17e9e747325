"""RetrainOnPlateau's ``"restore_best"`` in two real gloo processes when the best file is missing.

- deleted from the shared directory before the retrain: every process warns, counts the retrain and
  keeps its weights, alike;
- present for one process only (a directory that is not shared): every process raises, before any
  loads it and with the count unchanged (else one process would train on the best weights and the
  other on its own, silently);
- unreadable for one process only (an I/O error): every process raises, none waits for the other
  (the process that failed raised alone, and the other waited at the collective call for the
  backend's timeout);
- named differently by the processes (resumed from different states): every process raises (each
  loaded its own file, silently).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from unittest import mock

import _gloo
import pytest
import torch
from _scripted import Scripted, state_equal
from ignite.engine import Events

from ignite_f1.handlers import setup_f1_monitoring

pytestmark = pytest.mark.slow  # real processes (gloo); CI runs them with -m slow

SCORES = [0.5, 0.9, 0.6, 0.6]  # epoch 2 is the best; with retrain patience 2 the retrain follows epoch 4


def _run(directory: Path, delete: bool, fail_read: bool = False) -> dict[str, object]:
    import ignite.distributed as idist

    run = Scripted(SCORES)
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, directory, retrain={"patience": 2}
    )
    idist.barrier()  # every setup checked the directory before the first save (a DDP model syncs so)
    if delete and idist.get_rank() == 0:
        run.trainer.add_event_handler(
            Events.EPOCH_COMPLETED(once=3), lambda: monitoring.best_checkpoint.unlink()
        )
    result: dict[str, object] = {}
    real_load = torch.load

    def load(path: object, *args: object, **kwargs: object) -> object:
        if fail_read and idist.get_rank() == 1 and str(path).endswith(".pt"):
            raise OSError(5, "simulated I/O error")
        return real_load(path, *args, **kwargs)  # type: ignore[arg-type]

    with warnings.catch_warnings(record=True) as caught, mock.patch.object(torch, "load", load):
        warnings.simplefilter("always")
        try:
            run.run()
        except RuntimeError as error:
            result["error"] = str(error)
    retrain = monitoring.retrain
    assert retrain is not None
    result["warnings"] = [str(w.message) for w in caught if "RetrainOnPlateau" in str(w.message)]
    result["counts"] = (retrain.retrain_count, run.trainer.state.retrain_count)
    result["unchanged"] = state_equal(run.model.state_dict(), run.weights[4])
    return result


def _different_files(directory: Path) -> str:
    """Processes resumed from different saved states name different best files (both on disk)."""
    import ignite.distributed as idist

    from ignite_f1.handlers._retrain_checks import read_best

    rank = idist.get_rank()
    if rank == 0:
        directory.mkdir()
        for name in ("best_model_2_f1=0.7000.pt", "best_model_3_f1=0.9000.pt"):
            torch.save({"weight": torch.zeros(1)}, directory / name)
    idist.barrier()
    try:
        read_best(directory / ("best_model_2_f1=0.7000.pt" if rank == 0 else "best_model_3_f1=0.9000.pt"))
    except RuntimeError as error:
        return str(error)
    return "no error"


def _worker(local_rank: int, out_dir: str) -> None:
    import ignite.distributed as idist

    rank = idist.get_rank()
    results = {
        "deleted": _run(Path(out_dir) / "shared_best", delete=True),
        "not_shared": _run(Path(out_dir) / f"best_of_rank{rank}", delete=False),
        "unreadable": _run(Path(out_dir) / "unreadable", delete=False, fail_read=True),
        "different files": _different_files(Path(out_dir) / "different"),
    }
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")


def test_a_missing_best_file_is_decided_alike_by_every_process(tmp_path: Path) -> None:
    _, stderr = _gloo.run_launcher(__file__, tmp_path)
    files = [tmp_path / f"rank{rank}.pt" for rank in range(2)]
    assert all(f.exists() for f in files), f"the two-process run failed:\n{stderr[-6000:]}"
    ranks = [torch.load(f, weights_only=False) for f in files]
    for rank in ranks:
        deleted = rank["deleted"]
        assert "error" not in deleted
        (message,) = deleted["warnings"]
        assert "retrain 1 of 3 is counted but loads nothing: the best file of `checkpoint`" in message
        assert deleted["counts"] == (1, 1) and deleted["unchanged"]
        not_shared = rank["not_shared"]
        assert "is on the disk of 1 of 2 processes only" in not_shared["error"]
        assert not_shared["counts"] == (0, 0) and not_shared["unchanged"]
        unreadable = rank["unreadable"]
        assert "failed on 1 of 2 processes" in unreadable["error"]
        assert unreadable["counts"] == (0, 0) and unreadable["unchanged"]
    assert "here: OSError" in ranks[1]["unreadable"]["error"]
    for rank in ranks:
        assert "the processes disagree on the best file of `checkpoint`" in rank["different files"]
