"""What the TensorBoard summary reads from a metric: the protocol :class:`F1SummarySource` and its checks.

A metric is read only through this protocol (per-class counts, scored classes, class names, the
kept threshold histogram, and for the confidence band ``confidence_interval``) and the attributes
``multidim_average`` and ``average``, and for the mean per-image scores of a samplewise metric
with ``average=None`` its ``samplewise_scores()`` (which reads the kept sums as
``per_class_counts()`` reads the counts), never through its type or private state.
"""

from __future__ import annotations

import numbers
from typing import Any, Protocol

import numpy as np
import torch
from ignite.metrics import Metric

from ignite_f1 import _bootstrap, _validation


class F1SummarySource(Protocol):
    """What the TensorBoard summary reads from a metric: every F1 / F-beta metric of this package.

    The methods are those :class:`ignite_f1.metrics.CountingMetric` documents for handlers, plus
    ``confusion_matrix()`` and ``report()``. The summary never looks at the metric's type or its
    private state (the per-image scores of a samplewise metric with ``average=None`` are its
    ``samplewise_scores()``): any object with these members can be logged (``confusion_matrix()`` is
    needed only for the image, ``report()`` only for the table). Every method reads counts summed over
    processes (in a distributed run, those kept by the last ``compute()``, so that one process can
    write alone; in a single process, the live counts) and raises Ignite's ``NotComputableError``
    before any sample. In a distributed run a method called with no ``compute()`` since the last
    update, ``reset()`` or ``load_state_dict()`` raises ``RuntimeError`` instead: one process alone
    cannot know whether the counts summed over the processes hold a sample.

    With ``confidence_level``, the summary also calls ``confidence_interval(level=..., seed=0)``,
    which must return two floats (the binary and multi-class metrics have it): it is not part of
    the protocol, since multilabel metrics cannot give it, and is checked only when a level is given.

    Attributes:
        beta: the weight of recall against precision (1.0 for F1); names the scalars ``f1``, ``f2``...
        zero_division: the value of an undefined ratio, as scikit-learn takes it.

    Examples:
        >>> from ignite_f1 import MultilabelF1Score
        >>> from ignite_f1.tensorboard import F1SummarySource
        >>> metric: F1SummarySource = MultilabelF1Score(3, from_logits=True)
        >>> metric.class_display_names(), metric.scored_classes()
        (['0', '1', '2'], [0, 1, 2])
    """

    beta: float
    zero_division: str | float

    def per_class_counts(self) -> torch.Tensor:
        """(3, K) true positives, predicted and actual positives per class (float64 with weights).

        Examples:
            >>> import torch
            >>> from ignite_f1 import BinaryF1Score
            >>> metric = BinaryF1Score(from_logits=False)
            >>> metric.update((torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1, 0, 0])))
            >>> metric.per_class_counts()  # rows: tp, predicted, actual; columns: classes 0, 1
            tensor([[1, 1],
                    [1, 2],
                    [2, 1]])
        """
        ...

    def scored_classes(self) -> list[int]:
        """The indices of the classes the scores and the report cover.

        Examples:
            >>> from ignite_f1 import MulticlassF1Score
            >>> MulticlassF1Score(4, labels=[3, 1]).scored_classes()
            [3, 1]
        """
        ...

    def class_display_names(self) -> list[str]:
        """The K class names.

        Examples:
            >>> from ignite_f1 import MulticlassF1Score
            >>> MulticlassF1Score(2, class_names=["healthy", "sick"]).class_display_names()
            ['healthy', 'sick']
        """
        ...

    def threshold_histogram(self) -> torch.Tensor | None:
        """The threshold histogram, (2, T) or (2, K, T), or ``None`` when the metric keeps none.

        Examples:
            >>> import torch
            >>> from ignite_f1 import BinaryF1Score
            >>> metric = BinaryF1Score(from_logits=False, num_thresholds=3)
            >>> metric.update((torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1, 0, 0])))
            >>> metric.threshold_histogram().shape  # negatives and positives at thresholds 0, 0.5, 1
            torch.Size([2, 3])
            >>> BinaryF1Score(from_logits=False).threshold_histogram() is None
            True
        """
        ...

    def confusion_matrix(self) -> torch.Tensor:
        """The confusion matrix, (K, K) or (K, 2, 2), drawn as the image.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MulticlassF1Score
            >>> metric = MulticlassF1Score(3)
            >>> metric.update((torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 2])))
            >>> metric.confusion_matrix()  # rows: true class, columns: predicted
            tensor([[1, 0, 0],
                    [0, 1, 1],
                    [0, 0, 1]])
        """
        ...

    def report(self) -> dict[str, Any]:
        """scikit-learn's ``classification_report(output_dict=True)`` of the scored classes.

        Examples:
            >>> import torch
            >>> from ignite_f1 import MulticlassF1Score
            >>> metric = MulticlassF1Score(3, class_names=["cat", "dog", "owl"])
            >>> metric.update((torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 2])))
            >>> dog = metric.report()["dog"]  # 1 of its 2 samples found, by 1 prediction
            >>> dog["precision"], dog["recall"], round(dog["f1-score"], 4)
            (1.0, 0.5, 0.6667)
        """
        ...


