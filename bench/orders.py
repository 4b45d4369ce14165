#!/usr/bin/env python3
"""Orders benchmark (issue 14): a vehicle with 10,000 orders through the app layer.

    .venv/bin/python bench/orders.py [--orders N] [--postgres]

1. An IDIQ vehicle (shared ceiling $100M, two awardees) is created, competed with sealed bids,
   opened and awarded through `Procurement.execute`, as in the tests; then N orders are placed
   (micro-purchases under FAR 16.505(b)(1)(i), alternating awardees), one durable transaction each.
   Each placement is timed; the table gives the median and p90 of the 100 orders after 0, 1,000,
   5,000 and N-100 orders are in. Placing an order reads the vehicle's core row and one order key
   and writes one entry: it should not grow with the orders already placed (O(1)).
2. At 1,000, 5,000 and N orders the vehicle's record bundle is exported (timed apart), then
   verified offline: the ceiling check alone (`record.verify_vehicle.check_vehicle` over the
   bundle's parsed events: O(n)), its peak memory (tracemalloc, a separate run: constant in n
   besides the per-party totals), and the whole `verify_record` (proofs, manifest, documents).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import shutil
import statistics
import tempfile
import time
import tracemalloc
import uuid
import zipfile
from pathlib import Path

import sqlalchemy as sa
from machine import describe
from rich.console import Console
from rich.table import Table

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import Settings, init
from tenderproof.ledger.tlogproof import TlogProof
from tenderproof.record import export_record, verify_record
from tenderproof.record.bundle import classify
from tenderproof.record.reading import Reading
from tenderproof.record.verify_vehicle import check_vehicle
from tenderproof.scenario.runner import Clock
from tenderproof.store.db import normalize_url

PG_BASE = "postgresql://root@127.0.0.1:5432/test"
T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
V = "V-1"
BUYER, SSA, EVAL = Actor("co", "buyer"), Actor("ssa", "ssa"), Actor("ev", "evaluator")
OPENERS = [Actor(f"op{i}", "opening_official") for i in (1, 2, 3)]
PARTIES = ("acme", "beta")
WINDOW = 100
console = Console(highlight=False, width=200)


def pct(xs: list[float], p: float) -> float:
    return sorted(xs)[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def vehicle(p: Procurement, clock: Clock, tmp: Path) -> None:
    """V-1 created, competed and awarded to acme and beta (what tests/record/test_verify_vehicle does)."""
    keys = {o.id: seal.OfficialKeyPair.generate() for o in OPENERS}
    for o in OPENERS:
        bidding.register_official(p, o.id, o.id, keys[o.id].public_bytes())
    p.execute(c.CreateTender(
        V, title="Cloud vehicle", description="A multiple-award IDIQ contract", method="open",
        buyer={"id": "agency", "name": "Agency"}, criteria="bestValueTradeoff",
        items=[{"id": "i1", "description": "cloud", "classification": {"scheme": "CPV", "id": "72000000"}}],
        factors=[{"id": "tech", "name": "Technical", "weight": 3},
                 {"id": "price", "name": "Price", "kind": "price", "weight": 1}],
        tender_end=clock.now + dt.timedelta(days=30), enquiry_end=None,
        panel={"evaluator": [EVAL.id], "ssa": [SSA.id], "opening_official": [o.id for o in OPENERS]},
        opening_threshold=2, value={"amount": "100000000", "currency": "USD"},
        vehicle={"kind": "idiq", "awardees": 2, "ceiling": {"amount": "100000000", "currency": "USD"},
                 "ordering_end": clock.now + dt.timedelta(days=365 * 5)}), BUYER)
    bidding.publish(p, V, BUYER)
    pub = base64.b64decode(p.state(V)["opening"]["public_key"])
    for bidder in PARTIES:
        d = tmp / f"pkg-{bidder}"
        d.mkdir(parents=True)
        (d / "proposal.txt").write_text(f"{bidder} proposal\n")
        p_ = seal.seal_bid(V, pub, seal.pack(d))
        bidding.submit_bid(p, V, Actor(bidder, "bidder"), bidder.upper(), p_, bid_id=f"bid-{bidder}")
    clock.now += dt.timedelta(days=31)
    p.run_deadlines()
    enc = p.state(V)["opening"]["encrypted_shares"]
    for o in OPENERS[:2]:
        p.execute(c.DeclareInterests(V, False), o)
        bidding.submit_share(p, V, o, seal.decrypt_share(V, o.id, base64.b64decode(enc[o.id]), keys[o.id]))
    p.execute(c.DeclareInterests(V, False), EVAL)
    for bidder, price in zip(PARTIES, ("900", "950"), strict=True):
        p.execute(c.RateProposal(V, f"bid-{bidder}", "tech", "Good"), EVAL)
        p.execute(c.RateProposal(V, f"bid-{bidder}", "price", price), EVAL)
    p.execute(c.DeclareInterests(V, False), SSA)
    p.execute(c.AwardVehicle(V, [f"bid-{b}" for b in PARTIES], "Both offer the capability."), SSA)


def place(p: Procurement, clock: Clock, i: int) -> float:
    clock.now += dt.timedelta(minutes=1)
    amount = 1000 + (i * 7919) % 14000  # at most the micro-purchase threshold ($15,000 from 2025-10-01)
    cmd = c.PlaceOrder(V, f"O-{i:05d}", "Cloud capacity.", party=PARTIES[i % 2],
                       value={"amount": str(amount), "currency": "USD"})
    t = time.perf_counter()
    p.execute(cmd, BUYER)
    return time.perf_counter() - t


def reading_of(bundle: bytes) -> Reading:
    """The bundle as verify_record's earlier checks leave it: envelopes parsed, ledger indexes read."""
    b = Reading()
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        for info in zf.infolist():
            m = classify(info.filename)
            if m is not None and m.kind == "event":
                b.envs[int(m.key)] = json.loads(zf.read(info))  # type: ignore[arg-type]
            elif m is not None and m.kind == "proof":
                b.indexes[int(m.key)] = TlogProof.parse(zf.read(info)).index  # type: ignore[arg-type]
    return b


