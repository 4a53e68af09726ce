"""Triage listens for new incidents: each incident from the public starts its status history.

An online report or a chat recorded as an incident arrives as *new* for the call handlers'
queue. The "incident recorded" event is where its life starts, so the first row of its
``incident_status_changes`` says how and when it came in; the queue then triages it from there.
Bulk recordings (imports of a force's history, the demo generator) bring incidents whose life
has already happened elsewhere, so they start no history here.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Connection, Table, insert, select

from asbhub.incidents import events
from asbhub.incidents.lifecycle import RECORD
from asbhub.incidents.models import Incident, IncidentStatus, IncidentStatusChange

_CHANGES = cast(Table, IncidentStatusChange.__table__)
_RECORDED = insert(_CHANGES)  # built once: it runs for every public report
WHO = {"online": "the public (online report)", "live_chat": "live chat (call handler)"}


def on_recorded(conn: Connection, event: events.IncidentsRecorded) -> None:
    if event.bulk:
        return
    rows = (
        list(zip(event.incident_ids, event.received_at, strict=True))
        if event.received_at
        else conn.execute(
            select(Incident.id, Incident.received_at).where(
                Incident.force_code == event.force_code, Incident.id.in_(event.incident_ids)
            )
        ).all()
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    conn.execute(
        _RECORDED,
        [
            {
                "force_code": event.force_code,
                "incident_id": i,
                "at": now,
                "event": RECORD,
                "from_status": IncidentStatus.NEW,
                "to_status": IncidentStatus.NEW,
                "actor_user_id": None,
                "actor_name": WHO.get(event.source, event.source),
                "reason": f"received {received:%d %b %Y %H:%M} by {event.source.replace('_', ' ')}",
                "details": {"source": event.source},
            }
            for i, received in rows
        ],
    )


events.subscribe(on_recorded)
