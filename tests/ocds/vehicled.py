"""Contract vehicles for the OCDS tests: a multiple-award IDIQ contract with a shared ceiling,
awarded to acme and beta, with an order competed among them (its own process), orders under
fair-opportunity exceptions below and above the simplified acquisition threshold (the justification
posted only above it, FAR 16.505(b)(2)(ii)(D)), a micro-purchase and an option exercised; and a
framework agreement with a ceiling per awardee and a direct call-off (2014/24/EU art. 33(4)(a)).

Dates are in 2024: the micro-purchase threshold is $10,000 and the simplified acquisition
threshold $250,000 (FAC 2025-06 raised them from 2025-10-01; domain.task_orders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tenderproof.domain import commands as c

from .procurement import BUYER, SSA, SYSTEM, TENDER_END, Ledger, Tender, bid, create, open_and_rate, publish, t

USD = "USD"
#: Under the simplified acquisition threshold an exception's justification stays in the contract
#: file: this string must never reach a release.
UNPOSTED = "UNPOSTED-JUSTIFICATION-7f3a"
POSTED = "Only Acme holds the accreditation the work needs (posted)."
ORDERING_END = datetime(2025, 3, 31, 21, tzinfo=UTC)
OPTION_END = datetime(2026, 3, 31, 21, tzinfo=UTC)


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": USD}


def terms(**over: object) -> dict[str, object]:
    return {"kind": "idiq", "awardees": 2, "ceiling": money("5000000"), "ceiling_scope": "shared",
            "minimum": money("25000"), "ordering_end": ORDERING_END,
            "options": [{"id": "option-1", "period_end": OPTION_END}], "agency": "defense"} | over


@dataclass
class Vehicled:
    vehicle: Tender
    competition: Tender | None


def awarded(ledger: Ledger, vid: str, **over: object) -> Tender:
    """A vehicle solicited, its bids opened and rated, awarded to acme and beta on April 1."""
    v = create(ledger, vid, vehicle=terms(**over))
    publish(v)
    a, b = bid(v, "acme", t(6)), bid(v, "beta", t(7))
    v.do(c.CloseTendering(vid), SYSTEM, TENDER_END)
    open_and_rate(v, a, b)
    v.do(c.AwardVehicle(vid, bids=[a, b], rationale="Both offer the capability at a fair price."), SSA, t(1, 9, 4))
    return v


def order_competition(ledger: Ledger, v: Tender, tid: str) -> Tender:
    """A competition for an order among the vehicle's parties (FAR 16.505(b)(1)), won by beta."""
    comp = create(ledger, tid, other=v, when=t(1, 10, 4), tender_end=t(20, 12, 4), enquiry_end=None,
                  order_under=v.id)
    publish(comp, t(2, 9, 4))
    a, b = bid(comp, "acme", t(5, 9, 4)), bid(comp, "beta", t(6, 9, 4))
    comp.do(c.CloseTendering(tid), SYSTEM, t(20, 12, 4))
    open_and_rate(comp, a, b, month=4)
    comp.do(c.DecideAward(tid, bid_id=b, value=money("400000.50"), rationale="Beta's approach is worth it.",
                          departure_reason="Beta's staffing plan outweighs Acme's lower price."), SSA, t(28, 9, 4))
    return comp


def idiq(ledger: Ledger) -> Vehicled:
    """V-2024-010 with its orders; TO-2024-011 the competition for its first."""
    v = awarded(ledger, "V-2024-010")
    comp = order_competition(ledger, v, "TO-2024-011")
    v.do(c.PlaceOrder(v.id, order_id="TO-2024-011", description="Sandbox environments.", competition=comp.id),
         BUYER, t(29, 9, 4), comp)
    v.do(c.PlaceOrder(v.id, order_id="O-2", description="Emergency capacity.", party="acme",
                      value=money("200000"), exception="urgency", justification=UNPOSTED), BUYER, t(30, 9, 4))
    v.do(c.PlaceOrder(v.id, order_id="O-3", description="Accredited enclave.", party="acme",
                      value=money("300000"), exception="unique", justification=POSTED), BUYER, t(2, 9, 5))
    v.do(c.PlaceOrder(v.id, order_id="O-4", description="Licences.", party="beta", value=money("5000.25")),
         BUYER, t(3, 9, 5))
    v.do(c.ExerciseOption(v.id, option_id="option-1"), BUYER, t(4, 9, 5))
    return Vehicled(v, comp)


def framework(ledger: Ledger) -> Vehicled:
    """F-2024-020: a framework with a ceiling per awardee, a direct call-off to beta."""
    v = awarded(ledger, "F-2024-020", kind="framework", ceiling_scope="per-awardee", call_off="direct",
                minimum=None)
    v.do(c.PlaceOrder(v.id, order_id="C-1", description="Call-off on the framework's terms.", party="beta",
                      value=money("750000")), BUYER, t(2, 9, 4))
    return Vehicled(v, None)


def vehicled(ledger: Ledger) -> Tender:
    """Both, for the table of releases (tests/ocds/test_release_table.py)."""
    framework(ledger)
    return idiq(ledger).vehicle
