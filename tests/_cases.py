"""Input cases for the parity tests: deterministic builders, a fixed list with readable ids, and
the hypothesis strategies that draw the builders' parameters.

- ``binary_case``, ``multiclass_case``, ``multilabel_case``: a ``Case`` (batches for the metric plus
  the flat arrays the reference sees), built from a seed and a few parameters. ``parity_cases()``
  gives a fixed spread of them as ``pytest.param`` with readable ids (``"multiclass-logits-macro-zd_nan"``);
  ``binary_cases()``, ``multiclass_cases()``, ``multilabel_cases()``, ``any_cases`` and
  ``label_input_cases()`` draw them with hypothesis.
- ``split_batches`` (at cut points, empty batches allowed), ``split_sizes`` (into batches of given
  sizes), ``split_even`` (into n near-equal batches), ``split_every`` (into batches of one size),
  ``run_batches`` (feed batches to a metric) and ``full_data`` (concatenate them back).
- ``binary_batch``, ``multiclass_batch``, ``multilabel_batch``, ``segmentation_batch``: plain
  seeded random ``(y_pred, y)`` for the tests that need some data rather than a ``Case``.
- ``n_examples(weight)``: ``weight`` times the active hypothesis profile's ``max_examples``
  (profiles are registered in ``conftest.py``).

How predictions are made unambiguous for the reference (the spec asks for it):

- Multi-class scores: the reference takes ``numpy.argmax`` of the *same* float32 array the metric
  sees (first index on ties, as the metric documents), so no rounding can separate them. Some cases
  draw scores from a small integer grid on purpose, to have many exact ties.
- Logits (binary, multilabel): the hard 0/1 prediction is drawn first, then a logit is placed at
  least ``1e-3`` away from ``logit(threshold)`` on the right side (with threshold in [0.02, 0.98],
  float32 rounding is below 1e-6 there). Exact ties that are exact in every precision are added on
  purpose: logit 0.0 and -0.0 at threshold 0.5 (positive, as ``>=``), and +-inf logits. Threshold
  0 (logit -inf) makes every sample positive, threshold 1 (logit +inf) every finite one negative.
- Probabilities (``from_logits=False``): thresholds are multiples of 1/32, exact in float32, and some
  positives sit exactly on the threshold, so the ``>=`` rule is tested on exact ties.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
from _reference import sklearn_confusion_matrix, sklearn_fbeta, sklearn_report
from hypothesis import settings
from hypothesis import strategies as st

from ignite_f1 import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
    MultilabelFBetaScore,
)

ZERO_DIVISIONS: tuple[Any, ...] = ("warn", 0.0, 1.0, math.nan)
AVERAGES_MULTICLASS: tuple[str | None, ...] = ("micro", "macro", "weighted", None)
AVERAGES_MULTILABEL: tuple[str | None, ...] = ("micro", "macro", "weighted", "samples", None)


def n_examples(weight: float) -> int:
    """``weight`` times the active profile's ``max_examples`` (at least 1)."""
    return max(1, round(settings.default.max_examples * weight))


def zd_id(zero_division: Any) -> str:
    """Readable id of a ``zero_division`` value: ``warn``, ``0``, ``1``, ``nan``."""
    if isinstance(zero_division, str):
        return zero_division
    return "nan" if math.isnan(zero_division) else str(int(zero_division))


