"""Two real gloo processes that build a metric alike, or not: ``compute()`` sums or refuses on both.

Before the fingerprint check (``metrics/_collective.py``), a metric built with another ``threshold``
(or ``ignore_index``, multilabel ``beta``) on one process returned a number that mixed counts made
two ways; another ``num_classes``, ``keep_confusion_matrix`` or ``sample_weight`` aborted the
process inside gloo (SIGABRT, "Received data size doesn't match"); ``validate_args`` or
``from_logits`` on one process only added a collective call there, which waited for the backend's
timeout. Now every process raises the same ValueError, naming the argument, and the processes'
collective calls stay paired (one all-reduce after each scenario checks it).

Also here: readers after ``reset()`` / ``load_state_dict()`` refused with a message that says so,
and a state dict saved by one process refused in two, saying so.

One launch runs every scenario in order (each saves its outcome as soon as it has it); the launch
runs in a subprocess with a timeout, so a hang fails the tests instead of blocking them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import _gloo
import ignite.distributed as idist
import numpy as np
import pytest
import torch
import torch.distributed as dist
from _reference import assert_close_relative
from sklearn.metrics import fbeta_score

from ignite_f1 import BinaryF1Score, MulticlassF1Score, MultilabelFBetaScore
from ignite_f1.metrics import _state

pytestmark = pytest.mark.slow  # real processes (gloo); CI runs them with -m slow

WORLD_SIZE = 2
SIZES = {0: [9, 14], 1: [20, 11]}  # the batches of each process

# --------------------------------------------------------------------------- data and scenarios


def _data(kind: str, rank: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(y_pred, y, weights)`` of one process: probabilities (binary, multilabel) or labels."""
    n = sum(SIZES[rank])
    gen = torch.Generator().manual_seed(10 * rank + ["binary", "multiclass", "multilabel"].index(kind))
    weights = torch.rand(n, generator=gen) * 2
    if kind == "binary":
        return torch.rand(n, generator=gen), torch.randint(0, 2, (n,), generator=gen), weights
    if kind == "multiclass":
        return torch.randint(0, 5, (n,), generator=gen), torch.randint(0, 5, (n,), generator=gen), weights
    return torch.rand(n, 3, generator=gen), (torch.rand(n, 3, generator=gen) < 0.4).long(), weights


# name -> (kind of data, the metric of process `rank`), in the order the worker runs them: the
# scenarios that returned a number before the check come before those that hung or aborted there
SCENARIOS: dict[str, tuple[str, Callable[[int], Any]]] = {
    # built alike: the sums, as before (binary: the probability warning's collective call too)
    "same_binary": ("binary", lambda rank: BinaryF1Score(from_logits=True, num_thresholds=5)),
    "same_multiclass_weighted": (
        "multiclass",
        lambda rank: MulticlassF1Score(5, average="weighted", sample_weight=True),
    ),
    "same_multilabel": ("multilabel", lambda rank: MultilabelFBetaScore(2.0, 3, from_logits=False)),
    # built differently: before, a silent mixed number
    "threshold": ("binary", lambda rank: BinaryF1Score(from_logits=False, threshold=[0.5, 0.7][rank])),
    "ignore_index": ("multiclass", lambda rank: MulticlassF1Score(5, ignore_index=[None, -1][rank])),
    "multilabel_beta": (
        "multilabel",
        lambda rank: MultilabelFBetaScore([1.0, 2.0][rank], 3, from_logits=False, average="micro"),
    ),
    # before, a collective call on process 0 only: it waited for the backend's timeout
    "validate_args": ("binary", lambda rank: BinaryF1Score(from_logits=True, validate_args=rank == 0)),
    "from_logits": ("binary", lambda rank: BinaryF1Score(from_logits=rank == 0)),
    # before, SIGABRT inside gloo: states of other dtypes, names or shapes
    "sample_weight": (
        "multiclass",
        lambda rank: MulticlassF1Score(5, average="micro", sample_weight=rank == 0),
    ),
    "keep_confusion_matrix": (
        "multiclass",
        lambda rank: MulticlassF1Score(5, keep_confusion_matrix=rank == 0),
    ),
    "num_classes": ("multiclass", lambda rank: MulticlassF1Score(5 + rank, average="micro")),
}
SAME = ("same_binary", "same_multiclass_weighted", "same_multilabel")
# scenario -> the differences the message must name
DIFFERENCES = {
    "threshold": "threshold=0.5 on process 0, 0.7 on process 1",
    "ignore_index": "ignore_index=None on process 0, -1 on process 1",
    "multilabel_beta": "beta=1.0 on process 0, 2.0 on process 1",
    "validate_args": "validate_args=True on process 0, False on process 1",
    "from_logits": "from_logits=True on process 0, False on process 1",
    "sample_weight": "sample_weight=True on process 0, False on process 1",
    "keep_confusion_matrix": "keep_confusion_matrix=True on process 0, False on process 1",
    "num_classes": "num_classes=5 on process 0, 6 on process 1",
}


