"""The house rules of the testing package (issue 11): no module of
``klaviyo_legacy_compat/testing/`` is longer than 800 lines, and its modules import each other
without a cycle.

Imports are read with :mod:`ast`, never by importing: an import counts when it runs at module
level (also inside a module-level ``try``, ``with`` or ``if``), not inside a function, and not
under ``if TYPE_CHECKING:``, which only the type checker reads. ``from package import name``
imports the submodule ``package.name`` when there is one, else the package's ``__init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Optional

from klaviyo_legacy_compat import testing

PACKAGE = Path(testing.__file__).parent
MAX_LINES = 800


def too_long(directory: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Module file name → line count, for the modules of ``directory`` over ``limit``."""
    counts = {
        path.name: len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(directory.glob("*.py"))
    }
    return {name: count for name, count in counts.items() if count > limit}


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _module_level_imports(
    statements: Iterable[ast.stmt], package: str
) -> set[tuple[str, Optional[str]]]:
    """What the module-level ``statements`` import: ``(module, None)`` for ``import
    module``, ``(module, name)`` for ``from module import name``; relative imports made
    absolute (``package``: the package the module is in)."""
    found: set[tuple[str, Optional[str]]] = set()
    for node in statements:
        if isinstance(node, ast.Import):
            found.update((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found.update((base, alias.name) for alias in node.names)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found |= _module_level_imports(node.body, package)
            found |= _module_level_imports(node.orelse, package)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                found |= _module_level_imports(block, package)
            for handler in node.handlers:
                found |= _module_level_imports(handler.body, package)
        elif isinstance(node, ast.With):
            found |= _module_level_imports(node.body, package)
    return found


def import_graph(directory: Path, package: str) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports at module level (names
    relative to ``package``: ``_store``, ``__init__``)."""
    paths = {path.stem: path for path in sorted(directory.glob("*.py"))}
    names = {(package if stem == "__init__" else f"{package}.{stem}"): stem for stem in paths}
    graph: dict[str, set[str]] = {}
    for stem, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for module, name in _module_level_imports(tree.body, package):
            submodule = f"{module}.{name}"
            target = submodule if name is not None and submodule in names else module
            if target in names and names[target] != stem:
                edges.add(names[target])
        graph[stem] = edges
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> Optional[list[str]]:
    """One import cycle of ``graph`` as a path (``[a, b, a]``), or ``None``."""
    state: dict[str, str] = {}  # "open" while on the current path, then "done"
    path: list[str] = []

    def visit(node: str) -> Optional[list[str]]:
        state[node] = "open"
        path.append(node)
        for other in sorted(graph.get(node, ())):
            if state.get(other) == "open":
                return [*path[path.index(other) :], other]
            if other not in state:
                found = visit(other)
                if found is not None:
                    return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found is not None:
                return found
    return None


def test_no_module_of_the_testing_package_is_longer_than_800_lines() -> None:
    assert too_long(PACKAGE) == {}


def test_the_testing_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE, testing.__name__)
    # The graph is read from the real modules: the server imports its concerns.
    assert {"_operations", "_faults", "_rate_limits"} <= graph["_server"]
    assert find_cycle(graph) is None


def test_the_checks_find_a_long_module_and_a_cycle(tmp_path: Path) -> None:
    """The checks above can fail: a module over the limit and a cycle through module-level
    imports are found, while imports for the type checker or inside a function are not
    edges."""
    package = tmp_path / "pkg"
    package.mkdir()
    modules = {
        "__init__": "",
        "a": "from pkg import b\n",
        "f": "from pkg import VERSION\n",
        "b": "try:\n    from .a import thing\nexcept ImportError:\n    thing = None\n",
        "c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import d\n",
        "d": "import pkg.c\n\ndef late():\n    from pkg import e\n",
        "e": "import pkg.d\n" + "x = 1\n" * MAX_LINES,
    }
    for name, text in modules.items():
        (package / f"{name}.py").write_text(text, encoding="utf-8")

    assert too_long(package) == {"e.py": MAX_LINES + 1}
    graph = import_graph(package, "pkg")
    assert graph == {
        "__init__": set(),
        "a": {"b"},
        "b": {"a"},
        "c": set(),
        "d": {"c"},
        "e": {"d"},
        "f": {"__init__"},
    }
    assert find_cycle(graph) == ["a", "b", "a"]
    assert find_cycle({**graph, "b": set()}) is None
