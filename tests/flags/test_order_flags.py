"""The red flags of orders under a contract vehicle (TP010–TP014) at their edges: just under, at
and over each threshold, the window's boundary, and the public fields alone. Vehicles are driven
through the pure domain (tests/domain/vehicles_life.py), so the flags read the states the log folds."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.model import parse_time
from tenderproof.flags.ledger_flags import INDICATORS, ledger_flags
from tenderproof.flags.order_flags import (
    CEILING_SHARE,
    CONCENTRATION_SHARE,
    SPLIT_BAND,
    SPLIT_WINDOW,
    THRESHOLDS,
    tp010_split_orders,
    tp011_order_concentration,
    tp012_large_exception_order,
    tp013_exception_share,
    tp014_near_ceiling,
)
from tenderproof.portal.flags import PUBLIC_FIELDS, ledger_findings

from ..domain.lifecycle import BUYER, SSA, T0, Tender, create_cmd, replay
from ..domain.vehicles_life import ACME, BETA, GAMMA, run_competition, terms

START = T0  # 2030: micro-purchase $15,000, simplified acquisition $350,000, DoD protests $35M
UNPOSTED = "Only beta has the cleared staff (an unposted justification)."


def vehicle(parties: int = 3, start: datetime = START, **over: Any) -> tuple[Tender, datetime]:
    """A vehicle awarded to the first `parties` of beta, acme and gamma; returns it and the clock."""
    v = Tender("V-1")
    cmd = create_cmd("V-1", enquiry_end=None, tender_end=start + timedelta(days=10))
    v.do(dataclasses.replace(cmd, vehicle=terms(ordering_end=start + timedelta(days=400), options=[], awardees=3) | over),
         BUYER, start)
    bids = [("b1", BETA, "900"), ("b2", ACME, "950"), ("b3", GAMMA, "1000")][:parties]
    now = run_competition(v, start + timedelta(hours=1), bids, "", "")
    v.do(c.AwardVehicle(v.id, bids=[b for b, _, _ in bids], rationale="Each offers the capability."), SSA, now)
    return v, now + timedelta(days=1)


def order(v: Tender, oid: str, amount: str, at: datetime, party: str = "beta", exception: str | None = "urgency",
          justification: str = UNPOSTED) -> dict[str, Any]:
    """An order placed without a competition: a micro-purchase (exception=None) or under an exception."""
    cmd = c.PlaceOrder(v.id, order_id=oid, description="Capacity.", party=party,
                       value={"amount": amount, "currency": "USD"}, exception=exception,
                       justification=justification if exception else "")
    env = v.do(cmd, BUYER, at)[-1]
    assert env["type"] == EventType.ORDER_PLACED, env["payload"]
    return env


def micro(v: Tender, oid: str, amount: str, at: datetime, party: str = "beta") -> dict[str, Any]:
    return order(v, oid, amount, at, party, exception=None)


# --- TP010: orders split under a threshold ----------------------------------------------------


def test_two_micro_purchases_at_the_band_and_the_window_edge_are_flagged():
    v, now = vehicle()
    micro(v, "o1", "13500", now)  # exactly 10 % under $15,000
    micro(v, "o2", "15000", now + SPLIT_WINDOW)  # at the threshold, the window's last instant
    [f] = tp010_split_orders(v.state)
    assert (f["threshold"], f["limit"], f["orders"], f["total"], f["days"]) == (
        "micro-purchase", "15000", ["o1", "o2"], "28500", 30)


def test_outside_the_window_or_the_band_or_across_parties_is_not_split():
    v, now = vehicle()
    micro(v, "o1", "14000", now)
    micro(v, "o2", "14000", now + SPLIT_WINDOW + timedelta(seconds=1))  # one second too late
    micro(v, "o3", "13499.99", now + SPLIT_WINDOW + timedelta(days=2))  # just below the band
    micro(v, "o4", "14000", now + SPLIT_WINDOW + timedelta(days=3), party="acme")  # another party
    order(v, "o5", "15000.01", now + SPLIT_WINDOW + timedelta(days=4))  # over the threshold: no longer under it
    assert tp010_split_orders(v.state) == []
    micro(v, "o6", "13500", now + SPLIT_WINDOW + timedelta(days=5))  # o2 and o6, six days apart
    assert [f["orders"] for f in tp010_split_orders(v.state)] == [["o2", "o6"]]


def test_every_order_in_the_window_joins_one_finding():
    v, now = vehicle()
    for i in range(3):
        micro(v, f"o{i}", "14900", now + timedelta(days=10 * i))
    [f] = tp010_split_orders(v.state)
    assert f["orders"] == ["o0", "o1", "o2"] and f["total"] == "44700"


def test_orders_just_under_the_simplified_acquisition_threshold_escape_posting():
    v, now = vehicle()
    order(v, "o1", "340000", now)
    order(v, "o2", "349999", now + timedelta(days=12))
    [f] = tp010_split_orders(v.state)
    assert (f["threshold"], f["limit"]) == ("simplified-acquisition", "350000")
    assert [o["posted"] for o in v.state["orders"].values()] == [False, False]  # neither justification posted


def test_orders_just_under_the_protest_bar_use_the_vehicles_agency():
    v, now = vehicle(ceiling={"amount": "100000000", "currency": "USD"}, agency="civilian")
    order(v, "o1", "9500000", now)
    order(v, "o2", "10000000", now + timedelta(days=3))  # at the bar: not protestable (41 U.S.C. 4106(f))
    [f] = tp010_split_orders(v.state)
    assert (f["threshold"], f["limit"]) == ("task-order-protest", "10000000")
    d, now = vehicle(ceiling={"amount": "100000000", "currency": "USD"})  # defense: $35M, far above
    order(d, "o1", "9500000", now)
    order(d, "o2", "10000000", now + timedelta(days=3))
    assert tp010_split_orders(d.state) == []


def test_the_threshold_is_the_one_in_force_on_the_orders_date():
    """$14,000 is above the $10,000 micro-purchase threshold before 2025-10-01 (FAC 2025-06) and
    within 10 % of the $15,000 one from then on."""
    before = datetime(2025, 8, 1, 13, tzinfo=UTC)
    v, now = vehicle(start=before)
    order(v, "o1", "14000", now)
    order(v, "o2", "14000", now + timedelta(days=5))
    assert tp010_split_orders(v.state) == []
    after = datetime(2025, 10, 1, 4, tzinfo=UTC)
    micro(v, "o3", "14000", after)
    micro(v, "o4", "14000", after + timedelta(days=5))
    assert [(f["orders"], f["limit"]) for f in tp010_split_orders(v.state)] == [(["o3", "o4"], "15000")]


# --- TP011: concentration ------------------------------------------------------------------


def test_a_party_above_half_of_five_orders_among_three_parties_is_flagged():
    v, now = vehicle()
    for i in range(3):
        order(v, f"b{i}", "20000", now + timedelta(days=i))
    order(v, "a1", "30000", now, party="acme")
    order(v, "g1", "30000", now, party="gamma")
    assert tp011_order_concentration(v.state) == []  # beta has exactly half
    order(v, "g2", "0.01", now + timedelta(days=4), party="gamma")  # half, less a cent: still not above
    assert tp011_order_concentration(v.state) == []
    order(v, "b3", "0.03", now + timedelta(days=5))
    [f] = tp011_order_concentration(v.state)
    assert (f["party"], f["orders"], f["all_orders"], f["parties"]) == ("beta", 4, 7, 3)
    assert Decimal(f["value"]) / Decimal(f["total"]) > CONCENTRATION_SHARE and f["value"] == "60000.03"
    assert (f["share"], f["hhi"]) == (0.5, 3750)  # shown rounded: 50² + 25² + 25²


def test_concentration_needs_three_parties_and_five_orders():
    two, now = vehicle(parties=2)
    for i in range(6):
        order(two, f"o{i}", "20000", now + timedelta(days=i))  # all to beta, but only two parties
    assert tp011_order_concentration(two.state) == []
    three, now = vehicle()
    for i in range(4):
        order(three, f"o{i}", "20000", now + timedelta(days=i))
    assert tp011_order_concentration(three.state) == []  # four orders
    order(three, "o4", "20000", now + timedelta(days=5))
    assert [f["share"] for f in tp011_order_concentration(three.state)] == [1.0]


# --- TP012, TP013: exceptions to fair opportunity --------------------------------------------


def test_an_exception_above_the_simplified_acquisition_threshold_is_flagged_with_its_posted_reason():
    v, now = vehicle()
    order(v, "at", "350000", now)  # at the threshold: not posted, not flagged
    order(v, "over", "350000.01", now, justification="Outage of the primary region.")
    [f] = tp012_large_exception_order(v.state)
    assert (f["order"], f["posted"], f["justification"], f["exception"]) == (
        "over", True, "Outage of the primary region.", "urgency")
    assert v.state["orders"]["at"]["justification"] is None  # never in the state, never in a flag


def test_the_share_of_exceptions_above_a_quarter_is_flagged():
    v, now = vehicle()
    micro(v, "m0", "15000", now)
    order(v, "e1", "15000", now + timedelta(days=1))
    micro(v, "m1", "15000", now + timedelta(days=40))
    micro(v, "m2", "15000", now + timedelta(days=80))
    assert tp013_exception_share(v.state) == []  # four orders
    micro(v, "m3", "15000", now + timedelta(days=121))
    order(v, "e2", "5000", now + timedelta(days=122), exception="follow-on")
    assert tp013_exception_share(v.state) == []  # exactly a quarter: 20,000 of 80,000
    order(v, "e3", "0.01", now + timedelta(days=123))
    [f] = tp013_exception_share(v.state)
    assert (f["exceptions"], f["orders"], f["by_exception"]) == (3, 7, {"follow-on": 1, "urgency": 2})


# --- TP014: near the ceiling ---------------------------------------------------------------


def test_ninety_percent_of_the_ceiling_is_flagged_once_at_the_order_that_reached_it():
    v, now = vehicle()  # ceiling $1,000,000, shared
    order(v, "o1", "500000", now)
    order(v, "o2", "399999.99", now)
    assert tp014_near_ceiling(v.state) == []
    order(v, "o3", "0.01", now)
    order(v, "o4", "50000", now)
    [f] = tp014_near_ceiling(v.state)
    assert (f["order"], f["ordered"], f["share"], f["reason"]) == ("o3", "900000.00", float(CEILING_SHARE), "share")
    # an order over the ceiling is refused (logged) and changes nothing the flag reads
    refused = v.do(c.PlaceOrder(v.id, order_id="o5", description="More.", party="beta",
                                value={"amount": "50000.01", "currency": "USD"}, exception="urgency",
                                justification="x"), BUYER, now)[-1]
    assert refused["payload"]["code"] == "over-ceiling" and tp014_near_ceiling(v.state) == [f]


def test_what_remains_below_the_average_order_is_flagged_from_three_orders():
    for amount, flagged in (("250000", False), ("260000", True)):
        v, now = vehicle()
        for i in range(3):
            order(v, f"o{i}", amount, now)
        assert [f["reason"] for f in tp014_near_ceiling(v.state)] == (["remaining-below-average"] if flagged else [])
    v, now = vehicle()
    order(v, "o1", "400000", now)
    order(v, "o2", "400000", now)  # 200,000 left, below the average, but only two orders
    assert tp014_near_ceiling(v.state) == []


def test_a_per_awardee_ceiling_is_watched_per_party():
    v, now = vehicle(ceiling_scope="per-awardee")
    order(v, "b1", "900000", now)
    order(v, "a1", "800000", now, party="acme")
    assert [(f["scope"], f["order"]) for f in tp014_near_ceiling(v.state)] == [("beta", "b1")]


# --- the whole: public fields only, registered, serialisable ---------------------------------


def public(envelopes: list[dict[str, Any]]) -> Any:
    """The state folded from the log without any event's confidential part."""
    return replay([env | {"confidential": None} for env in envelopes])


