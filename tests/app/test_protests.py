"""Protests, stays and corrective action through the app layer (DESIGN.md §5; jedi-facts.md
"US protest rules" and "EU").

Timeliness per forum (GAO and agency: terms before the closing time, else 10 calendar days after
the basis is known or after the debriefing, rolled past weekends and US federal holidays; the Court
of Federal Claims: none but Blue & Gold), the stays (CICA pre- and post-award, EU suspension,
injunctions, voluntary holds) where they bite, the HCA override, the agency report and comments,
outcomes, and corrective action. Every refusal is checked to leave nothing behind, or exactly one
`command.refused` event when the rules log it.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.model import iso, parse_time

from .conftest import BUYER, EVAL, OPENERS, SSA, SYSTEM, TID
from .test_refusals import ACME, GLOBEX, USD, refused_logged, refused_unchanged

HCA = Actor("hca", "hca")
GAO = Actor("gao", "reviewer")
COURT = Actor("cofc-judge", "reviewer")
INITECH = Actor("initech", "bidder")
PANEL = {"evaluator": [EVAL.id], "ssa": [SSA.id], "opening_official": [o.id for o in OPENERS], "hca": [HCA.id]}
RATINGS = {"acme": ("Good", "900"), "globex": ("Outstanding", "950"), "initech": ("Acceptable", "1000")}
US_HOLIDAYS = holidays.country_holidays("US", years=range(2029, 2033))
ET = ZoneInfo("America/New_York")


# --- the calendar, computed here independently of the code under test ------------------------------

def rolled(d: date) -> date:
    while d.weekday() >= 5 or d in US_HOLIDAYS:
        d += timedelta(days=1)
    return d


def end_of_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59), tzinfo=UTC)


def days_after(start: datetime, days: int) -> datetime:
    """The end (23:59:59 UTC) of the `days`-th calendar day after `start`, rolled: the FAR's counting
    of an agency-level protest's period (FAR 33.101, 33.103(e))."""
    return end_of_day(rolled(start.date() + timedelta(days=days)))


def eastern(start: datetime, days: int, closing: time) -> datetime:
    d = rolled(start.astimezone(ET).date() + timedelta(days=days))
    return datetime.combine(d, closing, tzinfo=ET).astimezone(UTC)


def gao_due(start: datetime, days: int) -> datetime:
    """GAO: 5:30 p.m. Eastern of the `days`-th Eastern calendar day after `start`, rolled (4 CFR 21.0(d), (g))."""
    return eastern(start, days, time(17, 30))


def cica_window(start: datetime, days: int) -> datetime:
    """The CICA notice window of a GAO protest: to the end of its last Eastern day, rolled."""
    return eastern(start, days, time(23, 59, 59))


def due_for(forum: str, start: datetime, days: int) -> datetime:
    return gao_due(start, days) if forum == "gao" else days_after(start, days)


def at(d: date, hour: int = 15) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=UTC)


# --- getting a tender to a stage --------------------------------------------------------------------

def tendering(world, **over) -> None:
    world.create(panel=PANEL, **over)
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")


def evaluated(world, bidders=("acme", "globex"), **over) -> None:
    """Opened and rated (globex ranks first), evaluator and SSA declared; the panel has an HCA."""
    world.create(panel=PANEL, **over)
    world.publish()
    for b in bidders:
        world.bid(b, f"{b} proposal".encode(), bid_id=f"bid-{b}")
    world.clock.advance(days=31)
    world.p.run_deadlines()
    for o in OPENERS[:2]:
        world.declare(o)
        world.share(o)
    world.declare(EVAL)
    for b in bidders:
        tech, price = RATINGS[b]
        world.p.execute(c.RateProposal(TID, f"bid-{b}", "tech", tech), EVAL)
        world.p.execute(c.RateProposal(TID, f"bid-{b}", "price", price), EVAL)
    world.declare(SSA)


def decide_award(world, bid: str = "bid-globex", **kw):
    return world.p.execute(c.DecideAward(TID, bid, USD, "best value", **kw), SSA)


def awarded(world, **kw) -> datetime:
    """Awarded to globex; returns the award time."""
    evaluated(world, **kw)
    decide_award(world)
    award = world.state()["awards"][-1]
    assert world.state()["status"] == "active.awarded"
    return parse_time(award["date"])


def sign(world, contract_id: str = "C-1"):
    return world.p.execute(c.SignContract(TID, contract_id, USD), BUYER)


def perform(world):
    return world.p.execute(c.StartPerformance(TID), BUYER)


def signable(world) -> datetime:
    """When the contract may be signed: at the award under us-far (no standstill in US law), at the
    standstill's end under eu."""
    award = world.state()["awards"][-1]
    return parse_time(award["standstill_end"] or award["date"])


def contracted(world) -> datetime:
    """Awarded and the contract signed (at once: no US standstill); returns the award time."""
    award = awarded(world)
    world.clock.now = signable(world)
    sign(world)
    assert world.state()["status"] == "complete"
    return award


def file(world, pid: str, forum: str = "gao", by: Actor = ACME, **kw) -> dict:
    world.p.execute(c.FileProtest(TID, pid, forum, "the evaluation was unreasonable", **kw), by)
    return world.state()["protests"][pid]


def docket(world, pid: str, by: Actor = GAO) -> dict:
    world.p.execute(c.DocketProtest(TID, pid), by)
    return world.state()["protests"][pid]


