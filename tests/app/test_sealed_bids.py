"""Sealed bids tested as an attacker would (DESIGN.md §4.2): a full copy of the database and the
data directory, taken just before the opening, holds no bid plaintext and cannot open any bid."""

from __future__ import annotations

import base64
import os
import shutil

import pytest
import sqlalchemy as sa

from tenderproof import seal
from tenderproof.app.envelope import canonical
from tenderproof.domain import Refused
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof
from tenderproof.store.schema import confidential, key_shares

from .conftest import OPENERS, TID, assert_nobody_named, assert_sealed_until_opening, confidential_row, database_dump


def test_copy_before_opening_reveals_no_bid(world, tmp_path):
    world.create()
    world.publish()
    markers = {b: os.urandom(24).hex().encode() for b in ("acme", "globex")}
    for bidder, marker in markers.items():
        world.bid(bidder, b"PRICE=123;" + marker, bid_id=f"bid-{bidder}")
    world.clock.advance(days=31)
    world.p.run_deadlines()
    first = OPENERS[0]
    world.declare(first)
    world.share(first)  # k - 1 shares are in: the moment just before the opening
    assert world.state()["status"] == "active.opening"

    copy = tmp_path / "stolen"
    shutil.copytree(world.p.documents.root.parent, copy / "data")  # data dir incl. SQLite files
    (copy / "database.dump").write_bytes(database_dump(world))

    for path in copy.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for marker in markers.values():
                assert marker not in blob, f"bid plaintext found in {path}"

    # Everything key-like in the copy: the public key, every encrypted share (in the log), and
    # every decrypted share held so far. Without k of them, nothing opens.
    state = world.state()
    pub = seal.load_tender_public_key
    with world.p.db.reader.connect() as conn:
        held = {r.official: bytes(r.share) for r in conn.execute(sa.select(key_shares.c.official, key_shares.c.share))}
    assert list(held) == [first.id]
    public = base64.b64decode(state["opening"]["public_key"])
    pub(public)
    with pytest.raises(seal.SealError):
        seal.open_key(TID, public, held, state["opening_threshold"])
    # The encrypted shares are no help without the officials' own private keys.
    stolen_shares = {o: base64.b64decode(s) for o, s in state["opening"]["encrypted_shares"].items()}
    with pytest.raises(seal.SealError):
        seal.open_key(TID, public, {**held, **stolen_shares}, state["opening_threshold"])

    # Positive control: the k-th official's share opens every bid, and the digests are logged.
    world.declare(OPENERS[1])
    world.share(OPENERS[1])
    opened = world.state()["bids"]
    for bidder, marker in markers.items():
        bid = opened[f"bid-{bidder}"]
        assert bid["status"] == "opened" and bid["readable"]
        assert marker in seal.unpack(world.p.private.get(bid["plaintext_sha256"]))["proposal.bin"]
    with world.p.db.reader.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(key_shares)).scalar() == 0  # shares discarded


def test_receipt_verifies_offline(world):
    world.create()
    world.publish()
    receipt = world.bid("acme", b"offer")
    proof = TlogProof.parse(receipt.proof.format())
    cp = verify_tlog_proof(proof, canonical(receipt.envelope), verifiers=[world.p.log.log_verifier()])
    assert cp.size >= receipt.index + 1 and proof.index == receipt.index
    assert receipt.envelope["payload"]["sealed_sha256"] == receipt.sealed_sha256
    assert "id" not in receipt.envelope["actor"], "who bid must not be public before the opening"
    with pytest.raises(ValueError):
        verify_tlog_proof(proof, canonical(receipt.envelope) + b" ", verifiers=[world.p.log.log_verifier()])


def test_a_refused_late_bid_does_not_name_the_bidder(world):
    world.create()
    world.publish()
    world.bid("acmecorp", b"in time")
    world.clock.advance(days=31)
    with pytest.raises(Refused) as ei:
        world.bid("initech", b"late offer")
    assert (ei.value.code, ei.value.logged) == ("late-bid", True)
    last = world.p.events(TID)[-1].envelope
    assert last["type"] == "command.refused" and last["payload"]["code"] == "late-bid"
    assert last["actor"] == {"role": "bidder"}
    assert world.state()["refusals"][-1]["actor"] == {"role": "bidder"}
    assert_sealed_until_opening(world, last["confidential"])
    assert_nobody_named(world, "initech", "acmecorp")

    world.open()  # the record itself still knows: the opening names who tried
    assert world.state()["refusals"][-1]["actor"] == {"id": "initech", "role": "bidder"}
    row = confidential_row(world, last["confidential"])
    assert row.sealed is None and "initech" in row.content


def test_an_altered_sealed_part_stops_the_opening_and_opens_nothing(world):
    """Who bid is checked against the log when the opening unseals it: a database copy edited to
    change it makes the opening refuse, with nothing opened and no share kept of the k-th."""
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal")
    with world.p.db.writer.begin() as conn:
        row = conn.execute(sa.select(confidential.c.commitment, confidential.c.sealed)
                           .where(confidential.c.sealed.is_not(None))).one()
        blob = bytearray(row.sealed)
        blob[-1] ^= 1
        conn.execute(sa.update(confidential).where(confidential.c.commitment == row.commitment).values(sealed=bytes(blob)))
    world.clock.advance(days=31)
    world.p.run_deadlines()
    before = world.p.log.head().size
    with pytest.raises(Refused, match="cannot be opened") as refused:
        world.open()
    assert refused.value.code == "damaged"
    s = world.state()
    assert s["status"] == "active.opening" and s["opened"] is None and len(s["shares"]) == 1
    new = [e.envelope["type"] for e in world.p.events(TID) if e.index >= before]
    assert new == ["coi.declared", "opening.share_submitted", "coi.declared"]  # not the k-th share
