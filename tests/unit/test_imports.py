"""Imports point one way: the web layer is on top, and no package imports back up.

Read from the source with :mod:`ast`, so lazy imports inside functions count as much as those
at the top of a module (a cycle that only closes at call time is still a cycle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "asbhub"
WEB_ONLY = ("fastapi", "starlette", "jinja2")
# The composition roots: they may import the web layer to serve it or list its commands.
ABOVE_WEB = {"asbhub.cli"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module or ``module.name``) for every import in ``path``."""
    module = _module_name(path).split(".")
    package = module if path.name == "__init__.py" else module[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _module_graph() -> dict[str, set[str]]:
    sources = _sources()
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, path in sources.items():
        for _, target in _imports(path):
            # ``from asbhub.x import y`` names a module y or an attribute of x.
            while target and target not in sources:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def _package(module: str) -> str:
    """``asbhub.incidents.service`` -> ``incidents``; top-level modules are their own unit."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "asbhub"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_nothing_below_web_imports_web_or_its_frameworks() -> None:
    wrong = []
    for name, path in _sources().items():
        if name == "asbhub.web" or name.startswith("asbhub.web.") or name in ABOVE_WEB:
            continue
        for line, target in _imports(path):
            top = target.split(".")[0]
            if top in WEB_ONLY or target == "asbhub.web" or target.startswith("asbhub.web."):
                wrong.append(f"{path.relative_to(SRC)}:{line} imports {target}")
    assert not sorted(set(wrong)), "below web/: " + "; ".join(sorted(set(wrong)))


def test_no_import_cycle_between_modules() -> None:
    assert _cycles(_module_graph()) == []


def test_no_import_cycle_between_packages() -> None:
    packages: dict[str, set[str]] = {}
    for module, targets in _module_graph().items():
        mine = _package(module)
        packages.setdefault(mine, set()).update(_package(t) for t in targets if _package(t) != mine)
    cycles = _cycles(packages)
    # Name one module edge per step so the failure says which import to move.
    detail = [
        f"{a} -> {b}"
        for cycle in cycles
        for a, targets in _module_graph().items()
        for b in targets
        if _package(a) in cycle and _package(b) in cycle and _package(a) != _package(b)
    ]
    assert cycles == [], "; ".join(sorted(detail))


def test_the_checks_see_a_cycle_when_there_is_one() -> None:
    """The cycle finder itself: a three-step loop and a self-contained tail."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


# A route may name a session or an engine (to hand them on), but builds no query itself.
ROUTE_SQLALCHEMY = {"sqlalchemy.Engine", "sqlalchemy.orm.Session"}


def test_routes_import_no_route_and_query_nothing() -> None:
    wrong = []
    for name, path in _sources().items():
        if not name.startswith("asbhub.web.routes."):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                # A relative import inside routes/ can only reach another route module.
                module = f"asbhub.web.routes.{node.module or ''}" if node.level else node.module
                names = [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in names:
                other_route = target.startswith("asbhub.web.routes.")
                query = target.split(".")[0] == "sqlalchemy" and target not in ROUTE_SQLALCHEMY
                if other_route or query:
                    wrong.append(f"{path.relative_to(SRC)}:{node.lineno} imports {target}")
    assert wrong == []
