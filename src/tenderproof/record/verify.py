"""Offline verification of a record bundle: every check reports a line, and says exactly what fails.

What rests on what:
- the checkpoint is signed by the log key you trust (`--vkey`), or satisfies your tlog-policy
  (log key and witness quorum, `--policy`); with neither, the key inside the bundle is used, and
  the report says so;
- each event's exact bytes are proven included in that checkpoint by its tlog-proof, so no byte
  of an event can change; the envelope names its tender and its seq, so an event of another
  tender (with a perfectly valid proof) is caught by its `tender` field, a removed event by the
  gap in the seqs, and a reordered one by a seq that is not its file's;
- documents are named by their SHA-256 and referenced by digest from the events; confidential
  payloads are checked against the salted commitments in the events;
- manifest.json lists every file with its SHA-256 and size, and checksums itself; nothing in it
  is trusted that the signed events do not confirm (its hashes catch damage; what an attacker
  who rewrites it cannot forge is the log's signature).

Limit: a bundle cut short at the end (the latest events dropped and the manifest rewritten)
looks complete offline; compare its last event with the live log's timeline.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tenderproof.app.envelope import commit
from tenderproof.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from tenderproof.ledger.merkle import ProofError, leaf_hash, verify_inclusion
from tenderproof.ledger.note import Ed25519Verifier, NoteError, parse_note
from tenderproof.ledger.policy import Policy, PolicyError
from tenderproof.ledger.tlogproof import TlogProof, TlogProofError

from .bundle import (
    ACCESS_ITEM,
    ALL_KINDS,
    CHECKPOINT,
    FORMAT,
    MANIFEST,
    MANIFEST_FIELDS,
    PUBLIC_KINDS,
    ROLES,
    VKEY,
    WITHHELD_KINDS,
    WITHHELD_REASONS,
    classify,
    commitment_of,
    confidential_name,
    document_name,
    dump_json,
    event_name,
    references,
    self_digest,
)

MAX_MEMBER_BYTES = 1 << 31
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SALT = re.compile(r"(?:[0-9a-f]{2})+")


@dataclass(frozen=True)
class Line:
    status: str  # "ok", "FAIL" or "note" (information that does not fail the bundle)
    subject: str
    text: str

    def __str__(self) -> str:
        return f"{self.status:<4} {self.subject}: {self.text}"


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)
    tender: str | None = None
    events: int = 0
    checkpoint: Checkpoint | None = None
    trusted_bundle_key: bool = False

    def ok(self, subject: str, text: str) -> None:
        self.lines.append(Line("ok", subject, text))

    def fail(self, subject: str, text: str) -> None:
        self.lines.append(Line("FAIL", subject, text))

    def note(self, subject: str, text: str) -> None:
        self.lines.append(Line("note", subject, text))

    @property
    def failures(self) -> list[Line]:
        return [ln for ln in self.lines if ln.status == "FAIL"]

    @property
    def valid(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if not self.valid:
            n = len(self.failures)
            return f"invalid: {n} problem{'s' if n != 1 else ''} found in the record" + (
                f" of tender {self.tender}" if self.tender else "")
        cp = self.checkpoint
        assert cp is not None
        trust = " (trusting the key inside the bundle)" if self.trusted_bundle_key else ""
        return (f"valid: the administrative record of tender {self.tender}, {self.events} events, "
                f"proven in log {cp.origin} at tree size {cp.size}{trust}")


def verify_record(data: bytes, *, policy: Policy | None = None, vkey: str | None = None) -> Report:
    """Verify a record bundle (the zip's bytes) against a policy, a log key, or (neither) its own key."""
    if policy is not None and vkey is not None:
        raise ValueError("give at most one of policy and vkey")
    return _Verifier(policy, vkey).run(data)


class _Verifier:
    def __init__(self, policy: Policy | None, vkey: str | None) -> None:
        self.policy, self.vkey = policy, vkey
        self.r = Report()
        self.members: dict[str, bytes] = {}
        self.manifest: dict[str, Any] | None = None
        self.cp: Checkpoint | None = None
        self.note: str | None = None
        self.envs: dict[int, dict[str, Any]] = {}

    def run(self, data: bytes) -> Report:
        if not self.read_zip(data):
            return self.r
        self.check_manifest()
        self.check_files()
        self.check_checkpoint()
        self.check_events()
        self.check_confidential()
        self.check_documents()
        return self.r

    def of_kind(self, kind: str) -> dict[Any, bytes]:
        """The members of one kind (event, proof, document, confidential), by seq or digest."""
        out = {}
        for path, data in self.members.items():
            m = classify(path)
            if m is not None and m.kind == kind:
                out[m.key] = data
        return out

    # --- the zip ---------------------------------------------------------------------------------

    def read_zip(self, data: bytes) -> bool:
        r = self.r
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
            r.fail("bundle", f"not a readable zip file: {e}")
            return False
        counts = Counter(i.filename for i in zf.infolist())
        for name, k in sorted(counts.items()):
            if k > 1:
                r.fail(name, f"appears {k} times in the zip: which one is the record?")
        for info in zf.infolist():
            name = info.filename
            if counts[name] > 1:
                continue
            if classify(name) is None:
                r.fail(name, "has no place in the record layout (an unexpected file)")
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                r.fail(name, f"is {info.file_size} bytes, more than a record member may be")
                continue
            try:
                with zf.open(info) as f:
                    self.members[name] = f.read(MAX_MEMBER_BYTES + 1)
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, ValueError) as e:
                r.fail(name, f"cannot be read from the zip: {e}")
        return True

    # --- the manifest ------------------------------------------------------------------------------

    def check_manifest(self) -> None:
        r = self.r
        raw = self.members.get(MANIFEST)
        if raw is None:
            r.fail(MANIFEST, "missing: nothing says what the bundle should hold")
            return
        try:
            m = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            r.fail(MANIFEST, f"is not valid JSON: {e}")
            return
        problems = _manifest_problems(m)
        for p in problems:
            r.fail(MANIFEST, p)
        if problems:
            return
        before = len(r.failures)
        if dump_json(m) != raw:
            r.fail(MANIFEST, "is not in its one serialization (sorted keys, 2-space indent): it was edited")
        if m["self_sha256"] != self_digest(m):
            r.fail(MANIFEST, "its self_sha256 checksum does not match its content: it was changed")
        self.manifest = m
        self.r.tender = m["tender"]
        if len(r.failures) == before:
            r.ok(MANIFEST, f"{m['format']} by {m['tool']}: tender {m['tender']}, role {m['role']}, "
                           f"{m['events']} events, {len(m['files'])} files")

    def check_files(self) -> None:
        r, m = self.r, self.manifest
        if m is None:
            return
        before = len(r.failures)
        listed = {f["path"]: f for f in m["files"]}
        for path, f in listed.items():
            if path == MANIFEST or classify(path) is None:
                r.fail(MANIFEST, f"lists {path!r}, which has no place in the record layout")
                continue
            data = self.members.get(path)
            if data is None:
                r.fail(path, "listed in the manifest but missing from the bundle")
                continue
            got = hashlib.sha256(data).hexdigest()
            if got != f["sha256"] or len(data) != f["size"]:
                r.fail(path, f"changed: SHA-256 {got[:16]}… and {len(data)} bytes, "
                             f"the manifest says {f['sha256'][:16]}… and {f['size']} bytes")
        for path in sorted(self.members):
            if path != MANIFEST and path not in listed:
                r.fail(path, "in the bundle but not listed in the manifest")
        if len(r.failures) == before:
            r.ok("files", f"all {len(listed)} files are present and match the manifest's SHA-256 and sizes")

    # --- the checkpoint and the trust root ------------------------------------------------------

    def verifier(self) -> Ed25519Verifier | None:
        r = self.r
        raw = self.members.get(VKEY)
        bundle_key = raw.decode("utf-8", "replace").strip() if raw is not None else None
        if raw is None:
            r.fail(VKEY, "missing from the bundle")
        elif bundle_key is None or raw != (bundle_key + "\n").encode("utf-8") or not bundle_key or "\n" in bundle_key:
            r.fail(VKEY, "is not one verifier key on one line")
            bundle_key = None
        if self.vkey is not None:
            try:
                v = Ed25519Verifier.from_vkey(self.vkey.strip())
            except NoteError as e:
                r.fail("--vkey", f"not a verifier key: {e}")
                return None
            if bundle_key is not None and bundle_key != v.vkey:
                r.fail(VKEY, f"the bundle's key {bundle_key!r} is not the key you trust ({v.vkey})")
            return v
        if self.policy is not None:
            keys = {log.verifier.vkey for log in self.policy.logs}
            if bundle_key is not None and bundle_key not in keys:
                r.fail(VKEY, f"the bundle's key {bundle_key!r} is not a log of the policy")
            return None
        if bundle_key is None:
            return None
        r.trusted_bundle_key = True
        r.note("trust", f"no --vkey or --policy given: trusting the key inside the bundle ({bundle_key}); "
                        "check it against a key you obtained independently")
        try:
            return Ed25519Verifier.from_vkey(bundle_key)
        except NoteError as e:
            r.fail(VKEY, f"not a valid verifier key: {e}")
            return None

    def check_checkpoint(self) -> None:
        r = self.r
        v = self.verifier()
        raw = self.members.get(CHECKPOINT)
        if raw is None:
            r.fail(CHECKPOINT, "missing: no event can be proven")
            return
        try:
            note = raw.decode("utf-8")
            text, sigs = parse_note(note)
            cp = Checkpoint.parse(text)
        except (UnicodeDecodeError, NoteError, CheckpointError) as e:
            r.fail(CHECKPOINT, f"malformed: {e}")
            return
        self.note, self.cp = note, cp
        r.checkpoint = cp
        if self.policy is not None:
            try:
                self.policy.verify_checkpoint(note)
            except PolicyError as e:
                r.fail(CHECKPOINT, f"does not satisfy the policy: {e}")
            else:
                r.ok(CHECKPOINT, f"log {cp.origin}, tree size {cp.size}: signed by the policy's log key, "
                                 f"witness quorum {self.policy.quorum!r} met ({len(sigs) - 1} cosignatures)")
        elif v is not None:
            whose = "the key you trust" if self.vkey is not None else "the key in the bundle"
            try:
                if v.name != cp.origin:
                    raise NoteError(f"the key is for log {v.name!r}, the checkpoint is of log {cp.origin!r}")
                _, opened = open_checkpoint(note, [v])
            except NoteError as e:
                r.fail(CHECKPOINT, f"not signed by {whose}: {e}")
            else:
                others = len(opened.unverified)
                extra = f"; {others} other signature(s) (witness cosignatures) not checked without --policy" if others else ""
                r.ok(CHECKPOINT, f"log {cp.origin}, tree size {cp.size}: signed by {whose}{extra}")
        else:
            r.fail(CHECKPOINT, "not verified: there is no usable log key to check its signature with")
        m = self.manifest
        if m is not None and m["checkpoint_size"] != cp.size:
            r.fail(MANIFEST, f"says the checkpoint is of size {m['checkpoint_size']}, it is of size {cp.size}")

    # --- the events -------------------------------------------------------------------------------

    def check_events(self) -> None:
        r, m = self.r, self.manifest
        before = len(r.failures)
        events = self.of_kind("event")
        proofs = self.of_kind("proof")
        for seq in sorted(set(proofs) - set(events)):
            r.fail(event_name(seq, "tlog-proof"), f"a proof without its event ({event_name(seq)} is missing)")
        for seq in sorted(set(events) - set(proofs)):
            r.fail(event_name(seq), f"has no proof ({event_name(seq, 'tlog-proof')} is missing)")
        if not events:
            r.fail("events", "the bundle holds no event")
            return
        for seq in sorted(events):
            try:
                env = json.loads(events[seq].decode("utf-8"))
                if not isinstance(env, dict):
                    raise ValueError("not an object")
            except (UnicodeDecodeError, ValueError) as e:
                r.fail(event_name(seq), f"is not a JSON event envelope: {e}")
                continue
            self.envs[seq] = env
        tender = r.tender
        if tender is None and self.envs:
            tender = self.envs[min(self.envs)].get("tender")
            r.note("events", f"no usable manifest: taking tender {tender!r} from the first event")
            r.tender = tender if isinstance(tender, str) else None
        index: dict[int, int] = {}
        for seq in sorted(events):
            name, env = event_name(seq), self.envs.get(seq)
            if env is not None:
                if env.get("tender") != tender:
                    r.fail(name, f"is an event of tender {env.get('tender')!r}, not {tender!r}: slipped in from another tender")
                if env.get("seq") != seq:
                    r.fail(name, f"holds event seq {env.get('seq')!r}, not {seq}: events are out of order or renamed")
            if seq not in proofs:
                continue
            pname = event_name(seq, "tlog-proof")
            try:
                proof = TlogProof.parse(proofs[seq])
            except TlogProofError as e:
                r.fail(pname, f"malformed: {e}")
                continue
            if self.note is not None and proof.checkpoint != self.note:
                r.fail(pname, "leads to another checkpoint than the bundle's")
                continue
            if self.cp is None:
                continue
            try:
                verify_inclusion(proof.index, self.cp.size, leaf_hash(events[seq]), proof.hashes, self.cp.root)
            except ProofError as e:
                r.fail(name, f"is not proven in the log at index {proof.index}: the event or its proof was changed ({e})")
                continue
            index[seq] = proof.index
        top = max(events)
        for lo, hi in _gaps(sorted(events)):
            what = f"event seq {lo} is" if lo == hi else f"events seq {lo}-{hi} are"
            where = f"the record starts at seq {hi + 1}" if lo == 1 else f"the record goes from seq {lo - 1} to {hi + 1}"
            r.fail("events", f"{what} missing: {where}")
        if m is not None and m["events"] != len(events):
            r.fail(MANIFEST, f"says the record has {m['events']} events, the bundle holds {len(events)}")
        first = self.envs.get(1)
        if first is not None and first.get("type") != "tender.created":
            r.fail(event_name(1), f"the first event is {first.get('type')!r}, not tender.created")
        prev: tuple[int, int] | None = None
        for seq in sorted(index):
            if prev is not None and index[seq] <= prev[1]:
                r.fail("events", f"seq {seq} is at ledger index {index[seq]}, not after seq {prev[0]} at index {prev[1]}: "
                                 "the record's order contradicts the log's")
            prev = (seq, index[seq])
        self.r.events = len(events)
        if len(r.failures) == before and len(index) == len(events):
            r.ok("events", f"{len(events)} events of tender {tender}, seq 1-{top} without a gap, in ledger order "
                           f"(indexes {index[1]}..{index[top]}), each proven included in the checkpoint")

    # --- confidential payloads and disclosures ----------------------------------------------------

    def check_confidential(self) -> None:
        r, m = self.r, self.manifest
        role = m["role"] if m is not None else None
        access = m["access_event"] if m is not None else None
        commitments = {c.split(":", 1)[1]: seq for seq, env in self.envs.items() if (c := commitment_of(env))}
        files = self.of_kind("confidential")
        before = len(r.failures)
        if role == "public":
            for hex_ in sorted(files):
                r.fail(f"confidential/{hex_}.json", "confidential content in a bundle for the public")
            if access is not None:
                r.fail(MANIFEST, "names an access record, but a public export is not an access")
        for hex_, data in sorted(files.items()):
            path = f"confidential/{hex_}.json"
            try:
                item = json.loads(data.decode("utf-8"))
                if not (isinstance(item, dict) and set(item) == {"commitment", "salt", "content"}
                        and isinstance(item["salt"], str) and _SALT.fullmatch(item["salt"])):
                    raise ValueError("not a {commitment, salt (hex), content} object")
            except (UnicodeDecodeError, ValueError) as e:
                r.fail(path, f"is not a confidential payload: {e}")
                continue
            if item["commitment"] != f"sha256:{hex_}" or commit(bytes.fromhex(item["salt"]), item["content"]) != f"sha256:{hex_}":
                r.fail(path, f"does not match its commitment sha256:{hex_[:16]}…: the content or the salt was changed")
                continue
            seq = commitments.get(hex_)
            if seq is None:
                r.fail(path, "matches no commitment of the record's events")
            elif access is not None and seq > access:
                r.fail(path, f"committed by event seq {seq}, after the export's access record (seq {access})")
        if role in ("court", "auditor"):
            self.check_access(role, access)
            withheld = {w["sha256"] for w in m["withheld"] if w["kind"] == "confidential"} if m else set()
            for hex_, seq in sorted(commitments.items(), key=lambda kv: kv[1]):
                if hex_ in files:
                    continue
                if hex_ in withheld and access is not None and seq > access:
                    continue
                r.fail(f"confidential/{hex_}.json", f"missing: the payload committed by event seq {seq} is not in the bundle")
            if len(r.failures) == before:
                r.ok("confidential", f"{len(files)} confidential payloads, each matching its commitment in the log")
        self.check_disclosures()

    def check_access(self, role: str, access: int | None) -> None:
        r = self.r
        env = self.envs.get(access) if access is not None else None
        if env is None:
            r.fail("access", f"the {role} export's own access record is missing (manifest access_event {access!r})")
            return
        actor = env.get("actor") if isinstance(env.get("actor"), dict) else {}
        payload = env.get("payload") if isinstance(env.get("payload"), dict) else {}
        if (env.get("type") != "confidential.accessed" or payload.get("item") != ACCESS_ITEM.format(role=role)
                or actor.get("role") != ROLES[role]):
            r.fail("access", f"event seq {access} is not the {role} export's access record")
            return
        r.ok("access", f"the export is on the record: event seq {access}, {actor.get('id')} ({actor.get('role')}) "
                       f"at {env.get('time')}, purpose {payload.get('purpose')!r}")

    def check_disclosures(self) -> None:
        r = self.r
        before, n = len(r.failures), 0
        earlier: dict[str, int] = {}
        for seq in sorted(self.envs):
            env = self.envs[seq]
            payload = env.get("payload") if isinstance(env.get("payload"), dict) else {}
            if env.get("type") == "confidential.disclosed":
                items = payload.get("items")
                for i, item in enumerate(items if isinstance(items, list) else []):
                    n += 1
                    try:
                        ok = commit(bytes.fromhex(item["salt"]), item["content"]) == item["commitment"]
                    except (TypeError, KeyError, ValueError):
                        ok = False
                    com = item.get("commitment") if isinstance(item, dict) else None
                    if not ok:
                        r.fail(event_name(seq), f"disclosure {i + 1} does not match its commitment {com}")
                    elif com not in earlier:
                        r.fail(event_name(seq), f"disclosure {i + 1} is of {com}, which no earlier event of the record committed to")
            c = commitment_of(env)
            if c:
                earlier[c] = seq
        if n and len(r.failures) == before:
            r.ok("disclosures", f"{n} disclosed payload(s) match the commitments logged before them")

    # --- documents --------------------------------------------------------------------------------

    def check_documents(self) -> None:
        r, m = self.r, self.manifest
        role = m["role"] if m is not None else None
        before = len(r.failures)
        docs = self.of_kind("document")
        refs = {}
        for seq in sorted(self.envs):
            for ref in references(self.envs[seq]):
                refs.setdefault(ref.sha256, ref)
        for sha, data in sorted(docs.items()):
            path = document_name(sha)
            got = hashlib.sha256(data).hexdigest()
            if got != sha:
                r.fail(path, f"content hashes to {got[:16]}…, not to its name: the document was changed")
            ref = refs.get(sha)
            if ref is None:
                r.fail(path, "is referenced by no event of the record")
            elif role == "public" and ref.kind not in PUBLIC_KINDS:
                r.fail(path, f"a {ref.kind} (event seq {ref.seq}) in a bundle for the public")
        withheld = {(w["kind"], w["sha256"]): w for w in m["withheld"]} if m is not None else {}
        allowed = PUBLIC_KINDS if role == "public" else ALL_KINDS
        for sha, ref in sorted(refs.items(), key=lambda kv: kv[1].seq):
            if sha in docs or m is None:  # without a usable manifest, nothing says what was withheld
                continue
            if (ref.kind, sha) not in withheld:
                r.fail(document_name(sha), f"missing: the {ref.kind} referenced by event seq {ref.seq} is neither in "
                                           "the bundle nor listed as withheld")
        commitments = {c.split(":", 1)[1] for env in self.envs.values() if (c := commitment_of(env))}
        for (kind, sha), w in sorted(withheld.items()):
            known = sha in commitments if kind == "confidential" else (sha in refs and refs[sha].kind == kind)
            present = confidential_name(f"sha256:{sha}") in self.members if kind == "confidential" else sha in docs
            if not known:
                r.fail(MANIFEST, f"withholds {kind} {sha[:16]}…, which no event of the record refers to")
            elif present:
                r.fail(MANIFEST, f"withholds {kind} {sha[:16]}…, which is in the bundle")
            elif w["reason"] == "role" and kind in allowed:
                r.fail(MANIFEST, f"withholds {kind} {sha[:16]}… as not for role {role}, but that role may see it")
        if len(r.failures) == before:
            r.ok("documents", f"{len(docs)} documents, each named by its SHA-256 and referenced by an event")
        if withheld:
            why = Counter(f"{w['kind']} {WITHHELD_REASONS[w['reason']]}" for w in withheld.values())
            r.note("withheld", f"{len(withheld)} referenced items are not in the bundle: "
                               + "; ".join(f"{n} {what}" for what, n in sorted(why.items())))


