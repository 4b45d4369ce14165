"""Confidential content through the app: every read logged first, disclosure verified."""

from __future__ import annotations

import sqlalchemy as sa

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
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


def disclose(p: Procurement, tender_id: str, commitments: list[str], actor: Actor, work=None) -> list[Logged]:
    """Publish confidential payloads with their salts; each is checked against its commitment."""
    loaded = _load(p, tender_id, commitments)
    items = []
    for com in commitments:
        item = loaded[com]
        if envelope.commit(bytes.fromhex(item["salt"]), item["content"]) != com:
            raise Refused("damaged", f"the stored payload for {com} no longer matches its commitment")
        items.append(item)
    return p.execute(c.Disclose(tender_id, items), actor, work=work)


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
