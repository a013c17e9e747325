"""A best-F1 save that fails on the writing process (rank 0) in two real gloo processes.

Another run's file under the name is no failure: every process takes the next name alike.

Only rank 0 writes; the other processes used not to learn that its write failed: rank 0 raised and
rolled its list of files back, while rank 1 listed the file that was never written, went on
training, and could then wait alone at the next collective call (a retrain's barrier, a DDP
all-reduce) for the backend's timeout. Every process now learns the outcome: all raise, and their
lists stay equal.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import _gloo
import pytest
import torch
from _scripted import Scripted
from ignite.handlers import Checkpoint

from ignite_f1.handlers import setup_f1_monitoring

pytestmark = pytest.mark.slow  # real processes (gloo); CI runs them with -m slow

SCORES = [0.5, 0.7, 0.8, 0.6]  # each a new best until epoch 3


def _run(directory: Path, foreign_file: bool, failing_save: bool) -> dict[str, object]:
    import ignite.distributed as idist

    rank = idist.get_rank()
    if foreign_file and rank == 0:  # another run's file under the name of epoch 2's save
        directory.mkdir()
        (directory / "best_model_2_f1=0.7000.pt").write_bytes(b"another run's checkpoint")
    idist.barrier()
    run = Scripted(SCORES)
    monitoring = setup_f1_monitoring(
        run.trainer, run.evaluator, "f1", {"model": run.model}, directory, patience=5, require_empty=False
    )
    idist.barrier()  # every setup checked the directory before the first save (a DDP model syncs so)
    real_save, saves = torch.save, []

    def save(obj: object, file: object, *args: object, **kwargs: object) -> None:
        saves.append(file)
        if failing_save and len(saves) == 2:  # the second save (epoch 2) on the writing process
            raise OSError(28, "No space left on device (simulated)")
        real_save(obj, file, *args, **kwargs)  # type: ignore[arg-type]

    result: dict[str, object] = {}
    with mock.patch.object(torch, "save", save):
        try:
            run.run()
        except (OSError, RuntimeError) as error:
            result["error"] = f"{type(error).__name__}: {error}"
    result["epoch"] = run.trainer.state.epoch
    result["saved"] = [name for _, name in Checkpoint.state_dict(monitoring.checkpoint)["_saved"]]
    best = monitoring.best_checkpoint
    result["best_on_disk"] = best is not None and best.exists()
    return result


def _worker(local_rank: int, out_dir: str) -> None:
    import ignite.distributed as idist

    results = {
        "foreign file": _run(Path(out_dir) / "foreign", foreign_file=True, failing_save=False),
        "failing save": _run(Path(out_dir) / "failing", foreign_file=False, failing_save=True),
    }
    torch.save(results, Path(out_dir) / f"rank{idist.get_rank()}.pt")


def test_a_save_that_fails_on_the_writing_process_fails_on_every_process(tmp_path: Path) -> None:
    _, stderr = _gloo.run_launcher(__file__, tmp_path)
    files = [tmp_path / f"rank{rank}.pt" for rank in range(2)]
    assert all(f.exists() for f in files), f"the two-process run failed:\n{stderr[-6000:]}"
    rank0, rank1 = (torch.load(f, weights_only=False) for f in files)
    case = "failing save"
    assert rank0[case]["saved"] == rank1[case]["saved"] == ["best_model_1_f1=0.5000.pt"]
    assert rank0[case]["epoch"] == rank1[case]["epoch"] == 2
    assert rank0[case]["best_on_disk"] and rank1[case]["best_on_disk"]
    assert "was not saved: writing it failed on the process of rank 0" in rank1[case]["error"]
    assert rank0[case]["error"].startswith("OSError: [Errno 28]")
    # another run's file under the name: every process takes the next name alike, and trains on
    case = "foreign file"
    assert "error" not in rank0[case] and "error" not in rank1[case], (rank0[case], rank1[case])
    assert rank0[case]["saved"] == rank1[case]["saved"] == ["best_model_3_f1=0.8000.pt"]
    assert rank0[case]["epoch"] == rank1[case]["epoch"] == 4
    assert rank0[case]["best_on_disk"] and rank1[case]["best_on_disk"]
    assert (tmp_path / "foreign" / "best_model_2_f1=0.7000.pt").read_bytes() == b"another run's checkpoint"