# --------------------------------------------------------------------------- input cases

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass
class Case:
    """One input case: the metric's constructor, its batches, and the flat data the reference sees.

    ``y_true`` / ``y_pred`` are numpy int64 arrays: flat labels (binary, multi-class, with ignored
    targets removed) or (N, L) indicators (multilabel). ``num_classes`` is C (2 for binary, L for
    multilabel). ``params`` are the builder's arguments, so ``repr`` shows how to rebuild the case.
    """

    kind: str
    builder: str
    params: dict[str, Any]
    metric_cls: type
    kwargs: dict[str, Any]
    batches: list[Batch]
    y_true: np.ndarray
    y_pred: np.ndarray
    num_classes: int
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.builder}({args})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how hypothesis prints a failing case
        printer.text(repr(self))

    @property
    def id(self) -> str:
        average = self.kwargs.get("average", "binary")
        return f"{self.kind}-{self.extra['input']}-{average}-zd_{zd_id(self.kwargs['zero_division'])}"

    def metric(self, **overrides: Any) -> Any:
        """A fresh metric for this case (``overrides`` replace constructor arguments)."""
        return self.metric_cls(**{**self.kwargs, **overrides})

    def run(self, metric: Any = None, batches: Sequence[Batch] | None = None) -> Any:
        """Feed the batches (default: the case's) to ``metric`` (default: a fresh one); return it."""
        metric = self.metric() if metric is None else metric
        metric.reset()
        return run_batches(metric, self.batches if batches is None else batches)

    @property
    def beta(self) -> float:
        return float(self.kwargs.get("beta", 1.0))

    @property
    def scored_labels(self) -> list[int]:
        """The classes a per-class result and the report cover: ``labels`` or all classes."""
        labels = self.kwargs.get("labels")
        if self.kind == "binary":
            return [0, 1]
        return list(range(self.num_classes)) if labels is None else list(labels)

    @property
    def target_names(self) -> list[str] | None:
        names = self.kwargs.get("class_names")
        return None if names is None else [names[c] for c in self.scored_labels]

    def expected(self, zero_division: Any = None) -> Any:
        """What ``compute()`` must return, from the reference on all the data."""
        average = self.kwargs.get("average")
        zd = self.kwargs["zero_division"] if zero_division is None else zero_division
        result = sklearn_fbeta(
            y_true=self.y_true,
            y_pred=self.y_pred,
            beta=self.beta,
            kind=self.kind,
            average=average,
            labels=self.kwargs.get("labels"),
            num_classes=self.num_classes,
            zero_division=zd,
        )
        if self.kind != "binary" and average is None and self.target_names is not None:
            return dict(zip(self.target_names, map(float, result), strict=True))
        return result

    def expected_report(self) -> dict[str, Any]:
        return sklearn_report(
            y_true=self.y_true,
            y_pred=self.y_pred,
            labels=self.scored_labels,
            target_names=self.target_names,
            zero_division=self.kwargs["zero_division"],
        )

    def expected_confusion_matrix(self) -> np.ndarray:
        if self.num_samples == 0:  # scikit-learn refuses empty input; no sample means no count
            shape = (self.num_classes, 2, 2) if self.kind == "multilabel" else (self.num_classes,) * 2
            return np.zeros(shape, dtype=np.int64)
        return sklearn_confusion_matrix(
            y_true=self.y_true, y_pred=self.y_pred, kind=self.kind, num_classes=self.num_classes
        )

    @property
    def num_samples(self) -> int:
        return int(self.y_true.shape[0])

    @property
    def scores_look_like_probabilities(self) -> bool:
        """Whether ``compute()`` must warn that the logits look like probabilities: ``from_logits=True``
        with validation on, some float score seen, and every float score in [0, 1] (a binary or
        multilabel metric's documented ``UserWarning``; integer and bool predictions are labels)."""
        if not (self.kwargs.get("from_logits") and self.kwargs.get("validate_args", True)):
            return False
        scores = [y_pred for y_pred, _ in self.batches if y_pred.is_floating_point() and y_pred.numel()]
        return bool(scores) and all(bool(((s >= 0) & (s <= 1)).all()) for s in scores)


def split_batches(y_pred: torch.Tensor, y: torch.Tensor, cuts: Sequence[int]) -> list[Batch]:
    """Split along dim 0 at the sorted ``cuts``; repeated or end cuts give empty batches."""
    bounds = [0, *sorted(min(max(c, 0), y.shape[0]) for c in cuts), y.shape[0]]
    return [(y_pred[a:b], y[a:b]) for a, b in itertools.pairwise(bounds)]


def split_sizes(y_pred: torch.Tensor, y: torch.Tensor, sizes: Sequence[int]) -> list[Batch]:
    """Split along dim 0 into batches of ``sizes`` (which must add up to the length)."""
    assert sum(sizes) == y.shape[0], f"sizes {list(sizes)} do not add up to {y.shape[0]}"
    return list(zip(y_pred.split(list(sizes)), y.split(list(sizes)), strict=True))


