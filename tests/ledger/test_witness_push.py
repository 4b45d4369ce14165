"""The log pushes its checkpoints to witnesses over HTTP (ledger.witness_push), and a checkpoint is
"cosigned" once the tlog-policy's quorum has answered.

Real witnesses, in-process: `tenderproof.witness.Witness` served by the witness's own ASGI app
(`tenderproof.witness.server`) under uvicorn on 127.0.0.1 sockets bound before the server starts.
A witness that is down is a socket that accepts connections and never answers; a lying witness
answers with its real cosignature, one bit of the signature flipped.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from typer.testing import CliRunner

from tenderproof.api import create_app as api_app
from tenderproof.app.service import Procurement
from tenderproof.cli import app as cli_app
from tenderproof.ledger import witness_push, witnessing
from tenderproof.ledger.policy import Policy
from tenderproof.ledger.tables import log_cosignatures
from tenderproof.ledger.witness_push import Pusher
from tenderproof.witness import Witness
from tenderproof.witness.server import create_app as witness_app

WAIT = 15.0  # seconds: an upper bound for waits that normally end in milliseconds


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """Serve an ASGI app on a loopback socket bound (and listening) before uvicorn starts."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextlib.contextmanager
def silent() -> Iterator[str]:
    """A witness that is down: its socket accepts connections (the kernel's backlog) but nobody
    ever reads or answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def recording(app, statuses: list[int]):
    """The app, with the status of each of its answers appended to `statuses`."""
    async def wrapped(scope, receive, send):
        async def send_recording(message):
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            await send(message)
        await app(scope, receive, send_recording)
    return wrapped


def lying(w: Witness) -> Starlette:
    """A witness that cosigns for real, then flips a bit of the signature it sends back."""
    async def add(request: Request) -> Response:
        line = w.add_checkpoint(await request.body())
        head, sig = line.rstrip("\n").rsplit(" ", 1)
        raw = bytearray(base64.b64decode(sig))
        raw[-1] ^= 1
        return PlainTextResponse(f"{head} {base64.b64encode(bytes(raw)).decode()}\n")
    return Starlette(routes=[Route("/add-checkpoint", add, methods=["POST"])])


def make_witnesses(tmp_path, log, n: int) -> list[Witness]:
    out = []
    for i in range(1, n + 1):
        w = Witness.init(tmp_path / f"w{i}", f"w{i}.example/witness")
        w.trust_log(log.head().vkey)
        out.append(w)
    return out


@contextlib.contextmanager
def pushing(log) -> Iterator[Pusher]:
    pusher = Pusher(log)
    stop = threading.Event()
    thread = threading.Thread(target=pusher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield pusher
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def grow(log, *entries: bytes) -> int:
    """Append and sign the checkpoint, as a batch of the writer does; the new size."""
    log.append(list(entries))
    log.checkpoint()
    return log.head().size


def status(pusher: Pusher, name: str) -> witness_push.WitnessStatus:
    """The witness's status; a blank one until the pusher has read the witnesses."""
    return next((s for s in pusher.status() if s.name == name), witness_push.WitnessStatus(name, "", 0))


def all_at(pusher: Pusher, size: int, n: int) -> bool:
    """Whether all `n` witnesses have cosigned `size` (an empty status is not "all")."""
    got = pusher.status()
    return len(got) == n and all(s.cosigned_size == size for s in got)


def cosigners(log, size: int) -> set[str]:
    with log.db.reader.connect() as conn:
        c = log_cosignatures.c
        return {r.key_name for r in conn.execute(sa.select(c.key_name).where(c.size == size))}


@pytest.fixture
def three(log, tmp_path):
    """Three real witnesses registered with the log (URLs set below by each test), quorum 2."""
    ws = make_witnesses(tmp_path, log, 3)
    for w in ws:
        witnessing.add_witness(log, w.vkey)
    witnessing.set_quorum(log, 2)
    return ws


def register(log, ws: list[Witness], urls: list[str]) -> None:
    for w, url in zip(ws, urls, strict=True):
        witnessing.add_witness(log, w.vkey, url)  # again: sets the URL


def test_three_witnesses_cosign_every_new_checkpoint(log, three):
    with contextlib.ExitStack() as stack:
        register(log, three, [stack.enter_context(serving(witness_app(w))) for w in three])
        size = grow(log, b"a", b"b")
        pusher = stack.enter_context(pushing(log))
        assert pusher.wait_for(lambda: all_at(pusher, size, 3), WAIT)
        assert cosigners(log, size) == {w.name for w in three}
        size = grow(log, b"c", b"d", b"e")  # the next checkpoint: pushed with a consistency proof from 2
        assert pusher.wait_for(lambda: all_at(pusher, size, 3), WAIT)
        assert all(s.last_error is None and s.failures == 0 for s in pusher.status())
    note = witnessing.cosigned_checkpoint(log, Policy.parse(witnessing.policy(log)))
    assert note is not None and note.split("\n")[1] == str(size)
    assert all(f"— {w.name} " in note for w in three)
    assert {w.state()["logs"][log.head().origin]["size"] for w in three} == {size}


