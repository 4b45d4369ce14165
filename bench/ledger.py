#!/usr/bin/env python3
"""Ledger benchmark: tenderproof's tiled log side by side with pymerkle 7.0, one run, same data.

    .venv/bin/python bench/ledger.py [--entries N] [--quick] [--no-postgres] [--no-pymerkle] [--workdir DIR]

pymerkle is measured with its durable SQLite backend (`pymerkle.SqliteTree`, its default
settings: rollback journal, synchronous=FULL, one transaction per `append_entry`). Every figure
is printed as soon as it is measured; a table with the targets follows at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

try:
    import pymerkle
except ImportError:  # the `bench` extra: pip install 'pymerkle==7.0.*'
    pymerkle = None

from machine import describe

from tenderproof.instance import Settings, init
from tenderproof.ledger.audit import audit
from tenderproof.store.db import normalize_url

PG_BASE = "postgresql://root@127.0.0.1:5432/test"
SEED = 20_250_601
BATCH = 1_000
PROOFS = 2_000  # warm-up and measured proofs, each
COLD_RUNS = 10
PYMERKLE_BUILD_LIMIT_S = 300.0
KINDS = ["tender.published", "tender.amended", "bid.sealed", "bid.opened", "award.decided", "clarification.asked"]
console = Console(highlight=False, width=200)


def make_entries(start: int, n: int) -> list[bytes]:
    """Entries [start, start + n): ~200-byte JSON lines, the same for a given start on every run."""
    rng = random.Random(SEED * 1_000_003 + start)
    return [
        json.dumps(
            {"seq": i, "kind": rng.choice(KINDS), "tender": f"TP-2025-{rng.randrange(10**5):05d}",
             "party": f"org:{rng.getrandbits(40):010x}", "at": 1_735_689_600 + 7 * i + rng.randrange(7),
             "digest": rng.randbytes(32).hex(), "amount": rng.randrange(10**9) / 100},
            separators=(",", ":"),
        ).encode()
        for i in range(start, start + n)
    ]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def timed(fn, calls) -> list[float]:
    """Wall time of fn(*args) for each args in calls."""
    out = []
    for args in calls:
        t = time.perf_counter()
        fn(*args)
        out.append(time.perf_counter() - t)
    return out


def machine() -> str:
    return describe()


# --- the systems under test ------------------------------------------------------------------


class Tenderproof:
    def __init__(self, name: str, data_dir: Path, url: str, schema: str | None = None) -> None:
        self.name, self.data_dir, self.url, self.schema, self.size = name, data_dir, url, schema, 0
        self.log = log = init(Settings(data_dir, url), origin="bench.example/log")
        self.append_one = lambda e: log.append([e])
        self.append_batch = log.append  # one transaction per call
        self.inclusion, self.consistency = log.inclusion_proof, log.consistency_proof
        self.cold_args = ["tp", str(data_dir), url]

    def audit(self) -> str:
        self.log.checkpoint()
        report = audit(self.log)
        assert report.ok, report.problems
        return "full audit"

    def disk_bytes(self) -> tuple[int, str]:
        if self.schema is None:
            db = Path(sa.engine.make_url(self.url).database)
            sizes = [p.stat().st_size if p.exists() else 0 for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"))]
            return sum(sizes), f"db {sizes[0] / 2**20:,.1f} MiB + wal/shm {(sizes[1] + sizes[2]) / 2**20:,.1f} MiB"
        with self.log.db.reader.connect() as conn:
            total = int(conn.execute(sa.text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relname IN "
                "('log_tiles', 'log_head', 'log_checkpoints')"), {"s": self.schema}).scalar_one())
        return total, f"tables {total / 2**20:,.1f} MiB"

    def close(self) -> None:
        self.log.db.dispose()


class Pymerkle:
    def __init__(self, name: str, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.name, self.path, self.size = name, data_dir / "pymerkle.db", 0
        self.tree = tree = pymerkle.SqliteTree(str(self.path))
        self.append_one = tree.append_entry  # commits each entry
        self.append_batch = tree.append_entries  # one transaction (executemany)
        self.inclusion = lambda i, n: tree.prove_inclusion(i + 1, n)  # pymerkle counts leaves from 1
        self.consistency = tree.prove_consistency
        self.cold_args = ["pm", str(self.path), ""]

    def audit(self) -> str:
        with pymerkle.SqliteTree(str(self.path)) as fresh:  # empty subroot cache
            fresh.get_root()
        return "root recompute only"

    def disk_bytes(self) -> tuple[int, str]:
        total = sum(p.stat().st_size for p in self.path.parent.glob("pymerkle.db*"))
        return total, f"db {total / 2**20:,.1f} MiB"

    def close(self) -> None:
        self.tree.close()


# A fresh interpreter: imports, then open, then the first inclusion proof, each timed.
COLD_CHILD = r"""
import sys, time
t0 = time.perf_counter()
kind, a, b, idx, size = sys.argv[1:6]
if kind == "tp":
    from pathlib import Path
    from tenderproof.instance import Settings, open_log
    t1 = time.perf_counter()
    log = open_log(Settings(Path(a), b))
    t2 = time.perf_counter()
    log.inclusion_proof(int(idx), int(size))
