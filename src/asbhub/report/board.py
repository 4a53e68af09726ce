"""The board's ASB data update: every table and chart of the 2021 deep dive's "Data Update",
computed from incident-level data, with sentences written from the numbers and a provenance
note per figure. Every stated figure goes through one :class:`Ledger`, which refuses a report
that would give one quantity two values.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from asbhub.analytics import forecast, kpis, periods, queries, surveys
from asbhub.analytics.msg import latest_months
from asbhub.analytics.service import default_area, kpi_report, msg_report
from asbhub.casereviews.queries import year_table
from asbhub.contact.counts import channel_counts
from asbhub.errors import InvalidInput
from asbhub.permissions import Action, Actor, require
from asbhub.powers.effect import order_effect
from asbhub.recording.service import figures as recording_figures
from asbhub.report.ledger import Ledger, Provenance
from asbhub.restorative import figures as rj_figures
from asbhub.restorative.queries import restorative_figures
from asbhub.triage import rules as triage_rules

STEPS = (
    "KPIs",
    "forecasts",
    "most similar group",
    "surveys",
    "channels",
    "casework",
    "effect of orders",
    "charts",
    "check",
)
QUERY_YEARS = (
    "SELECT date(received_at), qualifier, covid_breach, attended, count(*) FROM incidents "
    "WHERE <scope> AND received_at in the 6 periods GROUP BY 1, 2, 3, 4"
)
QUERY_EFFECT = (
    "first issued order per subject (power_records), then incident_people JOIN incidents "
    "WHERE role = 'suspect' in the windows before and after it"
)
QUERY_CHANNELS = (
    "SELECT date(started_at), count(*) FROM chats / SELECT date(received_at), count(*) FROM "
    "incidents WHERE channel = 'online' (contact.counts)"
)


@dataclass(frozen=True)
class Claim:
    """A figure stated outside the computed tables (``--also``): it must agree with them."""

    key: str
    value: float
    place: str


def long_date(d: dt.date | str) -> str:
    d = dt.date.fromisoformat(d) if isinstance(d, str) else d
    return f"{d.day} {d:%B %Y}"


def month_year(d: str) -> str:
    return f"{dt.date.fromisoformat(d):%B %Y}"


def change_words(new: float, old: float) -> str:
    """``a 21.7% decrease`` / ``a 46.0% increase`` / ``no change``."""
    if not old:
        return "with none recorded to compare against"
    p = kpis.pct(new - old, old)
    if p is None or p == 0:
        return "no change"
    return f"a {abs(p):.1f}% {'increase' if p > 0 else 'decrease'}"


def read_claims(path: Path) -> list[Claim]:
    """``key,value,place`` rows; every bad row is named before refusing."""
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}", {str(path): str(exc)}) from None
    problems: dict[str, str] = {}
    out = []
    for line, r in enumerate(rows, start=2):
        try:
            out.append(Claim(r["key"], float(r["value"].replace(",", "")), r["place"]))
        except (KeyError, ValueError, AttributeError):
            problems[f"{path}:{line}"] = "expected key,value,place with a number as value"
    if problems:
        raise InvalidInput(f"{path}: rows are not valid", problems)
    return out


def _reference_forecast() -> list[dict[str, str]]:
    res = resources.files("asbhub") / "data" / "deep_dive_2021" / "forecast.csv"
    with res.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def build(
    session: Session,
    *,
    actor: Actor,
    period_end: dt.date,
    msg_paths: Sequence[Path] | None = None,
    msg_from: str | None = None,
    msg_to: str | None = None,
    channels_to: dt.date | None = None,
    claims: Sequence[Claim] = (),
    step: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Compute every figure of the board report for the 12 months to ``period_end``.

    Raises :class:`~asbhub.report.ledger.Inconsistent` if two places would state different
    values for one quantity (``claims`` are checked the same way).
    """
    require(actor, Action.BOARD_REPORT_CREATE)
    ledger = Ledger()
    step(STEPS[0])
    k = kpi_report(session, actor=actor, period_end=period_end)
    years = k["years"]
    area = k["area"]["label"]
    kprov = Provenance(
        source="incidents",
        period=f"12 months to 31 March, {years[0]['period_start']} to {years[-1]['period_end']}",
        filters=k["source"]["filters"],
        query=QUERY_YEARS,
    )
    tables: dict[str, Any] = {}
    tables["volumes"] = _volume_tables(ledger, years, kprov)

    step(STEPS[1])
    monthly = pd.DataFrame(k["monthly"])
    index = pd.PeriodIndex(monthly["month"], freq="M")
    fc: dict[str, dict[str, Any] | None] = {
        key: forecast.forecast_years(pd.Series(monthly[key].to_numpy(), index=index))
        for key in ("incidents", "excluding_covid")
    }
    tables["forecast"] = _forecast_table(ledger, years[-1], fc, kprov)

    step(STEPS[2])
    msg = None
    if not (msg_from and msg_to) and not msg_paths:
        # From the store: the last six months of data.police.uk records loaded for the force.
        span = latest_months(session, actor.force_code)
        msg_from, msg_to = span if span else (None, None)
    if msg_from and msg_to:
        msg = msg_report(session, actor=actor, start=msg_from, end=msg_to, paths=msg_paths)
        mprov = Provenance(
            source=msg["source"],
            period=f"{msg['from']} to {msg['to']}",
            filters=f"crime type Anti-social behaviour; MSG version {msg['group_version']}",
            query="count of street-level rows per force and month; ONS force populations",
        )
        for f in msg["forces"]:
            place = f"Table 6 (most similar group), {f['name']}"
            for field_ in ("asb_count", "rate_per_1000", "rank"):
                if f[field_] is not None:
                    ledger.state(
                        f"msg_{field_}@{f['force']}",
                        f[field_],
                        place=place,
                        label=f"{f['name']} {field_.replace('_', ' ')}",
                        provenance=mprov,
                    )

    step(STEPS[3])
    survey = {kind: surveys.summarise(surveys.load(kind)) for kind in surveys.KINDS}

    step(STEPS[4])
    ch_end = channels_to or period_end
    ch = channel_counts(session, actor=actor, start=kpis.period_start(period_end), end=ch_end)
    cprov = Provenance(
        source="chats and incidents (contact.counts)",
        period=f"{ch['start']} to {ch['end']}",
        filters=f"force_code = {actor.force_code!r}",
        query=QUERY_CHANNELS,
    )
    tables["channels"] = _channel_table(ledger, ch, cprov)

    step(STEPS[5])
    casework = _casework(ledger, session, actor, kpis.period_start(period_end), period_end)
    recording = recording_figures(session, actor=actor)
    if recording is not None:
        rprov = Provenance(
            source="the recording audit (recording_runs, recording_flags)",
            period=f"{recording['from']} to {recording['to']}",
            filters=f"run {recording['run']}; rules {recording['rules_version']}",
            query="recording.service.figures",
        )
        ledger.state(
            "recording_compliance",
            recording["compliance"],
            place="Recording compliance",
            label="Share of audited incidents with the right qualifier",
            provenance=rprov,
        )
        for q, m in recording["estimated_true_mix"].items():
            ledger.state(
                f"recording_estimated_{q}",
                m["share"],
                place="Recording compliance, estimated true mix",
                label=f"Estimated true share of {q} ASB",
                provenance=rprov,
            )
    step(STEPS[6])
    tables["effect"] = _effect_table(ledger, session, actor)

    sentences = _sentences(ledger, years, fc, msg, ch, area, kprov, cprov)
    for c in claims:
        ledger.state(
            c.key,
            c.value,
            place=c.place,
            label=ledger.label(c.key),
            provenance=Provenance(source="stated outside the report", period=""),
        )

    step(STEPS[7])
    from asbhub.report import charts  # here: matplotlib's import is slow, and only this needs it

    svg = {
        "volumes": charts.volumes(years),
        "monthly": charts.monthly(k["monthly"]),
        "mix": charts.mix(years),
    }
    if fc["incidents"] and fc["excluding_covid"]:
        svg["forecast"] = charts.forecast(
            years, {"incidents": fc["incidents"], "excluding_covid": fc["excluding_covid"]}
        )
    if msg is not None:
        svg["msg"] = charts.msg_rates(msg["forces"], actor.force_code)

    step(STEPS[8])
    ledger.check()
    return {
        "title": f"ASB data update: {area}, 12 months to {long_date(period_end)}",
        "area": area,
        "period_end": period_end.isoformat(),
        "generated_by": actor.display_name,
        "years": years,
        "tables": tables,
        "forecast": fc,
        "reference_forecast": _reference_forecast(),
        "msg": msg,
        "surveys": survey,
        "channels": ch,
        "casework": casework,
        "recording": recording,
        "sentences": sentences,
        "charts": svg,
        "definitions": {**kpis.DEFINITIONS, **surveys.DEFINITIONS, **rj_figures.DEFINITIONS},
        "forecast_method": forecast.__doc__,
        "provenance": [
            {
                "place": s.place,
                "label": s.label,
                "value": s.value,
                "source": s.provenance.source,
                "period": s.provenance.period,
                "filters": s.provenance.filters,
                "query": s.provenance.query,
            }
            for s in ledger.statements
        ],
    }


