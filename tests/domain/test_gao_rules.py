"""GAO's timeliness rules at their edges, `decide` driven directly with an injected clock.

4 CFR 21.0(d): days are calendar days; a period whose last day is a Saturday, Sunday or Federal
holiday runs to the next day that is none. 21.0(g): a document is filed when GAO receives it by
5:30 p.m. Eastern time. 21.2(a)(2): 10 days after the basis is known, or after a requested and
required debriefing (never before it). 21.2(a)(3): 10 days after the initial adverse agency action on
a timely agency-level protest. 21.10(d): the express option's 20 / 5 / 65 days. 31 U.S.C. 3551(2),
21.0(a)(1): only an interested party protests. The expected times are written out here by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from tenderproof.domain import Actor, Refused, decide
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.model import iso

from .lifecycle import BUYER, REVIEWER, Tender, snapshot, to_stage

ET = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
ACME, BETA, GAMMA = Actor("acme", "bidder"), Actor("beta", "bidder"), Actor("gamma", "bidder")


def et(y: int, m: int, d: int, h: int = 17, mi: int = 30) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=ET)


def published() -> Tender:
    tender = Tender()
    to_stage(tender, 1)
    return tender


def awarded(at: datetime) -> Tender:
    """Awarded to beta at `at`; acme bid too, gamma did not."""
    tender = Tender()
    to_stage(tender, 4, award_at=at)
    return tender


def protest(pid: str = "p1", forum: str = "gao", **kw) -> c.FileProtest:
    return c.FileProtest("T-1", protest_id=pid, forum=forum, grounds="Unequal treatment.", **kw)


def filed(tender: Tender, cmd: c.FileProtest, by: Actor, now: datetime) -> dict:
    (event,) = decide(tender.state, cmd, by, now)
    assert event.type == EventType.PROTEST_FILED
    return event.payload


def test_the_calendar_premises():
    us = holidays.country_holidays("US", years=2030)
    assert date(2030, 7, 4) in us and date(2030, 11, 28) in us and date(2030, 6, 13) not in us
    assert date(2030, 6, 15).weekday() == 5 and date(2030, 11, 22).weekday() == 4
    assert et(2030, 11, 22).utcoffset() == timedelta(hours=-5) and et(2030, 6, 13).utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize(("basis", "due_utc"), [
    (datetime(2030, 11, 12, 15, tzinfo=UTC), datetime(2030, 11, 22, 22, 30, tzinfo=UTC)),  # winter: EST
    (datetime(2030, 6, 3, 15, tzinfo=UTC), datetime(2030, 6, 13, 21, 30, tzinfo=UTC)),  # summer: EDT
], ids=["winter", "summer"])
@pytest.mark.parametrize(("offset", "timely"), [(-MINUTE, True), (timedelta(0), True), (MINUTE, False)],
                         ids=["5:29pm", "5:30pm", "5:31pm"])
def test_filed_by_5_30_pm_eastern_on_day_10(basis, due_utc, offset, timely):
    p = filed(published(), protest(basis_known=basis), ACME, due_utc + offset)
    assert (p["timely"], p["due"]) == (timely, iso(due_utc))
    assert "4 CFR 21.2(a)(2)" in p["timeliness_rule"]


def test_day_11_is_late_even_in_the_morning():
    basis = datetime(2030, 6, 3, 15, tzinfo=UTC)
    assert filed(published(), protest(basis_known=basis), ACME, et(2030, 6, 13, 9, 0))["timely"] is True
    assert filed(published(), protest(basis_known=basis), ACME, et(2030, 6, 14, 9, 0))["timely"] is False


def test_days_are_counted_on_eastern_dates_not_utc():
    # 02:00Z on 4 June is still 3 June in Washington: day 10 is 13 June, not 14.
    p = filed(published(), protest(basis_known=datetime(2030, 6, 4, 2, tzinfo=UTC)), ACME, et(2030, 6, 5))
    assert p["due"] == iso(et(2030, 6, 13))


@pytest.mark.parametrize(("basis_day", "due"), [
    (date(2030, 6, 5), et(2030, 6, 17)),  # day 10 is Saturday 15 June: Monday
    (date(2030, 6, 24), et(2030, 7, 5)),  # day 10 is Thursday 4 July: Friday
    (date(2030, 11, 18), et(2030, 11, 29)),  # day 10 is Thanksgiving: Friday
    (date(2030, 10, 30), et(2030, 11, 12)),  # Saturday 9 November, then Veterans Day: Tuesday
], ids=["weekend", "july-4", "thanksgiving", "weekend+veterans-day"])
def test_the_last_day_rolls_past_weekends_and_federal_holidays(basis_day, due):
    p = filed(published(), protest(basis_known=et(basis_day.year, basis_day.month, basis_day.day, 10)), ACME,
              et(basis_day.year, basis_day.month, basis_day.day, 11))
    assert p["due"] == iso(due)


def test_without_a_basis_date_post_award_the_award_notice_dates_it():
    award = et(2030, 6, 3, 12)
    tender = awarded(award)
    p = filed(tender, protest(), ACME, award + timedelta(days=200))  # not timely forever
    assert (p["timely"], p["due"]) == (False, iso(et(2030, 6, 13)))
    assert "after the award notice" in p["timeliness_rule"]
    assert filed(tender, protest(), ACME, et(2030, 6, 13))["timely"] is True


def test_without_a_basis_date_pre_award_the_solicitation_or_its_amendment_dates_it():
    tender = published()
    published_at = tender.state["published"]
    p = filed(tender, protest(), ACME, et(2030, 6, 3))
    assert p["timely"] is False and "solicitation or its latest amendment" in p["timeliness_rule"]
    amended = datetime.fromisoformat(published_at) + timedelta(days=2)
    tender.do(c.AmendTender("T-1", rationale="Clarified.", changes={"title": "Cloud, clarified"}), BUYER, amended)
    p = filed(tender, protest(), ACME, amended + timedelta(days=1))
    assert p["due"] == iso(et(2030, 3, 18))  # 6 March + 10 is Saturday 16 March: Monday, 5:30 p.m. EDT


def test_a_basis_known_after_the_filing_is_refused_and_leaves_nothing():
    tender = published()
    now = et(2030, 6, 3)
    before, n = snapshot(tender.state), len(tender.envelopes)
    with pytest.raises(Refused) as ei:
        tender.do(protest(basis_known=now + timedelta(seconds=1)), ACME, now)
    assert (ei.value.code, ei.value.logged) == ("bad-basis-date", False)
    assert snapshot(tender.state) == before and len(tender.envelopes) == n


# --- debriefings (FAR 15.506(a)(1); 4 CFR 21.2(a)(2)) ------------------------------------------------

@pytest.mark.parametrize(("when", "required"), [(et(2030, 6, 6, 23, 59), True), (et(2030, 6, 7, 0, 1), False)],
                         ids=["day-3", "day-4"])
def test_a_debriefing_is_required_only_if_requested_within_3_days(when, required):
    tender = awarded(et(2030, 6, 3, 12))
    (event,) = decide(tender.state, c.RequestDebriefing("T-1"), ACME, when)
    assert (event.type, event.payload["required"]) == (EventType.DEBRIEFING_REQUESTED, required)
    assert "FAR 15.506(a)" in event.payload["rule"]


@pytest.mark.parametrize(("who", "code"), [(BETA, "not-unsuccessful"), (GAMMA, "not-unsuccessful"),
                                           (BUYER, "forbidden-role")])
def test_only_an_unsuccessful_offeror_requests_a_debriefing(who, code):
    tender = awarded(et(2030, 6, 3, 12))
    with pytest.raises(Refused) as ei:
        decide(tender.state, c.RequestDebriefing("T-1"), who, et(2030, 6, 4))
    assert ei.value.code == code


def debriefed(required: bool) -> Tender:
    """Awarded 3 June 2030; acme asks for a debriefing (on time or on day 4), given on 10 June."""
    tender = awarded(et(2030, 6, 3, 12))
    tender.do(c.RequestDebriefing("T-1"), ACME, et(2030, 6, 4) if required else et(2030, 6, 7, 9))
    tender.do(c.GiveDebriefing("T-1", bidder_id="acme", document_sha256="d" * 64), BUYER, et(2030, 6, 10, 11))
    return tender


def test_a_required_debriefing_extends_the_window_to_10_days_after_it():
    p = filed(debriefed(required=True), protest(), ACME, et(2030, 6, 20))
    assert (p["timely"], p["due"]) == (True, iso(et(2030, 6, 20)))
    assert "required debriefing" in p["timeliness_rule"] and "21.2(a)(2)" in p["timeliness_rule"]
    assert filed(debriefed(required=True), protest(), ACME, et(2030, 6, 20) + MINUTE)["timely"] is False


def test_a_voluntary_debriefing_extends_nothing():
    p = filed(debriefed(required=False), protest(), ACME, et(2030, 6, 14))
    assert (p["timely"], p["due"]) == (False, iso(et(2030, 6, 13)))


def test_a_protest_before_the_required_debriefing_is_premature_refused_and_logged():
    tender = awarded(et(2030, 6, 3, 12))
    tender.do(c.RequestDebriefing("T-1"), ACME, et(2030, 6, 4))
    (env,) = tender.do(protest(), ACME, et(2030, 6, 5))
    assert (env["type"], env["payload"]["code"]) == (EventType.COMMAND_REFUSED, "premature")
    assert "4 CFR 21.2(a)(2)" in env["payload"]["reason"] and tender.state["protests"] == {}


# --- 21.2(a)(3): after a timely agency-level protest --------------------------------------------------

@pytest.mark.parametrize(("agency_filed", "extended"), [(et(2030, 6, 5), True), (et(2030, 6, 20), False)],
                         ids=["timely-agency-protest", "untimely-agency-protest"])
def test_gao_within_10_days_of_the_initial_adverse_agency_action(agency_filed, extended):
    tender = awarded(et(2030, 6, 3, 12))
    tender.do(protest("ag-1", "agency"), ACME, agency_filed)
    assert tender.state["protests"]["ag-1"]["timely"] is extended
    tender.do(c.DecideProtest("T-1", protest_id="ag-1", outcome="denied", reasoning="No merit."), REVIEWER,
              et(2030, 7, 1, 10))
    p = filed(tender, protest(), ACME, et(2030, 7, 11))
    assert p["timely"] is extended
    if extended:
        assert p["due"] == iso(et(2030, 7, 11)) and "4 CFR 21.2(a)(3)" in p["timeliness_rule"]
        assert filed(tender, protest(), ACME, et(2030, 7, 11) + MINUTE)["timely"] is False


def test_an_agency_level_protest_keeps_the_far_counting():
    basis = datetime(2030, 6, 3, 15, tzinfo=UTC)
    p = filed(published(), protest(forum="agency", basis_known=basis), ACME, basis)
    assert p["due"] == "2030-06-13T23:59:59Z" and "FAR 33.103(e)" in p["timeliness_rule"]


# --- the docket (4 CFR 21.3, 21.10(d); 31 U.S.C. 3554) -------------------------------------------------

@pytest.mark.parametrize(("express", "report", "comments", "decision"), [
    (False, et(2030, 7, 5), et(2030, 7, 1), et(2030, 9, 11)),  # 30 days; 10 (Sunday 30 June rolls); 100
    (True, et(2030, 6, 25), et(2030, 6, 25), et(2030, 8, 7)),  # 20 days; 5; 65
], ids=["normal", "express"])
def test_report_comments_and_decision_dates(express, report, comments, decision):
    tender = published()
    filed_at, notice = et(2030, 6, 3, 10), et(2030, 6, 5, 10)
    tender.do(protest(express=express, basis_known=filed_at), ACME, filed_at)
    tender.do(c.DocketProtest("T-1", protest_id="p1"), REVIEWER, notice)
    p = tender.state["protests"]["p1"]
    assert (p["report_due"], p["decision_due"]) == (iso(report), iso(decision))
    tender.do(c.FileAgencyReport("T-1", protest_id="p1", summary="No merit."), BUYER, et(2030, 6, 20, 12))
    assert tender.state["protests"]["p1"]["comments_due"] == iso(comments)


# --- interested party (31 U.S.C. 3551(2); 4 CFR 21.0(a)(1)) ---------------------------------------------

@pytest.mark.parametrize(("who", "why"), [(BETA, "awardee"), (GAMMA, "did not submit an offer")])
@pytest.mark.parametrize("forum", ["gao", "agency", "cofc"])
def test_after_award_only_an_offeror_other_than_the_awardee_protests(who, why, forum):
    tender = awarded(et(2030, 6, 3, 12))
    (env,) = tender.do(protest(forum=forum), who, et(2030, 6, 4))
    assert (env["type"], env["payload"]["code"]) == (EventType.COMMAND_REFUSED, "not-interested-party")
    assert why in env["payload"]["reason"] and "3551(2)" in env["payload"]["reason"]
    assert tender.state["protests"] == {} and tender.state["stays"] == {}
    assert filed(tender, protest(forum=forum), ACME, et(2030, 6, 4))["protester"] == "acme"


def test_before_award_a_prospective_offeror_protests():
    assert filed(published(), protest(solicitation_terms=True), GAMMA, et(2030, 3, 5))["timely"] is True


def test_a_debriefing_request_needs_an_award_and_is_made_once():
    tender = published()
    [env] = tender.do(c.RequestDebriefing("T-1"), ACME, et(2030, 6, 4))  # refused, and the request kept
    assert (env["type"], env["payload"]["code"]) == (EventType.COMMAND_REFUSED, "wrong-status")
    assert "FAR 15.506(a)" in env["payload"]["reason"]
    tender = awarded(et(2030, 6, 3, 12))
    tender.do(c.RequestDebriefing("T-1"), ACME, et(2030, 6, 4))
    with pytest.raises(Refused) as ei:
        decide(tender.state, c.RequestDebriefing("T-1"), ACME, et(2030, 6, 5))
    assert ei.value.code == "exists"
