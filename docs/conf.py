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
    """Show Ignite's ``Metric`` instead of the private ``_CountingMetric`` in "Bases:" lines."""
    for i, base in enumerate(bases):
        if base.__name__.startswith("_"):
            bases[i] = next(b for b in base.__mro__ if not b.__name__.startswith("_"))


def setup(app: object) -> None:
    app.connect("autodoc-process-bases", _public_bases)  # type: ignore[attr-defined]
