"""C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), the Ed25519 cosignature/v1 type.

§Format: signature type 0x04, key ID = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4];
the note signature line is `— <name> base64(keyID || timestamp || signature)` where the
`timestamped_signature` is the u64 big-endian POSIX timestamp (at most 2**63 - 1) followed by the
64-byte Ed25519 signature. §Ed25519 signed message:
`"cosignature/v1\\ntime <timestamp>\\n" + checkpoint body`.

So `CosignatureSigner.cosign` and `.sign` return the 72-byte timestamped_signature, the bytes that
follow the key ID in the line, exactly as `note.Signer.sign` returns the 64 bytes that follow it
for a plain Ed25519 line. Like Go's torchwood, both signing and verifying refuse a message that is
not a well-formed checkpoint body. The signer key text extends Go's note format with type 0x04:
`PRIVATE+KEY+<name>+<keyID>+base64(0x04 || seed)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .checkpoint import Checkpoint, CheckpointError
from .note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    SIG_PREFIX,
    Ed25519Verifier,
    NoteError,
    NoteSignature,
    NoteVerifier,
    b64encode,
    check_name,
    compute_key_id,
    ed25519_verify,
    format_skey,
    format_vkey,
    load_ed25519_public,
    load_ed25519_seed,
    parse_skey,
    parse_vkey,
    vkey_type,
)

MAX_TIMESTAMP = (1 << 63) - 1
COSIGNATURE_SIZE = 8 + 64  # timestamped_signature


class CosignatureError(ValueError):
    """A cosignature, or a request to make one, is malformed. The message says exactly why."""


def _checkpoint_body(body: str | bytes) -> str:
    """`body` as text, if it is a canonical checkpoint body (else CosignatureError)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        Checkpoint.parse(text)  # strict: only canonical bodies parse
    except (UnicodeDecodeError, CheckpointError) as e:
        raise CosignatureError(f"message is not a checkpoint body: {e}") from None
    return text


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"cosignature timestamp {timestamp!r} is not in [0, 2**63 - 1]")


def cosigned_message(checkpoint_body: str | bytes, timestamp: int) -> bytes:
    """The message a cosignature/v1 signs: header line, time line, then the checkpoint body."""
    _check_timestamp(timestamp)
    body = _checkpoint_body(checkpoint_body)
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosignature_timestamp(sig: bytes | NoteSignature) -> int:
    """The timestamp of a cosignature: a NoteSignature, or the 72 bytes after the key ID."""
    raw = sig.sig if isinstance(sig, NoteSignature) else sig
    if len(raw) != COSIGNATURE_SIZE:
        raise CosignatureError(f"cosignature is {len(raw)} bytes, not {COSIGNATURE_SIZE}")
    t = int.from_bytes(raw[:8], "big")
    if t > MAX_TIMESTAMP:
        raise CosignatureError(f"cosignature timestamp {t} exceeds 2**63 - 1")
    return t


class CosignatureVerifier:
    """Verifies Ed25519 cosignature/v1 signatures; usable as a note verifier with open_note."""

    def __init__(self, name: str, public_key: bytes) -> None:
        check_name(name)
        self._public = load_ed25519_public(public_key, "cosigner")
        self.name, self.public_key = name, bytes(public_key)
        self.key_id = compute_key_id(name, ALG_COSIGNATURE_V1, self.public_key)
        self.vkey = format_vkey(name, ALG_COSIGNATURE_V1, self.public_key)

    @classmethod
    def from_vkey(cls, text: str) -> CosignatureVerifier:
        name, _kid, alg, pub = parse_vkey(text)
        if alg != ALG_COSIGNATURE_V1:
            raise NoteError(f"vkey signature type is 0x{alg:02x}, not 0x04 (cosignature/v1)")
        return cls(name, pub)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Whether `sig` (timestamp || Ed25519 signature) cosigns checkpoint body `msg`."""
        try:
            t = cosignature_timestamp(sig)
            signed = cosigned_message(msg, t)
        except CosignatureError:
            return False
        return ed25519_verify(self._public, signed, sig[8:])


class CosignatureSigner:
    """An Ed25519 cosignature/v1 signer (a witness key). `clock` gives `.sign` its timestamp."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey, clock: Callable[[], float] = time.time) -> None:
        self._key, self._clock = private_key, clock
        self._verifier = CosignatureVerifier(name, private_key.public_key().public_bytes_raw())
        self.name, self.key_id, self.vkey = name, self._verifier.key_id, self._verifier.vkey

    @classmethod
    def generate(cls, name: str, clock: Callable[[], float] = time.time) -> CosignatureSigner:
        return cls(name, Ed25519PrivateKey.generate(), clock)

    @classmethod
    def from_skey(cls, text: str, clock: Callable[[], float] = time.time) -> CosignatureSigner:
        name, kid, alg, seed = parse_skey(text)
        if alg != ALG_COSIGNATURE_V1:
            raise NoteError(f"signer key signature type is 0x{alg:02x}, not 0x04 (cosignature/v1)")
        return cls(name, load_ed25519_seed(name, kid, alg, seed), clock)

    @property
    def skey(self) -> str:
        return format_skey(self.name, ALG_COSIGNATURE_V1, self._key)

    def verifier(self) -> CosignatureVerifier:
        return self._verifier

    def cosign(self, checkpoint_body: str, timestamp: int) -> bytes:
        """The 72-byte timestamped_signature: u64 BE timestamp || Ed25519 signature."""
        signed = cosigned_message(checkpoint_body, timestamp)
        return timestamp.to_bytes(8, "big") + self._key.sign(signed)

    def cosignature_line(self, checkpoint_body: str, timestamp: int) -> str:
        """The full note signature line `— <name> base64(keyID || timestamp || signature)`."""
        sig = self.cosign(checkpoint_body, timestamp)
        return f"{SIG_PREFIX}{self.name} {b64encode(self.key_id + sig)}\n"

    def sign(self, msg: bytes) -> bytes:
        """Cosign checkpoint body `msg` at the clock's current second (the note signer protocol)."""
        return self.cosign(_checkpoint_body(msg), int(self._clock()))


def verifier_from_vkey(text: str) -> NoteVerifier:
    """The verifier for a vkey, by its signature type: 0x01 Ed25519, 0x04 cosignature/v1.

    It lives here, not in note.py, because the signed-note format knows no cosignatures: this is the
    one module that knows both key types, and note.py stays free of any import back to it.
    """
    alg = vkey_type(text)
    if alg == ALG_ED25519:
        return Ed25519Verifier.from_vkey(text)
    if alg == ALG_COSIGNATURE_V1:
        return CosignatureVerifier.from_vkey(text)
    raise NoteError(f"vkey signature type 0x{alg:02x} is not supported")
