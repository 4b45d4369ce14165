"""Sealed bidding through the app layer (DESIGN.md §4.2): the opening key at publication, sealed
submissions with receipts, key shares, and the opening of every bid at once.

The server never sees a bid's plaintext before the opening: it stores the sealed blob in the
document store and logs its SHA-256. Shares are accepted only after the deadline and held only
until the k-th arrives; in that same transaction every bid is opened, each plaintext's SHA-256
is logged, the plaintexts go to the private store, and the shares are deleted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof import seal
from tenderproof.domain import Actor, Refused, decide
from tenderproof.domain import commands as c
from tenderproof.domain.evaluation import final_bids
from tenderproof.domain.events import EventType
from tenderproof.domain.model import OPENING_OFFICIAL, SYSTEM
from tenderproof.domain.rows import seq_key
from tenderproof.domain.tender import TenderState
from tenderproof.domain.tendering import who_bid, withdrawal_commitment
from tenderproof.ledger.tlogproof import TlogProof
from tenderproof.store.schema import confidential, events, key_shares, officials

from . import envelope
from .access import read_confidential_document
from .service import Logged, Procurement

OPENER = Actor("bid-opening", SYSTEM)


@dataclass(frozen=True)
class Receipt:
    """What a bidder keeps: the logged event, its ledger index and an offline proof."""

    index: int
    envelope: dict
    sealed_sha256: str
    proof: TlogProof | None  # None when the caller builds the proof itself (the API)


def register_official(p: Procurement, official_id: str, name: str, public_key: bytes) -> None:
    """Record an official's public key (idempotent for the same key)."""
    c.check_id(official_id, "official id")
    seal.load_official_public_key(public_key)
    with p.db.writer.begin() as conn:
        old = conn.execute(sa.select(officials.c.public_key).where(officials.c.id == official_id)).scalar()
        if old is None:
            conn.execute(sa.insert(officials).values(id=official_id, name=name, public_key=public_key))
        elif bytes(old) != public_key:
            raise Refused("key-conflict", f"official {official_id} is already registered with another key")


def publish(p: Procurement, tender_id: str, actor: Actor, work=None) -> list[Logged]:
    """Create the tender's opening key for its named officials, then publish the tender."""
    state = p.state(tender_id)
    if state is None:
        raise Refused("not-found", f"no tender {tender_id}")
    names = state["panel"][OPENING_OFFICIAL]
    with p.db.reader.connect() as conn:
        keys = {r.id: bytes(r.public_key) for r in conn.execute(
            sa.select(officials.c.id, officials.c.public_key).where(officials.c.id.in_(names)))}
    missing = [n for n in names if n not in keys]
    if missing:
        raise Refused("no-official-key", f"opening officials without a registered key: {', '.join(missing)}")
    key = seal.create_opening_key(tender_id, keys, state["opening_threshold"])
    opening = {
        "suite": key.suite, "threshold": key.threshold, "public_key": _b64(key.public_key),
        "encrypted_shares": {o: _b64(s) for o, s in sorted(key.encrypted_shares.items())},
    }
    return p.execute(c.PublishTender(tender_id, opening), actor, work=work)


def public_key(state: Mapping[str, Any]) -> bytes:
    if not state.get("opening"):
        raise Refused("not-published", f"tender {state['id']} has no opening key yet")
    return base64.b64decode(state["opening"]["public_key"])


def bidder_secret(actor: Actor, credential: bytes | None) -> bytes:
    """The secret a bidder's withdrawal keys derive from: the API's bearer token, which the
    database holds only as a hash. In-process callers (scenario replays, tests) have none and
    get one derived from the actor's id, which anybody can compute: not anonymous at rest."""
    return credential if credential else hashlib.sha256(b"tenderproof in-process bidder\0" + actor.id.encode()).digest()


def withdrawal_key(secret: bytes, tender_id: str, bid_id: str) -> str:
    """HMAC-SHA256(secret, tender ‖ bid): presented to withdraw the bid; the bid carries its
    SHA-256, so withdrawing needs no record of whose bid it is."""
    return hmac.new(secret, f"withdraw\0{tender_id}\0{bid_id}".encode(), hashlib.sha256).hexdigest()


