"""The limits against a real `tenderproof serve` (issue 11): concurrent oversized bodies with and
without a token leave the server's memory within a stated bound, and a slow-loris client, in the
request head or in the body, is cut off by the configured timeouts.

The clients are raw sockets that stream generated chunks (nothing holds 100 MB on either side)
and stop sending as soon as the server answers, as curl does and httpx does not.

THE BOUND: the server's peak RSS (VmHWM, reset just before) rises by at most 150 MB while 48
uploads of 100 MB each are offered at once, eight per kind. With the limits set here, bodies held
in memory are at most `in_flight` = 40 MiB, twice over while a route joins the chunks: 80 MiB;
the rest is allowance for threads, sockets and the allocator. Without the guard, eight such bodies
took the server from 103 MB to 1.2 GB.
"""

from __future__ import annotations

import select
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tenderproof.app import accounts
from tenderproof.app.service import Procurement
from tenderproof.instance import init

from .test_rush_crash import Server

pytestmark = pytest.mark.slow
MB, MiB = 1000 * 1000, 1024 * 1024
OFFERED = 100 * MB
BOUND = 150 * MB
LIMITS = {"TENDERPROOF_MAX_BID_BYTES": str(16 * MiB), "TENDERPROOF_MAX_BYTES_IN_FLIGHT": str(40 * MiB),
          "TENDERPROOF_BODY_TIMEOUT": "0.5", "TENDERPROOF_HEADER_TIMEOUT": "0.5"}


@pytest.fixture
def server(settings, monkeypatch):
    p = Procurement(init(settings, origin="limits.tenderproof.localhost/log"), settings.data_dir)
    tokens = {}
    for who, role in (("co", "buyer"), ("acme", "bidder")):
        accounts.add_person(p, who, who.upper())
        accounts.grant(p, who, role)
        tokens[who] = accounts.issue_token(p, who)
    p.log.db.dispose()
    for k, v in LIMITS.items():
        monkeypatch.setenv(k, v)  # the server process inherits them
    srv = Server(settings)
    srv.tokens = tokens
    yield srv
    srv.proc.terminate()
    srv.proc.wait(timeout=30)


def _status(proc_pid: int, field: str) -> int:
    for line in Path(f"/proc/{proc_pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{proc_pid}/status")


def _answer(sock: socket.socket) -> int:
    """The status code of the response the server sent (reading until its head is complete)."""
    sock.setblocking(True)
    sock.settimeout(30)
    data = b""
    while b"\r\n" not in data:
        part = sock.recv(4096)
        if not part:
            raise AssertionError(f"the server closed without an answer: {data!r}")
        data += part
    return int(data.split(b" ", 2)[1])


def upload(port: int, path: str, token: str | None, declared: bool, total: int = OFFERED, chunk: int = 256 * 1024) -> int:
    """Offer `total` bytes of body, declared or chunked; stop when the server answers."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    framing = f"Content-Length: {total}\r\n" if declared else "Transfer-Encoding: chunked\r\n"
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\n{auth}{framing}Content-Type: application/json\r\n\r\n"
    piece = bytes(chunk) if declared else f"{chunk:x}\r\n".encode() + bytes(chunk) + b"\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        sent, pending = 0, memoryview(piece)
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                return _answer(sock)
            if not writable:
                raise AssertionError("the server neither reads nor answers")
            try:
                n = sock.send(pending)
            except (BrokenPipeError, ConnectionResetError):
                return _answer(sock)
            pending = pending[n:]
            if not pending:
                sent, pending = sent + chunk, memoryview(piece)
        if not declared:
            sock.sendall(b"0\r\n\r\n")
        return _answer(sock)


def test_concurrent_oversized_bodies_keep_memory_bounded(server):
    port = int(server.url.rsplit(":", 1)[1])
    co, acme = server.tokens["co"], server.tokens["acme"]
    kinds = {  # (path, token, declared) -> the answers allowed
        ("/api/tenders", None, True): {413}, ("/api/tenders", None, False): {413},
        ("/api/tenders", "not-a-token", False): {413}, ("/api/tenders", co, False): {413},
        ("/api/tenders/T-1/bids", None, True): {413}, ("/api/tenders/T-1/bids", acme, True): {413},
        # A chunked bid is read until it passes the bid limit, 503 once the budget is spent…
        ("/api/tenders/T-1/bids", acme, False): {413, 503},
        # …and a stranger's is not read at all: the route checks the token first.
        ("/api/tenders/T-1/bids", None, False): {401},
    }
    assert upload(port, "/api/tenders", co, declared=True, total=10) in (400, 422)  # warm: the app answers
    baseline = _status(server.proc.pid, "VmRSS")
    Path(f"/proc/{server.proc.pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    jobs = [kind for kind in kinds for _ in range(8)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        answers = list(pool.map(lambda k: upload(port, *k), jobs))
    peak = _status(server.proc.pid, "VmHWM")
    for kind, answer in zip(jobs, answers, strict=True):
        assert answer in kinds[kind], (kind, answer)
    assert peak - baseline <= BOUND, f"RSS rose by {(peak - baseline) / MB:.0f} MB (bound {BOUND / MB:.0f} MB)"
    assert server.proc.poll() is None  # and it still serves
    assert upload(port, "/api/tenders", co, declared=True, total=10) in (400, 422)


def test_slow_heads_and_bodies_are_cut_off(server):
    port = int(server.url.rsplit(":", 1)[1])
    # A body that starts and stops: 408 after the body timeout (0.5 s here).
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /api/tenders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{")
        assert _answer(sock) == 408
    # A request head that never ends: the connection is closed after the header timeout.
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /api/tenders HTTP/1.1\r\nHost: localhost\r\n")
        sock.settimeout(30)
        assert sock.recv(4096) == b""
    # An idle connection, too, once a first request is answered and a second one never completes.
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /log/checkpoint HTTP/1.1\r\nHost: localhost\r\n\r\nGET /log/checkpoint HTTP/1.1\r\n")
        sock.settimeout(30)
        received = b""
        while part := sock.recv(65536):
            received += part
        assert received.startswith(b"HTTP/1.1 200") and received.count(b"HTTP/1.1") == 1
