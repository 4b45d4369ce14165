"""The portal's search (issue 13) over the JEDI replay and the portal tests' tenders: what the
issue says found nothing now finds JEDI; every filter and order from the form, kept in the links;
who bid on the sealed tender is not searchable; and the form in a real browser without JavaScript."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

from .conftest import DRAFTS, JEDI, SEALED
from .htmlcheck import Page
from .test_browser import base, browser  # noqa: F401  (fixtures: Debian's Chromium, a uvicorn server)
from .test_html import client, link, ok, rows  # noqa: F401  (fixture and helpers)

CPV = "CPV+39130000"  # the furniture tender's and every draft lot's


def test_the_searches_that_found_nothing_find_jedi(client):  # noqa: F811
    for url in ("/?q=Microsoft", "/?q=Department+of+Defense", "/?q=81112000", "/?supplier=microsoft",
                "/?buyer=department+of+defense", "/?buyer=whs", "/?classification=UNSPSC+81112000",
                "/?classification=8111", "/?bidder=microsoft+corporation", "/?q=jedi&status=cancelled"):
        assert rows(ok(client, url)) == [JEDI], url


def test_who_bid_on_the_sealed_tender_is_not_searchable(client):  # noqa: F811
    # ACME's bid on the furniture tender is sealed until the opening, which has not come.
    for url in ("/?bidder=acme", "/?q=acme", "/?bidder=ACME+Office+Furniture", "/?q=latecomer", "/?bidder=late"):
        html = ok(client, url)
        assert rows(html) == [] and "0 results" in html, url
    assert rows(ok(client, "/?q=furniture")) == [SEALED]


def test_filters_by_value_dates_and_status(client, world):  # noqa: F811
    eur = ok(client, "/?value_min=250000&value_max=250000&currency=eur")
    assert "25 results" in eur and JEDI not in rows(eur)
    assert rows(ok(client, "/?value_min=1000000000")) == [JEDI]
    assert rows(ok(client, "/?published_from=2030-01-01")) == [SEALED]  # the lots are drafts: never published
    assert rows(ok(client, "/?published_to=2019-01-01")) == [JEDI]
    day = date.fromisoformat(world.p.state(JEDI)["awards"][-1]["date"][:10])  # the latest award's
    assert rows(ok(client, f"/?awarded_from={day}&awarded_to={day}")) == [JEDI]
    assert rows(ok(client, f"/?awarded_from={day + timedelta(days=1)}")) == []
    assert rows(ok(client, f"/?awarded_to={day - timedelta(days=1)}")) == []
    assert rows(ok(client, "/?sort=value&order=desc"))[0] == JEDI
    assert rows(ok(client, "/?sort=published&order=desc"))[:2] == [SEALED, JEDI]


def test_the_form_keeps_the_search_and_the_pages_keep_it_too(client):  # noqa: F811
    url = f"/?q=road&classification={CPV}&sort=deadline&order=desc&value_min=lots&buyer=city"
    html = ok(client, url)
    by_deadline = [f"LOT-{i:02d}" for i in range(24, 0, -1)]  # lot i is due in 60 + i days
    assert rows(html) == by_deadline[:20] and "24 results for “road”" in html
    for field in ('name="q" type="search" value="road"', 'value="CPV 39130000"', 'name="buyer" type="text" value="city"',
                  '<option value="deadline" selected>', '<option value="desc" selected>', 'value="lots"'):
        assert field in html, field
    assert re.search(r"<details class=\"field more\" open>", html)  # the filters in use are shown
    assert 'role="alert"' in html and "value min</a>: expected a number" in html  # "lots" is left out, and said so
    assert Page(html).problems() == []
    nxt = link(html, "next")
    query = parse_qs(urlparse(nxt).query)
    assert query == {"q": ["road"], "buyer": ["city"], "classification": ["CPV 39130000"], "sort": ["deadline"],
                     "order": ["desc"], "after": ["LOT-05"]}
    second = ok(client, nxt)
    assert rows(second) == by_deadline[20:] and link(second, "next") is None
    assert rows(ok(client, link(second, "prev"))) == by_deadline[:20]


def test_the_list_links_the_downloads_and_the_same_search_as_json(client):  # noqa: F811
    html = ok(client, "/?q=lot&sort=title")
    for href in ("/api/ocds/releases.json", "/api/ocds/records.json", "/api/ocds/releases.jsonl",
                 "/api/ocds/export.csv.zip", "/api/ocds/export.xlsx"):
        assert f'href="{href}"' in html, href
    api = re.search(r'<a href="(/api/tenders\?[^"]+)">', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlparse(api).query) == {"q": ["lot"], "sort": ["title"], "order": ["asc"]}
    assert set(DRAFTS) >= set(rows(html))


def test_searching_in_a_browser_without_javascript(browser, base):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(base + "/")
        page.get_by_text("More filters").click()  # <details> opens without a script
        page.get_by_label("Classification", exact=True).fill("CPV 39130000")
        page.get_by_label("Sort by").select_option(label="Bids due")
        page.get_by_label("Order").select_option(label="Descending")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r"classification=CPV"))
        assert page.get_by_role("heading", name="25 results").is_visible()
        lots = [f"LOT-{i:02d}" for i in range(24, 0, -1)]  # lot i due 60 + i days after the furniture tender
        assert page.locator('th[scope="row"] a').all_inner_texts() == lots[:20]
        page.get_by_role("link", name="Next page").click()
        page.wait_for_url(re.compile(r"after="))
        assert page.locator('th[scope="row"] a').all_inner_texts() == [*lots[20:], SEALED]
        assert page.get_by_label("Classification", exact=True).input_value() == "CPV 39130000"
        assert page.get_by_label("Sort by").input_value() == "deadline"
    finally:
        context.close()
