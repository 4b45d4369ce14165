#!/usr/bin/env python3
"""The deadline rush (issue 10): concurrent bidders over HTTP against a real `tenderproof serve` on
loopback, into one tender that already holds 0, 1,000 or 10,000 bids.

    .venv/bin/python bench/rush.py [--preloads 0,1000,10000] [--bids 2000] [--clients 50]
                                   [--backends sqlite,postgresql | --no-postgres] [--duration 600]
                                   [--rate BIDS_PER_S] [--workers N] [--workdir DIR]

For each backend and preload, on a fresh installation (on PostgreSQL a schema of its own in
postgresql://root@127.0.0.1:5432/test, dropped afterwards):
1. `tenderproof demo --no-serve --hours 24`: the live sandbox tender SANDBOX-1 and the demo
   accounts; plus one bidder account per client, as in bench/api.py.
2. The preload, in-process before the server starts: that many sealed bids (a few hundred bytes
   of plaintext each) through the app layer (`bidding.submit_bid`), from 300 registered bidders.
3. --bids distinct sealed bids (~4 KiB each), sealed here beforehand: sealing is the bidder's work.
4. `tenderproof serve --workers N` on a free port; 5 bids to warm it up, not counted. Then the
   clients, each with its own bidder account and keep-alive connections, post the bids to
   POST /api/tenders/SANDBOX-1/bids, each with its own Idempotency-Key, until they run out or
   --duration seconds have passed: closed loop (each client sends its next bid when the last is
   answered), or with --rate open loop (bids sent on a fixed schedule at that rate).
Per row: bids accepted (HTTP 201) per second of wall time; p50 and p99 latency of every request,
from sending it to the full response; the other outcomes by HTTP status and problem type; the
server's CPU seconds per wall second (all its processes), this client's, the server's peak RSS
(VmHWM, summed over its processes); the 1-minute load average at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa
from rich.table import Table

from api import PG_BASE, SANDBOX, Backend, console, cpu_seconds, free_port, machine, pct
from tenderproof import seal
from tenderproof.app import accounts, bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.instance import open_log
from tenderproof.store.db import normalize_url

BIDS_PATH = f"/api/tenders/{SANDBOX}/bids"
POOL = 300  # distinct bidders behind the preloaded bids
WARMUP = 5  # bids sent before the clock starts
DEADLINE_HOURS = 24.0  # the sandbox tender's deadline, from its creation


@dataclass
class Row:
    backend: str
    preload: int
    preload_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[int | str] = field(default_factory=Counter)
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    peak_rss_kib: int = 0
    load: float = 0.0

    def cells(self) -> list[str]:
        errors = ", ".join(f"{n}× {s}" for s, n in self.outcomes.most_common() if s != 201)
        return [self.backend, f"{self.preload:,}", f"{self.preload_s:,.1f} s", f"{len(self.latencies):,}",
                f"{self.outcomes[201] / self.wall:,.1f}", f"{pct(self.latencies, 50) * 1e3:,.1f}",
                f"{pct(self.latencies, 99) * 1e3:,.1f}", errors or "0", f"{self.server_cpu / self.wall:.0%}",
                f"{self.client_cpu / self.wall:.0%}",
                f"{self.peak_rss_kib / 1024:,.0f}", f"{self.load:.1f}"]


class Server:
    """`tenderproof serve` in a subprocess on a free loopback port, its stderr in a file (a pipe
    nobody reads would block the server once tracebacks fill it)."""

    def __init__(self, backend: Backend, workers: int = 1) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.stderr = backend.data_dir / "serve.stderr"
        with self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(backend.cli("serve", "--port", str(port), "--workers", str(workers)),
                                         stdout=subprocess.DEVNULL, stderr=err)
        give_up = time.monotonic() + 60
        while not self._up():
            if self.proc.poll() is not None or time.monotonic() > give_up:
                self.stop()
                raise RuntimeError(f"the server did not start: {self.stderr.read_text()[-2000:]}")
            time.sleep(0.2)

    def _up(self) -> bool:
        try:
            return httpx.get(f"{self.url}/log/checkpoint", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def pids(self) -> list[int]:
        """The server process and its worker processes (uvicorn's children with --workers)."""
        kids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                kids.append(int(stat.parent.name))
        return [self.proc.pid, *kids]

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def peak_rss_kib(self) -> int:
        """The sum of the server processes' peak resident sets."""
        total = 0
        for pid in self.pids():
            status = Path(f"/proc/{pid}/status").read_text()
            total += next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmHWM:"))
        return total

    def stop(self) -> str:
        """Stop the server; returns what it wrote to stderr."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.stderr.read_text(errors="replace")


def sealed_bids(public_key: bytes, n: int, tag: str, lines: int) -> list[bytes]:
    """n distinct sealed bids for SANDBOX-1: a price and `lines` lines of terms each."""
    out = []
    with tempfile.TemporaryDirectory() as d:
        price = Path(d) / "price.txt"
        for i in range(n):
            price.write_text(f"{tag} bid {i}: PRICE {190_000 + i} USD\n" + "line item\n" * lines)
            out.append(seal.seal_bid(SANDBOX, public_key, seal.pack(price)))
    return out


def preload(p: Procurement, blobs: list[bytes]) -> float:
    """Submit `blobs` through the app layer from POOL registered bidders; returns the seconds taken."""
    pool = [(f"preload-bidder-{i:03d}", f"Preload Bidder {i:03d} Ltd") for i in range(POOL)]
    for pid, name in pool:
        accounts.add_person(p, pid, name)
    t0 = last = time.perf_counter()
    done_at_last = 0
    for i, blob in enumerate(blobs, 1):
        pid, name = pool[i % POOL]
        bidding.submit_bid(p, SANDBOX, Actor(pid, "bidder"), name, blob, prove=False)
        now = time.perf_counter()
        if now - last >= 30 or i == len(blobs):
            console.print(f"  preloaded {i:,}/{len(blobs):,} bids in {now - t0:.0f} s "
                          f"(lately {(i - done_at_last) / (now - last):,.1f}/s)")
            last, done_at_last = now, i
    return time.perf_counter() - t0


def prepare(backend: Backend, row: Row, clients: int, bids: int) -> tuple[list[str], list[bytes]]:
    """The installation, the client accounts and the preload; returns tokens and the sealed bids."""
    t = time.perf_counter()
    subprocess.run(backend.cli("demo", "--no-serve", "--hours", str(DEADLINE_HOURS)), check=True,
                   capture_output=True, timeout=900)
    console.print(f"  demo installation in {time.perf_counter() - t:.0f} s")
    p = Procurement(open_log(backend.settings()), backend.data_dir)
    try:
        tokens = []
        for i in range(clients):
            pid = f"rush-bidder-{i:02d}"
            accounts.add_person(p, pid, f"Rush Bidder {i:02d} Ltd")
            accounts.grant(p, pid, "bidder", SANDBOX)
            tokens.append(accounts.issue_token(p, pid, "rush"))
        public_key = bidding.public_key(p.state(SANDBOX))
        if row.preload:
            row.preload_s = preload(p, sealed_bids(public_key, row.preload, "preload", 20))
    finally:
        p.db.dispose()
    t = time.perf_counter()
    blobs = sealed_bids(public_key, WARMUP + bids, "rush", 400)
    console.print(f"  {len(blobs):,} bids sealed client-side in {time.perf_counter() - t:.0f} s (not counted)")
    return tokens, blobs


def check_deadline(backend: Backend, duration: float) -> None:
    """The measurement (at most `duration` s, plus requests in flight) must end well before the deadline."""
    deadline = dt.datetime.fromisoformat(json.loads((backend.data_dir / "demo-accounts.json").read_text())["deadline"])
    left = (deadline - dt.datetime.now(dt.UTC)).total_seconds()
    if left < duration + 600:
        raise SystemExit(f"{SANDBOX}'s deadline {deadline.isoformat()} is only {left:.0f} s away; "
                         f"the run needs {duration + 600:.0f} s")


def outcome(status: int, content_type: str, body: bytes) -> int | str:
    """201, or the status with its problem type (e.g. "409 wrong-status")."""
    if status < 400 or "json" not in content_type:
        return status
    return f"{status} {json.loads(body).get('type', '').rsplit('/', 1)[-1]}"


class Connection:
    """One keep-alive HTTP/1.1 connection, as lean as a client can be: the request's bytes out, the
    status line, headers and Content-Length body back (what uvicorn answers). The bidders' side
    should not eat the CPU the server is measured with: httpx costs about 1.4 ms of CPU a request
    here, this about a tenth of that (`--client httpx` measures with httpx)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        reused = self.writer is not None
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n" + \
            "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError) as e:
            if not reused or getattr(e, "partial", b""):
                raise
            # The server closed this kept-alive connection while it sat idle (uvicorn's keep-alive
            # timeout) just as the request went out; not a byte came back. Like any HTTP client
            # (RFC 9112 section 9.3.1), send it again on a new connection: the Idempotency-Key
            # makes a repeat harmless.
            await self.close()
            return await self.post(path, headers, body)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
        content = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, fields.get("content-type", ""), content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def rush(url: str, tokens: list[str], blobs: list[bytes], duration: float, row: Row, rate: float | None,
               client: str = "raw") -> None:
    """Closed loop (no `rate`): every client posts the next bid as soon as its previous one is
    answered, so the latency is what the throughput allows (Little's law: 50 clients at 500/s
    wait 100 ms on average). Open loop (`rate` bids/s): bids are sent on a fixed schedule,
    round-robin over the clients, whether or not earlier ones were answered: the latency at that
    offered load (each client then keeps as many connections as it has bids in flight)."""
    todo = iter(enumerate(blobs))
    heads = [{"Authorization": f"Bearer {t}", "Content-Type": "application/octet-stream"} for t in tokens]
    host, port = url.removeprefix("http://").split(":")
    idle: list[list[Connection]] = [[] for _ in tokens]
    clients = [httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=200))
               for _ in tokens] if client == "httpx" else []

    async def send(k: int, headers: dict[str, str], blob: bytes) -> tuple[int, str, bytes]:
        if clients:
            r = await clients[k].post(BIDS_PATH, content=blob, headers=headers)
            return r.status_code, r.headers.get("content-type", ""), r.content
        conn = idle[k].pop() if idle[k] else Connection(host, int(port))
        answer = await conn.post(BIDS_PATH, headers, blob)
        idle[k].append(conn)
        return answer

    async def post(k: int, i: int, blob: bytes) -> None:
        t = time.perf_counter()
        try:
            result = outcome(*await send(k, {**heads[k], "Idempotency-Key": f"rush-{i}"}, blob))
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError) as e:
            result = type(e).__name__
        row.latencies.append(time.perf_counter() - t)
        row.outcomes[result] += 1

    async def closed_loop(k: int, stop_at: float) -> None:
        for i, blob in todo:
            if time.perf_counter() > stop_at:
                return
            await post(k, i, blob)

    try:
        if clients:
            await asyncio.gather(*(c.get("/api/tenders?limit=1") for c in clients))  # connections open first
        else:
            for k in range(len(tokens)):
                conn = Connection(host, int(port))
                conn.reader, conn.writer = await asyncio.open_connection(host, int(port))
                idle[k].append(conn)
        t0 = time.perf_counter()
        if rate is None:
            await asyncio.gather(*(closed_loop(k, t0 + duration) for k in range(len(tokens))))
        else:
            tasks = []
            for n, (i, blob) in enumerate(todo):
                at = t0 + n / rate
                if at > t0 + duration:
                    break
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                tasks.append(asyncio.create_task(post(n % len(tokens), i, blob)))
            await asyncio.gather(*tasks)
        row.wall = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients), *(conn.close() for conns in idle for conn in conns))


