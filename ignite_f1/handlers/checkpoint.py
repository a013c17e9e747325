"""Best-F1 checkpoints that never overwrite nor delete a file the run did not write.

:func:`best_f1_checkpoint` makes Ignite's ``Checkpoint`` over :class:`_ExclusiveSaver` (in
``_saver``), this package's own ``BaseSaveHandler`` (Ignite's public saver interface), which writes
each file whole and gives it its name only if no file has it, and lists the files of each run in a
ledger, so that a resumed run recognises its own files, and only those.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ignite.distributed as idist
from ignite.engine import Engine
from ignite.handlers import Checkpoint, DiskSaver, global_step_from_engine

from ignite_f1.handlers._saver import _ExclusiveSaver as _ExclusiveSaver  # retrain.py's import
from ignite_f1.handlers._saver import _NameHeld, _NameTaken, _plain_name
from ignite_f1.handlers.scoring import ScoreFunction

__all__: list[str] = []  # the handlers are made by setup_f1_monitoring


class _BestF1Checkpoint(Checkpoint):
    """Ignite's ``Checkpoint`` over an :class:`_ExclusiveSaver`, whose list of files always names
    files on disk: it is rolled back when a save fails before its file is written (not when a
    handler of ``SAVED_CHECKPOINT`` fails after), and :meth:`load_state_dict` takes over the
    restored run's files, those written after its state was saved included.

    A save whose name the list holds already (two evaluations in one epoch with the same rounded
    score, or a trainer run again) gets the global step ``{epoch}-{n}`` for its ``n``-th name, so
    that no file replaces another; of files of equal score, the one saved first ranks best.
    """

    def __init__(self, to_save: Mapping[str, Any], saver: _ExclusiveSaver, **kwargs: Any) -> None:
        self._step_of: Callable[[Engine, Any], Any] = kwargs.pop("global_step_transform")
        self._repeat = 1  # the save in progress tries its `_repeat`-th name
        super().__init__(to_save, saver, global_step_transform=self._global_step, **kwargs)
        self.saver = saver
        saver.after_save = self._rank_first_among_ties

    @property
    def last_checkpoint(self) -> Path | None:
        name = super().last_checkpoint  # the file name: the saver is not a DiskSaver
        return None if name is None else self.saver.dirname / name

    def _global_step(self, engine: Engine, event_name: Any) -> Any:
        step = self._step_of(engine, event_name)
        return step if self._repeat == 1 else f"{step}-{self._repeat}"

    def __call__(self, engine: Engine, *args: Any, **kwargs: Any) -> None:
        before = Checkpoint.state_dict(self)
        held = frozenset(name for _, name in before["_saved"])
        try:
            while True:  # each try has a new name, and at most len(held) of them are held
                self.saver.begin(held)
                try:
                    super().__call__(engine, *args, **kwargs)
                    return
                except _NameHeld:  # refused before anything was written: try the next name
                    Checkpoint.load_state_dict(self, before)
                    self._repeat += 1
                except _NameTaken as taken:  # another run's file: kept as it is, and the next name tried
                    Checkpoint.load_state_dict(self, before)
                    if self._repeat >= _MOST_NAMES:
                        raise
                    if self.saver.is_writer():
                        _another_runs_file(taken, self._repeat + 1)
                    self._repeat += 1
        except BaseException:
            if not self.saver.written:  # the new file is not on disk: keep naming the old ones
                Checkpoint.load_state_dict(self, before)
                self.saver.begin()
            raise
        finally:
            self._repeat = 1

    def _rank_first_among_ties(self, filename: str) -> None:
        """Rank the file just saved below the listed files of equal score (Ignite's stable sort puts
        it above them), so that the best file is the first to reach the best score, whatever
        ``n_saved``: the one Ignite keeps with ``n_saved=1``, and EarlyStopping's best."""
        saved = [(priority, name) for priority, name in Checkpoint.state_dict(self)["_saved"]]
        index = next((i for i, (_, name) in enumerate(saved) if name == filename), None)
        if index is None:
            return
        item = saved.pop(index)
        saved.insert(next((i for i, (p, _) in enumerate(saved) if p == item[0]), index), item)
        Checkpoint.load_state_dict(self, {"_saved": saved})

    def reset(self) -> None:
        """Start again from no file, as Ignite's ``Checkpoint.reset()``; the files saved so far stay
        on disk and are no longer this handler's: a new save never replaces nor deletes them."""
        super().reset()
        self.saver.start_new_run()

    def state_dict(self) -> OrderedDict[str, Any]:
        state = super().state_dict()
        # Only the writing process (rank 0) knows which files the names are (another run may later
        # write a file of the same name); the others give neither run id nor identities, so that
        # their state, loaded alone, takes over no file that nothing shows to be this run's.
        writer = self.saver.is_writer()
        state["run_id"] = self.saver.run_id if writer else None
        state["identities"] = self.saver.identities([name for _, name in state["_saved"]]) if writer else {}
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the list of files and take over the restored run's files (see ``adopt``); a state
        whose ``_saved`` is not a list of (priority, plain file name) pairs is refused first.

        In a distributed run the writing process alone checks the files against its state, and every
        process takes its list (one broadcast): the processes decide each save alike only with equal
        lists, and the others may not see the files (a disk of rank 0's node).
        """
        _check_saved(state_dict)
        super().load_state_dict(state_dict)  # checks the format
        kept: list[tuple[float, str]] = []
        if self.saver.is_writer():
            run_id, identities = state_dict.get("run_id"), state_dict.get("identities")
            kept = self.saver.adopt(
                run_id if isinstance(run_id, str) else None,
                [(float(priority), name) for priority, name in state_dict["_saved"]],
                identities if isinstance(identities, Mapping) else {},
                self.n_saved,
            )
        if idist.get_world_size() > 1:
            text = idist.broadcast(json.dumps(kept), src=self.saver.save_on_rank)
            kept = [(float(priority), str(name)) for priority, name in json.loads(str(text))]
        Checkpoint.load_state_dict(self, {"_saved": kept})


_MOST_NAMES = 1000  # names tried for one save: each try has a new name, each held by a file on disk


def _another_runs_file(taken: _NameTaken, repeat: int) -> None:
    warnings.warn(
        f"{taken} It is kept as it is, and this save takes the next name (global step "
        f"'{{epoch}}-{repeat}'). Another run saves in the same checkpoint_dir? Give each run its own "
        "directory or filename_prefix to keep their files apart.",
        UserWarning,
        stacklevel=4,
    )


def _check_saved(state_dict: Any) -> None:
    """Refuse a ``_saved`` entry that is not a pair of a real priority (not a bool, not NaN) and a
    plain file name (saving after it would delete a file outside the directory)."""
    if not isinstance(state_dict, Mapping) or "_saved" not in state_dict:
        return  # Ignite's check refuses it
    saved = state_dict["_saved"]
    if not isinstance(saved, list | tuple):
        raise ValueError(f"State key `_saved` must be a list of (priority, file name) pairs, got {saved!r}.")
    for entry in saved:
        if not isinstance(entry, list | tuple) or len(entry) != 2:
            raise ValueError(
                f"State key `_saved` must be a list of (priority, file name) pairs, got the entry {entry!r}."
            )
        priority, name = entry
        if not isinstance(priority, numbers.Real) or isinstance(priority, bool) or math.isnan(priority):
            raise ValueError(
                f"State key `_saved` must give each file a priority that is a real number (not a bool, "
                f"not NaN), got {priority!r} for {name!r}."
            )
        if not _plain_name(name):
            raise ValueError(
                "State key `_saved` must name files directly in the checkpoint directory (a plain file "
                f"name: not empty, '.' or '..', without '/' or '\\', not absolute), got {name!r}."
            )


_NAME_MAX = 255  # bytes in a file name: ext4, XFS, APFS, NTFS (in UTF-16 units there)


def _check_file_name(longest: str) -> None:
    """Refuse at setup a file name the first save could not write: ``longest`` is the name at
    epoch 10**9 with the widest score."""
    if "\0" in longest or len(os.fsencode(longest)) > _NAME_MAX:
        raise ValueError(
            f"Arguments `filename_prefix`, `metric_name` and the name in `to_save` must make file names "
            f"of at most {_NAME_MAX} bytes without NUL characters, got names such as {longest!r} "
            f"({len(os.fsencode(longest))} bytes): shorten them."
        )


def _safe_name(name: str) -> str:
    """``name`` with path separators replaced by ``_``, so that it stays one file name."""
    return name.replace("/", "_").replace("\\", "_")


def best_f1_checkpoint(
    to_save: Mapping[str, Any],
    directory: Path,
    score: ScoreFunction,
    metric_name: str,
    trainer: Engine,
    n_saved: int | None,
    filename_prefix: str,
) -> _BestF1Checkpoint:
    """The ``Checkpoint`` keeping the ``n_saved`` best-F1 files of ``to_save`` in ``directory``.

    Files are named ``{filename_prefix}_{name}_{epoch}_{metric_name}={score:.4f}.pt`` (``name`` is
    the key of ``to_save`` when it holds one object, else ``checkpoint``; '/' and '\\' become '_').
    Nothing is written before the first save.

    Notes:
        A save under a name the checkpoint lists already (evaluated twice in an epoch with the same
        score to 4 decimals, or a trainer run again without ``reset()``) is named with the epoch
        ``{epoch}-2`` (then ``-3``...): no file is replaced by another, and Ignite ranks them all.
        Of files of equal score, the first saved is the best (``last_checkpoint``), whatever
        ``n_saved``, as ``EarlyStopping`` counts an equal score as no improvement.
    """
    name = next(iter(to_save)) if len(to_save) == 1 else "checkpoint"
    prefix = _safe_name(filename_prefix)
    pattern = ("{filename_prefix}_" if prefix else "") + _safe_name(name).replace("{", "{{").replace(
        "}", "}}"
    )
    pattern += "_{global_step}_{score_name}={score}.{ext}"
    _check_file_name(
        pattern.format(
            filename_prefix=prefix,
            global_step=10**9,
            score_name=_safe_name(metric_name),
            score="-inf",
            ext="pt",
        )
    )
    return _BestF1Checkpoint(
        to_save,
        _ExclusiveSaver(directory),
        filename_prefix=prefix,
        score_function=score,
        score_name=_safe_name(metric_name),
        n_saved=n_saved,
        global_step_transform=global_step_from_engine(trainer),
        filename_pattern=pattern,
    )


def check_restorable(checkpoint: Any, to_load: Mapping[str, Any]) -> None:
    """Check that ``restore_best`` can load ``to_load`` from the best file of ``checkpoint``: an
    Ignite ``Checkpoint`` that saves to disk every object named, each with ``load_state_dict``."""
    if checkpoint is None:
        raise ValueError(
            "Argument `checkpoint` must be an ignite Checkpoint for strategy='restore_best', got None."
        )
    if not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"Argument `checkpoint` must be an ignite Checkpoint, got {checkpoint!r}.")
    handler = checkpoint.save_handler
    if not isinstance(handler, DiskSaver) and getattr(handler, "dirname", None) is None:
        raise ValueError(
            "Argument `checkpoint` must save to disk for strategy='restore_best' (its save_handler a "
            f"DiskSaver or an object with a `dirname`), got a save_handler {type(handler).__name__}."
        )
    if checkpoint.score_function is None:  # its last_checkpoint is the newest file, not the best
        raise ValueError(
            "Argument `checkpoint` must rank its files by score for strategy='restore_best' (built with "
            "a `score_function`, such as score_function(metric_name)), got a Checkpoint without one."
        )
    saved = checkpoint.to_save
    missing = [name for name in to_load if name not in saved]
    if missing:
        raise ValueError(
            f"Argument `to_load` must name objects that `checkpoint` saves ({sorted(saved)}), got "
            f"{missing} that it does not."
        )
    _check_loadable(to_load)


def _check_loadable(objects: Any) -> None:
    """Every object of ``to_load`` (inside lists, tuples and mappings too) has ``load_state_dict``.

    The check ``Checkpoint.load_objects`` makes, done at construction rather than at the first retrain.
    """
    if isinstance(objects, Mapping):
        for obj in objects.values():
            _check_loadable(obj)
    elif isinstance(objects, list | tuple):
        for obj in objects:
            _check_loadable(obj)
    elif not hasattr(objects, "load_state_dict"):
        raise TypeError(f"Object {type(objects)} should have `load_state_dict` method")
