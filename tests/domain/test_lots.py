"""Tenders divided into lots (2014/24/EU art. 46; FAR 52.214-22): bids name the lots they cover,
each lot is rated, ranked, awarded, stayed and contracted on its own, and a tenderer may be
limited in the lots it wins."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.commands.base import InvalidCommand
from tenderproof.domain.events import EventType
from tenderproof.domain.lots import current_award
from tenderproof.domain.tendering import withdrawal_commitment

from .lifecycle import (
    BUYER,
    EVALUATORS,
    OFFICIALS,
    OPENERS,
    REVIEWER,
    SSA,
    SYSTEM,
    T0,
    TENDER_END,
    Tender,
    create_cmd,
    digest,
    publish_cmd,
    replay,
    snapshot,
    withdrawal_key,
)

ACME, BETA, GAMMA = (Actor(b, "bidder") for b in ("acme", "beta", "gamma"))
EV = EVALUATORS[0]
LOTS = [{"id": "L1", "title": "Compute"}, {"id": "L2", "title": "Storage", "value": {"amount": "500",
                                                                                        "currency": "USD"}}]
ITEMS = [{"id": "1", "description": "Compute", "classification": {"scheme": "CPV", "id": "72000000"},
          "related_lot": "L1"},
         {"id": "2", "description": "Storage", "classification": {"scheme": "CPV", "id": "72000000"},
          "related_lot": "L2"}]
OFFERS = {"b1": (BETA, ["L1"]), "b2": (ACME, ["L1", "L2"]), "b3": (GAMMA, ["L2"])}


def lot_tender(**over) -> c.CreateTender:
    return dataclasses.replace(create_cmd("T-1"), **({"lots": LOTS, "items": ITEMS} | over))


def bid(tid: str, bid_id: str, bidder: Actor, lots: list[str]) -> c.SubmitBid:
    return c.SubmitBid(tid, bid_id=bid_id, bidder_name=bidder.id.title(), sealed_sha256=digest(bid_id),
                       sealed_size=4096, withdrawal=withdrawal_commitment(withdrawal_key(bid_id)), lots=lots)


def opened(**over) -> tuple[Tender, datetime]:
    """T-1, two lots: beta offers L1, acme both, gamma L2; opened."""
    t = Tender("T-1")
    t.do(lot_tender(**over), BUYER, T0)
    t.do(publish_cmd("T-1"), BUYER, T0 + timedelta(hours=1))
    for bid_id, (bidder, lots) in OFFERS.items():
        t.do(bid("T-1", bid_id, bidder, lots), bidder, T0 + timedelta(days=6))
    now = TENDER_END
    t.do(c.CloseTendering("T-1"), SYSTEM, now)
    now += timedelta(hours=1)
    for official in OFFICIALS:
        t.do(c.DeclareInterests("T-1", has_conflict=False), official, now)
    for opener in OPENERS[:2]:
        t.do(c.SubmitShare("T-1"), opener, now)
    t.do(c.RecordOpening("T-1", results=t.opening_results()), SYSTEM, now)
    return t, now


PRICES = {("b1", "L1"): "900", ("b2", "L1"): "950", ("b2", "L2"): "400", ("b3", "L2"): "450"}


def rated(**over) -> tuple[Tender, datetime]:
    t, now = opened(**over)
    for (bid_id, lot), price in PRICES.items():
        t.do(c.RateProposal("T-1", bid_id=bid_id, factor_id="technical", rating="Good", lot=lot), EV, now)
        t.do(c.RateProposal("T-1", bid_id=bid_id, factor_id="price", rating=price, lot=lot), EV, now)
    return t, now


def award(lot: str, bid_id: str, amount: str = "100", **kw) -> c.DecideAward:
    return c.DecideAward("T-1", bid_id=bid_id, value={"amount": amount, "currency": "USD"}, rationale="Best value.",
                         lot=lot, **kw)


def code(t: Tender, cmd: c.Command, actor: Actor, now: datetime) -> str:
    try:
        envs = t.do(cmd, actor, now)
    except Refused as r:
        return r.code
    assert envs[-1]["type"] == EventType.COMMAND_REFUSED, envs
    return str(envs[-1]["payload"]["code"])


def test_lots_are_checked_when_the_tender_is_made():
    with pytest.raises(InvalidCommand, match="at least two"):
        lot_tender(lots=LOTS[:1])
    with pytest.raises(InvalidCommand, match="listed twice"):
        lot_tender(lots=[LOTS[0], LOTS[0]])
    with pytest.raises(InvalidCommand, match="names its lot"):
        dataclasses.replace(create_cmd("T-1"), lots=LOTS)  # the default item names no lot
    with pytest.raises(InvalidCommand, match="does not have"):
        lot_tender(items=[ITEMS[0] | {"related_lot": "L9"}, ITEMS[1]])
    with pytest.raises(InvalidCommand, match="lot_award_limit"):
        lot_tender(lot_award_limit=2)  # two lots: a limit of two limits nothing


def test_a_bid_names_the_lots_it_covers_and_only_the_tenders_lots():
    t = Tender("T-1")
    t.do(lot_tender(), BUYER, T0)
    t.do(publish_cmd("T-1"), BUYER, T0 + timedelta(hours=1))
    now = T0 + timedelta(days=6)
    assert code(t, bid("T-1", "b1", BETA, []), BETA, now) == "lot-needed"
    assert code(t, bid("T-1", "b1", BETA, ["L3"]), BETA, now) == "not-found"
    env = t.do(bid("T-1", "b1", BETA, ["L1", "L2"]), BETA, now)[-1]
    assert env["payload"]["lots"] == ["L1", "L2"] and "beta" not in str(env["payload"])
    plain = Tender("T-2")
    plain.do(create_cmd("T-2"), BUYER, T0)
    plain.do(publish_cmd("T-2"), BUYER, T0 + timedelta(hours=1))
    assert code(plain, bid("T-2", "b1", BETA, ["L1"]), BETA, now) == "not-found"


def test_each_lot_is_rated_and_ranked_among_its_own_offers():
    t, now = opened()
    assert code(t, c.RateProposal("T-1", bid_id="b1", factor_id="price", rating="900"), EV, now) == "lot-needed"
    assert code(t, c.RateProposal("T-1", bid_id="b1", factor_id="price", rating="900", lot="L2"), EV, now) == \
        "not-offered"
    t, now = rated()
    from tenderproof.domain.evaluation import ranking
    assert ranking(t.state, "L1") == ["b1", "b2"]
    assert ranking(t.state, "L2") == ["b2", "b3"]


def test_each_lot_is_awarded_on_its_own_and_the_tender_is_awarded_when_all_are():
    t, now = rated()
    assert code(t, award("L2", "b1"), SSA, now) == "not-offered"
    assert code(t, c.DecideAward("T-1", bid_id="b1", value={"amount": "1", "currency": "USD"}, rationale="x"),
                SSA, now) == "lot-needed"
    env = t.do(award("L1", "b1"), SSA, now)[-1]
    assert env["payload"]["lot"] == "L1" and env["payload"]["ranking"] == ["b1", "b2"]
    assert t.state["status"] == "active.evaluation"  # L2 still to award
    t.do(award("L2", "b2"), SSA, now)
    assert t.state["status"] == "active.awarded"
    assert current_award(t.state, "L1")["bid"] == "b1" and current_award(t.state, "L2")["bid"] == "b2"


def test_each_lot_is_contracted_on_its_own_and_the_last_contract_completes_the_tender():
    t, now = rated()
    t.do(award("L1", "b1"), SSA, now)
    sign = c.SignContract("T-1", contract_id="C-L1", value={"amount": "100", "currency": "USD"}, lot="L1")
    t.do(sign, BUYER, now)  # under us-far, no standstill: L1 contracted while L2 is still evaluated
    assert t.state["status"] == "active.evaluation" and t.state["lot_contracts"]["L1"]["id"] == "C-L1"
    assert code(t, sign, BUYER, now) == "exists"
    assert code(t, dataclasses.replace(sign, contract_id="C-L2", lot="L2"), BUYER, now) == "not-awarded"
    t.do(award("L2", "b2"), SSA, now)
    t.do(dataclasses.replace(sign, contract_id="C-L2", lot="L2"), BUYER, now)
    assert t.state["status"] == "complete" and t.state["contract"] is None


def test_a_tenderer_may_be_limited_in_the_lots_it_wins():
    t, now = rated(lot_award_limit=1)
    t.do(award("L1", "b2", departure_reason="Capacity."), SSA, now)  # acme wins L1 (ranked second)
    assert code(t, award("L2", "b2"), SSA, now) == "lot-award-limit"
    t.do(award("L2", "b3", departure_reason="Acme holds L1 (art. 46(2))."), SSA, now)
    assert t.state["status"] == "active.awarded"


def test_a_protest_of_one_lot_stays_that_lot_only():
    t, now = rated()
    t.do(c.FileProtest("T-1", protest_id="p1", forum="gao", grounds="L1 misevaluated.", lot="L1"), GAMMA, now)
    t.do(c.DocketProtest("T-1", protest_id="p1"), REVIEWER, now)
    assert code(t, award("L1", "b1"), SSA, now) == "stayed"
    assert t.do(award("L2", "b2"), SSA, now)[-1]["type"] == EventType.AWARD_DECIDED
    assert code(t, c.FileProtest("T-1", protest_id="p2", forum="gao", grounds="x", lot="L9"), GAMMA, now) == \
        "not-found"


def test_eu_standstill_runs_per_lot():
    t, now = rated(ruleset="eu", buyer={"id": "co-1", "name": "Office", "country": "DE"})
    t.do(award("L1", "b1"), SSA, now)
    later = now + timedelta(days=5)
    t.do(award("L2", "b2"), SSA, later)
    end_l1 = datetime.fromisoformat(current_award(t.state, "L1")["standstill_end"].replace("Z", "+00:00"))
    sign = c.SignContract("T-1", contract_id="C-L1", value={"amount": "100", "currency": "USD"}, lot="L1")
    assert code(t, sign, BUYER, end_l1 - timedelta(seconds=1)) == "standstill"
    t.do(sign, BUYER, end_l1)
    assert code(t, dataclasses.replace(sign, contract_id="C-L2", lot="L2"), BUYER, end_l1) == "standstill"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["L1", "L2"]), st.sampled_from(["b1", "b2", "b3"])), max_size=6))
def test_every_award_is_of_an_offer_for_its_lot_and_replays(decisions):
    """Whatever awards are tried, each logged one is of a bid covering its lot, ranked for that lot."""
    t, now = rated()
    for lot, bid_id in decisions:
        with contextlib.suppress(Refused):
            t.do(award(lot, bid_id, departure_reason="Reason."), SSA, now)
    for e in t.envelopes:
        if e["type"] == EventType.AWARD_DECIDED:
            assert e["payload"]["lot"] in OFFERS[e["payload"]["bid"]][1]
            assert set(e["payload"]["ranking"]) == {b for (b, lot) in PRICES if lot == e["payload"]["lot"]}
    assert snapshot(replay(t.envelopes)) == snapshot(t.state)
