"""Two real processes on the gloo backend, launched so that a deadlock fails a test instead of hanging it.

The two-process tests (``tests/metrics/test_distributed.py``, ``test_distributed_weighted.py``,
``test_samplewise_weights.py``, ``test_confidence_interval.py``) each define a module-level
``_worker(local_rank, out_dir)`` that saves what its rank saw under ``out_dir``; they compare it
with the reference afterwards.

- ``run_launcher(test_file, out_dir)``: runs the test module's ``_worker`` in two gloo processes,
  from a subprocess in its own process group that is killed on timeout; fails the test (with the
  tail of its stderr) on timeout and, unless ``check=False``, on a non-zero exit.
- ``parallel(worker, out_dir)``: what that subprocess runs: ``ignite.distributed.Parallel`` with two
  gloo processes initialised through a file in ``out_dir``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

WORLD_SIZE = 2
TIMEOUT_SECONDS = 120  # one launch normally takes 5-15 s; the guard only fires on a deadlock
GLOO_TIMEOUT = timedelta(seconds=20)  # a collective call waiting longer for a peer raises
# fork skips re-importing torch in the workers (about 4x faster here); spawn where fork is unavailable
START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

_TESTS = Path(__file__).resolve().parent  # tests/, for the helper modules


def parallel(worker: Callable[[int, str], Any], out_dir: str, nproc: int = WORLD_SIZE) -> None:
    """Run ``worker(local_rank, out_dir)`` in ``nproc`` gloo processes, initialised through the file
    ``out_dir/shared``. A collective call that waits for a peer more than ``GLOO_TIMEOUT`` raises
    instead of hanging. Processes are forked where the platform can, else spawned (``worker`` must
    then be importable by its module's name, as :func:`run_launcher` arranges)."""
    import ignite.distributed as idist

    with idist.Parallel(
        backend="gloo",
        nproc_per_node=nproc,
        init_method=f"file://{out_dir}/shared",
        timeout=GLOO_TIMEOUT,
        start_method=START_METHOD,
    ) as launched:
        launched.run(worker, out_dir)


def run_launcher(
    test_file: str | Path, out_dir: str | Path, timeout: float = TIMEOUT_SECONDS, check: bool = True
) -> tuple[int, str]:
    """Run :func:`parallel` on the ``_worker`` of the test module ``test_file`` (pass ``__file__``)
    in a subprocess; return its exit status and stderr.

    The subprocess imports the test module by its name, with the module's folder and ``tests/`` on
    ``sys.path``, so the worker and the helper modules are found in every process. It runs in its own
    process group with ``OMP_NUM_THREADS=1``; after ``timeout`` seconds the whole group (the workers
    too) is killed and the test fails with the tail of stderr. With ``check`` a non-zero exit fails
    the test as well; ``check=False`` leaves the exit status to the caller.
    """
    module = Path(test_file).resolve()
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
        f"import _gloo, {module.stem}; _gloo.parallel({module.stem}._worker, sys.argv[3])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(module.parent), str(_TESTS), str(out_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        start_new_session=True,  # its own process group: the workers can be killed with it
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        pytest.fail(f"the two-process run did not end within {timeout} s (deadlock?)\n{stderr[-4000:]}")
    if check and process.returncode != 0:
        pytest.fail(f"the two-process run failed (exit {process.returncode}):\n{stderr[-6000:]}")
    return process.returncode, stderr
