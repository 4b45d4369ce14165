"""A contract vehicle on the portal (issue 14), server-rendered through TestClient: its terms,
awardees, orders, running total and remaining ceiling agree with the state and with the log
(re-added from the `order.placed` events); its orders page newest first, each page read by
keyset without loading every order; the links between a vehicle, an order's competition and the
related processes go where they say; an unposted justification appears nowhere public."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tenderproof.api.server import create_app
from tenderproof.app import queries
from tenderproof.app.public import public_view

from .htmlcheck import Page
from .vehicle_world import (
    CEILING,
    COMPETITION,
    FRAMEWORK,
    FRAMEWORK_CEILING,
    PARTIES,
    POSTED_JUSTIFICATION,
    PRIOR,
    SECRET_JUSTIFICATION,
    VEHICLE,
    VehicleWorld,
    built,
)

PAGE = 25


@pytest.fixture(scope="module")
def vw(tmp_path_factory) -> Iterator[VehicleWorld]:
    yield from built(tmp_path_factory)


@pytest.fixture(scope="module")
def client(vw) -> TestClient:
    return TestClient(create_app(vw.p))  # the API, with the portal mounted as `tenderproof serve` runs it


class Data(HTMLParser):
    """Every element's `data-` attributes and its links, in document order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []
        self.rel: dict[str, str] = {}
        self.hrefs: list[str] = []
        self.open: list[tuple[str, dict[str, str] | None]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        data = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
        if data:
            self.found.append(data | {"_links": ""})
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
            if a.get("rel"):
                self.rel[a["rel"]] = a["href"]
            for _, d in self.open:  # every element with data around the link
                if d is not None:
                    d["_links"] += " " + a["href"]
        if tag not in ("br", "img", "input", "meta", "link", "hr", "rect"):
            self.open.append((tag, self.found[-1] if data else None))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def with_key(self, key: str) -> list[dict[str, str]]:
        return [d for d in self.found if key in d]


def get(client: TestClient, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.text


def logged_orders(vw: VehicleWorld) -> list[tuple[int, dict[str, Any]]]:
    return [(e.index, e.envelope["payload"]) for e in vw.p.events(VEHICLE) if e.envelope["type"] == "order.placed"]


def test_the_vehicle_section_says_what_the_state_and_the_log_say(vw, client):
    html = get(client, f"/tenders/{VEHICLE}")
    assert Page(html).problems() == []
    state = vw.p.state(VEHICLE)
    vh = state["vehicle"]
    orders = logged_orders(vw)
    # The log alone: the orders re-added, each event's running total continuing the one before.
    total, per_party = Decimal(0), Counter()
    for _, o in orders:
        assert Decimal(o["ordered_before"]) == total
        total += Decimal(o["value"]["amount"])
        per_party[o["party"]["id"]] += Decimal(o["value"]["amount"])
        assert Decimal(o["ordered_after"]) == total and Decimal(o["party_after"]) == per_party[o["party"]["id"]]
    (shown,) = Data(html).with_key("vehicle")
    assert shown["ceiling"] == vh["ceiling"]["amount"] == CEILING
    assert Decimal(shown["ordered"]) == Decimal(vh["ordered"]) == total
    assert Decimal(shown["remaining"]) == Decimal(CEILING) - total
    assert int(shown["orders"]) == vh["orders"] == len(orders) == len(vw.orders)
    parties = {d["party"]: d for d in Data(html).with_key("party-total")}
    assert set(parties) == set(PARTIES) == {x["id"] for x in vh["parties"]}
    for pid, d in parties.items():
        assert Decimal(d["party-total"]) == per_party[pid] == Decimal(vh["party_totals"][pid])
    options = {d["option"]: d["exercised"] for d in Data(html).with_key("option")}
    assert options == {o["id"]: o["exercised"] or "" for o in vh["options"]}
    assert options["option-1"] and not options["option-2"]
    text = Page(html).text
    for name in PARTIES.values():
        assert name in text
    assert "Multiple-award IDIQ contract" in text and "USD 100,000 guaranteed to each awardee" in text
    remaining = Decimal(CEILING) - total
    assert f"USD {remaining:,.2f}".removesuffix(".00") in text  # the remaining ceiling, as a reader reads it
    # The ordering period as the exercised option extended it.
    assert vh["ordering_end"] == vh["options"][0]["period_end"] and f"until {vh['ordering_end'][:10]}" in text


def test_a_ceiling_per_awardee_is_shown_per_party(vw, client):
    """Per awardee, each party's orders are held to the whole ceiling (FAR 16.504(a)(1) as the
    contract states it): what remains is shown for each, from the state's running totals."""
    html = get(client, f"/tenders/{FRAMEWORK}")
    assert Page(html).problems() == []
    vh = vw.p.state(FRAMEWORK)["vehicle"]
    parties = {d["party"]: d for d in Data(html).with_key("party-total")}
    assert {p: (d["party-total"], d["party-remaining"]) for p, d in parties.items()} == {
        "aws": ("45000", "5000"), "msft": ("5000", "45000")} == {
        p: (vh["party_totals"][p], str(Decimal(FRAMEWORK_CEILING) - Decimal(vh["party_totals"][p]))) for p in parties}
    (shown,) = Data(html).with_key("vehicle")
    assert shown["remaining"] == str(2 * Decimal(FRAMEWORK_CEILING) - Decimal(vh["ordered"])) == "50000"
    text = Page(html).text
    assert "Framework agreement (Directive 2014/24/EU art. 33)" in text and "for each awardee" in text
    assert "Direct call-off on the framework's terms" in text
    assert len(Page(html).tags) and html.count('class="ceiling-bar"') == 3  # the combined one, one per party


def test_orders_page_newest_first_and_back(vw, client):
    """Older → … → the first order, then Newer → … → the latest: every order once, in the log's
    order, each row's figures its event's, each linked to its event."""
    by_index = dict(logged_orders(vw))
    url, pages, seen = f"/tenders/{VEHICLE}", [], []
    while url:
        d = Data(get(client, url))
        rows = d.with_key("order")
        assert 0 < len(rows) <= PAGE
        pages.append([r["order"] for r in rows])
        for r in rows:
            (event,) = [int(h.rsplit("/", 1)[1]) for h in r["_links"].split() if h.startswith("/events/")]
            o = by_index[event]
            assert (o["id"], o["value"]["amount"], o["ordered_before"], o["ordered_after"], o["party"]["id"]) == (
                r["order"], r["order-value"], r["ordered-before"], r["ordered-after"], r["order-party"])
        seen += pages[-1]
        url = d.rel.get("next", "")
        if len(pages) == 1:
            assert "prev" not in d.rel  # the first page is the latest
    assert seen == vw.orders[::-1]
    assert [len(p) for p in pages] == [PAGE, PAGE, len(vw.orders) - 2 * PAGE]
    # From the oldest page, Newer goes back through the same pages.
    oldest_cursor = vw.p.state(VEHICLE)["orders"][vw.orders[-2 * PAGE]]["seq"]  # page 2's oldest
    back, d = [], Data(get(client, f"/tenders/{VEHICLE}?orders_before={oldest_cursor}"))
    assert [r["order"] for r in d.with_key("order")] == pages[-1]
    while "prev" in d.rel:
        d = Data(get(client, d.rel["prev"]))
        back.append([r["order"] for r in d.with_key("order")])
    assert back == pages[-2::-1]


@pytest.mark.parametrize("query", ["orders_before=abc", "orders_after=-1", "orders_before=" + "9" * 40])
def test_a_cursor_that_does_not_parse_gives_the_latest_orders(vw, client, query):
    d = Data(get(client, f"/tenders/{VEHICLE}?{query}"))
    assert [r["order"] for r in d.with_key("order")] == vw.orders[::-1][:PAGE]


def test_past_the_last_order_the_page_offers_the_latest(client):
    html = get(client, f"/tenders/{VEHICLE}?orders_before=1")
    assert Data(html).with_key("order") == [] and "The latest orders" in Page(html).text


def test_an_order_links_to_its_competition_and_back(vw, client):
    html = get(client, f"/tenders/{VEHICLE}?orders_before={vw.p.state(VEHICLE)['orders'][vw.orders[3]]['seq']}")
    (row,) = [r for r in Data(html).with_key("order") if r["order"] == "TO-0001"]
    assert f"/tenders/{COMPETITION}" in row["_links"].split()
    competition = get(client, f"/tenders/{COMPETITION}")
    assert Page(competition).problems() == []
    d = Data(competition)
    (under,) = d.with_key("order-under")
    assert under["order-under"] == VEHICLE and f"/tenders/{VEHICLE}" in under["_links"].split()
    assert [x["invited"] for x in d.with_key("invited")] == vw.p.state(COMPETITION)["invited"] == list(PARTIES)
    text = Page(competition).text
    assert all(name in text for name in PARTIES.values())
    (index,) = [i for i, o in logged_orders(vw) if o["id"] == "TO-0001"]
    assert f"/events/{index}" in d.hrefs and "It gave order TO-0001 to Google Support Services LLC" in text


def test_related_processes_are_linked_where_they_are_in_the_log(client):
    d = Data(get(client, f"/tenders/{VEHICLE}"))
    related = {r["related"]: r["_links"].split() for r in d.with_key("related")}
    assert related == {PRIOR: [f"/tenders/{PRIOR}"], "ocds-elsewhere-123": []}
    assert get(client, f"/tenders/{PRIOR}")
    (back,) = Data(get(client, f"/tenders/{COMPETITION}")).with_key("related")
    assert back["_links"].split() == [f"/tenders/{VEHICLE}"]


def test_the_public_view_is_the_state_filtered_without_reading_the_orders(vw, client):
    """`queries.public_tender` reads the state without its orders: the same view as the whole
    state's; the API's read is that view, with the vehicle's public parts."""
    for tid in (VEHICLE, COMPETITION, PRIOR):
        assert queries.public_tender(vw.p, tid) == public_view(vw.p.state(tid))
    api = client.get(f"/api/tenders/{VEHICLE}").json()
    assert api["vehicle"]["ordered"] == vw.p.state(VEHICLE)["vehicle"]["ordered"]
    assert [x["id"] for x in api["vehicle"]["parties"]] == list(PARTIES)
    assert "orders" not in api and "order_competitions" not in api
    assert client.get(f"/api/tenders/{COMPETITION}").json()["order_under"]["vehicle"] == VEHICLE


def test_an_unposted_justification_is_nowhere_public(vw, client):
    """FAR 16.505(b)(2)(ii)(D): an exception's justification is posted only above the simplified
    acquisition threshold. The unposted one is committed to in the log and kept in the contract
    file (the confidential store), and is on no page, API answer or log entry; the posted one is
    shown with its order."""
    (secret_event,) = [e for e in vw.p.events(VEHICLE) if e.envelope["payload"].get("id") == "TO-0003"]
    assert secret_event.envelope["payload"]["justification"] is None and secret_event.envelope["confidential"]
    assert vw.p.state(VEHICLE)["orders"]["TO-0003"]["justification"] is None
    marker = SECRET_JUSTIFICATION.encode()
    urls = [f"/tenders/{VEHICLE}", f"/tenders/{COMPETITION}", f"/api/tenders/{VEHICLE}", f"/events/{secret_event.index}",
            f"/api/tenders/{VEHICLE}/events", "/api/ocds/releases.json"]
    seq = vw.p.state(VEHICLE)["orders"]
    urls += [f"/tenders/{VEHICLE}?orders_before={seq[o]['seq'] + 1}" for o in ("TO-0003", "TO-0002")]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200 and marker not in r.content, url
    assert all(marker not in e for e in vw.p.log.entries(0, vw.p.log.head().size))
    shown = Page(get(client, f"/tenders/{VEHICLE}?orders_before={seq['TO-0003']['seq'] + 1}")).text
    assert POSTED_JUSTIFICATION in shown and "justification in the contract file (not posted" in shown


def test_a_page_reads_one_page_of_orders(vw, client):
    """Never every order for one page: each statement on the orders' rows names its keys (one
    page's), and the vehicle's event table leaves the order events to the orders section."""
    get(client, f"/tenders/{VEHICLE}")  # the red flags are computed once per log size: before counting
    statements: list[tuple[str, Any]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    engine = vw.p.db.reader
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        html = get(client, f"/tenders/{VEHICLE}")
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    on_rows = [(s, p) for s, p in statements if "tender_rows" in s]
    assert on_rows
    for s, p in on_rows:
        params = list(p.values()) if isinstance(p, dict) else list(p)
        assert "kind" in s.split("WHERE", 1)[1], s  # no read of all a tender's rows
        if "orders" in params:
            assert " IN " in s and len([x for x in params if x in vw.orders]) <= PAGE, s
    events_table = [r for r in Page(html).tags if r[0] == "a" and r[1].get("aria-label", "").startswith("tlog-proof")]
    assert len(events_table) == vw.p.state(VEHICLE)["events"] - len(vw.orders)
