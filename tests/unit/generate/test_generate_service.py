"""The generator against the published deep-dive figures, through the library API.

Six years are generated once into SQLite for the run (``deep_dive_db``); the exact-figure tests
read them back with SQL. Each figure is checked against ``../shared/data/deep-dive-2021`` read
here, not against the generator's own copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from asbhub.errors import Conflict
from asbhub.generate.people import FORENAMES, SURNAMES
from asbhub.generate.service import generate
from asbhub.store.engine import make_engine

SEED = 2021
# The published figures, read from ../shared as tests/conftest.py finds it.
_ROOT = Path(__file__).resolve().parents[3]
DEEP_DIVE = next(
    p / "data" / "deep-dive-2021"
    for p in (_ROOT.parent / "shared", _ROOT.parent.parent / "shared")
    if p.exists()
)


def _csv(name: str) -> dict[int, dict[str, str]]:
    with (DEEP_DIVE / name).open(encoding="utf-8") as fh:
        return {int(r["period_end"][:4]): r for r in csv.DictReader(fh)}


def _fy(ts: pd.Series) -> pd.Series:
    return ts.dt.year + (ts.dt.month >= 4)


@pytest.fixture(scope="module")
def six_years(
    deep_dive_db: str, deep_dive_report: dict[str, object]
) -> Iterator[tuple[Engine, dict[str, object]]]:
    """The run's six generated years (tests/conftest.py), read only, and the generator's report."""
    engine = make_engine(deep_dive_db)
    yield engine, deep_dive_report
    engine.dispose()


@pytest.fixture(scope="module")
def incidents(six_years: tuple[Engine, dict[str, object]]) -> pd.DataFrame:
    engine, _ = six_years
    df = pd.read_sql(
        "SELECT id, received_at, channel, opening_code, closing_code, qualifier, covid_breach, "
        "hate_motivated, location_id, district, lsoa_code, attended, attended_at, narrative "
        "FROM incidents",
        engine,
    )
    df["received_at"] = pd.to_datetime(df["received_at"])
    df["fy"] = _fy(df["received_at"])
    return df


@pytest.fixture(scope="module")
def links(six_years: tuple[Engine, dict[str, object]]) -> pd.DataFrame:
    engine, _ = six_years
    return pd.read_sql("SELECT incident_id, person_id, role FROM incident_people", engine)


def test_yearly_totals_and_attended_equal_the_deep_dive(incidents: pd.DataFrame) -> None:
    published = _csv("annual_volumes.csv")
    got = incidents.groupby("fy").agg(n=("id", "size"), attended=("attended", "sum"))
    assert sorted(got.index) == sorted(published)
    for fy, row in published.items():
        assert got.loc[fy, "n"] == int(row["incidents"]), fy
        assert got.loc[fy, "attended"] == int(row["attended"]), fy
    assert len(incidents) == 302_899
    # attended_at is set exactly when attended, and never before the call
    att = incidents[incidents["attended"] == 1]
    assert incidents.loc[incidents["attended"] == 0, "attended_at"].isna().all()
    assert (pd.to_datetime(att["attended_at"]) >= att["received_at"]).all()


def test_category_shares_equal_the_deep_dive(incidents: pd.DataFrame) -> None:
    one_decimal = _csv("category_mix.csv")
    whole = _csv("category_mix_rounded.csv")
    counts = incidents.groupby(["fy", "qualifier"]).size().unstack()
    for fy in counts.index:
        total = counts.loc[fy].sum()
        for q in ("personal", "nuisance", "environmental"):
            pct = 100 * counts.loc[fy, q] / total
            assert round(pct) == int(whole[fy][f"{q}_pct"]), (fy, q, pct)
            if fy in one_decimal:
                assert round(pct, 1) == float(one_decimal[fy][f"{q}_pct"]), (fy, q, pct)
    assert set(one_decimal) == {2016, 2017, 2018, 2019, 2020}


def test_covid_breaches_split_the_last_year(incidents: pd.DataFrame) -> None:
    breaches = incidents[incidents["covid_breach"] == 1]
    fy21 = incidents[incidents["fy"] == 2021]
    assert (fy21["covid_breach"] == 0).sum() == 44_995
    assert (fy21["covid_breach"] == 1).sum() == 15_396
    first = breaches["received_at"].min()
    assert first.year == 2020 and first.month == 3 and first.day >= 26
    assert (incidents["fy"] == 2020).sum() == 41_365  # March 2020 breaches included
    assert ((breaches["fy"] == 2020) & (breaches["received_at"].dt.month == 3)).sum() > 0
    assert (breaches["closing_code"] == "covid_breach").all()
    assert (breaches["opening_code"] == "covid_breach").all()
    assert (incidents.loc[incidents["covid_breach"] == 0, "closing_code"] != "covid_breach").all()
    assert set(breaches["qualifier"]) == {"nuisance", "environmental"}


def test_online_and_live_chat_start_when_launched(incidents: pd.DataFrame) -> None:
    t = incidents["received_at"]
    online = incidents[incidents["channel"] == "online"]
    assert online["received_at"].min() >= pd.Timestamp("2020-05-24")
    window = online[(online["received_at"] < pd.Timestamp("2021-01-01"))]
    assert len(window) == 1_975
    days = (dt.date(2021, 1, 1) - dt.date(2020, 5, 24)).days
    assert round(len(window) / days, 1) == 8.9
    in_q = lambda a, b: ((window["received_at"] >= a) & (window["received_at"] < b)).sum()  # noqa: E731
    assert in_q("2020-07-01", "2020-10-01") == 910
    assert in_q("2020-10-01", "2021-01-01") == 733
    chat = incidents[incidents["channel"] == "live_chat"]
    assert chat["received_at"].min() >= pd.Timestamp("2020-04-28")
    assert len(chat) > 0
    before = incidents[t < pd.Timestamp("2020-04-28")]
    assert set(before["channel"]) == {"999", "101", "email", "partner", "officer"}


def test_rhythm_of_season_week_and_day(incidents: pd.DataFrame) -> None:
    plain = incidents[incidents["covid_breach"] == 0]["received_at"]
    per_day = plain.groupby(plain.dt.month).size() / plain.groupby(plain.dt.month).apply(
        lambda s: s.dt.normalize().nunique()
    )
    assert per_day[[6, 7, 8]].mean() > 1.2 * per_day[[12, 1, 2]].mean()
    by_dow = plain.dt.dayofweek.value_counts()
    assert by_dow[5] > by_dow[[0, 1, 2]].max() * 1.15  # Saturday over Monday-Wednesday
    by_hour = plain.dt.hour.value_counts()
    assert by_hour[[19, 20, 21]].sum() > 3 * by_hour[[5, 6, 7]].sum()
    late_weekend = plain[(plain.dt.hour < 3) & plain.dt.dayofweek.isin([5, 6])]
    late_weekday = plain[(plain.dt.hour < 3) & plain.dt.dayofweek.isin([1, 2])]
    assert len(late_weekend) > 1.5 * len(late_weekday)


def test_districts_lsoas_and_locations(incidents: pd.DataFrame) -> None:
    assert incidents["district"].nunique() == 10
    assert incidents["lsoa_code"].notna().all()
    assert incidents["lsoa_code"].str.fullmatch(r"E01\d{6}").all()
    assert incidents["lsoa_code"].max() < "E01033769"  # 2011 LSOAs, as published then
    share = incidents["district"].value_counts(normalize=True)
    assert share.max() < 0.2 and share.min() > 0.03


def test_repeats_are_heavy_tailed(incidents: pd.DataFrame, links: pd.DataFrame) -> None:
    def top5(counts: pd.Series) -> float:
        s = counts.sort_values(ascending=False)
        k = max(1, int(len(s) * 0.05))
        return float(s.iloc[:k].sum() / s.sum())

    assert top5(incidents["location_id"].value_counts()) > 0.25
    victims = links[links["role"] == "victim"]["person_id"].value_counts()
    suspects = links[links["role"] == "suspect"]["person_id"].value_counts()
    assert top5(victims) > 0.25
    assert top5(suspects) > 0.25
    # a repeat victim by the domain guide's default: three or more incidents
    assert (victims >= 3).sum() > 1000


def test_roles_hate_and_narratives(incidents: pd.DataFrame, links: pd.DataFrame) -> None:
    assert set(links["role"]) == {"caller", "victim", "witness", "suspect"}
    personal = incidents.loc[incidents["qualifier"] == "personal", "id"]
    with_victim = set(links.loc[links["role"] == "victim", "incident_id"])
    assert personal.isin(with_victim).all()
    officer = set(incidents.loc[incidents["channel"] == "officer", "id"])
    assert not officer & set(links.loc[links["role"] == "caller", "incident_id"])
    hate = incidents["hate_motivated"] == 1
    assert 0.01 < hate.mean() < 0.06
    by_q = incidents.groupby("qualifier")["hate_motivated"].mean()
    assert by_q["personal"] > 4 * by_q["nuisance"]
    assert incidents["narrative"].str.len().min() > 40
    openings = incidents["narrative"].str.extract(r"^(\w+ \w+)")[0]
    assert openings.nunique() > 30


def test_people_are_plainly_fictitious(six_years: tuple[Engine, dict[str, object]]) -> None:
    engine, report = six_years
    people = pd.read_sql("SELECT * FROM people", engine)
    assert len(people) == report["people"]
    phones = people["phone"].dropna()
    assert len(phones) > 0.5 * len(people)
    assert phones.str.fullmatch(r"07700 900\d{3}").all()  # Ofcom's drama range
    assert people["email"].dropna().str.endswith("@example.com").all()
    assert people["forename"].isin(FORENAMES).all() and people["surname"].isin(SURNAMES).all()
    flags = people["vulnerability_flags"].map(json.loads)
    allowed = {"disability", "mental_health", "elderly", "child", "isolation"}
    assert set().union(*flags) == allowed
    assert (people["vulnerable"] == flags.map(bool)).all()
    victims = pd.read_sql(
        "SELECT DISTINCT person_id FROM incident_people WHERE role = 'victim'", engine
    )["person_id"]
    vulnerable = people.set_index("id")["vulnerable"]
    assert vulnerable[victims].mean() > vulnerable.mean()
    locations = pd.read_sql("SELECT address, premises_type FROM locations", engine)
    assert len(locations) == report["locations"]
    assert locations["premises_type"].nunique() >= 5
    assert locations["address"].str.contains(re.compile(r"\w")).all()


def test_report_counts(six_years: tuple[Engine, dict[str, object]]) -> None:
    _, report = six_years
    assert report["incidents"] == 302_899
    per_year = report["per_year"]
    assert isinstance(per_year, dict)
    assert per_year["2021-03-31"] == {
        "incidents": 60_391,
        "attended": 33_644,
        "covid_breaches": 15_396,
    }


def test_refuses_to_generate_over_generated_incidents(
    six_years: tuple[Engine, dict[str, object]],
) -> None:
    engine, _ = six_years
    with pytest.raises(Conflict, match="--replace"):
        generate(engine, force_code="essex", start="2020-02", end="2020-02", seed=SEED)


COMPARE = (
    "SELECT reference, received_at, channel, opening_code, closing_code, qualifier, "
    "covid_breach, hate_motivated, location_text, longitude, latitude, x_bng, y_bng, "
    "lsoa_code, district, local_authority_code, attended, attended_at, narrative, status "
    "FROM incidents WHERE received_at >= '2020-02-01' AND received_at < '2020-04-01' "
    "ORDER BY reference"
)
PEOPLE = (
    "SELECT i.reference, l.role, p.forename, p.surname, p.date_of_birth, p.phone, p.email, "
    "p.address, p.vulnerable, p.vulnerability_flags FROM incident_people l "
    "JOIN incidents i ON i.id = l.incident_id JOIN people p ON p.id = l.person_id "
    "WHERE i.received_at >= '2020-02-01' AND i.received_at < '2020-04-01' "
    "ORDER BY i.reference, l.role, p.forename, p.surname"
)


def _dump(engine: Engine) -> dict[str, pd.DataFrame]:
    out = {}
    for name, sql in (("incidents", COMPARE), ("people", PEOPLE)):
        df = pd.read_sql(sql, engine)
        for col in ("received_at", "attended_at"):
            if col in df:
                df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
        for col in ("covid_breach", "hate_motivated", "attended", "vulnerable"):
            if col in df:
                df[col] = df[col].astype(bool)
        if "date_of_birth" in df:
            df["date_of_birth"] = df["date_of_birth"].astype(str)
        if "vulnerability_flags" in df:
            df["vulnerability_flags"] = (
                df["vulnerability_flags"]
                .map(lambda v: v if isinstance(v, list) else json.loads(v))
                .map(tuple)
            )
        out[name] = df
    return out


def test_short_period_is_deterministic_and_matches_the_long_run(
    engine: Engine, six_years: tuple[Engine, dict[str, object]]
) -> None:
    """Runs on SQLite and PostgreSQL: same seed, same rows as the six-year SQLite run."""
    # February and March 2020: the months before and after the first COVID breaches.
    first = generate(engine, force_code="essex", start="2020-02", end="2020-03", seed=SEED)
    assert first["incidents"] > 5_000
    got = _dump(engine)
    want = _dump(six_years[0])
    pd.testing.assert_frame_equal(got["incidents"], want["incidents"])
    pd.testing.assert_frame_equal(got["people"], want["people"])

    other = generate(
        engine, force_code="essex", start="2020-02", end="2020-03", seed=SEED + 1, replace=True
    )
    assert other["replaced"] == first["incidents"]
    assert other["incidents"] == first["incidents"]  # the monthly totals are calibrated
    changed = _dump(engine)["incidents"]
    assert (changed["narrative"] != got["incidents"]["narrative"]).mean() > 0.9
    # replacing left no orphans behind
    counts = pd.read_sql(
        "SELECT (SELECT COUNT(*) FROM people) p, (SELECT COUNT(*) FROM locations) l, "
        "(SELECT COUNT(DISTINCT person_id) FROM incident_people) lp, "
        "(SELECT COUNT(DISTINCT location_id) FROM incidents) li",
        engine,
    ).iloc[0]
    assert counts["p"] == counts["lp"] and counts["l"] == counts["li"]
