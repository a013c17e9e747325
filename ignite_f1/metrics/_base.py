"""The counting metric that every F1 / F-beta metric is: declared int64 counts, summed across processes.

A kind of metric (binary, multi-class, multilabel) declares its count states with :meth:`_declare`
and says how a batch turns into additions to them (:meth:`_count`); everything else is here and
written once: ``reset``, ``update`` (check everything, then add), the all-reduce kept for handlers,
state dicts with checked copies, per-class results, the probability warning, the protocol that
handlers read (:meth:`CountingMetric.per_class_counts` ...). What an engine sees of a metric
(attaching, the registry of :func:`~ignite_f1.metrics.attached_metric`) is in ``_engine.py``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ignite.distributed as idist
import numpy as np
import torch
from ignite.exceptions import NotComputableError
from ignite.metrics import Metric
from ignite.metrics.metric import reinit__is_reduced

from ignite_f1 import _output, _validation, _weights
from ignite_f1.metrics import _collective, _state
from ignite_f1.metrics._engine import EngineSide
from ignite_f1.metrics._probabilities import ProbabilityWarning

PerClass = torch.Tensor | dict[str, float]
Result = float | PerClass
State = dict[str, torch.Tensor]
# what a batch adds to one count state: a tensor or int added to it, or a function adding in place
Addition = torch.Tensor | int | Callable[[torch.Tensor], None]


class CountingMetric(ProbabilityWarning, EngineSide, Metric):
    """The base of the F1 / F-beta metrics: int64 counts on ``device``, summed across processes.

    Not built directly: use one of the metric classes below. It holds what they share, and the
    small protocol that handlers (such as the TensorBoard summary) read every metric through:
    :meth:`per_class_counts`, :meth:`scored_classes`, :meth:`class_display_names` and
    :meth:`threshold_histogram`.

    In a distributed run ``compute()`` and ``state_dict()`` are the collective calls (every process
    makes them, as Ignite does at ``EPOCH_COMPLETED`` and in ``Checkpoint``). ``compute()`` keeps
    the sums on the CPU; ``confusion_matrix()``, ``report()``, the threshold curves and the protocol
    read them, so a handler on one process only never starts a collective call. In a single process
    they read the live counts. Before summing, ``compute()`` raises a ValueError on every process
    when the processes built the metric with different arguments.

    Attributes:
        beta, average, labels, zero_division, class_names, sample_weight, multidim_average,
        keep_confusion_matrix, num_classes, num_labels, threshold, from_logits, num_thresholds,
        ignore_index, validate_args: each argument of the metric's class, kept as the metric
        resolved it (``keep_confusion_matrix=None`` is kept as the bool it chose, ``class_names``
        as a list, ``beta`` as a float). Read them; to change one, build a new metric.

    Examples:
        The resolved arguments:

        >>> from ignite_f1 import MulticlassF1Score
        >>> wide = MulticlassF1Score(2000)
        >>> wide.keep_confusion_matrix, wide.num_classes, wide.beta, wide.sample_weight
        (False, 2000, 1.0, False)

        A handler written once for every metric kind, through the protocol:

        >>> import torch
        >>> from ignite_f1 import BinaryF1Score, MulticlassF1Score
        >>> from ignite_f1.metrics import CountingMetric
        >>> def true_positives(metric: CountingMetric) -> dict[str, int]:
        ...     counts = metric.per_class_counts()  # (3, K): tp, predicted, actual positives
        ...     return dict(zip(metric.class_display_names(), counts[0].tolist()))
        >>> binary = BinaryF1Score(from_logits=False)
        >>> binary.update((torch.tensor([0.9, 0.2, 0.7]), torch.tensor([1, 0, 0])))
        >>> multiclass = MulticlassF1Score(3, class_names=["cat", "dog", "owl"])
        >>> multiclass.update((torch.tensor([0, 2, 2]), torch.tensor([0, 1, 2])))
        >>> isinstance(binary, CountingMetric), true_positives(binary), true_positives(multiclass)
        (True, {'0': 1, '1': 1}, {'cat': 1, 'dog': 0, 'owl': 1})
    """

    sample_weight: bool = False  # update takes (y_pred, y, sample_weight) when True
    _host_update: Callable[[Any], bool] | None = None  # set by reset(): see _host_path
    class_names: list[str] | None = None

    def __init__(
        self,
        *,
        beta: float,
        zero_division: Any,
        output_transform: Callable[[Any], Any],
        device: str | torch.device,
        validate_args: bool,
    ) -> None:
        self.beta = _validation.check_beta(beta)
        self.zero_division = _validation.check_zero_division(zero_division)
        self.validate_args = _validation.check_bool("validate_args", validate_args)
        _validation.check_device(device)  # by name: torch's own errors, or a meta device failing at compute()
        self._reduced_state: State | None = None
        self._counts_device = device  # as given, to Ignite too
        self._transform = output_transform  # applied by EngineSide.iteration_completed
        # "named": a per-class dict stays under its name (spread, a class could overwrite a metric)
        super().__init__(output_transform=output_transform, device=device, metrics_result_mode="named")

    # ---- the count states: declared once, zeroed by reset, added to by update

    def _declare(self, name: str, *shape: int, dtype: torch.dtype = torch.int64) -> None:
        """Declare the count state ``name`` (before ``super().__init__``, which calls :meth:`reset`).

        The declared states are what :meth:`reset` zeroes, ``compute()`` sums across processes and
        the state dict holds; one too large is refused (:func:`ignite_f1._validation.check_state_size`).
        """
        _validation.check_state_size(vars(self), shape, dtype)
        states: dict[str, tuple[tuple[int, ...], torch.dtype]] = vars(self).setdefault("_states", {})
        states[name] = (shape, dtype)

    def _allocation_refused(self, error: RuntimeError) -> str:
        """The message for :meth:`reset`'s allocator refusal, of the largest state (see :meth:`_declare`)."""
        shape, dtype = max(self._states.values(), key=lambda state: math.prod(state[0]) * state[1].itemsize)
        return _validation.state_too_large(vars(self), shape, dtype, f"the allocator refused: {error}")

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
        try:  # all allocated first: a refusal leaves the state as it was
            device = self._counts_device
            zeros = {name: torch.zeros(s, dtype=t, device=device) for name, (s, t) in self._states.items()}
        except RuntimeError as error:  # an allocator's refusal (torch.OutOfMemoryError is one), by name
            if not _validation.allocator_refused(error):
                raise
            raise ValueError(self._allocation_refused(error)) from None
        vars(self).update(zeros)
        self._scores_in_unit_interval = None
        self._images_counted = False  # see ConfusionMatrixMetric.update: not in the state dict
        self._reduced_state = None
        on_cpu = torch.device(self._counts_device).type == "cpu"
        self._host_update = self._host_path() if on_cpu else None
        self._host_views: dict[str, Any] = {}  # see _host.flat_view

    def _host_path(self) -> Callable[[Any], bool] | None:
        """The NumPy path of the usual CPU batch (see :mod:`ignite_f1._host`), or ``None``.

        It takes ``update``'s ``output`` and returns True when it counted the batch (and noted its
        scores), False when the batch is for the general path; it never raises on input.
        """
        return None

    def _count(
        self, y_pred: torch.Tensor, y: torch.Tensor, weight: Any
    ) -> tuple[dict[str, Addition], bool | None]:
        """Check and count a batch without changing the state: (additions per state, scores flag).

        ``weight``: the unchecked weights with ``sample_weight=True``, else ``None``.

        The flag says whether every float score lay in [0, 1] (``None``: no score read); an empty
        dict of additions (an empty batch) leaves the state as it is.
        """
        raise NotImplementedError

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        """Add a batch ``(y_pred, y)``; a rejected batch leaves the counts as they were.

        Args:
            output: ``(y_pred, y)`` as described under "Inputs" in the class docstring; for a metric
                built with ``sample_weight=True``, ``(y_pred, y, sample_weight)``. Ignite's per-sample
                lists (``([y_pred_0, y_pred_1, ...], [y_0, y_1, ...])``, of tensors or numbers) count
                each sample as a batch of one, all checked before any is counted (a list mixing
                float and integer entries is refused).

        Raises:
            TypeError, ValueError: ``output`` is not a pair ``(y_pred, y)`` (a third element, such as
                sample weights, is refused unless the metric was built with ``sample_weight=True``,
                which then needs it), or a tensor of the wrong type, shape or values.

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
        if self._host_update is not None and self._host_update(output):
            self._reduced_state = None
            return
        samples = _output.per_sample(output, self.sample_weight)  # Ignite's lists: a batch of one each
        batches: list[Any] = [output] if samples is None else samples
        counted = [self._count(*_output.unpack(b, self.sample_weight)) for b in batches]  # all checked first
        for additions, in_unit_interval in counted:
            if additions:
                self._add(additions, in_unit_interval)
                self._reduced_state = None  # the one place an update invalidates the kept sums

    def _add(self, additions: dict[str, Addition], in_unit_interval: bool | None) -> None:
        """Add a checked batch's ``additions`` to the state, and note its score flag."""
        for name, addition in additions.items():
            state = getattr(self, name)
            if callable(addition):
                addition(state)
            else:
                state += addition.to(state.device) if isinstance(addition, torch.Tensor) else addition
        self._note_scores(in_unit_interval)

    # ---- the counts summed across processes

    def _reduced(self, collective: bool = False) -> State:
        """The counts summed over all processes, as CPU tensors.

        Single process: the live counts (a CPU copy of counts on another device), read only. In a
        distributed run, with ``collective`` (``compute()``), every process checks that all built it
        alike, then sums and keeps the sums; without it, those kept by the last ``compute()``, after
        the last update, ``reset()`` or ``load_state_dict()`` (else a RuntimeError)."""
        if idist.get_world_size() == 1:
            if self._reduced_state is None:
                self._reduced_state = {name: getattr(self, name).detach().cpu() for name in self._states}
        elif collective:
            kept = _collective.Layout(self._states, self._counting_settings(), self._counts_device)
            self._reduced_state = _collective.summed(self, kept)
        elif self._reduced_state is None:
            raise RuntimeError(
                f"{type(self).__name__} has not been computed since its last update, reset() or "
                "load_state_dict(): in a distributed run, call compute() first on every process (Ignite "
                "does it for an attached metric); confusion_matrix(), report() and the curves read the "
                "counts summed then and never start a collective call themselves."
            )
        return self._reduced_state

    def _check_computable(self, num_samples: torch.Tensor) -> None:
        if not bool(num_samples > 0):  # a float sum of weights with sample_weight=True
            weights = (
                " (with a weight > 0: every weight 0 leaves F-beta undefined; scikit-learn 1.9 refuses them)"
                if self.sample_weight
                else ""
            )
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example{weights} before it can be computed."
            )

    def _kept(self, collective: bool = False) -> State:
        """:meth:`_reduced`, refused with ``NotComputableError`` when it holds no sample."""
        state = self._reduced(collective)
        self._check_computable(self._sample_count(state))
        return state

    def _sample_count(self, state: State) -> torch.Tensor:
        """How many samples the counts ``state`` hold (0: not computable)."""
        raise NotImplementedError

    def _check_score_sums(self, state: State, beta: float, pooled: bool, who: str = "") -> None:
        """With ``sample_weight=True``, refuse sums of weights that F-beta scores from ``state`` overflow
        (``pooled``: the classes' counts added up, as a micro average; :func:`_weights.score_total`)."""
        if self.sample_weight:
            counts = self._class_counts(state)[1:]
            total, counted = _weights.score_total(counts, pooled, "num_labels" in vars(self))
            _weights.finite_total(total, type(self).__name__ + who, 1.0 + beta * beta, counted)

    def _per_class(self, values: np.ndarray) -> PerClass:
        """Per-class scores of :meth:`scored_classes`: a float64 tensor, or a dict with ``class_names``."""
        if self.class_names is None:
            return torch.as_tensor(values, dtype=torch.float64)
        return {self.class_names[c]: float(v) for c, v in zip(self.scored_classes(), values, strict=True)}

    # ---- the protocol: what handlers (TensorBoard) read, for every metric alike

    def _class_count(self) -> int:
        """K: the number of classes (2 for binary), or of labels."""
        raise NotImplementedError

    def _class_counts(self, state: State) -> torch.Tensor:
        """(3, K) true, predicted and actual positives per class from the counts ``state``."""
        raise NotImplementedError

    def per_class_counts(self) -> torch.Tensor:
        """True positives, predicted positives and actual positives of each class, (3, K).

        int64 counts; float64 sums of weights for a metric built with ``sample_weight=True``.

        K is 2 for the binary metrics (classes 0 and 1), C for multi-class, L for multilabel. The
        counts are summed over processes (in a distributed run, the sums kept by the last
        ``compute()``, as ``confusion_matrix()`` reads them), as a CPU tensor the caller owns.
        :func:`ignite_f1._scores.per_class_prf` turns them into precision, recall and F-beta.

        Raises:
            NotComputableError: no sample since the last :meth:`reset`.
            RuntimeError: distributed, no ``compute()`` since the last update, ``reset()`` or
                ``load_state_dict()``.

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
        return self._class_counts(self._kept()).clone()

    def scored_classes(self) -> list[int]:
        """The class indices that results and ``report()`` cover: ``labels`` when given, else all K.

        Examples:
            >>> from ignite_f1 import MulticlassF1Score, MultilabelF1Score
            >>> MulticlassF1Score(4, labels=[2, 0]).scored_classes()
            [2, 0]
            >>> MultilabelF1Score(3, from_logits=False).scored_classes()
            [0, 1, 2]
        """
        labels = vars(self).get("labels")
        return list(range(self._class_count())) if labels is None else list(labels)

    def class_display_names(self) -> list[str]:
        """The K class names: ``class_names`` when given, else ``"0"`` .. ``"K-1"``.

        Examples:
            >>> from ignite_f1 import BinaryF1Score, MulticlassF1Score
            >>> BinaryF1Score(from_logits=False).class_display_names()
            ['0', '1']
            >>> MulticlassF1Score(2, class_names=["cat", "dog"]).class_display_names()
            ['cat', 'dog']
        """
        names = self.class_names
        return [str(i) for i in range(self._class_count())] if names is None else list(names)

    def threshold_histogram(self) -> torch.Tensor | None:
        """The kept threshold histogram summed over processes, or ``None`` without ``num_thresholds``.

        (2, T) for a binary metric, (2, L, T) for a multilabel one (int64; float64 sums of weights
        with ``sample_weight=True``): row 0 counts the negative, row 1 the positive samples whose
        highest reached threshold is ``i / (T - 1)`` (see :mod:`ignite_f1._curves`). Multi-class
        metrics keep none (always ``None``).

        Raises:
            NotComputableError: built with ``num_thresholds`` but no sample since the last :meth:`reset`.
            RuntimeError: as :meth:`per_class_counts`.

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
        return None

    # ---- state: copies out, checked copies in

    def state_dict(self) -> OrderedDict[str, Any]:
        """Ignite's state dict of the counts, holding copies: a later update does not change it.

        In a distributed run it gathers every process's counts: call it on every process.

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
        state = OrderedDict((name, getattr(self, name).detach().clone()) for name in self._states)
        ranks = idist.all_gather(state) if idist.get_world_size() > 1 else [state]
        return OrderedDict([(_state.PER_RANK, ranks), (_state.SETTINGS, self._counting_settings())])

    _COUNTING_SETTINGS: tuple[str, ...] = ()  # the arguments the counts depend on (see load_state_dict)

    def _counting_settings(self) -> dict[str, Any]:
        """Those arguments, and per image those of the per-image scores summed: ``{name: value}``."""
        return _state.counting_settings(vars(self), self._COUNTING_SETTINGS)

    def _configuration(self) -> str:
        names = ("num_classes", "num_labels", "num_thresholds")
        return ", ".join(f"{name}={getattr(self, name)}" for name in names if name in vars(self))

    def load_state_dict(self, state_dict: Any) -> None:
        """Replace the counts with those of ``state_dict`` (from :meth:`state_dict`), all or nothing.

        The counts are checked against this metric's configuration (their names, shapes and dtypes;
        counts are int64 >= 0, sums finite and >= 0) and copied, so one dict loaded into two
        metrics gives each its own counts. The arguments the counts depend on, recorded in the
        state, must equal this metric's (``threshold``, ``from_logits``, ``ignore_index``,
        ``multidim_average``, multilabel ``beta``; per image also ``beta``, ``average``, ``labels``,
        ``zero_division``); those acting at ``compute()`` only may differ. A state without the
        record (Ignite's own ``Metric.state_dict``, an earlier ignite_f1) is checked as before.

        Raises:
            TypeError: ``state_dict`` is not a mapping.
            ValueError: it is not a state dict of a metric configured like this one: one of another
                kind (binary, multi-class, multilabel: told by the names of its recorded settings),
                other settings, or entries that another ``sample_weight``, ``num_thresholds``,
                ``multidim_average`` or ``keep_confusion_matrix`` keeps (the message names the
                argument); the metric is then left as it was.

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
        current = {name: getattr(self, name) for name in self._states}
        who = f"{type(self).__name__} ({self._configuration()})"
        settings = self._counting_settings()
        _state.check_kind(state_dict, settings, who)  # first: the advice of the checks below fits one kind
        self._check_layout_of(state_dict)
        loaded = _state.checked_entries(state_dict, current, settings, who)
        for name in self._states:
            # contiguous, whatever the layout loaded: the CPU fast path counts into a flat view
            loaded_counts = loaded[name].detach()
            setattr(
                self,
                name,
                loaded_counts.to(self._counts_device, copy=True, memory_format=torch.contiguous_format),
            )
        self._reduced_state = None
        self._scores_in_unit_interval = None
        self._images_counted = False  # see ConfusionMatrixMetric.update: not in the state dict

    def _check_layout_of(self, state_dict: Mapping[str, Any]) -> None:
        """Refuse, saying what to do, a state of this kind whose counts are laid out otherwise (the
        ``keep_confusion_matrix`` choice of ``ConfusionMatrixMetric``); nothing to refuse here."""
