"""Generate NSIR ASB incidents calibrated to the 2021 deep dive, deterministic per seed.

:func:`build` makes the data in memory (numpy, one financial year at a time) and
:func:`generate` writes it to the store in one transaction. How each figure is met is written
up in ``docs/generator.md``.

Determinism: the place and people pools come from ``default_rng([seed, 0])`` and each
financial year from ``default_rng([seed, fy])``, and a whole financial year is always built
before the requested months are cut out of it. So a seed always gives the same rows, and a
shorter period gives exactly the matching months of a longer one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import Engine

from asbhub.errors import InvalidInput
from asbhub.generate import misrecord, narratives
from asbhub.generate.calibration import (
    BREACHES_FROM,
    CHANNEL_WINDOWS,
    GENERATED_FORCES,
    QUALIFIERS,
    YearTarget,
    financial_year,
    period,
    year_targets,
)
from asbhub.generate.chats import build_chats, handler_roster
from asbhub.generate.orders import CBO_FY, place_orders
from asbhub.generate.people import build_people, concat
from asbhub.generate.places import build_places
from asbhub.generate.schemas import Generated, Orders, Pools, YearData
from asbhub.generate.triage import build_triage
from asbhub.generate.writer import write
from asbhub.permissions import Actor

# Closing codes per category (probabilities). Personal incidents are mostly neighbours and
# messages aimed at a household; environmental ones are about the place.
TYPE_MIX: dict[str, dict[str, float]] = {
    "personal": {
        "rowdy_nuisance_neighbours": 0.34,
        "malicious_communications": 0.22,
        "rowdy_inconsiderate": 0.18,
        "noise": 0.12,
        "vehicle_nuisance": 0.04,
        "trespass": 0.04,
        "hoax_call": 0.03,
        "animal_problems": 0.03,
    },
    "nuisance": {
        "rowdy_inconsiderate": 0.42,
        "vehicle_nuisance": 0.14,
        "noise": 0.12,
        "rowdy_nuisance_neighbours": 0.07,
        "street_drinking": 0.05,
        "trespass": 0.05,
        "begging_vagrancy": 0.04,
        "fireworks": 0.03,
        "animal_problems": 0.03,
        "hoax_call": 0.02,
        "malicious_communications": 0.02,
        "prostitution": 0.01,
    },
    "environmental": {
        "littering_drugs_paraphernalia": 0.45,
        "abandoned_vehicle": 0.35,
        "animal_problems": 0.08,
        "vehicle_nuisance": 0.05,
        "trespass": 0.04,
        "fireworks": 0.03,
    },
}
# Fireworks cluster around Bonfire Night and New Year (multiplier by calendar month).
FIREWORKS_SEASON = (1.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 3.0, 6.0, 1.5)
# Share of each type that happens at a home rather than in a public place.
AT_HOME = {
    "rowdy_nuisance_neighbours": 0.95,
    "malicious_communications": 0.9,
    "noise": 0.8,
    "hoax_call": 0.7,
    "animal_problems": 0.4,
    "rowdy_inconsiderate": 0.25,
    "covid_breach": 0.45,
}
CHANNELS = ("999", "101", "email", "partner", "officer")
CHANNEL_MIX = (0.18, 0.60, 0.05, 0.07, 0.10)
# Breaches came in by 101 and, increasingly, e-mail (deep dive 4.6).
BREACH_CHANNEL_MIX = (0.10, 0.50, 0.25, 0.0, 0.15)
ATTEND_WEIGHT = {
    "999": 3.0,
    "officer": 6.0,
    "101": 1.0,
    "partner": 0.6,
    "email": 0.5,
    "online": 0.5,
    "live_chat": 0.6,
}
HATE_RATE = {"personal": 0.18, "nuisance": 0.02, "environmental": 0.003}
SUSPECT_RATE = {"personal": 0.8, "nuisance": 0.35, "environmental": 0.12}
WITNESS_RATE = 0.12
CALLER_IS_VICTIM = 0.75
# Monday..Sunday
DAY_WEIGHT = np.array([0.92, 0.90, 0.92, 0.96, 1.10, 1.22, 1.05])
HOURS = np.concatenate(
    [
        [2.0, 1.3, 0.9, 0.6, 0.4, 0.4, 0.6, 1.0, 1.6, 2.3, 2.9, 3.3],  # midnight to 11:00
        [3.6, 3.8, 4.1, 4.8, 5.4, 6.0, 6.8, 7.2, 7.3, 6.8, 5.6, 3.9],  # noon to 23:00
    ]
)
# Breach reports (gatherings, open businesses) come in through the day rather than at night.
BREACH_HOURS = np.concatenate(
    [
        [1.0, 0.6, 0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1.2, 2.2, 3.2, 4.0],
        [4.6, 5.0, 5.2, 5.2, 5.0, 4.8, 4.6, 4.4, 4.0, 3.4, 2.6, 1.6],
    ]
)


def _hour_cdf(base: np.ndarray) -> np.ndarray:
    """Cumulative hour-of-day distribution per weekday (Friday and Saturday nights are busier)."""
    rows = []
    for dow in range(7):
        h = base.copy()
        if dow in (4, 5):  # Friday, Saturday evenings
            h[20:] *= 1.35
        if dow in (5, 6):  # the early hours after Friday and Saturday nights
            h[:4] *= 2.2
        rows.append(np.cumsum(h) / h.sum())
    return np.array(rows)


HOUR_CDF = _hour_cdf(HOURS)
BREACH_HOUR_CDF = _hour_cdf(BREACH_HOURS)


@lru_cache(maxsize=2)
def build_pools(seed: int, force_code: str = "essex") -> Pools:
    """The pools of one seed; cached because they are only read (tests build several runs)."""
    rng = np.random.default_rng([seed, 0])
    places = build_places(rng, force_code)
    res = np.flatnonzero(places.residential)
    # Householders at busy addresses are repeat victims, who are more often vulnerable.
    rank = np.argsort(np.argsort(places.weight[res])) / max(len(res) - 1, 1)
    residents = build_people(
        rng,
        res,
        places.address,
        age=(18, 45, 95),
        child_share=0.0,
        prevalence={"disability": 0.08, "mental_health": 0.10, "isolation": 0.06},
        boost=0.6 + 1.6 * rank**2,
    )
    n_general, n_offenders = 40_000, 9_000
    general = build_people(
        rng,
        rng.choice(res, n_general),
        places.address,
        age=(18, 40, 90),
        child_share=0.06,
        prevalence={"disability": 0.05, "mental_health": 0.06, "isolation": 0.03},
    )
    offenders = build_people(
        rng,
        rng.choice(res, n_offenders),
        places.address,
        age=(18, 24, 65),
        child_share=0.2,
        prevalence={"disability": 0.03, "mental_health": 0.18, "isolation": 0.02},
    )
    people = concat([residents, general, offenders])
    resident_of = np.full(len(places), -1, dtype=np.int64)
    resident_of[res] = np.arange(len(res))
    general_idx = len(res) + np.arange(n_general)
    offender_idx = len(res) + n_general + np.arange(n_offenders)
    # A few prolific offenders account for much of the suspect demand.
    offender_weight = rng.lognormal(0.0, 1.6, n_offenders)
    home_district = places.district[offenders.location]
    by_district = {}
    for d in np.unique(home_district):
        sel = home_district == d
        w = offender_weight[sel]
        by_district[str(d)] = (offender_idx[sel], w / w.sum())
    return Pools(
        places=places,
        people=people,
        resident_of=resident_of,
        general=general_idx,
        general_weight=(gw := rng.lognormal(0.0, 1.0, n_general)) / gw.sum(),
        offenders_by_district=by_district,
    )


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of exactly ``k`` items drawn without replacement with probability ~ weights."""
    if k > len(weights):
        raise ValueError(f"cannot choose {k} of {len(weights)}")
    # Gumbel top-k: the k largest log(w) + Gumbel noise are a weighted sample without replacement.
    keys = np.log(weights) + rng.gumbel(size=len(weights))
    return np.argpartition(-keys, k - 1)[:k] if k else np.array([], dtype=np.int64)


