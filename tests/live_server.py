"""A real server for CLI tests: uvicorn on a loopback socket bound before it starts (no start-up race),
serving an installation whose clock the test sets; and the `tenderproof` command as a process."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

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


def blocks(doc: str) -> list[tuple[str, list[str], str]]:
    """Each ```sh block of the document: (its section, who runs it, the script)."""
    out, section = [], ""
    for m in re.finditer(r"^## ([^\n]*)$|^```sh\n(.*?)^```$", doc, re.M | re.S):
        if m.group(1):
            section = m.group(1)
            continue
        script = m.group(2)
        first = script.splitlines()[0]
        assert first.startswith("# as "), f"a block must say whose machine it runs on: {first!r}"
        who = first.removeprefix("# as ").removeprefix("each official: ").removeprefix("the ")
        out.append((section, [w.strip() for w in who.split(",")], script))
    return out


class Walkthrough:
    """Runs a document's ```sh blocks as written, each in its person's own directory (their
    machine) under tmp_path, with the environment `env_for(who)` gives; keeps each block's output
    by (section number, person)."""

    def __init__(self, doc: str, tmp_path, env_for) -> None:
        self.blocks = blocks(doc)
        self.tmp_path, self.env_for = tmp_path, env_for
        self.outputs: dict[tuple[str, str], str] = {}

    @staticmethod
    def environment(url: str) -> dict[str, str]:
        """This process's environment, with `tenderproof` on the PATH and the server to talk to."""
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                   TENDERPROOF_API=url)
        env.pop("TENDERPROOF_TOKEN", None)
        return env

    def home(self, who: str):
        home = self.tmp_path / who
        home.mkdir(exist_ok=True)
        return home

    def run(self, section: str, who: str, script: str) -> str:
        r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=self.home(who), env=self.env_for(who),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{section} as {who}:\n{script}\n{r.stdout}\n{r.stderr}"
        self.outputs[(section.split(" ", 1)[0], who)] = r.stdout
        return r.stdout
