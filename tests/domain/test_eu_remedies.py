"""The EU remedies (Directive 89/665/EEC as amended by 2007/66/EC) at their edges, `decide` driven
directly with an injected clock.

Art. 2a(2): no conclusion of the contract for 10 days after an award decision sent electronically,
15 days by other means. Art. 2b: no standstill on a recorded ground. Art. 2c: 10 or 15 days to apply
for review. Art. 2(3): an application suspends the conclusion of the contract, never a concluded
contract's performance. Days roll past the holidays of the buyer's member state: German Unity Day
(3 October) rolls a German tender's period, not a Belgian one's.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import holidays
import pytest

from tenderproof.domain import Actor, Refused, decide
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.model import iso

from .lifecycle import BUYER, REVIEWER, Tender, create_cmd, to_stage

AWARD = datetime(2030, 9, 23, 10, tzinfo=UTC)  # a Monday; day 10 is Thursday 3 October
SECOND = timedelta(seconds=1)
ACME, BETA = Actor("acme", "bidder"), Actor("beta", "bidder")
EUR = {"amount": "900", "currency": "EUR"}
SIGN = c.SignContract("T-1", contract_id="k-1", value=EUR)


def eu_create(country: str | None = "DE") -> c.CreateTender:
    buyer = {"id": "bund-1", "name": "Beschaffungsamt"} | ({"country": country} if country else {})
    return dataclasses.replace(create_cmd(), ruleset="eu", buyer=buyer)


def rated(create: c.CreateTender) -> Tender:
    """Opened and rated, ready for an award."""
    tender = Tender()
    now = to_stage(tender, 3, create=create)
    for ev in ("ev-1", "ev-2"):
        for bid_id, price in (("b2", "900"), ("b3", "950")):
            tender.do(c.RateProposal("T-1", bid_id=bid_id, factor_id="technical", rating="Good"),
                      Actor(ev, "evaluator"), now)
            tender.do(c.RateProposal("T-1", bid_id=bid_id, factor_id="price", rating=price), Actor(ev, "evaluator"),
                      now)
    return tender


def awarded(country: str = "DE", **award) -> Tender:
    """An EU tender of `country`'s buyer, awarded to beta's b2 at AWARD with `award`'s options."""
    tender = rated(eu_create(country))
    tender.do(c.DecideAward("T-1", bid_id="b2", value=EUR, rationale="Best value.", **award), Actor("ssa-1", "ssa"),
              AWARD)
    assert tender.state["awards"], "awarded"
    return tender


def end_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=UTC)


def test_the_calendar_premises():
    assert date(2030, 10, 3) in holidays.country_holidays("DE", years=2030)
    assert date(2030, 10, 3) not in holidays.country_holidays("BE", years=2030)
    assert AWARD.date().weekday() == 0


@pytest.mark.parametrize(("country", "code"), [(None, "buyer-country"), ("XX", "buyer-country")])
def test_an_eu_tender_needs_its_buyers_member_state(country, code):
    with pytest.raises(Refused) as ei:
        decide(None, eu_create(country), BUYER, datetime(2030, 3, 4, 9, tzinfo=UTC))
    assert ei.value.code == code and "ISO 3166-1" in ei.value.reason
    with pytest.raises(c.InvalidCommand, match="ISO 3166-1"):
        eu_create("de")


@pytest.mark.parametrize(("country", "means", "end"), [
    ("DE", "electronic", end_of(date(2030, 10, 4))),  # day 10 is German Unity Day: Friday
    ("BE", "electronic", end_of(date(2030, 10, 3))),  # not a Belgian holiday
    ("DE", "other", end_of(date(2030, 10, 8))),  # 15 days
], ids=["de-electronic", "be-electronic", "de-other-means"])
def test_the_standstill_is_10_or_15_days_on_the_member_states_calendar(country, means, end):
    tender = awarded(country, notice_means=means)
    award = tender.state["awards"][-1]
    assert award["standstill_end"] == iso(end) and "art. 2a(2)" in award["standstill_basis"]
    assert ("15-day" if means == "other" else "10-day") in award["standstill_basis"]
    with pytest.raises(Refused) as ei:
        decide(tender.state, SIGN, BUYER, end - SECOND)
    assert (ei.value.code, ei.value.logged) == ("standstill", True) and iso(end) in ei.value.reason
    assert decide(tender.state, SIGN, BUYER, end)[0].type == EventType.CONTRACT_SIGNED


def test_an_art_2b_exception_is_recorded_and_has_no_standstill():
    tender = awarded(standstill_exception="framework-call-off")
    award = tender.state["awards"][-1]
    assert award["standstill_end"] is None and "art. 2b(c)" in award["standstill_basis"]
    assert decide(tender.state, SIGN, BUYER, AWARD)[0].type == EventType.CONTRACT_SIGNED


@pytest.mark.parametrize(("ruleset", "exception", "fragment"), [
    ("eu", "sole-tenderer", "2 tenderers are concerned"),
    ("eu", "convenience", "not an art. 2b ground"),
    ("us-far", "framework-call-off", "us-far has no standstill"),
])
def test_an_art_2b_exception_is_refused_where_it_does_not_apply(ruleset, exception, fragment):
    tender = rated(eu_create() if ruleset == "eu" else create_cmd())
    award = c.DecideAward("T-1", bid_id="b2", value=EUR, rationale="Best value.", standstill_exception=exception)
    with pytest.raises(Refused, match=fragment):
        decide(tender.state, award, Actor("ssa-1", "ssa"), AWARD)


