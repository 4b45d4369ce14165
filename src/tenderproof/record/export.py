"""`record export`: one tender's administrative record as one offline-verifiable bundle.

For a court (under a protective order) or an auditor the bundle holds confidential content, so
the export is itself an access: it is logged through the app layer (a `confidential.accessed`
event by the person exporting) BEFORE the checkpoint is signed and the bundle built, so the
bundle carries its own access record, proven like every other event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof.app import envelope
from tenderproof.app.service import Logged, Procurement
from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.log import Log
from tenderproof.ledger.note import parse_note
from tenderproof.ledger.tiles import TILE_WIDTH
from tenderproof.ledger.tlogproof import TlogProof
from tenderproof.store.documents import DocumentError
from tenderproof.store.schema import confidential

from .bundle import (
    ACCESS_ITEM,
    ALL_KINDS,
    CHECKPOINT,
    MANIFEST,
    PRIVATE_STORE_KINDS,
    PUBLIC_KINDS,
    ROLES,
    VKEY,
    ConfidentialItem,
    RecordError,
    Withheld,
    commitment_of,
    confidential_name,
    document_name,
    event_name,
    manifest_bytes,
    references,
    write_zip,
)

#: Called with the log and the freshly signed checkpoint note, before the bundle is built: a
#: chance to collect witness cosignatures for exactly that checkpoint.
Cosign = Callable[[Log, str], None]


@dataclass(frozen=True)
class Exported:
    data: bytes
    tender: str
    role: str
    events: int
    checkpoint_size: int
    documents: int
    confidential: int
    withheld: list[Withheld] = field(default_factory=list)
    access_event: Logged | None = None


def export_record(
    p: Procurement, tender_id: str, role: str = "public", *, actor: Actor | None = None,
    purpose: str | None = None, cosign: Cosign | None = None,
) -> Exported:
    """Build the record bundle of `tender_id` for `role` (public, court, auditor).

    court/auditor need the `actor` exporting it (role reviewer/auditor) and the `purpose` (the
    protective order, the audit): the access is logged first, and refused by the rules if the
    actor may not read confidential content.
    """
    if role not in ROLES:
        raise RecordError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if p.state(tender_id) is None:
        raise Refused("not-found", f"no tender {tender_id}")
    if p.log.signer is None:
        raise RecordError("exporting a record signs a fresh checkpoint: the log's private key is not loaded")
    access: Logged | None = None
    want_role = ROLES[role]
    if want_role is not None:
        if actor is None or not (purpose or "").strip():
            raise RecordError(f"a {role} export discloses confidential content: give the person exporting it "
                              "and the purpose (protective order, audit); the export is logged as an access")
        if actor.role != want_role:
            raise RecordError(f"a {role} export is made by a {want_role}, not a {actor.role}")
        logged = p.execute(c.ReadConfidential(tender_id, ACCESS_ITEM.format(role=role), purpose or ""), actor)
        access = next(lg for lg in logged if lg.envelope["type"] == EventType.CONFIDENTIAL_ACCESSED)

    note = p.log.checkpoint()
    size = Checkpoint.parse(parse_note(note)[0]).size
    if cosign is not None:
        cosign(p.log, note)
        note = _stored_note(p.log, size)

    events = [lg for lg in p.events(tender_id) if lg.index < size]
    seqs = [lg.envelope["seq"] for lg in events]
    if seqs != list(range(1, len(events) + 1)):
        raise RecordError(f"the events of tender {tender_id} are not numbered 1..{len(events)}; "
                          "run `tenderproof rebuild --check`")

    files: dict[str, bytes] = {CHECKPOINT: note.encode("utf-8")}
    with p.db.reader.connect() as conn:
        files[VKEY] = (p.log.head(conn).vkey + "\n").encode("utf-8")
        entries = _entries(p.log, [lg.index for lg in events], conn)
        for lg in events:
            entry = entries[lg.index]
            if entry != envelope.canonical(lg.envelope):
                raise RecordError(f"ledger entry {lg.index} differs from the projected event "
                                  f"{tender_id}#{lg.envelope['seq']}; "
                                  "run `tenderproof log audit` and `tenderproof rebuild --check`")
            proof = TlogProof(index=lg.index, hashes=p.log.inclusion_proof(lg.index, size, conn), checkpoint=note)
            files[event_name(lg.envelope["seq"])] = entry
            files[event_name(lg.envelope["seq"], "tlog-proof")] = proof.format().encode("utf-8")

    cutoff = access.envelope["seq"] if access is not None else None
    withheld: dict[tuple[str, str], Withheld] = {}
    kinds = PUBLIC_KINDS if want_role is None else ALL_KINDS
    ndocs = 0
    for ref in (r for lg in events for r in references(lg.envelope)):
        name = document_name(ref.sha256)
        if name in files:
            continue
        reason = None
        if ref.kind not in kinds:
            reason = "role"
        elif ref.kind in PRIVATE_STORE_KINDS and cutoff is not None and ref.seq > cutoff:
            reason = "after-access"
        else:
            store = p.private if ref.kind in PRIVATE_STORE_KINDS else p.documents
            if ref.sha256 not in store:
                reason = "not-stored"
            else:
                try:
                    files[name] = store.get(ref.sha256)
                except DocumentError as e:
                    raise RecordError(f"cannot export the record: {e}") from None
                ndocs += 1
        if reason is not None:
            withheld.setdefault((ref.kind, ref.sha256), {"kind": ref.kind, "sha256": ref.sha256, "reason": reason})

    nconf = 0
    if cutoff is not None:
        commitments = [(lg.envelope["seq"], com) for lg in events if (com := commitment_of(lg.envelope))]
        wanted = sorted({com for seq, com in commitments if seq < cutoff})
        loaded = _confidential(p, tender_id, wanted)
        for com in wanted:
            item = loaded.get(com)
            if item is None:
                raise RecordError(f"the confidential payload of commitment {com} is not in the private store")
            if envelope.commit(bytes.fromhex(item["salt"]), item["content"]) != com:
                raise RecordError(f"the stored confidential payload of {com} no longer matches its commitment")
            files[confidential_name(com)] = envelope.canonical(item)
            nconf += 1
        for seq, com in commitments:
            if seq > cutoff:
                hex_ = com.split(":", 1)[1]
                late: Withheld = {"kind": "confidential", "sha256": hex_, "reason": "after-access"}
                withheld.setdefault(("confidential", hex_), late)

    held = list(withheld.values())
    files[MANIFEST] = manifest_bytes(
        tender=tender_id, role=role, events=len(events), checkpoint_size=size, access_event=cutoff,
        withheld=held, files=files)
    return Exported(write_zip(files), tender_id, role, len(events), size, ndocs, nconf, held, access)


def _stored_note(log: Log, size: int) -> str:
    """The stored checkpoint of `size` with every cosignature attached to it so far."""
    with log.db.reader.connect() as conn:
        got = log.store.checkpoint(conn, size)
        if got is None:
            raise RecordError(f"the checkpoint of size {size} is no longer stored")
        note = got[1]
        return note + "".join(line for line in log.store.cosignature_lines(conn, size) if line not in note)


def _entries(log: Log, indexes: list[int], conn: Connection) -> dict[int, bytes]:
    """The entries at `indexes`, reading each entry bundle once."""
    out: dict[int, bytes] = {}
    size = log.head(conn).size
    for tile, group in groupby(sorted(indexes), key=lambda i: i // TILE_WIDTH):
        start = tile * TILE_WIDTH
        chunk = log.entries(start, min(start + TILE_WIDTH, size), conn)
        for i in group:
            out[i] = chunk[i - start]
    return out


def _confidential(p: Procurement, tender_id: str, commitments: list[str]) -> dict[str, ConfidentialItem]:
    out: dict[str, ConfidentialItem] = {}
    with p.db.reader.connect() as conn:
        for i in range(0, len(commitments), 500):
            rows = conn.execute(sa.select(confidential.c.commitment, confidential.c.salt, confidential.c.content).where(
                confidential.c.tender_id == tender_id, confidential.c.commitment.in_(commitments[i:i + 500]),
                confidential.c.sealed.is_(None)))  # sealed to the opening key: not readable before it
            for r in rows:
                out[r.commitment] = {"commitment": r.commitment, "salt": bytes(r.salt).hex(),
                                     "content": envelope.loads(r.content)}
    return out
