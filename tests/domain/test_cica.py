"""The CICA stay, its override, and how each outcome ends a protest's stays, at their edges.

31 U.S.C. 3553(c): before award, no award while a noticed protest is pending; overridden only on
urgent and compelling circumstances with award likely within 30 days. 3553(d)(3)-(4): after award,
performance (not signature: the award is the contract) suspended when GAO's notice comes within 10
days after award or 5 days after a requested and required debriefing; overridden on urgent and
compelling circumstances or the best interests of the United States. GAO is notified of every
override (3553(c)(3), (d)(3)(C)(ii)). 28 U.S.C. 1491(b)(2): a judgment for the protester at the
Court of Federal Claims ends in its remedy, never in lifting its injunction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tenderproof.domain import Actor, Refused, decide
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType

from .lifecycle import BUYER, EVALUATORS, HCA, REVIEWER, SSA, Tender, to_stage

ET = ZoneInfo("America/New_York")
ACME = Actor("acme", "bidder")
USD = {"amount": "900", "currency": "USD"}
SIGN = c.SignContract("T-1", contract_id="k-1", value=USD)
PERFORM = c.StartPerformance("T-1")


def et(y: int, m: int, d: int, h: int = 12, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=ET)


AWARD = et(2030, 6, 3)  # a Monday


def awarded(at: datetime = AWARD) -> Tender:
    tender = Tender()
    to_stage(tender, 4, award_at=at)
    return tender


def rated() -> tuple[Tender, datetime]:
    """Opened and rated, not yet awarded."""
    tender = Tender()
    now = to_stage(tender, 3)
    for ev in EVALUATORS:
        for bid_id, price in (("b2", "900"), ("b3", "950")):
            tender.do(c.RateProposal("T-1", bid_id=bid_id, factor_id="technical", rating="Good"), ev, now)
            tender.do(c.RateProposal("T-1", bid_id=bid_id, factor_id="price", rating=price), ev, now)
    return tender, now


def noticed(tender: Tender, at: datetime, pid: str = "p1", forum: str = "gao", **kw) -> dict:
    """Acme's protest filed (its basis newly known) and docketed at `at`; returns its stay or {}."""
    tender.do(c.FileProtest("T-1", protest_id=pid, forum=forum, grounds="Misread price.", basis_known=at, **kw),
              ACME, at)
    tender.do(c.DocketProtest("T-1", protest_id=pid), REVIEWER, at)
    return tender.state["stays"].get(f"stay-{pid}", {})


def refused(tender: Tender, cmd: c.Command, actor: Actor, now: datetime, code: str) -> str:
    with pytest.raises(Refused) as ei:
        decide(tender.state, cmd, actor, now)
    assert ei.value.code == code, ei.value.reason
    return ei.value.reason


# --- the windows ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("notice", "stayed"), [
    (et(2030, 6, 13, 23, 59, 59), True),  # the end of day 10, Eastern
    (et(2030, 6, 14, 0, 0, 0), False),  # day 11
], ids=["day-10", "day-11"])
def test_post_award_notice_within_10_days_suspends_performance_not_signature(notice, stayed):
    tender = awarded()
    st = noticed(tender, notice)
    assert bool(st) is stayed
    assert [e.type for e in decide(tender.state, SIGN, BUYER, notice)] == [EventType.CONTRACT_SIGNED]
    tender.do(SIGN, BUYER, notice)
    if stayed:
        assert (st["kind"], st["blocks"]) == ("CICA stay", ["performance"]) and "3553(d)" in st["basis"]
        assert "no start of performance" in refused(tender, PERFORM, BUYER, notice, "stayed")
    else:
        assert decide(tender.state, PERFORM, BUYER, notice)[0].type == EventType.PERFORMANCE_STARTED


def test_the_window_rolls_past_a_weekend():
    tender = awarded(et(2030, 6, 5))  # day 10 is Saturday 15 June: the window runs to Monday 17
    assert noticed(tender, et(2030, 6, 17, 23))


@pytest.mark.parametrize(("required", "stayed"), [(True, True), (False, False)], ids=["required", "voluntary"])
def test_only_a_required_debriefing_opens_5_more_days(required, stayed):
    tender = awarded()
    tender.do(c.RequestDebriefing("T-1"), ACME, et(2030, 6, 4) if required else et(2030, 6, 7, 9))
    tender.do(c.GiveDebriefing("T-1", bidder_id="acme", document_sha256="d" * 64), BUYER, et(2030, 6, 12))
    assert bool(noticed(tender, et(2030, 6, 17, 23))) is stayed  # after day 10, within 5 days of the debriefing


