"""Binary F-beta and F1: a 2 x 2 confusion matrix per epoch, scored by scikit-learn.

``update`` checks a batch (:func:`ignite_f1._inputs.format_binary`) and adds its confusion matrix
(:func:`ignite_f1._counts.binary_counts`, which thresholds and counts), and with ``num_thresholds``
its threshold histogram (:mod:`ignite_f1.metrics._thresholds`); ``compute`` sums the counts across
processes and calls :func:`ignite_f1._scores.binary_fbeta`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from ignite_f1 import _counts, _host, _inputs, _samplewise, _scores, _validation, _weights
from ignite_f1.metrics._base import Addition
from ignite_f1.metrics._confusion import ConfusionMatrixMetric
from ignite_f1.metrics._engine import identity
from ignite_f1.metrics._thresholds import ThresholdCurveMetric

__all__ = ["BinaryF1Score", "BinaryFBetaScore"]


class BinaryFBetaScore(ThresholdCurveMetric, ConfusionMatrixMetric):
    """F-beta score of a binary classifier, exactly as ``sklearn.metrics.fbeta_score(average="binary")``.

    Accumulates the 2 x 2 confusion matrix of every batch (constant memory, on ``device``) and lets
    scikit-learn compute the score from it at the end of the epoch.

    Args:
        beta: weight of recall against precision, a real > 0 whose square is a positive float64 and
            small enough that ``1 + beta**2`` times any int64 count is finite (about 1.6e-162 to
            4.4e144; ``beta=1`` is F1).
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
        multidim_average: ``"global"`` (default): one F-beta over every pixel of every image.
            ``"samplewise"``: inputs (N, d1, ...) are N images, and ``compute()`` is the mean over
            the images of each image's F-beta (per-image Dice), see Notes.
        sample_weight: ``False`` (default), or ``True``: ``update`` takes ``(y_pred, y, w)`` with
            ``w`` float weights >= 0 of the shape of ``y`` (or (N,) per image), the counts are float64
            sums of weights and every result is scikit-learn's with ``sample_weight=w``. With
            ``num_thresholds`` the threshold histogram holds sums of weights too, so :meth:`curve`
            is scikit-learn's precision, recall and F-beta with ``sample_weight=w`` at every
            threshold. ``confidence_interval()`` is refused with it; for ``"samplewise"`` with
            weights, see Notes.

    Inputs (``update((y_pred, y))``):
        ``y_pred``: float scores (N,), (N, 1) or (N, ...), or integer / bool 0-1 labels.
        ``y``: 0/1 targets (integer, bool or integral float) of the same shape. Both (N, 2) are
        refused with global counts (two-class scores with one-hot targets, or two outputs per
        sample? the error says what to pass for each).

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

        With ``multidim_average="samplewise"`` each image's score is
        ``fbeta_score(y[i].flatten(), y_pred[i].flatten() >= threshold, ...)``: an image with no
        positive target and no positive prediction scores ``zero_division`` (0.0 for ``"warn"``,
        with one ``UndefinedMetricWarning`` per ``compute()`` naming how many images were
        undefined), and images scoring NaN (``zero_division=nan``) are left out of the mean.
        Only running float64 sums are kept (constant memory, summed across processes).
        ``confusion_matrix()`` and ``report()`` still describe the pixels pooled over all images;
        ``num_thresholds`` and ``confidence_interval()`` are refused (they describe the pooled
        score). With ``sample_weight=True`` too, image ``i`` scores
        ``fbeta_score(..., sample_weight=w[i].flatten())`` and the mean is weighted by each
        image's weight, the mean weight of its pixels (``w[i]`` for (N,) weights): an image of
        weight 0 changes nothing and is not counted in the warning.

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

        Per-image Dice of two 2 x 2 masks (F1 1/2 and 1), against the pooled 2/3:

        >>> masks = torch.tensor([[[1, 0], [1, 0]], [[0, 0], [0, 1]]])
        >>> truth = torch.tensor([[[1, 1], [0, 0]], [[0, 0], [0, 1]]])
        >>> dice = BinaryFBetaScore(1.0, from_logits=False, multidim_average="samplewise")
        >>> dice.update((masks, truth))
        >>> dice.compute()  # (1/2 + 1) / 2
        0.75

        Weighted samples, as ``fbeta_score(..., sample_weight=w)``:

        >>> weighted = BinaryFBetaScore(1.0, from_logits=False, sample_weight=True)
        >>> w = torch.tensor([2.0, 0.5, 1.0])
        >>> weighted.update((torch.tensor([0.9, 0.8, 0.1]), torch.tensor([1, 0, 1]), w))
        >>> weighted.confusion_matrix()  # tp 2.0, fp 0.5, fn 1.0
        tensor([[0.0000, 0.5000],
                [1.0000, 2.0000]], dtype=torch.float64)
        >>> weighted.compute() == fbeta_score([1, 0, 1], [1, 1, 0], beta=1.0, sample_weight=w.numpy())
        True
    """

    _COUNTING_SETTINGS = ("threshold", "from_logits", "multidim_average")

    def __init__(
        self,
        beta: float,
        *,
        from_logits: bool = _validation.REQUIRED,
        threshold: float = 0.5,
        zero_division: Any = "warn",
        output_transform: Callable[[Any], Any] = identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        num_thresholds: int | None = None,
        multidim_average: str = "global",
        sample_weight: bool = False,
    ) -> None:
        self.threshold = _validation.check_threshold(threshold)
        self.from_logits = _validation.check_from_logits(from_logits, type(self).__name__)
        self._cut = _inputs.score_threshold(self.threshold, self.from_logits)
        self._declare("_cm", 2, 2, dtype=self._declare_weighting(sample_weight, 2))
        self._declare_thresholds(num_thresholds)
        self._declare_samplewise(multidim_average, 1)
        if self.multidim_average == "samplewise" and self.num_thresholds is not None:
            raise ValueError(
                "Argument `num_thresholds` must be None with multidim_average='samplewise' (the threshold "
                f"curves describe the pooled pixels, not the per-image mean), got {self.num_thresholds}."
            )
        super().__init__(
            beta=beta,
            zero_division=zero_division,
            output_transform=output_transform,
            device=device,
            validate_args=validate_args,
        )

    def _class_count(self) -> int:
        return 2

    def _count(
        self, y_pred: torch.Tensor, y: torch.Tensor, weight: Any = None
    ) -> tuple[dict[str, Addition], bool | None]:
        check = _weights.WeightCheck(weight) if self.sample_weight else None
        per_image = self.multidim_average == "samplewise"
        pred, target, in_unit_interval = _inputs.format_binary(
            y_pred, y, self.from_logits, self.validate_args, per_image, check
        )
        cut = self._cut if pred.is_floating_point() else None
        counts = _counts.binary_counts(pred, target, cut)
        if self.sample_weight:
            flat = self._check_weights(weight, y, check)
            weighted = _counts.binary_weighted_counts(pred, target, flat, cut)
            images = self._image_additions(pred, target, y, cut, weight, flat)
            return {
                "_cm": weighted,
                "_seen": _counts.confusion_class_counts(counts),
                **self._histogram(pred, target, flat),
                **images,
            }, in_unit_interval
        if self.multidim_average == "samplewise":
            images = self._image_additions(pred, target, y, cut)
            return ({"_cm": counts, **images} if images else {}), in_unit_interval
        if self.num_thresholds is None:
            return {"_cm": counts}, in_unit_interval
        return {"_cm": counts, **self._histogram(pred, target)}, in_unit_interval

    def _host_path(self) -> Callable[[Any], bool] | None:
        return self._count_on_host if not self.sample_weight and self.num_thresholds is None else None

    def _count_on_host(self, output: Any) -> bool:
        images: dict[str, Addition] = {}
        if self.multidim_average == "samplewise":
            by_image = _host.binary_images(output, self._cut, self.from_logits, self.validate_args)
            if by_image is None:
                return False
            counts, in_unit_interval, ones = by_image
            pixels = math.prod(output[1].shape[1:])
            per_image = _samplewise.binary_class_counts(torch.from_numpy(ones), pixels)
            images = self._samplewise_additions(per_image, _samplewise.BINARY)
        else:
            counted = _host.binary(output, self._cut, self.from_logits, self.validate_args)
            if counted is None:
                return False
            counts, in_unit_interval = counted
        cells = _host.flat_view(self._cm, self._host_views, "_cm")
        cells += counts
        self._add(images, in_unit_interval)
        return True

    def _image_additions(
        self,
        pred: torch.Tensor,
        target: torch.Tensor,
        y: torch.Tensor,
        cut: float | None,
        weight: Any = None,
        flat: torch.Tensor | None = None,
    ) -> dict[str, Addition]:
        """With ``"samplewise"``, the additions of a batch of images to the running sums (else, or
        for a batch without pixels, none); ``weight`` as given and ``flat`` checked, or None."""
        if self.multidim_average != "samplewise":
            return {}
        images = _samplewise.check_images(y, "(N, d1, ...)", column_is_samples=True)
        if images == 0 or pred.numel() == 0:
            return {}
        if flat is None:
            per_image = _samplewise.binary_image_counts(pred, target, images, cut)
            return self._samplewise_additions(per_image, _samplewise.BINARY)
        sums, seen = _samplewise.binary_weighted_image_counts(pred, target, images, cut, flat)
        image_weight = _samplewise.image_weights(weight, y.shape, sums, seen)
        return self._samplewise_additions(sums, _samplewise.BINARY, seen, image_weight)

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
        state = self._kept(collective=True)
        self._warn_if_probabilities()
        if self.multidim_average == "samplewise":
            result = self._samplewise_result(state)
            assert isinstance(result, float)
            return result
        self._check_score_sums(state, self.beta, pooled=False)
        return _scores.binary_fbeta(state["_cm"], self.beta, self.zero_division)

    def confusion_matrix(self) -> torch.Tensor:
        """The counts ``[[tn, fp], [fn, tp]]`` as an int64 CPU tensor (summed over processes; float64
        sums of weights with ``sample_weight=True``).

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
        return self._confusion_matrix()

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
        return self._report()

    def curve(self) -> dict[str, torch.Tensor]:
        """Precision, recall and F-beta of the positive class at each of the ``num_thresholds``.

        A sample is positive at threshold ``t`` when its probability is ``>= t``, compared as
        ``threshold`` is (against ``logit(t)`` for logits). Undefined precision (no predicted
        positive), recall (no positive) or F-beta count as 0. With ``sample_weight=True`` the counts
        are sums of weights: each point is scikit-learn's with ``sample_weight=w`` (and
        ``zero_division=0``) for the predictions ``y_pred >= t``.

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

            The same samples, the negative scored 0.4 weighing 3:

            >>> weighted = BinaryF1Score(from_logits=False, num_thresholds=5, sample_weight=True)
            >>> w = torch.tensor([1.0, 3.0, 1.0, 1.0, 1.0])
            >>> weighted.update((torch.tensor([0.1, 0.4, 0.35, 0.8, 0.7]), torch.tensor([0, 0, 1, 1, 1]), w))
            >>> weighted.curve()["precision"]  # at 0.25: true positives weigh 3, false ones 3
            tensor([0.4286, 0.5000, 1.0000, 1.0000, 0.0000], dtype=torch.float64)
            >>> weighted.best_threshold()  # at 0.5: tp 2, fn 1 (0.35): F1 = 4 / 5
            (0.5, 0.8)
        """
        return self._curve()

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
        best, score = self._best_threshold()
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
        multidim_average: ``"global"`` or ``"samplewise"`` (mean per-image Dice, see
            :class:`BinaryFBetaScore`).
        sample_weight: ``True``: ``update`` takes ``(y_pred, y, w)`` (see :class:`BinaryFBetaScore`).

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
        output_transform: Callable[[Any], Any] = identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        num_thresholds: int | None = None,
        multidim_average: str = "global",
        sample_weight: bool = False,
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
            multidim_average=multidim_average,
            sample_weight=sample_weight,
        )
