"""The ``asbhub`` command: a Typer root to which each capability adds its commands."""

from __future__ import annotations

import typer

from asbhub.analytics.cli import register as register_analytics
from asbhub.audit.cli import app as audit_app
from asbhub.casereviews.cli import app as case_reviews_app
from asbhub.casework.cli import agencies_app
from asbhub.generate.cli import app as generate_app
from asbhub.generate.truth import evaluate as evaluate_recording
from asbhub.hotspots.cli import app as hotspots_app
from asbhub.ingest.cli import app as ingest_app
from asbhub.powers.cli import orders_app, powers_app
from asbhub.provision.cli import db_app, demo_cmd
from asbhub.recording.cli import recording_command
from asbhub.retention.cli import retention_app
from asbhub.triage.cli import app as triage_app
from asbhub.web.cli import register as register_web
from asbhub.web.cli import register_report

app = typer.Typer(
    help="asbhub: anti-social behaviour incidents, casework and analysis for a force and partners.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(hotspots_app, name="hotspots")
app.add_typer(triage_app, name="triage")
# The recording audit sits beside verify and checkpoint; its evaluation against generated
# truth is handed in here, so the audit package itself never imports the truth.
audit_app.command("recording")(recording_command(evaluate_recording))
app.add_typer(audit_app, name="audit")
app.add_typer(case_reviews_app, name="case-reviews")
app.add_typer(powers_app, name="powers")
app.add_typer(orders_app, name="orders")
app.add_typer(agencies_app, name="agencies")
app.add_typer(retention_app, name="retention")
app.add_typer(generate_app)  # adds the top-level ``generate`` command
app.command("demo")(demo_cmd)
register_web(app)  # adds ``serve`` and ``users``
register_analytics(app)  # adds ``kpi`` and ``msg``
register_report(app)  # adds ``report board``


if __name__ == "__main__":
    app()
