"""Threshold curves with ``sample_weight=True`` (binary and multilabel): the histogram holds float64
sums of weights, so every point of ``curve()`` is scikit-learn's precision, recall and F-beta with
``sample_weight`` (undefined -> 0) of the predictions ``score >= t``, and ``best_threshold()``
follows; the TensorBoard summary logs the float PR curve."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _cases import n_examples
from _reference import assert_close, assert_close_relative, sklearn_curve
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite_f1 import BinaryF1Score, BinaryFBetaScore, MultilabelF1Score, MultilabelFBetaScore, _curves

# --------------------------------------------------------------------------- references


def _cuts(num_thresholds: int, dtype: torch.dtype, from_logits: bool) -> np.ndarray:
    """The thresholds as the metric compares them: in the scores' dtype, logits for logits."""
    return _curves.score_boundaries(num_thresholds, from_logits).to(dtype).double().numpy()


def _check_curve(curve: dict[str, torch.Tensor], expected: dict[str, np.ndarray]) -> None:
    assert all(v.dtype == torch.float64 for v in curve.values())
    for name in ("precision", "recall", "fbeta"):
        assert_close_relative(curve[name], expected[name], path=name)


def _binary_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, generator=g) * 2.0
    y = (torch.rand(n, generator=g) < torch.sigmoid(logits)).long()
    w = torch.rand(n, generator=g, dtype=torch.float64) * 5.0
    w[torch.rand(n, generator=g) < 0.2] = 0.0
    return logits, y, w


# --------------------------------------------------------------------------- binary


@pytest.mark.parametrize(
    ("beta", "num_thresholds", "from_logits", "dtype"),
    [
        pytest.param(1.0, 11, False, torch.float64, id="probs-f64-T11"),
        pytest.param(2.0, 101, False, torch.float32, id="probs-f32-T101-beta2"),
        pytest.param(0.5, 7, True, torch.float32, id="logits-f32-T7-beta0.5"),
    ],
)
def test_binary_weighted_curve_equals_sklearn_at_every_threshold(
    beta: float, num_thresholds: int, from_logits: bool, dtype: torch.dtype
) -> None:
    logits, y, w = _binary_data(700, seed=11)
    scores = (logits if from_logits else torch.sigmoid(logits)).to(dtype)
    metric = BinaryFBetaScore(
        beta, from_logits=from_logits, num_thresholds=num_thresholds, zero_division=0.0, sample_weight=True
    )
    for start in range(0, 700, 64):
        metric.update((scores[start : start + 64], y[start : start + 64], w[start : start + 64]))
    histogram = metric.threshold_histogram()
    assert histogram is not None and histogram.dtype == torch.float64
    assert_close_relative(histogram.sum(), w.sum())
    curve = metric.curve()
    cuts = _cuts(num_thresholds, dtype, from_logits)
    expected = sklearn_curve(
        scores=scores.double().numpy(), y_true=y.numpy(), cuts=cuts, beta=beta, sample_weight=w.numpy()
    )
    _check_curve(curve, expected)

    best, score = metric.best_threshold()
    assert isinstance(best, float) and isinstance(score, float)
    index = int(curve["fbeta"].argmax())  # the lowest of the best thresholds of this curve
    assert (best, score) == (curve["thresholds"][index].item(), curve["fbeta"][index].item())
    assert score == pytest.approx(expected["fbeta"].max(), rel=1e-12)
    # the point at the metric's own threshold (0.5, the middle of an odd grid) is compute()
    assert num_thresholds % 2 == 1
    assert_close(curve["fbeta"][(num_thresholds - 1) // 2], metric.compute())


@pytest.mark.parametrize("per_image", [True, False], ids=["per_image", "per_pixel"])
def test_binary_segmentation_weights_spread_over_the_pixels(per_image: bool) -> None:
    g = torch.Generator().manual_seed(2)
    probs, y = torch.rand(6, 4, 5, generator=g), torch.randint(0, 2, (6, 4, 5), generator=g)
    w = torch.rand(6, generator=g) if per_image else torch.rand(6, 4, 5, generator=g)
    metric = BinaryF1Score(from_logits=False, num_thresholds=9, sample_weight=True)
    metric.update((probs, y, w))
    flat_w = (w[:, None, None].expand(6, 4, 5) if per_image else w).reshape(-1).double().numpy()
    expected = sklearn_curve(
        scores=probs.double().reshape(-1).numpy(),
        y_true=y.reshape(-1).numpy(),
        cuts=_cuts(9, torch.float32, False),
        beta=1.0,
        sample_weight=flat_w,
    )
    _check_curve(metric.curve(), expected)


@settings(max_examples=n_examples(0.5))
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), num_thresholds=st.integers(2, 12))
def test_whole_number_weights_give_the_histogram_of_repeated_samples(
    seed: int, n: int, num_thresholds: int
) -> None:
    g = torch.Generator().manual_seed(seed)
    scores, y = torch.rand(n, 3, generator=g), torch.randint(0, 2, (n, 3), generator=g)
    repeats = torch.randint(0, 4, (n,), generator=g)
    weighted = MultilabelF1Score(3, from_logits=False, num_thresholds=num_thresholds, sample_weight=True)
    weighted.update((scores, y, repeats.double()))
    plain = MultilabelF1Score(3, from_logits=False, num_thresholds=num_thresholds)
    plain.update((scores.repeat_interleave(repeats, 0), y.repeat_interleave(repeats, 0)))
    if not repeats.any():
        return  # nothing to compare: both refuse (NotComputableError)
    assert torch.equal(weighted.threshold_histogram(), plain.threshold_histogram().double())
    for average in (None, "micro", "macro"):
        for name, values in weighted.curve(average).items():
            assert torch.equal(values, plain.curve(average)[name])


