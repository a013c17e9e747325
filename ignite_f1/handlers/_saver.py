"""The saver of the best-F1 checkpoints: each file written whole, never over a file the run did not write.

Each file is written whole to a temporary file, then given its name only if no file has it; a ledger
per process that saves (``.ignite_f1-run-{id}.json``) lists the files it owns (written before each
save's file appears, so it may still list a file that save then removed) and the run it continues,
if resumed, so that a resumed run recognises the files of the run it resumes that are still on disk
unchanged, and only those.
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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ignite.distributed as idist
import torch
from ignite.handlers.checkpoint import BaseSaveHandler

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
Listed = tuple[float, str, Identity]  # (priority, name, identity) of a file a ledger lists


class _NameHeld(Exception):
    """A save under a name the checkpoint lists already, refused before anything is written."""


class _NameTaken(FileExistsError):
    """A save under a name that a file this run did not write holds: the checkpoint tries the next."""


def _plain_name(name: Any) -> bool:
    """Whether ``name`` names a file directly in a directory: a non-empty string without path
    separators or NUL, other than '.' and '..', neither absolute nor with a drive."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(character in name for character in ("/", "\\", "\0"))
        and os.path.basename(name) == name
        and not os.path.isabs(name)
        and not os.path.splitdrive(name)[0]
    )


