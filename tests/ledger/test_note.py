"""C2SP signed-note: Go's note package example as known answers, strict parsing, round trips."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.ledger.cosignature import CosignatureVerifier, verifier_from_vkey
from tenderproof.ledger.note import (
    MAX_NOTE_BYTES,
    Ed25519Verifier,
    NoteError,
    NoteSignature,
    Signer,
    add_signatures,
    check_name,
    open_note,
    parse_note,
    sign_note,
)

# --- test vectors: golang.org/x/mod/sumdb/note package documentation --------------------------
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIG_LINE = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
GO_NOTE = GO_TEXT + "\n" + GO_SIG_LINE
GO_ENOCH_LINE = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
GO_DOUBLE = GO_NOTE + GO_ENOCH_LINE

# --- test vector: c2sp.org/signed-note example (its key is not published) ---------------------
C2SP_NOTE = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
    "— quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def seeded_key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test key %d" % seed).digest())


def seeded_signer(name: str, seed: int) -> Signer:
    return Signer(name, seeded_key(seed))


def flips(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Every single-bit flip of `data`."""
    for i in range(len(data)):
        for bit in range(8):
            yield i, bit, data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]


# --- known answers -----------------------------------------------------------------------------


def test_go_example_keys() -> None:
    s = Signer.from_skey(GO_SKEY)
    assert s.name == "PeterNeumann"
    assert s.key_id == bytes.fromhex("c74f20a3")
    assert s.vkey == GO_VKEY
    assert s.skey == GO_SKEY
    v = Ed25519Verifier.from_vkey(GO_VKEY)
    assert (v.name, v.key_id, v.vkey) == ("PeterNeumann", bytes.fromhex("c74f20a3"), GO_VKEY)
    # key hash = SHA-256(name || 0x0A || 0x01 || public key)[:4]
    assert hashlib.sha256(b"PeterNeumann\n\x01" + v.public_key).digest()[:4] == v.key_id


def test_go_example_sign_is_byte_exact() -> None:
    assert sign_note(GO_TEXT, [Signer.from_skey(GO_SKEY)]) == GO_NOTE


def test_go_example_open() -> None:
    opened = open_note(GO_NOTE, [verifier_from_vkey(GO_VKEY)])
    assert opened.text == GO_TEXT
    assert [(s.name, s.key_id.hex(), len(s.sig)) for s in opened.sigs] == [("PeterNeumann", "c74f20a3", 64)]
    assert opened.unverified == ()
    assert opened.sigs[0].line == GO_SIG_LINE


def test_go_example_doubly_signed_unknown_key_is_unverified() -> None:
    opened = open_note(GO_DOUBLE.encode(), [verifier_from_vkey(GO_VKEY)])
    assert opened.text == GO_TEXT
    assert [s.name for s in opened.sigs] == ["PeterNeumann"]
    assert [(s.name, s.key_id.hex()) for s in opened.unverified] == [("EnochRoot", "af0cfe78")]
    assert add_signatures(GO_NOTE, GO_ENOCH_LINE) == GO_DOUBLE


def test_c2sp_example_splits_at_last_blank_line() -> None:
    text, sigs = parse_note(C2SP_NOTE)
    assert text == "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    assert [(s.name, s.key_id.hex()) for s in sigs] == [("quasimodo.example/salvatore", "367ba04b")]
    with pytest.raises(NoteError, match=r"^note has no signature from a known key \(signed by: quasimodo"):
        open_note(C2SP_NOTE, [verifier_from_vkey(GO_VKEY)])


# --- keys --------------------------------------------------------------------------------------


def test_generate_round_trips() -> None:
    s = Signer.generate("example.com/log")
    again = Signer.from_skey(s.skey)
    assert (again.vkey, again.key_id) == (s.vkey, s.key_id)
    v = verifier_from_vkey(s.vkey)
    assert isinstance(v, Ed25519Verifier)
    assert v.verify(b"hi", s.sign(b"hi")) and not v.verify(b"ho", s.sign(b"hi"))
    assert len(s.sign(b"hi")) == 64
    assert "PRIVATE" not in repr(s)


def test_verifier_from_vkey_dispatches_on_type() -> None:
    pub = seeded_key(1).public_key().public_bytes_raw()
    cos = CosignatureVerifier("w.example", pub)
    assert isinstance(verifier_from_vkey(cos.vkey), CosignatureVerifier)
    name = "x.example"
    kid = hashlib.sha256(name.encode() + b"\n\x02" + pub).digest()[:4]
    key64 = base64.b64encode(b"\x02" + pub).decode()
    vkey = f"{name}+{kid.hex()}+{key64}"
    with pytest.raises(NoteError, match=r"^vkey signature type 0x02 is not supported$"):
        verifier_from_vkey(vkey)


