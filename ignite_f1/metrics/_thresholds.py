"""The threshold-curve feature of the binary and multilabel metrics, written once.

A metric built with ``num_thresholds=T`` also keeps a histogram of its scores over T evenly spaced
probability thresholds (see :mod:`ignite_f1._curves`): one more declared count state,
``_threshold_counts``, of shape (2, T) for a binary metric and (2, L, T) for L labels. It is summed
across processes with the other counts, and gives the precision / recall / F-beta curves and the
best threshold. ``compute()`` does not read it. With ``sample_weight=True`` it holds float64 sums of
the samples' weights instead of counts.
"""

from __future__ import annotations

import torch

from ignite_f1 import _curves, _validation, _weights
from ignite_f1.metrics._base import CountingMetric


class ThresholdCurveMetric(CountingMetric):
    """A counting metric that can keep a threshold histogram (binary and multilabel metrics)."""

    from_logits: bool
    num_thresholds: int | None

    def _declare_thresholds(self, num_thresholds: int | None, *labels: int) -> None:
        """Check ``num_thresholds`` and, when given, declare the histogram state (2, *labels, T).

        Called after ``sample_weight`` is set: the histogram is float64 sums of weights with it.
        """
        self.num_thresholds = _curves.check_num_thresholds(num_thresholds)
        if self.num_thresholds is not None:
            dtype = torch.float64 if self.sample_weight else torch.int64
            self._declare("_threshold_counts", 2, *labels, self.num_thresholds, dtype=dtype)  # size checked
            self._boundaries = _curves.score_boundaries(self.num_thresholds, self.from_logits)

    def _histogram(
        self, scores: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """The batch's addition to the histogram (none without ``num_thresholds``).

        ``weight``: the checked float64 weights, one per score (binary) or per row (multilabel).
        """
        if self.num_thresholds is None:
            return {}
        histogram = _curves.threshold_histogram(scores, target, self._boundaries, self.from_logits, weight)
        return {"_threshold_counts": histogram}

    def _kept_histogram(self) -> torch.Tensor:
        """The histogram summed over processes; a ValueError without ``num_thresholds``."""
        if self.num_thresholds is None:
            raise ValueError(
                f"{type(self).__name__}.curve() and best_threshold() need the metric built with "
                "`num_thresholds` (an integer >= 2), got num_thresholds=None."
            )
        return self._kept()["_threshold_counts"]

    def threshold_histogram(self) -> torch.Tensor | None:
        """The kept histogram (2, T) or (2, L, T) summed over processes; ``None`` without ``num_thresholds``.

        See :meth:`CountingMetric.threshold_histogram`. int64 counts, or float64 sums of the
        samples' weights for a metric built with ``sample_weight=True``.

        Raises:
            NotComputableError: built with ``num_thresholds`` but no sample since the last ``reset()``.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MultilabelF1Score
            >>> metric = MultilabelF1Score(2, from_logits=False, num_thresholds=2)  # thresholds 0 and 1
            >>> metric.update((torch.tensor([[0.3, 1.0]]), torch.tensor([[1, 0]])))
            >>> metric.threshold_histogram()  # [negatives, positives] x labels x thresholds
            tensor([[[0, 0],
                     [0, 1]],
            <BLANKLINE>
                    [[1, 0],
                     [0, 0]]])
            >>> weighted = MultilabelF1Score(2, from_logits=False, num_thresholds=2, sample_weight=True)
            >>> weighted.update((torch.tensor([[0.3, 1.0]]), torch.tensor([[1, 0]]), torch.tensor([2.5])))
            >>> weighted.threshold_histogram()[1]  # the positive of label 0 weighs 2.5
            tensor([[2.5000, 0.0000],
                    [0.0000, 0.0000]], dtype=torch.float64)
        """
        return None if self.num_thresholds is None else self._kept_histogram().clone()

    def _curve(self, average: str | None = None) -> dict[str, torch.Tensor]:
        average = _validation.check_average(average, _curves.CURVE_AVERAGES)
        histogram = self._kept_histogram()
        if self.sample_weight:  # F-beta's numerator and denominator: up to 1 + beta**2 times a curve's total
            pooled = histogram.sum(1) if average == "micro" and histogram.ndim == 3 else histogram
            counted = (
                ", once per label (pooled by average='micro'),"
                if pooled is not histogram
                else (", per label," if histogram.ndim == 3 else "")
            )
            total = pooled.sum(0).sum(-1).max()  # the weight of a curve's samples, at threshold 0
            _weights.finite_total(total, type(self).__name__, 1.0 + self.beta**2, counted)
        return _curves.curve(histogram, self.beta, average)

    def _best_threshold(self, average: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return _curves.best_threshold(self._curve(average))