def _identity(path: Path) -> Identity | None:
    """(size, modification time in ns) of the regular file at ``path``, or None if there is none."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (status.st_size, status.st_mtime_ns)


def _written_identity(path: Path) -> Identity:
    """The identity of the file just written at ``path``; an OSError naming it if it cannot be read."""
    try:
        status = os.lstat(path)
    except OSError as error:
        raise OSError(
            f"Could not read the size and modification time of {str(path)!r}, the checkpoint just "
            f"written, to record which file it is: the save is abandoned and the previous files kept "
            f"({error})."
        ) from error
    if not stat.S_ISREG(status.st_mode):
        raise OSError(
            f"The checkpoint just written to {str(path)!r} is no longer a regular file: the save is "
            "abandoned and the previous files kept."
        )
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


def _not_taken_warning(path: Path, source: str, recorded: Identity | None, now: Identity) -> None:
    """Warn that the file at ``path`` (named by ``source``) is not taken over, and why."""
    if recorded is None:
        why = (
            "the state records neither a run id nor the file's identity (a state of another handler, "
            "such as a plain Ignite Checkpoint's, or one saved by a process that does not write the files: "
            "resume every process from the state of the writing process, rank 0, as Ignite's Checkpoint "
            "saves it), so nothing shows that the file is this run's"
        )
    elif recorded[0] == now[0]:
        why = (
            f"its modification time ({now[1]} ns) is not the one recorded when this run saved it "
            f"({recorded[1]} ns; the size is the same): another run wrote a file of that name, or it was "
            "copied without its times (cp -r, rsync -r). If it is this run's file, copy the directory "
            "again keeping the times "
            "(cp -p or cp -a, rsync -a), or give the file its time back "
            f"(os.utime(path, ns=({recorded[1]}, {recorded[1]}))), then resume again"
        )
    else:
        why = (
            f"it is not the file this run saved under that name ({now[0]} bytes, {recorded[0]} when "
            "saved): another run or a user wrote it"
        )
    warnings.warn(
        f"Checkpoint file {str(path)!r}, {source}, is not taken over: {why}. It stays on disk, never "
        "replaced nor deleted by this run, and best_checkpoint does not name it.",
        UserWarning,
        stacklevel=4,
    )


class _ExclusiveSaver(BaseSaveHandler):
    """Writes each checkpoint to a new file of ``dirname`` and never replaces a file it did not write.

    A save writes a temporary file (removed if the write fails), records the file in the run's
    ledger, then hard-links it to its final name, which fails if that name exists: another run's
    file is never replaced, even by a save that started before it appeared. A file this run owns
    (written by it, or restored with :meth:`adopt`) and that the checkpoint no longer lists may be
    replaced (a save under a name it lists is refused with :class:`_NameHeld`), and the files
    Ignite's ``Checkpoint`` asks to remove are removed only after the next write succeeded, so a
    failed save never loses the previous best file. ``after_save`` is called with the name of each
    file saved (on every process, before Ignite fires ``SAVED_CHECKPOINT``).
    """

    def __init__(self, dirname: Path, save_on_rank: int = 0) -> None:
        self.dirname = dirname
        self.save_on_rank = save_on_rank
        self.run_id = uuid.uuid4().hex  # this process's: a resumed run writes a ledger of its own
        self.continues: str | None = None  # the run_id of the restored state (see `adopt`)
        self.written = False  # whether the last save reached its final name (see `begin`)
        self.held: frozenset[str] = frozenset()  # the names the checkpoint lists (see `begin`)
        self.after_save: Callable[[str], None] = lambda filename: None
        self._owned: dict[str, tuple[float, Identity]] = {}  # name -> (priority, identity), oldest first
        self._pending: list[str] = []  # asked to be removed by the save in progress
        self._leftovers: list[str] = []  # owned files beyond n_saved after `adopt`

    def is_writer(self) -> bool:
        """Whether this process writes the files (the others keep the same list, without identities)."""
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

    def begin(self, held: frozenset[str] = frozenset()) -> None:
        """Start a save (or forget a failed one): nothing written yet, nothing to remove; ``held``
        are the names the checkpoint lists, which the save may not write."""
        self.written, self.held = False, held
        self._pending = []

    def remove(self, filename: str) -> None:
        self._pending.append(filename)  # done once the next file is safely on disk

    def __call__(
        self, checkpoint: Mapping[Any, Any], filename: str, metadata: Mapping[Any, Any] | None = None
    ) -> None:
        if filename in self.held:  # on every process alike, so that their lists of files agree
            raise _NameHeld(filename)
        error: Exception | None = None
        if self.is_writer():
            try:
                self._save(checkpoint, filename, metadata)
            except Exception as caught:
                error = caught
        else:
            self._pending = []
        if idist.get_world_size() > 1:  # every process learns the outcome: their lists stay equal
            outcome = int(idist.all_reduce(0 if error is None else 2 if isinstance(error, _NameTaken) else 1))
            if outcome == 2:  # on every process alike: the checkpoint tries the next name
                raise error if error is not None else _NameTaken(filename)
            if outcome:
                if error is not None and not isinstance(error, TypeError):
                    raise error
                raise RuntimeError(  # a TypeError would make Ignite call again, on this process alone
                    f"Checkpoint file {filename!r} was not saved: writing it failed on the process of rank "
                    f"{self.save_on_rank}"
                    + (f" ({type(error).__name__}: {error})" if error else "")
                    + "; every process keeps the previous files."
                ) from error
        elif error is not None:
            raise error
        self.written = True
        self.after_save(filename)

    def _save(self, checkpoint: Mapping[Any, Any], filename: str, metadata: Mapping[Any, Any] | None) -> None:
        priority = -math.inf if metadata is None else float(metadata["priority"])
        path = self.dirname / filename
        replace = self._owns(filename)
        if not replace and os.path.lexists(path):  # fail fast; the link below is the real check
            raise self._exists_error(path)
        temp = self._write_temp(lambda file: torch.save(checkpoint, file))
        previous = self._owned.get(filename)
        try:
            self._owned[filename] = (priority, _written_identity(temp))
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
        to_delete = [name for name in self._pending + self._leftovers if name != filename]
        self._pending, self._leftovers = [], []
        for name in to_delete:
            self._delete(name)

    def _owns(self, name: str) -> bool:
        entry = self._owned.get(name)
        return entry is not None and _identity(self.dirname / name) == entry[1]

    def _exists_error(self, path: Path) -> _NameTaken:
        message = f"Checkpoint file {str(path)!r} already exists and is not one of this run's files."
        return _NameTaken(message)

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
        try:  # a kill before the move leaves this empty file: see `remove_stale_temps`
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
        writer = [_HOST, os.getpid()]  # whose saves may still move a file onto a reserved name
        text = json.dumps(
            {"run_id": self.run_id, "continues": self.continues, "files": files, "writer": writer}
        )
        temp = self._write_temp(lambda file: file.write(text.encode()))
        try:
            os.replace(temp, self._ledger())
        finally:
            _unlink_temp(temp)

    def _ledgers(self) -> dict[str, tuple[str | None, list[Listed]]]:
        """``{run_id: (the run_id it continues, its files)}`` of the ledgers in ``dirname`` but this
        process's own; a ledger that cannot be read lists nothing, a name that is not a plain file
        name is left out."""
        ledgers: dict[str, tuple[str | None, list[Listed]]] = {}
        for entry in os.scandir(self.dirname):
            match = _LEDGER_NAME.fullmatch(entry.name)
            if match is None or match["run_id"] == self.run_id:
                continue
            try:
                ledger = json.loads(Path(entry.path).read_text())
                parent = ledger.get("continues")
                files = [(float(p), f, (int(size), int(ns))) for p, f, (size, ns) in ledger["files"]]
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
            files = [file for file in files if _plain_name(file[1]) and not math.isnan(file[0])]
            ledgers[match["run_id"]] = (parent if isinstance(parent, str) else None, files)
        return ledgers

    def _lineage(self, run_id: str) -> list[Listed]:
        """The files listed by the ledgers of run ``run_id`` and of the runs resumed from it, at
        any depth (this process's own ledger aside), each ledger's oldest first.

        A ledger that is missing or cannot be read lists nothing; a run resumed from a sibling of
        ``run_id`` (another process resumed from the same state) is not in the lineage.
        """
        ledgers = self._ledgers()
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
        state) recorded. A name without a recorded identity is taken as it is if the state has a
        ``run_id`` (a state of this handler saved before identities were recorded), never else.
        A file on disk under a name of the run that is not taken is named in a warning. The best
        ``n_saved`` are kept, a file saved later ranking below the files of equal priority saved
        before it; the others are removed after the next successful save. This run keeps its own
        ledger, which names the run it continues.
        """
        trusted = run_id if run_id is not None and _RUN_ID.fullmatch(run_id) else None
        candidates: dict[str, list[tuple[float, Identity | None]]] = {
            name: [entry] for name, entry in self._owned.items()
        }
        later: list[str] = []  # the names of the lineage's ledgers, oldest first
        if trusted is not None and trusted != self.run_id:
            self.continues = trusted
            for priority, name, written in self._lineage(trusted):
                candidates.setdefault(name, []).append((priority, written))
                later.append(name)
        untrusted: list[str] = []
        for priority, name in restored:
            recorded = _recorded(identities.get(name))
            if recorded is None and trusted is None:
                untrusted.append(name)
                continue
            candidates.setdefault(name, []).append((float(priority), recorded))
        restored_names = {name for _, name in restored}
        owned: dict[str, tuple[float, Identity]] = {}
        for name, entries in candidates.items():
            now = _identity(self.dirname / name)
            matching = [priority for priority, identity in entries if identity in (None, now)]
            if now is not None and matching:
                owned[name] = (matching[0], now)
            elif now is not None and (name in restored_names or name in later):
                source = "named by the restored state" if name in restored_names else "listed by its ledger"
                _not_taken_warning(self.dirname / name, source, entries[-1][1], now)
        for name in untrusted:
            now = _identity(self.dirname / name)
            if now is not None and name not in owned:
                _not_taken_warning(self.dirname / name, "named by the restored state", None, now)
        # Newest first, so that a stable sort ranks the newest of equal priorities lowest: this
        # process's files, the lineage's that the state does not name (written after it), the state's.
        newest_first = [
            *reversed(self._owned),
            *(name for name in reversed(later) if name not in restored_names),
            *(name for _, name in restored),
        ]
        newest_first = [name for name in dict.fromkeys(newest_first) if name in owned]
        ranked = sorted(newest_first, key=lambda name: owned[name][0])
        keep = ranked if n_saved is None else ranked[-n_saved:]
        self._owned = {name: owned[name] for name in reversed(newest_first)}
        self._leftovers = [name for name in ranked if name not in keep]
        if self.is_writer() and owned:
            self._write_ledger()
        return [(owned[name][0], name) for name in keep]

    def remove_stale_temps(self) -> list[str]:
        """Remove what saves that died left: their temporary files (this host's, of a finished
        process), and the empty files that reserved a name where there are no hard links."""
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
        return removed + self._remove_reservations()

    def _remove_reservations(self) -> list[str]:
        """Remove each empty file under a name that a ledger lists with a non-empty file, when the
        process that wrote the ledger can save no more: where there are no hard links, a save
        reserves the name with an empty file (after writing the ledger), then moves its file onto
        it; a kill in between leaves it. A live writer's reservation stays (its move may land
        between a size check and a removal), as does one whose writer is unknown (another host,
        a ledger of an earlier version)."""
        ledgers = self._ledgers()
        gone = self._gone_writers()
        listed = {
            name
            for run_id, (_, files) in ledgers.items()
            if run_id in gone
            for _, name, (size, _) in files
            if size > 0
        }
        removed = []
        for name in sorted(listed):
            identity = _identity(self.dirname / name)
            if identity is None or identity[0] != 0:
                continue
            with contextlib.suppress(OSError):
                (self.dirname / name).unlink()
                removed.append(name)
        return removed

    def _gone_writers(self) -> set[str]:
        """The run ids of the ledgers (this process's own aside) whose writer can save no more: a
        finished process of this host, or this process while it writes no file."""
        gone = set()
        for entry in os.scandir(self.dirname):
            match = _LEDGER_NAME.fullmatch(entry.name)
            if match is None or match["run_id"] == self.run_id:
                continue
            try:
                host, pid = json.loads(Path(entry.path).read_text())["writer"]
                pid = int(pid)
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if host == _HOST and (not _WRITING if pid == os.getpid() else not _pid_alive(pid)):
                gone.add(match["run_id"])
        return gone
