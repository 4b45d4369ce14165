"""C2SP tlog-proof: the spec's example, strict parsing, real inclusion proofs, tampering."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.merkle import MemoryHashes, inclusion_proof, tree_hash
from tenderproof.ledger.note import add_signatures, sign_note
from tenderproof.ledger.policy import Policy
from tenderproof.ledger.tlogproof import TlogProof, TlogProofError, verify_tlog_proof
from tests.ledger.test_policy import LOG, ORIGIN, W

# --- test vector: c2sp.org/tlog-proof (its signatures are elided with "[...]") ------------------
SPEC_HEAD = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

"""
SPEC_CHECKPOINT = """example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
— witness2.example TnKKVHLX[...]xwYwrSjgow==
— witness3.example S4X82uH5[...]3oEcROGLFQ==
"""
T = 1_700_000_000
POLICY = Policy.parse(
    f"log {LOG.vkey}\nwitness a {W[0].vkey}\nwitness b {W[1].vkey}\ngroup both all a b\nquorum both\n"
)


def entry(i: int) -> bytes:
    return b"entry %d" % i  # distinct entries: a proof for one index cannot verify at another


def build(size: int, index: int, extra: bytes | None = None) -> TlogProof:
    mem = MemoryHashes()
    for i in range(size):
        mem.append(entry(i))
    body = Checkpoint(ORIGIN, size, tree_hash(size, mem)).body()
    note = sign_note(body, [LOG])
    note = add_signatures(note, "".join(w.cosignature_line(body, T) for w in W[:2]))
    return TlogProof(index, inclusion_proof(index, size, mem), note, extra)


def test_spec_example() -> None:
    with pytest.raises(TlogProofError, match=r"^proof checkpoint: signature line 1 is not valid base64$"):
        TlogProof.parse(SPEC_HEAD + SPEC_CHECKPOINT)
    # The same head in front of a checkpoint whose signature is real.
    body = SPEC_CHECKPOINT.split("\n\n")[0] + "\n"
    text = SPEC_HEAD + sign_note(body, [LOG])
    proof = TlogProof.parse(text)
    assert proof.index == 73894 and len(proof.hashes) == 5
    assert proof.extra is not None and proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert proof.hashes[0] == base64.b64decode("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
    assert proof.format() == text
    assert Checkpoint.parse(body).size == 109482


def test_format_layout() -> None:
    proof = build(5, 3, extra=b"ctx")
    text = proof.format()
    lines = text.split("\n")
    assert lines[:3] == ["c2sp.org/tlog-proof@v1", "extra Y3R4", "index 3"]
    assert lines[3 : 3 + len(proof.hashes)] == [base64.b64encode(h).decode() for h in proof.hashes]
    assert text.endswith("\n\n" + proof.checkpoint)
    assert TlogProof.parse(text.encode()) == proof


def test_verify_with_verifiers_and_with_policy() -> None:
    proof = build(7, 4)
    cp = verify_tlog_proof(proof, entry(4), verifiers=[LOG.verifier()], origin=ORIGIN)
    assert (cp.origin, cp.size) == (ORIGIN, 7)
    assert verify_tlog_proof(proof, entry(4), policy=POLICY) == cp
    with pytest.raises(TlogProofError, match=r"^inclusion proof does not verify: inclusion proof for leaf 4 in tree"):
        verify_tlog_proof(proof, entry(5), policy=POLICY)
    with pytest.raises(TlogProofError, match=r"^proof checkpoint is from log 'example.com/log', not 'x.example'$"):
        verify_tlog_proof(proof, entry(4), verifiers=[LOG.verifier()], origin="x.example")
    with pytest.raises(TlogProofError, match=r"^give exactly one of verifiers or policy$"):
        verify_tlog_proof(proof, entry(4))
    with pytest.raises(TlogProofError, match=r"^give exactly one of verifiers or policy$"):
        verify_tlog_proof(proof, entry(4), verifiers=[LOG.verifier()], policy=POLICY)
    with pytest.raises(TlogProofError, match=r"^proof checkpoint does not verify: note has no signature from a known"):
        verify_tlog_proof(proof, entry(4), verifiers=[W[2].verifier()])
    one_of_two = Policy.parse(f"log {LOG.vkey}\nwitness c {W[2].vkey}\nquorum c\n")
    with pytest.raises(TlogProofError, match=r"^proof checkpoint does not verify: cosignatures from 0 witnesses"):
        verify_tlog_proof(proof, entry(4), policy=one_of_two)
    beyond = TlogProof(7, proof.hashes, proof.checkpoint)
    with pytest.raises(
        TlogProofError, match=r"^inclusion proof does not verify: leaf index 7 is not in a tree of size 7$"
    ):
        verify_tlog_proof(beyond, entry(7), policy=POLICY)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_round_trip_and_verify(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 70))
    index = data.draw(st.integers(0, size - 1))
    extra = data.draw(st.none() | st.binary(min_size=1, max_size=40))
    proof = build(size, index, extra)
    parsed = TlogProof.parse(proof.format())
    assert parsed == proof and parsed.format() == proof.format()
    assert verify_tlog_proof(parsed, entry(index), policy=POLICY).size == size
    other = data.draw(st.integers(0, size - 1).filter(lambda j: j != index))
    with pytest.raises(TlogProofError):
        verify_tlog_proof(parsed, entry(other), policy=POLICY)


