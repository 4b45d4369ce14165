"""Byte-level helpers shared by every seal format: ids, length prefixes, a strict reader.

Every format here is a 4-byte magic, a version byte, then fixed-width big-endian integers and
length-prefixed fields. One strict reader parses them all, so a truncated, padded or oversized
input is refused the same way everywhere, and no format can be confused with another.
"""

from __future__ import annotations

import struct
import unicodedata

from .errors import SealError

VERSION = 1
MAX_ID_BYTES = 200
"""Tender and official ids are short human-readable names; anything longer is a mistake."""

# Magics: b"TP" + a two-letter type, so one kind of blob can never be passed for another.
MAGIC_OFFICIAL_SECRET = b"TPKS"
MAGIC_OFFICIAL_PUBLIC = b"TPKO"
MAGIC_TENDER_PUBLIC = b"TPKT"
MAGIC_ENCRYPTED_SHARE = b"TPES"
MAGIC_SHARE = b"TPDS"
MAGIC_SEALED_BID = b"TPSB"
MAGIC_PACKAGE = b"TPPK"

_DOMAIN = b"tenderproof/seal/v1\x00"


def check_id(value: object, what: str) -> bytes:
    """Validate a tender or official id and return its UTF-8 bytes.

    Ids end up inside HPKE `info` strings and blob headers, so they must encode unambiguously:
    non-empty, no control characters, no surrounding whitespace, bounded length.
    """
    if not isinstance(value, str):
        raise SealError(f"{what} must be a str, not {type(value).__name__}")
    if not value:
        raise SealError(f"{what} is empty")
    if value != value.strip():
        raise SealError(f"{what} {value!r} has leading or trailing whitespace")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise SealError(f"{what} {value!r} contains control or unassigned characters")
    raw = value.encode("utf-8")
    if len(raw) > MAX_ID_BYTES:
        raise SealError(f"{what} is {len(raw)} bytes long; the limit is {MAX_ID_BYTES}")
    return raw


def id_collation_key(value: str) -> str:
    """Key under which two ids count as the same person (NFC, case-folded)."""
    return unicodedata.normalize("NFC", value).casefold()


def context(purpose: bytes, *fields: bytes) -> bytes:
    """An unambiguous HPKE/HKDF `info` string: domain, purpose, then length-prefixed fields."""
    out = bytearray(_DOMAIN)
    out += purpose + b"\x00"
    for field in fields:
        out += struct.pack(">I", len(field)) + field
    return bytes(out)


def lp16(data: bytes) -> bytes:
    """A field prefixed with its 2-byte big-endian length."""
    if len(data) > 0xFFFF:
        raise SealError("field longer than 65535 bytes")
    return struct.pack(">H", len(data)) + data


class Reader:
    """Consume a blob front to back; every short read or leftover byte is a SealError."""

    def __init__(self, data: bytes | bytearray | memoryview, what: str) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise SealError(f"{what} must be bytes, not {type(data).__name__}")
        self._view = memoryview(data).cast("B")
        self._pos = 0
        self.what = what

    @property
    def pos(self) -> int:
        return self._pos

    def remaining(self) -> int:
        return len(self._view) - self._pos

    def take(self, n: int) -> memoryview:
        if n < 0 or self.remaining() < n:
            raise SealError(f"{self.what} is truncated at byte {self._pos}")
        chunk = self._view[self._pos : self._pos + n]
        self._pos += n
        return chunk

    def u8(self) -> int:
        return int(self.take(1)[0])

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack(">Q", self.take(8))[0])

    def header(self, magic: bytes) -> None:
        """Check the magic and the version byte."""
        if bytes(self.take(len(magic))) != magic:
            article = "an" if self.what[0] in "aeiou" else "a"
            raise SealError(f"not {article} {self.what} (bad magic)")
        version = self.u8()
        if version != VERSION:
            raise SealError(f"{self.what} has unsupported version {version}")

    def text16(self, what: str) -> str:
        """A 2-byte length-prefixed UTF-8 id, validated like any other id."""
        raw = bytes(self.take(self.u16()))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SealError(f"{self.what}: {what} is not valid UTF-8") from None
        check_id(text, what)
        return text

    def rest(self) -> memoryview:
        return self.take(self.remaining())

    def end(self) -> None:
        if self.remaining():
            raise SealError(f"{self.what} has {self.remaining()} unexpected trailing bytes")
