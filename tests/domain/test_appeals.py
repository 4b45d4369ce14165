"""After the decision, at the edges of each period: the notice of appeal (60 days), the petition for
certiorari (90 days, extensions, the 2020 order's 150), reconsideration (GAO 10 days by 5:30 p.m.
Eastern; the court 28 days), GAO hearings and the 60-day cost claim. Days are days in Washington;
weekends and federal holidays roll the last day forward."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.domain.calendar import eastern_deadline
from tenderproof.domain.courtdays import cert_days
from tenderproof.domain.events import EventType

from .lifecycle import BUYER, REVIEWER, Tender
from .test_litigation import ACME, BETA, case, refused

ET = ZoneInfo("America/New_York")


def et(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ET)


def decided(forum: str, when: datetime, outcome: str = "denied") -> Tender:
    t, _ = case(forum)
    t.do(c.Intervene(t.id, protest_id="p1"), BETA, when - timedelta(hours=1))
    t.do(c.DecideProtest(t.id, protest_id="p1", outcome=outcome, reasoning="Considered.",
                         recommended_action="Re-evaluate." if outcome == "sustained" else ""), REVIEWER, when)
    return t


def appeal(t: Tender, aid: str = "a1", court: str = "cafc", **kw) -> c.FileAppeal:
    return c.FileAppeal(t.id, protest_id="p1", appeal_id=aid, court=court, summary="Appeal.", **kw)


def late(t: Tender, cmd: c.Command, actor: Actor, now: datetime, code: str) -> str:
    [e] = t.do(cmd, actor, now)
    assert e["type"] == EventType.COMMAND_REFUSED and e["payload"]["code"] == code
    return str(e["payload"]["reason"])


# --- the Federal Circuit: 60 days ----------------------------------------------------------------

def test_notice_of_appeal_on_day_60_is_in_time_on_day_61_refused_and_logged_with_the_rule():
    judgment = et(2030, 3, 18, 11)  # day 60 is Friday 2030-05-17
    t = decided("cofc", judgment)
    reason = late(t, appeal(t), ACME, et(2030, 5, 18, 0, 1), "late-appeal")
    assert "28 U.S.C. 2107(b)" in reason and "4(a)(1)(B)" in reason
    [e] = t.do(appeal(t), ACME, et(2030, 5, 17, 23, 59))
    assert e["type"] == EventType.LITIGATION_APPEAL_FILED and e["payload"]["party"] == "protester"


def test_a_last_day_on_a_weekend_and_memorial_day_rolls_to_tuesday():
    t = decided("cofc", et(2030, 3, 26, 11))  # day 60: Saturday 2030-05-25; Monday the 27th is Memorial Day
    assert late(t, appeal(t), ACME, et(2030, 5, 29, 0, 1), "late-appeal")
    t.do(appeal(t), BUYER, et(2030, 5, 28, 23, 0))  # the agency may appeal too


def test_the_judgments_day_is_the_day_in_washington():
    # 22:00 Eastern on 2030-03-18 is already the 19th in UTC: day 60 is still Friday 2030-05-17.
    t = decided("cofc", et(2030, 3, 18, 22))
    assert late(t, appeal(t), ACME, et(2030, 5, 18, 0, 1), "late-appeal")


def test_no_appeal_without_a_judgment_of_the_court():
    t, now = case("cofc")
    assert refused(t, appeal(t), ACME, now).code == "no-judgment"
    g = decided("gao", et(2030, 3, 18))
    assert refused(g, appeal(g), ACME, et(2030, 3, 19)).code == "wrong-forum"
    w, now = case("cofc")
    w.do(c.DecideProtest(w.id, protest_id="p1", outcome="withdrawn", reasoning="Withdrawn."), ACME, now)
    assert refused(w, appeal(w), ACME, now + timedelta(days=1)).code == "no-judgment"  # no judgment entered
    stranger = Actor("gamma", "bidder")
    t2 = decided("cofc", et(2030, 3, 18))
    assert refused(t2, appeal(t2), stranger, et(2030, 3, 19)).code == "not-a-party"


def test_the_courts_decisions_are_its_own():
    t = decided("cofc", et(2030, 3, 18))
    t.do(appeal(t), ACME, et(2030, 4, 1))
    bad = c.DecideAppeal(t.id, protest_id="p1", appeal_id="a1", outcome="denied", text="Denied.")
    assert refused(t, bad, REVIEWER, et(2030, 9, 1)).code == "bad-outcome"  # certiorari's word
    ok = c.DecideAppeal(t.id, protest_id="p1", appeal_id="a1", outcome="affirmed", text="Affirmed.")
    assert refused(t, ok, BUYER, et(2030, 9, 1)).code == "forbidden-role"
    t.do(ok, REVIEWER, et(2030, 9, 1))
    assert t.state["litigation"]["p1"]["appeals"][0]["outcome"] == "affirmed"
    assert refused(t, ok, REVIEWER, et(2030, 9, 2)).code == "wrong-status"


# --- certiorari: 90 days, extended by at most 60 ------------------------------------------------

def affirmed(on: datetime) -> Tender:
    t = decided("cofc", et(2029, 12, 3))
    t.do(appeal(t), ACME, et(2030, 1, 10))
    t.do(c.DecideAppeal(t.id, protest_id="p1", appeal_id="a1", outcome="affirmed", text="Affirmed."), REVIEWER, on)
    return t


def test_a_petition_for_certiorari_is_due_90_days_after_the_judgment_rolled():
    t = affirmed(et(2030, 3, 18, 11))  # day 90 is Sunday 2030-06-16: due Monday the 17th
    reason = late(t, appeal(t, "cert", "scotus"), ACME, et(2030, 6, 18, 0, 1), "late-appeal")
    assert "28 U.S.C. 2101(c)" in reason
    t.do(appeal(t, "cert", "scotus"), ACME, et(2030, 6, 17, 23, 0))
    t.do(c.DecideAppeal(t.id, protest_id="p1", appeal_id="cert", outcome="denied", text="Certiorari denied."),
         REVIEWER, et(2030, 10, 7))
    assert [a["outcome"] for a in t.state["litigation"]["p1"]["appeals"]] == ["affirmed", "denied"]


def test_an_extension_by_a_justice_is_at_most_60_days():
    t = affirmed(et(2030, 3, 18, 11))
    too_far = appeal(t, "cert", "scotus", extended_to=et(2030, 8, 17, 12))  # 60 days past June 17 is Aug 16
    assert refused(t, too_far, ACME, et(2030, 8, 1)).code == "bad-extension"
    extended = appeal(t, "cert", "scotus", extended_to=et(2030, 8, 16, 23, 59))
    t.do(extended, ACME, et(2030, 8, 16, 20))
    assert "Sup. Ct. R. 13.5" in t.state["litigation"]["p1"]["appeals"][-1]["rule"]


def test_certiorari_needs_the_court_of_appeals_decision():
    t = decided("cofc", et(2030, 3, 18))
    assert refused(t, appeal(t, "cert", "scotus"), ACME, et(2030, 3, 20)).code == "no-judgment"


def test_the_2020_order_gave_150_days_to_judgments_before_july_19_2021():
    assert cert_days(et(2020, 9, 2))[0] == 150  # Oracle's affirmance
    assert eastern_deadline(et(2020, 9, 2), 150) == et(2021, 2, 1, 23, 59).replace(second=59).astimezone(UTC)  # Sat -> Mon
    assert cert_days(et(2021, 7, 19))[0] == 90
    assert cert_days(et(2019, 12, 1))[0] == 90  # its 90 days ran out before the order


# --- reconsideration ----------------------------------------------------------------------------

def reconsider(t: Tender, mid: str = "r1", **kw) -> c.FileMotion:
    return c.FileMotion(t.id, protest_id="p1", motion_id=mid, relief=["reconsideration"], summary="Error of law.", **kw)


def test_gao_reconsideration_within_10_days_by_5_30_pm_eastern():
    t = decided("gao", et(2030, 3, 18, 11))  # day 10: Thursday 2030-03-28
    assert late(t, reconsider(t), ACME, et(2030, 3, 28, 17, 31), "late-reconsideration")
    [e] = t.do(reconsider(t, "r2"), BUYER, et(2030, 3, 28, 17, 29))
    assert e["type"] == EventType.LITIGATION_MOTION_FILED


def test_gao_reconsideration_day_on_a_saturday_rolls_to_monday():
    t = decided("gao", et(2030, 3, 20, 11))  # day 10: Saturday 2030-03-30
    t.do(reconsider(t), ACME, et(2030, 4, 1, 17, 0))
    assert t.state["litigation"]["p1"]["motions"][0]["status"] == "pending"


def test_a_basis_known_before_the_decision_starts_the_10_days_earlier_never_later():
    t = decided("gao", et(2030, 3, 18, 11))
    early = reconsider(t, basis_known=et(2030, 3, 15))  # day 10: Monday 2030-03-25
    assert late(t, early, ACME, et(2030, 3, 26, 9), "late-reconsideration")
    later = reconsider(t, "r2", basis_known=et(2030, 4, 20))  # cannot postpone past the decision's 10 days
    assert late(t, later, ACME, et(2030, 3, 29, 9), "late-reconsideration")


def test_the_courts_reconsideration_within_28_days():
    t = decided("cofc", et(2030, 3, 18, 11))  # day 28: Monday 2030-04-15
    reason = late(t, reconsider(t), ACME, et(2030, 4, 16, 0, 1), "late-reconsideration")
    assert "RCFC 59(b)(1)" in reason
    t.do(reconsider(t, "r2"), ACME, et(2030, 4, 15, 23, 0))


def test_no_reconsideration_before_the_decision():
    t, now = case("gao")
    assert refused(t, reconsider(t), ACME, now).code == "wrong-status"


# --- GAO hearings and costs ---------------------------------------------------------------------

def test_a_gao_hearing_sets_comments_5_days_after_it():
    t, now = case("gao")
    when = et(2030, 3, 21, 10)  # +5: Tuesday 2030-03-26
    [e] = t.do(c.ScheduleHearing(t.id, protest_id="p1", hearing_id="h1", when=when, purpose="Witnesses."),
               REVIEWER, now)
    assert e["payload"]["comments_due"] == "2030-03-26T21:30:00Z"  # 5:30 p.m. EDT
    court, later = case("cofc")
    hearing = c.ScheduleHearing(court.id, protest_id="p1", hearing_id="h1", when=when, purpose="x")
    assert refused(court, hearing, REVIEWER, later).code == "wrong-forum"


def test_costs_follow_a_sustained_protest_and_the_claim_is_due_in_60_days():
    denied = decided("gao", et(2030, 3, 18))
    assert refused(denied, c.RecommendCosts(denied.id, protest_id="p1", text="Costs."), REVIEWER,
                   et(2030, 3, 18)).code == "no-basis"
    t = decided("gao", et(2030, 3, 18, 11), outcome="sustained")
    t.do(c.RecommendCosts(t.id, protest_id="p1", text="Reimburse the costs of filing and pursuing the protest."),
         REVIEWER, et(2030, 3, 18, 11))  # day 60: Friday 2030-05-17
    claim = c.FileCostClaim(t.id, protest_id="p1", amount={"amount": "125000.00", "currency": "USD"},
                            summary="Attorneys' fees, certified.")
    assert refused(t, claim, BETA, et(2030, 4, 1)).code == "forbidden-role"  # only the protester
    reason = late(t, claim, ACME, et(2030, 5, 18, 0, 1), "late-cost-claim")
    assert "4 CFR 21.8(f)(1)" in reason and "forfeits" in reason
    t.do(claim, ACME, et(2030, 5, 17, 23, 0))
    assert t.state["litigation"]["p1"]["costs"]["amount"] == {"amount": "125000.00", "currency": "USD"}


def test_costs_after_corrective_action_on_the_protest():
    t, now = case("gao")
    t.do(c.TakeCorrectiveAction(t.id, kind="reevaluate", rationale="Fix it.", protest_id="p1"), BUYER, now)
    t.do(c.RecommendCosts(t.id, protest_id="p1", text="Undue delay: 21.8(e)."), REVIEWER, now)
    assert refused(t, c.RecommendCosts(t.id, protest_id="p1", text="Again."), REVIEWER, now).code == "exists"


def test_an_appeal_is_filed_once():
    t = decided("cofc", et(2030, 3, 18))
    t.do(appeal(t), ACME, et(2030, 3, 20))
    assert refused(t, appeal(t), ACME, et(2030, 3, 21)).code == "exists"


def test_a_hearing_is_set_once_for_a_time_to_come_in_a_pending_protest():
    t, now = case("gao")
    hearing = c.ScheduleHearing(t.id, protest_id="p1", hearing_id="h1", when=now + timedelta(days=3), purpose="x")
    assert refused(t, dataclasses.replace(hearing, when=now - timedelta(minutes=1)), REVIEWER, now).code == \
        "bad-period"
    t.do(hearing, REVIEWER, now)
    assert refused(t, hearing, REVIEWER, now).code == "exists"
    t.do(c.DecideProtest(t.id, protest_id="p1", outcome="denied", reasoning="Considered."), REVIEWER, now)
    later = dataclasses.replace(hearing, hearing_id="h2")
    assert refused(t, later, REVIEWER, now).code == "case-closed"


def test_costs_are_gaos_and_claimed_once_after_a_recommendation():
    court = decided("cofc", et(2030, 3, 18), outcome="sustained")
    assert refused(court, c.RecommendCosts(court.id, protest_id="p1", text="Costs."), REVIEWER,
                   et(2030, 3, 19)).code == "wrong-forum"
    t = decided("gao", et(2030, 3, 18, 11), outcome="sustained")
    claim = c.FileCostClaim(t.id, protest_id="p1", amount={"amount": "1000.00", "currency": "USD"}, summary="Fees.")
    assert refused(t, claim, ACME, et(2030, 3, 19)).code == "wrong-status"  # no recommendation yet
    t.do(c.RecommendCosts(t.id, protest_id="p1", text="Costs."), REVIEWER, et(2030, 3, 18, 12))
    t.do(claim, ACME, et(2030, 3, 20))
    assert refused(t, claim, ACME, et(2030, 3, 21)).code == "exists"


@pytest.mark.parametrize("days", [0, 1, 59, 60])
def test_eastern_deadline_is_the_end_of_a_day_in_washington(days):
    start = et(2030, 3, 18, 23, 30)
    end = eastern_deadline(start, days)
    local = end.astimezone(ET)
    assert (local.hour, local.minute, local.second) == (23, 59, 59)
    assert local.date() >= (start + timedelta(days=days)).date()