def decide(world, pid: str, outcome: str = "denied", by: Actor = GAO, **kw):
    return world.p.execute(c.DecideProtest(TID, pid, outcome, "reasoning", **kw), by)


def types(world) -> list[str]:
    return [e.envelope["type"] for e in world.p.events(TID)]


# --- the calendar premise ---------------------------------------------------------------------------

def test_the_dates_used_here_are_what_they_claim():
    assert date(2030, 7, 4) in US_HOLIDAYS and date(2030, 11, 28) in US_HOLIDAYS
    assert date(2030, 11, 11) in US_HOLIDAYS and date(2030, 11, 29) not in US_HOLIDAYS
    assert date(2030, 6, 15).weekday() == 5


# --- timeliness -------------------------------------------------------------------------------------

@pytest.mark.parametrize("forum", ["gao", "agency"])
def test_terms_protest_one_second_before_the_closing_time_is_timely_after_it_is_not(world, forum):
    tendering(world)
    closing = parse_time(world.state()["periods"]["tender_end"])
    world.clock.now = closing - timedelta(seconds=1)
    p = file(world, "terms-1", forum, solicitation_terms=True)
    assert (p["timely"], p["due"], p["kind"]) == (True, iso(closing), "pre-award")
    assert "before the closing time" in p["timeliness_rule"]
    world.clock.now = closing + timedelta(seconds=1)
    p = file(world, "terms-2", forum, solicitation_terms=True)
    assert (p["timely"], p["due"]) == (False, iso(closing))


def test_terms_protest_at_the_closing_time_is_untimely(world):
    tendering(world)
    closing = parse_time(world.state()["periods"]["tender_end"])
    world.clock.now = closing
    assert file(world, "terms", solicitation_terms=True)["timely"] is False


def test_untimely_gao_protest_is_still_docketed_and_gao_decides(world):
    tendering(world)
    world.clock.now = parse_time(world.state()["periods"]["tender_end"]) + timedelta(days=2)
    assert file(world, "late", solicitation_terms=True)["timely"] is False
    p = docket(world, "late")
    assert p["docketed"] == iso(world.clock.now) and p["decision_due"]
    decide(world, "late", "dismissed")
    assert world.state()["protests"]["late"]["outcome"] == "dismissed"


@pytest.mark.parametrize("basis_day, rolled_to", [
    (date(2030, 6, 3), None),  # day 10 is Thursday 13 June: no roll
    (date(2030, 6, 5), "weekend"),  # day 10 is Saturday 15 June
    (date(2030, 6, 24), "Independence Day"),  # day 10 is Thursday 4 July
    (date(2030, 11, 18), "Thanksgiving"),  # day 10 is Thursday 28 November
    (date(2030, 10, 30), "weekend then Veterans Day"),  # Saturday 9 November → Tuesday 12
], ids=["plain", "weekend", "july-4", "thanksgiving", "weekend+veterans-day"])
@pytest.mark.parametrize("forum", ["gao", "agency"])
def test_ten_days_after_the_basis_is_known(world, forum, basis_day, rolled_to):
    tendering(world)
    basis = at(basis_day)
    day10 = basis_day + timedelta(days=10)
    due = due_for(forum, basis, 10)
    assert (due.date() == day10) == (rolled_to is None)  # the case exercises what it says
    world.clock.now = due
    p = file(world, "on-time", forum, basis_known=basis)
    assert (p["timely"], p["due"]) == (True, iso(due))
    rule = "4 CFR 21.2(a)(2)" if forum == "gao" else "FAR 33.103(e)"
    assert p["timeliness_rule"] == f"due within 10 days after the basis was known ({rule})"
    world.clock.now = due + timedelta(seconds=1)
    p = file(world, "too-late", forum, basis_known=basis)
    assert (p["timely"], p["due"]) == (False, iso(due))


def test_without_a_basis_date_the_publication_dates_the_basis_not_the_filing(world):
    tendering(world)
    published = parse_time(world.state()["published"])
    world.clock.now = at(date(2030, 6, 3))
    p = file(world, "p1")  # filed months after the publication: untimely, not timely forever
    assert (p["timely"], p["due"]) == (False, iso(gao_due(published, 10)))
    assert "after the solicitation or its latest amendment was published" in p["timeliness_rule"]


@pytest.mark.parametrize("debrief_day", [date(2030, 2, 5), date(2030, 2, 7)], ids=["plain", "presidents-day"])
def test_after_a_required_debriefing_the_ten_days_run_from_the_debriefing(world, debrief_day):
    award = awarded(world)
    world.p.execute(c.RequestDebriefing(TID), ACME)  # at the award: within 3 days, so required
    world.clock.now = at(debrief_day, 10)
    world.p.execute(c.GiveDebriefing(TID, "acme", "d" * 64), BUYER)
    due = gao_due(world.clock.now, 10)
    assert due > gao_due(award, 10)
    world.clock.now = due
    p = file(world, "on-time", basis_known=award)  # untimely if counted from the award
    assert (p["timely"], p["due"], p["kind"]) == (True, iso(due), "post-award")
    assert "after the required debriefing" in p["timeliness_rule"] and "21.2(a)(2)" in p["timeliness_rule"]
    world.clock.now = due + timedelta(seconds=1)
    assert file(world, "too-late", basis_known=award)["timely"] is False


