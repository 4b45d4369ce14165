"""The log over the real database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from tenderproof.instance import InstanceError, Settings, init, open_log
from tenderproof.ledger import merkle
from tenderproof.ledger.audit import audit
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.log import LogError
from tenderproof.ledger.note import open_note
from tenderproof.ledger.tiles import ENTRIES, EntryTooLarge
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof
from tenderproof.store.schema import log_checkpoints, log_head, log_tiles


def reference(entries):
    mem = merkle.MemoryHashes()
    for e in entries:
        mem.append(e)
    return mem


def checkpoint_of(log) -> Checkpoint:
    return Checkpoint.parse(open_note(log.checkpoint(), [log.log_verifier()]).text)


def test_append_read_prove(log):
    entries = [f"event {i}".encode() for i in range(600)]
    first = log.append(entries[:1])
    assert (first.first, first.count, first.size) == (0, 1, 1)
    rest = log.append(entries[1:])
    assert (rest.first, rest.size) == (1, 600)
    assert log.entries(0, 600) == entries
    assert log.entry(257) == entries[257]
    mem = reference(entries)
    assert rest.root == merkle.tree_hash(600, mem) == log.head().root
    for size in (1, 2, 255, 256, 257, 511, 512, 600):
        root = merkle.tree_hash(size, mem)
        for index in {0, size // 2, size - 1}:
            proof = log.inclusion_proof(index, size)
            merkle.verify_inclusion(index, size, merkle.leaf_hash(entries[index]), proof, root)
        for old in {1, size // 3 or 1, size}:
            proof = log.consistency_proof(old, size)
            merkle.verify_consistency(old, size, proof, merkle.tree_hash(old, mem), root)


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.binary(max_size=40), min_size=1, max_size=300), min_size=1, max_size=5))
def test_any_batching_gives_the_reference_tree(tmp_path_factory, batches):
    """However entries are split into batches, the stored tree is RFC 9162's tree of them."""
    d = tmp_path_factory.mktemp("log")
    lg = init(Settings(d, f"sqlite:///{d / 'db.sqlite'}"))
    try:
        flat = [e for b in batches for e in b]
        for b in batches:
            lg.append(b)
        mem = reference(flat)
        assert lg.head().root == merkle.tree_hash(len(flat), mem)
        assert lg.entries(0, len(flat)) == flat
        assert audit(lg).ok
    finally:
        lg.db.dispose()


def test_refusals_leave_no_state(log):
    log.append([b"a", b"b"])
    before = log.head()
    with pytest.raises(EntryTooLarge, match="65535"):
        log.append([b"ok", b"x" * 65536])
    with pytest.raises(LogError, match="empty"):
        log.append([])
    assert log.head() == before
    assert log.entries(0, 2) == [b"a", b"b"]
    log.append([b"y" * 65535])  # exactly the limit fits
    assert log.entry(2) == b"y" * 65535
    with pytest.raises(LogError, match="not in the log"):
        log.entries(0, 4)
    with pytest.raises(LogError, match="beyond the log"):
        log.inclusion_proof(0, 10)


def test_checkpoints_one_per_size(log):
    log.append([b"x"])
    a, b = log.checkpoint(), log.checkpoint()
    assert a == b
    cp = checkpoint_of(log)
    assert (cp.origin, cp.size) == ("test.tenderproof.localhost/log", 1)
    log.append([b"y"])
    assert checkpoint_of(log).size == 2
    with log.db.reader.connect() as conn:
        sizes = [r.size for r in conn.execute(sa.select(log_checkpoints.c.size))]
    assert sorted(sizes) == [1, 2]
    # A second, different checkpoint for a stored size cannot be stored.
    with pytest.raises(sa.exc.IntegrityError), log.db.writer.begin() as conn:
        conn.execute(sa.insert(log_checkpoints).values(size=1, note="forged"))


def test_tlog_proof_round_trip(log):
    log.append([b"alpha", b"beta", b"gamma"])
    proof = TlogProof.parse(log.tlog_proof(1).format())
    cp = verify_tlog_proof(proof, b"beta", verifiers=[log.log_verifier()])
    assert cp.size == 3
    with pytest.raises(ValueError):
        verify_tlog_proof(proof, b"gamma", verifiers=[log.log_verifier()])


def test_audit_passes_then_finds_tampering(log):
    log.append([f"e{i}".encode() for i in range(700)])
    log.checkpoint()
    assert audit(log).ok
    with log.db.writer.begin() as conn:
        data = conn.execute(sa.select(log_tiles.c.data).where(log_tiles.c.level == 0, log_tiles.c.idx == 1)).scalar_one()
        flipped = bytes([data[0] ^ 1]) + data[1:]
        conn.execute(sa.update(log_tiles).where(log_tiles.c.level == 0, log_tiles.c.idx == 1).values(data=flipped))
    report = audit(log)
    assert not report.ok
    assert any("tile/0/001" in p for p in report.problems)


