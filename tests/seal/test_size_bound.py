"""The sealed bid's size bound, at its exact edges: the largest package seals to exactly the
largest padding bucket and opens; one byte more is refused before any encryption; a blob of any
length no bid is sealed to is refused from its length alone, before any decryption."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.seal import (
    MAX_PACKAGE_BYTES,
    OpeningKey,
    OpeningPrivateKey,
    SealError,
    check_padded,
    create_opening_key,
    open_bid,
    open_key,
    pack,
    padded_size,
    seal_bid,
)
from tenderproof.seal._hpke import HPKE_OVERHEAD
from tenderproof.seal.bids import MAX_BUCKET, MAX_SEALED_PACKAGE, MIN_BUCKET
from tests.seal.support import decrypt_some, officials, publics

T = "TENDER-SIZE"
KEYS = officials(3)
HEADER = 13 + len(T)  # magic, version, suite, tender id's length and bytes
ALTERED = "it was altered, or sealed to another key"  # what only a decryption can say


@pytest.fixture(scope="module")
def tender() -> OpeningKey:
    return create_opening_key(T, publics(KEYS), 2)


@pytest.fixture(scope="module")
def key(tender: OpeningKey) -> OpeningPrivateKey:
    return open_key(T, tender.public_key, decrypt_some(T, tender, KEYS, sorted(KEYS)[:2]), 2)


@pytest.fixture(scope="module")
def header(tender: OpeningKey, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real sealed bid's clear header, to put in front of bodies of chosen lengths."""
    f = tmp_path_factory.mktemp("small") / "offer.txt"
    f.write_bytes(b"price 100")
    return seal_bid(T, tender.public_key, pack(f))[:HEADER]


def _package_of(tmp: Path, size: int) -> bytes:
    """A real package of exactly `size` bytes: one sparse file, packed as a bidder packs it."""
    f = tmp / "big.bin"
    with open(f, "wb") as fh:
        fh.truncate(size - (9 + 10 + len(f.name)))  # header, entry lengths, name
    package = pack(f)
    f.unlink()
    assert len(package) == size
    return package


def test_the_bound_is_the_256_mib_bucket_less_one_byte():
    assert MAX_BUCKET == 256 * 1024 * 1024 == padded_size(MAX_PACKAGE_BYTES - 1)
    assert MAX_SEALED_PACKAGE == MAX_BUCKET - 1 == MAX_PACKAGE_BYTES - 1
    assert padded_size(MAX_SEALED_PACKAGE) == MAX_BUCKET < padded_size(MAX_SEALED_PACKAGE + 1)


def test_the_largest_package_seals_to_exactly_the_largest_bucket_and_opens(tender, key, tmp_path):
    package = _package_of(tmp_path, MAX_SEALED_PACKAGE)
    sealed = seal_bid(T, tender.public_key, package)
    assert len(sealed) == HEADER + HPKE_OVERHEAD + MAX_BUCKET
    check_padded(sealed)
    assert open_bid(T, key, sealed) == package


@pytest.mark.parametrize("size", [MAX_SEALED_PACKAGE + 1, MAX_PACKAGE_BYTES + 1])
def test_one_byte_more_is_refused_before_any_work(tender, tmp_path, size):
    """Refused on its length: the same message for a well-formed package (MAX_PACKAGE_BYTES,
    which `pack` still makes) and for bytes that are no package at all, so nothing was parsed."""
    message = (f"package is {size} bytes, more than the {MAX_SEALED_PACKAGE} a sealed bid holds "
               f"(the largest padding bucket, {MAX_BUCKET} bytes, less the padding's one byte)")
    blobs = [bytes(size)] + ([_package_of(tmp_path, size)] if size <= MAX_PACKAGE_BYTES else [])
    for blob in blobs:
        with pytest.raises(SealError) as refused:
            seal_bid(T, tender.public_key, blob)
        assert str(refused.value) == message


def test_a_blob_one_byte_over_the_largest_bucket_is_refused_unread(key, header):
    at_max = header + bytes(HPKE_OVERHEAD + MAX_BUCKET)
    with pytest.raises(SealError, match=ALTERED):  # the bound lets it through: only HPKE refuses it
        open_bid(T, key, at_max)
    for extra, too_many in ((1, 1), (MAX_BUCKET, MAX_BUCKET)):
        with pytest.raises(SealError) as refused:
            open_bid(T, key, at_max + bytes(extra))
        assert str(refused.value) == (f"sealed bid is larger than the largest padding bucket allows ({MAX_BUCKET} "
                                      f"bytes, for packages of at most {MAX_SEALED_PACKAGE}): {too_many} bytes too many")
    with pytest.raises(SealError, match="not padded to a size bucket"):
        open_bid(T, key, at_max[:-1])


EDGES = [MAX_BUCKET // 2 - 1, MAX_BUCKET // 2, MAX_BUCKET // 2 + 1, MAX_BUCKET - 1, MAX_BUCKET, MAX_BUCKET + 1]


@settings(max_examples=60, deadline=None)
@given(inner=st.integers(0, 5 * MIN_BUCKET) | st.sampled_from(EDGES))
def test_exactly_the_buckets_up_to_the_largest_pass_the_length_check(header, inner):
    """The sizes a sealed bid may have are exactly HPKE's overhead plus a power of two from
    4 KiB to MAX_BUCKET; every other length is refused without decryption."""
    blob = header + bytes(HPKE_OVERHEAD + inner)
    bucket = MIN_BUCKET <= inner <= MAX_BUCKET and inner & (inner - 1) == 0
    try:
        check_padded(blob)
        passed = True
    except SealError as e:
        assert ALTERED not in str(e)
        passed = False
    assert passed == bucket


@given(n=st.integers(0, MAX_SEALED_PACKAGE))
def test_every_sealable_size_has_the_smallest_bucket_that_holds_it(n):
    b = padded_size(n)
    assert n < b <= MAX_BUCKET and b & (b - 1) == 0
    assert b == MIN_BUCKET or n >= b // 2  # the next bucket down would not hold it and its padding
