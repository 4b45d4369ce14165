"""Random, valid-ish commands over a tender's life, for the domain's properties.

Each step is one command by one actor at the clock, drawn from small pools of ids (bids b1…b4,
enquiries q1…q2, protests p1…p2) so that commands meet the state they refer to: many are accepted,
many refused, some refused and logged. The clock only moves forward, by 0 s to a few days.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c

from .lifecycle import (
    AUDITOR,
    BIDDERS,
    BUYER,
    EVALUATORS,
    HCA,
    OFFICIALS,
    OPENERS,
    REVIEWER,
    SSA,
    SYSTEM,
    Tender,
    bid_cmd,
    digest,
    to_stage,
    withdrawal_key,
)

Draw = Callable[[st.SearchStrategy[Any]], Any]
Step = Callable[[Tender, Draw, datetime], tuple[c.Command, Actor]]

BID_IDS = st.sampled_from(["b1", "b2", "b3", "b4"])
BIDDER = st.sampled_from([Actor(b, "bidder") for b in BIDDERS])
OFFICIAL = st.sampled_from(OFFICIALS)
PROTESTS = st.sampled_from(["p1", "p2"])
MOTIONS = st.sampled_from(["m1", "m2"])
COUNSEL = Actor("counsel-1", "counsel")
PARTY = st.sampled_from([BUYER, *(Actor(b, "bidder") for b in BIDDERS)])  # who may move, brief and appeal
CONFLICT = st.sampled_from([False, False, True])  # mostly clean: a conflicted official is locked out
TEXT = st.sampled_from(["Because.", "Acme holdings", "Reasons on the record."])
#: Mostly hours, so a tendering period of days sees several commands; sometimes days, past the
#: deadlines and standstills.
ADVANCE = st.sampled_from([timedelta(0), timedelta(seconds=1), timedelta(hours=1), timedelta(hours=3),
                           timedelta(hours=6), timedelta(hours=12), timedelta(days=1), timedelta(days=4)])


def _stay(tender: Tender, draw: Draw) -> str:
    assert tender.state is not None
    return draw(st.sampled_from([*tender.state["stays"], "stay-none"]))


def _rating(draw: Draw) -> tuple[str, str]:
    factor = draw(st.sampled_from(["technical", "price", "past"]))
    rating = draw(st.sampled_from(["900", "950.5"])) if factor == "price" else draw(
        st.sampled_from(["Outstanding", "Good", "Unacceptable", "Superb"]))
    return factor, rating


def _bid(tid: str, draw: Draw) -> tuple[c.Command, Actor]:
    bidder = draw(BIDDER)
    return bid_cmd(tid, draw(BID_IDS), bidder.id), bidder


def _withdraw(tid: str, draw: Draw) -> tuple[c.Command, Actor]:
    bid_id = draw(BID_IDS)
    key = draw(st.sampled_from([withdrawal_key(bid_id), "wrong"]))
    return c.WithdrawBid(tid, bid_id=bid_id, withdrawal_key=key), draw(BIDDER)


def _rate(tid: str, draw: Draw) -> tuple[c.Command, Actor]:
    factor, rating = _rating(draw)
    reason = draw(st.sampled_from(["", "New facts."]))
    cmd = c.RateProposal(tid, bid_id=draw(BID_IDS), factor_id=factor, rating=rating, reason=reason)
    return cmd, draw(st.sampled_from(EVALUATORS))


def _consensus(tid: str, draw: Draw) -> tuple[c.Command, Actor]:
    factor, rating = _rating(draw)
    return c.RecordConsensus(tid, bid_id=draw(BID_IDS), factor_id=factor, rating=rating, rationale="Agreed."), BUYER


def _amend(tid: str, draw: Draw, now: datetime) -> c.AmendTender:
    change = draw(st.sampled_from(["title", "extend", "shorten", "documents"]))
    options: dict[str, dict[str, Any]] = {
        "title": {"title": "Cloud services, amended"},
        "extend": {"tender_end": now + timedelta(days=draw(st.integers(1, 20)))},
        "shorten": {"tender_end": now},
        "documents": {"documents": [{"id": "rfp-a", "title": "Amendment", "sha256": digest("a"), "size": 9}]},
    }
    return c.AmendTender(tid, rationale="Answer to an enquiry.", changes=options[change])


STEPS: dict[str, Step] = {
    "amend": lambda t, d, now: (_amend(t.id, d, now), BUYER),
    "publish": lambda t, d, now: (c.PublishTender(t.id, opening={"threshold": 2, "encrypted_shares": {
        o.id: "s" for o in OPENERS}}), BUYER),
    "ask": lambda t, d, now: (c.AskQuestion(t.id, enquiry_id=d(st.sampled_from(["q1", "q2"])), question="When?"),
                              d(BIDDER)),
    "answer": lambda t, d, now: (c.AnswerQuestion(t.id, enquiry_id=d(st.sampled_from(["q1", "q2"])), answer="Soon."),
                                 BUYER),
    "bid": lambda t, d, now: _bid(t.id, d),
    "withdraw": lambda t, d, now: _withdraw(t.id, d),
    "close_enquiries": lambda t, d, now: (c.CloseEnquiries(t.id), SYSTEM),
    "close_tendering": lambda t, d, now: (c.CloseTendering(t.id), SYSTEM),
    "declare": lambda t, d, now: (c.DeclareInterests(t.id, has_conflict=d(CONFLICT), details=d(TEXT),
                                                     holdings=d(st.sampled_from([[], ["Beta"], ["Acme Cloud"]]))),
                                  d(OFFICIAL)),
    "share": lambda t, d, now: (c.SubmitShare(t.id), d(st.sampled_from([*OPENERS, BUYER]))),
    "open": lambda t, d, now: (c.RecordOpening(t.id, results=t.opening_results()), d(st.sampled_from([SYSTEM, BUYER]))),
    "rate": lambda t, d, now: _rate(t.id, d),
    "consensus": lambda t, d, now: _consensus(t.id, d),
    "range": lambda t, d, now: (c.SetCompetitiveRange(t.id, included=d(st.sampled_from([["b2", "b3"], ["b2"]])),
                                                      excluded=d(st.sampled_from([{}, {"b3": "Weak."}]))), BUYER),
    "award": lambda t, d, now: (c.DecideAward(t.id, bid_id=d(BID_IDS), value={"amount": "900", "currency": "USD"},
                                              rationale="Best value.", departure_reason=d(st.sampled_from(
                                                  ["", "Cheaper."]))), SSA),
    "debrief": lambda t, d, now: (c.GiveDebriefing(t.id, bidder_id=d(st.sampled_from(list(BIDDERS))),
                                                   document_sha256=digest("debrief")), BUYER),
    "sign": lambda t, d, now: (c.SignContract(t.id, contract_id="k-1", value={"amount": "900", "currency": "USD"}),
                               BUYER),
    "cancel": lambda t, d, now: (c.CancelTender(t.id, reason="Requirement withdrawn."), BUYER),
    "protest": lambda t, d, now: (c.FileProtest(t.id, protest_id=d(PROTESTS), forum=d(st.sampled_from(c.FORUMS)),
                                                grounds="Unequal treatment.", solicitation_terms=d(st.booleans())),
                                  d(BIDDER)),
    "docket": lambda t, d, now: (c.DocketProtest(t.id, protest_id=d(PROTESTS)), REVIEWER),
    "report": lambda t, d, now: (c.FileAgencyReport(t.id, protest_id=d(PROTESTS), summary="No merit."), BUYER),
    "comments": lambda t, d, now: (c.FileComments(t.id, protest_id=d(PROTESTS), summary="It has."), d(BIDDER)),
    "decide_protest": lambda t, d, now: (c.DecideProtest(t.id, protest_id=d(PROTESTS), outcome=d(st.sampled_from(
        c.PROTEST_OUTCOMES)), reasoning="Considered.", recommended_action="Re-evaluate."), REVIEWER),
    "court": lambda t, d, now: (c.CourtOrder(t.id, protest_id=d(PROTESTS), order=d(st.sampled_from(c.COURT_ORDERS)),
                                             text="So ordered.", until=now + timedelta(days=5)), REVIEWER),
    "hold": lambda t, d, now: (c.VoluntaryHold(t.id, until=now + timedelta(days=4), reason="Pending review."), BUYER),
    "override": lambda t, d, now: (c.OverrideStay(t.id, stay_id=_stay(t, d), ground="urgent-compelling",
                                                  finding="Urgent and compelling."), HCA),
    "end_stay": lambda t, d, now: (c.EndStay(t.id, stay_id=_stay(t, d)), SYSTEM),
    "lapse": lambda t, d, now: (c.LapseProtest(t.id, protest_id=d(PROTESTS)), SYSTEM),
    "corrective": lambda t, d, now: (c.TakeCorrectiveAction(t.id, kind=d(st.sampled_from(c.CORRECTIVE_KINDS)),
                                                            rationale="Fix it.", revisits=[1]), BUYER),
    "perform": lambda t, d, now: (c.StartPerformance(t.id), BUYER),
    "ownership": lambda t, d, now: (c.DeclareOwnership(t.id, owners=["Acme Holdings"], affiliates=["Beta"]), d(BIDDER)),
    "recuse": lambda t, d, now: (c.Recuse(t.id, official=d(st.sampled_from(EVALUATORS)).id, reason="Conflict."),
                                 d(st.sampled_from([BUYER, HCA, *EVALUATORS]))),
    "employment": lambda t, d, now: (c.ReportEmploymentContact(t.id, bidder_id="acme", contact_date=now,
                                                               response=d(st.sampled_from(["rejected", "recused"]))),
                                     d(OFFICIAL)),
    "contact": lambda t, d, now: (c.RecordContact(t.id, official=BUYER.id, party="Acme", when=now, channel="phone",
                                                  summary="Asked about the schedule."), BUYER),
    "family": lambda t, d, now: (c.RegisterFamily(t.id, family_id=d(st.sampled_from(["f1", "f2"])), parent="Beta Group",
                                                  members=["Acme Cloud"], source="10-K"), BUYER),
    "oci": lambda t, d, now: (c.IdentifyOci(t.id, oci_id=d(st.sampled_from(["oci-1", "oci-2"])),
                                            offeror=d(st.sampled_from(list(BIDDERS))), kind="unequal-access",
                                            finding="Saw the estimate."), BUYER),
    "resolve_oci": lambda t, d, now: (c.ResolveOci(t.id, oci_id="oci-1", resolution=d(st.sampled_from(
        c.OCI_RESOLUTIONS)), rationale="On the record.", plan_sha256=d(st.sampled_from(["", digest("plan")]))),
                                      d(st.sampled_from([BUYER, HCA]))),
    "incident": lambda t, d, now: (c.RecordIncident(t.id, description="Price sent to a competitor."), AUDITOR),
    "read": lambda t, d, now: (c.ReadConfidential(t.id, item="b2", purpose="Evaluation."),
                               d(st.sampled_from([BUYER, AUDITOR, *EVALUATORS]))),
    "intervene": lambda t, d, now: (c.Intervene(t.id, protest_id=d(PROTESTS)), d(BIDDER)),
    "record": lambda t, d, now: (c.FileAdministrativeRecord(t.id, protest_id=d(PROTESTS), filing_id="ar",
                                                            description="The record.", manifest=[
                                                                {"seq": 1, "index": 0, "leaf_hash": digest("1")}]),
                                 BUYER),
    "motion": lambda t, d, now: (c.FileMotion(t.id, protest_id=d(PROTESTS), motion_id=d(MOTIONS), relief=[d(
        st.sampled_from(c.MOTION_RELIEF))], summary="Because.", under_seal=d(st.booleans())),
                                 d(PARTY)),
    "brief": lambda t, d, now: (c.FileBrief(t.id, protest_id=d(PROTESTS), motion_id=d(MOTIONS),
                                            kind=d(st.sampled_from(c.BRIEFS)), summary="No."),
                                d(PARTY)),
    "rule": lambda t, d, now: (c.RuleOnMotion(t.id, protest_id=d(PROTESTS), motion_id=d(MOTIONS),
                                              outcome=d(st.sampled_from(c.RULINGS)), text="So ruled."), REVIEWER),
    "protective_order": lambda t, d, now: (c.IssueProtectiveOrder(t.id, protest_id=d(PROTESTS), order_id="po",
                                                                  text="Protected."), REVIEWER),
    "apply_access": lambda t, d, now: (c.ApplyForAccess(t.id, protest_id=d(PROTESTS), order_id="po", party="acme",
                                                        not_competitive_decision_maker=True), COUNSEL),
    "admit": lambda t, d, now: (c.DecideAccess(t.id, protest_id=d(PROTESTS), order_id="po", counsel=COUNSEL.id,
                                               decision=d(st.sampled_from(c.ACCESS_DECISIONS))), REVIEWER),
    "counsel_read": lambda t, d, now: (c.ReadConfidential(t.id, item="b2", purpose="Protest."), COUNSEL),
    "appeal": lambda t, d, now: (c.FileAppeal(t.id, protest_id=d(PROTESTS), appeal_id=d(st.sampled_from(["a1", "a2"])),
                                              court=d(st.sampled_from(c.APPEAL_COURTS)), summary="Appeal."),
                                 d(PARTY)),
    "decide_appeal": lambda t, d, now: (c.DecideAppeal(t.id, protest_id=d(PROTESTS), appeal_id="a1", outcome=d(
        st.sampled_from(["affirmed", "denied"])), text="Decided."), REVIEWER),
    "costs": lambda t, d, now: (c.RecommendCosts(t.id, protest_id=d(PROTESTS), text="Costs."), REVIEWER),
    "cost_claim": lambda t, d, now: (c.FileCostClaim(t.id, protest_id=d(PROTESTS), amount={"amount": "1",
                                                     "currency": "USD"}, summary="Fees."), d(BIDDER)),
    "disclose": lambda t, d, now: (c.Disclose(t.id, items=[{"commitment": "c", "salt": "00", "content": {},
                                                                "source": "evaluation.rated", "bid": "b2"}],
                                                         to=d(st.sampled_from(["", "beta"]))), BUYER),
}


#: How often each step is drawn: the everyday commands of each stage more often than the others.
WEIGHTS = {"bid": 4, "withdraw": 2, "ask": 2, "answer": 2, "declare": 3, "share": 3, "open": 2, "rate": 4,
           "consensus": 2, "award": 2, "protest": 2, "docket": 2, "close_tendering": 2, "publish": 3}
DRAWN = sorted(name for name in STEPS for _ in range(WEIGHTS.get(name, 1)))


def run(tender: Tender, data: Any, max_steps: int = 30) -> int:
    """A tender brought to a drawn stage of its life, then a drawn run of steps on the clock.
    Returns how many envelopes the staged start wrote."""
    now = to_stage(tender, data.draw(st.sampled_from([1, 2, 3, 4, 0]), label="stage"))
    staged = len(tender.envelopes)
    for _ in range(data.draw(st.integers(max_steps // 3, max_steps), label="steps")):
        now += data.draw(ADVANCE)
        cmd, actor = STEPS[data.draw(st.sampled_from(DRAWN))](tender, data.draw, now)
        with suppress(Refused):  # refused and not logged: nothing happened, which the properties check
            tender.do(cmd, actor, now)
    return staged
