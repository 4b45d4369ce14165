"""The administrative-record bundle: its layout, its manifest, and what events refer to.

A bundle is one zip file (DESIGN.md §1: "exported as one bundle that a court, an auditor or a
journalist verifies offline"):

    manifest.json                      what is in the bundle (see `manifest_bytes`)
    checkpoint                         the signed checkpoint note every proof leads to, with any
                                       witness cosignatures
    log.vkey                           the log's verifier key (trust it only if you have no other)
    events/000001.json                 the exact bytes of the tender's event of seq 1, as logged
    events/000001.tlog-proof           its C2SP tlog-proof (ledger index, inclusion proof, the
                                       same checkpoint), self-describing
    documents/<sha256>                 documents the events refer to, named by their SHA-256
    confidential/<commitment hex>.json {"commitment", "salt" (hex), "content"} (court, auditor)

Members are written in a fixed order (manifest first, then by path) with fixed timestamps and
permissions, so the same record always exports to the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from tenderproof import __version__
from tenderproof.domain.events import EventType

FORMAT = "tenderproof-record/v1"
TOOL = f"tenderproof {__version__}"

MANIFEST = "manifest.json"
CHECKPOINT = "checkpoint"
VKEY = "log.vkey"

#: The roles a bundle is made for, and the domain role of the person who exports it (court and
#: auditor exports disclose confidential content: they are logged as an access by that person).
ROLES: dict[str, str | None] = {"public": None, "court": "reviewer", "auditor": "auditor"}

#: Document kinds, by who may receive them. Sealed bids are HPKE ciphertext whose private key
#: was never stored: public-safe. Bid packages are opened plaintexts (the private store).
#: Debriefings go to one offeror and carry its evaluated weaknesses, which stay out of the public
#: record until disclosed: court and auditor only.
PUBLIC_KINDS = frozenset({"tender-document", "sealed-bid"})
ALL_KINDS = frozenset({"tender-document", "sealed-bid", "debriefing", "bid-package"})
PRIVATE_STORE_KINDS = frozenset({"bid-package"})

#: Why a referenced item is not in the bundle.
WITHHELD_REASONS = {
    "role": "not for this role",
    "not-stored": "not in the document store (never uploaded, or purged)",
    "after-access": "logged after the export's own access record",
}
WITHHELD_KINDS = ALL_KINDS | {"confidential"}

ACCESS_ITEM = (
    "administrative record export ({role}): every confidential payload and opened bid logged before this event"
)

ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_EVENT = re.compile(r"events/([0-9]{6,})\.(json|tlog-proof)")
_DOCUMENT = re.compile(r"documents/([0-9a-f]{64})")
_CONFIDENTIAL = re.compile(r"confidential/([0-9a-f]{64})\.json")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_COMMITMENT = re.compile(r"sha256:([0-9a-f]{64})")


class RecordError(RuntimeError):
    """The record cannot be exported; the message says why. Nothing was written."""


def event_name(seq: int, ext: str = "json") -> str:
    return f"events/{seq:06d}.{ext}"


def document_name(sha256: str) -> str:
    return f"documents/{sha256}"


def confidential_name(commitment: str) -> str:
    m = _COMMITMENT.fullmatch(commitment)
    if m is None:
        raise ValueError(f"not a commitment: {commitment!r}")
    return f"confidential/{m.group(1)}.json"


@dataclass(frozen=True)
class Member:
    """What a bundle path names: kind is manifest, checkpoint, vkey, event, proof, document,
    confidential; key is the seq (events, proofs) or the hex digest (documents, confidential)."""

    kind: str
    key: int | str | None = None


def classify(path: str) -> Member | None:
    """The member a path names in the layout, or None for a path that has no place in it."""
    if path == MANIFEST:
        return Member("manifest")
    if path == CHECKPOINT:
        return Member("checkpoint")
    if path == VKEY:
        return Member("vkey")
    m = _EVENT.fullmatch(path)
    if m:
        seq = int(m.group(1))
        if seq < 1 or event_name(seq, m.group(2)) != path:  # one spelling per seq
            return None
        return Member("event" if m.group(2) == "json" else "proof", seq)
    m = _DOCUMENT.fullmatch(path)
    if m:
        return Member("document", m.group(1))
    m = _CONFIDENTIAL.fullmatch(path)
    if m:
        return Member("confidential", m.group(1))
    return None


# --- what events refer to ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    kind: str
    sha256: str
    seq: int


def _digest(value: Any) -> str | None:
    return value if isinstance(value, str) and _HEX64.fullmatch(value) else None


def _tender_documents(docs: Any) -> list[tuple[str, Any]]:
    """The digests of a tender's document list (created or amended), whatever `docs` holds."""
    if not isinstance(docs, list):
        return []
    return [("tender-document", d.get("sha256")) for d in docs if isinstance(d, dict)]


