"""``sample_weight=True`` in two real processes on the gloo backend, each with its own slice.

The pattern of ``test_distributed.py``: one launch in a subprocess with a timeout runs every metric;
the workers save what they saw and the tests compare it with scikit-learn on the union of both
slices with the union's weights (to 1e-12 relative: the float sums of weights are added in another
order, per batch and per process). Binary (with its weighted threshold curve), multi-class with and
without the kept confusion matrix, and multilabel with the "samples" average (and its weighted
curves), for ``compute()`` on every rank and for what a handler on rank 0 reads from the kept sums.

Layout: rank 0 holds 37 samples in batches of 16, 0 and 21; rank 1 holds 81 in 30, 30 and 21. About
a fifth of the weights are 0; multi-class class 4 occurs on rank 1 only, class 5 nowhere.
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
from _reference import assert_close_relative, sklearn_curve
from sklearn.metrics import (
    classification_report,
    confusion_matrix,
    fbeta_score,
    multilabel_confusion_matrix,
)

from ignite_f1 import (
    BinaryFBetaScore,
    MulticlassF1Score,
    MultilabelF1Score,
    MultilabelFBetaScore,
    _curves,
)

pytestmark = pytest.mark.slow  # real processes (gloo); CI runs them with -m slow

WORLD_SIZE = 2
BATCH_SIZES = {0: [16, 0, 21], 1: [30, 30, 21]}
KINDS = ("binary", "multiclass", "multilabel")

# name -> (kind of data, metric factory)
METRICS: dict[str, tuple[str, Callable[[], Any]]] = {
    "binary": (
        "binary",
        lambda: BinaryFBetaScore(
            2.0, from_logits=True, zero_division=0.0, num_thresholds=11, sample_weight=True
        ),
    ),
    "multiclass_macro": (
        "multiclass",
        lambda: MulticlassF1Score(6, average="macro", zero_division=0.0, sample_weight=True),
    ),
    "multiclass_macro_counts": (
        "multiclass",
        lambda: MulticlassF1Score(
            6, average="macro", zero_division=0.0, keep_confusion_matrix=False, sample_weight=True
        ),
    ),
    "multilabel_samples": (
        "multilabel",
        lambda: MultilabelF1Score(
            4, average="samples", zero_division=0.0, from_logits=True, num_thresholds=6, sample_weight=True
        ),
    ),
    "multilabel_samples_nan": (
        "multilabel",
        lambda: MultilabelFBetaScore(
            2.0, 4, average="samples", zero_division=math.nan, from_logits=True, sample_weight=True
        ),
    ),
}

# --------------------------------------------------------------------------- data


def _data(kind: str, rank: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The whole slice of one rank: (y_pred, y, one weight per sample), deterministic."""
    n = sum(BATCH_SIZES[rank])
    gen = torch.Generator().manual_seed(10 * rank + KINDS.index(kind))
    weight = torch.rand(n, generator=gen, dtype=torch.float64) * 4.0
    weight[torch.rand(n, generator=gen) < 0.2] = 0.0
    if kind == "binary":
        return torch.randn(n, generator=gen), torch.randint(0, 2, (n,), generator=gen), weight
    if kind == "multiclass":
        seen = 4 if rank == 0 else 5
        scores = torch.randn(n, 6, generator=gen)
        scores[:, seen:] = -100.0
        return scores, torch.randint(0, seen, (n,), generator=gen), weight
    y = (torch.rand(n, 4, generator=gen) < 0.3).long()
    return torch.randn(n, 4, generator=gen) - 0.7, y, weight


def _batches(kind: str, rank: int) -> list[tuple[torch.Tensor, ...]]:
    sizes = BATCH_SIZES[rank]
    return list(zip(*(part.split(sizes) for part in _data(kind, rank)), strict=True))


def _union(kind: str) -> tuple[torch.Tensor, ...]:
    parts = [_data(kind, rank) for rank in range(WORLD_SIZE)]
    return tuple(torch.cat(column) for column in zip(*parts, strict=True))


