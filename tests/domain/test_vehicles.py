"""Contract vehicles at their edges: the multiple award, the ordering period and its options, fair
opportunity and its exceptions, the ceiling, and the task-order protest bar (FAR 16.504-16.505,
10 U.S.C. 3406(f), 41 U.S.C. 4106(f); 2014/24/EU art. 33)."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.domain import Refused
from tenderproof.domain import commands as c
from tenderproof.domain.commands.base import InvalidCommand
from tenderproof.domain.events import EventType

from .lifecycle import BUYER, SSA, T0, Tender, create_cmd, replay, snapshot
from .vehicles_life import (
    ACME,
    BETA,
    GAMMA,
    ORDERING_END,
    awarded_vehicle,
    order_competition,
    terms,
    vehicle_cmd,
)

USD = "USD"


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": USD}


def exception_order(vid: str, oid: str, amount: str, party: str = "beta", exception: str = "urgency",
                    justification: str = "Outage.") -> c.PlaceOrder:
    return c.PlaceOrder(vid, order_id=oid, description="Capacity.", party=party, value=money(amount),
                        exception=exception, justification=justification)


def refused(t: Tender, cmd: c.Command, now: datetime, related: Tender | None = None) -> str:
    """The code of a refusal: logged (a command.refused on the log) or raised."""
    try:
        envs = t.do(cmd, BUYER if not isinstance(cmd, c.AwardVehicle) else SSA, now, related)
    except Refused as r:
        return r.code
    assert envs[-1]["type"] == EventType.COMMAND_REFUSED, envs
    return str(envs[-1]["payload"]["code"])


def test_the_multiple_award_names_each_party_and_completes_the_vehicle():
    v, _ = awarded_vehicle()
    parties = v.state["vehicle"]["parties"]
    assert [(p["id"], p["bid"]) for p in parties] == [("beta", "b1"), ("acme", "b2")]
    assert v.state["status"] == "complete"
    assert v.state["vehicle"]["ordered"] == "0"


def test_more_awards_than_the_solicitation_allows_are_refused():
    v = Tender("V-1")
    v.do(vehicle_cmd(awardees=1), BUYER, T0)
    from .vehicles_life import run_competition
    now = run_competition(v, T0 + timedelta(hours=1), [("b1", BETA, "900"), ("b2", ACME, "950")], "", "")
    assert refused(v, c.AwardVehicle(v.id, bids=["b1", "b2"], rationale="Both."), now) == "too-many-awardees"
    # awarding the second-ranked alone departs from the ranking: it needs a reason (FAR 15.308)
    assert refused(v, c.AwardVehicle(v.id, bids=["b2"], rationale="Acme."), now) == "departure-unexplained"
    v.do(c.AwardVehicle(v.id, bids=["b1"], rationale="Beta."), SSA, now)
    assert refused(v, c.AwardVehicle(v.id, bids=["b1"], rationale="Again."), now) == "wrong-status"


def test_a_tender_without_vehicle_terms_takes_no_orders_or_multiple_award():
    t = Tender("T-1")
    t.do(create_cmd("T-1"), BUYER, T0)
    assert refused(t, exception_order("T-1", "o1", "100"), T0) == "not-a-vehicle"


def test_an_order_competition_invites_every_party_and_refuses_anyone_else():
    v, now = awarded_vehicle()
    t = Tender("TO-1")
    cmd = dataclasses.replace(create_cmd("TO-1", enquiry_end=None, tender_end=now + timedelta(days=10)),
                              order_under=v.id)
    t.do(cmd, BUYER, now, related=v)
    assert t.state["invited"] == ["beta", "acme"]
    assert t.state["order_under"] == {"vehicle": "V-1", "kind": "idiq", "agency": "defense"}
    assert t.state["related"] == [{"id": "V-1", "relationship": "framework"}]
    from .lifecycle import bid_cmd, publish_cmd
    t.do(publish_cmd("TO-1"), BUYER, now)
    envs = t.do(bid_cmd("TO-1", "x1", "gamma"), GAMMA, now + timedelta(hours=1))
    assert envs[-1]["payload"]["code"] == "not-invited"
    assert t.do(bid_cmd("TO-1", "x2", "beta"), BETA, now + timedelta(hours=1))[-1]["type"] == EventType.BID_SUBMITTED


def test_an_order_competition_needs_an_awarded_vehicle_its_officer_and_its_ordering_period():
    v = Tender("V-1")
    v.do(vehicle_cmd(), BUYER, T0)
    cmd = dataclasses.replace(create_cmd("TO-1", enquiry_end=None, tender_end=T0 + timedelta(days=10)),
                              order_under="V-1")
    assert refused(Tender("TO-1"), cmd, T0, v) == "not-awarded"
    assert refused(Tender("TO-1"), cmd, T0, None) == "not-found"
    v, now = awarded_vehicle()
    late = dataclasses.replace(cmd, tender_end=ORDERING_END + timedelta(days=30))
    assert refused(Tender("TO-1"), late, ORDERING_END + timedelta(seconds=1), v) == "ordering-period-over"


def test_an_order_from_a_competition_takes_its_award_and_carries_the_running_total():
    v, now = awarded_vehicle()
    t, now = order_competition(v, "TO-1", now, "50000")
    envs = v.do(c.PlaceOrder(v.id, order_id="TO-1", description="Sandbox.", competition="TO-1"), BUYER, now, t)
    p = envs[-1]["payload"]
    assert envs[-1]["type"] == EventType.ORDER_PLACED
    assert (p["party"]["id"], p["value"], p["basis"]) == ("beta", money("50000"), "fair-opportunity")
    assert (p["ordered_before"], p["ordered_after"], p["party_after"]) == ("0", "50000", "50000")
    assert v.state["vehicle"]["ordered"] == "50000" and v.state["orders"]["TO-1"]["competition"] == "TO-1"
    # the same competition cannot give a second order
    again = c.PlaceOrder(v.id, order_id="TO-1b", description="Again.", competition="TO-1")
    assert refused(v, again, now, t) == "exists"


def test_a_competition_under_another_vehicle_or_unawarded_gives_no_order():
    v, now = awarded_vehicle()
    other = Tender("T-9")
    other.do(create_cmd("T-9"), BUYER, T0)
    cmd = c.PlaceOrder(v.id, order_id="o", description="X.", competition="T-9")
    assert refused(v, cmd, now, other) == "not-under-vehicle"
    t = Tender("TO-2")
    t.do(dataclasses.replace(create_cmd("TO-2", enquiry_end=None, tender_end=now + timedelta(days=10)),
                             order_under=v.id), BUYER, now, related=v)
    assert refused(v, dataclasses.replace(cmd, competition="TO-2"), now, t) == "not-awarded"


@pytest.mark.parametrize(("when", "amount", "code"), [
    (datetime(2025, 9, 30, 12, tzinfo=UTC), "10000", None),  # at the old micro-purchase threshold
    (datetime(2025, 9, 30, 12, tzinfo=UTC), "10000.01", "fair-opportunity"),
    (datetime(2025, 10, 1, 12, tzinfo=UTC), "15000", None),  # FAC 2025-06 from 2025-10-01
    (datetime(2025, 10, 1, 12, tzinfo=UTC), "15000.01", "fair-opportunity"),
])
def test_fair_opportunity_is_for_orders_above_the_micro_purchase_threshold(when, amount, code):
    v = Tender("V-1")
    v.do(dataclasses.replace(vehicle_cmd(ordering_end=when + timedelta(days=30)),
                             tender_end=when - timedelta(days=20)), BUYER, when - timedelta(days=40))
    from .vehicles_life import run_competition
    now = run_competition(v, when - timedelta(days=39), [("b1", BETA, "900"), ("b2", ACME, "950")], "", "")
    v.do(c.AwardVehicle(v.id, bids=["b1", "b2"], rationale="Both."), SSA, now)
    cmd = c.PlaceOrder(v.id, order_id="o1", description="Small.", party="beta", value=money(amount))
    if code is None:
        assert v.do(cmd, BUYER, when)[-1]["payload"]["basis"] == "micro-purchase"
    else:
        assert refused(v, cmd, when) == code


def test_an_exception_needs_its_justification_and_is_posted_above_the_threshold():
    with pytest.raises(InvalidCommand, match="justification"):
        exception_order("V-1", "o1", "100000", justification=" ")
    with pytest.raises(InvalidCommand, match="exception"):
        exception_order("V-1", "o1", "100000", exception="convenience")
    v, now = awarded_vehicle()
    at = v.do(exception_order(v.id, "o1", "350000"), BUYER, now)[-1]  # 2030: SAT $350,000, not above it
    assert at["payload"]["posted"] is False and at["payload"]["justification"] is None
    assert at["confidential"] == {"justification": "Outage."}
    above = v.do(exception_order(v.id, "o2", "350000.01"), BUYER, now)[-1]
    assert above["payload"]["posted"] is True and above["payload"]["justification"] == "Outage."


def test_the_minimum_guarantee_exception_covers_only_what_is_owed():
    v, now = awarded_vehicle()  # minimum 20,000 each
    assert refused(v, exception_order(v.id, "o1", "20000.01", exception="minimum-guarantee"), now) == "bad-exception"
    v.do(exception_order(v.id, "o1", "15000", exception="minimum-guarantee"), BUYER, now)
    assert refused(v, exception_order(v.id, "o2", "5000.01", exception="minimum-guarantee"), now) == "bad-exception"
    assert v.do(exception_order(v.id, "o2", "5000", exception="minimum-guarantee"), BUYER, now)[-1]["type"] == \
        EventType.ORDER_PLACED


def test_an_order_to_a_non_party_is_refused_and_logged():
    v, now = awarded_vehicle()
    envs = v.do(exception_order(v.id, "o1", "100000", party="gamma"), BUYER, now)
    assert envs[-1]["type"] == EventType.COMMAND_REFUSED and envs[-1]["payload"]["code"] == "not-a-party"
    assert "o1" not in v.state["orders"]


def test_the_shared_ceiling_admits_the_last_cent_and_refuses_one_more():
    v, now = awarded_vehicle()  # ceiling 1,000,000 shared
    v.do(exception_order(v.id, "o1", "600000"), BUYER, now)
    assert refused(v, exception_order(v.id, "o2", "400000.01", party="acme"), now) == "over-ceiling"
    v.do(exception_order(v.id, "o2", "400000", party="acme"), BUYER, now)
    assert v.state["vehicle"]["ordered"] == "1000000"
    assert refused(v, exception_order(v.id, "o3", "0.01"), now) == "over-ceiling"


def test_a_per_awardee_ceiling_binds_each_party_alone():
    v, now = awarded_vehicle(ceiling_scope="per-awardee")
    v.do(exception_order(v.id, "o1", "1000000"), BUYER, now)
    v.do(exception_order(v.id, "o2", "1000000", party="acme"), BUYER, now)  # acme has its own ceiling
    assert refused(v, exception_order(v.id, "o3", "0.01"), now) == "over-ceiling"


def test_orders_stop_at_the_ordering_period_and_an_exercised_option_extends_it():
    v, _ = awarded_vehicle()
    v.do(exception_order(v.id, "o1", "1000"), BUYER, ORDERING_END)  # its last moment
    assert refused(v, exception_order(v.id, "o2", "1000"), ORDERING_END + timedelta(seconds=1)) == \
        "ordering-period-over"
    assert refused(v, c.ExerciseOption(v.id, option_id="option-1"), ORDERING_END + timedelta(seconds=1)) == \
        "ordering-period-over"
    v.do(c.ExerciseOption(v.id, option_id="option-1"), BUYER, ORDERING_END)
    v.do(exception_order(v.id, "o2", "1000"), BUYER, ORDERING_END + timedelta(days=1))
    assert refused(v, c.ExerciseOption(v.id, option_id="option-1"), ORDERING_END) == "option-order"
    assert refused(v, c.ExerciseOption(v.id, option_id="option-9"), ORDERING_END) == "not-found"


def test_vehicle_terms_are_checked_when_the_command_is_made():
    for bad, match in [({"ceiling": {"amount": "0", "currency": USD}}, "more than zero"),
                       ({"kind": "bpa"}, "vehicle kind"),
                       ({"call_off": "direct"}, "framework's"),
                       ({"minimum": {"amount": "1", "currency": "EUR"}}, "currency"),
                       ({"options": [{"id": "o", "period_end": ORDERING_END}]}, "after the period"),
                       ({"awardees": 0}, "awardees")]:
        with pytest.raises(InvalidCommand, match=match):
            vehicle_cmd(**bad)
    with pytest.raises(InvalidCommand, match="either awards a vehicle"):
        dataclasses.replace(vehicle_cmd(), order_under="V-0")


def framework(call_off: str) -> tuple[Tender, datetime]:
    return awarded_vehicle(kind="framework", call_off=call_off)


def test_a_framework_calls_off_directly_or_by_mini_competition_as_its_terms_say():
    v, now = framework("mini-competition")
    direct = c.PlaceOrder(v.id, order_id="d1", description="X.", party="beta", value=money("1000"))
    assert refused(v, direct, now) == "call-off-terms"
    assert refused(v, exception_order(v.id, "d2", "1000"), now) == "bad-exception"
    v, now = framework("direct")
    assert v.do(direct, BUYER, now)[-1]["payload"]["basis"] == "direct"
    cmd = dataclasses.replace(create_cmd("TO-1", enquiry_end=None, tender_end=now + timedelta(days=10)),
                              order_under=v.id)
    assert refused(Tender("TO-1"), cmd, now, v) == "call-off-terms"


# The task-order protest bar: $35M for DoD from 2024-12-23, $25M before; $10M civilian.
@pytest.mark.parametrize(("agency", "value", "filed", "forum", "code"), [
    ("defense", "35000000", datetime(2030, 6, 1, tzinfo=UTC), "gao", "task-order-bar"),
    ("defense", "35000000.01", datetime(2030, 6, 1, tzinfo=UTC), "gao", None),
    ("defense", "35000000.01", datetime(2030, 6, 1, tzinfo=UTC), "cofc", "task-order-bar"),
    ("defense", "35000000.01", datetime(2030, 6, 1, tzinfo=UTC), "agency", "task-order-bar"),
    ("civilian", "10000000", datetime(2030, 6, 1, tzinfo=UTC), "gao", "task-order-bar"),
    ("civilian", "10000000.01", datetime(2030, 6, 1, tzinfo=UTC), "gao", None),
])
def test_task_order_protests_above_the_threshold_go_to_gao_alone(agency, value, filed, forum, code):
    from tenderproof.domain.task_orders import refuse_if_order_bar
    state = {"id": "TO-1", "order_under": {"vehicle": "V-1", "kind": "idiq", "agency": agency},
             "awards": [{"value": money(value)}], "value": None}
    cmd = c.FileProtest("TO-1", protest_id="p1", forum=forum, grounds="Misevaluated.")
    if code is None:
        refuse_if_order_bar(state, cmd, filed)  # type: ignore[arg-type]
    else:
        with pytest.raises(Refused) as r:
            refuse_if_order_bar(state, cmd, filed)  # type: ignore[arg-type]
        assert r.value.code == code


@pytest.mark.parametrize(("filed", "threshold"), [
    (datetime(2024, 12, 23, 4, 59, tzinfo=UTC), Decimal(25_000_000)),  # 2024-12-22, 11:59 p.m. Eastern
    (datetime(2024, 12, 23, 5, tzinfo=UTC), Decimal(35_000_000)),  # the NDAA signed 2024-12-23
    (datetime(2016, 12, 23, 4, 59, tzinfo=UTC), Decimal(10_000_000)),
    (datetime(2016, 12, 23, 5, tzinfo=UTC), Decimal(25_000_000)),
])
def test_the_defense_threshold_is_the_one_in_force_when_the_protest_is_filed(filed, threshold):
    from tenderproof.domain.task_orders import order_protest_threshold
    assert order_protest_threshold("defense", filed)[0] == threshold


def test_an_order_alleged_to_exceed_the_vehicle_is_heard_whatever_its_value():
    v, now = awarded_vehicle()
    t, now = order_competition(v, "TO-1", now, "50000")
    ok = t.do(c.FileProtest("TO-1", protest_id="p1", forum="gao", grounds="Beyond scope.", out_of_scope=True),
              ACME, now)
    assert ok[-1]["type"] == EventType.PROTEST_FILED
    with pytest.raises(Refused) as r:
        t.do(c.FileProtest("TO-1", protest_id="p2", forum="gao", grounds="Misevaluated."), ACME, now)
    assert r.value.code == "task-order-bar" and "$35,000,000" in r.value.reason


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["beta", "acme", "gamma"]),
                          st.decimals(min_value=0, max_value=400_000, places=2)), max_size=12))
def test_the_running_total_is_the_sum_of_placed_orders_and_never_passes_the_ceiling(orders):
    """Whatever orders are tried, the log's totals re-add and stay within the ceiling."""
    v, now = awarded_vehicle()
    for i, (party, amount) in enumerate(orders):
        with contextlib.suppress(Refused):
            v.do(exception_order(v.id, f"o{i}", format(amount, "f"), party=party), BUYER, now)
    placed = [e["payload"] for e in v.envelopes if e["type"] == EventType.ORDER_PLACED]
    total = Decimal(0)
    for p in placed:
        assert p["party"]["id"] in ("beta", "acme")
        assert Decimal(p["ordered_before"]) == total
        total += Decimal(p["value"]["amount"])
        assert Decimal(p["ordered_after"]) == total <= Decimal(terms()["ceiling"]["amount"])
    assert Decimal(v.state["vehicle"]["ordered"]) == total
    assert snapshot(replay(v.envelopes)) == snapshot(v.state)


def test_nothing_is_ordered_under_a_cancelled_vehicle():
    v, now = awarded_vehicle()
    v.do(c.CancelTender(v.id, reason="Requirement withdrawn."), BUYER, now)
    assert refused(v, exception_order(v.id, "o1", "100000"), now) == "cancelled"
    assert refused(v, c.ExerciseOption(v.id, option_id="option-1"), now) == "cancelled"
