"""The administrative record: export a full procurement, verify it offline, and catch every
tampering with a message that names the problem."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from tenderproof.app.envelope import canonical, commit
from tenderproof.domain import Actor, Refused
from tenderproof.ledger import witnessing
from tenderproof.ledger.note import Signer, b64encode, parse_note, sign_note
from tenderproof.ledger.policy import Policy
from tenderproof.record import RecordError, export_record, verify_record
from tenderproof.record.bundle import (
    ACCESS_ITEM,
    MANIFEST,
    confidential_name,
    document_name,
    event_name,
    manifest_bytes,
)
from tenderproof.witness import Witness

from .conftest import IG, JUDGE, OTHER, QA_MISSING, SOW, TID, flip, rezip, unzip

PURPOSE = "protective order, Oracle v. United States, No. 18-1880C"


def fails(data: bytes, *needles: str, **trust) -> list[str]:
    """Verify `data`; it must be invalid, and each needle must be in some failure line."""
    report = verify_record(data, **trust)
    lines = [str(ln) for ln in report.failures]
    assert not report.valid, "tampered bundle verified:\n" + "\n".join(map(str, report.lines))
    assert report.summary().startswith("invalid:")
    for n in needles:
        assert any(n in ln for ln in lines), f"no failure mentions {n!r}:\n" + "\n".join(lines)
    return lines


def valid(data: bytes, **trust):
    report = verify_record(data, **trust)
    assert report.valid, "\n".join(map(str, report.lines))
    assert all(ln.status in ("ok", "note") for ln in report.lines)
    return report


@pytest.fixture
def public(done):
    return export_record(done.p, TID)


@pytest.fixture
def court(done):
    return export_record(done.p, TID, "court", actor=JUDGE, purpose=PURPOSE)


# --- what an export holds ------------------------------------------------------------------------


def test_public_export_holds_the_exact_log_and_verifies(done, public):
    files = unzip(public.data)
    logged = done.p.events(TID)
    assert public.events == len(logged) and public.checkpoint_size == done.p.log.head().size
    for lg in logged:
        seq = lg.envelope["seq"]
        assert files[event_name(seq)] == done.p.log.entry(lg.index)  # the exact entry bytes
        assert f"index {lg.index}\n" in files[event_name(seq, "tlog-proof")].decode()
    m = json.loads(files[MANIFEST])
    assert (m["tender"], m["role"], m["events"], m["checkpoint_size"], m["access_event"]) == (
        TID, "public", len(logged), public.checkpoint_size, None)
    listed = {f["path"]: f for f in m["files"]}
    assert set(listed) == set(files) - {MANIFEST}
    assert all(hashlib.sha256(files[p]).hexdigest() == f["sha256"] and len(files[p]) == f["size"] for p, f in listed.items())
    assert files["checkpoint"].decode() == done.p.log.checkpoint()
    assert files["log.vkey"].decode() == done.p.log.head().vkey + "\n"
    # Public: the solicitation and the sealed ciphertexts; no confidential content, no debriefing.
    assert files[document_name(hashlib.sha256(SOW).hexdigest())] == SOW
    sealed = {e.envelope["payload"]["sealed_sha256"] for e in logged if e.envelope["type"] == "bid.submitted"}
    assert all(document_name(s) in files for s in sealed)
    assert not any(p.startswith("confidential/") for p in files)
    assert not any(b"SECRET narrative" in d for p, d in files.items() if not p.startswith("events/"))
    reasons = {(w["kind"], w["reason"]) for w in m["withheld"]}
    assert reasons == {("tender-document", "not-stored"), ("debriefing", "role"), ("bid-package", "role")}
    assert {w["sha256"] for w in m["withheld"] if w["kind"] == "tender-document"} == {QA_MISSING}

    report = valid(public.data)
    assert any(ln.status == "note" and "trusting the key inside the bundle" in ln.text for ln in report.lines)
    assert report.summary().endswith("(trusting the key inside the bundle)")
    report = valid(public.data, vkey=done.p.log.head().vkey)
    assert not any("trusting" in str(ln) for ln in report.lines)
    assert report.summary().startswith(f"valid: the administrative record of tender {TID}, {public.events} events")


def test_public_export_is_deterministic(done):
    first = export_record(done.p, TID).data
    assert export_record(done.p, TID).data == first
    # A public export is not an access: it adds nothing to the log.
    size = done.p.log.head().size
    export_record(done.p, TID)
    assert done.p.log.head().size == size


def test_court_export_is_logged_first_and_carries_its_access_record(done):
    before = len(done.p.events(TID))
    ex = export_record(done.p, TID, "court", actor=JUDGE, purpose=PURPOSE)
    after = done.p.events(TID)
    assert len(after) == before + 1 == ex.events
    access = after[-1].envelope
    assert access["type"] == "confidential.accessed" and access["actor"] == {"id": "judge-1", "role": "reviewer"}
    assert access["payload"] == {"item": ACCESS_ITEM.format(role="court"), "purpose": PURPOSE}
    files = unzip(ex.data)
    assert files[event_name(access["seq"])] == canonical(access)  # the bundle holds its own access record
    assert json.loads(files[MANIFEST])["access_event"] == access["seq"]
    commitments = [e.envelope["confidential"] for e in after if e.envelope.get("confidential")]
    assert ex.confidential == len(commitments) > 0
    for com in commitments:
        item = json.loads(files[confidential_name(com)])
        assert commit(bytes.fromhex(item["salt"]), item["content"]) == com
    assert any(b"SECRET narrative on bid-acme" in files[confidential_name(c)] for c in commitments)
    # Court and auditor also get the opened bids and the debriefing.
    opened = next(e.envelope for e in after if e.envelope["type"] == "bids.opened")
    packages = {r["sha256"] for r in opened["payload"]["bids"].values()}
    assert all(document_name(s) in files for s in packages)
    debrief = next(e.envelope for e in after if e.envelope["type"] == "debriefing.given")
    assert document_name(debrief["payload"]["document_sha256"]) in files
    report = valid(ex.data, vkey=done.p.log.head().vkey)
    lines = [str(ln) for ln in report.lines]
    assert any(ln.startswith("ok   access: the export is on the record") and "judge-1" in ln for ln in lines)
    assert any(ln.startswith("ok   confidential:") for ln in lines)


def test_auditor_export(done):
    ex = export_record(done.p, TID, "auditor", actor=IG, purpose="inspector general review 2030-7")
    report = valid(ex.data)
    assert any("ig-1 (auditor)" in str(ln) for ln in report.lines)


@pytest.mark.parametrize("role, actor, purpose, message", [
    ("court", None, PURPOSE, "give the person exporting it"),
    ("court", JUDGE, " ", "give the person exporting it"),
    ("court", IG, PURPOSE, "made by a reviewer, not a auditor"),
    ("auditor", JUDGE, PURPOSE, "made by a auditor, not a reviewer"),
    ("press", None, None, "not one of public, court, auditor"),
])
def test_export_refusals(done, role, actor, purpose, message):
    size = done.p.log.head().size
    with pytest.raises(RecordError, match=message):
        export_record(done.p, TID, role, actor=actor, purpose=purpose)
    assert done.p.log.head().size == size


def test_a_bidder_cannot_export_confidential_content(done):
    size = done.p.log.head().size
    with pytest.raises(RecordError):
        export_record(done.p, TID, "court", actor=Actor("acme", "bidder"), purpose=PURPOSE)
    with pytest.raises(Refused) as r:
        export_record(done.p, "T-404")
    assert r.value.code == "not-found"
    assert done.p.log.head().size == size


def test_witnessed_export_meets_the_policy_quorum(done, tmp_path):
    log = done.p.log
    clock = iter(range(1_900_000_000, 2_000_000_000))
    w1 = Witness.init(tmp_path / "w1", "w1.example/witness", clock=lambda: next(clock))
    w2 = Witness.init(tmp_path / "w2", "w2.example/witness", clock=lambda: next(clock))
    for w in (w1, w2):
        w.trust_log(log.head().vkey)
        witnessing.add_witness(log, w.vkey)

    def cosign_with_w1(lg, note):
        witnessing.add_cosignatures(lg, w1.add_checkpoint(witnessing.witness_request(lg, w1.signer.name)))

    # A court export appends its access event, so the fresh checkpoint is cosigned during the export.
    ex = export_record(done.p, TID, "court", actor=JUDGE, purpose=PURPOSE, cosign=cosign_with_w1)
    note = unzip(ex.data)["checkpoint"].decode()
    assert "w1.example/witness" in note
    one = Policy.parse(witnessing.policy(log, quorum=1))
    report = valid(ex.data, policy=one)
    assert any("quorum" in str(ln) and ln.status == "ok" for ln in report.lines)
    both = Policy.parse(witnessing.policy(log))  # 2 of 2: w2 never cosigned
    fails(ex.data, "checkpoint: does not satisfy the policy", "do not satisfy quorum", policy=both)
    # With only the log key, the cosignature is reported as not checked.
    report = valid(ex.data, vkey=log.head().vkey)
    assert any("not checked without --policy" in str(ln) for ln in report.lines)
    # A policy of another log.
    other = Policy.parse(f"log {Signer.generate(log.head().origin).vkey}\nquorum none\n")
    fails(ex.data, "log.vkey: the bundle's key", "is not a log of the policy", "checkpoint: does not satisfy the policy",
          policy=other)


# --- tampering -------------------------------------------------------------------------------------


SEQ = 5  # a sealed bid's submission


def test_changed_byte_in_an_event(public):
    files = unzip(public.data)
    files[event_name(SEQ)] = flip(files[event_name(SEQ)], 40)
    fails(rezip(files), f"{event_name(SEQ)}: changed", f"{event_name(SEQ)}: is not proven in the log")
    # Even with the manifest rewritten to match, the proof catches it.
    lines = fails(rezip(files, fix_manifest=True), f"{event_name(SEQ)}: is not proven in the log")
    assert not any(": changed:" in ln for ln in lines)


def test_changed_proof(public):
    files = unzip(public.data)
    name = event_name(SEQ, "tlog-proof")
    lines = files[name].decode().split("\n")
    lines[2] = b64encode(hashlib.sha256(b"another node").digest())  # the first hash of the path
    files[name] = "\n".join(lines).encode()
    fails(rezip(files), f"{name}: changed", f"{event_name(SEQ)}: is not proven in the log")
    fails(rezip(files, fix_manifest=True), f"{event_name(SEQ)}: is not proven in the log")
    files[name] = flip(unzip(public.data)[name], 3)  # a raw flipped byte in the header
    fails(rezip(files, fix_manifest=True), f"{name}: malformed")


def test_changed_checkpoint(public):
    files = unzip(public.data)
    text, _ = parse_note(files["checkpoint"].decode())
    root = text.splitlines()[2]
    forged = files["checkpoint"].decode().replace(root, b64encode(hashlib.sha256(b"other root").digest()))
    files["checkpoint"] = forged.encode()
    fails(rezip(files), "checkpoint: changed", "checkpoint: not signed by the key in the bundle: invalid signature",
          "leads to another checkpoint than the bundle's")
    fails(rezip(files, fix_manifest=True), "checkpoint: not signed by the key in the bundle")
    files["checkpoint"] = flip(unzip(public.data)["checkpoint"], len(text) + 30)  # inside the signature
    fails(rezip(files, fix_manifest=True), "checkpoint: not signed by the key in the bundle")


def test_changed_document(public):
    files = unzip(public.data)
    name = document_name(hashlib.sha256(SOW).hexdigest())
    files[name] = flip(files[name], 5)
    fails(rezip(files), f"{name}: changed")
    fails(rezip(files, fix_manifest=True), f"{name}: content hashes to", "the document was changed")


def test_changed_confidential_payload(court):
    files = unzip(court.data)
    name = next(p for p, d in files.items() if p.startswith("confidential/") and b"SECRET narrative" in d)
    files[name] = files[name].replace(b"SECRET narrative", b"SECRET Narrative")
    fails(rezip(files), f"{name}: changed")
    fails(rezip(files, fix_manifest=True), f"{name}: does not match its commitment")
    item = json.loads(unzip(court.data)[name])
    item["salt"] = "00" * 32  # a different salt
    files[name] = canonical(item)
    fails(rezip(files, fix_manifest=True), f"{name}: does not match its commitment", "the content or the salt was changed")


def test_removed_event(public):
    files = unzip(public.data)
    del files[event_name(6)], files[event_name(6, "tlog-proof")]
    fails(rezip(files), f"{event_name(6)}: listed in the manifest but missing from the bundle", "event seq 6 is missing")
    # The manifest rewritten to match: the gap in the seqs still shows.
    fails(rezip(files, fix_manifest=True), "events: event seq 6 is missing: the record goes from seq 5 to 7")
    # Dropping the first events too.
    for seq in (1, 2):
        del files[event_name(seq)], files[event_name(seq, "tlog-proof")]
    fails(rezip(files, fix_manifest=True), "events seq 1-2 are missing")
    # A proof without its event.
    files = unzip(public.data)
    del files[event_name(7)]
    fails(rezip(files, fix_manifest=True), "a proof without its event")


def test_reordered_events(public):
    files = unzip(public.data)
    for ext in ("json", "tlog-proof"):
        a, b = event_name(6, ext), event_name(7, ext)
        files[a], files[b] = files[b], files[a]
    fails(rezip(files), f"{event_name(6)}: changed")
    lines = fails(rezip(files, fix_manifest=True), f"{event_name(6)}: holds event seq 7, not 6",
                  f"{event_name(7)}: holds event seq 6, not 7", "contradicts the log's")
    assert not any("is not proven" in ln for ln in lines)  # every proof is valid: the order is what is wrong


def test_event_of_another_tender_slipped_in(done, public):
    theirs = unzip(export_record(done.p, OTHER).data)
    ours = unzip(public.data)
    assert theirs["checkpoint"] == ours["checkpoint"]  # proofs against the very same checkpoint
    files = dict(ours)
    for ext in ("json", "tlog-proof"):
        files[event_name(2, ext)] = theirs[event_name(2, ext)]  # same seq, other tender: a valid proof
    lines = fails(rezip(files, fix_manifest=True), f"{event_name(2)}: is an event of tender 'T-2', not 'T-1'")
    assert not any("is not proven" in ln or "holds event seq" in ln for ln in lines)
    # Appended after the last event instead.
    n = public.events
    files = dict(ours)
    for ext in ("json", "tlog-proof"):
        files[event_name(n + 1, ext)] = theirs[event_name(1, ext)]
    fails(rezip(files, fix_manifest=True), f"{event_name(n + 1)}: is an event of tender 'T-2', not 'T-1'",
          f"{event_name(n + 1)}: holds event seq 1, not {n + 1}")
    # The proof of another tender's event, with our event's bytes.
    files = dict(ours)
    files[event_name(2, "tlog-proof")] = theirs[event_name(2, "tlog-proof")]
    fails(rezip(files, fix_manifest=True), f"{event_name(2)}: is not proven in the log at index")


def test_swapped_key(done, public):
    impostor = Signer.generate(done.p.log.head().origin)
    files = unzip(public.data)
    files["log.vkey"] = (impostor.vkey + "\n").encode()
    fails(rezip(files), "log.vkey: changed")
    fails(rezip(files, fix_manifest=True), "checkpoint: not signed by the key in the bundle")
    # Trusting a key of one's own: the bundle's key is not it, and the checkpoint is not signed by it.
    fails(public.data, "log.vkey: the bundle's key", "is not the key you trust",
          "checkpoint: not signed by the key you trust", vkey=impostor.vkey)
    # A checkpoint re-signed by the impostor over a forged root (the proofs then fail).
    text, _ = parse_note(files["checkpoint"].decode())
    files["checkpoint"] = sign_note(text, [impostor]).encode()
    lines = fails(rezip(files, fix_manifest=True), "leads to another checkpoint", vkey=done.p.log.head().vkey)
    assert any("checkpoint: not signed by the key you trust" in ln for ln in lines)


def test_manifest_that_lies(done, public):
    files = unzip(public.data)
    # A file the manifest does not list, and one it lists that is not there.
    stray = hashlib.sha256(b"planted").hexdigest()
    files[document_name(stray)] = b"planted"
    fails(rezip(files), f"{document_name(stray)}: in the bundle but not listed in the manifest")
    fails(rezip(files, fix_manifest=True), f"{document_name(stray)}: is referenced by no event")
    files = unzip(public.data)
    files["notes.txt"] = b"hello"
    fails(rezip(files), "notes.txt: has no place in the record layout")
    # A manifest that miscounts, with a valid checksum.
    files = unzip(public.data)
    m = json.loads(files[MANIFEST])
    rest = {k: v for k, v in files.items() if k != MANIFEST}
    files[MANIFEST] = manifest_bytes(tender=TID, role="public", events=m["events"] + 1, checkpoint_size=m["checkpoint_size"] - 1,
                                     access_event=None, withheld=m["withheld"], files=rest)
    fails(rezip(files), f"says the record has {m['events'] + 1} events, the bundle holds {m['events']}",
          "says the checkpoint is of size")
    # Withholding a document that is in fact missing because it was removed.
    files = unzip(public.data)
    sow = hashlib.sha256(SOW).hexdigest()
    del files[document_name(sow)]
    fails(rezip(files, fix_manifest=True), f"{document_name(sow)}: missing: the tender-document referenced by event seq 1")
    # A manifest edited by hand (its checksum no longer matches).
    files = unzip(public.data)
    files[MANIFEST] = files[MANIFEST].replace(b'"tool": "tenderproof 0', b'"tool": "tenderproof 9')
    fails(rezip(files), "manifest.json: its self_sha256 checksum does not match")
    files[MANIFEST] = b"{}"
    fails(rezip(files), "manifest.json: lacks the field(s)")
    del files[MANIFEST]
    fails(rezip(files), "manifest.json: missing")


def test_relabelled_and_stripped_court_bundle(court):
    files = unzip(court.data)
    m = json.loads(files[MANIFEST])
    rest = {k: v for k, v in files.items() if k != MANIFEST}
    files[MANIFEST] = manifest_bytes(tender=TID, role="public", events=m["events"], checkpoint_size=m["checkpoint_size"],
                                     access_event=None, withheld=m["withheld"], files=rest)
    fails(rezip(files), "confidential content in a bundle for the public", "in a bundle for the public")
    # A court bundle with a confidential payload removed.
    files = unzip(court.data)
    gone = next(p for p in files if p.startswith("confidential/"))
    del files[gone]
    fails(rezip(files, fix_manifest=True), f"{gone}: missing: the payload committed by event seq")
    # A court bundle without its access record.
    files[MANIFEST] = manifest_bytes(tender=TID, role="court", events=m["events"], checkpoint_size=m["checkpoint_size"],
                                     access_event=3, withheld=m["withheld"], files=rest)
    fails(rezip(files), "access: event seq 3 is not the court export's access record")


def test_duplicate_and_garbage_members(public):
    fails(b"not a zip at all", "bundle: not a readable zip file")
    buf = io.BytesIO()
    files = unzip(public.data)
    with zipfile.ZipFile(buf, "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
        with pytest.warns(UserWarning):
            zf.writestr(event_name(3), files[event_name(4)])
    fails(buf.getvalue(), f"{event_name(3)}: appears 2 times in the zip")