GOOD = build(5, 2).format()
HEAD, _, CP = GOOD.partition("\n\n")
H = HEAD.split("\n")  # header, index line, hashes


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace("@v1", "@v2", 1), r"^proof does not start with the line 'c2sp.org/tlog-proof@v1'$"),
        ("\n" + GOOD, r"^proof does not start with the line"),
        (HEAD + "\n", r"^proof has no empty line before the checkpoint$"),
        (HEAD + "\n" + CP, r"^proof line 6 is not valid base64: expected a base64 hash$"),  # checkpoint lines
        (GOOD.replace("index 2", "index 02"), r"^proof index '02' is not a decimal number without leading zeros$"),
        (GOOD.replace("index 2", "index -2"), r"^proof index '-2' is not a decimal"),
        (GOOD.replace("index 2", "index  2"), r"^proof index ' 2' is not a decimal"),
        (
            GOOD.replace("index 2", f"index {2**63 - 1}"),
            r"^proof index 9223372036854775807 is larger than 92233720368547758",
        ),
        (GOOD.replace("index 2", "Index 2"), r"^proof line 2 is not 'index <decimal>'$"),
        (GOOD.replace("index 2\n", ""), r"^proof line 2 is not 'index <decimal>'$"),
        (GOOD.replace("index 2\n", "extra AA==\nextra AA==\nindex 2\n"), r"^proof line 3 is not 'index <decimal>'$"),
        (
            GOOD.replace("index 2\n", "index 2\nextra AA==\n"),
            r"^proof line 3 is not valid base64: expected a base64 hash$",
        ),
        (GOOD.replace("index 2\n", "extra \nindex 2\n"), r"^proof extra data is empty: use extra=None"),
        (GOOD.replace("index 2\n", "extra AB==\nindex 2\n"), r"^proof extra data is not canonical base64$"),
        (GOOD.replace(H[2], H[2][:-2] + "B="), r"^proof line 3 is not canonical base64: expected a base64 hash$"),
        (GOOD.replace(H[2], H[2] + "AAAA"), r"^proof line 3 is not valid base64: expected a base64 hash$"),
        (GOOD.replace(H[2], "AAAA"), r"^proof line 3 is a 3-byte hash, not 32$"),
        ("\n".join(H[:2] + [H[2]] * 64) + "\n\n" + CP, r"^proof has 64 hashes, more than 63$"),
        (
            GOOD.replace("\n\n" + CP, "\n\n" + CP.replace("\n5\n", "\n05\n")),
            r"^proof checkpoint: checkpoint tree size '05'",
        ),
        (GOOD[:-1], r"^proof checkpoint: signature block is empty or does not end with a newline$"),
        (GOOD.encode()[:-3] + b"\xff=\n", r"^proof is not valid UTF-8 \(byte \d+\)$"),
    ],
)
def test_parse_rejections(text: str | bytes, message: str) -> None:
    with pytest.raises(TlogProofError, match=message):
        TlogProof.parse(text)


def test_constructor_values_are_checked_on_format() -> None:
    good = build(3, 1)
    for bad, message in [
        (TlogProof(-1, good.hashes, good.checkpoint), r"^proof index -1 is not in \[0, 2\*\*63 - 2\]$"),
        (TlogProof(1, [b"short"], good.checkpoint), r"^proof hash 0 is not 32 bytes$"),
        (TlogProof(1, good.hashes, good.checkpoint, b""), r"^proof extra data is empty"),
        (TlogProof(1, good.hashes, "not a note\n"), r"^proof checkpoint: note has no blank line"),
    ]:
        with pytest.raises(TlogProofError, match=message):
            bad.format()


def _flips(text: str) -> Iterator[tuple[int, int, bytes]]:
    data = text.encode()
    for i in range(len(data)):
        for bit in range(8):
            yield i, bit, data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]


def test_every_bit_flip_of_a_proof_is_rejected() -> None:
    """Log signature and both cosignatures required: no single flipped bit verifies."""
    proof = build(11, 6)
    for i, bit, flipped in _flips(proof.format()):
        with pytest.raises(ValueError):
            verify_tlog_proof(TlogProof.parse(flipped), entry(6), policy=POLICY)
            pytest.fail(f"flip of bit {bit} of byte {i} was accepted")


def test_bit_flips_with_extra_only_change_the_unauthenticated_extra() -> None:
    proof = build(6, 5, extra=b"context bytes")
    cp = verify_tlog_proof(proof, entry(5), policy=POLICY)
    changed_extra = 0
    for i, bit, flipped in _flips(proof.format()):
        try:
            parsed = TlogProof.parse(flipped)
            got = verify_tlog_proof(parsed, entry(5), policy=POLICY)
        except ValueError:
            continue
        assert (got, parsed.index, parsed.hashes, parsed.checkpoint) == (cp, 5, proof.hashes, proof.checkpoint)
        assert parsed.extra != proof.extra, (i, bit)
        changed_extra += 1
    assert changed_extra > 0  # the extra data is not authenticated, as the spec says


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 20), st.data())
def test_random_bit_flip_never_verifies_another_entry(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    text = build(size, index).format().encode()
    pos = data.draw(st.integers(0, len(text) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = text[:pos] + bytes([text[pos] ^ (1 << bit)]) + text[pos + 1 :]
    with pytest.raises(ValueError):
        verify_tlog_proof(TlogProof.parse(flipped), entry(index), policy=POLICY)
