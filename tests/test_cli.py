"""The `tenderproof` command as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tenderproof.store.db import Database
from tenderproof.store.schema import log_tiles


def run(*args, stdin: bytes | str = b"", check: int | None = 0, env_db: str | None = None):
    data = stdin.encode() if isinstance(stdin, str) else stdin
    cmd = [sys.executable, "-m", "tenderproof", *map(str, args)]
    if env_db is not None:
        cmd += ["--db", env_db]
    p = subprocess.run(cmd, input=data, capture_output=True, timeout=120)
    out, err = p.stdout.decode(), p.stderr.decode()
    if check is not None:
        assert p.returncode == check, f"{args}: exit {p.returncode}\n{out}\n{err}"
    return p.returncode, out, err


@pytest.fixture
def data(tmp_path, db_url):
    d = tmp_path / "data"
    rc, out, _ = run("init", "--data-dir", d, "--origin", "cli.example/log", env_db=db_url)
    assert "cli.example/log (size 0)" in out
    return d, db_url


def test_init_is_idempotent(data):
    d, db = data
    run("log", "append", "--data-dir", d, stdin="one\ntwo\n", env_db=db)
    _, out, _ = run("init", "--data-dir", d, "--origin", "cli.example/log", env_db=db)
    assert "(size 2)" in out
    _, vkey, _ = run("log", "vkey", "--data-dir", d, env_db=db)
    assert vkey.strip() == (d / "log.vkey").read_text().strip()


def test_append_proof_verify(data, tmp_path):
    d, db = data
    lines = [f"line {i}" for i in range(300)]
    _, out, _ = run("log", "append", "--data-dir", d, "--batch", "64", stdin="\n".join(lines) + "\n", env_db=db)
    assert "indexes 0..299; tree size 300" in out
    _, note, _ = run("log", "checkpoint", "--data-dir", d, env_db=db)
    assert note.splitlines()[:2] == ["cli.example/log", "300"]
    proof = tmp_path / "p"
    run("log", "proof", "123", "--data-dir", d, "-o", proof, env_db=db)
    entry = tmp_path / "e"
    entry.write_text("line 123")
    _, out, _ = run("verify", proof, "--entry", entry, "--vkey", d / "log.vkey")
    assert out.startswith("valid: entry 123")
    entry.write_text("line 124")
    rc, _, err = run("verify", proof, "--entry", entry, "--vkey", d / "log.vkey", check=1)
    assert err.startswith("error: invalid:") and len(err.strip().splitlines()) == 1
    # A flipped character in the proof file is caught.
    entry.write_text("line 123")
    text = proof.read_text()
    i = text.index("\n", text.index("index")) + 3
    proof.write_text(text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :])
    run("verify", proof, "--entry", entry, "--vkey", d / "log.vkey", check=1)


def test_append_refuses_a_bad_line_and_writes_nothing(data):
    d, db = data
    rc, _, err = run("log", "append", "--data-dir", d, stdin=b"ok\n" + b"x" * 70000 + b"\n", env_db=db, check=1)
    assert "line 2" in err and "nothing was appended" in err
    rc, _, err = run("log", "append", "--data-dir", d, stdin=b"", env_db=db, check=1)
    assert "stdin is empty" in err
    _, note, _ = run("log", "checkpoint", "--data-dir", d, env_db=db)
    assert note.splitlines()[1] == "0"


def test_audit_fails_on_tampering(data):
    d, db = data
    run("log", "append", "--data-dir", d, stdin="a\nb\nc\n", env_db=db)
    _, out, _ = run("log", "audit", "--data-dir", d, env_db=db)
    assert out.startswith("audit ok: 3 entries")
    url = db or f"sqlite:///{d / 'tenderproof.db'}"
    database = Database.open(url)
    with database.writer.begin() as conn:
        conn.execute(sa.update(log_tiles).where(log_tiles.c.level == -1).values(data=b"\x00\x01a\x00\x01b\x00\x01d"))
    database.dispose()
    rc, out, err = run("log", "audit", "--data-dir", d, env_db=db, check=1)
    # "c" became "d" in the only, partial, bundle: the leaf hashes, hence the root, changed.
    assert "the head's root for size 3 is not the root of the stored tiles" in err


def test_tiles_export(data, tmp_path):
    d, db = data
    run("log", "append", "--data-dir", d, stdin="".join(f"{i}\n" for i in range(600)), env_db=db)
    out_dir = tmp_path / "tiles"
    run("log", "tiles", out_dir, "--data-dir", d, env_db=db)
    assert (out_dir / "tile/0/000").stat().st_size == 256 * 32
    assert (out_dir / "tile/0/002.p/88").stat().st_size == 88 * 32
    # Level 0 is not stored but exported all the same: the leaf hashes of the bundle's entries.
    leaves = [hashlib.sha256(b"\x00" + f"{i}".encode()).digest() for i in range(600)]
    assert (out_dir / "tile/0/001").read_bytes() == b"".join(leaves[256:512])
    assert (out_dir / "tile/0/002.p/88").read_bytes() == b"".join(leaves[512:])
    assert (out_dir / "tile/1/000.p/2").stat().st_size == 2 * 32
    assert (out_dir / "tile/entries/002.p/88").exists()
    assert (out_dir / "checkpoint").read_text().splitlines()[1] == "600"


def test_witness_flow_and_policy(data, tmp_path):
    d, db = data
    w = tmp_path / "w"
    _, wkey, _ = run("witness", "init", "--dir", w, "--name", "court.example/witness")
    run("witness", "trust", d / "log.vkey", "--dir", w)
    run("log", "witness", "add", wkey.strip(), "--data-dir", d, env_db=db)
    run("log", "append", "--data-dir", d, stdin="a\nb\n", env_db=db)
    _, req, _ = run("log", "witness", "request", "court.example/witness", "--data-dir", d, env_db=db)
    _, cosig, _ = run("witness", "cosign", "--dir", w, stdin=req)
    _, out, _ = run("log", "witness", "accept", "--data-dir", d, stdin=cosig, env_db=db)
    assert "court.example/witness" in out
    # The same request again is now stale: 409 with the witness's size.
    rc, _, err = run("witness", "cosign", "--dir", w, stdin=req, check=1)
    assert "409" in err and "size 2" in err
    policy = tmp_path / "policy"
    policy.write_text(run("log", "policy", "--data-dir", d, env_db=db)[1])
    proof = tmp_path / "p"
    run("log", "proof", "1", "--data-dir", d, "-o", proof, env_db=db)
    entry = tmp_path / "e"
    entry.write_text("b")
    run("verify", proof, "--entry", entry, "--policy", policy)
    # Grown: a proof is against the newest stored checkpoint, still the cosigned one ...
    run("log", "append", "--data-dir", d, stdin="c\n", env_db=db)
    run("log", "proof", "1", "--data-dir", d, "-o", proof, env_db=db)
    _, out, _ = run("verify", proof, "--entry", entry, "--policy", policy)
    assert "at tree size 2" in out
    # ... until a newer one is signed without a cosignature: that checkpoint lacks the quorum.
    run("log", "checkpoint", "--data-dir", d, env_db=db)
    run("log", "proof", "1", "--data-dir", d, "-o", proof, env_db=db)
    rc, _, err = run("verify", proof, "--entry", entry, "--policy", policy, check=1)
    assert "quorum" in err
    _, out, _ = run("witness", "show", "--dir", w)
    assert "latest cosigned size 2" in out


def test_clear_errors_without_a_data_dir(tmp_path):
    rc, _, err = run("log", "checkpoint", "--data-dir", tmp_path / "missing", check=1)
    assert err.strip() == f"error: no data directory at {tmp_path / 'missing'}; run `tenderproof init` first"
    rc, _, err = run("log", "vkey", "--data-dir", tmp_path, "--db", "postgresql://nobody@127.0.0.1:1/x", check=1)
    assert err.startswith("error: cannot connect to") and len(err.strip().splitlines()) == 1
