"""Sphinx configuration for the ignite_f1 documentation.

Offline by design: no intersphinx, no extension that fetches anything at build time. Pages are MyST
Markdown; code examples are ``{doctest}`` blocks (and the docstrings' ``>>>`` examples) run by
``python -m sphinx -b doctest docs docs/_build/doctest``.
"""

from __future__ import annotations

import ignite_f1

project = "ignite_f1"
author = "ignite_f1 contributors"
copyright = "ignite_f1 contributors"
release = ignite_f1.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
# _static holds generated files (the report table is included by the TensorBoard guide), not pages.
exclude_patterns = ["_build", "_static", "Thumbs.db", ".DS_Store"]

# MyST: ::: fences for admonitions, definition lists, and anchors on headings for in-page links.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# autodoc + napoleon: Google-style docstrings, types in the signatures, members in source order.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_custom_sections = [("Inputs (``update((y_pred, y))``)", "params_style")]

# doctest: the same flags as pytest's doctests (pyproject.toml), minus pytest's own NUMBER.
doctest_default_flags = (
    __import__("doctest").ELLIPSIS
    | __import__("doctest").NORMALIZE_WHITESPACE
    | __import__("doctest").IGNORE_EXCEPTION_DETAIL
    | __import__("doctest").DONT_ACCEPT_TRUE_FOR_1
)
doctest_global_setup = """
import warnings
import torch
torch.manual_seed(0)
"""

html_theme = "furo"
html_title = f"ignite_f1 {release}"
html_static_path = ["_static"]


def _public_bases(app: object, name: str, obj: object, options: object, bases: list[type]) -> None:
    """Show a documented class in "Bases:" lines: Ignite's ``Metric`` instead of a private class,
    ``CountingMetric`` instead of the unexported ``ConfusionMatrixMetric`` and
    ``ThresholdCurveMetric`` (whose members are documented on their subclasses)."""
    for i, base in enumerate(bases):
        if base.__name__.startswith("_") or base.__name__ in _INTERMEDIATE:
            bases[i] = next(
                b for b in base.__mro__ if not b.__name__.startswith("_") and b.__name__ not in _INTERMEDIATE
            )
    unique = list(dict.fromkeys(bases))  # BinaryFBetaScore has both: CountingMetric once
    bases[:] = unique


# The unexported classes between CountingMetric and the public metrics: api.md documents their
# members on the public classes that inherit them (`:inherited-members:`), such as
# `confidence_interval`, defined once on ConfusionMatrixMetric.
_INTERMEDIATE = ("ConfusionMatrixMetric", "ThresholdCurveMetric")


def _skip_documented_overrides(
    app: object, what: str, name: str, obj: object, skip: bool, options: object
) -> bool | None:
    """Skip an intermediate class's override of a CountingMetric method (``load_state_dict``,
    ``threshold_histogram``): that method is documented once, on CountingMetric."""
    from ignite_f1.metrics import CountingMetric

    owner = getattr(obj, "__qualname__", "").rpartition(".")[0]
    if owner in _INTERMEDIATE and hasattr(CountingMetric, name):
        return True
    return None


def setup(app: object) -> None:
    app.connect("autodoc-process-bases", _public_bases)  # type: ignore[attr-defined]
    app.connect("autodoc-skip-member", _skip_documented_overrides)  # type: ignore[attr-defined]
