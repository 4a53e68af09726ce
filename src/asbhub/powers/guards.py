"""The guards of a power record's life, read from the rules table.

Each check takes the rule as it stood on the record's date and the facts of the step, and
either returns what follows (the period, the deadlines on the legal calendar) or raises
:class:`~asbhub.powers.lifecycle.Refused` with the reason and the section. No number here is
law: every limit, age, issuer and window comes from :mod:`asbhub.powers.rules`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from asbhub.errors import InvalidInput
from asbhub.powers.calendar import Period, add_hours, deadline
from asbhub.powers.lifecycle import Refused
from asbhub.powers.models import PowerRecord, PowerState, SubjectType
from asbhub.powers.rules import RANKS, Issuer, PowerRule, Table

ISSUER_LABELS: dict[str, str] = {
    "police": "a police officer",
    "pcso_designated": "a designated PCSO",
    "council": "the council",
    "council_officer": "a designated council officer",
    "council_chief_executive": "the council's chief executive (or designate)",
    "housing_provider": "a social housing provider",
    "housing_provider_designated": "a social housing provider designated by the council",
    "housing_provider_senior_manager": "a senior manager of a social housing provider",
    "csas_accredited": "a CSAS-accredited person",
    "prosecution": "the prosecution",
    "landlord": "the landlord",
    "chief_officer_police": "the chief officer of police",
    "btp": "British Transport Police",
    "tfl": "Transport for London",
    "environment_agency": "the Environment Agency",
    "nrw": "Natural Resources Wales",
    "nhs_security": "an NHS security body",
}
SUBJECT_LABELS = {
    "individual": "a person",
    "body": "a body",
    "premises": "premises",
    "locality": "a locality",
}
# The states in which an earlier record still counts (a warning given, an order made).
_GIVEN = (
    PowerState.ISSUED,
    PowerState.VARIED,
    PowerState.COMPLIED,
    PowerState.BREACHED,
    PowerState.EXPIRED,
)
_LIVE = (PowerState.ISSUED, PowerState.VARIED, PowerState.BREACHED)


@dataclass(frozen=True)
class DeadlineSpec:
    kind: str
    label: str
    due_at: dt.datetime
    section: str
    action: bool


@dataclass
class Plan:
    """What issuing decides: the period, the earlier record relied on and the deadlines."""

    starts_at: dt.datetime
    ends_at: dt.datetime | None
    rule: dict[str, Any]
    parent: PowerRecord | None = None
    deadlines: list[DeadlineSpec] = field(default_factory=list)


@dataclass(frozen=True)
class Facts:
    """The step asked for: who issues, to whom, when, and what the issuer states."""

    power: str
    subject_type: SubjectType
    age: int | None
    issuer: str
    issuer_rank: str | None
    at: dt.datetime
    details: dict[str, Any]
    # The earlier records this one may rest on: the parent named, or those of the kind the
    # rule requires to the same subject.
    priors: Sequence[PowerRecord] = ()


def rank_words(rank: str) -> str:
    return rank.replace("_", " ")


def issuer_words(i: Issuer | dict[str, Any]) -> str:
    who = i.who if isinstance(i, Issuer) else i["who"]
    rank = i.min_rank if isinstance(i, Issuer) else i.get("min_rank")
    if who == "police" and rank and rank != "constable":
        return f"a police officer of the rank of {rank_words(rank)} or above"
    return ISSUER_LABELS.get(who, who)


def _matches(i: Issuer | dict[str, Any], who: str, rank: str | None) -> bool:
    iw = i.who if isinstance(i, Issuer) else i["who"]
    need = i.min_rank if isinstance(i, Issuer) else i.get("min_rank")
    if iw != who:
        return False
    if who == "police" and need:
        return rank in RANKS and RANKS.index(rank) >= RANKS.index(need)
    return True


def fmt(at: dt.datetime) -> str:
    return at.strftime("%-d %B %Y %H:%M")


def _period_of(details: dict[str, Any], key: str = "period") -> Period | None:
    text = details.get(key)
    return Period.parse(text, key) if text else None


def _limit(value: str | None) -> Period | None:
    return Period.parse(value) if value else None


def _date(value: Any, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date", {where: "use YYYY-MM-DD"}) from None


def check_issue(table: Table, facts: Facts) -> Plan:
    """May this power be issued now, and what follows: period, deadlines."""
    p = table.power(facts.power)
    on = facts.at.date()
    rule = table.resolve(facts.power, on)
    _in_force(table, p, facts)
    _issuer(p, rule, facts)
    _subject(p, rule, facts)
    _preconditions(p, facts)
    if p.requires_conviction:
        convicted = _date(facts.details.get("conviction_date"), "conviction_date")
        if convicted is None or convicted > on:
            raise Refused(
                f"a {p.name} may be made only on conviction for an offence: "
                "no conviction on or before the order's date is recorded",
                p.requires_conviction["section"],
            )
    parent = _prior(table, p, facts)
    plan = Plan(starts_at=facts.at, ends_at=None, rule=rule, parent=parent)
    _period(table, p, rule, facts, plan)
    _amount(p, rule, facts)
    _deadlines(table, p, rule, facts, plan)
    return plan


def _in_force(table: Table, p: PowerRule, facts: Facts) -> None:
    start = table.power_in_force(facts.power)
    on = facts.at.date()
    if start is None or start > on:
        section = table.file.change(p.change).basis if p.change else p.basis
        when = f"in force from {start:%-d %B %Y}" if start else "not yet commenced"
        raise Refused(f"the {p.name} is not in force on {on:%-d %B %Y} ({when})", section)


def _issuer(p: PowerRule, rule: dict[str, Any], facts: Facts) -> None:
    allowed = rule["issuers"]
    if any(_matches(i, facts.issuer, facts.issuer_rank) for i in allowed):
        return
    who = issuer_words({"who": facts.issuer, "min_rank": None})
    if facts.issuer == "police" and facts.issuer_rank:
        who = f"a police {rank_words(facts.issuer_rank)}"
    may = "; ".join(issuer_words(i) for i in allowed)
    section = next(
        (i["section"] for i in allowed if i["who"] == facts.issuer),
        allowed[0]["section"] if allowed else p.basis,
    )
    raise Refused(f"{who} may not issue a {p.name}; it may be issued by {may}", section)


def _subject(p: PowerRule, rule: dict[str, Any], facts: Facts) -> None:
    kinds = p.subject_types
    if facts.subject_type.value not in kinds:
        to = " or ".join(SUBJECT_LABELS[k] for k in kinds)
        raise Refused(
            f"a {p.name} is given to {to}, not to {SUBJECT_LABELS[facts.subject_type.value]}",
            p.basis,
        )
    age_rule = rule.get("subject_min_age")
    if facts.subject_type is SubjectType.INDIVIDUAL and age_rule:
        n, section = age_rule["value"], age_rule["section"]
        body = " or to a body" if "body" in kinds else ""
        if facts.age is None:
            raise Refused(
                f"the person's date of birth is not known: a {p.name} may be given only to "
                f"someone aged {n} or over{body}",
                section,
            )
        if facts.age < n:
            raise Refused(
                f"the person is {facts.age}: a {p.name} may be given only to someone aged "
                f"{n} or over{body}",
                section,
            )


def _preconditions(p: PowerRule, facts: Facts) -> None:
    confirmed = set(facts.details.get("confirmed") or [])
    needed = list(p.pre)
    if facts.age is not None and facts.age < 18:
        needed += p.pre_under_18
    for pre in needed:
        if pre.id not in confirmed:
            raise Refused(f"not confirmed: {pre.text[0].lower()}{pre.text[1:]}", pre.section)


def _prior(table: Table, p: PowerRule, facts: Facts) -> PowerRecord | None:
    need = p.requires_prior
    if need is None:
        return None
    other = table.power(need.power)
    given = [r for r in facts.priors if r.power == need.power and r.state in _GIVEN]
    if not given and need.active:
        raise Refused(f"a {p.name} needs a {other.name} in force at the time", need.section)
    if not given:
        whom = " to the same person or body" if need.same_subject else ""
        raise Refused(f"a {p.name} needs an earlier {other.name}{whom}", need.section)
    if need.period_expired:
        passed = [r for r in given if r.ends_at is not None and r.ends_at <= facts.at]
        if not passed:
            last = max(r.ends_at or facts.at for r in given)
            raise Refused(
                f"the {other.name}'s time to comply runs until {fmt(last)}: a {p.name} may be "
                "issued only once it has passed and the conduct continues",
                need.section,
            )
        return max(passed, key=lambda r: r.ends_at or facts.at)
    if need.active:
        live = [
            r
            for r in given
            if r.state in _LIVE
            and r.starts_at is not None
            and r.starts_at <= facts.at
            and (r.ends_at is None or facts.at < r.ends_at)
        ]
        if not live:
            raise Refused(f"a {p.name} needs a {other.name} in force at the time", need.section)
        return live[0]
    return max(given, key=lambda r: r.starts_at or facts.at)


def _period(table: Table, p: PowerRule, rule: dict[str, Any], facts: Facts, plan: Plan) -> None:
    at, d = facts.at, facts.details
    if rule.get("compliance_period"):
        cp = rule["compliance_period"]
        period = _period_of(d, "comply_within") or Period.parse(cp["default"])
        plan.ends_at = deadline(at, period)
        return
    dur = rule.get("duration")
    if not dur:
        return
    if p.duration and p.duration.default:
        _closure_notice(p, dur, facts, plan)
        return
    asked = _period_of(d)
    indefinite = bool(d.get("indefinite"))
    if "under_18" in dur or "adult" in dur:
        young = facts.age is not None and facts.age < 18
        limits = dur.get("under_18") if young else dur.get("adult")
        who = "someone under 18" if young else "an adult"
        if limits is None:
            raise Refused(f"a {p.name} cannot be made against {who}", p.basis)
        lo, hi, section = _limit(limits.get("min")), _limit(limits.get("max")), limits["section"]
        if indefinite:
            if hi is not None:
                raise Refused(
                    f"a {p.name} for {who} must have an end: at most {hi.words()}", section
                )
            return
        if asked is None:
            raise InvalidInput(f"say how long the {p.name} lasts", {"period": "e.g. P2Y"})
        end = asked.after(at)
        if lo is not None and end < lo.after(at):
            raise Refused(f"a {p.name} for {who} lasts at least {lo.words()}", section)
        if hi is not None and end > hi.after(at):
            raise Refused(f"a {p.name} for {who} lasts at most {hi.words()}", section)
        plan.ends_at = end
        return
    hi = _limit(dur.get("max"))
    section = dur.get("section") or p.basis
    if asked is None:
        asked = hi
    if asked is None:
        raise InvalidInput(f"say how long the {p.name} lasts", {"period": "e.g. P3M"})
    if hi is not None and asked.after(at) > hi.after(at):
        raise Refused(
            f"a {p.name} may last at most {hi.words()}; {asked.words()} was asked for", section
        )
    plan.ends_at = asked.after(at)
    parent = plan.parent
    if (
        dur.get("within_parent")
        and parent is not None
        and parent.ends_at
        and plan.ends_at > parent.ends_at
    ):
        raise Refused(
            f"the exclusion must end by the end of the "
            f"{table.power(parent.power).name} ({fmt(parent.ends_at)})",
            dur["within_parent"]["section"],
        )


def _closure_notice(p: PowerRule, dur: dict[str, Any], facts: Facts, plan: Plan) -> None:
    short, long = Period.parse(dur["default"]), Period.parse(dur["extended"])
    asked = _period_of(facts.details) or short
    may_long = any(_matches(i, facts.issuer, facts.issuer_rank) for i in dur["long_by"])
    if asked.hours not in (short.hours, long.hours) or not asked.in_hours:
        raise Refused(
            f"a {p.name} lasts {short.words()}, or {long.words()} if so issued or extended",
            dur["section"],
        )
    if asked == long and not may_long:
        by = "; ".join(issuer_words(i) for i in dur["long_by"])
        raise Refused(f"only {by} may issue a {p.name} for {long.words()}", dur["section"])
    plan.ends_at = add_hours(facts.at, asked.hours, dur["exclude_days"])


def _amount(p: PowerRule, rule: dict[str, Any], facts: Facts) -> None:
    if not p.max_amount_gbp:
        return
    top = rule.get("max_amount_gbp")
    amount = facts.details.get("amount_gbp")
    if amount is None:
        raise InvalidInput("say the amount of the fixed penalty", {"amount_gbp": "in pounds"})
    if top is None:
        raise Refused(f"no fixed penalty amount is in force for a {p.name}", p.basis)
    if int(amount) > top["value"] or int(amount) <= 0:
        raise Refused(
            f"the fixed penalty may be at most £{top['value']} on {facts.at:%-d %B %Y}; "
            f"£{amount} was asked for",
            top["section"],
        )


def _deadlines(table: Table, p: PowerRule, rule: dict[str, Any], facts: Facts, plan: Plan) -> None:
    at, out = facts.at, plan.deadlines
    if plan.ends_at is not None:
        if rule.get("compliance_period"):
            out.append(
                DeadlineSpec(
                    "compliance",
                    "Check whether the warning was complied with",
                    plan.ends_at,
                    rule["compliance_period"]["section"],
                    True,
                )
            )
        else:
            section = (rule.get("duration") or {}).get("section") or p.basis
            out.append(DeadlineSpec("expiry", f"The {p.name} ends", plan.ends_at, section, False))
    if p.appeal is not None:
        due = deadline(
            at,
            Period.parse(p.appeal.within),
            beginning_with=p.appeal.beginning_with,
            roll_to_working_day=True,
        )
        label = f"Last day to appeal ({p.appeal.court})" if p.appeal.court else "Last day to appeal"
        out.append(DeadlineSpec("appeal", label, due, p.appeal.section, False))
    hearing = rule.get("hearing")
    if hearing and hearing["within"]:
        due = add_hours(at, Period.parse(hearing["within"]).hours, hearing["exclude_days"])
        out.append(
            DeadlineSpec(
                "hearing",
                "Closure order application to be heard by the magistrates' court",
                due,
                hearing["section"],
                True,
            )
        )
    review = (rule.get("duration") or {}).get("review_at")
    if review:
        out.append(
            DeadlineSpec(
                "review",
                "Review the authorisation",
                add_hours(at, Period.parse(review).hours),
                (rule.get("duration") or {}).get("section") or p.basis,
                True,
            )
        )
    if p.review_under_18 and facts.age is not None and facts.age < 18 and p.review_under_18.every:
        out.append(
            DeadlineSpec(
                "review",
                "Annual review of the order (subject under 18)",
                Period.parse(p.review_under_18.every).after(at),
                p.review_under_18.section,
                True,
            )
        )
    if p.no_proceedings and p.no_proceedings.within:
        out.append(
            DeadlineSpec(
                "payment",
                "No proceedings before this time: the penalty may be paid",
                deadline(at, Period.parse(p.no_proceedings.within)),
                p.no_proceedings.section,
                False,
            )
        )
    if p.conditions:
        _possession(p, facts, plan)
    if facts.power == "CLOSURE_ORDER" and plan.parent is not None:
        _heard_in_time(table, p, facts, plan.parent)


def _possession(p: PowerRule, facts: Facts, plan: Plan) -> None:
    name = facts.details.get("condition")
    cond = p.conditions.get(name or "")
    if cond is None:
        raise InvalidInput(
            "name the condition the notice relies on", {"condition": ", ".join(p.conditions)}
        )
    met = _date(facts.details.get("condition_date"), "condition_date")
    if met is None or met > facts.at.date():
        raise InvalidInput(
            "give the date of the conviction, finding or order", {"condition_date": "YYYY-MM-DD"}
        )
    window = Period.parse(cond.within)
    last = deadline(dt.datetime.combine(met, dt.time()), window)
    if facts.at > last:
        raise Refused(
            f"a notice of seeking possession on this condition must be served within "
            f"{window.words()} of {met:%-d %B %Y} (by {last:%-d %B %Y})",
            cond.section,
        )
    if p.review_request and p.review_request.within:
        plan.deadlines.append(
            DeadlineSpec(
                "review_request",
                "Last day for a secure tenant to request a review",
                deadline(facts.at, Period.parse(p.review_request.within)),
                p.review_request.section,
                False,
            )
        )


def _heard_in_time(table: Table, p: PowerRule, facts: Facts, notice: PowerRecord) -> None:
    due = next((d.due_at for d in notice.deadlines if d.kind == "hearing"), None)
    if due is None or facts.at <= due:
        return
    adj = p.adjournment_max
    adjourned = bool(facts.details.get("adjourned"))
    if adjourned and adj and adj.value:
        latest = Period.parse(adj.value).after(due)
        if facts.at <= latest:
            return
        raise Refused(
            f"an adjourned hearing may be at most {Period.parse(adj.value).words()} after the "
            f"first (by {fmt(latest)})",
            adj.section,
        )
    section = notice.rule.get("hearing", {}).get("section") or p.basis
    raise Refused(
        f"the application had to be heard by {fmt(due)}, within the time after service of "
        "the closure notice (or adjourned)",
        section,
    )


# --- later steps ----------------------------------------------------------------------------


def check_extend(
    table: Table,
    record: PowerRecord,
    *,
    issuer: str,
    issuer_rank: str | None,
    period: Period | None,
    at: dt.datetime,
) -> tuple[dt.datetime, str]:
    """The new end of an extended record and the section allowing it."""
    p = table.power(record.power)
    start, end = record.starts_at, record.ends_at
    if start is None or end is None:
        raise Refused(f"a {p.name} without an end cannot be extended", p.basis)
    if at >= end:
        raise Refused(f"the {p.name} ended at {fmt(end)}: it can no longer be extended", p.basis)
    dur = record.rule.get("duration") or {}
    if p.duration and p.duration.default:
        long = Period.parse(dur["extended"])
        if not any(_matches(i, issuer, issuer_rank) for i in dur["long_by"]):
            by = "; ".join(issuer_words(i) for i in dur["long_by"])
            raise Refused(f"only {by} may extend a {p.name} to {long.words()}", dur["section"])
        if record.details.get("period") == long.iso or end >= add_hours(
            start, long.hours, dur["exclude_days"]
        ):
            raise Refused(f"a {p.name} lasts at most {long.words()}", dur["section"])
        return add_hours(start, long.hours, dur["exclude_days"]), dur["section"]
    ext = p.extension
    if ext is None:
        raise Refused(f"a {p.name} cannot be extended", p.basis)
    each = Period.parse(ext.each_max)
    if period is None:
        raise InvalidInput("say how long the extension is", {"period": f"at most {each.iso}"})
    if period.after(end) > each.after(end):
        raise Refused(f"each extension of a {p.name} is at most {each.words()}", ext.section)
    new_end = period.after(end)
    if ext.total_max and new_end > Period.parse(ext.total_max).after(start):
        raise Refused(
            f"a {p.name} may be in force for at most "
            f"{Period.parse(ext.total_max).words()} in total",
            ext.section,
        )
    return new_end, ext.section


def check_appeal(table: Table, record: PowerRecord, at: dt.datetime) -> None:
    p = table.power(record.power)
    if p.appeal is None:
        raise Refused(f"there is no appeal against a {p.name}", p.basis)
    due = next((d.due_at for d in record.deadlines if d.kind == "appeal"), None)
    if due is not None and at > due:
        raise Refused(
            f"the time to appeal ended on {due:%-d %B %Y}: an appeal must be made within "
            f"{Period.parse(p.appeal.within).words()} of the {p.name} being issued",
            p.appeal.section,
        )


def check_arrest(table: Table, record: PowerRecord, at: dt.datetime) -> DeadlineSpec:
    p = table.power(record.power)
    if p.arrest is None:
        raise Refused(f"there is no power of arrest for a breach of a {p.name}", p.basis)
    if not record.details.get("power_of_arrest"):
        raise Refused("no power of arrest is attached to this injunction", "ASBCPA 2014 s.4(1)")
    due = add_hours(at, Period.parse(p.arrest.within).hours, p.arrest.exclude_days)
    return DeadlineSpec(
        "before_judge",
        "Bring the arrested person before a judge",
        due,
        p.arrest.section,
        True,
    )


def check_expire(table: Table, record: PowerRecord, at: dt.datetime) -> None:
    p = table.power(record.power)
    if record.ends_at is None:
        raise Refused(f"this {p.name} has no end date: it ends only by discharge", p.basis)
    if at < record.ends_at:
        raise Refused(f"the {p.name} runs until {fmt(record.ends_at)}", p.basis)
