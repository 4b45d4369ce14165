"""The JWCC replay (issue 14): `tenderproof scenario run jwcc` continues JEDI with a multiple-award
vehicle, its task orders and its ceiling, and matches ../shared/scenarios/jedi-facts.md ("JWCC")
date by date.

Each row of the facts' JWCC table is mapped here to what the replay records for it, and the log
must hold it on that date; a row added to the facts fails until it is mapped (or set aside with
the reason). The running total is re-added from the order.placed events alone.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tenderproof.app.service import Procurement
from tenderproof.domain.events import EventType as E
from tenderproof.instance import Settings, init
from tenderproof.scenario.runner import Clock, Runner, Scenario, ScenarioError

from ..conftest import PG_ENV, SHARED, _pg_schema_url
from ..test_cli import run

VEHICLE = "JWCC"
JEDI = "HQ0034-18-R-0077"
COMPETITIONS = [f"JWCC-TO-{n}" for n in range(1, 9)]
FOUR = {"aws", "google", "microsoft", "oracle"}
CEILING = Decimal(9_000_000_000)

#: A fact's date (as the table writes it, "by 2025-03" as its month) -> the vehicle's events that
#: record it on that date.
RECORDED_AS: dict[str, tuple[E, ...]] = {
    "2021-11-19": (E.TENDER_CREATED, E.TENDER_PUBLISHED),  # the solicitation to the four
    "2022-12-07": (E.VEHICLE_AWARDED,),  # awards to all four
    "2023-03-24": (E.ORDER_PLACED,),  # the four sandbox orders (checked one by one below)
    "2025-03": (E.ORDER_PLACED,),  # the order that brings the total to about $2.3B
}
#: Rows the JWCC replay does not hold, and why.
ELSEWHERE = {"2021-07-06": "DoD's announcement is JEDI's cancellation: the jedi replay (test_jedi_facts.py)"}


def _jwcc_rows() -> list[str]:
    facts = SHARED / "scenarios" / "jedi-facts.md"
    if not facts.exists():
        pytest.fail(f"the facts are missing: {facts} (expected ../shared beside the project)")
    text = facts.read_text().split("## JWCC", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (?:by )?(\d{4}-\d{2}(?:-\d{2})?)", text, re.M)


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """JEDI then JWCC replayed from the command line into one installation, as the docs say."""
    base = os.environ.get(PG_ENV)
    d = tmp_path_factory.mktemp("jwcc") / "data"
    engine = schema = None
    if base:
        engine, schema, url = _pg_schema_url(base)
    else:
        url = f"sqlite:///{d / 'tenderproof.db'}"
    outs = [run("scenario", "run", name, "--data-dir", d, "--db", url)[1] for name in ("jedi", "jwcc")]
    s = Settings(d, url)
    p = Procurement(init(s), s.data_dir)
    yield p, outs[1]
    p.db.dispose()
    if engine is not None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


def _orders(p: Procurement) -> list[dict]:
    return [e.envelope for e in p.events(VEHICLE) if e.envelope["type"] == E.ORDER_PLACED]


def test_every_row_of_the_facts_is_mapped():
    dates = _jwcc_rows()
    assert len(dates) >= 5, dates
    unmapped = [d for d in dates if d not in RECORDED_AS and d not in ELSEWHERE]
    assert not unmapped, f"facts the replay does not map yet: {unmapped}"


def test_the_replay_records_each_fact_on_its_date(installation):
    p, _ = installation
    logged: dict[str, set[str]] = {}
    for e in p.events(VEHICLE):
        day = e.envelope["time"][:10]
        for key in (day, day[:7]):
            logged.setdefault(key, set()).add(e.envelope["type"])
    missing = [(date, t.value) for date, types in RECORDED_AS.items() for t in types
               if t.value not in logged.get(date, set())]
    assert not missing, f"facts not in the replay on their dates: {missing}"
    # 2023-03-24: one order to each of the four, about $3.8M each, each competed among them.
    sandbox = [o["payload"] for o in _orders(p) if o["time"].startswith("2023-03-24")]
    assert sorted(o["party"]["id"] for o in sandbox) == sorted(FOUR)
    assert all(Decimal(3_700_000) <= Decimal(o["value"]["amount"]) <= Decimal(3_900_000) for o in sandbox)
    assert all(o["basis"] == "fair-opportunity" and o["competition"] for o in sandbox)
    # By 2025-03: about $2.3B across the four.
    by_march = [o["payload"] for o in _orders(p) if o["time"] < "2025-04"]
    assert Decimal(2_200_000_000) <= Decimal(by_march[-1]["ordered_after"]) <= Decimal(2_400_000_000)
    assert {o["party"]["id"] for o in by_march} == FOUR


def test_the_solicitation_goes_to_the_four_and_follows_jedi(installation):
    p, _ = installation
    state = p.state(VEHICLE)
    assert state["invited"] == ["aws", "google", "microsoft", "oracle"]
    assert state["related"][0] == {"id": JEDI, "relationship": "prior",
                                   "title": "Joint Enterprise Defense Infrastructure (JEDI) Cloud, cancelled 2021-07-06"}
    assert p.state(JEDI)["status"] == "cancelled"  # the prior process, on the same log
    v = state["vehicle"]
    assert (v["kind"], v["awardees"], v["ceiling"], v["ceiling_scope"], v["agency"]) == (
        "idiq", 4, {"amount": "9000000000", "currency": "USD"}, "shared", "defense")
    refused = [r for r in state["refusals"] if r["command"] == "SubmitBid"]
    assert [r["code"] for r in refused] == ["not-invited"]  # IBM (illustrative)
    assert any("IBM" in x for x in state["illustrative"])


def test_the_vehicle_has_its_four_parties_and_an_option_exercised(installation):
    p, _ = installation
    v = p.state(VEHICLE)["vehicle"]
    assert {x["id"] for x in v["parties"]} == FOUR and len(v["parties"]) == 4
    assert v["awarded"].startswith("2022-12-07")
    assert [o["id"] for o in v["options"] if o["exercised"]] == ["option-1"]
    assert v["ordering_end"] == "2026-12-06T23:59:59Z"


def test_the_running_total_is_the_sum_of_the_orders_and_stays_under_the_ceiling(installation):
    p, _ = installation
    parties = {x["id"] for x in p.state(VEHICLE)["vehicle"]["parties"]}
    total, per_party = Decimal(0), dict.fromkeys(parties, Decimal(0))
    orders = _orders(p)
    assert len(orders) == 8
    for e in orders:
        o = e["payload"]
        amount = Decimal(o["value"]["amount"])
        assert Decimal(o["ordered_before"]) == total
        total += amount
        per_party[o["party"]["id"]] += amount  # KeyError: an order to a non-party
        assert Decimal(o["ordered_after"]) == total <= CEILING
        assert Decimal(o["party_after"]) == per_party[o["party"]["id"]]
        # Each order is its competition's award: the same party and value.
        award = p.state(o["competition"])["awards"][-1]
        assert (award["supplier"]["id"], award["value"]) == (o["party"]["id"], o["value"])
    v = p.state(VEHICLE)["vehicle"]
    assert Decimal(v["ordered"]) == total == Decimal(2_300_000_000)
    assert {k: Decimal(x) for k, x in v["party_totals"].items()} == per_party
    assert sorted(o["payload"]["competition"] for o in orders) == sorted(COMPETITIONS)


def test_each_competition_is_a_process_of_its_own_under_the_vehicle(installation):
    p, _ = installation
    for tid in COMPETITIONS:
        state = p.state(tid)
        assert state["order_under"] == {"vehicle": VEHICLE, "kind": "idiq", "agency": "defense"}
        assert state["invited"] == ["aws", "google", "microsoft", "oracle"]  # every party a fair opportunity
        assert {"id": VEHICLE, "relationship": "framework"} in state["related"]
        assert state["illustrative"] and state["status"] == "active.awarded"


def test_the_refused_steps_print_their_rule_and_citation(installation):
    p, out = installation
    lines = [line for line in out.splitlines() if line.startswith("as expected")]
    assert len(lines) == 4, out
    expected = [("bid at 2021-12-06T15:00:00Z by ibm", "not-invited", "FAR 6.302"),
                ("place_order at 2025-04-14T15:00:00Z by disa-co", "fair-opportunity", "FAR 16.505(b)(1)(i)"),
                ("place_order at 2025-04-15T15:00:00Z by disa-co", "not-a-party", "FAR 16.505(a)(2)"),
                ("place_order at 2025-04-16T15:00:00Z by disa-co", "over-ceiling", "FAR 16.504(a)(1)")]
    for line, (step, code, citation) in zip(lines, expected, strict=True):
        assert step in line and f"refused: {code}: " in line and citation in line, line
    assert "would bring the orders to 9300000000, over vehicle JWCC's ceiling of 9000000000 USD" in lines[3]
    # Each refusal is on the vehicle's log, the ceiling untouched by it.
    codes = [e.envelope["payload"]["code"] for e in p.events(VEHICLE) if e.envelope["type"] == E.COMMAND_REFUSED]
    assert codes == ["not-invited", "fair-opportunity", "not-a-party", "over-ceiling"]
    assert f"tender {VEHICLE}: complete" in out
    for tid in COMPETITIONS:
        assert f"tender {tid}: active.awarded" in out


def test_jwcc_replays_alone(settings):
    """The related JEDI tender is a reference by id: JWCC needs no JEDI on the log."""
    clock = Clock()
    p = Procurement(init(settings), settings.data_dir, clock)
    report = Runner(p, clock, settings.data_dir / "keys").run(Scenario.load("jwcc"))
    assert [r.split(" refused: ")[1].split(":")[0] for r in report.refusals] == [
        "not-invited", "fair-opportunity", "not-a-party", "over-ceiling"]
    assert p.state(JEDI) is None and p.state(VEHICLE)["vehicle"]["ordered"] == "2300000000"


def test_a_vehicle_time_that_is_not_a_time_is_one_line_naming_the_step(settings, tmp_path: Path):
    scenario = Scenario.load("jwcc")  # the real solicitation, with its ordering period's end broken
    create = dict(scenario.steps[0], args=dict(scenario.steps[0]["args"]))
    create["args"]["vehicle"] = dict(create["args"]["vehicle"], ordering_end="end of 2025")
    scenario.steps = [create]
    clock = Clock()
    p = Procurement(init(settings), settings.data_dir, clock)
    with pytest.raises(ScenarioError, match=r"^step 1 \(create at 2021-11-19T15:00:00Z by whs-co\): bad arguments: "):
        Runner(p, clock, tmp_path / "keys").run(scenario)
