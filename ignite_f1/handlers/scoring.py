"""Score functions: one float from an F1 metric, higher is better, NaN never an improvement.

:func:`score_function` reads ``engine.state.metrics[name]`` for Ignite's ``EarlyStopping`` and
``Checkpoint`` and for :class:`~ignite_f1.handlers.RetrainOnPlateau`; a missing metric raises
:class:`MissingMetricError`, which says on which engine the handler belongs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from ignite.engine import Engine

from ignite_f1._validation import check_choice, check_string, is_real
from ignite_f1.handlers._plateau import nan_to_neg_inf

__all__ = ["MissingMetricError", "ScoreFunction", "score_function"]

ScoreFunction = Callable[[Engine], float]

_REDUCTIONS = (None, "min", "mean")


class MissingMetricError(KeyError):
    """The metric a :func:`score_function` reads is not in ``engine.state.metrics``.

    A ``KeyError`` (catch either), whose message prints as a sentence: it lists the metrics present
    and says which engine the handler belongs on (``KeyError`` itself would print it in quotes).

    Examples:
        >>> from ignite.engine import Engine
        >>> from ignite_f1.handlers import MissingMetricError, score_function
        >>> trainer = Engine(lambda engine, batch: None)
        >>> trainer.state.metrics = {"loss": 0.3}  # the F1 metric lives on the evaluator
        >>> try:
        ...     score_function("f1")(trainer)
        ... except MissingMetricError as error:
        ...     print(isinstance(error, KeyError), error)
        True Metric 'f1' is not in engine.state.metrics; metrics present: ['loss']. ...
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def per_class_needs_reduce(metric_name: str, kind: str) -> str:
    """The refusal of ``reduce=None`` for the per-class metric ``metric_name`` (``kind``: what it is)."""
    return (
        f"Argument `reduce` must be 'min' or 'mean' when metric {metric_name!r} is per-class "
        f"({kind}), got None. Pass reduce='min' (the worst class) or reduce='mean', or attach "
        "an averaged metric (e.g. average='macro')."
    )


def _real_dtype(value: torch.Tensor | np.ndarray) -> bool:
    """Whether a tensor / array holds real numbers: integers or floats (not bool, complex, str, object)."""
    if isinstance(value, torch.Tensor):
        return value.dtype != torch.bool and not value.dtype.is_complex
    return value.dtype.kind in "iuf"


def _one_number(value: Any) -> bool:
    """A per-class score: a real number (not a bool, not a string), or a tensor / array of one."""
    if isinstance(value, torch.Tensor | np.ndarray):
        size = value.size if isinstance(value, np.ndarray) else value.numel()
        return size == 1 and _real_dtype(value)
    return is_real(value)


def _as_score(value: Any, metric_name: str, reduce: str | None) -> float:
    """One float from a metric result: a number, or per-class scores reduced by ``reduce``."""
    if is_real(value):
        return nan_to_neg_inf(float(value))
    if isinstance(value, torch.Tensor | np.ndarray):
        if not _real_dtype(value):  # float() would read True as 1.0, drop an imaginary part, parse "0.5"
            what = "a tensor" if isinstance(value, torch.Tensor) else "an array"
            raise TypeError(
                f"Metric {metric_name!r} must be a number or {what} of real numbers (integers or floats) "
                f"to be used as a score, got {what} of dtype {value.dtype}."
            )
        array = value.detach().cpu().double().numpy() if isinstance(value, torch.Tensor) else value
        array = np.asarray(array, dtype=np.float64)
        if array.ndim == 0:
            return nan_to_neg_inf(float(array))
        values = array.ravel()
        kind = f"a tensor of shape {tuple(array.shape)}"
    elif isinstance(value, Mapping):
        try:  # numbers, as a single score must be (a string such as "0.5" is not one)
            values = np.array([float(v) for v in value.values() if _one_number(v)], dtype=np.float64)
            if values.size != len(value):
                raise TypeError
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"Metric {metric_name!r} must map class names to numbers to be used as a score, "
                f"got {value!r}."
            ) from None
        kind = f"a dict of {len(value)} per-class scores"
    else:
        raise TypeError(
            f"Metric {metric_name!r} must be a number, a tensor or a dict of per-class scores to be "
            f"used as a score, got {type(value).__name__}: {value!r}."
        )
    if reduce is None:
        raise ValueError(per_class_needs_reduce(metric_name, kind))
    if values.size == 0:
        raise ValueError(f"Metric {metric_name!r} must hold at least one per-class score, got {kind}.")
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return -math.inf
    return float(defined.min() if reduce == "min" else defined.mean())


