"""The JEDI replay matches ../shared/scenarios/jedi-facts.md date by date (issue 12).

Each row of the facts' JEDI timeline is mapped here to the event(s) the replay records for it, and
the replay's log must hold each on that date. A row added to the facts fails this test until it is
mapped (or set aside below with the reason), so the replay cannot silently fall behind the record.
"""

from __future__ import annotations

import re

import pytest

from tenderproof.domain.events import EventType as E

from ..app.test_jedi import TENDER, replay
from ..conftest import SHARED

#: A fact's date (as the table writes it) -> the event types that record it on that date.
#: Approximate dates ("2019-02", "2019-04-10 (approx.)") are matched on what they give.
RECORDED_AS: dict[str, tuple[E, ...]] = {
    "2018-07-26": (E.TENDER_CREATED, E.TENDER_PUBLISHED),
    "2018-08-06": (E.PROTEST_FILED,),  # Oracle at GAO
    "2018-10": (E.BID_WITHDRAWN,),  # Google withdraws (modelled as a withdrawn proposal, illustrative)
    "2018-10-10": (E.PROTEST_FILED,),  # IBM at GAO
    "2018-10-12": (E.TENDER_TENDERING_CLOSED,),  # proposals due
    "2018-11-14": (E.PROTEST_DECIDED,),  # GAO on Oracle
    "2018-12-06": (E.PROTEST_FILED,),  # Oracle at the court; AWS intervenes on 2018-12-12 (below)
    "2018-12-11": (E.PROTEST_DECIDED,),  # GAO dismisses IBM (4 CFR 21.11(b))
    "2019-02": (E.COURT_ORDER,),  # the court stays Oracle's case
    "2019-04-10": (E.EVALUATION_COMPETITIVE_RANGE, E.INTEGRITY_INCIDENT),  # range; the CO's conflict finding
    "2019-06-11": (E.INTEGRITY_INCIDENT,),  # the IG opens its review
    "2019-07-12": (E.PROTEST_DECIDED,),  # judgment for the government against Oracle
    "2019-10-22": (E.OFFICIAL_RECUSED,),  # Esper recuses himself
    "2019-10-25": (E.AWARD_DECIDED, E.CONTRACT_SIGNED),  # the award is the contract
    "2019-11-22": (E.PROTEST_FILED, E.STAY_VOLUNTARY_HOLD),  # AWS's suit; DoD's hold to 2020-02-11
    "2020-01-17": (E.LITIGATION_MOTION_FILED,),  # the sealed motion to supplement and depose
    "2020-01-22": (E.LITIGATION_MOTION_FILED,),  # TRO / preliminary injunction
    "2020-02-10": (E.LITIGATION_PUBLIC_VERSION,),  # the redacted motion, public
    "2020-02-13": (E.COURT_ORDER, E.LITIGATION_MOTION_RULED),  # the preliminary injunction
    "2020-03-12": (E.LITIGATION_MOTION_FILED,),  # DoD asks for a voluntary remand
    "2020-04-15": (E.INTEGRITY_INCIDENT,),  # DODIG-2020-079
    "2020-04-17": (E.COURT_ORDER, E.LITIGATION_MOTION_RULED),  # remand granted
    "2020-09-04": (E.AWARD_DECIDED,),  # Microsoft re-affirmed
    "2020-09-02": (E.LITIGATION_APPEAL_DECIDED,),  # the Federal Circuit affirms against Oracle
    "2021-04-28": (E.LITIGATION_MOTION_RULED,),  # the bias claims survive
    "2021-07-06": (E.TENDER_CANCELLED,),
    "2021-07-09": (E.PROTEST_DECIDED,),  # dismissed as moot
    "2021-10-04": (E.LITIGATION_APPEAL_DECIDED,),  # certiorari denied
}
#: Facts inside a row's text, with their own dates.
ALSO: dict[str, tuple[E, ...]] = {"2018-12-12": (E.LITIGATION_INTERVENED,)}  # AWS joins Oracle's case
#: Rows the JEDI replay does not hold, and why.
ELSEWHERE = {"2022-12-07": "JWCC's awards are another procurement (issue 14's scenario)"}


def _timeline() -> list[str]:
    facts = SHARED / "scenarios" / "jedi-facts.md"
    if not facts.exists():
        pytest.fail(f"the facts are missing: {facts} (expected ../shared beside the project)")
    text = facts.read_text().split("## JEDI timeline", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (\d{4}-\d{2}(?:-\d{2})?)", text, re.M)


def test_every_row_of_the_facts_is_mapped():
    dates = _timeline()
    assert len(dates) >= 25, dates
    unmapped = [d for d in dates if d not in RECORDED_AS and d not in ELSEWHERE]
    assert not unmapped, f"facts the replay does not map yet: {unmapped}"


def test_the_replay_records_each_fact_on_its_date(settings):
    p, _ = replay(settings)
    logged: dict[str, set[str]] = {}
    for e in p.events(TENDER):
        day = e.envelope["time"][:10]
        for key in (day, day[:7]):
            logged.setdefault(key, set()).add(e.envelope["type"])
    missing = [(date, t.value) for date, types in (RECORDED_AS | ALSO).items() for t in types
               if t.value not in logged.get(date, set())]
    assert not missing, f"facts not in the replay on their dates: {missing}"
