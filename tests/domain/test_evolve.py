"""`evolve` folds every kind of event the domain decides, and refuses what is not a tender's event.

Every `EventType` member is folded, known by construction: one scripted life of a tender (and a
tender nobody bid on), through `decide` alone, produces every member, and a replay rebuilds its
state. (test_vocabulary.py knows it by inspection of `state._APPLY`.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tenderproof.domain import Actor, evolve
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType

from .lifecycle import (
    AUDITOR,
    BUYER,
    ENQUIRY_END,
    EVALUATORS,
    HCA,
    OFFICIALS,
    OPENERS,
    REVIEWER,
    SSA,
    SYSTEM,
    T0,
    TENDER_END,
    Tender,
    bid_cmd,
    create_cmd,
    digest,
    publish_cmd,
    replay,
    snapshot,
    withdrawal_key,
)
from .vehicles_life import awarded_vehicle

ACME, BETA, GAMMA = (Actor(b, "bidder") for b in ("acme", "beta", "gamma"))
EV1, EV2 = EVALUATORS
USD = {"amount": "900", "currency": "USD"}


def expect(tender: Tender, cmd: c.Command, actor: Actor, now: datetime, *types: EventType) -> list[dict]:
    envelopes = tender.do(cmd, actor, now)
    assert [e["type"] for e in envelopes] == list(types), cmd.name
    return envelopes


def solicitation(t: Tender) -> datetime:
    """Draft to opening: amendments, enquiries, bids, a withdrawal, an ownership declaration, a late bid."""
    tid = t.id
    expect(t, create_cmd(tid), BUYER, T0, EventType.TENDER_CREATED)
    expect(t, c.AmendTender(tid, "Clearer scope.", {"title": "Cloud, v2"}), BUYER, T0, EventType.TENDER_AMENDED)
    expect(t, publish_cmd(tid), BUYER, T0 + timedelta(hours=1), EventType.TENDER_PUBLISHED)
    expect(t, c.AskQuestion(tid, enquiry_id="q1", question="Which regions?"), ACME, T0 + timedelta(days=1),
           EventType.ENQUIRY_ASKED)
    expect(t, c.AnswerQuestion(tid, enquiry_id="q1", answer="Two."), BUYER, T0 + timedelta(days=1),
           EventType.ENQUIRY_ANSWERED)
    # An evaluator holds Beta stock: matched against Beta only when the opening names the bidders.
    expect(t, c.DeclareInterests(tid, has_conflict=False, holdings=["Beta Hyperscale"]), EV2, T0 + timedelta(days=1),
           EventType.COI_DECLARED)
    for bid_id, bidder in (("b1", ACME), ("b2", BETA), ("b3", GAMMA)):
        expect(t, bid_cmd(tid, bid_id, bidder.id), bidder, T0 + timedelta(days=2), EventType.BID_SUBMITTED)
    expect(t, c.WithdrawBid(tid, bid_id="b3", withdrawal_key=withdrawal_key("b3")), GAMMA, T0 + timedelta(days=3),
           EventType.BID_WITHDRAWN)
    expect(t, c.DeclareOwnership(tid, owners=["Acme Holdings"]), ACME, T0 + timedelta(days=3),
           EventType.BIDDER_OWNERSHIP_DECLARED)
    expect(t, c.CloseEnquiries(tid), SYSTEM, ENQUIRY_END, EventType.TENDER_ENQUIRIES_CLOSED)
    expect(t, c.CloseTendering(tid), SYSTEM, TENDER_END, EventType.TENDER_TENDERING_CLOSED)
    expect(t, bid_cmd(tid, "b4", "delta"), Actor("delta", "bidder"), TENDER_END, EventType.COMMAND_REFUSED)
    return TENDER_END


def evaluation(t: Tender, now: datetime) -> datetime:
    """Opening to award: shares, the opening (with its conflict match), integrity records, ratings."""
    tid = t.id
    now += timedelta(hours=1)
    for official in OFFICIALS:
        if official != EV2:
            expect(t, c.DeclareInterests(tid, has_conflict=False), official, now, EventType.COI_DECLARED)
    for opener in OPENERS[:2]:
        expect(t, c.SubmitShare(tid), opener, now, EventType.OPENING_SHARE_SUBMITTED)
    expect(t, c.RecordOpening(tid, results=t.opening_results()), SYSTEM, now, EventType.BIDS_OPENED, EventType.COI_MATCH)
    expect(t, c.Recuse(tid, official=EV2.id, reason="Holds Beta stock."), HCA, now, EventType.OFFICIAL_RECUSED)
    expect(t, c.ReportEmploymentContact(tid, bidder_id="acme", contact_date=now, response="rejected"), EV1, now,
           EventType.INTEGRITY_EMPLOYMENT_CONTACT)
    expect(t, c.RecordContact(tid, official=BUYER.id, party="Acme", when=now, channel="phone", summary="Schedule."),
           BUYER, now, EventType.CONTACT_RECORDED)
    expect(t, c.RecordIncident(tid, description="A price sent to a competitor."), AUDITOR, now,
           EventType.INTEGRITY_INCIDENT)
    expect(t, c.ReadConfidential(tid, item="b1", purpose="Evaluation."), BUYER, now, EventType.CONFIDENTIAL_ACCESSED)
    # EV1 once worked for Acme's parent: the registered family links it to the bidder Acme.
    expect(t, c.RegisterFamily(tid, family_id="acme", parent="Roadrunner Industries", members=["Acme Cloud Services"],
                               source="Form 10-K"), BUYER, now, EventType.FAMILY_REGISTERED)
    expect(t, c.DeclareInterests(tid, has_conflict=False, prior_employers=[{"name": "Roadrunner Industries"}]), EV1,
           now, EventType.COI_DECLARED, EventType.COI_MATCH)
    expect(t, c.IdentifyOci(tid, oci_id="oci-1", offeror="acme", kind="unequal-access", finding="Saw the estimate."),
           BUYER, now, EventType.OCI_IDENTIFIED)
    expect(t, c.ResolveOci(tid, oci_id="oci-1", resolution="neutralize", rationale="Estimate released to all."),
           BUYER, now, EventType.OCI_RESOLVED)
    now += timedelta(days=1)
    for bid_id, tech, price in (("b1", "Outstanding", "950"), ("b2", "Good", "900")):
        expect(t, c.RateProposal(tid, bid_id=bid_id, factor_id="technical", rating=tech), EV1, now,
               EventType.EVALUATION_RATED)
        expect(t, c.RateProposal(tid, bid_id=bid_id, factor_id="price", rating=price), EV1, now,
               EventType.EVALUATION_RATED)
    expect(t, c.RecordConsensus(tid, bid_id="b2", factor_id="technical", rating="Good", rationale="Agreed."), BUYER,
           now, EventType.EVALUATION_CONSENSUS)
    expect(t, c.SetCompetitiveRange(tid, included=["b1", "b2"], excluded={}), BUYER, now,
           EventType.EVALUATION_COMPETITIVE_RANGE)
    return now


def award_and_protests(t: Tender, now: datetime) -> None:
    """Award, debriefing, a GAO protest with its CICA stay overridden, the contract, a hold that
    runs out, performance, a court's TRO, disclosure, corrective action and cancellation."""
    tid = t.id
    now += timedelta(days=1)
    expect(t, c.DecideAward(tid, bid_id="b1", value=USD, rationale="Best value."), SSA, now, EventType.AWARD_DECIDED)
    expect(t, c.RequestDebriefing(tid), BETA, now, EventType.DEBRIEFING_REQUESTED)
    expect(t, c.GiveDebriefing(tid, bidder_id="beta", document_sha256=digest("debrief")), BUYER, now,
           EventType.DEBRIEFING_GIVEN)
    expect(t, c.FileProtest(tid, protest_id="p1", forum="gao", grounds="Misread price."), BETA, now,
           EventType.PROTEST_FILED)
    expect(t, c.DocketProtest(tid, protest_id="p1"), REVIEWER, now, EventType.PROTEST_DOCKETED)
    expect(t, c.OverrideStay(tid, stay_id="stay-p1", ground="urgent-compelling", finding="Mission need."), HCA, now,
           EventType.STAY_OVERRIDDEN)
    expect(t, c.FileAgencyReport(tid, protest_id="p1", summary="No merit."), BUYER, now, EventType.PROTEST_AGENCY_REPORT)
    expect(t, c.FileComments(tid, protest_id="p1", summary="Merit."), BETA, now, EventType.PROTEST_COMMENTS)
    expect(t, c.DecideProtest(tid, protest_id="p1", outcome="denied", reasoning="Reasonable."), REVIEWER, now,
           EventType.PROTEST_DECIDED)
    now += timedelta(hours=1)  # no US standstill: signature needs no wait
    expect(t, c.SignContract(tid, contract_id="k-1", value=USD), BUYER, now, EventType.CONTRACT_SIGNED)
    expect(t, c.VoluntaryHold(tid, until=now + timedelta(days=2), reason="Review."), BUYER, now,
           EventType.STAY_VOLUNTARY_HOLD)
    now += timedelta(days=2)
    (hold,) = [s for s, row in t.state["stays"].items() if row["kind"] == "voluntary hold"]
    expect(t, c.EndStay(tid, stay_id=hold), SYSTEM, now, EventType.STAY_ENDED)
    expect(t, c.StartPerformance(tid), BUYER, now, EventType.PERFORMANCE_STARTED)
    expect(t, c.FileProtest(tid, protest_id="p2", forum="cofc", grounds="Bias."), BETA, now, EventType.PROTEST_FILED)
    expect(t, c.CourtOrder(tid, protest_id="p2", order="tro", text="Restrained."), REVIEWER, now, EventType.COURT_ORDER)
    litigation(t, now)
    # An integrity record goes to the public, a rating to its own offeror only (domain/disclosure.py).
    expect(t, c.Disclose(tid, items=[{"commitment": "c", "salt": "00", "content": {}, "source": "integrity.incident"}]),
           BUYER, now, EventType.CONFIDENTIAL_DISCLOSED)
    expect(t, c.Disclose(tid, items=[{"commitment": "d", "salt": "00", "content": {}, "source": "evaluation.rated",
                                      "bid": "b2"}], to=BETA.id), BUYER, now, EventType.CONFIDENTIAL_GIVEN)
    expect(t, c.TakeCorrectiveAction(tid, kind="reevaluate", rationale="The TRO.", revisits=[1]), BUYER, now,
           EventType.CORRECTIVE_ACTION_TAKEN)
    expect(t, c.CancelTender(tid, reason="Requirement withdrawn."), BUYER, now, EventType.TENDER_CANCELLED)