def score_function(metric_name: str, reduce: str | None = None) -> ScoreFunction:
    """A score function reading an F1 metric, for Ignite's ``EarlyStopping`` and ``Checkpoint``.

    The returned ``fn(engine) -> float`` reads ``engine.state.metrics[metric_name]``, so the handler
    that calls it must run on the engine that computes the metric: the evaluator, on
    ``Events.COMPLETED``.

    Args:
        metric_name: name under which the metric is attached to the evaluator.
        reduce: how per-class scores (a tensor of one score per class, or a ``{class_name: score}``
            dict, as given by ``average=None``) become one number: ``"min"`` (the worst class) or
            ``"mean"``. Required for per-class results; ignored for a number.

    Returns:
        A function ``fn(engine) -> float``.

    Raises:
        TypeError: ``metric_name`` is not a string, or ``reduce`` is neither a string nor None (at
            once), or the metric is neither a number, a
            tensor (or NumPy array) of real numbers nor a dict of numbers (when called): bool,
            complex, string and object dtypes are refused.
        ValueError: ``reduce`` is a string other than "min" and "mean" (at once); the metric is per-class and
            ``reduce`` is None, or holds no score (when called).
        MissingMetricError: a ``KeyError``: the metric is not in ``engine.state.metrics`` (when
            called); the message lists the metrics present and says which engine the handler
            belongs on.

    Notes:
        A NaN score (for instance F1 with ``zero_division=nan`` and nothing to score) becomes
        ``-inf``: it is never an improvement, so it never resets ``EarlyStopping``'s patience nor
        replaces a saved best model. (Every comparison with NaN is False: ``EarlyStopping``, which
        sees no improvement when ``score <= best + min_delta``, would count NaN as one, and
        ``Checkpoint``, which saves when ``score > best``, would never replace a NaN saved first.)
        When reducing per-class scores,
        NaN classes are left out, as scikit-learn leaves them out of averages; if every class is
        NaN the score is ``-inf``.

        ``reduce="mean"`` is the mean of the per-class scores the metric gives. For a multi-class
        metric with ``labels=None``, ``average=None`` scores all ``num_classes`` classes, one absent
        from both the targets and the predictions as ``zero_division``'s value (0 by default, 1
        with ``zero_division=1.0``), while ``average="macro"`` leaves such a class out; so the mean
        equals the macro F1 of the same metric when every class occurs, when ``labels`` is given,
        or with ``zero_division=float("nan")``. For a multilabel metric they are always equal.

    Examples:
        >>> import math
        >>> import torch
        >>> from ignite.engine import Engine
        >>> from ignite_f1.handlers import score_function
        >>> evaluator = Engine(lambda engine, batch: None)
        >>> evaluator.state.metrics = {"f1": 0.75, "f1_per_class": torch.tensor([0.5, 1.0, float("nan")])}
        >>> score_function("f1")(evaluator)
        0.75
        >>> score_function("f1_per_class", reduce="min")(evaluator)
        0.5
        >>> score_function("f1_per_class", reduce="mean")(evaluator)
        0.75
        >>> evaluator.state.metrics["f1"] = float("nan")
        >>> score_function("f1")(evaluator)
        -inf
        >>> try:
        ...     score_function("val_f1")(evaluator)
        ... except KeyError as error:
        ...     print(error)
        Metric 'val_f1' is not in engine.state.metrics; metrics present: ['f1', 'f1_per_class']. ...
    """
    check_string("metric_name", metric_name)
    check_choice("reduce", reduce, _REDUCTIONS)

    def score(engine: Engine) -> float:
        metrics = engine.state.metrics
        if metric_name not in metrics:
            raise MissingMetricError(
                f"Metric {metric_name!r} is not in engine.state.metrics; metrics present: "
                f"{sorted(metrics)}. Check the name: it is the one given to metric.attach(engine, name). "
                "The score is read from the engine the handler is attached to: attach the F1 metric "
                "and the handler (EarlyStopping, Checkpoint, RetrainOnPlateau) to the evaluator, with "
                "evaluator.add_event_handler(Events.COMPLETED, handler), not to the trainer."
            )
        return _as_score(metrics[metric_name], metric_name, reduce)

    score.__qualname__ = score.__name__ = f"score_function({metric_name!r})"
    return score