ALWAYS = ("per_class_counts", "scored_classes", "class_display_names", "threshold_histogram")
# per_class=None and report=None write the per-class scalars and the report up to this many scored
# classes: the bound of keep_confusion_matrix=None, which decides the image's default
CLASSES_UP_TO = _validation.KEEP_CONFUSION_MATRIX_UP_TO


def check_source(metric: Any, confusion_matrix: bool, report: bool) -> None:
    """Refuse a metric that lacks a member of :class:`F1SummarySource` that the flags need."""
    methods = [*ALWAYS, *(["confusion_matrix"] if confusion_matrix else []), *(["report"] if report else [])]
    missing = [f"{name}()" for name in methods if not callable(_member(metric, name))]
    missing += [name for name in ("beta", "zero_division") if _member(metric, name) is None]
    if missing:
        raise TypeError(
            "Argument `metric` must be an F1 / F-beta metric of ignite_f1, or provide what the summary "
            f"reads (F1SummarySource): {', '.join(f'{name}()' for name in ALWAYS)}, beta, zero_division, "
            "confusion_matrix() for the image and report() for the table; "
            f"got {type(metric).__name__}, which lacks {', '.join(missing)}."
        )


def _member(metric: Any, name: str, default: Any = None) -> Any:
    """``metric``'s own member ``name``, or ``default``. Ignite's ``Metric`` answers any other name
    with a ``MetricsLambda`` factory, which is callable: its members are looked up on the object's
    own attributes and on its class instead."""
    if isinstance(metric, Metric):
        return vars(metric)[name] if name in vars(metric) else getattr(type(metric), name, default)
    return getattr(metric, name, default)


def image_flag(metric: Any, confusion_matrix: Any) -> bool:
    """Resolve ``confusion_matrix``: ``None`` draws the image when the metric keeps a matrix, ``True``
    is refused for a metric built with ``keep_confusion_matrix=False`` (it has none to draw)."""
    keeps = _member(metric, "keep_confusion_matrix", True)
    if confusion_matrix is None:
        return bool(keeps)
    if not isinstance(confusion_matrix, (bool, np.bool_)):
        raise TypeError(f"Argument `confusion_matrix` must be None, True or False, got {confusion_matrix!r}.")
    if confusion_matrix and not keeps:
        raise ValueError(
            f"Argument `confusion_matrix` must be None or False for a {type(metric).__name__} built with "
            f"keep_confusion_matrix=False (the default above {_validation.KEEP_CONFUSION_MATRIX_UP_TO} "
            "classes): it keeps per-class counts only, no matrix to draw (None skips the image; build "
            "the metric with keep_confusion_matrix=True to draw it), got True."
        )
    return bool(confusion_matrix)


