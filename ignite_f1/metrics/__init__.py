"""F1 / F-beta metrics for Ignite: thin ``reset`` / ``update`` / ``compute`` over counts.

``update`` checks and formats a batch (:mod:`ignite_f1._inputs`), then adds its counts to the state
(:mod:`ignite_f1._counts`); ``compute`` sums the counts across processes and lets scikit-learn do the
arithmetic (:mod:`ignite_f1._scores`). One module per kind of metric (``binary``, ``multiclass``,
``multilabel``), over the counting metric of ``_base`` and the threshold curves of ``_thresholds``.

:class:`CountingMetric` documents the protocol that handlers read every metric through, and
:func:`attached_metric` finds the metric attached to an engine under a name.
"""

from ignite_f1.metrics._base import CountingMetric
from ignite_f1.metrics._engine import attached_metric
from ignite_f1.metrics.binary import BinaryF1Score, BinaryFBetaScore
from ignite_f1.metrics.multiclass import MulticlassF1Score, MulticlassFBetaScore
from ignite_f1.metrics.multilabel import MultilabelF1Score, MultilabelFBetaScore

__all__ = [
    "BinaryF1Score",
    "BinaryFBetaScore",
    "CountingMetric",
    "MulticlassF1Score",
    "MulticlassFBetaScore",
    "MultilabelF1Score",
    "MultilabelFBetaScore",
    "attached_metric",
]