def _gaps(seqs: list[int]) -> list[tuple[int, int]]:
    out, expect = [], 1
    for s in seqs:
        if s > expect:
            out.append((expect, s - 1))
        expect = s + 1
    return out


def _manifest_problems(m: Any) -> list[str]:
    if not isinstance(m, dict):
        return ["is not a JSON object"]
    out = []
    missing, extra = MANIFEST_FIELDS - set(m), set(m) - MANIFEST_FIELDS
    if missing:
        out.append(f"lacks the field(s) {', '.join(sorted(missing))}")
    if extra:
        out.append(f"has unexpected field(s) {', '.join(sorted(extra))}")
    if out:
        return out

    def nat(v: Any, lo: int = 0) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= lo

    if m["format"] != FORMAT:
        out.append(f"format {m['format']!r} is not {FORMAT!r}")
    if not (isinstance(m["tool"], str) and m["tool"].startswith("tenderproof ")):
        out.append(f"tool {m['tool']!r} is not 'tenderproof <version>'")
    if not isinstance(m["tender"], str) or not m["tender"]:
        out.append("tender is not a tender id")
    if m["role"] not in ROLES:
        out.append(f"role {m['role']!r} is not one of {', '.join(ROLES)}")
    if not nat(m["events"]):
        out.append("events is not a count")
    if not nat(m["checkpoint_size"]):
        out.append("checkpoint_size is not a tree size")
    if m["access_event"] is not None and not nat(m["access_event"], 1):
        out.append("access_event is neither null nor an event seq")
    w = m["withheld"]
    if not (isinstance(w, list) and all(
            isinstance(x, dict) and set(x) == {"kind", "sha256", "reason"} and x["kind"] in WITHHELD_KINDS
            and isinstance(x["sha256"], str) and _HEX64.fullmatch(x["sha256"]) and x["reason"] in WITHHELD_REASONS
            for x in w)):
        out.append("withheld is not a list of {kind, sha256, reason} with known kinds and reasons")
    elif len({(x["kind"], x["sha256"]) for x in w}) != len(w):
        out.append("withheld lists an item twice")
    f = m["files"]
    if not (isinstance(f, list) and all(
            isinstance(x, dict) and set(x) == {"path", "sha256", "size"} and isinstance(x["path"], str)
            and isinstance(x["sha256"], str) and _HEX64.fullmatch(x["sha256"]) and nat(x["size"]) for x in f)):
        out.append("files is not a list of {path, sha256, size}")
    elif [x["path"] for x in f] != sorted({x["path"] for x in f}):
        out.append("files are not listed once each, sorted by path")
    return out