def _state_year(
    ledger: Ledger, field_: str, y: dict[str, Any], place: str, prov: Provenance
) -> None:
    """State one KPI of one 12-month period (``y`` is a row of ``kpi_report``'s years)."""
    when = f"12 months to {long_date(y['period_end'])}"
    ledger.state(
        f"{field_}@{y['period_end']}",
        y[field_],
        place=place,
        label=f"{kpis.DEFINITIONS_LABELS.get(field_, field_)}, {when}",
        provenance=prov,
    )


def _state_forecast(
    ledger: Ledger, key: str, y: dict[str, Any], place: str, prov: Provenance
) -> None:
    ledger.state(
        f"forecast_{key}@{y['period_end']}",
        y["forecast"],
        place=place,
        label=f"forecast {kpis.DEFINITIONS_LABELS[key].lower()}, "
        f"12 months to {long_date(y['period_end'])}",
        provenance=prov,
    )


def _volume_tables(ledger: Ledger, years: list[dict[str, Any]], prov: Provenance) -> dict[str, Any]:
    for y in years:
        when = f"12 months to {long_date(y['period_end'])}"
        for table, fields in (
            ("Table 1 (volumes)", ("incidents", "excluding_covid", "attended")),
            ("Table 2 (year on year)", ("incidents", "diff", "pct_diff")),
            ("Table 3 (attended)", ("incidents", "attended", "pct_attended")),
            ("Table 4 (category mix)", ("personal_pct", "nuisance_pct", "environmental_pct")),
        ):
            for f in fields:
                if y[f] is not None:
                    _state_year(ledger, f, y, f"{table}, {when}", prov)
    return {"years": years}


