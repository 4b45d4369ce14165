#!/usr/bin/env python3
"""Lifecycle benchmark: whole procurements through the app layer, on SQLite and PostgreSQL.

    .venv/bin/python bench/lifecycle.py [--tenders N] [--quick] [--no-postgres] [--profile KIND]

1. N whole tenders, phase by phase: create, publish (opening key, 2-of-3), 2 enquiries
   asked and answered, 3 sealed bids, deadlines, declarations, 2 shares (the 2nd opens the bids),
   6 ratings, award, contract. One command = one durable transaction. What bidders and officials
   do on their own machines (seal a bid, decrypt a share) is timed apart and not counted.
2. The `jedi` scenario replayed into a fresh data dir (init timed apart), then `rebuild(check=True)`.
3. The same replay into the data dir of step 1 (N tenders there already), under new tender ids.
`--profile KIND` runs cProfile around every command of that kind (SQLite only) and prints it.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import datetime as dt
import pstats
import shutil
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa
from machine import describe
from rich.console import Console
from rich.table import Table

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.rebuild import rebuild
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import Settings, init
from tenderproof.scenario.runner import Clock, Runner, Scenario
from tenderproof.store.db import normalize_url

PG_BASE = "postgresql://root@127.0.0.1:5432/test"
T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
BUYER, SSA, EVAL = Actor("co", "buyer"), Actor("ssa", "ssa"), Actor("ev", "evaluator")
OPENERS = [Actor(f"op{i}", "opening_official") for i in (1, 2, 3)]
BIDDERS = [("acme", "Good", "900"), ("globex", "Outstanding", "950"), ("initech", "Acceptable", "800")]
PRICE = {"amount": "950", "currency": "USD"}
PUBLISH, BID = "publish (with opening key)", "submit sealed bid"
KEYGEN, BLOB, PROOF = ("  of which create_opening_key (2-of-3)", "  of which storing the sealed blob",
                       "  of which the receipt's tlog-proof")
REAL_CREATE_OPENING_KEY = seal.create_opening_key
PARENT = {KEYGEN: PUBLISH, BLOB: BID, PROOF: BID}  # 'of which' rows: time inside the parent's
console = Console(highlight=False, width=200)


def machine() -> str:
    return describe()


def pct(xs: list[float], p: float) -> float:
    return sorted(xs)[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


class Recorder:
    """Wall time of every call, by kind; optionally cProfile around one kind."""

    def __init__(self, profile_kind: str | None = None) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.profile_kind, self.profiler = profile_kind, cProfile.Profile() if profile_kind else None

    def __call__(self, kind: str, fn, *args, **kw):
        (prof := self.profiler if kind == self.profile_kind else None) and prof.enable()
        t = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            self.times[kind].append(time.perf_counter() - t)
            prof and prof.disable()

    def part(self, kind: str, fn):  # fn, timed under `kind` wherever it is called from
        return lambda *a, **kw: self(kind, fn, *a, **kw)


class Backend:
    """Fresh installations: temp dirs on SQLite, a schema each (created, later dropped) on PostgreSQL."""

    def __init__(self, name: str, workdir: Path, admin: sa.Engine | None = None) -> None:
        self.name, self.workdir, self.admin, self.schemas = name, workdir, admin, []

    def fresh(self) -> Settings:
        d = self.workdir / f"{self.name}-{uuid.uuid4().hex[:8]}"
        if self.admin is None:
            return Settings(d, f"sqlite:///{(d / 'tenderproof.db').resolve()}")
        self.schemas.append(schema := f"bench_{uuid.uuid4().hex[:10]}")
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = sa.engine.make_url(normalize_url(PG_BASE)).update_query_dict({"options": f"-csearch_path={schema}"})
        return Settings(d, url.render_as_string(hide_password=False))

    def cleanup(self) -> None:
        for schema in self.schemas:
            with self.admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def tender(tid: str, clock: Clock) -> c.CreateTender:
    return c.CreateTender(
        tid, title=f"Cloud services {tid}", description="A benchmark procurement", method="open",
        buyer={"id": "agency", "name": "Agency"}, criteria="bestValueTradeoff",
        items=[{"id": "i1", "description": "cloud", "classification": {"scheme": "CPV", "id": "72000000"}}],
        factors=[{"id": "tech", "name": "Technical", "weight": 3},
                 {"id": "price", "name": "Price", "kind": "price", "weight": 1}],
        tender_end=clock.now + dt.timedelta(days=30), enquiry_end=clock.now + dt.timedelta(days=10),
        panel={"evaluator": [EVAL.id], "ssa": [SSA.id], "opening_official": [o.id for o in OPENERS]},
        opening_threshold=2, value={"amount": "1000000", "currency": "USD"})


def pkg(tmp: Path, tid: str, bidder: str) -> bytes:
    d = tmp / f"pkg-{tid}-{bidder}"
    d.mkdir(parents=True)
    (d / "proposal.txt").write_text(f"{bidder} proposal for {tid}\n" * 200)  # ~7 KB
    (d / "price.csv").write_text("item,amount\ni1,900\n")
    return seal.pack(d)


def mix(settings: Settings, n: int, rec: Recorder) -> Procurement:
    """N whole procurements, phase by phase; returns the service (its data dir is reused)."""
    clock = Clock()
    clock.now = T0
    p = Procurement(init(settings, origin="bench.example/log"), settings.data_dir, clock)
    seal.create_opening_key = rec.part(KEYGEN, REAL_CREATE_OPENING_KEY)
    p.documents.put, p.log.tlog_proof = rec.part(BLOB, p.documents.put), rec.part(PROOF, p.log.tlog_proof)
    keys = {o.id: seal.OfficialKeyPair.generate() for o in OPENERS}
    for o in OPENERS:
        bidding.register_official(p, o.id, o.id, keys[o.id].public_bytes())
    tids = [f"T-{i:05d}" for i in range(n)]
    tmp = settings.data_dir.parent / f"bidders-{settings.data_dir.name}"  # the bidders' machines
    for tid in tids:
        rec("create", p.execute, tender(tid, clock), BUYER)
    for tid in tids:
        rec(PUBLISH, bidding.publish, p, tid, BUYER)
    for tid in tids:
        for q, (bidder, _, _) in enumerate(BIDDERS[:2]):
            rec("ask", p.execute, c.AskQuestion(tid, f"q{q}", f"Question {q} from {bidder}?"), Actor(bidder, "bidder"))
        for q in range(2):
            rec("answer", p.execute, c.AnswerQuestion(tid, f"q{q}", f"Answer {q}."), BUYER)
    for tid in tids:
        pub = base64.b64decode(p.state(tid)["opening"]["public_key"])
        for bidder, _, _ in BIDDERS:
            sealed = rec("client: seal a bid (not counted)", seal.seal_bid, tid, pub, pkg(tmp, tid, bidder))
            rec(BID, bidding.submit_bid, p, tid, Actor(bidder, "bidder"), bidder.upper(), sealed, bid_id=f"bid-{bidder}")
    clock.now += dt.timedelta(days=31)
    for tid in tids:
        rec("deadline worker (2 closes)", p.run_deadlines, tender_id=tid)
    for tid in tids:
        enc = p.state(tid)["opening"]["encrypted_shares"]
        for k, o in enumerate(OPENERS[:2]):
            rec("declare interests", p.execute, c.DeclareInterests(tid, False), o)
            share = rec("client: decrypt a share (not counted)", seal.decrypt_share, tid, o.id,
                        base64.b64decode(enc[o.id]), keys[o.id])
            rec("share, k-th: opens 3 bids" if k else "share", bidding.submit_share, p, tid, o, share)
    for tid in tids:
        rec("declare interests", p.execute, c.DeclareInterests(tid, False), EVAL)
        for bidder, tech, price in BIDDERS:
            rec("rate", p.execute, c.RateProposal(tid, f"bid-{bidder}", "tech", tech), EVAL)
            rec("rate", p.execute, c.RateProposal(tid, f"bid-{bidder}", "price", price), EVAL)
        rec("declare interests", p.execute, c.DeclareInterests(tid, False), SSA)
        rec("award", p.execute, c.DecideAward(tid, "bid-globex", PRICE, "best value"), SSA)
    clock.now += dt.timedelta(days=20)
    for tid in tids:
        rec("sign contract", p.execute, c.SignContract(tid, "C-1", PRICE), BUYER)
    seal.create_opening_key = REAL_CREATE_OPENING_KEY
    del p.documents.put, p.log.tlog_proof  # back to the unwrapped methods
    assert all(p.state(t)["status"] == "complete" for t in tids)
    return p


def replay(p: Procurement, keys_dir: Path, tid: str | None = None) -> float:
    scenario = Scenario.load("jedi")
    if tid:
        scenario.steps[0]["args"]["tender_id"] = tid
    p.clock = clock = Clock()
    t = time.perf_counter()
    Runner(p, clock, keys_dir).run(scenario)
    return time.perf_counter() - t


def timed_rebuild(p: Procurement) -> float:
    t = time.perf_counter()
    assert (report := rebuild(p, check=True)).identical, report.differences
    return time.perf_counter() - t


def run_backend(b: Backend, n: int, runs: int, rec: Recorder, out: dict) -> None:
    console.print(f"\n[bold]{b.name}[/]: mix over {n} tenders")
    t = time.perf_counter()
    p = mix(b.fresh(), n, rec)
    console.print(f"  mix done in {time.perf_counter() - t:.1f} s, log size {p.log.head().size:,}")
    out["cmds"] = rec.times
    fresh, rebuilds, inits = [], [], []
    for _ in range(runs):
        s = b.fresh()
        t = time.perf_counter()
        q = Procurement(init(s, origin="bench.example/log"), s.data_dir)
        inits.append(time.perf_counter() - t)
        fresh.append(replay(q, s.data_dir / "officials"))
        rebuilds.append(timed_rebuild(q))
        q.log.db.dispose()
    console.print(f"  jedi replay (fresh): {', '.join(f'{x:.2f}' for x in fresh)} s")
    bg = [replay(p, b.workdir / f"officials-{b.name}", f"JEDI-{i}") for i in range(runs)]
    console.print(f"  jedi replay (after {n} tenders): {', '.join(f'{x:.2f}' for x in bg)} s")
    out.update(init=inits, fresh=fresh, rebuild=rebuilds, bg=bg, bg_size=[p.log.head().size])
    out["bg_rebuild"] = [timed_rebuild(p)]
    p.log.db.dispose()


def fmt_s(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s (min {min(xs):.2f})" if len(xs) > 1 else f"{xs[0]:.2f} s"


def right(tab: Table) -> None:
    for col in tab.columns[1:]:
        col.justify = "right"


def tables(results: dict[str, dict], n: int, runs: int) -> None:
    names = list(results)
    cols = [f"{name} {col}" for name in names for col in ("total s", "/s", "p50 ms", "p99 ms")]
    tab = Table("kind", "count", *cols, title=f"Commands through the app layer, {n} tenders (latency per call)")
    kinds = [k for k in results[names[0]]["cmds"] if k not in PARENT]
    for sub in PARENT:
        kinds.insert(kinds.index(PARENT[sub]) + 1 + (sub == PROOF), sub)
    cmd_kinds = [k for k in kinds if not k.startswith(("client", "  "))]
    for k in [*kinds, "all commands"]:
        row = [k, ""]
        for name in names:
            got = results[name]["cmds"]
            xs = got[k] if k != "all commands" else [t for x in cmd_kinds for t in got[x]]
            row[1] = f"{len(xs):,}"
            row += [f"{sum(xs):.2f}", f"{len(xs) / sum(xs):,.0f}"] + [f"{pct(xs, q) * 1e3:.1f}" for q in (50, 99)]
        tab.add_row(*row)
    right(tab)
    console.print("\n", tab)
    tab = Table("metric", *names, title=f"jedi scenario ({runs} runs: median, min)")
    for key, label in (("init", "init a fresh data dir (schema, key)"), ("fresh", "jedi replay, fresh data dir"),
                       ("rebuild", "rebuild(check=True) after it"), ("bg", f"jedi replay after {n} tenders"),
                       ("bg_rebuild", f"rebuild(check=True), {n} tenders + {runs} jedi")):
        tab.add_row(label, *(fmt_s(results[nm][key]) for nm in names))
    tab.add_row("log size at that point", *(f"{results[nm]['bg_size'][0]:,}" for nm in names))
    right(tab)
    console.print(tab)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tenders", type=int, default=200, help="tenders in the mix (default 200)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20 tenders, 2 replays")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--profile", metavar="KIND", help='cProfile this command kind on SQLite, e.g. "rate"')
    args = ap.parse_args()
    n, runs = (20, 2) if args.quick else (args.tenders, 5)
    console.print(f"[bold]tenderproof lifecycle benchmark[/]\n{machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="tp-lifecycle-"))
    backends = [Backend("sqlite", workdir)]
    if not args.no_postgres:
        try:
            admin = sa.create_engine(normalize_url(PG_BASE), connect_args={"connect_timeout": 3})
            with admin.connect():
                backends.append(Backend("postgresql", workdir, admin))
        except Exception as e:
            console.print(f"PostgreSQL not reachable at {PG_BASE} ({type(e).__name__}); skipped")
    results: dict[str, dict] = {}
    try:
        for i, b in enumerate(backends):
            rec = Recorder(args.profile if i == 0 else None)
            run_backend(b, n, runs, rec, results.setdefault(b.name, {}))
            if rec.profiler:
                console.print(f"\n[bold]cProfile of {args.profile!r}[/] ({len(rec.times[args.profile])} calls)")
                for order in ("cumulative", "tottime"):
                    pstats.Stats(rec.profiler).sort_stats(order).print_stats(25)
        tables(results, n, runs)
    finally:
        for b in backends:
            b.cleanup()
            b.admin and b.admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