def test_before_award_the_stay_blocks_the_award():
    tender, now = rated()
    st = noticed(tender, now)
    assert st["blocks"] == ["award"] and "3553(c)" in st["basis"]
    award = c.DecideAward("T-1", bid_id="b2", value=USD, rationale="Best value.")
    assert "no award while CICA stay" in refused(tender, award, SSA, now + timedelta(days=30), "stayed")


# --- overrides ----------------------------------------------------------------------------------------

def pre_award_stay() -> tuple[Tender, datetime]:
    tender, now = rated()
    noticed(tender, now)
    return tender, now


@pytest.mark.parametrize(("ground", "within_30", "fragment"), [
    ("best-interests", True, "3553(c)(2)(A)"),
    ("urgent-compelling", False, "3553(c)(2)(B)"),
])
def test_a_pre_award_override_needs_urgency_and_award_within_30_days(ground, within_30, fragment):
    tender, now = pre_award_stay()
    cmd = c.OverrideStay("T-1", stay_id="stay-p1", ground=ground, finding="Mission need.",
                         award_likely_within_30_days=within_30)
    (env,) = tender.do(cmd, HCA, now)
    assert (env["type"], env["payload"]["code"]) == (EventType.COMMAND_REFUSED, "override-ground")
    assert fragment in env["payload"]["reason"] and tender.state["stays"]["stay-p1"]["status"] == "in-force"


def test_a_pre_award_override_is_notified_to_gao():
    tender, now = pre_award_stay()
    cmd = c.OverrideStay("T-1", stay_id="stay-p1", ground="urgent-compelling", finding="Mission need.",
                         award_likely_within_30_days=True)
    (event,) = decide(tender.state, cmd, HCA, now)
    assert event.payload | {"finding": None} == {
        "stay": "stay-p1", "ground": "urgent-compelling", "finding": None, "basis": "31 U.S.C. 3553(c)(2)",
        "award_likely_within_30_days": True, "notified": "the Comptroller General (GAO)",
        "notice_basis": "31 U.S.C. 3553(c)(3)"}


@pytest.mark.parametrize(("ground", "basis"), [("best-interests", "3553(d)(3)(C)(i)(I)"),
                                               ("urgent-compelling", "3553(d)(3)(C)(i)(II)")])
def test_a_post_award_override_on_either_ground_is_notified_to_gao(ground, basis):
    tender = awarded()
    noticed(tender, et(2030, 6, 4))
    tender.do(c.OverrideStay("T-1", stay_id="stay-p1", ground=ground, finding="Mission need."), HCA, et(2030, 6, 5))
    override = tender.state["stays"]["stay-p1"]["override"]
    assert override["basis"].endswith(basis) and override["notice_basis"] == "31 U.S.C. 3553(d)(3)(C)(ii)"
    assert override["notified"] == "the Comptroller General (GAO)"


# --- how a decision ends the stays --------------------------------------------------------------------

@pytest.mark.parametrize("outcome", ["denied", "sustained", "dismissed"])
def test_a_gao_decision_ends_the_cica_stay_whatever_it_is(outcome):
    tender = awarded()
    noticed(tender, et(2030, 6, 4))
    tender.do(c.DecideProtest("T-1", protest_id="p1", outcome=outcome, reasoning="Decided.",
                              recommended_action="Re-evaluate."), REVIEWER, et(2030, 8, 1))
    assert tender.state["stays"]["stay-p1"]["status"] == "lifted"  # a GAO recommendation binds no one


def enjoined() -> Tender:
    """Awarded (to beta), the contract signed, acme's court protest with a preliminary injunction."""
    tender = awarded()
    tender.do(SIGN, BUYER, et(2030, 6, 3, 13))
    noticed(tender, et(2030, 6, 20), "cofc-1", "cofc")
    tender.do(c.CourtOrder("T-1", protest_id="cofc-1", order="preliminary_injunction", text="Enjoined."), REVIEWER,
              et(2030, 7, 1))
    return tender


