"""Drive the pure domain through whole procurements, as the app would, collecting OCDS releases.

Each accepted event becomes an envelope at the next ledger index; a refusal the rules want logged
becomes a `command.refused` envelope. After each envelope, `release_for` is asked what it publishes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tenderproof.domain import Actor, Refused, decide, evolve
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.model import iso
from tenderproof.domain.tendering import withdrawal_commitment
from tenderproof.ocds import release_for

OCID_PREFIX = "ocds-tndrpf-"
BUYER = Actor("co-1", "buyer")
SSA = Actor("ssa-1", "ssa")
EVALUATORS = [Actor("ev-1", "evaluator"), Actor("ev-2", "evaluator")]
OPENERS = [Actor(f"oo-{i}", "opening_official") for i in (1, 2, 3)]
SYSTEM = Actor("deadline-worker", "system")
HCA = Actor("hca-1", "hca")
GAO = Actor("gao", "reviewer")
AUDITOR = Actor("ig-1", "auditor")
ADMIN = Actor("it-1", "admin")
BIDDERS = {"acme": "Acme Cloud Services LLC", "beta": "Beta Hyperscale Inc.", "gamma": "Gamma Data Corp."}
#: Strings only confidential content carries: none may ever appear in a release.
SECRETS = ["NARRATIVE-7f3a", "WEAKNESS-7f3a", "RISK-7f3a", "CONSENSUS-7f3a", "RANGE-7f3a", "COI-7f3a",
           "9499999.25", "9599999.75"]


def t(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Ledger:
    """A shared ledger index across tenders, and every (envelope, release) it produced."""

    index: int = 0
    entries: list[tuple[dict[str, Any], dict | None]] = field(default_factory=list)

    @property
    def releases(self) -> list[dict]:
        return [r for _, r in self.entries if r is not None]


@dataclass
class Tender:
    ledger: Ledger
    id: str
    state: dict | None = None
    seq: int = 0

    def append(self, etype: str, payload: dict, confidential: dict | None, actor: Actor, time: datetime) -> dict | None:
        self.seq += 1
        env = {"type": etype, "tender": self.id, "seq": self.seq, "time": iso(time), "actor": actor.as_dict(),
               "payload": payload, "confidential": confidential}
        before = self.state
        self.state = evolve(before, env)
        release = release_for(before, self.state, env, ocid_prefix=OCID_PREFIX, index=self.ledger.index)
        self.ledger.index += 1
        self.ledger.entries.append((env, release))
        return release

    def do(self, cmd: c.Command, actor: Actor, now: datetime, related: Tender | None = None) -> list[dict | None]:
        """`related`: the other tender the command names (a vehicle, an order's competition), as the app loads it."""
        try:
            events = decide(self.state, cmd, actor, now, None if related is None else related.state)
        except Refused as r:
            if not r.logged:
                raise
            return [self.append(EventType.COMMAND_REFUSED, {"command": cmd.name, "code": r.code, "reason": r.reason},
                                None, actor, now)]
        return [self.append(e.type, e.payload, e.confidential, actor, e.at or now) for e in events]


TENDER_END = t(20, 12)
PUBLISHED = t(2)


def create(ledger: Ledger, tid: str, *, tender_end: datetime = TENDER_END, criteria: str = "bestValueTradeoff",
           hca: bool = False, other: Tender | None = None, when: datetime | None = None, **extra: Any) -> Tender:
    """A new tender; `extra`: further CreateTender fields (a vehicle's terms, order_under, related, …);
    `other`: the tender the app loads with the command (the vehicle of an order's competition)."""
    tender = Tender(ledger, tid)
    panel = {"buyer": [BUYER.id], "evaluator": [e.id for e in EVALUATORS], "ssa": [SSA.id],
             "opening_official": [o.id for o in OPENERS], **({"hca": [HCA.id]} if hca else {})}
    tender.do(c.CreateTender(
        tid, title=f"Enterprise cloud capability ({tid})", description="Commercial cloud services, all classification levels.",
        buyer={"id": BUYER.id, "name": "Contracting Office 1"}, method="open", criteria=criteria,
        items=extra.pop("items", [{"id": "1", "description": "Cloud infrastructure and platform services",
                                   "classification": {"scheme": "UNSPSC", "id": "81112003"}, "quantity": 1}]),
        factors=[{"id": "technical", "name": "Technical approach", "kind": "rating", "weight": 2},
                 {"id": "past", "name": "Past performance", "kind": "rating", "weight": 1},
                 {"id": "price", "name": "Total evaluated price", "kind": "price", "weight": 1}],
        tender_end=tender_end, enquiry_end=extra.pop("enquiry_end", t(10, 12)),
        panel=panel,
        opening_threshold=2, value={"amount": "10000000.00", "currency": "USD"},
        documents=[{"id": "rfp", "title": "Request for proposals", "sha256": digest("rfp v1"), "size": 1234}],
        **extra,
    ), BUYER, when or t(1), other)
    return tender


def publish(tender: Tender, when: datetime = PUBLISHED) -> None:
    opening = {"suite": "test", "public_key": "pk", "threshold": 2,
               "encrypted_shares": {o.id: f"share-{o.id}" for o in OPENERS}}
    tender.do(c.PublishTender(tender.id, opening=opening), BUYER, when)


def bid(tender: Tender, bidder: str, when: datetime, bid_id: str | None = None) -> str:
    bid_id = bid_id or f"{tender.id}-{bidder}-bid"
    tender.do(c.SubmitBid(tender.id, bid_id=bid_id, bidder_name=BIDDERS[bidder],
                          sealed_sha256=digest(f"sealed {bid_id}"), sealed_size=4096,
                          withdrawal=withdrawal_commitment(f"key-{bid_id}")), Actor(bidder, "bidder"), when)
    return bid_id


def full(ledger: Ledger) -> Tender:
    """create → publish → enquiry → amendment → 3 bids, one withdrawn → close → open → evaluate → award → contract."""
    tid = "T-2024-001"
    tender = create(ledger, tid)
    publish(tender)
    tender.do(c.AskQuestion(tid, enquiry_id="q1", question="Is a classified region required at award?"),
              Actor("acme", "bidder"), t(4))
    tender.do(c.AnswerQuestion(tid, enquiry_id="q1", answer="No; within 18 months of award."), BUYER, t(5))
    a = bid(tender, "acme", t(6))
    b = bid(tender, "beta", t(7))
    g = bid(tender, "gamma", t(8))
    tender.do(c.AmendTender(tid, rationale="Answer to enquiry q1 changes the timeline; bidders get more time.",
                            changes={"tender_end": t(25, 12), "documents": [
                                {"id": "rfp-a1", "title": "RFP amendment 1", "sha256": digest("rfp a1"), "size": 99,
                                 "format": "application/pdf"}]}),
              BUYER, t(9))
    tender.do(c.CloseEnquiries(tid), SYSTEM, t(10, 12))
    tender.do(c.WithdrawBid(tid, bid_id=g, withdrawal_key=f"key-{g}"), Actor("gamma", "bidder"), t(11))
    tender.do(c.CloseTendering(tid), SYSTEM, t(25, 12))
    tender.do(c.SubmitBid(tid, bid_id="late", bidder_name="Delta", sealed_sha256=digest("late"), sealed_size=1,
                          withdrawal=withdrawal_commitment("key-late")),
              Actor("delta", "bidder"), t(25, 13))  # refused and logged
    open_and_rate(tender, a, b)
    tender.do(c.RecordConsensus(tid, bid_id=b, factor_id="technical", rating="Good", rationale="CONSENSUS-7f3a"),
              BUYER, t(28))
    tender.do(c.SetCompetitiveRange(tid, included=[a, b], excluded={}, rationale="RANGE-7f3a"), BUYER, t(28, 10))
    tender.do(c.DecideAward(tid, bid_id=a, value={"amount": "9500000.00", "currency": "USD"},
                            rationale="Acme's technical approach is worth its price."), SSA, t(1, 9, 4))
    tender.do(c.RequestDebriefing(tid), Actor("beta", "bidder"), t(1, 12, 4))  # within 3 days: required
    tender.do(c.GiveDebriefing(tid, bidder_id="beta", document_sha256=digest("debrief beta")), BUYER, t(3, 9, 4))
    tender.do(c.SignContract(tid, contract_id=f"{tid}-contract-1", value={"amount": "9500000.00", "currency": "USD"},
                             period_end=t(1, 0, 4) + timedelta(days=365 * 5)), BUYER, t(20, 9, 4))
    return tender


def open_and_rate(tender: Tender, a: str, b: str, month: int = 3) -> None:
    """After the closing: declarations, two shares, the opening of acme's bid `a` and beta's `b`, ratings
    (on the 26th and 27th of `month`)."""
    tid = tender.id
    for official in [*OPENERS[:2], *EVALUATORS, SSA]:
        tender.do(c.DeclareInterests(tid, has_conflict=False, details="COI-7f3a none"), official, t(26, month=month))
    for official in OPENERS[:2]:
        tender.do(c.SubmitShare(tid), official, t(26, 10, month))
    tender.do(c.RecordOpening(tid, results={
        a: {"bidder": "acme", "bidder_name": BIDDERS["acme"], "readable": True, "sha256": digest("plain a"), "size": 10},
        b: {"bidder": "beta", "bidder_name": BIDDERS["beta"], "readable": True, "sha256": digest("plain b"), "size": 11}}),
              SYSTEM, t(26, 11, month))
    ratings = {a: ("Outstanding", "Good", "9499999.25"), b: ("Good", "Acceptable", "9599999.75")}
    for ev in EVALUATORS:
        for bid_id, (tech, past, price) in ratings.items():
            for factor, rating in (("technical", tech), ("past", past), ("price", price)):
                tender.do(c.RateProposal(tid, bid_id=bid_id, factor_id=factor, rating=rating,
                                         strengths="NARRATIVE-7f3a", weaknesses="WEAKNESS-7f3a", risks="RISK-7f3a"),
                          ev, t(27, month=month))


def protested(ledger: Ledger) -> Tender:
    """A pre-award GAO protest whose CICA stay the HCA overrides; award, contract and performance;
    an ownership declaration, an employment contact, an organizational conflict mitigated and an
    auditor's read along the way."""
    tender = create(ledger, "T-2024-004", hca=True)
    tid = tender.id
    publish(tender)
    tender.do(c.DeclareOwnership(tid, owners=["Acme Holdings"], affiliates=["Acme Federal"]), Actor("acme", "bidder"),
              t(5))
    a, b = bid(tender, "acme", t(6)), bid(tender, "beta", t(7))
    tender.do(c.CloseTendering(tid), SYSTEM, TENDER_END)
    open_and_rate(tender, a, b)
    tender.do(c.ReportEmploymentContact(tid, bidder_id="beta", contact_date=t(27), response="rejected"),
              EVALUATORS[0], t(27, 10))
    tender.do(c.RegisterFamily(tid, family_id="acme", parent="Acme Holdings", members=["Acme Cloud Services LLC"],
                               source="Acme Holdings annual report (illustrative)"), BUYER, t(27, 10))
    tender.do(c.IdentifyOci(tid, oci_id="oci-1", offeror="acme", kind="impaired-objectivity",
                            finding="Acme Federal evaluates cloud offerings for the same office."), BUYER, t(27, 11))
    tender.do(c.ResolveOci(tid, oci_id="oci-1", resolution="mitigate", rationale="A firewall between the teams.",
                           plan_sha256=digest("mitigation plan")), BUYER, t(27, 12))
    tender.do(c.FileProtest(tid, protest_id="p1", forum="gao", grounds="the evaluation was unreasonable"),
              Actor("beta", "bidder"), t(28))
    tender.do(c.DocketProtest(tid, protest_id="p1"), GAO, t(28, 12))
    # Before award only urgent and compelling circumstances, with award likely within 30 days (31 U.S.C. 3553(c)(2)).
    tender.do(c.OverrideStay(tid, stay_id="stay-p1", ground="urgent-compelling", finding="the mission cannot wait",
                             award_likely_within_30_days=True), HCA, t(29))
    tender.do(c.GrantRole(tid, person="ig-2", role="auditor"), ADMIN, t(29, 9))
    tender.do(c.ReadConfidential(tid, item=f"bid {a}", purpose="audit of the evaluation"), AUDITOR, t(29, 10))
    tender.do(c.RevokeRole(tid, person="ig-2", role="auditor"), ADMIN, t(29, 11))
    tender.do(c.DecideAward(tid, bid_id=a, value={"amount": "9500000.00", "currency": "USD"},
                            rationale="Acme's technical approach is worth its price."), SSA, t(1, 9, 4))
    tender.do(c.SignContract(tid, contract_id=f"{tid}-contract-1", value={"amount": "9500000.00", "currency": "USD"}),
              BUYER, t(20, 9, 4))
    tender.do(c.StartPerformance(tid), BUYER, t(21, 9, 4))
    return tender


def cancelled(ledger: Ledger) -> Tender:
    tender = create(ledger, "T-2024-002")
    publish(tender)
    bid(tender, "beta", t(6))
    tender.do(c.CancelTender(tender.id, reason="Requirement withdrawn by the program office."), BUYER, t(7))
    return tender


def unsuccessful(ledger: Ledger) -> Tender:
    tender = create(ledger, "T-2024-003")
    publish(tender)
    g = bid(tender, "gamma", t(6))
    tender.do(c.WithdrawBid(tender.id, bid_id=g, withdrawal_key=f"key-{g}"), Actor("gamma", "bidder"), t(7))
    tender.do(c.CloseTendering(tender.id), SYSTEM, t(20, 12))
    return tender
