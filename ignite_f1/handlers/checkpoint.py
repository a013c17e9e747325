"""Best-F1 checkpoints that never overwrite nor delete a file the run did not write.

:func:`best_f1_checkpoint` makes Ignite's ``Checkpoint`` over :class:`_ExclusiveSaver`, this
package's own ``BaseSaveHandler`` (Ignite's public saver interface): each file is written whole to a
temporary file, then given its name only if no file has it; a ledger per process that saves
(``.ignite_f1-run-{id}.json``) lists the files it owns (written before each save's file appears, so it
may still list a file that save then removed) and the run it continues, if resumed, so that a resumed
run recognises the files of the run it resumes that are still on disk unchanged, and only those.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import socket
import stat
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch
from ignite.engine import Engine
from ignite.handlers import Checkpoint, DiskSaver, global_step_from_engine
from ignite.handlers.checkpoint import BaseSaveHandler

from ignite_f1.handlers.scoring import ScoreFunction

__all__: list[str] = []  # the handlers are made by setup_f1_monitoring


# Every file this module writes in a checkpoint directory, other than the checkpoints themselves,
# starts with this prefix: temporary files `.ignite_f1-{host}-{pid}-{token}.tmp` (a save in
# progress) and one ledger per run, `.ignite_f1-run-{run_id}.json` (the files the run owns, and
# the run it continues when it was resumed).
_OWN_PREFIX = ".ignite_f1-"
_LEDGER_NAME = re.compile(r"\.ignite_f1-run-(?P<run_id>[0-9a-f]{32})\.json")
_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname()) or "host"
_TEMP_NAME = re.compile(r"\.ignite_f1-(?P<host>[A-Za-z0-9_]+)-(?P<pid>[0-9]+)-[0-9a-f]{16}\.tmp")
_RUN_ID = re.compile(r"[0-9a-f]{32}")
_FILE_MODE = 0o666  # as open() makes files, less the umask (os.open's default 0o777 made them executable)
# Temporary files this process is writing now: never stale, whatever the next setup finds.
_WRITING: set[str] = set()

Identity = tuple[int, int]


def _identity(path: Path) -> Identity | None:
    """(size, modification time in ns) of the regular file at ``path``, or None if there is none."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (status.st_size, status.st_mtime_ns)


def _unlink_temp(path: Path) -> None:
    _WRITING.discard(str(path))
    with contextlib.suppress(OSError):
        path.unlink()


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT there: cannot tell, keep the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: a process of another user has that pid
        return True
    return True


