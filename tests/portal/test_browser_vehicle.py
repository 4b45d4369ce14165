"""A contract vehicle in a real browser (Debian's Chromium, as test_browser.py): its awardees,
orders, running total and remaining ceiling; older orders a page away; an order's competition
one click away, naming its vehicle and the invited parties, and back — with and without
JavaScript (the portal has none)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from .conftest import Server, portal_app
from .test_browser import browser, js, page, shot, shots  # noqa: F401 (the fixtures)
from .vehicle_world import CEILING, COMPETITION, PARTIES, VEHICLE, VehicleWorld, built


@pytest.fixture(scope="module")
def vw(tmp_path_factory) -> Iterator[VehicleWorld]:
    yield from built(tmp_path_factory)


@pytest.fixture(scope="module")
def base(vw):
    with Server(portal_app(vw.p)) as url:
        yield url


def money(x: Decimal) -> str:
    return f"USD {x:,.2f}".removesuffix(".00")


def test_visitor_reads_a_vehicle_its_orders_and_an_order_competition(page, js, base, vw, shots):  # noqa: F811
    vh = vw.p.state(VEHICLE)["vehicle"]
    ordered = Decimal(vh["ordered"])
    page.goto(f"{base}/tenders/{VEHICLE}")
    assert page.get_by_role("heading", name="Contract vehicle").is_visible()
    facts = page.locator("dl[data-vehicle]")
    assert facts.locator("dd.running-total").inner_text() == money(ordered)
    assert facts.locator("dd.remaining-ceiling").inner_text() == money(Decimal(CEILING) - ordered)
    bar = page.get_by_role("img", name=re.compile(r"^Ceiling: .* of the ceiling used"))
    assert bar.is_visible() and bar.bounding_box()["width"] > 300
    awardees = page.locator("table:below(#awardees)").first
    for pid, name in PARTIES.items():
        row = awardees.get_by_role("row").filter(has_text=name)
        assert money(Decimal(vh["party_totals"][pid])) in row.inner_text()
    orders = page.locator("table.orders tbody tr")
    assert orders.count() == 25
    assert orders.first.get_by_role("rowheader").inner_text().startswith(vw.orders[-1])
    if not js:
        shot(page, shots, "portal-vehicle.png", start="#vehicle", upto="#orders")
        shot(page, shots, "portal-vehicle-orders.png", start="#orders", upto="#flags")

    # Older orders, twice, to the first order: competed, its competition linked.
    for _ in range(2):
        page.get_by_role("link", name="Older orders →").click()
        page.wait_for_url(re.compile(r"orders_before=\d+"))
    first = page.locator("table.orders tbody tr").filter(has_text="TO-0001")
    assert "USD 1,250,000" in first.inner_text()
    assert page.get_by_role("link", name="Older orders →").count() == 0
    first.get_by_role("link", name=f"competition {COMPETITION}").click()

    page.wait_for_url(f"{base}/tenders/{COMPETITION}")
    assert page.get_by_role("heading", name="Order under a contract vehicle").is_visible()
    invited = page.locator("ul:below(#invited)").first.inner_text()
    assert all(name in invited for name in PARTIES.values())
    assert "It gave order TO-0001 to Google Support Services LLC" in page.locator("body").inner_text()
    page.get_by_role("link", name=re.compile(r"Joint cloud capability")).first.click()
    page.wait_for_url(f"{base}/tenders/{VEHICLE}")
    assert page.get_by_role("heading", name="Contract vehicle").is_visible()
