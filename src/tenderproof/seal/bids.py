"""Sealing and opening bids.

A bidder seals a package (see `package`) on their own machine to the tender's published
opening key; the server stores the sealed blob and logs `sealed_digest(blob)`. Only after the
deadline, when k officials have rebuilt the opening key, can `open_bid` read it.

    sealed bid  "TPSB" | v1 | suite(6) | len(2) tender id | enc(1120) | AES-256-GCM ct+tag(16)

The package is padded before encryption (ISO/IEC 7816-4: 0x80, then zeros) to a power of two of
at least 4 KiB, so the size the server logs tells only the bucket, not which bidder's package it
is (issue 10); the server refuses a blob that is not padded to a bucket.

The size bound is exact: the largest bucket is MAX_BUCKET, 256 MiB, the bucket of the largest
package (`padded_size(MAX_PACKAGE_BYTES - 1)`, the same rule as the API's bid limit). The padding
takes at least one byte, so a sealed bid holds a package of at most MAX_SEALED_PACKAGE = MAX_BUCKET
- 1 bytes: that one seals to exactly `header + HPKE_OVERHEAD + MAX_BUCKET` bytes and opens; a
package one byte longer is refused before any encryption (it would need a 512 MiB bucket, twice
the memory, for a single size). On opening, a blob whose body is not exactly HPKE's overhead plus
a bucket up to MAX_BUCKET is refused from its length alone, before any decryption, and whatever
does decrypt fits MAX_SEALED_PACKAGE by construction.

The suite is HPKE MLKEM768-X25519 / HKDF-SHA384 / AES-256-GCM (see `_hpke`). HPKE `info` binds
the whole header (so the tender id, version and suite can't be altered) and the SHA-256 of the
tender's public key. A bid sealed for tender A therefore never opens as tender B's, and flipping
any bit of the blob makes `open_bid` refuse it. Overhead: 1149 bytes + the tender id's length, plus the padding.

`seal_record`/`open_record` seal other data to the same opening key (who bid, who asked, who
withdrew), so that nobody reads it before the opening either.
"""

from __future__ import annotations

import hashlib

from . import _hpke
from ._wire import MAGIC_SEALED_BID, VERSION, Reader, check_id, context, lp16
from .errors import SealError
from .keys import OpeningPrivateKey, load_tender_public_key
from .package import MAX_PACKAGE_BYTES, check_package

MIN_BUCKET = 4096
MAGIC_SEALED_RECORD = b"TPSR"


def padded_size(n: int) -> int:
    """The bucket a package of `n` bytes is padded to: the next power of two above n, ≥ 4 KiB."""
    return max(MIN_BUCKET, 1 << n.bit_length())


#: The largest padding bucket (256 MiB), and the largest package a sealed bid holds in it (the
#: padding's 0x80 takes the last byte). See the module's docstring.
MAX_BUCKET = padded_size(MAX_PACKAGE_BYTES - 1)
MAX_SEALED_PACKAGE = MAX_BUCKET - 1


def _pad(data: bytes) -> bytes:
    return data + b"\x80" + bytes(padded_size(len(data)) - len(data) - 1)


def _unpad(data: bytes) -> bytes:
    end = len(data.rstrip(b"\x00"))
    if end == 0 or data[end - 1] != 0x80 or len(data) != padded_size(end - 1):
        raise SealError("sealed bid is not padded to a size bucket")
    return data[: end - 1]


def _info(header: bytes, public_key: bytes) -> bytes:
    return context(b"sealed-bid", header, hashlib.sha256(public_key).digest())


def _read_header(sealed: bytes) -> tuple[str, int]:
    """Validate the clear header; return the tender id and the header length."""
    reader = Reader(sealed, "sealed bid")
    reader.header(MAGIC_SEALED_BID)
    if bytes(reader.take(len(_hpke.SUITE_ID))) != _hpke.SUITE_ID:
        raise SealError("sealed bid uses an unsupported HPKE suite")
    tender_id = reader.text16("tender id")
    body = reader.remaining()
    if body < _hpke.HPKE_OVERHEAD:
        raise SealError("sealed bid is truncated")
    if body > _hpke.HPKE_OVERHEAD + MAX_BUCKET:
        excess = body - _hpke.HPKE_OVERHEAD - MAX_BUCKET
        raise SealError(f"sealed bid is larger than the largest padding bucket allows ({MAX_BUCKET} bytes, for "
                        f"packages of at most {MAX_SEALED_PACKAGE}): {excess} bytes too many")
    return tender_id, reader.pos


def check_padded(sealed: bytes) -> None:
    """Refuse a sealed bid whose size is not a padding bucket (its size would tell too much, and
    no bid sealed here has such a size): from its length alone, before any decryption."""
    _, header_len = _read_header(sealed)
    inner = len(sealed) - header_len - _hpke.HPKE_OVERHEAD
    if inner < MIN_BUCKET or inner & (inner - 1):
        raise SealError(f"sealed bid is not padded to a size bucket (a power of two of at least {MIN_BUCKET} bytes)")


