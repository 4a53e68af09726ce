"""The co-location check (issue 21 item 7): every statement the app sends to PostgreSQL that
reads or changes a force-scoped table names that table's ``force_code`` in a condition.

A distributed PostgreSQL (Citus) spreads each force-scoped table over nodes by ``force_code``
(docs/scale.md). A statement that filters on a table's ``force_code``, or joins it to another
table on ``force_code``, goes to the one node holding that force; one that does not (a lookup by
``id`` alone) must ask every node, and a join on anything else cannot run at all. This module
is the checker; tests/conftest.py records the statements of the whole PostgreSQL half of the
suite (one log per xdist worker) and runs the check once every worker has finished.

Reference tables (copied whole to every node), the coordinator's local tables and INSERT ...
VALUES (routed by the row's own ``force_code``) need no condition. Only statements sent from
``src/asbhub`` count: a test's own look at the database is not the app's workload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every table with a ``force_code`` is distributed on it (its rows live on the node holding
# their force), except the tables below, each placed otherwise for the reason beside it
# (docs/scale.md section 3). tests/unit/store/test_colocation.py checks that every other table
# with a force_code is mapped with the force in its key (store.base.ForceKeyed).
REFERENCE_TABLES: dict[str, str] = {
    # Copied whole to every node: small, rarely written, read beside any force's rows.
    "areas": "the geography every force's figures group by; written by reference loads",
    "area_populations": "the census populations of those areas; written by reference loads",
    "agencies": "the partner agencies, which a sharing agreement names across forces",
    "agency_areas": "the areas each agency covers, read with the agency",
    "power_rule_settings": "the force's settings beside the versioned rule files; a few rows",
    "users": "the accounts: a sign-in names a username, not a force, so has none to route by",
}
LOCAL_TABLES: dict[str, str] = {
    # Kept on the coordinator alone (a Citus local table) rather than spread over the nodes.
    "audit_events": (
        "one hash chain for the whole country (a global seq and prev_hash), some of whose "
        "events (sign-ins, administration) belong to no force: the chain has one tail, so it "
        "lives in one place until each force has its own chain (docs/scale.md section 3, "
        "step 3)"
    ),
    "quarantine": (
        "input rows a load could not store, kept for an operator; a file that cannot be read "
        "leaves a row of no force, and the rows are only ever inserted (routed by no key)"
    ),
}
NOT_DISTRIBUTED = frozenset(REFERENCE_TABLES) | frozenset(LOCAL_TABLES)

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
        # A row-value comparison, as the ORM loads a collection for many parents at once:
        # ``(t.parent_id, t.force_code) IN (...)``.
        or re.search(rf"\((?:[^()]*,\s*)?{col}\s*(?:,[^()]*)?\)\s*(?:=|\bIN\b)", sql, re.I)
    )


def violations(statement: str, where: str, force_scoped: frozenset[str]) -> list[Violation]:
    """The force-scoped tables ``statement`` touches without naming their ``force_code``."""
    sql = normalise(statement)
    head = sql.split(" ", 1)[0].upper()
    if head not in {"SELECT", "UPDATE", "DELETE", "WITH", "INSERT"}:
        return []
    if head == "INSERT" and not re.search(r"\bSELECT\b", sql, re.I):
        return []
    refs = [(t, a) for t, a in _references(sql) if t in force_scoped]
    alone = len(refs) == 1
    return [Violation(sql, t, where) for t, a in refs if not _named(sql, a, alone)]