def test_flags_read_public_fields_only_and_reach_the_portal():
    v, now = vehicle()
    micro(v, "o1", "14000", now)
    micro(v, "o2", "14500", now + timedelta(days=2))
    order(v, "o3", "200000", now + timedelta(days=3))  # unposted justification
    order(v, "o4", "700000", now + timedelta(days=4), justification="Outage of the primary region.")
    order(v, "o5", "1000", now + timedelta(days=5), party="acme")
    whole = {code: INDICATORS[code](v.state) for code in ("TP010", "TP011", "TP012", "TP013", "TP014")}
    assert all(whole.values())  # every order flag is raised here
    assert whole == {code: INDICATORS[code](public(v.envelopes)) for code in whole}
    out = json.dumps(ledger_flags([v.state], "ocds-x-"))
    assert UNPOSTED not in out and UNPOSTED not in json.dumps(ledger_findings(v.state))
    for code, found in ledger_findings(v.state).items():
        assert found and all(set(f) <= set(PUBLIC_FIELDS[code]) for f in found)


def test_a_tender_that_is_not_a_vehicle_raises_no_order_flag():
    t = Tender("T-1")
    t.do(create_cmd("T-1"), BUYER, T0)
    assert all(INDICATORS[f"TP01{i}"](t.state) == [] for i in range(5))


