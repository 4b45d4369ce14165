"""C2SP signed-note (https://c2sp.org/signed-note): Ed25519 keys, signing and opening notes.

Implements §Format (text, blank line, signature lines "— <name> base64(keyID || sig)"),
§Signatures (key IDs, unknown keys ignored, known keys must verify) and §Ed25519 signatures
(type 0x01). Key texts follow golang.org/x/mod/sumdb/note: verifier key
`<name>+<8 hex keyID>+base64(type || public key)`, signer key
`PRIVATE+KEY+<name>+<8 hex keyID>+base64(type || seed)`, keyID = SHA-256(name || 0x0A || type
|| public key)[:4].

Deliberate strictness beyond Go's note package: base64 must be canonical (padded, zero trailing
bits), key names must not contain control characters, and every signature line from a known key
is verified, duplicates included (the spec's "MUST verify"; Go skips repeated lines).
Limits: at most MAX_SIGNATURES signature lines (Go's 100) and MAX_NOTE_BYTES bytes per note.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20
SIG_PREFIX = "\u2014 "  # em dash, space

# Unicode White_Space, which is what Go's unicode.IsSpace tests.
_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class NoteError(ValueError):
    """A note, key or signature is malformed or does not verify. The message says exactly why."""


class NoteVerifier(Protocol):
    """Verifies signatures by one key, which notes identify by (name, 4-byte key_id)."""

    name: str
    key_id: bytes

    def verify(self, msg: bytes, sig: bytes) -> bool: ...


class NoteSigner(Protocol):
    """Signs note texts with one key; sign returns the signature bytes that follow the key ID."""

    name: str
    key_id: bytes

    def sign(self, msg: bytes) -> bytes: ...


# --- names, base64, key texts ------------------------------------------------------------------


def check_name(name: str, what: str = "key name") -> None:
    """Raise NoteError unless `name` is a valid key name (non-empty, UTF-8, no spaces, no '+')."""
    if not name:
        raise NoteError(f"{what} is empty")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"{what} {name!r} is not valid UTF-8") from None
    for ch in name:
        if ch in _SPACES or ch == "+" or ord(ch) < 0x20:
            raise NoteError(f"{what} {name!r} contains forbidden character U+{ord(ch):04X}")


def b64decode(text: str, what: str) -> bytes:
    """Decode canonical standard base64 (RFC 4648 §4, padded), refusing any other spelling."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def compute_key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || alg || public key)[:4], the signed-note recommended key ID."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


def format_vkey(name: str, alg: int, public_key: bytes) -> str:
    kid = compute_key_id(name, alg, public_key)
    return f"{name}+{kid.hex()}+{b64encode(bytes([alg]) + public_key)}"


def _split_key_text(text: str, what: str) -> tuple[str, bytes, int, bytes]:
    name, sep1, rest = text.partition("+")
    hex8, sep2, key64 = rest.partition("+")
    if not (sep1 and sep2):
        raise NoteError(f"{what} is not of the form name+keyid+key")
    check_name(name, f"{what} name")
    if not _HEX8.fullmatch(hex8):
        raise NoteError(f"{what} key ID {hex8!r} is not 8 hexadecimal digits")
    key = b64decode(key64, f"{what} key material")
    if not key:
        raise NoteError(f"{what} key material is empty")
    return name, bytes.fromhex(hex8), key[0], key[1:]


def parse_vkey(text: str) -> tuple[str, bytes, int, bytes]:
    """Split a verifier key into (name, key_id, alg, public key), checking the key ID."""
    name, kid, alg, pub = _split_key_text(text, "vkey")
    want = compute_key_id(name, alg, pub)
    if kid != want:
        raise NoteError(f"vkey key ID {kid.hex()} does not match its key (expected {want.hex()})")
    return name, kid, alg, pub


def parse_skey(text: str) -> tuple[str, bytes, int, bytes]:
    """Split PRIVATE+KEY+name+keyid+base64(alg||seed); the caller checks the key ID."""
    if not text.startswith("PRIVATE+KEY+"):
        raise NoteError("signer key does not start with PRIVATE+KEY+")
    return _split_key_text(text[len("PRIVATE+KEY+") :], "signer key")


