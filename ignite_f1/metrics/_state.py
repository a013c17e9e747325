"""State dicts of the counting metrics: copies out, checked copies in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ignite.distributed as idist
import torch


def copied(value: Any) -> Any:
    """``value`` with every tensor in its dicts and lists cloned (Ignite hands out the live ones)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):  # OrderedDict included
        return type(value)((key, copied(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(copied(item) for item in value)
    return value


PER_RANK = "__metric_state_per_rank"
"""The one key of a metric state dict: one mapping of counts per process, as Ignite's ``Metric`` lays it
out (the same layout, so checkpoints written by Ignite's own ``state_dict`` load)."""


SETTINGS = "counting_settings"
"""The key, beside :data:`PER_RANK`, of the settings the counts depend on (``{name: value}``); absent
from state dicts saved by Ignite's own ``state_dict`` or by ignite_f1 before 2026-12."""


def plain(value: Any) -> Any:
    """A setting as it is saved and compared: sequences as lists, NaN as the string ``"nan"``."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def counting_settings(attributes: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``{name: value}`` of the ``names`` among a metric's ``attributes`` (its ``vars``), and per
    image (``multidim_average="samplewise"``) those of the per-image scores summed, as saved."""
    if attributes.get("multidim_average") == "samplewise":
        names += ("beta", "average", "labels", "zero_division")
    return {name: plain(attributes[name]) for name in names if name in attributes}


def checked_entries(
    state_dict: Mapping[str, Any], current: dict[str, torch.Tensor], settings: dict[str, Any], who: str
) -> dict[str, Any]:
    """The entries of this process in ``state_dict``, by state name, checked against the
    ``current`` states and counting ``settings`` of the metric ``who`` (a ValueError otherwise)."""
    world_size = idist.get_world_size()
    ranks = per_rank_entries(state_dict)
    if ranks is None:
        raise ValueError(
            f"Argument `state_dict` must be a state dict from the state_dict() of a metric configured "
            f"like this {who}: {{{PER_RANK!r}: [one mapping per process]}}, got keys {list(state_dict)}."
        )
    if len(ranks) != world_size:
        where = "one process" if len(ranks) == 1 else f"a run of {len(ranks)} processes, each calling it"
        raise ValueError(
            f"Argument `state_dict` must come from a run with as many processes as this one, got a "
            f"state saved by {len(ranks)} process{'es' if len(ranks) > 1 else ''}, loaded in "
            f"{world_size}: it holds the counts of each process apart, so load it in {where}."
        )
    entries = ranks[idist.get_rank()]
    missing = [name for name in current if name not in entries]
    if missing:
        raise ValueError(
            f"Argument `state_dict` must hold the entries {list(current)} of this {who}, got "
            f"{list(entries)} (missing {missing})."
        )
    saved = state_dict.get(SETTINGS)
    if saved is not None and saved != settings:
        raise ValueError(
            f"Argument `state_dict` must come from a metric that counts with the same settings as this "
            f"{who} ({settings}), got counts made with {saved}: build the metric with those settings "
            "to load them."
        )
    loaded = {name: entries[name] for name in current}
    check_loaded(entries, loaded, current, f"this {who}")
    return loaded


def per_rank_entries(state_dict: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The counts of each process in a state dict of :data:`PER_RANK` layout (one mapping per
    process that saved it), or None if it is not one."""
    expected = {PER_RANK, SETTINGS} if SETTINGS in state_dict else {PER_RANK}
    ranks = state_dict.get(PER_RANK) if set(state_dict) == expected else None
    if not isinstance(ranks, (list, tuple)) or not ranks or not all(isinstance(e, Mapping) for e in ranks):
        return None
    return list(ranks)


def holds_entry(state_dict: Any, name: str) -> bool:
    """Whether a metric state dict (Ignite's layout: per-rank mappings under one key) holds ``name``."""
    if not isinstance(state_dict, Mapping):
        return False
    for ranks in state_dict.values():
        if isinstance(ranks, (list, tuple)) and any(isinstance(e, Mapping) and name in e for e in ranks):
            return True
    return False


def check_loaded(
    entries: Mapping[str, Any], loaded: dict[str, Any], current: dict[str, torch.Tensor], who: str
) -> None:
    """Refuse loaded states unlike the ``current`` ones of the metric ``who``: a ValueError naming the entry.

    ``entries``: the state dict's entries of this process; ``loaded``: the values Ignite read from
    them, by state name. Each must be a tensor of the current shape and dtype, with counts >= 0 and
    finite sums >= 0; no entry may be left over.
    """
    extra = sorted(str(key) for key in entries if key not in current)
    if extra:
        raise ValueError(
            f"Argument `state_dict` must hold only the entries {list(current)} of {who}, "
            f"got the extra entries {extra}."
        )
    for name, value in loaded.items():
        expected = current[name]
        entry = f"Argument `state_dict` entry `{name}`"
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{entry} must be a torch.Tensor, got {type(value).__name__}.")
        if value.shape != expected.shape:
            raise ValueError(
                f"{entry} must have shape {tuple(expected.shape)} for {who}, got {tuple(value.shape)}."
            )
        if value.dtype != expected.dtype:
            raise ValueError(f"{entry} must have dtype {expected.dtype}, got {value.dtype}.")
        if value.numel() == 0:
            continue
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{entry} must hold finite sums, got {value.tolist()}.")
        smallest = value.min().item()
        if smallest < 0:
            kind = "sums" if value.is_floating_point() else "counts"
            raise ValueError(f"{entry} must hold {kind} >= 0, got a value of {smallest!r}.")
