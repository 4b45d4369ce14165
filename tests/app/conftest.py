"""A procurement world for app-layer tests: a real log and database, a settable clock, officials
with their own keys, bidders that seal on their side. Nothing mocked."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import init
from tenderproof.store.schema import PROJECTIONS, confidential, key_shares

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
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

    def bid(self, bidder: str, content: bytes, tid: str = TID, bid_id: str | None = None) -> bidding.Receipt:
        return bidding.submit_bid(self.p, tid, Actor(bidder, "bidder"), bidder.upper(), self.seal(content, tid), bid_id=bid_id)

    def share(self, official: Actor, tid: str = TID) -> None:
        enc = base64.b64decode(self.state(tid)["opening"]["encrypted_shares"][official.id])
        bidding.submit_share(self.p, tid, official, seal.decrypt_share(tid, official.id, enc, self.keys[official.id]))

    def declare(self, actor: Actor, tid: str = TID) -> None:
        self.p.execute(c.DeclareInterests(tid, False), actor)

    def to_evaluation(self, tid: str = TID, bids: dict[str, bytes] | None = None) -> None:
        """create → publish → bids → deadline → k shares → opened."""
        self.create(tid)
        self.publish(tid)
        for bidder, content in (bids or {"acme": b"ACME proposal", "globex": b"GLOBEX proposal"}).items():
            self.bid(bidder, content, tid, bid_id=f"bid-{bidder}")
        self.clock.advance(days=31)
        self.p.run_deadlines()
        for o in OPENERS[:2]:
            self.declare(o, tid)
            self.share(o, tid)


def _package(content: bytes) -> bytes:
    import tempfile
    from pathlib import Path

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