def test_court_of_federal_claims_has_no_filing_deadline(world):
    award = awarded(world)
    world.clock.now = award + timedelta(days=400)
    p = file(world, "cofc-1", "cofc", basis_known=award)
    assert (p["timely"], p["due"]) == (True, None)
    assert "no statutory filing deadline" in p["timeliness_rule"]


def test_court_of_federal_claims_terms_challenge_must_come_before_the_award(world):
    evaluated(world)
    world.clock.advance(days=60)  # long after the closing time, still before the award
    assert file(world, "terms-pre", "cofc", solicitation_terms=True)["timely"] is True
    decide_award(world)
    award = world.state()["awards"][-1]["date"]
    world.clock.advance(seconds=1)
    p = file(world, "terms-post", "cofc", solicitation_terms=True)
    assert (p["timely"], p["due"]) == (False, award)
    assert "Blue & Gold" in p["timeliness_rule"]


@pytest.mark.parametrize("express, days", [(False, 100), (True, 65)])
def test_gao_docket_sets_report_and_decision_due_dates(world, express, days):
    tendering(world)
    world.clock.now = at(date(2030, 3, 4), 9)
    filed = world.clock.now
    file(world, "p1", express=express)
    world.clock.advance(hours=20)  # GAO notifies the agency the next day
    p = docket(world, "p1")
    assert p["decision_due"] == iso(gao_due(filed, days))
    assert p["report_due"] == iso(gao_due(world.clock.now, 20 if express else 30))  # 4 CFR 21.10(d)(1)
    assert p["docketed"] == iso(world.clock.now)


# --- stays: CICA pre-award --------------------------------------------------------------------------

def test_pre_award_gao_protest_stays_the_award_until_decided(world):
    evaluated(world)
    file(world, "p1")
    assert world.state()["stays"] == {}  # filed, not yet noticed to the agency
    docket(world, "p1")
    st = world.state()["stays"]["stay-p1"]
    assert (st["kind"], st["blocks"], st["status"], st["protest"]) == ("CICA stay", ["award"], "in-force", "p1")
    refused_logged(world, lambda: decide_award(world), "stayed", "no award while CICA stay stay-p1 is in force",
                   "3553(c)", actor=SSA)
    world.clock.advance(days=60)
    refused_logged(world, lambda: decide_award(world), "stayed", "stay-p1")
    assert world.state()["awards"] == []
    decide(world, "p1")
    st = world.state()["stays"]["stay-p1"]
    assert (st["status"], st["ended"]) == ("lifted", iso(world.clock.now))
    decide_award(world)
    assert world.state()["status"] == "active.awarded"


def test_a_filed_protest_does_not_stay_the_award_before_the_notice(world):
    evaluated(world)
    file(world, "p1")
    decide_award(world)
    assert world.state()["status"] == "active.awarded"


def test_protest_filed_before_award_but_noticed_after_it_suspends_performance(world):
    evaluated(world)
    file(world, "p1")
    decide_award(world)
    world.clock.advance(days=1)
    docket(world, "p1")
    st = world.state()["stays"]["stay-p1"]
    assert st["blocks"] == ["performance"]  # 3553(d)(3): performance suspended, signature never held


# --- stays: CICA post-award -------------------------------------------------------------------------

def test_post_award_notice_on_day_10_suspends_performance_until_decided(world):
    award = awarded(world)
    window = cica_window(award, 10)
    world.clock.now = gao_due(award, 10)  # filed at 5:30 p.m. Eastern of day 10
    file(world, "p1")
    world.clock.now = window
    docket(world, "p1")
    st = world.state()["stays"]["stay-p1"]
    assert (st["kind"], st["blocks"]) == ("CICA stay", ["performance"])
    world.clock.now = window + timedelta(seconds=1)
    sign(world)  # the award is the contract: signature is never stayed
    refused_logged(world, lambda: perform(world), "stayed", "no start of performance while CICA stay stay-p1",
                   "3553(d)", actor=BUYER)
    assert world.state()["performance"] is None
    decide(world, "p1")
    perform(world)
    s = world.state()
    assert (s["status"], s["contract"]["id"], s["performance"]["scope"]) == ("complete", "C-1", "full performance")


def test_post_award_notice_on_day_11_brings_no_stay(world):
    award = awarded(world)
    world.clock.now = cica_window(award, 10) + timedelta(seconds=1)
    file(world, "p1")
    docket(world, "p1")
    assert world.state()["stays"] == {}
    assert "stay" not in world.p.events(TID)[-1].envelope["payload"]
    sign(world)
    perform(world)
    assert world.state()["performance"] is not None


@pytest.mark.parametrize("debrief_after, window_from", [(1, "award"), (8, "debriefing")])
@pytest.mark.parametrize("late", [False, True], ids=["at-window-end", "one-second-after"])
def test_post_award_window_is_the_later_of_10_days_after_award_and_5_after_the_debriefing(
        world, debrief_after, window_from, late):
    award = awarded(world)
    world.p.execute(c.RequestDebriefing(TID), ACME)  # required: within 3 days after notice of award
    world.clock.now = award + timedelta(days=debrief_after)
    world.p.execute(c.GiveDebriefing(TID, "acme", "d" * 64), BUYER)
    window = max(cica_window(award, 10), cica_window(world.clock.now, 5))
    assert window == (cica_window(award, 10) if window_from == "award" else cica_window(world.clock.now, 5))
    world.clock.now = window + timedelta(seconds=1 if late else 0)
    file(world, "p1", basis_known=world.clock.now)  # a basis newly known: timely whatever the window
    docket(world, "p1")
    assert ("stay-p1" in world.state()["stays"]) is not late


