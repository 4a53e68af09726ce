"""Faults under load on PostgreSQL (issue 21 item 6), on a small cluster of the module's own
that can be stopped and killed under the app without disturbing the suite's shared one.

- The server restarts while the app serves: requests answer 503 (not 500, not a hang) while it
  is down, and succeed again once it is back, with the same app process.
- Every connection of the pool is busy: the next request waits a bounded time for one, then
  answers 503 saying so; the busy ones finish normally.
- ``kill -9`` of ``asbhub serve --workers 2`` in the middle of a public report: nothing of the
  report is stored (no incident, person, submission or audit event), the audit chain verifies,
  and the same report sent again is stored once.

A report is held mid-transaction by taking ``audit_events`` in EXCLUSIVE mode from the test:
the report has inserted its incident and waits to write its audit event, which is the moment
to stop the server, fill the pool or kill the app.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import verify
from asbhub.contact.models import PublicSubmission
from asbhub.geography.service import load_reference
from asbhub.incidents.models import Incident, IncidentPerson, Person
from asbhub.store.engine import make_engine, session_scope, upgrade
from asbhub.web.app import create_app

ROOT = Path(__file__).resolve().parents[3]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    not os.environ.get("ASBHUB_TEST_POSTGRES_URL"), reason="ASBHUB_TEST_POSTGRES_URL is not set"
)


class Cluster:
    """A throw-away PostgreSQL cluster from .ci/pg-start that the test may stop and start."""

    def __init__(self) -> None:
        out = subprocess.run(
            ["bash", str(ROOT / ".ci" / "pg-start")], check=True, capture_output=True, text=True
        ).stdout
        found = dict(re.findall(r"export (\w+)=(\S+)", out))
        self.dir = Path(found["ASBHUB_PG_DIR"])
        self.url = make_url(found["ASBHUB_TEST_POSTGRES_URL"]).render_as_string(False)
        self.bindir = (self.dir / "bindir").read_text().strip()
        # The server's own command line, to start it again exactly as it was.
        opts = shlex.split((self.dir / "data" / "postmaster.opts").read_text())
        drop = {"-D", str(self.dir / "data")}
        self.options = shlex.join(o for o in opts[1:] if o not in drop)

    def _pg_ctl(self, *args: str) -> None:
        owner = (self.dir / "data").owner()
        prefix = ["runuser", "-u", owner, "--"] if os.getuid() == 0 else []
        pg_ctl = [f"{self.bindir}/pg_ctl", "-D", str(self.dir / "data"), *args]
        subprocess.run([*prefix, *pg_ctl], check=True, capture_output=True)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-l", str(self.dir / "server.log"), "-o", self.options, "start")

    def remove(self) -> None:
        subprocess.run(
            ["bash", str(ROOT / ".ci" / "pg-stop")],
            env={**os.environ, "ASBHUB_PG_DIR": str(self.dir)},
            check=False,
        )


@pytest.fixture(autouse=True)
def _no_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report here comes from 127.0.0.1: the per-client limit is not under test."""
    monkeypatch.setenv("ASBHUB_PUBLIC_REPORT_RATE_LIMIT", "100000")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    try:
        engine = make_engine(c.url)
        upgrade(engine)
        with session_scope(engine) as s:
            load_reference(s, "essex")
        engine.dispose()
        yield c
    finally:
        c.remove()


def report_form(token: str) -> dict[str, str]:
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    return {
        "what": "vehicles",
        "description": "Quad bikes on the towpath at night (fictitious fault-test report).",
        "place": "Towpath off Imaginary Lane, Witham",
        "area": "E07000067",
        "when-day": str(day.day), "when-month": str(day.month), "when-year": str(day.year),
        "time": "22:10", "ongoing": "no", "impact": "Walkers are scared.", "targeted": "no",
        "contact": "details", "forename": "Fictionia", "surname": "Faultsworth",
        "email": "fictionia@example.invalid", "consent": "yes", "csrf_token": token,
    }  # fmt: skip


def post_report(client: TestClient | httpx.Client) -> Any:
    match = CSRF_RE.search(client.get("/report").text)
    assert match, "no report form"
    return client.post("/report", data=report_form(match.group(1)), follow_redirects=False)


def stored(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            out = {
                t.__tablename__: int(s.scalar(select(func.count()).select_from(t)) or 0)
                for t in (Incident, Person, IncidentPerson, PublicSubmission, AuditEvent)
            }
            out["chain intact"] = int(verify(s).intact)
            return out
    finally:
        engine.dispose()


def more(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in before if k != "chain intact"}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def waiting_on_locks(url: str, want: int, senders: list[threading.Thread]) -> list[int]:
    """The server pids of ``want`` backends waiting on a lock (reports held at their audit
    event), once there are that many; fails if a sender got an answer instead."""
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        for _ in range(1200):
            answered = [t for t in senders if not t.is_alive()]
            assert not answered, f"a held report was answered: {getattr(answered[0], 'out', '')}"
            pids = [
                int(r[0])
                for r in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                )
            ]
            if len(pids) >= want:
                return pids
            time.sleep(0.05)
    raise AssertionError(f"{want} reports never reached the held lock")