def _forecast_table(
    ledger: Ledger,
    latest: dict[str, Any],
    fc: dict[str, dict[str, Any] | None],
    prov: Provenance,
) -> dict[str, Any]:
    place = "Table 5 (forecast)"
    for key in ("incidents", "excluding_covid"):
        _state_year(ledger, key, latest, f"{place}, actual", prov)
        fprov = Provenance(
            source="monthly incidents (Table 1's rows by month)",
            period=prov.period,
            filters=prov.filters,
            query=f"model {(fc[key] or {}).get('model')} chosen by rolling-origin backtest",
        )
        for y in (fc[key] or {}).get("years", []):
            _state_forecast(ledger, key, y, f"{place}, forecast", fprov)
    return {"series": fc}


def _channel_table(ledger: Ledger, ch: dict[str, Any], prov: Provenance) -> dict[str, Any]:
    for key, name in (("chats", "live chats"), ("online_reports", "online reports")):
        t = ch["totals"][key]
        place = "Table 11 (channels)"
        ledger.state(
            f"{key}@{t['first_day']}..{ch['end']}",
            t["count"],
            place=place,
            label=f"{name} from {t['first_day']} to {ch['end']}",
            provenance=prov,
        )
        ledger.state(
            f"{key}_per_day@{t['first_day']}..{ch['end']}",
            t["per_day"],
            place=place,
            label=f"{name} a day from {t['first_day']} to {ch['end']}",
            provenance=prov,
        )
    return {"totals": ch["totals"], "quarters": ch["quarters"]}


