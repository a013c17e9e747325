"""The checks of :class:`~ignite_f1.handlers.RetrainOnPlateau`: its arguments and the engine and event
of its ``attach``, each raising before anything changes; the reading of the best file that
``strategy="restore_best"`` loads; for ``strategy="reinitialize"``, the modules it resets (checked at
construction) and the reset itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch
from ignite.engine import Engine, EventsList
from ignite.handlers import Checkpoint

from ignite_f1._validation import check_choice, check_real
from ignite_f1.handlers.checkpoint import check_restorable

STRATEGIES = ("restore_best", "reinitialize")
_RESET_METHOD = "reset_parameters"


def check_engine(name: str, value: Any) -> Engine:
    """Check an engine argument (``trainer``, ``evaluator``): an Ignite ``Engine``."""
    if not isinstance(value, Engine):
        raise TypeError(f"Argument `{name}` must be an ignite Engine, got {type(value).__name__}.")
    return value


def check_event(engine: Engine, event: Any) -> None:
    """Check ``attach``'s ``event``: an event (or an ``EventsList`` of events) registered on ``engine``."""
    events = list(event) if isinstance(event, EventsList) else [event]
    if not events or not all(engine.has_registered_events(one) for one in events):
        raise ValueError(
            "Argument `event` must be an event of `engine` (the evaluator), such as Events.COMPLETED, "
            f"got {_shown(event)}."
        )


def _shown(event: Any) -> str:
    """An event as the message shows it: ``RetrainEvents.RETRAIN_TRIGGERED`` (the ``repr`` of a custom
    Ignite event raises on some Python 3.11 releases), else its ``repr``."""
    if isinstance(event, enum.Enum):
        return f"{type(event).__name__}.{event.name}"
    return repr(event)


def modules_with_reset(objects: Mapping[str, Any]) -> list[Callable[[], object]]:
    """The ``reset_parameters`` of every module (at any depth) in ``objects`` that has one, each once."""
    found: dict[int, Callable[[], object]] = {}
    for obj in objects.values():
        if isinstance(obj, torch.nn.Module):
            for module in obj.modules():
                reset = getattr(module, _RESET_METHOD, None)
                if callable(reset):
                    found.setdefault(id(module), reset)
    return list(found.values())


def check_arguments(
    score_function: Any,
    trainer: Any,
    checkpoint: Any,
    to_load: Any,
    optimizer: Any,
    strategy: Any,
    lr_factor: Any,
) -> None:
    """The checks of :class:`RetrainOnPlateau`'s arguments that are not a single ``check_*`` call."""
    if not callable(score_function):
        raise TypeError(f"Argument `score_function` must be callable, got {score_function!r}.")
    check_engine("trainer", trainer)
    check_choice("strategy", strategy, STRATEGIES)
    if not isinstance(to_load, Mapping):
        raise TypeError(f"Argument `to_load` must be a mapping of names to objects, got {to_load!r}.")
    if len(to_load) == 0:
        raise ValueError(f"Argument `to_load` must hold at least one object, got {to_load!r}.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"Argument `optimizer` must be a torch Optimizer or None, got {optimizer!r}.")
    if lr_factor is not None:
        check_real("lr_factor", lr_factor, 0, open_low=True)
        if optimizer is None:
            raise ValueError(
                f"Argument `lr_factor` needs an `optimizer` whose learning rates it scales, got "
                f"lr_factor={lr_factor!r} with optimizer=None."
            )
    if strategy == "restore_best":
        check_restorable(checkpoint, to_load)
    elif not modules_with_reset(to_load):
        raise ValueError(
            "Argument `to_load` must hold a torch module with reset_parameters() (at any depth) "
            f"for strategy='reinitialize', got {to_load!r}."
        )
    elif checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"Argument `checkpoint` must be an ignite Checkpoint or None, got {checkpoint!r}.")


def reinitialize(objects: Mapping[str, Any]) -> None:
    """``reset_parameters()`` of the modules in ``objects``; in a distributed run every process then
    takes rank 0's new weights (each draws from its own random state, and DDP copies weights only
    when it is built)."""
    for reset_parameters in modules_with_reset(objects):
        reset_parameters()
    if idist.get_world_size() > 1:
        with torch.no_grad():
            for module in (obj for obj in objects.values() if isinstance(obj, torch.nn.Module)):
                for tensor in module.state_dict().values():
                    synced = idist.broadcast(tensor, src=0)
                    if synced is not tensor:
                        tensor.copy_(synced)


def read_best(path: Path | None) -> tuple[Any, str]:
    """The contents of the best file at ``path`` (None: none saved yet), or None and why it is missing.

    In a distributed run every process reads the file and they decide together, so that none waits
    for the others: when only some find it (a directory that is not shared), or when reading it
    fails on some process (a damaged file, an I/O error), or when they name different files (resumed
    from different states), all raise a RuntimeError before any loads it: their weights would differ.
    """
    saved, missing, error = None, "`checkpoint` has not saved a file yet", None
    if path is not None:
        try:
            saved = torch.load(path, weights_only=True)
        except FileNotFoundError:  # deleted (or moved) since `checkpoint` saved it
            missing = f"the best file of `checkpoint`, {str(path)!r}, is missing"
        except Exception as caught:  # raised on every process below, not on this one alone
            error = caught
    world = idist.get_world_size()
    if world > 1:
        failed = int(idist.all_reduce(int(error is not None)))
        if failed:
            raise RuntimeError(
                f"RetrainOnPlateau: reading the best file of `checkpoint`, {str(path)!r}, failed on "
                f"{failed} of {world} processes"
                + (f" (here: {type(error).__name__}: {error})" if error is not None else "")
                + ". Nothing was loaded."
            ) from error
        found = int(idist.all_reduce(int(saved is not None)))
        if 0 < found < world:
            raise RuntimeError(
                f"RetrainOnPlateau: the best file of `checkpoint`, {str(path)!r}, is on the disk of "
                f"{found} of {world} processes only: in a distributed run its directory must be shared "
                "by every process. Nothing was loaded."
            )
        paths: list[str] = idist.all_gather(str(path))  # type: ignore[assignment]  # resumed apart?
        if len(set(paths)) > 1:
            raise RuntimeError(
                f"RetrainOnPlateau: the processes disagree on the best file of `checkpoint` ({paths!r}): "
                "resume every process from the same saved state (the one rank 0 saves, as Ignite's "
                "Checkpoint does). Nothing was loaded."
            )
    elif error is not None:
        raise error
    return saved, missing
