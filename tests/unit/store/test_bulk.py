"""The store's bulk writer keeps every value as given, on both databases (COPY as CSV on
PostgreSQL): empty strings apart from NULL, quotes, new lines, NaN as NULL, dates and times."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import Engine, text

from asbhub.store.bulk import BlankIsNull, Coded, Constant, Timestamps, bulk_insert


def test_values_survive_the_bulk_writer(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE bulk_probe (id INTEGER, label TEXT, note TEXT, code TEXT, "
            "x FLOAT, flag BOOLEAN, at TIMESTAMP, day DATE, kind TEXT)"
        )
        bulk_insert(
            conn,
            "bulk_probe",
            {
                "id": np.array([1, 2, 3]),
                "label": ["", 'say "hi", then', "two\nlines"],
                "note": BlankIsNull(["", "kept", ""]),
                "code": Coded(np.array([1, 0, 1]), ["", "E01"], blank_is_null=True),
                "x": np.array([0.1, np.nan, 123456.789012]),
                "flag": np.array([True, False, True]),
                "at": Timestamps.of([dt.datetime(2020, 1, 2, 3, 4, 5), None, None]),
                "day": Timestamps.of([None, dt.date(2021, 3, 31), None], date_only=True),
                "kind": Constant("public"),
            },
        )
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM bulk_probe ORDER BY id")).all()
    assert [r.label for r in rows] == ["", 'say "hi", then', "two\nlines"]
    assert [r.note for r in rows] == [None, "kept", None]
    assert [r.code for r in rows] == ["E01", None, "E01"]
    assert rows[0].x == 0.1 and rows[1].x is None and rows[2].x == 123456.789012
    assert [bool(r.flag) for r in rows] == [True, False, True]
    assert str(rows[0].at)[:19] == "2020-01-02 03:04:05" and rows[1].at is None
    assert str(rows[1].day) == "2021-03-31" and rows[0].day is None
    assert {r.kind for r in rows} == {"public"}
