"""Confidential content through the app: every read logged first, disclosure verified."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.store.schema import confidential

from . import envelope
from .service import Logged, Procurement


def read_confidential_document(p: Procurement, tender_id: str, sha256: str, actor: Actor, what: str) -> bytes:
    """A private document, after the read has been logged as an access event."""
    p.execute(c.ReadConfidential(tender_id, what, f"read {what} (sha256 {sha256[:16]}…)"), actor)
    return p.private.get(sha256)


def read_confidential_payload(p: Procurement, tender_id: str, commitment: str, actor: Actor, purpose: str) -> dict:
    content = _load(p, tender_id, [commitment])[commitment]
    p.execute(c.ReadConfidential(tender_id, commitment, purpose), actor)
    return content["content"]


def disclose(p: Procurement, tender_id: str, commitments: list[str], actor: Actor, work=None,
             to: str = "") -> list[Logged]:
    """Give confidential payloads with their salts to the public, or to one offeror (`to`), each
    checked against its commitment and named by the event that logged it, so the domain applies
    the tender's regime to what it is (`domain.disclosure`)."""
    loaded = _load(p, tender_id, commitments)
    sources = _sources(p, tender_id, set(commitments))
    items = []
    for com in commitments:
        item = loaded[com]
        if envelope.commit(bytes.fromhex(item["salt"]), item["content"]) != com:
            raise Refused("damaged", f"the stored payload for {com} no longer matches its commitment")
        items.append(item | sources.get(com, {}))
    return p.execute(c.Disclose(tender_id, items, to=to), actor, work=work)


def given(p: Procurement, tender_id: str, bidder_id: str) -> list[dict[str, Any]]:
    """What was given to one offeror (`confidential.given` events naming it), each payload with
    its salt and checked against the commitment logged when it was made: the offeror's alone, so
    the caller must have checked that the reader is that offeror (`documents.may_read_letter`)."""
    out: list[dict[str, Any]] = []
    for e in p.events(tender_id):
        env = e.envelope
        if env["type"] != EventType.CONFIDENTIAL_GIVEN or env["payload"]["to"] != bidder_id:
            continue
        part = _load(p, tender_id, [env["confidential"]])[env["confidential"]]["content"]
        for item in part["items"]:
            ok = envelope.commit(bytes.fromhex(item["salt"]), item["content"]) == item["commitment"]
            out.append(item | {"given": env["time"], "event": e.index, "verified": ok})
    return out


def _sources(p: Procurement, tender_id: str, commitments: set[str]) -> dict[str, dict[str, Any]]:
    """For each commitment, the type of the event that logged it and the bid it is about."""
    out: dict[str, dict[str, Any]] = {}
    for e in p.events(tender_id):
        env = e.envelope
        if env.get("confidential") in commitments:
            pay = env["payload"]
            bid = pay.get("bid") if env["type"] != EventType.BID_SUBMITTED else pay.get("id")
            out[env["confidential"]] = {"source": env["type"], "bid": bid}
    return out


def _load(p: Procurement, tender_id: str, commitments: list[str]) -> dict[str, dict]:
    with p.db.reader.connect() as conn:
        rows = conn.execute(sa.select(confidential.c.commitment, confidential.c.salt, confidential.c.content).where(
            confidential.c.tender_id == tender_id, confidential.c.commitment.in_(commitments),
            confidential.c.sealed.is_(None)))  # sealed to the opening key: nobody can read it yet
        out = {r.commitment: {"commitment": r.commitment, "salt": bytes(r.salt).hex(),
                              "content": envelope.loads(r.content)} for r in rows}
    missing = [x for x in commitments if x not in out]
    if missing:
        raise Refused("not-found", f"no confidential payload {missing[0]} on tender {tender_id}")
    return out
