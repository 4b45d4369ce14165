"""The API and the portal read through one read model (`app.queries`): the same search finds the
same tenders in both, word by word (`%` and `_` are never wildcards), and OCDS packages are dated
by the installation's clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

TITLES = {"T-PCT": "100% recycled paper", "T-UND": "Paper_clips", "T-PLAIN": "Plain paper", "T-ESC": "Forms A/B"}


def _create(api, tender_id: str, title: str) -> None:
    body = {
        "tender_id": tender_id, "title": title, "description": "", "buyer": {"id": "agency", "name": "Agency"},
        "method": "open", "criteria": "lowestPrice",
        "items": [{"id": "i1", "description": "paper", "classification": {"scheme": "CPV", "id": "30197630"}}],
        "factors": [{"id": "price", "name": "Price", "kind": "price"}],
        "panel": {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"]},
        "opening_threshold": 2, "tender_end": (api.clock.now + timedelta(days=30)).isoformat(),
    }
    assert api.post("/api/tenders", "co", json=body).status_code == 201


@pytest.fixture
def papers(api):
    for tid, title in TITLES.items():
        _create(api, tid, title)
    return api


def _api_search(api, q: str) -> list[str]:
    r = api.get("/api/tenders", q=q)
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["items"]]


def _portal_search(api, q: str) -> list[str]:
    r = api.get("/", q=q)
    assert r.status_code == 200, r.text
    return re.findall(r'<th scope="row"><a href="/tenders/([^"]+)">', r.text)


@pytest.mark.parametrize(("q", "found"), [
    ("%", []),  # as a wildcard it would match every tender; it is no word, so it finds nothing
    ("_", []),  # as a wildcard, any one character
    ("100%", ["T-PCT"]),
    ("r_c", []),  # a search word begins a word: "paper_clips" is one word
    ("paper_c", ["T-UND"]),
    ("pa%er", []),  # as a wildcard it would match every paper
    ("p_per", []),
    ("/", []),
    ("a/b", ["T-ESC"]),  # punctuation separates words
    ("PAPER", ["T-PCT", "T-PLAIN", "T-UND"]),  # case-insensitive, over title and identifier
    ("t-pl", ["T-PLAIN"]),
    ("agency", sorted(TITLES)),  # and the buyer
    ("cpv 30197", sorted(TITLES)),  # and the classification
])
def test_api_and_portal_search_alike_and_literally(papers, q, found):
    assert _api_search(papers, q) == found
    assert _portal_search(papers, q) == found


def test_ocds_packages_are_dated_by_the_installation_clock(papers):
    for when in (datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC), datetime(2032, 1, 2, 3, 4, 5, tzinfo=UTC)):
        papers.clock.now = when
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        releases = papers.get("/api/ocds/releases.json").json()
        assert releases["publishedDate"] == stamp and releases["releases"]
        assert papers.get("/api/ocds/records.json").json()["publishedDate"] == stamp
        ocid = releases["releases"][0]["ocid"]
        assert papers.get(f"/api/ocds/records/{ocid}").json()["publishedDate"] == stamp


@pytest.mark.parametrize(("params", "name"), [
    ({"value_min": "lots"}, "value_min"), ({"value_max": "-5"}, "value_max"), ({"value_min": "nan"}, "value_min"),
    ({"currency": "EURO"}, "currency"), ({"published_from": "2020-02-30"}, "published_from"),
    ({"deadline_to": "soon"}, "deadline_to"), ({"awarded_from": "x"}, "awarded_from"), ({"sort": "price"}, "sort"),
    ({"order": "up"}, "order"), ({"limit": "0"}, "limit"), ({"buyer": "x" * 201}, "buyer"),
    ({"sort": "title", "cursor": "NO-SUCH-TENDER"}, "cursor"),
])
def test_an_invalid_search_parameter_is_a_problem_naming_it(papers, params, name):
    r = papers.get("/api/tenders", **params)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    body = r.json()
    assert body["errors"][0]["field"] == name and body["errors"][0]["in"] == "query"
    assert body["detail"].startswith(f"{name}: ")


def test_the_api_filters_sorts_and_pages_as_the_portal(papers):
    def ids(**params) -> list[str]:
        r = papers.get("/api/tenders", **params)
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()["items"]]

    assert ids(sort="title") == ["T-PCT", "T-ESC", "T-UND", "T-PLAIN"]  # "100% …", "Forms …", "Paper_clips", "Plain …"
    assert ids(sort="title", order="desc") == ["T-PLAIN", "T-UND", "T-ESC", "T-PCT"]
    assert ids(classification="CPV 30197630", buyer="agency", q="paper") == ["T-PCT", "T-PLAIN", "T-UND"]
    assert ids(classification="CPV 72") == [] and ids(supplier="agency") == [] and ids(bidder="agency") == []
    day = papers.clock.now.date()
    assert len(ids(deadline_from=str(day + timedelta(days=30)), deadline_to=str(day + timedelta(days=30)))) == 4
    assert ids(deadline_to=str(day + timedelta(days=29))) == []
    assert ids(published_from="2000-01-01") == []  # drafts are not published
    # Paging in the asked order: each once, the cursor the last id of a page.
    seen, cursor = [], None
    while True:
        r = papers.get("/api/tenders", sort="title", order="desc", limit=3, **({"cursor": cursor} if cursor else {}))
        page = r.json()
        seen += [t["id"] for t in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == ids(sort="title", order="desc")
    first = papers.get("/api/tenders", q="plain").json()["items"][0]
    assert first["buyer"] == "Agency" and first["published"] is None and first["deadline"]
    # The portal finds the same tenders with the same parameters.
    portal = papers.get("/", classification="CPV 30197630", q="paper", sort="title", order="desc")
    assert _portal_rows(portal.text) == ids(classification="CPV 30197630", q="paper", sort="title", order="desc")


def _portal_rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/tenders/([^"]+)">', html)
