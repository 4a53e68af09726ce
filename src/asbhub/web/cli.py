"""``asbhub serve`` and ``asbhub users``."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from typing import Any

import typer
import uvicorn
from sqlalchemy import Engine

from asbhub.clikit import DbOption, JsonOption, console, database_url, domain_errors, print_json
from asbhub.config import DEFAULT_SECRET, get_settings
from asbhub.errors import InvalidInput
from asbhub.web.security import uvicorn_log_config

users_app = typer.Typer(
    help="Local accounts: add and list users, reset a second factor.", no_args_is_help=True
)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_demo_accounts(engine: Engine, host: str) -> None:
    """Whatever the secret, the published demo password must not face a network."""
    from asbhub.provision.demo import demo_accounts_left
    from asbhub.store.engine import session_scope

    with session_scope(engine) as session:
        left = demo_accounts_left(session)
    if left:
        raise InvalidInput(
            f"refusing to serve on {host}: demo accounts sign in with the published password",
            {"users": ", ".join(left) + ": remove them or change their passwords"},
        )


def register(root: typer.Typer) -> None:
    @root.command("serve")
    def serve(
        db: DbOption = None,
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        workers: int = typer.Option(
            1, "--workers", min=1, max=64, help="Worker processes serving the one app."
        ),
    ) -> None:
        """Serve the web app from one or more worker processes (refuses the default secret key
        outside development mode). Workers share nothing but the database: live chat, rate
        limits and sessions work across them (docs/operations.md)."""
        from asbhub.web.app import create_app, load_settings

        with domain_errors():
            settings = load_settings()
            if settings.secret_key == DEFAULT_SECRET and not _loopback(host):
                # Development mode's known secret (and the demo sign-ins) must not face a network.
                raise InvalidInput(
                    f"refusing to serve on {host} with the default secret key",
                    {"ASBHUB_SECRET_KEY": "set a secret, or serve on 127.0.0.1 / ::1"},
                )
            url = database_url(db)
            app = create_app(url, settings=settings)
            if not _loopback(host):
                _refuse_demo_accounts(app.state.engine, host)
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "proxy_headers": False,
            "log_config": uvicorn_log_config(),
        }
        if workers == 1:
            uvicorn.run(app, **options)
            return
        # Each worker builds its own app (and engine) from the environment: checked once here.
        app.state.engine.dispose()
        os.environ["ASBHUB_DATABASE_URL"] = url
        uvicorn.run(
            "asbhub.web.app:app_from_environment",
            factory=True,
            workers=workers,
            # A worker importing the app on a busy machine takes longer than uvicorn's 5 s
            # default to answer its first health check, and would be killed and restarted.
            timeout_worker_healthcheck=60,
            **options,
        )

    root.add_typer(users_app, name="users")


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="User name used to sign in."),
    role: str = typer.Option(..., "--role", help="call_handler, officer, asb_officer, ..."),
    agency: str | None = typer.Option(None, "--agency", help="Agency code (partners only)."),
    display_name: str | None = typer.Option(None, "--display-name", help="Name shown on screen."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a local account (argon2-hashed password)."""
    from asbhub.auth.service import add_user
    from asbhub.clikit import engine_for
    from asbhub.store.engine import session_scope

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with domain_errors(), session_scope(engine_for(db)) as session:
        user = add_user(
            session,
            username=name,
            password=password,
            role=role,
            display_name=display_name,
            agency_code=agency,
            force_code=get_settings().default_force,
        )
        out = {"id": user.id, "username": user.username, "role": user.role, "agency": agency}
    if json_out:
        print_json(out)
    else:
        console.print(f"added {out['username']} ({out['role']}) with id {out['id']}")


