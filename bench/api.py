#!/usr/bin/env python3
"""API benchmark: 50 concurrent clients against a real `tenderproof serve` (uvicorn) on loopback.

    .venv/bin/python bench/api.py [--clients 50] [--bids 1000] [--reads 2000] [--duration 30]
                                  [--no-postgres] [--no-profile]

Per backend (SQLite, and PostgreSQL if reachable):
1. `tenderproof demo --no-serve --data-dir D [--db URL]`: JEDI replayed, the live sandbox tender
   SANDBOX-1 with demo accounts (D/demo-accounts.json), plus one bidder account per client.
2. `tenderproof serve` as a subprocess on a free port (one uvicorn worker, the deadline worker).
3. Tender pages, each for at most --reads requests or --duration seconds: GET /api/tenders/{id}
   and the portal's /tenders/{id} (if the portal is mounted), for SANDBOX-1 and for JEDI.
4. Sealed bids to SANDBOX-1 (POST /api/tenders/SANDBOX-1/bids), sealed beforehand on the client
   side (sealing is the bidder's work, not the server's), --bids of them or --duration seconds,
   round-robin over the bidder accounts, each with its own Idempotency-Key. Then the SANDBOX-1
   API page again, now listing every bid.
Every client is its own httpx.AsyncClient (one keep-alive connection), all in one asyncio loop in
this process. CPU columns: CPU seconds per wall second of the server process and of this one.
Then, on the SQLite data dir, cProfile of each request type in-process (the ASGI app called from
one thread, FastAPI's thread pool replaced by inline calls).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import io
import json
import os
import pstats
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import sqlalchemy as sa
from machine import describe
from rich.console import Console
from rich.table import Table

from tenderproof import seal
from tenderproof.app import accounts
from tenderproof.app.service import Procurement
from tenderproof.instance import Settings, open_log
from tenderproof.store.db import normalize_url
from tenderproof.store.schema import tenders

PG_BASE = "postgresql://root@127.0.0.1:5432/test"
SANDBOX = "SANDBOX-1"
console = Console(highlight=False, width=200)


def machine() -> str:
    import fastapi
    import uvicorn

    return describe(f"uvicorn {uvicorn.__version__}", f"FastAPI {fastapi.__version__}", f"httpx {httpx.__version__}")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] if xs else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- installations ---------------------------------------------------------------------------


class Backend:
    def __init__(self, name: str, workdir: Path, admin: sa.Engine | None = None) -> None:
        self.name, self.admin, self.schema = name, admin, None
        self.data_dir = workdir / name
        self.db: str | None = None
        if admin is not None:
            self.schema = f"bench_api_{uuid.uuid4().hex[:10]}"
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
            url = sa.engine.make_url(normalize_url(PG_BASE)).update_query_dict({"options": f"-csearch_path={self.schema}"})
            self.db = url.render_as_string(hide_password=False)

    def cli(self, *args: str) -> list[str]:
        cmd = [sys.executable, "-m", "tenderproof", *args, "--data-dir", str(self.data_dir)]
        return cmd + (["--db", self.db] if self.db else [])

    def settings(self) -> Settings:
        return Settings(self.data_dir, self.db or f"sqlite:///{(self.data_dir / 'tenderproof.db').resolve()}")

    def cleanup(self) -> None:
        if self.admin is not None:
            with self.admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def set_up(backend: Backend, clients: int) -> dict:
    """The demo installation plus a bidder account per client; returns tokens and ids."""
    t = time.perf_counter()
    subprocess.run(backend.cli("demo", "--no-serve"), check=True, capture_output=True, timeout=600)
    demo = json.loads((backend.data_dir / "demo-accounts.json").read_text())
    p = Procurement(open_log(backend.settings()), backend.data_dir)
    bidders = {}
    for i in range(clients):
        pid = f"bench-bidder-{i:02d}"
        accounts.add_person(p, pid, f"Bench Bidder {i:02d} Ltd")
        accounts.grant(p, pid, "bidder", SANDBOX)
        bidders[pid] = accounts.issue_token(p, pid, "bench")
    jedi = jedi_id(p)
    p.db.dispose()
    console.print(f"  set up in {time.perf_counter() - t:.1f} s: JEDI {jedi}, {SANDBOX}, {clients} bidder accounts")
    return {"demo": demo, "bidders": bidders, "jedi": jedi}


def jedi_id(p: Procurement) -> str:
    with p.db.reader.connect() as conn:
        return conn.execute(sa.select(tenders.c.id).where(tenders.c.id != SANDBOX)).scalar()


class Server:
    """`tenderproof serve` in a subprocess, on a free port."""

    def __init__(self, backend: Backend) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(backend.cli("serve", "--port", str(self.port)),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/log/checkpoint", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {self.proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode(errors="replace")


# --- the load ----------------------------------------------------------------------------------


class Result:
    def __init__(self, name: str) -> None:
        self.name, self.latencies, self.statuses, self.done = name, [], Counter(), []
        self.wall = self.client_cpu = self.server_cpu = self.load = 0.0

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if isinstance(s, int) and 200 <= s < 300)


async def load(url: str, name: str, requests: list[tuple[str, str, dict]], clients: int, duration: float,
               server_pid: int) -> Result:
    """Send `requests` (method, path, kwargs) from `clients` concurrent clients, at most `duration` s.

    Each client is its own httpx.AsyncClient with one keep-alive connection (one shared client
    with a pool of 50 connections spends about twice the CPU per request in the pool itself)."""
    res = Result(name)
    todo = iter(requests)
    ready, go = asyncio.Barrier(clients + 1), asyncio.Event()
    stop_at = float("inf")

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            await client.get("/api/tenders?limit=1")  # warm-up: the connection is open, not counted
            await ready.wait()
            await go.wait()
            for method, path, kw in todo:
                if time.perf_counter() > stop_at:
                    return
                t = time.perf_counter()
                try:
                    r = await client.request(method, path, **kw)
                    status: int | str = r.status_code
                    if r.status_code >= 400:
                        status = f"{r.status_code} {r.json().get('type', '').rsplit('/', 1)[-1]}"
                except httpx.HTTPError as e:
                    status = type(e).__name__
                res.latencies.append(time.perf_counter() - t)
                res.done.append(time.perf_counter())
                res.statuses[status] += 1

    tasks = [asyncio.create_task(worker()) for _ in range(clients)]
    await ready.wait()
    cpu0, scpu0, t0 = time.process_time(), cpu_seconds(server_pid), time.perf_counter()
    stop_at = t0 + duration
    go.set()
    await asyncio.gather(*tasks)
    res.wall = time.perf_counter() - t0
    res.client_cpu, res.server_cpu = time.process_time() - cpu0, cpu_seconds(server_pid) - scpu0
    res.load = os.getloadavg()[0]
    return res


def sealed_bids(url: str, n: int, bidders: dict[str, str]) -> list[tuple[str, str, dict]]:
    """n sealed bids for SANDBOX-1 (~4 KB each), round-robin over the bidder accounts."""
    view = httpx.get(f"{url}/api/tenders/{SANDBOX}").json()
    pub = base64.b64decode(view["opening_key"]["public_key"])
    tokens = list(bidders.values())
    out = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(n):
            folder = Path(d) / f"bid-{i}"
            folder.mkdir()
            (folder / "price.txt").write_text(f"PRICE {190_000 + i} USD\n" + "line item\n" * 400)
            blob = seal.seal_bid(SANDBOX, pub, seal.pack(folder))
            out.append(("POST", f"/api/tenders/{SANDBOX}/bids", {"content": blob, "headers": {
                "Authorization": f"Bearer {tokens[i % len(tokens)]}", "Content-Type": "application/octet-stream",
                "Idempotency-Key": f"bench-{i}"}}))
    return out


def run_backend(backend: Backend, args) -> list[Result]:
    console.rule(f"[bold]{backend.name}")
    env = set_up(backend, args.clients)
    server = Server(backend)
    results = []
    try:
        portal = httpx.get(f"{server.url}/tenders/{SANDBOX}").status_code == 200
        console.print(f"  server {server.url} (pid {server.proc.pid}); portal mounted: {portal}")
        pages = [("API", "/api/tenders/{}")] + ([("portal", "/tenders/{}")] if portal else [])
        for tid, label in ((SANDBOX, "SANDBOX-1"), (env["jedi"], "JEDI")):
            for kind, fmt in pages:
                size = len(httpx.get(server.url + fmt.format(tid)).content)
                reqs = [("GET", fmt.format(tid), {})] * args.reads
                r = asyncio.run(load(server.url, f"{kind} tender page, {label} ({size / 1024:.0f} KiB)", reqs,
                                     args.clients, args.duration, server.proc.pid))
                results.append(r)
                report(r)
        t = time.perf_counter()
        bids = sealed_bids(server.url, args.bids, env["bidders"])
        console.print(f"  {len(bids)} bids sealed client-side in {time.perf_counter() - t:.1f} s (not counted)")
        r = asyncio.run(load(server.url, f"sealed bid to {SANDBOX} ({len(bids[0][2]['content']) / 1024:.1f} KiB)",
                             bids, args.clients, args.duration, server.proc.pid))
        results.append(r)
        report(r)
        page = httpx.get(f"{server.url}/api/tenders/{SANDBOX}")
        console.print(f"  SANDBOX-1 now lists {len(page.json()['bids'])} bids ({r.ok} accepted in the run)")
        # The sandbox page again, now that it lists every bid.
        name = f"API tender page, SANDBOX-1 after the bids ({len(page.content) / 1024:.0f} KiB)"
        r = asyncio.run(load(server.url, name, [("GET", f"/api/tenders/{SANDBOX}", {})] * args.reads, args.clients,
                             args.duration, server.proc.pid))
        results.append(r)
        report(r)
    finally:
        err = server.stop()
        if "Traceback" in err:
            console.print(f"[red]server errors:[/]\n{err[-3000:]}", markup=True)
    return results


def quarter_rates(r: Result) -> str:
    """Requests/s in each quarter of the requests, in completion order (does it slow down?)."""
    done, q = sorted(r.done), len(r.done) // 4
    if q < 2:
        return ""
    rates = [(q - 1) / (done[(i + 1) * q - 1] - done[i * q]) for i in range(4)]
    return "; by quarter " + " / ".join(f"{x:,.0f}" for x in rates) + " per s"


def report(r: Result) -> None:
    n = len(r.latencies)
    console.print(f"  {r.name}: {n} requests in {r.wall:.1f} s = {n / r.wall:,.0f}/s, p50 {pct(r.latencies, 50) * 1e3:.1f} ms, "
                  f"p99 {pct(r.latencies, 99) * 1e3:.1f} ms; statuses {dict(r.statuses)}; "
                  f"CPU server {r.server_cpu / r.wall:.0%}, client {r.client_cpu / r.wall:.0%} of one core; "
                  f"load average {r.load:.1f}{quarter_rates(r)}")


# --- server-side profile (in-process, one thread) ----------------------------------------------


def profile(backend: Backend, env: dict, n: int) -> None:
    """cProfile of the ASGI app serving each request type, sequentially, with FastAPI's thread
    pool replaced by inline calls so that all the server's work runs in the profiled thread."""
    import fastapi.dependencies.utils
    import fastapi.routing
    import starlette.concurrency

    from tenderproof.api import create_app

    async def inline(func, *a, **kw):
        return func(*a, **kw)

    for mod in (fastapi.routing, fastapi.dependencies.utils, starlette.concurrency):
        if hasattr(mod, "run_in_threadpool"):
            mod.run_in_threadpool = inline
    p = Procurement(open_log(backend.settings(), signing=True), backend.data_dir)
    app = create_app(p)
    transport = httpx.ASGITransport(app=app)
    view = p.state(SANDBOX)
    pub = base64.b64decode(view["opening"]["public_key"])
    token = next(iter(env["bidders"].values()))
    blobs = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(n):
            (Path(d) / f"b{i}").mkdir()
            (Path(d) / f"b{i}" / "price.txt").write_text(f"PRICE {i}\n" + "line item\n" * 400)
            blobs.append(seal.seal_bid(SANDBOX, pub, seal.pack(Path(d) / f"b{i}")))
    kinds = {
        "GET /api/tenders/SANDBOX-1": [("GET", f"/api/tenders/{SANDBOX}", {})] * n,
        f"GET /tenders/{env['jedi']} (portal)": [("GET", f"/tenders/{env['jedi']}", {})] * n,
        "POST /api/tenders/SANDBOX-1/bids": [("POST", f"/api/tenders/{SANDBOX}/bids", {"content": b, "headers": {
            "Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}}) for b in blobs],
    }

    async def go(reqs):
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.request(*reqs[0][:2], **reqs[0][2])  # warm-up
            prof = cProfile.Profile()
            t = time.perf_counter()
            prof.enable()
            for method, path, kw in reqs[1:]:
                r = await client.request(method, path, **kw)
                assert r.status_code < 300, r.text
            prof.disable()
            return prof, (time.perf_counter() - t) / (len(reqs) - 1)

    for kind, reqs in kinds.items():
        prof, per = asyncio.run(go(reqs))
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
        stats.print_stats(r"tenderproof|sqlalchemy/engine/base.py:\d+\(_execute_context\)|jinja2/environment.py.*render|"
                          r"rfc8785|json/__init__|hpke|cryptography|fsync|os\.|fastapi/routing.py.*serialize", 22)
        console.rule(f"profile: {kind}, {per * 1e3:.2f} ms per request in-process (cProfile on)")
        text = out.getvalue()
        console.print(text[text.find("   ncalls"):], markup=False)
    p.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--bids", type=int, default=1000, help="sealed bids to send (at most)")
    ap.add_argument("--reads", type=int, default=2000, help="requests per tender page (at most)")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per measurement (at most)")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--profile-requests", type=int, default=200)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    console.print(machine())
    console.print(f"{args.clients} concurrent clients; at most {args.reads} requests per page, {args.bids} bids, "
                  f"{args.duration:.0f} s per measurement")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tp-bench-api-"))
    backends = [Backend("sqlite", workdir)]
    admin = None
    if not args.no_postgres:
        try:
            admin = sa.create_engine(normalize_url(PG_BASE))
            with admin.connect() as conn:
                version = conn.exec_driver_sql("SHOW server_version").scalar()
            console.print(f"PostgreSQL {version} at {PG_BASE}")
            backends.append(Backend("postgresql", workdir, admin))
        except sa.exc.OperationalError as e:
            console.print(f"PostgreSQL not reachable ({e.orig}); SQLite only")
    table = Table(title="API under load (loopback, one uvicorn worker)")
    for col in ("backend", "request", "requests", "non-2xx", "req/s", "p50 ms", "p99 ms", "server CPU", "client CPU",
                "load avg"):
        table.add_column(col, justify="left" if col in ("backend", "request", "non-2xx") else "right")
    try:
        for b in backends:
            results = run_backend(b, args)
            for r in results:
                n = len(r.latencies)
                bad = {s: k for s, k in r.statuses.items() if not (isinstance(s, int) and 200 <= s < 300)}
                table.add_row(b.name, r.name, f"{n:,}", ", ".join(f"{k}× {s}" for s, k in bad.items()) or "0",
                              f"{n / r.wall:,.0f}", f"{pct(r.latencies, 50) * 1e3:.1f}", f"{pct(r.latencies, 99) * 1e3:.1f}",
                              f"{r.server_cpu / r.wall:.0%}", f"{r.client_cpu / r.wall:.0%}", f"{r.load:.1f}")
        console.print(table)
        if not args.no_profile:
            b = backends[0]
            p = Procurement(open_log(b.settings()), b.data_dir)
            env = {"bidders": {"bench-bidder-00": accounts.issue_token(p, "bench-bidder-00", "profile")},
                   "jedi": jedi_id(p)}
            p.db.dispose()
            profile(b, env, args.profile_requests)
    finally:
        for b in backends:
            b.cleanup()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
