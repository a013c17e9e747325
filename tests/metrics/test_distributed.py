"""Two real processes on the gloo backend, each with its own uneven slice of the data.

Every rank's ``compute()``, ``confusion_matrix()`` and ``report()`` must equal scikit-learn on the
union of both slices. One launch runs every scenario (starting processes is the slow part); the
launch happens in a subprocess with a timeout, so a deadlock fails the tests instead of hanging them.
The workers save what they saw to ``rank{r}.pt`` and the tests below compare it with scikit-learn.

Layout of the data (37 samples on rank 0, 81 on rank 1; an empty batch on rank 0 and, after the
first compute, an empty extra batch on rank 1)::

    rank 0: batches of 16, 0, 21   then extra 7
    rank 1: batches of 30, 30, 21  then extra 0, 4

Multi-class uses 6 classes: rank 0 sees classes 0..3 only, rank 1 classes 0..4, nobody class 5, so
the label set of the union differs from each rank's own.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _gloo
import ignite.distributed as idist
import numpy as np
import pytest
import torch
import torch.distributed as dist
from _cases import split_sizes
from _reference import assert_close, assert_same, sklearn_curve, sklearn_samplewise_fbeta
from sklearn.metrics import (
    classification_report,
    confusion_matrix,
    fbeta_score,
    multilabel_confusion_matrix,
)

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
)

pytestmark = pytest.mark.slow  # real processes (gloo); CI runs them with -m slow

WORLD_SIZE = 2
BATCH_SIZES = {0: [16, 0, 21], 1: [30, 30, 21]}
EXTRA_SIZES = {0: [7], 1: [0, 4]}
NAMES = ["ant", "bee", "cat", "dog", "eel", "fox"]

# --------------------------------------------------------------------------- data and metrics


def _data(kind: str, rank: int, extra: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole slice of one rank for one kind of metric (deterministic, rebuilt by the tests)."""
    n = sum((EXTRA_SIZES if extra else BATCH_SIZES)[rank])
    seed = 1000 * int(extra) + 10 * rank + ["binary", "multiclass", "segmentation", "multilabel"].index(kind)
    gen = torch.Generator().manual_seed(seed)
    if kind == "binary":
        return torch.randn(n, generator=gen), torch.randint(0, 2, (n,), generator=gen)
    if kind == "multiclass":
        seen = 4 if rank == 0 else 5  # classes this rank can see, in targets and predictions
        scores = torch.randn(n, 6, generator=gen)
        scores[:, seen:] = -100.0
        return scores, torch.randint(0, seen, (n,), generator=gen)
    if kind == "segmentation":
        scores = torch.randn(n, 3, 2, 3, generator=gen)
        y = torch.randint(0, 3, (n, 2, 3), generator=gen)
        y[torch.rand(n, 2, 3, generator=gen) < 0.25] = 255
        if n:
            y[0] = 255  # a sample with every pixel ignored
        return scores, y
    y = (torch.rand(n, 4, generator=gen) < 0.3).long()
    return torch.randn(n, 4, generator=gen) - 0.7, y


def _batches(kind: str, rank: int, extra: bool) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return split_sizes(*_data(kind, rank, extra), (EXTRA_SIZES if extra else BATCH_SIZES)[rank])


# name -> (kind of data, metric factory)
METRICS: dict[str, tuple[str, Callable[[], Any]]] = {
    "binary": (
        "binary",
        lambda: BinaryFBetaScore(beta=2.0, zero_division=0.0, num_thresholds=11, from_logits=True),
    ),
    "multiclass_none": ("multiclass", lambda: MulticlassF1Score(6, average=None, zero_division=0.0)),
    "multiclass_macro": (
        "multiclass",
        lambda: MulticlassF1Score(6, average="macro", zero_division=0.0, class_names=NAMES),
    ),
    "segmentation_weighted": (
        "segmentation",
        lambda: MulticlassFBetaScore(0.5, 3, average="weighted", ignore_index=255, zero_division=0.0),
    ),
    # keep_confusion_matrix=False: per-class counts only, summed across processes
    "multiclass_macro_counts": (
        "multiclass",
        lambda: MulticlassF1Score(
            6, average="macro", zero_division=0.0, class_names=NAMES, keep_confusion_matrix=False
        ),
    ),
    "segmentation_weighted_counts": (
        "segmentation",
        lambda: MulticlassFBetaScore(
            0.5, 3, average="weighted", ignore_index=255, zero_division=0.0, keep_confusion_matrix=False
        ),
    ),
    "multilabel_samples": (
        "multilabel",
        lambda: MultilabelF1Score(4, average="samples", zero_division=0.0, from_logits=True),
    ),
}


