"""A test procurement with litigation (tests/ocds): a GAO protest with a hearing, sustained, with
costs claimed; then a suit at the Court of Federal Claims with the awardee intervening, the
administrative record, a sealed motion for discovery naming deponents and its public version,
briefs, a protective order with admitted counsel, a motion ruled and one mooted by the judgment,
an appeal affirmed and certiorari denied."""

from __future__ import annotations

from tenderproof.domain import Actor
from tenderproof.domain import commands as c

from .procurement import (
    BUYER,
    GAO,
    SSA,
    SYSTEM,
    TENDER_END,
    Ledger,
    Tender,
    bid,
    create,
    digest,
    open_and_rate,
    publish,
    t,
)

COFC = Actor("cofc", "reviewer")
ACME, BETA = Actor("acme", "bidder"), Actor("beta", "bidder")
COUNSEL = Actor("counsel-beta", "counsel")
#: Under seal: it must never reach a release.
SEALED = "SEALED-7f3a"
DEPONENTS = [{"name": "A. Secretary", "office": "Secretary (illustrative)"},
             {"name": "B. Chair", "office": "Chair, Source Selection Evaluation Board (illustrative)"}]


def litigated(ledger: Ledger) -> Tender:
    tender = create(ledger, "T-2024-005")
    tid = tender.id
    publish(tender)
    a, b = bid(tender, "acme", t(6)), bid(tender, "beta", t(7))
    tender.do(c.CloseTendering(tid), SYSTEM, TENDER_END)
    open_and_rate(tender, a, b)
    tender.do(c.DecideAward(tid, bid_id=a, value={"amount": "9500000.00", "currency": "USD"},
                            rationale="Acme's technical approach is worth its price."), SSA, t(1, 9, 4))
    # GAO: a hearing, the protest sustained, costs recommended and claimed.
    tender.do(c.FileProtest(tid, protest_id="b-1", forum="gao", grounds="Price realism ignored."), BETA, t(2, 9, 4))
    tender.do(c.DocketProtest(tid, protest_id="b-1"), GAO, t(2, 12, 4))
    tender.do(c.ScheduleHearing(tid, protest_id="b-1", hearing_id="h-1", when=t(20, 14, 4),
                                purpose="Testimony of the price evaluators."), GAO, t(15, 9, 4))
    tender.do(c.DecideProtest(tid, protest_id="b-1", outcome="sustained", reasoning="Price realism ignored.",
                              recommended_action="Re-evaluate prices."), GAO, t(3, 9, 5))
    tender.do(c.RecommendCosts(tid, protest_id="b-1", text="Reimburse the costs of pursuing the protest."), GAO,
              t(3, 10, 5))
    tender.do(c.FileCostClaim(tid, protest_id="b-1", amount={"amount": "84000.50", "currency": "USD"},
                              summary="Attorneys' fees, certified."), BETA, t(20, 9, 5))
    # The Court of Federal Claims.
    p = "cofc-24-1"
    tender.do(c.FileProtest(tid, protest_id=p, forum="cofc", grounds="Bias in the re-evaluation."), BETA, t(3, 9, 6))
    tender.do(c.DocketProtest(tid, protest_id=p), COFC, t(3, 12, 6))
    tender.do(c.Intervene(tid, protest_id=p), ACME, t(4, 9, 6))
    manifest = [{"seq": n, "index": n, "leaf_hash": digest(f"entry {n}")} for n in (1, 2, 3)]
    tender.do(c.FileAdministrativeRecord(tid, protest_id=p, filing_id="ar-1", description="The record.",
                                         manifest=manifest), BUYER, t(10, 9, 6))
    tender.do(c.FileMotion(tid, protest_id=p, motion_id="m-1", relief=["supplement_record", "discovery"],
                           summary=SEALED, deponents=DEPONENTS, under_seal=True), BETA, t(11, 9, 6))
    tender.do(c.FilePublicVersion(tid, protest_id=p, motion_id="m-1", summary="Bias (redacted).",
                                  deponents=DEPONENTS), BETA, t(14, 9, 6))
    tender.do(c.FileBrief(tid, protest_id=p, motion_id="m-1", kind="opposition", summary="No showing of bad faith."),
              BUYER, t(17, 9, 6))
    tender.do(c.FileBrief(tid, protest_id=p, motion_id="m-1", kind="reply", summary="Strong showing."), BETA,
              t(18, 9, 6))
    tender.do(c.IssueProtectiveOrder(tid, protest_id=p, order_id="po-1", text="Protected material."), COFC,
              t(4, 12, 6))
    tender.do(c.ApplyForAccess(tid, protest_id=p, order_id="po-1", party="beta", not_competitive_decision_maker=True),
              COUNSEL, t(5, 9, 6))
    tender.do(c.DecideAccess(tid, protest_id=p, order_id="po-1", counsel=COUNSEL.id, decision="admitted"), COFC,
              t(5, 12, 6))
    tender.do(c.ReadConfidential(tid, item=f"bid {a}", purpose="Protest: the awardee's proposal."), COUNSEL,
              t(6, 9, 6))
    tender.do(c.FileMotion(tid, protest_id=p, motion_id="m-2", relief=["dismiss"], summary="No standing."), ACME,
              t(7, 9, 6))
    tender.do(c.RuleOnMotion(tid, protest_id=p, motion_id="m-2", outcome="denied", text="Beta has standing."), COFC,
              t(8, 9, 6))
    tender.do(c.DecideProtest(tid, protest_id=p, outcome="denied", reasoning="The re-evaluation was reasonable."),
              COFC, t(1, 9, 7))  # m-1 becomes moot
    tender.do(c.FileAppeal(tid, protest_id=p, appeal_id="fc-1", court="cafc", summary="Appeal."), BETA, t(15, 9, 7))
    tender.do(c.DecideAppeal(tid, protest_id=p, appeal_id="fc-1", outcome="affirmed", text="Affirmed."),
              Actor("cafc", "reviewer"), t(2, 9, 9))
    tender.do(c.FileAppeal(tid, protest_id=p, appeal_id="cert-1", court="scotus", summary="Petition."), BETA,
              t(20, 9, 11))
    tender.do(c.DecideAppeal(tid, protest_id=p, appeal_id="cert-1", outcome="denied", text="Certiorari denied."),
              Actor("scotus", "reviewer"), t(10, 9, 12))
    return tender