def ended(url: str, pids: list[int]) -> None:
    """Until none of the backends ``pids`` is left."""
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        for _ in range(1200):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"the backends {pids} never ended")


class Hold:
    """``audit_events`` taken in EXCLUSIVE mode: reports stop just before their audit event."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(_dsn(url))
        self.conn.execute("LOCK TABLE audit_events IN EXCLUSIVE MODE")

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except Exception as exc:  # the test reads what happened
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.out = out  # type: ignore[attr-defined]
    t.start()
    return t, out


def test_server_restart_answers_503_then_resumes(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASBHUB_DB_WAIT_SECONDS", "2")
    before = stored(cluster.url)
    app = create_app(cluster.url)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert post_report(client).status_code == 303
        cluster.stop()
        try:
            down = [post_report(client) for _ in range(3)]
        finally:
            cluster.start()
        assert [r.status_code for r in down] == [503] * 3
        assert all("retry-after" in r.headers for r in down)
        assert "busy" in down[0].text
        # The pool's connections died with the server: the first use finds out and drops them
        # all, so at most one more request fails before the app is connected again.
        after = [post_report(client).status_code for _ in range(6)]
        assert after[1:] == [303] * 5 and after[0] in (303, 503)
    app.state.engine.dispose()
    got = stored(cluster.url)
    accepted = 1 + after.count(303)
    assert more(got, before)["public_submissions"] == accepted
    assert more(got, before)["incidents"] == accepted and got["chain intact"]


def test_exhausted_pool_waits_a_bounded_time_then_503(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASBHUB_DB_POOL_SIZE", "2")
    monkeypatch.setenv("ASBHUB_DB_POOL_WAIT_SECONDS", "1")
    monkeypatch.setenv("ASBHUB_DB_WAIT_SECONDS", "60")  # the held reports outwait the test
    before = stored(cluster.url)
    app = create_app(cluster.url)
    hold = Hold(cluster.url)
    try:
        busy = [in_thread(lambda: post_report(TestClient(app))) for _ in range(2)]
        waiting_on_locks(cluster.url, 2, [t for t, _ in busy])
        refused = post_report(TestClient(app, raise_server_exceptions=False))
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        assert "database connections are in use" in refused.text
        # Refused while both held reports still wait: the wait was bounded, not for them.
        waiting_on_locks(cluster.url, 2, [t for t, _ in busy])
    finally:
        hold.release()
    for t, _ in busy:
        t.join(timeout=60)
    assert [out[0].status_code for _, out in busy] == [303, 303]
    with TestClient(app) as client:
        assert post_report(client).status_code == 303
    app.state.engine.dispose()
    assert more(stored(cluster.url), before)["public_submissions"] == 3


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_kill_9_during_a_public_report_stores_it_once_or_not_at_all(
    cluster: Cluster, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, "ASBHUB_MODE": "development", "ASBHUB_DB_WAIT_SECONDS": "60"}
    env.pop("ASBHUB_SECRET_KEY", None)
    cmd = [sys.executable, "-m", "asbhub.cli", "serve", "--db", cluster.url,
           "--port", str(port), "--workers", "2"]  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    hold: Hold | None = None
    try:
        for _ in range(1200):
            try:
                if httpx.get(f"{base}/report", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.05)
        else:
            raise AssertionError("asbhub serve --workers 2 never answered")
        # The uvicorn parent and its two workers, each with its own engine and chat relay.
        python_children = [p for p in _children(server.pid) if "spawn_main" in _cmdline(p)]
        assert len(python_children) == 2
        before = stored(cluster.url)
        hold = Hold(cluster.url)
        sent, outcome = in_thread(lambda: post_report(httpx.Client(base_url=base, timeout=60)))
        held = waiting_on_locks(cluster.url, 1, [sent])
        for pid in [*_children(server.pid), server.pid]:
            os.kill(pid, signal.SIGKILL)
        server.wait(timeout=30)
        log.close()
        sent.join(timeout=30)
        assert isinstance(outcome[0], httpx.TransportError)  # no answer: the app was killed
    finally:
        if hold is not None:
            hold.release()
        if server.poll() is None:
            server.kill()
            server.wait()
    # The killed report's backend ends once it finds its client gone, rolling it all back.
    ended(cluster.url, held)
    after = stored(cluster.url)
    assert more(after, before) == dict.fromkeys(more(after, before), 0)
    assert after["chain intact"]
    # Sent again (the public would), it is stored once.
    app = create_app(cluster.url)
    with TestClient(app) as client:
        assert post_report(client).status_code == 303
    app.state.engine.dispose()
    again = more(stored(cluster.url), after)
    assert again["public_submissions"] == 1 and again["incidents"] == 1
    assert again["people"] == 1 and again["incident_people"] == 1


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
