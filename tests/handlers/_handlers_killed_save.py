"""``python _handlers_killed_save.py DIR``: a process killed in the middle of a best-F1 save.

It sets up the F1 monitoring on ``DIR`` and saves once, with a ``torch.save`` that writes half a
checkpoint and ends the process at once (``os._exit``, as a kill would: no ``finally``, no
clean-up), so that the save's temporary file is left in ``DIR`` for the next setup to find.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import torch
from ignite.engine import Engine

from ignite_f1.handlers import setup_f1_monitoring

KILLED = 9


def dying_save(obj: Any, file: Any, *args: Any, **kwargs: Any) -> None:
    file.write(b"half a checkpoint")
    file.flush()
    os._exit(KILLED)


def main(directory: str) -> None:
    trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
    monitoring = setup_f1_monitoring(trainer, evaluator, "f1", {"model": torch.nn.Linear(2, 2)}, directory)
    torch.save = dying_save
    evaluator.state.metrics = {"f1": 0.5}
    monitoring.checkpoint(evaluator)


if __name__ == "__main__":
    main(sys.argv[1])
