"""DESIGN §4.2 as an attacker sees it: a full copy of everything stored before opening.

The server side stores the tender's public key and opening parameters, every encrypted share,
every sealed bid and the ledger commitments. We serialise exactly that to a directory, then
check that no bid's plaintext is in it and that fewer than k officials -- helped by everything
in the copy -- cannot rebuild the opening key.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from shamir_mnemonic import Share  # type: ignore[import-untyped]

from tenderproof.seal import (
    OfficialKeyPair,
    OpeningKey,
    SealError,
    create_opening_key,
    decrypt_share,
    open_bid,
    open_key,
    pack,
    seal_bid,
    sealed_digest,
    unpack,
)
from tests.seal.support import decrypt_some, make_bid_folder, officials, publics, read_tree

TENDER = "MOD-2026-ARMOUR-007"
K, N = 3, 5


def _store_everything(root: Path, opening: OpeningKey, sealed_bids: dict[str, bytes]) -> Path:
    """What the database and data directory hold before opening, written out as files."""
    copy = root / "server-copy"
    (copy / "shares").mkdir(parents=True)
    (copy / "bids").mkdir()
    (copy / "tender.pub").write_bytes(opening.public_key)
    meta = {
        "tender_id": opening.tender_id,
        "threshold": opening.threshold,
        "suite": opening.suite,
        "officials": sorted(opening.encrypted_shares),
        "ledger": {bidder: sealed_digest(blob) for bidder, blob in sealed_bids.items()},
    }
    (copy / "tender.json").write_text(json.dumps(meta, indent=2))
    for oid, blob in opening.encrypted_shares.items():
        (copy / "shares" / f"{oid}.share").write_bytes(blob)
    for bidder, blob in sealed_bids.items():
        (copy / "bids" / f"{bidder}.sealed").write_bytes(blob)
    return copy


def test_a_full_copy_before_opening_reveals_no_bid(tmp_path: Path) -> None:
    keys = officials(N)
    opening = create_opening_key(TENDER, publics(keys), K)

    markers: dict[str, bytes] = {}
    plaintexts: dict[str, dict[str, bytes]] = {}
    sealed_bids: dict[str, bytes] = {}
    for bidder in ("acme", "globex", "initech"):
        markers[bidder] = f"SECRET-PRICE-{os.urandom(16).hex()}".encode()
        folder = make_bid_folder(tmp_path / bidder, markers[bidder])
        plaintexts[bidder] = read_tree(folder)
        sealed_bids[bidder] = seal_bid(TENDER, opening.public_key, pack(folder))

    copy = _store_everything(tmp_path, opening, sealed_bids)
    everything = b"".join(p.read_bytes() for p in sorted(copy.rglob("*")) if p.is_file())
    assert len(everything) > 3 * 5000  # the copy really holds the bids

    # 1. No plaintext anywhere in the copy: not the markers (raw or hex), not any file's content.
    for bidder, marker in markers.items():
        assert marker not in everything
        assert marker.hex().encode() not in everything
        for name, content in plaintexts[bidder].items():
            if len(content) >= 16:
                assert content not in everything, (bidder, name)
                assert content[:16] not in everything, (bidder, name)
    for official_key in keys.values():  # officials' private keys never reach the server
        assert official_key.private_bytes() not in everything

    # 2. Fewer than k officials, helped by everything in the copy, cannot rebuild the key.
    public_key = (copy / "tender.pub").read_bytes()
    stored_shares = {p.stem: p.read_bytes() for p in (copy / "shares").glob("*.share")}
    colluders = sorted(keys)[: K - 1]
    honest = decrypt_some(TENDER, opening, keys, colluders)
    missing = sorted(keys)[K - 1]

    with pytest.raises(SealError, match=f"needs {K} shares to open, got {K - 1}"):
        open_key(TENDER, public_key, honest, K)
    with pytest.raises(SealError, match=f"{K - 1}-of-n"):
        open_key(TENDER, public_key, honest, K - 1)
    with pytest.raises(SealError):  # an encrypted share from the copy passed off as decrypted
        open_key(TENDER, public_key, {**honest, missing: stored_shares[missing]}, K)
    with pytest.raises(SealError, match="does not decrypt"):  # the attacker's own key is useless
        decrypt_share(TENDER, missing, stored_shares[missing], OfficialKeyPair.generate())
    with pytest.raises(SealError, match="does not decrypt"):  # a colluder's key on another's share
        decrypt_share(TENDER, missing, stored_shares[missing], keys[colluders[0]])

    # Guessing the missing share: well-formed SLIP-39 shares with the right identifier and
    # index but random values. SLIP-39's digest (and the public-key check) refuse every one.
    template = honest[colluders[0]]
    head_len = 5 + sum(2 + len(x.encode()) for x in (TENDER, colluders[0]))
    base = Share.from_mnemonic(template[head_len:].decode())
    for _ in range(20):
        guess = dataclasses.replace(base, group_index=K - 1, value=os.urandom(len(base.value)))
        envelope = template[:5] + _ids(TENDER, missing) + guess.mnemonic().encode()
        with pytest.raises(SealError, match=r"Invalid digest|does not match"):
            open_key(TENDER, public_key, {**honest, missing: envelope}, K)

    # 3. Positive control: with the k-th official the same copy opens, and the markers appear.
    shares = {**honest, **decrypt_some(TENDER, opening, keys, [missing])}
    key = open_key(TENDER, public_key, shares, K)
    for bidder in markers:
        sealed = (copy / "bids" / f"{bidder}.sealed").read_bytes()
        files = unpack(open_bid(TENDER, key, sealed))
        assert files == plaintexts[bidder]
        assert markers[bidder] in files["offer.txt"]


def _ids(tender: str, official: str) -> bytes:
    return b"".join(len(x.encode()).to_bytes(2, "big") + x.encode() for x in (tender, official))
