"""Key objects: an official's own key pair, and a tender's bid-opening key.

Every key is the hybrid MLKEM768-X25519 key derived from a 32-byte seed (see `_hpke`). The
serialised forms are self-describing (magic, version, suite) and role-specific, so an official's
key can never be passed where a tender key is expected, or a public key where a private one is.

    official private key  "TPKS" | v1 | seed(32)                                   37 bytes
    official public key   "TPKO" | v1 | suite(6) | ML-KEM pk(1184) | X25519 pk(32)  1227 bytes
    tender public key     "TPKT" | v1 | suite(6) | len(2) tender id | pk(1216)       1229+len
"""

from __future__ import annotations

import functools
import hmac
import secrets

from cryptography.hazmat.primitives.hpke import MLKEM768X25519PublicKey

from . import _hpke
from ._wire import (
    MAGIC_OFFICIAL_PUBLIC,
    MAGIC_OFFICIAL_SECRET,
    MAGIC_TENDER_PUBLIC,
    VERSION,
    Reader,
    check_id,
    context,
    lp16,
)
from .errors import SealError

_HEAD = bytes([VERSION])


def _official_label() -> bytes:
    return context(b"official-key")


def tender_key_label(tender_id: str) -> bytes:
    """HKDF context for a tender's opening key: binds the tender id into the derivation."""
    return context(b"tender-opening-key", check_id(tender_id, "tender id"))


def _read_suite(reader: Reader) -> None:
    if bytes(reader.take(len(_hpke.SUITE_ID))) != _hpke.SUITE_ID:
        raise SealError(f"{reader.what} uses an unsupported HPKE suite")


class OfficialPublicKey:
    """A bid-opening official's public key, as loaded from its serialised bytes."""

    __slots__ = ("_bytes", "_key")

    def __init__(self, key: MLKEM768X25519PublicKey, data: bytes) -> None:
        self._key = key
        self._bytes = data

    def public_bytes(self) -> bytes:
        return self._bytes

    def hpke_key(self) -> MLKEM768X25519PublicKey:
        return self._key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OfficialPublicKey) and other._bytes == self._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)


def load_official_public_key(data: bytes) -> OfficialPublicKey:
    """Parse `OfficialKeyPair.public_bytes()` output; SealError on anything else."""
    reader = Reader(data, "official public key")
    reader.header(MAGIC_OFFICIAL_PUBLIC)
    _read_suite(reader)
    key = _hpke.load_public(bytes(reader.rest()), "official public key")
    return OfficialPublicKey(key, bytes(data))


class OfficialKeyPair:
    """An official's own key pair; the official keeps `private_bytes()` in a private file.

    Shares of every tender's opening key are encrypted to the public half, so whoever holds the
    private bytes holds that official's vote in every opening: store them like a signing key.
    """

    __slots__ = ("_key", "_seed")

    def __init__(self, seed: bytes) -> None:
        # Private: use generate() or from_private_bytes().
        self._seed = bytes(seed)
        self._key = _hpke.derive_key(self._seed, _official_label())

    @classmethod
    def generate(cls) -> OfficialKeyPair:
        return cls(secrets.token_bytes(_hpke.SEED_BYTES))

    @classmethod
    def from_private_bytes(cls, data: bytes) -> OfficialKeyPair:
        reader = Reader(data, "official private key")
        reader.header(MAGIC_OFFICIAL_SECRET)
        seed = bytes(reader.take(_hpke.SEED_BYTES))
        reader.end()
        return cls(seed)

    def private_bytes(self) -> bytes:
        return MAGIC_OFFICIAL_SECRET + _HEAD + self._seed

    def public_bytes(self) -> bytes:
        return MAGIC_OFFICIAL_PUBLIC + _HEAD + _hpke.SUITE_ID + self._key.public_raw

    def public_key(self) -> OfficialPublicKey:
        return load_official_public_key(self.public_bytes())

    @property
    def _hybrid(self) -> _hpke.HybridKey:
        return self._key

    def __repr__(self) -> str:
        return "<OfficialKeyPair (private key hidden)>"


def encode_tender_public_key(tender_id: str, public_raw: bytes) -> bytes:
    raw_id = check_id(tender_id, "tender id")
    return MAGIC_TENDER_PUBLIC + _HEAD + _hpke.SUITE_ID + lp16(raw_id) + public_raw


class TenderPublicKey:
    """A tender's published bid-opening public key, tied to its tender id."""

    __slots__ = ("_bytes", "_key", "tender_id")

    def __init__(self, tender_id: str, key: MLKEM768X25519PublicKey, data: bytes) -> None:
        self.tender_id = tender_id
        self._key = key
        self._bytes = data

    def public_bytes(self) -> bytes:
        return self._bytes

    def hpke_key(self) -> MLKEM768X25519PublicKey:
        return self._key


@functools.lru_cache(maxsize=256)  # a tender's key seals every bid's identity: parse it once
def load_tender_public_key(data: bytes) -> TenderPublicKey:
    """Parse a tender's published opening public key; SealError on anything else."""
    reader = Reader(data, "tender public key")
    reader.header(MAGIC_TENDER_PUBLIC)
    _read_suite(reader)
    tender_id = reader.text16("tender id")
    key = _hpke.load_public(bytes(reader.rest()), "tender public key")
    return TenderPublicKey(tender_id, key, bytes(data))


class OpeningPrivateKey:
    """A tender's rebuilt bid-opening private key; exists only in memory, only after opening.

    It has no serialisation on purpose: DESIGN §4.2 says the whole private key is never stored.
    Obtain it from `open_key`; pass it to `open_bid`.
    """

    __slots__ = ("_key", "_public_bytes", "tender_id")

    def __init__(self, tender_id: str, seed: bytes) -> None:
        # Private: use open_key().
        self.tender_id = tender_id
        self._key = _hpke.derive_key(seed, tender_key_label(tender_id))
        self._public_bytes = encode_tender_public_key(tender_id, self._key.public_raw)

    def public_bytes(self) -> bytes:
        """The published public key this private key belongs to."""
        return self._public_bytes

    def matches(self, public_key: bytes) -> bool:
        return hmac.compare_digest(self._public_bytes, bytes(public_key))

    @property
    def _hybrid(self) -> _hpke.HybridKey:
        return self._key

    def __repr__(self) -> str:
        return f"<OpeningPrivateKey for tender {self.tender_id!r} (private key hidden)>"
