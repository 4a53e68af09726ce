"""FastAPI application factory: middleware, error handling and one router per capability."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.middleware.sessions import SessionMiddleware

from asbhub.config import Settings, get_settings
from asbhub.errors import InvalidInput
from asbhub.store.engine import make_engine
from asbhub.web import errors
from asbhub.web.head import HeadAsGet
from asbhub.web.routes import api, auth, contact, home, hotspots, incidents, public, reports
from asbhub.web.security import SecurityHeaders, verify_csrf
from asbhub.web.templating import HERE, make_templates

SESSION_COOKIE = "asbhub_session"
SESSION_HOURS = 10


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
    )
    app.state.settings = settings
    app.state.engine = make_engine(database_url or settings.database_url)
    app.state.templates = make_templates()

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
    app.include_router(reports.router)
    return app
