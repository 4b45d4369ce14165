"""The one HPKE suite tenderproof seals with, and the hybrid-key plumbing around it.

Suite: KEM MLKEM768-X25519 (RFC 9180 HPKE with the hybrid post-quantum KEM, HPKE id 0x647a),
KDF HKDF-SHA384, AEAD AES-256-GCM. Defence bids must stay secret for decades, so the KEM is
hybrid (a break of either ML-KEM-768 or X25519 alone reveals nothing) and the symmetric side
uses 256-bit keys, which keep a comfortable margin against Grover-style quantum search.

`cryptography` offers no serialisation for the hybrid key objects, so public keys are encoded
here as the ML-KEM-768 encapsulation key (1184 bytes) followed by the X25519 public key
(32 bytes) -- the order draft-ietf-hpke-pq uses. Private keys are never serialised: they are
always derived from a 32-byte seed with HKDF, so only the seed is ever stored or shared.
"""

from __future__ import annotations

import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.hpke import (
    AEAD,
    KDF,
    KEM,
    MLKEM768X25519PrivateKey,
    MLKEM768X25519PublicKey,
    Suite,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import SealError

KEM_ID = 0x647A  # MLKEM768-X25519
KDF_ID = 0x0002  # HKDF-SHA384
AEAD_ID = 0x0002  # AES-256-GCM
SUITE_ID = struct.pack(">HHH", KEM_ID, KDF_ID, AEAD_ID)
SUITE_NAME = "HPKE MLKEM768-X25519 / HKDF-SHA384 / AES-256-GCM"
SUITE = Suite(KEM.MLKEM768_X25519, KDF.HKDF_SHA384, AEAD.AES_256_GCM)

SEED_BYTES = 32
MLKEM_PUBLIC_BYTES = 1184
X25519_PUBLIC_BYTES = 32
RAW_PUBLIC_BYTES = MLKEM_PUBLIC_BYTES + X25519_PUBLIC_BYTES
ENC_BYTES = KEM.MLKEM768_X25519.enc_length()  # 1120: ML-KEM ciphertext + X25519 ephemeral
TAG_BYTES = 16
HPKE_OVERHEAD = ENC_BYTES + TAG_BYTES


class HybridKey:
    """A hybrid private key derived from a seed, with its raw public encoding.

    Kept together because `cryptography`'s hybrid key cannot tell us its public bytes.
    """

    __slots__ = ("private", "public_raw")

    def __init__(self, private: MLKEM768X25519PrivateKey, public_raw: bytes) -> None:
        self.private = private
        self.public_raw = public_raw

    def __repr__(self) -> str:
        return "<HybridKey (private)>"


def derive_key(seed: bytes, label: bytes) -> HybridKey:
    """Deterministically derive the hybrid key pair for `seed` in the context `label`.

    HKDF-SHA384 expands the seed into the 64-byte ML-KEM-768 seed (d || z, FIPS 203) and the
    32-byte X25519 private key. `label` separates uses (official key vs tender key, and the
    tender id), so one seed can never yield the same key in two roles.
    """
    if len(seed) != SEED_BYTES:
        raise SealError(f"key seed must be {SEED_BYTES} bytes, got {len(seed)}")
    okm = HKDF(algorithm=hashes.SHA384(), length=96, salt=None, info=label).derive(seed)
    kem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(okm[:64])
    dh_key = x25519.X25519PrivateKey.from_private_bytes(okm[64:])
    public_raw = (
        kem_key.public_key().public_bytes_raw() + dh_key.public_key().public_bytes_raw()
    )
    return HybridKey(MLKEM768X25519PrivateKey(kem_key, dh_key), public_raw)


def load_public(raw: bytes, what: str) -> MLKEM768X25519PublicKey:
    """Parse a raw 1216-byte hybrid public key; refuse anything ML-KEM or X25519 rejects."""
    if len(raw) != RAW_PUBLIC_BYTES:
        raise SealError(f"{what} must be {RAW_PUBLIC_BYTES} bytes of key, got {len(raw)}")
    try:
        kem_pub = mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM_PUBLIC_BYTES])
        dh_pub = x25519.X25519PublicKey.from_public_bytes(raw[MLKEM_PUBLIC_BYTES:])
    except ValueError:
        raise SealError(f"{what} is not a valid ML-KEM-768 + X25519 public key") from None
    return MLKEM768X25519PublicKey(kem_pub, dh_pub)


def encrypt(plaintext: bytes, public: MLKEM768X25519PublicKey, info: bytes, what: str) -> bytes:
    """Single-shot HPKE base-mode encryption; `info` carries all the binding context."""
    try:
        return SUITE.encrypt(plaintext, public, info=info)
    except ValueError:
        # e.g. an X25519 public key of low order: the shared secret would be all zeros.
        raise SealError(f"cannot encrypt {what}: the public key is unusable") from None


def decrypt(ciphertext: bytes, private: HybridKey, info: bytes, what: str, why: str) -> bytes:
    """Single-shot HPKE decryption; any failure is one SealError saying `why` it may fail."""
    if len(ciphertext) < HPKE_OVERHEAD:
        raise SealError(f"{what} is truncated")
    try:
        return SUITE.decrypt(ciphertext, private.private, info=info)
    except (InvalidTag, ValueError):
        raise SealError(f"{what} does not decrypt: {why}") from None
