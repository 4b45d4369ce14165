"""A whole procurement through the app layer, then the ledger and projections checked."""

from tenderproof.app.rebuild import rebuild
from tenderproof.domain import commands as c
from tenderproof.ledger.audit import audit

from .conftest import BUYER, EVAL, SSA, TID


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
