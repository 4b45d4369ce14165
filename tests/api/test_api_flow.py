"""A procurement driven entirely over HTTP: create, publish, bid, open, rate, award."""

from __future__ import annotations

import base64
from datetime import timedelta

from tenderproof import seal
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof

from ..app.conftest import _package

TENDER = {
    "tender_id": "API-1", "title": "Cloud", "description": "", "buyer": {"id": "agency", "name": "Agency"},
    "method": "open", "criteria": "lowestPrice",
    "items": [{"id": "i1", "description": "cloud", "classification": {"scheme": "CPV", "id": "72000000"}}],
    "factors": [{"id": "tech", "name": "Technical"}, {"id": "price", "name": "Price", "kind": "price"}],
    "panel": {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"]},
    "opening_threshold": 2,
}


def test_procurement_over_http(api):
    body = dict(TENDER, tender_end=(api.clock.now + timedelta(days=30)).isoformat())
    r = api.post("/api/tenders", "co", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["events"][0]["type"] == "tender.created"
    assert api.post("/api/tenders/API-1/publication", "co").status_code == 201
    view = api.get("/api/tenders/API-1").json()
    pub = base64.b64decode(view["opening_key"]["public_key"])
    sealed = seal.seal_bid("API-1", pub, _package(b"ACME OFFER 100"))
    r = api.post("/api/tenders/API-1/bids", "acme", content=sealed, **{"Idempotency-Key": "k1",
                                                                       "Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    receipt = r.json()
    proof = TlogProof.parse(receipt["tlog_proof"])
    verify_tlog_proof(proof, base64.b64decode(receipt["entry"]), verifiers=[api.p.log.log_verifier()])
    # A retry with the same key gives the same answer, and there is still one bid.
    again = api.post("/api/tenders/API-1/bids", "acme", content=sealed, **{"Idempotency-Key": "k1"})
    assert again.status_code == 201 and again.json()["events"] == receipt["events"]
    assert len(api.get("/api/tenders/API-1").json()["bids"]) == 1
    # Reused key, different request: refused.
    other = seal.seal_bid("API-1", pub, _package(b"ANOTHER"))
    r = api.post("/api/tenders/API-1/bids", "acme", content=other, **{"Idempotency-Key": "k1"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/idempotency-mismatch")
    # The deadline passes; two officials hand in their shares; the bids open.
    api.clock.advance(days=31)
    late = api.post("/api/tenders/API-1/bids", "globex", content=seal.seal_bid("API-1", pub, _package(b"late")))
    assert late.status_code == 409 and late.json()["type"].endswith("/late-bid") and late.json()["logged"] is True
    for who in ("op1", "op2"):
        assert api.post("/api/tenders/API-1/declarations", who, json={"role": "opening_official", "has_conflict": False}).status_code == 201
        enc = base64.b64decode(api.get("/api/tenders/API-1").json()["opening_key"]["encrypted_shares"][who])
        share = seal.decrypt_share("API-1", who, enc, api.keys[who])
        r = api.post("/api/tenders/API-1/shares", who, content=share)
        assert r.status_code == 201, r.text
    view = api.get("/api/tenders/API-1").json()
    assert view["status"] == "active.evaluation" and view["bids"][0]["bidder"] == "acme"
    # The change feed is strictly in ledger order and complete.
    feed, after = [], -1
    while True:
        page = api.get("/api/events", after=after, limit=3).json()
        if not page["events"]:
            break
        feed += page["events"]
        after = page["next_after"]
    assert [e["index"] for e in feed] == sorted(e["index"] for e in feed)
    assert len(feed) == api.p.log.head().size


def test_nul_characters_and_malformed_commitments_are_refused_cleanly(api):
    """Found by schemathesis on PostgreSQL: a NUL in a lookup value crashed the request (500)."""
    body = dict(TENDER, tender_end=(api.clock.now + timedelta(days=30)).isoformat())
    assert api.post("/api/tenders", "co", json=body).status_code == 201
    r = api.post("/api/tenders/API-1/disclosures", "co", json={"commitments": ["\u0000x"]})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = api.get("/api/tenders", q="a\u0000b")
    assert r.status_code in (200, 422)
    r = api.get("/api/tenders/API%001")
    assert r.status_code in (404, 422) and r.headers["content-type"] == "application/problem+json"
