"""Multilabel F1 with micro, macro, samples and per-label averages.

Data: scikit-learn's ``make_multilabel_classification`` (generated, no download). A small network
with one logit per label is trained with ``BCEWithLogitsLoss``; the evaluator reports
``MultilabelF1Score`` with the micro, macro and samples averages and per label, each what
``sklearn.metrics.f1_score`` gives on all the validation data (to the last bit; the samples average,
summed batch by batch, to 1e-12 relative). Each run writes its ``results.json`` into a new folder
``runs/multilabel/<date-time>``.

Run ``python examples/multilabel.py --help`` for the flags.
"""

from __future__ import annotations

import json
import sys

from _common import parser

LABELS = ["sports", "politics", "science", "travel", "food"]


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parser(__doc__.splitlines()[0], epochs=15).parse_args(argv)
    # Imported once the flags are read: `--help` answers at once, torch alone takes seconds.
    import torch
    from _common import check_device, loader, markdown_table, mlp, run_directory, seed_everything, standardize
    from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
    from sklearn.datasets import make_multilabel_classification
    from sklearn.model_selection import train_test_split

    from ignite_f1 import MultilabelF1Score

    device = check_device(args.device)
    out = run_directory(args.output_dir, "multilabel")
    generator = seed_everything(args.seed)
    x, y = make_multilabel_classification(
        n_samples=3000, n_features=20, n_classes=len(LABELS), n_labels=2, random_state=args.seed
    )
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=args.seed)
    x_train, x_val = standardize(x_train, x_val)
    train_loader = loader(x_train, y_train.astype("float32"), 64, True, generator)
    val_loader = loader(x_val, y_val, 256, False)

    model = mlp(x.shape[1], len(LABELS)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.BCEWithLogitsLoss(), device=device)
    metrics = {
        f"f1_{average}": MultilabelF1Score(len(LABELS), average=average, device=device, from_logits=True)
        for average in ("micro", "macro")
    }
    # Some samples have no label at all; predicting none for them is right, so score them 1.0
    # (scikit-learn's zero_division) instead of 0.0 with a warning.
    metrics["f1_samples"] = MultilabelF1Score(
        len(LABELS), average="samples", zero_division=1.0, device=device, from_logits=True
    )
    metrics["f1_per_label"] = MultilabelF1Score(
        len(LABELS), average=None, class_names=LABELS, device=device, from_logits=True
    )
    evaluator = create_supervised_evaluator(model, metrics=metrics, device=device)

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: object) -> None:
        state = evaluator.run(val_loader)
        print(
            f"epoch {trainer.state.epoch:3d}  "
            + "  ".join(f"{k} {state.metrics[k]:.4f}" for k in ("f1_micro", "f1_macro", "f1_samples"))
        )

    trainer.run(train_loader, max_epochs=args.epochs)
    final = evaluator.state.metrics
    print()
    print(markdown_table(["label", "f1"], list(final["f1_per_label"].items())))
    results = {k: float(final[k]) for k in ("f1_micro", "f1_macro", "f1_samples")}
    (out / "results.json").write_text(json.dumps({**results, "per_label": final["f1_per_label"]}, indent=2))
    print(f"\nresults written to {out / 'results.json'}")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
