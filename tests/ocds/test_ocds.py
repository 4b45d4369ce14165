"""OCDS output: releases per state change, packages, records, validated by libcoveocds offline (DESIGN.md §6)."""

from __future__ import annotations

import base64
import json
import socket
from importlib import resources
from pathlib import Path

import pytest

from tenderproof.domain import commands as c
from tenderproof.ocds import EXTENSIONS, extension_urls, jsonl, record_package, release_package
from tenderproof.ocds import packages as pk

from . import cove
from . import procurement as p

SHARED = Path(__file__).resolve().parents[3] / "shared"
PUBLISHER = {"name": "tenderproof test publisher", "uri": "https://tenderproof.example"}


def standard_zip() -> Path:
    z = SHARED / "testdata" / "ocds" / "standard-1__1__5-schema.zip"
    if not z.exists():
        pytest.fail(f"official OCDS schema zip missing: {z} (expected the shared folder at {SHARED})")
    return z


@pytest.fixture(scope="module")
def ledger() -> p.Ledger:
    led = p.Ledger()
    p.full(led)
    p.cancelled(led)
    p.unsuccessful(led)
    p.protested(led)
    return led


@pytest.fixture(scope="module")
def packages(ledger: p.Ledger, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ocds")
    meta = {"publisher": PUBLISHER, "published_date": "2024-05-01T00:00:00Z", "extensions": extension_urls(cove.BASE)}
    files = {"release": release_package(ledger.releases, uri="https://tenderproof.example/releases.json", **meta),
             "record": record_package(ledger.releases, uri="https://tenderproof.example/records.json", **meta)}
    out = {}
    for kind, data in files.items():
        out[kind] = d / f"{kind}-package.json"
        out[kind].write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return out


def check_report(report: dict, kind: str, *, offline_cli: bool = False) -> None:
    """Zero schema errors, zero additional checks, no closed-codelist value outside its list, and
    every field defined by the core schema or a declared extension, read as the server serves it.

    `offline_cli`: libcoveocds' CLI, in its own process, cannot be served the extensions here, so
    it must report exactly that (it does not hang) and the fields they define as additional."""
    errors = report["validation_errors"]
    assert errors == [], f"{kind} package has schema errors:\n" + json.dumps(errors, indent=1)[:5000]
    assert report["version_used"] == "1.1"
    assert not report.get("conformance_errors"), report.get("conformance_errors")
    assert not report["additional_closed_codelist_values"], report["additional_closed_codelist_values"]
    assert not report["additional_checks"], report["additional_checks"]
    ext = report["extensions"]
    if offline_cli:
        assert set(ext["invalid_extension"]) == set(extension_urls(cove.BASE)), ext
        assert set(ext["invalid_extension"].values()) == {"fetching failed"}, ext
        return
    assert not ext["invalid_extension"], ext["invalid_extension"]
    assert ext["is_extended_schema"] and [e["url"] for e in ext["extensions"]] == extension_urls(cove.BASE), ext
    assert not report["additional_fields"], report["additional_fields"]


def test_release_package_valid_with_libcoveocds_cli(packages: dict[str, Path]) -> None:
    check_report(cove.cli(packages["release"], standard_zip()), "release", offline_cli=True)


@pytest.mark.parametrize("kind", ["release", "record"])
def test_packages_valid_with_libcoveocds_offline(packages: dict[str, Path], kind: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    served = cove.serve_extensions(monkeypatch)
    check_report(cove.in_process(packages[kind], standard_zip(), monkeypatch), kind)
    assert {f"/api/ocds/extensions/{n}/{f}" for n in EXTENSIONS for f in ("extension.json", "release-schema.json")} \
        <= set(served.paths), served.paths


def test_record_package_cli_offline_limitation(packages: dict[str, Path]) -> None:
    """libcoveocds 0.17's CLI fetches versioned-release-validation-schema.json for record packages.

    If a later libcoveocds stops doing that, the CLI must then report zero errors too.
    """
    try:
        report = cove.cli(packages["record"], standard_zip())
    except AssertionError as e:
        assert "versioned-release-validation-schema.json" in str(e), str(e)[-2000:]
        return
    check_report(report, "record", offline_cli=True)


def test_events_publish_the_right_tags(ledger: p.Ledger) -> None:
    by_type: dict[str, list] = {}
    for env, r in ledger.entries:
        by_type.setdefault(env["type"], []).append(None if r is None else r["tag"])
    assert set(map(tuple, by_type["tender.created"])) == {("planning",)}
    assert set(map(tuple, by_type["tender.published"])) == {("tender",)}
    assert by_type["tender.amended"] == [["tenderAmendment"]]
    assert by_type["tender.cancelled"] == [["tenderCancellation"]]
    assert by_type["bids.opened"] == [["tenderUpdate"]] * 2
    assert by_type["award.decided"] == [["award"]] * 2
    assert by_type["contract.signed"] == [["awardUpdate", "contract"]] * 2
    # Protests and stays are published (tenderproof_protests), as updates of the tender.
    for protest in ("protest.filed", "protest.docketed", "stay.overridden"):
        assert by_type[protest] == [["tenderUpdate"]], protest
    assert by_type["tender.unsuccessful"] == [["tenderUpdate"]]
    for silent in ("coi.declared", "evaluation.rated", "evaluation.consensus", "opening.share_submitted",
                   "bid.submitted", "bid.withdrawn", "command.refused", "debriefing.given"):
        assert set(map(str, by_type[silent])) == {"None"}, silent
    ids = [r["id"] for r in ledger.releases]
    assert len(ids) == len(set(ids))
    for env, r in ledger.entries:
        if r is not None:
            assert r["date"] == env["time"] and r["ocid"] == p.OCID_PREFIX + env["tender"]
            assert r["initiationType"] == "tender" and r["language"] == "en"


def test_statuses_follow_the_codelist(ledger: p.Ledger) -> None:
    first = {}
    for env, r in ledger.entries:
        if r is not None:
            first.setdefault(env["type"], r)
    assert first["tender.created"]["tender"]["status"] == "planned"
    assert first["tender.published"]["tender"]["status"] == "active"
    assert first["tender.published"]["tender"]["awardCriteria"] == "ratedCriteria"
    award = first["award.decided"]
    assert award["awards"][0]["status"] == "pending"  # during the standstill
    assert award["tender"]["status"] == "active"


def test_no_tenderer_named_before_opening(ledger: p.Ledger) -> None:
    names = set(p.BIDDERS) | set(p.BIDDERS.values()) | {"delta", "Delta"}
    opened: set[str] = set()
    for env, r in ledger.entries:
        if env["type"] == "bids.opened":
            opened.add(env["tender"])
        if r is None or env["tender"] in opened:
            continue
        text = json.dumps(r)
        leaked = [n for n in names if f'"{n}"' in text]
        assert not leaked, f"release {r['id']} ({env['type']}) names {leaked} before the opening"
        assert "bids" not in r and "tenderers" not in r["tender"]
        assert all(p_["roles"] == ["buyer", "procuringEntity"] for p_ in r["parties"])
    assert opened == {"T-2024-001", "T-2024-004"}


def test_opening_names_tenderers_and_bids(ledger: p.Ledger) -> None:
    r = next(r for env, r in ledger.entries if env["type"] == "bids.opened")
    assert r["tender"]["numberOfTenderers"] == 2
    assert {t["id"] for t in r["tender"]["tenderers"]} == {"acme", "beta"}
    status = {b["id"]: b["status"] for b in r["bids"]["details"]}
    assert status == {"T-2024-001-acme-bid": "pending", "T-2024-001-beta-bid": "pending",
                      "T-2024-001-gamma-bid": "withdrawn"}
    gamma = next(b for b in r["bids"]["details"] if b["status"] == "withdrawn")
    assert "tenderers" not in gamma  # a withdrawn bid was never opened: its bidder stays unnamed
    assert "Gamma" not in json.dumps(r)


def test_confidential_content_never_published(ledger: p.Ledger, packages: dict[str, Path]) -> None:
    everything = [json.dumps(r) for r in ledger.releases] + [f.read_text() for f in packages.values()]
    for secret in p.SECRETS:
        assert not any(secret in text for text in everything), f"confidential {secret!r} was published"
    for text in everything:
        assert "Outstanding" not in text and "strengths" not in text and "evaluator" not in text


def test_documents_are_content_addressed(ledger: p.Ledger) -> None:
    r = next(r for env, r in ledger.entries if env["type"] == "tender.amended")
    docs = {d["id"]: d for d in r["tender"]["documents"]}
    b64 = base64.urlsafe_b64encode(bytes.fromhex(p.digest("rfp a1"))).rstrip(b"=").decode()
    assert docs["rfp-a1"]["url"] == f"ni:///sha-256;{b64}"
    assert r["tender"]["tenderPeriod"]["endDate"] == "2024-03-25T12:00:00Z"
    assert r["tender"]["amendments"] == [{
        "id": "amendment-1", "date": "2024-03-09T09:00:00Z",
        "rationale": "Answer to enquiry q1 changes the timeline; bidders get more time.",
        "description": "Changed: tender.documents, tender.tenderPeriod.endDate"}]
    assert docs["enquiry/q1"]["documentType"] == "clarifications"
    assert "acme" not in json.dumps(docs)  # the enquirer is not published


def test_records_compile_final_state(ledger: p.Ledger) -> None:
    pkg = record_package(ledger.releases, publisher=PUBLISHER, uri="u", published_date="2024-05-01T00:00:00Z")
    records = {rec["ocid"]: rec for rec in pkg["records"]}
    assert list(records) == [p.OCID_PREFIX + t for t in ("T-2024-001", "T-2024-002", "T-2024-003", "T-2024-004")]
    full = records[p.OCID_PREFIX + "T-2024-001"]["compiledRelease"]
    assert full["tag"] == ["compiled"]
    assert full["tender"]["status"] == "complete"
    assert full["awards"] == [next(r for r in ledger.releases if "contracts" in r)["awards"][0]]
    assert full["awards"][0]["status"] == "active" and full["awards"][0]["suppliers"][0]["id"] == "acme"
    assert full["contracts"][0]["status"] == "active"
    assert full["contracts"][0]["awardID"] == full["awards"][0]["id"]
    roles = {party["id"]: party["roles"] for party in full["parties"]}
    assert roles == {"co-1": ["buyer", "procuringEntity"], "acme": ["tenderer", "supplier"], "beta": ["tenderer"]}
    cancelled = records[p.OCID_PREFIX + "T-2024-002"]["compiledRelease"]["tender"]
    assert cancelled["status"] == "cancelled"
    assert any(d.get("documentType") == "cancellationDetails" for d in cancelled["documents"])
    failed = records[p.OCID_PREFIX + "T-2024-003"]["compiledRelease"]["tender"]
    assert failed["status"] == "unsuccessful" and failed["numberOfTenderers"] == 0
    protested = records[p.OCID_PREFIX + "T-2024-004"]["compiledRelease"]["tender"]
    assert [(x["id"], x["forum"], x["protester"], x["dateFiled"]) for x in protested["protests"]] == [
        ("p1", "gao", "beta", "2024-03-28T09:00:00Z")]
    stay = protested["stays"][0]
    assert (stay["id"], stay["status"], stay["blocks"], stay["protest"]) == ("stay-p1", "overridden", ["award"], "p1")
    assert stay["override"]["finding"] == "the mission cannot wait" and stay["dateEnded"] == "2024-03-29T09:00:00Z"
    # A stay of the award is overridden only with the 30-day finding, and GAO is told (31 U.S.C. 3553(c)(2)-(3)).
    assert stay["override"]["awardLikelyWithin30Days"] is True and "GAO" in stay["override"]["notified"]
    assert "3553(c)" in stay["override"]["basis"] and "3553(c)(3)" in stay["override"]["noticeBasis"]


def test_merge_needs_no_network(ledger: p.Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    pk.merger.cache_clear()
    pk.release_schema.cache_clear()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the OCDS merge tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    rec = pk.compile_record(ledger.releases[0]["ocid"], ledger.releases[:3], versioned=True)
    assert rec["compiledRelease"]["tender"]["hasEnquiries"] is True
    assert "versionedRelease" in rec


def test_schema_shipped_with_licence() -> None:
    folder = resources.files("tenderproof.ocds").joinpath("schema")
    assert "Apache License" in folder.joinpath("LICENSE").read_text(encoding="utf-8")
    assert "1__1__5" in folder.joinpath("NOTICE").read_text(encoding="utf-8")
    assert pk.release_schema()["id"].endswith("/1__1__5/release-schema.json")


def test_jsonl_one_release_per_line(ledger: p.Ledger) -> None:
    text = jsonl(ledger.releases)
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == len(ledger.releases)
    assert [json.loads(line) for line in lines] == ledger.releases


@pytest.mark.parametrize("kind", ["release", "record"])
def test_offline_validation_is_not_vacuous(packages: dict[str, Path], kind: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(packages[kind].read_text(encoding="utf-8"))
    release = data["releases"][0] if kind == "release" else data["records"][0]["compiledRelease"]
    release["tender"]["status"] = "active.tendering"  # tenderproof's phase, not an OCDS code
    release["tender"]["numberOfTenderers"] = "two"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    report = cove.in_process(broken, standard_zip(), monkeypatch)
    assert any("numberOfTenderers" in json.dumps(e) for e in report["validation_errors"]), report["validation_errors"]
    # libcove reports closed-codelist violations apart from schema errors: check_report() rejects them too.
    assert "active.tendering" in json.dumps(report["additional_closed_codelist_values"])


@pytest.mark.parametrize(("criteria", "code"), [("lowestPrice", "priceOnly"), ("bestValueTradeoff", "ratedCriteria"),
                                                ("lowestPriceTechnicallyAcceptable", "priceOnly")])
def test_draft_is_planned_and_criteria_map_to_the_codelist(criteria: str, code: str) -> None:
    led = p.Ledger()
    tender = p.create(led, "T-DRAFT", criteria=criteria)
    tender.do(c.AmendTender("T-DRAFT", rationale="Typo in the title.", changes={"title": "Cloud capability"}),
              p.BUYER, p.t(1, 10))
    created, amended = led.releases
    assert created["tag"] == ["planning"] and created["tender"]["status"] == "planned"
    assert created["tender"]["awardCriteria"] == code
    assert "startDate" not in created["tender"]["tenderPeriod"]  # not yet open
    assert amended["tag"] == ["planningUpdate"] and amended["tender"]["title"] == "Cloud capability"
