"""The shape of the package: its import graph has no cycles, the layers import only downwards,
no module of it is loaded by name, and no hand-written module is over 800 lines.

Every module of ``klaviyo_legacy_compat`` is parsed (never imported) and each import it makes
becomes an edge to the package module it names: ``import a.b``, ``from a import b`` (to
``a.b`` when that is a module, else to ``a``) and the relative forms. Imports under ``if
TYPE_CHECKING:`` are left out (they never run). An import inside a function is an edge of its
own kind: it runs later, but a function-level import made to dodge a cycle is still a cycle,
so both kinds count. Importing ``a.b.c`` also runs the ``__init__`` of ``a`` and ``a.b``
first; those implicit edges are not counted (a package ``__init__`` re-exporting its modules
would otherwise put every module on a cycle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "klaviyo_legacy_compat"


@attrs.frozen
class Edge:
    """``source`` imports ``target``; ``deferred`` when the import is inside a function."""

    source: str
    target: str
    deferred: bool
    line: int


def module_names() -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by its own name)."""
    names = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, deferred: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """The import statements under ``node``, each with whether it runs inside a function."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.orelse:
                yield from _imports(ast.Module(body=[statement], type_ignores=[]), deferred)
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, deferred
        inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from _imports(child, inner)


def _targets(
    statement: ast.stmt, module: str, is_package: bool, known: Mapping[str, Path]
) -> Iterator[str]:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.name in known:
                yield alias.name
        return
    assert isinstance(statement, ast.ImportFrom)
    if statement.level:
        base = module.split(".")
        if not is_package:
            base.pop()
        base = base[: len(base) - (statement.level - 1)]
        parent = ".".join(base + ([statement.module] if statement.module else []))
    else:
        parent = statement.module or ""
    for alias in statement.names:
        submodule = f"{parent}.{alias.name}"
        if submodule in known:
            yield submodule
        elif parent in known:
            yield parent


def import_edges() -> list[Edge]:
    """Every edge of the package's import graph."""
    known = module_names()
    edges = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for statement, deferred in _imports(tree, False):
            is_package = path.name == "__init__.py"
            for target in dict.fromkeys(_targets(statement, module, is_package, known)):
                if target != module:
                    edges.append(Edge(module, target, deferred, statement.lineno))
    return edges


def cycles(edges: list[Edge]) -> list[tuple[str, ...]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _describe(component: tuple[str, ...], edges: list[Edge]) -> str:
    inside = set(component)
    lines = [" <-> ".join(component)]
    for edge in edges:
        if edge.source in inside and edge.target in inside:
            kind = " (inside a function)" if edge.deferred else ""
            lines.append(f"    {edge.source}:{edge.line} -> {edge.target}{kind}")
    return "\n".join(lines)


def test_the_import_graph_has_no_cycle() -> None:
    edges = import_edges()
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(_describe(c, edges) for c in found)


def test_the_cycle_finder_finds_a_cycle_of_either_kind() -> None:
    edges = [
        Edge("a", "b", False, 1),
        Edge("b", "c", False, 1),
        Edge("c", "a", True, 9),
        Edge("c", "d", False, 2),
    ]
    assert cycles(edges) == [("a", "b", "c")]
    assert cycles(edges[:2] + edges[3:]) == []


def test_type_checking_and_function_imports_are_read_as_such() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import x\n"
        "if TYPE_CHECKING:\n"
        "    import y\n"
        "else:\n"
        "    import w\n"
        "def f():\n"
        "    import z\n"
    )
    found = [
        (ast.unparse(statement), deferred)
        for statement, deferred in _imports(ast.parse(source), False)
    ]
    assert found == [
        ("from typing import TYPE_CHECKING", False),
        ("import x", False),
        ("import w", False),
        ("import z", True),
    ]


#: The modules that may import by name: ``_surfaces.install`` puts this library's modules
#: under the legacy names (``klaviyo``, ``klaviyo_sdk``, ...), ``_transports.pacing_redis``
#: imports the optional ``redis`` package when asked to.
IMPORTS_BY_NAME = {f"{PACKAGE}._surfaces.install", f"{PACKAGE}._transports.pacing_redis"}


def _loads_by_name(tree: ast.AST) -> list[int]:
    """The lines of ``importlib.import_module(...)`` and ``__import__(...)`` calls."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            if (isinstance(function, ast.Attribute) and function.attr == "import_module") or (
                isinstance(function, ast.Name) and function.id in ("import_module", "__import__")
            ):
                lines.append(node.lineno)
    return lines


def test_no_module_is_loaded_by_name() -> None:
    # An import by name is an edge no reader and no tool sees (a route table once loaded the
    # translators that way, hiding a cycle): modules are imported, never looked up.
    found = {
        f"{module}:{line}"
        for module, path in module_names().items()
        if module not in IMPORTS_BY_NAME
        for line in _loads_by_name(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert not found
    assert _loads_by_name(ast.parse("import importlib\nimportlib.import_module('x.y')\n")) == [2]


#: The private layers and what each may import of the package (besides itself and
#: ``_version``, a constant): the pure core nothing, the transports the core, bulk mode the
#: core and the transports. The surfaces (``_surfaces/`` and the public modules) sit on top.
LAYERS: Mapping[str, frozenset[str]] = {
    "_core": frozenset(),
    "_transports": frozenset({"_core"}),
    "_bulk": frozenset({"_core", "_transports"}),
}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_layers_import_only_downwards() -> None:
    wrong = [
        f"{edge.source}:{edge.line} -> {edge.target}"
        for edge in import_edges()
        if _layer(edge.source) in LAYERS
        and _layer(edge.target) not in {_layer(edge.source), "_version"}
        and _layer(edge.target) not in LAYERS[_layer(edge.source)]
    ]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


#: The longest a hand-written module may be; a generated one says so in its first line.
MAX_LINES = 800


def test_no_hand_written_module_is_over_800_lines() -> None:
    lengths = {
        module: len(text.splitlines())
        for module, path in module_names().items()
        for text in [path.read_text(encoding="utf-8")]
        if not text.startswith('"""Generated by')
    }
    assert len(lengths) > 100  # the whole package was read
    assert {m: n for m, n in lengths.items() if n > MAX_LINES} == {}
