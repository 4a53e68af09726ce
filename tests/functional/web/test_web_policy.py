"""Every route of the app against the policy table.

Without sign-in no route may return personal data (the generated canary people must never
appear); each role gets 403 exactly where ``permissions.GRANTS`` withholds the route's action;
roles that may not see identities never see a canary name on any page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.testclient import TestClient
from webseed import CANARY_PEOPLE, FAST_HASHER, Seeded, csrf_of, seed, sign_in

from asbhub.agencies.service import reference_agency
from asbhub.permissions import GRANTS, STAFF_ROLES, Action, Actor, Role, allowed
from asbhub.store.engine import make_engine
from asbhub.web.app import create_app
from asbhub.web.deps import RequireAction, SocketPolicy

CANARIES = [n for pair in CANARY_PEOPLE for n in pair] + ["Nowhere Lane", "example.invalid"]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def route_action(route: APIRoute | APIWebSocketRoute) -> Action | None:
    """The policy action a route's dependencies require, if any (:class:`RequireAction` on
    HTTP routes, :class:`SocketPolicy` on WebSocket routes)."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, RequireAction | SocketPolicy):
            return dep.call.action
        stack.extend(dep.dependencies)
    return None


def _required_query(route: APIRoute) -> list[str]:
    names, stack = [], [route.dependant]
    while stack:
        d = stack.pop()
        names += [q.alias for q in d.query_params if q.field_info.is_required()]
        stack.extend(d.dependencies)
    return names


def _routes() -> list[tuple[str, str, APIRoute]]:
    """Every HTTP route with its full path, walking included routers."""
    app = create_app("sqlite://")
    out = []
    for rc in iter_route_contexts(app.routes):
        if isinstance(rc.route, APIRoute) and rc.methods:
            for m in sorted(set(rc.methods) - {"HEAD"}):
                out.append((m, rc.path, rc.route))
    return out


ROUTES = _routes()
POLICY_ROUTES = [(m, p) for m, p, r in ROUTES if route_action(r) is not None]


@dataclass
class PolicyApp:
    app: FastAPI
    seeded: Seeded
    clients: dict[str, TestClient] = field(default_factory=dict)
    writers: dict[str, tuple[TestClient, str]] = field(default_factory=dict)
    open: list[TestClient] = field(default_factory=list)

    def url(self, path: str, route: APIRoute) -> str:
        values = {
            "incident_id": self.seeded.incident_ids[0],
            "person_id": self.seeded.person_ids[0],
            "location_id": self.seeded.location_ids[0],
            # No such account: the admin routes would otherwise disable or reset the password
            # of a seeded account that later tests sign in with.
            "user_id": 2**31 - 1,
        }
        for name in re.findall(r"{(\w+)}", path):
            path = path.replace("{" + name + "}", str(values.get(name, 1)))
        query = {"lon": "0.458", "lat": "51.576", "q": "Basildon"}
        required = _required_query(route)
        qs = "&".join(f"{k}={query.get(k, '1')}" for k in required)
        if path == "/reports/board":
            # The same report as HTML: its text is what the canary check can read (a PDF's is
            # compressed), and it skips the PDF's layout, seconds a call.
            qs = "format=html"
        return f"{path}?{qs}" if qs else path

    def client(self, role: str | None) -> TestClient:
        key = role or "anonymous"
        if key not in self.clients:
            c = TestClient(self.app, raise_server_exceptions=False)
            c.__enter__()
            self.open.append(c)
            if role:
                sign_in(c, self.seeded.users[role])
            self.clients[key] = c
        return self.clients[key]

    def fresh(self, role: str | None) -> TestClient:
        c = TestClient(self.app, raise_server_exceptions=False)
        c.__enter__()
        self.open.append(c)
        if role:
            sign_in(c, self.seeded.users[role])
        return c

    def call(self, method: str, path: str, role: str | None) -> Any:
        route = next(r for m, p, r in ROUTES if m == method and p == path)
        url = self.url(path, route)
        if method in UNSAFE:
            # Unsafe routes go through a client of their own, so that one (sign-out) cannot
            # spoil the shared one; the CSRF token is sent so the request reaches the route's
            # own checks.
            c, token = self.writer(role, fresh=path == "/logout")
            r = c.request(method, url, headers={"X-CSRF-Token": token}, follow_redirects=False)
            if role and not _signed_in(r):
                # An earlier call ended this session: the answer says nothing about this
                # route, so it is asked again from a new sign-in.
                c, token = self.writer(role, fresh=True)
                r = c.request(method, url, headers={"X-CSRF-Token": token}, follow_redirects=False)
            return r
        return self.client(role).request(method, url, follow_redirects=False)

    def writer(self, role: str | None, *, fresh: bool) -> tuple[TestClient, str]:
        """A signed-in client for unsafe calls and its CSRF token, kept per role (signing in
        for every call was most of this module's time)."""
        key = role or "anonymous"
        if fresh or key not in self.writers:
            c = self.fresh(role)
            self.writers[key] = (c, csrf_of(c))
        got = self.writers[key]
        if fresh:
            del self.writers[key]  # what signs out must not be used again
        return got


