"""Worlds for the portal tests: the JEDI scenario replayed into SQLite in a temporary directory,
in full and stopped at chosen dates, plus a few more tenders (a sealed one with a document and a
refused late bid; drafts enough to need a second page of results) and a witness cosigning.

Nothing is mocked: the portal reads a real log, database and document store.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.model import parse_time
from tenderproof.instance import Settings, init
from tenderproof.ledger import witnessing
from tenderproof.ledger.cosignature import CosignatureSigner
from tenderproof.ledger.note import parse_note
from tenderproof.portal import router
from tenderproof.scenario.runner import Clock, Runner, Scenario

JEDI = "HQ0034-18-R-0077"
SEALED = "T-2030-FURNITURE"
SEALED_BIDDER = "ACME Office Furniture Ltd"
DRAFTS = [f"LOT-{i:02d}" for i in range(1, 25)]
BUYER = Actor("whs-co", "buyer")


@dataclass
class World:
    p: Procurement
    settings: Settings
    clock: Clock

    def app(self) -> FastAPI:
        return portal_app(self.p)


def portal_app(p: Procurement) -> FastAPI:
    """The portal alone, over `p` (the API mounts it the same way)."""
    app = FastAPI()
    app.state.procurement = p
    app.include_router(router)
    return app


def replay(data_dir: Path, until: str | None = None) -> World:
    settings = Settings(data_dir, f"sqlite:///{data_dir / 'tenderproof.db'}")
    log = init(settings)
    clock = Clock()
    p = Procurement(log, settings.data_dir, clock)
    Runner(p, clock, settings.data_dir / "keys").run(Scenario.load("jedi"), parse_time(until) if until else None)
    return World(p, settings, clock)


def _sealed(tid: str, p: Procurement, text: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "proposal.txt").write_text(text)
        package = seal.pack(Path(d))
    return seal.seal_bid(tid, bidding.public_key(p.state(tid)), package)


def _create(w: World, tid: str, title: str, days: int, **over) -> None:
    now = w.clock.now
    args = dict(
        title=title, description="A small procurement added by the portal tests.",
        buyer={"id": "city", "name": "City Procurement Office"}, method="open", criteria="lowestPrice",
        items=[{"id": "i1", "description": "goods", "classification": {"scheme": "CPV", "id": "39130000"}}],
        factors=[{"id": "price", "name": "Price", "kind": "price", "weight": 1}],
        tender_end=now + timedelta(days=days), enquiry_end=now + timedelta(days=days // 3),
        panel={"evaluator": ["eval-1"], "ssa": ["ssa"], "opening_official": ["opener-1", "opener-2", "opener-3"]},
        opening_threshold=2, value={"amount": "250000", "currency": "EUR"},
    )
    args.update(over)
    w.p.execute(c.CreateTender(tid, **args), BUYER)


def add_more_tenders(w: World) -> None:
    """After JEDI: a sealed tender with a document and a refused late bid, and draft lots."""
    w.clock.now = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
    doc = b"Request for proposals: office furniture (test document)\n"
    _create(w, SEALED, "Office furniture for the ministry", 30,
            documents=[{"id": "rfp", "title": "Request for proposals", "sha256": hashlib.sha256(doc).hexdigest(),
                        "size": len(doc)}])
    w.p.documents.put(doc)
    bidding.publish(w.p, SEALED, BUYER)
    w.clock.now += timedelta(days=20)
    w.p.run_deadlines(w.clock.now)
    bidding.submit_bid(w.p, SEALED, Actor("acme", "bidder"), SEALED_BIDDER,
                       _sealed(SEALED, w.p, "ACME confidential offer: 1,234 chairs"), bid_id="bid-acme")
    w.clock.now += timedelta(days=15)  # past the deadline: tendering closes, a late bid is refused
    w.p.run_deadlines(w.clock.now)
    try:
        bidding.submit_bid(w.p, SEALED, Actor("latecomer", "bidder"), "Latecomer GmbH",
                           _sealed(SEALED, w.p, "too late"), bid_id="bid-late")
    except Refused as r:
        assert r.code == "late-bid"
    else:
        raise AssertionError("the late bid was accepted")
    for i, tid in enumerate(DRAFTS):
        _create(w, tid, f"Road maintenance, lot {i + 1:02d}", 60 + i)


def cosign(w: World) -> CosignatureSigner:
    """A witness registered with the log, cosigning its current checkpoint."""
    witness = CosignatureSigner.generate("witness.example.org/w1")
    witnessing.add_witness(w.p.log, witness.vkey)
    note = w.p.log.checkpoint()
    body = parse_note(note)[0]
    witnessing.add_cosignatures(w.p.log, witness.cosignature_line(body, int(time.time())))
    return witness


@pytest.fixture(scope="package")
def world(tmp_path_factory) -> World:
    """The full JEDI replay (awarded, evaluation disclosed) plus more tenders and a witness."""
    w = replay(tmp_path_factory.mktemp("jedi-full"))
    add_more_tenders(w)
    cosign(w)
    yield w
    w.p.log.db.dispose()


@pytest.fixture(scope="package")
def awarded_world(tmp_path_factory) -> World:
    """JEDI stopped the day after the award: before the evaluation is disclosed."""
    w = replay(tmp_path_factory.mktemp("jedi-awarded"), until="2019-10-25T21:01:00Z")
    yield w
    w.p.log.db.dispose()


@pytest.fixture(scope="package")
def sealed_world(tmp_path_factory) -> World:
    """JEDI stopped after the submission deadline, before the opening: bids still sealed."""
    w = replay(tmp_path_factory.mktemp("jedi-sealed"), until="2018-10-13T12:00:00Z")
    yield w
    w.p.log.db.dispose()


class Server:
    """A real uvicorn server on 127.0.0.1 (a free port), in a thread."""

    def __init__(self, app: FastAPI) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the portal server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