# --- properties ------------------------------------------------------------------------------

AMOUNTS = st.sampled_from(["100", "13499.99", "13500", "14999", "15000", "15000.01", "250000", "340000",
                           "350000", "350000.01"])
ORDERS = st.lists(st.tuples(st.sampled_from(["beta", "acme", "gamma"]), AMOUNTS,
                            st.integers(min_value=0, max_value=24 * 20)), min_size=1, max_size=10)


@settings(max_examples=60, deadline=None)
@given(ORDERS)
def test_properties_of_the_order_flags(orders):
    """Every split finding is one party's orders, each in the band under its threshold, within the
    window, together above it; no order is in two findings of one threshold, and no two unflagged
    orders of one party in a band lie within the window of each other; a concentrated
    party holds more than half; the ceiling is flagged at most once, and whenever the total
    reached 90 % of it."""
    v, now = vehicle()
    at = now
    for i, (party, amount, hours) in enumerate(orders):
        at += timedelta(hours=hours)
        exception = None if Decimal(amount) <= 15000 else "urgency"
        env = v.do(c.PlaceOrder(v.id, order_id=f"o{i}", description="Capacity.", party=party,
                                value={"amount": amount, "currency": "USD"}, exception=exception,
                                justification="x" if exception else ""), BUYER, at)[-1]
        assert env["type"] in (EventType.ORDER_PLACED, EventType.COMMAND_REFUSED)
    placed = {o["id"]: o for o in v.state["orders"].values()}
    seen: set[tuple[str, str]] = set()
    split = tp010_split_orders(v.state)
    event(f"split findings: {min(len(split), 2)}")
    for f in split:
        group = [placed[o] for o in f["orders"]]
        limit = Decimal(f["limit"])
        assert len(group) >= 2 and {o["party"]["id"] for o in group} == {f["party"]}
        assert all(limit * (1 - SPLIT_BAND) <= Decimal(o["value"]["amount"]) <= limit for o in group)
        assert sum(Decimal(o["value"]["amount"]) for o in group) == Decimal(f["total"]) > limit
        times = sorted(parse_time(o["date"]) for o in group)
        assert times[-1] - times[0] <= SPLIT_WINDOW
        assert not {(f["threshold"], o) for o in f["orders"]} & seen
        seen |= {(f["threshold"], o) for o in f["orders"]}
    # and none is missed: no two unflagged orders of one party, both in a band, lie within the window
    for kind, threshold in THRESHOLDS.items():
        near = [(o["party"]["id"], parse_time(o["date"])) for o in placed.values() if (kind, o["id"]) not in seen
                and (lim := threshold(v.state["vehicle"], parse_time(o["date"]))) * (1 - SPLIT_BAND)
                <= Decimal(o["value"]["amount"]) <= lim]
        assert not [1 for i, (p, t) in enumerate(near) for q, u in near[i + 1:] if p == q and abs(u - t) <= SPLIT_WINDOW]
    assert all(Decimal(f["value"]) / Decimal(f["total"]) > CONCENTRATION_SHARE
               for f in tp011_order_concentration(v.state))
    ceiling = tp014_near_ceiling(v.state)
    assert len(ceiling) <= 1
    if Decimal(v.state["vehicle"]["ordered"]) >= CEILING_SHARE * 1_000_000:
        assert ceiling
