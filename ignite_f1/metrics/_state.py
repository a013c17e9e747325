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


PER_IMAGE = ("beta", "average", "labels", "zero_division")
"""The settings of the per-image scores that ``multidim_average="samplewise"`` sums, recorded too."""


def counting_settings(attributes: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``{name: value}`` of the ``names`` among a metric's ``attributes`` (its ``vars``), and per
    image (``multidim_average="samplewise"``) those of the per-image scores summed, as saved."""
    if attributes.get("multidim_average") == "samplewise":
        names += PER_IMAGE
    return {name: plain(attributes[name]) for name in names if name in attributes}


KINDS = {
    frozenset(names): kind
    for names, kind in (
        (
            ("threshold", "from_logits", "multidim_average"),
            "a binary metric (BinaryF1Score, BinaryFBetaScore)",
        ),
        (
            ("ignore_index", "multidim_average"),
            "a multi-class metric (MulticlassF1Score, MulticlassFBetaScore)",
        ),
        (
            ("threshold", "from_logits", "beta"),
            "a multilabel metric (MultilabelF1Score, MultilabelFBetaScore)",
        ),
    )
}
"""Each kind of metric by the names of its counting settings (its ``_COUNTING_SETTINGS``)."""


def kind_names(settings: Mapping[str, Any]) -> frozenset[str]:
    """The names of recorded counting ``settings`` that tell the kind: those of the per-image scores
    (:data:`PER_IMAGE`, recorded with ``multidim_average="samplewise"``) left out."""
    per_image = PER_IMAGE if settings.get("multidim_average") == "samplewise" else ()
    return frozenset(str(name) for name in settings if name not in per_image)


def check_kind(state_dict: Mapping[str, Any], settings: dict[str, Any], who: str) -> None:
    """Refuse the state of another kind of metric than ``who`` (counting with ``settings``): its
    recorded counting settings have other names. A state without the record (Ignite's own
    ``state_dict``, ignite_f1 before 2026-12) is left to the checks of its entries."""
    saved = state_dict.get(SETTINGS)
    if not isinstance(saved, Mapping) or kind_names(saved) == kind_names(settings):
        return
    raise ValueError(
        f"Argument `state_dict` must come from {KINDS.get(kind_names(settings), 'a metric of this kind')} "
        f"like this {who}, got the state of {KINDS.get(kind_names(saved), 'another kind of metric')} "
        f"(counted with the settings {sorted(kind_names(saved))}, this metric with "
        f"{sorted(kind_names(settings))}): counts do not carry over between kinds of metric; load the "
        "state into a metric of the kind that saved it."
    )


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
    saved = state_dict.get(SETTINGS)
    if saved is not None and saved != settings:  # a metric of this kind (check_kind)
        raise ValueError(
            f"Argument `state_dict` must come from a metric that counts with the same settings as this "
            f"{who} ({settings}), got counts made with {saved}: build the metric with those settings "
            "to load them."
        )
    missing = [name for name in current if name not in entries]
    if missing:
        raise ValueError(
            f"Argument `state_dict` must hold the entries {list(current)} of this {who}, got "
            f"{list(entries)} (missing {missing})" + entry_notes(missing, entries, current) + "."
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


MADE_WITH = {
    "_seen": "sample_weight=True",
    "_weight_sum": "sample_weight=True",
    "_sample_weights": "sample_weight=True",
    "_threshold_counts": "num_thresholds={}",
    "_sw_sum": 'multidim_average="samplewise"',
    "_sw_undefined": 'multidim_average="samplewise"',
    "_sw_defined": 'multidim_average="samplewise" and sample_weight=False',
    "_sw_weight": 'multidim_average="samplewise" and sample_weight=True',
    "_counts": "keep_confusion_matrix=False (a multi-class metric's argument)",
}
"""The argument that makes a metric keep each optional entry (the number of thresholds: read from
the entry's last dimension)."""


def entry_notes(missing: list[str], entries: Mapping[str, Any], current: dict[str, torch.Tensor]) -> str:
    """What the ``missing`` entries, and those of ``entries`` not among the ``current`` ones, say of the
    arguments the two metrics were built with: ``": ..."``, or ``""`` when they say nothing."""
    extra = [str(key) for key in entries if key not in current]
    notes = []
    for names, source, built in (
        (missing, current, "this metric was built with and the one that saved the state was not"),
        (extra, entries, "the metric that saved the state was built with and this one was not"),
    ):
        by_argument: dict[str, list[str]] = {}
        for name in names:
            made = _made_with(name, source[name])
            if made:
                by_argument.setdefault(made, []).append(f"`{name}`")
        notes += [
            f"{' and '.join(kept)} {'is' if len(kept) == 1 else 'are'} kept with {made}, which {built}"
            for made, kept in by_argument.items()
        ]
    if not notes:
        return ""
    return ": " + "; ".join(notes) + "; load the state into a metric built like the one that saved it"


def _made_with(name: str, entry: Any) -> str | None:
    """The argument that keeps the entry ``name`` (:data:`MADE_WITH`), if known."""
    made = MADE_WITH.get(name)
    if made is None or "{}" not in made:
        return made
    return made.format(entry.shape[-1]) if isinstance(entry, torch.Tensor) and entry.ndim else None


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
            f"got the extra entries {extra}" + entry_notes([], entries, current) + "."
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
