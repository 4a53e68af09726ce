"""Statutory powers screens: the powers of a person or on a case, drafting and issuing one, its
life and letters, the deadlines due and overdue, and the rules table (editable by an
administrator)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from asbhub.errors import InvalidInput
from asbhub.incidents.schemas import MAX_ID
from asbhub.permissions import Action, Actor
from asbhub.powers import rules, service
from asbhub.powers.guards import ISSUER_LABELS, SUBJECT_LABELS, issuer_words
from asbhub.powers.lifecycle import EVENT_LABELS, Event, Refused, allowed_events
from asbhub.powers.rules import RANKS, RulesFile
from asbhub.powers.schemas import DraftIn
from asbhub.web.deps import DbSession, require_action
from asbhub.web.letters import render_letter, render_pdf
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
STATE_FILTERS = [
    ("", "All powers"),
    ("draft", "Drafts"),
    ("in_force", "Powers in force"),
    ("ended", "Ended powers"),
]
UNITS = {"hours": "PT{}H", "days": "P{}D", "weeks": "P{}W", "months": "P{}M", "years": "P{}Y"}


def file_of(request: Request) -> RulesFile:
    """The rules file the app's settings name (the packaged one unless a force's own)."""
    return rules.load(request.app.state.settings.powers_rules_dir or None)


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    raw = await request.form()
    values = {k: v.strip() for k, v in raw.items() if isinstance(v, str)}
    confirmed = [v for v in raw.getlist("confirmed") if isinstance(v, str)]
    return values, confirmed


def _period(values: dict[str, str], prefix: str = "period") -> str | None:
    n, unit = values.get(f"{prefix}_n", ""), values.get(f"{prefix}_unit", "")
    if not n:
        return None
    if not n.isdigit() or int(n) < 1 or unit not in UNITS:
        raise InvalidInput("the period is not valid", {prefix: "a whole number and a unit"})
    return UNITS[unit].format(int(n))


def _when(values: dict[str, str], prefix: str = "at") -> dt.datetime:
    day, time = values.get(f"{prefix}_date", ""), values.get(f"{prefix}_time", "") or "09:00"
    try:
        return dt.datetime.fromisoformat(f"{day}T{time}")
    except ValueError:
        raise InvalidInput(
            "the date or time is not valid", {prefix: "a date (YYYY-MM-DD) and a time (HH:MM)"}
        ) from None


def _day(values: dict[str, str], name: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(values.get(name, ""))
    except ValueError:
        raise InvalidInput("the date is not valid", {where: "a date, YYYY-MM-DD"}) from None


def _draft_in(values: dict[str, str], confirmed: list[str]) -> DraftIn:
    data: dict[str, Any] = {
        k: values[k]
        for k in (
            "power",
            "subject_type",
            "person_id",
            "body_name",
            "place_text",
            "parent_id",
            "case_id",
            "issuer",
            "issuer_rank",
            "issuer_name",
            "terms",
            "amount_gbp",
            "conviction_date",
            "condition",
            "condition_date",
        )
        if values.get(k)
    }
    data["period"] = _period(values)
    comply = values.get("comply_days", "")
    if comply:
        if not comply.isdigit() or int(comply) < 1:
            raise InvalidInput("the time to comply is not valid", {"comply_days": "whole days"})
        data["comply_within"] = f"P{int(comply)}D"
    for flag in ("indefinite", "power_of_arrest", "adjourned"):
        data[flag] = values.get(flag) == "yes"
    data["confirmed"] = confirmed
    try:
        return DraftIn.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        fields = {".".join(map(str, e["loc"])) or "form": e["msg"] for e in exc.errors()}
        raise InvalidInput("Some of the values are not valid.", fields) from None


def _form_ctx(
    request: Request,
    session: Session,
    actor: Actor,
    power: str,
    person_id: int | None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    case_id: int | None = None,
) -> dict[str, Any]:
    file = file_of(request)
    table = service.rules_table(session, actor=actor, file=file)
    p = table.power(power)
    person = (
        service.for_person(session, actor=actor, person_id=person_id).person
        if person_id is not None
        else None
    )
    return {
        "power_id": power,
        "p": p,
        "powers": [(k, v.name) for k, v in file.powers.items()],
        "person": person,
        "case_id": case_id,
        "issuers": [
            (i.who, issuer_words(i), table.commenced(i.change) if i.change else None, i.change)
            for i in p.issuers
        ],
        "ranks": RANKS,
        "subject_labels": SUBJECT_LABELS,
        "candidates": service.candidates(
            session, actor=actor, file=file, power=power, person_id=person_id
        ),
        "values": values or {},
        "errors": errors or {},
        "units": list(UNITS),
        "today": dt.date.today().isoformat(),
    }


@router.get("/people/{person_id}/powers")
def person_powers(
    request: Request,
    session: DbSession,
    person_id: Id,
    actor: Actor = require_action(Action.POWER_VIEW),
) -> Response:
    found = service.for_person(session, actor=actor, person_id=person_id)
    file = file_of(request)
    ctx = {
        "person": found.person,
        "records": found.records,
        "names": {k: v.name for k, v in file.powers.items()},
        "powers": [(k, v.name) for k, v in file.powers.items() if "individual" in v.subject_types],
    }
    return render(request, "powers/person.html", ctx)


@router.get("/cases/{case_id}/powers")
def case_powers(
    request: Request,
    session: DbSession,
    case_id: Id,
    state: Annotated[str, Query(max_length=20, pattern=r"^(draft|in_force|ended)?$")] = "",
    actor: Actor = require_action(Action.POWER_VIEW),
) -> Response:
    found = service.for_case(session, actor=actor, case_id=case_id, state=state or None)
    file = file_of(request)
    ctx = {
        "c": found,
        "state": state,
        "filters": STATE_FILTERS,
        "names": {k: v.name for k, v in file.powers.items()},
        "powers": [(k, v.name) for k, v in file.powers.items()],
        "subject": lambda r: service.subject_words(r, names=found.names),
    }
    return render(request, "powers/case.html", ctx, partial="powers/_case_rows.html")


def _id_or_none(value: str | None, name: str) -> int | None:
    if not value:
        return None
    if int(value) > MAX_ID:
        raise InvalidInput("the id is not valid", {name: f"at most {MAX_ID}"})
    return int(value)


# An optional id: a form's "none of these" radio sends it empty.
OptionalId = Annotated[str | None, Query(max_length=10, pattern=r"^[1-9][0-9]*$|^$")]


@router.get("/powers/new")
def new_power(
    request: Request,
    session: DbSession,
    power: Annotated[str, Query(max_length=40, pattern=r"^[A-Z0-9_]+$")] = "CPW",
    person_id: OptionalId = None,
    case_id: OptionalId = None,
    actor: Actor = require_action(Action.POWER_RECORD),
) -> Response:
    ctx = _form_ctx(
        request,
        session,
        actor,
        power,
        _id_or_none(person_id, "person_id"),
        case_id=_id_or_none(case_id, "case_id"),
    )
    return render(request, "powers/new.html", ctx)


@router.post("/powers/new")
async def create_power(
    request: Request,
    session: DbSession,
    actor: Actor = require_action(Action.POWER_RECORD),
) -> Response:
    values, confirmed = await _form(request)
    person_id = int(values["person_id"]) if values.get("person_id", "").isdigit() else None
    case_id = int(values["case_id"]) if values.get("case_id", "").isdigit() else None
    power = values.get("power", "")
    try:
        rec = service.draft(
            session, actor=actor, file=file_of(request), data=_draft_in(values, confirmed)
        )
    except InvalidInput as exc:
        if power not in file_of(request).powers:
            raise
        ctx = _form_ctx(
            request,
            session,
            actor,
            power,
            person_id,
            values,
            exc.fields or {"form": exc.message},
            case_id=case_id,
        )
        ctx["values_confirmed"] = confirmed
        return render(request, "powers/new.html", ctx, status_code=422)
    return RedirectResponse(f"/powers/{rec.id}", status_code=303)


@router.get("/powers/deadlines")
def deadlines(
    request: Request,
    session: DbSession,
    mine: Annotated[bool, Query()] = False,
    actor: Actor = require_action(Action.POWER_DEADLINES),
) -> Response:
    rows = service.deadlines_due(session, actor=actor, file=file_of(request), mine=mine)
    names = {k: v.name for k, v in file_of(request).powers.items()}
    reminders = service.reminders_for(session, actor=actor)
    return render(
        request,
        "powers/deadlines.html",
        {"rows": rows, "mine": mine, "names": names, "reminders": reminders},
    )


def _rules_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    file = file_of(request)
    table = service.rules_table(session, actor=actor, file=file)
    today = dt.date.today()
    ctx = {
        "table": table,
        "file": file,
        "today": today,
        "resolved": {pid: table.resolve(pid, today) for pid in file.powers},
        "changes": table.changes_state(),
        "config": [(k, v, table.setting(k, today)) for k, v in file.config.items()],
        "history": service.settings_history(session, actor=actor),
        "issuer_words": issuer_words,
        "subject_labels": SUBJECT_LABELS,
        "errors": errors or {},
    }
    return render(request, "powers/rules.html", ctx, status_code=status_code)


@router.get("/powers/rules")
def rules_page(
    request: Request, session: DbSession, actor: Actor = require_action(Action.POWER_RULES_VIEW)
) -> Response:
    return _rules_page(request, session, actor)


@router.post("/powers/rules/changes/{change_id}")
async def set_change(
    request: Request,
    session: DbSession,
    change_id: Annotated[str, Path(max_length=60, pattern=r"^[a-z0-9_]+$")],
    actor: Actor = require_action(Action.POWER_RULES_EDIT),
) -> Response:
    values, _ = await _form(request)
    try:
        on = None if values.get("switch") == "off" else _day(values, "in_force", change_id)
        service.set_commencement(
            session,
            actor=actor,
            file=file_of(request),
            change_id=change_id,
            in_force=on,
            reason=values.get("reason", ""),
        )
    except InvalidInput as exc:
        return _rules_page(
            request, session, actor, errors={change_id: exc.message}, status_code=422
        )
    return RedirectResponse("/powers/rules?done=change", status_code=303)


@router.post("/powers/rules/config/{key}")
async def set_config(
    request: Request,
    session: DbSession,
    key: Annotated[str, Path(max_length=60, pattern=r"^[a-z0-9_]+$")],
    actor: Actor = require_action(Action.POWER_RULES_EDIT),
) -> Response:
    values, _ = await _form(request)
    try:
        raw = values.get("value", "")
        if not raw.lstrip("-").isdigit():
            raise InvalidInput("the value is not a whole number", {key: "a whole number"})
        on = _day(values, "effective_from", key)
        service.set_config(
            session,
            actor=actor,
            file=file_of(request),
            key=key,
            value=int(raw),
            effective_from=on,
            reason=values.get("reason", ""),
        )
    except InvalidInput as exc:
        return _rules_page(request, session, actor, errors={key: exc.message}, status_code=422)
    return RedirectResponse("/powers/rules?done=config", status_code=303)


def _record_page(
    request: Request,
    session: Session,
    actor: Actor,
    record_id: int,
    *,
    refusal: Refused | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rec = service.get_record(session, actor=actor, record_id=record_id)
    file = file_of(request)
    table = service.table(session, file=file, force_code=rec.force_code)
    p = table.power(rec.power)
    events = [e for e in allowed_events(rec.state) if e is not Event.ISSUE]
    ctx = {
        "r": rec,
        "p": p,
        "rule": rec.rule or table.resolve(rec.power, dt.date.today()),
        "issuer_labels": ISSUER_LABELS,
        "issuer": issuer_words({"who": rec.issuer, "min_rank": rec.issuer_rank})
        if rec.issuer != "police"
        else f"police {(rec.issuer_rank or '').replace('_', ' ')}",
        "events": [(e.value, EVENT_LABELS[e]) for e in events],
        "can_issue": rec.state.value == "draft",
        "letter": service.LETTER_KINDS.get(rec.power),
        "can_letter": rec.power in service.LETTER_KINDS
        and (rec.state.value != "draft" or rec.power == "RESPECT_ORDER"),
        "refusal": refusal,
        "errors": errors or {},
        "ranks": RANKS,
        "units": list(UNITS),
        "now": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "subject": service.subject_words(rec),
    }
    return render(request, "powers/record.html", ctx, status_code=status_code)


@router.get("/powers/{record_id}")
def power_page(
    request: Request,
    session: DbSession,
    record_id: Id,
    actor: Actor = require_action(Action.POWER_VIEW),
) -> Response:
    return _record_page(request, session, actor, record_id)


@router.post("/powers/{record_id}/issue")
async def issue_power(
    request: Request,
    session: DbSession,
    record_id: Id,
    actor: Actor = require_action(Action.POWER_RECORD),
) -> Response:
    values, _ = await _form(request)
    try:
        service.issue(
            session, actor=actor, file=file_of(request), record_id=record_id, at=_when(values)
        )
    except Refused as exc:
        # The rules said no: the page again with the reason and the section (nothing written).
        return _record_page(request, session, actor, record_id, refusal=exc, status_code=409)
    except InvalidInput as exc:
        return _record_page(request, session, actor, record_id, errors=exc.fields, status_code=422)
    return RedirectResponse(f"/powers/{record_id}?done=issued", status_code=303)


@router.post("/powers/{record_id}/steps")
async def power_step(
    request: Request,
    session: DbSession,
    record_id: Id,
    actor: Actor = require_action(Action.POWER_RECORD),
) -> Response:
    values, _ = await _form(request)
    try:
        try:
            event = Event(values.get("event", ""))
        except ValueError:
            raise InvalidInput("choose a step", {"event": "one of the steps listed"}) from None
        service.transition(
            session,
            actor=actor,
            file=file_of(request),
            record_id=record_id,
            event=event,
            at=_when(values, "step"),
            reason=values.get("reason") or None,
            period=_period(values),
            issuer=values.get("issuer") or None,
            issuer_rank=values.get("issuer_rank") or None,
        )
    except Refused as exc:
        return _record_page(request, session, actor, record_id, refusal=exc, status_code=409)
    except InvalidInput as exc:
        return _record_page(request, session, actor, record_id, errors=exc.fields, status_code=422)
    return RedirectResponse(f"/powers/{record_id}?done=step", status_code=303)


@router.post("/powers/{record_id}/letters")
def issue_letter(
    request: Request,
    session: DbSession,
    record_id: Id,
    actor: Actor = require_action(Action.POWER_RECORD),
) -> Response:
    rec = service.get_record(session, actor=actor, record_id=record_id)
    file = file_of(request)
    rule = rec.rule or service.table(session, file=file, force_code=rec.force_code).resolve(
        rec.power, dt.date.today()
    )
    html = render_letter(rec, advice=file.advice, rule=rule)
    letter = service.store_letter(
        session, actor=actor, record_id=record_id, html=html, pdf=render_pdf(html)
    )
    return RedirectResponse(f"/powers/{record_id}?done=letter#letter-{letter.id}", status_code=303)


@router.get("/powers/letters/{letter_id}.pdf")
def letter_pdf(
    session: DbSession, letter_id: Id, actor: Actor = require_action(Action.POWER_VIEW)
) -> Response:
    letter = service.get_letter(session, actor=actor, letter_id=letter_id)
    name = f"{letter.kind.lower()}-{letter.record_id}-{letter.id}.pdf"
    return Response(
        letter.pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/powers/letters/{letter_id}.html")
def letter_html(
    session: DbSession, letter_id: Id, actor: Actor = require_action(Action.POWER_VIEW)
) -> Response:
    letter = service.get_letter(session, actor=actor, letter_id=letter_id)
    return Response(letter.html, media_type="text/html; charset=utf-8")
