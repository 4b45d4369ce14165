"""The full flow works for every k-of-n and every choice of k officials."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.seal import (
    SUITE_NAME,
    OfficialKeyPair,
    create_opening_key,
    decrypt_share,
    load_tender_public_key,
    open_bid,
    open_key,
    pack,
    padded_size,
    seal_bid,
    sealed_digest,
    sealed_tender_id,
    unpack,
)
from tests.seal.support import decrypt_some, make_bid_folder, officials, publics, read_tree


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_k_officials_open_the_bid(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 7), label="n")
    k = data.draw(st.integers(1, n), label="k")
    keys = officials(n)
    chosen = data.draw(st.lists(st.sampled_from(sorted(keys)), min_size=k, max_size=n, unique=True), label="who")
    tender = "DEF-2026/0042"
    opening = create_opening_key(tender, publics(keys), k)
    assert opening.threshold == k and set(opening.encrypted_shares) == set(keys)
    marker = os.urandom(16).hex().encode()
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_bid_folder(Path(tmp), marker)
        files = read_tree(folder)
        sealed = seal_bid(tender, opening.public_key, pack(folder))
    assert marker not in sealed
    key = open_key(tender, opening.public_key, decrypt_some(tender, opening, keys, chosen), k)
    assert key.public_bytes() == opening.public_key
    assert unpack(open_bid(tender, key, sealed)) == files


def test_official_key_survives_serialisation(tmp_path: Path) -> None:
    keys = officials(3)
    opening = create_opening_key("T-1", publics(keys), 2)
    stored = tmp_path / "official-00.key"
    stored.write_bytes(keys["official-00"].private_bytes())
    reloaded = OfficialKeyPair.from_private_bytes(stored.read_bytes())
    assert reloaded.public_bytes() == keys["official-00"].public_bytes()
    assert len(reloaded.private_bytes()) == 37
    share = decrypt_share("T-1", "official-00", opening.encrypted_shares["official-00"], reloaded)
    other = decrypt_share("T-1", "official-01", opening.encrypted_shares["official-01"], keys["official-01"])
    key = open_key("T-1", opening.public_key, {"official-00": share, "official-01": other}, 2)
    assert key.tender_id == "T-1"
    assert "hidden" in repr(reloaded) and reloaded.private_bytes().hex() not in repr(reloaded)


def test_each_tender_gets_a_fresh_key_and_fresh_shares() -> None:
    keys = officials(3)
    a = create_opening_key("T-1", publics(keys), 2)
    b = create_opening_key("T-1", publics(keys), 2)
    assert a.public_key != b.public_key
    assert set(a.encrypted_shares.values()).isdisjoint(b.encrypted_shares.values())


def test_sealing_is_randomised_and_self_describing(tmp_path: Path) -> None:
    keys = officials(2)
    tender = "T-7"
    opening = create_opening_key(tender, publics(keys), 2)
    (tmp_path / "bid.pdf").write_bytes(b"%PDF-1.7 offer")
    package = pack(tmp_path / "bid.pdf")
    s1 = seal_bid(tender, opening.public_key, package)
    s2 = seal_bid(tender, opening.public_key, package)
    assert s1 != s2 and sealed_digest(s1) != sealed_digest(s2)
    assert len(sealed_digest(s1)) == 64 and int(sealed_digest(s1), 16) >= 0
    assert sealed_tender_id(s1) == tender and s1[:4] == b"TPSB"
    assert load_tender_public_key(opening.public_key).tender_id == tender
    assert opening.suite == SUITE_NAME and "MLKEM768-X25519" in SUITE_NAME
    key = open_key(tender, opening.public_key, decrypt_some(tender, opening, keys, list(keys)), 2)
    assert open_bid(tender, key, s1) == open_bid(tender, key, s2) == package
    assert unpack(package) == {"bid.pdf": b"%PDF-1.7 offer"}


def test_sizes_are_as_documented(tmp_path: Path) -> None:
    keys = officials(3)
    tender = "T-123"  # 5 bytes
    opening = create_opening_key(tender, publics(keys), 2)
    assert len(opening.public_key) == 1229 + 5
    assert all(len(k.public_bytes()) == 1227 for k in keys.values())
    # A package is padded (0x80, then zeros) to a power of two of at least 4 KiB, then sealed:
    # header (13 bytes + the tender id) + HPKE's 1136 bytes + the bucket.
    assert [padded_size(n) for n in (0, 1000, 4095, 4096, 5000)] == [4096, 4096, 4096, 8192, 8192]
    sizes = {}
    for n in (1000, 2000, 3000):
        (tmp_path / "f").write_bytes(b"x" * n)
        package = pack(tmp_path / "f")
        sizes[n] = len(seal_bid(tender, opening.public_key, package))
        assert sizes[n] == 13 + 5 + 1136 + padded_size(len(package)) == 1154 + 4096
    assert len(set(sizes.values())) == 1  # the sealed size does not tell which
    assert all(1300 < len(s) < 1500 for s in opening.encrypted_shares.values())
