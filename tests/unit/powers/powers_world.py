"""The world of the powers tests: one migrated database per dialect for the module, with
officers of each rank, an administrator and people of known ages. Each test gives its powers
to its own people, so the tests share the database without touching each other's records."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from asbhub.incidents.models import Person
from asbhub.permissions import Actor
from asbhub.powers import rules, service
from asbhub.powers.lifecycle import Event
from asbhub.powers.models import PowerRecord
from asbhub.powers.schemas import DraftIn
from asbhub.store.engine import session_scope

RULES = rules.load()
_names = itertools.count(1)


@dataclass
class World:
    engine: Engine
    officer: Actor
    admin: Actor
    ids: dict[str, int] = field(default_factory=dict)

    def person(self, born: dt.date | None) -> int:
        """A new person (their own records only), born on ``born``."""
        n = next(_names)
        with session_scope(self.engine) as s:
            p = Person(
                force_code="essex", forename=f"Test{n}", surname="Subject", date_of_birth=born
            )
            s.add(p)
            s.flush()
            return p.id

    def draft(self, **fields: Any) -> int:
        data = DraftIn.model_validate(fields)
        with session_scope(self.engine) as s:
            return service.draft(s, actor=self.officer, file=RULES, data=data).id

    def issue(self, record_id: int, at: dt.datetime) -> dict[str, Any]:
        with session_scope(self.engine) as s:
            rec = service.issue(s, actor=self.officer, file=RULES, record_id=record_id, at=at)
            return _plain(rec)

    def give(self, at: dt.datetime, **fields: Any) -> dict[str, Any]:
        """Draft and issue in one go."""
        return self.issue(self.draft(**fields), at)

    def step(self, record_id: int, event: Event, at: dt.datetime, **kw: Any) -> dict[str, Any]:
        with session_scope(self.engine) as s:
            rec = service.transition(
                s, actor=self.officer, file=RULES, record_id=record_id, event=event, at=at, **kw
            )
            return _plain(rec)

    def commence(self, change: str, on: dt.date | None) -> None:
        with session_scope(self.engine) as s:
            service.set_commencement(
                s, actor=self.admin, file=RULES, change_id=change, in_force=on, reason="test"
            )


def _plain(rec: PowerRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "state": rec.state.value,
        "starts_at": rec.starts_at,
        "ends_at": rec.ends_at,
        "rules_version": rec.rules_version,
        "rule": rec.rule,
        "deadlines": {d.kind: d.due_at for d in rec.deadlines},
        "done": {d.kind: d.done_at for d in rec.deadlines},
    }
