"""Handlers driven by an F1 score: early stopping, best-F1 checkpoints and retraining on a plateau.

The F1 metric lives on the evaluator; :func:`score_function` turns ``evaluator.state.metrics[name]``
into a float that never counts NaN as an improvement; Ignite's ``EarlyStopping`` and ``Checkpoint``
and this package's :class:`RetrainOnPlateau` read it on the evaluator's ``Events.COMPLETED`` and act
on the trainer. :func:`setup_f1_monitoring` wires the usual set in one call.

Modules: :mod:`~ignite_f1.handlers.scoring` (score functions), :mod:`~ignite_f1.handlers.retrain`
(retraining over a shared plateau tracker), :mod:`~ignite_f1.handlers.checkpoint` (the no-clobber
best-F1 files) and :mod:`~ignite_f1.handlers.monitoring` (the one-call setup).
"""

from ignite_f1.handlers.monitoring import F1Monitoring, setup_f1_monitoring
from ignite_f1.handlers.retrain import RetrainEvents, RetrainOnPlateau
from ignite_f1.handlers.scoring import MissingMetricError, score_function

__all__ = [
    "F1Monitoring",
    "MissingMetricError",
    "RetrainEvents",
    "RetrainOnPlateau",
    "score_function",
    "setup_f1_monitoring",
]
