"""ignite_f1: the F1 score you mean, at the end of every epoch, for PyTorch Ignite.

Metric classes accumulate integer counts per batch (constant memory, on the device, summed across
processes) and compute with scikit-learn at epoch end, so the result is the number
``sklearn.metrics.fbeta_score`` gives on all the data.
"""

from ignite_f1.handlers import (
    F1Monitoring,
    MissingMetricError,
    RetrainEvents,
    RetrainOnPlateau,
    score_function,
    setup_f1_monitoring,
)
from ignite_f1.metrics import (
    BinaryF1Score,
    BinaryFBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MultilabelF1Score,
    MultilabelFBetaScore,
)

__version__ = "0.1.0"

__all__ = [
    "BinaryF1Score",
    "BinaryFBetaScore",
    "F1Monitoring",
    "MissingMetricError",
    "MulticlassF1Score",
    "MulticlassFBetaScore",
    "MultilabelF1Score",
    "MultilabelFBetaScore",
    "RetrainEvents",
    "RetrainOnPlateau",
    "__version__",
    "score_function",
    "setup_f1_monitoring",
]
