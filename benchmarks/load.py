"""Load test (issue 14): 20 concurrent users for 60 s on loopback, on SQLite and PostgreSQL.

Half the users are the public sending online reports (each from its own address would need
20 hosts; all come from 127.0.0.1, so the rate limit is raised for the run and its own
behaviour is tested in tests/functional/web/test_web_hardening.py); the other half are
signed-in call handlers paging the incident list and opening the contact queue, every response of
which is audited. The app runs as ``asbhub serve`` (one uvicorn process, as deployed) on a
store holding three generated months, and the same client first measures a bare FastAPI
endpoint served the same way, as the reference for what the machine can answer.

Reported per backend: requests/s, p50/p95 latency, errors, and the integrity checks: rows
stored equal reports accepted, and the audit chain still intact. Not run by CI.

``--workers N`` serves the app (and the bare reference) from N processes (``asbhub serve
--workers N``, ``uvicorn --workers N``). ``--mix reports`` makes every user a member of the
public posting reports back to back (one form, then posts), for the issue 21 goal of
POST /report >= 200/s with two workers on PostgreSQL; each user then sends from its own
loopback address (127.0.0.x), as separate people would, so the per-client rate limit and its
lock are per user as in real use rather than one queue for the whole run. ``--workers 2,1``
runs each count in turn on the same store, each after its own bare reference. Each row also
gives the CPU of the server's processes and of the database's backends per report (from
/proc), the figure a machine shared with other work disturbs least.

    python benchmarks/load.py [--users 20] [--seconds 60] [--pg URL] [--workers N[,M...]]
                              [--mix staff|reports]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._report import write_section  # noqa: E402
from benchmarks.web import report_form  # noqa: E402

PASSWORD = "load-test-password-1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
REF_RE = re.compile(r'id="reference">([A-Z0-9-]+)<')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu(pid: int, name: str | None = None) -> float:
    """CPU seconds (user + system) process ``pid`` has used, 0 if it is gone or (with
    ``name``) is another program (Linux /proc; 0 elsewhere)."""
    try:
        if name is not None and Path(f"/proc/{pid}/comm").read_text().strip() != name:
            return 0.0
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants (the uvicorn parent and workers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(entry.name)] = int(
                (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            )
        except (OSError, ValueError, IndexError):
            continue
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(proc_cpu(p) for p in tree)


def backends_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to ``url``'s database, when the
    server runs on this machine (empty otherwise)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return {int(p): proc_cpu(int(p), "postgres") for p in pids}
    finally:
        engine.dispose()


def prepare(url: str, users: int) -> None:
    """A migrated store with the Essex geography, three generated months and the officers."""
    from asbhub.auth.service import add_user
    from asbhub.generate.service import generate
    from asbhub.geography.service import load_reference
    from asbhub.store.engine import make_engine, session_scope, upgrade

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        load_reference(s, "essex")
    generate(engine, force_code="essex", start="2021-01", end="2021-03", seed=14)
    with session_scope(engine) as s:
        for n in range(users):
            add_user(
                s, username=f"load{n}", password=PASSWORD, role="call_handler", force_code="essex"
            )
    engine.dispose()


def counts(url: str) -> tuple[int, bool]:
    """(public submissions stored, audit chain intact)."""
    from sqlalchemy import func, select

    from asbhub.audit.service import verify
    from asbhub.contact.models import PublicSubmission
    from asbhub.store.engine import make_engine, session_scope

    engine = make_engine(url)
    with session_scope(engine) as s:
        stored = int(s.scalar(select(func.count()).select_from(PublicSubmission)) or 0)
        intact = verify(s).intact
    engine.dispose()
    return stored, intact


def serve(args: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [*args, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    reports_accepted: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        self.latencies.append(seconds)
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if not ok:
            self.errors += 1


async def timed(tally: Tally, kind: str, call: object) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        r: httpx.Response = await call  # type: ignore[misc]
    except httpx.HTTPError:
        tally.add(kind, time.perf_counter() - start, False)
        return None
    tally.add(kind, time.perf_counter() - start, r.status_code < 400)
    return r


def local_address(n: int) -> str:
    """A loopback source address of its own for user ``n`` (all of 127.0.0.0/8 is local)."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


