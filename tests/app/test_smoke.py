"""A whole procurement through the app layer, then the ledger and projections checked."""

from tenderproof.app import bidding
from tenderproof.app.rebuild import rebuild
from tenderproof.domain import Refused
from tenderproof.domain import commands as c
from tenderproof.ledger.audit import audit

from .conftest import BUYER, EVAL, OPENERS, SSA, TID


def test_full_procurement(world):
    world.to_evaluation()
    s = world.state()
    assert s["status"] == "active.evaluation"
    assert {b["bidder"] for b in s["bids"].values() if b["status"] == "opened"} == {"acme", "globex"}
    world.declare(EVAL)
    for bid, tech, price in (("bid-acme", "Good", "900"), ("bid-globex", "Outstanding", "950")):
        world.p.execute(c.RateProposal(TID, bid, "tech", tech), EVAL)
        world.p.execute(c.RateProposal(TID, bid, "price", price), EVAL)
    world.declare(SSA)
    world.p.execute(c.DecideAward(TID, "bid-globex", {"amount": "950", "currency": "USD"}, "best value"), SSA)
    world.clock.advance(days=20)
    world.p.execute(c.SignContract(TID, "C-1", {"amount": "950", "currency": "USD"}), BUYER)
    assert world.state()["status"] == "complete"
    assert audit(world.p.log).ok
    assert rebuild(world.p, check=True).identical


def test_replaced_bid_and_early_opening(world):
    world.create()
    world.publish()
    world.bid("acme", b"first offer", bid_id="bid-1")
    world.bid("acme", b"better offer", bid_id="bid-2")
    world.bid("globex", b"offer", bid_id="bid-3")
    # Nobody can tell whose bids they are before the opening: all three are live.
    s = world.state()
    assert {b["id"]: b["status"] for b in s["bids"].values()} == dict.fromkeys(("bid-1", "bid-2", "bid-3"), "submitted")
    assert s["bids_live"] == 3
    assert all("bidder" not in b and "replaces" not in b for b in s["bids"].values())
    world.clock.advance(days=31)
    world.declare(OPENERS[0])  # the deadline fires first, in the same batch
    closed = [e.envelope for e in world.p.events(TID) if e.envelope["type"] == "tender.tendering_closed"]
    assert [e["payload"]["bids"] for e in closed] == [["bid-1", "bid-2", "bid-3"]]
    world.share(OPENERS[0])
    size = world.p.log.head().size
    try:
        bidding.open_bids(world.p, TID, BUYER)
    except Refused as r:
        assert r.code == "quorum" and "1 of the 2" in r.reason
    else:
        raise AssertionError("opening with fewer than k shares was not refused")
    assert world.p.log.head().size == size + 1  # the attempt is on the record
    assert world.p.events(TID)[-1].envelope["payload"]["code"] == "quorum"
    world.declare(OPENERS[1])
    world.share(OPENERS[1])
    bids = world.state()["bids"]
    assert {b["id"] for b in bids.values() if b["status"] == "opened"} == {"bid-2", "bid-3"}
    # The opening resolves the replacement: acme's earlier bid is named, replaced, never decrypted.
    replaced = bids["bid-1"]
    assert (replaced["status"], replaced["replaced_by"], replaced["bidder"], replaced["bidder_name"]) == (
        "replaced", "bid-2", "acme", "ACME")
    assert "plaintext_sha256" not in replaced and "readable" not in replaced
    assert (bids["bid-2"]["bidder"], bids["bid-3"]["bidder"]) == ("acme", "globex")
