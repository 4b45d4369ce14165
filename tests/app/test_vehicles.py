"""A contract vehicle through the app layer, on a real log and database (SQLite and PostgreSQL):
the multiple award, a competition for an order among the parties, the order placed from it (the
app loads the competition's state for the rule), and refusals that change nothing but the record."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType

from .conftest import BUYER, EVAL, SSA, World

V, TO = "V-1", "TO-1"
USD = "USD"


def vehicle(w: World) -> None:
    """V-1: an IDIQ with a $1,000,000 shared ceiling, awarded to acme and globex."""
    w.create(V, vehicle={"kind": "idiq", "awardees": 2, "ceiling": {"amount": "1000000", "currency": USD},
                         "ordering_end": w.clock.now + timedelta(days=400)})
    w.publish(V)
    for bidder in ("acme", "globex"):
        w.bid(bidder, f"{bidder} proposal".encode(), V, bid_id=f"bid-{bidder}")
    w.clock.advance(days=31)
    w.p.run_deadlines()
    w.open(V)
    for official in (BUYER, EVAL, SSA):
        w.declare(official, V)
    for bidder, price in (("acme", "100"), ("globex", "120")):
        w.p.execute(c.RateProposal(V, f"bid-{bidder}", "price", price), EVAL)
        w.p.execute(c.RateProposal(V, f"bid-{bidder}", "tech", "Good"), EVAL)
    w.p.execute(c.AwardVehicle(V, ["bid-acme", "bid-globex"], "both capable"), SSA)


def competition(w: World, price: str = "40000") -> None:
    """TO-1: an order competed among the parties, won by globex at `price`."""
    w.create(TO, order_under=V, enquiries=False, value={"amount": price, "currency": USD})
    w.publish(TO)
    for bidder in ("acme", "globex"):
        w.bid(bidder, f"{bidder} order proposal".encode(), TO, bid_id=f"to-{bidder}")
    w.clock.advance(days=31)
    w.p.run_deadlines()
    w.open(TO)
    for official in (BUYER, EVAL, SSA):
        w.declare(official, TO)
    for bidder, amount in (("acme", str(int(price) + 500)), ("globex", price)):
        w.p.execute(c.RateProposal(TO, f"to-{bidder}", "price", amount), EVAL)
        w.p.execute(c.RateProposal(TO, f"to-{bidder}", "tech", "Good"), EVAL)
    w.p.execute(c.DecideAward(TO, "to-globex", {"amount": price, "currency": USD}, "lowest price"), SSA)


def test_an_order_competed_among_the_parties_is_placed_with_its_running_total(world: World) -> None:
    vehicle(world)
    competition(world)
    assert world.state(TO)["invited"] == ["acme", "globex"]
    logged = world.p.execute(c.PlaceOrder(V, "TO-1", "Sandbox.", competition=TO), BUYER)
    order = logged[-1].envelope
    assert order["type"] == EventType.ORDER_PLACED
    assert order["payload"]["party"]["id"] == "globex" and order["payload"]["ordered_after"] == "40000"
    state = world.state(V)
    assert state["vehicle"]["ordered"] == "40000" and state["orders"]["TO-1"]["competition"] == TO
    assert state["order_competitions"] == {TO: "TO-1"}


def test_a_stranger_cannot_bid_on_an_order_and_the_attempt_is_sealed(world: World) -> None:
    vehicle(world)
    world.create(TO, order_under=V, enquiries=False)
    world.publish(TO)
    with pytest.raises(Refused) as r:
        world.bid("initech", b"initech proposal", TO, bid_id="to-initech")
    assert r.value.code == "not-invited"
    refusal = [e for e in world.p.events(TO) if e.envelope["type"] == EventType.COMMAND_REFUSED][-1]
    assert "initech" not in str(refusal.envelope)  # who tried is sealed until the opening


def test_an_order_over_the_ceiling_is_refused_logged_and_changes_nothing_else(world: World) -> None:
    vehicle(world)
    order = c.PlaceOrder(V, "o-1", "Capacity.", party="acme", value={"amount": "1000000.01", "currency": USD},
                         exception="urgency", justification="An outage.")
    before = world.state(V)
    with pytest.raises(Refused) as r:
        world.p.execute(order, BUYER)
    assert r.value.code == "over-ceiling"
    after = world.state(V)
    assert after["events"] == before["events"] + 1  # the refusal alone is on the record
    assert after["vehicle"] == before["vehicle"] and dict(after["orders"]) == {}
    world.p.execute(order.__class__(V, "o-1", "Capacity.", party="acme", value={"amount": "1000000", "currency": USD},
                                    exception="urgency", justification="An outage."), BUYER)
    assert Decimal(world.state(V)["vehicle"]["ordered"]) == Decimal(1000000)


def test_an_order_names_a_competition_that_exists(world: World) -> None:
    vehicle(world)
    with pytest.raises(Refused) as r:
        world.p.execute(c.PlaceOrder(V, "o-1", "X.", competition="TO-404"), BUYER)
    assert r.value.code == "not-under-vehicle"
    with pytest.raises(Refused) as r:
        world.p.execute(c.PlaceOrder(V, "o-1", "X.", competition="TO-404"), Actor("globex", "bidder"))
    assert r.value.code == "forbidden-role"
