"""The domain's time rules at their exact edges, with the clock injected into `decide`.

The app tests drive the same rules through the writer and the database (tests/app/test_refusals.py,
test_deadlines.py); here each is one `decide` call a second either side of its edge:
- no bid or withdrawal at or after the deadline; the attempt refused and logged (FAR 15.208(a));
- enquiries close at the end of the enquiry period;
- deadline events fire only once due, stamped `at` the deadline whenever the worker runs;
- comments on an agency report are due by 5:30 p.m. Eastern of the tenth day (4 CFR 21.3(i),
  21.0(g)), dismissal after;
- no standstill under us-far: the contract may be signed at the award (the GAO and EU edges are in
  test_gao_rules.py, test_eu_remedies.py);
- a protest of the solicitation's terms is due before the closing time (strict), others within
  10 days (inclusive of the tenth day's 5:30 p.m. Eastern);
- a refused command decides no event, and an unlogged refusal leaves the state as it was.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from tenderproof.domain import Actor, Refused, decide
from tenderproof.domain import commands as c
from tenderproof.domain.calendar import EASTERN
from tenderproof.domain.events import EventType
from tenderproof.domain.model import iso, parse_time

from .lifecycle import (
    BUYER,
    ENQUIRY_END,
    REVIEWER,
    SYSTEM,
    T0,
    TENDER_END,
    Tender,
    bid_cmd,
    snapshot,
    to_stage,
    withdrawal_key,
)

SECOND = timedelta(seconds=1)
ACME, BETA = Actor("acme", "bidder"), Actor("beta", "bidder")


def published() -> Tender:
    tender = Tender()
    to_stage(tender, 1)
    return tender


def refused(tender: Tender, cmd: c.Command, actor: Actor, now, code: str, *, logged: bool) -> Refused:
    with pytest.raises(Refused) as ei:
        decide(tender.state, cmd, actor, now)
    assert (ei.value.code, ei.value.logged) == (code, logged), ei.value.reason
    return ei.value


def test_a_bid_one_second_before_the_deadline_is_accepted():
    tender = published()
    (event,) = decide(tender.state, bid_cmd("T-1", "b1", "acme"), ACME, TENDER_END - SECOND)
    assert event.type == EventType.BID_SUBMITTED and event.at is None  # stamped with the clock


def test_a_bid_at_the_deadline_is_late_and_its_attempt_logged():
    tender = published()
    r = refused(tender, bid_cmd("T-1", "b1", "acme"), ACME, TENDER_END, "late-bid", logged=True)
    assert iso(TENDER_END) in r.reason
    before = tender.state
    (env,) = tender.do(bid_cmd("T-1", "b1", "acme"), ACME, TENDER_END)
    assert (env["type"], env["payload"]["code"], env["time"]) == (EventType.COMMAND_REFUSED, "late-bid", iso(TENDER_END))
    assert "b1" not in tender.state["bids"] and tender.state["bids_live"] == 0
    assert [r["code"] for r in tender.state["refusals"].values()] == ["late-bid"]
    assert tender.state["events"] == before["events"] + 1


def test_a_withdrawal_is_accepted_until_the_deadline_and_late_at_it():
    tender = published()
    tender.do(bid_cmd("T-1", "b1", "acme"), ACME, T0 + timedelta(days=1))
    withdraw = c.WithdrawBid("T-1", bid_id="b1", withdrawal_key=withdrawal_key("b1"))
    refused(tender, withdraw, ACME, TENDER_END, "late-withdrawal", logged=True)
    (event,) = decide(tender.state, withdraw, ACME, TENDER_END - SECOND)
    assert event.type == EventType.BID_WITHDRAWN


def test_enquiries_are_taken_until_the_end_of_the_enquiry_period():
    tender = published()
    ask = c.AskQuestion("T-1", enquiry_id="q1", question="Which regions?")
    assert [e.type for e in decide(tender.state, ask, ACME, ENQUIRY_END - SECOND)] == [EventType.ENQUIRY_ASKED]
    refused(tender, ask, ACME, ENQUIRY_END, "enquiries-closed", logged=False)


@pytest.mark.parametrize(("cmd", "deadline", "bids", "etype"), [
    (c.CloseEnquiries("T-1"), ENQUIRY_END, 0, EventType.TENDER_ENQUIRIES_CLOSED),
    (c.CloseTendering("T-1"), TENDER_END, 1, EventType.TENDER_TENDERING_CLOSED),
    (c.CloseTendering("T-1"), TENDER_END, 0, EventType.TENDER_UNSUCCESSFUL),
])
def test_a_deadline_fires_once_due_and_is_stamped_with_the_deadline(cmd, deadline, bids, etype):
    tender = published()
    if bids:
        tender.do(bid_cmd("T-1", "b1", "acme"), ACME, T0 + timedelta(days=1))
    refused(tender, cmd, SYSTEM, deadline - SECOND, "too-early", logged=False)
    for late in (timedelta(0), timedelta(days=3)):  # the worker ran on time, or long after
        (event,) = decide(tender.state, cmd, SYSTEM, deadline + late)
        assert (event.type, event.at) == (etype, deadline)
    (env,) = tender.do(cmd, SYSTEM, deadline + timedelta(days=3))
    assert env["time"] == iso(deadline) == tender.state["last_event"]


def gao_protest_with_report(now) -> tuple[Tender, str]:
    """An awarded tender (to Beta), a GAO protest by Acme, docketed, the agency's report filed at `now`."""
    tender = Tender()
    to_stage(tender, 4)
    tender.do(c.FileProtest("T-1", protest_id="p1", forum="gao", grounds="Misread price."), ACME, now)
    tender.do(c.DocketProtest("T-1", protest_id="p1"), REVIEWER, now)
    tender.do(c.FileAgencyReport("T-1", protest_id="p1", summary="No merit."), BUYER, now)
    return tender, tender.state["protests"]["p1"]["comments_due"]


