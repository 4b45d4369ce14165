"""A tender divided into lots in OCDS 1.1 (`tenderproof_lots`, the OCDS lots extension's field
names): tender.lots with their status, each item's relatedLot, the lots each bid covers, an award
and a contract per lot; libcoveocds reports no error and no undeclared field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.domain.tendering import withdrawal_commitment
from tenderproof.ocds import extension_urls, ocid_for, record_package, release_package

from . import cove
from . import procurement as p
from .test_ocds import PUBLISHER, check_report, standard_zip

META = {"publisher": PUBLISHER, "published_date": "2024-06-01T00:00:00Z"}
LOTS = [{"id": "L1", "title": "Compute"},
        {"id": "L2", "title": "Storage", "description": "Object storage", "value": {"amount": "2000000",
                                                                                       "currency": "USD"}}]
ITEMS = [{"id": "1", "description": "Compute", "classification": {"scheme": "UNSPSC", "id": "81112003"},
          "related_lot": "L1"},
         {"id": "2", "description": "Storage", "classification": {"scheme": "UNSPSC", "id": "81112003"},
          "related_lot": "L2"}]
OFFERS = {"a": ("acme", ["L1", "L2"]), "b": ("beta", ["L1"])}


def lotted(led: p.Ledger, tid: str = "LOT-1") -> p.Tender:
    """acme offers both lots, beta L1; L1 to beta (contracted), L2 to acme (awarded, not yet contracted)."""
    t = p.create(led, tid, lots=LOTS, items=ITEMS)
    p.publish(t)
    for bid_id, (bidder, lots) in OFFERS.items():
        t.do(c.SubmitBid(tid, bid_id=bid_id, bidder_name=p.BIDDERS[bidder], sealed_sha256=p.digest(bid_id),
                         sealed_size=4096, withdrawal=withdrawal_commitment(f"key-{bid_id}"), lots=lots),
             Actor(bidder, "bidder"), p.t(12))
    t.do(c.CloseEnquiries(tid), p.SYSTEM, p.t(10, 12))
    t.do(c.CloseTendering(tid), p.SYSTEM, p.TENDER_END)
    for official in [*p.OPENERS[:2], *p.EVALUATORS, p.SSA]:
        t.do(c.DeclareInterests(tid, has_conflict=False), official, p.t(26))
    for official in p.OPENERS[:2]:
        t.do(c.SubmitShare(tid), official, p.t(26, 10))
    t.do(c.RecordOpening(tid, results={
        b: {"bidder": who, "bidder_name": p.BIDDERS[who], "readable": True, "sha256": p.digest(b), "size": 10}
        for b, (who, _) in OFFERS.items()}), p.SYSTEM, p.t(26, 11))
    prices = {("a", "L1"): "950", ("a", "L2"): "400", ("b", "L1"): "900"}
    for (bid_id, lot), price in prices.items():
        for factor, rating in (("technical", "Good"), ("past", "Good"), ("price", price)):
            t.do(c.RateProposal(tid, bid_id=bid_id, factor_id=factor, rating=rating, lot=lot), p.EVALUATORS[0], p.t(27))
    usd = {"currency": "USD"}
    t.do(c.DecideAward(tid, bid_id="b", value={"amount": "900"} | usd, rationale="Best value.", lot="L1"), p.SSA,
         p.t(28))
    t.do(c.SignContract(tid, contract_id="C-L1", value={"amount": "900"} | usd, lot="L1"), p.BUYER, p.t(29))
    t.do(c.DecideAward(tid, bid_id="a", value={"amount": "400"} | usd, rationale="Only offer.", lot="L2"), p.SSA,
         p.t(29))
    return t


@pytest.fixture(scope="module")
def built() -> tuple[p.Ledger, p.Tender]:
    led = p.Ledger()
    return led, lotted(led)


def _compiled(led: p.Ledger, tid: str) -> dict:
    releases = [r for r in led.releases if r["ocid"] == ocid_for(p.OCID_PREFIX, tid)]
    return record_package(releases, uri="u", **META)["records"][0]["compiledRelease"]


@pytest.mark.parametrize("kind", ["release", "record"])
def test_lot_packages_valid_with_libcoveocds(built, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    led = built[0]
    meta = META | {"extensions": extension_urls(cove.BASE)}
    data = (release_package(led.releases, uri="https://tenderproof.example/releases.json", **meta) if kind == "release"
            else record_package(led.releases, uri="https://tenderproof.example/records.json", **meta))
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    served = cove.serve_extensions(monkeypatch)
    check_report(cove.in_process(path, standard_zip(), monkeypatch), kind)
    assert "/api/ocds/extensions/tenderproof_lots/release-schema.json" in served.paths


def test_lots_items_bids_awards_and_contracts_name_their_lots(built):
    led, t = built
    r = _compiled(led, t.id)
    assert [(x["id"], x["status"]) for x in r["tender"]["lots"]] == [("L1", "complete"), ("L2", "active")]
    assert r["tender"]["lots"][1]["value"] == {"amount": 2000000, "currency": "USD"}
    assert [i["relatedLot"] for i in r["tender"]["items"]] == ["L1", "L2"]
    assert {d["id"]: d["relatedLots"] for d in r["bids"]["details"]} == {"a": ["L1", "L2"], "b": ["L1"]}
    awards = {a["relatedLots"][0]: (a["suppliers"][0]["id"], a["status"]) for a in r["awards"]}
    assert awards == {"L1": ("beta", "active"), "L2": ("acme", "pending")}
    (contract,) = r["contracts"]
    assert contract["id"] == "C-L1" and contract["awardID"] == t.state["lot_contracts"]["L1"]["award"]
    assert r["tender"]["status"] == "active"