def test_only_the_protesters_own_debriefing_extends_the_window(world):
    award = awarded(world, bidders=("acme", "globex", "initech"))
    world.p.execute(c.RequestDebriefing(TID), INITECH)
    world.clock.now = award + timedelta(days=8)
    world.p.execute(c.GiveDebriefing(TID, "initech", "d" * 64), BUYER)
    world.clock.now = cica_window(award, 10) + timedelta(days=1)  # inside initech's window, outside acme's
    file(world, "acme-p", by=ACME, basis_known=world.clock.now)
    docket(world, "acme-p")
    file(world, "initech-p", by=INITECH)
    docket(world, "initech-p")
    assert list(world.state()["stays"]) == ["stay-initech-p"]


def test_cica_stay_after_the_contract_blocks_performance_and_the_hca_overrides_it(world):
    award = awarded(world)
    world.p.execute(c.RequestDebriefing(TID), ACME)
    world.clock.now = award + timedelta(days=8)
    world.p.execute(c.GiveDebriefing(TID, "acme", "d" * 64), BUYER)  # acme's window now ends later
    world.clock.now = cica_window(award, 10) + timedelta(seconds=1)
    sign(world)
    world.clock.advance(hours=12)
    file(world, "p1")
    docket(world, "p1")
    refused_logged(world, lambda: perform(world), "stayed", "no start of performance while CICA stay stay-p1",
                   actor=BUYER)
    assert world.state()["performance"] is None
    finding = "urgent and compelling: the current hosting contract expires"
    world.p.execute(c.OverrideStay(TID, "stay-p1", "urgent-compelling", finding), HCA)
    st = world.state()["stays"]["stay-p1"]
    assert st["status"] == "overridden"
    assert st["override"] == {"ground": "urgent-compelling", "finding": finding, "by": "hca",
                              "basis": "31 U.S.C. 3553(d)(3)(C)(i)(II)", "award_likely_within_30_days": None,
                              "notified": "the Comptroller General (GAO)", "notice_basis": "31 U.S.C. 3553(d)(3)(C)(ii)"}
    ev = world.p.events(TID)[-1].envelope
    assert (ev["type"], ev["payload"]["finding"], ev["actor"]) == ("stay.overridden", finding, HCA.as_dict())
    perform(world)
    assert world.state()["performance"] is not None
    assert world.state()["protests"]["p1"]["outcome"] is None  # the protest goes on


# --- stays: EU review -------------------------------------------------------------------------------

def test_eu_review_suspends_contract_conclusion_until_decided(world):
    evaluated(world, ruleset="eu", buyer={"id": "agency", "name": "Agency", "country": "DE"})
    decide_award(world)
    world.clock.advance(days=3)
    file(world, "rev-1", "eu-review")
    docket(world, "rev-1", COURT)
    st = world.state()["stays"]["stay-rev-1"]
    # Art. 2(3) suspends the conclusion of the contract, not the performance of one concluded.
    assert (st["kind"], st["blocks"]) == ("suspension", ["contract"])
    world.clock.now = signable(world) + timedelta(days=5)
    refused_logged(world, lambda: sign(world), "stayed", "suspension stay-rev-1", "2007/66/EC", actor=BUYER)
    decide(world, "rev-1", by=COURT)
    assert world.state()["stays"]["stay-rev-1"]["status"] == "lifted"
    sign(world)
    assert world.state()["contract"]["id"] == "C-1"


# --- the Court of Federal Claims ------------------------------------------------------------------------

def test_court_of_federal_claims_protest_brings_no_automatic_stay(world):
    award = awarded(world)
    world.clock.now = award + timedelta(days=2)
    file(world, "cofc-1", "cofc")
    p = docket(world, "cofc-1", COURT)
    assert (p["report_due"], p["decision_due"]) == (None, None)
    assert world.state()["stays"] == {}
    world.clock.now = signable(world)
    sign(world)
    perform(world)
    assert world.state()["performance"] is not None


@pytest.mark.parametrize("blocked", ["contract", "performance"])
def test_preliminary_injunction_blocks_until_dissolved(world, blocked):
    if blocked == "performance":
        contracted(world)
    else:
        awarded(world)
    file(world, "cofc-1", "cofc")
    docket(world, "cofc-1", COURT)
    world.p.execute(c.CourtOrder(TID, "cofc-1", "preliminary_injunction", "enjoined pending the merits"), COURT)
    (sid, st), = world.state()["stays"].items()
    assert (st["kind"], st["blocks"], st["until"]) == ("preliminary injunction", ["contract", "performance"], None)
    world.clock.advance(days=30)
    action = (lambda: sign(world)) if blocked == "contract" else (lambda: perform(world))
    what = "no contract signature" if blocked == "contract" else "no start of performance"
    refused_logged(world, action, "stayed", f"{what} while preliminary injunction {sid}", "Court of Federal Claims",
                   actor=BUYER)
    world.clock.advance(days=30)
    refused_logged(world, action, "stayed", sid)
    world.p.execute(c.CourtOrder(TID, "cofc-1", "dissolve_injunction", "dissolved"), COURT)
    st = world.state()["stays"][sid]
    assert (st["status"], st["ended"]) == ("lifted", iso(world.clock.now))
    action()
    assert world.state()["contract" if blocked == "contract" else "performance"] is not None


