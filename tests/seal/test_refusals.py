"""Every refusal the seal API promises, each checked to be a SealError with a precise message."""

from __future__ import annotations

import dataclasses
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
)
from tests.seal.support import decrypt_some, flip, officials, publics

A, B = "TENDER-A", "TENDER-B"
KEYS = officials(5)
IDS = sorted(KEYS)


@pytest.fixture(scope="module")
def tender_a() -> OpeningKey:
    return create_opening_key(A, publics(KEYS), 3)


@pytest.fixture(scope="module")
def tender_b() -> OpeningKey:
    return create_opening_key(B, publics(KEYS), 3)


@pytest.fixture(scope="module")
def shares_a(tender_a: OpeningKey) -> dict[str, bytes]:
    return decrypt_some(A, tender_a, KEYS, IDS)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("bid")
    (folder / "offer.txt").write_bytes(b"price 100")
    return pack(folder)


def _envelope_mnemonic(envelope: bytes) -> tuple[bytes, str]:
    """Split a decrypted share into its header (magic, version, two ids) and SLIP-39 mnemonic."""
    pos = 5
    for _ in range(2):
        pos += 2 + int.from_bytes(envelope[pos : pos + 2], "big")
    return envelope[:pos], envelope[pos:].decode("ascii")


# --- opening the key -------------------------------------------------------------------------


def test_fewer_than_k_shares(tender_a: OpeningKey, shares_a: dict[str, bytes]) -> None:
    two = {oid: shares_a[oid] for oid in IDS[:2]}
    with pytest.raises(SealError, match="needs 3 shares to open, got 2"):
        open_key(A, tender_a.public_key, two, 3)
    with pytest.raises(SealError, match="2-of-n"):  # lying about the threshold does not help
        open_key(A, tender_a.public_key, two, 2)


def test_more_than_k_shares_are_all_checked(tender_a: OpeningKey, shares_a: dict[str, bytes]) -> None:
    assert open_key(A, tender_a.public_key, shares_a, 3).matches(tender_a.public_key)
    forged = _forge(shares_a[IDS[4]])
    with pytest.raises(SealError, match=r"official-04.*inconsistent"):
        open_key(A, tender_a.public_key, {**shares_a, IDS[4]: forged}, 3)


def test_share_encrypted_for_another_tender(tender_a: OpeningKey, tender_b: OpeningKey) -> None:
    oid = IDS[0]
    with pytest.raises(SealError, match="does not decrypt"):
        decrypt_share(A, oid, tender_b.encrypted_shares[oid], KEYS[oid])


def test_decrypted_share_from_another_tender(
    tender_a: OpeningKey, tender_b: OpeningKey, shares_a: dict[str, bytes]
) -> None:
    from_b = decrypt_some(B, tender_b, KEYS, [IDS[2]])
    mixed = {IDS[0]: shares_a[IDS[0]], IDS[1]: shares_a[IDS[1]], **from_b}
    with pytest.raises(SealError, match=r"official-02.*is for tender 'TENDER-B', not 'TENDER-A'"):
        open_key(A, tender_a.public_key, mixed, 3)


def test_shares_of_a_reissued_key_for_the_same_tender(
    tender_a: OpeningKey, shares_a: dict[str, bytes]
) -> None:
    reissued = create_opening_key(A, publics(KEYS), 3)
    mixed = {**{oid: shares_a[oid] for oid in IDS[:2]}, **decrypt_some(A, reissued, KEYS, [IDS[2]])}
    with pytest.raises(SealError, match="SLIP-39 rejects the share set"):
        open_key(A, tender_a.public_key, mixed, 3)
    with pytest.raises(SealError, match="SLIP-39 rejects the share set"):
        open_key(A, reissued.public_key, mixed, 3)


def test_share_decrypted_by_the_wrong_official(tender_a: OpeningKey) -> None:
    mine, theirs = IDS[0], IDS[1]
    with pytest.raises(SealError, match="does not decrypt"):
        decrypt_share(A, theirs, tender_a.encrypted_shares[theirs], KEYS[mine])
    with pytest.raises(SealError, match="does not decrypt"):
        decrypt_share(A, mine, tender_a.encrypted_shares[theirs], KEYS[mine])
    with pytest.raises(SealError, match="does not decrypt"):
        decrypt_share(A, mine, tender_a.encrypted_shares[mine], OfficialKeyPair.generate())


def test_share_submitted_under_another_name(tender_a: OpeningKey, shares_a: dict[str, bytes]) -> None:
    renamed = {IDS[0]: shares_a[IDS[0]], IDS[1]: shares_a[IDS[1]], IDS[3]: shares_a[IDS[2]]}
    with pytest.raises(SealError, match="submitted as official 'official-03' belongs to official 'official-02'"):
        open_key(A, tender_a.public_key, renamed, 3)


