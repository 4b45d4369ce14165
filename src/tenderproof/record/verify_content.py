"""Verifying a bundle's content against its proven events: confidential payloads, disclosures,
the export's own access record, and documents.

Everything here rests on the events `verify_events` proved: a confidential payload must open a
salted commitment that an event logged (and, in a court or auditor export, one logged before the
export's own access record, which must be there); a disclosure must open a commitment logged
before it; a document must hash to its name and be referenced by an event, of a kind the bundle's
role may receive. What a bundle leaves out must be listed as withheld, for a reason that holds.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter

from tenderproof.app.envelope import commit
from tenderproof.domain.events import EventType

from .bundle import (
    ACCESS_ITEM,
    ALL_KINDS,
    MANIFEST,
    PUBLIC_KINDS,
    ROLES,
    WITHHELD_REASONS,
    Reference,
    commitment_of,
    confidential_name,
    document_name,
    event_name,
    references,
)
from .reading import Reading, as_object

_SALT = re.compile(r"(?:[0-9a-f]{2})+")


def check_confidential(b: Reading) -> None:
    r, m = b.report, b.manifest
    role = m["role"] if m is not None else None
    access = m["access_event"] if m is not None else None
    commitments = {c.split(":", 1)[1]: seq for seq, env in b.envs.items() if (c := commitment_of(env))}
    files = b.of_kind("confidential")
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
        want = f"sha256:{hex_}"
        if item["commitment"] != want or commit(bytes.fromhex(item["salt"]), item["content"]) != want:
            r.fail(path, f"does not match its commitment sha256:{hex_[:16]}…: the content or the salt was changed")
            continue
        seq = commitments.get(hex_)
        if seq is None:
            r.fail(path, "matches no commitment of the record's events")
        elif access is not None and seq > access:
            r.fail(path, f"committed by event seq {seq}, after the export's access record (seq {access})")
    if role in ("court", "auditor"):
        _check_access(b, role, access)
        withheld = {w["sha256"] for w in m["withheld"] if w["kind"] == "confidential"} if m else set()
        for hex_, seq in sorted(commitments.items(), key=lambda kv: kv[1]):
            if hex_ in files:
                continue
            if hex_ in withheld and access is not None and seq > access:
                continue
            r.fail(f"confidential/{hex_}.json", f"missing: the payload committed by event seq {seq} "
                                                "is not in the bundle")
        if len(r.failures) == before:
            r.ok("confidential", f"{len(files)} confidential payloads, each matching its commitment in the log")
    _check_disclosures(b)


def _check_access(b: Reading, role: str, access: int | None) -> None:
    r = b.report
    env = b.envs.get(access) if access is not None else None
    if env is None:
        r.fail("access", f"the {role} export's own access record is missing (manifest access_event {access!r})")
        return
    actor, payload = as_object(env.get("actor")), as_object(env.get("payload"))
    if (env.get("type") != EventType.CONFIDENTIAL_ACCESSED or payload.get("item") != ACCESS_ITEM.format(role=role)
            or actor.get("role") != ROLES[role]):
        r.fail("access", f"event seq {access} is not the {role} export's access record")
        return
    r.ok("access", f"the export is on the record: event seq {access}, {actor.get('id')} ({actor.get('role')}) "
                   f"at {env.get('time')}, purpose {payload.get('purpose')!r}")


def _check_disclosures(b: Reading) -> None:
    r = b.report
    before, n = len(r.failures), 0
    earlier: dict[str, int] = {}
    for seq in sorted(b.envs):
        env = b.envs[seq]
        if env.get("type") == EventType.CONFIDENTIAL_DISCLOSED:
            items = as_object(env.get("payload")).get("items")
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
                    r.fail(event_name(seq), f"disclosure {i + 1} is of {com}, "
                                            "which no earlier event of the record committed to")
        c = commitment_of(env)
        if c:
            earlier[c] = seq
    if n and len(r.failures) == before:
        r.ok("disclosures", f"{n} disclosed payload(s) match the commitments logged before them")


def check_documents(b: Reading) -> None:
    r, m = b.report, b.manifest
    role = m["role"] if m is not None else None
    before = len(r.failures)
    docs = b.of_kind("document")
    refs: dict[str, Reference] = {}
    for seq in sorted(b.envs):
        for ref in references(b.envs[seq]):
            refs.setdefault(ref.sha256, ref)
    for sha, data in sorted(docs.items()):
        path = document_name(sha)
        got = hashlib.sha256(data).hexdigest()
        if got != sha:
            r.fail(path, f"content hashes to {got[:16]}…, not to its name: the document was changed")
        referenced = refs.get(sha)
        if referenced is None:
            r.fail(path, "is referenced by no event of the record")
        elif role == "public" and referenced.kind not in PUBLIC_KINDS:
            r.fail(path, f"a {referenced.kind} (event seq {referenced.seq}) in a bundle for the public")
    withheld = {(w["kind"], w["sha256"]): w for w in m["withheld"]} if m is not None else {}
    allowed = PUBLIC_KINDS if role == "public" else ALL_KINDS
    for sha, ref in sorted(refs.items(), key=lambda kv: kv[1].seq):
        if sha in docs or m is None:  # without a usable manifest, nothing says what was withheld
            continue
        if (ref.kind, sha) not in withheld:
            r.fail(document_name(sha), f"missing: the {ref.kind} referenced by event seq {ref.seq} is neither in "
                                       "the bundle nor listed as withheld")
    commitments = {c.split(":", 1)[1] for env in b.envs.values() if (c := commitment_of(env))}
    for (kind, sha), w in sorted(withheld.items()):
        known = sha in commitments if kind == "confidential" else (sha in refs and refs[sha].kind == kind)
        present = confidential_name(f"sha256:{sha}") in b.members if kind == "confidential" else sha in docs
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
