"""C2SP tlog-cosignature (Ed25519 cosignature/v1): the spec's examples, layout, round trips."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.cosignature import (
    MAX_TIMESTAMP,
    CosignatureError,
    CosignatureSigner,
    CosignatureVerifier,
    cosignature_timestamp,
    cosigned_message,
    verifier_from_vkey,
)
from tenderproof.ledger.note import (
    NoteError,
    NoteVerifier,
    Signer,
    add_signatures,
    open_note,
    parse_note,
    sign_note,
)
from tests.ledger.test_checkpoint import SPEC_BODY, SPEC_NOTE
from tests.ledger.test_note import flips, seeded_key, seeded_signer

# --- test vectors: c2sp.org/tlog-cosignature ----------------------------------------------------
SPEC_COSIGNATURE_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
    "qhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_SIGNED_MESSAGE = (
    "cosignature/v1\ntime 1679315147\n"
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
# c2sp.org/tlog-witness add-checkpoint example response: placeholder bytes, not real cosignatures.
WITNESS_RESPONSE = (
    "— witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLat"
    "Vs0pWh6Up69HVOw==\n"
    "— witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9Ch"
    "dMkP1vi/lCAsmlw==\n"
    "— witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU"
    "3rXXvpysAdyP3wQ==\n"
)
T = 1679315147


def test_spec_signed_message() -> None:
    assert cosigned_message(SPEC_BODY, T) == SPEC_SIGNED_MESSAGE.encode()


def test_spec_example_cosignature_layout() -> None:
    text, sigs = parse_note(SPEC_NOTE + SPEC_COSIGNATURE_LINE)
    assert text == SPEC_BODY
    cosig = sigs[1]
    assert (cosig.name, cosig.key_id.hex(), len(cosig.sig)) == ("witness.example.com/w1", "8d66cf3f", 72)
    # The timestamp inside the signature is the one in the spec's signed-message example.
    assert cosignature_timestamp(cosig) == T


def test_witness_example_placeholders_have_out_of_range_timestamps() -> None:
    _, sigs = parse_note(SPEC_NOTE + WITNESS_RESPONSE)
    assert [s.name for s in sigs[1:]] == ["witness.example/w1", "witness.example/w1", "witness.example/w2"]
    for s in sigs[1:3]:
        with pytest.raises(CosignatureError, match=r"^cosignature timestamp \d+ exceeds 2\*\*63 - 1$"):
            cosignature_timestamp(s)
    assert cosignature_timestamp(sigs[3]) == 2970657736413210787
    assert [s.key_id.hex() for s in sigs[1:3]] == ["08ca7ee8", "23bac4a6"]  # two keys of one witness
    both = add_signatures(SPEC_NOTE, WITNESS_RESPONSE)
    assert both == SPEC_NOTE + WITNESS_RESPONSE
    assert add_signatures(both, WITNESS_RESPONSE) == both  # no key gets a second line


def test_key_id_and_signature_layout() -> None:
    key = seeded_key(11)
    pub = key.public_key().public_bytes_raw()
    w = CosignatureSigner("witness.example/w1", key)
    assert w.key_id == hashlib.sha256(b"witness.example/w1\n\x04" + pub).digest()[:4]
    key64 = base64.b64encode(b"\x04" + pub).decode()
    assert w.vkey == f"witness.example/w1+{w.key_id.hex()}+{key64}"
    sig = w.cosign(SPEC_BODY, T)
    assert sig == T.to_bytes(8, "big") + key.sign(SPEC_SIGNED_MESSAGE.encode())
    line = w.cosignature_line(SPEC_BODY, T)
    assert line == f"— witness.example/w1 {base64.b64encode(w.key_id + sig).decode()}\n"
    assert w.verifier().verify(SPEC_BODY.encode(), sig)


def test_keys_round_trip_and_dispatch() -> None:
    w = CosignatureSigner.generate("w.example")
    again = CosignatureSigner.from_skey(w.skey)
    assert w.skey.startswith("PRIVATE+KEY+w.example+") and (again.vkey, again.key_id) == (w.vkey, w.key_id)
    v = verifier_from_vkey(w.vkey)
    assert isinstance(v, CosignatureVerifier) and v.vkey == w.vkey
    with pytest.raises(NoteError, match=r"^signer key signature type is 0x01, not 0x04 \(cosignature/v1\)$"):
        CosignatureSigner.from_skey(Signer.generate("x").skey)
    with pytest.raises(NoteError, match=r"^signer key signature type is 0x04, not 0x01 \(Ed25519\)$"):
        Signer.from_skey(w.skey)
    with pytest.raises(NoteError, match=r"^vkey signature type is 0x01, not 0x04 \(cosignature/v1\)$"):
        CosignatureVerifier.from_vkey(Signer.generate("x").vkey)


def test_same_key_as_log_and_witness_is_domain_separated() -> None:
    key = seeded_key(12)
    log, witness = Signer("same.example", key), CosignatureSigner("same.example", key)
    assert log.key_id != witness.key_id
    plain = log.sign(SPEC_BODY.encode())
    assert not witness.verifier().verify(SPEC_BODY.encode(), T.to_bytes(8, "big") + plain)


def test_verify_refusals() -> None:
    w = CosignatureSigner("w.example", seeded_key(13))
    v = w.verifier()
    sig = w.cosign(SPEC_BODY, T)
    assert v.verify(SPEC_BODY.encode(), sig)
    assert not v.verify(SPEC_BODY.encode(), (T + 1).to_bytes(8, "big") + sig[8:])  # timestamp is signed
    assert not v.verify(SPEC_BODY.encode(), sig[:-1])
    assert not v.verify(SPEC_BODY.encode() + b"ext\n", sig)  # extension lines are signed
    assert not v.verify(b"not a checkpoint\n", sig)
    assert not v.verify(b"\xff", sig)
    big = (MAX_TIMESTAMP + 1).to_bytes(8, "big") + sig[8:]
    assert not v.verify(SPEC_BODY.encode(), big)


@pytest.mark.parametrize(
    "body, t, message",
    [
        (SPEC_BODY, -1, r"^cosignature timestamp -1 is not in \[0, 2\*\*63 - 1\]$"),
        (SPEC_BODY, MAX_TIMESTAMP + 1, r"^cosignature timestamp 9223372036854775808 is not in"),
        (SPEC_BODY, True, r"^cosignature timestamp True is not in"),
        ("hello\n", T, r"^message is not a checkpoint body: checkpoint has 1 lines, fewer than 3$"),
        (SPEC_BODY.replace("20852163", "020852163"), T, r"^message is not a checkpoint body: checkpoint tree size"),
    ],
)
def test_cosign_refusals(body: str, t: int, message: str) -> None:
    w = CosignatureSigner("w.example", seeded_key(14))
    with pytest.raises(CosignatureError, match=message):
        w.cosign(body, t)


def test_sign_uses_the_clock_in_whole_seconds() -> None:
    w = CosignatureSigner("w.example", seeded_key(19), clock=lambda: T + 0.99)
    assert w.sign(SPEC_BODY.encode()) == w.cosign(SPEC_BODY, T)
    with pytest.raises(CosignatureError, match=r"^message is not a checkpoint body: "):
        sign_note("hello\n", [w])


def test_timestamp_readback_refusals() -> None:
    with pytest.raises(CosignatureError, match=r"^cosignature is 64 bytes, not 72$"):
        cosignature_timestamp(bytes(64))


@given(st.integers(0, MAX_TIMESTAMP), st.integers(0, 2**63 - 1), st.binary(min_size=32, max_size=32))
def test_round_trip_through_notes(t: int, size: int, root: bytes) -> None:
    log = seeded_signer("example.com/log", 15)
    w = CosignatureSigner("w.example/1", seeded_key(16), clock=lambda: t)
    body = Checkpoint("example.com/log", size, root).body()
    # As a note signer (timestamp from the clock), and as a line added to an existing note.
    via_sign = sign_note(body, [log, w])
    via_add = add_signatures(sign_note(body, [log]), w.cosignature_line(body, t))
    assert via_sign == via_add
    opened = open_note(via_add, [log.verifier(), verifier_from_vkey(w.vkey)])
    assert [s.name for s in opened.sigs] == ["example.com/log", "w.example/1"]
    assert cosignature_timestamp(opened.sigs[1]) == t


def test_every_bit_flip_of_a_cosigned_checkpoint() -> None:
    """No flip yields a different text; no flip keeps both the log signature and the cosignature."""
    log = seeded_signer("example.com/log", 17)
    w = CosignatureSigner("w.example/1", seeded_key(18))
    body = Checkpoint("example.com/log", 5, bytes(range(32)), ("ext",)).body()
    note = add_signatures(sign_note(body, [log]), w.cosignature_line(body, T))
    verifiers: list[NoteVerifier] = [log.verifier(), w.verifier()]
    both = {(log.name, log.key_id), (w.name, w.key_id)}
    accepted = 0
    for i, bit, flipped in flips(note.encode()):
        try:
            opened = open_note(flipped, verifiers)
        except NoteError:
            continue
        accepted += 1  # only when a signature line's name or key ID now names an unknown key
        assert opened.text == body, (i, bit)
        assert {(s.name, s.key_id) for s in opened.sigs} < both, (i, bit)
    assert accepted > 0
