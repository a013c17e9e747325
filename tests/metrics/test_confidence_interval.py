"""``confidence_interval()`` of the binary and multi-class metrics, and :mod:`ignite_f1._bootstrap`.

The interval is the percentile bootstrap of ``compute()``, drawn from the confusion matrix as a
multinomial. The tests check the parts and the whole:

- the vectorised F-beta of resampled matrices equals scikit-learn on the samples of each matrix
  (every average, ``labels``, ``zero_division``; matrices with rare and absent classes);
- the bounds agree, within Monte-Carlo error, with a reference bootstrap that resamples the raw
  samples with numpy and scores each resample with scikit-learn;
- the same seed gives the same bounds; a perfect classifier gives (1.0, 1.0); the interval holds
  the point estimate; the result has the shape of ``compute()``'s;
- arguments, multilabel metrics and ``keep_confusion_matrix=False`` are refused with a message;
- in two gloo processes the bounds are those of the summed matrix (``-m slow``).
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path
from typing import Any

import _gloo
import numpy as np
import pytest
import torch
from _reference import assert_close, assert_same, sklearn_fbeta
from ignite.exceptions import NotComputableError
from scipy.stats import binom

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
    MultilabelFBetaScore,
    _bootstrap,
)

ZERO_DIVISIONS = ["warn", 0.0, 1.0, math.nan]
AVERAGES = ["micro", "macro", "weighted", None]


def _zd_id(zero_division: Any) -> str:
    return (
        "zd_nan" if isinstance(zero_division, float) and math.isnan(zero_division) else f"zd_{zero_division}"
    )


def _classifier(n: int, num_classes: int, accuracy: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Imbalanced targets (class c twice as frequent as c + 1), predictions right ``accuracy`` of the time."""
    rng = np.random.default_rng(seed)
    frequencies = 0.5 ** np.arange(num_classes)
    y = rng.choice(num_classes, size=n, p=frequencies / frequencies.sum())
    wrong = rng.random(n) >= accuracy
    y_pred = np.where(wrong, (y + rng.integers(1, num_classes, n)) % num_classes, y)
    return y_pred, y


def _metric(kind: str, **kwargs: Any) -> BinaryFBetaScore | MulticlassFBetaScore:
    if kind == "binary":
        return BinaryFBetaScore(from_logits=False, **kwargs)
    return MulticlassFBetaScore(**kwargs)


def _updated(metric: Any, y_pred: np.ndarray, y: np.ndarray) -> Any:
    metric.update((torch.from_numpy(y_pred), torch.from_numpy(y)))
    return metric


# --------------------------------------------------------------------------- the vectorised scores


def _matrices(seed: int, num_classes: int) -> list[np.ndarray]:
    """Confusion matrices with rare classes, an absent class, empty rows or columns, one cell."""
    rng = np.random.default_rng(seed)
    dense = rng.integers(0, 6, (num_classes, num_classes)) + np.diag(rng.integers(5, 30, num_classes))
    rare = dense.copy()
    rare[-1], rare[:, -1] = 0, 0
    rare[-1, -1] = 1  # one sample: missed in about a third of the resamples
    absent = dense.copy()
    absent[0], absent[:, 0] = 0, 0  # class 0: no target, no prediction
    never_predicted = dense.copy()
    never_predicted[:, 1] = 0
    one_cell = np.zeros((num_classes, num_classes), dtype=np.int64)
    one_cell[1, 0] = 3
    sparse = rng.integers(0, 3, (num_classes, num_classes)) * (rng.random((num_classes, num_classes)) < 0.3)
    sparse[0, 0] += 1
    return [dense, rare, absent, never_predicted, one_cell, sparse]


