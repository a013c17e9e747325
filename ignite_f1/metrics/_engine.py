"""What an Ignite engine sees of a metric: its output, the name it is attached under, its attributes.

:class:`EngineSide` is a mixin of :class:`~ignite_f1.metrics.CountingMetric` that overrides four
of Ignite's public ``Metric`` methods (``detach`` with ``attach``), for numbers that would
otherwise come out wrong or late:

- ``iteration_completed`` applies the metric's own ``output_transform`` and takes a dict output's
  ``required_output_keys``, as Ignite's does, but refuses a dict (the engine's output, or what the
  transform returned) holding ``"sample_weight"`` when the metric was built with
  ``sample_weight=False``: Ignite would pick ``y_pred`` and ``y`` and drop the weights silently.
  Ignite's per-sample lists go to ``update`` whole, which checks every sample before counting any
  (Ignite calls ``update`` once per sample: a refused sample left those before it counted).
- ``attach`` refuses a name that is one of the class names of a per-class result, which Ignite
  refuses only when the first epoch completes, and records the metric for :func:`attached_metric`
  (``detach`` forgets it): Ignite keeps no public registry of attached metrics.
- ``__getattr__`` turns off Ignite's attribute forwarding (``metric.mean()`` builds a
  ``MetricsLambda``, and building one resets this metric), so a typo never wipes the counts.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from ignite.engine import Engine
from ignite.metrics.metric import EpochWise, MetricUsage

if TYPE_CHECKING:
    from ignite_f1.metrics._base import CountingMetric

_THRESHOLD_NAMES = frozenset({"num_thresholds", "curve", "best_threshold"})
_NO_INTERVAL = (
    ": a multilabel metric keeps per-label counts, which do not hold the joint distribution of the "
    "labels over the samples, so resampling the samples cannot be reproduced from them (the exact "
    "bootstrap of confidence_interval() needs a binary or multi-class confusion matrix; for one "
    "label's interval, count that label with a BinaryF1Score)"
)


# engine -> {name: (metric, usage)} of the metrics attached by EngineSide.attach (weak: an engine
# that is garbage collected takes its entries with it; a metric holds no reference to its engine)
_ATTACHED: weakref.WeakKeyDictionary[Engine, dict[str, tuple[CountingMetric, str | MetricUsage]]] = (
    weakref.WeakKeyDictionary()
)


def attached_metric(engine: Engine, name: str) -> CountingMetric | None:
    """The ignite_f1 metric attached to ``engine`` under ``name``, or ``None``.

    Ignite keeps no public registry of attached metrics; the ignite_f1 metrics record themselves
    in :meth:`~ignite_f1.metrics.CountingMetric.attach` (and forget in ``detach``), so handlers
    can find a metric by the name its score has in ``engine.state.metrics``. A metric of another
    library, or one attached under another name, gives ``None``.

    Examples:
        >>> from ignite.engine import Engine
        >>> from ignite_f1 import MulticlassF1Score
        >>> from ignite_f1.metrics import attached_metric
        >>> evaluator = Engine(lambda engine, batch: batch)
        >>> metric = MulticlassF1Score(3)
        >>> metric.attach(evaluator, "f1")
        >>> attached_metric(evaluator, "f1") is metric, attached_metric(evaluator, "accuracy")
        (True, None)
        >>> metric.detach(evaluator)
        >>> attached_metric(evaluator, "f1") is None
        True
    """
    entry = _ATTACHED.get(engine, {}).get(name)
    if entry is None:
        return None
    metric, usage = entry
    return metric if metric.is_attached(engine, usage) else None


def identity(output: Any) -> Any:
    """The default ``output_transform``: the engine's output is ``(y_pred, y)``."""
    return output