def test_comments_are_due_by_the_tenth_days_close_of_gao_then_the_protest_lapses():
    now = TENDER_END + timedelta(days=3)
    tender, due_text = gao_protest_with_report(now)
    due = parse_time(due_text).astimezone(EASTERN)
    assert due.date() >= (now + timedelta(days=10)).date() and (due.hour, due.minute, due.second) == (17, 30, 0)
    comments = c.FileComments("T-1", protest_id="p1", summary="It has merit.")
    assert [e.type for e in decide(tender.state, comments, ACME, due)] == [EventType.PROTEST_COMMENTS]
    refused(tender, comments, ACME, due + SECOND, "late-comments", logged=True)
    lapse = c.LapseProtest("T-1", protest_id="p1")
    refused(tender, lapse, SYSTEM, due, "too-early", logged=False)
    (event,) = decide(tender.state, lapse, SYSTEM, due + timedelta(days=2))
    assert (event.type, event.payload["outcome"], event.at) == (EventType.PROTEST_DECIDED, "dismissed", due)


def test_no_us_standstill_the_contract_is_signed_at_the_award():
    """31 U.S.C. 3553(d) suspends performance, not signature: the award is the contract."""
    tender = Tender()
    now = to_stage(tender, 4)
    award = tender.state["awards"][-1]
    assert award["standstill_end"] is None and "3553(d)" in award["standstill_basis"]
    assert "standstill_end" not in tender.state["periods"]
    sign = c.SignContract("T-1", contract_id="k-1", value={"amount": "900", "currency": "USD"})
    assert [e.type for e in decide(tender.state, sign, BUYER, now)] == [EventType.CONTRACT_SIGNED]


@pytest.mark.parametrize(("offset", "timely"), [(-SECOND, True), (timedelta(0), False)])
def test_a_protest_of_the_terms_is_due_before_the_closing_time(offset, timely):
    tender = published()
    terms = c.FileProtest("T-1", protest_id="p1", forum="gao", grounds="Restrictive.", solicitation_terms=True)
    (event,) = decide(tender.state, terms, ACME, TENDER_END + offset)
    assert (event.payload["timely"], event.payload["due"]) == (timely, iso(TENDER_END))


@pytest.mark.parametrize(("offset", "timely"), [(timedelta(0), True), (SECOND, False)])
def test_a_protest_is_due_within_ten_days_of_its_basis_the_tenth_day_included(offset, timely):
    tender = published()
    known = T0 + timedelta(days=2)
    filed = c.FileProtest("T-1", protest_id="p1", forum="gao", grounds="Unequal treatment.", basis_known=known)
    (probe,) = decide(tender.state, filed, ACME, known)
    due = parse_time(probe.payload["due"])
    assert (due - known).days >= 10 and due.astimezone(EASTERN).time() == time(17, 30)
    (event,) = decide(tender.state, filed, ACME, due + offset)
    assert event.payload["timely"] is timely


@pytest.mark.parametrize(("cmd", "actor", "code"), [
    (bid_cmd("T-1", "b1", "acme"), BUYER, "forbidden-role"),
    (c.AnswerQuestion("T-1", enquiry_id="q9", answer="None."), BUYER, "not-found"),
    (c.WithdrawBid("T-1", bid_id="b1", withdrawal_key="not-the-key"), ACME, "not-found"),
    (c.CloseTendering("T-1"), SYSTEM, "too-early"),
    (c.SubmitShare("T-1"), Actor("oo-1", "opening_official"), "too-early"),  # logged
    (c.PublishTender("T-1", opening={}), BUYER, "wrong-status"),
])
def test_a_refused_command_decides_no_event(cmd, actor, code):
    tender = published()
    tender.do(bid_cmd("T-1", "b1", "acme"), ACME, T0 + timedelta(days=1))
    before, envelopes = snapshot(tender.state), list(tender.envelopes)
    now = T0 + timedelta(days=2)
    with pytest.raises(Refused) as ei:
        decide(tender.state, cmd, actor, now)
    assert ei.value.code == code
    if not ei.value.logged:
        with pytest.raises(Refused):
            tender.do(cmd, actor, now)
        assert tender.envelopes == envelopes and snapshot(tender.state) == before