def class_count_flag(metric: F1SummarySource, argument: str, value: Any) -> bool:
    """Resolve ``per_class`` or ``report``: ``None`` writes them when the metric scores at most
    :data:`CLASSES_UP_TO` classes (a scalar or a table row per class), ``True`` always, ``False`` never."""
    if value is None:
        return len(metric.scored_classes()) <= CLASSES_UP_TO
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Argument `{argument}` must be None, True or False, got {value!r}.")
    return bool(value)


def check_step(step: Any) -> int:
    """Check ``step``: an integer (``int``, a NumPy integer or a 0-d integer tensor), as an ``int``; a
    bool, a float or a string is refused, not rounded or parsed."""
    if isinstance(step, torch.Tensor) and step.ndim == 0 and not step.is_floating_point():
        step = step.item()  # a bool or complex one is refused below
    if not isinstance(step, numbers.Integral) or isinstance(step, (bool, np.bool_)):
        raise TypeError(
            f"Argument `step` must be an integer (the global step, such as the epoch), got {step!r}."
        )
    return int(step)


def check_unchanged(argument: str, value: str) -> None:
    """For a band around another writer's scalar (``score_name``), refuse a ``tag`` or score name that
    TensorBoard's cleaning changes: that writer may not clean the scalar's tag (torch's
    ``SummaryWriter`` does not), and the chart would name a scalar that does not exist."""
    cleaned = _validation.TAG_CHARACTERS.sub("_", value)
    ends = argument == "tag" and value.strip("/") != value
    if cleaned != value or ends:
        rule = "letters, digits, '_', '-', '.' and '/'"
        rule += " (not at its ends)" if argument == "tag" else ""
        raise ValueError(
            f"Argument `{argument}` must hold only {rule} for a band around the score's scalar, which "
            "another writer writes and may not clean as the summary cleans its tags (torch's "
            "SummaryWriter does not): the margin chart would name a scalar that does not exist "
            f"(use {cleaned.strip('/') if ends else cleaned!r}), got {value!r}."
        )


def is_samplewise(metric: Any) -> bool:
    """Whether the metric scores the mean of per-image scores (``multidim_average="samplewise"``)."""
    return bool(_member(metric, "multidim_average", "global") == "samplewise")


def image_means(metric: Any) -> bool:
    """Whether the summary writes per-class mean per-image scores: a samplewise metric of this
    package with ``average=None``, whose ``compute()`` gives them."""
    return (
        is_samplewise(metric)
        and _member(metric, "average", _bootstrap.BINARY) is None
        and callable(_member(metric, "samplewise_scores"))
    )


def per_class_kinds(metric: Any, score: str) -> tuple[str, ...]:
    """The second level of the per-class scalars: ``(f1, precision, recall)``; for a samplewise
    metric, whose per-class counts pool the pixels of all images, ``pooled_`` before each, and the
    per-image ``f1`` first when the metric has ``average=None``. The first pooled one is charted."""
    if not is_samplewise(metric):
        return score, "precision", "recall"
    pooled = (f"pooled_{score}", "pooled_precision", "pooled_recall")
    return (score, *pooled) if image_means(metric) else pooled


def clean_name(name: str) -> str:
    """A class name as one tag level: TensorBoard's cleaning, then ``/`` -> ``_``."""
    return _validation.TAG_CHARACTERS.sub("_", name).replace("/", "_")


def tag_class_names(metric: F1SummarySource, class_names: Any) -> tuple[list[str], list[str]]:
    """(display names, tag names) of a metric's classes; tag names must be distinct once cleaned."""
    own = list(metric.class_display_names())
    count_name = "num_labels" if hasattr(metric, "num_labels") else "num_classes"
    names = _validation.check_class_names(class_names, len(own), count_name)
    names = own if names is None else names
    cleaned = [clean_name(name) for name in names]
    if "" in cleaned:
        raise ValueError(f"Argument `class_names` must not hold an empty name, got {names!r}.")
    first: dict[str, str] = {}
    for name, tag_name in zip(names, cleaned, strict=True):
        if tag_name in first:
            raise ValueError(
                "Argument `class_names` must stay distinct once cleaned for TensorBoard tags (characters "
                f"outside [-\\w.] and '/' become '_'), got {first[tag_name]!r} and {name!r}, "
                f"both {tag_name!r}."
            )
        first[tag_name] = name
    return names, cleaned