def _samples_of(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (y_true, y_pred) samples that a confusion matrix counts."""
    true, pred = np.nonzero(cm)
    counts = cm[true, pred]
    return np.repeat(true, counts), np.repeat(pred, counts)


def _check_scores_equal_sklearn(
    cm: np.ndarray, kind: str, average: Any, labels: Any, zero_division: Any, beta: float
) -> None:
    num_classes = cm.shape[0]
    true, pred, draws = _bootstrap.resample(cm, 6, np.random.default_rng(1))
    counts = _bootstrap.class_counts(true, pred, draws, num_classes)
    scores = _bootstrap.fbeta(
        counts,
        beta=beta,
        average=_bootstrap.BINARY if kind == "binary" else average,
        labels=labels,
        zero_division=zero_division,
    )
    for r in range(draws.shape[0]):
        resampled = np.zeros_like(cm)
        np.add.at(resampled, (true, pred), draws[r])
        y_true, y_pred = _samples_of(resampled)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = sklearn_fbeta(
                y_true=y_true,
                y_pred=y_pred,
                beta=beta,
                kind=kind,
                average=average,
                labels=labels,
                num_classes=num_classes,
                zero_division=zero_division,
            )
        assert_close(scores[r] if average is None and kind != "binary" else float(scores[r]), expected)


@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS, ids=_zd_id)
@pytest.mark.parametrize("labels", [None, [3, 1]], ids=["labels_none", "labels_3_1"])
@pytest.mark.parametrize("average", AVERAGES, ids=lambda a: f"avg_{a}")
def test_the_scores_of_resampled_matrices_equal_sklearn(
    average: Any, labels: Any, zero_division: Any
) -> None:
    for cm in _matrices(seed=len(str(average)), num_classes=4):
        _check_scores_equal_sklearn(cm, "multiclass", average, labels, zero_division, beta=0.5)


@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS, ids=_zd_id)
def test_the_binary_scores_of_resampled_matrices_equal_sklearn(zero_division: Any) -> None:
    for cm in [*_matrices(seed=3, num_classes=2), np.array([[7, 0], [0, 0]]), np.array([[0, 2], [0, 0]])]:
        _check_scores_equal_sklearn(cm, "binary", None, None, zero_division, beta=2.0)


def test_resampled_matrices_keep_the_total_and_the_empty_cells() -> None:
    cm = np.array([[40, 0, 3], [2, 30, 0], [0, 5, 1]])
    true, pred, draws = _bootstrap.resample(cm, 2000, np.random.default_rng(0))
    assert (cm[true, pred] > 0).all() and len(true) == np.count_nonzero(cm)  # only the non-zero cells
    assert (draws.sum(1) == cm.sum()).all()  # each resample has the N samples
    expected_sd = np.sqrt(cm[true, pred] * (1 - cm[true, pred] / cm.sum()))  # binomial per cell
    assert np.abs(draws.mean(0) - cm[true, pred]).max() < 5 * (expected_sd / np.sqrt(2000)).max()
    counts = _bootstrap.class_counts(true, pred, draws, 3)  # tp, predicted, actual per class
    rebuilt = np.zeros((2000, 3, 3), dtype=np.int64)
    np.add.at(rebuilt, (slice(None), true, pred), draws)
    np.testing.assert_array_equal(counts[:, 0], np.diagonal(rebuilt, axis1=1, axis2=2))
    np.testing.assert_array_equal(counts[:, 1], rebuilt.sum(1))
    np.testing.assert_array_equal(counts[:, 2], rebuilt.sum(2))


def test_blocks_of_resamples_give_the_same_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    y_pred, y = _classifier(500, 5, 0.7, seed=4)
    metric = _updated(MulticlassF1Score(5, average=None), y_pred, y)
    whole = metric.confidence_interval(num_resamples=300, seed=2)
    monkeypatch.setattr(_bootstrap, "CHUNK_CELLS", 1)  # one resample per block
    assert_same(metric.confidence_interval(num_resamples=300, seed=2), whole)


# ------------------------------------------------------------------ against a bootstrap of the samples


def _reference_bootstrap(
    y_pred: np.ndarray,
    y: np.ndarray,
    *,
    kind: str,
    level: float,
    num_resamples: int,
    seed: int,
    **kwargs: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bounds of scikit-learn's F-beta on the samples resampled with replacement, and its SD."""
    rng = np.random.default_rng(seed)
    scores = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rows in rng.integers(0, len(y), size=(num_resamples, len(y))):
            scores.append(sklearn_fbeta(y_true=y[rows], y_pred=y_pred[rows], kind=kind, **kwargs))
        values = np.asarray(scores, dtype=np.float64)
        bounds = np.nanquantile(values, [(1 - level) / 2, (1 + level) / 2], axis=0)
        return bounds, np.nanstd(values, axis=0)


BOOTSTRAP_CASES = [
    pytest.param("binary", {"beta": 1.0}, id="binary"),
    pytest.param("multiclass", {"beta": 1.0, "average": "macro"}, id="macro"),
    pytest.param("multiclass", {"beta": 2.0, "average": "weighted"}, id="weighted-f2"),
    pytest.param("multiclass", {"beta": 1.0, "average": "micro"}, id="micro"),
    pytest.param(
        "multiclass", {"beta": 1.0, "average": None, "zero_division": math.nan}, id="per_class-zd_nan"
    ),
    pytest.param("multiclass", {"beta": 0.5, "average": "macro", "labels": [5, 0]}, id="macro-labels"),
]


def _check_against_the_reference(
    kind: str, options: dict[str, Any], num_resamples: int, reference_resamples: int, tolerance: float
) -> None:
    num_classes = 2 if kind == "binary" else 6  # 6 classes of 1600 .. 50 samples: class 5 is rare
    y_pred, y = _classifier(3000, num_classes, 0.8, seed=11)
    kwargs = options if kind == "binary" else {**options, "num_classes": num_classes}
    metric = _updated(_metric(kind, **kwargs), y_pred, y)
    low, high = metric.confidence_interval(level=0.9, num_resamples=num_resamples, seed=5)
    (ref_low, ref_high), sd = _reference_bootstrap(
        y_pred, y, kind=kind, level=0.9, num_resamples=reference_resamples, seed=6, **kwargs
    )
    for ours, reference in ((low, ref_low), (high, ref_high)):
        ours = np.atleast_1d(np.asarray(ours, dtype=np.float64))
        assert np.all(np.abs(ours - reference) <= tolerance * sd), (ours, reference, sd)


@pytest.mark.slow  # a Monte-Carlo comparison on thousands of samples, about 1 s per case
@pytest.mark.parametrize(("kind", "options"), BOOTSTRAP_CASES)
def test_the_bounds_agree_with_a_bootstrap_of_the_samples(kind: str, options: dict[str, Any]) -> None:
    # two Monte-Carlo estimates of the 5% and 95% quantiles (1,000 and 400 resamples): their
    # difference has an SD of about 0.12 SD of the resampled scores; 0.5 SD is 4 of those
    _check_against_the_reference(kind, options, 1000, 400, tolerance=0.5)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "options"), BOOTSTRAP_CASES)