def ed25519_verify(public_key: Ed25519PublicKey, msg: bytes, sig: bytes) -> bool:
    try:
        public_key.verify(sig, msg)  # a signature that is not 64 bytes is invalid too
    except InvalidSignature:
        return False
    return True


def load_ed25519_public(pub: bytes, what: str) -> Ed25519PublicKey:
    if len(pub) != 32:
        raise NoteError(f"{what} Ed25519 public key is {len(pub)} bytes, not 32")
    try:
        return Ed25519PublicKey.from_public_bytes(pub)
    except ValueError:
        raise NoteError(f"{what} Ed25519 public key is invalid") from None


def load_ed25519_seed(name: str, kid: bytes, alg: int, seed: bytes) -> Ed25519PrivateKey:
    """The private key of a parsed signer key, after checking its length and key ID."""
    if len(seed) != 32:
        raise NoteError(f"signer key Ed25519 seed is {len(seed)} bytes, not 32")
    key = Ed25519PrivateKey.from_private_bytes(seed)
    want = compute_key_id(name, alg, key.public_key().public_bytes_raw())
    if kid != want:
        raise NoteError(f"signer key ID {kid.hex()} does not match its key (expected {want.hex()})")
    return key


def format_skey(name: str, alg: int, key: Ed25519PrivateKey) -> str:
    kid = compute_key_id(name, alg, key.public_key().public_bytes_raw())
    seed = key.private_bytes_raw()
    return f"PRIVATE+KEY+{name}+{kid.hex()}+{b64encode(bytes([alg]) + seed)}"


# --- Ed25519 keys (type 0x01) ------------------------------------------------------------------


class Ed25519Verifier:
    """A verifier for plain Ed25519 note signatures (signature type 0x01)."""

    def __init__(self, name: str, public_key: bytes) -> None:
        check_name(name)
        self._public = load_ed25519_public(public_key, "vkey")
        self.name, self.public_key = name, bytes(public_key)
        self.key_id = compute_key_id(name, ALG_ED25519, self.public_key)
        self.vkey = format_vkey(name, ALG_ED25519, self.public_key)

    @classmethod
    def from_vkey(cls, text: str) -> Ed25519Verifier:
        name, _kid, alg, pub = parse_vkey(text)
        if alg != ALG_ED25519:
            raise NoteError(f"vkey signature type is 0x{alg:02x}, not 0x01 (Ed25519)")
        return cls(name, pub)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        return ed25519_verify(self._public, msg, sig)


class Signer:
    """An Ed25519 note signer (signature type 0x01). `.skey` is the secret key text."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._verifier = Ed25519Verifier(name, private_key.public_key().public_bytes_raw())
        self.name, self.key_id, self.vkey = name, self._verifier.key_id, self._verifier.vkey

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, text: str) -> Signer:
        name, kid, alg, seed = parse_skey(text)
        if alg != ALG_ED25519:
            raise NoteError(f"signer key signature type is 0x{alg:02x}, not 0x01 (Ed25519)")
        return cls(name, load_ed25519_seed(name, kid, alg, seed))

    @property
    def skey(self) -> str:
        return format_skey(self.name, ALG_ED25519, self._key)

    def verifier(self) -> Ed25519Verifier:
        return self._verifier

    def sign(self, msg: bytes) -> bytes:
        return self._key.sign(msg)


def vkey_type(text: str) -> int:
    """The signature type of a vkey, read before anything else: other types compute key IDs otherwise."""
    return _split_key_text(text, "vkey")[2]


# --- notes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID, and the signature bytes after the key ID."""

    name: str
    key_id: bytes
    sig: bytes

    @property
    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {b64encode(self.key_id + self.sig)}\n"


@dataclass(frozen=True)
class OpenedNote:
    text: str
    sigs: tuple[NoteSignature, ...]  # verified, one per key
    unverified: tuple[NoteSignature, ...]  # from unknown keys, identical lines dropped


