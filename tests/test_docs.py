"""The documentation pages as a reader sees them: code that fits the page, no placeholder output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_static" not in p.parts and "_build" not in p.parts)
# The theme's content column is 40em of 16 px; code is set at 13 px in a monospace font about
# 0.6 em wide, inside 14 px of padding on each side: 78 characters fit without a scroll bar.
COLUMN = 78


def _code_lines(page: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line inside a fenced code block (not images or includes)."""
    lines: list[tuple[int, str]] = []
    fence = None
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        opening = re.match(r"^(```+|~~~+)\s*(.*)$", line)
        if fence is None and opening:
            fence, info = opening.group(1), opening.group(2)
            code = not info.startswith(("{image", "{include", "{literalinclude", "{toctree", "{eval-rst"))
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is not None and code:
            lines.append((number, line))
    return lines


# Pages being rewritten elsewhere when this test was written: remove an entry once its code fits.
IN_REWRITE: dict[str, str] = {}


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(
            p,
            id=str(p.relative_to(DOCS)),
            marks=[pytest.mark.xfail(reason=IN_REWRITE[p.name], strict=False)]
            if p.name in IN_REWRITE
            else [],
        )
        for p in PAGES
    ],
)
def test_code_blocks_fit_the_content_column(page: Path) -> None:
    wide = [f"{number}: {len(line)} characters" for number, line in _code_lines(page) if len(line) > COLUMN]
    assert not wide, f"{page.relative_to(DOCS)}: wider than {COLUMN} characters at lines {wide}"


def test_literal_includes_fit_the_content_column() -> None:
    """The code the guides take from other files (start-after / end-before, dedent) fits too."""
    for page in PAGES:
        text = page.read_text()
        for block in re.finditer(r"```\{literalinclude\} (\S+)\n((?::\w+:.*\n)*)```", text):
            options = dict(re.findall(r":(\w+): (.*)", block.group(2)))
            source = (page.parent / block.group(1)).read_text()
            start = source.index(options["start-after"].strip('"')) if "start-after" in options else 0
            end = source.index(options["end-before"].strip('"')) if "end-before" in options else len(source)
            dedent = int(options.get("dedent", 0))
            included = source[start:end].splitlines()[1:]
            wide = [line for line in included if len(line) - dedent > COLUMN]
            assert not wide, f"{page.name} includes lines wider than {COLUMN} characters: {wide}"


def test_no_placeholder_output_in_examples() -> None:
    """Doctest output shows real values: no `...` standing for a name or a number inside a string."""
    placeholder = re.compile(r"""['"][^'"\n]*(?:_\.\.\.|\.\.\._|=\.\.\.|\.\.\.pt)[^'"\n]*['"]""")
    found = [
        f"{page.relative_to(DOCS)}:{number}"
        for page in PAGES
        for number, line in _code_lines(page)
        if placeholder.search(line)
    ]
    assert not found, f"placeholder output at {found}"


@pytest.mark.slow
def test_api_reference_documents_confidence_interval_on_the_four_classes(tmp_path: Path) -> None:
    """``confidence_interval`` is defined once, on the unexported ConfusionMatrixMetric; the API page
    shows it on each public class that has it (and CountingMetric's methods only once)."""
    import subprocess
    import sys

    pytest.importorskip("sphinx", reason='the docs extra builds the API page: pip install -e ".[docs]"')
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(DOCS), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    page = (tmp_path / "api.html").read_text()
    documented = set(re.findall(r'id="ignite_f1\.metrics\.(\w+)\.confidence_interval"', page))
    assert documented == {"BinaryF1Score", "BinaryFBetaScore", "MulticlassF1Score", "MulticlassFBetaScore"}
    for method in ("load_state_dict", "threshold_histogram"):  # overrides stay documented once
        assert re.findall(rf'id="ignite_f1\.metrics\.(\w+)\.{method}"', page) == ["CountingMetric"]
    assert "ConfusionMatrixMetric" not in page and "ThresholdCurveMetric" not in page


@pytest.mark.parametrize(
    "module", ["ignite_f1", "ignite_f1.metrics", "ignite_f1.handlers", "ignite_f1.tensorboard"]
)
def test_every_public_class_and_function_has_an_example(module: str) -> None:
    """Every name a module exports (``__version__`` aside) shows its use in a doctest (run by the
    docs build and ``--doctest-modules``)."""
    import importlib
    import inspect

    exported = importlib.import_module(module)
    objects = {name: getattr(exported, name) for name in exported.__all__ if name != "__version__"}
    assert all(inspect.isclass(obj) or inspect.isfunction(obj) for obj in objects.values())
    assert [name for name, obj in objects.items() if ">>>" not in (obj.__doc__ or "")] == []


@pytest.mark.parametrize(
    "module", ["ignite_f1", "ignite_f1.metrics", "ignite_f1.handlers", "ignite_f1.tensorboard"]
)
def test_every_public_method_and_property_has_an_example(module: str) -> None:
    """The public methods and properties that the exported classes define here (not those of
    Ignite, torch or typing) show their use in a doctest (an override without a docstring shows
    the one it overrides, as Sphinx does); their public data attributes are named in the docstring
    of the class or of a class of this package it derives from."""
    import importlib
    import inspect

    exported = importlib.import_module(module)
    lacking = []
    for class_name in exported.__all__:
        cls = getattr(exported, class_name)
        if not inspect.isclass(cls):
            continue
        ours = [klass for klass in cls.__mro__ if klass.__module__.startswith("ignite_f1")]
        docs = " ".join(klass.__doc__ or "" for klass in ours)
        for klass in ours:
            for name, value in vars(klass).items():
                if name.startswith("_"):
                    continue
                if isinstance(value, property) or inspect.isfunction(value):
                    doc = inspect.getdoc(value if isinstance(value, property) else getattr(cls, name))
                    if ">>>" not in (doc or ""):
                        lacking.append(f"{class_name}.{name}")
                elif isinstance(value, (staticmethod, classmethod)):
                    if ">>>" not in (value.__func__.__doc__ or ""):
                        lacking.append(f"{class_name}.{name}")
                elif not re.search(rf"\b{re.escape(name)}\b", docs):
                    lacking.append(f"{class_name}.{name} (attribute)")
    assert sorted(set(lacking)) == []
