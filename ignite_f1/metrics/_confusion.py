"""The counting metric of the binary and multi-class kinds: one confusion matrix (or per-class counts).

Their scores, :meth:`~ConfusionMatrixMetric.confidence_interval` (the exact bootstrap of
:mod:`ignite_f1._bootstrap`) and the report come from one K x K matrix, or from the (3, K)
per-class counts when a multi-class metric does not keep the matrix.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from sklearn.exceptions import UndefinedMetricWarning

from ignite_f1 import _bootstrap, _counts, _output, _samplewise, _scores, _validation, _weights
from ignite_f1.metrics import _state
from ignite_f1.metrics._base import Addition, CountingMetric, Result, State

MULTIDIM_AVERAGES = ("global", "samplewise")
_SAMPLEWISE_STATES = ("_sw_sum", "_sw_defined", "_sw_undefined")


class ConfusionMatrixMetric(CountingMetric):
    """A counting metric whose counts are one K x K confusion matrix ``_cm`` (rows: true class).

    Or, when ``keep_confusion_matrix`` is False (multi-class metrics with many classes), only the
    (3, K) per-class counts ``_counts`` (true positives, predicted and actual positives): every score
    and the report need no more; :meth:`_confusion_matrix` is then refused.
    """

    keep_confusion_matrix: bool = True  # the binary metrics always keep their 2 x 2 matrix
    multidim_average: str = "global"
    _images_counted = False  # targets of several elements per sample counted since the last reset

    def update(self, output: Any) -> None:  # CountingMetric.update's (@reinit__is_reduced) and a note
        super().update(output)
        # noted for confidence_interval(): the pixels of an image are no independent samples
        if not self._images_counted and _output.several_per_sample(output):
            self._images_counted = True

    # ---- sample_weight=True: float64 sums of weights, and the int64 counts of the classes seen

    def _declare_weighting(self, sample_weight: Any, num_classes: int) -> torch.dtype:
        """Check ``sample_weight``; when True declare ``_seen``; return the dtype of the counts.

        ``_seen`` (int64 (3, K)) counts the samples unweighted, as ``_counts`` does: scikit-learn's
        label set (``labels=None``) holds every class that occurs, with weight 0 too, and a
        class whose weights are all 0 leaves no trace in the weighted sums.
        """
        self.sample_weight = _validation.check_bool("sample_weight", sample_weight)
        if not self.sample_weight:
            return torch.int64
        self._declare("_seen", 3, num_classes)
        return torch.float64

    def _refuse_weights_with(self, argument: str, value: Any, why: str) -> None:
        if self.sample_weight:
            raise ValueError(f"Argument `{argument}` must be {value!r} with sample_weight=True ({why}).")

    def _check_weights(
        self, weight: Any, y: torch.Tensor, check: _weights.WeightCheck | None
    ) -> torch.Tensor:
        read = None if check is None else check.values  # read with validation's values
        factor = 1.0 + self.beta**2 if self.multidim_average == "samplewise" else 1.0
        return _weights.check_sample_weight(weight, y, self.validate_args, read, factor)

    def _present(self, state: State) -> np.ndarray | None:
        """The classes seen (as target or prediction, any weight) with ``sample_weight=True``, else None."""
        if "_seen" not in state:
            return None
        return np.flatnonzero((state["_seen"][1] + state["_seen"][2]).numpy())

    # ---- multidim_average="samplewise": running sums of per-image scores (see ignite_f1._samplewise)

    def _declare_samplewise(self, multidim_average: Any, width: int) -> None:
        """Check ``multidim_average``; for ``"samplewise"`` declare the running sums of ``width`` scores.

        ``_sw_sum`` (float64) sums the defined per-image scores, ``_sw_defined`` counts them and
        ``_sw_undefined`` counts the zero divisions (for the ``"warn"`` warning): declared states,
        so they are reset, summed across processes and saved like the counts. With
        ``sample_weight=True`` (declared before), ``_sw_sum`` sums image weight x score and
        ``_sw_weight`` (float64) the weights of the images with a defined score, in place of
        ``_sw_defined``; ``_sw_undefined`` counts only in images of weight > 0.
        """
        self.multidim_average = _validation.check_choice(
            "multidim_average", multidim_average, MULTIDIM_AVERAGES
        )
        if self.multidim_average == "samplewise":
            self._declare("_sw_sum", width, dtype=torch.float64)
            if self.sample_weight:
                self._declare("_sw_weight", width, dtype=torch.float64)
            else:
                self._declare("_sw_defined", width)
            self._declare("_sw_undefined", 1)

    def _samplewise_additions(
        self,
        counts: torch.Tensor,
        average: str | None,
        seen: torch.Tensor | None = None,
        image_weight: torch.Tensor | None = None,
    ) -> dict[str, Addition]:
        """The additions of per-image counts (N, 3, C) to the running sums.

        With weights: ``counts`` are the sums of weights, ``seen`` the unweighted counts and
        ``image_weight`` (N,) each image's weight in the mean (see :mod:`ignite_f1._samplewise`).
        """
        scores, undefined = _samplewise.image_fbeta(
            counts, self.beta, average, vars(self).get("labels"), self.zero_division, seen
        )
        if image_weight is None:
            total, number = _samplewise.image_sums(scores)
            return {"_sw_sum": total, "_sw_defined": number, "_sw_undefined": undefined.sum().reshape(1)}
        total, weight = _samplewise.weighted_image_sums(scores, image_weight)
        counted = torch.where(image_weight.to(undefined.device) > 0, undefined, 0).sum()
        return {"_sw_sum": total, "_sw_weight": weight, "_sw_undefined": counted.reshape(1)}

    def _samplewise_result(self, state: State) -> Result:
        """The mean per-image score (weighted by image weight with ``sample_weight=True``) from the
        summed running sums; one warning for ``"warn"``."""
        if self.zero_division == "warn" and int(state["_sw_undefined"].sum()) > 0:
            why = (
                "no weight on true nor predicted samples of the class, in an image of weight > 0"
                if self.sample_weight
                else "no true nor predicted sample of the class in the image"
            )
            warnings.warn(
                f"{type(self).__name__}: {int(state['_sw_undefined'].sum())} per-image F-score(s) are "
                f"ill-defined ({why}) and set to 0.0 in the mean over images. Use `zero_division` to "
                "control this behavior.",
                UndefinedMetricWarning,
                stacklevel=3,
            )
        mean = self._image_means(state)
        if vars(self).get("average", _samplewise.BINARY) is None:
            return self._per_class(mean.numpy())
        return float(mean[0])

    def _image_means(self, state: State) -> torch.Tensor:
        number = state["_sw_weight"] if self.sample_weight else state["_sw_defined"]
        return _samplewise.mean_scores(state["_sw_sum"], number)

    def samplewise_scores(self) -> torch.Tensor:
        """The mean per-image scores that ``compute()`` gives a ``multidim_average="samplewise"`` metric.

        Read as :meth:`per_class_counts` reads the counts (the live sums in a single process, those
        kept by the last ``compute()`` in a distributed run: no collective call), without warning:
        float64, one per scored class with ``average=None``, else one (the averaged score); NaN
        where no image had a score.

        Raises:
            ValueError: the metric was built with ``multidim_average="global"``.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MulticlassF1Score
            >>> dice = MulticlassF1Score(2, average=None, multidim_average="samplewise", zero_division=0.0)
            >>> y = torch.tensor([[[0, 1], [1, 1]], [[0, 0], [0, 1]]])  # two 2 x 2 label maps
            >>> y_pred = torch.tensor([[[0, 1], [1, 0]], [[0, 0], [0, 0]]])
            >>> dice.update((y_pred, y))
            >>> dice.samplewise_scores()  # class 0: (2/3 + 6/7) / 2; class 1: (4/5 + 0) / 2
            tensor([0.7619, 0.4000], dtype=torch.float64)
            >>> dice.compute()
            tensor([0.7619, 0.4000], dtype=torch.float64)
        """
        if self.multidim_average != "samplewise":
            raise ValueError(
                f"{type(self).__name__}.samplewise_scores() needs a metric built with "
                f"multidim_average='samplewise', got multidim_average={self.multidim_average!r}."
            )
        return self._image_means(self._kept())

    def _sample_count(self, state: State) -> torch.Tensor:
        total = self._class_counts(state)[2].sum()  # the actual positives: one per sample
        return _weights.finite_total(total, type(self).__name__) if self.sample_weight else total

    def _class_counts(self, state: State) -> torch.Tensor:
        """(3, K) per-class counts of ``state``; from the matrix once per kept state (a new one
        after every update), shared by the check for samples, ``compute()`` and ``report()``."""
        if "_cm" not in state:
            return state["_counts"]
        kept = vars(self).get("_class_counts_of")
        if kept is None or kept[0] is not state:
            kept = self._class_counts_of = (state, _counts.confusion_class_counts(state["_cm"]))
        return kept[1]

    def _confusion_matrix(self) -> torch.Tensor:
        if not self.keep_confusion_matrix:
            raise RuntimeError(
                f"{type(self).__name__} was built with keep_confusion_matrix=False (the default above "
                f"{_validation.KEEP_CONFUSION_MATRIX_UP_TO} classes): it keeps per-class counts only, so it "
                "has no confusion matrix to give (nor a confusion-matrix image). Scores, report() and "
                "per_class_counts() work as before; build the metric with keep_confusion_matrix=True to "
                f"keep the {self._class_count()} x {self._class_count()} matrix."
            )
        return self._kept()["_cm"].clone()

    def _report(self) -> dict[str, Any]:
        state = self._kept()
        self._check_score_sums(state, 1.0, True, " (whose report() gives F1: beta = 1)")
        labels = vars(self).get("labels")  # scored_classes(), as an array (no list of C ints)
        scored = np.arange(self._class_count()) if labels is None else np.asarray(labels, dtype=np.int64)
        names = self.class_names
        if names is not None:
            names = list(names) if labels is None else [names[c] for c in labels]
        return _scores.classification_report_dict(
            self._class_counts(state), scored, names, self.zero_division, present=self._present(state)
        )

    def confidence_interval(
        self, level: float = 0.95, num_resamples: int = 1000, seed: int | None = None
    ) -> tuple[Result, Result]:
        """Bootstrap confidence interval of what ``compute()`` returns, exact from the confusion matrix.

        The F-beta of binary and multi-class data depends on the samples only through the
        confusion matrix, so resampling the N samples with replacement (the nonparametric
        bootstrap) is drawing a matrix from the multinomial with N trials and the observed cell
        frequencies. ``num_resamples`` matrices are drawn that way from the kept matrix (summed over
        processes, as ``confusion_matrix()`` reads it), each is scored with the metric's ``beta``,
        ``average``, ``labels`` and ``zero_division`` exactly as ``compute()`` would score it, and
        the bounds are the percentiles ``(1 - level) / 2`` and ``(1 + level) / 2`` of those scores.
        Nothing is stored per sample and ``update()`` is unchanged.

        Args:
            level: the confidence level, a real in (0, 1) (0.95: the central 95% of the resampled
                scores).
            num_resamples: the number of bootstrap resamples, an integer >= 1 (drawn and scored
                together, vectorised).
            seed: ``None`` (fresh randomness) or an integer >= 0: the same seed gives the same
                bounds for the same counts.

        Returns:
            ``(low, high)``: floats when ``compute()`` returns a float; with ``average=None`` two
            float64 tensors (one bound per class, or per entry of ``labels``), or two
            ``{name: bound}`` dicts with ``class_names``.

        Raises:
            TypeError, ValueError: an argument is not as described above.
            RuntimeError: the metric was built with ``keep_confusion_matrix=False`` (its per-class
                counts do not hold the joint distribution a resample needs), with
                ``sample_weight=True`` (a weighted bootstrap is not the multinomial one); it counted
                targets of several elements per sample since its last ``reset()`` (pixels of images,
                which are not independent samples; a state loaded by ``load_state_dict`` does not
                record it); in a distributed run, no ``compute()`` since the last update (as
                ``confusion_matrix()``).
            NotComputableError: no sample since the last :meth:`reset`.

        Notes:
            A resampled score that is undefined follows ``zero_division`` as in ``compute()`` (0.0,
            silently, for ``"warn"``). With ``zero_division=nan`` the resamples whose score is nan
            are left out of the percentiles (as scikit-learn leaves nan out of averages), so a
            bound is nan only when no resample has a score: a class with no sample and no
            prediction. Without ``labels``, a class that a resample misses in both targets and
            predictions is left out of its macro and weighted averages, as scikit-learn does. The
            percentile bounds move by Monte-Carlo error of order ``1 / sqrt(num_resamples)`` of the
            interval's spread; the interval is that of this evaluation set's sampling noise, not of
            the training run's. Multilabel metrics have no ``confidence_interval``: their per-label
            counts do not hold the joint distribution of the labels.

        Examples:
            >>> import torch
            >>> from ignite_f1 import BinaryF1Score, MulticlassF1Score
            >>> _ = torch.manual_seed(0)
            >>> y = torch.randint(0, 2, (2000,))
            >>> y_pred = torch.where(torch.rand(2000) < 0.8, y, 1 - y)  # 80% right
            >>> metric = BinaryF1Score(from_logits=False)
            >>> metric.update((y_pred, y))
            >>> round(metric.compute(), 3)
            0.823
            >>> low, high = metric.confidence_interval(seed=0)  # 95% of 1,000 resamples' F1
            >>> round(low, 3), round(high, 3)
            (0.805, 0.84)
            >>> metric.confidence_interval(seed=0) == (low, high)  # the same seed, the same bounds
            True
            >>> per_class = MulticlassF1Score(2, average=None, class_names=["cat", "dog"])
            >>> per_class.update((y_pred, y))
            >>> low, high = per_class.confidence_interval(level=0.9, seed=0)
            >>> {name: (round(low[name], 3), round(high[name], 3)) for name in low}
            {'cat': (0.8, 0.831), 'dog': (0.808, 0.838)}
        """
        level, num_resamples, seed = _bootstrap.check_interval_args(level, num_resamples, seed)
        if self.sample_weight:
            raise RuntimeError(
                f"{type(self).__name__}.confidence_interval() draws resamples of the samples from the "
                "multinomial of the confusion matrix's counts, and this metric was built with "
                "sample_weight=True: its cells are sums of weights, whose resampling (a weighted "
                "bootstrap) depends on each sample's weight, which the sums do not keep. Bootstrap the "
                "weighted samples yourself, or build the metric with sample_weight=False."
            )
        if self.multidim_average == "samplewise":
            raise RuntimeError(
                f"{type(self).__name__}.confidence_interval() bootstraps the pooled confusion matrix, and "
                "this metric was built with multidim_average='samplewise': its compute() is a mean of "
                "per-image scores, which the pooled matrix cannot resample. Resample the images instead, "
                "or build the metric with multidim_average='global'."
            )
        if self._images_counted:
            raise RuntimeError(
                f"{type(self).__name__}.confidence_interval() resamples the counted elements as "
                "independent samples, and since its reset this metric counted targets of several "
                "elements per sample (the pixels of images), which are not independent: resampling them "
                "gives a band far narrower than resampling the images would. Bootstrap the images "
                "yourself (their per-image scores: multidim_average='samplewise'), or count one element "
                "per sample."
            )
        if not self.keep_confusion_matrix:
            raise RuntimeError(
                f"{type(self).__name__}.confidence_interval() needs the confusion matrix, and this metric "
                "was built with keep_confusion_matrix=False: its per-class counts do not hold the joint "
                "distribution of (true, predicted) pairs that resampling the samples draws from. Build the "
                f"metric with keep_confusion_matrix=True to keep the {self._class_count()} x "
                f"{self._class_count()} matrix."
            )
        low, high = _bootstrap.fbeta_interval(
            self._kept()["_cm"],
            beta=self.beta,
            average=vars(self).get("average", _bootstrap.BINARY),  # the binary metrics score class 1
            labels=vars(self).get("labels"),
            zero_division=self.zero_division,
            level=level,
            num_resamples=num_resamples,
            seed=seed,
        )
        if isinstance(low, float) and isinstance(high, float):
            return low, high
        return self._per_class(np.asarray(low)), self._per_class(np.asarray(high))

    def _check_layout_of(self, state_dict: Any) -> None:
        """A multi-class state of the other ``keep_confusion_matrix`` choice, whose counts have the
        shape of that choice for this metric's classes: say so, rather than "missing entry" (a binary
        metric has no such argument; a state of another kind was refused before, by its settings)."""
        if "keep_confusion_matrix" not in vars(self):  # set by the multi-class metrics only
            return
        mine, other = ("_cm", "_counts") if self.keep_confusion_matrix else ("_counts", "_cm")
        shape = (3, self.num_classes) if other == "_counts" else (self.num_classes, self.num_classes)
        ranks = _state.per_rank_entries(state_dict) or []
        entries = [entry.get(other) for entry in ranks if mine not in entry]
        if any(isinstance(entry, torch.Tensor) and tuple(entry.shape) == shape for entry in entries):
            raise ValueError(
                f"Argument `state_dict` must come from a {type(self).__name__} with "
                f"keep_confusion_matrix={self.keep_confusion_matrix} like this one, got the state of one "
                f"built with keep_confusion_matrix={not self.keep_confusion_matrix} (it holds `{other}`, "
                f"this metric keeps `{mine}`): build this metric with "
                f"keep_confusion_matrix={not self.keep_confusion_matrix} to load it."
            )
