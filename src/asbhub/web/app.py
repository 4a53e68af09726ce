"""FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from asbhub.config import get_settings
from asbhub.store.engine import make_engine, session_scope
from asbhub.store.models import Incident


def create_app(database_url: str | None = None) -> FastAPI:
    settings = get_settings()
    engine = make_engine(database_url or settings.database_url)
    app = FastAPI(title="asbhub")

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        with session_scope(engine) as s:
            month = func.strftime("%Y-%m", Incident.received_at)
            rows = s.execute(
                select(month, Incident.district, func.count())
                .group_by(month, Incident.district)
                .order_by(month)
            ).all()
        body = "".join(f"<tr><td>{m}</td><td>{d}</td><td>{n}</td></tr>" for m, d, n in rows)
        return f"<h1>asbhub</h1><table>{body}</table>"

    return app
