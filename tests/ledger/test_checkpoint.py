"""C2SP tlog-checkpoint: the spec's example, strict parsing, round trips, signed checkpoints."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderproof.ledger.checkpoint import MAX_TREE_SIZE, Checkpoint, CheckpointError, open_checkpoint
from tenderproof.ledger.note import NoteError, parse_note, sign_note
from tests.ledger.test_note import flips, seeded_signer

# --- test vectors: c2sp.org/tlog-checkpoint and c2sp.org/tlog-witness examples -----------------
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_NOTE = (
    SPEC_BODY + "\n— example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
WITNESS_SPEC_NOTE = (  # tlog-witness add-checkpoint example: two log keys of one name
    SPEC_NOTE + "— example.com/behind-the-sofa "
    "opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
)
ROOT = bytes(range(32))


def test_spec_example_body() -> None:
    cp = Checkpoint.parse(SPEC_BODY)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.extensions == ()
    assert cp.body() == SPEC_BODY


def test_spec_example_notes() -> None:
    text, sigs = parse_note(SPEC_NOTE)
    assert Checkpoint.parse(text).size == 20852163
    assert [(s.name, s.key_id.hex(), len(s.sig)) for s in sigs] == [("example.com/behind-the-sofa", "033de0ae", 64)]
    _, sigs = parse_note(WITNESS_SPEC_NOTE)
    assert [s.key_id.hex() for s in sigs] == ["033de0ae", "a292ea05"]


def test_extensions_and_unusual_origins() -> None:
    cp = Checkpoint("example.com/log", 0, ROOT, ("ext one", "— ext two"))
    assert cp.body().endswith("\next one\n— ext two\n")
    assert Checkpoint.parse(cp.body()) == cp
    # Clients MUST NOT assume the origin avoids spaces or '+': both parse.
    assert Checkpoint.parse(f"a log+x\n1\n{base64.b64encode(ROOT).decode()}\n").origin == "a log+x"
    listed = Checkpoint("o", 1, ROOT, ["a", "b"])  # type: ignore[arg-type]
    assert listed.extensions == ("a", "b")


line_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters=[chr(c) for c in range(32)]), min_size=1
)


@given(line_text, st.integers(0, MAX_TREE_SIZE), st.binary(min_size=32, max_size=32), st.lists(line_text, max_size=3))
def test_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    cp = Checkpoint(origin, size, root, tuple(extensions))
    assert Checkpoint.parse(cp.body()) == cp
    assert Checkpoint.parse(cp.body()).body() == cp.body()


R = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "text, message",
    [
        (f"o\n1\n{R}", r"^checkpoint does not end with a newline$"),
        ("o\n1\n", r"^checkpoint has 2 lines, fewer than 3$"),
        (f"\n1\n{R}\n", r"^checkpoint origin is empty$"),
        (f"o\t1\n1\n{R}\n", r"^checkpoint origin contains control character U\+0009 at offset 1$"),
        (f"o\n01\n{R}\n", r"^checkpoint tree size '01' is not a decimal number without leading zeros$"),
        (f"o\n00\n{R}\n", r"^checkpoint tree size '00' is not a decimal"),
        (f"o\n+1\n{R}\n", r"^checkpoint tree size '\+1' is not a decimal"),
        (f"o\n-1\n{R}\n", r"^checkpoint tree size '-1' is not a decimal"),
        (f"o\n 1\n{R}\n", r"^checkpoint tree size ' 1' is not a decimal"),
        (f"o\n1_0\n{R}\n", r"^checkpoint tree size '1_0' is not a decimal"),
        (f"o\n\u0661\n{R}\n", r"^checkpoint tree size '\u0661' is not a decimal"),
        (f"o\n\n{R}\n", r"^checkpoint tree size '' is not a decimal"),
        (f"o\n{2**63}\n{R}\n", r"^checkpoint tree size 9223372036854775808 is larger than 9223372036854775807$"),
        ("o\n1\nAAAA\n", r"^checkpoint root hash is 3 bytes, not 32$"),
        (f"o\n1\n{R[:-1]}\n", r"^checkpoint root hash is not valid base64$"),
        (f"o\n1\n{R[:-2]}B=\n", r"^checkpoint root hash is not canonical base64$"),
        (f"o\n1\n-{R[1:]}\n", r"^checkpoint root hash is not valid base64$"),
        (f"o\n1\n {R}\n", r"^checkpoint root hash is not valid base64$"),
        (f"o\n1\n{R}\n\n", r"^checkpoint extension line 1 is empty$"),
        (f"o\n1\n{R}\na\n\nb\n", r"^checkpoint extension line 2 is empty$"),
    ],
)
def test_parse_rejections(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    "args, message",
    [
        (("", 1, ROOT), r"^checkpoint origin is empty$"),
        (("a\nb", 1, ROOT), r"^checkpoint origin contains control character U\+000A at offset 1$"),
        (("\ud800", 1, ROOT), r"^checkpoint origin is not valid UTF-8$"),
        (("o", -1, ROOT), r"^checkpoint tree size -1 is not in \[0, 2\*\*63 - 1\]$"),
        (("o", 2**63, ROOT), r"^checkpoint tree size 9223372036854775808 is not in"),
        (("o", True, ROOT), r"^checkpoint tree size True is not an integer$"),
        (("o", 1, ROOT[:31]), r"^checkpoint root hash is not 32 bytes$"),
        (("o", 1, ROOT, ("",)), r"^checkpoint extension line 1 is empty$"),
        (("o", 1, ROOT, ("a", "b\nc")), r"^checkpoint extension line 2 contains control character U\+000A"),
    ],
)
def test_constructor_rejections(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint(*args)


def test_open_checkpoint_and_bit_flips() -> None:
    log = seeded_signer("example.com/log", 7)
    cp = Checkpoint("example.com/log", 123, ROOT)
    note = sign_note(cp.body(), [log])
    got, opened = open_checkpoint(note, [log.verifier()])
    assert got == cp and opened.sigs[0].name == "example.com/log"
    for i, bit, flipped in flips(note.encode()):
        with pytest.raises((NoteError, CheckpointError)):
            open_checkpoint(flipped, [log.verifier()])
            pytest.fail(f"flip of bit {bit} of byte {i} was accepted")