def run_row(backend: Backend, row: Row, args: argparse.Namespace) -> None:
    console.rule(f"[bold]{row.backend}, {row.preload:,} bids preloaded")
    tokens, blobs = prepare(backend, row, args.clients, args.bids)
    check_deadline(backend, args.duration)
    server = Server(backend, args.workers)
    try:
        for i, blob in enumerate(blobs[:WARMUP]):
            r = httpx.post(server.url + BIDS_PATH, content=blob, timeout=120, headers={
                "Authorization": f"Bearer {tokens[0]}", "Content-Type": "application/octet-stream",
                "Idempotency-Key": f"warm-up-{i}"})
            if r.status_code != 201:
                raise RuntimeError(f"warm-up bid refused: {r.status_code} {r.text[:500]}")
        cpu0, mine0 = server.cpu_seconds(), time.process_time()
        asyncio.run(rush(server.url, tokens, blobs[WARMUP:], args.duration, row, args.rate, args.client))
        row.server_cpu, row.client_cpu = server.cpu_seconds() - cpu0, time.process_time() - mine0
        row.peak_rss_kib = server.peak_rss_kib()
        row.load = os.getloadavg()[0]
    finally:
        err = server.stop()
        if "Traceback" in err:
            console.print(f"[red]server errors:[/]\n{err[-3000:]}")
    console.print("  " + " | ".join(row.cells()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preloads", default="0,1000,10000", help="bids already in the tender, one row each")
    ap.add_argument("--bids", type=int, default=2000, help="bids measured per row (at most)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rate", type=float, help="open loop: offer this many bids per second (default: closed loop)")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw",
                    help="the bidders' HTTP client: a lean keep-alive HTTP/1.1 one (default) or httpx")
    ap.add_argument("--workers", type=int, default=1, help="server processes (`tenderproof serve --workers`)")
    ap.add_argument("--duration", type=float, default=600.0, help="seconds of measurement per row (at most)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--no-postgres", action="store_true", help="the same as --backends sqlite")
    ap.add_argument("--workdir", type=Path, help="keep the data directories here (default: a temporary one)")
    args = ap.parse_args()
    preloads = [int(n) for n in args.preloads.split(",")]
    names = [b for b in args.backends.split(",") if not (args.no_postgres and b == "postgresql")]
    if not set(names) <= {"sqlite", "postgresql"}:
        ap.error(f"unknown backend in {args.backends!r}: the choices are sqlite and postgresql")
    console.print(f"$ {shlex.join([sys.executable, *sys.argv])}\n{machine()}")
    admin: sa.Engine | None = None
    if "postgresql" in names:
        admin = sa.create_engine(normalize_url(PG_BASE))
        try:
            with admin.connect() as conn:
                console.print(f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar()} at {PG_BASE}")
        except sa.exc.OperationalError as e:
            console.print(f"[red]PostgreSQL not reachable ({e.orig}); skipped")
            names.remove("postgresql")
    table = Table(title=f"Deadline rush: {args.clients} bidders over HTTP into {SANDBOX}, at most {args.bids:,} bids "
                        f"or {args.duration:.0f} s per row, "
                        + (f"offered at {args.rate:,.0f}/s" if args.rate else "closed loop")
                        + f" (loopback, {args.workers} server process{'es' if args.workers > 1 else ''})")
    for col in ("backend", "preload", "preload time", "bids sent", "accepted/s", "p50 ms", "p99 ms", "errors",
                "server CPU", "client CPU", "peak RSS MiB", "load avg"):
        table.add_column(col, justify="left" if col in ("backend", "errors") else "right")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tp-bench-rush-"))
    try:
        for name in names:
            for n in preloads:
                backend = Backend(f"{name}-{n}", workdir, admin if name == "postgresql" else None)
                row = Row(name, n)
                try:
                    run_row(backend, row, args)
                finally:
                    backend.cleanup()
                table.add_row(*row.cells())
    finally:
        console.print(table)
        if admin is not None:
            admin.dispose()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