def _text(note: str | bytes, what: str = "note") -> str:
    """`note` as str: valid UTF-8, at most MAX_NOTE_BYTES, no control character but newline."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as e:
            raise NoteError(f"{what} is not valid UTF-8 (byte {e.start})") from None
    try:
        size = len(note.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise NoteError(f"{what} is not valid UTF-8 (character {e.start})") from None
    if size > MAX_NOTE_BYTES:
        raise NoteError(f"{what} is {size} bytes, more than {MAX_NOTE_BYTES}")
    bad = _CONTROL.search(note)
    if bad:
        raise NoteError(f"{what} contains control character U+{ord(bad.group()):04X} at offset {bad.start()}")
    return note


def parse_signature_lines(block: str) -> list[NoteSignature]:
    """Parse newline-terminated signature lines (the block after a note's blank line)."""
    if not block or not block.endswith("\n"):
        raise NoteError("signature block is empty or does not end with a newline")
    out: list[NoteSignature] = []
    for n, line in enumerate(block[:-1].split("\n"), 1):
        if len(out) == MAX_SIGNATURES:
            raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"signature line {n} does not start with an em dash and a space")
        name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        check_name(name, f"signature line {n} key name")
        raw = b64decode(b64, f"signature line {n}")
        if len(raw) < 5:
            raise NoteError(f"signature line {n} holds {len(raw)} bytes, too few for a key ID and a signature")
        out.append(NoteSignature(name, raw[:4], raw[4:]))
    return out


def parse_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signatures, checking syntax only (no verification)."""
    note = _text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    return note[: split + 1], parse_signature_lines(note[split + 2 :])


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> OpenedNote:
    """Parse `note` and verify its signatures from known keys, as Go's note.Open does.

    Signatures from unknown (name, key ID) pairs are returned unverified; a known key's signature
    that fails to verify, or a note that no known key signed, raises NoteError.
    """
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known:
            raise NoteError(f"ambiguous verifiers: two keys named {v.name}+{v.key_id.hex()}")
        known[(v.name, v.key_id)] = v
    text, sigs = parse_note(note)
    msg = text.encode("utf-8")
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    unverified: list[NoteSignature] = []
    for s in sigs:
        verifier = known.get((s.name, s.key_id))
        if verifier is None:
            if s not in unverified:
                unverified.append(s)
            continue
        if not verifier.verify(msg, s.sig):
            raise NoteError(f"invalid signature for key {s.name}+{s.key_id.hex()}")
        verified.setdefault((s.name, s.key_id), s)
    if not verified:
        names = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in unverified)
        raise NoteError(f"note has no signature from a known key (signed by: {names})")
    return OpenedNote(text, tuple(verified.values()), tuple(unverified))


def _join(text: str, sigs: Sequence[NoteSignature]) -> str:
    if len(sigs) > MAX_SIGNATURES:
        raise NoteError(f"note would have {len(sigs)} signatures, more than {MAX_SIGNATURES}")
    return _text(text + "\n" + "".join(s.line for s in sigs))


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """Sign `text` (which must end with a newline) with each signer, in order."""
    text = _text(text, "note text")
    if not text.endswith("\n"):
        raise NoteError("note text does not end with a newline")
    msg = text.encode("utf-8")
    sigs: list[NoteSignature] = []
    for s in signers:
        check_name(s.name, "signer name")
        if any((s.name, s.key_id) == (o.name, o.key_id) for o in sigs):
            raise NoteError(f"two signers for key {s.name}+{s.key_id.hex()}")
        sigs.append(NoteSignature(s.name, s.key_id, s.sign(msg)))
    if not sigs:
        raise NoteError("a signed note needs at least one signer")
    return _join(text, sigs)


def add_signatures(note: str | bytes, lines: str) -> str:
    """Append signature lines (e.g. cosignatures) to a note, without verifying anything.

    A new line replaces an existing line of the same (name, key ID), and among the new lines the
    last one for a key wins, so a key never has two lines. Open the result to verify it.
    """
    text, old = parse_note(note)
    lines = _text(lines, "signature lines")
    new: dict[tuple[str, bytes], NoteSignature] = {}
    for s in parse_signature_lines(lines):
        new.pop((s.name, s.key_id), None)
        new[(s.name, s.key_id)] = s
    kept = [s for s in old if (s.name, s.key_id) not in new]
    return _join(text, kept + list(new.values()))