def test_injunction_does_not_outlive_the_decided_protest(world):
    awarded(world)
    file(world, "cofc-1", "cofc")
    docket(world, "cofc-1", COURT)
    world.p.execute(c.CourtOrder(TID, "cofc-1", "preliminary_injunction", "enjoined pending the merits"), COURT)
    (sid, _), = world.state()["stays"].items()
    world.clock.advance(days=30)
    decide(world, "cofc-1", "denied", by=COURT)
    with contextlib.suppress(Refused):
        world.p.execute(c.CourtOrder(TID, "cofc-1", "dissolve_injunction", "judgment entered; dissolved"), COURT)
    assert world.state()["stays"][sid]["status"] != "in-force"


def test_injunction_cannot_be_overridden_by_the_hca(world):
    awarded(world)
    file(world, "cofc-1", "cofc")
    docket(world, "cofc-1", COURT)
    world.p.execute(c.CourtOrder(TID, "cofc-1", "tro", "temporary restraining order"), COURT)
    (sid, st), = world.state()["stays"].items()
    assert st["kind"] == "tro"
    refused_unchanged(world, lambda: world.p.execute(c.OverrideStay(TID, sid, "best-interests", "needed"), HCA),
                      "not-overridable", "tro", "only a CICA stay can be overridden")
    assert world.state()["stays"][sid]["status"] == "in-force"


def test_court_orders_only_in_court_of_federal_claims_protests_and_only_by_the_court(world):
    awarded(world)
    file(world, "gao-1")
    docket(world, "gao-1")
    refused_unchanged(world, lambda: world.p.execute(c.CourtOrder(TID, "gao-1", "tro", "order"), COURT),
                      "wrong-forum", "gao-1 is before gao")
    file(world, "cofc-1", "cofc")
    refused_unchanged(world, lambda: world.p.execute(c.CourtOrder(TID, "cofc-1", "tro", "order"), ACME),
                      "forbidden-role", "reviewer")
    refused_unchanged(world, lambda: world.p.execute(c.CourtOrder(TID, "cofc-9", "tro", "order"), COURT),
                      "not-found", "no protest cofc-9")


@pytest.mark.parametrize("late", [timedelta(0), timedelta(days=3, hours=5)], ids=["on-time", "worker-late"])
def test_voluntary_hold_blocks_performance_until_the_worker_ends_it_once(world, late):
    contracted(world)
    file(world, "cofc-1", "cofc")
    until = world.clock.now + timedelta(days=20, minutes=7)
    world.p.execute(c.VoluntaryHold(TID, until, "pending the court's ruling", "cofc-1"), BUYER)
    (sid, st), = world.state()["stays"].items()
    assert (st["kind"], st["blocks"], st["until"], st["protest"]) == (
        "voluntary hold", ["performance"], iso(until), "cofc-1")
    world.clock.now = until - timedelta(seconds=1)
    refused_logged(world, lambda: perform(world), "stayed", f"voluntary hold {sid} is in force until {iso(until)}",
                   actor=BUYER)
    assert world.p.run_deadlines(now=until - timedelta(seconds=1)) == []
    world.clock.now = until + late
    fired = world.p.run_deadlines()
    assert [(e.envelope["type"], e.envelope["time"], e.envelope["payload"]["stay"]) for e in fired] == [
        ("stay.ended", iso(until), sid)]
    assert fired[0].envelope["actor"] == SYSTEM.as_dict()
    assert world.state()["stays"][sid]["status"] == "ended"
    assert world.p.run_deadlines() == []
    assert world.p.run_deadlines(now=until + timedelta(days=365)) == []
    refused_unchanged(world, lambda: world.p.execute(c.EndStay(TID, sid), SYSTEM), "not-found", sid)
    perform(world)
    assert types(world).count("stay.ended") == 1


def test_voluntary_hold_does_not_block_contract_signature(world):
    awarded(world)
    until = world.clock.now + timedelta(days=60)
    world.p.execute(c.VoluntaryHold(TID, until, "agency's own hold"), BUYER)
    world.clock.now = signable(world)
    sign(world)
    refused_logged(world, lambda: perform(world), "stayed", "voluntary hold")


def test_tro_with_an_end_date_is_ended_by_the_worker(world):
    awarded(world)
    file(world, "cofc-1", "cofc")
    until = world.clock.now + timedelta(days=14)
    world.p.execute(c.CourtOrder(TID, "cofc-1", "tro", "14-day TRO", until), COURT)
    (sid, _), = world.state()["stays"].items()
    world.clock.now = signable(world)
    refused_logged(world, lambda: sign(world), "stayed", f"tro {sid}", f"until {iso(until)}")
    world.clock.now = until + timedelta(days=1)
    sign(world)  # the command runs the overdue deadline first
    assert world.state()["stays"][sid]["ended"] == iso(until)
    assert types(world)[-2:] == ["stay.ended", "contract.signed"]


def test_hold_refused(world):
    awarded(world)
    now = world.clock.now
    refused_unchanged(world, lambda: world.p.execute(c.VoluntaryHold(TID, now, "hold"), BUYER),
                      "bad-period", "in the future")
    refused_unchanged(world, lambda: world.p.execute(c.VoluntaryHold(TID, now + timedelta(days=1), "hold"), GAO),
                      "forbidden-role", "buyer")
    other = Actor("other-co", "buyer")
    refused_logged(world, lambda: world.p.execute(c.VoluntaryHold(TID, now + timedelta(days=1), "hold"), other),
                   "not-on-panel", actor=other)