else:
    import pymerkle
    t1 = time.perf_counter()
    tree = pymerkle.SqliteTree(a)
    t2 = time.perf_counter()
    tree.prove_inclusion(int(idx) + 1, int(size))
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.results: dict[str, dict[str, str]] = {}
        self.values: dict[str, dict[str, float]] = {}
        self.schemas: list[str] = []
        self.pg_admin: sa.Engine | None = None
        if not args.no_postgres:
            try:
                eng = sa.create_engine(normalize_url(PG_BASE), connect_args={"connect_timeout": 3})
                with eng.connect():
                    self.pg_admin = eng
            except Exception as e:
                console.print(f"PostgreSQL not reachable at {PG_BASE} ({type(e).__name__}); skipped")

    def record(self, key: str, system: str, value: float, text: str) -> None:
        self.values.setdefault(key, {})[system] = value
        self.results.setdefault(key, {})[system] = text
        console.print(f"  {system:<24} {METRICS[key][0]:<48} {text}")

    def ms(self, key: str, s, xs: list[float], p: float, digits: int = 3) -> None:
        v = pct(xs, p) * 1e3
        self.record(key, getattr(s, "name", s), v, f"{v:.{digits}f} ms")

    def systems(self, tag: str) -> list:
        out: list = [Tenderproof("tenderproof/sqlite", self.workdir / f"tp-{tag}",
                                 f"sqlite:///{(self.workdir / f'tp-{tag}.db').resolve()}")]
        if self.pg_admin is not None:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with self.pg_admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            self.schemas.append(schema)
            url = sa.engine.make_url(normalize_url(PG_BASE)).update_query_dict({"options": f"-csearch_path={schema}"})
            out.append(Tenderproof("tenderproof/postgresql", self.workdir / f"tp-pg-{tag}",
                                   url.render_as_string(hide_password=False), schema))
        if not self.args.no_pymerkle:
            out.append(Pymerkle("pymerkle/SqliteTree", self.workdir / f"pm-{tag}"))
        return out

    def appends(self) -> None:
        singles, batches = (300, 10) if self.args.quick else (2_000, 50)
        console.print(f"\n[bold]Durable appends[/] to a fresh log: {singles:,} single-entry transactions, "
                      f"then {batches} batches of {BATCH:,}")
        one = make_entries(0, singles)
        many = [make_entries(singles + b * BATCH, BATCH) for b in range(batches)]  # generated before timing
        for s in self.systems("small"):
            rate = singles / sum(timed(s.append_one, [(e,) for e in one]))
            self.record("single", s.name, rate, f"{rate:,.0f}/s")
            self.record("batch", s.name, rate := batches * BATCH / sum(timed(s.append_batch, [(b,) for b in many])),
                        f"{rate:,.0f}/s")
            s.close()

    def build(self, s, n: int) -> None:
        gen, t, s.entry_bytes = 0.0, time.perf_counter(), 0
        for start in range(0, n, BATCH):
            g = time.perf_counter()
            batch = make_entries(start, min(BATCH, n - start))
            gen += time.perf_counter() - g  # entry generation is not charged to the system
            s.append_batch(batch)
            s.size, s.entry_bytes = start + len(batch), s.entry_bytes + sum(map(len, batch))
            if isinstance(s, Pymerkle) and time.perf_counter() - t > PYMERKLE_BUILD_LIMIT_S:
                console.print(f"  {s.name}: build capped at {s.size:,} entries after {PYMERKLE_BUILD_LIMIT_S:.0f} s")
                break
        spent = time.perf_counter() - t - gen
        self.record("build", s.name, s.size / spent, f"{s.size / spent:,.0f}/s ({spent:.1f} s)")
        self.record("size", s.name, s.size, f"{s.size:,} (mean entry {s.entry_bytes / s.size:.1f} B)")

    def proofs(self, s) -> None:
        """Random indexes (pairs), after a warm-up on as many other random ones. For tenderproof,
        warm means the process has served a proof from every tile once (one proof per 256
        entries), as a running server has; pymerkle keeps no per-tile cache, so it gets the
        random warm-up only (a proof per 256 entries would take it a quarter of an hour)."""
        n, rng = s.size, random.Random(SEED + 1)
        if not isinstance(s, Pymerkle):
            timed(s.inclusion, [(i, n) for i in range(0, n, 256)])
        timed(s.inclusion, [(rng.randrange(n), n) for _ in range(PROOFS)])
        times = timed(s.inclusion, [(rng.randrange(n), n) for _ in range(PROOFS)])
        self.ms("incl_warm_p50", s, times, 50), self.ms("incl_warm_p99", s, times, 99)
        pairs = [sorted(rng.sample(range(1, n + 1), 2)) for _ in range(2 * PROOFS)]
        timed(s.consistency, pairs[:PROOFS])
        times = timed(s.consistency, pairs[PROOFS:])
        self.ms("cons_warm_p50", s, times, 50), self.ms("cons_warm_p99", s, times, 99)

    def cold(self, s) -> None:
        rng, imports, opened, total = random.Random(SEED + 2), [], [], []
        for _ in range(COLD_RUNS):
            out = subprocess.run([sys.executable, "-c", COLD_CHILD, *s.cold_args, str(rng.randrange(s.size)),
                                  str(s.size)], capture_output=True, text=True, check=True).stdout.split()
            imp, op, proof = map(float, out)
            imports.append(imp), opened.append(op), total.append(op + proof)
        self.ms("cold_p50", s, total, 50, 1), self.ms("cold_p99", s, total, 99, 1)
        self.ms("cold_open", s, opened, 50, 1), self.ms("cold_import", s, imports, 50, 1)

    def interpreter(self) -> None:
        times = timed(subprocess.run, [([sys.executable, "-c", "pass"],)] * COLD_RUNS)
        self.ms("interp", "python (all)", times, 50, 1)

    def large(self, n: int) -> None:
        console.print(f"\n[bold]Log of {n:,} entries[/] (built in batches of {BATCH:,})")
        for s in self.systems("large"):
            self.build(s, n)
            self.proofs(s)
            self.cold(s)
            t = time.perf_counter()
            what = s.audit()
            self.record("audit", s.name, spent := time.perf_counter() - t, f"{spent:.2f} s ({what})")
            total, detail = s.disk_bytes()
            over = (total - s.entry_bytes) / s.size
            self.record("overhead", s.name, over, f"{over:.1f} B ({detail})")
            more = make_entries(s.size, 200)  # last: it grows the log
            self.record("single_large", s.name, rate := 200 / sum(timed(s.append_one, [(e,) for e in more])),
                        f"{rate:,.0f}/s")
            s.close()
        self.interpreter()

    def cleanup(self) -> None:
        if self.pg_admin is not None:
            with self.pg_admin.begin() as conn:
                for schema in self.schemas:
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            self.pg_admin.dispose()

    def table(self) -> None:
        cols = [c for c in ("tenderproof/sqlite", "tenderproof/postgresql", "pymerkle/SqliteTree", "python (all)")
                if any(c in r for r in self.results.values())]
        tab = Table(title="Ledger benchmark")
        for c in ["metric", *cols, "target", "tenderproof verdict"]:
            tab.add_column(c, justify="left" if c == "metric" else "right", no_wrap=c == "metric")
        for key, (label, target, ok) in METRICS.items():
            if key in self.results:
                verdict = ", ".join(f"{'PASS' if ok(v) else 'MISS'} ({name.split('/')[1].replace('postgresql', 'pg')})"
                                    for name, v in self.values[key].items() if ok and name.startswith("tenderproof"))
                tab.add_row(label, *(self.results[key].get(c, "") for c in cols), target, verdict)
        console.print()
        console.print(tab)


