"""A full procurement for record tests: the app tests' World (a real log and database, a settable
clock, officials with their own keys), driven through award, debriefing, disclosure and contract,
with a second tender interleaved in the same log."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.access import disclose
from tenderproof.app.debriefing import debriefing_document
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import init
from tenderproof.record.bundle import MANIFEST, manifest_bytes, write_zip

from ..app.conftest import BUYER, EVAL, OPENERS, SSA, T0, TID, Clock, World

OTHER = "T-2"
SOW = b"Statement of work: an enterprise cloud, ten years.\n"
QA_MISSING = hashlib.sha256(b"answers to questions, never uploaded").hexdigest()
JUDGE = Actor("judge-1", "reviewer")
IG = Actor("ig-1", "auditor")


@pytest.fixture
def world(settings) -> World:
    log = init(settings, origin="test.tenderproof.localhost/log")
    clock = Clock(T0)
    w = World(Procurement(log, settings.data_dir, clock), clock)
    for o in OPENERS:
        kp = seal.OfficialKeyPair.generate()
        w.keys[o.id] = kp
        bidding.register_official(w.p, o.id, o.id, kp.public_bytes())
    yield w
    log.db.dispose()


def full_procurement(w: World) -> World:
    """T-1 from creation to contract, with every kind of record content; T-2 interleaved."""
    sow = w.p.documents.put(SOW)
    w.create(documents=[{"id": "sow", "title": "Statement of work", "sha256": sow, "size": len(SOW)}])
    w.create(OTHER)
    w.publish()
    w.publish(OTHER)
    w.p.execute(c.AmendTender(TID, "answers to questions", {
        "documents": [{"id": "qa", "title": "Questions and answers", "sha256": QA_MISSING, "size": 10}]}), BUYER)
    w.bid("acme", b"ACME proposal", bid_id="bid-acme")
    w.bid("globex", b"GLOBEX proposal", bid_id="bid-globex")
    w.bid("initech", b"INITECH proposal", OTHER, bid_id="bid-initech")
    w.clock.advance(days=31)
    w.p.run_deadlines()
    for o in OPENERS[:2]:
        w.declare(o)
        w.share(o)
    w.declare(EVAL)
    for bid, tech, price in (("bid-acme", "Good", "900"), ("bid-globex", "Outstanding", "950")):
        w.p.execute(c.RateProposal(TID, bid, "tech", tech, weaknesses=f"SECRET narrative on {bid}"), EVAL)
        w.p.execute(c.RateProposal(TID, bid, "price", price), EVAL)
    w.declare(SSA)
    w.p.execute(c.DecideAward(TID, "bid-globex", {"amount": "950", "currency": "USD"}, "best value"), SSA)
    doc = debriefing_document(w.state(), "acme", w.clock())

    def store(conn, state, logged):
        w.p.documents.put(doc)
        return []

    w.p.execute(c.GiveDebriefing(TID, "acme", hashlib.sha256(doc).hexdigest()), BUYER, work=store)
    rated = next(e.envelope["confidential"] for e in w.p.events(TID) if e.envelope["type"] == "evaluation.rated")
    disclose(w.p, TID, [rated], BUYER, to="acme")  # acme's own rating, to acme alone (FAR 15.506(d))
    w.clock.advance(days=20)
    w.p.execute(c.SignContract(TID, "C-1", {"amount": "950", "currency": "USD"}), BUYER)
    w.clock.advance(days=1)
    return w


@pytest.fixture
def done(world) -> World:
    return full_procurement(world)


# --- bundle surgery, as an attacker (or a careless copier) would do it ---------------------------


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(files: dict[str, bytes], fix_manifest: bool = False) -> bytes:
    """The files as a bundle again; with fix_manifest, a manifest rewritten to match them."""
    files = dict(files)
    if fix_manifest:
        m = json.loads(files[MANIFEST])
        rest = {k: v for k, v in files.items() if k != MANIFEST}
        files[MANIFEST] = manifest_bytes(
            tender=m["tender"], role=m["role"], events=sum(k.endswith(".json") and k.startswith("events/") for k in rest),
            checkpoint_size=m["checkpoint_size"], access_event=m["access_event"], withheld=m["withheld"], files=rest)
    return write_zip(files)


def flip(data: bytes, pos: int, mask: int = 0x01) -> bytes:
    return data[:pos] + bytes([data[pos] ^ mask]) + data[pos + 1:]