class _ExclusiveSaver(BaseSaveHandler):
    """Writes each checkpoint to a new file of ``dirname`` and never replaces a file it did not write.

    A save writes a temporary file (removed if the write fails), records the file in the run's
    ledger, then hard-links it to its final name, which fails if that name exists: another run's
    file is never replaced, even by a save that started before it appeared. A file this run owns
    (written by it, or restored with :meth:`adopt`) may be replaced, and the files Ignite's
    ``Checkpoint`` asks to remove are removed only after the next write succeeded, so a failed save
    never loses the previous best file.
    """

    def __init__(self, dirname: Path, save_on_rank: int = 0) -> None:
        self.dirname = dirname
        self.save_on_rank = save_on_rank
        self.run_id = uuid.uuid4().hex  # this process's: a resumed run writes a ledger of its own
        self.continues: str | None = None  # the run_id of the restored state (see `adopt`)
        self.written = False  # whether the last save reached its final name (see `begin`)
        self._owned: dict[str, tuple[float, Identity]] = {}  # name -> (priority, identity)
        self._pending: list[str] = []  # asked to be removed by the save in progress
        self._leftovers: list[str] = []  # owned files beyond n_saved after `adopt`

    def _is_writer(self) -> bool:
        return idist.get_rank() == self.save_on_rank

    def _ledger(self, run_id: str | None = None) -> Path:
        return self.dirname / f"{_OWN_PREFIX}run-{run_id or self.run_id}.json"

    def identities(self, names: list[str]) -> dict[str, list[int]]:
        """``{name: [size, mtime_ns]}`` of the files among ``names`` that this run owns."""
        return {name: list(self._owned[name][1]) for name in names if name in self._owned}

    def start_new_run(self) -> None:
        """Forget the files written so far (``Checkpoint.reset()``): they stay on disk, listed by this
        run's ledger for a resume, and are neither replaced nor deleted by the new run's saves."""
        self.run_id, self.continues = uuid.uuid4().hex, None
        self._owned, self._pending, self._leftovers = {}, [], []

    def begin(self) -> None:
        """Start a save (or forget a failed one): nothing written yet, nothing to remove."""
        self.written = False
        self._pending = []

    def remove(self, filename: str) -> None:
        self._pending.append(filename)  # done once the next file is safely on disk

    def __call__(
        self, checkpoint: Mapping[Any, Any], filename: str, metadata: Mapping[Any, Any] | None = None
    ) -> None:
        if not self._is_writer():
            self.written, self._pending = True, []
            return
        priority = -math.inf if metadata is None else float(metadata["priority"])
        path = self.dirname / filename
        replace = self._owns(filename)
        if not replace and os.path.lexists(path):  # fail fast; the link below is the real check
            raise self._exists_error(path)
        temp = self._write_temp(lambda file: torch.save(checkpoint, file))
        previous = self._owned.get(filename)
        try:
            identity = _identity(temp)
            assert identity is not None
            self._owned[filename] = (priority, identity)
            self._write_ledger()  # before the file appears: a crash after it leaves the file owned
            if replace:
                os.replace(temp, path)
            else:
                self._link(temp, path)
        except BaseException:
            if previous is None:
                self._owned.pop(filename, None)
            else:
                self._owned[filename] = previous
            raise
        finally:
            _unlink_temp(temp)
        self.written = True
        to_delete = [name for name in self._pending + self._leftovers if name != filename]
        self._pending, self._leftovers = [], []
        for name in to_delete:
            self._delete(name)

    def _owns(self, name: str) -> bool:
        entry = self._owned.get(name)
        return entry is not None and _identity(self.dirname / name) == entry[1]

    def _exists_error(self, path: Path) -> FileExistsError:
        return FileExistsError(
            f"Checkpoint file {str(path)!r} already exists and was not written by this handler: "
            "refusing to overwrite it. Move it away, or use another `checkpoint_dir` or "
            "`filename_prefix`."
        )

    def _write_temp(self, write: Callable[[Any], object]) -> Path:
        temp = self.dirname / f"{_OWN_PREFIX}{_HOST}-{os.getpid()}-{secrets.token_hex(8)}.tmp"
        _WRITING.add(str(temp))
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            descriptor = os.open(temp, flags, _FILE_MODE)
            with os.fdopen(descriptor, "wb") as file:
                write(file)
                file.flush()
                os.fsync(file.fileno())
        except BaseException:
            _unlink_temp(temp)
            raise
        return temp

    def _link(self, temp: Path, path: Path) -> None:
        """Give ``temp``'s content the name ``path``, failing if ``path`` exists."""
        try:
            os.link(temp, path)
            return
        except FileExistsError:
            raise self._exists_error(path) from None
        except FileNotFoundError:
            raise
        except OSError:  # no hard links on this file system: reserve the name, then move onto it
            pass
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE))
        except FileExistsError:
            raise self._exists_error(path) from None
        try:
            os.replace(temp, path)
        except BaseException:
            _unlink_temp(path)  # the empty reservation is ours
            raise

    def _write_ledger(self) -> None:
        files = [[priority, name, list(identity)] for name, (priority, identity) in self._owned.items()]
        text = json.dumps({"run_id": self.run_id, "continues": self.continues, "files": files})
        temp = self._write_temp(lambda file: file.write(text.encode()))
        try:
            os.replace(temp, self._ledger())
        finally:
            _unlink_temp(temp)

    def _lineage(self, run_id: str) -> list[tuple[float, str, Identity]]:
        """The files listed by the ledgers of run ``run_id`` and of the runs resumed from it, at
        any depth (this process's own ledger aside): ``(priority, name, identity)``.

        A ledger that is missing or cannot be read lists nothing; a run resumed from a sibling of
        ``run_id`` (another process resumed from the same state) is not in the lineage.
        """
        ledgers: dict[str, tuple[str | None, list[tuple[float, str, Identity]]]] = {}
        for entry in os.scandir(self.dirname):
            match = _LEDGER_NAME.fullmatch(entry.name)
            if match is None or match["run_id"] == self.run_id:
                continue
            try:
                ledger = json.loads(Path(entry.path).read_text())
                parent = ledger.get("continues")
                files = [(float(p), str(f), (int(size), int(ns))) for p, f, (size, ns) in ledger["files"]]
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
            ledgers[match["run_id"]] = (parent if isinstance(parent, str) else None, files)
        lineage, found = {run_id}, True
        while found:  # the runs whose parent is in the lineage, until none is added
            found = False
            for child, (parent, _) in ledgers.items():
                if parent in lineage and child not in lineage:
                    lineage.add(child)
                    found = True
        return [file for member in sorted(lineage) if member in ledgers for file in ledgers[member][1]]

    def _delete(self, name: str) -> None:
        if not self._owns(name):  # gone, or replaced by someone else: not ours to delete
            self._owned.pop(name, None)
            return
        try:
            (self.dirname / name).unlink()
        except OSError as error:
            message = f"Could not remove the old checkpoint file {name!r}; it stays on disk: {error}"
            warnings.warn(message, UserWarning, stacklevel=3)
            return
        self._owned.pop(name, None)

    def adopt(
        self,
        run_id: str | None,
        restored: list[tuple[float, str]],
        identities: Mapping[str, Any],
        n_saved: int | None,
    ) -> list[tuple[float, str]]:
        """Take over the files of a restored run; return the ``(priority, name)`` list to keep.

        The run's files are those named in ``restored`` (the restored ``Checkpoint`` state) and
        those listed by the ledgers of its run and of the runs resumed from it (written after that
        state was saved, for instance just before a crash), that are still on disk unchanged:
        with the identity (size, modification time) the ledger or ``identities`` (of the
        state) recorded. A name without a recorded identity (a state saved by an earlier
        version) is taken as it is. The best ``n_saved`` are kept; the others are removed after
        the next successful save. This run keeps its own ledger, which names the run it continues.
        """
        candidates: dict[str, list[tuple[float, Identity | None]]] = {
            name: [entry] for name, entry in self._owned.items()
        }
        if run_id is not None and _RUN_ID.fullmatch(run_id) and run_id != self.run_id:
            self.continues = run_id
            for priority, name, written in self._lineage(run_id):
                candidates.setdefault(name, []).append((priority, written))
        for priority, name in restored:
            candidates.setdefault(name, []).append((float(priority), _recorded(identities.get(name))))
        owned: dict[str, tuple[float, Identity]] = {}
        for name, entries in candidates.items():
            now = _identity(self.dirname / name)
            matching = [priority for priority, identity in entries if identity in (None, now)]
            if now is not None and matching:
                owned[name] = (matching[0], now)
        ranked = sorted(owned, key=lambda name: owned[name][0])
        keep = ranked if n_saved is None else ranked[-n_saved:]
        self._owned = owned
        self._leftovers = [name for name in ranked if name not in keep]
        if self._is_writer() and owned:
            self._write_ledger()
        return [(owned[name][0], name) for name in keep]

    def remove_stale_temps(self) -> list[str]:
        """Remove the temporary files of saves that died (this host's, of a finished process)."""
        removed = []
        for entry in os.scandir(self.dirname):
            match = _TEMP_NAME.fullmatch(entry.name)
            if match is None or match["host"] != _HOST or entry.path in _WRITING:
                continue
            pid = int(match["pid"])
            if pid == os.getpid() or not _pid_alive(pid):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass
                except OSError:  # another user's, in a shared (sticky) directory: theirs to remove
                    continue
                removed.append(entry.name)
        return removed


