"""C2SP tlog-policy: the spec's example, strict syntax, quorum evaluation on real checkpoints."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.cosignature import CosignatureSigner
from tenderproof.ledger.note import Signer, add_signatures, sign_note
from tenderproof.ledger.policy import Policy, PolicyError
from tests.ledger.test_note import seeded_key, seeded_signer

ORIGIN = "example.com/log"
LOG = seeded_signer(ORIGIN, 100)
OTHER_LOG = seeded_signer("example.org/other", 101)
W = [CosignatureSigner(f"witness{i}.example", seeded_key(200 + i)) for i in range(8)]
BODY = Checkpoint(ORIGIN, 42, bytes(range(32))).body()
T = 1_700_000_000


def spec_example() -> str:
    """The c2sp.org/tlog-policy example, with real keys in place of <vkey>."""
    return f"""log {LOG.vkey}

witness X1 {W[0].vkey}
witness X2 {W[1].vkey}
witness X3 {W[2].vkey}
group X-witnesses 2 X1 X2 X3

witness Y1 {W[3].vkey}
witness Y2 {W[4].vkey}
witness Y3 {W[5].vkey}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
"""


def cosigned(*witnesses: CosignatureSigner, body: str = BODY, log: Signer = LOG) -> str:
    note = sign_note(body, [log])
    lines = "".join(w.cosignature_line(body, T) for w in witnesses)
    return add_signatures(note, lines) if lines else note


def test_spec_example() -> None:
    p = Policy.parse(spec_example())
    assert [log.verifier.name for log in p.logs] == [ORIGIN]
    assert sorted(p.witnesses) == ["X1", "X2", "X3", "Y1", "Y2", "Y3"]
    assert (p.groups["X-witnesses"].threshold, p.groups["Y-witnesses"].threshold) == (2, 1)
    assert p.groups["X-and-Y"].threshold == 2 and p.quorum == "X-and-Y"
    assert p.quorum_met({"X1", "X3", "Y2"})
    assert not p.quorum_met({"X1", "Y1", "Y2", "Y3"})
    assert not p.quorum_met({"X1", "X2", "X3"})
    assert p.verify_checkpoint(cosigned(W[0], W[2], W[4])) == Checkpoint.parse(BODY)
    with pytest.raises(
        PolicyError, match=r"^cosignatures from 3 witnesses \(X1, Y1, Y2\) do not satisfy quorum 'X-and-Y'$"
    ):
        p.verify_checkpoint(cosigned(W[0], W[3], W[4]))


def k_of_n(k: int, n: int) -> Policy:
    lines = [f"log {LOG.vkey}", *(f"witness w{i} {W[i].vkey}" for i in range(n))]
    lines += [f"group g {k} " + " ".join(f"w{i}" for i in range(n)), "quorum g"]
    return Policy.parse("\n".join(lines) + "\n")


def test_two_of_three_quorum() -> None:
    p = k_of_n(2, 3)
    with pytest.raises(PolicyError, match=r"^cosignatures from 1 witnesses \(w0\) do not satisfy quorum 'g'$"):
        p.verify_checkpoint(cosigned(W[0]))
    assert p.verify_checkpoint(cosigned(W[0], W[2])).size == 42
    assert p.verify_checkpoint(cosigned(W[0], W[1], W[2])).size == 42
    # A cosignature from a witness the policy does not know does not count.
    with pytest.raises(PolicyError, match=r"^cosignatures from 1 witnesses \(w1\) do not satisfy"):
        p.verify_checkpoint(cosigned(W[1], W[6], W[7]))
    with pytest.raises(PolicyError, match=r"^cosignatures from 0 witnesses \(none\) do not satisfy"):
        p.verify_checkpoint(cosigned())


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_k_of_n_property(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 5))
    k = data.draw(st.integers(1, n))
    signing = data.draw(st.sets(st.integers(0, n - 1)))
    strangers = data.draw(st.sets(st.integers(5, 7)))  # keys the policy does not list
    note = cosigned(*(W[i] for i in sorted(signing | strangers)))
    p = k_of_n(k, n)
    if len(signing) >= k:
        assert p.verify_checkpoint(note.encode()).size == 42
    else:
        with pytest.raises(PolicyError, match=r"do not satisfy quorum 'g'$"):
            p.verify_checkpoint(note)


def test_log_signature_is_required_and_chosen_by_origin() -> None:
    p = Policy.parse(f"log {OTHER_LOG.vkey}\nlog {LOG.vkey} https://log.example\nquorum none\n")
    assert p.logs[1].url == "https://log.example"
    assert p.verify_checkpoint(cosigned()).origin == ORIGIN
    other = Checkpoint("example.org/other", 1, bytes(32)).body()
    assert p.verify_checkpoint(sign_note(other, [OTHER_LOG])).origin == "example.org/other"
    # Signed by a policy log, but one whose name is not the checkpoint's origin.
    with pytest.raises(PolicyError, match=r"^checkpoint note does not verify: note has no signature from a known key"):
        p.verify_checkpoint(sign_note(BODY, [OTHER_LOG]))
    with pytest.raises(PolicyError, match=r"^policy has no log for origin 'nowhere.example'$"):
        p.verify_checkpoint(sign_note(Checkpoint("nowhere.example", 1, bytes(32)).body(), [LOG]))
    # A witness cosignature alone does not stand in for the log's signature.
    q = Policy.parse(f"log {LOG.vkey}\nwitness a {W[0].vkey}\nquorum a\n")
    only_witness = sign_note(BODY, [seeded_signer("impostor", 1)])
    only_witness = add_signatures(only_witness, W[0].cosignature_line(BODY, T))
    with pytest.raises(PolicyError, match=r"^checkpoint is not signed by a policy log for origin 'example.com/log'$"):
        q.verify_checkpoint(only_witness)
    # Policies whose logs come from context.
    r = Policy.parse(f"witness a {W[0].vkey}\nquorum a\n")
    assert r.verify_checkpoint(cosigned(W[0]), log_verifiers=[LOG.verifier()]).size == 42
    with pytest.raises(PolicyError, match=r"^policy has no log for origin"):
        r.verify_checkpoint(cosigned(W[0]))


def test_bad_cosignature_from_known_witness_rejects_the_note() -> None:
    p = k_of_n(1, 2)
    forged = add_signatures(cosigned(W[0]), W[1].cosignature_line(Checkpoint(ORIGIN, 43, bytes(32)).body(), T))
    with pytest.raises(PolicyError, match=r"^checkpoint note does not verify: invalid signature for key witness1"):
        p.verify_checkpoint(forged)
    with pytest.raises(PolicyError, match=r"^checkpoint note is malformed: note has no blank line"):
        p.verify_checkpoint(BODY)


def test_syntax_details() -> None:
    text = (
        f"  # leading comment\n\t\n  log\t{LOG.vkey}  \n"
        f"witness  K {W[0].vkey} https://w.example/prefix#frag\n"
        f"witness \u212a {W[1].vkey}\n"  # KELVIN SIGN: a different name from K
        "group both all K \u212a\n# trailing comment \xff\nquorum both\n"
    )
    p = Policy.parse(text)
    assert p.witnesses["K"].url == "https://w.example/prefix#frag"
    assert set(p.witnesses) == {"K", "\u212a"} and p.groups["both"].threshold == 2
    raw = text.replace("\xff", "").encode() + b"# opaque octets \xff\xfe\n"
    assert Policy.parse(raw).quorum == "both"
    assert Policy.parse(b"quorum none\n").quorum_met(())
    group_k = Policy.parse(f"witness a {W[0].vkey}\nwitness b {W[1].vkey}\ngroup g 02 a b\nquorum g\n")
    assert group_k.groups["g"].threshold == 2


w0, w1 = W[0].vkey, W[1].vkey


@pytest.mark.parametrize(
    "text, message",
    [
        ("", r"^policy file has no quorum line$"),
        ("# only a comment\n", r"^policy file has no quorum line$"),
        ("quorum none", r"^policy file does not end with a newline$"),
        ("quorum none\r\n", r"^line 1: octet 0x0d is not allowed in a policy file$"),
        ("quorum\x00 none\n", r"^line 1: octet 0x00 is not allowed"),
        ("\nquorum none\x7f\n", r"^line 2: octet 0x7f is not allowed"),
        ("logs x\nquorum none\n", r"^line 1: unknown keyword 'logs'$"),
        ("quorum none\nquorum none\n", r"^line 2: policy file has more than one quorum line$"),
        ("quorum a\n", r"^line 1: quorum 'a' is not defined on an earlier line$"),
        ("quorum\n", r"^line 1: a quorum line is 'quorum <name>'$"),
        (f"quorum a\nwitness a {w0}\n", r"^line 1: quorum 'a' is not defined"),
        ("log\nquorum none\n", r"^line 1: a log line is 'log <vkey> \[<url>\]'$"),
        (f"log {LOG.vkey} u # comment\nquorum none\n", r"^line 1: a log line is"),
        (f"log {w0}\nquorum none\n", r"^line 1: vkey signature type is 0x04, not 0x01 \(Ed25519\)$"),
        (
            f"log {LOG.vkey}\nlog {LOG.vkey}\nquorum none\n",
            r"^line 2: duplicate log: the key of '.*' is already a log$",
        ),
        ("witness a\nquorum none\n", r"^line 1: a witness line is 'witness <name> <vkey> \[<url>\]'$"),
        (f"witness a {LOG.vkey}\nquorum none\n", r"^line 1: vkey signature type is 0x01, not 0x04"),
        (f"witness a {w0}x\nquorum none\n", r"^line 1: vkey key material is not valid base64$"),
        (f"witness a {w0}\nwitness a {w1}\nquorum none\n", r"^line 2: name 'a' is already defined$"),
        (f"witness none {w0}\nquorum none\n", r"^line 1: name 'none' is already defined$"),
        (
            f"witness a {w0}\nwitness b {w0.replace('witness0', 'witnessZ', 1)}\nquorum none\n",
            r"^line 2: vkey key ID [0-9a-f]{8} does not match",
        ),
        (
            f"witness a {w0}\ngroup g any\nquorum g\n",
            r"^line 2: a group line is 'group <name> all\|any\|<k> <name>...'",
        ),
        (f"witness a {w0}\ngroup g 0 a\nquorum g\n", r"^line 2: group 'g' threshold '0' is not all, any or k in 1..1$"),
        (f"witness a {w0}\ngroup g 2 a\nquorum g\n", r"^line 2: group 'g' threshold '2' is not all"),
        (f"witness a {w0}\ngroup g two a\nquorum g\n", r"^line 2: group 'g' threshold 'two' is not all"),
        (f"witness a {w0}\ngroup g +1 a\nquorum g\n", r"^line 2: group 'g' threshold '\+1' is not all"),
        (
            f"witness a {w0}\ngroup g any b\nquorum g\n",
            r"^line 2: group 'g' member 'b' is not defined on an earlier line$",
        ),
        (
            f"witness a {w0}\ngroup g any a none\nquorum g\n",
            r"^line 2: group 'g' lists 'none', which cannot be a group",
        ),
        (f"witness a {w0}\ngroup g any a a\nquorum g\n", r"^line 2: 'a' is listed as a group member more than once$"),
        (
            f"witness a {w0}\nwitness b {w1}\ngroup g any a\ngroup h all a b\nquorum h\n",
            r"^line 4: 'a' is listed as a group member more than once$",
        ),
        (f"witness a {w0}\ngroup a any a\nquorum a\n", r"^line 2: name 'a' is already defined$"),
    ],
)
def test_rejections(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.parse(text)


def test_duplicate_witness_key_under_another_name() -> None:
    same_key = CosignatureSigner("other-name.example", seeded_key(200))
    with pytest.raises(PolicyError, match=r"^line 2: duplicate witness: the key of '.*' is already a witness$"):
        Policy.parse(f"witness a {W[0].vkey}\nwitness b {same_key.vkey}\nquorum none\n")