def submit_bid(p: Procurement, tender_id: str, actor: Actor, bidder_name: str, sealed: bytes, bid_id: str | None = None,
               work=None, prove: bool = True, secret: bytes | None = None, lots: tuple[str, ...] = ()) -> Receipt:
    """Store a sealed bid and log its commitment; returns a receipt the bidder can verify offline.
    `lots`: the lots it covers, in a tender divided into lots."""
    try:
        addressed = seal.sealed_tender_id(sealed)
        seal.check_padded(sealed)
    except seal.SealError as e:
        raise Refused("not-sealed", f"this is not a sealed bid: {e}") from None
    if addressed != tender_id:
        raise Refused("wrong-tender", f"the bid was sealed for tender {addressed!r}, not {tender_id!r}")
    digest = seal.sealed_digest(sealed)
    bid_id = bid_id or f"bid-{digest[:16]}"
    key = withdrawal_key(bidder_secret(actor, secret), tender_id, bid_id)
    command = c.SubmitBid(tender_id, bid_id, bidder_name, digest, len(sealed), withdrawal_commitment(key), list(lots))
    # The blob is made durable before the command queues, outside the batch (its fsyncs would
    # otherwise hold up every bid behind it); a refused bid's new file is removed again.
    new_file = digest not in p.documents
    p.documents.put(sealed)
    # Who bid, encrypted to the opening key here, in the caller's thread: the batch would
    # otherwise do it for every bid while every other bid waits.
    ready = p.prepare(tender_id, envelope.content_of(who_bid(actor, bidder_name), actor.as_dict(), True))
    try:
        logged = p.execute(command, actor, work=work, prepared=[ready] if ready else ())
    except BaseException:
        if new_file:
            p.documents.path(digest).unlink(missing_ok=True)
        raise
    index = logged[0].index
    return Receipt(index, logged[0].envelope, digest, p.log.tlog_proof(index) if prove else None)


def withdraw_bid(p: Procurement, tender_id: str, actor: Actor, bid_id: str, secret: bytes | None = None,
                 work=None) -> list[Logged]:
    """Withdraw a sealed bid by presenting its withdrawal key (derived from the bidder's secret)."""
    key = withdrawal_key(bidder_secret(actor, secret), tender_id, bid_id)
    return p.execute(c.WithdrawBid(tender_id, bid_id, key), actor, work=work)


def submit_share(p: Procurement, tender_id: str, actor: Actor, share: bytes, work=None) -> list[Logged]:
    """Hand in a decrypted key share; the k-th share opens every bid in the same transaction."""

    def keep_and_maybe_open(conn: Connection, state: TenderState, logged: list[Logged]) -> list[Logged]:
        # The rules accepted this official; now the share itself. A malformed share refused here
        # rolls the whole command back, so it can never sit in the pool and block the opening.
        try:
            seal.check_share(tender_id, actor.id, state["opening_threshold"], share)
        except seal.SealError as e:
            raise Refused("bad-share", f"this share cannot be {actor.id}'s share of tender {tender_id}: {e}") from None
        conn.execute(sa.insert(key_shares).values(tender_id=tender_id, official=actor.id, share=share))
        if len(state["shares"]) < state["opening_threshold"]:
            return []
        return _open_all(p, conn, state)

    return p.execute(c.SubmitShare(tender_id), actor, work=[keep_and_maybe_open, work])


def open_bids(p: Procurement, tender_id: str, actor: Actor, work=None) -> list[Logged]:
    """The buyer asks for the opening. Bids open the moment the k-th share arrives, so before
    that this is refused (and the attempt logged): fewer than k shares open nothing."""

    def open_now(conn: Connection, now: datetime) -> list[Logged]:
        state = p.load_for_update(conn, tender_id)
        if state is None:
            raise Refused("not-found", f"no tender {tender_id}")
        return _open_all(p, conn, state)

    state = p.state(tender_id)
    if state is not None and len(state["shares"]) >= state["opening_threshold"] and state["status"] == "active.opening":
        return p.transact(open_now)
    return p.execute(c.RecordOpening(tender_id, {}), actor, work=work)


