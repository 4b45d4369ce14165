"""Logs served over real HTTP for the monitor: each behind a `Front`, an ASGI app that counts the
requests it forwards and can be pointed at another log (what a log that rolls back or shows
another history to someone looks like from outside)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tenderproof.api import create_app
from tenderproof.app.service import Procurement
from tenderproof.instance import Settings, init

from ..app.conftest import T0, Clock, world  # noqa: F401  (the fixture, for the watchlist test)

ORIGIN = "test.tenderproof.localhost/log"


class Front:
    def __init__(self, app) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@contextlib.contextmanager
def serve_asgi(app) -> Iterator[str]:
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


def procurement(tmp_path: Path, name: str, key_from: Path | None = None) -> Procurement:
    """A fresh installation; with `key_from`, signed by the same log key (the same log, to anyone
    who holds its vkey: an operator that shows two histories)."""
    s = Settings(tmp_path / name, f"sqlite:///{tmp_path / name / 'tenderproof.db'}")
    if key_from is not None:
        s.data_dir.mkdir(parents=True)
        shutil.copy(key_from / "log.key", s.key_path)
    return Procurement(init(s, origin=ORIGIN), s.data_dir, Clock(T0))


@pytest.fixture
def served(tmp_path):
    """Start serving procurements: `served(p)` -> (front, prefix URL of its log)."""
    with contextlib.ExitStack() as stack:
        def start(p: Procurement) -> tuple[Front, str]:
            front = Front(create_app(p))
            url = stack.enter_context(serve_asgi(front))
            return front, f"{url}/log"
        yield start


def envelopes(n: int, tag: str = "x", start: int = 0) -> list[bytes]:
    """Entries shaped like the log's events (canonical JSON envelopes)."""
    return [b'{"payload":{"note":"%s %d"},"tender":"T-%d","type":"tender.noted"}' % (tag.encode(), i, i)
            for i in range(start, start + n)]
