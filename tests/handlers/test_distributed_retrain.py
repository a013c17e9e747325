"""RetrainOnPlateau in two real gloo processes: every process ends a retrain with the same weights.

- ``"reinitialize"``: each process draws new weights from its own random state (seeded per rank, as
  Ignite's examples do); rank 0's are then taken by all, else the copies of a DDP model drift apart.
- ``"restore_best"`` when the evaluation that reaches the retrain patience also saves a new best
  file (a rise of less than ``min_delta``): rank 0 writes it, slowly here, while the other process
  would load it at once; a barrier makes it wait (it raised FileNotFoundError).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import _gloo
import pytest
import torch
from _scripted import Scripted, state_equal

from ignite_f1.handlers import RetrainEvents, RetrainOnPlateau, score_function, setup_f1_monitoring

pytestmark = pytest.mark.slow  # real processes (gloo); CI runs them with -m slow

# min_delta 0.1: epochs 2 and 3 are saved as new bests, yet count as no improvement: with retrain
# patience 2, epoch 3's evaluation saves its file and then restores it
RISING_SCORES = [0.5, 0.55, 0.58, 0.5, 0.5]
BEST_FILE = "best_model_3_f1=0.5800.pt"


def _worker(local_rank: int, out_dir: str) -> None:
    import ignite.distributed as idist

    rank = idist.get_rank()
    results: dict[str, object] = {}

    run = Scripted([0.5, 0.7, 0.6, 0.6, 0.6])
    torch.manual_seed(42 + rank)
    RetrainOnPlateau(
        score_function("f1"),
        2,
        run.trainer,
        None,
        {"model": run.model},
        strategy="reinitialize",
        max_retrains=1,
    ).attach(run.evaluator)
    seen: list[dict[str, torch.Tensor]] = []
    run.trainer.add_event_handler(
        RetrainEvents.RETRAIN_TRIGGERED, lambda e: seen.append(copy.deepcopy(run.model.state_dict()))
    )
    run.run()
    results["reinitialized"] = seen
    results["before"] = run.weights[4]

    run = Scripted(RISING_SCORES)
    setup_f1_monitoring(
        run.trainer,
        run.evaluator,
        "f1",
        {"model": run.model},
        Path(out_dir) / "best",
        patience=4,
        min_delta=0.1,
        retrain={"patience": 2, "max_retrains": 1},
    )
    if rank == 0:  # a slow disk: the other process reaches the retrain first
        save = torch.save

        def slow_save(*args: object, **kwargs: object) -> None:
            time.sleep(1.0)
            save(*args, **kwargs)  # type: ignore[arg-type]

        torch.save = slow_save  # type: ignore[assignment]
    restored: list[dict[str, torch.Tensor]] = []
    run.trainer.add_event_handler(
        RetrainEvents.RETRAIN_TRIGGERED, lambda e: restored.append(copy.deepcopy(run.model.state_dict()))
    )
    run.run()
    results["restored"] = restored
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")


def test_every_process_retrains_to_the_same_weights(tmp_path: Path) -> None:
    _, stderr = _gloo.run_launcher(__file__, tmp_path)
    files = [tmp_path / f"rank{rank}.pt" for rank in range(2)]
    assert all(f.exists() for f in files), f"the two-process run failed:\n{stderr[-6000:]}"
    ranks = [torch.load(f, weights_only=False) for f in files]

    (first,), (second,) = (r["reinitialized"] for r in ranks)
    assert state_equal(first, second)  # rank 0's new weights on both
    assert not state_equal(first, ranks[0]["before"])  # and new indeed

    best = torch.load(tmp_path / "best" / BEST_FILE, weights_only=True)
    for rank in ranks:
        (weights,) = rank["restored"]
        assert state_equal(weights, best)  # the file written in that same evaluation
