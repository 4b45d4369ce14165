"""`tenderproof witness serve`: C2SP tlog-witness over real HTTP, driven by the log's own requests.

Status codes are those of https://c2sp.org/tlog-witness ("add-checkpoint"): 200 cosignature,
409 `text/x.tlog.size` with the latest size (stale old size; same size, other root), 422 a proof
that does not verify, 404 an unknown origin, 403 no trusted signature, 400 malformed or old size
above the checkpoint's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn

from tenderproof.instance import Settings, init
from tenderproof.ledger import witnessing
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.cosignature import CosignatureVerifier, verifier_from_vkey
from tenderproof.ledger.note import Signer, add_signatures, open_note, parse_note, sign_note
from tenderproof.witness import Request, Witness
from tenderproof.witness.server import MAX_BODY, SIZE_TYPE, create_app

NAME = "w1.example/witness"


@contextlib.contextmanager
def serving(directory: Path, **limits) -> Iterator[str]:
    """The witness app under uvicorn on a loopback socket bound before it starts."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    app = create_app(Witness(directory), **limits)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture
def wdir(tmp_path, log) -> Path:
    w = Witness.init(tmp_path / "witness", NAME)
    w.trust_log(log.head().vkey)
    witnessing.add_witness(log, w.vkey)
    return tmp_path / "witness"


@pytest.fixture
def url(wdir) -> Iterator[str]:
    with serving(wdir) as u:
        yield u


@pytest.fixture
def fork(tmp_path, settings, log, wdir):
    """A second history under the same log key and origin: what a compromised operator can sign."""
    s = Settings(tmp_path / "fork", f"sqlite:///{tmp_path / 'fork.db'}")
    s.data_dir.mkdir()
    shutil.copy(settings.key_path, s.key_path)
    os.chmod(s.key_path, 0o600)
    lg = init(s, origin=log.head().origin)
    witnessing.add_witness(lg, Witness(wdir).vkey)
    yield lg
    lg.db.dispose()


def post(url: str, body: str | bytes) -> httpx.Response:
    return httpx.post(f"{url}/add-checkpoint", content=body.encode() if isinstance(body, str) else body)


def test_cosigns_and_the_log_accepts(log, url):
    log.append([b"a", b"b", b"c"])
    r = post(url, witnessing.witness_request(log, NAME))
    assert r.status_code == 200 and r.text.startswith(f"\u2014 {NAME} ") and r.text.endswith("\n")
    assert witnessing.add_cosignatures(log, r.text) == [NAME]
    log.append([b"d"] * 40)
    r = post(url, witnessing.witness_request(log, NAME))  # old 3 and a real consistency proof
    assert r.status_code == 200 and witnessing.add_cosignatures(log, r.text) == [NAME]
    about = httpx.get(f"{url}/").json()
    held = about["logs"][log.head().origin]
    assert about["name"] == NAME
    assert held["size"] == 43 and parse_note(held["checkpoint"])[0] == parse_note(log.checkpoint())[0]
    assert httpx.get(f"{url}/evidence").json() == []


def test_about_names_the_witness(wdir, url, log):
    about = httpx.get(f"{url}/").json()
    assert about == {"name": NAME, "vkey": Witness(wdir).vkey,
                     "logs": {log.head().origin: {"size": 0, "root": None, "checkpoint": None,
                                                  "vkeys": [log.head().vkey]}}}


