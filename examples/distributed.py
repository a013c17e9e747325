"""Distributed evaluation: the same F1 on 2 CPU processes as on one.

A small model is trained on scikit-learn's handwritten digits in this process. Then Ignite's
distributed launcher (``idist.Parallel``, gloo backend) starts 2 processes; each evaluates its shard
of the validation set, chosen by PyTorch's ``DistributedSampler``, with ``MulticlassF1Score``. The
metric sums its counts across the processes, so every process gets the F1 of the whole validation
set, which this script checks against the single-process result.

``DistributedSampler`` pads the shards with repeated samples so that they have equal length; counted
as they come, those duplicates would bias the result. Each process therefore scores only its first
``len(range(rank, N, world_size))`` samples: the sampler puts the padding at the end of the shards.

``--device`` is where the model is trained and the single-process reference evaluated; the 2
processes evaluate on the CPU, as the gloo backend sums CPU tensors. Each run writes its
``results.json`` into a new folder ``runs/distributed/<date-time>``.

Interrupted while the 2 processes run (Ctrl-C, or ``kill -INT`` sent to this process alone), the
script ends them before it removes the folder they read from, and exits within seconds; a process
left waiting for the other gives up after ``WORKER_TIMEOUT_S`` seconds, not gloo's 30 minutes.

Run ``python examples/distributed.py --help`` for the flags.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _common import parser

if TYPE_CHECKING:
    import torch
    from ignite.engine import Engine

NUM_CLASSES = 10
# How long a worker waits for the other at the rendezvous and in a collective (gloo's default: 30
# minutes): a worker whose partner is gone gives up after this instead.
WORKER_TIMEOUT_S = 120


def stop_workers(grace_s: float = 5.0) -> None:
    """End the processes this one started (the 2 workers) and wait for them: SIGTERM, then SIGKILL
    for one still there after ``grace_s`` seconds."""
    import multiprocessing

    workers = multiprocessing.active_children()
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(grace_s)
        if worker.is_alive():
            worker.kill()
            worker.join()


def unpadded_evaluator(model: torch.nn.Module, num_real: int, device: str) -> Engine:
    """An evaluator that drops the padding duplicates at the end of a ``DistributedSampler`` shard."""
    import torch
    from ignite.engine import Engine, Events

    def step(engine: Engine, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = batch
        seen = engine.state.samples_seen
        keep = max(0, min(len(y), num_real - seen))
        engine.state.samples_seen = seen + len(y)
        model.eval()
        with torch.no_grad():
            y_pred = model(x[:keep].to(device))
        return y_pred, y[:keep].to(device)

    evaluator = Engine(step)

    @evaluator.on(Events.EPOCH_STARTED)
    def reset_count(engine: Engine) -> None:
        engine.state.samples_seen = 0

    return evaluator


def evaluate_shard(local_rank: int, config: dict[str, Any]) -> None:
    """Run in each process: evaluate this rank's shard; rank 0 writes the global result."""
    import ignite.distributed as idist
    import torch
    from _common import mlp
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    from ignite_f1 import MulticlassF1Score

    rank, world_size = idist.get_rank(), idist.get_world_size()
    data = torch.load(config["data"], weights_only=True)
    dataset = TensorDataset(data["x"], data["y"])
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=False)
    shard = DataLoader(dataset, batch_size=64, sampler=sampler)
    model = mlp(data["x"].shape[1], NUM_CLASSES)
    model.load_state_dict(data["model"])
    num_real = len(range(rank, len(dataset), world_size))
    evaluator = unpadded_evaluator(model, num_real, "cpu")
    MulticlassF1Score(NUM_CLASSES).attach(evaluator, "f1_macro")
    MulticlassF1Score(NUM_CLASSES, average="micro").attach(evaluator, "f1_micro")
    metrics = evaluator.run(shard).metrics
    print(f"rank {rank}: {len(sampler)} samples from the sampler, {num_real} scored; global F1 {metrics}")
    if rank == 0:
        Path(config["result"]).write_text(json.dumps(metrics))


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parser(__doc__.splitlines()[0], epochs=5).parse_args(argv)
    # Imported once the flags are read: `--help` answers at once, torch alone takes seconds.
    import datetime

    import ignite.distributed as idist
    import torch
    from _common import check_device, loader, mlp, run_directory, seed_everything, standardize
    from ignite.engine import create_supervised_trainer
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from ignite_f1 import MulticlassF1Score

    device = check_device(args.device)
    out = run_directory(args.output_dir, "distributed")
    generator = seed_everything(args.seed)
    digits = load_digits()
    x_train, x_val, y_train, y_val = train_test_split(
        digits.data, digits.target, test_size=539, random_state=args.seed, stratify=digits.target
    )
    # 539 validation samples: an odd number, so DistributedSampler pads one shard with a duplicate.
    x_train, x_val = standardize(x_train, x_val)
    model = mlp(x_train.shape[1], NUM_CLASSES).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.CrossEntropyLoss(), device=device)
    trainer.run(loader(x_train, y_train, 64, True, generator), max_epochs=args.epochs)

    single = unpadded_evaluator(model, len(y_val), device)
    MulticlassF1Score(NUM_CLASSES, device=device).attach(single, "f1_macro")
    MulticlassF1Score(NUM_CLASSES, average="micro", device=device).attach(single, "f1_micro")
    expected = single.run(loader(x_val, y_val, 64, False)).metrics
    print(f"single process: {expected}")

    with tempfile.TemporaryDirectory() as tmp:
        data = {"x": torch.as_tensor(x_val, dtype=torch.float32), "y": torch.as_tensor(y_val)}
        weights = {k: v.cpu() for k, v in model.state_dict().items()}
        torch.save({**data, "model": weights}, Path(tmp) / "data.pt")
        config = {"data": str(Path(tmp) / "data.pt"), "result": str(out / "results.json")}
        init = f"file://{Path(tmp) / 'rendezvous'}"
        try:
            with idist.Parallel(
                backend="gloo",
                nproc_per_node=2,
                init_method=init,
                timeout=datetime.timedelta(seconds=WORKER_TIMEOUT_S),
                daemon=True,  # ended, not waited for, if this process exits before them
            ) as parallel:
                parallel.run(evaluate_shard, config)
        except BaseException:
            # Interrupted (Ctrl-C, or `kill -INT` sent to this process alone) or failed while the
            # workers run: they would wait for each other (or for this folder, removed on the way
            # out) and this process for them at exit. End them first; the folder goes after.
            stop_workers()
            raise
    result = json.loads((out / "results.json").read_text())
    same = all(result[k] == expected[k] for k in expected)
    print(f"2 processes:    {result}")
    print("identical to the single-process F1" if same else "MISMATCH with the single-process F1")
    if not same:
        raise SystemExit(1)
    return {str(k): float(v) for k, v in result.items()}


if __name__ == "__main__":
    main(sys.argv[1:])
