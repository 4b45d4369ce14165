"""Litigation through the app, on the JEDI replay: AWS's motion to depose the President and the
others, filed under seal, public on 2020-02-10, moot at the dismissal; the TRO/PI motion granted
by the injunction; the remand; the partial motions to dismiss denied; Oracle's appeal affirmed and
certiorari denied. The administrative records' manifests are proven in the log by the record
verifier, and a manifest naming a changed event fails it."""

from __future__ import annotations

import io
import json
import zipfile

from tenderproof.app.access import read_confidential_payload
from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.record import export_record, verify_record
from tenderproof.record.bundle import event_name

from .test_jedi import TENDER, replay


def test_jedi_litigation_as_the_record_has_it(settings):
    p, _ = replay(settings)
    lit = p.state(TENDER)["litigation"]
    oracle, aws = lit["cofc-18-1880c"], lit["cofc-19-1796c"]
    assert [i["id"] for i in oracle["intervenors"]] == ["aws"]
    assert oracle["intervenors"][0]["date"] == "2018-12-12T15:00:00Z"
    assert [(a["court"], a["outcome"], a["decided"][:10]) for a in oracle["appeals"]] == [
        ("cafc", "affirmed", "2020-09-02"), ("scotus", "denied", "2021-10-04")]
    assert "150 days" in oracle["appeals"][1]["rule"]  # the 2020 order, not the plain 90 days
    motions = {m["id"]: m for m in aws["motions"]}
    depose = motions["doc-124"]
    assert depose["sealed"] and depose["date"][:10] == "2020-01-17" and depose["public_version"][:10] == "2020-02-10"
    assert [d["office"] for d in depose["deponents"]][:4] == [
        "President of the United States", "Secretary of Defense", "former Secretary of Defense",
        "DoD Chief Information Officer"]
    assert (depose["status"], depose["ruling"]["date"][:10]) == ("moot", "2021-07-09")
    assert (motions["tro-pi"]["status"], motions["tro-pi"]["ruling"]["order"]) == ("granted", "preliminary_injunction")
    assert (motions["remand"]["status"], motions["remand"]["ruling"]["order"]) == ("granted", "remand")
    for mid in ("gov-partial-dismiss", "msft-partial-dismiss"):
        assert (motions[mid]["status"], motions[mid]["ruling"]["date"][:10]) == ("denied", "2021-04-28")
    assert [i["id"] for i in aws["intervenors"]] == ["microsoft"]
    assert [r["id"] for r in aws["records"]] == ["ar-19-1796c"] and len(aws["records"][0]["seqs"]) > 50


def test_the_courts_record_is_proven_a_subset_of_the_log(settings):
    p, _ = replay(settings)
    data = export_record(p, TENDER).data
    report = verify_record(data)
    assert report.valid, [str(x) for x in report.failures]
    proven = [str(x) for x in report.lines if "what the court saw is a subset of the log" in x.text]
    assert len(proven) == 2, proven
    # Rewrite one filed event's bytes: its leaf hash no longer matches (nor its proof).
    zin = zipfile.ZipFile(io.BytesIO(data))
    envs = {n: json.loads(zin.read(n)) for n in zin.namelist() if n.startswith("events/") and n.endswith(".json")}
    filing = next(env for env in envs.values() if env["type"] == "litigation.record_filed")
    target = event_name(filing["payload"]["manifest"][0]["seq"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            zout.writestr(info, body.replace(b'"time":"', b'"time":"1') if info.filename == target else body)
    bad = verify_record(out.getvalue())
    assert any("names what the log does not hold" in x.text for x in bad.failures), [str(x) for x in bad.failures]


def test_counsel_reads_only_while_admitted_each_read_logged(settings):
    p, _ = replay(settings, until=None)
    tid, pid = TENDER, "cofc-19-1796c"
    counsel = Actor("counsel-aws", "counsel")
    commitment = next(e.envelope["confidential"] for e in p.events(tid) if e.envelope.get("confidential"))
    before = len(p.events(tid))
    try:
        read_confidential_payload(p, tid, commitment, counsel, "AWS's protest")
    except Refused as r:
        assert r.code == "not-admitted"
    else:
        raise AssertionError("counsel read without admission")
    events = p.events(tid)
    assert len(events) == before + 1 and events[-1].envelope["payload"]["code"] == "not-admitted"
    # The case ended on 2021-07-09: an order issued now is refused, and counsel stays out.
    try:
        p.execute(c.IssueProtectiveOrder(tid, protest_id=pid, order_id="po-late", text="Too late."),
                  Actor("cofc", "reviewer"))
    except Refused as r:
        assert r.code == "case-closed"
    else:
        raise AssertionError("a protective order in a closed case")