class EngineSide:
    """The mixin described in the module docstring; ``_transform`` is the metric's ``output_transform``."""

    sample_weight = False
    class_names: list[str] | None = None
    _transform: Callable[[Any], Any] = staticmethod(identity)

    @property
    def required_output_keys(self) -> tuple[str, ...] | None:
        """The keys taken from a dict output: ``y_pred`` and ``y``, and ``sample_weight`` with weights.

        It follows ``sample_weight`` and cannot be set: to read other keys, pass an
        ``output_transform`` that returns the pair (or triple) or a dict with these keys.

        Examples:
            >>> from ignite_f1 import BinaryF1Score
            >>> BinaryF1Score(from_logits=False).required_output_keys
            ('y_pred', 'y')
            >>> BinaryF1Score(from_logits=False, sample_weight=True).required_output_keys
            ('y_pred', 'y', 'sample_weight')
        """
        return ("y_pred", "y", "sample_weight") if self.sample_weight else ("y_pred", "y")

    @required_output_keys.setter
    def required_output_keys(self, value: tuple[str, ...] | None) -> None:
        raise AttributeError("required_output_keys follows sample_weight: pass an output_transform instead")

    @torch.no_grad()
    def iteration_completed(self, engine: Any) -> None:
        """Count ``engine.state.output`` (after ``output_transform``), as Ignite's ``Metric`` does.

        A dict gives its ``required_output_keys``: ``("y_pred", "y")``, and ``"sample_weight"`` too
        for a metric built with ``sample_weight=True``; without that, a dict holding
        ``"sample_weight"`` is refused (the weights would be dropped silently).

        Examples:
            >>> import torch
            >>> from ignite.engine import Engine
            >>> from ignite_f1 import BinaryF1Score
            >>> evaluator = Engine(lambda engine, batch: batch)
            >>> BinaryF1Score(from_logits=False).attach(evaluator, "f1")
            >>> batch = {"y_pred": torch.tensor([0.9, 0.2]), "y": torch.tensor([1, 0]),
            ...          "sample_weight": torch.tensor([1.0, 3.0])}
            >>> evaluator.run([batch])
            Traceback (most recent call last):
                ...
            ValueError: Argument `output` (the engine's output, a dict) holds 'sample_weight', which ...
        """
        output = self._transform(engine.state.output)
        if isinstance(output, Mapping):
            keys = self.required_output_keys or ()
            if "sample_weight" in output and not self.sample_weight:
                what = "the engine's output" if self._transform is identity else "output_transform's result"
                raise ValueError(
                    f"Argument `output` ({what}, a dict) holds 'sample_weight', which a metric built "
                    f"with sample_weight=False does not count and would drop, got keys {list(output)}: "
                    "build the metric with sample_weight=True to weight the samples, or pass an "
                    "output_transform that returns (y_pred, y) to leave the weights out."
                )
            missing = [key for key in keys if key not in output]
            if missing:
                raise ValueError(
                    f"Argument `output` (a dict) must hold the keys {list(keys)}, got keys {list(output)}: "
                    "name them so, or pass an output_transform that returns "
                    + ("(y_pred, y, sample_weight)." if self.sample_weight else "(y_pred, y).")
                )
            output = tuple(output[key] for key in keys)
        self.update(output)

    def attach(self, engine: Engine, name: str, usage: str | MetricUsage = EpochWise.usage_name) -> None:
        """Attach to ``engine`` as Ignite's ``Metric.attach`` does, and record it for :func:`attached_metric`.

        Raises:
            ValueError: ``name`` is one of the ``class_names`` of a per-class (``average=None``)
                metric, whose result Ignite would refuse to store under it when the first epoch
                completes.

        Examples:
            >>> from ignite.engine import Engine
            >>> from ignite_f1 import BinaryF1Score
            >>> from ignite_f1.metrics import attached_metric
            >>> evaluator = Engine(lambda engine, batch: batch)
            >>> metric = BinaryF1Score(from_logits=False)
            >>> metric.attach(evaluator, "f1")
            >>> attached_metric(evaluator, "f1") is metric
            True
        """
        average = vars(self).get("average", "")
        if self.class_names is not None and average is None and name in self.class_names:
            raise ValueError(
                f"Argument `name` must not be one of the class names of this per-class metric "
                f"(average=None returns {{class name: score}}, which Ignite refuses to store under a name "
                f"it holds), got {name!r}: attach it under another name, such as {name + '_f1'!r}."
            )
        super().attach(engine, name, usage)  # type: ignore[misc]
        _ATTACHED.setdefault(engine, {})[name] = (self, usage)  # type: ignore[assignment]

    def detach(self, engine: Engine, usage: str | MetricUsage = EpochWise.usage_name) -> None:
        """Detach from ``engine`` as Ignite's ``Metric.detach`` does, and forget the record of :meth:`attach`.

        Examples:
            >>> from ignite.engine import Engine
            >>> from ignite_f1 import BinaryF1Score
            >>> from ignite_f1.metrics import attached_metric
            >>> evaluator = Engine(lambda engine, batch: batch)
            >>> metric = BinaryF1Score(from_logits=False)
            >>> metric.attach(evaluator, "f1")
            >>> metric.detach(evaluator)
            >>> attached_metric(evaluator, "f1") is None
            True
        """
        super().detach(engine, usage)  # type: ignore[misc]
        names = _ATTACHED.get(engine, {})
        for name, (metric, kept) in list(names.items()):
            if metric is self and not self.is_attached(engine, kept):
                del names[name]

    def __getattr__(self, name: str) -> Any:
        # Ignite answers any unknown attribute with a MetricsLambda factory, and building one
        # resets this metric: a typo such as ``metric.reprot()`` would silently wipe the counts.
        if name.startswith("__") and name.endswith("__"):
            return super().__getattr__(name)  # type: ignore[misc]
        if name in _THRESHOLD_NAMES:
            hint = ": threshold curves belong to the binary and multilabel metrics (built with "
            hint += "`num_thresholds`)"
        elif name == "confidence_interval":
            hint = _NO_INTERVAL
        elif hasattr(torch.Tensor, name):  # Ignite would forward it to the result, as for ``mean``
            hint = (
                f" (Ignite's forwarding of `{name}` to the result is turned off here: the MetricsLambda it "
                "builds resets this metric, which wipes the counts when it is called after counting; build "
                f"one before the evaluation runs: MetricsLambda(lambda result: result.{name}(), metric))"
            )
        else:
            hint = ""
        raise AttributeError(f"{type(self).__name__} has no `{name}`{hint}.")
