"""Select builders for incidents. They apply filters and keyset paging; callers add scope."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from asbhub.errors import InvalidInput
from asbhub.incidents.models import Incident, IncidentPerson
from asbhub.incidents.schemas import MAX_ID, IncidentFilters


def current_type() -> ColumnElement[str]:
    """The incident's classification now: the closing code once given, else the opening code.

    NSIR returns and the qualifier follow the closing code, so the type filter must too.
    """
    return func.coalesce(Incident.closing_code, Incident.opening_code)


def apply_filters(stmt: Select, f: IncidentFilters) -> Select:
    if f.date_from is not None:
        stmt = stmt.where(Incident.received_at >= dt.datetime.combine(f.date_from, dt.time()))
    if f.date_to is not None:
        end = dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time())
        stmt = stmt.where(Incident.received_at < end)
    if f.district:
        stmt = stmt.where(Incident.district == f.district)
    if f.local_authority:
        stmt = stmt.where(Incident.local_authority_code == f.local_authority)
    if f.qualifier is not None:
        stmt = stmt.where(Incident.qualifier == f.qualifier)
    if f.type is not None:
        stmt = stmt.where(current_type() == f.type)
    if f.channel is not None:
        stmt = stmt.where(Incident.channel == f.channel)
    if f.covid is not None:
        stmt = stmt.where(Incident.covid_breach.is_(f.covid))
    if f.attended is not None:
        stmt = stmt.where(Incident.attended.is_(f.attended))
    return stmt


def encode_cursor(received_at: dt.datetime, incident_id: int) -> str:
    raw = f"{received_at.isoformat()}|{incident_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, ident = raw.split("|")
        when, number = dt.datetime.fromisoformat(at), int(ident)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the page cursor is not valid", {"after": "not a cursor"}) from None
    # Beyond a 32-bit id the driver cannot bind it (OverflowError on SQLite): not a cursor.
    if not 0 < number <= MAX_ID:
        raise InvalidInput("the page cursor is not valid", {"after": "not a cursor"})
    return when, number


def after(stmt: Select, cursor: str | None) -> Select:
    """Keyset paging, newest first, on (received_at, id); the indexes lead on received_at."""
    if cursor:
        at, ident = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                Incident.received_at < at,
                and_(Incident.received_at == at, Incident.id < ident),
            )
        )
    return stmt.order_by(Incident.received_at.desc(), Incident.id.desc())


def capped_count(stmt: Select, cap: int) -> Select:
    """Count at most ``cap + 1`` rows, so a broad filter never walks the whole table."""
    inner = stmt.with_only_columns(Incident.id).order_by(None).limit(cap + 1).subquery()
    return select(func.count()).select_from(inner)


def within_box(stmt: Select, x: float, y: float, r: float, *, spatial: bool = False) -> Select:
    """Incidents within ``r`` metres of BNG point (x, y).

    With ``spatial`` (PostGIS installed, :func:`asbhub.store.spatial.postgis`) ``ST_DWithin``
    on the point, which ix_incidents_bng_point (GiST) answers without reading the strip of the
    map the box spans; otherwise a bounding-box prefilter (ix_incidents_bng) and the exact
    circle test, in plain SQL for SQLite.
    """
    if spatial:
        point = func.ST_Point(Incident.x_bng, Incident.y_bng)
        return stmt.where(func.ST_DWithin(point, func.ST_Point(x, y), r))
    dx, dy = Incident.x_bng - x, Incident.y_bng - y
    return stmt.where(
        Incident.x_bng.between(x - r, x + r),
        Incident.y_bng.between(y - r, y + r),
        dx * dx + dy * dy <= r * r,
    )


def people_of(session: Session, force_code: str, incident_ids: Sequence[int]) -> list[int]:
    """The ids of the people linked to any of ``incident_ids`` (of ``force_code``): the data
    subjects of a list."""
    if not incident_ids:
        return []
    found = session.connection().execute(
        _PEOPLE_OF, {"force": force_code, "ids": list(incident_ids)}
    )
    return sorted({row[0] for row in found})


# Built once: every list page audits its data subjects with it (as Core, without the ORM's
# per-statement work).
_LINKS = cast(Table, IncidentPerson.__table__)
_PEOPLE_OF = select(_LINKS.c.person_id).where(
    _LINKS.c.force_code == bindparam("force"),
    _LINKS.c.incident_id.in_(bindparam("ids", expanding=True)),
)