# --------------------------------------------------------------------------- the worker (runs in 2 processes)


def _results(metric: Any) -> dict[str, Any]:
    return {"compute": metric.compute(), **_kept(metric)}


def _kept(metric: Any) -> dict[str, Any]:
    """What a handler on one process reads: the sums kept by the last compute()."""
    # per_class_counts: the protocol's read, as TensorBoard makes it
    kept = {"cm": metric.confusion_matrix()} if _keeps_matrix(metric) else {}
    kept |= {"report": metric.report(), "counts": metric.per_class_counts()}
    # (not getattr: Ignite's Metric.__getattr__ answers any name with a MetricsLambda factory)
    if isinstance(metric, BinaryFBetaScore) and metric.num_thresholds:
        kept["curve"] = metric.curve()
    return kept


def _keeps_matrix(metric: Any) -> bool:
    """Whether the metric keeps a confusion matrix (every kind but keep_confusion_matrix=False)."""
    return getattr(metric, "keep_confusion_matrix", True) is not False


def _local_state(metric: Any) -> dict[str, torch.Tensor]:
    """The metric's own (per-process) counts, read without a collective call."""
    return {key: getattr(metric, key).clone() for key in metric._states}


class _CollectiveCounter:
    """Counts the collective calls this process makes (every torch.distributed entry point Ignite uses)."""

    NAMES = ("all_reduce", "all_gather", "all_gather_object", "broadcast", "barrier", "reduce")

    def __init__(self) -> None:
        self.calls = 0
        for name in self.NAMES:
            original = getattr(dist, name)
            setattr(dist, name, self._wrap(original))

    def _wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        return counted


def _update(name: str, metric: Any, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, str]:
    """``metric.update(batch)``; an error on an empty batch is recorded (and the batch skipped) so
    that one known library bug does not hide the results of every other check."""
    if batch[1].numel() > 0:
        metric.update(batch)
        return {}
    try:
        metric.update(batch)
    except Exception as error:
        return {name: f"{type(error).__name__}: {error}"}
    return {}


def _worker(local_rank: int, out_dir: str) -> None:
    rank = idist.get_rank()
    assert idist.get_world_size() == WORLD_SIZE and idist.backend() == "gloo"
    counter = _CollectiveCounter()
    metrics = {name: make() for name, (_, make) in METRICS.items()}
    empty_batch_errors: dict[str, str] = {}
    for name, metric in metrics.items():
        for batch in _batches(METRICS[name][0], rank, extra=False):
            empty_batch_errors |= _update(name, metric, batch)
    local_before = {name: _local_state(m) for name, m in metrics.items()}

    # every rank computes (the collective step), then again: the same global value, not double
    first = {name: _results(m) for name, m in metrics.items()}
    second = {name: _results(m) for name, m in metrics.items()}
    local_after = {name: _local_state(m) for name, m in metrics.items()}

    # a handler on rank 0 only: no collective call, so no deadlock
    calls = counter.calls
    # (compute() is the collective step, as in Ignite; the readers of the kept sums are not)
    rank0 = {name: _kept(m) for name, m in metrics.items()} if rank == 0 else None
    rank0_collectives = counter.calls - calls
    # both ranks now make one collective call: had rank 0 made an extra one above, the calls would
    # be paired wrongly (a wrong sum, or gloo aborts on the size mismatch) or rank 0 would wait
    # for a peer that never comes (_gloo.GLOO_TIMEOUT, or the subprocess timeout, fires)
    alignment = float(idist.all_reduce(torch.tensor([rank + 1.0]))[0])

    # more data after a compute: the reduced counts are not kept in the local state
    for name, metric in metrics.items():
        for batch in _batches(METRICS[name][0], rank, extra=True):
            empty_batch_errors |= _update(name, metric, batch)
    after = {name: _results(m) for name, m in metrics.items()}

    # a checkpoint taken under distributed (state_dict gathers every rank's state) and restored
    restored = {}
    for name, metric in metrics.items():
        state = metric.state_dict()
        fresh = METRICS[name][1]()
        fresh.load_state_dict(state)
        restored[name] = _results(fresh)

    torch.save(
        {
            "rank": rank,
            "local_before": local_before,
            "local_after": local_after,
            "first": first,
            "second": second,
            "rank0": rank0,
            "rank0_collectives": rank0_collectives,
            "alignment": alignment,
            "after": after,
            "restored": restored,
            "empty_batch_errors": empty_batch_errors,
            "probability_warnings": _probability_scenarios(rank),
            "samplewise": _samplewise_scenarios(rank),
        },
        Path(out_dir) / f"rank{rank}.pt",
    )
    _divergent_updates(rank, out_dir)


