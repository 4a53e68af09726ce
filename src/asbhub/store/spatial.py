"""PostGIS where the database has it: radius reads (``/near``, a call's repeat location) then
use ``ST_DWithin`` and a GiST index on the incident's British National Grid point.

Migration 0019 creates the extension and the indexes wherever the server offers PostGIS
(Debian's ``postgresql-15-postgis-3``); elsewhere, and on SQLite, the reads keep their plain
SQL bounding box (``incidents.queries.within_box``).
"""

from __future__ import annotations

import weakref

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

POINT_INDEX = "ix_incidents_bng_point"
# The GiST point indexes the migration makes where PostGIS is installed; the models do not
# declare them (SQLite has no such index), so the schema check leaves them out.
POINT_INDEXES = frozenset({POINT_INDEX, "ix_locations_bng_point"})
_KNOWN: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def postgis(session: Session) -> bool:
    """Whether radius reads on ``session``'s database can use PostGIS's point index."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return False
    engine = conn.engine
    known = _KNOWN.get(engine)
    if known is None:
        found = conn.execute(text("SELECT to_regclass(:i) IS NOT NULL"), {"i": POINT_INDEX})
        known = _KNOWN[engine] = bool(found.scalar())
    return known
