"""An installation given its public URL publishes OCDS documents with their download URL there, and
that URL downloads the document from the app; without one, the RFC 6920 ni: URI. Rebuild agrees
given the same setting, and finds releases stored under another. A document's media type, given
with it, is kept and published as its OCDS `format`; events logged without one fold as before."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tenderproof.app.publication import DOCUMENTS_PATH, stale_stored_release, stored_releases
from tenderproof.app.rebuild import rebuild
from tenderproof.app.service import Procurement
from tenderproof.domain import evolve
from tenderproof.instance import InstanceError, Settings, public_url
from tenderproof.ocds.releases import NI_PREFIX, document_url

from .conftest import Api
from .test_api_flow import TENDER

PUBLIC = "https://tenders.example.gov/procurement"
PDF = b"%PDF-1.7 the solicitation\n"
SHA = hashlib.sha256(PDF).hexdigest()


def _at(api: Api, public: str | None) -> Api:
    """The same installation, served by a service given `public` as its public URL."""
    return Api(Procurement(api.p.log, api.p.documents.root.parent, api.clock, public_url=public), api.clock,
               api.tokens, api.keys)


def _tender(api: Api, tid: str, **doc) -> None:
    assert api.post("/api/documents", "co", content=PDF, **{"Content-Type": "application/pdf"}).status_code == 201
    body = dict(TENDER, tender_id=tid, tender_end=(api.clock.now + timedelta(days=30)).isoformat(),
                documents=[{"id": "rfp", "title": "Request for proposals", "sha256": SHA, "size": len(PDF), **doc}])
    r = api.post("/api/tenders", "co", json=body)
    assert r.status_code == 201, r.text


def _documents(api: Api) -> list[dict]:
    package = api.get("/api/ocds/releases.json").json()
    return [d for rel in package["releases"] for d in rel["tender"].get("documents", [])]


def test_documents_link_to_their_download_at_the_public_url(api):
    served = _at(api, PUBLIC + "/")  # a trailing slash is not doubled
    _tender(served, "PUB-1")
    docs = _documents(served)
    assert docs and all(d["url"] == f"{PUBLIC}/api/documents/{SHA}" for d in docs)
    assert [d["url"] for d in stored_releases(served.p)[0]["tender"]["documents"]] == [docs[0]["url"]]
    # The URL's path, asked of the app (which the proxy at PUBLIC forwards to), gives the bytes.
    path = urlsplit(docs[0]["url"]).path.removeprefix(urlsplit(PUBLIC).path)
    assert path == DOCUMENTS_PATH + SHA
    got = served.get(path)
    assert got.status_code == 200 and got.content == PDF


def test_without_a_public_url_documents_are_ni_uris(api):
    _tender(api, "PUB-2")
    docs = _documents(api)
    assert [d["url"] for d in docs] == [document_url(SHA)] and docs[0]["url"].startswith(NI_PREFIX)
    assert docs[0]["description"] == f"SHA-256 {SHA}, {len(PDF)} bytes"


def test_rebuild_agrees_given_the_same_setting(api):
    served = _at(api, PUBLIC)
    _tender(served, "PUB-3")
    assert stale_stored_release(served.p) is None
    report = rebuild(served.p, check=True)
    assert report.identical and report.tenders == 1, report.differences
    # Without the setting (or with another), the releases differ, and only they.
    for other in (None, "https://elsewhere.example.org"):
        moved = _at(api, other)
        assert stale_stored_release(moved.p) == f"{PUBLIC}/api/documents/{SHA}"
        report = rebuild(moved.p, check=True)
        assert [d.split(":")[0] for d in report.differences] == ["ocds_releases"]
    # Rebuilding with the new setting moves every stored release to it.
    moved = _at(api, "https://elsewhere.example.org")
    assert rebuild(moved.p).identical
    assert stale_stored_release(moved.p) is None
    assert _documents(moved)[0]["url"] == f"https://elsewhere.example.org/api/documents/{SHA}"
    assert rebuild(moved.p, check=True).identical


def test_a_documents_format_is_kept_and_published(api):
    _tender(api, "PUB-4", format="application/pdf")
    assert api.p.state("PUB-4")["documents"][0]["format"] == "application/pdf"
    assert _documents(api)[0]["format"] == "application/pdf"
    assert rebuild(api.p, check=True).identical


def test_a_document_without_format_folds_as_before(api):
    _tender(api, "PUB-5")
    doc = api.p.state("PUB-5")["documents"][0]
    assert "format" not in doc and set(doc) == {"id", "title", "sha256", "size", "date"}
    assert "format" not in _documents(api)[0]
    # The logged event, folded again, gives the same document.
    created = api.p.events("PUB-5")[0].envelope
    assert "format" not in created["payload"]["documents"][0]
    assert evolve(None, created)["documents"] == [doc]


@pytest.mark.parametrize("fmt", ["pdf", "application/pdf; charset=x", "Application/PDF", "a/" + "b" * 200, None, 7])
def test_a_format_that_is_not_a_media_type_is_refused(api, fmt):
    assert api.post("/api/documents", "co", content=PDF, **{"Content-Type": "application/pdf"}).status_code == 201
    size = api.p.log.head().size
    body = dict(TENDER, tender_end=(api.clock.now + timedelta(days=30)).isoformat(),
                documents=[{"id": "rfp", "title": "RFP", "sha256": SHA, "size": len(PDF), "format": fmt}])
    r = api.post("/api/tenders", "co", json=body)
    assert r.status_code in (400, 422) and r.headers["content-type"] == "application/problem+json", r.text
    assert api.p.log.head().size == size and api.p.state(TENDER["tender_id"]) is None


@pytest.mark.parametrize(("given", "kept"), [
    ("https://tenders.example.gov", "https://tenders.example.gov"),
    ("https://tenders.example.gov/", "https://tenders.example.gov"),
    (" http://127.0.0.1:8000/tp/ ", "http://127.0.0.1:8000/tp"),
    ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443"),
])
def test_public_urls(given, kept, monkeypatch):
    assert public_url(given) == kept
    monkeypatch.setenv("TENDERPROOF_PUBLIC_URL", given)
    assert Settings.resolve("d", "sqlite://").public_url == kept
    assert Settings.resolve("d", "sqlite://", "https://given.example").public_url == "https://given.example"


@pytest.mark.parametrize("bad", [
    "tenders.example.gov", "ftp://tenders.example.gov", "https://", "https:///path", "https://x.gov/?a=1",
    "https://x.gov/#top", "https://x.gov?", "https://user:pw@x.gov", "https://x.gov:99999", "https://x.gov/a b",
    "https://x.gov/\x01", "javascript:alert(1)", "https://x.gov/" + "a" * 1000,
])
def test_not_public_urls(bad, monkeypatch):
    with pytest.raises(InstanceError, match="public URL"):
        public_url(bad)
    monkeypatch.setenv("TENDERPROOF_PUBLIC_URL", bad)
    with pytest.raises(InstanceError):
        Settings.resolve("d", "sqlite://")
