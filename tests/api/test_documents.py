"""Documents over HTTP: an officer uploads, a tender lists, anyone downloads what it lists and
nothing else; limits on size and type; every download checked against its hash."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest

from tenderproof import seal
from tenderproof.app.documents import DEFAULT_MAX_SIZE, Limits, public_document

from ..app.conftest import _package
from .test_api_flow import TENDER

PDF = b"%PDF-1.7\n% Request for proposals: cloud services\n" + bytes(range(256)) * 64


def _upload(api, data: bytes, media: str = "application/pdf", who: str | None = "co"):
    return api.post("/api/documents", who, content=data, **{"Content-Type": media})


def _tender(api, documents: list[dict], tender_id: str = "API-1") -> None:
    body = dict(TENDER, tender_id=tender_id, tender_end=(api.clock.now + timedelta(days=30)).isoformat(),
                documents=documents)
    r = api.post("/api/tenders", "co", json=body)
    assert r.status_code == 201, r.text


def _problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/" + code) and body["status"] == status
    return body


def test_upload_list_download(api):
    r = _upload(api, PDF)
    assert r.status_code == 201, r.text
    up = r.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert up == {"sha256": digest, "size": len(PDF), "media_type": "application/pdf"}
    assert r.headers["location"] == f"/api/documents/{digest}"
    # Uploaded but not yet listed by any tender: not public.
    _problem(api.get(f"/api/documents/{digest}"), 404, "not-found")
    _tender(api, [{"id": "rfp", "title": "Request for proposals", "sha256": digest, "size": len(PDF)}])
    got = api.get(f"/api/documents/{digest}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["etag"] == f'"{digest}"'
    assert got.headers["content-disposition"] == 'attachment; filename="rfp.pdf"'
    assert got.headers["content-length"] == str(len(PDF))
    assert got.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(got.content).hexdigest() == digest
    # A cache that holds it asks again with its ETag: nothing to send.
    again = api.client.get(f"/api/documents/{digest}", headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304 and again.content == b""
    # Anyone: no token needed, and a token changes nothing.
    assert api.get(f"/api/documents/{digest}", "acme").content == PDF


def test_an_amendment_publishes_its_documents(api):
    _tender(api, [])
    text = b"Amendment 1: the deadline moves by a week.\n"
    digest = _upload(api, text, "text/plain; charset=utf-8").json()["sha256"]
    assert public_document(api.p, digest) is None
    r = api.post("/api/tenders/API-1/amendments", "co", json={
        "rationale": "more time", "changes": {"documents": [
            {"id": "amend-1", "title": "Amendment 1", "sha256": digest, "size": len(text)}]}})
    assert r.status_code == 201, r.text
    got = api.get(f"/api/documents/{digest}")
    assert got.status_code == 200 and got.content == text
    assert got.headers["content-type"].startswith("text/plain")
    assert got.headers["content-disposition"] == 'attachment; filename="amend-1.txt"'


def test_the_same_content_twice_is_one_document(api):
    first = _upload(api, PDF).json()
    second = _upload(api, PDF, "application/zip").json()
    assert second == first  # same digest, same size, the type it was first stored with
    files = [f for f in api.p.documents.root.rglob("*") if f.is_file() and f.name == first["sha256"]]
    assert len(files) == 1
    assert not any((api.p.documents.root / ".incoming").iterdir())


def test_only_officers_upload(api):
    assert _problem(_upload(api, PDF, who=None), 401, "unauthenticated")
    assert _problem(_upload(api, PDF, who="acme"), 403, "forbidden")
    assert _problem(_upload(api, PDF, who="ev"), 403, "forbidden")
    assert not any(f.is_file() for f in api.p.documents.root.rglob("*"))


@pytest.mark.parametrize("media", ["text/html", "image/svg+xml", "application/javascript", "", "pdf",
                                   "application/x-msdownload"])
def test_types_a_browser_would_run_or_nobody_named_are_refused(api, media):
    body = _problem(_upload(api, b"<script>alert(1)</script>", media), 415, "unsupported-media-type")
    assert "application/pdf" in body["detail"]
    assert not any(f.is_file() for f in api.p.documents.root.rglob("*"))


def test_size_limit_while_reading_and_by_declared_length(api):
    api.client.app.state.document_limits = Limits(max_size=1000)
    _problem(_upload(api, b"x" * 1001, "text/plain"), 413, "document-too-large")
    ok = _upload(api, b"x" * 1000, "text/plain")
    assert ok.status_code == 201 and ok.json()["size"] == 1000

    def chunks():  # no Content-Length: the limit holds while the body is read
        for _ in range(50):
            yield b"y" * 100
    r = api.client.post("/api/documents", content=chunks(),
                        headers={"Content-Type": "text/plain", "Authorization": f"Bearer {api.tokens['co']}"})
    _problem(r, 413, "document-too-large")
    stored = [f for f in api.p.documents.root.rglob("*") if f.is_file() and not f.name.endswith(".type")]
    assert [f.name for f in stored] == [hashlib.sha256(b"x" * 1000).hexdigest()]
    _problem(_upload(api, b"", "text/plain"), 422, "empty-document")


def test_limits_from_the_environment():
    assert Limits.from_env({}) == Limits()
    assert Limits().max_size == DEFAULT_MAX_SIZE
    lim = Limits.from_env({"TENDERPROOF_MAX_DOCUMENT_BYTES": "5000", "TENDERPROOF_DOCUMENT_TYPES": "application/pdf, TEXT/plain"})
    assert lim == Limits(5000, frozenset({"application/pdf", "text/plain"}))
    for bad in ({"TENDERPROOF_MAX_DOCUMENT_BYTES": "lots"}, {"TENDERPROOF_MAX_DOCUMENT_BYTES": "0"},
                {"TENDERPROOF_MAX_DOCUMENT_BYTES": str(2**31)}, {"TENDERPROOF_DOCUMENT_TYPES": "pdf"}):
        with pytest.raises(ValueError):
            Limits.from_env(bad)


def test_a_damaged_or_purged_copy_is_never_served(api):
    digest = _upload(api, PDF).json()["sha256"]
    _tender(api, [{"id": "rfp", "title": "RFP", "sha256": digest, "size": len(PDF)}])
    path = api.p.documents.path(digest)
    path.write_bytes(PDF[:-1] + b"!")  # same size, one byte changed
    body = _problem(api.get(f"/api/documents/{digest}"), 500, "document-damaged")
    assert str(api.p.documents.root) not in body["detail"]
    path.unlink()
    _problem(api.get(f"/api/documents/{digest}"), 410, "document-gone")


def test_a_large_damaged_copy_stops_before_its_last_part(api):
    big = bytes(range(256)) * (5 * 4096 + 7)  # five 1 MiB parts and some
    digest = _upload(api, big, "application/zip").json()["sha256"]
    _tender(api, [{"id": "set", "title": "Drawings", "sha256": digest, "size": len(big)}])
    assert api.get(f"/api/documents/{digest}").content == big
    damaged = bytearray(big)
    damaged[3 * 2**20] ^= 1
    api.p.documents.path(digest).write_bytes(bytes(damaged))
    received = bytearray()
    # The transfer breaks off (a real server drops the connection; the test client raises).
    with pytest.raises(Exception, match=r"damaged|response already started"), \
            api.client.stream("GET", f"/api/documents/{digest}") as r:
        assert r.status_code == 200
        for part in r.iter_bytes():
            received += part
    # Parts before the last were sent as they were read; the transfer never completes.
    assert len(received) < len(big) and bytes(damaged).startswith(bytes(received))


def test_malformed_digests(api):
    for bad in ("abc", "G" * 64, "A" * 64, "0" * 63, "0" * 65):
        r = api.get(f"/api/documents/{bad}")
        assert r.status_code in (404, 422) and r.headers["content-type"] == "application/problem+json"
    _problem(api.get("/api/documents/" + "0" * 64), 404, "not-found")


def test_sealed_bids_and_debriefing_letters_in_the_store_are_not_downloadable(api):
    """The attacker knows a sealed bid's digest (it is public) and guesses at the rest: every file in
    both stores that no tender lists answers 404, exactly as a digest never stored."""
    digest = _upload(api, PDF).json()["sha256"]
    _tender(api, [{"id": "rfp", "title": "RFP", "sha256": digest, "size": len(PDF)}])
    assert api.post("/api/tenders/API-1/publication", "co").status_code == 201
    pub = base64.b64decode(api.get("/api/tenders/API-1").json()["opening_key"]["public_key"])
    r = api.post("/api/tenders/API-1/bids", "acme", content=seal.seal_bid("API-1", pub, _package(b"SECRET OFFER")))
    assert r.status_code == 201, r.text
    bid_digest = r.json()["sealed_sha256"]
    # A debriefing letter stored as the API stores one (its digest goes on the log, the letter to the offeror).
    letter = b'{"type":"debriefing (FAR 15.506)","offeror":"acme"}'
    letter_digest = api.p.documents.put(letter)
    private_digest = api.p.private.put(b"opened bid plaintext")
    stored = {f.name for store in (api.p.documents, api.p.private) for f in store.root.rglob("*")
              if f.is_file() and len(f.name) == 64}
    assert {bid_digest, letter_digest, private_digest, digest} <= stored
    for d in stored - {digest}:
        body = _problem(api.get(f"/api/documents/{d}"), 404, "not-found")
        assert body["detail"] == f"no tender lists a document with SHA-256 {d}"
        assert api.get(f"/documents/{d}").status_code == 404  # the portal's link neither
    assert api.get(f"/api/documents/{digest}").content == PDF
