"""The JEDI scenario end to end: replay, audit, rebuild, OCDS validated with libcoveocds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tenderproof.app.envelope import canonical
from tenderproof.app.publication import stored_releases
from tenderproof.app.rebuild import rebuild
from tenderproof.app.service import Procurement
from tenderproof.domain.model import parse_time
from tenderproof.instance import init
from tenderproof.ledger.audit import audit
from tenderproof.ledger.tlogproof import verify_tlog_proof
from tenderproof.ocds import packages
from tenderproof.scenario.runner import Clock, Runner, Scenario

from ..conftest import shared_testdata
from ..ocds import cove

TENDER = "HQ0034-18-R-0077"


def replay(settings, until=None):
    log = init(settings)
    clock = Clock()
    p = Procurement(log, settings.data_dir, clock)
    report = Runner(p, clock, settings.data_dir / "keys").run(Scenario.load("jedi"), until)
    return p, report


def libcove(path: Path, monkeypatch=None) -> dict:
    """The official validator, offline: its CLI for release packages (as DESIGN.md §6 says); its
    Python API for record packages, which its 0.17 CLI cannot check offline (tests/ocds/cove.py)."""
    zip_path = shared_testdata("ocds", "standard-1__1__5-schema.zip")
    if monkeypatch is None:
        return cove.cli(path, zip_path)
    return cove.in_process(path, zip_path, monkeypatch)


def test_jedi_replays_and_verifies(settings, tmp_path, monkeypatch):
    p, report = replay(settings)
    try:
        state = p.state(TENDER)
        assert state["status"] == "cancelled"  # 2021-07-06
        first, reaffirmed = state["awards"]
        assert reaffirmed["supersedes"] == first["id"] and reaffirmed["date"] == "2020-09-04T20:00:00Z"
        assert state["contract"]["id"] == "HQ0034-20-D-0001" and state["contract"]["terminated"]
        award = first
        assert award["supplier"]["id"] == "microsoft" and award["date"] == "2019-10-25T21:00:00Z"
        assert award["value"] == {"amount": "10000000000", "currency": "USD"}
        assert {b["bidder"] for b in state["bids"].values() if b["status"] == "opened"} == {"aws", "microsoft", "oracle", "ibm"}
        assert state["bids"]["bid-google"]["status"] == "withdrawn"
        assert state["competitive_range"]["included"] == ["bid-aws", "bid-microsoft"]
        assert state["periods"]["tender_end"] == "2018-10-12T18:00:00Z"
        assert set(state["debriefings"]) == {"aws", "oracle", "ibm"}
        assert "evaluation factor weights" in state["illustrative"]
        # Protests and stays, as the record shows them.
        outcomes = {pid: pr["outcome"] for pid, pr in state["protests"].items()}
        assert outcomes == {"gao-b-416657": "denied", "gao-ibm-2018": "dismissed", "cofc-18-1880c": "denied",
                            "cofc-19-1796c": "dismissed"}
        assert all(pr["timely"] for pr in state["protests"].values())
        stays = {sid: (st["kind"], st["status"]) for sid, st in state["stays"].items()}
        assert stays["stay-gao-b-416657"] == ("CICA stay", "lifted")
        assert [k for k, v in stays.items() if v == ("voluntary hold", "ended")]  # ended by the worker, 2020-02-11
        assert [k for k, v in stays.items() if v == ("preliminary injunction", "lifted")]  # with the dismissal, 2021-07-09
        refusal = state["refusals"][-1]
        assert (refusal["command"], refusal["code"], refusal["date"]) == ("StartPerformance", "stayed", "2020-02-14T15:00:00Z")
        assert "preliminary injunction" in refusal["reason"]
        assert set(state["recusals"]) == {"ubhi", "eval-3", "esper"}
        assert [(m["official"], m["bidder"]) for m in state["coi_matches"]] == [("eval-3", "microsoft")]
        remand = state["corrective_actions"][0]
        award_seq = next(e.envelope["seq"] for e in p.events(TENDER) if e.envelope["type"] == "award.decided")
        assert remand["revisits"] == [award_seq] and remand["factors"] == ["f5-hosting", "f9-price"]
        # The ledger, the projections and every bid receipt check out.
        assert audit(p.log).ok
        assert rebuild(p, check=True).identical
        for receipt in report.receipts.values():
            verify_tlog_proof(receipt.proof, canonical(receipt.envelope), verifiers=[p.log.log_verifier()])
        # OCDS: zero schema errors with the official validator, offline.
        rels = stored_releases(p)
        assert rels, "no OCDS releases were published"
        for name, pkg, mp in (
            ("releases.json", packages.release_package(rels, publisher={"name": "t"}, uri="urn:x", published_date="2030-01-01T00:00:00Z"), None),
            ("records.json", packages.record_package(rels, publisher={"name": "t"}, uri="urn:x", published_date="2030-01-01T00:00:00Z"), monkeypatch),
        ):
            path = tmp_path / name
            path.write_text(json.dumps(pkg))
            result = libcove(path, mp)
            assert result["validation_errors"] == [], result["validation_errors"][:3]
    finally:
        p.log.db.dispose()


def test_jedi_until_a_date_stops_before_the_award(settings):
    p, report = replay(settings, until=parse_time("2019-10-24T23:59:59Z"))
    try:
        assert p.state(TENDER)["status"] == "active.evaluation"
        assert report.stopped_at == "2019-10-25T21:00:00Z"
    finally:
        p.log.db.dispose()


def test_cli_replay_rebuild_and_ocds(tmp_path, monkeypatch):
    """The acceptance commands, as a user types them."""
    def run(*args):
        r = subprocess.run([sys.executable, "-m", "tenderproof", *map(str, args), "--data-dir", tmp_path / "d"],
                           capture_output=True, timeout=300)
        assert r.returncode == 0, r.stderr.decode()
        return r.stdout.decode()

    assert "cancelled" in run("scenario", "run", "jedi")
    assert "identical to the live state" in run("rebuild", "--check")
    assert "audit ok" in run("log", "audit")
    run("ocds", "releases", "-o", tmp_path / "releases.json")
    assert libcove(tmp_path / "releases.json")["validation_errors"] == []
    run("ocds", "records", "-o", tmp_path / "records.json")
    assert libcove(tmp_path / "records.json", monkeypatch)["validation_errors"] == []
    run("rebuild")
    assert "identical to the live state" in run("rebuild", "--check")