def _open_all(p: Procurement, conn: Connection, state: TenderState) -> list[Logged]:
    tender_id = state["id"]
    rows = conn.execute(sa.select(key_shares.c.official, key_shares.c.share).where(key_shares.c.tender_id == tender_id))
    shares = {r.official: bytes(r.share) for r in rows}
    try:
        key = seal.open_key(tender_id, public_key(state), shares, state["opening_threshold"])
    except seal.SealError as e:
        raise Refused("bad-share", f"the submitted shares do not rebuild the opening key: {e}") from None
    identities, revealed = _unseal(p, conn, tender_id, key)
    live = {b["id"]: b for b in state["bids"].values() if b["status"] == "submitted"}
    finals, _replaced = final_bids(live, {b: identities[b]["bidder"] for b in live})
    results = {}
    for bid_id in sorted(live):
        results[bid_id] = dict(identities[bid_id])
        if bid_id not in finals:
            continue  # replaced by the same bidder's later bid: never decrypted
        try:
            plaintext = seal.open_bid(tender_id, key, p.documents.get(live[bid_id]["sealed_sha256"]))
        except seal.SealError:
            results[bid_id]["readable"] = False
            continue
        p.private.put(plaintext)
        results[bid_id].update(readable=True, sha256=hashlib.sha256(plaintext).hexdigest(), size=len(plaintext))
    evs = decide(state, c.RecordOpening(tender_id, results, revealed), OPENER, p.clock())
    logged, _ = p.commit_events(conn, tender_id, state, evs, OPENER, p.clock())
    conn.execute(sa.delete(key_shares).where(key_shares.c.tender_id == tender_id))
    return logged


def _unseal(p: Procurement, conn: Connection, tender_id: str, key) -> tuple[dict[str, dict], dict[str, dict]]:
    """Open everything sealed to the opening key: who bid, who withdrew, whose refused attempt,
    ownership declarations (and what the checks at bid time found). Each is checked against its
    commitment in the log, then stored unsealed (the record is complete from the opening on)."""
    if p.writer.uow is not None:
        p.writer.uow.flush(conn)  # the events and sealed parts the batch wrote so far
    sealed = {r.commitment: bytes(r.sealed) for r in conn.execute(
        sa.select(confidential.c.commitment, confidential.c.sealed).where(
            confidential.c.tender_id == tender_id, confidential.c.sealed.is_not(None)))}
    identities: dict[str, dict] = {}
    revealed: dict[str, dict] = {"refusals": {}, "withdrawals": {}, "ownership": {}}
    if not sealed:
        return identities, revealed
    q = sa.select(events.c.seq, events.c.envelope).where(events.c.tender_id == tender_id).order_by(events.c.seq)
    for r in conn.execute(q).all():
        env = envelope.loads(r.envelope)
        com = env.get("confidential")
        if com not in sealed:
            continue
        try:
            opened = json.loads(seal.open_record(tender_id, key, sealed[com]))
            salt, content = base64.b64decode(opened["salt"]), opened["content"]
        except (seal.SealError, ValueError, KeyError) as e:
            raise Refused("damaged", f"the sealed part of event {r.seq} cannot be opened: {e}") from None
        if envelope.commit(salt, content) != com:
            raise Refused("damaged", f"the sealed part of event {r.seq} does not match its commitment in the log")
        conn.execute(sa.update(confidential).where(confidential.c.commitment == com).values(
            salt=salt, content=envelope.canonical(content).decode(), sealed=None))
        actor = content.get(envelope.SEALED_ACTOR_KEY)
        t, payload = env["type"], env["payload"]
        if t == EventType.BID_SUBMITTED:
            identities[payload["id"]] = {"bidder": content["bidder"], "bidder_name": content["bidder_name"]}
        elif t == EventType.BID_WITHDRAWN:
            revealed["withdrawals"][payload["id"]] = actor["id"]
        elif t == EventType.COMMAND_REFUSED:
            revealed["refusals"][seq_key(r.seq)] = actor
        elif t == EventType.BIDDER_OWNERSHIP_DECLARED:
            revealed["ownership"][content["bidder"]] = {k: content[k] for k in ("owners", "affiliates")}
    return identities, revealed


def read_bid(p: Procurement, tender_id: str, bid_id: str, actor: Actor) -> bytes:
    """An opened bid's plaintext package, for the panel or an auditor; the read is logged."""
    state = p.state(tender_id)
    if state is None or bid_id not in state["bids"]:
        raise Refused("not-found", f"no bid {bid_id} on tender {tender_id}")
    bid = state["bids"][bid_id]
    if bid["status"] != "opened" or not bid.get("readable"):
        raise Refused("sealed", f"bid {bid_id} has not been opened; nobody can read it before the opening")
    return read_confidential_document(p, tender_id, bid["plaintext_sha256"], actor, f"bid {bid_id}")


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()