def test_the_bounds_agree_closely_with_a_long_bootstrap_of_the_samples(
    kind: str, options: dict[str, Any]
) -> None:
    # 4,000 resamples each: the difference has an SD of about 0.05 SD; 0.2 SD is 4 of those, and
    # half the distance between the bounds at level 0.9 and at level 0.8 (0.36 SD for normal scores)
    _check_against_the_reference(kind, options, 4000, 4000, tolerance=0.2)


def test_micro_bounds_are_the_quantiles_of_the_binomial() -> None:
    # micro F-beta of single-label data is the accuracy, and resampled accuracy is Binomial(N, acc) / N
    y_pred, y = _classifier(3000, 6, 0.8, seed=12)
    metric = _updated(MulticlassFBetaScore(2.0, 6, average="micro"), y_pred, y)
    accuracy, n = float(np.mean(y_pred == y)), len(y)
    sd = math.sqrt(accuracy * (1 - accuracy) / n)
    for level in (0.8, 0.9, 0.99):
        low, high = metric.confidence_interval(level=level, num_resamples=4000, seed=0)
        expected = binom.ppf([(1 - level) / 2, (1 + level) / 2], n, accuracy) / n
        assert abs(low - expected[0]) <= 0.15 * sd and abs(high - expected[1]) <= 0.15 * sd, (
            low,
            high,
            expected,
        )


# --------------------------------------------------------------------------- properties of the result


