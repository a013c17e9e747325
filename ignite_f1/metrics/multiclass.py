"""Multi-class F-beta and F1: per-class counts (or a C x C matrix) per epoch, scored by scikit-learn.

``update`` formats a batch (:func:`ignite_f1._inputs.format_multiclass`: the arg-max of scores,
ignored targets) and adds its (true, predicted) pairs in place, O(batch) work at any C: to the
confusion matrix (:func:`ignite_f1._counts.add_confusion`), or with ``keep_confusion_matrix=False``
to the (3, C) per-class counts (:func:`ignite_f1._counts.add_class_counts`). ``compute`` sums the
counts across processes and calls :func:`ignite_f1._scores.multiclass_fbeta` on the per-class
counts, O(C) work.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import torch

from ignite_f1 import _counts, _host, _inputs, _samplewise, _scores, _validation, _weights
from ignite_f1.metrics._base import Addition, Result
from ignite_f1.metrics._confusion import ConfusionMatrixMetric
from ignite_f1.metrics._engine import identity

__all__ = ["MulticlassF1Score", "MulticlassFBetaScore"]


class MulticlassFBetaScore(ConfusionMatrixMetric):
    """Multi-class F-beta score, exactly as ``sklearn.metrics.fbeta_score`` on all the epoch's data.

    Accumulates the C x C confusion matrix (rows: true class) or, with ``keep_confusion_matrix=False``
    (the default above 1024 classes), only the true positives, predictions and targets of each class,
    with O(batch) work per batch, and lets scikit-learn compute the score from the per-class counts
    at the end of the epoch.

    Args:
        beta: weight of recall against precision, a real > 0 whose square is a positive float64 and
            small enough that ``1 + beta**2`` times any int64 count is finite (about 1.6e-162 to 4.4e144).
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
            invalid input then gives wrong counts or an indexing error, and integer ``y_pred`` and
            ``y`` both (N, C) of 0 and 1 (one-hot rows? refused with validation, see Inputs) are
            counted as N label maps of C pixels.
        keep_confusion_matrix: ``True`` keeps the C x C matrix (8 C^2 bytes, for
            :meth:`confusion_matrix` and the TensorBoard heatmap); ``False`` keeps only the per-class
            counts (24 C bytes), which give every score and :meth:`report`; ``None`` (default) keeps
            the matrix when ``num_classes <= 1024``. The resolved choice is the bool attribute
            ``keep_confusion_matrix``; the state dict and the distributed sum follow it.
        multidim_average: ``"global"`` (default): one score over every pixel of every image.
            ``"samplewise"``: inputs (N, C, d1, ...) / (N, d1, ...) are N images, and ``compute()``
            is the mean over the images of each image's score (per-image Dice), see Notes.
        sample_weight: ``False`` (default), or ``True``: ``update`` takes ``(y_pred, y, w)`` with
            ``w`` float weights >= 0 of the shape of ``y`` (or (N,) per image), the counts are float64
            sums of weights, and ``compute()`` and ``report()`` are scikit-learn's with
            ``sample_weight=w`` (a class seen with weight 0 only is in the label set, as there).
            ``confidence_interval()`` is refused with it; for ``"samplewise"`` with weights, see Notes.

    Inputs (``update((y_pred, y))``):
        ``y_pred``: float scores (N, C) or (N, C, d1, ...) (the arg-max is taken, first index on
        ties), or integer labels of the shape of ``y``. ``y``: integer labels (N,) or (N, d1, ...).
        Integer ``y_pred`` and ``y`` both (N, C) holding only 0 and 1 are refused with global counts
        (one-hot rows, or label maps of C pixels? the error says what to pass for each), and
        (N, 1) targets with ``"samplewise"`` (a column of samples, or one-pixel images?).

    Returns:
        ``compute()``: a Python float when averaged; with ``average=None`` a float64 tensor (one
        value per class, or per entry of ``labels``), or a dict with ``class_names``.

    Notes:
        The F-beta of an epoch is computed from the counts of the whole epoch: it is not the mean of
        per-batch scores. A class with no true sample and no prediction has an undefined score.

        With ``multidim_average="samplewise"`` each image's score is ``fbeta_score`` on that
        image's pixels with this metric's ``beta``, ``average``, ``labels``, ``ignore_index`` and
        ``zero_division``: with ``labels=None`` a class absent from an image's targets and
        predictions is left out of that image's average (scikit-learn's rule), an undefined score
        is ``zero_division`` (0.0 for ``"warn"``, with one ``UndefinedMetricWarning`` per
        ``compute()`` giving how many were undefined), and images whose score is NaN (or that have
        no counted pixel) are left out of the mean. With ``average=None`` each class's result is its
        mean over the images where its score is defined (present in the image when ``labels`` is
        None; NaN when no image defines it). Only running float64 sums are kept (constant memory,
        summed across processes); ``confusion_matrix()``, ``report()`` and
        ``per_class_counts()`` still describe the pixels pooled over all images, and
        ``confidence_interval()`` is refused. With ``sample_weight=True`` too, image ``i`` scores
        ``fbeta_score(..., sample_weight=w[i].flatten())`` over its kept pixels (its label set: the
        classes it holds, weight 0 included) and every mean over images is weighted by each image's
        weight, the mean weight of its kept pixels (``w[i]`` for (N,) weights): an image of weight
        0 changes nothing and is not counted in the warning.

        With 100,000 classes the state is 2.4 MB of per-class counts (the matrix would take 80 GB),
        an update costs about what the arg-max costs, and ``compute()`` takes milliseconds.

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

        Without the matrix (the default above 1024 classes), the same scores from O(C) counts:

        >>> light = MulticlassFBetaScore(0.5, num_classes=3, average="weighted", keep_confusion_matrix=False)
        >>> light.update((scores, y))
        >>> light.keep_confusion_matrix, light.compute() == metric.compute()
        (False, True)
        >>> MulticlassFBetaScore(beta=1.0, num_classes=100_000).keep_confusion_matrix
        False

        Mean per-image Dice of two 1 x 4 label maps (macro over the classes in each image):

        >>> masks = torch.tensor([[[0, 0, 1, 1]], [[2, 2, 2, 0]]])
        >>> truth = torch.tensor([[[0, 1, 1, 1]], [[2, 2, 2, 2]]])
        >>> dice = MulticlassFBetaScore(1.0, 3, multidim_average="samplewise", zero_division=0.0)
        >>> dice.update((masks, truth))
        >>> dice.compute()  # image 1: classes 0, 1 (2/3, 4/5); image 2: classes 0, 2 (0, 6/7)
        0.580...

        Weighted samples, as ``fbeta_score(..., sample_weight=w)``:

        >>> weighted = MulticlassFBetaScore(1.0, 3, average="micro", sample_weight=True)
        >>> w = torch.tensor([1.0, 0.25, 3.0])
        >>> weighted.update((torch.tensor([0, 1, 2]), torch.tensor([0, 2, 2]), w))
        >>> weighted.compute()  # (1 + 3) / 4.25
        0.941...

        Per-image Dice weighted by image (the second image counts three times):

        >>> dice = MulticlassFBetaScore(1.0, 3, multidim_average="samplewise", zero_division=0.0,
        ...                             sample_weight=True)
        >>> dice.update((masks, truth, torch.tensor([1.0, 3.0])))
        >>> dice.compute()  # (1 x 0.733... + 3 x 0.428...) / 4
        0.504...
    """

    _COUNTING_SETTINGS = ("ignore_index", "multidim_average")

    def __init__(
        self,
        beta: float,
        num_classes: int,
        average: str | None = "macro",
        labels: Sequence[int] | None = None,
        ignore_index: int | None = None,
        zero_division: Any = "warn",
        class_names: Sequence[str] | None = None,
        output_transform: Callable[[Any], Any] = identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        keep_confusion_matrix: bool | None = None,
        multidim_average: str = "global",
        sample_weight: bool = False,
    ) -> None:
        self.num_classes = _validation.check_count("num_classes", num_classes)
        self.keep_confusion_matrix = _validation.check_keep_confusion_matrix(
            keep_confusion_matrix, self.num_classes
        )
        if self.keep_confusion_matrix:
            _validation.check_confusion_size(self.num_classes)
        self.average = _validation.check_average(average, _validation.AVERAGES_MULTICLASS)
        self.labels = _validation.check_labels(labels, self.num_classes)
        self.ignore_index = _validation.check_ignore_index(ignore_index)
        self.class_names = _validation.check_class_names(class_names, self.num_classes, "num_classes")
        dtype = self._declare_weighting(sample_weight, self.num_classes)
        if self.keep_confusion_matrix:
            self._declare("_cm", self.num_classes, self.num_classes, dtype=dtype)
        else:  # rows: true positives, predicted, actual
            self._declare("_counts", 3, self.num_classes, dtype=dtype)
        scored = self.num_classes if self.labels is None else len(self.labels)
        self._declare_samplewise(multidim_average, scored if self.average is None else 1)
        super().__init__(
            beta=beta,
            zero_division=zero_division,
            output_transform=output_transform,
            device=device,
            validate_args=validate_args,
        )

    def _allocation_refused(self, error: RuntimeError) -> str:
        why = f"the allocator refused: {error}"
        if self.keep_confusion_matrix:
            return _validation.matrix_too_large(self.num_classes, why)
        shape, dtype = self._states["_counts"]  # the largest state (C x 3)
        return _validation.state_too_large(vars(self), shape, dtype, why)

    def _class_count(self) -> int:
        return self.num_classes

    def _count(
        self, y_pred: torch.Tensor, y: torch.Tensor, weight: Any = None
    ) -> tuple[dict[str, Addition], bool | None]:
        check = _weights.WeightCheck(weight) if self.sample_weight else None
        samplewise = self.multidim_average == "samplewise"
        target, pred = _inputs.format_multiclass(
            y_pred, y, self.num_classes, self.ignore_index, self.validate_args, check, samplewise
        )
        if samplewise and y.ndim == 2 and y.shape[1] == 1:  # as the binary metrics refuse it
            raise ValueError(_validation.column_of_labels(tuple(y.shape)))
        flat = self._check_weights(weight, y, check) if self.sample_weight else None  # refuses None
        # added in place, O(batch): no C x C matrix nor C-sized tensor per batch (see _counts)
        pooled: dict[str, Addition] = (
            {"_cm": functools.partial(_counts.add_confusion, target=target, pred=pred, weight=flat)}
            if self.keep_confusion_matrix
            else {
                "_counts": functools.partial(_counts.add_class_counts, target=target, pred=pred, weight=flat)
            }
        )
        if flat is not None:
            pooled["_seen"] = functools.partial(_counts.add_class_counts, target=target, pred=pred)
        if samplewise:
            images = _samplewise.check_images(y, "(N, d1, ...) with y_pred (N, C, d1, ...) or (N, d1, ...)")
            if images == 0 or target.numel() == 0:
                return {}, None
            if flat is None:
                per_image = _samplewise.image_class_counts(target, pred, images, self.num_classes)
                pooled.update(self._samplewise_additions(per_image, self.average))
            else:
                sums, seen = _samplewise.weighted_image_class_counts(
                    target, pred, images, self.num_classes, flat
                )
                image_weight = _samplewise.image_weights(weight, y.shape, sums, seen)
                pooled.update(self._samplewise_additions(sums, self.average, seen, image_weight))
        return pooled, None

    def _host_path(self) -> Callable[[Any], bool] | None:
        return self._count_on_host if not self.sample_weight else None

    def _count_on_host(self, output: Any) -> bool:
        samplewise = self.multidim_average == "samplewise"
        if samplewise and (not _host.images_of(output) or output[1].shape[1:] == (1,)):
            return False  # (N, 1): refused by the general path
        counted = _host.multiclass(output, self.num_classes, self.ignore_index, images=samplewise)
        if counted is None:
            return False
        cells, ignored = counted
        images: dict[str, Addition] = {}
        if samplewise:
            confusion = _host.image_confusion(cells, output[1].shape[0], self.num_classes)
            if confusion is None:  # more per-image cells than pixels: the general path's index_add_
                return False
            per_image = _samplewise.confusion_class_counts(torch.from_numpy(confusion))
            images = self._samplewise_additions(per_image, self.average)
        if self.keep_confusion_matrix:
            _host.add_cells(_host.flat_view(self._cm, self._host_views, "_cm"), cells, ignored)
        else:
            _host.add_class_counts(_host.flat_view(self._counts, self._host_views, "_counts"), cells, ignored)
        if images:
            self._add(images, None)
        return True

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
        state = self._kept(collective=True)
        if self.multidim_average == "samplewise":
            return self._samplewise_result(state)
        counts = self._class_counts(state)
        self._check_score_sums(state, self.beta, pooled=self.average == "micro")
        result = _scores.multiclass_fbeta(
            counts, self.beta, self.average, self.labels, self.zero_division, present=self._present(state)
        )
        return result if isinstance(result, float) else self._per_class(result)

    def confusion_matrix(self) -> torch.Tensor:
        """The C x C counts (rows: true class, columns: predicted) as an int64 CPU tensor (float64
        sums of weights with ``sample_weight=True``).

        Raises:
            RuntimeError: the metric keeps no matrix (``keep_confusion_matrix`` is False, the default
                above 1024 classes).
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
            >>> light = MulticlassFBetaScore(beta=1.0, num_classes=3, keep_confusion_matrix=False)
            >>> light.update((y_pred, y))
            >>> light.confusion_matrix()
            Traceback (most recent call last):
                ...
            RuntimeError: MulticlassFBetaScore was built with keep_confusion_matrix=False ...
        """
        return self._confusion_matrix()

    def report(self) -> dict[str, Any]:
        """``classification_report(..., output_dict=True)`` over ``labels`` (default: all classes).

        Keyed by ``class_names`` when given, else by the class indices as strings. Its
        ``"f1-score"`` entries are F1 whatever ``beta`` is, as scikit-learn's report. It is computed
        from the per-class counts, so it works without the confusion matrix too.

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
        return self._report()


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
        keep_confusion_matrix: keep the C x C matrix (``True``), per-class counts only (``False``),
            or the matrix up to 1024 classes (``None``, default).
        multidim_average: ``"global"`` or ``"samplewise"`` (mean per-image score, see
            :class:`MulticlassFBetaScore`).
        sample_weight: ``True``: ``update`` takes ``(y_pred, y, w)`` (see :class:`MulticlassFBetaScore`).

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

        100,000 classes: per-class counts only (the default there), 2.4 MB of state:

        >>> many = MulticlassF1Score(100_000)
        >>> many.update((torch.tensor([5, 99_999, 7]), torch.tensor([5, 99_999, 8])))
        >>> many.keep_confusion_matrix, many.compute(), many.per_class_counts().shape
        (False, 0.5, torch.Size([3, 100000]))
    """

    def __init__(
        self,
        num_classes: int,
        average: str | None = "macro",
        labels: Sequence[int] | None = None,
        ignore_index: int | None = None,
        zero_division: Any = "warn",
        class_names: Sequence[str] | None = None,
        output_transform: Callable[[Any], Any] = identity,
        device: str | torch.device = "cpu",
        validate_args: bool = True,
        keep_confusion_matrix: bool | None = None,
        multidim_average: str = "global",
        sample_weight: bool = False,
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
            keep_confusion_matrix=keep_confusion_matrix,
            multidim_average=multidim_average,
            sample_weight=sample_weight,
        )