def references(env: Mapping[str, Any]) -> list[Reference]:
    """The documents an event envelope refers to by SHA-256.

    Tolerant of anything (the verifier calls it on untrusted JSON). A new event type that carries
    a document digest must be added here to travel with the record.
    """
    t, seq, p = env.get("type"), env.get("seq"), env.get("payload")
    if not isinstance(p, dict) or not isinstance(seq, int):
        return []
    out: list[tuple[str, Any]] = []
    if t == EventType.TENDER_CREATED:
        out += _tender_documents(p.get("documents"))
    elif t == EventType.TENDER_AMENDED:
        ch = p.get("changes")
        out += _tender_documents(ch.get("documents") if isinstance(ch, dict) else None)
    elif t == EventType.BID_SUBMITTED:
        out.append(("sealed-bid", p.get("sealed_sha256")))
    elif t == EventType.BIDS_OPENED:
        bids = p.get("bids")
        if isinstance(bids, dict):
            out += [("bid-package", r.get("sha256")) for _, r in sorted(bids.items()) if isinstance(r, dict)]
    elif t == EventType.DEBRIEFING_GIVEN:
        out.append(("debriefing", p.get("document_sha256")))
    return [Reference(kind, d, seq) for kind, v in out if (d := _digest(v)) is not None]


def commitment_of(env: Mapping[str, Any]) -> str | None:
    c = env.get("confidential")
    return c if isinstance(c, str) and _COMMITMENT.fullmatch(c) else None


# --- the manifest ------------------------------------------------------------------------------

class Withheld(TypedDict):
    """A referenced item that is not in the bundle, and why (a key of WITHHELD_REASONS)."""

    kind: str  # one of WITHHELD_KINDS
    sha256: str
    reason: str


class ConfidentialItem(TypedDict):
    """confidential/<commitment hex>.json: the content with the salt that opens its commitment."""

    commitment: str  # sha256:<hex>
    salt: str  # hex
    content: Any


class FileEntry(TypedDict):
    path: str
    sha256: str
    size: int


class Manifest(TypedDict):
    """manifest.json, as `manifest_bytes` writes it (the verifier checks every field's shape)."""

    format: str
    tool: str
    tender: str
    role: str  # a key of ROLES
    events: int
    checkpoint_size: int
    access_event: int | None  # the seq of a court or auditor export's own access record
    withheld: list[Withheld]
    files: list[FileEntry]
    self_sha256: str


MANIFEST_FIELDS = frozenset(Manifest.__annotations__)


def dump_json(value: Any) -> bytes:
    """The one serialization of manifest.json: sorted keys, 2-space indent, ASCII, final newline."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=True) + "\n").encode("ascii")


def self_digest(manifest: Mapping[str, Any]) -> str:
    """SHA-256 of the manifest's serialization without its `self_sha256` field.

    A checksum, not a signature (anyone can recompute it, as they can every hash in the manifest):
    it makes a damaged manifest.json as detectable as a damaged file it lists.
    """
    return hashlib.sha256(dump_json({k: v for k, v in manifest.items() if k != "self_sha256"})).hexdigest()


def manifest_bytes(*, tender: str, role: str, events: int, checkpoint_size: int, access_event: int | None,
                   withheld: list[Withheld], files: Mapping[str, bytes]) -> bytes:
    m: Manifest = {
        "format": FORMAT, "tool": TOOL, "tender": tender, "role": role, "events": events,
        "checkpoint_size": checkpoint_size, "access_event": access_event,
        "withheld": sorted(withheld, key=lambda w: (w["kind"], w["sha256"])),
        "files": [{"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                  for path, data in sorted(files.items())],
        "self_sha256": "",  # the checksum of all the rest, which self_digest leaves this field out of
    }
    m["self_sha256"] = self_digest(m)
    return dump_json(m)


# --- the zip -----------------------------------------------------------------------------------


def write_zip(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip: manifest first, then by path; fixed time, mode and compression."""
    order = sorted(files, key=lambda p: (p != MANIFEST, p))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in order:
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, files[path], compresslevel=9)
    return buf.getvalue()
