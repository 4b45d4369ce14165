"""The witness: cosigns only consistent checkpoints, refuses forks and rollbacks, keeps evidence."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tenderproof.instance import Settings, init
from tenderproof.ledger import witnessing
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.log import LogError
from tenderproof.ledger.note import Signer, parse_note, sign_note
from tenderproof.ledger.policy import Policy, PolicyError
from tenderproof.witness import Request, Witness, WitnessConflict, WitnessError


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def witness(tmp_path, log):
    w = Witness.init(tmp_path / "witness", "w1.example/witness", clock=Clock())
    w.trust_log(log.head().vkey)
    witnessing.add_witness(log, w.vkey)
    return w


def cosign_latest(log, w) -> list[str]:
    return witnessing.add_cosignatures(log, w.add_checkpoint(witnessing.witness_request(log, w.signer.name)))


def test_cosigns_a_growing_log_and_persists(log, witness, tmp_path):
    log.append([b"a", b"b", b"c"])
    assert cosign_latest(log, witness) == ["w1.example/witness"]
    log.append([b"d"] * 300)
    assert cosign_latest(log, witness) == ["w1.example/witness"]
    reopened = Witness(tmp_path / "witness")
    held = reopened.state()["logs"][log.head().origin]
    assert held["size"] == 303
    assert stat.S_IMODE(os.stat(tmp_path / "witness" / "witness.key").st_mode) == 0o600
    # The log's checkpoint now carries the cosignature and satisfies a 1-of-1 policy.
    pol = Policy.parse(witnessing.policy(log))
    assert pol.verify_checkpoint(log.checkpoint()).size == 303


def test_same_size_different_root_is_refused_and_both_kept(log, witness, tmp_path):
    log.append([b"honest"])
    cosign_latest(log, witness)
    # The log's operator (who holds the key) signs a second history of the same size.
    signer = Signer.from_skey((tmp_path / "data" / "log.key").read_text().strip())
    head = log.head()
    forged = sign_note(Checkpoint(head.origin, 1, b"\x07" * 32).body(), [signer])
    with pytest.raises(WitnessConflict) as e:
        witness.add_checkpoint(Request(1, [], forged).format())
    assert e.value.status == 409 and e.value.size == 1
    ev = witness.state()["evidence"]
    assert len(ev) == 1 and "fork" in ev[0]["reason"]
    assert ev[0]["held"].startswith(parse_note(log.checkpoint())[0]) and forged in ev[0]["offered"]
    assert witness.state()["logs"][head.origin]["size"] == 1  # still holds the honest one


def test_inconsistent_extension_is_refused_with_evidence(log, witness, tmp_path):
    log.append([b"x", b"y"])
    cosign_latest(log, witness)
    signer = Signer.from_skey((tmp_path / "data" / "log.key").read_text().strip())
    forged = sign_note(Checkpoint(log.head().origin, 5, b"\x01" * 32).body(), [signer])
    with pytest.raises(WitnessError) as e:
        witness.add_checkpoint(Request(2, [b"\x02" * 32, b"\x03" * 32], forged).format())
    assert e.value.status == 422
    assert "inconsistent" in witness.state()["evidence"][0]["reason"]


def test_rollback_and_stale_old_size_are_refused(log, witness):
    log.append([b"1", b"2", b"3", b"4"])
    old_note = log.checkpoint()
    log.append([b"5"])
    cosign_latest(log, witness)  # witness now holds size 5
    with pytest.raises(WitnessError) as e:  # offering size 4 with old = 5
        witness.add_checkpoint(Request(5, [], old_note).format())
    assert e.value.status == 400
    with pytest.raises(WitnessConflict) as c:  # a stale old size
        witness.add_checkpoint(Request(4, [], old_note).format())
    assert c.value.size == 5
    assert witness.state()["logs"][log.head().origin]["size"] == 5


def test_unknown_log_and_bad_signature(tmp_path, log, witness):
    other = init(Settings(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}"), origin="other.example/log")
    other.append([b"z"])
    with pytest.raises(WitnessError) as e:
        witness.add_checkpoint(Request(0, [], other.checkpoint()).format())
    assert e.value.status == 404
    other.db.dispose()
    impostor = Signer.generate(log.head().origin)
    log.append([b"q"])
    forged = sign_note(Checkpoint(log.head().origin, 1, log.head().root).body(), [impostor])
    with pytest.raises(WitnessError) as e:
        witness.add_checkpoint(Request(0, [], forged).format())
    assert e.value.status == 403


@pytest.mark.parametrize(
    "body, message",
    [
        ("old 01\n\nx", "old <size>"),
        ("old 1\nnot-base64!\n\nx", "proof line 1"),
        ("old 1\n", "empty line"),
        ("old 0\n\nnot a checkpoint\n", "malformed"),
    ],
)
def test_malformed_requests(witness, body, message):
    with pytest.raises(WitnessError, match=message):
        witness.add_checkpoint(body)
    assert witness.state()["evidence"] == []


def test_log_refuses_cosignatures_that_do_not_verify(log, witness):
    log.append([b"a"])
    line = witness.add_checkpoint(witnessing.witness_request(log, witness.signer.name))
    log.append([b"b"])
    log.checkpoint()
    with pytest.raises(LogError, match="cosignatures refused"):  # cosigned size 1, offered for size 2
        witnessing.add_cosignatures(log, line)
    assert witnessing.add_cosignatures(log, line, size=1) == ["w1.example/witness"]


def test_policy_quorum(log, witness, tmp_path):
    w2 = Witness.init(tmp_path / "w2", "w2.example/witness", clock=Clock())
    w2.trust_log(log.head().vkey)
    witnessing.add_witness(log, w2.vkey)
    log.append([b"a"])
    cosign_latest(log, witness)
    two = Policy.parse(witnessing.policy(log))
    with pytest.raises(PolicyError, match="quorum"):
        two.verify_checkpoint(log.checkpoint())
    assert Policy.parse(witnessing.policy(log, quorum=1)).verify_checkpoint(log.checkpoint()).size == 1
    cosign_latest(log, w2)
    assert two.verify_checkpoint(log.checkpoint()).size == 1
    # A cosignature line from an unregistered key is ignored, not attached.
    stranger = Witness.init(tmp_path / "w3", "w3.example/witness", clock=Clock())
    stranger.trust_log(log.head().vkey)
    stranger_line = stranger.add_checkpoint(witnessing.witness_request(log, "w1.example/witness", old_size=0))
    assert witnessing.add_cosignatures(log, stranger_line) == []


def test_state_file_is_valid_json_after_every_call(log, witness, tmp_path):
    for i in range(5):
        log.append([f"e{i}".encode()])
        cosign_latest(log, witness)
        json.loads((tmp_path / "witness" / "state.json").read_text())
    assert not [p for p in (tmp_path / "witness").iterdir() if p.name.endswith(".tmp")]