def verify_times(bundle: bytes) -> dict[str, float | str]:
    b = reading_of(bundle)
    t = time.perf_counter()
    check_vehicle(b)
    ceiling = time.perf_counter() - t
    (line,) = [ln for ln in b.report.lines if ln.subject == "vehicle"]
    assert line.status == "ok", line
    tracemalloc.start()
    check_vehicle(reading_of_envs(b))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t = time.perf_counter()
    report = verify_record(bundle)
    whole = time.perf_counter() - t
    assert report.valid, report.failures
    return {"ceiling": ceiling, "peak": peak, "whole": whole, "line": line.text}


def reading_of_envs(b: Reading) -> Reading:
    return Reading(envs=b.envs, indexes=b.indexes)


def run(name: str, settings: Settings, n: int, out: list[dict]) -> None:
    clock = Clock()
    clock.now = T0
    p = Procurement(init(settings, origin="bench.example/log"), settings.data_dir, clock)
    try:
        vehicle(p, clock, settings.data_dir.parent / f"bidders-{settings.data_dir.name}")
        times: list[float] = []
        marks = sorted({m for m in (1000, 5000, n) if m <= n})
        exports: dict[int, tuple[float, bytes]] = {}
        for i in range(1, n + 1):
            times.append(place(p, clock, i))
            if i in marks:
                t = time.perf_counter()
                data = export_record(p, V).data
                exports[i] = (time.perf_counter() - t, data)
                console.print(f"  {name}: {i} orders placed, bundle {len(data):,} bytes")
        state = p.state(V)["vehicle"]
        assert state["orders"] == n
        for at in sorted({0, 1000, 5000, n - WINDOW}):
            if at + WINDOW <= n:
                w = times[at:at + WINDOW]
                out.append({"backend": name, "kind": "place", "at": at, "median": statistics.median(w),
                            "p90": pct(w, 90)})
        for m, (export_s, data) in sorted(exports.items()):
            v = verify_times(data)
            out.append({"backend": name, "kind": "verify", "at": m, "export": export_s, "bytes": len(data), **v})
        console.print(f"  {name}: ordered {state['ordered']} USD in {n} orders; total placement "
                      f"{sum(times):.1f} s, mean {statistics.mean(times) * 1000:.2f} ms")
    finally:
        p.db.dispose()


def tables(results: list[dict]) -> None:
    tab = Table(title="Placing an order (one durable transaction each), over 100 orders after those already in")
    for col in ("backend", "orders already in", "median ms", "p90 ms"):
        tab.add_column(col, justify="left" if col == "backend" else "right")
    for r in results:
        if r["kind"] == "place":
            tab.add_row(r["backend"], f"{r['at']:,}", f"{r['median'] * 1000:.2f}", f"{r['p90'] * 1000:.2f}")
    console.print(tab)
    tab = Table(title="Verifying the vehicle's record bundle offline")
    for col in ("backend", "orders", "bundle bytes", "export s", "ceiling check ms", "µs per order",
                "ceiling check peak KiB", "whole verify_record s"):
        tab.add_column(col, justify="left" if col == "backend" else "right")
    for r in results:
        if r["kind"] == "verify":
            tab.add_row(r["backend"], f"{r['at']:,}", f"{r['bytes']:,}", f"{r['export']:.2f}",
                        f"{r['ceiling'] * 1000:.1f}", f"{r['ceiling'] / r['at'] * 1e6:.1f}",
                        f"{r['peak'] / 1024:.1f}", f"{r['whole']:.2f}")
    console.print(tab)
    last = [r for r in results if r["kind"] == "verify"][-1]
    console.print(f"ok vehicle: {last['line']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=10_000, help="orders to place (default 10,000)")
    ap.add_argument("--postgres", action="store_true", help=f"also on PostgreSQL ({PG_BASE})")
    args = ap.parse_args()
    console.print(f"[bold]tenderproof orders benchmark[/]\n{describe()}")
    workdir = Path(tempfile.mkdtemp(prefix="tp-orders-"))
    results: list[dict] = []
    admin = schema = None
    try:
        run("sqlite", Settings(workdir / "sqlite", f"sqlite:///{(workdir / 'sqlite' / 'tenderproof.db').resolve()}"),
            args.orders, results)
        if args.postgres:
            admin = sa.create_engine(normalize_url(PG_BASE), connect_args={"connect_timeout": 3})
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            url = sa.engine.make_url(normalize_url(PG_BASE)).update_query_dict({"options": f"-csearch_path={schema}"})
            run("postgresql", Settings(workdir / "pg", url.render_as_string(hide_password=False)), args.orders,
                results)
        tables(results)
    finally:
        if admin is not None:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