def split_even(y_pred: torch.Tensor, y: torch.Tensor, parts: int = 10) -> list[Batch]:
    """Split along dim 0 into ``parts`` batches whose sizes differ by at most one."""
    return split_sizes(y_pred, y, [len(part) for part in np.array_split(np.arange(y.shape[0]), parts)])


def split_every(y_pred: torch.Tensor, y: torch.Tensor, size: int) -> list[Batch]:
    """Split along dim 0 into batches of ``size`` (the last one holds the rest)."""
    return list(zip(y_pred.split(size), y.split(size), strict=True))


def run_batches(metric: Any, batches: Sequence[Batch]) -> Any:
    """Feed ``batches`` to ``metric`` with ``update`` (no reset); return the metric."""
    for batch in batches:
        metric.update(batch)
    return metric


def full_data(batches: Sequence[Batch]) -> Batch:
    """The batches concatenated back into one ``(y_pred, y)``."""
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])


# --------------------------------------------------------------------------- plain random batches


def binary_batch(n: int = 60, seed: int = 0) -> Batch:
    """``n`` standard-normal logits and 0/1 targets."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=gen), torch.randint(0, 2, (n,), generator=gen)


def multiclass_batch(n: int = 60, num_classes: int = 4, seed: int = 0) -> Batch:
    """(n, C) standard-normal scores and class-label targets."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, num_classes, generator=gen), torch.randint(0, num_classes, (n,), generator=gen)


def multilabel_batch(n: int = 60, num_labels: int = 4, seed: int = 0) -> Batch:
    """(n, L) logits shifted down and sparse 0/1 targets."""
    gen = torch.Generator().manual_seed(seed)
    # a sparse target so that some samples have no true label (the samples-average special case)
    y = (torch.rand(n, num_labels, generator=gen) < 0.3).long()
    return torch.randn(n, num_labels, generator=gen) - 0.8, y


def segmentation_batch(n: int = 12, num_classes: int = 4, seed: int = 0) -> Batch:
    """(n, C, 5, 7) scores and (n, 5, 7) targets, about a fifth of them the ignored label 255."""
    gen = torch.Generator().manual_seed(seed)
    scores = torch.randn(n, num_classes, 5, 7, generator=gen)
    y = torch.randint(0, num_classes, (n, 5, 7), generator=gen)
    y[torch.rand(n, 5, 7, generator=gen) < 0.2] = 255
    return scores, y


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def _scores_for(
    hard: np.ndarray, *, rng: np.random.Generator, input: str, threshold: float, dtype: torch.dtype
) -> tuple[torch.Tensor, np.ndarray]:
    """``y_pred`` whose thresholded value is ``hard`` (bool array), and that value; see the module docstring.

    The value returned differs from ``hard`` only where the threshold forces it: with threshold 0,
    every score is positive.
    """
    if input == "bool":
        return torch.as_tensor(hard), hard
    if input == "labels":
        return torch.as_tensor(hard.astype(np.int64)).to(_label_dtype(dtype)), hard
    u = rng.random(hard.shape)
    special = rng.random(hard.shape)
    if threshold == 0.0:  # every probability (logit -inf) is >= 0
        hard = np.ones_like(hard)
    if input == "probs":
        # threshold is a multiple of 1/32: exact, and some positives sit on it (>= makes them positive);
        # t + (1 - t) u >= t survives rounding to float32 because t is exact there
        t = threshold
        pos = np.where(special < 0.2, t, t + (1.0 - t) * u)
        neg = t * 0.999 * u
        return torch.as_tensor(np.where(hard, pos, neg)).to(dtype), hard
    if input != "logits":
        raise ValueError(f"unknown input {input!r}")
    if threshold == 0.0:  # logit -inf: every logit, even -inf, is positive
        values = np.where(special < 0.1, -np.inf, rng.normal(0.0, 3.0, hard.shape))
        return torch.as_tensor(values).to(dtype), hard
    if threshold == 1.0:  # logit +inf: only +inf is positive
        values = np.where(hard, np.inf, np.where(special < 0.1, -np.inf, rng.normal(0.0, 3.0, hard.shape)))
        return torch.as_tensor(values).to(dtype), hard
    cut = _logit(threshold)
    spread = 1e-3 + 4.0 * u
    pos = np.where(special < 0.05, np.inf, cut + spread)
    neg = np.where(special < 0.05, -np.inf, cut - spread)
    if threshold == 0.5:  # logit(0.5) == 0 exactly: 0.0 and -0.0 are ties, hence positive
        pos = np.where(special > 0.9, np.where(special > 0.95, -0.0, 0.0), pos)
    return torch.as_tensor(np.where(hard, pos, neg)).to(dtype), hard


