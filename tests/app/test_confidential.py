"""Confidential payloads: committed in the log, read only by the panel or oversight and every
read logged, disclosed after the award with salts anyone can check (DESIGN.md §4.3)."""

from __future__ import annotations

import json

import pytest

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.access import disclose, given, read_confidential_payload
from tenderproof.app.envelope import canonical, commit
from tenderproof.app.public import public_view
from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c

from .conftest import BUYER, EVAL, OPENERS, SSA, TID


def rated_world(world):
    world.to_evaluation()
    world.declare(EVAL)
    world.p.execute(c.RateProposal(TID, "bid-acme", "tech", "Good", weaknesses="SECRET-NARRATIVE-1"), EVAL)
    world.p.execute(c.RateProposal(TID, "bid-acme", "price", "100"), EVAL)
    world.p.execute(c.RateProposal(TID, "bid-globex", "tech", "Good"), EVAL)
    world.p.execute(c.RateProposal(TID, "bid-globex", "price", "120"), EVAL)
    return world


def test_narratives_are_only_commitments_in_the_log(world):
    rated_world(world)
    entries = world.p.log.entries(0, world.p.log.head().size)
    assert not any(b"SECRET-NARRATIVE-1" in e for e in entries)
    rated = [e for e in world.p.events(TID) if e.envelope["type"] == "evaluation.rated"]
    assert all(e.envelope["confidential"].startswith("sha256:") for e in rated)
    assert "rating" not in rated[0].envelope["payload"]


def test_reading_a_bid_is_logged_and_limited(world):
    rated_world(world)
    before = world.state()["accesses"]
    package = bidding.read_bid(world.p, TID, "bid-acme", EVAL)
    assert seal.unpack(package)["proposal.bin"] == b"ACME proposal"
    assert world.state()["accesses"] == before + 1
    last = world.p.events(TID)[-1].envelope
    assert last["type"] == "confidential.accessed" and last["actor"]["id"] == EVAL.id
    auditor = Actor("ig", "auditor")
    bidding.read_bid(world.p, TID, "bid-globex", auditor)
    with pytest.raises(Refused) as r:
        bidding.read_bid(world.p, TID, "bid-globex", Actor("acme", "bidder"))
    assert r.value.code == "forbidden-role"
    assert world.state()["accesses"] == before + 2


def test_no_bid_can_be_read_before_the_opening(world):
    world.create()
    world.publish()
    world.bid("acme", b"x", bid_id="bid-acme")
    with pytest.raises(Refused) as r:
        bidding.read_bid(world.p, TID, "bid-acme", Actor("ig", "auditor"))
    assert r.value.code == "sealed"


def test_an_evaluation_goes_to_its_offeror_only_and_matches_the_commitment(world):
    """US law keeps source selection information from the public after award (FAR 3.104-4,
    15.506(e)); the offeror is given its own, checkable against the log (FAR 15.506(d))."""
    rated_world(world)
    commitment = next(e.envelope["confidential"] for e in world.p.events(TID) if e.envelope["type"] == "evaluation.rated")
    with pytest.raises(Refused) as r:
        disclose(world.p, TID, [commitment], BUYER, to="acme")
    assert r.value.code == "too-early"
    world.declare(SSA)
    world.p.execute(c.DecideAward(TID, "bid-acme", {"amount": "100", "currency": "USD"}, "best value"), SSA)
    with pytest.raises(Refused) as r:
        disclose(world.p, TID, [commitment], BUYER)
    assert r.value.code == "protected" and r.value.logged and "FAR 3.104-4" in r.value.reason
    assert world.state()["disclosed"] == []
    disclose(world.p, TID, [commitment], BUYER, to="acme")
    [item] = given(world.p, TID, "acme")
    # The offeror, from its copy and the public log: the content hashes to the logged commitment.
    assert commit(bytes.fromhex(item["salt"]), item["content"]) == item["commitment"] == commitment
    assert item["verified"] and item["content"]["weaknesses"] == "SECRET-NARRATIVE-1"
    assert given(world.p, TID, "globex") == []
    entries = world.p.log.entries(0, world.p.log.head().size)
    assert not any(b"SECRET-NARRATIVE-1" in e for e in entries)  # never on the public log
    content = read_confidential_payload(world.p, TID, commitment, Actor("ig", "auditor"), "review")
    assert json.loads(canonical(content)) == item["content"]


def test_public_view_hides_what_is_confidential(world):
    world.create()
    world.publish()
    world.bid("acme", b"x", bid_id="bid-acme")
    view = json.dumps(public_view(world.state()))
    assert "acme" not in view.replace("bid-acme", "")  # who bid is not public before the opening
    world.create("T-2")
    world.publish("T-2")
    world.bid("acme", b"x", "T-2", bid_id="bid-2")
    world.bid("globex", b"y", "T-2", bid_id="bid-3")
    world.clock.advance(days=31)
    world.p.run_deadlines()
    for o in OPENERS[:2]:
        world.declare(o, "T-2")
        world.share(o, "T-2")
    world.declare(EVAL, "T-2")
    world.p.execute(c.RateProposal("T-2", "bid-2", "tech", "Marginal", weaknesses="HIDDEN-WEAKNESS"), EVAL)
    view = json.dumps(public_view(world.state("T-2")))
    assert "acme" in view  # named from the opening on
    assert "HIDDEN-WEAKNESS" not in view, view
    assert "\"weaknesses\"" not in view and "\"ratings\"" not in view
