"""The Jinja2 environment shared by every route, with the helpers templates may call."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from asbhub.audit.service import PURPOSES
from asbhub.incidents.labels import label, plural
from asbhub.incidents.models import CHANNEL_LABELS
from asbhub.permissions import Action, allowed
from asbhub.web.security import CSRF_FIELD, csrf_token

HERE = Path(__file__).resolve().parent


def _csrf_input(request: Request) -> Markup:
    return Markup(
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(request))}">'
    )


def _qs(params: dict[str, Any], **extra: Any) -> str:
    """A query string from ``params`` plus ``extra``, skipping empty values."""
    merged = {**params, **extra}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _day_iso(d: str | dt.date | None) -> str:
    """``2021-03-31`` -> ``31 March 2021``."""
    if not d:
        return ""
    day = dt.date.fromisoformat(str(d)[:10])
    return f"{day.day} {day:%B %Y}"


@functools.cache
def make_templates() -> Jinja2Templates:
    """The process's one template environment, shared by every app, letter and board report:
    it holds nothing of any one app, and each template is then compiled once, not once per app
    or per document."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.globals.update(
        csrf_input=_csrf_input,
        csrf_token=csrf_token,
        allowed=allowed,
        Action=Action,
        PURPOSES=PURPOSES,
        qs=_qs,
    )
    env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.filters["label"] = label
    env.filters["plural"] = plural
    env.filters["when"] = lambda d: d.strftime("%d %b %Y %H:%M") if d else ""
    env.filters["day"] = lambda d: d.strftime("%d %b %Y") if d else ""
    env.filters["day_iso"] = _day_iso
    env.filters["monthname"] = lambda m: (
        dt.date.fromisoformat(f"{m}-01").strftime("%B %Y") if m else ""
    )
    env.filters["channel_label"] = lambda c: CHANNEL_LABELS.get(str(c), str(c))
    return templates


def is_htmx(request: Request) -> bool:
    """True when htmx asked for a fragment (and not a whole-page history restore)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    partial: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template``, or ``partial`` when htmx asked for a fragment."""
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"actor": getattr(request.state, "actor", None), **(context or {})}
    name = partial if partial and is_htmx(request) else template
    response: HTMLResponse = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["vary"] = "HX-Request"
    return response