# --- the HCA override -------------------------------------------------------------------------------

def test_hca_overrides_a_pre_award_cica_stay_with_a_written_finding(world):
    evaluated(world)
    file(world, "p1")
    docket(world, "p1")
    finding = "urgent and compelling: the mission cannot wait for the decision; award likely within 30 days"
    # 31 U.S.C. 3553(c)(2): before award only urgent and compelling circumstances, not best interests.
    refused_logged(world, lambda: world.p.execute(c.OverrideStay(TID, "stay-p1", "best-interests", finding), HCA),
                   "override-ground", "3553(c)(2)(A)", actor=HCA)
    world.p.execute(c.OverrideStay(TID, "stay-p1", "urgent-compelling", finding, award_likely_within_30_days=True), HCA)
    assert world.state()["stays"]["stay-p1"]["override"]["finding"] == finding
    decide_award(world)
    assert world.state()["status"] == "active.awarded"


def test_override_refused(world):
    contracted(world)
    file(world, "p1")
    docket(world, "p1")  # noticed on the award day: a CICA stay
    world.p.execute(c.VoluntaryHold(TID, world.clock.now + timedelta(days=9), "hold"), BUYER)
    hold = next(s for s in world.state()["stays"] if s.startswith("hold-"))
    override = lambda sid, who=HCA: (lambda: world.p.execute(c.OverrideStay(TID, sid, "best-interests", "f"), who))
    refused_unchanged(world, override("stay-p1", BUYER), "forbidden-role", "hca")
    refused_unchanged(world, override("stay-p1", SSA), "forbidden-role", "hca")
    stranger = Actor("other-hca", "hca")
    refused_logged(world, override("stay-p1", stranger), "not-on-panel", "other-hca", actor=stranger)
    refused_unchanged(world, override(hold), "not-overridable", "voluntary hold")
    refused_unchanged(world, override("stay-nope"), "not-found", "no stay stay-nope")
    with pytest.raises(c.InvalidCommand, match="written finding"):
        c.OverrideStay(TID, "stay-p1", "best-interests", "  ")
    with pytest.raises(c.InvalidCommand, match="best-interests or urgent-compelling"):
        c.OverrideStay(TID, "stay-p1", "convenience", "finding")
    assert world.state()["stays"]["stay-p1"]["status"] == "in-force"
    world.p.execute(c.OverrideStay(TID, "stay-p1", "best-interests", "finding"), HCA)
    refused_unchanged(world, override("stay-p1"), "not-found", "stay-p1")  # not twice
    decide(world, "p1")
    assert world.state()["stays"]["stay-p1"]["status"] == "overridden"  # the decision does not rewrite it


# --- the agency report and comments -----------------------------------------------------------------

def reported(world) -> datetime:
    """A docketed post-award GAO protest with the agency report filed; returns the comments due time."""
    award = awarded(world)
    world.clock.now = award + timedelta(days=1)
    file(world, "p1")
    docket(world, "p1")
    world.clock.now = at(date(2030, 2, 21), 12)
    world.p.execute(c.FileAgencyReport(TID, "p1", "the evaluation was reasonable"), BUYER)
    due = world.state()["protests"]["p1"]["comments_due"]
    assert due == iso(gao_due(world.clock.now, 10))
    return parse_time(due)


def test_agency_report_sets_comments_due_in_10_days_rolled(world):
    due = reported(world)
    assert due == gao_due(at(date(2030, 3, 4), 0), 0)  # day 10 is Sunday 3 March: Monday, 5:30 p.m. EST
    assert world.state()["protests"]["p1"]["report"] == iso(at(date(2030, 2, 21), 12))


def test_comments_on_time_keep_the_protest_alive(world):
    due = reported(world)
    world.clock.now = due
    world.p.execute(c.FileComments(TID, "p1", "the report misreads the record"), ACME)
    assert world.state()["protests"]["p1"]["comments"] == iso(due)
    assert world.p.run_deadlines(now=due + timedelta(days=60)) == []
    p = world.state()["protests"]["p1"]
    assert p["outcome"] is None
    assert world.state()["stays"]["stay-p1"]["status"] == "in-force"


def test_no_comments_the_worker_dismisses_at_the_due_time(world):
    due = reported(world)
    assert world.p.run_deadlines(now=due) == []  # the whole last day belongs to the protester
    fired = world.p.run_deadlines(now=due + timedelta(days=2))
    assert [(e.envelope["type"], e.envelope["time"]) for e in fired] == [("protest.decided", iso(due))]
    pay = fired[0].envelope["payload"]
    assert pay["outcome"] == "dismissed" and "4 CFR 21.3(i)" in pay["reasoning"]
    p = world.state()["protests"]["p1"]
    assert (p["outcome"], p["decided"]) == ("dismissed", iso(due))
    assert world.state()["stays"]["stay-p1"]["status"] == "lifted"
    assert world.p.run_deadlines(now=due + timedelta(days=30)) == []
    assert types(world).count("protest.decided") == 1