PROBABILITY_SCENARIOS = ("both_probabilities", "rank1_logits", "rank1_labels")


def _probability_scenarios(rank: int) -> dict[str, list[str]]:
    """Rank 0 feeds sigmoid outputs to a from_logits=True metric; rank 1 the same, a real logit, or
    labels. The warnings each rank's compute() gives, per scenario."""
    seen = {}
    for scenario in PROBABILITY_SCENARIOS:
        metric = BinaryFBetaScore(1.0, from_logits=True, zero_division=0.0)
        y_pred, y = torch.tensor([0.2, 0.9, 0.6]), torch.tensor([0, 1, 1])
        if rank == 1 and scenario == "rank1_logits":
            y_pred = y_pred * 4 - 2  # one score below 0
        elif rank == 1 and scenario == "rank1_labels":
            y_pred = (y_pred >= 0.5).long()
        metric.update((y_pred, y))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            metric.compute()
        seen[scenario] = [str(w.message) for w in caught if "look like probabilities" in str(w.message)]
    return seen


# samplewise (per-image F-beta, issue 13 part 2): each rank its own images, uneven counts, and an
# empty batch on rank 0; rank 1 alone holds an image whose every pixel is ignored
SAMPLEWISE_SIZES = {0: [3, 0, 2], 1: [4, 6, 1]}
# name -> (kind of images, metric factory, oracle arguments)
SAMPLEWISE: dict[str, tuple[str, Callable[[], Any], dict[str, Any]]] = {
    "samplewise_macro_ignore": (
        "multiclass",
        lambda: MulticlassF1Score(
            4, average="macro", ignore_index=255, zero_division=0.0, multidim_average="samplewise"
        ),
        {"beta": 1.0, "average": "macro", "ignore_index": 255, "zero_division": 0.0},
    ),
    "samplewise_none_beta2": (
        "multiclass",
        lambda: MulticlassFBetaScore(
            2.0, 4, average=None, ignore_index=255, zero_division=0.0, multidim_average="samplewise"
        ),
        {"beta": 2.0, "average": None, "ignore_index": 255, "zero_division": 0.0, "num_scores": 4},
    ),
    "samplewise_binary_dice": (
        "binary",
        lambda: BinaryF1Score(from_logits=True, zero_division=1.0, multidim_average="samplewise"),
        {"beta": 1.0, "average": "binary", "zero_division": 1.0},
    ),
}


