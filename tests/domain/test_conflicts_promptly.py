"""FAR 3.104-3(c)(1): an employment contact is reported promptly (5 CFR 2635.607(a): within three
business days). A later report, or one after the official acted on the tender since the contact, is
accepted but logged late with those acts named; an outside contact recorded after a decision it
preceded is flagged likewise (DESIGN.md §5). Edges: day 3 vs day 4, a weekend, a holiday."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tenderproof.domain import Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType

from .lifecycle import BUYER, EVALUATORS, SSA, Tender, to_stage

EV1 = EVALUATORS[0]
EST = timezone(timedelta(hours=-5))
EDT = timezone(timedelta(hours=-4))


def report(t: Tender, contact: datetime, now: datetime) -> dict:
    [env] = t.do(c.ReportEmploymentContact(t.id, bidder_id="acme", contact_date=contact, response="rejected"), EV1,
                 now)
    assert env["type"] == EventType.INTEGRITY_EMPLOYMENT_CONTACT
    return env["payload"]


def published() -> Tender:
    t = Tender()
    to_stage(t, 1)
    return t


@pytest.mark.parametrize(("contact", "in_time", "late"), [
    # Monday: Tuesday, Wednesday, Thursday; Friday is late.
    (datetime(2030, 3, 4, 10, tzinfo=EST), datetime(2030, 3, 7, 23, 59, tzinfo=EST), datetime(2030, 3, 8, 0, 1, tzinfo=EST)),
    # Thursday: Friday, Monday, Tuesday (the weekend does not count).
    (datetime(2030, 3, 7, 16, tzinfo=EST), datetime(2030, 3, 12, 17, tzinfo=EST), datetime(2030, 3, 13, 9, tzinfo=EST)),
    # Friday before Memorial Day (2030-05-27): Tuesday, Wednesday, Thursday.
    (datetime(2030, 5, 24, 9, tzinfo=EDT), datetime(2030, 5, 30, 23, 0, tzinfo=EDT), datetime(2030, 5, 31, 8, tzinfo=EDT)),
])
def test_three_business_days_in_the_contacts_own_time_zone(contact, in_time, late):
    t = published()
    on_time = report(t, contact, in_time)
    assert on_time["late"] is False and on_time["acts_since_contact"] == []
    assert "FAR 3.104-3(c)(1)" in on_time["rule"] and "5 CFR 2635.607(a)" in on_time["rule"]
    after = report(t, contact, late)
    assert after["late"] is True and after["report_due"] == on_time["report_due"]
    assert len(t.state["employment_contacts"]) == 2  # accepted, both on the record


def test_acting_on_the_tender_after_the_contact_makes_even_a_prompt_report_late_and_flags_the_acts():
    t = Tender()
    now = to_stage(t, 3)
    contact = now
    now += timedelta(hours=2)
    [rated] = t.do(c.RateProposal(t.id, bid_id="b2", factor_id="technical", rating="Good"), EV1, now)
    [other] = t.do(c.RateProposal(t.id, bid_id="b2", factor_id="technical", rating="Good"), EVALUATORS[1], now)
    p = report(t, contact, now + timedelta(hours=1))
    assert p["late"] is True and p["acts_since_contact"] == [rated["seq"]]  # only the reporting official's acts
    assert other["seq"] not in p["acts_since_contact"]
    # An act before the contact is not flagged.
    later = report(t, now + timedelta(minutes=30), now + timedelta(hours=1))
    assert later["late"] is False and later["acts_since_contact"] == []


def test_a_contact_in_the_future_is_refused():
    t = published()
    now = datetime(2030, 3, 4, 12, tzinfo=EST)
    with pytest.raises(Refused) as r:
        report(t, now + timedelta(minutes=1), now)
    assert r.value.code == "bad-period"


def test_an_outside_contact_recorded_after_a_decision_it_preceded_is_flagged():
    t = Tender()
    now = to_stage(t, 4)  # the award decided at `now`
    [award] = [e for e in t.envelopes if e["type"] == EventType.AWARD_DECIDED]

    def contact(when: datetime) -> dict:
        [env] = t.do(c.RecordContact(t.id, official=SSA.id, party="A senator's office", when=when, channel="phone",
                                     summary="Asked about the award."), BUYER, now + timedelta(hours=1))
        return env["payload"]

    before = contact(now - timedelta(hours=1))
    assert before["late"] is True and award["seq"] in before["decisions_preceded"]
    after = contact(now + timedelta(minutes=30))
    assert after == after | {"late": False, "decisions_preceded": []}