def _signed_in(r: Any) -> bool:
    """False when a signed-in client was answered as if signed out (its session ended)."""
    if r.status_code == 401:
        return False
    return not (r.status_code == 303 and r.headers.get("location", "").startswith("/login"))


@pytest.fixture(scope="module")
def policy_app(module_db_url: str) -> Iterator[PolicyApp]:
    """One seeded database per dialect for the whole module (the tests only read)."""
    mp = pytest.MonkeyPatch()
    mp.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    engine = make_engine(module_db_url)
    seeded = seed(engine)
    engine.dispose()
    pa = PolicyApp(create_app(module_db_url), seeded)
    yield pa
    for c in pa.open:
        c.__exit__(None, None, None)
    pa.app.state.engine.dispose()
    mp.undo()


# The only routes anyone may call without a policy dependency: signing in (with its second
# factor) and out, choosing a purpose once signed in, and the public's report and chat pages.
# Every other route, including any added later (``/cases``...), must declare its action or
# this module fails.
PUBLIC_ROUTES = {
    ("GET", "/login"),
    ("POST", "/login"),
    # The second factor's steps: they act only on a sign-in whose password was just given.
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    ("GET", "/login/enrol"),
    ("POST", "/login/enrol"),
    ("POST", "/logout"),
    ("GET", "/purpose"),
    ("POST", "/purpose"),
    ("GET", "/report"),
    ("POST", "/report"),
    ("GET", "/report/sent"),
    ("GET", "/report/map.geojson"),
    ("GET", "/chat"),
    ("POST", "/chat"),
    ("GET", "/chat/{token}"),
    ("POST", "/chat/{token}/messages"),
    ("POST", "/chat/{token}/end"),
}
# The public's chat socket: the unguessable chat token is its credential.
PUBLIC_SOCKETS = {"/chat/{token}/ws"}


def _sockets() -> list[tuple[str, APIWebSocketRoute]]:
    app = create_app("sqlite://")
    return [
        (rc.path, rc.route)
        for rc in iter_route_contexts(app.routes)
        if isinstance(rc.route, APIWebSocketRoute)
    ]


def test_every_route_but_the_listed_public_ones_is_under_policy() -> None:
    unguarded = [
        f"{m} {p}" for m, p, r in ROUTES if (m, p) not in PUBLIC_ROUTES and not route_action(r)
    ]
    assert unguarded == []
    # The list is kept exact: a public route that went away (or gained a policy) leaves it.
    public_now = {(m, p) for m, p, r in ROUTES if not route_action(r)}
    assert public_now == PUBLIC_ROUTES
    sockets = _sockets()
    assert {p for p, _ in sockets} >= PUBLIC_SOCKETS
    unguarded_sockets = [
        p for p, r in sockets if p not in PUBLIC_SOCKETS and route_action(r) is None
    ]
    assert unguarded_sockets == []
    assert {p for p, r in sockets if route_action(r) is None} == PUBLIC_SOCKETS
    assert len(POLICY_ROUTES) >= 12


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in ROUTES])
def test_no_personal_data_without_sign_in(policy_app: PolicyApp, method: str, path: str) -> None:
    r = policy_app.call(method, path, None)
    assert r.status_code < 500, r.text[:300]
    for canary in CANARIES:
        assert canary not in r.text, f"{method} {path} leaks {canary!r} without sign-in"
    route = next(rt for m, p, rt in ROUTES if m == method and p == path)
    if route_action(route) is not None:
        expected = 401 if path.startswith("/api/") else 303
        assert r.status_code == expected, f"{method} {path} gave {r.status_code}"
        if expected == 303:
            assert r.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", [r.value for r in STAFF_ROLES])
@pytest.mark.parametrize(("method", "path"), POLICY_ROUTES)
def test_role_gets_403_exactly_where_policy_says(
    policy_app: PolicyApp, role: str, method: str, path: str
) -> None:
    route = next(rt for m, p, rt in ROUTES if m == method and p == path)
    action = route_action(route)
    assert action is not None
    actor_role = Role(role)
    r = policy_app.call(method, path, role)
    may = action in GRANTS[actor_role]
    if may:
        assert r.status_code not in (401, 403), f"{role} refused {method} {path}: {r.text[:200]}"
        assert r.status_code < 500, r.text[:300]
    else:
        assert r.status_code == 403, f"{role} got {r.status_code} for {method} {path}"
    if r.status_code == 200 and not role_sees_identities(actor_role):
        for canary in CANARIES:
            assert canary not in r.text, f"{role} sees {canary!r} on {method} {path}"


def role_sees_identities(role: Role) -> bool:
    actor = Actor(
        1,
        "x",
        "x",
        role,
        agency=reference_agency("essex", "basildon-council") if role is Role.PARTNER else None,
        force_code="essex",
    )
    return allowed(actor, Action.PERSONAL_DATA_VIEW)
