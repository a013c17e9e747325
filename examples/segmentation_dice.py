"""Toy segmentation: the mean per-image Dice beside the pooled F1 of all pixels.

Data: synthetic 64x64 grey images made with torch (fixed seed, no download), each with a few
rectangles (class 1, bright), discs (class 2, mid grey) and dark rectangles (class 3) on a noisy
background (class 0); some images hold no shape of a class, some only small ones. A tiny
fully-convolutional network is trained with Ignite for a few epochs on a CPU.

The evaluator has two ``MulticlassF1Score`` metrics (macro over the classes):
``multidim_average="samplewise"`` scores each image on its own pixels, over the classes present in
that image (in its truth or its prediction), and averages over the images: the mean per-image Dice
of the segmentation literature. The default pools the pixels of all images first, so large shapes
and pixel-rich images weigh more; small shapes missed in a few images barely move it. The two
numbers are printed side by side, with the per-class scores of each.

Sample weights: after training, a third number is the mean per-image Dice with the pixels on a
shape's boundary (next to a pixel of another class) weighted ``--boundary-weight`` (0.25 by default)
and the others 1, a common way of counting the ambiguous edge pixels less. The metric is built with
``sample_weight=True`` and fed ``(y_pred, y, weights)``: each image is scored with its pixels'
weights, and the mean over images is weighted by each image's mean pixel weight.

Each run writes into a new folder ``runs/segmentation_dice/<date-time>``: ``results.json`` and
``predictions.npz`` (the validation labels, predicted labels and pixel weights, to recompute the
scores).

Run ``python examples/segmentation_dice.py --help`` for the flags.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING

from _common import parser

if TYPE_CHECKING:
    import torch

CLASS_NAMES = ["background", "rectangle", "disc", "dark_rectangle"]
INTENSITY = {1: 1.0, 2: 0.5, 3: -0.7}  # mean grey level of each shape class (background 0)
SIZE = 64
# The largest --boundary-weight: every sum of the weights stays far inside float64's range (1.8e308).
MAX_BOUNDARY_WEIGHT_TEXT = "1e300"
MAX_BOUNDARY_WEIGHT = float(MAX_BOUNDARY_WEIGHT_TEXT)


def toy_segmentation(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` noisy images (n, 1, SIZE, SIZE) and their labels (n, SIZE, SIZE), drawn from ``generator``."""
    import torch

    rows = torch.arange(SIZE).view(SIZE, 1)
    cols = torch.arange(SIZE).view(1, SIZE)
    labels = torch.zeros(n, SIZE, SIZE, dtype=torch.long)
    for i in range(n):
        shapes = int(torch.randint(1, 6, (1,), generator=generator))
        for _ in range(shapes):
            cls = int(torch.randint(1, 4, (1,), generator=generator))
            half = int(torch.randint(3, 14, (1,), generator=generator))
            cy, cx = (int(v) for v in torch.randint(half, SIZE - half, (2,), generator=generator))
            if cls == 2:
                mask = (rows - cy) ** 2 + (cols - cx) ** 2 <= half**2
            else:
                mask = ((rows - cy).abs() <= half) & ((cols - cx).abs() <= half // 2 + 2)
            labels[i][mask] = cls
    images = torch.zeros(n, SIZE, SIZE)
    for cls, level in INTENSITY.items():
        images[labels == cls] = level
    images += 0.35 * torch.randn(n, SIZE, SIZE, generator=generator)
    return images.unsqueeze(1), labels


def tiny_net(num_classes: int) -> torch.nn.Module:
    """Three convolutions, no downsampling: a per-pixel classifier with a 5x5 receptive field."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, num_classes, 1),
    )


def boundary_mask(labels: torch.Tensor) -> torch.Tensor:
    """The boundary pixels of ``labels`` (n, SIZE, SIZE), a bool tensor of that shape: True on a
    pixel whose 3x3 neighbourhood (within the image) holds another class."""
    from torch.nn import functional

    padded = functional.pad(labels.unsqueeze(1).double(), (1, 1, 1, 1), mode="replicate")
    highest = functional.max_pool2d(padded, 3, stride=1)
    lowest = -functional.max_pool2d(-padded, 3, stride=1)
    return (highest != lowest).squeeze(1)


def boundary_weights(labels: torch.Tensor, weight: float) -> torch.Tensor:
    """Per-pixel weights of ``labels`` (n, SIZE, SIZE), float64: ``weight`` on a boundary pixel
    (:func:`boundary_mask`), 1.0 elsewhere. Filled in float64, so that ``weight`` is used as given
    (0.1 stays the float64 0.1, not float32's 0.10000000149011612) and any float64 fits."""
    import torch

    weights = torch.ones(labels.shape, dtype=torch.float64)
    return weights.masked_fill_(boundary_mask(labels), weight)


def boundary_weight_flag(text: str) -> float:
    """``--boundary-weight``: a finite number from 0 to ``MAX_BOUNDARY_WEIGHT``.

    A negative or non-finite weight has no meaning (the metric would refuse it, after training);
    above the bound, a sum of the weights (of the 64 x 64 x 64 validation pixels, times 1 + beta**2
    = 2 in the per-image scores) could leave float64's range.
    """
    rule = f"a finite number from 0 to {MAX_BOUNDARY_WEIGHT_TEXT}"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}") from None
    if not (math.isfinite(value) and 0.0 <= value <= MAX_BOUNDARY_WEIGHT):
        raise argparse.ArgumentTypeError(f"must be {rule}, got {text}")
    return value


def weighted_dice(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor, device: str
) -> float:
    """The mean per-image Dice (macro) of ``model`` on ``x`` with per-pixel ``weights``, in an Ignite
    engine whose step returns ``(y_pred, y, weights)``."""
    import torch
    from ignite.engine import Engine
    from torch.utils.data import DataLoader, TensorDataset

    from ignite_f1 import MulticlassF1Score

    def step(engine: Engine, batch: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        images, labels, pixel_weights = (t.to(device) for t in batch)
        model.eval()
        with torch.no_grad():
            return model(images), labels, pixel_weights

    evaluator = Engine(step)
    dice = MulticlassF1Score(
        len(CLASS_NAMES), multidim_average="samplewise", sample_weight=True, device=device
    )
    dice.attach(evaluator, "dice")
    state = evaluator.run(DataLoader(TensorDataset(x, y, weights), batch_size=32))
    return float(state.metrics["dice"])


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = parser(__doc__.splitlines()[0], epochs=4)
    p.add_argument(
        "--boundary-weight",
        type=boundary_weight_flag,
        default=0.25,
        help="weight of the boundary pixels in the weighted per-image Dice, a finite number from 0 to "
        f"{MAX_BOUNDARY_WEIGHT_TEXT}; the other pixels weigh 1 (default: 0.25)",
    )
    args = p.parse_args(argv)
    # Imported once the flags are read: `--help` answers at once, torch alone takes seconds.
    import numpy as np
    import torch
    from _common import check_device, markdown_table, progress_bar, run_directory, seed_everything
    from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
    from torch.utils.data import DataLoader, TensorDataset

    from ignite_f1 import MulticlassF1Score

    device = check_device(args.device)
    generator = seed_everything(args.seed)
    data = torch.Generator().manual_seed(args.seed)
    x_train, y_train = toy_segmentation(192, data)
    x_val, y_val = toy_segmentation(64, data)
    c = len(CLASS_NAMES)
    share = torch.bincount(y_train.reshape(-1), minlength=c) / y_train.numel()
    print(
        "training pixels per class: "
        + ", ".join(f"{n}:{s:.1%}" for n, s in zip(CLASS_NAMES, share, strict=True))
    )

    model = tiny_net(c).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.CrossEntropyLoss(), device=device)
    metrics = {
        # the mean over images of each image's macro F1 (per-image Dice)
        "dice_per_image": MulticlassF1Score(c, multidim_average="samplewise", device=device),
        # the macro F1 of all the validation pixels pooled
        "f1_pooled": MulticlassF1Score(c, device=device),
        "dice_per_image_per_class": MulticlassF1Score(
            c, average=None, multidim_average="samplewise", device=device
        ),
        "f1_pooled_per_class": MulticlassF1Score(c, average=None, device=device),
    }
    evaluator = create_supervised_evaluator(model, metrics=metrics, device=device)
    train_loader = DataLoader(
        TensorDataset(x_train, y_train), batch_size=16, shuffle=True, generator=generator
    )
    val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=32)
    run = run_directory(args.output_dir, "segmentation_dice")
    progress_bar(trainer)  # on a terminal only

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate() -> None:
        m = evaluator.run(val_loader).metrics
        print(
            f"epoch {trainer.state.epoch:3d}  per-image Dice {m['dice_per_image']:.4f}"
            f"  pooled F1 {m['f1_pooled']:.4f}"
        )

    trainer.run(train_loader, max_epochs=args.epochs)
    m = evaluator.run(val_loader).metrics
    print(f"\nmean per-image Dice (samplewise, macro): {m['dice_per_image']:.4f}")
    print(f"pooled F1 of all pixels (macro):         {m['f1_pooled']:.4f}\n")
    per_image, pooled = m["dice_per_image_per_class"], m["f1_pooled_per_class"]
    rows = [[name, float(per_image[i]), float(pooled[i])] for i, name in enumerate(CLASS_NAMES)]
    print(markdown_table(["class", "per-image Dice", "pooled F1"], rows))

    weights = boundary_weights(y_val, args.boundary_weight)
    weighted = weighted_dice(model, x_val, y_val, weights, device)
    on_boundary = float(boundary_mask(y_val).double().mean())  # whatever their weight, 1 included
    print(
        f"\nmean per-image Dice, boundary pixels weighted {args.boundary_weight:g}: {weighted:.4f}"
        f"  (unweighted {m['dice_per_image']:.4f}; {on_boundary:.1%} of the pixels are on a boundary)"
    )

    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(x.to(device)).argmax(1).cpu() for x, _ in val_loader])
    np.savez_compressed(
        run / "predictions.npz", y_true=y_val.numpy(), y_pred=predicted.numpy(), weights=weights.numpy()
    )
    results = {
        "dice_per_image": float(m["dice_per_image"]),
        "dice_per_image_boundary_weighted": weighted,
        "boundary_weight": args.boundary_weight,
        "f1_pooled": float(m["f1_pooled"]),
        "dice_per_image_per_class": dict(zip(CLASS_NAMES, per_image.tolist(), strict=True)),
        "f1_pooled_per_class": dict(zip(CLASS_NAMES, pooled.tolist(), strict=True)),
        "epochs": trainer.state.epoch,
        "predictions": str(run / "predictions.npz"),
    }
    (run / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nresults and predictions: {run}")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
