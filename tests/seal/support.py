"""Shared helpers for the seal tests: cached official keys and real bid folders on disk."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from tenderproof.seal import OfficialKeyPair, OpeningKey, decrypt_share

OFFICIAL_IDS = [f"official-{i:02d}" for i in range(17)]


@functools.cache
def official(index: int) -> OfficialKeyPair:
    """One generated key pair per index, reused across examples (generation is the slow part)."""
    return OfficialKeyPair.generate()


def officials(n: int) -> dict[str, OfficialKeyPair]:
    return {OFFICIAL_IDS[i]: official(i) for i in range(n)}


def publics(keys: dict[str, OfficialKeyPair]) -> dict[str, bytes]:
    return {oid: key.public_bytes() for oid, key in keys.items()}


def decrypt_some(
    tender_id: str, opening: OpeningKey, keys: dict[str, OfficialKeyPair], ids: list[str]
) -> dict[str, bytes]:
    """What the chosen officials submit after each decrypts their own share."""
    return {oid: decrypt_share(tender_id, oid, opening.encrypted_shares[oid], keys[oid]) for oid in ids}


def make_bid_folder(root: Path, marker: bytes) -> Path:
    """A realistic bid: nested folders, text and binary files, the marker inside two of them."""
    bid = root / "bid"
    (bid / "technical" / "annexes").mkdir(parents=True)
    (bid / "financial").mkdir()
    (bid / "offer.txt").write_bytes(b"Total price: 1 234 567 EUR\nref " + marker + b"\n")
    (bid / "technical" / "design.bin").write_bytes(os.urandom(5000) + marker + bytes(range(256)))
    (bid / "technical" / "annexes" / "empty.dat").write_bytes(b"")
    (bid / "financial" / "prices.csv").write_bytes("item;prix\nbéton;42\n".encode())
    return bid


def read_tree(root: Path) -> dict[str, bytes]:
    """Every regular file under root, keyed by its relative POSIX path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)
