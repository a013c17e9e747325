"""Binary F1 from logits on imbalanced data, the F1-vs-threshold curve and the best threshold.

Data: scikit-learn's breast cancer data set (shipped with scikit-learn, no download), made more
imbalanced by keeping only a fraction of the malignant cases, which become the positive class. A
logistic-regression-sized network outputs one logit per sample; ``BinaryF1Score`` scores it at the
default threshold 0.5 (compared in logit space) and, built with ``num_thresholds``, also keeps the
counts needed for the whole F1-vs-threshold curve in constant memory. The best-F1 model is
checkpointed; at the end the script prints the curve, the best threshold and the checkpoint's path.
Each run writes into a new folder ``runs/breast_cancer/<date-time>``.

Run ``python examples/breast_cancer_binary.py --help`` for the flags.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from _common import parser

if TYPE_CHECKING:
    import numpy as np


def imbalanced_breast_cancer(seed: int, keep_positive: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Breast cancer features with malignant = 1, keeping ``keep_positive`` of the malignant cases."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    y = (data.target == 0).astype(np.int64)  # sklearn codes malignant as 0
    rng = np.random.default_rng(seed)
    keep = (y == 0) | (rng.random(len(y)) < keep_positive)
    return data.data[keep], y[keep]


def main(argv: list[str] | None = None) -> dict[str, float | str]:
    args = parser(__doc__.splitlines()[0], epochs=30).parse_args(argv)
    # Imported once the flags are read: `--help` answers at once, torch alone takes seconds.
    import torch
    from _common import check_device, loader, markdown_table, mlp, run_directory, seed_everything, standardize
    from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
    from ignite.handlers import Checkpoint, DiskSaver, global_step_from_engine
    from sklearn.model_selection import train_test_split

    from ignite_f1 import BinaryF1Score, score_function

    device = check_device(args.device)
    generator = seed_everything(args.seed)
    x, y = imbalanced_breast_cancer(args.seed)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.4, random_state=args.seed, stratify=y)
    x_train, x_val = standardize(x_train, x_val)
    print(f"training samples: {len(y_train)} ({y_train.mean():.0%} positive)")

    model = mlp(x.shape[1], 1, hidden=16).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss = torch.nn.BCEWithLogitsLoss()
    trainer = create_supervised_trainer(
        model, optimizer, lambda y_pred, y: loss(y_pred.squeeze(1), y.float()), device=device
    )
    f1 = BinaryF1Score(num_thresholds=101, device=device, from_logits=True)  # logits; threshold 0.5
    evaluator = create_supervised_evaluator(model, metrics={"f1": f1}, device=device)

    out = run_directory(args.output_dir, "breast_cancer")
    checkpoint = Checkpoint(
        {"model": model},
        DiskSaver(out / "checkpoints", require_empty=False),
        n_saved=1,
        filename_prefix="best",
        score_function=score_function("f1"),
        score_name="f1",
        global_step_transform=global_step_from_engine(trainer),
    )
    evaluator.add_event_handler(Events.COMPLETED, checkpoint)
    val_loader = loader(x_val, y_val, 128, False)

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: object) -> None:
        evaluator.run(val_loader)
        if trainer.state.epoch % 5 == 0 or trainer.state.epoch == args.epochs:
            print(f"epoch {trainer.state.epoch:3d}  F1 at 0.5: {evaluator.state.metrics['f1']:.4f}")

    trainer.run(loader(x_train, y_train, 32, True, generator), max_epochs=args.epochs)

    # Back to the best-F1 weights, then choose a threshold for them.
    best_file = str(checkpoint.last_checkpoint)
    Checkpoint.load_objects({"model": model}, torch.load(best_file, weights_only=True))
    evaluator.run(val_loader)
    curve = f1.curve()
    threshold, best = f1.best_threshold()
    rows = [
        [f"{t:.2f}", p, r, s]
        for t, p, r, s in zip(
            curve["thresholds"].tolist(),
            curve["precision"].tolist(),
            curve["recall"].tolist(),
            curve["fbeta"].tolist(),
            strict=True,
        )
    ][::10]
    print(f"\nbest-F1 checkpoint: {best_file}")
    print("F1 of its model against the decision threshold (every 10th of 101 points):")
    print(markdown_table(["threshold", "precision", "recall", "f1"], rows))
    at_half = float(evaluator.state.metrics["f1"])
    print(f"\nF1 at threshold 0.5: {at_half:.4f}; best F1 {best:.4f} at threshold {threshold:.2f}")
    results = {
        "f1_at_0.5": at_half,
        "best_threshold": float(threshold),
        "best_f1": float(best),
        "checkpoint": best_file,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
