"""Multilabel F-beta and F1: per-label counts (and per-sample sums) per epoch, scored by scikit-learn.

``update`` checks a batch (:func:`ignite_f1._inputs.format_multilabel`) and adds its per-label
counts and per-sample sums (:func:`ignite_f1._counts.multilabel_counts`, which thresholds and
counts), and with ``num_thresholds`` its threshold histogram (:mod:`ignite_f1.metrics._thresholds`);
``compute`` sums them across processes and calls :func:`ignite_f1._scores.multilabel_fbeta`.
With ``sample_weight=True`` the batch's weights (one per sample) are checked
(:func:`ignite_f1._weights.check_multilabel_weight`) and the counts and sums are weighted
(:func:`ignite_f1._counts.multilabel_weighted_counts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ignite_f1 import _counts, _host, _inputs, _scores, _validation, _weights
from ignite_f1.metrics._base import Addition, Result, State
from ignite_f1.metrics._engine import identity
from ignite_f1.metrics._thresholds import ThresholdCurveMetric

__all__ = ["MultilabelF1Score", "MultilabelFBetaScore"]


class MultilabelFBetaScore(ThresholdCurveMetric):
    """Multilabel F-beta score, exactly as ``sklearn.metrics.fbeta_score`` on indicator matrices.

    Keeps per-label counts (true positives, predicted and actual positives) and, for the
    ``"samples"`` average, running float64 sums of the per-sample scores: constant memory. Every
    average equals scikit-learn's to the last bit except ``"samples"``, whose float sums run in
    another order (per batch, per process) and agree to 1e-12 (relative: at most about 1.1e-16 per
    batch).

    Args:
        beta: weight of recall against precision, a real > 0 whose square is a positive float64 and
            small enough that ``1 + beta**2`` times any int64 count is finite (about 1.6e-162 to 4.4e144).
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
        sample_weight: ``False`` (default), or ``True``: ``update`` takes ``(y_pred, y, w)`` with
            ``w`` float weights >= 0 of shape (N,), one per sample, as scikit-learn's
            ``sample_weight`` of indicator matrices (a weight per label, (N, L), is refused:
            scikit-learn has none). Every count becomes a float64 sum of weights and every result,
            the curves included, is scikit-learn's with ``sample_weight=w``; see Notes.

    Inputs (``update((y_pred, y))``):
        ``y_pred``: float scores (N, L) or 0/1 integer / bool labels; ``y``: 0/1 targets (N, L).

    Returns:
        ``compute()``: a Python float when averaged; with ``average=None`` a float64 tensor with one
        value per label, or a ``{name: score}`` dict with ``class_names``.

    Notes:
        With ``from_logits=True``, ``compute()`` warns when every score looked like a probability,
        as :class:`BinaryFBetaScore` does (only with ``validate_args=True``).

        With ``sample_weight=True``, ``confusion_matrix()``, ``per_class_counts()`` and the
        threshold histogram are float64 sums of weights and the supports of ``report()`` too. The
        ``"samples"`` average is scikit-learn's ``np.average`` of the per-sample scores weighted by
        ``w``: a sample of weight 0 counts for nothing, yet its scores are undefined there (they
        divide weighted counts), so with ``zero_division="warn"`` it raises the same
        ``UndefinedMetricWarning`` as scikit-learn, and ``nan`` scores are left out of the mean
        with their weights. Weights that are all 0 make ``compute()`` raise
        ``NotComputableError`` (the score of no weight is undefined; scikit-learn 1.9 refuses them).

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

        Weighted samples, as ``fbeta_score(..., sample_weight=w)``:

        >>> weighted = MultilabelFBetaScore(beta=2.0, num_labels=3, from_logits=False, average="samples",
        ...                                 zero_division=1.0, sample_weight=True)
        >>> w = torch.tensor([0.5, 2.0, 1.0, 0.0])
        >>> weighted.update((y_pred, y, w))
        >>> weighted.compute() == fbeta_score(y.numpy(), y_pred.numpy(), beta=2.0, average="samples",
        ...                                   zero_division=1.0, sample_weight=w.numpy())
        True
        >>> weighted.confusion_matrix()[2]  # label 2: fp 0.5 (row 0), fn 2.0 (row 1)
        tensor([[1.0000, 0.5000],
                [2.0000, 0.0000]], dtype=torch.float64)
    """

    _COUNTING_SETTINGS = ("threshold", "from_logits", "beta")

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
        output_transform: Callable[[Any], Any] = identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        num_thresholds: int | None = None,
        sample_weight: bool = False,
    ) -> None:
        self.num_labels = _validation.check_count("num_labels", num_labels)
        self.threshold = _validation.check_threshold(threshold)
        self.from_logits = _validation.check_from_logits(from_logits, type(self).__name__)
        self._cut = _inputs.score_threshold(self.threshold, self.from_logits)
        self.average = _validation.check_average(average, _validation.AVERAGES_MULTILABEL)
        self.class_names = _validation.check_class_names(class_names, self.num_labels, "num_labels")
        self.sample_weight = _validation.check_bool("sample_weight", sample_weight)
        counts = torch.float64 if self.sample_weight else torch.int64
        # tp, predicted and actual positives (sums of weights with sample_weight=True)
        self._declare("_label_counts", 3, self.num_labels, dtype=counts)
        self._declare("_num_samples")
        self._declare("_sample_sums", 4, dtype=torch.float64)  # see _counts.multilabel_counts
        self._declare("_sample_defined", 4 if self.sample_weight else 3)
        if self.sample_weight:  # see _counts.multilabel_weighted_counts
            self._declare("_weight_sum", dtype=torch.float64)
            self._declare("_sample_weights", 2, 4, dtype=torch.float64)
        self._declare_thresholds(num_thresholds, self.num_labels)
        super().__init__(
            beta=beta,
            zero_division=zero_division,
            output_transform=output_transform,
            device=device,
            validate_args=validate_args,
        )

    def _class_count(self) -> int:
        return self.num_labels

    def _sample_count(self, state: State) -> torch.Tensor:
        if self.sample_weight:
            return _weights.finite_total(state["_weight_sum"], type(self).__name__)
        return state["_num_samples"]

    def _weights(self, state: State) -> _scores.SampleWeights | None:
        """The sums of weights of the "samples" average (``sample_weight=True``), else ``None``."""
        return (state["_sample_weights"], float(state["_weight_sum"])) if self.sample_weight else None

    def _class_counts(self, state: State) -> torch.Tensor:
        return state["_label_counts"]

    def _count(
        self, y_pred: torch.Tensor, y: torch.Tensor, weight: Any = None
    ) -> tuple[dict[str, Addition], bool | None]:
        check = _weights.WeightCheck(weight) if self.sample_weight else None
        pred, target, in_unit_interval = _inputs.format_multilabel(
            y_pred, y, self.num_labels, self.from_logits, self.validate_args, check
        )
        flat = None
        if check is not None:
            flat = _weights.check_multilabel_weight(weight, target, self.validate_args, check.values)
        if pred.shape[0] == 0:
            return {}, None
        cut = self._cut if pred.is_floating_point() else None
        additions: dict[str, Addition] = {"_num_samples": pred.shape[0]}
        if flat is None:
            label_counts, sample_sums, sample_defined = _counts.multilabel_counts(
                pred, target, self.beta, cut
            )
        else:
            label_counts, sample_sums, sample_defined, sample_weights = _counts.multilabel_weighted_counts(
                pred, target, flat, self.beta, cut
            )
            additions |= {"_weight_sum": flat.sum(), "_sample_weights": sample_weights}
        return {
            **additions,
            "_label_counts": label_counts,
            "_sample_sums": sample_sums,
            "_sample_defined": sample_defined,
            **self._histogram(y_pred, target, flat),
        }, in_unit_interval

    def _host_path(self) -> Callable[[Any], bool] | None:
        return self._count_on_host if not self.sample_weight and self.num_thresholds is None else None

    def _count_on_host(self, output: Any) -> bool:
        counted = _host.multilabel(
            output, self.num_labels, self._cut, self.from_logits, self.beta, self.validate_args
        )
        if counted is None:
            return False
        label_counts, sample_sums, sample_defined, in_unit_interval = counted
        views, add = self._host_views, np.add
        counts = _host.flat_view(self._label_counts, views, "_label_counts")
        add(counts, label_counts.reshape(-1), out=counts)
        _host.flat_view(self._num_samples, views, "_num_samples")[0] += output[0].shape[0]
        sums = _host.flat_view(self._sample_sums, views, "_sample_sums")
        add(sums, sample_sums, out=sums)
        defined = _host.flat_view(self._sample_defined, views, "_sample_defined")
        add(defined, sample_defined, out=defined)
        self._note_scores(in_unit_interval)
        return True

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
        state = self._kept(collective=True)
        self._warn_if_probabilities()
        if self.average != "samples":  # the samples average: a weighted mean of per-sample scores
            self._check_score_sums(state, self.beta, pooled=self.average in ("micro", "weighted"))
        result = _scores.multilabel_fbeta(
            state["_label_counts"],
            state["_sample_sums"],
            state["_sample_defined"],
            int(state["_num_samples"]),
            self.beta,
            self.average,
            self.zero_division,
            self._weights(state),
        )
        return result if isinstance(result, float) else self._per_class(result)

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
        state = self._kept()
        return _counts.multilabel_confusion(state["_label_counts"], self._sample_count(state))

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
        state = self._kept()
        self._check_score_sums(state, 1.0, True, " (whose report() gives F1: beta = 1)")
        return _scores.multilabel_report(
            state["_label_counts"],
            state["_sample_sums"],
            state["_sample_defined"],
            int(state["_num_samples"]),
            self.class_names,
            self.zero_division,
            self._weights(state),
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
            TypeError: ``average`` is neither a string nor None.
            ValueError: the metric was built without ``num_thresholds``, or an unknown ``average``.
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
        return self._curve(average)

    def best_threshold(
        self, average: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor] | tuple[float, float]:
        """The threshold of :meth:`curve` with the highest F-beta (the lowest on ties), and that F-beta.

        Args:
            average: ``None``: one threshold per label, as two float64 tensors (num_labels,);
                ``"micro"`` or ``"macro"``: one threshold for all labels, as two floats.

        Raises:
            TypeError: ``average`` is neither a string nor None.
            ValueError: the metric was built without ``num_thresholds``, or an unknown ``average``.
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
        best, score = self._best_threshold(average)
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
        sample_weight: ``True``: ``update`` takes ``(y_pred, y, w)`` with one weight per sample,
            ``w`` of shape (N,) (see :class:`MultilabelFBetaScore`).

    Examples:
        >>> import torch
        >>> from ignite_f1 import MultilabelF1Score
        >>> metric = MultilabelF1Score(num_labels=3, average="micro", from_logits=True)
        >>> logits = torch.tensor([[2.0, -1.0, 0.5], [-0.5, 1.0, -2.0]])
        >>> y = torch.tensor([[1, 0, 0], [0, 1, 1]])
        >>> metric.update((logits, y))
        >>> metric.compute()  # tp 2, fp 1, fn 1
        0.666...

        The second sample weighing 3 (tp 1 + 3, fp 1, fn 3; F1 = 8 / 12):

        >>> weighted = MultilabelF1Score(num_labels=3, average="micro", from_logits=True, sample_weight=True)
        >>> weighted.update((logits, y, torch.tensor([1.0, 3.0])))
        >>> weighted.compute()
        0.666...
        >>> weighted.per_class_counts()  # rows: tp, predicted, actual (sums of weights)
        tensor([[1., 3., 0.],
                [1., 3., 1.],
                [1., 3., 3.]], dtype=torch.float64)
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
        output_transform: Callable[[Any], Any] = identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        num_thresholds: int | None = None,
        sample_weight: bool = False,
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
            sample_weight=sample_weight,
        )
