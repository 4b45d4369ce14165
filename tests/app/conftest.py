"""A procurement world for app-layer tests: a real log and database, a settable clock, officials
with their own keys, bidders that seal on their side. Nothing mocked."""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.public import public_view
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import init
from tenderproof.store.schema import PROJECTIONS, confidential, key_shares

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
TID = "T-1"
BUYER = Actor("co", "buyer")
SSA = Actor("ssa", "ssa")
EVAL = Actor("ev", "evaluator")
OPENERS = [Actor(f"op{i}", "opening_official") for i in (1, 2, 3)]
SYSTEM = Actor("deadline-worker", "system")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@dataclass
class World:
    p: Procurement
    clock: Clock
    keys: dict[str, seal.OfficialKeyPair] = field(default_factory=dict)

    def state(self, tid: str = TID) -> dict:
        return self.p.state(tid)

    def snapshot(self) -> tuple:
        """Everything a command could change: log size, projections, private tables, files."""
        with self.p.db.reader.connect() as conn:
            tables = tuple(tuple(map(tuple, conn.execute(sa.select(t)).all())) for t in (*PROJECTIONS, confidential, key_shares))
        files = tuple(sorted(str(x) for x in self.p.documents.root.rglob("*") if x.is_file())) if self.p.documents.root.exists() else ()
        return (self.p.log.head().size, tables, files)

    def create(self, tid: str = TID, *, enquiries: bool = True, threshold: int = 2, criteria: str = "bestValueTradeoff",
               **over) -> None:
        args = dict(
            title="Cloud services", description="A test procurement", buyer={"id": "agency", "name": "Agency"},
            method="open", criteria=criteria,
            items=[{"id": "i1", "description": "cloud", "classification": {"scheme": "CPV", "id": "72000000"}}],
            factors=[{"id": "tech", "name": "Technical", "weight": 3},
                     {"id": "price", "name": "Price", "kind": "price", "weight": 1}],
            tender_end=self.clock.now + timedelta(days=30),
            enquiry_end=self.clock.now + timedelta(days=10) if enquiries else None,
            panel={"evaluator": [EVAL.id], "ssa": [SSA.id], "opening_official": [o.id for o in OPENERS]},
            opening_threshold=threshold, value={"amount": "1000000", "currency": "USD"},
        )
        args.update(over)
        self.p.execute(c.CreateTender(tid, **args), BUYER)

    def publish(self, tid: str = TID) -> None:
        bidding.publish(self.p, tid, BUYER)

    def seal(self, content: bytes, tid: str = TID, tmp=None) -> bytes:
        pub = base64.b64decode(self.state(tid)["opening"]["public_key"])
        package = seal.pack(tmp) if tmp else _package(content)
        return seal.seal_bid(tid, pub, package)

    def bid(self, bidder: str, content: bytes, tid: str = TID, bid_id: str | None = None,
            secret: bytes | None = None) -> bidding.Receipt:
        """A sealed bid; its withdrawal key derives from `secret` (the API passes the bearer
        token), by default from the bidder's id."""
        return bidding.submit_bid(self.p, tid, Actor(bidder, "bidder"), bidder.upper(), self.seal(content, tid),
                                  bid_id=bid_id, secret=secret)

    def withdraw(self, bidder: str, bid_id: str, tid: str = TID):
        """Withdraw by the bid's withdrawal key, derived from the bidder's (in-process) secret."""
        return bidding.withdraw_bid(self.p, tid, Actor(bidder, "bidder"), bid_id)

    def share(self, official: Actor, tid: str = TID) -> None:
        enc = base64.b64decode(self.state(tid)["opening"]["encrypted_shares"][official.id])
        bidding.submit_share(self.p, tid, official, seal.decrypt_share(tid, official.id, enc, self.keys[official.id]))

    def declare(self, actor: Actor, tid: str = TID) -> None:
        self.p.execute(c.DeclareInterests(tid, False), actor)

    def open(self, tid: str = TID) -> None:
        """The opening officials without a share in yet declare and hand theirs in until k are
        in: the k-th opens every bid."""
        s = self.state(tid)
        for o in [o for o in OPENERS if o.id not in s["shares"]][:s["opening_threshold"] - len(s["shares"])]:
            self.declare(o, tid)
            self.share(o, tid)

    def to_evaluation(self, tid: str = TID, bids: dict[str, bytes] | None = None) -> None:
        """create → publish → bids → deadline → k shares → opened."""
        self.create(tid)
        self.publish(tid)
        for bidder, content in (bids or {"acme": b"ACME proposal", "globex": b"GLOBEX proposal"}).items():
            self.bid(bidder, content, tid, bid_id=f"bid-{bidder}")
        self.clock.advance(days=31)
        self.p.run_deadlines()
        self.open(tid)


def database_dump(world: World) -> bytes:
    """Every row of every table, raw bytes included: what a database administrator can take."""
    out = []
    with world.p.db.reader.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                out += [bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in row]
    return b"\n".join(out)


def confidential_row(world: World, commitment: str):
    """The stored confidential part behind an envelope's commitment."""
    with world.p.db.reader.connect() as conn:
        return conn.execute(sa.select(confidential).where(confidential.c.commitment == commitment)).one()


def assert_sealed_until_opening(world: World, commitment: str) -> None:
    """The confidential part is stored only sealed to the tender's opening key: no salt, no content."""
    row = confidential_row(world, commitment)
    assert row.until_opening and row.sealed and (bytes(row.salt), row.content) == (b"", ""), row


def assert_nobody_named(world: World, *names: str, tid: str = TID) -> None:
    """Before the opening: none of `names` (bidder ids or names, compared case-insensitively) is
    in the tender's state, in what anyone may see of it, in the log's entries, in any table of the
    database or in any file of the data directory (the SQLite files, sealed blobs, documents)."""
    state = world.state(tid)
    assert state["opened"] is None, "only meaningful before the opening"
    places = {
        "state": json.dumps(state).encode(),
        "public view": json.dumps(public_view(state)).encode(),
        "log entries": b"\n".join(world.p.log.entries(0, world.p.log.head().size)),
        "database": database_dump(world),
    }
    root = world.p.documents.root.parent
    places |= {str(f): f.read_bytes() for f in root.rglob("*") if f.is_file()}
    for where, blob in places.items():
        blob = blob.lower()
        for name in names:
            assert name.lower().encode() not in blob, f"{name!r} is named in {where} before the opening"


def _package(content: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "proposal.bin").write_bytes(content)
        return seal.pack(Path(d))


@pytest.fixture
def world(settings) -> World:
    log = init(settings, origin="test.tenderproof.localhost/log")
    clock = Clock(T0)
    p = Procurement(log, settings.data_dir, clock)
    w = World(p, clock)
    for o in OPENERS:
        kp = seal.OfficialKeyPair.generate()
        w.keys[o.id] = kp
        bidding.register_official(p, o.id, o.id, kp.public_bytes())
    yield w
    log.db.dispose()
