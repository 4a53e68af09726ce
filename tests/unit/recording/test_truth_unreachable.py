"""The recording audit cannot reach the generator's truth: read from the source with ast,
nothing the audit imports (directly or through any module it imports) is in
``asbhub.generate``, and no source of the audit names the truth's table. At run time
``test_audit.py::test_the_audit_never_reads_the_truth`` watches every statement."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_imports import PACKAGE, _module_graph, _sources

AUDIT = "asbhub.recording"


def _reachable(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_nothing_the_audit_imports_is_the_generator() -> None:
    graph = _module_graph()
    audit = {m for m in graph if m == AUDIT or m.startswith(f"{AUDIT}.")}
    assert {f"{AUDIT}.service", f"{AUDIT}.classifier", f"{AUDIT}.queries"} <= audit
    reached = _reachable(graph, audit)
    assert "asbhub.incidents.models" in reached  # the walk follows imports
    bad = sorted(m for m in reached if m == "asbhub.generate" or m.startswith("asbhub.generate."))
    assert not bad, f"the recording audit reaches the generator: {bad}"


def test_no_audit_source_names_the_truth() -> None:
    for name, path in _sources().items():
        if not (name == AUDIT or name.startswith(f"{AUDIT}.")):
            continue
        tree = ast.parse(path.read_text(), str(path))
        # Docstrings may say what the audit never reads; code may not name it.
        docs = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
            ):
                assert "generated_truth" not in node.value, (
                    f"{path.relative_to(PACKAGE)} names generated_truth"
                )
            if isinstance(node, ast.Name | ast.Attribute):
                ident = node.id if isinstance(node, ast.Name) else node.attr
                assert ident != "GeneratedTruth", f"{path.relative_to(PACKAGE)} uses the truth"