@pytest.mark.parametrize("level", [0.5, 0.95, 0.99])
def test_the_same_seed_gives_the_same_bounds_and_a_wider_level_a_wider_interval(level: float) -> None:
    y_pred, y = _classifier(800, 4, 0.75, seed=1)
    metric = _updated(MulticlassF1Score(4), y_pred, y)
    first = metric.confidence_interval(level=level, seed=123)
    assert metric.confidence_interval(level=level, seed=123) == first
    assert metric.confidence_interval(level=level, seed=124) != first  # another draw
    wider = metric.confidence_interval(level=(1 + level) / 2, seed=123)
    assert wider[0] <= first[0] and first[1] <= wider[1]


@pytest.mark.parametrize("average", AVERAGES, ids=lambda a: f"avg_{a}")
def test_a_perfect_multiclass_classifier_gives_one(average: Any) -> None:
    _, y = _classifier(400, 5, 1.0, seed=2)
    low, high = _updated(MulticlassF1Score(5, average=average), y, y).confidence_interval(seed=0)
    if average is None:
        assert torch.equal(low, torch.ones(5, dtype=torch.float64)) and torch.equal(low, high)
    else:
        assert (low, high) == (1.0, 1.0)


def test_a_perfect_binary_classifier_gives_one() -> None:
    y = torch.tensor([0, 1, 1, 0, 1, 1, 1, 0])
    metric = BinaryF1Score(from_logits=False)
    metric.update((y, y))
    assert metric.confidence_interval(num_resamples=200, seed=0) == (1.0, 1.0)


@pytest.mark.parametrize("average", AVERAGES, ids=lambda a: f"avg_{a}")
def test_the_interval_holds_the_point_estimate(average: Any) -> None:
    y_pred, y = _classifier(2000, 4, 0.7, seed=3)
    metric = _updated(MulticlassFBetaScore(0.5, 4, average=average), y_pred, y)
    low, high = metric.confidence_interval(seed=1)
    value = metric.compute()
    assert np.all(np.asarray(low) < np.asarray(value)) and np.all(np.asarray(value) < np.asarray(high))
    assert np.all((np.asarray(low) >= 0) & (np.asarray(high) <= 1))

    binary = _updated(BinaryFBetaScore(2.0, from_logits=False), (y_pred > 0).astype(np.int64), (y > 0))
    low, high = binary.confidence_interval(seed=1)
    assert low < binary.compute() < high


def test_per_class_bounds_have_the_shape_of_compute() -> None:
    y_pred, y = _classifier(600, 4, 0.8, seed=5)
    tensor = _updated(MulticlassF1Score(4, average=None, labels=[2, 0, 3]), y_pred, y)
    low, high = tensor.confidence_interval(num_resamples=100, seed=0)
    assert low.dtype == high.dtype == torch.float64 and low.shape == high.shape == (3,)
    names = ["ant", "bee", "cat", "dog"]
    named = _updated(MulticlassF1Score(4, average=None, labels=[2, 0, 3], class_names=names), y_pred, y)
    low_named, high_named = named.confidence_interval(num_resamples=100, seed=0)
    assert list(low_named) == list(named.compute()) == ["cat", "ant", "dog"]
    assert list(low_named.values()) == low.tolist() and list(high_named.values()) == high.tolist()
    assert all(isinstance(v, float) for v in [*low_named.values(), *high_named.values()])
    averaged = _updated(MulticlassF1Score(4), y_pred, y).confidence_interval(num_resamples=100, seed=0)
    assert all(type(bound) is float for bound in averaged)


def test_a_class_never_seen_has_nan_bounds_with_zero_division_nan() -> None:
    y_pred, y = _classifier(600, 3, 0.8, seed=6)  # classes 0..2 of 4: class 3 never occurs
    metric = _updated(MulticlassF1Score(4, average=None, zero_division=math.nan), y_pred, y)
    low, high = metric.confidence_interval(num_resamples=200, seed=0)
    assert math.isnan(metric.compute()[3]) and math.isnan(low[3]) and math.isnan(high[3])
    assert not torch.isnan(low[:3]).any() and not torch.isnan(high[:3]).any()
    zero = _updated(MulticlassF1Score(4, average=None, zero_division=0.0), y_pred, y)
    low, high = zero.confidence_interval(num_resamples=200, seed=0)
    assert (low[3].item(), high[3].item()) == (0.0, 0.0)