def review(tender: Tender, at: datetime, by: Actor = ACME) -> list[dict]:
    return tender.do(c.FileProtest("T-1", protest_id="r1", forum="eu-review", grounds="Unequal treatment."), by, at)


@pytest.mark.parametrize(("means", "due"), [("electronic", end_of(date(2030, 10, 4))),
                                            ("other", end_of(date(2030, 10, 8)))])
def test_review_is_due_within_10_or_15_days_art_2c(means, due):
    tender = awarded(notice_means=means)
    review(tender, due)
    p = tender.state["protests"]["r1"]
    assert (p["timely"], p["due"]) == (True, iso(due)) and "art. 2c" in p["timeliness_rule"]
    late = awarded(notice_means=means)
    review(late, due + SECOND)
    assert late.state["protests"]["r1"]["timely"] is False


def test_a_review_suspends_the_conclusion_of_the_contract_only():
    tender = awarded()
    review(tender, AWARD + timedelta(days=2))
    tender.do(c.DocketProtest("T-1", protest_id="r1"), REVIEWER, AWARD + timedelta(days=2))
    st = tender.state["stays"]["stay-r1"]
    assert (st["kind"], st["blocks"]) == ("suspension", ["contract"]) and "art. 2(3)" in st["basis"]
    with pytest.raises(Refused, match="suspension stay-r1"):
        decide(tender.state, SIGN, BUYER, AWARD + timedelta(days=30))


def test_a_review_after_the_contract_suspends_nothing():
    tender = awarded()
    signed = AWARD + timedelta(days=12)
    tender.do(SIGN, BUYER, signed)
    review(tender, signed)
    tender.do(c.DocketProtest("T-1", protest_id="r1"), REVIEWER, signed)
    assert tender.state["stays"] == {}  # a concluded contract is art. 2d's matter, not a suspension
    assert decide(tender.state, c.StartPerformance("T-1"), BUYER, signed)[0].type == EventType.PERFORMANCE_STARTED


def test_the_awarded_tenderer_cannot_apply_for_review():
    tender = awarded()
    (env,) = review(tender, AWARD + timedelta(days=1), by=BETA)
    assert (env["type"], env["payload"]["code"]) == (EventType.COMMAND_REFUSED, "not-interested-party")
    assert "art. 1(3)" in env["payload"]["reason"]


def concluded_and_reviewed() -> tuple[Tender, datetime]:
    tender = awarded()
    signed = AWARD + timedelta(days=12)
    tender.do(SIGN, BUYER, signed)
    review(tender, signed + timedelta(days=20))
    return tender, signed


def test_ineffectiveness_must_be_sought_within_6_months_of_the_conclusion_art_2f():
    tender, signed = concluded_and_reviewed()
    p = tender.state["protests"]["r1"]
    assert p["due"] == iso(end_of(date(2031, 4, 7))) and "art. 2f(1)(b)" in p["timeliness_rule"]  # 5 Oct + 6 months
    late = awarded()
    late.do(SIGN, BUYER, signed)
    review(late, end_of(date(2031, 4, 7)) + SECOND)
    assert late.state["protests"]["r1"]["timely"] is False


def test_a_contract_declared_ineffective_stops_performance_art_2d():
    tender, signed = concluded_and_reviewed()
    decided = signed + timedelta(days=60)
    tender.do(c.DecideProtest("T-1", protest_id="r1", outcome="sustained", reasoning="Concluded in breach.",
                              recommended_action="Ineffective.", remedy="ineffective"), REVIEWER, decided)
    assert tender.state["contract"]["ineffective"] == iso(decided)
    with pytest.raises(Refused, match="ineffectiveness ineffective-k-1"):
        decide(tender.state, c.StartPerformance("T-1"), BUYER, decided)


def test_alternative_penalties_keep_the_contract_art_2e():
    tender, signed = concluded_and_reviewed()
    tender.do(c.DecideProtest("T-1", protest_id="r1", outcome="sustained", reasoning="Overriding reasons.",
                              recommended_action="A fine of EUR 50,000.", remedy="alternative-penalties"), REVIEWER,
              signed + timedelta(days=60))
    assert "ineffective" not in tender.state["contract"] and tender.state["stays"] == {}
    assert decide(tender.state, c.StartPerformance("T-1"), BUYER, signed + timedelta(days=61))[0].type == \
        EventType.PERFORMANCE_STARTED


def test_ineffectiveness_only_against_a_concluded_contract_on_a_sustained_eu_review():
    tender = awarded()
    review(tender, AWARD + timedelta(days=1))
    with pytest.raises(Refused) as ei:
        decide(tender.state, c.DecideProtest("T-1", protest_id="r1", outcome="sustained", reasoning="Breach.",
                                             recommended_action="x", remedy="ineffective"), REVIEWER, AWARD)
    assert ei.value.code == "wrong-remedy"


def test_alternative_penalties_name_the_fine_or_the_shortening_art_2e():
    tender, signed = concluded_and_reviewed()
    with pytest.raises(Refused) as ei:
        decide(tender.state, c.DecideProtest("T-1", protest_id="r1", outcome="sustained", reasoning="Overriding.",
                                             recommended_action="  ", remedy="alternative-penalties"), REVIEWER,
               signed + timedelta(days=60))
    assert ei.value.code == "reason-needed"  # a sustained decision names its action: here the penalties