def _label_dtype(dtype: torch.dtype) -> torch.dtype:
    """Integer labels keep an integer ``dtype``; a float ``dtype`` (the default) means int64."""
    return torch.int64 if dtype.is_floating_point else dtype


def _target_tensor(values: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    return torch.as_tensor(values.astype(np.int64)).to(dtype)


def binary_case(
    *,
    seed: int,
    n: int,
    beta: float = 1.0,
    zero_division: Any = "warn",
    threshold: float = 0.5,
    input: str = "logits",
    shape: str = "flat",
    dims: tuple[int, int] = (2, 3),
    score_dtype: torch.dtype = torch.float32,
    target_dtype: torch.dtype = torch.int64,
    true_rate: float = 0.5,
    pred_rate: float = 0.5,
    agreement: float = 0.5,
    cuts: Sequence[int] = (),
    f1_class: bool = False,
    validate_args: bool = True,
) -> Case:
    """A binary case.

    ``input``: ``"logits"``, ``"probs"`` (``from_logits=False``), ``"labels"`` (0/1 integers:
    ``score_dtype`` if it is an integer dtype, else int64) or ``"bool"``. ``shape``: ``"flat"``
    (N,), ``"col"`` (N, 1) both, ``"col_pred"`` (y_pred (N, 1), y (N,)), ``"col_target"`` (y_pred
    (N,), y (N, 1)) or ``"grid"`` (N, d1, d2). A target is positive with probability ``true_rate``;
    a prediction copies the target with probability ``agreement``, else is positive with
    probability ``pred_rate``.
    """
    params = {k: v for k, v in locals().items() if k != "params"}
    rng = np.random.default_rng(seed)
    full = (n, *dims) if shape == "grid" else (n,)
    truth = rng.random(full) < true_rate
    hard = np.where(rng.random(full) < agreement, truth, rng.random(full) < pred_rate)
    y_pred, hard = _scores_for(hard, rng=rng, input=input, threshold=threshold, dtype=score_dtype)
    y = _target_tensor(truth, target_dtype)
    if shape in ("col", "col_pred"):
        y_pred = y_pred.reshape(n, 1)
    if shape in ("col", "col_target"):
        y = y.reshape(n, 1)
    kwargs: dict[str, Any] = {
        "threshold": threshold,
        "from_logits": input != "probs",
        "zero_division": zero_division,
    }
    if not validate_args:
        kwargs["validate_args"] = False
    if f1_class and beta == 1.0:
        cls: type = BinaryF1Score
    else:
        cls, kwargs = BinaryFBetaScore, {"beta": beta, **kwargs}
    return Case(
        kind="binary",
        builder="binary_case",
        params=params,
        metric_cls=cls,
        kwargs=kwargs,
        batches=split_batches(y_pred, y, cuts),
        y_true=truth.reshape(-1).astype(np.int64),
        y_pred=hard.reshape(-1).astype(np.int64),
        num_classes=2,
        extra={"input": input},
    )


def _class_probs(rng: np.random.Generator, num_classes: int, present: int) -> np.ndarray:
    """Random class frequencies over ``present`` random classes (the others never occur)."""
    p = np.zeros(num_classes)
    chosen = rng.choice(num_classes, size=max(1, min(present, num_classes)), replace=False)
    p[chosen] = rng.dirichlet(np.full(chosen.size, 0.7))
    return p / p.sum()


def multiclass_case(
    *,
    seed: int,
    n: int,
    num_classes: int,
    beta: float = 1.0,
    average: str | None = "macro",
    labels: Sequence[int] | None = None,
    ignore_index: int | None = None,
    zero_division: Any = "warn",
    class_names: bool = False,
    input: str = "logits",
    dims: tuple[int, ...] = (),
    ties: bool = False,
    score_dtype: torch.dtype = torch.float32,
    target_dtype: torch.dtype = torch.int64,
    present_true: int | None = None,
    present_pred: int | None = None,
    agreement: float = 0.5,
    ignore_rate: float = 0.2,
    cuts: Sequence[int] = (),
    f1_class: bool = False,
    validate_args: bool = True,
) -> Case:
    """A multi-class case, flat (``dims=()``) or segmentation (``dims=(d1, d2)``: y_pred (N, C, d1, d2)).

    ``input``: ``"logits"`` (float scores, arg-max; ``ties`` draws them from {0, 1, 2} so that
    first-index ties are frequent) or ``"labels"`` (integer labels of ``score_dtype``). Targets use
    ``present_true`` random classes (default all), predictions copy the target with probability
    ``agreement``, else use ``present_pred`` random classes: classes that never occur are common.
    A fraction ``ignore_rate`` of targets is set to ``ignore_index`` when the target dtype can hold
    it (a class index as ``ignore_index`` also drops that class's own targets).
    """
    params = {k: v for k, v in locals().items() if k != "params"}
    rng = np.random.default_rng(seed)
    c = num_classes
    full = (n, *dims)
    truth = rng.choice(c, size=full, p=_class_probs(rng, c, c if present_true is None else present_true))
    other = rng.choice(c, size=full, p=_class_probs(rng, c, c if present_pred is None else present_pred))
    hard = np.where(rng.random(full) < agreement, truth, other)
    if input == "logits":
        if ties:
            scores = rng.integers(0, 3, size=(n, c, *dims)).astype(np.float64)
        else:
            scores = rng.normal(0.0, 1.0, size=(n, c, *dims))
            np.put_along_axis(scores, hard[:, None], 10.0 + rng.random((n, 1, *dims)), axis=1)
        y_pred = torch.as_tensor(scores).to(score_dtype)
        # the reference takes the arg-max of the very array the metric gets (first index on ties)
        hard = np.argmax(y_pred.numpy(), axis=1)
    elif input == "labels":
        y_pred = torch.as_tensor(hard).to(_label_dtype(score_dtype))
    else:
        raise ValueError(f"unknown input {input!r}")
    targets = truth.copy()
    if ignore_index is not None and not 0 <= ignore_index < c:
        info = torch.finfo(target_dtype) if target_dtype.is_floating_point else torch.iinfo(target_dtype)
        if info.min <= ignore_index <= info.max:
            targets = np.where(rng.random(full) < ignore_rate, ignore_index, targets)
    y = torch.as_tensor(targets).to(target_dtype)
    keep = (targets != ignore_index) if ignore_index is not None else np.ones(full, dtype=bool)
    names = [f"class_{i}" for i in range(c)] if class_names else None
    kwargs: dict[str, Any] = {
        "num_classes": c,
        "average": average,
        "labels": None if labels is None else list(labels),
        "ignore_index": ignore_index,
        "zero_division": zero_division,
        "class_names": names,
    }
    if not validate_args:
        kwargs["validate_args"] = False
    cls: type = MulticlassF1Score if f1_class and beta == 1.0 else MulticlassFBetaScore
    if cls is MulticlassFBetaScore:
        kwargs = {"beta": beta, **kwargs}
    return Case(
        kind="multiclass",
        builder="multiclass_case",
        params=params,
        metric_cls=cls,
        kwargs=kwargs,
        batches=split_batches(y_pred, y, cuts),
        y_true=truth[keep].astype(np.int64),
        y_pred=hard[keep].astype(np.int64),
        num_classes=c,
        extra={"input": "segmentation-" + input if dims else input},
    )


def multilabel_case(
    *,
    seed: int,
    n: int,
    num_labels: int,
    beta: float = 1.0,
    average: str | None = "macro",
    zero_division: Any = "warn",
    class_names: bool = False,
    threshold: float = 0.5,
    input: str = "logits",
    score_dtype: torch.dtype = torch.float32,
    target_dtype: torch.dtype = torch.int64,
    rates: Sequence[float] = (0.0, 0.1, 0.5),
    agreement: float = 0.5,
    empty_rate: float = 0.2,
    cuts: Sequence[int] = (),
    f1_class: bool = False,
    validate_args: bool = True,
) -> Case:
    """A multilabel case: (N, L) 0/1 targets, predictions as ``binary_case`` makes them.

    Each label's positive rate is drawn from ``rates`` (0.0: a label that never occurs); a fraction
    ``empty_rate`` of samples has no true label, and (independently) of no predicted label.
    """
    params = {k: v for k, v in locals().items() if k != "params"}
    rng = np.random.default_rng(seed)
    full = (n, num_labels)
    truth = rng.random(full) < rng.choice(np.asarray(rates, dtype=float), size=num_labels)
    pred_rates = rng.choice(np.asarray(rates, dtype=float), size=num_labels)
    hard = np.where(rng.random(full) < agreement, truth, rng.random(full) < pred_rates)
    truth &= ~(rng.random((n, 1)) < empty_rate)
    hard &= ~(rng.random((n, 1)) < empty_rate)
    y_pred, hard = _scores_for(hard, rng=rng, input=input, threshold=threshold, dtype=score_dtype)
    y = _target_tensor(truth, target_dtype)
    names = [f"label_{i}" for i in range(num_labels)] if class_names else None
    kwargs: dict[str, Any] = {
        "num_labels": num_labels,
        "threshold": threshold,
        "from_logits": input != "probs",
        "average": average,
        "zero_division": zero_division,
        "class_names": names,
    }
    if not validate_args:
        kwargs["validate_args"] = False
    cls: type = MultilabelF1Score if f1_class and beta == 1.0 else MultilabelFBetaScore
    if cls is MultilabelFBetaScore:
        kwargs = {"beta": beta, **kwargs}
    return Case(
        kind="multilabel",
        builder="multilabel_case",
        params=params,
        metric_cls=cls,
        kwargs=kwargs,
        batches=split_batches(y_pred, y, cuts),
        y_true=truth.astype(np.int64),
        y_pred=hard.astype(np.int64),
        num_classes=num_labels,
        extra={"input": input},
    )


def parity_cases() -> list[Any]:
    """A fixed spread of cases as ``pytest.param(case, id=case.id)`` (ids are unique)."""
    cases: list[Case] = []
    for i, zd in enumerate(ZERO_DIVISIONS):
        for j, (input, threshold) in enumerate(
            (("logits", 0.3), ("probs", 0.5), ("labels", 0.5), ("bool", 0.5))
        ):
            cases.append(
                binary_case(
                    seed=10 * i + j,
                    n=23,
                    beta=2.0,
                    zero_division=zd,
                    threshold=threshold,
                    input=input,
                    true_rate=0.0 if j == 3 else 0.4,
                    cuts=(0, 7, 7, 20),
                )
            )
        for j, average in enumerate(AVERAGES_MULTICLASS):
            for input in ("logits", "labels"):
                cases.append(
                    multiclass_case(
                        seed=100 + 10 * i + j,
                        n=40,
                        num_classes=5,
                        beta=0.5,
                        average=average,
                        zero_division=zd,
                        input=input,
                        present_true=3,
                        present_pred=3,
                        ignore_index=-100,
                        class_names=average is None,
                        cuts=(13, 13, 40),
                    )
                )
            cases.append(
                multiclass_case(
                    seed=200 + 10 * i + j,
                    n=3,
                    num_classes=4,
                    average=average,
                    zero_division=zd,
                    dims=(4, 5),
                    ignore_index=255,
                    cuts=(1,),
                )
            )
        for j, average in enumerate(AVERAGES_MULTILABEL):
            cases.append(
                multilabel_case(
                    seed=300 + 10 * i + j,
                    n=30,
                    num_labels=4,
                    beta=2.0,
                    average=average,
                    zero_division=zd,
                    class_names=average is None,
                    input="logits" if j % 2 else "probs",
                    threshold=0.25,
                    cuts=(10, 10),
                )
            )
    ids = [case.id for case in cases]
    unique = [
        f"{case_id}-{ids[:k].count(case_id)}" if ids.count(case_id) > 1 else case_id
        for k, case_id in enumerate(ids)
    ]
    return [pytest.param(case, id=case_id) for case, case_id in zip(cases, unique, strict=True)]


# --------------------------------------------------------------------------- hypothesis strategies

seeds = st.integers(0, 2**32 - 1)
betas = st.one_of(st.sampled_from([1.0, 0.25, 0.5, 2.0, 4.0]), st.floats(0.25, 4.0))
zero_divisions = st.sampled_from(ZERO_DIVISIONS)
sizes = st.one_of(st.integers(1, 3), st.integers(1, 120))
rates = st.sampled_from([0.0, 0.05, 0.5, 0.95, 1.0])
agreements = st.sampled_from([0.0, 0.5, 0.9, 1.0])
float_dtypes = st.sampled_from([torch.float32, torch.float64])


def cut_lists(n: int) -> st.SearchStrategy[list[int]]:
    """Batch boundaries: repeated cuts and cuts at 0 or n make empty batches."""
    return st.lists(st.integers(0, n), max_size=6)


@st.composite
def thresholds_for(draw: st.DrawFn, input: str) -> float:
    """Probabilities: a 1/32 grid (exact ties); logits: exact cases 0, 1/2, 1, or any in [0.02, 0.98]."""
    if input == "probs":
        return draw(st.integers(0, 32)) / 32
    if input == "logits":
        return draw(st.one_of(st.sampled_from([0.5, 0.0, 1.0]), st.floats(0.02, 0.98)))
    return draw(st.sampled_from([0.5, 0.1, 0.9]))  # hard labels: the threshold plays no part


def _score_dtype(draw: st.DrawFn, input: str) -> torch.dtype:
    if input in ("logits", "probs"):
        return draw(float_dtypes)
    return draw(st.sampled_from([torch.int64, torch.int32, torch.uint8]))


@st.composite
def binary_cases(draw: st.DrawFn, inputs: tuple[str, ...] = ("logits", "probs", "labels", "bool")) -> Case:
    input = draw(st.sampled_from(inputs))
    shape = draw(st.sampled_from(["flat", "col", "col_pred", "col_target", "grid"]))
    n = draw(st.integers(1, 20) if shape == "grid" else sizes)
    beta = draw(betas)
    return binary_case(
        seed=draw(seeds),
        n=n,
        beta=beta,
        zero_division=draw(zero_divisions),
        threshold=draw(thresholds_for(input)),
        input=input,
        shape=shape,
        dims=draw(st.tuples(st.integers(1, 3), st.integers(1, 3))),
        score_dtype=_score_dtype(draw, input),
        target_dtype=draw(
            st.sampled_from([torch.int64, torch.int32, torch.uint8, torch.bool, torch.float32])
        ),
        true_rate=draw(rates),
        pred_rate=draw(rates),
        agreement=draw(agreements),
        cuts=draw(cut_lists(n)),
        f1_class=beta == 1.0 and draw(st.booleans()),
        validate_args=draw(st.booleans()),
    )


@st.composite
def label_subsets(draw: st.DrawFn, num_classes: int) -> list[int] | None:
    """None, or 1..C distinct classes in any order."""
    if draw(st.booleans()):
        return None
    order = draw(st.permutations(range(num_classes)))
    return list(order[: draw(st.integers(1, num_classes))])


@st.composite
def multiclass_cases(
    draw: st.DrawFn,
    spatial: bool = False,
    inputs: tuple[str, ...] = ("logits", "labels"),
    ignore: bool = True,
) -> Case:
    c = draw(st.integers(2, 12))
    input = draw(st.sampled_from(inputs))
    if spatial:
        n = draw(st.integers(1, 4))
        dims = draw(st.lists(st.integers(1, 5), min_size=1, max_size=2).map(tuple))
        if input == "labels" and dims == (c,):
            # integer (N, C) pairs of 0 and 1 are refused (one-hot rows, or label maps?): the way
            # out the message gives, (N, 1, C); tests/test_extremes.py checks the refusal
            dims = (1, c)
    else:
        n, dims = draw(sizes), ()
    ignore_index = (
        draw(st.one_of(st.sampled_from([None, -100, 255]), st.integers(0, c - 1))) if ignore else None
    )
    beta = draw(betas)
    return multiclass_case(
        seed=draw(seeds),
        n=n,
        num_classes=c,
        beta=beta,
        average=draw(st.sampled_from(AVERAGES_MULTICLASS)),
        labels=draw(label_subsets(c)),
        ignore_index=ignore_index,
        zero_division=draw(zero_divisions),
        class_names=draw(st.booleans()),
        input=input,
        dims=dims,
        ties=draw(st.booleans()),
        score_dtype=_score_dtype(draw, input),
        target_dtype=draw(st.sampled_from([torch.int64, torch.int32, torch.uint8, torch.float32])),
        present_true=draw(st.integers(1, c)),
        present_pred=draw(st.integers(1, c)),
        agreement=draw(agreements),
        ignore_rate=draw(st.sampled_from([0.0, 0.1, 0.3, 0.6, 0.9, 1.0])),
        cuts=draw(cut_lists(n)),
        f1_class=beta == 1.0 and draw(st.booleans()),
        validate_args=draw(st.booleans()),
    )


@st.composite
def multilabel_cases(
    draw: st.DrawFn, inputs: tuple[str, ...] = ("logits", "probs", "labels", "bool")
) -> Case:
    input = draw(st.sampled_from(inputs))
    n = draw(st.one_of(st.integers(1, 3), st.integers(1, 60)))
    beta = draw(betas)
    return multilabel_case(
        seed=draw(seeds),
        n=n,
        num_labels=draw(st.integers(2, 12)),
        beta=beta,
        average=draw(st.sampled_from(AVERAGES_MULTILABEL)),
        zero_division=draw(zero_divisions),
        class_names=draw(st.booleans()),
        threshold=draw(thresholds_for(input)),
        input=input,
        score_dtype=_score_dtype(draw, input),
        target_dtype=draw(st.sampled_from([torch.int64, torch.uint8, torch.bool, torch.float32])),
        rates=draw(st.lists(rates, min_size=1, max_size=3)),
        agreement=draw(agreements),
        empty_rate=draw(st.sampled_from([0.0, 0.2, 0.7, 1.0])),
        cuts=draw(cut_lists(n)),
        f1_class=beta == 1.0 and draw(st.booleans()),
        validate_args=draw(st.booleans()),
    )


any_cases = st.one_of(
    binary_cases(),
    multiclass_cases(),
    multiclass_cases(spatial=True),
    multilabel_cases(),
)


@st.composite
def label_input_cases(draw: st.DrawFn) -> Case:
    """Cases whose y_pred and y are both integer labels, so they can trade places."""
    kind = draw(st.sampled_from(["binary", "multiclass", "multilabel"]))
    if kind == "binary":
        case = binary_case(
            seed=draw(seeds),
            n=draw(sizes),
            input=draw(st.sampled_from(["labels", "bool"])),
            shape=draw(st.sampled_from(["flat", "col"])),
            target_dtype=draw(st.sampled_from([torch.int64, torch.bool])),
            true_rate=draw(rates),
            pred_rate=draw(rates),
            agreement=draw(agreements),
            zero_division=draw(zero_divisions),
        )
    elif kind == "multiclass":
        c = draw(st.integers(2, 12))
        case = multiclass_case(
            seed=draw(seeds),
            n=draw(sizes),
            num_classes=c,
            average=draw(st.sampled_from(["micro", "macro", None])),  # weighted uses y's support
            labels=draw(label_subsets(c)),
            input="labels",
            present_true=draw(st.integers(1, c)),
            present_pred=draw(st.integers(1, c)),
            agreement=draw(agreements),
            zero_division=draw(zero_divisions),
        )
    else:
        case = multilabel_case(
            seed=draw(seeds),
            n=draw(st.integers(1, 60)),
            num_labels=draw(st.integers(2, 12)),
            average=draw(st.sampled_from(["micro", "macro", "samples", None])),
            input="labels",
            rates=draw(st.lists(rates, min_size=1, max_size=3)),
            agreement=draw(agreements),
            empty_rate=draw(st.sampled_from([0.0, 0.2, 0.7])),
            zero_division=draw(zero_divisions),
        )
    return case