def _samplewise_data(kind: str, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One rank's images: (N, 4, 5, 6) logits and (N, 5, 6) labels with ignored pixels, or binary
    (N, 5, 6) logits and masks (the first image of rank 1 with an empty mask)."""
    n = sum(SAMPLEWISE_SIZES[rank])
    gen = torch.Generator().manual_seed(500 + 10 * rank + int(kind == "binary"))
    if kind == "binary":
        y = (torch.rand(n, 5, 6, generator=gen) < 0.3).long()
        if rank == 1:
            y[0] = 0
        return torch.randn(n, 5, 6, generator=gen) - 0.5, y
    scores = torch.randn(n, 4, 5, 6, generator=gen)
    y = torch.randint(0, 4, (n, 5, 6), generator=gen)
    y[torch.rand(n, 5, 6, generator=gen) < 0.2] = 255
    if rank == 1:
        y[1] = 255  # an image with every pixel ignored: it has no score and is left out
    return scores, y


def _samplewise_scenarios(rank: int) -> dict[str, dict[str, Any]]:
    """Each samplewise metric's compute() on the union, twice, and after a distributed checkpoint."""
    seen: dict[str, dict[str, Any]] = {}
    for name, (kind, make, _) in SAMPLEWISE.items():
        metric = make()
        errors: dict[str, str] = {}
        for batch in split_sizes(*_samplewise_data(kind, rank), SAMPLEWISE_SIZES[rank]):
            errors |= _update(name, metric, batch)
        first = metric.compute()
        second = metric.compute()
        fresh = make()
        fresh.load_state_dict(metric.state_dict())
        seen[name] = {"first": first, "second": second, "restored": fresh.compute(), "errors": errors}
    return seen


def _divergent_updates(rank: int, out_dir: str) -> None:
    """After a compute, rank 0 gets a batch and rank 1 only an empty one; both compute again.

    Runs last, after the other results are saved: it makes the ranks' collective calls diverge
    when a metric decides per process whether it must reduce again.
    """
    metric = MultilabelF1Score(4, average="micro", zero_division=0.0, from_logits=True)
    metric.update(_data("multilabel", rank, False))
    metric.compute()
    y_pred, y = _data("multilabel", 0, True)
    metric.update((y_pred, y) if rank == 0 else (y_pred[:0], y[:0]))
    torch.save(metric.compute(), Path(out_dir) / f"divergent{rank}.pt")


# --------------------------------------------------------------------------- the launch (once per module)


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """Run :func:`_worker` in two gloo processes through :func:`_gloo.run_launcher` (a subprocess in
    its own process group, killed on timeout); the exit status is checked by the tests below."""
    out_dir = tmp_path_factory.mktemp("gloo")
    returncode, stderr = _gloo.run_launcher(__file__, out_dir, check=False)
    return out_dir, returncode, stderr


@pytest.fixture(scope="module")
def ranks(launched: tuple[Path, int, str]) -> list[dict[str, Any]]:
    """What each rank saved; the run may only fail after that (in :func:`_divergent_updates`)."""
    out_dir, returncode, stderr = launched
    files = [out_dir / f"rank{rank}.pt" for rank in range(WORLD_SIZE)]
    assert all(f.exists() for f in files), f"the two-process run failed ({returncode}):\n{stderr[-6000:]}"
    return [torch.load(f, weights_only=False) for f in files]


# --------------------------------------------------------------------------- scikit-learn on the union


def _union(kind: str, extra: bool) -> tuple[torch.Tensor, torch.Tensor]:
    parts = [_data(kind, rank, False) for rank in range(WORLD_SIZE)]
    if extra:
        parts += [_data(kind, rank, True) for rank in range(WORLD_SIZE)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def _flat_multiclass(y_pred: torch.Tensor, y: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    pred = y_pred.argmax(1).reshape(-1)
    target = y.reshape(-1)
    keep = target != 255
    return target[keep].numpy(), pred[keep].numpy()


def _expected(name: str, extra: bool) -> dict[str, Any]:
    """scikit-learn's results on the union of the ranks' data, with the per-class counts after the report."""
    expected = _expected_results(name, extra)
    cm = expected["cm"]
    if cm.ndim == 3:  # (L, 2, 2) [[tn, fp], [fn, tp]]
        tp = cm[:, 1, 1]
        counts = np.stack([tp, tp + cm[:, 0, 1], tp + cm[:, 1, 0]])
    else:
        counts = np.stack([np.diag(cm), cm.sum(0), cm.sum(1)])
    keeps = not name.endswith("_counts")  # the keep_confusion_matrix=False metrics give no "cm"
    order = [
        "compute",
        *(["cm"] if keeps else []),
        "report",
        "counts",
        *[key for key in expected if key == "curve"],
    ]
    return {key: counts if key == "counts" else expected[key] for key in order}


def _expected_results(name: str, extra: bool) -> dict[str, Any]:
    kind = METRICS[name][0]
    y_pred, y = _union(kind, extra)
    if kind == "binary":
        true, pred = y.numpy(), (y_pred >= 0).long().numpy()
        thresholds = np.linspace(0.0, 1.0, 11)  # evenly spaced probabilities, compared as logits
        logit = [-math.inf if t == 0 else math.inf if t == 1 else math.log(t / (1 - t)) for t in thresholds]
        return {
            "compute": fbeta_score(y_true=true, y_pred=pred, beta=2.0, zero_division=0.0),
            "cm": confusion_matrix(y_true=true, y_pred=pred, labels=[0, 1]),
            "report": classification_report(
                y_true=true, y_pred=pred, labels=[0, 1], output_dict=True, zero_division=0.0
            ),
            "curve": sklearn_curve(
                scores=y_pred.numpy(),
                y_true=true,
                cuts=np.array(logit, dtype=np.float32),  # float32, as torch compares float32 logits
                beta=2.0,
                thresholds=thresholds,
            ),
        }
    if kind == "multilabel":
        true, pred = y.numpy(), (y_pred >= 0).long().numpy()
        return {
            "compute": fbeta_score(y_true=true, y_pred=pred, beta=1.0, average="samples", zero_division=0.0),
            "cm": multilabel_confusion_matrix(y_true=true, y_pred=pred),
            "report": classification_report(y_true=true, y_pred=pred, output_dict=True, zero_division=0.0),
        }
    true, pred = _flat_multiclass(y_pred, y)
    num_classes = y_pred.shape[1]
    labels = list(range(num_classes))
    name = name.removesuffix("_counts")  # the same scores with or without the kept matrix
    if name == "multiclass_none":
        value: Any = fbeta_score(
            y_true=true, y_pred=pred, beta=1.0, average=None, labels=labels, zero_division=0.0
        )
        names = None
    elif name == "multiclass_macro":
        value = fbeta_score(y_true=true, y_pred=pred, beta=1.0, average="macro", zero_division=0.0)
        names = NAMES
    else:
        value = fbeta_score(y_true=true, y_pred=pred, beta=0.5, average="weighted", zero_division=0.0)
        names = None
    return {
        "compute": value,
        "cm": confusion_matrix(y_true=true, y_pred=pred, labels=labels),
        "report": classification_report(
            y_true=true, y_pred=pred, labels=labels, target_names=names, output_dict=True, zero_division=0.0
        ),
    }


def _close(actual: Any, expected: Any, where: str) -> None:
    """``assert_close`` (1e-12, NaN equal to NaN, dicts with the same keys in the same order) plus the
    types the metric promises, which ``assert_close`` does not look at: int64 tensors where
    scikit-learn gives integer arrays, float64 tensors for float arrays, Python floats for scalars."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), where
        for key in expected:
            _close(actual[key], expected[key], f"{where}.{key}")
        return
    if isinstance(expected, np.ndarray):
        dtype = torch.int64 if expected.dtype.kind in "iu" else torch.float64
        assert isinstance(actual, torch.Tensor) and actual.dtype == dtype, where
    else:
        assert isinstance(actual, float), where
    assert_close(actual, expected, path=where)


# --------------------------------------------------------------------------- the tests


def test_the_slices_are_uneven_and_one_batch_is_empty() -> None:
    assert [sum(BATCH_SIZES[r]) for r in range(WORLD_SIZE)] == [37, 81]
    assert 0 in BATCH_SIZES[0] and 0 in EXTRA_SIZES[1]
    # rank 0 alone never sees class 4: its own label set differs from the union's
    assert int(_data("multiclass", 0, False)[1].max()) < 4 <= int(_data("multiclass", 1, False)[1].max())


@pytest.mark.parametrize("name", list(METRICS))
def test_every_rank_equals_sklearn_on_the_union(ranks: list[dict[str, Any]], name: str) -> None:
    expected = _expected(name, extra=False)
    for state in ranks:
        _close(state["first"][name], expected, f"rank{state['rank']}.{name}")


@pytest.mark.parametrize("name", list(METRICS))
def test_a_second_compute_gives_the_same_global_value(ranks: list[dict[str, Any]], name: str) -> None:
    for state in ranks:
        assert_same(state["second"][name], state["first"][name], f"rank{state['rank']}.{name}")


@pytest.mark.parametrize("name", list(METRICS))
def test_compute_does_not_overwrite_the_local_state(ranks: list[dict[str, Any]], name: str) -> None:
    for state in ranks:
        assert_same(state["local_after"][name], state["local_before"][name], f"rank{state['rank']}.{name}")
    if METRICS[name][0] in ("binary", "multiclass", "segmentation"):
        # the local counts are this rank's own: they add up to the global confusion matrix
        if name.endswith("_counts"):  # keep_confusion_matrix=False: (3, C) per-class counts
            total = sum(state["local_before"][name]["_counts"] for state in ranks)
            assert torch.equal(total, ranks[0]["first"][name]["counts"])
        else:
            total = sum(state["local_before"][name]["_cm"] for state in ranks)
            assert torch.equal(total, ranks[0]["first"][name]["cm"])


def test_rank0_only_calls_make_no_collective_call(ranks: list[dict[str, Any]]) -> None:
    assert ranks[0]["rank0_collectives"] == 0
    assert ranks[1]["rank0"] is None
    for state in ranks:
        assert state["alignment"] == 3.0  # 1 + 2: the ranks' collective calls stayed paired
    for name in METRICS:
        kept = {key: value for key, value in ranks[0]["first"][name].items() if key != "compute"}
        assert_same(ranks[0]["rank0"][name], kept, f"rank0.{name}")


@pytest.mark.parametrize("name", list(METRICS))
def test_updates_after_compute_count_each_sample_once(ranks: list[dict[str, Any]], name: str) -> None:
    expected = _expected(name, extra=True)
    for state in ranks:
        _close(state["after"][name], expected, f"rank{state['rank']}.{name}")


@pytest.mark.parametrize("name", list(METRICS))
def test_a_distributed_checkpoint_restores_the_same_result(ranks: list[dict[str, Any]], name: str) -> None:
    for state in ranks:
        assert_same(state["restored"][name], state["after"][name], f"rank{state['rank']}.{name}")


def test_an_empty_batch_on_one_rank_is_accepted(ranks: list[dict[str, Any]]) -> None:
    assert {name for state in ranks for name in state["empty_batch_errors"]} == set()


def test_compute_after_uneven_updates_stays_collective(launched: tuple[Path, int, str]) -> None:
    out_dir, returncode, stderr = launched
    files = [out_dir / f"divergent{rank}.pt" for rank in range(WORLD_SIZE)]
    assert returncode == 0 and all(f.exists() for f in files), stderr[-3000:]
    y_pred, y = _union("multilabel", extra=False)
    extra_pred, extra_y = _data("multilabel", 0, True)
    true = torch.cat([y, extra_y]).numpy()
    pred = (torch.cat([y_pred, extra_pred]) >= 0).long().numpy()
    expected = fbeta_score(y_true=true, y_pred=pred, beta=1.0, average="micro", zero_division=0.0)
    for f in files:
        assert torch.load(f, weights_only=False) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("scenario", "warns"),
    [("both_probabilities", True), ("rank1_logits", False), ("rank1_labels", True)],
)
def test_the_probability_warning_is_decided_over_all_ranks(
    ranks: list[dict[str, Any]], scenario: str, warns: bool
) -> None:
    """compute() sums the ranks' findings in its collective call: every rank gives the same answer,
    and one rank's logits show that rank 0's scores in [0, 1] were logits too."""
    for rank in ranks:
        assert len(rank["probability_warnings"][scenario]) == (1 if warns else 0), rank["rank"]


def _samplewise_expected(name: str) -> Any:
    """The per-image oracle on the union of the ranks' images: the mean of each image's fbeta_score."""
    kind, _, arguments = SAMPLEWISE[name]
    parts = [_samplewise_data(kind, rank) for rank in range(WORLD_SIZE)]
    y_pred, y = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    pred = (y_pred >= 0).long() if kind == "binary" else y_pred.argmax(1)
    return sklearn_samplewise_fbeta(y_true=y.numpy(), y_pred=pred.numpy(), **arguments)


def test_samplewise_slices_are_uneven_with_an_empty_batch() -> None:
    assert [sum(SAMPLEWISE_SIZES[r]) for r in range(WORLD_SIZE)] == [5, 11]
    assert 0 in SAMPLEWISE_SIZES[0]


@pytest.mark.parametrize("name", list(SAMPLEWISE))
def test_samplewise_every_rank_equals_the_per_image_oracle_on_the_union(
    ranks: list[dict[str, Any]], name: str
) -> None:
    expected = _samplewise_expected(name)
    for state in ranks:
        seen = state["samplewise"][name]
        assert seen["errors"] == {}, seen["errors"]
        if SAMPLEWISE[name][2]["average"] is None:
            assert isinstance(seen["first"], torch.Tensor) and seen["first"].dtype == torch.float64
        else:
            assert isinstance(seen["first"], float)
        assert_close(seen["first"], expected, path=f"rank{state['rank']}.{name}")


@pytest.mark.parametrize("name", list(SAMPLEWISE))
def test_samplewise_second_compute_and_checkpoint_give_the_same_value(
    ranks: list[dict[str, Any]], name: str
) -> None:
    for state in ranks:
        seen = state["samplewise"][name]
        assert_same(seen["second"], seen["first"], f"rank{state['rank']}.{name}.second")
        assert_same(seen["restored"], seen["first"], f"rank{state['rank']}.{name}.restored")