def _times(rng: np.random.Generator, days: np.ndarray, n: int, hour_cdf: np.ndarray) -> np.ndarray:
    """``n`` instants on the given days, weighted by weekday and hour of day."""
    dow = (days.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
    w = DAY_WEIGHT[dow]
    day = rng.choice(days, n, p=w / w.sum())
    ddow = (day.view("int64") - 4) % 7
    hour = (rng.random(n)[:, None] > hour_cdf[ddow]).sum(axis=1)
    seconds = hour * 3600 + rng.integers(0, 3600, n)
    return day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _types(rng: np.random.Generator, qualifier: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Closing codes by category, with fireworks following the calendar."""
    out = np.empty(len(qualifier), dtype=object)
    u = rng.random(len(qualifier))
    for q, mix in TYPE_MIX.items():
        names = list(mix)
        base = np.array([mix[t] for t in names])
        fw = np.array([t == "fireworks" for t in names])
        for m in range(1, 13):
            idx = np.flatnonzero((qualifier == q) & (month == m))
            if not len(idx):
                continue
            p = base * np.where(fw, FIREWORKS_SEASON[m - 1], 1.0)
            cdf = np.cumsum(p) / p.sum()
            out[idx] = np.array(names, dtype=object)[
                np.minimum(np.searchsorted(cdf, u[idx], side="right"), len(names) - 1)
            ]
    return out


def build_year(t: YearTarget, pools: Pools, seed: int, misrecord_rate: float = 0.0) -> YearData:
    """Every incident of one financial year, meeting its published figures exactly.

    The published counts are the *recorded* qualifiers; with ``misrecord_rate`` a share of
    incidents truly belongs elsewhere (:mod:`asbhub.generate.misrecord`) and everything but
    the record (type, place, people, narrative) follows the truth.
    """
    rng = np.random.default_rng([seed, t.fy])
    places = pools.places
    # -- when: monthly counts are fixed; days and hours are drawn --------------------------------
    parts, covid_parts = [], []
    for (y, m), n_plain, n_breach in zip(t.months, t.month_counts, t.month_breaches, strict=True):
        first = np.datetime64(f"{y:04d}-{m:02d}-01")
        days = np.arange(first, first + np.timedelta64(31, "D")).astype("datetime64[D]")
        days = days[days.astype("datetime64[M]") == first.astype("datetime64[M]")]
        parts.append(_times(rng, days, n_plain, HOUR_CDF))
        covid_parts.append(np.zeros(n_plain, dtype=bool))
        if n_breach:
            bdays = days[days >= np.datetime64(BREACHES_FROM)]
            parts.append(_times(rng, bdays, n_breach, BREACH_HOUR_CDF))
            covid_parts.append(np.ones(n_breach, dtype=bool))
    received = np.concatenate(parts)
    covid = np.concatenate(covid_parts)
    order = np.argsort(received, kind="stable")
    received, covid = received[order], covid[order]
    n = len(received)
    month = received.astype("datetime64[M]").view("int64") % 12 + 1

    # -- category: exact counts, randomly placed -------------------------------------------------
    qualifier = np.empty(n, dtype=object)
    for mask, counts in (
        (~covid, np.subtract(t.qualifier_counts, t.breach_qualifier_counts)),
        (covid, np.array(t.breach_qualifier_counts)),
    ):
        labels = np.repeat(np.array(QUALIFIERS, dtype=object), counts)
        qualifier[mask] = rng.permutation(labels)
    # Its own stream, so at rate 0 every draw below is as it was.
    mis = misrecord.draw(np.random.default_rng([seed, t.fy, 3]), qualifier, covid, misrecord_rate)
    recorded, qualifier = qualifier, mis.truth

    closing = _types(rng, qualifier, month)
    closing[covid] = "covid_breach"
    reclass = (rng.random(n) < 0.15) & ~covid
    opening = closing.copy()
    opening[reclass] = _types(rng, qualifier[reclass], month[reclass])

    # -- channel: a base mix, then the published online and live-chat counts taken from 101 ----
    channel = np.empty(n, dtype=object)
    names = np.array(CHANNELS, dtype=object)
    channel[~covid] = names[
        np.searchsorted(np.cumsum(CHANNEL_MIX), rng.random(int((~covid).sum())), side="right")
    ]
    channel[covid] = names[
        np.searchsorted(np.cumsum(BREACH_CHANNEL_MIX), rng.random(int(covid.sum())), side="right")
    ]
    day = received.astype("datetime64[D]")
    for w in CHANNEL_WINDOWS:
        if financial_year(w.start.year, w.start.month) != t.fy:
            continue
        cand = np.flatnonzero(
            (channel == "101") & (day >= np.datetime64(w.start)) & (day < np.datetime64(w.end))
        )
        count = min(round(w.count * t.scale), len(cand))
        chosen = cand[_top_k(rng, np.where(covid[cand], 0.3, 1.0), count)]
        channel[chosen] = w.channel

    # -- where: homes for neighbour-type incidents, public places for the rest ------------------
    p_home = np.array([AT_HOME.get(c, 0.05) for c in closing])
    p_home = np.where(qualifier == "personal", np.maximum(p_home, 0.7), p_home)
    at_home = rng.random(n) < p_home
    res = np.flatnonzero(places.residential)
    pub = np.flatnonzero(~places.residential)
    place = np.empty(n, dtype=np.int64)
    wr, wp = places.weight[res], places.weight[pub]
    place[at_home] = rng.choice(res, int(at_home.sum()), p=wr / wr.sum())
    place[~at_home] = rng.choice(pub, int((~at_home).sum()), p=wp / wp.sum())

    true_hate = (rng.random(n) < np.array([HATE_RATE[q] for q in qualifier])) & ~covid
    true_hate |= mis.hate_missing
    hate = true_hate & ~mis.hate_missing

    # -- attendance: exactly the published number, favouring 999 and officer-found incidents --
    w_att = np.array([ATTEND_WEIGHT[c] for c in channel])
    w_att *= np.select([qualifier == "personal", qualifier == "environmental"], [1.5, 0.6], 1.0)
    attended = np.zeros(n, dtype=bool)
    attended[_top_k(rng, w_att, t.attended)] = True
    delay_min = np.where(
        channel == "999", rng.lognormal(np.log(22), 0.6, n), rng.lognormal(np.log(240), 1.0, n)
    )
    delay_min = np.where(channel == "officer", 0.0, np.minimum(delay_min, 72 * 60))
    attended_at = np.where(
        attended,
        received + (delay_min * 60).astype("timedelta64[s]"),
        np.datetime64("NaT", "s"),
    )

    # -- people: victims live at the address, callers are often the victim ---------------------
    personal = qualifier == "personal"
    has_victim = (
        personal
        | ((qualifier == "nuisance") & at_home & (rng.random(n) < 0.35))
        | ((qualifier == "environmental") & (rng.random(n) < 0.05))
    ) & ~covid
    victim = np.full(n, -1, dtype=np.int64)
    victim[has_victim] = pools.resident_of[place[has_victim]]
    public_victim = has_victim & (victim < 0)
    victim[public_victim] = rng.choice(
        pools.general, int(public_victim.sum()), p=pools.general_weight
    )
    caller = np.full(n, -1, dtype=np.int64)
    has_caller = channel != "officer"
    caller[has_caller] = rng.choice(pools.general, int(has_caller.sum()), p=pools.general_weight)
    victim_calls = has_caller & has_victim & (rng.random(n) < CALLER_IS_VICTIM)
    caller[victim_calls] = victim[victim_calls]
    witness = np.where(rng.random(n) < WITNESS_RATE, rng.choice(pools.general, n), -1)
    rate = np.array([SUSPECT_RATE[q] for q in qualifier])
    has_suspect = rng.random(n) < np.where(covid, 0.25, rate)
    suspect = np.full(n, -1, dtype=np.int64)
    district = places.district[place]
    for d, (ids, p) in pools.offenders_by_district.items():
        sel = np.flatnonzero(has_suspect & (district == d))
        suspect[sel] = rng.choice(ids, len(sel), p=p)
    # The seed's nine CBO subjects: their own stream, so every other draw stays as it was.
    cbos = (
        place_orders(
            np.random.default_rng([seed, t.fy, 3]),
            pools,
            received=received,
            suspect=suspect,
            covid=covid,
        )
        # The nine are Essex's (scale 1); a scaled force has too few offences to place them.
        if t.fy == CBO_FY and t.scale == 1.0
        else Orders.none()
    )
    link_incident, link_person, link_role = [], [], []
    for role, who in (
        ("caller", caller),
        ("victim", victim),
        ("witness", witness),
        ("suspect", suspect),
    ):
        idx = np.flatnonzero(who >= 0)
        link_incident.append(idx)
        link_person.append(who[idx])
        link_role.append(np.full(len(idx), role, dtype=object))

    hour = (received.astype("datetime64[h]").view("int64")) % 24
    narrative = np.array(
        narratives.write(
            rng,
            closing=closing,
            qualifier=qualifier,
            hate=true_hate,
            attended=attended,
            hour=hour,
            place=places.street[place],
        ),
        dtype=object,
    )
    return YearData(
        fy=t.fy,
        received=received,
        channel=channel,
        opening=opening,
        closing=closing,
        qualifier=recorded,
        covid=covid,
        hate=hate,
        place=place,
        attended=attended,
        attended_at=attended_at,
        narrative=narrative,
        link_incident=np.concatenate(link_incident),
        link_person=np.concatenate(link_person),
        link_role=np.concatenate(link_role),
        true_qualifier=qualifier,
        true_hate=true_hate,
        misrecord=mis.kind,
        # Its own stream, so the chats leave every incident draw above as it was.
        chats=build_chats(
            np.random.default_rng([seed, t.fy, 1]),
            fy=t.fy,
            received=received,
            channel=channel,
            closing=closing,
            public_forenames=pools.people.forename[pools.general],
            roster=handler_roster(seed),
            scale=t.scale,
        ),
        # Its own stream too, for the same reason.
        triage=build_triage(
            np.random.default_rng([seed, t.fy, 2]),
            received=received,
            channel=channel,
            closing=closing,
            # The call handler weighed the call as it was recorded: that is the audit's harm.
            qualifier=recorded,
            hate=hate,
            attended=attended,
            premises=places.premises_type[place],
            place=place,
            victim=victim,
            suspect=suspect,
        ),
        orders=cbos,
    )


def build(
    seed: int,
    start: str,
    end: str,
    force_code: str = "essex",
    progress: Callable[[str], None] | None = None,
    misrecord_rate: float = 0.0,
) -> Generated:
    """Generate the months ``start``..``end`` (``YYYY-MM``) in memory."""
    first, last = period(start, end)
    misrecord.check_rate(misrecord_rate)
    if force_code not in GENERATED_FORCES:
        raise InvalidInput(
            f"the generator is calibrated to {', '.join(sorted(GENERATED_FORCES))} only, "
            f"not {force_code!r}"
        )
    pools = build_pools(seed, force_code)
    out = Generated(
        force_code=force_code,
        first=first,
        last=last,
        pools=pools,
        seed=seed,
        misrecord_rate=misrecord_rate,
    )
    targets = year_targets()
    lo = np.datetime64(first).astype("datetime64[s]")
    hi = np.datetime64(last).astype("datetime64[s]")
    final = last - dt.timedelta(days=1)
    for fy in range(
        financial_year(first.year, first.month), financial_year(final.year, final.month) + 1
    ):
        if fy not in targets:
            continue
        year = build_year(targets[fy], pools, seed, misrecord_rate)
        keep = (year.received >= lo) & (year.received < hi)
        keep_chats = (year.chats.started >= lo) & (year.chats.started < hi)
        if keep.any() or keep_chats.any():
            whole = keep.all() and keep_chats.all()
            out.years.append(year if whole else year.take(keep, keep_chats))
        if progress:
            progress(f"FY{fy - 1}/{fy % 100:02d}")
    return out


def summary(g: Generated) -> dict[str, Any]:
    """Counts per financial year, for the CLI and the benchmark."""
    per_year: dict[str, dict[str, int]] = {}
    for y in g.years:
        per_year[f"{y.fy}-03-31"] = {
            "incidents": len(y.received),
            "attended": int(y.attended.sum()),
            "covid_breaches": int(y.covid.sum()),
        }
    return per_year


def generate(
    engine: Engine,
    *,
    force_code: str,
    start: str,
    end: str,
    seed: int,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
    actor: Actor | None = None,
    misrecord_rate: float = 0.0,
) -> dict[str, Any]:
    """Generate ``start``..``end`` into the store in one transaction and report the counts.

    The write is audited with its counts as ``actor`` (the command line passes the system
    actor of the job).

    Raises :class:`~asbhub.errors.Conflict` when generated incidents of the force already exist
    in the period, unless ``replace`` (which deletes them, their links and any people and
    locations left without incidents, first).

    With ``misrecord_rate`` above 0 a share of incidents is recorded under the wrong qualifier
    (:mod:`asbhub.generate.misrecord`) and the truth is kept in ``generated_truth``.
    """
    t0 = time.perf_counter()
    g = build(seed, start, end, force_code, progress, misrecord_rate)
    counts = write(engine, g, replace=replace, progress=progress, actor=actor)
    return {
        "force": force_code,
        "from": start,
        "to": end,
        "seed": seed,
        "misrecord_rate": misrecord_rate,
        **counts,
        "per_year": summary(g),
        "seconds": round(time.perf_counter() - t0, 2),
    }
