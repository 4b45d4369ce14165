"""Atom feeds (RFC 4287) of a tender, a buyer, a supplier and a search, read back with a parser
(xml.etree: feedparser is not a dependency) and checked for the elements RFC 4287 requires;
conditional GET; and the sealed-bid promise: no feed names a bidder before the opening."""

from __future__ import annotations

import base64
import re
import secrets
import xml.etree.ElementTree as ET
from datetime import timedelta
from email.utils import format_datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof import seal
from tenderproof.app import accounts, feeds
from tenderproof.domain.model import parse_time
from tenderproof.portal.labels import EVENT_LABELS, event_label

from ..app.conftest import _package
from .test_api_flow import TENDER

NS = {"a": feeds.ATOM}
ATOM_TYPE = "application/atom+xml"


def _time(text: str | None) -> None:
    assert text and parse_time(text).tzinfo is not None, text  # RFC 3339 with an offset (§3.3)


def parse(body: bytes) -> ET.Element:
    """The feed, checked for what RFC 4287 §4.1.1 and §4.1.2 require of a feed and its entries."""
    root = ET.fromstring(body)  # well-formed, or this raises
    assert root.tag == f"{{{feeds.ATOM}}}feed"
    for tag in ("id", "title", "updated"):
        assert len(root.findall(f"a:{tag}", NS)) == 1, tag
    _time(root.findtext("a:updated", namespaces=NS))
    assert root.find("a:author/a:name", NS) is not None  # entries have no author of their own
    assert root.find("a:link[@rel='self']", NS) is not None
    for entry in root.findall("a:entry", NS):
        for tag in ("id", "title", "updated"):
            assert len(entry.findall(f"a:{tag}", NS)) == 1, tag
        _time(entry.findtext("a:updated", namespaces=NS))
        alternates = entry.findall("a:link[@rel='alternate']", NS)  # §4.1.2: no content, so one alternate
        assert len(alternates) == 1 and alternates[0].get("href")
    return root


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall("a:entry", NS)


def get_feed(api, path: str, **params) -> ET.Element:
    r = api.client.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(ATOM_TYPE)
    return parse(r.content)


def create(api, tid: str, buyer: dict | None = None, title: str = "Cloud", days: int = 30) -> None:
    body = dict(TENDER, tender_id=tid, title=title, tender_end=(api.clock.now + timedelta(days=days)).isoformat())
    if buyer:
        body["buyer"] = buyer
    assert api.post("/api/tenders", "co", json=body).status_code == 201
    assert api.post(f"/api/tenders/{tid}/publication", "co").status_code == 201