def check_outside_classes(
    argument: str, name: str, kinds: tuple[str, ...], tag_names: list[str], band: bool
) -> None:
    """Refuse the name of a scalar written beside the per-class scores (``{tag}/{name}``, and with
    ``band`` its bounds ``{name}_ci_low`` and ``_ci_high``) that is the tag of a class's score, such
    as ``"f1/macro"`` beside a class named "macro": TensorBoard would show two series as one."""
    cleaned = _validation.TAG_CHARACTERS.sub("_", name)
    classes = set(tag_names)
    for kind in kinds:
        for scalar in (cleaned, f"{cleaned}_ci_low", f"{cleaned}_ci_high")[: 3 if band else 1]:
            if scalar.startswith(f"{kind}/") and scalar[len(kind) + 1 :] in classes:
                raise ValueError(
                    f"Argument `{argument}` must not name a scalar under `{kind}/`, where the summary "
                    f"writes each class's {kind}: {scalar!r} is the tag of class "
                    f"{scalar[len(kind) + 1 :]!r} (choose another name, such as "
                    f"{cleaned.replace('/', '_')!r}), got {name!r}."
                )


def check_confidence_level(value: Any) -> float | None:
    """Check ``confidence_level``: None (no band) or a real number in (0, 1)."""
    if value is None:
        return None
    rule = "None or a real number in (0, 1), such as 0.95"
    if not _validation.is_real(value):
        raise TypeError(f"Argument `confidence_level` must be {rule}, got {value!r}.")
    if not 0 < value < 1:  # also refuses nan
        raise ValueError(f"Argument `confidence_level` must be {rule}, got {value!r}.")
    return float(value)


def check_band_source(metric: Any, level: float) -> None:
    """Refuse, for a confidence band, a metric that cannot give the interval of one averaged score.

    These are the cases in which ``confidence_interval()`` raises (no method: multilabel metrics;
    ``keep_confusion_matrix=False``, ``sample_weight=True``, ``multidim_average="samplewise"``), read
    from the metric's public attributes, plus ``average=None`` (per-class bounds, not one score), so
    that the handler refuses them when it is built rather than at its first write.
    """
    name = type(metric).__name__
    if not callable(_member(metric, "confidence_interval")):
        why = (
            "its per-label counts do not hold the joint distribution of the labels that resampling "
            "the samples draws from"
            if hasattr(metric, "num_labels")
            else "it has no confidence_interval()"
        )
        raise TypeError(
            f"Argument `confidence_level` must be None for {name}: {why} (the band needs the exact "
            f"bootstrap of a binary or multi-class metric's confusion matrix), got {level!r}."
        )
    if not _member(metric, "keep_confusion_matrix", True):
        raise ValueError(
            f"Argument `confidence_level` must be None for a {name} built with "
            "keep_confusion_matrix=False: its per-class counts do not hold the joint distribution of "
            "(true, predicted) pairs that the bootstrap resamples (build it with "
            f"keep_confusion_matrix=True), got {level!r}."
        )
    if _member(metric, "sample_weight", False):
        raise ValueError(
            f"Argument `confidence_level` must be None for a {name} built with sample_weight=True: its "
            "counts are sums of weights, and the bootstrap of weighted samples depends on each weight, "
            f"which the sums do not keep (build it with sample_weight=False), got {level!r}."
        )
    if _member(metric, "multidim_average", "global") == "samplewise":
        raise ValueError(
            f"Argument `confidence_level` must be None for a {name} built with "
            "multidim_average='samplewise': its score is a mean of per-image scores, which the pooled "
            "confusion matrix cannot resample (build it with multidim_average='global'), "
            f"got {level!r}."
        )
    if _member(metric, "average", _bootstrap.BINARY) is None:
        raise ValueError(
            f"Argument `confidence_level` must be None for a {name} with average=None: the band is "
            "that of one averaged score (per-class bounds: metric.confidence_interval()), "
            f"got {level!r}."
        )