@pytest.mark.parametrize("level", [ENTRIES, 0, 1])
def test_audit_detects_any_flipped_bit(tmp_path, level):
    """A flipped bit anywhere in a bundle or a hash tile of any level fails the audit."""
    lg = init(Settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}"))
    lg.append([f"entry {i}".encode() for i in range(256 * 256 + 3)])
    lg.checkpoint()
    assert audit(lg).ok
    with lg.db.writer.begin() as conn:
        rows = conn.execute(sa.select(log_tiles.c.idx, log_tiles.c.data).where(log_tiles.c.level == level)).all()
        idx, data = rows[len(rows) // 2]
        bit = (len(data) * 8 * 7) // 11
        data = bytearray(data)
        data[bit // 8] ^= 1 << (bit % 8)
        conn.execute(sa.update(log_tiles).where(log_tiles.c.level == level, log_tiles.c.idx == idx).values(data=bytes(data)))
    assert not audit(lg).ok
    lg.db.dispose()


def test_audit_detects_a_forged_checkpoint_and_head(log):
    log.append([b"one", b"two"])
    log.checkpoint()
    with log.db.writer.begin() as conn:
        note = conn.execute(sa.select(log_checkpoints.c.note)).scalar_one()
        conn.execute(sa.update(log_checkpoints).values(note=note.replace("\n2\n", "\n3\n")))
    assert any("checkpoint" in p for p in audit(log).problems)
    with log.db.writer.begin() as conn:
        conn.execute(sa.update(log_checkpoints).values(note=note))
        conn.execute(sa.update(log_head).values(root=b"\x00" * 32))
    assert any("root" in p for p in audit(log).problems)


def test_init_is_idempotent_and_guards_the_key(settings):
    lg = init(settings, origin="a.example/log")
    lg.append([b"kept"])
    vkey = lg.head().vkey
    lg.db.dispose()
    again = init(settings, origin="a.example/log")
    assert again.head().vkey == vkey and again.head().size == 1
    again.db.dispose()
    assert stat.S_IMODE(os.stat(settings.key_path).st_mode) == 0o600
    settings.key_path.unlink()
    with pytest.raises(InstanceError, match="already holds the log"):
        init(settings, origin="a.example/log")


def test_open_refuses_uninitialized(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(InstanceError, match="tenderproof init"):
        open_log(Settings(tmp_path / "d", f"sqlite:///{tmp_path / 'd' / 'x.db'}"))


def test_sqlite_is_durable(tmp_path):
    lg = init(Settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}"))
    with lg.db.writer.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    lg.db.dispose()


def test_head_compare_and_swap_refuses_a_stale_writer(log):
    """The last guard against a fork: a head or tile update based on a stale read is refused."""
    from tenderproof.ledger.storage import HeadMoved, TileWrite

    log.append([b"a", b"b", b"c"])
    before = log.head()
    with pytest.raises(HeadMoved), log.db.writer.begin() as conn:
        log.store.advance_head(conn, 2, 3, b"\x11" * 32)
    with pytest.raises(HeadMoved), log.db.writer.begin() as conn:
        log.store.write_tiles(conn, [TileWrite((0, 0), 2 * 32, b"\x22" * 96)])
    assert log.head() == before
    assert audit(log).ok


def test_schema_revision_constant_is_the_migrations_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from tenderproof.store.db import MIGRATIONS, SCHEMA_REVISION

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_REVISION


@pytest.fixture(scope="module")
def flip_log(tmp_path_factory):
    d = tmp_path_factory.mktemp("flip")
    lg = init(Settings(d, f"sqlite:///{d / 'db.sqlite'}"))
    lg.append([f"entry {i}".encode() * (i % 5) for i in range(700)])
    lg.checkpoint()
    yield lg
    lg.db.dispose()


@hsettings(max_examples=60, deadline=None)
@given(pick=st.integers(min_value=0), bit=st.integers(min_value=0))
def test_any_flipped_bit_in_any_stored_tile_fails_the_audit(flip_log, pick, bit):
    """Property: one flipped bit in any stored tile (bundle or hash tile) is detected."""
    lg, t = flip_log, log_tiles.c
    with lg.db.reader.connect() as conn:
        rows = conn.execute(sa.select(t.level, t.idx, t.data).order_by(t.level, t.idx)).all()
    level, idx, data = rows[pick % len(rows)]
    pos = bit % (len(data) * 8)
    flipped = bytearray(data)
    flipped[pos // 8] ^= 1 << (pos % 8)
    where = sa.and_(t.level == level, t.idx == idx)
    with lg.db.writer.begin() as conn:
        conn.execute(sa.update(log_tiles).where(where).values(data=bytes(flipped)))
    try:
        assert not audit(lg).ok
    finally:
        with lg.db.writer.begin() as conn:
            conn.execute(sa.update(log_tiles).where(where).values(data=data))
    assert audit(lg).ok


def test_tiles_to_serve_keeps_partial_tiles_of_checkpointed_sizes():
    from tenderproof.ledger.tiles import tiles_to_serve

    got = set(tiles_to_serve(400, [300, 256, 100, 400]))
    assert (0, 1, 44) in got and (ENTRIES, 1, 44) in got  # checkpoint 300: still partial at 400
    assert (0, 0, 100) not in got  # checkpoint 100: tile 0 is full now, the full tile serves it
    assert (0, 1, 144) in got and (0, 0, 256) in got and (1, 0, 1) in got
    assert len(got) == len(tiles_to_serve(400, [300, 256, 100, 400]))  # no duplicates