@users_app.command("list")
def list_(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the local accounts."""
    from asbhub.auth.service import list_users
    from asbhub.clikit import engine_for
    from asbhub.store.engine import session_scope

    with session_scope(engine_for(db)) as session:
        rows = [
            {
                "id": u.id,
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "agency": u.agency_code,
                "locked_until": u.locked_until.isoformat() if u.locked_until else None,
            }
            for u in list_users(session)
        ]
    if json_out:
        print_json({"users": rows})
        return
    for r in rows:
        console.print(f"{r['id']:>4}  {r['username']:<20} {r['role']:<13} {r['agency'] or ''}")


@users_app.command("reset-second-factor")
def reset_second_factor(
    name: str = typer.Argument(..., help="User name of the account."),
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Remove the second factor and recovery codes of an account and end its sessions; it sets
    up a new one at its next sign-in (for an administrator who lost their phone; audited)."""
    from asbhub.auth.second_factor import reset_from_command
    from asbhub.clikit import engine_for
    from asbhub.store.engine import session_scope

    with domain_errors(), session_scope(engine_for(db)) as session:
        user = reset_from_command(session, username=name, force_code=get_settings().default_force)
        out = {"id": user.id, "username": user.username, "second_factor": None}
    if json_out:
        print_json(out)
    else:
        console.print(f"{out['username']}: second factor removed; set up again at next sign-in")


@users_app.command("agencies")
def agencies_(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the partner agencies a partner account can belong to."""
    from asbhub.agencies.service import list_agencies
    from asbhub.clikit import engine_for
    from asbhub.store.engine import session_scope

    with session_scope(engine_for(db)) as session:
        found = list_agencies(session, force_code=get_settings().default_force, partners_only=True)
        rows = [{"code": a.code, "name": a.name} for a in found]
    if json_out:
        print_json({"agencies": rows})
        return
    for r in rows:
        console.print(f"{r['code']:<28} {r['name']}")


report_app = typer.Typer(help="Reports for the board.", no_args_is_help=True)


def register_report(root: typer.Typer) -> None:
    root.add_typer(report_app, name="report")

    @report_app.command("board")
    def board(
        period_end: str = typer.Option(..., "--period-end", help="Last day, YYYY-MM-DD."),
        out: Path = typer.Option(..., "--out", help="FILE.html or FILE.pdf."),
        force: str = typer.Option("essex", "--force", help="Force code."),
        msg_source: list[Path] | None = typer.Option(
            None, "--msg-source", help="data.police.uk files for the MSG table (else the store)."
        ),
        msg_from: str | None = typer.Option(None, "--msg-from", help="MSG first month, YYYY-MM."),
        msg_to: str | None = typer.Option(None, "--msg-to", help="MSG last month, YYYY-MM."),
        channels_to: str | None = typer.Option(
            None, "--channels-to", help="Last day of the channel counts (default --period-end)."
        ),
        also: Path | None = typer.Option(
            None, "--also", help="CSV key,value,place of figures stated elsewhere: must agree."
        ),
        db: DbOption = None,
    ) -> None:
        """Regenerate the board's ASB data update as HTML or PDF; refuses contradictions."""
        from rich.progress import BarColumn, Progress, TextColumn

        from asbhub.analytics.cli import parse_day
        from asbhub.clikit import engine_for, err_console
        from asbhub.permissions import cli_actor
        from asbhub.report.board import STEPS, build, read_claims
        from asbhub.store.engine import session_scope
        from asbhub.web.board import render_html, render_pdf

        with domain_errors():
            if out.suffix.lower() not in (".html", ".pdf"):
                raise InvalidInput("unknown output format", {"--out": "FILE.html or FILE.pdf"})
            end = parse_day(period_end, "--period-end")
            ch_end = parse_day(channels_to, "--channels-to") if channels_to else None
            claims = read_claims(also) if also else []
            actor = cli_actor(force)
            engine = engine_for(db)
            progress = Progress(
                TextColumn("{task.description}"), BarColumn(), console=err_console, transient=True
            )
            try:
                with progress, session_scope(engine) as session:
                    task = progress.add_task("board report", total=len(STEPS) + 1)

                    def step(name: str) -> None:
                        progress.update(task, advance=1, description=f"board report: {name}")

                    report = build(
                        session,
                        actor=actor,
                        period_end=end,
                        msg_paths=msg_source or None,
                        msg_from=msg_from,
                        msg_to=msg_to,
                        channels_to=ch_end,
                        claims=claims,
                        step=step,
                    )
                    step("writing")
                    data = (
                        render_pdf(report)
                        if out.suffix.lower() == ".pdf"
                        else render_html(report).encode("utf-8")
                    )
            finally:
                engine.dispose()
            # Written only once every figure agreed: a refused report leaves no file behind.
            out.write_bytes(data)
        console.print(f"wrote {out} ({len(data):,} bytes, {len(report['provenance'])} figures)")
