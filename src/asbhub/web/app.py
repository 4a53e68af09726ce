"""FastAPI application factory: middleware, error handling and one router per capability."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from asbhub.audit.service import default_checkpoint_path, write_checkpoint
from asbhub.config import Settings, get_settings
from asbhub.errors import InvalidInput
from asbhub.store.engine import make_engine, session_scope
from asbhub.web import errors
from asbhub.web.chat import chat_relay
from asbhub.web.deps import SESSION_HOURS
from asbhub.web.head import HeadAsGet
from asbhub.web.routes import (
    admin,
    api,
    auth,
    casereviews,
    casework,
    contact,
    home,
    hotspots,
    incidents,
    powers,
    public,
    recording,
    reports,
    restorative,
    subjectaccess,
    triage,
)
from asbhub.web.security import SecurityHeaders, verify_csrf
from asbhub.web.templating import HERE, make_templates

SESSION_COOKIE = "asbhub_session"
log = logging.getLogger("asbhub.web")


def _checkpoint(app: FastAPI) -> None:
    path: Path | None = app.state.checkpoint_path
    if path is None:
        return
    try:
        with session_scope(app.state.engine) as session:
            write_checkpoint(session, secret=app.state.settings.secret_key, path=path)
    except Exception as exc:  # an unmigrated or unreachable database must not stop the app
        log.warning("audit.checkpoint_failed", extra={"type": type(exc).__name__})


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The blocking work's threads, the chat relay to the other worker processes, and the
    audit checkpoints."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = _worker_threads(app)
    async with chat_relay(app).running(), _anchor_audit(app):
        yield


def _worker_threads(app: FastAPI) -> int:
    """How many requests run their blocking part (sync routes and dependencies) at once.

    anyio's default of 40 suits waiting on a server. SQLite's work is CPU in this process:
    with many threads, each of its calls (a row fetched, a commit) hands the interpreter lock
    to another thread and waits to take it back (215 context switches a list request at 40
    threads, 11 at one). Eight clients listing incidents got 118/s with 40 threads, 116/s
    with 4, 134/s with 2 and 153/s with 1, the same run (docs/benchmarks.md, web). Two, not
    one, so that a slow request (a board figure, an export) does not hold up every other.
    """
    settings: Settings = app.state.settings
    if settings.worker_threads:
        return settings.worker_threads
    engine: Engine = app.state.engine
    return 2 if engine.dialect.name == "sqlite" else settings.db_pool_size


@asynccontextmanager
async def _anchor_audit(app: FastAPI) -> AsyncIterator[None]:
    """Checkpoint the audit chain's tail every few minutes and at shutdown (issue 14.4)."""

    async def every() -> None:
        while True:
            await asyncio.sleep(app.state.settings.audit_checkpoint_minutes * 60)
            await run_in_threadpool(_checkpoint, app)

    task = asyncio.create_task(every())
    try:
        yield
    finally:
        task.cancel()
        await run_in_threadpool(_checkpoint, app)


def load_settings() -> Settings:
    """Settings, with a configuration mistake turned into one readable message."""
    try:
        get_settings.cache_clear()
        return get_settings()
    except ValidationError as exc:
        problems = {".".join(map(str, e["loc"])) or "settings": e["msg"] for e in exc.errors()}
        raise InvalidInput("asbhub cannot start: the settings are not valid", problems) from None


def create_app(database_url: str | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app. Raises :class:`InvalidInput` if the settings are unsafe (for example
    the default secret key outside development mode)."""
    settings = settings or load_settings()
    app = FastAPI(
        title="asbhub",
        summary="Anti-social behaviour incidents for a police force and its partners",
        version="1",
        dependencies=[Depends(verify_csrf)],
        # FastAPI's Swagger UI loads from a CDN and starts with an inline script: both are
        # refused by the CSP, so the page would be blank. /openapi.json is the contract.
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    url = database_url or settings.database_url
    app.state.settings = settings
    pool: dict[str, float] = {}
    if url.startswith("postgresql"):
        # A bounded pool with a bounded wait: when every connection is busy a request answers
        # 503 after db_pool_wait_seconds instead of queueing without end.
        pool = {
            "pool_size": settings.db_pool_size,
            "max_overflow": 0,
            "pool_timeout": settings.db_pool_wait_seconds,
        }
    app.state.engine = make_engine(url, wait_seconds=settings.db_wait_seconds, **pool)
    configured = settings.audit_checkpoint_path
    app.state.checkpoint_path = Path(configured) if configured else default_checkpoint_path(url)
    app.state.templates = make_templates()
    chat_relay(app)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=settings.mode == "production",
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.include_router(auth.router)
    app.include_router(home.router)
    app.include_router(incidents.router)
    app.include_router(api.router)
    app.include_router(public.router)
    app.include_router(contact.router)
    app.include_router(contact.api)
    app.include_router(hotspots.router)
    app.include_router(triage.api)
    app.include_router(triage.router)
    app.include_router(casework.api)
    app.include_router(casework.router)
    app.include_router(casereviews.api)
    app.include_router(casereviews.router)
    app.include_router(restorative.api)
    app.include_router(restorative.router)
    app.include_router(subjectaccess.api)
    app.include_router(subjectaccess.router)
    app.include_router(reports.router)
    app.include_router(recording.router)
    app.include_router(admin.router)
    app.include_router(powers.router)
    return app


def app_from_environment() -> FastAPI:
    """The app of each ``asbhub serve --workers N`` process: the settings (with the database
    URL ``serve`` was given, passed on as ``ASBHUB_DATABASE_URL``) are read in every worker."""
    return create_app()
