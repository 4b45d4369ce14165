"""A tender divided into lots through the API and the portal: bids name the lots they cover (a
query parameter beside the sealed blob), which is public before the opening while the bidder is
not; each lot awarded and contracted on its own; the page and the API read show every lot."""

from __future__ import annotations

from tenderproof.domain import commands as c

from ..app.conftest import BUYER, EVAL, SSA, World

TID = "LOT-API-1"
LOTS = [{"id": "L1", "title": "Compute"}, {"id": "L2", "title": "Storage"}]
ITEMS = [{"id": "i1", "description": "Compute", "classification": {"scheme": "CPV", "id": "72000000"},
          "related_lot": "L1"},
         {"id": "i2", "description": "Storage", "classification": {"scheme": "CPV", "id": "72000000"},
          "related_lot": "L2"}]
BIDS = {"acme": ["L1", "L2"], "globex": ["L1"]}


def _bid(api, w: World, who: str, lots: list[str]):
    sealed = w.seal(f"{who} MARKER-{who.upper()}-7c1d".encode(), TID)
    query = "&".join(f"lot={x}" for x in lots)
    return api.post(f"/api/tenders/{TID}/bids" + (f"?{query}" if query else ""), who, content=sealed,
                    **{"Content-Type": "application/octet-stream"})


def test_lots_from_the_solicitation_to_each_lots_contract(api):
    w = World(api.p, api.clock, api.keys)
    w.create(TID, lots=LOTS, items=ITEMS, enquiries=False)
    w.publish(TID)
    r = _bid(api, w, "acme", [])
    assert r.status_code == 409 and r.json()["type"].endswith("lot-needed")
    r = _bid(api, w, "acme", ["L3"])
    assert r.status_code in (404, 409) and "no lot L3" in r.json()["detail"]
    bids = {}
    for who, lots in BIDS.items():
        r = _bid(api, w, who, lots)
        assert r.status_code == 201, r.text
        bids[who] = r.json()["bid_id"]
    # Before the opening: which lots each bid covers is public, who bid is not.
    view = api.get(f"/api/tenders/{TID}").json()
    assert sorted(b["lots"] for b in view["bids"]) == [["L1"], ["L1", "L2"]]
    page = api.client.get(f"/tenders/{TID}").text
    assert "acme" not in view.__repr__() and "globex" not in view.__repr__()
    assert "Storage" in page and "MARKER" not in page
    api.clock.advance(days=31)
    api.p.run_deadlines()
    w.open(TID)
    for official in (BUYER, EVAL, SSA):
        w.declare(official, TID)
    prices = {("acme", "L1"): "120", ("acme", "L2"): "80", ("globex", "L1"): "100"}
    for (who, lot), price in prices.items():
        api.p.execute(c.RateProposal(TID, bids[who], "price", price, lot=lot), EVAL)
        api.p.execute(c.RateProposal(TID, bids[who], "tech", "Good", lot=lot), EVAL)
    r = api.post(f"/api/tenders/{TID}/award", "ssa", json={
        "bid_id": bids["globex"], "value": {"amount": "100", "currency": "USD"}, "rationale": "Lowest.", "lot": "L1"})
    assert r.status_code == 201, r.text
    r = api.post(f"/api/tenders/{TID}/contract", "co", json={
        "contract_id": "C-L1", "value": {"amount": "100", "currency": "USD"}, "lot": "L1"})
    assert r.status_code == 201, r.text
    assert api.get(f"/api/tenders/{TID}").json()["status"] == "active.evaluation"  # L2 not yet awarded
    api.p.execute(c.DecideAward(TID, bids["acme"], {"amount": "80", "currency": "USD"}, "Only offer.", lot="L2"), SSA)
    api.clock.advance(days=1)
    api.p.execute(c.SignContract(TID, "C-L2", {"amount": "80", "currency": "USD"}, lot="L2"), BUYER)
    view = api.get(f"/api/tenders/{TID}").json()
    assert view["status"] == "complete" and set(view["lot_contracts"]) == {"L1", "L2"}
    assert {a["lot"]: a["supplier"]["id"] for a in view["awards"]} == {"L1": "globex", "L2": "acme"}
    page = api.client.get(f"/tenders/{TID}").text
    assert 'data-lot="L1"' in page and "C-L1" in page and "C-L2" in page and "Lot L2: " in page
