"""``compute()``'s collective call: check that every process built the metric alike, then sum the counts.

Each count state is summed with one all-reduce. When the processes built the metric with different
arguments, those sums are wrong or impossible: counts made at two thresholds add up to a number
that is neither's score, states of two shapes or dtypes abort inside the backend ("Received data
size doesn't match"), and ``validate_args`` or ``from_logits`` on some processes only adds a
collective call there (the probability warning's) that the others never make, so those wait until
the backend's timeout.

:func:`check` compares a fingerprint of the metric across the processes first: its class, the
arguments its states and counts depend on, those that decide which collective calls ``compute()``
makes, and each state's name, shape and dtype. It takes one all-gather of three int64 per process
whatever the metric, so the check itself cannot mismatch; only when the processes disagree does it
gather the fingerprints, to name the argument that differs.

It runs at every ``compute()``, not once per metric: a flag kept per process would decide per
process whether a collective call is made, which is how calls come to be paired wrongly (a metric
rebuilt or copied on one process only). It costs the fingerprint (10 to 35 us) and one small
all-gather, against the milliseconds of the sums and of scikit-learn in the same ``compute()``.
A single process makes no collective call and does not check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

import ignite.distributed as idist
import torch

# the arguments that shape the states (and name the difference better than the shapes do) or
# decide which collective calls compute() makes; the counting settings are added to them
_ARGUMENTS = (
    "num_classes",
    "num_labels",
    "num_thresholds",
    "keep_confusion_matrix",
    "sample_weight",
    "multidim_average",
    "from_logits",
    "validate_args",
)
_SHOWN_VALUES = 4  # values shown per differing argument, each with its processes
_ABSENT = object()  # a key that a process's fingerprint lacks (a state it does not declare)
_PIECE = (1 << 21) - 1  # the digest travels as three pieces of 21 bits


class Layout(NamedTuple):
    """What a metric counts with, given by the metric itself: its states ``{name: (shape, dtype)}``,
    its counting settings (as its state dict records them) and the device of its counts."""

    states: Mapping[str, tuple[tuple[int, ...], torch.dtype]]
    settings: dict[str, Any]
    device: Any


def summed(metric: Any, layout: Layout) -> dict[str, torch.Tensor]:
    """The count states of ``metric`` (a :class:`~ignite_f1.metrics.CountingMetric`) summed over the
    processes, as CPU tensors, after :func:`check`. A collective call: every process makes it."""
    check(metric, layout)
    sums = {}
    for name in layout.states:
        total = idist.all_reduce(getattr(metric, name).detach().clone())
        assert isinstance(total, torch.Tensor)
        sums[name] = total.cpu()
    return sums


def fingerprint(metric: Any, layout: Layout) -> list[tuple[str, Any]]:
    """``[(key, value)]``: what must be equal on every process for ``metric``'s counts to be summed.

    ``metric`` is a :class:`~ignite_f1.metrics.CountingMetric`: its class, the arguments above and
    its counting settings (as its state dict records them), the order of its states, and each
    state's shape and dtype.
    """
    attributes = vars(metric)
    kind = type(metric)
    pairs: list[tuple[str, Any]] = [("metric", f"{kind.__module__}.{kind.__qualname__}")]
    settings = {name: attributes[name] for name in _ARGUMENTS if name in attributes}
    settings |= layout.settings
    pairs += sorted(settings.items())
    pairs.append(("states", list(layout.states)))
    for name, (shape, dtype) in layout.states.items():
        pairs.append((f"state `{name}`", f"{tuple(shape)} {dtype}"))
    return pairs


def canonical(pairs: list[tuple[str, Any]]) -> str:
    """The text of a fingerprint, the same in every process (JSON; floats as ``repr`` writes them)."""
    return json.dumps([list(pair) for pair in pairs], default=repr, separators=(",", ":"))


def digest(text: str) -> list[int]:
    """63 bits of the SHA-256 of ``text``, as three integers under 2**21.

    Each is exact in float32 too, which Ignite's XLA backend casts integers to for its collective
    calls. (Python's ``hash`` of a string differs between processes: it cannot be compared across them.)
    """
    bits = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1
    return [(bits >> shift) & _PIECE for shift in (42, 21, 0)]


def check(metric: Any, layout: Layout) -> None:
    """Refuse, on every process, a ``metric`` that the processes built differently (a ValueError).

    A collective call: every process makes it, before summing the counts. One all-gather of the
    digest of each process's fingerprint (three int64 from each); every process then holds the same
    digests, so every process raises or none does. Only then are the fingerprints gathered (two
    more collective calls, on every process) to say what differs.
    """
    pieces = digest(canonical(fingerprint(metric, layout)))
    digests = idist.all_gather(torch.tensor(pieces, dtype=torch.int64, device=layout.device))
    assert isinstance(digests, torch.Tensor)
    if len({tuple(row) for row in digests.reshape(-1, 3).tolist()}) == 1:
        return
    gathered = idist.all_gather(canonical(fingerprint(metric, layout)))
    assert isinstance(gathered, list)
    fingerprints = [json.loads(str(text)) for text in gathered]
    raise ValueError(
        f"{type(metric).__name__} must be built with the same arguments on every process of a "
        f"distributed run (its counts are summed across them), got {differences(fingerprints)}. "
        f"Build the metric with the same arguments on every process, e.g. num_classes from the whole "
        f"dataset, not from each process's shard."
    )


def differences(fingerprints: list[list[list[Any]]]) -> str:
    """What differs between the processes' fingerprints (``fingerprints[rank]``, as JSON read back).

    The arguments that differ, each value with the processes that have it; the states only when no
    argument differs (different arguments explain them).
    """
    by_rank = [dict(pairs) for pairs in fingerprints]
    keys = list(dict.fromkeys(key for pairs in by_rank for key in pairs))
    differing = [key for key in keys if len({_shown(key, pairs) for pairs in by_rank}) > 1]
    named = [key for key in differing if key != "states" and not key.startswith("state ")] or differing
    if not named:
        return "fingerprints that differ though each part is equal (report this as a bug of ignite_f1)"
    return "; ".join(_values(key, by_rank) for key in named)


def _shown(key: str, pairs: dict[str, Any]) -> str:
    """The value of ``key`` in one fingerprint, as the message shows it (a state's as it is)."""
    value = pairs.get(key, _ABSENT)
    return "absent" if value is _ABSENT else value if key.startswith("state ") else repr(value)


def _values(key: str, by_rank: list[dict[str, Any]]) -> str:
    """``key``'s values with their processes: "threshold=0.5 on process 0, 0.7 on processes 1, 2"."""
    ranks: dict[str, list[int]] = {}
    for rank, pairs in enumerate(by_rank):
        ranks.setdefault(_shown(key, pairs), []).append(rank)
    separator = " " if key.startswith("state ") else "="
    shown = [f"{value} on {_processes(where)}" for value, where in ranks.items()]
    more = len(shown) - _SHOWN_VALUES
    return f"{key}{separator}" + ", ".join(shown[:_SHOWN_VALUES]) + (f" and {more} more" if more > 0 else "")


def _processes(ranks: list[int]) -> str:
    """Increasing ``ranks`` as words, runs as ranges: "process 3", "processes 0-2, 5"."""
    runs: list[list[int]] = []
    for rank in ranks:
        if runs and rank == runs[-1][1] + 1:
            runs[-1][1] = rank
        else:
            runs.append([rank, rank])
    words = ", ".join(str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}-{b}" for a, b in runs)
    return f"process{'es' if len(ranks) > 1 else ''} {words}"