def litigation(t: Tender, now: datetime) -> None:
    """The court case p2 (beta's) with the awardee intervening, its record, a sealed motion briefed
    and ruled, a protective order with counsel, judgment and appeal; a GAO protest p3 with a
    hearing, sustained, with costs claimed."""
    tid, L = t.id, EventType
    expect(t, c.Intervene(tid, protest_id="p2"), ACME, now, L.LITIGATION_INTERVENED)
    manifest = [{"seq": 1, "index": 0, "leaf_hash": digest("entry 1")}]
    expect(t, c.FileAdministrativeRecord(tid, protest_id="p2", filing_id="ar", description="Record.",
                                         manifest=manifest), BUYER, now, L.LITIGATION_RECORD_FILED)
    expect(t, c.FileMotion(tid, protest_id="p2", motion_id="m1", relief=["discovery"], summary="Bias.",
                           deponents=[{"name": "X", "office": "Y"}], under_seal=True), BETA, now,
           L.LITIGATION_MOTION_FILED)
    expect(t, c.FilePublicVersion(tid, protest_id="p2", motion_id="m1", summary="Bias (redacted)."), BETA, now,
           L.LITIGATION_PUBLIC_VERSION)
    expect(t, c.FileBrief(tid, protest_id="p2", motion_id="m1", kind="opposition", summary="No."), BUYER, now,
           L.LITIGATION_BRIEF_FILED)
    expect(t, c.RuleOnMotion(tid, protest_id="p2", motion_id="m1", outcome="denied", text="Denied."), REVIEWER, now,
           L.LITIGATION_MOTION_RULED)
    expect(t, c.IssueProtectiveOrder(tid, protest_id="p2", order_id="po", text="PO."), REVIEWER, now,
           L.LITIGATION_PROTECTIVE_ORDER)
    counsel = Actor("counsel-1", "counsel")
    expect(t, c.ApplyForAccess(tid, protest_id="p2", order_id="po", party="beta", not_competitive_decision_maker=True),
           counsel, now, L.LITIGATION_ACCESS_APPLIED)
    expect(t, c.DecideAccess(tid, protest_id="p2", order_id="po", counsel=counsel.id, decision="admitted"), REVIEWER,
           now, L.LITIGATION_ACCESS_DECIDED)
    expect(t, c.DecideProtest(tid, protest_id="p2", outcome="denied", reasoning="No prejudice."), REVIEWER, now,
           EventType.PROTEST_DECIDED)
    expect(t, c.FileAppeal(tid, protest_id="p2", appeal_id="a1", court="cafc", summary="Appeal."), BETA, now,
           L.LITIGATION_APPEAL_FILED)
    expect(t, c.DecideAppeal(tid, protest_id="p2", appeal_id="a1", outcome="affirmed", text="Affirmed."), REVIEWER,
           now, L.LITIGATION_APPEAL_DECIDED)
    expect(t, c.FileProtest(tid, protest_id="p3", forum="gao", grounds="Price."), BETA, now, EventType.PROTEST_FILED)
    expect(t, c.ScheduleHearing(tid, protest_id="p3", hearing_id="h1", when=now + timedelta(days=1), purpose="Price."),
           REVIEWER, now, L.LITIGATION_HEARING)
    expect(t, c.DecideProtest(tid, protest_id="p3", outcome="sustained", reasoning="Misread.",
                              recommended_action="Re-evaluate price."), REVIEWER, now, EventType.PROTEST_DECIDED)
    expect(t, c.RecommendCosts(tid, protest_id="p3", text="Costs of pursuing the protest."), REVIEWER, now,
           L.LITIGATION_COSTS_RECOMMENDED)
    expect(t, c.FileCostClaim(tid, protest_id="p3", amount=USD, summary="Fees."), BETA, now, L.LITIGATION_COST_CLAIM)