@settings(max_examples=150, deadline=None)
@given(bit=st.integers(min_value=0))
def test_any_corrupted_share_is_refused(tender_a: OpeningKey, shares_a: dict[str, bytes], bit: int) -> None:
    victim = shares_a[IDS[1]]
    bad = flip(victim, bit % (len(victim) * 8))
    subset = {IDS[0]: shares_a[IDS[0]], IDS[1]: bad, IDS[2]: shares_a[IDS[2]]}
    with pytest.raises(SealError):
        open_key(A, tender_a.public_key, subset, 3)


@settings(max_examples=150, deadline=None)
@given(bit=st.integers(min_value=0))
def test_any_corrupted_encrypted_share_is_refused(tender_a: OpeningKey, bit: int) -> None:
    blob = tender_a.encrypted_shares[IDS[0]]
    with pytest.raises(SealError):
        decrypt_share(A, IDS[0], flip(blob, bit % (len(blob) * 8)), KEYS[IDS[0]])


def _forge(envelope: bytes) -> bytes:
    """A share with a valid SLIP-39 checksum and parameters but a different value."""
    head, mnemonic = _envelope_mnemonic(envelope)
    share = Share.from_mnemonic(mnemonic)
    forged = dataclasses.replace(share, value=os.urandom(len(share.value)))
    return head + forged.mnemonic().encode()


def test_slip39_digest_catches_a_well_formed_forged_share(
    tender_a: OpeningKey, shares_a: dict[str, bytes]
) -> None:
    subset = {oid: shares_a[oid] for oid in IDS[:3]}
    subset[IDS[1]] = _forge(subset[IDS[1]])
    with pytest.raises(SealError, match="SLIP-39 rejects the share set: Invalid digest"):
        open_key(A, tender_a.public_key, subset, 3)


def test_public_key_check_catches_forgery_when_k_is_1() -> None:
    keys = officials(2)
    opening = create_opening_key(A, publics(keys), 1)
    share = decrypt_some(A, opening, keys, [IDS[0]])[IDS[0]]
    with pytest.raises(SealError, match=r"does not match tender 'TENDER-A'.s published public key"):
        open_key(A, opening.public_key, {IDS[0]: _forge(share)}, 1)


def test_non_canonical_share_spelling(tender_a: OpeningKey, shares_a: dict[str, bytes]) -> None:
    head, mnemonic = _envelope_mnemonic(shares_a[IDS[1]])
    subset = {IDS[0]: shares_a[IDS[0]], IDS[1]: head + mnemonic.upper().encode(), IDS[2]: shares_a[IDS[2]]}
    with pytest.raises(SealError, match="not in canonical form"):
        open_key(A, tender_a.public_key, subset, 3)


def test_open_key_with_another_tenders_public_key(
    tender_a: OpeningKey, tender_b: OpeningKey, shares_a: dict[str, bytes]
) -> None:
    with pytest.raises(SealError, match="belongs to tender 'TENDER-B', not 'TENDER-A'"):
        open_key(A, tender_b.public_key, shares_a, 3)
    with pytest.raises(SealError, match="not a tender public key"):
        open_key(A, KEYS[IDS[0]].public_bytes(), shares_a, 3)


# --- creating the key ------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [0, -1, 6, True, 2.0, "2"])
def test_bad_threshold(threshold: object) -> None:
    with pytest.raises(SealError, match="threshold"):
        create_opening_key(A, publics(KEYS), threshold)  # type: ignore[arg-type]


def test_bad_official_sets() -> None:
    with pytest.raises(SealError, match="no officials"):
        create_opening_key(A, {}, 1)
    with pytest.raises(SealError, match="17 officials given; SLIP-39 allows at most 16"):
        create_opening_key(A, publics(officials(17)), 2)
    alice, bob = KEYS[IDS[0]], KEYS[IDS[1]]
    with pytest.raises(SealError, match="'Alice' and 'alice' are duplicates"):
        create_opening_key(A, {"alice": alice.public_bytes(), "Alice": bob.public_bytes()}, 1)
    with pytest.raises(SealError, match="'a' and 'b' have the same public key"):
        create_opening_key(A, {"a": alice.public_bytes(), "b": alice.public_bytes()}, 1)
    with pytest.raises(SealError, match="not an official public key"):
        create_opening_key(A, {"a": alice.private_bytes()}, 1)
    with pytest.raises(SealError, match="not a valid ML-KEM-768"):
        create_opening_key(A, {"a": alice.public_bytes()[:11] + b"\xff" * 1216}, 1)


@pytest.mark.parametrize("bad_id", ["", " padded", "tab\there", "x" * 201, 7])
def test_bad_ids(bad_id: object) -> None:
    with pytest.raises(SealError, match="tender id"):
        create_opening_key(bad_id, publics(KEYS), 2)  # type: ignore[arg-type]
    with pytest.raises(SealError, match="official id"):
        create_opening_key(A, {bad_id: KEYS[IDS[0]].public_bytes()}, 1)  # type: ignore[dict-item]


