"""ignite_f1 without an Ignite Engine: a hand-written PyTorch training loop.

The metric objects are plain accumulators: ``reset()`` at the start of an evaluation,
``update((y_pred, y))`` per batch, ``compute()`` at the end. ``log_f1_summary`` writes the same
TensorBoard summary as the Ignite handler (per-class F1 curves, confusion matrix, report) to any
``SummaryWriter``. The same calls fit a Lightning module's ``validation_step`` and
``on_validation_epoch_end``.

Data: scikit-learn's wine data set (shipped with scikit-learn, no download), 3 classes. Each run
writes into a new folder ``runs/plain_loop/<date-time>``.

Run ``python examples/plain_pytorch_loop.py --help`` for the flags.
"""

from __future__ import annotations

import json
import sys

from _common import parser


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parser(__doc__.splitlines()[0], epochs=20).parse_args(argv)
    # Imported once the flags are read: `--help` answers at once, torch alone takes seconds.
    import torch
    from _common import check_device, loader, mlp, report_table, run_directory, seed_everything, standardize
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split
    from tensorboardX import SummaryWriter

    from ignite_f1 import MulticlassF1Score
    from ignite_f1.tensorboard import log_f1_summary

    device = check_device(args.device)
    generator = seed_everything(args.seed)
    wine = load_wine()
    x_train, x_val, y_train, y_val = train_test_split(
        wine.data, wine.target, test_size=0.4, random_state=args.seed, stratify=wine.target
    )
    x_train, x_val = standardize(x_train, x_val)
    names = [str(n) for n in wine.target_names]
    train_loader = loader(x_train, y_train, 16, True, generator)
    val_loader = loader(x_val, y_val, 32, False)

    model = mlp(x_train.shape[1], len(names), hidden=16).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss()
    f1 = MulticlassF1Score(len(names), class_names=names, device=device)
    out = run_directory(args.output_dir, "plain_loop")
    writer = SummaryWriter(str(out / "tensorboard"))

    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss_fn(model(x.to(device)), y.to(device)).backward()
            optimizer.step()

        model.eval()
        f1.reset()
        with torch.no_grad():
            for x, y in val_loader:
                f1.update((model(x.to(device)), y.to(device)))
        score = f1.compute()
        history.append(score)
        writer.add_scalar("validation/f1_macro", score, epoch)
        log_f1_summary(writer, f1, "validation", epoch)
        print(f"epoch {epoch:3d}  macro F1 {score:.4f}")
    writer.close()

    print()
    print(report_table(f1.report()))
    print(f"\nTensorBoard logs: {out / 'tensorboard'}")
    results = {"f1_macro": history[-1], "best_f1_macro": max(history)}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
