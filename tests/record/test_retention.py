"""Retention: an ended tender's public documents can be purged, never under a litigation hold."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from tenderproof.domain import Actor, Refused
from tenderproof.record import export_record, holds, lift_hold, place_hold, purge_documents, verify_record
from tenderproof.record.retention import holds_path

from .conftest import IG, JUDGE, OTHER, SOW, TID, unzip

CASE = "bid protest, Oracle v. United States, No. 18-1880C"


def stored(w, tid=TID) -> set[str]:
    from tenderproof.record.bundle import references

    return {r.sha256 for e in w.p.events(tid) for r in references(e.envelope)
            if r.kind != "bid-package" and r.sha256 in w.p.documents}


def test_a_hold_blocks_the_purge_until_lifted(done):
    before = stored(done)
    assert len(before) == 4  # the statement of work, two sealed bids, the debriefing
    hold = place_hold(done.p, TID, CASE, JUDGE)
    assert hold["actor"] == {"id": "judge-1", "role": "reviewer"}
    with pytest.raises(Refused) as r:
        purge_documents(done.p, TID, timedelta(0))
    assert r.value.code == "litigation-hold"
    assert f"tender {TID} is under a litigation hold" in r.value.reason and CASE in r.value.reason
    assert "judge-1 (reviewer)" in r.value.reason
    assert stored(done) == before  # nothing deleted
    # A second hold while one is in force keeps the first.
    assert place_hold(done.p, TID, "another matter", IG) == hold
    assert set(holds(done.p)) == {TID}

    lift_hold(done.p, TID, "protest dismissed, appeal period over", JUDGE)
    assert holds(done.p) == {}
    deleted = purge_documents(done.p, TID, timedelta(0))
    assert set(deleted) == before and stored(done) == set()
    assert stored(done, OTHER)  # the other tender's sealed bid is untouched

    saved = json.loads(holds_path(done.p).read_text())
    assert [h["action"] for h in saved["history"]] == ["placed", "lifted"]
    with pytest.raises(Refused, match="no litigation hold"):
        lift_hold(done.p, TID, "again", JUDGE)

    # The record still verifies: the log keeps every digest; the purged documents are listed as withheld.
    ex = export_record(done.p, TID)
    m = json.loads(unzip(ex.data)["manifest.json"])
    not_stored = {w["sha256"] for w in m["withheld"] if w["reason"] == "not-stored"}
    assert hashlib.sha256(SOW).hexdigest() in not_stored and {w["sha256"] for w in m["withheld"]} >= before
    assert not any(p.startswith("documents/") for p in unzip(ex.data))
    assert verify_record(ex.data, vkey=done.p.log.head().vkey).valid


def test_purge_needs_an_ended_tender_quiet_long_enough(done):
    with pytest.raises(Refused) as r:
        purge_documents(done.p, OTHER, timedelta(0))
    assert r.value.code == "still-needed"
    with pytest.raises(Refused) as r:
        purge_documents(done.p, TID, timedelta(days=365))
    assert r.value.code == "retention-period"
    with pytest.raises(Refused) as r:
        purge_documents(done.p, "T-404", timedelta(0))
    assert r.value.code == "not-found"
    assert len(stored(done)) == 4


def test_a_document_another_tender_uses_is_kept(done):
    sow = hashlib.sha256(SOW).hexdigest()
    done.create("T-3", documents=[{"id": "sow", "title": "Same statement of work", "sha256": sow, "size": len(SOW)}])
    done.clock.advance(days=1)
    deleted = purge_documents(done.p, TID, timedelta(hours=1))
    assert sow not in deleted and sow in done.p.documents and len(deleted) == 3


def test_who_may_hold(done):
    for actor in (Actor("acme", "bidder"), Actor("ev", "evaluator")):
        with pytest.raises(Refused) as r:
            place_hold(done.p, TID, CASE, actor)
        assert r.value.code == "forbidden-role"
    with pytest.raises(Refused, match="reason"):
        place_hold(done.p, TID, " ", JUDGE)
    with pytest.raises(Refused, match="no tender"):
        place_hold(done.p, "T-404", CASE, JUDGE)
    assert not holds_path(done.p).exists() or holds(done.p) == {}