def test_worker_cannot_dismiss_before_the_comments_are_due(world):
    due = reported(world)
    world.clock.now = due
    refused_unchanged(world, lambda: world.p.execute(c.LapseProtest(TID, "p1"), SYSTEM), "too-early", iso(due))
    refused_unchanged(world, lambda: world.p.execute(c.LapseProtest(TID, "p1"), ACME), "forbidden-role", "system")


def test_late_comments_are_refused_and_logged(world):
    due = reported(world)
    world.clock.now = due + timedelta(seconds=1)
    world.p.run_deadlines()  # the worker dismisses first; the late comments still go on the record
    refused_logged(world, lambda: world.p.execute(c.FileComments(TID, "p1", "late"), ACME), "late-comments", iso(due))


def test_late_comments_meet_a_dismissed_protest(world):
    due = reported(world)
    world.clock.now = due + timedelta(seconds=1)
    with pytest.raises(Refused) as ei:
        world.p.execute(c.FileComments(TID, "p1", "late"), ACME)
    assert ei.value.code in ("late-comments", "protest-closed")
    assert world.state()["protests"]["p1"]["outcome"] == "dismissed"
    assert world.state()["protests"]["p1"]["comments"] is None


def test_supplemental_comments_after_the_due_time_are_refused_and_logged(world):
    due = reported(world)
    world.p.execute(c.FileComments(TID, "p1", "comments"), ACME)
    world.clock.now = due + timedelta(seconds=1)
    refused_logged(world, lambda: world.p.execute(c.FileComments(TID, "p1", "more"), ACME), "late-comments",
                   f"comments were due by {iso(due)}", actor=ACME)


def test_agency_report_and_comments_refused(world):
    awarded(world)
    file(world, "p1")
    file(world, "cofc-1", "cofc")
    report = lambda pid, who=BUYER: (lambda: world.p.execute(c.FileAgencyReport(TID, pid, "report"), who))
    comment = lambda pid, who=ACME: (lambda: world.p.execute(c.FileComments(TID, pid, "comments"), who))
    refused_unchanged(world, report("p1"), "wrong-status", "awaits no agency report")  # not docketed
    docket(world, "p1")
    docket(world, "cofc-1", COURT)
    refused_unchanged(world, report("cofc-1"), "wrong-status", "awaits no agency report")
    refused_unchanged(world, report("p1", ACME), "forbidden-role", "buyer")
    refused_logged(world, report("p1", Actor("other-co", "buyer")), "not-on-panel")
    refused_unchanged(world, comment("p1"), "wrong-status", "no agency report")
    world.p.execute(c.FileAgencyReport(TID, "p1", "report"), BUYER)
    refused_unchanged(world, comment("p1", GLOBEX), "forbidden-role", "only the protester")
    refused_unchanged(world, comment("p1", BUYER), "forbidden-role", "bidder")
    refused_unchanged(world, comment("p9"), "not-found", "no protest p9")


# --- filing and docketing refused ---------------------------------------------------------------------

def test_filing_and_docketing_refused(world):
    world.create(panel=PANEL)
    refused_unchanged(world, lambda: file(world, "p0"), "wrong-status", "before the solicitation is published")
    world.publish()
    refused_unchanged(world, lambda: file(world, "p1", by=BUYER), "forbidden-role", "bidder")
    file(world, "p1")
    refused_unchanged(world, lambda: file(world, "p1", by=GLOBEX), "exists", "p1 already exists")
    refused_unchanged(world, lambda: docket(world, "p1", ACME), "forbidden-role", "reviewer")
    refused_unchanged(world, lambda: docket(world, "p2"), "not-found", "no protest p2")
    docket(world, "p1")
    refused_unchanged(world, lambda: docket(world, "p1"), "exists", "already docketed")
    decide(world, "p1", "dismissed")
    refused_unchanged(world, lambda: docket(world, "p1"), "protest-closed", "dismissed")
    with pytest.raises(c.InvalidCommand, match="forum"):
        c.FileProtest(TID, "p3", "supreme-court", "grounds")


# --- outcomes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("outcome, who, code, fragment", [
    ("denied", ACME, "forbidden-role", "reviewer"),
    ("denied", BUYER, "forbidden-role", "reviewer"),
    ("sustained", HCA, "forbidden-role", "reviewer"),
    ("withdrawn", GLOBEX, "forbidden-role", "only the protester withdraws"),
    ("withdrawn", GAO, "forbidden-role", "only the protester withdraws"),
    ("withdrawn", BUYER, "forbidden-role", "only the protester withdraws"),
    ("dismissed", SYSTEM, None, None),
    ("denied", GAO, None, None),
    ("withdrawn", ACME, None, None),
])
def test_who_decides_and_who_withdraws(world, outcome, who, code, fragment):
    tendering(world)
    file(world, "p1")
    docket(world, "p1")
    act = lambda: decide(world, "p1", outcome, who)
    if code:
        refused_unchanged(world, act, code, fragment)
        assert world.state()["protests"]["p1"]["outcome"] is None
        return
    act()
    p = world.state()["protests"]["p1"]
    assert (p["outcome"], p["decided"]) == (outcome, iso(world.clock.now))
    assert world.state()["stays"]["stay-p1"]["status"] == "lifted"


def test_sustained_needs_a_recommended_action(world):
    tendering(world)
    file(world, "p1")
    docket(world, "p1")
    for blank in ("", "   "):
        refused_unchanged(world, lambda: decide(world, "p1", "sustained", recommended_action=blank),
                          "reason-needed", "recommends corrective action")
    decide(world, "p1", "sustained", recommended_action="reevaluate price and technical factors")
    p = world.state()["protests"]["p1"]
    assert (p["outcome"], p["recommended_action"]) == ("sustained", "reevaluate price and technical factors")