def test_unit_weights_give_the_unweighted_histogram_and_curve() -> None:
    logits, y, _ = _binary_data(5000, seed=3)  # large enough for bincount and index_put paths alike
    for num_thresholds in (5, 20_001):  # the histogram smaller, then larger, than the batch
        weighted = BinaryF1Score(from_logits=True, num_thresholds=num_thresholds, sample_weight=True)
        plain = BinaryF1Score(from_logits=True, num_thresholds=num_thresholds)
        weighted.update((logits, y, torch.ones(5000)))
        plain.update((logits, y))
        assert torch.equal(weighted.threshold_histogram(), plain.threshold_histogram().double())
        assert torch.equal(weighted.curve()["fbeta"], plain.curve()["fbeta"])


def test_rejected_weights_leave_the_histogram_unchanged() -> None:
    metric = BinaryF1Score(from_logits=False, num_thresholds=4, sample_weight=True)
    metric.update((torch.tensor([0.2, 0.9]), torch.tensor([0, 1]), torch.tensor([1.0, 2.0])))
    before = metric.threshold_histogram()
    with pytest.raises(ValueError, match="finite weights >= 0"):
        metric.update((torch.tensor([0.5, 0.7]), torch.tensor([1, 1]), torch.tensor([1.0, -1.0])))
    assert torch.equal(metric.threshold_histogram(), before)


# --------------------------------------------------------------------------- multilabel


@pytest.mark.parametrize("from_logits", [True, False], ids=["logits", "probs"])
def test_multilabel_weighted_curves_per_label_micro_macro(from_logits: bool) -> None:
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(400, 4, generator=g) * 1.5
    y = (torch.rand(400, 4, generator=g) < torch.sigmoid(logits + 0.5)).long()
    y[:, 3] = 0  # a label without positives: recall undefined, counted as 0
    w = torch.rand(400, generator=g, dtype=torch.float64) * 3.0
    w[::5] = 0.0
    scores = logits if from_logits else torch.sigmoid(logits)
    metric = MultilabelFBetaScore(
        2.0, num_labels=4, from_logits=from_logits, num_thresholds=21, sample_weight=True
    )
    for start in range(0, 400, 50):
        metric.update((scores[start : start + 50], y[start : start + 50], w[start : start + 50]))
    cuts = _cuts(21, torch.float32, from_logits)
    s, t, weights = scores.double().numpy(), y.numpy(), w.numpy()
    histogram = metric.threshold_histogram()
    assert histogram is not None and histogram.dtype == torch.float64 and histogram.shape == (2, 4, 21)

    per_label = metric.curve()
    expected = sklearn_curve(scores=s, y_true=t, cuts=cuts, beta=2.0, average=None, sample_weight=weights)
    _check_curve(per_label, expected)
    assert per_label["recall"][3].abs().sum() == 0
    _check_curve(
        metric.curve(average="micro"),
        sklearn_curve(scores=s, y_true=t, cuts=cuts, beta=2.0, average="micro", sample_weight=weights),
    )
    _check_curve(
        metric.curve(average="macro"),
        sklearn_curve(scores=s, y_true=t, cuts=cuts, beta=2.0, average="macro", sample_weight=weights),
    )

    best, score = metric.best_threshold()
    assert torch.equal(best, per_label["thresholds"][per_label["fbeta"].argmax(1)])
    assert_close_relative(score, expected["fbeta"].max(1))
    micro = metric.curve(average="micro")
    assert metric.best_threshold(average="micro") == (
        micro["thresholds"][micro["fbeta"].argmax()].item(),
        micro["fbeta"].max().item(),
    )