def test_the_metric_is_left_as_it_was() -> None:
    y_pred, y = _classifier(300, 3, 0.8, seed=7)
    metric = _updated(MulticlassF1Score(3, average="weighted"), y_pred, y)
    before, matrix = metric.compute(), metric.confusion_matrix()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "warn" gives 0.0 silently in resamples
        metric.confidence_interval(num_resamples=50, seed=0)
    assert metric.compute() == before and torch.equal(metric.confusion_matrix(), matrix)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param(
            {"level": 0}, ValueError, "Argument `level` must be a real number in (0, 1)", id="level0"
        ),
        pytest.param({"level": 1.0}, ValueError, "got 1.0", id="level1"),
        pytest.param({"level": math.nan}, ValueError, "got nan", id="level_nan"),
        pytest.param({"level": 95}, ValueError, "got 95", id="level_percent"),
        pytest.param({"level": "0.9"}, TypeError, "got '0.9'", id="level_str"),
        pytest.param({"level": True}, TypeError, "got True", id="level_bool"),
        pytest.param(
            {"num_resamples": 0}, ValueError, "`num_resamples` must be an integer >= 1, got 0", id="n0"
        ),
        pytest.param({"num_resamples": 10.0}, TypeError, "got 10.0", id="n_float"),
        pytest.param(
            {"seed": -1}, ValueError, "`seed` must be None or an integer >= 0, got -1", id="seed_neg"
        ),
        pytest.param({"seed": 1.5}, TypeError, "got 1.5", id="seed_float"),
    ],
)
def test_arguments_are_checked(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    metric = _updated(BinaryF1Score(from_logits=False), np.array([0, 1]), np.array([0, 1]))
    with pytest.raises(error, match=re.escape(message)):
        metric.confidence_interval(**kwargs)


@pytest.mark.parametrize("cls", [MultilabelF1Score, MultilabelFBetaScore])
def test_multilabel_metrics_have_no_interval_and_say_why(cls: Any) -> None:
    metric = (
        cls(num_labels=3, from_logits=False) if cls is MultilabelF1Score else cls(1.0, 3, from_logits=False)
    )
    metric.update((torch.tensor([[1, 0, 1]]), torch.tensor([[1, 1, 0]])))
    assert not hasattr(metric, "confidence_interval")
    with pytest.raises(AttributeError, match="do not hold the joint distribution") as raised:
        metric.confidence_interval()
    assert f"{cls.__name__} has no `confidence_interval`" in str(raised.value)


def test_a_metric_without_the_confusion_matrix_refuses() -> None:
    y_pred, y = _classifier(100, 3, 0.8, seed=8)
    metric = _updated(MulticlassF1Score(3, keep_confusion_matrix=False), y_pred, y)
    with pytest.raises(RuntimeError, match="keep_confusion_matrix=False") as raised:
        metric.confidence_interval()
    assert "joint distribution" in str(raised.value)


def test_no_sample_is_not_computable() -> None:
    with pytest.raises(NotComputableError):
        MulticlassF1Score(3).confidence_interval()
    with pytest.raises(NotComputableError):
        BinaryF1Score(from_logits=False).confidence_interval()


# --------------------------------------------------------------------------- two gloo processes

DISTRIBUTED_SEED = 17


def _distributed_metrics() -> dict[str, Any]:
    return {
        "binary": BinaryF1Score(from_logits=False),
        "macro": MulticlassF1Score(5),
        "per_class": MulticlassF1Score(5, average=None, class_names=["a", "b", "c", "d", "e"]),
    }


def _distributed_data() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    multiclass = _classifier(900, 5, 0.75, seed=9)
    binary = tuple((values > 1).astype(np.int64) for values in multiclass)
    return {"binary": binary, "macro": multiclass, "per_class": multiclass}  # type: ignore[dict-item]


def _slice(values: np.ndarray, rank: int) -> np.ndarray:
    return values[:300] if rank == 0 else values[300:]  # uneven: 300 and 600 samples


def _worker(local_rank: int, out_dir: str) -> None:
    import ignite.distributed as idist

    rank = idist.get_rank()
    results = {}
    data = _distributed_data()
    for name, metric in _distributed_metrics().items():
        y_pred, y = data[name]
        _updated(metric, _slice(y_pred, rank), _slice(y, rank))
        metric.compute()  # the collective call: every process keeps the summed matrix
        results[name] = metric.confidence_interval(num_resamples=500, seed=DISTRIBUTED_SEED)
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")


@pytest.mark.slow
def test_two_processes_give_the_bounds_of_the_summed_matrix(tmp_path: Path) -> None:
    _, stderr = _gloo.run_launcher(__file__, tmp_path)
    files = [tmp_path / f"rank{rank}.pt" for rank in range(2)]
    assert all(f.exists() for f in files), f"the two-process run failed:\n{stderr[-6000:]}"
    ranks = [torch.load(f, weights_only=False) for f in files]
    data = _distributed_data()
    for name, metric in _distributed_metrics().items():
        y_pred, y = data[name]
        expected = _updated(metric, y_pred, y).confidence_interval(num_resamples=500, seed=DISTRIBUTED_SEED)
        for rank in ranks:  # the same summed matrix and seed: the same bounds, to the bit
            assert_same(rank[name], expected)


IMAGE_BATCHES = [
    pytest.param(
        lambda: BinaryF1Score(from_logits=False),
        (torch.tensor([[[0.9, 0.2], [0.7, 0.1]]]), torch.tensor([[[1, 0], [0, 0]]])),
        id="binary-masks",
    ),
    pytest.param(
        lambda: MulticlassF1Score(3),
        (
            torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0)),
            torch.zeros(2, 4, 4, dtype=torch.int64),
        ),
        id="multiclass-score-maps",
    ),
    pytest.param(
        lambda: MulticlassF1Score(3),
        ([torch.tensor([[0, 1], [2, 2]])], [torch.tensor([[0, 1], [1, 2]])]),
        id="per-sample-label-maps",
    ),
]