def test_bad_official_private_key() -> None:
    good = KEYS[IDS[0]].private_bytes()
    for bad in (good[:-1], good + b"\x00", KEYS[IDS[0]].public_bytes(), b"TPKS\x02" + good[5:]):
        with pytest.raises(SealError):
            OfficialKeyPair.from_private_bytes(bad)


# --- sealing and opening bids ----------------------------------------------------------------


def test_sealing_with_another_tenders_key(tender_b: OpeningKey, package: bytes) -> None:
    with pytest.raises(SealError, match="public key belongs to tender 'TENDER-B', not 'TENDER-A'"):
        seal_bid(A, tender_b.public_key, package)


def test_sealing_something_that_is_not_a_package(tender_a: OpeningKey) -> None:
    with pytest.raises(SealError, match="not a package"):
        seal_bid(A, tender_a.public_key, b"raw bytes, not a package")


def test_bid_for_a_cannot_be_opened_as_b(
    tender_a: OpeningKey, tender_b: OpeningKey, shares_a: dict[str, bytes], package: bytes
) -> None:
    sealed = seal_bid(A, tender_a.public_key, package)
    key_a = open_key(A, tender_a.public_key, shares_a, 3)
    key_b = open_key(B, tender_b.public_key, decrypt_some(B, tender_b, KEYS, IDS[:3]), 3)
    with pytest.raises(SealError, match="sealed for tender 'TENDER-A', not 'TENDER-B'"):
        open_bid(B, key_b, sealed)
    with pytest.raises(SealError, match="opening key is for tender 'TENDER-A', not 'TENDER-B'"):
        open_bid(B, key_a, sealed)
    # Relabelling the clear header as B's does not help: the header is bound into HPKE info.
    relabelled = sealed.replace(A.encode(), B.encode(), 1)
    with pytest.raises(SealError, match="does not decrypt"):
        open_bid(B, key_b, relabelled)
    assert open_bid(A, key_a, sealed) == package


def test_every_bit_flip_of_a_sealed_bid_is_refused(
    tender_a: OpeningKey, shares_a: dict[str, bytes], package: bytes
) -> None:
    sealed = seal_bid(A, tender_a.public_key, package)
    key = open_key(A, tender_a.public_key, shares_a, 3)
    assert open_bid(A, key, sealed) == package
    refused = 0
    for bit in range(len(sealed) * 8):  # exhaustive: every single bit of the blob
        with pytest.raises(SealError):
            open_bid(A, key, flip(sealed, bit))
        refused += 1
    assert refused == len(sealed) * 8
    for bad in (sealed[:-1], sealed + b"\x00", sealed[:20], b""):
        with pytest.raises(SealError):
            open_bid(A, key, bad)


def test_open_bid_requires_a_rebuilt_key(tender_a: OpeningKey, package: bytes) -> None:
    sealed = seal_bid(A, tender_a.public_key, package)
    with pytest.raises(SealError, match="OpeningPrivateKey"):
        open_bid(A, KEYS[IDS[0]], sealed)  # type: ignore[arg-type]


def test_package_size_limit_is_enforced(tender_a: OpeningKey) -> None:
    from tenderproof.seal import MAX_PACKAGE_BYTES

    huge = bytes(MAX_PACKAGE_BYTES + 1)
    with pytest.raises(SealError, match="package is 268435457 bytes, more than the 268435455 a sealed bid holds"):
        seal_bid(A, tender_a.public_key, huge)
    del huge



def test_a_sealed_record_opens_only_with_its_own_tenders_key_and_unaltered(tender_a, tender_b) -> None:
    """`seal_record`: who bid, sealed to the opening key until the opening (issue 10)."""
    from tenderproof.seal import open_record, seal_record

    record = seal_record(A, tender_a.public_key, b'{"bidder":"acme"}')
    key_a = open_key(A, tender_a.public_key, decrypt_some(A, tender_a, KEYS, IDS[:3]), 3)
    key_b = open_key(B, tender_b.public_key, decrypt_some(B, tender_b, KEYS, IDS[:3]), 3)
    assert open_record(A, key_a, record) == b'{"bidder":"acme"}'
    assert record != seal_record(A, tender_a.public_key, b'{"bidder":"acme"}')  # randomised
    with pytest.raises(SealError, match="not tender 'TENDER-B''s"):
        open_record(B, key_a, record)
    with pytest.raises(SealError, match="sealed for another tender"):
        open_record(B, key_b, record)
    with pytest.raises(SealError, match="altered, or sealed to another key"):
        open_record(A, key_a, flip(record, 8 * (len(record) - 1)))
    with pytest.raises(SealError, match="belongs to tender 'TENDER-A', not 'TENDER-B'"):
        seal_record(B, tender_a.public_key, b"x")
