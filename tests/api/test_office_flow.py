"""An office's whole tender through the API alone, as docs/office.md runs it through the CLI: a
document at each step (the solicitation, an amendment, the debriefing letter), an answered
enquiry, the deadline amended after bids are in, the opening by shares, ratings, the award, the
contract; each document downloads byte for byte and OCDS lists it with its url and hash."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from tenderproof import seal
from tenderproof.ocds.releases import document_url

from ..app.conftest import _package

TID = "OFF-API"


def ok(r, status: int = 201) -> dict:
    assert r.status_code == status, r.text
    return r.json()


def upload(api, content: bytes, media_type: str = "text/plain") -> str:
    return ok(api.post("/api/documents", "co", content=content, **{"Content-Type": media_type}))["sha256"]


def test_a_whole_tender_over_http(api):
    rfp, amendment = b"Request for proposals: managed network operations.", b"Amendment 1: one more week."
    rfp_sha = upload(api, rfp)
    deadline = api.clock.now + timedelta(days=30)
    ok(api.post("/api/tenders", "co", json={
        "tender_id": TID, "title": "Managed network operations", "description": "12 months of operations",
        "buyer": {"id": "agency", "name": "Agency"}, "method": "open", "criteria": "bestValueTradeoff",
        "items": [{"id": "1", "description": "operations", "classification": {"scheme": "CPV", "id": "72510000"}}],
        "factors": [{"id": "tech", "name": "Technical", "weight": 2},
                    {"id": "price", "name": "Price", "kind": "price", "weight": 1}],
        "panel": {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"]},
        "opening_threshold": 2, "enquiry_end": (api.clock.now + timedelta(days=10)).isoformat(),
        "tender_end": deadline.isoformat(),
        "documents": [{"id": "rfp", "title": "RFP", "sha256": rfp_sha, "size": len(rfp), "format": "text/plain"}]}))
    ok(api.post(f"/api/tenders/{TID}/publication", "co"))
    # An enquiry, answered for everyone.
    ok(api.post(f"/api/tenders/{TID}/enquiries", "acme", json={"enquiry_id": "q-1", "question": "Weekends?"}))
    ok(api.post(f"/api/tenders/{TID}/enquiries/answers", "co", json={"enquiry_id": "q-1", "answer": "Yes."}))
    # Two sealed bids.
    pub = base64.b64decode(api.get(f"/api/tenders/{TID}").json()["opening_key"]["public_key"])
    for who, offer in (("acme", b"PRICE 1150000"), ("globex", b"PRICE 1240000")):
        ok(api.post(f"/api/tenders/{TID}/bids", who, content=seal.seal_bid(TID, pub, _package(offer)),
                    **{"Content-Type": "application/octet-stream"}))
    # With bids in, an amendment must extend the deadline; with the extension it adds a document.
    amendment_sha = upload(api, amendment)
    doc = {"id": "amendment-1", "title": "Amendment 1", "sha256": amendment_sha, "size": len(amendment)}
    refused = api.post(f"/api/tenders/{TID}/amendments", "co",
                       json={"rationale": "more time", "changes": {"documents": [doc]}})
    assert refused.status_code == 422 and refused.json()["type"].endswith("/amendment-needs-extension")
    new_deadline = deadline + timedelta(days=7)
    ok(api.post(f"/api/tenders/{TID}/amendments", "co", json={
        "rationale": "more time", "changes": {"tender_end": new_deadline.isoformat(), "documents": [doc]}}))
    # Past the new deadline: two of the three officials open the bids.
    api.clock.now = new_deadline + timedelta(hours=1)
    api.p.run_deadlines()
    for who in ("op1", "op2"):
        ok(api.post(f"/api/tenders/{TID}/declarations", who, json={"role": "opening_official", "has_conflict": False}))
        enc = base64.b64decode(api.get(f"/api/tenders/{TID}").json()["opening_key"]["encrypted_shares"][who])
        ok(api.post(f"/api/tenders/{TID}/shares", who, content=seal.decrypt_share(TID, who, enc, api.keys[who])))
    bids = {b["bidder"]: b["id"] for b in api.get(f"/api/tenders/{TID}").json()["bids"]}
    # Evaluation, award, debriefing, contract.
    ok(api.post(f"/api/tenders/{TID}/declarations", "ev", json={"role": "evaluator", "has_conflict": False}))
    for who, tech, price in (("acme", "Good", "1150000"), ("globex", "Acceptable", "1240000")):
        ok(api.post(f"/api/tenders/{TID}/ratings", "ev", json={"bid_id": bids[who], "factor_id": "tech", "rating": tech}))
        ok(api.post(f"/api/tenders/{TID}/ratings", "ev", json={"bid_id": bids[who], "factor_id": "price",
                                                                "rating": price}))
    ok(api.post(f"/api/tenders/{TID}/declarations", "ssa", json={"role": "ssa", "has_conflict": False}))
    value = {"amount": "1150000.00", "currency": "USD"}
    ok(api.post(f"/api/tenders/{TID}/award", "ssa", json={"bid_id": bids["acme"], "value": value,
                                                           "rationale": "Better and cheaper"}))
    ok(api.post(f"/api/tenders/{TID}/debriefings", "co", json={"bidder_id": "globex"}))
    letter = api.get(f"/api/tenders/{TID}/debriefings/globex/letter", "globex")
    assert letter.status_code == 200
    logged = api.get(f"/api/tenders/{TID}").json()["debriefings"]["globex"]["document_sha256"]
    assert hashlib.sha256(letter.content).hexdigest() == logged
    assert api.get(f"/api/tenders/{TID}/debriefings/globex/letter", "acme").status_code == 403
    # us-far: no standstill, the award is the contract (31 U.S.C. 3553(d) suspends performance instead).
    ok(api.post(f"/api/tenders/{TID}/contract", "co", json={"contract_id": "C-1", "value": value}))
    view = api.get(f"/api/tenders/{TID}").json()
    assert view["status"] == "complete" and view["contract"]["id"] == "C-1"

    # Every listed document downloads byte for byte; OCDS lists each with its url and hash.
    for sha, content in ((rfp_sha, rfp), (amendment_sha, amendment)):
        r = api.get(f"/api/documents/{sha}")
        assert r.status_code == 200 and r.content == content
    (record,) = [r for r in api.get("/api/ocds/records.json").json()["records"] if r["ocid"].endswith(TID)]
    docs = {d["id"]: d for d in record["compiledRelease"]["tender"]["documents"]}
    assert {"rfp", "amendment-1"} <= set(docs)  # beside the enquiry, published as a clarification
    for d, sha in ((docs["rfp"], rfp_sha), (docs["amendment-1"], amendment_sha)):
        assert d["url"] == document_url(sha, api.p.document_base_url) and sha in d["description"]
    assert docs["rfp"]["format"] == "text/plain"