@pytest.mark.parametrize(("make", "batch"), IMAGE_BATCHES)
def test_the_pixels_of_images_are_not_resampled_as_samples(make: Any, batch: Any) -> None:
    """The multinomial of the pooled matrix treats every counted element as an independent sample:
    with images that is every pixel, and the band came out many times too narrow (0.015 wide against
    0.27 for a bootstrap of 20 images). A metric that counted image targets since its reset refuses;
    reset() forgets it, and samples of one element each (a binary (N, 1) column too) are resampled."""
    metric = make()
    metric.update(batch)
    with pytest.raises(
        RuntimeError, match=r"targets of several elements per sample \(the pixels of images\)"
    ):
        metric.confidence_interval(seed=0)
    assert metric.compute() == metric.compute()  # the metric still scores
    metric.reset()
    flat = (torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]))
    metric.update(flat)
    low, high = metric.confidence_interval(seed=0)
    assert low <= metric.compute() <= high


def test_a_binary_column_of_one_element_per_sample_is_resampled() -> None:
    metric = BinaryF1Score(from_logits=False)
    metric.update((torch.tensor([[0.9], [0.2], [0.7]]), torch.tensor([[1], [0], [0]])))
    low, high = metric.confidence_interval(seed=0)
    assert 0.0 <= low <= metric.compute() <= high <= 1.0


def test_a_block_of_resamples_is_bounded_by_its_per_class_counts_too() -> None:
    """Blocks were sized by the non-zero cells only, and each block also holds (R, 3, K) per-class
    counts and their float copies: with K = 1024 and 20 cells, 20,000 resamples took 1.6 GB in one
    block (100,000: MemoryError). Blocks are sized by both; numpy's allocations are traced."""
    import tracemalloc

    metric = MulticlassF1Score(1024)
    y = torch.arange(20).repeat(50)
    metric.update((y, y))
    tracemalloc.start()
    try:
        low, high = metric.confidence_interval(num_resamples=20_000, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (low, high) == (1.0, 1.0)  # a perfect classifier: every resample scores 1
    assert peak < 400 * 2**20, f"peak {peak / 2**20:.0f} MiB"
