"""The store's bulk writer keeps every value as given, on both databases (COPY as CSV or in
PostgreSQL's binary format there): empty strings apart from NULL, quotes, new lines, NaN as
NULL, dates and times."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)

from asbhub.store.bulk import BlankIsNull, Coded, Constant, Timestamps, bulk_insert, encode

PROBE = Table(
    "bulk_probe",
    MetaData(),
    Column("id", Integer),
    Column("label", Text),
    Column("note", Text),
    Column("code", Text),
    Column("x", Float),
    Column("flag", Boolean),
    Column("at", DateTime),
    Column("day", Date),
    Column("kind", Text),
    Column("big", Integer),
)


def _columns() -> dict[str, Any]:
    return {
        "id": np.array([1, 2, 3]),
        "label": ["", 'say "hi", then', "two\nlines"],
        "note": BlankIsNull(["", "kept", ""]),
        "code": Coded(np.array([1, 0, 1]), ["", "E01"], blank_is_null=True),
        "x": np.array([0.1, np.nan, 123456.789012]),
        "flag": np.array([True, False, True]),
        "at": Timestamps.of([dt.datetime(2020, 1, 2, 3, 4, 5), None, None]),
        "day": Timestamps.of([None, dt.date(2021, 3, 31), None], date_only=True),
        "kind": Constant("public"),
        "big": [7, None, -(2**31)],
    }


@pytest.mark.parametrize("form", ["columns", "binary"])
def test_values_survive_the_bulk_writer(engine: Engine, form: str) -> None:
    columns = _columns()
    with engine.begin() as conn:
        PROBE.create(conn)
        if form == "columns":
            bulk_insert(conn, "bulk_probe", columns)
        elif engine.dialect.name == "postgresql":
            # Timestamps have no binary writer: with them the rows go as CSV.
            encoded = encode(columns, PROBE)
            assert encoded is not None and encoded.format == "csv"
            del columns["at"]
            encoded = encode(columns, PROBE)
            assert encoded is not None and encoded.format == "binary"
            bulk_insert(conn, "bulk_probe", encoded)
        else:
            encoded = encode(columns, PROBE)
            assert encoded is not None
            with pytest.raises(NotImplementedError, match="for PostgreSQL, not sqlite"):
                bulk_insert(conn, "bulk_probe", encoded)
            return
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM bulk_probe ORDER BY id")).all()
    assert [r.label for r in rows] == ["", 'say "hi", then', "two\nlines"]
    assert [r.note for r in rows] == [None, "kept", None]
    assert [r.code for r in rows] == ["E01", None, "E01"]
    assert rows[0].x == 0.1 and rows[1].x is None and rows[2].x == 123456.789012
    assert [bool(r.flag) for r in rows] == [True, False, True]
    if "at" in columns:
        assert str(rows[0].at)[:19] == "2020-01-02 03:04:05" and rows[1].at is None
    assert str(rows[1].day) == "2021-03-31" and rows[0].day is None
    assert {r.kind for r in rows} == {"public"}
    assert [r.big for r in rows] == [7, None, -(2**31)]
