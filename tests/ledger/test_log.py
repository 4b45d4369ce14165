"""The log over the real database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tenderproof.instance import InstanceError, Settings, init, open_log
from tenderproof.ledger import merkle
from tenderproof.ledger.audit import audit
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.log import LogError
from tenderproof.ledger.note import open_note
from tenderproof.ledger.storage import TileWrite
from tenderproof.ledger.tiles import ENTRIES, EntryTooLarge, bundle_entries
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


def flip_bit(conn, level: int, idx: int, bit: int) -> tuple[bytes, bytes]:
    """Flip one bit of stored tile (level, idx); return its data before and after."""
    where = sa.and_(log_tiles.c.level == level, log_tiles.c.idx == idx)
    data = conn.execute(sa.select(log_tiles.c.data).where(where)).scalar_one()
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    conn.execute(sa.update(log_tiles).where(where).values(data=bytes(flipped)))
    return bytes(data), bytes(flipped)


def test_audit_passes_then_finds_tampering(log):
    log.append([f"e{i}".encode() for i in range(700)])
    log.checkpoint()
    assert audit(log).ok
    log.inclusion_proof(300, 700)  # the log's cache now holds the hashes of bundle 1
    with log.db.writer.begin() as conn:
        # The last bit of bundle 1 (entries 256..511) is in entry 511: "e511" becomes "e510".
        data, _ = flip_bit(conn, ENTRIES, 1, 0)
        flip_bit(conn, ENTRIES, 1, 0)
        bit = 8 * (len(data) - 1)  # the lowest bit of the last byte
        flip_bit(conn, ENTRIES, 1, bit)
    assert log.entry(511) == b"e510"
    report = audit(log)
    assert not report.ok
    # The bundle's entries no longer hash to its stored hash in level 1, which names the bundle.
    assert any("tile/1/000.p/2 does not match" in p and "tile/entries/001" in p for p in report.problems), report
    with log.db.writer.begin() as conn:
        flip_bit(conn, ENTRIES, 1, bit)
    assert audit(log).ok


def test_audit_finds_tampering_in_the_partial_last_bundle(log):
    """The last bundle feeds no level-1 tile; a change in it changes the root."""
    log.append([f"e{i}".encode() for i in range(700)])
    log.checkpoint()
    log.inclusion_proof(699, 700)  # the log's cache now holds the right edge
    assert audit(log).ok
    with log.db.writer.begin() as conn:
        data, _ = flip_bit(conn, ENTRIES, 2, 0)
        flip_bit(conn, ENTRIES, 2, 0)
        flip_bit(conn, ENTRIES, 2, 8 * (len(data) - 1))  # in the last entry: "e699" becomes "e698"
    assert log.entry(699) == b"e698"
    report = audit(log)
    assert any("root" in p for p in report.problems), report.problems


@pytest.mark.parametrize("level", [ENTRIES, 1, 2])
def test_audit_detects_any_flipped_bit(tmp_path, level):
    """A flipped bit anywhere in a bundle or a stored hash tile of any level fails the audit."""
    lg = init(Settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}"))
    lg.append([f"entry {i}".encode() for i in range(256 * 256 + 3)])
    lg.checkpoint()
    assert audit(lg).ok
    with lg.db.writer.begin() as conn:
        rows = conn.execute(sa.select(log_tiles.c.idx, log_tiles.c.data).where(log_tiles.c.level == level)).all()
        assert rows, f"no stored tiles at level {level}"
        idx, data = rows[len(rows) // 2]
        bit = (len(data) * 8 * 7) // 11
        data = bytearray(data)
        data[bit // 8] ^= 1 << (bit % 8)
        conn.execute(sa.update(log_tiles).where(log_tiles.c.level == level, log_tiles.c.idx == idx).values(data=bytes(data)))
    assert not audit(lg).ok
    lg.db.dispose()


def test_no_level_0_tiles_are_stored(log):
    """Level 0 is computed from the bundles: not stored, yet served as real C2SP tiles."""
    entries = [f"event {i}".encode() * (i % 3) for i in range(600)]
    for start in range(0, 600, 77):
        log.append(entries[start : start + 77])
    with log.db.reader.connect() as conn:
        levels = dict(conn.execute(sa.select(log_tiles.c.level, sa.func.count()).group_by(log_tiles.c.level)).all())
        assert levels == {ENTRIES: 3, 1: 1}
        tiles = log.store.read_tiles(conn, [(0, 0), (0, 1), (0, 2), (0, 3), (ENTRIES, 2), (1, 0)])
    leaves = [merkle.leaf_hash(e) for e in entries]
    assert tiles[(0, 0)] == b"".join(leaves[:256])
    assert tiles[(0, 1)] == b"".join(leaves[256:512])
    assert tiles[(0, 2)] == b"".join(leaves[512:])  # the partial tile, 88 hashes
    assert (0, 3) not in tiles  # beyond the log: absent, like any missing tile
    assert tiles[(ENTRIES, 2)] == bundle_entries(entries[512:])
    roots = [merkle.tree_hash(256, reference(entries[i : i + 256])) for i in (0, 256)]
    assert tiles[(1, 0)] == b"".join(roots)
    with pytest.raises(ValueError, match="level-0"), log.db.writer.begin() as conn:
        log.store.write_tiles(conn, [TileWrite((0, 3), 0, b"\x00" * 32)])


def test_audit_finds_a_stored_level_0_tile(log):
    log.append([b"a", b"b"])
    with log.db.writer.begin() as conn:
        conn.execute(sa.insert(log_tiles).values(level=0, idx=0, data=merkle.leaf_hash(b"a") + merkle.leaf_hash(b"b")))
    assert any("level-0 tiles are stored" in p for p in audit(log).problems)


def test_append_refuses_a_damaged_right_edge(log):
    log.append([b"a", b"b", b"c"])
    with log.db.writer.begin() as conn:
        conn.execute(
            sa.update(log_tiles).where(log_tiles.c.level == ENTRIES).values(data=bundle_entries([b"a", b"b"]))
        )
    with pytest.raises(LogError, match="storage is inconsistent"):
        log.append([b"d"])
    assert log.head().size == 3


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
    from tenderproof.ledger.storage import HeadMoved

    log.append([b"a", b"b", b"c"])
    before = log.head()
    with pytest.raises(HeadMoved), log.db.writer.begin() as conn:
        log.store.advance_head(conn, 2, 3, b"\x11" * 32)
    with pytest.raises(HeadMoved), log.db.writer.begin() as conn:
        log.store.write_tiles(conn, [TileWrite((ENTRIES, 0), len(bundle_entries([b"a", b"b"])), b"\x22" * 12)])
    log.append([f"x{i}".encode() for i in range(2 * 256)])  # level 1 now holds a partial tile of 2
    grown = log.head()
    with pytest.raises(HeadMoved), log.db.writer.begin() as conn:
        log.store.write_tiles(conn, [TileWrite((1, 0), 1 * 32, b"\x22" * 64)])
    assert log.head() == grown and grown.size == before.size + 512
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
    """Property: one flipped bit in any stored tile (bundle or hash tile of level 1 up) is detected."""
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


@pytest.mark.parametrize("path, want", [
    ("tile/0/000", (0, 0, 256)),
    ("tile/1/x001/x234/067.p/8", (1, 1234067, 8)),
    ("tile/entries/005.p/255", (ENTRIES, 5, 255)),
])
def test_tile_paths_parse(path, want):
    from tenderproof.ledger.tiles import parse_tile_path, tile_path

    assert parse_tile_path(path) == want
    assert tile_path(*want) == path


@pytest.mark.parametrize("path", ["tile/0/000.p/256", "tile/0/000.p/0", "tile/0/0", "tile/0/x000/001", "tile/-1/000"])
def test_bad_tile_paths_are_refused(path):
    from tenderproof.ledger.tiles import TileError, parse_tile_path

    with pytest.raises(TileError):
        parse_tile_path(path)
