"""A tender driven through the pure domain only, as the app drives it: `decide` with an injected
clock, each event wrapped in an envelope (the next `seq`, the event's own `at` or the clock), and
folded by `evolve`. A refusal the rules want logged becomes a `command.refused` envelope.

No database, no app layer. `Tender.decide` and `Tender.evolve` are swappable, so a test can watch
every call (see test_decide_never_mutates.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tenderproof.domain import Actor, Event, Refused, decide, evolve
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.model import iso, parse_time
from tenderproof.domain.rows import materialize
from tenderproof.domain.tendering import withdrawal_commitment

T0 = datetime(2030, 3, 4, 9, tzinfo=UTC)  # a Monday, no US holiday near it
TENDER_END = T0 + timedelta(days=10)
ENQUIRY_END = T0 + timedelta(days=5)
BUYER = Actor("co-1", "buyer")
SSA = Actor("ssa-1", "ssa")
HCA = Actor("hca-1", "hca")
EVALUATORS = (Actor("ev-1", "evaluator"), Actor("ev-2", "evaluator"))
OPENERS = (Actor("oo-1", "opening_official"), Actor("oo-2", "opening_official"), Actor("oo-3", "opening_official"))
OFFICIALS = (BUYER, SSA, HCA, *EVALUATORS, *OPENERS)
SYSTEM = Actor("deadline-worker", "system")
REVIEWER = Actor("gao-1", "reviewer")
AUDITOR = Actor("ig-1", "auditor")
BIDDERS = {"acme": "Acme Cloud Services LLC", "beta": "Beta Hyperscale Inc.", "gamma": "Gamma Data Corp."}
FACTORS = [{"id": "technical", "name": "Technical approach", "kind": "rating", "weight": 2},
           {"id": "price", "name": "Total evaluated price", "kind": "price", "weight": 1}]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def snapshot(state: Any) -> str:
    """The whole state, rows read through every layer, as one canonical string."""
    return "null" if state is None else json.dumps(materialize(state), sort_keys=True)


def withdrawal_key(bid_id: str) -> str:
    return f"key-{bid_id}"


@dataclass
class Tender:
    id: str = "T-1"
    state: Any = None  # a TenderState once created (typed loosely: the tests index it freely)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    #: bid id -> (bidder, name), read from the bids' sealed parts: what the opening reveals.
    bidders: dict[str, tuple[str, str]] = field(default_factory=dict)
    decide: Callable[..., list[Event]] = decide
    evolve: Callable[..., Any] = evolve

    def do(self, cmd: c.Command, actor: Actor, now: datetime, related: Tender | None = None) -> list[dict[str, Any]]:
        """The envelopes `cmd` adds to the log; an unlogged refusal is raised and adds none.
        `related` is the other tender the command names (a vehicle, a competition)."""
        try:
            if related is None:
                events = self.decide(self.state, cmd, actor, now)
            else:
                events = self.decide(self.state, cmd, actor, now, related.state)
        except Refused as r:
            if not r.logged:
                raise
            payload = {"command": cmd.name, "code": r.code, "reason": r.reason}
            return [self._append(Event(EventType.COMMAND_REFUSED, payload), actor, now)]
        return [self._append(e, actor, now) for e in events]

    def _append(self, e: Event, actor: Actor, now: datetime) -> dict[str, Any]:
        env = {"type": str(e.type), "tender": self.id, "seq": len(self.envelopes) + 1, "time": iso(e.at or now),
               "actor": actor.as_dict(), "payload": e.payload, "confidential": e.confidential}
        if e.type == EventType.BID_SUBMITTED and e.confidential:
            self.bidders[e.payload["id"]] = (e.confidential["bidder"], e.confidential["bidder_name"])
        self.state = self.evolve(self.state, env)
        self.envelopes.append(env)
        return env

    def opening_results(self) -> dict[str, dict[str, Any]]:
        """What the app reports at the opening: every live bid, with its bidder and plaintext."""
        assert self.state is not None
        live = [b["id"] for b in self.state["bids"].values() if b["status"] == "submitted"]
        return {b: {"bidder": self.bidders[b][0], "bidder_name": self.bidders[b][1], "readable": True,
                    "sha256": digest(f"plain {b}"), "size": 100} for b in live}

    def end(self) -> datetime:
        assert self.state is not None
        return parse_time(self.state["periods"]["tender_end"])


def create_cmd(tid: str = "T-1", *, enquiry_end: datetime | None = ENQUIRY_END, tender_end: datetime = TENDER_END,
               criteria: str = "bestValueTradeoff") -> c.CreateTender:
    return c.CreateTender(
        tid, title="Enterprise cloud capability", description="Commercial cloud services.",
        buyer={"id": BUYER.id, "name": "Contracting Office 1"}, method="open", criteria=criteria,
        items=[{"id": "1", "description": "Cloud services", "classification": {"scheme": "UNSPSC", "id": "81112003"}}],
        factors=FACTORS, tender_end=tender_end, enquiry_end=enquiry_end,
        panel={"evaluator": [e.id for e in EVALUATORS], "ssa": [SSA.id], "hca": [HCA.id],
               "opening_official": [o.id for o in OPENERS]},
        opening_threshold=2, value={"amount": "10000000.00", "currency": "USD"},
        documents=[{"id": "rfp", "title": "Request for proposals", "sha256": digest("rfp"), "size": 1234}])


def publish_cmd(tid: str = "T-1") -> c.PublishTender:
    return c.PublishTender(tid, opening={"suite": "test", "public_key": "pk", "threshold": 2,
                                         "encrypted_shares": {o.id: f"share-{o.id}" for o in OPENERS}})


def bid_cmd(tid: str, bid_id: str, bidder: str) -> c.SubmitBid:
    return c.SubmitBid(tid, bid_id=bid_id, bidder_name=BIDDERS.get(bidder, bidder), sealed_sha256=digest(bid_id),
                       sealed_size=4096, withdrawal=withdrawal_commitment(withdrawal_key(bid_id)))


def to_stage(tender: Tender, stage: int, *, create: c.CreateTender | None = None,
             award_at: datetime | None = None) -> datetime:
    """Drive a new tender to a stage of its life, on the clock; return the clock.
    0 draft, 1 published, 2 bids in and closed, 3 opened, 4 evaluated and awarded (to beta's b2,
    acme's b3 the other offer; at `award_at` if given, else a day after the opening)."""
    tid, now = tender.id, T0
    tender.do(create or create_cmd(tid), BUYER, now)
    if stage >= 1:
        now += timedelta(hours=1)
        tender.do(publish_cmd(tid), BUYER, now)
    if stage >= 2:
        for day, (bid_id, bidder) in enumerate([("b1", "acme"), ("b2", "beta"), ("b3", "acme")], start=1):
            now = T0 + timedelta(days=day)
            tender.do(bid_cmd(tid, bid_id, bidder), Actor(bidder, "bidder"), now)  # b3 replaces b1
        now = ENQUIRY_END
        tender.do(c.CloseEnquiries(tid), SYSTEM, now)
        now = TENDER_END
        tender.do(c.CloseTendering(tid), SYSTEM, now)
    if stage >= 3:
        now += timedelta(hours=1)
        for official in OFFICIALS:
            tender.do(c.DeclareInterests(tid, has_conflict=False), official, now)
        for opener in OPENERS[:2]:
            tender.do(c.SubmitShare(tid), opener, now)
        tender.do(c.RecordOpening(tid, results=tender.opening_results()), SYSTEM, now)
    if stage >= 4:
        now = award_at or now + timedelta(days=1)
        for ev in EVALUATORS:
            for bid_id, tech, price in (("b2", "Good", "900"), ("b3", "Outstanding", "950")):
                tender.do(c.RateProposal(tid, bid_id=bid_id, factor_id="technical", rating=tech), ev, now)
                tender.do(c.RateProposal(tid, bid_id=bid_id, factor_id="price", rating=price), ev, now)
        tender.do(c.DecideAward(tid, bid_id="b2", value={"amount": "900", "currency": "USD"}, rationale="Best value.",
                                departure_reason="Price matters more than the ranking shows."), SSA, now)
    return now


def replay(envelopes: list[dict[str, Any]]) -> Any:
    """The state rebuilt from the log alone, as `app.rebuild` does."""
    state: Any = None
    for env in envelopes:
        state = evolve(state, env)
    return state
