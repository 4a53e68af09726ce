"""Request dependencies: a database session, the current actor and permission checks."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Request, WebSocket
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from asbhub.audit.service import append_deferred, defer, has_deferred
from asbhub.auth.models import User
from asbhub.auth.service import Account, NotSignedIn, actor_for, default_purpose, session_account
from asbhub.permissions import Action, Actor, Role, allowed, require
from asbhub.store.engine import new_session, session_scope, writing

SESSION_HOURS = 10  # the absolute limit of a session, from sign-in


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _commit(session: Session) -> None:
    with session, writing(session, will_write=has_deferred(session)):
        append_deferred(session)
        session.commit()


def _rollback(session: Session) -> None:
    with session:
        session.rollback()


# Threads for commits (and the public report's writes), apart from the worker threads that
# handlers run on (settings.worker_threads, two on SQLite). A commit may wait for the SQLite
# write lock that another request's open transaction holds; were it to wait on a worker
# thread, the commit that would free the lock could find every worker thread so taken.
COMMIT_THREADS = 40
_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


def loop_limiter(name: str, tokens: int) -> CapacityLimiter:
    """The running event loop's limiter ``name`` of ``tokens`` (a limiter is bound to one)."""
    limiters = _LIMITERS.setdefault(asyncio.get_running_loop(), {})
    limiter = limiters.get(name)
    if limiter is None:
        limiter = limiters.setdefault(name, CapacityLimiter(tokens))
    return limiter


def committers() -> CapacityLimiter:
    return loop_limiter("commits", COMMIT_THREADS)


async def _session(request: Request) -> AsyncIterator[Session]:
    """The request's session, committed after the handler (rolled back if it raised).

    Async so that opening it costs no trip to the thread pool (a session connects at its
    first statement, in the handler's thread); only the commit, which talks to the database,
    is sent there, on threads of its own (:data:`COMMIT_THREADS`). Every such trip costs a
    thread wake-up and a loop wake-up, a measurable share of a short request
    (docs/benchmarks.md, web).
    """
    session = new_session(get_engine(request))
    defer(session)  # the request's audit events are appended at its commit
    try:
        yield session
    except BaseException:
        await to_thread.run_sync(_rollback, session, limiter=committers())
        raise
    await to_thread.run_sync(_commit, session, limiter=committers())


# scope="function": commit (including audit events) before the response goes out, and roll
# back if the handler raised.
DbSession = Annotated[Session, Depends(_session, scope="function")]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def open_session(conn: HTTPConnection, user: User) -> None:
    """Start a signed-in session for ``user`` in a new cookie (no fixation of the old one)."""
    now = int(time.time())
    conn.session.clear()
    conn.session.update(
        uid=user.id,
        sv=user.session_version,
        iat=now,
        seen=now,
        purpose=default_purpose(Role(user.role)),
    )


def signed_in_user(conn: HTTPConnection, session: Session) -> Account | None:
    """The account the session cookie names, if its session is still valid; a stale one is
    cleared. Checked on every request, so a replayed cookie dies with its session."""
    data = conn.session
    user_id = data.get("uid")
    if not isinstance(user_id, int):
        return None
    now = int(time.time())
    idle = conn.app.state.settings.session_idle_minutes * 60
    opened, seen = data.get("iat"), data.get("seen")
    user = None
    # The cookie's own signature age slides with every response, so the absolute limit is
    # counted from the sign-in time inside it.
    if (
        isinstance(opened, int)
        and isinstance(seen, int)
        and now - opened <= SESSION_HOURS * 3600
        and now - seen <= idle
    ):
        user = session_account(session, user_id=user_id, version=data.get("sv"))
    if user is None or not isinstance(seen, int):
        data.clear()
        return None
    if now - seen >= 60:  # a minute's precision spares re-signing the cookie on every request
        data["seen"] = now
    return user


def optional_actor(request: Request, session: DbSession) -> Actor | None:
    """The signed-in actor, or ``None``; also kept on ``request.state`` for templates."""
    actor = None
    user = signed_in_user(request, session)
    if user is not None:
        client = request.client.host if request.client else None
        actor = actor_for(
            user,
            settings=request.app.state.settings,
            session=session,
            purpose=request.session.get("purpose"),
            purpose_text=request.session.get("purpose_text"),
            channel="api" if is_api(request) else "ui",
            client_ip=client,
            device=request.headers.get("user-agent", "")[:300] or None,
        )
    request.state.actor = actor
    return actor


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


class RequireAction:
    """Dependency that yields the actor if the policy grants ``action``.

    The action is kept on the instance so tests can read each route's policy from the app.
    """

    def __init__(self, action: Action) -> None:
        self.action = action

    # Async: a policy check reads no database, so it need not wait for a pool thread.
    async def __call__(self, actor: OptionalActor) -> Actor:
        if actor is None:
            raise NotSignedIn("Sign in to continue.")
        return require(actor, self.action)


def require_action(action: Action) -> Actor:
    """``actor: Actor = require_action(Action.X)`` in a route's signature."""
    result: Actor = Depends(RequireAction(action))
    return result


def socket_actor(websocket: WebSocket) -> Actor | None:
    if "session" not in websocket.scope:
        return None
    with session_scope(websocket.app.state.engine) as session:
        user = signed_in_user(websocket, session)
        if user is None:
            return None
        return actor_for(
            user,
            settings=websocket.app.state.settings,
            session=session,
            purpose=websocket.session.get("purpose"),
            purpose_text=websocket.session.get("purpose_text"),
            channel="ui",
            client_ip=websocket.client.host if websocket.client else None,
            device=websocket.headers.get("user-agent", "")[:300] or None,
        )


class SocketPolicy:
    """The policy dependency of a WebSocket route: the actor if the session cookie signs in
    someone granted ``action``, else ``None`` (the route then closes with 1008, as a socket
    cannot answer 401 or 403). Kept on the instance, like :class:`RequireAction`, so the
    route-policy test can read it."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, websocket: WebSocket) -> Actor | None:
        actor = socket_actor(websocket)
        return actor if actor is not None and allowed(actor, self.action) else None


def socket_policy(action: Action) -> Actor | None:
    """``actor: Actor | None = socket_policy(Action.X)`` in a WebSocket route's signature."""
    result: Actor | None = Depends(SocketPolicy(action))
    return result
