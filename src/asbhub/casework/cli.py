"""``asbhub agencies``: the agencies of a force and the sharing agreements between them.

The commands live here, not in ``asbhub.agencies``, because they act as an account
(``asbhub.auth``), and building an account's actor reads its agency: ``agencies`` cannot import
``auth`` back. Casework sits above both."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from asbhub.agencies import service
from asbhub.auth.models import User
from asbhub.auth.service import actor_for
from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.config import get_settings
from asbhub.errors import InvalidInput
from asbhub.permissions import Actor
from asbhub.store.engine import session_scope

agencies_app = typer.Typer(
    help="Agencies and information sharing agreements.", no_args_is_help=True
)

UserOption = Annotated[
    str, typer.Option("--user", help="The account that acts (audited; needs the grant).")
]


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} is not a date", {option: "expected YYYY-MM-DD"}) from None


def _actor(session: Session, user: str) -> Actor:
    account = session.scalar(select(User).where(User.username == user, User.active.is_(True)))
    if account is None:
        raise InvalidInput(f"no active account {user!r}", {"--user": "not an active account"})
    return actor_for(account, settings=get_settings(), channel="cli")


@agencies_app.command("list")
def list_cmd(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the force's agencies with their kind and areas."""
    with domain_errors(), session_scope(engine_for(db)) as session:
        found = service.list_agencies(session, force_code=get_settings().default_force)
    rows = [
        {
            "code": a.code,
            "name": a.name,
            "kind": a.kind.value,
            "local_authorities": None
            if a.local_authority_codes is None
            else sorted(a.local_authority_codes),
        }
        for a in found
    ]
    if json_out:
        print_json({"agencies": rows})
        return
    for r in rows:
        areas = "whole force" if r["local_authorities"] is None else len(r["local_authorities"])
        console.print(f"{r['code']:<28} {r['kind']:<16} {areas!s:<12} {r['name']}")


@agencies_app.command("agreements")
def agreements_cmd(user: UserOption, db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the information sharing agreements, with their parties and classes."""
    with domain_errors(), session_scope(engine_for(db)) as session:
        actor = _actor(session, user)
        found = service.list_agreements(session, actor=actor)
    rows: list[dict[str, Any]] = [
        {
            "reference": g.reference,
            "parties": sorted(g.parties),
            "data_classes": sorted(c.value for c in g.data_classes),
            "lawful_basis": g.lawful_basis,
            "starts_on": g.starts_on.isoformat(),
            "ends_on": g.ends_on.isoformat() if g.ends_on else None,
            "review_on": g.review_on.isoformat() if g.review_on else None,
        }
        for g in found
    ]
    if json_out:
        print_json({"agreements": rows})
        return
    for r in rows:
        console.print(
            f"{r['reference']:<22} {r['starts_on']}..{r['ends_on'] or ''}  "
            f"{len(r['parties'])} parties  {', '.join(r['data_classes'])}"
        )


@agencies_app.command("add-agreement")
def add_agreement_cmd(
    user: UserOption,
    reference: Annotated[str, typer.Option("--reference", help="The agreement's ISA id.")],
    title: Annotated[str, typer.Option("--title", help="Its title.")],
    purpose: Annotated[str, typer.Option("--purpose", help="What the sharing is for.")],
    lawful_basis: Annotated[
        str, typer.Option("--lawful-basis", help=f"One of: {', '.join(service.LAWFUL_BASES)}.")
    ],
    data_class: Annotated[
        list[str], typer.Option("--class", help="A class of data it covers (repeat).")
    ],
    party: Annotated[list[str], typer.Option("--party", help="An agency code (repeat).")],
    starts_on: Annotated[str, typer.Option("--from", help="First day in force (YYYY-MM-DD).")],
    ends_on: Annotated[
        str | None, typer.Option("--to", help="Last day in force (YYYY-MM-DD).")
    ] = None,
    review_on: Annotated[
        str | None, typer.Option("--review", help="Review date (YYYY-MM-DD).")
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Record an information sharing agreement between two or more agencies."""
    with domain_errors(), session_scope(engine_for(db)) as session:
        actor = _actor(session, user)
        start = _day(starts_on, "--from")
        assert start is not None
        g = service.add_agreement(
            session,
            actor=actor,
            reference=reference,
            title=title,
            purpose=purpose,
            lawful_basis=lawful_basis,
            data_classes=data_class,
            parties=party,
            starts_on=start,
            ends_on=_day(ends_on, "--to"),
            review_on=_day(review_on, "--review"),
        )
    out = {"reference": g.reference, "parties": sorted(g.parties)}
    if json_out:
        print_json(out)
    else:
        console.print(f"recorded {g.reference} between {', '.join(sorted(g.parties))}")
