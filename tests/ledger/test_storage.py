"""Tile storage and the tile cache: query plans, level 0 served from bundles, caching rules."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tenderproof.ledger import merkle
from tenderproof.ledger.storage import SqlLedgerStore
from tenderproof.ledger.tiles import ENTRIES, TileCache


def reference(entries):
    mem = merkle.MemoryHashes()
    for e in entries:
        mem.append(e)
    return mem


class CountingStore(SqlLedgerStore):
    def __init__(self) -> None:
        self.reads: list[list] = []

    def read_tiles(self, conn, keys):
        self.reads.append(list(keys))
        return super().read_tiles(conn, keys)


def captured_queries(engine, fn):
    """The (statement, parameters) of every tile query `fn` runs on `engine`."""
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if "log_tiles" in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    return seen


def test_read_tiles_is_one_query_answered_from_the_primary_key(log):
    """Regression: the row-value IN used to be a full table scan on SQLite 3.40."""
    log.append([f"e{i}".encode() for i in range(256 * 3 + 5)])
    keys = [(ENTRIES, 1), (ENTRIES, 3), (0, 2), (0, 3), (1, 0)]
    engine = log.db.reader
    with engine.connect() as conn:
        got = {}
        queries = captured_queries(engine, lambda: got.update(log.store.read_tiles(conn, keys)))
        assert len(queries) == 1
        assert set(got) == set(keys)
        statement, params = queries[0]
        if conn.dialect.name == "sqlite":
            plan = " | ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
            assert "SCAN log_tiles" not in plan, plan
            assert "SEARCH log_tiles USING" in plan and "(level=? AND idx=?)" in plan, plan
        else:
            # A tiny table makes a sequential scan the cheapest plan; forbid it to see whether
            # the primary key can answer the query at all.
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " | ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params))
            assert "Seq Scan" not in plan and "log_tiles_pkey" in plan, plan


def test_level_0_is_served_from_the_bundle_at_its_current_width(log):
    entries = [f"x{i}".encode() for i in range(300)]
    log.append(entries[:270])
    with log.db.reader.connect() as conn:
        assert log.store.read_tiles(conn, [(0, 1)])[(0, 1)] == b"".join(merkle.leaf_hash(e) for e in entries[256:270])
    log.append(entries[270:])
    with log.db.reader.connect() as conn:
        assert log.store.read_tiles(conn, [(0, 1)])[(0, 1)] == b"".join(merkle.leaf_hash(e) for e in entries[256:])
        assert log.store.read_tiles(conn, [(0, 7), (1, 1), (ENTRIES, 9)]) == {}


def test_warm_proofs_at_any_size_are_pure_lookups(log):
    """Partial tiles are cached too, by width: a warm proof at any size reads no tile."""
    entries = [f"entry {i}".encode() for i in range(256 * 2 + 200)]
    log.append(entries)
    store = log.store = CountingStore()
    mem = reference(entries)
    sizes = [712, 700, 650, 513, 300, 257, 255, 100, 3, 1]

    def prove_all():
        for size in sizes:
            root = merkle.tree_hash(size, mem)
            for index in {0, size // 2, size - 1}:
                proof = log.inclusion_proof(index, size)
                merkle.verify_inclusion(index, size, merkle.leaf_hash(entries[index]), proof, root)
            for old in {1, size // 3 or 1, size}:
                merkle.verify_consistency(old, size, log.consistency_proof(old, size), merkle.tree_hash(old, mem), root)

    prove_all()
    assert store.reads  # the cold round read tiles
    store.reads.clear()
    prove_all()
    assert store.reads == []
    # The widest tile cached answers every narrower width: only 712's edge was ever read.
    log.cache = TileCache()
    log.inclusion_proof(0, 712)
    store.reads.clear()
    for size in range(513, 712):
        log.inclusion_proof(size - 1, size)
    assert store.reads == []
    # Growing the log widens the right edge: the wider tile is read once, then cached.
    more = [f"more {i}".encode() for i in range(30)]
    log.append(more)
    mem = reference(entries + more)
    store.reads.clear()
    for _ in range(2):
        proof = log.inclusion_proof(720, 742)
        merkle.verify_inclusion(720, 742, merkle.leaf_hash(more[8]), proof, merkle.tree_hash(742, mem))
    assert len(store.reads) == 1


def test_a_rolled_back_append_never_reaches_the_shared_cache(log):
    """Tiles read inside a transaction that appended may never commit: they are not cached."""
    log.append([f"base {i}".encode() for i in range(300)])
    doomed = [f"doomed {i}".encode() for i in range(20)]
    kept = [f"kept {i}".encode() for i in range(20)]

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), log.db.writer.begin() as conn:
        log.append(doomed, conn=conn)
        # Reading the uncommitted tree in its own transaction works...
        mem = reference([f"base {i}".encode() for i in range(300)] + doomed)
        proof = log.inclusion_proof(310, 320, conn)
        merkle.verify_inclusion(310, 320, merkle.leaf_hash(doomed[10]), proof, merkle.tree_hash(320, mem))
        assert log.root(320, conn) == merkle.tree_hash(320, mem)
        raise Rollback
    log.append(kept)
    mem = reference([f"base {i}".encode() for i in range(300)] + kept)
    # ...but none of it was kept: proofs of the committed tree of the same size are right.
    assert log.head().size == 320
    for index in (0, 256, 300, 310, 319):
        proof = log.inclusion_proof(index, 320)
        merkle.verify_inclusion(index, 320, mem_leaf(mem, index), proof, merkle.tree_hash(320, mem))
    with log.db.reader.connect() as conn:
        assert log.root(320, conn) == merkle.tree_hash(320, mem) == log.head().root


def mem_leaf(mem, index):
    return mem.read_hashes([(0, index)])[0]


def test_tile_cache_serves_narrower_widths_from_the_widest():
    cache = TileCache(max_tiles=2)
    cache.put((0, 0), [b"w10"], 10)
    assert cache.get((0, 0), 10) == [b"w10"] and cache.get((0, 0), 3) == [b"w10"]
    assert cache.get((0, 0), 11) is None and cache.get((0, 0)) is None
    cache.put((0, 0), [b"w5"], 5)  # narrower: the wider one stays
    assert cache.get((0, 0), 10) == [b"w10"]
    cache.put((0, 0), [b"full"])
    assert cache.get((0, 0)) == [b"full"]
    cache.put((0, 1), [b"a"], 1)
    cache.get((0, 0), 1)  # now (0, 1) is the least recently used
    cache.put((1, 0), [b"b"], 1)
    assert cache.get((0, 1), 1) is None and cache.get((0, 0)) == [b"full"] and cache.get((1, 0), 1) == [b"b"]