def seal_bid(tender_id: str, public_key: bytes, package: bytes) -> bytes:
    """Encrypt `package` (from `pack`) to tender `tender_id`'s published opening key."""
    raw_tender = check_id(tender_id, "tender id")
    published = load_tender_public_key(public_key)
    if published.tender_id != tender_id:
        raise SealError(f"public key belongs to tender {published.tender_id!r}, not {tender_id!r}")
    if not isinstance(package, (bytes, bytearray, memoryview)):
        raise SealError(f"package must be bytes, not {type(package).__name__}")
    size = memoryview(package).nbytes
    if size > MAX_SEALED_PACKAGE:  # first: no work at all on what cannot be sealed
        raise SealError(f"package is {size} bytes, more than the {MAX_SEALED_PACKAGE} a sealed bid holds (the "
                        f"largest padding bucket, {MAX_BUCKET} bytes, less the padding's one byte)")
    check_package(package)
    header = MAGIC_SEALED_BID + bytes([VERSION]) + _hpke.SUITE_ID + lp16(raw_tender)
    info = _info(header, published.public_bytes())
    return header + _hpke.encrypt(_pad(bytes(package)), published.hpke_key(), info, "bid")


def open_bid(tender_id: str, private_key: OpeningPrivateKey, sealed: bytes) -> bytes:
    """Decrypt a sealed bid with the rebuilt opening key; return the package bytes.

    The package is returned as sealed; `unpack` validates it. Refuses a bid for another tender,
    a key for another tender, and any altered blob.
    """
    check_id(tender_id, "tender id")
    if not isinstance(private_key, OpeningPrivateKey):
        raise SealError("private_key must be an OpeningPrivateKey from open_key")
    if private_key.tender_id != tender_id:
        raise SealError(f"opening key is for tender {private_key.tender_id!r}, not {tender_id!r}")
    sealed_for, header_len = _read_header(sealed)
    if sealed_for != tender_id:
        raise SealError(f"bid was sealed for tender {sealed_for!r}, not {tender_id!r}")
    check_padded(sealed)  # a size no bid is sealed to is refused unread
    data = bytes(sealed)
    info = _info(data[:header_len], private_key.public_bytes())
    return _unpad(_hpke.decrypt(
        data[header_len:], private_key._hybrid, info, "sealed bid",
        "it was altered, or sealed to another key",
    ))


def seal_record(tender_id: str, public_key: bytes, data: bytes) -> bytes:
    """Encrypt `data` to the tender's opening key: readable only after k officials open it."""
    published = load_tender_public_key(public_key)
    if published.tender_id != tender_id:
        raise SealError(f"public key belongs to tender {published.tender_id!r}, not {tender_id!r}")
    header = MAGIC_SEALED_RECORD + bytes([VERSION]) + _hpke.SUITE_ID + lp16(check_id(tender_id, "tender id"))
    info = context(b"sealed-record", header, hashlib.sha256(published.public_bytes()).digest())
    return header + _hpke.encrypt(bytes(data), published.hpke_key(), info, "record")


def open_record(tender_id: str, private_key: OpeningPrivateKey, sealed: bytes) -> bytes:
    """Decrypt a `seal_record` blob with the rebuilt opening key."""
    if not isinstance(private_key, OpeningPrivateKey) or private_key.tender_id != tender_id:
        raise SealError(f"opening key is not tender {tender_id!r}'s")
    reader = Reader(sealed, "sealed record")
    reader.header(MAGIC_SEALED_RECORD)
    if bytes(reader.take(len(_hpke.SUITE_ID))) != _hpke.SUITE_ID:
        raise SealError("sealed record uses an unsupported HPKE suite")
    if reader.text16("tender id") != tender_id:
        raise SealError(f"record was sealed for another tender, not {tender_id!r}")
    data = bytes(sealed)
    info = context(b"sealed-record", data[: reader.pos], hashlib.sha256(private_key.public_bytes()).digest())
    return _hpke.decrypt(data[reader.pos :], private_key._hybrid, info, "sealed record",
                         "it was altered, or sealed to another key")


def sealed_tender_id(sealed: bytes) -> str:
    """The tender a sealed blob claims to be for (clear header; not authenticated until opened).

    Lets the server refuse a blob addressed to the wrong tender at submission time.
    """
    return _read_header(sealed)[0]


def sealed_digest(sealed: bytes) -> str:
    """Hex SHA-256 of the sealed blob: the commitment the ledger logs at submission."""
    _read_header(sealed)
    return hashlib.sha256(sealed).hexdigest()
