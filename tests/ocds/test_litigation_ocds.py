"""Litigation in OCDS: a protest's intervenors, record, motions, protective orders, hearings,
appeals and costs are published as the state holds them (tenderproof_protests), libcoveocds
reports no error and no field outside a declared extension, and a sealed motion's content never
reaches a release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenderproof.domain import commands as c
from tenderproof.ocds import extension_urls, record_package, release_package

from . import cove
from . import procurement as p
from .litigated import BETA, COFC, SEALED, litigated
from .test_ocds import PUBLISHER, check_report, standard_zip

META = {"publisher": PUBLISHER, "published_date": "2024-05-01T00:00:00Z"}


@pytest.fixture(scope="module")
def ledger() -> p.Ledger:
    led = p.Ledger()
    litigated(led)
    return led


def test_litigation_is_published_in_its_protest(ledger: p.Ledger) -> None:
    pkg = record_package(ledger.releases, uri="u", **META)
    tender = pkg["records"][0]["compiledRelease"]["tender"]
    gao, court = tender["protests"]
    assert gao["costs"]["amountClaimed"] == {"amount": 84000.5, "currency": "USD"}
    assert gao["hearings"][0]["commentsDue"] == "2024-04-25T21:30:00Z"  # 5 days, 5:30 p.m. EDT
    assert [i["id"] for i in court["intervenors"]] == ["acme"]
    assert court["administrativeRecord"][0] | {"date": None} == {
        "id": "ar-1", "date": None, "kind": "initial", "description": "The record.", "numberOfEvents": 3,
        "eventNumbers": [1, 2, 3]}
    m1, m2 = court["motions"]
    assert (m1["underSeal"], m1["status"], m1["ruling"]["outcome"], m2["status"]) == (True, "moot", "moot", "denied")
    assert [d["office"] for d in m1["deponents"]] == ["Secretary (illustrative)",
                                                      "Chair, Source Selection Evaluation Board (illustrative)"]
    assert [b["kind"] for b in m1["briefs"]] == ["opposition", "reply"]
    assert court["protectiveOrders"][0]["admittedCounsel"][0]["status"] == "admitted"
    assert [(a["court"], a["outcome"]) for a in court["appeals"]] == [("cafc", "affirmed"), ("scotus", "denied")]


def test_a_sealed_motion_is_published_only_by_its_public_version(ledger: p.Ledger) -> None:
    assert not any(SEALED in json.dumps(r) for r in ledger.releases)
    sealed = next(r for env, r in ledger.entries if env["type"] == "litigation.motion_filed" and r is not None)
    motion = sealed["tender"]["protests"][1]["motions"][0]
    assert motion["underSeal"] is True and "summary" not in motion and "deponents" not in motion


@pytest.mark.parametrize("kind", ["release", "record"])
def test_litigation_packages_valid_with_libcoveocds(ledger: p.Ledger, kind: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    meta = META | {"extensions": extension_urls(cove.BASE)}
    data = (release_package(ledger.releases, uri="https://tenderproof.example/releases.json", **meta) if kind == "release"
            else record_package(ledger.releases, uri="https://tenderproof.example/records.json", **meta))
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    cove.serve_extensions(monkeypatch)
    check_report(cove.in_process(path, standard_zip(), monkeypatch), kind)


def test_a_court_judgment_for_the_protester_publishes_the_award_set_aside() -> None:
    """28 U.S.C. 1491(b)(2): the judgment sets the award aside and enjoins it; OCDS says which award."""
    led = p.Ledger()
    tender = p.create(led, "T-2024-006")
    tid = tender.id
    p.publish(tender)
    a, b = p.bid(tender, "acme", p.t(6)), p.bid(tender, "beta", p.t(7))
    tender.do(c.CloseTendering(tid), p.SYSTEM, p.TENDER_END)
    p.open_and_rate(tender, a, b)
    tender.do(c.DecideAward(tid, bid_id=a, value={"amount": "9500000.00", "currency": "USD"},
                            rationale="Acme's technical approach is worth its price."), p.SSA, p.t(1, 9, 4))
    tender.do(c.FileProtest(tid, protest_id="cofc-1", forum="cofc", grounds="Bias."), BETA, p.t(2, 9, 4))
    tender.do(c.DocketProtest(tid, protest_id="cofc-1"), COFC, p.t(2, 12, 4))
    tender.do(c.DecideProtest(tid, protest_id="cofc-1", outcome="sustained", reasoning="Arbitrary.",
                              recommended_action="Re-evaluate."), COFC, p.t(1, 9, 5))
    rels = [r for r in led.releases if r["ocid"].endswith(tid)]
    compiled = record_package(rels, uri="u", **META)["records"][0]["compiledRelease"]
    award = compiled["awards"][0]["id"]
    [protest] = compiled["tender"]["protests"]
    [injunction] = [s for s in compiled["tender"]["stays"] if s["kind"] == "permanent injunction"]
    assert protest["awardSetAside"] == award and injunction["award"] == award
    assert injunction["status"] == "in-force" and injunction["blocks"] == ["contract", "performance"]
