"""A multiple-award vehicle driven through `decide` alone: its solicitation and award to acme
and beta, and competitions for orders under it. Shared by test_vehicles.py and test_evolve.py."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from tenderproof.domain import Actor
from tenderproof.domain import commands as c

from .lifecycle import BUYER, EVALUATORS, OFFICIALS, OPENERS, SSA, SYSTEM, T0, Tender, bid_cmd, create_cmd, publish_cmd

ACME, BETA, GAMMA = (Actor(b, "bidder") for b in ("acme", "beta", "gamma"))
ORDERING_END = T0 + timedelta(days=365)


def terms(**over: Any) -> dict[str, Any]:
    return {"kind": "idiq", "awardees": 2, "ceiling": {"amount": "1000000", "currency": "USD"},
            "minimum": {"amount": "20000", "currency": "USD"}, "ordering_end": ORDERING_END,
            "options": [{"id": "option-1", "period_end": ORDERING_END + timedelta(days=365)}]} | over


def vehicle_cmd(tid: str = "V-1", **over: Any) -> c.CreateTender:
    return dataclasses.replace(create_cmd(tid, enquiry_end=None), vehicle=terms(**over))


def run_competition(t: Tender, now: datetime, bids: list[tuple[str, Actor, str]], winner: str,
                    value: str, related: Tender | None = None) -> datetime:
    """From publication to an award: each (bid id, bidder, price) bid, opened, rated, awarded."""
    tid = t.id
    t.do(publish_cmd(tid), BUYER, now)
    end = t.end()
    for bid_id, bidder, _ in bids:
        t.do(bid_cmd(tid, bid_id, bidder.id), bidder, now + timedelta(hours=1))
    now = end
    t.do(c.CloseTendering(tid), SYSTEM, now)
    now += timedelta(hours=1)
    for official in OFFICIALS:
        t.do(c.DeclareInterests(tid, has_conflict=False), official, now)
    for opener in OPENERS[:2]:
        t.do(c.SubmitShare(tid), opener, now)
    t.do(c.RecordOpening(tid, results=t.opening_results()), SYSTEM, now)
    now += timedelta(days=1)
    for bid_id, _, price in bids:
        t.do(c.RateProposal(tid, bid_id=bid_id, factor_id="technical", rating="Good"), EVALUATORS[0], now)
        t.do(c.RateProposal(tid, bid_id=bid_id, factor_id="price", rating=price), EVALUATORS[0], now)
    if winner:
        t.do(c.DecideAward(tid, bid_id=winner, value={"amount": value, "currency": "USD"}, rationale="Best value."),
             SSA, now)
    return now


def awarded_vehicle(**over: Any) -> tuple[Tender, datetime]:
    """V-1 awarded to beta (b1) and acme (b2)."""
    v = Tender("V-1")
    v.do(vehicle_cmd(**over), BUYER, T0)
    now = run_competition(v, T0 + timedelta(hours=1), [("b1", BETA, "900"), ("b2", ACME, "950")], "", "")
    v.do(c.AwardVehicle(v.id, bids=["b1", "b2"], rationale="Both offer the capability."), SSA, now)
    return v, now


def order_competition(v: Tender, tid: str, now: datetime, value: str = "50000",
                      winner_price: str = "50000") -> tuple[Tender, datetime]:
    """A competition for an order under `v`, won by beta at `value`."""
    t = Tender(tid)
    cmd = dataclasses.replace(create_cmd(tid, enquiry_end=None, tender_end=now + timedelta(days=10)),
                              order_under=v.id, value={"amount": value, "currency": "USD"})
    t.do(cmd, BUYER, now, related=v)
    now = run_competition(t, now, [("o1", BETA, winner_price), ("o2", ACME, str(int(winner_price) + 100))],
                          "o1", value)
    return t, now