def test_a_court_win_for_the_protester_ends_in_a_permanent_injunction_not_a_lift():
    tender = enjoined()
    tender.do(c.DecideProtest("T-1", protest_id="cofc-1", outcome="sustained", reasoning="Arbitrary.",
                              recommended_action="Award set aside; re-evaluate"), REVIEWER, et(2030, 9, 1))
    stays = tender.state["stays"]
    kinds = {st["kind"]: st["status"] for st in stays.values()}
    assert kinds == {"preliminary injunction": "lifted", "permanent injunction": "in-force"}
    (perm,) = [st for st in stays.values() if st["kind"] == "permanent injunction"]
    assert perm["award"] == tender.state["awards"][-1]["id"] and "1491(b)(2)" in perm["basis"]
    assert tender.state["protests"]["cofc-1"]["set_aside"] == perm["award"]
    assert "permanent injunction" in refused(tender, PERFORM, BUYER, et(2031, 1, 1), "stayed")


def test_the_permanent_injunction_does_not_bind_a_new_award_after_corrective_action():
    tender = awarded()
    noticed(tender, et(2030, 6, 20), "cofc-1", "cofc")
    tender.do(c.DecideProtest("T-1", protest_id="cofc-1", outcome="sustained", reasoning="Arbitrary.",
                              recommended_action="Award set aside"), REVIEWER, et(2030, 9, 1))
    assert "no contract signature" in refused(tender, SIGN, BUYER, et(2030, 9, 2), "stayed")
    award_seq = next(e["seq"] for e in tender.envelopes if e["type"] == EventType.AWARD_DECIDED)
    tender.do(c.TakeCorrectiveAction("T-1", kind="reevaluate", rationale="The judgment.", revisits=[award_seq],
                                     protest_id="cofc-1"), BUYER, et(2030, 9, 3))
    tender.do(c.DecideAward("T-1", bid_id="b3", value=USD, rationale="Re-evaluated.",
                            departure_reason="Re-evaluated on the court's judgment."), SSA, et(2030, 10, 1))
    assert decide(tender.state, SIGN, BUYER, et(2030, 10, 1))[0].type == EventType.CONTRACT_SIGNED


def test_a_pre_award_court_win_blocks_the_award_until_corrective_action():
    tender, now = rated()
    tender.do(c.FileProtest("T-1", protest_id="cofc-1", forum="cofc", grounds="Unlawful terms."), ACME, now)
    tender.do(c.DecideProtest("T-1", protest_id="cofc-1", outcome="sustained", reasoning="Unlawful.",
                              recommended_action="Amend the solicitation"), REVIEWER, now)
    award = c.DecideAward("T-1", bid_id="b2", value=USD, rationale="Best value.")
    refused(tender, award, SSA, now + timedelta(days=60), "stayed")
    tender.do(c.TakeCorrectiveAction("T-1", kind="amend-solicitation", rationale="The judgment.",
                                     protest_id="cofc-1"), BUYER, now + timedelta(days=61))
    assert tender.state["stays"]["permanent-injunction-cofc-1"]["status"] == "lifted"
    assert decide(tender.state, award, SSA, now + timedelta(days=62))[0].type == EventType.AWARD_DECIDED


@pytest.mark.parametrize("outcome", ["denied", "dismissed"])
def test_a_court_loss_for_the_protester_dissolves_its_injunction(outcome):
    tender = enjoined()
    tender.do(c.DecideProtest("T-1", protest_id="cofc-1", outcome=outcome, reasoning="Reasonable."), REVIEWER,
              et(2030, 9, 1))
    assert {st["status"] for st in tender.state["stays"].values()} == {"lifted"}
    assert decide(tender.state, PERFORM, BUYER, et(2030, 9, 1))[0].type == EventType.PERFORMANCE_STARTED


def test_the_court_may_dissolve_its_permanent_injunction():
    tender = enjoined()
    tender.do(c.DecideProtest("T-1", protest_id="cofc-1", outcome="sustained", reasoning="Arbitrary.",
                              recommended_action="Award set aside"), REVIEWER, et(2030, 9, 1))
    refused(tender, PERFORM, BUYER, et(2030, 9, 2), "stayed")
    tender.do(c.CourtOrder("T-1", protest_id="cofc-1", order="dissolve_injunction", text="Dissolved on appeal."),
              REVIEWER, et(2031, 2, 1))
    assert tender.state["stays"]["permanent-injunction-cofc-1"]["status"] == "lifted"
    assert decide(tender.state, PERFORM, BUYER, et(2031, 2, 2))[0].type == EventType.PERFORMANCE_STARTED
