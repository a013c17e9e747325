"""A plateau tracker: the best score so far and the evaluations since it last improved.

Shared by :class:`~ignite_f1.handlers.RetrainOnPlateau` (and the rule :func:`score_function` applies
to NaN). It follows Ignite's ``EarlyStopping`` with ``threshold=min_delta`` (absolute, not
cumulative), so both count the same evaluations.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ignite_f1._validation import check_real, is_int, is_real


def nan_to_neg_inf(score: float) -> float:
    """The NaN rule: a NaN score is ``-inf``, never an improvement (every comparison with NaN is False)."""
    return -math.inf if math.isnan(score) else score


class PlateauTracker:
    """The best score and the number of evaluations in a row without an improvement.

    The first score sets the best score. A later score improves when it is larger than the best
    score plus ``min_delta``: it becomes the best and the count restarts. Otherwise the count
    grows by one and the best score becomes the larger of the two. A NaN score never improves.

    Args:
        min_delta: how much a score must exceed the best score to improve (a finite real >= 0).

    Examples:
        >>> from ignite_f1.handlers._plateau import PlateauTracker
        >>> tracker = PlateauTracker(min_delta=0.01)
        >>> [tracker.update(score) for score in [0.5, 0.505, float("nan"), 0.6]]
        [True, False, False, True]
        >>> tracker.counter, tracker.best_score
        (0, 0.6)
    """

    def __init__(self, min_delta: float = 0.0) -> None:
        self.min_delta = check_real("min_delta", min_delta, 0)
        self.best_score: float | None = None
        self.counter = 0

    def update(self, score: float) -> bool:
        """Count ``score``; return whether it set a new best score (the first score does)."""
        score = nan_to_neg_inf(float(score))
        if self.best_score is None:
            self.best_score = score
            return True
        if score > self.best_score + self.min_delta:
            self.best_score = score
            self.counter = 0
            return True
        self.best_score = max(score, self.best_score)
        self.counter += 1
        return False

    def reset(self) -> None:
        """Forget the best score and the count."""
        self.best_score = None
        self.counter = 0

    def state_dict(self) -> OrderedDict[str, Any]:
        """``OrderedDict(counter=int, best_score=float or None)``."""
        return OrderedDict([("counter", self.counter), ("best_score", self.best_score)])

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave, once :func:`check_plateau_state` accepts all of it."""
        self.counter, self.best_score = check_plateau_state(state_dict)


def check_state_dict(state_dict: Any, keys: tuple[str, ...]) -> None:
    """Check a state dict as Ignite's ``Serializable.load_state_dict`` does, with its messages."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Argument state_dict should be a dictionary, but given {type(state_dict)}")
    for key in keys:
        if key not in state_dict:
            raise ValueError(
                f"Required state attribute '{key}' is absent in provided state_dict '{state_dict.keys()}'"
            )


def check_state_count(state_dict: Mapping[str, Any], key: str) -> int:
    """The entry ``key`` of a state dict, an integer >= 0 (not a bool, not a float such as 2.9)."""
    value = state_dict[key]
    if not is_int(value):
        raise TypeError(f"Argument `state_dict` entry `{key}` must be an integer >= 0, got {value!r}.")
    if value < 0:
        raise ValueError(f"Argument `state_dict` entry `{key}` must be an integer >= 0, got {value!r}.")
    return int(value)


def check_plateau_state(
    state_dict: Any, keys: tuple[str, ...] = ("counter", "best_score")
) -> tuple[int, float | None]:
    """The ``counter`` and ``best_score`` of a state dict, checked (to apply only then).

    :func:`check_state_dict` first checks that ``state_dict`` has ``keys``. ``counter`` is an
    integer >= 0; ``best_score`` None (no score yet) or a real number, not NaN (scores are kept
    NaN-free: a NaN score is ``-inf``), ``-inf`` included.

    Examples:
        >>> from ignite_f1.handlers._plateau import check_plateau_state
        >>> check_plateau_state({"counter": 2, "best_score": 0.75})
        (2, 0.75)
        >>> check_plateau_state({"counter": 2.9, "best_score": 0.75})
        Traceback (most recent call last):
        ...
        TypeError: Argument `state_dict` entry `counter` must be an integer >= 0, got 2.9.
    """
    check_state_dict(state_dict, keys)
    counter = check_state_count(state_dict, "counter")
    best = state_dict["best_score"]
    if best is None:
        return counter, None
    rule = "None or a real number, not NaN (a NaN score is kept as -inf)"
    if not is_real(best):
        raise TypeError(f"Argument `state_dict` entry `best_score` must be {rule}, got {best!r}.")
    if math.isnan(best):
        raise ValueError(f"Argument `state_dict` entry `best_score` must be {rule}, got {best!r}.")
    return counter, float(best)
