"""What :class:`F1TensorboardHandler` and :func:`log_f1_summary` write, read through the metric's counts.

See :mod:`ignite_f1.tensorboard` for the tags written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ignite.engine import Engine, Events
from ignite.handlers.base_logger import BaseHandler

from ignite_f1.tensorboard._source import F1SummarySource, check_step
from ignite_f1.tensorboard._writing import _Summary, _writer_of

__all__ = ["F1SummarySource", "F1TensorboardHandler", "log_f1_summary"]


def log_f1_summary(
    writer: Any,
    metric: F1SummarySource,
    tag: str,
    step: int,
    class_names: Sequence[str] | None = None,
    per_class: bool | None = None,
    confusion_matrix: bool | None = None,
    report: bool | None = None,
    pr_curve: bool = True,
    *,
    confidence_level: float | None = None,
    score_name: str | None = None,
) -> None:
    """Write what :class:`F1TensorboardHandler` writes, to any ``SummaryWriter``, at ``step``.

    For code outside Ignite (a Lightning module, a plain loop): call it after ``metric.compute()``.
    Everything that can fail (the scores, the interval, the image, the table) is made before the
    first write, so a call that raises writes nothing.

    Args:
        writer: a ``tensorboardX.SummaryWriter``, a ``torch.utils.tensorboard.SummaryWriter`` or an
            Ignite ``TensorboardLogger``.
        metric: a binary, multi-class or multilabel F1 / F-beta metric of this package, or any
            object with the members of :class:`F1SummarySource`.
        tag: the first level of every tag written (cleaned as TensorBoard cleans tags).
        step: the global step (for example the epoch): an ``int``, a NumPy integer or a 0-d
            integer tensor.
        class_names: names of the classes (2 for a binary metric); default: the metric's
            ``class_names``, else ``0..C-1``.
        per_class: write the per-class scalars and their custom-scalars chart: ``None`` (default)
            when the metric scores at most 1024 classes (three scalars per class at each step),
            ``True`` always, ``False`` never.
        confusion_matrix: write the confusion-matrix image: ``None`` (default) when the metric
            keeps a confusion matrix (not for a multi-class metric built with
            ``keep_confusion_matrix=False``, the default above 1024 classes), ``True`` always,
            ``False`` never.
        report: write the classification report as a markdown table: ``None`` (default) when the
            metric scores at most 1024 classes (one row per class), ``True`` always, ``False`` never.
        pr_curve: write the PR curve(s) of a metric built with ``num_thresholds``.
        confidence_level: None (no band), or a level in (0, 1) such as 0.95: also write the
            bootstrap bounds of the averaged score, ``{tag}/{name}_ci_low`` and
            ``{tag}/{name}_ci_high``, next to the score ``{tag}/{name}`` (``name``: ``f1``,
            ``f2``..., or ``score_name``), and a custom-scalars margin chart of the three. The
            bounds are ``metric.confidence_interval(confidence_level, seed=0)`` (1,000 resamples of
            the kept confusion matrix; the fixed seed draws the same band from the same counts).
            Binary and multi-class metrics with an averaged score only (see Raises).
        score_name: with ``confidence_level``, the name of a scalar ``{tag}/{score_name}`` that
            already holds the averaged score at the same steps (Ignite's ``OutputHandler`` with
            ``metric_names=[score_name]`` and this ``tag``, or your own ``add_scalar``): only the
            bounds are written then, named after it, and the margin chart draws that scalar.
            Default: the score is written here, as ``{tag}/f1`` (``{tag}/f2``...). ``tag`` and
            ``score_name`` must then be tags as they are (letters, digits, ``_``, ``-``, ``.`` and
            ``/``): the other writer may not clean them as the summary does.

    Raises:
        TypeError: a metric without the members of :class:`F1SummarySource`; a ``step`` that is
            not an integer (a bool, a float or a string); with ``confidence_level``, a metric
            without ``confidence_interval()`` (multilabel metrics: their per-label counts do not
            hold what the bootstrap resamples).
        ValueError: class names that collide once cleaned; ``confusion_matrix=True`` for a metric
            built with ``keep_confusion_matrix=False``; a ``confidence_level`` outside (0, 1), or
            given for a metric that cannot give the interval of one averaged score: built with
            ``keep_confusion_matrix=False``, ``sample_weight=True``,
            ``multidim_average="samplewise"`` or ``average=None``; ``score_name`` without
            ``confidence_level``, or with it a ``tag`` or ``score_name`` that cleaning would change.
        NotComputableError: the metric has no sample.
        RuntimeError: in a distributed run, a metric not computed since its last update,
            ``reset()`` or ``load_state_dict()``; ``confidence_interval()`` refuses the counts (a
            metric that counted label maps, whose pixels are no independent samples).
        ImportError: matplotlib is missing while the image is drawn (``confusion_matrix`` None or
            True): install the ``tensorboard`` extra, or pass ``confusion_matrix=False``.

    Examples:
        >>> import tempfile, torch
        >>> from tensorboardX import SummaryWriter
        >>> from ignite_f1 import MulticlassF1Score
        >>> from ignite_f1.tensorboard import log_f1_summary
        >>> metric = MulticlassF1Score(num_classes=3, class_names=["cat", "dog", "owl"])
        >>> metric.update((torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 2])))
        >>> round(metric.compute(), 4)
        0.7778
        >>> with tempfile.TemporaryDirectory() as logdir:
        ...     with SummaryWriter(logdir) as writer:
        ...         log_f1_summary(writer, metric, "val", step=1)

        With ``confidence_level``, the macro F1 and its 95% bootstrap band (wide: 4 samples):

        >>> from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        >>> with tempfile.TemporaryDirectory() as logdir:
        ...     with SummaryWriter(logdir) as writer:
        ...         log_f1_summary(writer, metric, "val", 1, per_class=False,
        ...                        confidence_level=0.95)
        ...     events = EventAccumulator(logdir).Reload()
        >>> sorted(events.Tags()["scalars"])
        ['val/f1', 'val/f1_ci_high', 'val/f1_ci_low']
        >>> [round(events.Scalars(t)[0].value, 4) for t in sorted(events.Tags()["scalars"])]
        [0.7778, 1.0, 0.33]
        >>> low, high = metric.confidence_interval(0.95, seed=0)  # the bounds written
        >>> round(low, 4), round(high, 4)
        (0.33, 1.0)
    """
    summary = _Summary(
        metric, tag, class_names, per_class, confusion_matrix, report, pr_curve, confidence_level, score_name
    )
    summary.write(_writer_of(writer), check_step(step))


class F1TensorboardHandler(BaseHandler):
    """Ignite logger handler: per-class F-scores, confusion-matrix image, report table and PR curves.

    Attach it with ``TensorboardLogger.attach(evaluator, log_handler=..., event_name=Events.COMPLETED)``.
    It reads the metric's counts as :mod:`ignite_f1.tensorboard` describes: in a single process the
    live counts, in a distributed run the sums kept by the last ``compute()`` (so it can be attached
    on one process only and never starts a collective call). Attached at ``COMPLETED``, after
    Ignite's ``compute()`` at ``EPOCH_COMPLETED`` and before any new update, it logs the counts
    ``compute()`` scored: for a metric built with ``multidim_average="samplewise"``, whose score is
    a mean of per-image scores, the per-class scores of the counts are those of the pixels pooled
    over all images, named ``pooled_...``, and with ``average=None`` ``{tag}/f1/{class}`` holds
    what ``compute()`` returned. See :mod:`ignite_f1.tensorboard` for the tags.

    Args:
        metric: a binary, multi-class or multilabel F1 / F-beta metric of this package, attached to
            the engine (or any object with the members of :class:`F1SummarySource`).
        tag: the first level of every tag, e.g. ``"validation"``.
        class_names: names of the classes (2 for a binary metric); default: the metric's
            ``class_names``, else ``0..C-1``. Cleaned for tags as TensorBoard cleans them, ``/``
            becoming ``_``; names that collide once cleaned are refused.
        global_step_transform: ``(engine, event_name) -> int``; use
            ``global_step_from_engine(trainer)`` on an evaluator so the points land on the
            trainer's epochs. Default: the engine's own counter for the event.
        per_class: write ``{tag}/{f1|fbeta}/{class}``, ``{tag}/precision/{class}``,
            ``{tag}/recall/{class}`` of the scored classes and custom-scalars charts of their
            F-scores (one, or from 6 to 20 of them one per group of at most 5, so that each has
            its own marker); for a samplewise metric ``{tag}/pooled_{f1|fbeta}/{class}``,
            ``{tag}/pooled_precision/{class}``, ``{tag}/pooled_recall/{class}`` (charted), and
            with ``average=None`` also ``{tag}/{f1|fbeta}/{class}``, the class's mean per-image
            score. ``None`` (default) when the metric scores at most 1024 classes, ``True``
            always, ``False`` never.
        confusion_matrix: write the image ``{tag}/confusion_matrix``: ``None`` (default) when the
            metric keeps a confusion matrix (not with ``keep_confusion_matrix=False``, the default
            above 1024 classes); ``True`` always (refused for such a metric); ``False`` never.
        report: write the text ``{tag}/classification_report`` (listed by TensorBoard as
            ``{tag}/classification_report/text_summary``): ``None`` (default) when the metric
            scores at most 1024 classes, ``True`` always, ``False`` never.
        pr_curve: write ``{tag}/pr_curve`` (per label: ``{tag}/pr_curve/{label}``) for a metric built
            with ``num_thresholds``; ignored otherwise.
        confidence_level: None (no band), or a level in (0, 1) such as 0.95: also write the
            bootstrap bounds of the averaged score, ``{tag}/{name}_ci_low`` and
            ``{tag}/{name}_ci_high``, next to the score ``{tag}/{name}`` (``name``: ``f1``,
            ``f2``..., or ``score_name``), and a custom-scalars margin chart of the three. The
            bounds are ``metric.confidence_interval(confidence_level, seed=0)`` (1,000 resamples of
            the kept confusion matrix; the fixed seed draws the same band from the same counts).
            Binary and multi-class metrics with an averaged score only (see Raises).
        score_name: with ``confidence_level``, the name of a scalar ``{tag}/{score_name}`` that
            already holds the averaged score at the same steps (Ignite's ``OutputHandler`` with
            ``metric_names=[score_name]`` and this ``tag``, or your own ``add_scalar``): only the
            bounds are written then, named after it, and the margin chart draws that scalar.
            Default: the score is written here, as ``{tag}/f1`` (``{tag}/f2``...). ``tag`` and
            ``score_name`` must then be tags as they are (letters, digits, ``_``, ``-``, ``.`` and
            ``/``): the other writer may not clean them as the summary does.

    Raises:
        TypeError: a metric without the members of :class:`F1SummarySource`, or a non-callable
            ``global_step_transform``; with ``confidence_level``, a metric without
            ``confidence_interval()`` (multilabel metrics: their per-label counts do not hold what
            the bootstrap resamples).
        ValueError: class names of the wrong number, repeated, or colliding once cleaned;
            ``confusion_matrix=True`` for a metric built with ``keep_confusion_matrix=False``; a
            ``confidence_level`` outside (0, 1), or given for a metric that cannot give the interval
            of one averaged score: built with ``keep_confusion_matrix=False``, ``sample_weight=True``,
            ``multidim_average="samplewise"`` or ``average=None`` (``confidence_interval()`` would
            raise at the first write); ``score_name`` without ``confidence_level``, or with it a
            ``tag`` or ``score_name`` that cleaning would change.

    Notes:
        TensorBoard shows only the last custom-scalars layout written to a run, so the handlers that
        share a writer keep one merged layout (category "F-scores per class", the charts of each tag)
        and rewrite it whenever a new chart joins. A layout of your own on the same writer would
        replace it, and so would the layout of another writer on the same directory (TensorBoard
        reads one layout per run, a run being a directory): log through one writer, or give each
        writer its own directory.
        The margin charts of ``confidence_level`` join that layout, in the category
        "F-score confidence bands", one chart per tag, titled
        ``"{tag}/{name} with its 95% bootstrap band"``. TensorBoard draws a margin chart only when
        the score and its two bounds have the same steps. Everything that can fail is made before
        the first write, so a step that raises writes nothing.

    Examples:
        >>> import tempfile, torch
        >>> from ignite.engine import Engine, Events
        >>> from ignite.handlers import TensorboardLogger
        >>> from ignite_f1 import BinaryF1Score
        >>> from ignite_f1.tensorboard import F1TensorboardHandler
        >>> evaluator = Engine(lambda engine, batch: batch)
        >>> f1 = BinaryF1Score(from_logits=False, num_thresholds=11)
        >>> f1.attach(evaluator, "f1")
        >>> batches = [(torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1, 0, 0]))]
        >>> with tempfile.TemporaryDirectory() as logdir:
        ...     tb_logger = TensorboardLogger(log_dir=logdir)
        ...     handler = F1TensorboardHandler(f1, "val", class_names=["healthy", "sick"])
        ...     _ = tb_logger.attach(evaluator, log_handler=handler, event_name=Events.COMPLETED)
        ...     state = evaluator.run(batches)
        ...     tb_logger.close()
        >>> state.metrics["f1"], f1.best_threshold()
        (0.666..., (0.7, 1.0))
    """

    def __init__(
        self,
        metric: F1SummarySource,
        tag: str,
        class_names: Sequence[str] | None = None,
        global_step_transform: Callable[[Engine, str | Events], int] | None = None,
        per_class: bool | None = None,
        confusion_matrix: bool | None = None,
        report: bool | None = None,
        pr_curve: bool = True,
        *,
        confidence_level: float | None = None,
        score_name: str | None = None,
    ) -> None:
        if global_step_transform is not None and not callable(global_step_transform):
            raise TypeError(
                f"Argument `global_step_transform` must be callable or None, got {global_step_transform!r}."
            )
        self._summary = _Summary(
            metric,
            tag,
            class_names,
            per_class,
            confusion_matrix,
            report,
            pr_curve,
            confidence_level,
            score_name,
        )
        self.metric = metric
        self.tag = self._summary.tag
        self.class_names = list(self._summary.names)
        self.global_step_transform = global_step_transform

    def __call__(self, engine: Engine, logger: Any, event_name: str | Events) -> None:
        """Write the summary of the metric's counts at the step of ``event_name``.

        ``TensorboardLogger.attach`` makes this call on each ``event_name`` of the engine; call it
        yourself to write one summary now.

        Args:
            engine: the engine the metric is attached to (usually the evaluator).
            logger: an Ignite ``TensorboardLogger`` (or a ``SummaryWriter``) to write to.
            event_name: the event being handled; without ``global_step_transform`` the step is
                the engine's counter for it (the epoch for ``Events.COMPLETED``).

        Raises:
            TypeError: ``logger`` is neither a ``TensorboardLogger`` nor a ``SummaryWriter``, or the
                step is not an integer.
            NotComputableError: the metric has no sample.
            RuntimeError: in a distributed run, a metric not computed since its last update,
                ``reset()`` or ``load_state_dict()``.

        Examples:
            >>> import tempfile, torch
            >>> from ignite.engine import Engine, Events
            >>> from ignite.handlers import TensorboardLogger
            >>> from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            >>> from ignite_f1 import BinaryF1Score
            >>> from ignite_f1.tensorboard import F1TensorboardHandler
            >>> evaluator = Engine(lambda engine, batch: batch)
            >>> f1 = BinaryF1Score(from_logits=False)
            >>> f1.attach(evaluator, "f1")
            >>> _ = evaluator.run([(torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1, 0, 0]))])  # 1 epoch
            >>> with tempfile.TemporaryDirectory() as logdir:
            ...     with TensorboardLogger(log_dir=logdir) as tb_logger:
            ...         F1TensorboardHandler(f1, "val")(evaluator, tb_logger, Events.COMPLETED)
            ...     events = EventAccumulator(logdir).Reload()
            >>> [(event.step, round(event.value, 4)) for event in events.Scalars("val/f1/1")]  # tp 1, fp 1
            [(1, 0.6667)]
            >>> events.Tags()["images"]
            ['val/confusion_matrix']
        """
        writer = _writer_of(logger)
        if self.global_step_transform is None:
            step = engine.state.get_event_attrib_value(event_name)
        else:
            step = self.global_step_transform(engine, event_name)
        if not isinstance(step, int):
            raise TypeError(
                f"global_step must be int, got {type(step)}. "
                "Please check the output of global_step_transform."
            )
        self._summary.write(writer, step)