def test_every_event_type_is_decided_and_folded_in_one_life():
    whole, empty = Tender("T-1"), Tender("T-2")
    award_and_protests(whole, evaluation(whole, solicitation(whole)))
    expect(empty, create_cmd(empty.id), BUYER, T0, EventType.TENDER_CREATED)
    expect(empty, publish_cmd(empty.id), BUYER, T0, EventType.TENDER_PUBLISHED)
    expect(empty, c.CloseTendering(empty.id), SYSTEM, TENDER_END, EventType.TENDER_UNSUCCESSFUL)
    admin = Actor("admin-1", "admin")
    expect(empty, c.GrantRole(empty.id, person="ig-2", role="auditor"), admin, TENDER_END, EventType.ACCESS_GRANTED)
    expect(empty, c.RevokeRole(empty.id, person="ig-2", role="auditor"), admin, TENDER_END, EventType.ACCESS_REVOKED)
    vehicle, now = awarded_vehicle()
    expect(vehicle, c.ExerciseOption(vehicle.id, option_id="option-1"), BUYER, now,
           EventType.VEHICLE_OPTION_EXERCISED)
    expect(vehicle, c.PlaceOrder(vehicle.id, order_id="o1", description="Sandbox.", party="beta",
                                 value={"amount": "5000", "currency": "USD"}), BUYER, now, EventType.ORDER_PLACED)
    decided = {e["type"] for t in (whole, empty, vehicle) for e in t.envelopes}
    assert decided == set(EventType), sorted(set(EventType) - decided)
    for t in (whole, empty, vehicle):
        assert snapshot(replay(t.envelopes)) == snapshot(t.state)
        assert t.state["events"] == len(t.envelopes)


@pytest.mark.parametrize("etype", ["bid.teleported", "Bid.Submitted", "", "tender.created.v2"])
def test_evolve_refuses_an_event_type_it_does_not_know(etype):
    tender = Tender()
    expect(tender, create_cmd(), BUYER, T0, EventType.TENDER_CREATED)
    before = snapshot(tender.state)
    event = {"type": etype, "tender": "T-1", "seq": 2, "time": "2030-03-05T00:00:00Z",
             "actor": BUYER.as_dict(), "payload": {}}
    with pytest.raises(ValueError, match="unknown event type"):
        evolve(tender.state, event)
    assert snapshot(tender.state) == before


@pytest.mark.parametrize("etype", sorted(set(EventType) - {EventType.TENDER_CREATED}))
def test_evolve_refuses_any_event_before_the_tender_is_created(etype):
    event = {"type": str(etype), "tender": "T-9", "seq": 1, "time": "2030-03-05T00:00:00Z",
             "actor": BUYER.as_dict(), "payload": {}}
    with pytest.raises(ValueError, match="for tender T-9 comes before its creation"):
        evolve(None, event)
