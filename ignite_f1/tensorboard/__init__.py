"""TensorBoard logging of F1 metrics: per-class curves, a confusion-matrix picture, the report table.

:class:`F1TensorboardHandler` plugs into Ignite's ``TensorboardLogger``; :func:`log_f1_summary` does the
same for any ``SummaryWriter`` (tensorboardX or ``torch.utils.tensorboard``), for code outside Ignite.
Neither starts a collective call, so either can run on one process only. In a distributed run they
read the counts summed over processes by the metric's last ``compute()``, and raise ``RuntimeError``
when the metric was updated after it. In a single process they read the live counts, those of the
last ``update()``: called after ``compute()`` and before the next update (as Ignite's order of events
does: ``compute()`` at ``EPOCH_COMPLETED``, the handler at ``COMPLETED``), they log what ``compute()``
returned; called after a further update, they log those counts. For a metric ``m`` and tag ``val``
they write, at one step:

- scalars ``val/f1/<class>``, ``val/precision/<class>``, ``val/recall/<class>`` of the scored
  classes (those of ``labels`` when given), class names cleaned the way TensorBoard cleans tags
  with ``/`` -> ``_``; F-beta metrics say ``f2``, ``f0.5``... instead of ``f1``: the shortest number
  that is ``beta`` (``f1.0000001``), cleaned like the tags (``f1e_06`` for ``beta=1e6``), the same
  name in every tag, chart and table. For a metric built with ``multidim_average="samplewise"``,
  whose score is a mean of per-image scores while its counts pool the pixels of all images, these
  are ``val/pooled_f1/<class>``, ``val/pooled_precision/<class>`` and ``val/pooled_recall/<class>``,
  and with ``average=None`` ``val/f1/<class>`` is the class's mean per-image score, as
  ``m.compute()`` gives it. By default (``per_class=None``) only up to 1024 scored classes;
- custom-scalars charts of the (pooled) F-scores of the scored classes: one per tag, or, from 6 to
  20 of them, one per group of at most 5 (TensorBoard draws a run's curves in one colour and tells
  them apart by 5 markers); all the handlers of a writer merged into one layout (TensorBoard keeps
  only the last layout written to a run, a directory: another writer's layout there replaces it);
- the image ``val/confusion_matrix`` (:func:`confusion_matrix_image`), by default only when the
  metric keeps a confusion matrix (not with ``keep_confusion_matrix=False``, the multi-class default
  above 1024 classes);
- the text ``val/classification_report``, a markdown table (class names escaped, so that a ``|``,
  a line break or markup in a name stays inside its cell), which TensorBoard lists as
  ``val/classification_report/text_summary``, by default (``report=None``) only up to 1024 scored
  classes; its support column shows counts as integers and the
  sums of weights of a ``sample_weight=True`` metric to 6 significant digits (at least to the
  hundredth), as ``report()`` gives them, not rounded to integers;
- for metrics built with ``num_thresholds``, the PR curve ``val/pr_curve`` (``val/pr_curve/<label>``
  per label for multilabel metrics);
- with ``confidence_level`` (binary and multi-class metrics with an averaged score, counted without
  ``sample_weight`` and with ``multidim_average="global"``), the score
  ``val/f1`` and its bootstrap bounds ``val/f1_ci_low`` and ``val/f1_ci_high`` (those of
  ``m.confidence_interval(level, seed=0)``), with a custom-scalars margin chart of the three
  (category "F-score confidence bands", in the same merged layout).

Everything that can fail (scores, interval, image, table, curves) is made before the first write,
so a step that raises writes nothing. matplotlib is imported when an image is made, never before;
it draws on an Agg canvas and never opens a window.

The summary reads a metric only through the small protocol :class:`F1SummarySource` (per-class
counts, scored classes, class names, the kept threshold histogram), never through its type or private
state (the mean per-image scores of a samplewise metric with ``average=None`` are the metric's
``samplewise_scores()``, read from the sums it keeps, as ``compute()`` reads them). The pictures
are made in ``ignite_f1.tensorboard.figures``, the summary is written by
``ignite_f1.tensorboard.summary``; both are re-exported here.
"""

from ignite_f1.tensorboard.figures import confusion_matrix_figure, confusion_matrix_image
from ignite_f1.tensorboard.summary import F1SummarySource, F1TensorboardHandler, log_f1_summary

__all__ = [
    "F1SummarySource",
    "F1TensorboardHandler",
    "confusion_matrix_figure",
    "confusion_matrix_image",
    "log_f1_summary",
]
