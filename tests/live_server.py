"""A real server for CLI tests: uvicorn on a loopback socket bound before it starts (no start-up race),
serving an installation whose clock the test sets; and the `tenderproof` command as a process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import uvicorn

from tenderproof.api import create_app
from tenderproof.app.service import Procurement


@contextlib.contextmanager
def serving(p: Procurement) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(create_app(p), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def dead_url() -> str:
    """A loopback port nobody listens on: a connection to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def cli(*args, check: int = 0, stdin: bytes = b"", env: dict | None = None, cwd=None) -> tuple[str, str]:
    """Run `tenderproof ARGS`; assert its exit code, and that a failure says exactly one line."""
    r = subprocess.run([sys.executable, "-m", "tenderproof", *map(str, args)], input=stdin, capture_output=True,
                       timeout=120, env=env, cwd=cwd)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == check, f"{args}: exit {r.returncode}\n{out}\n{err}"
    if check:
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    return out, err