@pytest.mark.parametrize("first", ["denied", "sustained", "withdrawn", "dismissed"])
def test_a_decided_protest_cannot_be_decided_again(world, first):
    tendering(world)
    file(world, "p1")
    docket(world, "p1")
    decide(world, "p1", first, ACME if first == "withdrawn" else GAO, recommended_action="reevaluate")
    for outcome, who in (("sustained", GAO), ("denied", GAO), ("withdrawn", ACME)):
        refused_unchanged(world, lambda: decide(world, "p1", outcome, who, recommended_action="x"),
                          "protest-closed", f"already {first}")
    assert world.state()["protests"]["p1"]["outcome"] == first


def test_invalid_outcome_raises_before_anything_happens(world):
    with pytest.raises(c.InvalidCommand, match="outcome"):
        c.DecideProtest(TID, "p1", "upheld", "reasoning")
    with pytest.raises(c.InvalidCommand, match="reasoning"):
        c.DecideProtest(TID, "p1", "denied", " ")


# --- start of performance ---------------------------------------------------------------------------

def test_start_of_performance_needs_a_contract(world):
    awarded(world)
    refused_unchanged(world, lambda: perform(world), "no-contract", "no signed contract")
    refused_unchanged(world, lambda: world.p.execute(c.StartPerformance(TID), SSA), "forbidden-role", "buyer")


# --- corrective action --------------------------------------------------------------------------------

def seq_of(world, event_type: str) -> int:
    return [e.envelope["seq"] for e in world.p.events(TID) if e.envelope["type"] == event_type][-1]


def test_corrective_action_refused(world):
    awarded(world)
    n = world.state()["events"]
    act = lambda who=BUYER, **kw: (lambda: world.p.execute(c.TakeCorrectiveAction(
        TID, kw.pop("kind", "reevaluate"), "remand", **kw), who))
    refused_unchanged(world, act(revisits=[0]), "not-found", "events [0]")
    refused_unchanged(world, act(revisits=[3, n + 1]), "not-found", f"events [{n + 1}]")
    refused_unchanged(world, act(factors=["tech", "security"]), "unknown-factor", "['security']")
    refused_unchanged(world, act(SSA), "forbidden-role", "buyer")
    other = Actor("other-co", "buyer")
    refused_logged(world, act(other), "not-on-panel", actor=other)
    with pytest.raises(c.InvalidCommand, match="corrective action"):
        c.TakeCorrectiveAction(TID, "start-over", "r")
    world.p.execute(c.CancelTender(TID, "requirement withdrawn"), BUYER)
    refused_unchanged(world, act(revisits=[n]), "ended", "cancelled")


@pytest.mark.parametrize("kind, back_to_evaluation", [
    ("reevaluate", True), ("new-decision", True), ("revised-proposals", True), ("amend-solicitation", False)])
def test_corrective_action_chains_to_what_it_revisits(world, kind, back_to_evaluation):
    awarded(world)
    file(world, "p1")
    award_seq = seq_of(world, "award.decided")
    world.p.execute(c.TakeCorrectiveAction(TID, kind, "GAO recommended it", [award_seq], ["tech"], "p1"), BUYER)
    s = world.state()
    ca = s["corrective_actions"][-1]
    assert (ca["kind"], ca["revisits"], ca["factors"], ca["protest"]) == (kind, [award_seq], ["tech"], "p1")
    assert ca["seq"] == s["events"]
    assert s["status"] == ("active.evaluation" if back_to_evaluation else "active.awarded")
    assert len(s["awards"]) == 1  # the earlier award stays on the record


def test_new_award_after_corrective_action_supersedes_the_old(world):
    awarded(world)
    first = world.state()["awards"][0]
    world.p.execute(c.TakeCorrectiveAction(TID, "reevaluate", "remand", [seq_of(world, "award.decided")]), BUYER)
    world.p.execute(c.RateProposal(TID, "bid-acme", "tech", "Outstanding", reason="reevaluated on remand"), EVAL)
    world.clock.advance(days=20)
    decide_award(world, "bid-acme")
    s = world.state()
    assert [a["supplier"]["id"] for a in s["awards"]] == ["globex", "acme"]
    second = s["awards"][1]
    assert second["supersedes"] == first["id"] != second["id"]
    assert first["supersedes"] is None
    assert s["status"] == "active.awarded"
    assert second["standstill_end"] is None  # us-far: no standstill, for the new award as for the first


def test_reaffirming_the_contracted_supplier_keeps_the_contract(world):
    contracted(world)
    contract = world.state()["contract"]
    world.p.execute(c.TakeCorrectiveAction(TID, "new-decision", "reconsider", [seq_of(world, "award.decided")]), BUYER)
    assert world.state()["status"] == "active.evaluation"
    assert world.state()["contract"] == contract
    world.clock.advance(days=30)
    decide_award(world, "bid-globex")
    s = world.state()
    assert s["status"] == "complete"
    assert s["contract"] == contract
    first, second = s["awards"]
    assert second["supersedes"] == first["id"]
    assert world.p.events(TID)[-1].envelope["payload"]["status"] == "complete"
    perform(world)  # performance under the standing contract
    assert world.state()["performance"] is not None