def test_a_witness_that_is_down_blocks_neither_appends_nor_the_quorum(log, three, tmp_path):
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(serving(witness_app(w))) for w in three[:2]] + [stack.enter_context(silent())]
        register(log, three, urls)
        pusher = stack.enter_context(pushing(log))
        down = three[2].name
        size = grow(log, b"first")
        assert pusher.wait_for(lambda: status(pusher, down).in_flight, WAIT)
        # While the request to the silent witness hangs, the log goes on: every append and
        # checkpoint returns at once (nothing waits on a witness), and the other two cosign.
        slowest = 0.0
        for i in range(20):
            t0 = time.perf_counter()
            size = grow(log, f"entry {i}".encode())
            slowest = max(slowest, time.perf_counter() - t0)
        assert slowest < 1.0, f"an append took {slowest:.3f} s while a witness was down"
        assert status(pusher, down).in_flight  # the 2-s read timeout has not cut it off yet
        assert pusher.wait_cosigned(size, WAIT)
        assert pusher.wait_for(lambda: status(pusher, down).failures >= 1, WAIT)
        dead = status(pusher, down)
        assert dead.cosigned_size == 0 and "timed out" in (dead.last_error or "") and dead.last_attempt
        assert cosigners(log, size) == {three[0].name, three[1].name}
    # 2 of 3 meet the policy: the cosigned proof verifies with `verify --policy`.
    proof = witnessing.cosigned_proof(log, 3, Policy.parse(witnessing.policy(log)))
    assert verify_cli(tmp_path, proof.format(), b"entry 2", witnessing.policy(log)) == (0, "valid")


def test_a_lying_witness_is_ignored_and_its_error_kept(log, three):
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(serving(witness_app(w))) for w in three[:2]]
        urls.append(stack.enter_context(serving(lying(three[2]))))
        register(log, three, urls)
        size = grow(log, b"x", b"y")
        pusher = stack.enter_context(pushing(log))
        liar = three[2].name
        assert pusher.wait_for(lambda: status(pusher, liar).failures >= 1, WAIT)
        assert pusher.wait_cosigned(size, WAIT)
        bad = status(pusher, liar)
        assert bad.cosigned_size == 0 and "invalid signature" in (bad.last_error or "")
        assert bad.retry_at > 0  # asked again later, with backoff
    assert cosigners(log, size) == {three[0].name, three[1].name}  # nothing of the liar's line is kept
    assert witness_push.status_of(log) is not None  # the log page finds the pusher's status


def test_409_from_a_witness_that_knows_a_later_size_is_retried_from_that_size(log, three):
    w = three[0]
    grow(log, b"one", b"two")
    # The witness cosigned size 2 (say, for another process of the log) but this log never kept it.
    w.add_checkpoint(witnessing.witness_request(log, w.name))
    assert cosigners(log, 2) == set()
    size = grow(log, b"three", b"four", b"five")
    statuses: list[int] = []
    with serving(recording(witness_app(w), statuses)) as url:
        witnessing.add_witness(log, w.vkey, url)
        with pushing(log) as pusher:
            assert pusher.wait_for(lambda: status(pusher, w.name).cosigned_size == size, WAIT)
            assert status(pusher, w.name).last_error is None
    assert statuses == [409, 200]  # asked from 0, told 2, asked from 2 with a proof 2 -> 5
    assert cosigners(log, size) == {w.name}


