"""``asbhub orders effect`` on the generated six years: the seed's nine CBO subjects, whose
linked offences fall from 62 (Sep-Oct 2020) to 6 (Nov-Dec 2020) as the deep dive says; and
``asbhub powers remind`` / ``rules`` on the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.store.engine import make_engine

runner = CliRunner()


def _published(shared_data: Path) -> dict[str, int]:
    with (shared_data / "deep-dive-2021" / "casework.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for r in rows:
        if r["measure"] == "cbo_subjects_total":
            out["subjects"] = int(r["value"])
        if r["measure"] == "cbo_subjects":
            out["orders_2020"] = int(r["value"])
        if r["measure"] == "cbo_subject_offences":
            out[r["period_start"]] = int(r["value"])
    return out


def test_orders_effect_cbo_on_generated_data(deep_dive_db: str, shared_data: Path) -> None:
    seed = _published(shared_data)
    result = runner.invoke(
        app, ["orders", "effect", "--type", "cbo", "--json", "--db", deep_dive_db]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert out == {
        "type": "cbo",
        "subjects": seed["subjects"],
        "window_days": 61,
        "before": seed["2020-09-01"],
        "after": seed["2020-11-01"],
        "change_pct": -90.3,
    }
    assert (out["subjects"], out["before"], out["after"]) == (9, 62, 6)


def test_the_seed_orders_on_the_calendar(deep_dive_db: str, shared_data: Path) -> None:
    """The same figures by calendar months, as the deep dive counts them, and six orders in
    2020: the generator's data holds both readings."""
    seed = _published(shared_data)
    engine = make_engine(deep_dive_db)
    with engine.connect() as conn:
        subjects = [
            r[0]
            for r in conn.execute(
                text("SELECT person_id FROM power_records WHERE power = 'CBO' AND state = 'issued'")
            )
        ]
        in_2020 = conn.execute(
            text(
                "SELECT count(*) FROM power_records WHERE power = 'CBO' "
                "AND record_date BETWEEN '2020-01-01' AND '2020-12-31'"
            )
        ).scalar()
        ids = ",".join(str(i) for i in subjects)

        def offences(lo: str, hi: str) -> int:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM incident_people l "
                        "JOIN incidents i ON i.id = l.incident_id "
                        f"WHERE l.role = 'suspect' AND l.person_id IN ({ids}) "
                        "AND i.received_at >= :lo AND i.received_at < :hi"
                    ),
                    {"lo": lo, "hi": hi},
                ).scalar()
            )

        sep_oct, nov_dec = (
            offences("2020-09-01", "2020-11-01"),
            offences("2020-11-01", "2021-01-01"),
        )
        versions = {r[0] for r in conn.execute(text("SELECT rules_version FROM power_records"))}
    engine.dispose()
    assert len(subjects) == seed["subjects"] == 9
    assert in_2020 == seed["orders_2020"] == 6
    assert (sep_oct, nov_dec) == (seed["2020-09-01"], seed["2020-11-01"]) == (62, 6)
    assert versions == {"asbhub-default-powers-2026.1+0"}


def test_orders_effect_other_windows_and_bad_input(deep_dive_db: str) -> None:
    result = runner.invoke(
        app,
        [
            "orders",
            "effect",
            "--type",
            "cbo",
            "--window-days",
            "30",
            "--json",
            "--db",
            deep_dive_db,
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["subjects"] == 9 and out["window_days"] == 30
    assert out["before"] <= 62 and out["after"] <= 6
    bad = runner.invoke(app, ["orders", "effect", "--type", "asbo", "--db", deep_dive_db])
    assert bad.exit_code == 2
    assert "unknown order type 'asbo'" in bad.output and "--type" in bad.output
    zero = runner.invoke(
        app, ["orders", "effect", "--type", "cbo", "--window-days", "0", "--db", deep_dive_db]
    )
    assert zero.exit_code == 2 and "--window-days" in zero.output
    none = runner.invoke(
        app, ["orders", "effect", "--type", "respect-order", "--json", "--db", deep_dive_db]
    )
    assert json.loads(none.stdout) == {
        "type": "respect-order",
        "subjects": 0,
        "window_days": 61,
        "before": 0,
        "after": 0,
        "change_pct": None,
    }


def test_powers_remind_and_rules(db_url: str) -> None:
    result = runner.invoke(app, ["powers", "remind", "--json", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"due_soon": 0, "overdue": 0, "owners": 0}
    shown = runner.invoke(app, ["powers", "rules", "--on", "2026-07-01", "--json", "--db", db_url])
    assert shown.exit_code == 0, shown.output
    table = json.loads(shown.stdout)
    assert table["powers"]["DISPERSAL_AUTH"]["duration"]["max"] == "PT48H"
    assert table["powers"]["RESPECT_ORDER"]["in_force"] is None
    bad = runner.invoke(app, ["powers", "rules", "--on", "July", "--db", db_url])
    assert bad.exit_code == 2 and "--on" in bad.output
