"""Every audit event asbhub records is in the catalogue, and the catalogue is documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from asbhub.audit.catalogue import AuditEventType
from asbhub.audit.service import AuditAction, record
from asbhub.store.engine import session_scope

ROOT = Path(__file__).resolve().parents[3]
NAME = re.compile(r"^[a-z_]+:[a-z_]+:[a-z_]+$")


def _event_names_in_source() -> dict[str, str]:
    """Every event name written in ``src/``, with where: an ``event=`` argument, a positional
    argument of ``record`` or a service's ``_audit`` helper, or the default of an ``event``
    parameter."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "asbhub").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                values += [k.value for k in node.keywords if k.arg == "event"]
                if name in ("record", "_audit"):
                    values += node.args
            elif isinstance(node, ast.FunctionDef):
                args = node.args
                named = args.posonlyargs + args.args
                defaults = dict(
                    zip([a.arg for a in named][::-1], args.defaults[::-1], strict=False)
                )
                defaults.update(
                    (a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d
                )
                if "event" in defaults:
                    values.append(defaults["event"])
            # Inside the value too: ``"a:b:c" if refused else "a:b:d"`` names two events.
            for value in (part for v in values for part in ast.walk(v)):
                text = value.value if isinstance(value, ast.Constant) else None
                if isinstance(text, str) and NAME.match(text):
                    found[text] = f"{path.relative_to(ROOT)}:{value.lineno}"
    return found


def test_every_event_in_the_source_is_in_the_catalogue() -> None:
    found = _event_names_in_source()
    assert len(found) >= 10  # the scan sees the calls at all
    unknown = {name: where for name, where in found.items() if name not in set(AuditEventType)}
    assert unknown == {}


def test_every_event_is_documented() -> None:
    doc = (ROOT / "docs" / "audit.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z_]+:[a-z_]+:[a-z_]+)` \| (.+?) \|$", doc, re.M))
    assert rows == {e.value: e.description for e in AuditEventType}


def test_record_refuses_an_event_outside_the_catalogue(engine: Engine) -> None:
    with session_scope(engine) as session, pytest.raises(ValueError, match="not in the audit"):
        record(session, actor=None, event="incidents:incident:shred", action=AuditAction.DELETE)
