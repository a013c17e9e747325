"""TensorBoard logging of F1 metrics: per-class curves, a confusion-matrix picture, the report table.

:class:`F1TensorboardHandler` plugs into Ignite's ``TensorboardLogger``; :func:`log_f1_summary` does the
same for any ``SummaryWriter`` (tensorboardX or ``torch.utils.tensorboard``), for code outside Ignite.
Both read the counts a metric kept at its last ``compute()`` (summed over processes then), so they
never start a collective call and can run on one process only. For a metric ``m`` and tag ``val``
they write, at one step:

- scalars ``val/f1/<class>``, ``val/precision/<class>``, ``val/recall/<class>`` (``f2``, ``f0.5``...
  for F-beta metrics), class names cleaned the way TensorBoard cleans tags with ``/`` -> ``_``;
- custom-scalars charts of the F-scores per class: one per tag, or, from 6 to 20 classes, one per
  group of at most 5 classes (TensorBoard draws a run's curves in one colour and tells them apart
  by 5 markers); all the handlers of a writer merged into one layout (TensorBoard keeps only the
  last layout written to a run);
- the image ``val/confusion_matrix`` (:func:`confusion_matrix_image`);
- the text ``val/classification_report``, a markdown table (class names escaped, so that a ``|``,
  a line break or markup in a name stays inside its cell), which TensorBoard lists as
  ``val/classification_report/text_summary``;
- for metrics built with ``num_thresholds``, the PR curve ``val/pr_curve`` (``val/pr_curve/<label>``
  per label for multilabel metrics);
- with ``confidence_level`` (binary and multi-class metrics with an averaged score), the score
  ``val/f1`` and its bootstrap bounds ``val/f1_ci_low`` and ``val/f1_ci_high`` (those of
  ``m.confidence_interval(level, seed=0)``), with a custom-scalars margin chart of the three
  (category "F-score confidence bands", in the same merged layout).

matplotlib is imported when an image is made, never before; it draws on an Agg canvas and never
opens a window.

The summary reads a metric only through the small protocol :class:`F1SummarySource` (per-class
counts, scored classes, class names, the kept threshold histogram), never through its type or private
state. The pictures are made in ``ignite_f1.tensorboard.figures``, the summary is written by
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
