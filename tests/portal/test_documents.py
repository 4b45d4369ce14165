"""Documents on the portal: a tender's page links each document it lists, the link downloads
exactly the logged bytes, and nothing else in the stores (sealed bids, debriefing letters,
opened bids) is downloadable from the portal or the API, whoever guesses its digest."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from tenderproof.api import create_app

from .conftest import JEDI, SEALED
from .htmlcheck import Page


@pytest.fixture(scope="module")
def client(world):
    with TestClient(world.app()) as c:
        yield c


@pytest.fixture(scope="module")
def api_client(world):
    with TestClient(create_app(world.p)) as c:
        yield c


def test_the_tender_page_links_its_documents(client, world):
    html = client.get(f"/tenders/{SEALED}").text
    doc = world.p.state(SEALED)["documents"][0]
    link = f'<a href="/documents/{doc["sha256"]}" download aria-label="Download {doc["title"]}">'
    assert link in html and Page(html).problems() == []
    r = client.get(f"/documents/{doc['sha256']}")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == doc["sha256"]
    assert len(r.content) == doc["size"]
    assert r.headers["etag"] == f'"{doc["sha256"]}"'
    assert r.headers["content-disposition"] == 'attachment; filename="rfp"'  # stored without a type: no extension
    assert r.headers["content-type"] == "application/octet-stream"


def _stored(world) -> set[str]:
    return {f.name for store in (world.p.documents, world.p.private) for f in store.root.rglob("*")
            if f.is_file() and len(f.name) == 64}


def test_nothing_but_listed_documents_is_downloadable(client, api_client, world):
    listed = {d["sha256"] for tid in (JEDI, SEALED) for d in world.p.state(tid)["documents"]}
    sealed_bids = {b["sealed_sha256"] for tid in (JEDI, SEALED) for b in world.p.state(tid)["bids"].values()}
    letters = {d["document_sha256"] for d in world.p.state(JEDI)["debriefings"].values()}
    stored = _stored(world)
    # The attack is real: the stores hold sealed bids, debriefing letters and opened bids.
    assert sealed_bids and letters and sealed_bids <= stored and letters <= stored
    assert any(f.is_file() for f in world.p.private.root.rglob("*"))
    for d in stored - listed:
        portal = client.get(f"/documents/{d}")
        assert portal.status_code == 404 and "No such document" in portal.text, d
        api = api_client.get(f"/api/documents/{d}")
        assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json", d
        # The same answer as for a digest never stored: nothing tells what the store holds.
        never = api_client.get(f"/api/documents/{'0' * 64}").json()
        assert api.json() | {"detail": ""} == never | {"detail": ""}
    for d in listed:
        assert client.get(f"/documents/{d}").status_code == 200


@pytest.mark.parametrize("path", ["/documents/abc", "/documents/" + "A" * 64, "/documents/" + "0" * 64,
                                  "/documents/" + "a" * 10_000, "/documents/.incoming"])
def test_malformed_or_unknown_digests_get_the_portal_404(client, path):
    r = client.get(path)
    assert r.status_code == 404 and "No such document" in r.text


def test_no_path_reaches_a_file_by_name(client, api_client):
    for path in ("/documents/..%2f..%2ftenderproof.db", "/documents/%2e%2e/log.key", "/api/documents/..%2flog.key"):
        for c in (client, api_client):
            r = c.get(path)
            assert r.status_code == 404 and b"SQLite format" not in r.content and b"PRIVATE" not in r.content


def test_a_listed_document_without_a_good_copy_is_explained(client, world):
    doc = world.p.state(SEALED)["documents"][0]
    path = world.p.documents.path(doc["sha256"])
    kept = path.read_bytes()
    try:
        path.write_bytes(kept[:-1] + b"?")  # damaged: never served
        r = client.get(f"/documents/{doc['sha256']}")
        assert r.status_code == 404 and "Document not available" in r.text and kept not in r.content
        path.unlink()  # purged
        r = client.get(f"/documents/{doc['sha256']}")
        assert r.status_code == 404 and "Document not available" in r.text and SEALED in r.text
    finally:
        path.write_bytes(kept)
    assert client.get(f"/documents/{doc['sha256']}").content == kept