def test_cosigned_proof_over_http_and_verify_policy(log, three, settings, tmp_path):
    api = TestClient(api_app(Procurement(log, settings.data_dir)))
    grow(log, b"bid-0", b"bid-1")
    r = api.get("/log/proof/1", params={"cosigned": 1})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert "not yet cosigned" in r.json()["detail"]
    policy = witnessing.policy(log)
    assert "group witnesses 2 " in policy  # the quorum kept by set_quorum
    with contextlib.ExitStack() as stack:
        register(log, three, [stack.enter_context(serving(witness_app(w))) for w in three])
        size = grow(log, b"bid-2")
        pusher = stack.enter_context(pushing(log))
        assert pusher.wait_cosigned(size, WAIT)
    r = api.get("/log/proof/1", params={"cosigned": 1})
    assert r.status_code == 200
    policy = witnessing.policy(log)  # now with the witnesses' URLs
    assert all(f"witness {w.name} {w.vkey} http://127.0.0.1:" in policy for w in three)
    assert verify_cli(tmp_path, r.text, b"bid-1", policy) == (0, "valid")
    # A checkpoint signed by the log alone is newer, but does not meet the quorum.
    grow(log, b"bid-3")
    plain = api.get("/log/proof/1")
    assert plain.status_code == 200 and plain.text != r.text
    code, out = verify_cli(tmp_path, plain.text, b"bid-1", policy)
    assert code == 1 and "quorum" in out
    # ... while the cosigned proof is still against the cosigned checkpoint, not beyond it.
    assert api.get("/log/proof/1", params={"cosigned": 1}).text == r.text
    assert api.get(f"/log/proof/{size}", params={"cosigned": 1}).status_code == 404


def verify_cli(tmp_path, proof: str, entry: bytes, policy: str) -> tuple[int, str]:
    (tmp_path / "proof").write_text(proof)
    (tmp_path / "entry").write_bytes(entry)
    (tmp_path / "policy").write_text(policy)
    r = CliRunner().invoke(cli_app, ["verify", str(tmp_path / "proof"), "--entry", str(tmp_path / "entry"),
                                     "--policy", str(tmp_path / "policy")])
    return r.exit_code, r.output.split(":")[0] if r.exit_code == 0 else r.output


def test_cli_keeps_the_url_and_the_quorum(log, three, settings):
    db = ["--data-dir", str(settings.data_dir), "--db", settings.db_url]
    runner = CliRunner()
    r = runner.invoke(cli_app, ["log", "witness", "add", three[0].vkey, "--url", "https://w1.example/tlog/", *db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli_app, ["log", "witness", "list", *db])
    assert f"{three[0].name} {three[0].vkey} at https://w1.example/tlog " in r.output
    r = runner.invoke(cli_app, ["log", "policy", "--quorum", "3", *db])
    assert r.exit_code == 0 and "group witnesses 3 " in r.output
    r = runner.invoke(cli_app, ["log", "policy", *db])  # kept
    assert "group witnesses 3 " in r.output
    assert f"witness {three[0].name} {three[0].vkey} https://w1.example/tlog\n" in r.output
    r = runner.invoke(cli_app, ["log", "policy", "--quorum", "4", *db])
    assert isinstance(r.exception, RuntimeError) and "quorum 4" in str(r.exception)  # one line (run_guarded)
    assert "group witnesses 3 " in runner.invoke(cli_app, ["log", "policy", *db]).output  # unchanged
    r = runner.invoke(cli_app, ["log", "witness", "add", three[1].vkey, "--url", "ftp://w2.example/", *db])
    assert isinstance(r.exception, RuntimeError) and "not a witness URL" in str(r.exception)


def test_append_to_cosigned_latency(log, three):
    """Time from an append (and its checkpoint) to that checkpoint cosigned by 2 of 3 witnesses."""
    took = []
    with contextlib.ExitStack() as stack:
        register(log, three, [stack.enter_context(serving(witness_app(w))) for w in three])
        pusher = stack.enter_context(pushing(log))
        for i in range(50):
            t0 = time.perf_counter()
            size = grow(log, f"bid {i}".encode())
            assert pusher.wait_cosigned(size, WAIT)
            took.append(time.perf_counter() - t0)
    took.sort()
    p50, p95 = statistics.median(took), took[int(0.95 * len(took)) - 1]
    print(f"append -> cosigned by 2 of 3: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {took[-1] * 1000:.0f} ms")
    assert p95 <= 2.0


def test_migration_0010_keeps_the_witnesses_and_goes_back(log, three):
    from alembic import command
    from alembic.config import Config

    from tenderproof.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with log.db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    with log.db.reader.connect() as conn:
        assert "url" not in {c["name"] for c in sa.inspect(conn).get_columns("log_witnesses")}
        assert not sa.inspect(conn).has_table("log_policy")
    with log.db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
    with log.db.reader.connect() as conn:
        assert log.store.witness_urls(conn) == dict.fromkeys((w.name for w in three), None)
        assert log.store.quorum(conn) is None  # no quorum kept: the policy asks for all
    assert "group witnesses 3 " in witnessing.policy(log)


def test_without_witnesses_the_log_alone_meets_quorum_none(log):
    policy = Policy.parse(witnessing.policy(log))
    assert policy.quorum == "none" and witnessing.cosigned_checkpoint(log, policy) is None
    grow(log, b"only")
    proof = witnessing.cosigned_proof(log, 0, policy)
    assert proof.checkpoint == log.latest_checkpoint()
