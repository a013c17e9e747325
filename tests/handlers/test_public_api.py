"""The handlers package: every public name where it was, and only Ignite's public API used.

The second test reads the package's source with ``ast``: an attribute whose name starts with one
underscore may only be read on ``self``/``cls`` or on this package's own modules, and a class
derived from an Ignite class may neither use nor define a private name of that class (overriding
or reading ``Checkpoint._saved``, ``Serializable._state_dict_all_req_keys``, ...).
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import ignite.base.mixins
import ignite.handlers
import ignite.handlers.checkpoint
import pytest

import ignite_f1
from ignite_f1 import handlers

PACKAGE = Path(handlers.__file__).parent
PUBLIC = ["F1Monitoring", "MissingMetricError", "RetrainEvents", "RetrainOnPlateau", "score_function"]
PUBLIC += ["setup_f1_monitoring"]


def test_every_public_name_is_exported_from_the_package_and_the_top_level() -> None:
    assert sorted(handlers.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(ignite_f1, name) is getattr(handlers, name), name
        assert name in ignite_f1.__all__


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _ignite_privates(base: type) -> set[str]:
    """The private names an Ignite class and its Ignite bases define or use."""
    names: set[str] = set()
    for cls in base.__mro__:
        if cls.__module__.startswith("ignite."):
            names |= {name for name in vars(cls) if _private(name)}
            names |= set(re.findall(r"\._([A-Za-z]\w*)", inspect.getsource(cls)))
    return {name if name.startswith("_") else f"_{name}" for name in names}


IGNITE_BASES = {
    "BaseSaveHandler": ignite.handlers.checkpoint.BaseSaveHandler,
    "Checkpoint": ignite.handlers.Checkpoint,
    "DiskSaver": ignite.handlers.DiskSaver,
    "EarlyStopping": ignite.handlers.EarlyStopping,
    "Serializable": ignite.base.mixins.Serializable,
}


def _private_access(node: ast.AST, own_modules: set[str]) -> str | None:
    """A private name read outside ``self``/``cls``/our modules, or imported from Ignite."""
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if module.startswith("ignite") and not module.startswith("ignite_f1"):
            names = [alias.name for alias in node.names if _private(alias.name)]
            return f"import of {names} from {module}" if names else None
    if isinstance(node, ast.Attribute) and _private(node.attr):
        base = node.value
        if not (isinstance(base, ast.Name) and base.id in {"self", "cls", *own_modules}):
            return f"line {node.lineno}: {ast.unparse(node)}"
    if isinstance(node, ast.Call) and ast.unparse(node.func) in {"getattr", "setattr", "hasattr"}:
        name = node.args[1] if len(node.args) > 1 else None
        if isinstance(name, ast.Constant) and _private(str(name.value)):
            return f"line {node.lineno}: {ast.unparse(node)}"
    return None


def _ignite_private_names_of(node: ast.ClassDef) -> list[str]:
    """The private names of its Ignite bases that a class derived from Ignite uses or defines."""
    bases = [IGNITE_BASES[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in IGNITE_BASES]
    privates = set().union(*(_ignite_privates(base) for base in bases))
    names = {sub.attr for sub in ast.walk(node) if isinstance(sub, ast.Attribute)}
    for sub in ast.walk(node):
        if isinstance(sub, ast.FunctionDef):
            names.add(sub.name)
        elif isinstance(sub, ast.Assign):
            names |= {target.id for target in sub.targets if isinstance(target, ast.Name)}
    return sorted(names & privates)


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    own_modules = {  # `from ignite_f1.handlers import _tensorboard`: a module of ours
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ignite_f1")
        for alias in node.names
    }
    found = [hit for node in ast.walk(tree) if (hit := _private_access(node, own_modules))]
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            found += [f"class {node.name}: Ignite's {name}" for name in _ignite_private_names_of(node)]
    return found


EVERY_MODULE = sorted(Path(ignite_f1.__file__).parent.rglob("*.py"))


@pytest.mark.parametrize(
    "path", EVERY_MODULE, ids=lambda path: str(path.relative_to(Path(ignite_f1.__file__).parent))
)
def test_only_ignite_public_api_is_used(path: Path) -> None:
    # the whole package, not only the handlers: metrics and TensorBoard follow the same rule
    assert _violations(path) == []


def test_the_check_finds_what_issue_10_removed(tmp_path: Path) -> None:
    """The check is not vacuous: each private use the handlers once made is reported."""
    old = tmp_path / "old.py"
    old.write_text(
        "from ignite.handlers import Checkpoint, DiskSaver\n"
        "from ignite.base.mixins import Serializable\n"
        "class Saver(DiskSaver):\n"
        "    def _check_and_setup(self, *args): ...\n"
        "class Best(Checkpoint):\n"
        "    def __call__(self, engine):\n"
        "        del self._saved[-1]\n"
        "class Retrain(Serializable):\n"
        "    _state_dict_all_req_keys = ('counter',)\n"
        "def find(evaluator, to_load):\n"
        "    Checkpoint._check_objects(to_load, 'load_state_dict')\n"
        "    return evaluator._event_handlers\n"
    )
    found = "\n".join(_violations(old))
    for name in [
        "_check_and_setup",
        "_saved",
        "_state_dict_all_req_keys",
        "_check_objects",
        "_event_handlers",
    ]:
        assert name in found, name