# --------------------------------------------------------------------------- TensorBoard


def _weighted_metrics() -> dict[str, Any]:
    logits, y, w = _binary_data(300, seed=7)
    binary = BinaryFBetaScore(2.0, from_logits=True, num_thresholds=11, sample_weight=True)
    binary.update((logits, y, w))
    g = torch.Generator().manual_seed(8)
    ml_logits, ml_y = torch.randn(300, 3, generator=g), torch.randint(0, 2, (300, 3), generator=g)
    multilabel = MultilabelF1Score(3, from_logits=True, num_thresholds=6, sample_weight=True)
    multilabel.update((ml_logits, ml_y, w))
    return {"binary": binary, "multilabel": multilabel}


@pytest.mark.slow  # a real event file (and a confusion-matrix image) written and read back
def test_tensorboard_logs_the_float_pr_curves_of_weighted_metrics(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util
    from tensorboardX import SummaryWriter

    from ignite_f1.tensorboard import log_f1_summary

    metrics = _weighted_metrics()
    with SummaryWriter(str(tmp_path)) as writer:
        for name, metric in metrics.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                metric.compute()
                log_f1_summary(writer, metric, name, step=3)
    acc = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0, "images": 0, "scalars": 0})
    acc.Reload()
    parts = [("binary", "binary/pr_curve", ...)] + [
        ("multilabel", f"multilabel/pr_curve/{i}", i) for i in range(3)
    ]
    for name, tag, index in parts:
        histogram = metrics[name].threshold_histogram()
        assert histogram.dtype == torch.float64
        counts = _curves.pr_curve_counts(histogram)
        curve = metrics[name].curve()
        [event] = acc.Tensors(tag)
        assert event.step == 3
        tp, fp, tn, fn, precision, recall = tensor_util.make_ndarray(event.tensor_proto)
        # TensorBoard stores float32: the weighted counts are kept to float32 precision
        for got, key in ((tp, "tp"), (fp, "fp"), (tn, "tn"), (fn, "fn")):
            np.testing.assert_allclose(got, counts[key][index].numpy(), rtol=1e-6, err_msg=key)
        assert not np.array_equal(tp, np.round(tp))  # sums of float weights, not whole counts
        assert np.array_equal(precision, curve["precision"][index].numpy().astype(np.float32))
        assert np.array_equal(recall, curve["recall"][index].numpy().astype(np.float32))
        assert acc.Images(f"{name}/confusion_matrix")


def test_the_summary_hands_the_float_counts_to_the_writer() -> None:
    """Without an event file: what ``add_pr_curve_raw`` receives (fast; the file is tested above)."""
    from ignite_f1.tensorboard import log_f1_summary

    class Recorder:
        def __init__(self) -> None:
            self.curves: list[tuple[Any, ...]] = []

        def add_pr_curve_raw(self, tag: str, *args: Any, **kwargs: Any) -> None:
            self.curves.append((tag, *args))

        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: None

    metric = _weighted_metrics()["binary"]
    writer = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log_f1_summary(writer, metric, "val", step=1, confusion_matrix=False, report=False)
    [(tag, tp, fp, tn, fn, precision, recall, step)] = writer.curves
    counts = _curves.pr_curve_counts(metric.threshold_histogram())
    assert tag == "val/pr_curve" and step == 1
    assert all(a.dtype == np.float64 for a in (tp, fp, tn, fn))
    assert np.array_equal(tp, counts["tp"].numpy()) and np.array_equal(tn, counts["tn"].numpy())
    assert (tn >= 0).all() and (fn >= 0).all()
    assert np.array_equal(precision, metric.curve()["precision"].numpy())
    assert np.array_equal(recall, metric.curve()["recall"].numpy())