# --------------------------------------------------------------------------- the worker


def _kept(metric: Any) -> dict[str, Any]:
    """What a handler on one process reads: the sums kept by the last compute()."""
    kept = {"report": metric.report(), "counts": metric.per_class_counts()}
    if getattr(metric, "keep_confusion_matrix", True):
        kept["cm"] = metric.confusion_matrix()
    if vars(metric).get("num_thresholds"):
        kept["curve"] = metric.curve()
        kept["best"] = metric.best_threshold()
    return kept


def _results(metric: Any) -> dict[str, Any]:
    return {"compute": metric.compute(), **_kept(metric)}


def _worker(local_rank: int, out_dir: str) -> None:
    rank = idist.get_rank()
    assert idist.get_world_size() == WORLD_SIZE and idist.backend() == "gloo"
    warnings.simplefilter("ignore")
    metrics = {name: make() for name, (_, make) in METRICS.items()}
    for name, metric in metrics.items():
        for batch in _batches(METRICS[name][0], rank):
            metric.update(batch)
    computed = {name: m.compute() for name, m in metrics.items()}  # the collective step, on every rank
    rank0 = {name: _kept(m) for name, m in metrics.items()} if rank == 0 else None  # no collective call
    alignment = float(idist.all_reduce(torch.tensor([rank + 1.0]))[0])  # both ranks still paired
    second = {name: _results(m) for name, m in metrics.items()}
    restored = {}
    for name, metric in metrics.items():
        fresh = METRICS[name][1]()
        fresh.load_state_dict(metric.state_dict())
        restored[name] = _results(fresh)
    torch.save(
        {
            "computed": computed,
            "rank0": rank0,
            "alignment": alignment,
            "second": second,
            "restored": restored,
        },
        Path(out_dir) / f"rank{rank}.pt",
    )


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Run :func:`_worker` in two gloo processes through :func:`_gloo.run_launcher` (a subprocess in
    its own process group, killed on timeout; a non-zero exit fails); what each rank saved."""
    out_dir = tmp_path_factory.mktemp("gloo_weighted")
    returncode, stderr = _gloo.run_launcher(__file__, out_dir)
    files = [out_dir / f"rank{rank}.pt" for rank in range(WORLD_SIZE)]
    assert returncode == 0 and all(f.exists() for f in files), stderr[-6000:]
    return [torch.load(f, weights_only=False) for f in files]


# --------------------------------------------------------------------------- scikit-learn on the union


def _logit_grid(num_thresholds: int) -> dict[str, np.ndarray]:
    """The curve's thresholds and the cuts the metric compares float32 logits with (logit(t))."""
    return {
        "thresholds": np.linspace(0.0, 1.0, num_thresholds),
        "cuts": _curves.score_boundaries(num_thresholds, from_logits=True).float().double().numpy(),
    }


