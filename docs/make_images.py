"""Render the pictures of the TensorBoard guide into ``docs/_static`` from a short real training run.

Not run by the documentation build: the files it writes are committed. Rerun it after a change to
what :mod:`ignite_f1.tensorboard` draws, from the repository root, with the ``tensorboard`` and
``test`` extras installed (TensorBoard itself reads the event files back)::

    python docs/make_images.py

It trains a small network on scikit-learn's handwritten digits (no download, CPU, seconds), with
three digits made rare in the training set, logs the evaluator with ``F1TensorboardHandler`` and then
reads the event files with TensorBoard's ``EventAccumulator``. The confusion matrix is the PNG the
handler logged, byte for byte; the per-class charts redraw the logged scalars with the logged
custom-scalars layout the way TensorBoard's Custom Scalars tab draws them (every curve of a run in
the run's colour, each with its marker, the "Matches" list under each chart); the report is the
logged markdown. The F1-vs-threshold figure comes
from ``BinaryF1Score(num_thresholds=101, from_logits=True).curve()`` on the breast cancer data.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from pathlib import Path

import numpy as np
import torch
from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import TensorboardLogger, global_step_from_engine
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ignite_f1 import BinaryF1Score, MulticlassF1Score
from ignite_f1.tensorboard import F1TensorboardHandler

STATIC = Path(__file__).resolve().parent / "_static"
RARE = (3, 8, 9)  # digits kept at 10 % in the training set
SEED = 0


def standardize(train: np.ndarray, other: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    mean, std = train.mean(0), train.std(0) + 1e-6
    return (
        torch.as_tensor((train - mean) / std, dtype=torch.float32),
        torch.as_tensor((other - mean) / std, dtype=torch.float32),
    )


def batches(x: torch.Tensor, y: torch.Tensor, size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(y), size)]


def digits_run(logdir: str) -> None:
    """Train on imbalanced digits for 15 epochs, logging the validation F1 to ``logdir``."""
    digits = load_digits()
    x_train, x_val, y_train, y_val = train_test_split(
        digits.data, digits.target, test_size=0.4, random_state=SEED, stratify=digits.target
    )
    rng = np.random.default_rng(SEED)
    keep = ~np.isin(y_train, RARE) | (rng.random(len(y_train)) < 0.1)
    xt, xv = standardize(x_train[keep], x_val)
    yt, yv = torch.as_tensor(y_train[keep]), torch.as_tensor(y_val)

    torch.manual_seed(SEED)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.CrossEntropyLoss())
    names = [f"digit {d}" for d in range(10)]
    per_class = MulticlassF1Score(num_classes=10, average=None, class_names=names)
    evaluator = create_supervised_evaluator(model, metrics={"f1_per_class": per_class})
    val_batches = batches(xv, yv, 128)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run(val_batches))

    tb_logger = TensorboardLogger(log_dir=logdir)
    handler = F1TensorboardHandler(per_class, "val", global_step_transform=global_step_from_engine(trainer))
    tb_logger.attach(evaluator, log_handler=handler, event_name=Events.COMPLETED)
    generator = torch.Generator().manual_seed(SEED)
    order = torch.randperm(len(yt), generator=generator)
    trainer.run(batches(xt[order], yt[order], 32), max_epochs=15)
    tb_logger.close()


def read_back(logdir: str) -> None:
    """Write the logged confusion matrix, a per-class F1 chart and the report from the event files."""
    events = EventAccumulator(logdir, size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    events.Reload()
    (STATIC / "confusion_matrix.png").write_bytes(
        events.Images("val/confusion_matrix")[-1].encoded_image_string
    )

    per_class_charts(events)

    text = events.Tensors("val/classification_report/text_summary")[-1]
    report = text.tensor_proto.string_val[0].decode()
    (STATIC / "classification_report.md").write_text(report + "\n")


# What TensorBoard's custom-scalars multi-line chart draws (tensorboard 2.x): every series of a run
# in the run's colour (the first run's is this orange), told apart by a marker on each point, in
# this order per chart, then again; series are named "{tag} ({run})", the logdir itself being ".".
RUN_COLOUR = "#ff7043"
MARKERS = [("s", "\u25fc"), ("D", "\u25c6"), ("^", "\u25b2"), ("*", "\u2605"), ("P", "\u271a")]


def per_class_charts(events: EventAccumulator) -> None:
    """The charts of the logged custom-scalars layout, drawn as TensorBoard draws them."""
    from tensorboard.plugins.custom_scalar import layout_pb2

    config = events.Tensors("custom_scalars__config__")[-1].tensor_proto.string_val[0]
    [category] = layout_pb2.Layout.FromString(config).category
    charts = [(chart.title, chart.multiline.tag[0]) for chart in category.chart]
    tags = events.Tags()["scalars"]
    fig = Figure(figsize=(4.1 * len(charts), 4.3), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    for ax, (title, regex) in zip(fig.subplots(1, len(charts), squeeze=False)[0], charts, strict=True):
        matched = [tag for tag in tags if re.match(regex, tag)]
        for tag, (marker, _) in zip(matched, itertools.cycle(MARKERS)):
            points = events.Scalars(tag)
            ax.plot(
                [p.step for p in points],
                [p.value for p in points],
                color=RUN_COLOUR,
                linewidth=1.3,
                marker=marker,
                markersize=5,
            )
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        matches = [f"{symbol}  {tag} (.)" for tag, (_, symbol) in zip(matched, itertools.cycle(MARKERS))]
        ax.set_xlabel(
            f"Matches ({len(matched)})\n" + "\n".join(matches), fontsize=8, loc="left", color=RUN_COLOUR
        )
    fig.savefig(STATIC / "f1_per_class.png")


def threshold_figure() -> None:
    """F1, precision and recall against the threshold, from ``BinaryF1Score.curve()``."""
    data = load_breast_cancer()
    malignant = (data.target == 0).astype(np.int64)  # the positive class
    rng = np.random.default_rng(SEED)
    keep = (malignant == 0) | (rng.random(len(malignant)) < 0.2)  # 1 positive in 10
    x, y = data.data[keep][:, :4], malignant[keep]  # 4 features: a model far from perfect
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.4, random_state=SEED, stratify=y)
    xt, xv = standardize(x_train, x_val)
    torch.manual_seed(SEED)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    target = torch.as_tensor(y_train, dtype=torch.float32)
    for _ in range(200):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(xt).squeeze(1), target)
        loss.backward()
        optimizer.step()
    metric = BinaryF1Score(num_thresholds=101, from_logits=True)  # logits; threshold 0.5
    with torch.no_grad():
        metric.update((model(xv).squeeze(1), torch.as_tensor(y_val)))
    curve = metric.curve()
    best, best_f1 = metric.best_threshold()

    fig = Figure(figsize=(8.2, 4.0), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    t = curve["thresholds"].numpy()
    ax.plot(t, curve["fbeta"].numpy(), color="C0", linewidth=2.2, label="F1")
    ax.plot(t, curve["precision"].numpy(), color="C1", linewidth=1.2, linestyle="--", label="precision")
    ax.plot(t, curve["recall"].numpy(), color="C2", linewidth=1.2, linestyle="--", label="recall")
    ax.axvline(0.5, color="grey", linewidth=1, linestyle=":")
    ax.annotate(
        f"default 0.5: F1 {metric.compute():.3f}", (0.5, 0.08), xytext=(6, 0), textcoords="offset points"
    )
    ax.plot([best], [best_f1], "o", color="C0")
    ax.annotate(
        f"best {best:.2f}: F1 {best_f1:.3f}",
        (best, best_f1),
        xytext=(0, 14),
        textcoords="offset points",
        ha="center",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9},
    )
    ax.set_xlabel("probability threshold")
    ax.set_ylim(0, 1.05)
    ax.set_title(
        "BinaryF1Score(num_thresholds=101, from_logits=True).curve() on validation data", fontsize=10
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.savefig(STATIC / "f1_vs_threshold.png")


def main() -> None:
    STATIC.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as logdir:
        digits_run(logdir)
        read_back(logdir)
    threshold_figure()
    for path in sorted(STATIC.iterdir()):
        print(f"{path.relative_to(STATIC.parent.parent)}: {path.stat().st_size // 1024} kB")


if __name__ == "__main__":
    main()
