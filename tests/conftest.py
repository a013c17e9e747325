"""Hypothesis profiles and the shared fixtures; the helpers live in importable modules.

- ``_reference.py``: the one scikit-learn reference adapter and the assertions that compare with it.
- ``_cases.py``: input cases (builders, a fixed list with readable ids, hypothesis strategies).

``pyproject.toml`` puts ``tests/`` on ``sys.path``, so any test module (in ``tests/`` or a subfolder)
does ``from _reference import sklearn_fbeta`` and ``from _cases import binary_case``.

Hypothesis profiles, chosen with ``--hypothesis-profile NAME`` (or ``HYPOTHESIS_PROFILE=NAME``):

- ``quick`` (the default): derandomized, no example database, no deadline, 20 examples per weight,
  so that the README's test command stays within its time budget with every case family drawn.
- ``thorough``: the same, 300 examples per weight; ``.ci/run`` runs every property-based test with it
  (``-m "slow or hypothesis"``: hypothesis marks its tests).
- ``dev``: 20 random examples per weight (a new draw each run); ``soak``: 2,000 random ones.

Tests ask for ``n_examples(weight)`` (``_cases.py``): ``weight`` times the profile's ``max_examples``.
Tests marked ``slow`` (examples, the benchmark script, subprocess and multi-process runs) are left
out by default (``addopts`` in ``pyproject.toml``); ``python -m pytest -m slow`` runs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from hypothesis import settings

_COMMON: dict[str, Any] = {"deadline": None, "database": None}
settings.register_profile("quick", max_examples=20, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=300, derandomize=True, **_COMMON)
settings.register_profile("dev", max_examples=20, derandomize=False, **_COMMON)
settings.register_profile("soak", max_examples=2000, derandomize=False, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))  # --hypothesis-profile wins


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """Run a module's thousands of tiny batches on one thread, then restore the setting.

    Measured here (torch 2.13 CPU, 2 cores): ``max(dim=1)`` on a 20 x 8 tensor takes 0.43 ms with
    2 intra-op threads and 3.5 us with 1; on a loaded machine the thread hand-off dominated the run.
    Use it with ``pytestmark = pytest.mark.usefixtures("one_thread")``.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
