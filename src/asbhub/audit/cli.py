"""``asbhub audit``: check the trail against its checkpoints, and write a checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from asbhub.clikit import DbOption, JsonOption, console, database_url, domain_errors, print_json
from asbhub.errors import InvalidInput

app = typer.Typer(help="The audit trail: verify it, anchor its tail.", no_args_is_help=True)

CheckpointsOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        help="Checkpoint file (default: ASBHUB_AUDIT_CHECKPOINT_PATH, else beside the SQLite "
        "file).",
        show_default=False,
    ),
]


def _path(db: str | None, checkpoints: Path | None) -> Path:
    from asbhub.audit.service import default_checkpoint_path
    from asbhub.config import get_settings

    configured = get_settings().audit_checkpoint_path
    path = checkpoints or (Path(configured) if configured else None)
    path = path or default_checkpoint_path(database_url(db))
    if path is None:
        raise InvalidInput(
            "no checkpoint file for this database",
            {"--checkpoints": "name one, or set ASBHUB_AUDIT_CHECKPOINT_PATH"},
        )
    return path


@app.command("verify")
def verify_(
    db: DbOption = None, checkpoints: CheckpointsOption = None, json_out: JsonOption = False
) -> None:
    """Recompute the hash chain and compare it with every checkpoint; exit 1 if broken,
    altered or cut short."""
    from asbhub.audit.service import verify_anchored
    from asbhub.clikit import engine_for
    from asbhub.config import get_settings
    from asbhub.store.engine import session_scope

    with domain_errors():
        path = _path(db, checkpoints)
        with session_scope(engine_for(db)) as session:
            check = verify_anchored(session, secret=get_settings().secret_key, path=path)
    latest = check.latest
    out = {
        "intact": check.intact,
        "events": check.chain.events,
        "first_broken_seq": check.chain.first_broken_seq,
        "checkpoints": check.checkpoints,
        "latest_checkpoint": None
        if latest is None
        else {"seq": latest.seq, "written_at": latest.written_at},
        "problem": check.problem,
    }
    if json_out:
        print_json(out)
    elif check.intact:
        where = f"checkpoint seq {latest.seq} of {latest.written_at}" if latest else "none yet"
        console.print(f"audit trail intact: {out['events']} events; latest {where}")
    else:
        console.print(f"[red]audit trail NOT intact:[/red] events {out['events']}")
        if check.chain.first_broken_seq is not None:
            console.print(f"  the chain breaks at seq {check.chain.first_broken_seq}")
        if check.problem:
            console.print(f"  {check.problem}")
    if not check.intact:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint(
    db: DbOption = None, checkpoints: CheckpointsOption = None, json_out: JsonOption = False
) -> None:
    """Append a keyed checkpoint of the latest event (the app also writes one on a schedule
    and on shutdown; run this from cron for a CLI-only deployment)."""
    from asbhub.audit.service import write_checkpoint
    from asbhub.clikit import engine_for
    from asbhub.config import get_settings
    from asbhub.store.engine import session_scope

    with domain_errors():
        path = _path(db, checkpoints)
        with session_scope(engine_for(db)) as session:
            point = write_checkpoint(session, secret=get_settings().secret_key, path=path)
    out = None if point is None else {"seq": point.seq, "written_at": point.written_at}
    if json_out:
        print_json({"checkpoint": out, "path": str(path)})
    else:
        console.print(f"checkpoint {out} written to {path}" if out else "the log is empty")