def test_checkpoint_route_serves_the_latest_cosigned_note_with_its_cosignature(log, url, wdir):
    origin = log.head().origin  # has a slash: the route takes the rest of the path
    r = httpx.get(f"{url}/checkpoint/{origin}")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"  # nothing cosigned yet
    assert httpx.get(f"{url}/checkpoint/other.example/log").status_code == 404
    log.append([b"a", b"b"])
    assert post(url, witnessing.witness_request(log, NAME)).status_code == 200
    log.append([b"c"])  # signed by the log, not yet sent to the witness: not served
    log.checkpoint()
    r = httpx.get(f"{url}/checkpoint/{origin}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    opened = open_note(r.text, [verifier_from_vkey(log.head().vkey), CosignatureVerifier.from_vkey(Witness(wdir).vkey)])
    assert sorted(s.name for s in opened.sigs) == sorted([origin, NAME])  # the log's and the witness's
    cp = Checkpoint.parse(parse_note(r.text)[0])
    assert (cp.origin, cp.size) == (origin, 2)
    held = Witness(wdir).state()["logs"][origin]["checkpoint"]
    assert parse_note(r.text)[0] == parse_note(held)[0]
    assert {s.line for s in parse_note(held)[1]} <= {s.line for s in parse_note(r.text)[1]}  # the log's own line kept


def test_stale_old_size_is_409_with_the_size_and_a_retry_succeeds(log, url):
    log.append([b"1", b"2", b"3"])
    assert post(url, witnessing.witness_request(log, NAME)).status_code == 200  # the log never hears back
    log.append([b"4"])
    r = post(url, witnessing.witness_request(log, NAME))  # the log believes old 0
    assert (r.status_code, r.headers["content-type"], r.text) == (409, SIZE_TYPE, "3\n")
    r = post(url, witnessing.witness_request(log, NAME, old_size=int(r.text)))
    assert r.status_code == 200 and witnessing.add_cosignatures(log, r.text) == [NAME]


def test_split_view_is_refused_kept_and_survives_a_restart(log, fork, wdir):
    log.append([b"honest-1", b"honest-2"])
    with serving(wdir) as url:
        r = post(url, witnessing.witness_request(log, NAME))
        assert r.status_code == 200
        witnessing.add_cosignatures(log, r.text)
        honest = log.checkpoint()
        fork.append([b"forged-1", b"forged-2"])  # same size, another root, the log's own key
        same_size = witnessing.witness_request(fork, NAME, old_size=2)
        r = post(url, same_size)
        assert (r.status_code, r.headers["content-type"], r.text) == (409, SIZE_TYPE, "2\n")
        fork.append([b"forged-3"])  # a real proof, but of the other history
        r = post(url, witnessing.witness_request(fork, NAME, old_size=2))
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        # The same evidence again is not kept twice, even with other signature lines on the note.
        fork_note = same_size.partition("\n\n")[2]
        other = sign_note(parse_note(fork_note)[0], [Signer.generate("someone.example/else")])
        for again in (same_size, Request(2, [], add_signatures(fork_note, other.partition("\n\n")[2])).format()):
            assert post(url, again).status_code == 409
        kept = httpx.get(f"{url}/evidence").json()
    assert [e["reason"].split(":")[0] for e in kept] == ["fork", "inconsistent"]
    for e in kept:
        assert e["origin"] == log.head().origin
        assert parse_note(e["held"])[0] == parse_note(honest)[0]
    assert kept[0]["offered"] == same_size
    assert parse_note(kept[1]["offered"].partition("\n\n")[2])[0] == parse_note(fork.checkpoint())[0]
    with serving(wdir) as url:  # a new server process over the same directory
        assert httpx.get(f"{url}/evidence").json() == kept
        assert httpx.get(f"{url}/").json()["logs"][log.head().origin]["size"] == 2
        log.append([b"honest-3"])  # the honest history still extends
        r = post(url, witnessing.witness_request(log, NAME))
        assert r.status_code == 200 and witnessing.add_cosignatures(log, r.text) == [NAME]


def test_rollback_is_refused(log, url):
    log.append([b"1", b"2", b"3", b"4"])
    smaller = log.checkpoint()
    log.append([b"5"])
    assert post(url, witnessing.witness_request(log, NAME)).status_code == 200
    r = post(url, Request(5, [], smaller).format())  # old above the checkpoint's size
    assert r.status_code == 400 and r.json()["status"] == 400
    r = post(url, Request(4, [], smaller).format())
    assert (r.status_code, r.text) == (409, "5\n")
    assert httpx.get(f"{url}/").json()["logs"][log.head().origin]["size"] == 5


def test_unknown_log_and_untrusted_signature(tmp_path, log, url):
    other = init(Settings(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}"), origin="other.example/log")
    other.append([b"z"])
    r = post(url, Request(0, [], other.checkpoint()).format())
    assert r.status_code == 404 and "unknown log origin" in r.json()["detail"]
    other.db.dispose()
    log.append([b"q"])
    impostor = Signer.generate(log.head().origin)
    forged = sign_note(Checkpoint(log.head().origin, 1, log.head().root).body(), [impostor])
    assert post(url, Request(0, [], forged).format()).status_code == 403


@pytest.mark.parametrize("body", [b"old 01\n\nx", b"old 1\nnot-base64!\n\nx", b"old 1\n", b"old 0\n\nnot a checkpoint\n",
                                  b"\xff\xfe old 0\n\n", b""])
def test_malformed_bodies_are_400_problems(url, body):
    r = post(url, body)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"]


def test_oversized_bodies_are_413_declared_or_streamed(log, url):
    log.append([b"a"])
    padded = "x" * (MAX_BODY + 1)
    r = post(url, padded)  # declared by Content-Length
    assert r.status_code == 413 and r.headers["connection"] == "close"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"y" * 1024

    r = httpx.post(f"{url}/add-checkpoint", content=chunks())
    assert r.status_code == 413
    # A request of the largest legitimate shape (63 proof lines) is well under the limit.
    assert len(Request(1, [b"\0" * 32] * 63, log.checkpoint()).format()) < MAX_BODY // 4
    assert httpx.get(f"{url}/add-checkpoint").status_code == 405


def test_a_stalled_body_is_cut_off(wdir):
    with serving(wdir, body_timeout=0.3) as url, socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as s:
        s.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: 100\r\n\r\nold 0\n")
        s.settimeout(10)
        assert s.recv(4096).startswith(b"HTTP/1.1 408 ")


def test_concurrent_requests_never_lose_a_cosignature_nor_cosign_a_fork(log, fork, url, wdir):
    """Clients race with checkpoints of two histories under one key (sizes 1..8 of each); each
    starts from old 0 and follows the 409s. One history wins; its newest checkpoint is cosigned,
    no checkpoint of the other is, and the witness ends at the newest size, not below."""
    histories = {"honest": log, "fork": fork}
    notes: dict[tuple[str, int], str] = {}
    proofs: dict[tuple[str, int, int], list[bytes]] = {}
    for name, lg in histories.items():
        for size in range(1, 9):
            lg.append([f"{name}-{size}".encode()])
            notes[name, size] = lg.checkpoint()
        for new in range(2, 9):
            for old in range(1, new):
                proofs[name, old, new] = lg.consistency_proof(old, new)
    client = httpx.Client(timeout=60)

    def run(name: str, size: int) -> list[tuple[int, str]]:
        old, answers = 0, []
        while True:
            proof = proofs[name, old, size] if 0 < old < size else []
            r = client.post(f"{url}/add-checkpoint", content=Request(old, proof, notes[name, size]).format())
            answers.append((r.status_code, r.text))
            if r.status_code != 409 or int(r.text) >= size:
                return answers
            old = int(r.text)

    jobs = [(name, size) for size in range(8, 0, -1) for name in histories]
    with ThreadPoolExecutor(8) as pool:
        results = dict(zip(jobs, pool.map(lambda job: run(*job), jobs), strict=True))
    client.close()
    cosigned = {job for job, answers in results.items() if answers[-1][0] == 200}
    winners = {name for name, _ in cosigned}
    assert len(winners) == 1, cosigned  # never both histories
    (winner,) = winners
    assert (winner, 8) in cosigned
    verifier = CosignatureVerifier.from_vkey(Witness(wdir).vkey)
    for job in cosigned:  # each 200 is a valid cosignature on its own checkpoint
        open_note(add_signatures(notes[job], results[job][-1][1]), [verifier])
    for answers in results.values():
        assert {status for status, _ in answers} <= {200, 409, 422}
    held = Witness(wdir).state()["logs"][log.head().origin]
    assert held["size"] == 8 and held["checkpoint"] == notes[winner, 8]


def test_kill_9_after_an_answer_keeps_the_cosigned_size(log, wdir):
    def start() -> tuple[subprocess.Popen[bytes], str]:
        proc = subprocess.Popen([sys.executable, "-m", "tenderproof", "witness", "serve", "--dir", str(wdir),
                                 "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        first = proc.stdout.readline().decode()
        assert first.startswith(f"witness {NAME} serving on http://127.0.0.1:"), first + proc.stderr.read().decode()
        return proc, first.split(" on ")[1].strip()

    log.append([b"a"] * 7)
    proc, url = start()
    try:
        r = post(url, witnessing.witness_request(log, NAME))
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert Witness(wdir).state()["logs"][log.head().origin]["size"] == 7
    proc, url = start()
    try:
        log.append([b"b"])
        r = post(url, witnessing.witness_request(log, NAME))  # the log never stored the answer: old 0
        assert (r.status_code, r.text) == (409, "7\n")
        r = post(url, witnessing.witness_request(log, NAME, old_size=7))
        assert r.status_code == 200 and witnessing.add_cosignatures(log, r.text) == [NAME]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