def _expected(name: str) -> dict[str, Any]:
    kind = METRICS[name][0]
    y_pred, y, weight = _union(kind)
    w = weight.numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "binary":
            true, pred = y.numpy(), (y_pred >= 0).long().numpy()
            cm = confusion_matrix(y_true=true, y_pred=pred, labels=[0, 1], sample_weight=w)
            return {
                "compute": fbeta_score(true, pred, beta=2.0, zero_division=0.0, sample_weight=w),
                "report": classification_report(
                    true, pred, labels=[0, 1], output_dict=True, zero_division=0.0, sample_weight=w
                ),
                "counts": np.stack([np.diag(cm), cm.sum(0), cm.sum(1)]),
                "cm": cm,
                "curve": sklearn_curve(
                    scores=y_pred.double().numpy(), y_true=true, beta=2.0, sample_weight=w, **_logit_grid(11)
                ),
            }
        if kind == "multiclass":
            true, pred = y.numpy(), y_pred.argmax(1).numpy()
            cm = confusion_matrix(y_true=true, y_pred=pred, labels=list(range(6)), sample_weight=w)
            return {
                "compute": fbeta_score(
                    true, pred, beta=1.0, average="macro", zero_division=0.0, sample_weight=w
                ),
                "report": classification_report(
                    true, pred, labels=list(range(6)), output_dict=True, zero_division=0.0, sample_weight=w
                ),
                "counts": np.stack([np.diag(cm), cm.sum(0), cm.sum(1)]),
                **({} if name.endswith("_counts") else {"cm": cm}),
            }
        true, pred = y.numpy(), (y_pred >= 0).long().numpy()
        beta, zd = (1.0, 0.0) if name == "multilabel_samples" else (2.0, np.nan)
        cm = multilabel_confusion_matrix(true, pred, sample_weight=w)
        tp = cm[:, 1, 1]
        expected = {
            "compute": fbeta_score(
                true, pred, beta=beta, average="samples", zero_division=zd, sample_weight=w
            ),
            "report": classification_report(true, pred, output_dict=True, zero_division=zd, sample_weight=w),
            "counts": np.stack([tp, tp + cm[:, 0, 1], tp + cm[:, 1, 0]]),
            "cm": cm,
        }
        if name == "multilabel_samples":
            expected["curve"] = sklearn_curve(
                scores=y_pred.double().numpy(),
                y_true=true,
                beta=1.0,
                average=None,
                sample_weight=w,
                **_logit_grid(6),
            )
        return expected


def _check(results: dict[str, Any], name: str, where: str) -> None:
    expected = _expected(name)
    assert_close_relative(results["compute"], expected["compute"], path=f"{where}.compute")
    assert isinstance(results["compute"], float)
    _check_kept(results, name, where, expected)


def _check_kept(results: dict[str, Any], name: str, where: str, expected: dict[str, Any]) -> None:
    for key in ("report", "counts", "cm"):
        assert (key in results) == (key in expected), f"{where}: {key}"
        if key in expected:
            assert_close_relative(results[key], expected[key], path=f"{where}.{key}")
    for key in ("counts", "cm"):
        if key in results:
            assert results[key].dtype == torch.float64, f"{where}.{key}"
    if "curve" in expected:
        curve = results["curve"]
        for key in ("precision", "recall", "fbeta"):
            assert_close_relative(curve[key], expected["curve"][key], path=f"{where}.curve.{key}")
        best, score = results["best"]
        index = curve["fbeta"].argmax(-1)
        assert torch.equal(torch.as_tensor(best), curve["thresholds"][index])
        assert_close_relative(score, expected["curve"]["fbeta"].max(-1), path=f"{where}.best")


# --------------------------------------------------------------------------- the tests


def test_the_slices_are_uneven_with_an_empty_batch_and_zero_weights() -> None:
    assert [sum(BATCH_SIZES[r]) for r in range(WORLD_SIZE)] == [37, 81] and 0 in BATCH_SIZES[0]
    for kind in KINDS:
        assert bool((_union(kind)[2] == 0).any())


@pytest.mark.parametrize("name", list(METRICS))
def test_every_rank_equals_sklearn_on_the_union_with_its_weights(
    ranks: list[dict[str, Any]], name: str
) -> None:
    for rank, saved in enumerate(ranks):
        _check(saved["second"][name], name, f"rank{rank}")
        assert saved["computed"][name] == saved["second"][name]["compute"]  # a second compute: the same


@pytest.mark.parametrize("name", list(METRICS))
def test_rank0_alone_reads_the_kept_sums_without_a_collective_call(
    ranks: list[dict[str, Any]], name: str
) -> None:
    assert [saved["alignment"] for saved in ranks] == [3.0, 3.0]  # no rank made an extra call
    rank0 = ranks[0]["rank0"]
    assert rank0 is not None and ranks[1]["rank0"] is None
    _check_kept(rank0[name], name, "rank0", _expected(name))


@pytest.mark.parametrize("name", list(METRICS))
def test_a_distributed_checkpoint_restores_the_same_result(ranks: list[dict[str, Any]], name: str) -> None:
    for rank, saved in enumerate(ranks):
        _check(saved["restored"][name], name, f"rank{rank}.restored")
