"""The demo's live sandbox tender: a bidder seals on their machine and submits over HTTP with the
CLI; the receipt verifies; a copy of everything the server holds before the opening reveals
nothing of the bid."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading

import pytest
import uvicorn

from tenderproof.api import create_app
from tenderproof.app.service import Procurement
from tenderproof.instance import Settings, open_log
from tenderproof.scenario import demo


@pytest.fixture
def sandbox(tmp_path, db_url):
    settings = Settings(tmp_path / "data", db_url)
    info = demo.setup(settings, hours=2)
    p = Procurement(open_log(settings, signing=True), settings.data_dir)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # bound before the server starts: clients queue, no start-up race
    server = uvicorn.Server(uvicorn.Config(create_app(p), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield settings, info, f"http://127.0.0.1:{sock.getsockname()[1]}", p
    server.should_exit = True
    thread.join(timeout=30)
    p.log.db.dispose()


def test_bidder_submits_to_the_sandbox_with_the_cli(sandbox, tmp_path):
    settings, info, url, p = sandbox
    marker = os.urandom(16).hex()
    bid = tmp_path / "my-bid"
    bid.mkdir()
    (bid / "price.txt").write_text(f"PRICE 199000 {marker}")
    receipt = tmp_path / "receipt.tlog-proof"
    r = subprocess.run([sys.executable, "-m", "tenderproof", "bid", "submit", str(bid), "--api", url,
                        "--token", info.tokens["acme"], "--tender", info.sandbox, "--receipt", str(receipt)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "receipt verified" in r.stdout
    v = subprocess.run([sys.executable, "-m", "tenderproof", "verify", str(receipt), "--entry",
                        str(receipt.with_suffix(".entry")), "--vkey", str(settings.data_dir / "log.vkey")],
                       capture_output=True, text=True, timeout=60)
    assert v.returncode == 0, v.stderr
    # Submitting the same sealed bid again (a retry) creates no second bid.
    state = p.state(info.sandbox)
    assert len([b for b in state["bids"].values() if b["status"] == "submitted"]) == 1
    # Everything the operator holds before the opening: the data directory and every table.
    copy = tmp_path / "copy"
    shutil.copytree(settings.data_dir, copy)
    import sqlalchemy as sa

    with p.db.reader.connect() as conn, open(copy / "db.dump", "wb") as out:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                out.write(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode())
    for path in copy.rglob("*"):
        if path.is_file():
            assert marker.encode() not in path.read_bytes(), f"bid plaintext in {path}"
    # A wrong token is one clear line and exit 1.
    r = subprocess.run([sys.executable, "-m", "tenderproof", "bid", "submit", str(bid), "--api", url,
                        "--token", "tp_wrong", "--tender", info.sandbox, "--receipt", str(tmp_path / "x")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "bearer token is not valid" in r.stderr and len(r.stderr.strip().splitlines()) == 1