def _casework(
    ledger: Ledger, session: Session, actor: Actor, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """The year's ASB case review table (s.104(10)) and restorative justice figures."""
    table = year_table(
        session, actor=actor, start=start, end=end, rules=triage_rules.load().case_review
    )
    rj = restorative_figures(session, actor=actor, start=start, end=end)
    period = f"{start} to {end}"
    crprov = Provenance(
        source="case_reviews (casereviews.queries.year_table)",
        period=period,
        filters=f"force_code = {actor.force_code!r}",
        query="count per local authority of applications received, threshold decided not met, "
        "panels held, and panels held with a recommendation, in the period",
    )
    for f in ("applications", "threshold_not_met", "reviews_held", "with_recommendations"):
        ledger.state(
            f"case_reviews_{f}@{period}",
            getattr(table.total, f),
            place="Table 12 (ASB case reviews)",
            label=f"ASB case reviews: {f.replace('_', ' ')}, {period}",
            provenance=crprov,
        )
    rjprov = Provenance(
        source="restorative_referrals (restorative.queries)",
        period=period,
        filters=f"force_code = {actor.force_code!r}",
        query="referrals made; parties asked after the end; suspect incidents 12 months before "
        "the referral and after the end",
    )
    for key, value in (
        ("rj_referrals", rj.referrals),
        ("rj_satisfied_pct", rj.satisfaction.satisfied_pct),
        ("rj_reoffending_change_pct", rj.reoffending.change_pct),
    ):
        if value is not None:
            ledger.state(
                f"{key}@{period}",
                value,
                place="Table 13 (restorative justice)",
                label=f"{key.replace('_', ' ')}, {period}",
                provenance=rjprov,
            )
    return {
        "case_reviews": table.model_dump(mode="json"),
        "restorative": rj.model_dump(mode="json"),
    }


def _effect_table(ledger: Ledger, session: Session, actor: Actor) -> dict[str, Any]:
    """The effect of Criminal Behaviour Orders on their subjects (powers.effect), each figure
    stated once in the ledger like every other."""
    effect = order_effect(session, actor=actor, kind="cbo").as_dict()
    prov = Provenance(
        source="power_records and incidents (powers.effect)",
        period=f"{effect['window_days']} days before and after each subject's first order",
        filters=f"force_code = {actor.force_code!r}; CBOs issued; incidents as suspect",
        query=QUERY_EFFECT,
    )
    for key in ("subjects", "before", "after", "change_pct"):
        if effect[key] is not None:
            ledger.state(
                f"cbo_effect_{key}@{effect['window_days']}d",
                effect[key],
                place="Table 14 (effect of orders)",
                label=f"CBO subjects' incidents: {key.replace('_', ' ')}",
                provenance=prov,
            )
    return effect


def _sentences(
    ledger: Ledger,
    years: list[dict[str, Any]],
    fc: dict[str, dict[str, Any] | None],
    msg: dict[str, Any] | None,
    ch: dict[str, Any],
    area: str,
    kprov: Provenance,
    cprov: Provenance,
) -> list[str]:
    first, before, last = years[0], years[-2], years[-1]

    def said(field_: str, y: dict[str, Any], n: int) -> str:
        if y[field_] is None:
            return "no figure"
        _state_year(ledger, field_, y, f"Summary, sentence {n}", kprov)
        v = y[field_]
        return f"{v:,}" if isinstance(v, int) else f"{v:.1f}%"

    rise = change_words(last["incidents"], before["incidents"])
    fall = change_words(before["incidents"], first["incidents"])
    out = [
        f"In the 12 months to {long_date(last['period_end'])}, {area} recorded "
        f"{said('incidents', last, 1)} ASB incidents, {rise} "
        f"on the 12 months before ({said('incidents', before, 1)}).",
        f"Recorded ASB was {said('incidents', before, 2)} in the 12 months to "
        f"{month_year(before['period_end'])}, {fall} "
        f"compared to {month_year(first['period_end'])} ({said('incidents', first, 2)}).",
        f"Excluding {last['covid_breaches']:,} COVID-19 breaches there were "
        f"{said('excluding_covid', last, 3)} incidents, "
        f"{change_words(last['excluding_covid'], before['excluding_covid'])} on the year before "
        f"({said('excluding_covid', before, 3)}).",
        f"Officers attended {said('attended', last, 4)} incidents, "
        f"{said('pct_attended', last, 4)} of the total, against {said('pct_attended', first, 4)} "
        f"in the 12 months to {month_year(first['period_end'])}.",
        f"Personal ASB was {said('personal_pct', last, 5)} of incidents, against "
        f"{said('personal_pct', first, 5)} in the 12 months to {month_year(first['period_end'])}; "
        f"nuisance {said('nuisance_pct', last, 5)} and environmental "
        f"{said('environmental_pct', last, 5)}.",
    ]
    for key, words in (("incidents", "including"), ("excluding_covid", "excluding")):
        f = fc[key]
        if f is None:
            continue
        y = f["years"][0]
        _state_forecast(ledger, key, y, "Summary, sentence 6", kprov)
        out.append(
            f"The {f['model_label']} forecast, {words} COVID-19 breaches, is {y['forecast']:,} "
            f"incidents in the 12 months to {long_date(y['period_end'])} (80% interval "
            f"{y['lo80']:,} to {y['hi80']:,})."
        )
    if msg is not None:
        own = next(f for f in msg["forces"] if f["force"] == msg["group_of"])
        ledger.state(
            f"msg_rank@{own['force']}",
            own["rank"],
            place="Summary, sentence 8",
            label=f"{own['name']} rank",
            provenance=kprov,
        )
        out.append(
            f"From {msg['from']} to {msg['to']} {own['name']} recorded {own['rate_per_1000']} ASB "
            f"per 1,000 residents on data.police.uk, rank {own['rank']} of "
            f"{len(msg['forces'])} in its most similar group (1 = lowest)."
        )
    chats = ch["totals"]["chats"]
    if chats["count"]:
        out.append(
            f"Live chat handled {chats['count']:,} conversations from "
            f"{long_date(chats['first_day'])} to {long_date(ch['end'])}, {chats['per_day']} a day."
        )
        ledger.state(
            f"chats@{chats['first_day']}..{ch['end']}",
            chats["count"],
            place="Summary, last sentence",
            label=f"live chats from {chats['first_day']} to {ch['end']}",
            provenance=cprov,
        )
    return out


def default_period_end(session: Session, *, actor: Actor) -> dt.date:
    """The end of the dashboard's default period for the actor (see ``analytics.periods``)."""
    area = default_area(actor)
    chosen = periods.default(queries.months_with_data(session, actor=actor, area=area))
    if chosen is None:
        raise InvalidInput("no incidents are held", {"period_end": "nothing to report on"})
    return chosen.end
