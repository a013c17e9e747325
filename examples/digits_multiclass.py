"""Handwritten digits, made imbalanced: F1 shows what accuracy hides.

The main example of ignite_f1. Data: scikit-learn's handwritten digits (shipped with scikit-learn,
no download). Digits 7, 8 and 9 are made rare on purpose, in training and validation alike, as in
real imbalanced data, so accuracy looks good while the rare digits are recognised badly; macro F1
and the per-class F1 show it. A small network is trained with Ignite; the evaluator has
``MulticlassF1Score`` (macro, with class names) and Ignite's ``Accuracy``;
``setup_f1_monitoring`` wires early stopping on F1, the best-F1 checkpoint, retraining from the best
weights when F1 stalls, and TensorBoard (per-class F1 curves, confusion-matrix images, the report,
and the same image and report under ``validation/best`` each time F1 improves); accuracy is logged
beside F1. With ``confidence_level=0.95`` TensorBoard also gets the 95% bootstrap band of the macro
F1 at each epoch (``validation/f1_ci_low`` and ``validation/f1_ci_high``, drawn around
``validation/f1`` in the margin chart of the Custom Scalars tab): the rare digits have 18 validation
samples between them, so a move of the macro F1 that stays inside the band can be evaluation-set
noise rather than progress.

Each run writes into a new folder ``runs/digits_multiclass/<date-time>``. At the end the script
says whether early stopping or the epoch limit ended training, reloads the best checkpoint, prints
its macro F1 with its 95% bootstrap interval and its per-class report, where the logs and the
checkpoint are, and the command that opens TensorBoard on them.

Run ``python examples/digits_multiclass.py --help`` for the flags.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _common import parser

if TYPE_CHECKING:
    import numpy as np

CLASS_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
RARE = {7: 0.12, 8: 0.08, 9: 0.05}  # digit: fraction kept


def imbalanced_digits(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits with the classes of ``RARE`` subsampled."""
    import numpy as np
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    keep = np.ones(len(digits.target), dtype=bool)
    for digit, fraction in RARE.items():
        rows = np.flatnonzero(digits.target == digit)
        keep[rows] = False
        keep[rng.choice(rows, size=max(4, round(fraction * len(rows))), replace=False)] = True
    return digits.data[keep], digits.target[keep]


def main(argv: list[str] | None = None) -> dict[str, object]:
    args = parser(__doc__.splitlines()[0], epochs=40).parse_args(argv)
    # Imported once the flags are read: `--help` answers at once, torch alone takes seconds.
    import numpy as np
    import torch
    from _common import (
        check_device,
        end_of_training,
        loader,
        mlp,
        progress_bar,
        report_table,
        run_directory,
        seed_everything,
        standardize,
    )
    from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
    from ignite.handlers import Checkpoint, global_step_from_engine
    from ignite.metrics import Accuracy
    from sklearn.model_selection import train_test_split

    from ignite_f1 import MulticlassF1Score, setup_f1_monitoring

    device = check_device(args.device)
    generator = seed_everything(args.seed)
    x, y = imbalanced_digits(args.seed)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.4, random_state=args.seed, stratify=y)
    x_train, x_val = standardize(x_train, x_val)
    counts = np.bincount(y_train, minlength=10)
    print("training samples per digit: " + ", ".join(f"{d}:{n}" for d, n in enumerate(counts)))

    model = mlp(x.shape[1], len(CLASS_NAMES), hidden=32).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.CrossEntropyLoss(), device=device)

    def make_evaluator() -> tuple[Engine, Any]:
        f1 = MulticlassF1Score(len(CLASS_NAMES), class_names=CLASS_NAMES, device=device)
        metrics = {"f1": f1, "accuracy": Accuracy(device=device)}
        return create_supervised_evaluator(model, metrics=metrics, device=device), f1

    evaluator, f1 = make_evaluator()
    val_loader = loader(x_val, y_val, 256, False)

    run = run_directory(args.output_dir, "digits_multiclass")
    monitoring = setup_f1_monitoring(
        trainer,
        evaluator,
        "f1",
        to_save={"model": model},
        checkpoint_dir=run / "checkpoints",
        patience=12,
        retrain={"patience": 5, "optimizer": optimizer, "lr_factor": 0.5, "max_retrains": 2},
        log_dir=run / "tensorboard",
        metric=f1,
        tag="validation",
        confidence_level=0.95,  # the band around validation/f1 (Custom Scalars tab)
    )
    # Accuracy beside F1 in TensorBoard (validation/accuracy next to validation/f1): the gap is the point.
    monitoring.tensorboard.attach_output_handler(
        evaluator,
        Events.COMPLETED,
        tag="validation",
        metric_names=["accuracy"],
        global_step_transform=global_step_from_engine(trainer),
    )
    progress_bar(trainer)  # on a terminal only

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate() -> None:
        evaluator.run(val_loader)
        m = evaluator.state.metrics
        if trainer.state.epoch % 5 == 0:
            print(f"epoch {trainer.state.epoch:3d}  accuracy {m['accuracy']:.4f}  macro F1 {m['f1']:.4f}")

    trainer.run(loader(x_train, y_train, 32, True, generator), max_epochs=args.epochs)
    monitoring.tensorboard.close()
    retrains = getattr(trainer.state, "retrain_count", 0)
    print(end_of_training(trainer.state.epoch, args.epochs, monitoring.early_stopping))
    print(f"retrained from the best weights {retrains} time(s)")

    # A fresh evaluator: the monitoring handlers on the first one would count this evaluation too.
    best_file = Path(str(monitoring.checkpoint.last_checkpoint))
    Checkpoint.load_objects({"model": model}, torch.load(best_file, weights_only=True))
    final, f1 = make_evaluator()
    best = final.run(val_loader).metrics
    low, high = f1.confidence_interval(level=0.95, seed=args.seed)
    print(f"\nbest checkpoint: accuracy {best['accuracy']:.4f}, macro F1 {best['f1']:.4f}")
    print(f"macro F1 95% bootstrap interval (this validation set): {low:.4f} to {high:.4f}\n")
    report = f1.report()  # once: scikit-learn's warnings for the rare digits come once too
    print(report_table(report))
    print(f"\nbest-F1 checkpoint:  {best_file}")
    print(f"TensorBoard logs:    {run / 'tensorboard'}")
    print(f"look at them with:   tensorboard --logdir {shlex.quote(str(run / 'tensorboard'))}")
    results = {
        "accuracy": float(best["accuracy"]),
        "f1_macro": float(best["f1"]),
        "f1_macro_interval": [low, high],
        "report": report,
        "checkpoint": str(best_file),
        "log_dir": str(run / "tensorboard"),
        "epochs": trainer.state.epoch,
        "early_stopped": monitoring.early_stopping.counter >= monitoring.early_stopping.patience,
        "retrains": retrains,
    }
    (run / "results.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