async def reporter(base: str, n: int, until: float, tally: Tally) -> None:
    """Posts reports back to back from its own address, with one form's token."""
    transport = httpx.AsyncHTTPTransport(local_address=local_address(n))
    async with httpx.AsyncClient(base_url=base, timeout=30, transport=transport) as c:
        page = await c.get("/report")
        match = CSRF_RE.search(page.text)
        assert match, "no report form"
        data = {**report_form(), "csrf_token": match.group(1)}
        while time.perf_counter() < until:
            r = await timed(tally, "report send", c.post("/report", data=data))
            # Accepted: redirected to the thank-you page (not followed: only the post is timed).
            if r is not None and r.status_code == 303:
                tally.reports_accepted += 1


async def public_user(base: str, until: float, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=True) as c:
        while time.perf_counter() < until:
            page = await timed(tally, "report form", c.get("/report"))
            match = CSRF_RE.search(page.text) if page is not None else None
            if match is None:
                continue
            data = {**report_form(), "csrf_token": match.group(1)}
            r = await timed(tally, "report send", c.post("/report", data=data))
            if r is not None and r.status_code == 200 and REF_RE.search(r.text):
                tally.reports_accepted += 1


async def officer(base: str, n: int, until: float, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        page = await c.get("/login")
        token = CSRF_RE.search(page.text)
        assert token, "no sign-in form"
        data = {"username": f"load{n}", "password": PASSWORD, "csrf_token": token.group(1)}
        signed = await c.post("/login", data=data)
        assert signed.status_code == 303, signed.status_code
        cursor: str | None = None
        while time.perf_counter() < until:
            params = {"limit": "50", **({"after": cursor} if cursor else {})}
            r = await timed(tally, "incident list", c.get("/api/v1/incidents", params=params))
            cursor = r.json().get("next_cursor") if r is not None and r.status_code == 200 else None
            await timed(tally, "contact queue", c.get("/contact/queue"))


async def bare_user(base: str, until: float, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        while time.perf_counter() < until:
            await timed(tally, "bare", c.get("/bare"))


HEAD = (
    "| backend | requests | requests/s | p50 ms | p95 ms | errors | reports accepted "
    "| rows stored | audit chain intact |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | --- |"
)


WORKERS_HEAD = (
    "| backend | workers | requests | requests/s | reports/s | p50 ms | p95 ms | errors "
    "| reports accepted | rows stored | audit chain intact |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
)


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0.0


def run(
    url: str, label: str, users: int, seconds: float, workers: int = 1, mix: str = "staff"
) -> dict[str, object]:
    port = free_port()
    env = {
        **os.environ,
        "ASBHUB_MODE": "development",
        "ASBHUB_DATABASE_URL": url,
        "ASBHUB_PUBLIC_REPORT_RATE_LIMIT": "1000000",
    }
    env.pop("ASBHUB_SECRET_KEY", None)
    cmd = [sys.executable, "-m", "asbhub.cli", "serve", "--workers", str(workers)]
    stored_before, _ = counts(url)
    proc = serve(cmd, port, env)
    tally = Tally()
    postgres = url.startswith("postgresql")
    try:
        app_cpu = tree_cpu(proc.pid)
        db_cpu = backends_cpu(url) if postgres else {}
        base = f"http://127.0.0.1:{port}"
        until = time.perf_counter() + seconds
        if mix == "reports":
            tasks = [reporter(base, n, until, tally) for n in range(users)]
        else:
            half = users // 2
            tasks = [public_user(base, until, tally) for _ in range(users - half)]
            tasks += [officer(base, n, until, tally) for n in range(half)]
        started = time.perf_counter()

        async def all_users() -> None:
            await asyncio.gather(*tasks)

        asyncio.run(all_users())
        elapsed = time.perf_counter() - started
        app_cpu = tree_cpu(proc.pid) - app_cpu
        # A backend that connected during the run counts from zero.
        db_after = backends_cpu(url) if postgres else {}
        db_used = sum(cpu - db_cpu.get(pid, 0.0) for pid, cpu in db_after.items())
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    stored, intact = counts(url)
    stored -= stored_before
    done = max(tally.reports_accepted if mix == "reports" else len(tally.latencies), 1)
    return {
        "label": label,
        "requests": len(tally.latencies),
        "rps": len(tally.latencies) / elapsed,
        "p50": p(tally.latencies, 50),
        "p95": p(tally.latencies, 95),
        "errors": tally.errors,
        "accepted": tally.reports_accepted,
        "reports_per_s": tally.reports_accepted / elapsed,
        "stored": stored,
        "intact": intact,
        "kinds": tally.by_kind,
        # Per report (``--mix reports``) or per request: CPU is what a loaded machine keeps
        # steady, where the rates move with whatever else runs.
        "load": os.getloadavg()[0],
        "app_cpu_ms": 1000 * app_cpu / done,
        "db_cpu_ms": 1000 * db_used / done if db_after else None,
    }


def reference(users: int, seconds: float, workers: int = 1) -> dict[str, object]:
    """The same client against ``/bare`` of the smallest FastAPI app under uvicorn."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "benchmarks.web:bare_app", "--workers", str(workers)]
    proc = serve(cmd, port, {**os.environ, "PYTHONPATH": str(ROOT)})
    tally = Tally()
    try:
        cpu = tree_cpu(proc.pid)
        until = time.perf_counter() + seconds
        started = time.perf_counter()

        async def all_users() -> None:
            base = f"http://127.0.0.1:{port}"
            await asyncio.gather(*[bare_user(base, until, tally) for _ in range(users)])

        asyncio.run(all_users())
        elapsed = time.perf_counter() - started
        cpu = tree_cpu(proc.pid) - cpu
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {
        "cpu_ms": 1000 * cpu / max(len(tally.latencies), 1),
        "rps": len(tally.latencies) / elapsed,
        "p95": p(tally.latencies, 95),
        "errors": tally.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--pg", default=os.environ.get("ASBHUB_TEST_POSTGRES_URL"), help="PostgreSQL server URL"
    )
    parser.add_argument(
        "--workers",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[1],
        help="processes serving the app; several as 2,1 give one row each",
    )
    parser.add_argument("--mix", choices=["staff", "reports"], default="staff")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    if args.mix == "reports" or args.workers != [1]:
        return main_workers(args)
    work = Path(tempfile.mkdtemp(prefix="asbhub-load-"))
    results = []
    try:
        ref = reference(args.users, min(args.seconds, 15.0))
        sqlite_url = f"sqlite:///{work / 'load.db'}"
        prepare(sqlite_url, args.users // 2)
        results.append(run(sqlite_url, "SQLite", args.users, args.seconds))
        if args.pg:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text('DROP DATABASE IF EXISTS "asbhub_load" WITH (FORCE)'))
                conn.execute(text('CREATE DATABASE "asbhub_load"'))
            pg_url = make_url(args.pg).set(database="asbhub_load").render_as_string(False)
            prepare(pg_url, args.users // 2)
            results.append(run(pg_url, "PostgreSQL", args.users, args.seconds))
            with admin.connect() as conn:
                conn.execute(text('DROP DATABASE IF EXISTS "asbhub_load" WITH (FORCE)'))
            admin.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0]
    rows = "\n".join(
        f"| {r['label']} | {r['requests']:,} | {r['rps']:,.1f} | {r['p50']:,.0f} | "
        f"{r['p95']:,.0f} | {r['errors']} | {r['accepted']:,} | {r['stored']:,} | "
        f"{'yes' if r['intact'] else 'NO'} |"
        for r in results
    )
    mix = "; ".join(
        f"{r['label']}: " + ", ".join(f"{k} {v:,}" for k, v in r["kinds"].items())  # type: ignore[attr-defined]
        for r in results
    )
    write_section(
        "load",
        f"""
{args.users} users for {args.seconds:.0f} s on loopback against `asbhub serve` (one uvicorn
process): half send public reports (form, then post), half are signed-in call handlers paging
`/api/v1/incidents` 50 at a time and opening `/contact/queue` (both audited per page). The
store holds three generated months (January-March 2021).

{HEAD}
{rows}

Reference in the same run: a bare FastAPI endpoint under uvicorn, the same client and users,
{min(args.seconds, 15.0):.0f} s: {ref["rps"]:,.1f} requests/s, p95 {ref["p95"]:,.0f} ms,
{ref["errors"]} errors. Requests by kind: {mix}.
Load average when the run ended: {load:.1f} on {os.cpu_count()} cores.
""",
    )
    for r in results:
        print(r)
    print("reference", ref)


def _workers_head(per: str) -> str:
    columns = [
        ("backend", "---"), ("workers", "---:"), (f"{per}s/s", "---:"), ("p50 ms", "---:"),
        ("p95 ms", "---:"), ("errors", "---:"), ("reports accepted = rows stored", "---"),
        ("audit chain intact", "---"), (f"app CPU ms/{per}", "---:"),
        (f"PostgreSQL CPU ms/{per}", "---:"), ("bare endpoint requests/s", "---:"),
        ("bare CPU ms/request", "---:"), ("rate / bare", "---:"), ("load average", "---:"),
    ]  # fmt: skip
    return "\n".join("| " + " | ".join(c[i] for c in columns) + " |" for i in (0, 1))


def _workers_row(r: dict[str, Any], key: str) -> str:
    ref, db = r["ref"], r["db_cpu_ms"]
    cells = [
        r["label"], r["workers"], f"{r[key]:,.1f}", f"{r['p50']:,.0f}", f"{r['p95']:,.0f}",
        r["errors"], f"{r['accepted']:,} = {r['stored']:,}", "yes" if r["intact"] else "NO",
        f"{r['app_cpu_ms']:.1f}", "-" if db is None else f"{db:.1f}", f"{ref['rps']:,.1f}",
        f"{ref['cpu_ms']:.2f}", f"{100 * r[key] / ref['rps']:.0f}%", f"{r['load']:.1f}",
    ]  # fmt: skip
    return "| " + " | ".join(str(c) for c in cells) + " |"


def main_workers(args: argparse.Namespace) -> None:
    """The ``--workers`` / ``--mix reports`` run: its own section, one row per backend and
    worker count, each beside the bare reference served by as many processes just before it.
    The store of each backend is built once and shared by its worker counts."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    work = Path(tempfile.mkdtemp(prefix="asbhub-load-"))
    ref_seconds = min(args.seconds, 15.0)
    stores: list[tuple[str, str]] = []
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT") if args.pg else None
    results = []
    try:
        if not args.no_sqlite:
            stores.append(("SQLite", f"sqlite:///{work / 'load.db'}"))
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text('DROP DATABASE IF EXISTS "asbhub_load" WITH (FORCE)'))
                conn.execute(text('CREATE DATABASE "asbhub_load"'))
            pg_url = make_url(args.pg).set(database="asbhub_load").render_as_string(False)
            stores.append(("PostgreSQL", pg_url))
        for label, url in stores:
            prepare(url, args.users // 2)
            for workers in args.workers:
                ref = reference(args.users, ref_seconds, workers)
                r = run(url, label, args.users, args.seconds, workers, args.mix)
                results.append({**r, "workers": workers, "ref": ref})
                print(r, "\nreference", ref, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text('DROP DATABASE IF EXISTS "asbhub_load" WITH (FORCE)'))
            admin.dispose()
    key, per = ("reports_per_s", "report") if args.mix == "reports" else ("rps", "request")
    rows = "\n".join(_workers_row(r, key) for r in results)
    what = (
        "every user posts public reports back to back from its own loopback address"
        if args.mix == "reports"
        else "half send public reports, half page the incident list and the contact queue"
    )
    goal = ""
    pg = [r for r in results if r["label"] == "PostgreSQL" and r["workers"] == 2]
    if args.mix == "reports" and pg:
        met = "met" if float(pg[0]["reports_per_s"]) >= 200 else "NOT met"
        goal = f"\nGoal (issue 21): POST /report >= 200/s on PostgreSQL with two workers: {met}.\n"
    write_section(
        f"load-workers-{args.mix}",
        f"""
{args.users} users for {args.seconds:.0f} s on loopback against `asbhub serve --workers N`:
{what}. The store holds three generated months (January-March 2021).

{_workers_head(per)}
{rows}
{goal}
Each row's reference is measured just before it: a bare FastAPI endpoint under `uvicorn
--workers N`, the same client and users, {ref_seconds:.0f} s. CPU is that of the server's
processes (the uvicorn parent and workers; the database's backends for the app) over the
run, per {per}: on a machine shared with other work it moves far less than the rates do.
The load average is the one-minute figure at the end of each run, on {os.cpu_count()} cores.
""",
    )


if __name__ == "__main__":
    main()