# --------------------------------------------------------------------------- the worker (runs in 2 processes)


class _CollectiveCounter:
    """Counts this process's all-reduce and all-gather calls (torch.distributed's, which Ignite makes)."""

    def __init__(self) -> None:
        self.calls = {"all_reduce": 0, "all_gather": 0}
        for name in self.calls:
            setattr(dist, name, self._wrap(name, getattr(dist, name)))

    def _wrap(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return original(*args, **kwargs)

        return counted


def _updated(metric: Any, kind: str, rank: int) -> Any:
    y_pred, y, weights = _data(kind, rank)
    start = 0
    for size in SIZES[rank]:
        batch = (y_pred[start : start + size], y[start : start + size])
        metric.update((*batch, weights[start : start + size]) if metric.sample_weight else batch)
        start += size
    return metric


def _outcome(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"value": call()}
    except (ValueError, RuntimeError) as error:
        return {"error": type(error).__name__, "message": str(error)}


def _scenario(name: str, rank: int, counter: _CollectiveCounter) -> dict[str, Any]:
    """One scenario's compute() on this process, with the collective calls it made."""
    kind, make = SCENARIOS[name]
    metric = _updated(make(rank), kind, rank)
    before = dict(counter.calls)
    outcome = _outcome(metric.compute)
    calls = {key: counter.calls[key] - before[key] for key in before}
    return {**outcome, "calls": calls, "states": len(metric._states)}


def _readers(rank: int) -> dict[str, Any]:
    """per_class_counts() after compute() and reset(); confusion_matrix() after load_state_dict();
    compute() after that; and a state dict that one process saved, loaded here in two."""
    metric = _updated(MulticlassF1Score(5), "multiclass", rank)
    metric.compute()
    saved = metric.state_dict()  # collective: every process
    metric.reset()
    after_reset = _outcome(metric.per_class_counts)
    metric.load_state_dict(saved)
    after_load = _outcome(metric.confusion_matrix)
    computed = _outcome(metric.compute)
    one_process = {**saved, _state.PER_RANK: saved[_state.PER_RANK][:1]}
    saved_by_one = _outcome(lambda: MulticlassF1Score(5).load_state_dict(one_process))
    return {"reset": after_reset, "load": after_load, "compute": computed, "saved_by_one": saved_by_one}


def _worker(local_rank: int, out_dir: str) -> None:
    rank = idist.get_rank()
    assert idist.get_world_size() == WORLD_SIZE and idist.backend() == "gloo"
    counter = _CollectiveCounter()
    for name in [*SAME, "readers", *[name for name in SCENARIOS if name not in SAME]]:
        record = _readers(rank) if name == "readers" else _scenario(name, rank, counter)
        # the same number of collective calls on both processes so far: this one pairs with its peer's
        record["aligned"] = float(idist.all_reduce(torch.tensor([rank + 1.0]))[0])
        torch.save(record, Path(out_dir) / f"{name}-rank{rank}.pt")


# --------------------------------------------------------------------------- the launch (once per module)


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """Run :func:`_worker` in two gloo processes (a subprocess killed on timeout); the exit status
    is checked by the tests, each scenario's outcome read from its own files."""
    out_dir = tmp_path_factory.mktemp("gloo_settings")
    returncode, stderr = _gloo.run_launcher(__file__, out_dir, check=False)
    return out_dir, returncode, stderr


def _ranks(launched: tuple[Path, int, str], name: str) -> list[dict[str, Any]]:
    """What both processes saved for scenario ``name``; the test fails if either saved nothing."""
    out_dir, returncode, stderr = launched
    files = [out_dir / f"{name}-rank{rank}.pt" for rank in range(WORLD_SIZE)]
    if not all(f.exists() for f in files):
        pytest.fail(f"scenario {name!r} did not end on every process (exit {returncode}):\n{stderr[-3000:]}")
    ranks = [torch.load(f, weights_only=False) for f in files]
    assert [r["aligned"] for r in ranks] == [3.0, 3.0], "the processes' collective calls are not paired"
    return ranks


def _expected(name: str) -> Any:
    """scikit-learn on the union of both processes' data, for the scenarios built alike."""
    kind = SCENARIOS[name][0]
    parts = [_data(kind, rank) for rank in range(WORLD_SIZE)]
    y_pred, y, weights = (torch.cat([p[i] for p in parts]).numpy() for i in range(3))
    if name == "same_binary":  # logits: positive at >= 0
        return fbeta_score(y_true=y, y_pred=(y_pred >= 0).astype(int), beta=1.0)
    if name == "same_multiclass_weighted":
        return fbeta_score(y_true=y, y_pred=y_pred, beta=1.0, average="weighted", sample_weight=weights)
    return fbeta_score(y_true=y, y_pred=(y_pred >= 0.5).astype(int), beta=2.0, average="macro")


# --------------------------------------------------------------------------- the tests


def test_the_run_ends_without_an_error(launched: tuple[Path, int, str]) -> None:
    _, returncode, stderr = launched
    assert returncode == 0, stderr[-3000:]


@pytest.mark.parametrize("name", SAME)
def test_metrics_built_alike_equal_sklearn_on_the_union(launched: tuple[Path, int, str], name: str) -> None:
    expected = _expected(name)
    for rank in _ranks(launched, name):
        assert "error" not in rank, rank
        assert_close_relative(rank["value"], expected)


@pytest.mark.parametrize("name", SAME)
def test_the_check_is_one_all_gather_per_compute(launched: tuple[Path, int, str], name: str) -> None:
    # all-reduces: one per state, and the probability warning's for from_logits=True
    warning = 1 if name == "same_binary" else 0
    for rank in _ranks(launched, name):
        assert rank["calls"] == {"all_reduce": rank["states"] + warning, "all_gather": 1}


@pytest.mark.parametrize("name", list(DIFFERENCES))
def test_metrics_built_differently_raise_a_value_error_on_every_process(
    launched: tuple[Path, int, str], name: str
) -> None:
    ranks = _ranks(launched, name)
    assert [rank.get("error") for rank in ranks] == ["ValueError"] * WORLD_SIZE, ranks
    message = ranks[0]["message"]
    assert ranks[1]["message"] == message
    metric = type(SCENARIOS[name][1](0)).__name__
    assert message.startswith(f"{metric} must be built with the same arguments on every process")
    assert f"got {DIFFERENCES[name]}. Build the metric with the same arguments on every process" in message


def test_readers_after_reset_or_load_state_dict_ask_for_compute(launched: tuple[Path, int, str]) -> None:
    for rank in _ranks(launched, "readers"):
        for step in ("reset", "load"):
            assert rank[step]["error"] == "RuntimeError"
            assert rank[step]["message"].startswith(
                "MulticlassF1Score has not been computed since its last update, reset() or "
                "load_state_dict(): in a distributed run, call compute() first on every process"
            )
        assert_close_relative(rank["compute"]["value"], _multiclass_macro())


def _multiclass_macro() -> float:
    parts = [_data("multiclass", rank) for rank in range(WORLD_SIZE)]
    y_pred, y = (torch.cat([p[i] for p in parts]).numpy() for i in range(2))
    return float(fbeta_score(y_true=y, y_pred=y_pred, beta=1.0, average="macro"))


def test_a_state_saved_by_one_process_is_refused_in_two_saying_so(launched: tuple[Path, int, str]) -> None:
    for rank in _ranks(launched, "readers"):
        assert rank["saved_by_one"]["error"] == "ValueError"
        assert "saved by 1 process, loaded in 2: " in rank["saved_by_one"]["message"]
        assert rank["saved_by_one"]["message"].endswith("so load it in one process.")


def test_the_expected_values_are_not_degenerate() -> None:
    values = [_expected(name) for name in SAME] + [_multiclass_macro()]
    assert all(0.2 < float(np.asarray(v)) < 0.9 for v in values), values