@pytest.mark.parametrize(
    "vkey, message",
    [
        ("PeterNeumann", r"^vkey is not of the form name\+keyid\+key$"),
        ("PeterNeumann+c74f20a3", r"^vkey is not of the form name\+keyid\+key$"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", r"^vkey name is empty$"),
        ("Peter Neumann+c74f20a3+ARpc", r"^vkey name 'Peter Neumann' contains forbidden character U\+0020$"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", r"^vkey key ID 'c74f20a' is not 8 hex"),
        ("PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", r"^vkey key ID '0xc74f20' is not 8 hex"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", r"^vkey key ID c74f20a4 does not match"),
        (
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
            r"^vkey key ID c74f20a3 does not match its",
        ),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=", r"^vkey key material is not canonical"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T=", r"^vkey key material is not canonical"),
        (
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
            r"^vkey key material is not valid base64$",
        ),
        ("PeterNeumann+c74f20a3+", r"^vkey key material is empty$"),
    ],
)
def test_vkey_rejections(vkey: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Ed25519Verifier.from_vkey(vkey)


def test_vkey_accepts_uppercase_hex_like_go() -> None:
    assert Ed25519Verifier.from_vkey(GO_VKEY.replace("c74f20a3", "C74F20A3")).key_id == bytes.fromhex("c74f20a3")


def test_vkey_wrong_length_and_type() -> None:
    pub = seeded_key(2).public_key().public_bytes_raw()
    cos = CosignatureVerifier("w.example", pub)
    with pytest.raises(NoteError, match=r"^vkey signature type is 0x04, not 0x01 \(Ed25519\)$"):
        Ed25519Verifier.from_vkey(cos.vkey)
    kid = hashlib.sha256(b"n\n\x01" + pub[:31]).digest()[:4]
    key64 = base64.b64encode(b"\x01" + pub[:31]).decode()
    short = f"n+{kid.hex()}+{key64}"
    with pytest.raises(NoteError, match=r"^vkey Ed25519 public key is 31 bytes, not 32$"):
        Ed25519Verifier.from_vkey(short)


@pytest.mark.parametrize(
    "skey, message",
    [
        (
            "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            r"^signer key does not start with PRIVATE",
        ),
        (
            "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            r"^signer key ID c74f20a4 does",
        ),
        (
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXH",
            r"^signer key Ed25519 seed is 29 bytes",
        ),
        (
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD==",
            r"^signer key key material is not canon",
        ),
        ("PRIVATE+KEY+Peter+Neumann+c74f20a3+AYEK", r"^signer key key ID 'Neumann' is not 8 hex"),
    ],
)
def test_skey_rejections(skey: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Signer.from_skey(skey)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\u3000b", "a\u2028b", "a\tb", "a\x01b", "\ud800"])
def test_invalid_key_names(name: str) -> None:
    with pytest.raises(NoteError):
        check_name(name)


@given(
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="+\x85"), min_size=1)
)
def test_valid_key_names_sign_and_open(name: str) -> None:
    s = seeded_signer(name, 3)
    assert open_note(sign_note("x\n", [s]), [s.verifier()]).sigs[0].name == name


# --- notes: round trips ------------------------------------------------------------------------

note_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters=[chr(c) for c in range(32) if c != 10])
)


@settings(max_examples=200)
@given(note_text, st.integers(1, 4))
def test_sign_open_round_trip(body: str, n: int) -> None:
    text = body + "\n"
    signers = [seeded_signer(f"signer{i}.example", i) for i in range(n)]
    note = sign_note(text, signers)
    opened = open_note(note, [s.verifier() for s in signers])
    assert opened.text == text
    assert [s.name for s in opened.sigs] == [s.name for s in signers]
    # With only some keys known, the rest come back unverified, in order.
    opened = open_note(note, [signers[-1].verifier()])
    assert [s.name for s in opened.unverified] == [s.name for s in signers[:-1]]
    assert parse_note(note)[0] == text


def test_add_signatures_replaces_same_key_and_keeps_others() -> None:
    a, b = seeded_signer("a.example", 1), seeded_signer("b.example", 2)
    note = sign_note("hello\n", [a])
    b_line = NoteSignature(b.name, b.key_id, b.sign(b"hello\n")).line
    twice = add_signatures(add_signatures(note, b_line), b_line)
    assert twice == note + b_line
    assert len(open_note(twice, [a.verifier(), b.verifier()]).sigs) == 2
    # A new line for an existing key replaces the old one (here: a bad one, so opening fails).
    bad = NoteSignature(a.name, a.key_id, bytes(64)).line
    replaced = add_signatures(note, bad)
    assert replaced == "hello\n\n" + bad
    with pytest.raises(NoteError, match=r"^invalid signature for key a\.example\+"):
        open_note(replaced, [a.verifier()])


