"""The co-location check (issue 21 item 7): every statement the app sends to PostgreSQL that
reads or changes a force-scoped table names that table's ``force_code`` in a condition.

A distributed PostgreSQL (Citus) spreads each force-scoped table over nodes by ``force_code``
(docs/scale.md). A statement that filters on a table's ``force_code``, or joins it to another
table on ``force_code``, goes to the one node holding that force; one that does not (a lookup by
``id`` alone) must ask every node, and a join on anything else cannot run at all. This module
is the checker; tests/conftest.py records the statements of the whole PostgreSQL half of the
suite (one log per xdist worker) and runs the check once every worker has finished.

Reference tables (copied whole to every node) and INSERT ... VALUES (routed by the row's own
``force_code``) need no condition. Only statements sent from ``src/asbhub`` count: a test's own
look at the database is not the app's workload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Small tables every node gets a copy of: the geography, the partner agencies, the force's rule
# settings and the accounts (a sign-in names a user, not a force).
REFERENCE_TABLES = frozenset(
    {"areas", "area_populations", "agencies", "agency_areas", "power_rule_settings", "users"}
)

# Statements that cannot name a force until the schema changes, by (table, module, function
# that sends them), each with the step of docs/scale.md section 3 that removes it.
NOT_YET = {
    ("audit_events", "audit/service.py", "record"): "one audit chain for all forces (step 3)",
    ("audit_events", "audit/service.py", "verify"): "one audit chain for all forces (step 3)",
}

_KEYWORDS = {
    "where", "group", "order", "limit", "having", "union", "join", "left", "right", "inner",
    "full", "cross", "on", "returning", "for", "offset", "set", "outer", "lateral", "as",
    "natural", "using", "values", "except", "intersect", "window", "fetch",
}  # fmt: skip
_FROM = re.compile(r"\bFROM\s+(.*?)(?=\b(?:WHERE|GROUP|ORDER|LIMIT|HAVING|UNION|JOIN|LEFT|RIGHT|"
                   r"INNER|FULL|CROSS|RETURNING|FOR|OFFSET|EXCEPT|INTERSECT|WINDOW)\b|\)|$)",
                   re.S | re.I)  # fmt: skip
_JOIN = re.compile(r"\bJOIN\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.I)
_UPDATE = re.compile(r"^\s*UPDATE\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?\s+SET\b", re.I)
_SPACE = re.compile(r"\s+")
# The ORM's unit of work writes a changed or deleted row by its mapped primary key alone
# (parameters named ``<table>_id`` and ``id``; a Core statement's are ``id_1``). Once step 1 of
# docs/scale.md section 3 makes the key (force_code, id), these name the force with no change
# to the code, so they are not counted.
_FLUSH_UPDATE = re.compile(r"^UPDATE (\w+) SET .* WHERE \1\.id = %\(\1_id\)s(?:::INTEGER)?$")
_FLUSH_DELETE = re.compile(r"^DELETE FROM (\w+) WHERE \1\.id = %\(id\)s(?:::INTEGER)?$")


@dataclass(frozen=True)
class Violation:
    statement: str
    table: str
    where: str  # the first frame of src/asbhub that sent it: "module.py:line in function"

    def __str__(self) -> str:
        return f"{self.table} without force_code, from {self.where}:\n    {self.statement[:600]}"


def normalise(statement: str) -> str:
    return _SPACE.sub(" ", statement).strip()


def _references(sql: str) -> list[tuple[str, str]]:
    """(table, name it is referred to by) for every table the statement reads or changes."""
    found: list[tuple[str, str]] = []
    for m in _FROM.finditer(sql):
        for item in m.group(1).split(","):
            words = item.strip().split()
            if not words or not re.fullmatch(r"\w+", words[0]):
                continue  # a subquery, a function call: its own FROM is found on its own
            rest = [w for w in words[1:] if w.lower() != "as"]
            alias = rest[0] if rest and rest[0].lower() not in _KEYWORDS else words[0]
            found.append((words[0].lower(), alias))
    for m in [*_JOIN.finditer(sql), *_UPDATE.finditer(sql)]:
        alias = m.group(2) if m.group(2) and m.group(2).lower() not in _KEYWORDS else m.group(1)
        found.append((m.group(1).lower(), alias))
    return found


def _named(sql: str, alias: str, alone: bool) -> bool:
    """Whether ``alias.force_code`` (or, for a lone table, ``force_code``) is compared."""
    col = rf"(?:\b{re.escape(alias)}\.|\"{re.escape(alias)}\"\.)force_code"
    if alone:
        col = rf"(?:{col}|(?<![.\w])force_code)"
    return bool(
        re.search(rf"{col}\s*(?:=|\bIN\b|\bIS NOT DISTINCT FROM\b)", sql, re.I)
        or re.search(rf"(?:=|\bIN\s*\()\s*{col}", sql, re.I)
    )


def violations(statement: str, where: str, force_scoped: frozenset[str]) -> list[Violation]:
    """The force-scoped tables ``statement`` touches without naming their ``force_code``."""
    sql = normalise(statement)
    head = sql.split(" ", 1)[0].upper()
    if head not in {"SELECT", "UPDATE", "DELETE", "WITH", "INSERT"}:
        return []
    if head == "INSERT" and not re.search(r"\bSELECT\b", sql, re.I):
        return []
    if _FLUSH_UPDATE.match(sql) or _FLUSH_DELETE.match(sql):
        return []
    refs = [(t, a) for t, a in _references(sql) if t in force_scoped]
    alone = len(refs) == 1
    module, _, function = where.partition(" in ")
    return [
        Violation(sql, t, where)
        for t, a in refs
        if not _named(sql, a, alone) and (t, module.split(":")[0], function) not in NOT_YET
    ]


def known(path: Path) -> set[tuple[str, str, str]]:
    """The (table, module, function) triples listed in ``path``: statements found before the
    check existed, still to be given their force (one ``table module function`` a line)."""
    if not path.exists():
        return set()
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) == 3:
            out.add((parts[0], parts[1], parts[2]))
    return out


def key(v: Violation) -> tuple[str, str, str]:
    module, _, function = v.where.partition(" in ")
    return (v.table, module.split(":")[0], function)