METRICS = {  # key: (label, target, check)
    "single": ("durable appends, 1 entry per transaction", "", None),
    "batch": ("durable appends, batches of 1,000", "≥ 50,000/s", lambda v: v >= 50_000),
    "build": ("build rate to full size, batches of 1,000", "", None),
    "size": ("tree size for the rows below", "", None),
    "single_large": ("durable appends, 1 entry per txn, at full size", "", None),
    "incl_warm_p50": ("inclusion proof warm p50", "", None),
    "incl_warm_p99": ("inclusion proof warm p99", "≤ 1 ms", lambda v: v <= 1.0),
    "cold_p50": ("cold: open + first inclusion proof p50", "", None),
    "cold_p99": ("cold: open + first inclusion proof p99", "≤ 20 ms", lambda v: v <= 20.0),
    "cold_open": ("  of which open p50", "", None),
    "cold_import": ("cold: imports p50 (not in the above)", "", None),
    "interp": ("cold: interpreter start p50 (not in the above)", "", None),
    "cons_warm_p50": ("consistency proof warm p50", "", None),
    "cons_warm_p99": ("consistency proof warm p99", "", None),
    "audit": ("audit time", "≤ 20 s (at 1M)", lambda v: v <= 20.0),
    "overhead": ("disk overhead per entry", "≤ 40 B", lambda v: v <= 40.0),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=1_000_000, help="size of the large log (default 1,000,000)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20,000 entries and fewer appends")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-pymerkle", action="store_true")
    ap.add_argument("--workdir", type=Path, help="keep the databases here (default: a temp dir, removed)")
    args = ap.parse_args()
    if pymerkle is None and not args.no_pymerkle:
        ap.error("pymerkle is not installed: pip install 'pymerkle==7.0.*' (or pass --no-pymerkle)")
    n = 20_000 if args.quick else args.entries
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tp-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]tenderproof ledger benchmark[/]\n{machine()}\nworkdir {workdir} "
                  f"(page cache not dropped between runs)")
    bench = Bench(args, workdir)
    try:
        bench.appends()
        bench.large(n)
        bench.table()
    finally:
        bench.cleanup()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
