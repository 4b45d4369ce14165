#!/usr/bin/env python3
"""Search benchmark (issue 13): typical searches over 100,000 tenders, p50 and p99.

    .venv/bin/python bench/search.py [--tenders 100000] [--runs 40] [--no-postgres]

Per backend (SQLite in a temp file, and PostgreSQL if TENDERPROOF_TEST_POSTGRES_URL or
127.0.0.1:5432 answers): migrate an empty database, then load synthetic tenders' projection rows
straight into `tenders` and `tender_terms` (bulk inserts, not commands: the rows come from
`app.search.columns` and `app.search.terms`, the projection's own functions, over states with a
realistic spread of words, buyers, suppliers, CPV codes, values and dates). Then each search as
the portal runs it, a first page of 20 and the count of all matches, `--runs` times with varying
words; the table gives the latency of the page and of page + count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from machine import describe
from rich.console import Console
from rich.table import Table

from tenderproof.app import queries, search
from tenderproof.app.search import Search
from tenderproof.app.service import Procurement
from tenderproof.instance import Settings, init
from tenderproof.store.db import normalize_url
from tenderproof.store.schema import tender_terms, tenders

console = Console(width=150)
PG_BASE = os.environ.get("TENDERPROOF_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
DAY0 = date(2015, 1, 1)
STATUSES = ["active.tendering"] * 2 + ["active.evaluation", "complete", "complete", "complete", "cancelled",
                                       "unsuccessful", "draft"]


class World:
    """A seeded vocabulary: common and rare words, buyers, suppliers and CPV codes."""

    def __init__(self, rnd: random.Random) -> None:
        def word() -> str:
            return "".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(4, 10)))
        self.words = [word() for _ in range(5000)]
        self.buyers = [(f"GB-{i:05}", f"{word().title()} {rnd.choice(['Council', 'Ministry', 'Agency', 'Trust'])}")
                       for i in range(2000)]
        self.suppliers = [(f"S-{i:06}", f"{word().title()} {rnd.choice(['Ltd', 'GmbH', 'SA', 'Corporation'])}")
                          for i in range(20000)]
        self.cpv = [f"{d:02}{rnd.randrange(10**6):06}" for d in range(3, 99) for _ in range(10)]

    def zipf(self, rnd: random.Random, seq: list) -> object:
        """A few items often, most rarely: half the draws log-uniform over the ranks (the first
        ~5%, the first 10 ~15%), half uniform."""
        return seq[int(len(seq) ** rnd.random()) - 1] if rnd.random() < .5 else rnd.choice(seq)

    def state(self, i: int, rnd: random.Random) -> dict:
        status = rnd.choice(STATUSES)
        day = DAY0 + timedelta(days=rnd.randrange(3650))
        opened = status not in ("draft", "active.tendering")
        bidders = [self.zipf(rnd, self.suppliers) for _ in range(rnd.randint(0, 4))] if opened else []
        awards = []
        if status in ("complete", "cancelled") and bidders:
            sid, name = bidders[0]
            awards = [{"id": "a1", "date": f"{day + timedelta(days=60)}T12:00:00Z", "supplier": {"id": sid, "name": name},
                       "supersedes": None}]
        bid, bname = self.zipf(rnd, self.buyers)
        return {
            "id": f"ocds-{i:07}", "title": " ".join(str(self.zipf(rnd, self.words)) for _ in range(4)),
            "description": " ".join(str(self.zipf(rnd, self.words)) for _ in range(8)),
            "buyer": {"id": bid, "name": bname}, "status": status,
            "published": None if status == "draft" else f"{day}T09:00:00Z",
            "periods": {"tender_end": f"{day + timedelta(days=30)}T17:00:00Z"},
            "items": [{"id": "1", "description": "", "classification": {"scheme": "CPV", "id": rnd.choice(self.cpv)}}],
            "value": {"amount": f"{rnd.lognormvariate(12, 2):.2f}", "currency": rnd.choice(["EUR", "EUR", "GBP"])},
            "awards": awards, "opened": f"{day + timedelta(days=31)}T10:00:00Z" if opened else None,
            "bids": {f"b{j}": {"bidder": s, "bidder_name": n, "status": "opened"} for j, (s, n) in enumerate(bidders)},
        }


def _bulk(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """The driver's fastest insert: executemany of tuples (SQLite), COPY (PostgreSQL)."""
    cols = [c.name for c in table.columns]
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor().copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([r[c] for c in cols])
    else:
        raw.executemany(f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                        [tuple(r[c] for c in cols) for r in rows])


def make(world: World, n: int, seed: int = 13) -> tuple[list[dict], list[dict]]:
    """n tenders' projection rows: (`tenders` rows, `tender_terms` rows)."""
    rnd = random.Random(seed)
    rows, terms = [], []
    for i in range(n):
        s = world.state(i, rnd)
        core = {k: v for k, v in s.items() if k != "bids"}
        rows.append({"id": s["id"], "status": s["status"], "seq": 1, "title": s["title"], "state": json.dumps(core),
                     **search.columns(s)})
        terms += search.terms(s)
    return rows, terms