def bid(api, tid: str, who: str, content: bytes) -> None:
    pub = base64.b64decode(api.get(f"/api/tenders/{tid}").json()["opening_key"]["public_key"])
    r = api.post(f"/api/tenders/{tid}/bids", who, content=seal.seal_bid(tid, pub, _package(content)),
                 **{"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text


def open_bids(api, tid: str) -> None:
    for who in ("op1", "op2"):
        decl = {"role": "opening_official", "has_conflict": False}
        assert api.post(f"/api/tenders/{tid}/declarations", who, json=decl).status_code == 201
        enc = base64.b64decode(api.get(f"/api/tenders/{tid}").json()["opening_key"]["encrypted_shares"][who])
        r = api.post(f"/api/tenders/{tid}/shares", who, content=seal.decrypt_share(tid, who, enc, api.keys[who]))
        assert r.status_code == 201, r.text


def test_a_tenders_feed_is_atom_with_every_event_newest_first(api):
    create(api, "F-1")
    assert api.post("/api/tenders/F-1/enquiries", "acme", json={"enquiry_id": "q1", "question": "Region?"}).status_code == 201
    root = get_feed(api, "/feeds/tenders/F-1.atom")
    logged = api.get("/api/tenders/F-1/events").json()
    got = entries(root)
    assert len(got) == len(logged) == 3
    base = "http://testserver"
    assert [e.findtext("a:id", namespaces=NS) for e in got] == [f"{base}/log/entries/{e['index']}" for e in logged[::-1]]
    assert [e.findtext("a:title", namespaces=NS) for e in got] == [event_label(e["envelope"]["type"])
                                                                   for e in logged[::-1]]
    assert {event_label(e["envelope"]["type"]) for e in logged} <= set(EVENT_LABELS.values())
    newest = got[0]
    assert newest.find("a:link[@rel='alternate']", NS).get("href") == f"{base}/events/{logged[-1]['index']}"
    assert newest.find("a:link[@rel='related']", NS).get("href") == f"{base}/tenders/F-1"
    assert newest.find("a:link[@rel='via']", NS).get("href") == f"{base}/log/entries/{logged[-1]['index']}"
    assert root.findtext("a:updated", namespaces=NS) == logged[-1]["envelope"]["time"]
    # The log entry an entry names is the event itself.
    entry = api.client.get(f"/log/entries/{logged[-1]['index']}")
    assert entry.status_code == 200 and b"enquiry" in entry.content


def test_conditional_get_answers_304_until_the_feed_changes(api):
    create(api, "F-2")
    first = api.client.get("/feeds/tenders/F-2.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and "no-cache" in first.headers["cache-control"]
    again = api.client.get("/feeds/tenders/F-2.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content and again.headers["etag"] == etag
    assert api.client.get("/feeds/tenders/F-2.atom", headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    assert api.client.get("/feeds/tenders/F-2.atom", headers={"If-Modified-Since": modified}).status_code == 304
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2); a garbled date is ignored.
    assert api.client.get("/feeds/tenders/F-2.atom", headers={"If-None-Match": '"other"',
                                                              "If-Modified-Since": modified}).status_code == 200
    assert api.client.get("/feeds/tenders/F-2.atom", headers={"If-Modified-Since": "yesterday"}).status_code == 200
    api.clock.advance(hours=1)
    assert api.post("/api/tenders/F-2/enquiries", "acme", json={"enquiry_id": "q1", "question": "Region?"}).status_code == 201
    changed = api.client.get("/feeds/tenders/F-2.atom", headers={"If-None-Match": etag, "If-Modified-Since": modified})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    later = api.client.get("/feeds/tenders/F-2.atom", headers={"If-Modified-Since": modified})
    assert later.status_code == 200
    newer = format_datetime(parse_time("2100-01-01T00:00:00Z"), usegmt=True)
    assert api.client.get("/feeds/tenders/F-2.atom", headers={"If-Modified-Since": newer}).status_code == 304


def test_a_buyers_feed_holds_its_tenders_only(api):
    create(api, "B-1", {"id": "agency", "name": "Agency"})
    create(api, "B-2", {"id": "agency-east", "name": "Agency East"})  # "agency" is a part of its id
    create(api, "B-3", {"id": "agency", "name": "Agency"})
    tenders = {e.find("a:link[@rel='related']", NS).get("href").rsplit("/", 1)[1]
               for e in entries(get_feed(api, "/feeds/buyers/agency.atom"))}
    assert tenders == {"B-1", "B-3"}
    assert len(entries(get_feed(api, "/feeds/buyers/agency.atom"))) == 4  # created and published, each
    assert entries(get_feed(api, "/feeds/buyers/agen.atom")) == []  # an exact identifier, not a part


def test_no_feed_names_a_bidder_before_the_opening(api):
    """A marker bidder bids: before the opening, nothing any feed answers names it (its own
    supplier feed is empty, like an unknown supplier's); from the opening on its feed lists the
    tender's events, the opening first, and nothing logged before it."""
    p = api.p
    marker, marker_name = f"m-{secrets.token_hex(6)}", f"Marker {secrets.token_hex(8)}"
    accounts.add_person(p, marker, marker_name)
    accounts.grant(p, marker, "bidder")
    api.tokens[marker] = accounts.issue_token(p, marker, "test")
    create(api, "S-1")
    bid(api, "S-1", marker, b"MARKER PRICE 100")
    bid(api, "S-1", "globex", b"GLOBEX PRICE 200")
    urls = ["/feeds/tenders/S-1.atom", "/feeds/buyers/agency.atom", "/feeds/search.atom", "/feeds/search.atom?q=S-1",
            "/feeds/suppliers/globex.atom", "/feeds/suppliers/acme.atom"]

    def names_marker(body: bytes) -> bool:
        return marker.encode() in body or marker_name.encode() in body

    for url in urls:
        r = api.client.get(url)
        assert r.status_code == 200 and not names_marker(r.content), url
    own = api.client.get(f"/feeds/suppliers/{marker}.atom")
    assert entries(parse(own.content)) == []
    unknown = api.client.get(f"/feeds/suppliers/m-{secrets.token_hex(6)}.atom")
    assert entries(parse(unknown.content)) == []

    api.clock.advance(days=31)
    open_bids(api, "S-1")
    got = entries(get_feed(api, f"/feeds/suppliers/{marker}.atom"))
    logged = api.get("/api/tenders/S-1/events").json()
    opening = next(e for e in logged if e["envelope"]["type"] == "bids.opened")
    ids = [e.findtext("a:id", namespaces=NS).rsplit("/", 1)[1] for e in got]
    assert ids == [str(e["index"]) for e in logged[::-1] if e["envelope"]["seq"] >= opening["envelope"]["seq"]]
    assert got[-1].findtext("a:category", namespaces=None) is None  # category is an attribute, not text
    assert got[-1].find("a:category", NS).get("term") == "bids.opened"
    assert [e.find("a:category", NS).get("term") for e in entries(get_feed(api, "/feeds/suppliers/globex.atom"))] \
        == [e.find("a:category", NS).get("term") for e in got]


def test_a_search_feed_lists_what_the_list_finds(api):
    create(api, "Q-1", title="Cloud hosting")
    create(api, "Q-2", title="Office chairs")
    assert api.post("/api/tenders/Q-2/cancellation", "co", json={"reason": "no longer needed"}).status_code == 201
    listed = {t["id"] for t in api.get("/api/tenders", q="cloud").json()["items"]}
    found = {e.findtext("a:id", namespaces=NS).rsplit("/", 1)[1] for e in entries(get_feed(api, "/feeds/search.atom", q="cloud"))}
    assert found == listed == {"Q-1"}
    cancelled = entries(get_feed(api, "/feeds/search.atom", status="cancelled"))
    assert [e.findtext("a:title", namespaces=NS) for e in cancelled] == ["Office chairs"]
    assert "Tender cancelled" in cancelled[0].findtext("a:summary", namespaces=NS)
    assert len(entries(get_feed(api, "/feeds/search.atom"))) == 2


def test_a_search_feed_takes_the_lists_filters_newest_published_first(api):
    create(api, "R-1", {"id": "navy", "name": "Department of the Navy"}, title="Radar")
    api.clock.advance(days=1)
    create(api, "R-2", {"id": "army", "name": "Department of the Army"}, title="Boots")
    api.clock.advance(days=1)
    create(api, "R-3", {"id": "navy", "name": "Department of the Navy"}, title="Sonar")

    def ids(**params) -> list[str]:
        return [e.findtext("a:id", namespaces=NS).rsplit("/", 1)[1]
                for e in entries(get_feed(api, "/feeds/search.atom", **params))]

    assert ids() == ["R-3", "R-2", "R-1"]  # newest published first
    assert ids(buyer="navy") == ["R-3", "R-1"]
    listed = [t["id"] for t in api.get("/api/tenders", buyer="navy", sort="title").json()["items"]]
    assert ids(buyer="navy", sort="title") == listed == ["R-1", "R-3"]  # the list's own order when asked
    assert ids(limit=1) == ["R-3"]


def test_bad_requests_are_problems(api):
    r = api.client.get("/feeds/tenders/NOPE.atom")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    for url in (f"/feeds/buyers/{'x' * 201}.atom", f"/feeds/search.atom?q={'x' * 201}",
                "/feeds/search.atom?value_min=-1", "/feeds/search.atom?published_from=yesterday",
                "/feeds/search.atom?sort=nonsense"):
        r = api.client.get(url)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", url


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_any_text_makes_a_well_formed_feed(title, summary):
    entry = feeds.Entry(id="urn:x:1", title=title, updated="2020-01-02T03:04:05Z", summary=summary,
                        links=[feeds.Link(f"https://example.org/?q={title}")])
    body = feeds.atom(feeds.Feed(id="urn:x", title=title, self_url="https://example.org/f.atom", author="a",
                                 entries=[entry]))
    root = parse(body)
    e = entries(root)[0]
    # A parser normalizes line ends (XML 1.0 §2.11); nothing else may change.
    assert e.findtext("a:title", namespaces=NS) == re.sub("\r\n?", "\n", feeds.xml_text(title))
    assert e.findtext("a:summary", namespaces=NS) == re.sub("\r\n?", "\n", feeds.xml_text(summary))