def test_duplicate_lines() -> None:
    a = seeded_signer("a.example", 1)
    note = sign_note("hello\n", [a])
    line = note.split("\n\n")[1]
    assert len(open_note(note + line, [a.verifier()]).sigs) == 1
    unknown = NoteSignature("u.example", b"\0\0\0\1", bytes(64)).line
    assert len(open_note(note + unknown + unknown, [a.verifier()]).unverified) == 1
    # Stricter than Go: a second, bad line from a known key is verified too, and rejected.
    bad = NoteSignature(a.name, a.key_id, bytes(64)).line
    with pytest.raises(NoteError, match=r"^invalid signature for key a\.example\+"):
        open_note(note + bad, [a.verifier()])


# --- notes: strict rejection -------------------------------------------------------------------


def _line(name: str, raw: bytes) -> str:
    return f"— {name} {base64.b64encode(raw).decode()}\n"


@pytest.mark.parametrize(
    "note, message",
    [
        (GO_TEXT + GO_SIG_LINE, r"^note has no blank line before its signatures$"),
        (GO_NOTE[:-1], r"^signature block is empty or does not end with a newline$"),
        (GO_TEXT + "\n", r"^signature block is empty or does not end with a newline$"),
        (GO_TEXT + "\n- PeterNeumann AAAAAAA=\n", r"^signature line 1 does not start with an em dash and a space$"),
        (GO_TEXT + "\n—PeterNeumann AAAAAAA=\n", r"^signature line 1 does not start with an em dash and a space$"),
        (GO_TEXT + "\n— Peter+Neumann AAAAAAA=\n", r"^signature line 1 key name 'Peter\+Neumann' contains"),
        (GO_TEXT + "\n— PeterNeumann\n", r"^signature line 1 holds 0 bytes, too few for a key ID and a sig"),
        (GO_TEXT + "\n— PeterNeumann AAAA AAA=\n", r"^signature line 1 is not valid base64$"),
        (GO_TEXT + "\n— PeterNeumann AAAAAAB=\n", r"^signature line 1 is not canonical base64$"),
        (GO_TEXT + "\n— PeterNeumann AAAAAAA\n", r"^signature line 1 is not valid base64$"),
        (GO_TEXT + "\n— PeterNeumann AAAAAA==\n", r"^signature line 1 holds 4 bytes, too few for a key ID and a sig"),
        (GO_NOTE + "— \n", r"^signature line 2 key name is empty$"),
        ("a\tb\n" + "\n" + GO_SIG_LINE, r"^note contains control character U\+0009 at offset 1$"),
        (GO_NOTE.replace("\n", "\r\n", 1), r"^note contains control character U\+000D at offset 56$"),
        (GO_NOTE.encode()[:-3] + b"\xff=\n", rf"^note is not valid UTF-8 \(byte {len(GO_NOTE.encode()) - 3}\)$"),
        (GO_TEXT + "\n" + _line("x", b"\1" * 5) * 101, r"^note has more than 100 signatures$"),
        ("a" * MAX_NOTE_BYTES + GO_NOTE, r"^note is \d+ bytes, more than 1048576$"),
    ],
)
def test_malformed_notes(note: str | bytes, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        open_note(note, [verifier_from_vkey(GO_VKEY)])


def test_sixteen_signatures_are_accepted() -> None:
    signers = [seeded_signer(f"s{i}", i) for i in range(16)]
    note = sign_note("hi\n", signers)
    assert len(open_note(note, [s.verifier() for s in signers]).sigs) == 16


def test_known_key_bad_signature_and_ambiguous_verifiers() -> None:
    forged = GO_NOTE.replace("x08go/", "x08go+")
    with pytest.raises(NoteError, match=r"^invalid signature for key PeterNeumann\+c74f20a3$"):
        open_note(forged, [verifier_from_vkey(GO_VKEY)])
    with pytest.raises(NoteError, match=r"^ambiguous verifiers: two keys named PeterNeumann\+c74f20a3$"):
        open_note(GO_NOTE, [verifier_from_vkey(GO_VKEY), verifier_from_vkey(GO_VKEY)])
    with pytest.raises(
        NoteError, match=r"^note has no signature from a known key \(signed by: PeterNeumann\+c74f20a3\)$"
    ):
        open_note(GO_NOTE, [])


def test_sign_note_refusals() -> None:
    s = Signer.from_skey(GO_SKEY)
    with pytest.raises(NoteError, match=r"^note text does not end with a newline$"):
        sign_note("no newline", [s])
    with pytest.raises(NoteError, match=r"^a signed note needs at least one signer$"):
        sign_note("x\n", [])
    with pytest.raises(NoteError, match=r"^two signers for key PeterNeumann\+c74f20a3$"):
        sign_note("x\n", [s, s])
    with pytest.raises(NoteError, match=r"^note text contains control character U\+0000 at offset 1$"):
        sign_note("x\0\n", [s])


def test_every_bit_flip_of_the_go_note_is_rejected() -> None:
    verifiers = [verifier_from_vkey(GO_VKEY)]
    for i, bit, flipped in flips(GO_NOTE.encode()):
        with pytest.raises(NoteError):
            open_note(flipped, verifiers)
            pytest.fail(f"flip of bit {bit} of byte {i} was accepted")
