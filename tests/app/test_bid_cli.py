"""A bidder seals on their own machine with the CLI, submits, and verifies the receipt offline."""

from __future__ import annotations

import subprocess
import sys

from .conftest import TID


def run(*args, check=0):
    r = subprocess.run([sys.executable, "-m", "tenderproof", *map(str, args)], capture_output=True, timeout=120)
    assert r.returncode == check, r.stderr.decode()
    return r.stdout.decode(), r.stderr.decode()


def test_seal_submit_verify(world, settings, tmp_path):
    world.create()
    world.publish()
    world.create("T-2")
    world.publish("T-2")
    world.p.log.db.dispose()
    common = ["--data-dir", settings.data_dir, "--db", settings.db_url]
    key, _ = run("bid", "key", TID, *common)
    bid_dir = tmp_path / "my-bid"
    (bid_dir / "volumes").mkdir(parents=True)
    (bid_dir / "volumes" / "technical.txt").write_text("our approach")
    (bid_dir / "price.txt").write_text("PRICE 4242")
    sealed = tmp_path / "bid.sealed"
    out, _ = run("bid", "seal", bid_dir, "--tender", TID, "--key", key.strip(), "-o", sealed)
    assert b"PRICE 4242" not in sealed.read_bytes()
    receipt = tmp_path / "receipt.tlog-proof"
    out, _ = run("bid", "submit", sealed, "--tender", TID, "--bidder", "acme", "--name", "ACME", "--receipt", receipt, *common)
    assert "verified" in out
    out, _ = run("verify", receipt, "--entry", receipt.with_suffix(".entry"), "--vkey", settings.data_dir / "log.vkey")
    assert out.startswith("valid: entry")
    # A key for one tender cannot seal for another ...
    _, err = run("bid", "seal", bid_dir, "--tender", "T-2", "--key", key.strip(), "-o", tmp_path / "x", check=1)
    assert "belongs to tender 'T-1'" in err
    # ... and a bid sealed for another tender is refused with one clear line; nothing is written.
    key2, _ = run("bid", "key", "T-2", *common)
    other = tmp_path / "other.sealed"
    run("bid", "seal", bid_dir, "--tender", "T-2", "--key", key2.strip(), "-o", other)
    _, err = run("bid", "submit", other, "--tender", TID, "--bidder", "acme", "--name", "ACME",
                 "--receipt", tmp_path / "r2.tlog-proof", *common, check=1)
    assert "sealed for tender 'T-2'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r2.tlog-proof").exists()
