"""Verifying what a bundle proves from the log: the trust root, the checkpoint, the events.

The checkpoint must verify against the trust root you give (a log key, or a tlog-policy with its
witness quorum; with neither, the key inside the bundle, and the report says so). Each event's
exact bytes must then be proven included in that checkpoint by its tlog-proof; its envelope must
name the bundle's tender and its own seq; the seqs must run from 1 without a gap, starting with
tender.created, in the order of their ledger indexes. That is what catches an event slipped in
from another tender, a removed one and a reordered one.
"""

from __future__ import annotations

import json

from tenderproof.domain.events import EventType
from tenderproof.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from tenderproof.ledger.merkle import ProofError, leaf_hash, verify_inclusion
from tenderproof.ledger.note import Ed25519Verifier, NoteError, parse_note
from tenderproof.ledger.policy import Policy, PolicyError
from tenderproof.ledger.tlogproof import TlogProof, TlogProofError

from .bundle import CHECKPOINT, MANIFEST, VKEY, event_name
from .reading import Reading


def _trust_root(b: Reading, policy: Policy | None, vkey: str | None) -> Ed25519Verifier | None:
    """The log key to check the checkpoint with (None: the policy does it, or there is none)."""
    r = b.report
    raw = b.members.get(VKEY)
    bundle_key = raw.decode("utf-8", "replace").strip() if raw is not None else None
    if raw is None:
        r.fail(VKEY, "missing from the bundle")
    elif bundle_key is None or raw != (bundle_key + "\n").encode("utf-8") or not bundle_key or "\n" in bundle_key:
        r.fail(VKEY, "is not one verifier key on one line")
        bundle_key = None
    if vkey is not None:
        try:
            v = Ed25519Verifier.from_vkey(vkey.strip())
        except NoteError as e:
            r.fail("--vkey", f"not a verifier key: {e}")
            return None
        if bundle_key is not None and bundle_key != v.vkey:
            r.fail(VKEY, f"the bundle's key {bundle_key!r} is not the key you trust ({v.vkey})")
        return v
    if policy is not None:
        keys = {log.verifier.vkey for log in policy.logs}
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


def check_checkpoint(b: Reading, policy: Policy | None, vkey: str | None) -> None:
    r = b.report
    v = _trust_root(b, policy, vkey)
    raw = b.members.get(CHECKPOINT)
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
    b.note, b.checkpoint = note, cp
    r.checkpoint = cp
    if policy is not None:
        try:
            policy.verify_checkpoint(note)
        except PolicyError as e:
            r.fail(CHECKPOINT, f"does not satisfy the policy: {e}")
        else:
            r.ok(CHECKPOINT, f"log {cp.origin}, tree size {cp.size}: signed by the policy's log key, "
                             f"witness quorum {policy.quorum!r} met ({len(sigs) - 1} cosignatures)")
    elif v is not None:
        whose = "the key you trust" if vkey is not None else "the key in the bundle"
        try:
            if v.name != cp.origin:
                raise NoteError(f"the key is for log {v.name!r}, the checkpoint is of log {cp.origin!r}")
            _, opened = open_checkpoint(note, [v])
        except NoteError as e:
            r.fail(CHECKPOINT, f"not signed by {whose}: {e}")
        else:
            others = len(opened.unverified)
            extra = (f"; {others} other signature(s) (witness cosignatures) not checked without --policy"
                     if others else "")
            r.ok(CHECKPOINT, f"log {cp.origin}, tree size {cp.size}: signed by {whose}{extra}")
    else:
        r.fail(CHECKPOINT, "not verified: there is no usable log key to check its signature with")
    m = b.manifest
    if m is not None and m["checkpoint_size"] != cp.size:
        r.fail(MANIFEST, f"says the checkpoint is of size {m['checkpoint_size']}, it is of size {cp.size}")


def check_events(b: Reading) -> None:
    r, m = b.report, b.manifest
    before = len(r.failures)
    events = b.of_kind("event")
    proofs = b.of_kind("proof")
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
        b.envs[seq] = env
    tender = r.tender
    if tender is None and b.envs:
        tender = b.envs[min(b.envs)].get("tender")
        r.note("events", f"no usable manifest: taking tender {tender!r} from the first event")
        r.tender = tender if isinstance(tender, str) else None
    index: dict[int, int] = {}
    for seq in sorted(events):
        name, env = event_name(seq), b.envs.get(seq)
        if env is not None:
            if env.get("tender") != tender:
                r.fail(name, f"is an event of tender {env.get('tender')!r}, not {tender!r}: "
                             "slipped in from another tender")
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
        if b.note is not None and proof.checkpoint != b.note:
            r.fail(pname, "leads to another checkpoint than the bundle's")
            continue
        if b.checkpoint is None:
            continue
        try:
            verify_inclusion(proof.index, b.checkpoint.size, leaf_hash(events[seq]), proof.hashes, b.checkpoint.root)
        except ProofError as e:
            r.fail(name, f"is not proven in the log at index {proof.index}: "
                         f"the event or its proof was changed ({e})")
            continue
        index[seq] = proof.index
    b.indexes.update(index)
    top = max(events)
    for lo, hi in _gaps(sorted(events)):
        what = f"event seq {lo} is" if lo == hi else f"events seq {lo}-{hi} are"
        where = f"the record starts at seq {hi + 1}" if lo == 1 else f"the record goes from seq {lo - 1} to {hi + 1}"
        r.fail("events", f"{what} missing: {where}")
    if m is not None and m["events"] != len(events):
        r.fail(MANIFEST, f"says the record has {m['events']} events, the bundle holds {len(events)}")
    first = b.envs.get(1)
    if first is not None and first.get("type") != EventType.TENDER_CREATED:
        r.fail(event_name(1), f"the first event is {first.get('type')!r}, not {EventType.TENDER_CREATED}")
    prev: tuple[int, int] | None = None
    for seq in sorted(index):
        if prev is not None and index[seq] <= prev[1]:
            r.fail("events", f"seq {seq} is at ledger index {index[seq]}, not after seq {prev[0]} "
                             f"at index {prev[1]}: the record's order contradicts the log's")
        prev = (seq, index[seq])
    r.events = len(events)
    if len(r.failures) == before and len(index) == len(events):
        r.ok("events", f"{len(events)} events of tender {tender}, seq 1-{top} without a gap, in ledger order "
                       f"(indexes {index[1]}..{index[top]}), each proven included in the checkpoint")


def _gaps(seqs: list[int]) -> list[tuple[int, int]]:
    out, expect = [], 1
    for s in seqs:
        if s > expect:
            out.append((expect, s - 1))
        expect = s + 1
    return out
