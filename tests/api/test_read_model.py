"""The API and the portal read through one read model (`app.queries`): the same search finds the
same tenders in both, `%` and `_` in it mean themselves, and OCDS packages are dated by the
installation's clock."""

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
    ("%", ["T-PCT"]),  # as a wildcard it would match every tender
    ("_", ["T-UND"]),  # as a wildcard, any one character
    ("0%", ["T-PCT"]),
    ("r_c", ["T-UND"]),
    ("pa%er", []),  # as a wildcard it would match every paper
    ("p_per", []),
    ("/", ["T-ESC"]),  # the escape character itself
    ("PAPER", ["T-PCT", "T-PLAIN", "T-UND"]),  # case-insensitive, over title and identifier
    ("t-pl", ["T-PLAIN"]),
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
