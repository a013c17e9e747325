"""The checkpoint directory of :func:`~ignite_f1.handlers.setup_f1_monitoring`, checked before anything
is made: a directory (or a path where one can be made) that this process can write to, and with
``require_empty`` one that holds no checkpoint file yet."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ignite.distributed as idist


def prepare_checkpoint_dir(checkpoint_dir: Any, require_empty: bool) -> Path:
    if not isinstance(checkpoint_dir, str | os.PathLike):
        raise TypeError(f"Argument `checkpoint_dir` must be a path, got {checkpoint_dir!r}.")
    if os.fspath(checkpoint_dir) in ("", b""):  # Path("") is the working directory
        raise ValueError(f"Argument `checkpoint_dir` must be a non-empty path, got {checkpoint_dir!r}.")
    path = Path(checkpoint_dir).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"Argument `checkpoint_dir` must be a directory, got the file {str(path)!r}.")
    nearest = path.absolute()  # the directory itself, or the closest existing folder above it
    while not nearest.exists() and nearest.parent != nearest:
        nearest = nearest.parent
    if not nearest.is_dir():
        raise ValueError(
            f"Argument `checkpoint_dir` must be a directory or a path where one can be made, got "
            f"{str(path)!r}, inside the file {str(nearest)!r}. Choose another directory."
        )
    if idist.get_rank() == 0 and not os.access(nearest, os.W_OK | os.X_OK):
        made = "" if nearest == path.absolute() else f" (to make it in {str(nearest)!r})"
        raise PermissionError(
            f"Argument `checkpoint_dir` must be a directory this process can write to, got "
            f"{str(path)!r}, where it may not create files{made}. Fix the permissions, or choose "
            "another directory."
        )
    if require_empty and path.is_dir():
        existing = sorted(name for name in os.listdir(path) if name.endswith(".pt"))
        if existing:
            raise ValueError(
                f"Argument `checkpoint_dir` must hold no checkpoint (*.pt) file when require_empty=True, got "
                f"{str(path)!r} holding {existing}. Use a new directory, or pass require_empty=False to "
                "keep them there: files already present are never overwritten nor deleted (unless they "
                "are this run's own, restored with the checkpoint's load_state_dict when resuming)."
            )
    return path
