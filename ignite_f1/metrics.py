"""F1 / F-beta metrics for Ignite: thin ``reset`` / ``update`` / ``compute`` over counts.

``update`` checks and formats a batch (:mod:`ignite_f1._inputs`), then adds its counts to the state
(:mod:`ignite_f1._counts`); ``compute`` sums the counts across processes and lets scikit-learn do the
arithmetic (:mod:`ignite_f1._scores`).
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ignite.distributed as idist
import numpy as np
import torch
from ignite.engine import Engine
from ignite.exceptions import NotComputableError
from ignite.metrics import Metric
from ignite.metrics.metric import EpochWise, MetricUsage, reinit__is_reduced

from ignite_f1 import _counts, _curves, _inputs, _scores, _validation

__all__ = [
    "BinaryF1Score",
    "BinaryFBetaScore",
    "MulticlassF1Score",
    "MulticlassFBetaScore",
    "MultilabelF1Score",
    "MultilabelFBetaScore",
]

PerClass = torch.Tensor | dict[str, float]
Result = float | PerClass


_THRESHOLD_NAMES = frozenset({"num_thresholds", "curve", "best_threshold"})


def _identity(output: Any) -> Any:
    return output


def _copied(value: Any) -> Any:
    """``value`` with every tensor in its dicts and lists cloned (Ignite hands out the live ones)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):  # OrderedDict included
        return type(value)((key, _copied(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(item) for item in value)
    return value


# engine -> {name: (metric, usage)} of the metrics attached by CountingMetric.attach (weak: an engine
# that is garbage collected takes its entries with it; a metric holds no reference to its engine)
_ATTACHED: weakref.WeakKeyDictionary[Engine, dict[str, tuple[Any, str | MetricUsage]]] = (
    weakref.WeakKeyDictionary()
)


def attached_metric(engine: Engine, name: str) -> _CountingMetric | None:
    """The ignite_f1 metric attached to ``engine`` under ``name``, or ``None``.

    Ignite keeps no public registry of attached metrics; the ignite_f1 metrics record themselves
    in :meth:`~_CountingMetric.attach` (and forget in ``detach``), so handlers can find a metric by
    the name its score has in ``engine.state.metrics``. A metric of another library, or one
    attached under another name, gives ``None``.

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


def _kept_histogram(metric: BinaryFBetaScore | MultilabelFBetaScore) -> torch.Tensor:
    """The threshold histogram summed over processes (see :mod:`ignite_f1._curves`)."""
    if metric.num_thresholds is None:
        raise ValueError(
            f"{type(metric).__name__}.curve() and best_threshold() need the metric built with "
            "`num_thresholds` (an integer >= 2), got num_thresholds=None."
        )
    histogram = metric._reduced()["_threshold_counts"]
    metric._check_computable(histogram.sum())
    return histogram


class _CountingMetric(Metric):
    """Shared machinery: int64 counts on ``device``, summed across processes by ``compute()``.

    In a distributed run ``compute()`` is the one collective call (every process makes it, as Ignite
    does at ``EPOCH_COMPLETED``): it sums the counts across processes and keeps the sums on the CPU.
    :meth:`confusion_matrix`, :meth:`report` and the threshold curves read what it kept, so a handler
    that runs on one process only never starts a collective call. In a single process they read the
    live counts.
    """

    _state_dict_all_req_keys: tuple[str, ...] = ()
    _scores_in_unit_interval: bool | None = None  # see _note_scores; not part of the state dict

    def __init__(
        self,
        beta: float,
        zero_division: Any,
        output_transform: Callable[[Any], Any],
        device: str | torch.device,
        validate_args: bool,
    ) -> None:
        self.beta = _validation.check_beta(beta)
        self.zero_division = _validation.check_zero_division(zero_division)
        self.validate_args = _validation.check_bool("validate_args", validate_args)
        self._reduced_state: dict[str, torch.Tensor] | None = None
        # "named": a per-class dict stays under the metric's name in engine.state.metrics; spread
        # into it (Ignite's default), a class called like another metric would overwrite that one.
        super().__init__(output_transform=output_transform, device=device, metrics_result_mode="named")

    def __getattr__(self, name: str) -> Any:
        # Ignite answers any unknown attribute with a MetricsLambda factory, and building one
        # resets this metric: a typo such as ``metric.reprot()`` would silently wipe the counts.
        if name.startswith("__") and name.endswith("__"):
            return super().__getattr__(name)
        hint = (
            ": threshold curves belong to the binary and multilabel metrics (built with `num_thresholds`)"
            if name in _THRESHOLD_NAMES
            else ""
        )
        raise AttributeError(f"{type(self).__name__} has no `{name}`{hint}.")

    def _zeros(self, *shape: int, dtype: torch.dtype = torch.int64) -> torch.Tensor:
        return torch.zeros(shape, dtype=dtype, device=self._device)

    def _reduced(self, collective: bool = False) -> dict[str, torch.Tensor]:
        """The counts summed over all processes, as CPU tensors.

        Single process: the live counts. Distributed: with ``collective`` (``compute()``), every
        process sums the counts and keeps the sums; without it, the sums kept by the last
        ``compute()``, which must have come after the last update.
        """
        if idist.get_world_size() == 1:
            if self._reduced_state is None:
                self._reduced_state = {
                    name: getattr(self, name).detach().cpu().clone() for name in self._state_dict_all_req_keys
                }
        elif collective:
            summed = {}
            for name in self._state_dict_all_req_keys:
                total = idist.all_reduce(getattr(self, name).detach().clone())
                assert isinstance(total, torch.Tensor)
                summed[name] = total.cpu()
            self._reduced_state = summed
        elif self._reduced_state is None:
            raise RuntimeError(
                f"{type(self).__name__} has not been computed since its last update. In a distributed "
                "run every process must call compute() first (Ignite does it for an attached metric); "
                "confusion_matrix(), report() and the curves read the counts summed then and never "
                "start a collective call themselves."
            )
        return self._reduced_state

    def _check_computable(self, num_samples: torch.Tensor) -> None:
        if int(num_samples) == 0:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )

    # ---- attaching: recorded for attached_metric()

    def attach(self, engine: Engine, name: str, usage: str | MetricUsage = EpochWise.usage_name) -> None:
        """Attach to ``engine`` as Ignite's ``Metric.attach`` does, and record it for :func:`attached_metric`.

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
        super().attach(engine, name, usage)
        _ATTACHED.setdefault(engine, {})[name] = (self, usage)

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
        super().detach(engine, usage)
        names = _ATTACHED.get(engine, {})
        for name, (metric, kept) in list(names.items()):
            if metric is self and not self.is_attached(engine, kept):
                del names[name]

    # ---- the protocol: what handlers (TensorBoard) read, for every metric alike

    def _class_count(self) -> int:
        """K: the number of classes (2 for binary), or of labels."""
        raise NotImplementedError

    def _sample_count(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        """How many samples the kept counts ``state`` hold (0: not computable)."""
        raise NotImplementedError

    def _class_counts(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        """(3, K) true, predicted and actual positives per class from the kept counts ``state``."""
        raise NotImplementedError

    def per_class_counts(self) -> torch.Tensor:
        """True positives, predicted positives and actual positives of each class, int64 (3, K).

        K is 2 for the binary metrics (classes 0 and 1), C for multi-class, L for multilabel. The
        counts are summed over processes (in a distributed run, the sums kept by the last
        ``compute()``, as :meth:`confusion_matrix` reads them), as a CPU tensor the caller owns.
        :func:`ignite_f1._scores.per_class_prf` turns them into precision, recall and F-beta.

        Raises:
            NotComputableError: no sample since the last :meth:`reset`.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MulticlassF1Score
            >>> metric = MulticlassF1Score(3)
            >>> metric.update((torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2])))
            >>> metric.per_class_counts()  # rows: tp, predicted, actual
            tensor([[1, 1, 1],
                    [1, 2, 1],
                    [1, 1, 2]])
        """
        state = self._reduced()
        self._check_computable(self._sample_count(state))
        return self._class_counts(state).clone()

    def scored_classes(self) -> list[int]:
        """The class indices that results and :meth:`report` cover: all K (0 .. K-1).

        Examples:
            >>> from ignite_f1 import MultilabelF1Score
            >>> MultilabelF1Score(3, from_logits=False).scored_classes()
            [0, 1, 2]
        """
        return list(range(self._class_count()))

    def class_display_names(self) -> list[str]:
        """The K class names: ``class_names`` when given, else ``"0"`` .. ``"K-1"``.

        Examples:
            >>> from ignite_f1 import BinaryF1Score, MulticlassF1Score
            >>> BinaryF1Score(from_logits=False).class_display_names()
            ['0', '1']
            >>> MulticlassF1Score(2, class_names=["cat", "dog"]).class_display_names()
            ['cat', 'dog']
        """
        names = vars(self).get("class_names")
        return [str(i) for i in range(self._class_count())] if names is None else list(names)

    def threshold_histogram(self) -> torch.Tensor | None:
        """The kept threshold histogram summed over processes, or ``None`` without ``num_thresholds``.

        int64 (2, T) for a binary metric, (2, L, T) for a multilabel one: row 0 counts the negative,
        row 1 the positive samples whose highest reached threshold is ``i / (T - 1)`` (see
        :mod:`ignite_f1._curves`). Multi-class metrics keep none (always ``None``).

        Raises:
            NotComputableError: built with ``num_thresholds`` but no sample since the last :meth:`reset`.

        Examples:
            >>> import torch
            >>> from ignite_f1 import BinaryF1Score
            >>> metric = BinaryF1Score(from_logits=False, num_thresholds=3)  # thresholds 0, 0.5, 1
            >>> metric.update((torch.tensor([0.2, 0.6, 1.0]), torch.tensor([0, 1, 1])))
            >>> metric.threshold_histogram()  # negatives: 0.2 in [0, 0.5); positives: 0.6, 1.0
            tensor([[1, 0, 0],
                    [0, 1, 1]])
            >>> BinaryF1Score(from_logits=False).threshold_histogram() is None
            True
        """
        if vars(self).get("num_thresholds") is None:
            return None
        return _kept_histogram(self).clone()  # type: ignore[arg-type]

    # ---- the probability warning of the binary and multilabel metrics (from_logits=True)

    def _note_scores(self, in_unit_interval: bool | None) -> None:
        """Keep whether every float score since :meth:`reset` lay in [0, 1] (``None``: none seen)."""
        if in_unit_interval is not None:
            self._scores_in_unit_interval = in_unit_interval and self._scores_in_unit_interval is not False

    def _warn_if_probabilities(self) -> None:
        """Warn once per ``compute()`` when logits were asked for and every score looked like a probability.

        Part of ``compute()``'s collective call in a distributed run: the processes' flags are summed
        there, so every process warns when at least one saw float scores and none saw a score
        outside [0, 1]. Without validation no score is read, so nothing is known and nothing is said.
        """
        if not (getattr(self, "from_logits", False) and self.validate_args):
            return
        seen = self._scores_in_unit_interval
        flags = torch.tensor([seen is True, seen is False], dtype=torch.int64, device=self._device)
        if idist.get_world_size() > 1:
            summed = idist.all_reduce(flags)
            assert isinstance(summed, torch.Tensor)
            flags = summed
        only_in_unit_interval, outside = flags.tolist()
        if only_in_unit_interval and not outside:
            threshold = getattr(self, "threshold", 0.5)
            warnings.warn(
                f"{type(self).__name__} was built with from_logits=True, but every score since reset() lay "
                f"in [0, 1]: the scores look like probabilities (after a sigmoid), which are being compared "
                f"as logits with logit({threshold}) = {_inputs.logit_threshold(threshold)!r}, so nearly all "
                "count as positive. If they are probabilities, build the metric with from_logits=False.",
                UserWarning,
                stacklevel=3,
            )

    # ---- state: copies out, checked copies in

    def state_dict(self) -> OrderedDict[str, Any]:
        """Ignite's state dict of the counts, holding copies: a later update does not change it.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MulticlassF1Score
            >>> metric = MulticlassF1Score(3)
            >>> metric.update((torch.tensor([0, 1, 1]), torch.tensor([0, 1, 2])))
            >>> saved = metric.state_dict()
            >>> metric.update((torch.tensor([2]), torch.tensor([2])))
            >>> restored = MulticlassF1Score(3)
            >>> restored.load_state_dict(saved)
            >>> int(restored.confusion_matrix().sum())  # the snapshot holds the first 3 samples only
            3
        """
        copied: OrderedDict[str, Any] = _copied(super().state_dict())
        return copied

    def _configuration(self) -> str:
        names = ("num_classes", "num_labels", "num_thresholds")
        return ", ".join(f"{name}={getattr(self, name)}" for name in names if name in vars(self))

    def load_state_dict(self, state_dict: Any) -> None:
        """Replace the counts with those of ``state_dict`` (from :meth:`state_dict`), all or nothing.

        The counts are checked against this metric's configuration (their names, shapes and dtypes;
        counts are int64 >= 0, sums finite and >= 0) and copied, so one dict loaded into two
        metrics gives each its own counts.

        Raises:
            TypeError: ``state_dict`` is not a mapping.
            ValueError: it is not a state dict of a metric configured like this one; the metric is
                then left as it was.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MulticlassF1Score
            >>> source = MulticlassF1Score(3)
            >>> source.update((torch.tensor([0, 1, 1]), torch.tensor([0, 1, 2])))
            >>> MulticlassF1Score(4).load_state_dict(source.state_dict())
            Traceback (most recent call last):
                ...
            ValueError: Argument `state_dict` entry `_cm` must have shape (4, 4) for this ... got (3, 3).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Argument `state_dict` must be a mapping from {type(self).__name__}.state_dict(), "
                f"got {type(state_dict).__name__}."
            )
        names = self._state_dict_all_req_keys
        current = {name: getattr(self, name) for name in names}
        try:
            # Ignite checks the layout and sets the attributes: read them, then put ours back
            super().load_state_dict(state_dict)
            loaded = {name: getattr(self, name) for name in names}
            entries = next(iter(state_dict.values()))[idist.get_rank()]  # the layout Ignite just checked
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise ValueError(
                f"Argument `state_dict` must be a state dict from {type(self).__name__}.state_dict() of a "
                f"metric configured like this one ({self._configuration()}), got one Ignite refuses: {error}"
            ) from None
        finally:
            for name, value in current.items():
                setattr(self, name, value)
        self._check_loaded(entries, loaded, current)
        for name in names:
            setattr(self, name, loaded[name].detach().to(self._device, copy=True))
        self._reduced_state = None
        self._scores_in_unit_interval = None

    def _check_loaded(
        self, entries: Mapping[str, Any], loaded: dict[str, Any], current: dict[str, torch.Tensor]
    ) -> None:
        who = f"this {type(self).__name__} ({self._configuration()})"
        extra = sorted(str(key) for key in entries if key not in current)
        if extra:
            raise ValueError(
                f"Argument `state_dict` must hold only the entries {list(current)} of {who}, "
                f"got the extra entries {extra}."
            )
        for name, value in loaded.items():
            expected = current[name]
            entry = f"Argument `state_dict` entry `{name}`"
            if not isinstance(value, torch.Tensor):
                raise ValueError(f"{entry} must be a torch.Tensor, got {type(value).__name__}.")
            if value.shape != expected.shape:
                raise ValueError(
                    f"{entry} must have shape {tuple(expected.shape)} for {who}, got {tuple(value.shape)}."
                )
            if value.dtype != expected.dtype:
                raise ValueError(f"{entry} must have dtype {expected.dtype}, got {value.dtype}.")
            if value.numel() == 0:
                continue
            if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                raise ValueError(f"{entry} must hold finite sums, got {value.tolist()}.")
            smallest = value.min().item()
            if smallest < 0:
                kind = "sums" if value.is_floating_point() else "counts"
                raise ValueError(f"{entry} must hold {kind} >= 0, got a value of {smallest!r}.")


# --------------------------------------------------------------------------- binary


class BinaryFBetaScore(_CountingMetric):
    """F-beta score of a binary classifier, exactly as ``sklearn.metrics.fbeta_score(average="binary")``.

    Accumulates the 2 x 2 confusion matrix of every batch (constant memory, on ``device``) and lets
    scikit-learn compute the score from it at the end of the epoch.

    Args:
        beta: weight of recall against precision, a finite real > 0 (``beta=1`` is F1).
        threshold: a sample is positive when its probability is ``>= threshold`` (in [0, 1]).
        from_logits: float ``y_pred`` are logits (compared with ``logit(threshold)``, no sigmoid
            is computed) when True, probabilities in [0, 1] when False.
        zero_division: value when F-beta is undefined (no positive target and no positive
            prediction): ``"warn"`` (0.0 with an ``UndefinedMetricWarning``), 0.0, 1.0 or ``nan``.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: where the counts live.
        validate_args: check every batch (one host synchronisation per batch). ``False`` skips the
            checks and that synchronisation; it is **unsafe**: invalid input then gives wrong
            counts silently.
        num_thresholds: ``None``, or an integer T >= 2: also keep, for the T evenly spaced
            probability thresholds ``i / (T - 1)`` (0 and 1 included), the counts of positive and
            negative samples scored at or above each one, for :meth:`curve` and
            :meth:`best_threshold` (constant memory, summed across processes). ``compute()`` is
            unchanged.

    Inputs (``update((y_pred, y))``):
        ``y_pred``: float scores (N,), (N, 1) or (N, ...), or integer / bool 0-1 labels.
        ``y``: 0/1 targets (integer, bool or integral float) of the same shape.

    Returns:
        ``compute()`` returns a Python float.

    Notes:
        The threshold is compared in the dtype of ``y_pred``, as ``y_pred >= threshold`` is in
        torch: in float32, 0.7 is 0.69999998, so a probability equal to ``float32(0.7)`` counts as
        positive at ``threshold=0.7``. Only scores exactly at the rounded threshold are affected.

        With ``from_logits=True``, ``compute()`` emits one ``UserWarning`` when every float score
        since :meth:`reset` lay in [0, 1]: such scores look like probabilities, which compared as
        logits would nearly all count as positive. The check reads the minimum and maximum that
        validation reduces anyway, so there is no warning with ``validate_args=False``; integer and
        bool ``y_pred`` are labels and do not count. In a distributed run the processes' findings are
        combined in ``compute()``'s collective call: every process warns when none saw a score
        outside [0, 1].

    Examples:
        >>> import torch
        >>> from sklearn.metrics import fbeta_score
        >>> from ignite_f1 import BinaryFBetaScore
        >>> metric = BinaryFBetaScore(beta=2.0, from_logits=True)
        >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0, 1.0])
        >>> y = torch.tensor([1, 1, 0, 0, 1])
        >>> metric.update((logits[:3], y[:3]))
        >>> metric.update((logits[3:], y[3:]))
        >>> round(metric.compute(), 4)
        0.6667
        >>> metric.compute() == fbeta_score(y.numpy(), (logits >= 0).numpy(), beta=2.0)
        True
        >>> metric.confusion_matrix()
        tensor([[1, 1],
                [1, 2]])
    """

    _state_dict_all_req_keys: tuple[str, ...] = ("_cm",)

    def __init__(
        self,
        beta: float,
        *,
        from_logits: bool = _validation.REQUIRED,
        threshold: float = 0.5,
        zero_division: Any = "warn",
        output_transform: Callable[[Any], Any] = _identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        num_thresholds: int | None = None,
    ) -> None:
        self.threshold = _validation.check_threshold(threshold)
        self.from_logits = _validation.check_from_logits(from_logits, type(self).__name__)
        self.num_thresholds = _curves.check_num_thresholds(num_thresholds)
        if self.num_thresholds is not None:
            self._boundaries = _curves.score_boundaries(self.num_thresholds, self.from_logits)
            self._state_dict_all_req_keys = ("_cm", "_threshold_counts")
        super().__init__(beta, zero_division, output_transform, device, validate_args)

    @reinit__is_reduced
    def reset(self) -> None:
        """Set the counts to zero (Ignite calls it when each evaluation starts).

        Examples:
            >>> import torch
            >>> from ignite_f1 import BinaryFBetaScore
            >>> metric = BinaryFBetaScore(beta=1.0, from_logits=False)
            >>> metric.update((torch.tensor([0.9, 0.2, 0.7]), torch.tensor([1, 0, 0])))
            >>> metric.reset()
            >>> metric.confusion_matrix()  # the 3 samples are forgotten: nothing to count from
            Traceback (most recent call last):
                ...
            ignite.exceptions.NotComputableError: BinaryFBetaScore must have at least one example ...
        """
        self._cm = self._zeros(2, 2)
        if self.num_thresholds is not None:
            self._threshold_counts = self._zeros(2, self.num_thresholds)
        self._scores_in_unit_interval = None
        self._reduced_state = None

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        """Add a batch ``(y_pred, y)``; a rejected batch leaves the counts as they were.

        Args:
            output: ``(y_pred, y)`` as described under "Inputs" in the class docstring.

        Raises:
            TypeError, ValueError: ``output`` is not a pair ``(y_pred, y)`` (a third element, such as
                sample weights, is refused), or a tensor of the wrong type, shape or values.

        Examples:
            >>> import torch
            >>> from ignite_f1 import BinaryFBetaScore
            >>> metric = BinaryFBetaScore(beta=1.0, from_logits=False)
            >>> metric.update((torch.tensor([0.9, 0.2, 0.7]), torch.tensor([1, 0, 0])))
            >>> metric.update((torch.tensor([0.4, 0.8]), torch.tensor([1, 1])))
            >>> metric.confusion_matrix()  # both batches: tn 1 (0.2), fp 1 (0.7), fn 1 (0.4), tp 2
            tensor([[1, 1],
                    [1, 2]])
        """
        y_pred, y = _inputs.unpack_output(output)
        pred, target, in_unit_interval = _inputs.format_binary(
            y_pred, y, self.threshold, self.from_logits, self.validate_args
        )
        counts = _counts.binary_counts(pred, target)
        if self.num_thresholds is not None:
            histogram = _curves.threshold_histogram(
                y_pred.reshape(-1), target, self._boundaries, self.from_logits
            )
            self._threshold_counts += histogram.to(self._device)
        self._cm += counts.to(self._device)
        self._note_scores(in_unit_interval)
        self._reduced_state = None

    def _class_count(self) -> int:
        return 2

    def _sample_count(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["_cm"].sum()

    def _class_counts(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return _counts.confusion_class_counts(state["_cm"])

    def compute(self) -> float:
        """The F-beta score of the positive class over all batches (and all processes).

        Raises:
            NotComputableError: no sample since the last :meth:`reset`.

        Examples:
            >>> import torch
            >>> from sklearn.metrics import fbeta_score
            >>> from ignite_f1 import BinaryFBetaScore
            >>> y_prob, y = torch.tensor([0.9, 0.2, 0.7, 0.4, 0.8]), torch.tensor([1, 0, 0, 1, 0])
            >>> metric = BinaryFBetaScore(beta=0.5, from_logits=False)
            >>> metric.update((y_prob, y))
            >>> metric.compute()  # tp 1, fp 2, fn 1: precision 1/3, recall 1/2, F0.5 = 5/14
            0.357...
            >>> metric.compute() == fbeta_score(y.numpy(), (y_prob >= 0.5).numpy(), beta=0.5)
            True
        """
        cm = self._reduced(collective=True)["_cm"]
        self._check_computable(cm.sum())
        self._warn_if_probabilities()
        return _scores.binary_fbeta(cm, self.beta, self.zero_division)

    def confusion_matrix(self) -> torch.Tensor:
        """The counts ``[[tn, fp], [fn, tp]]`` as an int64 CPU tensor (summed over processes).

        Raises:
            NotComputableError: no sample since the last :meth:`reset` (as :meth:`compute`).

        Examples:
            >>> import torch
            >>> from sklearn.metrics import confusion_matrix
            >>> from ignite_f1 import BinaryFBetaScore
            >>> y_prob, y = torch.tensor([0.9, 0.2, 0.7, 0.4, 0.8]), torch.tensor([1, 0, 0, 1, 1])
            >>> metric = BinaryFBetaScore(beta=1.0, from_logits=False)
            >>> metric.update((y_prob, y))
            >>> metric.confusion_matrix()  # tn 1 (0.2), fp 1 (0.7), fn 1 (0.4), tp 2 (0.9, 0.8)
            tensor([[1, 1],
                    [1, 2]])
            >>> expected = confusion_matrix(y.numpy(), (y_prob >= 0.5).numpy())  # scikit-learn's
            >>> metric.confusion_matrix().tolist() == expected.tolist()
            True
        """
        cm = self._reduced()["_cm"]
        self._check_computable(cm.sum())
        return cm.clone()

    def report(self) -> dict[str, Any]:
        """``sklearn.metrics.classification_report(..., output_dict=True)`` over classes 0 and 1.

        Its ``"f1-score"`` entries are F1 whatever ``beta`` is, as scikit-learn's report.

        Raises:
            NotComputableError: no sample since the last :meth:`reset`.

        Examples:
            >>> import torch
            >>> from sklearn.metrics import classification_report
            >>> from ignite_f1 import BinaryFBetaScore
            >>> y_pred, y = torch.tensor([1, 0, 1, 0, 1]), torch.tensor([1, 0, 0, 1, 1])
            >>> metric = BinaryFBetaScore(beta=1.0, from_logits=False)
            >>> metric.update((y_pred, y))
            >>> report = metric.report()
            >>> report["1"]["f1-score"], report["macro avg"]["f1-score"]  # F1 of 1: 2/3, of 0: 1/2
            (0.666..., 0.583...)
            >>> report == classification_report(y.numpy(), y_pred.numpy(), output_dict=True)
            True
        """
        cm = self._reduced()["_cm"]
        self._check_computable(cm.sum())
        return _scores.classification_report_dict(cm, [0, 1], None, self.zero_division)

    def curve(self) -> dict[str, torch.Tensor]:
        """Precision, recall and F-beta of the positive class at each of the ``num_thresholds``.

        A sample is positive at threshold ``t`` when its probability is ``>= t``, compared as
        ``threshold`` is (against ``logit(t)`` for logits). Undefined precision (no predicted
        positive), recall (no positive) or F-beta count as 0.

        Returns:
            float64 tensors of shape (num_thresholds,): ``thresholds`` (``i / (T - 1)``),
            ``precision``, ``recall`` and ``fbeta``.

        Raises:
            ValueError: the metric was built without ``num_thresholds``.
            NotComputableError: no sample yet.

        Examples:
            >>> import torch
            >>> from ignite_f1 import BinaryF1Score
            >>> metric = BinaryF1Score(from_logits=False, num_thresholds=5)
            >>> metric.update((torch.tensor([0.1, 0.4, 0.35, 0.8, 0.7]), torch.tensor([0, 0, 1, 1, 1])))
            >>> curve = metric.curve()
            >>> curve["thresholds"]
            tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000], dtype=torch.float64)
            >>> curve["precision"]  # at 0.25: 3 true and 1 false positives
            tensor([0.6000, 0.7500, 1.0000, 1.0000, 0.0000], dtype=torch.float64)
            >>> curve["fbeta"][2] == metric.compute()  # threshold 0.5 is the metric's own
            tensor(True)
        """
        return _curves.curve(_kept_histogram(self), self.beta)

    def best_threshold(self) -> tuple[float, float]:
        """The threshold of :meth:`curve` with the highest F-beta (the lowest on ties), and that F-beta.

        Raises:
            ValueError: the metric was built without ``num_thresholds``.
            NotComputableError: no sample yet.

        Examples:
            >>> import torch
            >>> from ignite_f1 import BinaryF1Score
            >>> metric = BinaryF1Score(from_logits=False, num_thresholds=5)
            >>> metric.update((torch.tensor([0.1, 0.4, 0.35, 0.8, 0.7]), torch.tensor([0, 0, 1, 1, 1])))
            >>> metric.best_threshold()  # 3 tp, 1 fp, 0 fn: F1 = 6 / 7
            (0.25, 0.857...)
        """
        best, score = _curves.best_threshold(self.curve())
        return float(best), float(score)


class BinaryF1Score(BinaryFBetaScore):
    """F1 score of a binary classifier: :class:`BinaryFBetaScore` with ``beta=1``.

    Args:
        threshold: a sample is positive when its probability is ``>= threshold``.
        from_logits: float ``y_pred`` are logits when True, probabilities when False.
        zero_division: ``"warn"``, 0.0, 1.0 or ``nan``, as in scikit-learn.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: where the counts live.
        validate_args: check every batch; ``False`` is unsafe (see :class:`BinaryFBetaScore`).
        num_thresholds: ``None`` or T >= 2: keep counts at T thresholds for :meth:`~BinaryFBetaScore.curve`.

    Examples:
        >>> import torch
        >>> from ignite.engine import Engine
        >>> from ignite_f1 import BinaryF1Score
        >>> batches = [(torch.tensor([0.9, 0.2, 0.7]), torch.tensor([1, 0, 0])),
        ...            (torch.tensor([0.4, 0.8]), torch.tensor([1, 1]))]
        >>> evaluator = Engine(lambda engine, batch: batch)
        >>> BinaryF1Score(from_logits=False).attach(evaluator, "f1")
        >>> evaluator.run(batches).metrics["f1"]
        0.666...
    """

    def __init__(
        self,
        *,
        from_logits: bool = _validation.REQUIRED,
        threshold: float = 0.5,
        zero_division: Any = "warn",
        output_transform: Callable[[Any], Any] = _identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        num_thresholds: int | None = None,
    ) -> None:
        super().__init__(
            beta=1.0,
            from_logits=from_logits,
            threshold=threshold,
            zero_division=zero_division,
            output_transform=output_transform,
            device=device,
            validate_args=validate_args,
            num_thresholds=num_thresholds,
        )


# --------------------------------------------------------------------------- multi-class


class MulticlassFBetaScore(_CountingMetric):
    """Multi-class F-beta score, exactly as ``sklearn.metrics.fbeta_score`` on all the epoch's data.

    Accumulates the C x C confusion matrix (rows: true class) with O(batch) work per batch and lets
    scikit-learn compute the score at the end of the epoch.

    Args:
        beta: weight of recall against precision, a finite real > 0.
        num_classes: number of classes C (>= 2).
        average: ``"micro"``, ``"macro"`` (default), ``"weighted"`` or ``None`` (one score per class).
        labels: classes to score and average over (class indices). ``None`` follows scikit-learn:
            averages count the classes present in targets or predictions, and ``average=None``
            gives all classes 0..C-1.
        ignore_index: targets equal to it are skipped (with their predictions), as in segmentation.
        zero_division: value of an undefined score: ``"warn"`` (0.0 with an
            ``UndefinedMetricWarning``), 0.0, 1.0 or ``nan`` (left out of averages).
        class_names: C distinct names; ``average=None`` then returns a ``{name: score}`` dict and
            :meth:`report` is keyed by them.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: where the counts live.
        validate_args: check every batch (one host synchronisation per batch); ``False`` is unsafe:
            invalid input then gives wrong counts or an indexing error.

    Inputs (``update((y_pred, y))``):
        ``y_pred``: float scores (N, C) or (N, C, d1, ...) (the arg-max is taken, first index on
        ties), or integer labels of the shape of ``y``. ``y``: integer labels (N,) or (N, d1, ...).

    Returns:
        ``compute()``: a Python float when averaged; with ``average=None`` a float64 tensor (one
        value per class, or per entry of ``labels``), or a dict with ``class_names``.

    Notes:
        The F-beta of an epoch is computed from the counts of the whole epoch: it is not the mean of
        per-batch scores. A class with no true sample and no prediction has an undefined score.

    Examples:
        >>> import torch
        >>> from sklearn.metrics import fbeta_score
        >>> from ignite_f1 import MulticlassFBetaScore
        >>> metric = MulticlassFBetaScore(beta=0.5, num_classes=3, average="weighted")
        >>> scores = torch.tensor([[2.0, 0.1, 0.3], [0.2, 1.5, 0.1], [0.1, 0.2, 3.0], [1.0, 0.5, 0.2]])
        >>> y = torch.tensor([0, 2, 2, 1])
        >>> metric.update((scores, y))
        >>> metric.compute() == fbeta_score(y.numpy(), scores.argmax(1).numpy(), beta=0.5, average="weighted")
        True
        >>> metric.confusion_matrix()
        tensor([[1, 0, 0],
                [1, 0, 0],
                [0, 1, 1]])
    """

    _state_dict_all_req_keys = ("_cm",)

    def __init__(
        self,
        beta: float,
        num_classes: int,
        average: str | None = "macro",
        labels: Sequence[int] | None = None,
        ignore_index: int | None = None,
        zero_division: Any = "warn",
        class_names: Sequence[str] | None = None,
        output_transform: Callable[[Any], Any] = _identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
    ) -> None:
        num_classes = _validation.check_count("num_classes", num_classes)
        self.num_classes = _validation.check_confusion_size(num_classes)
        self.average = _validation.check_average(average, _validation.AVERAGES_MULTICLASS)
        self.labels = _validation.check_labels(labels, self.num_classes)
        self.ignore_index = _validation.check_ignore_index(ignore_index)
        self.class_names = _validation.check_class_names(class_names, self.num_classes, "num_classes")
        super().__init__(beta, zero_division, output_transform, device, validate_args)

    @reinit__is_reduced
    def reset(self) -> None:
        """Set the counts to zero (Ignite calls it when each evaluation starts).

        Examples:
            >>> import torch
            >>> from ignite_f1 import MulticlassFBetaScore
            >>> metric = MulticlassFBetaScore(beta=1.0, num_classes=3)
            >>> metric.update((torch.tensor([0, 1, 1]), torch.tensor([0, 1, 2])))
            >>> metric.reset()
            >>> metric.compute()  # the 3 samples are forgotten: nothing to compute from
            Traceback (most recent call last):
                ...
            ignite.exceptions.NotComputableError: MulticlassFBetaScore must have at least one example ...
        """
        try:
            self._cm = self._zeros(self.num_classes, self.num_classes)
        except RuntimeError as error:  # the allocator's refusal (torch.OutOfMemoryError is one)
            raise ValueError(
                _validation.matrix_too_large(self.num_classes, f"the allocator refused: {error}")
            ) from None
        self._reduced_state = None

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        """Add a batch ``(y_pred, y)``; a rejected batch leaves the counts as they were.

        Args:
            output: ``(y_pred, y)`` as described under "Inputs" in the class docstring.

        Raises:
            TypeError, ValueError: ``output`` is not a pair ``(y_pred, y)`` (a third element, such as
                sample weights, is refused), or a tensor of the wrong type, shape or values.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MulticlassFBetaScore
            >>> metric = MulticlassFBetaScore(beta=1.0, num_classes=3, ignore_index=-1)
            >>> scores = torch.tensor([[2.0, 0.1, 0.3], [0.2, 1.5, 0.1], [0.1, 0.2, 3.0]])  # arg-max 0, 1, 2
            >>> metric.update((scores, torch.tensor([0, 2, -1])))  # the third sample is ignored
            >>> metric.update((torch.tensor([2, 2]), torch.tensor([2, 1])))  # labels work too
            >>> metric.confusion_matrix()  # (true, predicted): (0, 0), (2, 1), (2, 2), (1, 2)
            tensor([[1, 0, 0],
                    [0, 0, 1],
                    [0, 1, 1]])
        """
        y_pred, y = _inputs.unpack_output(output)
        target, pred = _inputs.format_multiclass(
            y_pred, y, self.num_classes, self.ignore_index, self.validate_args
        )
        _counts.add_confusion(self._cm, target, pred)
        self._reduced_state = None

    def _class_count(self) -> int:
        return self.num_classes

    def _sample_count(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["_cm"].sum()

    def _class_counts(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return _counts.confusion_class_counts(state["_cm"])

    def scored_classes(self) -> list[int]:
        """The class indices that results and :meth:`report` cover: ``labels`` when given, else all C.

        Examples:
            >>> from ignite_f1 import MulticlassF1Score
            >>> MulticlassF1Score(4, labels=[2, 0]).scored_classes(), MulticlassF1Score(3).scored_classes()
            ([2, 0], [0, 1, 2])
        """
        return super().scored_classes() if self.labels is None else list(self.labels)

    def _per_class(self, values: np.ndarray) -> PerClass:
        if self.class_names is None:
            return torch.as_tensor(values, dtype=torch.float64)
        return {self.class_names[c]: float(v) for c, v in zip(self.scored_classes(), values, strict=True)}

    def compute(self) -> Result:
        """The F-beta score over all batches (and all processes); see the class docstring.

        Raises:
            NotComputableError: no sample since the last :meth:`reset`.

        Examples:
            >>> import torch
            >>> from sklearn.metrics import fbeta_score
            >>> from ignite_f1 import MulticlassFBetaScore
            >>> y_pred, y = torch.tensor([0, 1, 1, 2, 2, 0]), torch.tensor([0, 1, 2, 2, 2, 1])
            >>> metric = MulticlassFBetaScore(beta=2.0, num_classes=3, average=None)
            >>> metric.update((y_pred, y))
            >>> metric.compute()  # tp 1/1/2, fp 1/1/0, fn 0/1/1; F2 = 5 tp / (5 tp + 4 fn + fp)
            tensor([0.8333, 0.5000, 0.7143], dtype=torch.float64)
            >>> expected = fbeta_score(y.numpy(), y_pred.numpy(), beta=2.0, average=None)
            >>> metric.compute().tolist() == expected.tolist()
            True
        """
        cm = self._reduced(collective=True)["_cm"]
        self._check_computable(cm.sum())
        result = _scores.multiclass_fbeta(cm, self.beta, self.average, self.labels, self.zero_division)
        return result if isinstance(result, float) else self._per_class(result)

    def confusion_matrix(self) -> torch.Tensor:
        """The C x C counts (rows: true class, columns: predicted) as an int64 CPU tensor.

        Raises:
            NotComputableError: no sample since the last :meth:`reset` (as :meth:`compute`).

        Examples:
            >>> import torch
            >>> from sklearn.metrics import confusion_matrix
            >>> from ignite_f1 import MulticlassFBetaScore
            >>> y_pred, y = torch.tensor([0, 1, 1, 2, 2, 0]), torch.tensor([0, 1, 2, 2, 2, 1])
            >>> metric = MulticlassFBetaScore(beta=1.0, num_classes=3)
            >>> metric.update((y_pred, y))
            >>> metric.confusion_matrix()  # row 1: one true 1 predicted 0, one predicted 1
            tensor([[1, 0, 0],
                    [1, 1, 0],
                    [0, 1, 2]])
            >>> metric.confusion_matrix().tolist() == confusion_matrix(y.numpy(), y_pred.numpy()).tolist()
            True
        """
        cm = self._reduced()["_cm"]
        self._check_computable(cm.sum())
        return cm.clone()

    def report(self) -> dict[str, Any]:
        """``classification_report(..., output_dict=True)`` over ``labels`` (default: all classes).

        Keyed by ``class_names`` when given, else by the class indices as strings. Its
        ``"f1-score"`` entries are F1 whatever ``beta`` is, as scikit-learn's report.

        Raises:
            NotComputableError: no sample since the last :meth:`reset`.

        Examples:
            >>> import torch
            >>> from sklearn.metrics import classification_report
            >>> from ignite_f1 import MulticlassFBetaScore
            >>> y_pred, y = torch.tensor([0, 1, 1, 2, 2, 0]), torch.tensor([0, 1, 2, 2, 2, 1])
            >>> metric = MulticlassFBetaScore(beta=1.0, num_classes=3, class_names=["cat", "dog", "owl"])
            >>> metric.update((y_pred, y))
            >>> report = metric.report()
            >>> report["owl"]["recall"], report["macro avg"]["f1-score"]  # owl: tp 2, fn 1
            (0.666..., 0.655...)
            >>> report == classification_report(y.numpy(), y_pred.numpy(), target_names=["cat", "dog", "owl"],
            ...                                 output_dict=True)
            True
        """
        cm = self._reduced()["_cm"]
        self._check_computable(cm.sum())
        labels = self.scored_classes()
        names = None if self.class_names is None else [self.class_names[c] for c in labels]
        return _scores.classification_report_dict(cm, labels, names, self.zero_division)


class MulticlassF1Score(MulticlassFBetaScore):
    """Multi-class F1 score: :class:`MulticlassFBetaScore` with ``beta=1``.

    Args:
        num_classes: number of classes C (>= 2).
        average: ``"micro"``, ``"macro"``, ``"weighted"`` or ``None``.
        labels: classes to score (``None``: scikit-learn's rule).
        ignore_index: targets equal to it are skipped.
        zero_division: ``"warn"``, 0.0, 1.0 or ``nan``.
        class_names: C distinct names for per-class results and the report.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: where the counts live.
        validate_args: check every batch; ``False`` is unsafe.

    Examples:
        >>> import torch
        >>> from ignite.engine import Engine
        >>> from ignite_f1 import MulticlassF1Score
        >>> y_pred = torch.tensor([0, 1, 1, 2, 2, 0])
        >>> y = torch.tensor([0, 1, 2, 2, 2, 1])  # per class: tp 1/1/2, fp 1/1/0, fn 0/1/1
        >>> evaluator = Engine(lambda engine, batch: batch)
        >>> MulticlassF1Score(3).attach(evaluator, "f1")
        >>> per_class = MulticlassF1Score(3, average=None, class_names=["cat", "dog", "owl"])
        >>> per_class.attach(evaluator, "per_class")
        >>> state = evaluator.run([(y_pred[:3], y[:3]), (y_pred[3:], y[3:])])
        >>> round(state.metrics["f1"], 4)
        0.6556
        >>> state.metrics["per_class"]
        {'cat': 0.666..., 'dog': 0.5, 'owl': 0.8}
    """

    def __init__(
        self,
        num_classes: int,
        average: str | None = "macro",
        labels: Sequence[int] | None = None,
        ignore_index: int | None = None,
        zero_division: Any = "warn",
        class_names: Sequence[str] | None = None,
        output_transform: Callable[[Any], Any] = _identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
    ) -> None:
        super().__init__(
            beta=1.0,
            num_classes=num_classes,
            average=average,
            labels=labels,
            ignore_index=ignore_index,
            zero_division=zero_division,
            class_names=class_names,
            output_transform=output_transform,
            device=device,
            validate_args=validate_args,
        )


# --------------------------------------------------------------------------- multilabel


class MultilabelFBetaScore(_CountingMetric):
    """Multilabel F-beta score, exactly as ``sklearn.metrics.fbeta_score`` on indicator matrices.

    Keeps per-label counts (true positives, predicted and actual positives) and, for the
    ``"samples"`` average, running float64 sums of the per-sample scores: constant memory. Every
    average equals scikit-learn's to the last bit except ``"samples"``, whose float sums run in
    another order (per batch, per process) and agree to 1e-12 (relative).

    Args:
        beta: weight of recall against precision, a finite real > 0.
        num_labels: number of labels L (>= 2).
        threshold: a label is predicted when its probability is ``>= threshold``.
        from_logits: float ``y_pred`` are logits when True, probabilities in [0, 1] when False.
        average: ``"micro"``, ``"macro"`` (default), ``"weighted"``, ``"samples"`` or ``None``.
        zero_division: ``"warn"``, 0.0, 1.0 or ``nan``, as in scikit-learn.
        class_names: L distinct label names; ``average=None`` then returns a dict.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: where the counts live.
        validate_args: check every batch (one host synchronisation); ``False`` is unsafe.
        num_thresholds: ``None``, or an integer T >= 2: also keep, per label and for the T evenly
            spaced probability thresholds ``i / (T - 1)``, the counts of positive and negative
            samples scored at or above each one, for :meth:`curve` and :meth:`best_threshold`
            (constant memory, summed across processes). ``compute()`` is unchanged.

    Inputs (``update((y_pred, y))``):
        ``y_pred``: float scores (N, L) or 0/1 integer / bool labels; ``y``: 0/1 targets (N, L).

    Returns:
        ``compute()``: a Python float when averaged; with ``average=None`` a float64 tensor with one
        value per label, or a ``{name: score}`` dict with ``class_names``.

    Notes:
        With ``from_logits=True``, ``compute()`` warns when every score looked like a probability,
        as :class:`BinaryFBetaScore` does (only with ``validate_args=True``).

    Examples:
        >>> import torch
        >>> from sklearn.metrics import fbeta_score
        >>> from ignite_f1 import MultilabelFBetaScore
        >>> y_pred = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
        >>> y = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 0]])
        >>> metric = MultilabelFBetaScore(beta=2.0, num_labels=3, from_logits=False, average="samples",
        ...                               zero_division=1.0)
        >>> metric.update((y_pred, y))
        >>> metric.compute() == fbeta_score(y.numpy(), y_pred.numpy(), beta=2.0, average="samples",
        ...                                 zero_division=1.0)
        True
        >>> metric.confusion_matrix()[0]
        tensor([[2, 0],
                [0, 2]])
    """

    _state_dict_all_req_keys: tuple[str, ...] = (
        "_label_counts",
        "_num_samples",
        "_sample_sums",
        "_sample_defined",
    )

    def __init__(
        self,
        beta: float,
        num_labels: int,
        *,
        from_logits: bool = _validation.REQUIRED,
        threshold: float = 0.5,
        average: str | None = "macro",
        zero_division: Any = "warn",
        class_names: Sequence[str] | None = None,
        output_transform: Callable[[Any], Any] = _identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        num_thresholds: int | None = None,
    ) -> None:
        self.num_labels = _validation.check_count("num_labels", num_labels)
        self.threshold = _validation.check_threshold(threshold)
        self.from_logits = _validation.check_from_logits(from_logits, type(self).__name__)
        self.average = _validation.check_average(average, _validation.AVERAGES_MULTILABEL)
        self.class_names = _validation.check_class_names(class_names, self.num_labels, "num_labels")
        self.num_thresholds = _curves.check_num_thresholds(num_thresholds)
        if self.num_thresholds is not None:
            self._boundaries = _curves.score_boundaries(self.num_thresholds, self.from_logits)
            self._state_dict_all_req_keys = (*type(self)._state_dict_all_req_keys, "_threshold_counts")
        super().__init__(beta, zero_division, output_transform, device, validate_args)

    @reinit__is_reduced
    def reset(self) -> None:
        """Set the counts and sums to zero (Ignite calls it when each evaluation starts).

        Examples:
            >>> import torch
            >>> from ignite_f1 import MultilabelFBetaScore
            >>> metric = MultilabelFBetaScore(beta=1.0, num_labels=3, from_logits=False)
            >>> metric.update((torch.tensor([[1, 0, 1], [0, 1, 0]]), torch.tensor([[1, 0, 0], [0, 1, 1]])))
            >>> metric.reset()
            >>> metric.confusion_matrix()  # the 2 samples are forgotten: nothing to count from
            Traceback (most recent call last):
                ...
            ignite.exceptions.NotComputableError: MultilabelFBetaScore must have at least one example ...
        """
        self._label_counts = self._zeros(3, self.num_labels)
        self._num_samples = self._zeros()
        self._sample_sums = self._zeros(4, dtype=torch.float64)
        self._sample_defined = self._zeros(3)
        if self.num_thresholds is not None:
            self._threshold_counts = self._zeros(2, self.num_labels, self.num_thresholds)
        self._scores_in_unit_interval = None
        self._reduced_state = None

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        """Add a batch ``(y_pred, y)``; a rejected batch leaves the state as it was.

        Args:
            output: ``(y_pred, y)`` as described under "Inputs" in the class docstring.

        Raises:
            TypeError, ValueError: ``output`` is not a pair ``(y_pred, y)`` (a third element, such as
                sample weights, is refused), or a tensor of the wrong type, shape or values.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MultilabelFBetaScore
            >>> metric = MultilabelFBetaScore(beta=1.0, num_labels=3, from_logits=True)  # predicted when >= 0
            >>> logits = torch.tensor([[2.0, -1.0, 0.5], [-0.5, 1.0, -2.0]])
            >>> metric.update((logits, torch.tensor([[1, 0, 0], [0, 1, 1]])))
            >>> metric.update((torch.tensor([[1, 1, 0]]), torch.tensor([[1, 0, 0]])))  # labels work too
            >>> metric.confusion_matrix()[:, 1, 1]  # true positives per label
            tensor([2, 1, 0])
        """
        y_pred, y = _inputs.unpack_output(output)
        pred, target, in_unit_interval = _inputs.format_multilabel(
            y_pred, y, self.num_labels, self.threshold, self.from_logits, self.validate_args
        )
        if pred.shape[0] == 0:
            return
        label_counts, sample_sums, sample_defined = _counts.multilabel_counts(pred, target, self.beta)
        if self.num_thresholds is not None:
            histogram = _curves.threshold_histogram(y_pred, target, self._boundaries, self.from_logits)
            self._threshold_counts += histogram.to(self._device)
        self._label_counts += label_counts.to(self._device)
        self._num_samples += pred.shape[0]
        self._sample_sums += sample_sums.to(self._device)
        self._sample_defined += sample_defined.to(self._device)
        self._note_scores(in_unit_interval)
        self._reduced_state = None

    def _class_count(self) -> int:
        return self.num_labels

    def _sample_count(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["_num_samples"]

    def _class_counts(self, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return state["_label_counts"]

    def compute(self) -> Result:
        """The F-beta score over all batches (and all processes); see the class docstring.

        Raises:
            NotComputableError: no sample since the last :meth:`reset`.

        Examples:
            >>> import torch
            >>> from sklearn.metrics import fbeta_score
            >>> from ignite_f1 import MultilabelFBetaScore
            >>> y_pred = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
            >>> y = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]])
            >>> metric = MultilabelFBetaScore(beta=2.0, num_labels=3, average="micro", from_logits=False)
            >>> metric.update((y_pred, y))
            >>> metric.compute()  # all labels: tp 4, fp 2, fn 1; F2 = 5 * 4 / (5 * 4 + 4 * 1 + 2) = 10/13
            0.769...
            >>> metric.compute() == fbeta_score(y.numpy(), y_pred.numpy(), beta=2.0, average="micro")
            True
        """
        state = self._reduced(collective=True)
        self._check_computable(state["_num_samples"])
        self._warn_if_probabilities()
        result = _scores.multilabel_fbeta(
            state["_label_counts"],
            state["_sample_sums"],
            state["_sample_defined"],
            int(state["_num_samples"]),
            self.beta,
            self.average,
            self.zero_division,
        )
        if isinstance(result, float):
            return result
        if self.class_names is None:
            return torch.as_tensor(result, dtype=torch.float64)
        return {name: float(v) for name, v in zip(self.class_names, result, strict=True)}

    def confusion_matrix(self) -> torch.Tensor:
        """Per-label counts (L, 2, 2) ``[[tn, fp], [fn, tp]]``, as ``multilabel_confusion_matrix``.

        Raises:
            NotComputableError: no sample since the last :meth:`reset` (as :meth:`compute`).

        Examples:
            >>> import torch
            >>> from sklearn.metrics import multilabel_confusion_matrix
            >>> from ignite_f1 import MultilabelFBetaScore
            >>> y_pred = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
            >>> y = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]])
            >>> metric = MultilabelFBetaScore(beta=1.0, num_labels=3, from_logits=False)
            >>> metric.update((y_pred, y))
            >>> metric.confusion_matrix()[2]  # label 2: tn 1 (row 2), fp 1 (row 0), fn 1 (row 1), tp 1
            tensor([[1, 1],
                    [1, 1]])
            >>> expected = multilabel_confusion_matrix(y.numpy(), y_pred.numpy())
            >>> metric.confusion_matrix().tolist() == expected.tolist()
            True
        """
        state = self._reduced()
        self._check_computable(state["_num_samples"])
        tp, pp, ap = state["_label_counts"]
        n = state["_num_samples"]
        return torch.stack([n - pp - ap + tp, pp - tp, ap - tp, tp], dim=1).reshape(-1, 2, 2)

    def report(self) -> dict[str, Any]:
        """``classification_report(..., output_dict=True)`` for the labels, with the samples average.

        Keyed by ``class_names`` when given, else by the label indices as strings. Its
        ``"f1-score"`` entries are F1 whatever ``beta`` is, as scikit-learn's report.

        Raises:
            NotComputableError: no sample since the last :meth:`reset`.

        Examples:
            >>> import torch
            >>> from sklearn.metrics import classification_report
            >>> from ignite_f1 import MultilabelFBetaScore
            >>> y_pred = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
            >>> y = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]])
            >>> metric = MultilabelFBetaScore(beta=1.0, num_labels=3, from_logits=False)
            >>> metric.update((y_pred, y))
            >>> report = metric.report()
            >>> report["2"]["f1-score"], report["samples avg"]["recall"]  # label 2: tp 1, fp 1, fn 1
            (0.5, 0.875)
            >>> report == classification_report(y.numpy(), y_pred.numpy(), output_dict=True)
            True
        """
        state = self._reduced()
        self._check_computable(state["_num_samples"])
        return _scores.multilabel_report(
            state["_label_counts"],
            state["_sample_sums"],
            state["_sample_defined"],
            int(state["_num_samples"]),
            self.class_names,
            self.zero_division,
        )

    def curve(self, average: str | None = None) -> dict[str, torch.Tensor]:
        """Precision, recall and F-beta at each of the ``num_thresholds``, per label or averaged.

        A label is predicted at threshold ``t`` when its probability is ``>= t``, compared as
        ``threshold`` is (against ``logit(t)`` for logits). Undefined precision (no predicted
        positive), recall (no positive) or F-beta count as 0.

        Args:
            average: ``None`` (one curve per label), ``"micro"`` (the labels' counts pooled) or
                ``"macro"`` (the mean of the labels' curves), at thresholds shared by all labels.

        Returns:
            float64 tensors: ``thresholds`` (T,) and ``precision``, ``recall``, ``fbeta``, of shape
            (num_labels, T) with ``average=None``, (T,) otherwise.

        Raises:
            ValueError: the metric was built without ``num_thresholds``, or a bad ``average``.
            NotComputableError: no sample yet.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MultilabelF1Score
            >>> metric = MultilabelF1Score(num_labels=2, from_logits=False, num_thresholds=3)
            >>> y_pred = torch.tensor([[0.9, 0.2], [0.2, 0.7], [0.6, 0.4]])
            >>> metric.update((y_pred, torch.tensor([[1, 0], [0, 1], [1, 1]])))
            >>> metric.curve()["recall"]  # thresholds 0, 0.5, 1
            tensor([[1.0000, 1.0000, 0.0000],
                    [1.0000, 0.5000, 0.0000]], dtype=torch.float64)
            >>> metric.curve(average="micro")["precision"]  # 4 tp, 2 fp; then 3 tp, 0 fp
            tensor([0.6667, 1.0000, 0.0000], dtype=torch.float64)
        """
        average = _validation.check_average(average, _curves.CURVE_AVERAGES)
        return _curves.curve(_kept_histogram(self), self.beta, average)

    def best_threshold(
        self, average: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor] | tuple[float, float]:
        """The threshold of :meth:`curve` with the highest F-beta (the lowest on ties), and that F-beta.

        Args:
            average: ``None``: one threshold per label, as two float64 tensors (num_labels,);
                ``"micro"`` or ``"macro"``: one threshold for all labels, as two floats.

        Raises:
            ValueError: the metric was built without ``num_thresholds``, or a bad ``average``.
            NotComputableError: no sample yet.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MultilabelF1Score
            >>> metric = MultilabelF1Score(num_labels=2, from_logits=False, num_thresholds=3)
            >>> y_pred = torch.tensor([[0.9, 0.2], [0.2, 0.7], [0.6, 0.4]])
            >>> metric.update((y_pred, torch.tensor([[1, 0], [0, 1], [1, 1]])))
            >>> metric.best_threshold()  # label 1 at 0: 2 tp, 1 fp, 0 fn
            (tensor([0.5000, 0.0000], dtype=torch.float64), tensor([1.0000, 0.8000], dtype=torch.float64))
            >>> metric.best_threshold(average="micro")  # at 0.5: 3 tp, 0 fp, 1 fn
            (0.5, 0.857...)
        """
        best, score = _curves.best_threshold(self.curve(average))
        if average is None:
            return best, score
        return float(best), float(score)


class MultilabelF1Score(MultilabelFBetaScore):
    """Multilabel F1 score: :class:`MultilabelFBetaScore` with ``beta=1``.

    Args:
        num_labels: number of labels L (>= 2).
        threshold: a label is predicted when its probability is ``>= threshold``.
        from_logits: float ``y_pred`` are logits when True, probabilities when False.
        average: ``"micro"``, ``"macro"``, ``"weighted"``, ``"samples"`` or ``None``.
        zero_division: ``"warn"``, 0.0, 1.0 or ``nan``.
        class_names: L distinct label names.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: where the counts live.
        validate_args: check every batch; ``False`` is unsafe.
        num_thresholds: ``None`` or T >= 2: keep counts at T thresholds for
            :meth:`~MultilabelFBetaScore.curve`.

    Examples:
        >>> import torch
        >>> from ignite_f1 import MultilabelF1Score
        >>> metric = MultilabelF1Score(num_labels=3, average="micro", from_logits=True)
        >>> logits = torch.tensor([[2.0, -1.0, 0.5], [-0.5, 1.0, -2.0]])
        >>> metric.update((logits, torch.tensor([[1, 0, 0], [0, 1, 1]])))
        >>> metric.compute()
        0.666...
    """

    def __init__(
        self,
        num_labels: int,
        *,
        from_logits: bool = _validation.REQUIRED,
        threshold: float = 0.5,
        average: str | None = "macro",
        zero_division: Any = "warn",
        class_names: Sequence[str] | None = None,
        output_transform: Callable[[Any], Any] = _identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        num_thresholds: int | None = None,
    ) -> None:
        super().__init__(
            beta=1.0,
            num_labels=num_labels,
            from_logits=from_logits,
            threshold=threshold,
            average=average,
            zero_division=zero_division,
            class_names=class_names,
            output_transform=output_transform,
            device=device,
            validate_args=validate_args,
            num_thresholds=num_thresholds,
        )