def load(p: Procurement, rows: list[dict], terms: list[dict]) -> float:
    """Bulk-insert the rows; seconds. The terms' lookup index is dropped for the load and built
    after it, as a bulk load would; then the planner's statistics (and PostgreSQL's visibility
    map, which autovacuum would set) are brought up to date."""
    t0 = time.perf_counter()
    lookup = next(ix for ix in tender_terms.indexes if ix.name == "ix_tender_terms_lookup")
    with p.db.writer.begin() as conn:
        lookup.drop(conn)
        _bulk(conn, tenders, rows)
        _bulk(conn, tender_terms, terms)
        lookup.create(conn)
    with p.db.writer.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE")
    return time.perf_counter() - t0


def searches(world: World, rnd: random.Random) -> dict[str, Callable[[], Search]]:
    """Typical searches, each a fresh one per run (other words, other buyers, other ranges)."""
    def month() -> tuple[date, date]:
        d = DAY0 + timedelta(days=rnd.randrange(3600))
        return d, d + timedelta(days=30)
    return {
        "words (common), by id": lambda: Search(q=str(world.zipf(rnd, world.words[:20]))),
        "words (any), newest first": lambda: Search(q=rnd.choice(world.words), sort="published", desc=True),
        "two words, newest first": lambda: Search(q=" ".join(rnd.sample(world.words[:200], 2)), sort="published",
                                                  desc=True),
        "buyer name, newest first": lambda: Search(buyer=str(world.zipf(rnd, world.buyers)[1]), sort="published",
                                                   desc=True),
        "supplier, by award date": lambda: Search(supplier=str(world.zipf(rnd, world.suppliers)[1]).split()[0],
                                                  sort="awarded", desc=True),
        "CPV division, by deadline": lambda: Search(classification=f"CPV {rnd.randrange(3, 99):02}", sort="deadline"),
        "CPV code exact": lambda: Search(classification=rnd.choice(world.cpv)),
        "value range EUR, by value": lambda: Search(value_min=1e5, value_max=1e6, currency="EUR", sort="value",
                                                    desc=True),
        "status + published month": lambda: Search(status="complete", dates={"published": month()},
                                                   sort="published"),
        "everything, newest first": lambda: Search(sort="published", desc=True),
    }


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q / 100 * (len(xs) - 1)))]


def run(name: str, url: str, data: tuple[list[dict], list[dict]], args: argparse.Namespace, table: Table) -> None:
    with tempfile.TemporaryDirectory(prefix="tp-bench-search-") as d:
        log = init(Settings(Path(d) / "data", url.format(d=d)))
        p = Procurement(log, Path(d) / "data")
        console.print(f"{name}: stored and indexed in {load(p, *data):.1f} s")
        rnd = random.Random(7)
        for label, make in searches(World(random.Random(1)), rnd).items():
            page_t, both_t, found = [], [], []
            for _ in range(args.runs):
                s = make()
                t0 = time.perf_counter()
                items = queries.find_tenders(p, s, limit=20).items
                t1 = time.perf_counter()
                total = queries.count_tenders(p, s)
                t2 = time.perf_counter()
                page_t.append(t1 - t0)
                both_t.append(t2 - t0)
                found.append(total)
                assert len(items) == min(20, total)
            table.add_row(name, label, f"{pct(found, 50):,.0f}", f"{pct(page_t, 50) * 1e3:.1f}",
                          f"{pct(page_t, 99) * 1e3:.1f}", f"{pct(both_t, 50) * 1e3:.1f}", f"{pct(both_t, 99) * 1e3:.1f}")
        log.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tenders", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=40, help="searches of each kind")
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    console.print(describe())
    table = Table(title=f"Search over {args.tenders:,} tenders: a first page of 20 (and the count), {args.runs} runs")
    for col in ("backend", "search", "matches p50", "page p50 ms", "page p99 ms", "+count p50 ms", "+count p99 ms"):
        table.add_column(col, justify="left" if col in ("backend", "search") else "right")
    t0 = time.perf_counter()
    data = make(World(random.Random(1)), args.tenders)
    console.print(f"{args.tenders:,} tenders, {len(data[1]):,} term rows made in {time.perf_counter() - t0:.1f} s")
    run("sqlite", "sqlite:///{d}/db.sqlite", data, args, table)
    if not args.no_postgres:
        try:
            admin = sa.create_engine(normalize_url(PG_BASE))
            with admin.begin() as conn:
                schema = f"bench_{uuid.uuid4().hex[:8]}"
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        except sa.exc.OperationalError as e:
            console.print(f"PostgreSQL not reachable ({e.orig}); SQLite only")
        else:
            url = sa.engine.make_url(normalize_url(PG_BASE)).update_query_dict({"options": f"-csearch_path={schema}"})
            try:
                run("postgresql", url.render_as_string(hide_password=False).replace("{", "{{").replace("}", "}}"),
                    data, args, table)
            finally:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                admin.dispose()
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