def _recorded(identity: Any) -> Identity | None:
    """A ``[size, mtime_ns]`` pair from a saved state as an identity; None when absent or malformed
    (a state saved before identities were recorded). A malformed pair matches no file."""
    if identity is None:
        return None
    try:
        size, mtime = identity
        return (int(size), int(mtime))
    except (TypeError, ValueError):
        return (-1, -1)


class _BestF1Checkpoint(Checkpoint):
    """Ignite's ``Checkpoint`` over an :class:`_ExclusiveSaver`, whose list of files always names
    files on disk: it is rolled back when a save fails before its file is written (not when a
    handler of ``SAVED_CHECKPOINT`` fails after), and :meth:`load_state_dict` takes over the
    restored run's files, those written after its state was saved included."""

    def __init__(self, to_save: Mapping[str, Any], saver: _ExclusiveSaver, **kwargs: Any) -> None:
        super().__init__(to_save, saver, **kwargs)
        self.saver = saver

    @property
    def last_checkpoint(self) -> Path | None:
        name = super().last_checkpoint  # the file name: the saver is not a DiskSaver
        return None if name is None else self.saver.dirname / name

    def __call__(self, engine: Engine, *args: Any, **kwargs: Any) -> None:
        before = self.state_dict()
        self.saver.begin()
        try:
            super().__call__(engine, *args, **kwargs)
        except BaseException:
            if not self.saver.written:  # the new file is not on disk: keep naming the old ones
                Checkpoint.load_state_dict(self, before)
                self.saver.begin()
            raise

    def reset(self) -> None:
        """Start again from no file, as Ignite's ``Checkpoint.reset()``; the files saved so far stay
        on disk and are no longer this handler's: a new save never replaces nor deletes them."""
        super().reset()
        self.saver.start_new_run()

    def state_dict(self) -> OrderedDict[str, Any]:
        state = super().state_dict()
        state["run_id"] = self.saver.run_id
        # which files the names are: another run may later write a file of the same name
        state["identities"] = self.saver.identities([name for _, name in state["_saved"]])
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)  # checks the format
        restored = [(priority, name) for priority, name in state_dict["_saved"]]
        run_id = state_dict.get("run_id")
        identities = state_dict.get("identities")
        kept = self.saver.adopt(
            run_id if isinstance(run_id, str) else None,
            restored,
            identities if isinstance(identities, Mapping) else {},
            self.n_saved,
        )
        Checkpoint.load_state_dict(self, {"_saved": kept})


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
