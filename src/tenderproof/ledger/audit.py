"""A full audit of a stored log: trust nothing that can be recomputed.

Re-hashes every entry of every bundle, rebuilds every hash tile of level 1 and up and compares it
byte for byte with the stored one, checks that no level-0 tile is stored (level 0 is computed
from the bundles, never stored), recomputes the root and compares it with the head, and checks
every stored checkpoint: its signature under the log's key, its origin, and that its root is the
root of the tree at its size (which makes all checkpoints mutually consistent; consecutive pairs
are also checked with real consistency proofs, as an outside monitor would). The roots and proofs
are computed with a cache of the audit's own, never with hashes the log computed earlier.

A flipped bit in a bundle changes a leaf hash, hence the root of its level-0 tile: in a full
bundle that root is a hash of a level-1 tile, and in the partial last bundle it feeds the root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import merkle
from .checkpoint import Checkpoint
from .cosignature import verifier_from_vkey
from .log import Log
from .note import open_note
from .storage import Head, fetcher
from .tables import log_tiles
from .tiles import (
    ENTRIES,
    TILE_WIDTH,
    TileCache,
    TileError,
    TileHashReader,
    split_bundle,
    tile_counts,
    tile_path,
)


@dataclass
class AuditReport:
    size: int = 0
    tiles: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _node_row(hashes: list[bytes]) -> bytes:
    row = hashes
    while len(row) > 1:
        row = [hashlib.sha256(b"\x01" + row[i] + row[i + 1]).digest() for i in range(0, len(row), 2)]
    return row[0]


def _child(level: int, idx: int) -> str:
    """The tile a hash of tile level `level` + 1 is the root of (level 0 names its bundle)."""
    return tile_path(ENTRIES, idx) if level == 0 else tile_path(level, idx)


def audit(log: Log, progress: Callable[[int, int], None] | None = None, max_problems: int = 20) -> AuditReport:
    """Audit `log`; `progress(done, total)` is called as entries are re-hashed."""
    report = AuditReport()

    def problem(msg: str) -> None:
        if len(report.problems) < max_problems:
            report.problems.append(msg)

    with log.db.reader.connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        head = log.store.head(conn)
        size = report.size = head.size
        t = log_tiles.c

        stray = conn.execute(sa.select(sa.func.count()).select_from(log_tiles).where(t.level == 0)).scalar_one()
        if stray:
            problem(f"{stray} level-0 tiles are stored; level 0 is computed from the entry bundles, never stored")

        # The bundles, streamed; their leaf hashes are level 0.
        rows = conn.execution_options(stream_results=True, yield_per=64).execute(
            sa.select(t.idx, t.data).where(t.level == ENTRIES).order_by(t.idx)
        )
        upper: list[bytes] = []  # roots of full level-0 tiles: the hashes of tile level 1
        expect_bundles = (size + TILE_WIDTH - 1) // TILE_WIDTH
        seen = 0
        for row in rows:
            idx = int(row.idx)
            if idx >= expect_bundles:
                problem(f"{tile_path(ENTRIES, idx)} lies beyond the tree of size {size}")
                continue
            if idx != seen:
                problem(f"{tile_path(ENTRIES, seen)} and the bundles up to index {idx} are missing")
                break
            seen += 1
            report.tiles += 1
            needed = min(TILE_WIDTH, size - idx * TILE_WIDTH)
            try:
                entries = split_bundle(bytes(row.data))
            except TileError as e:
                problem(f"{tile_path(ENTRIES, idx, needed)}: {e}")
                continue
            if len(entries) != needed:
                problem(f"{tile_path(ENTRIES, idx, needed)} holds {len(entries)} entries, the tree needs {needed}")
            if len(entries) == TILE_WIDTH:
                upper.append(_node_row([merkle.leaf_hash(e) for e in entries]))
            if progress:
                progress(min(seen * TILE_WIDTH, size), size)
        if seen != expect_bundles:
            problem(f"found {seen} entry bundles, the tree of size {size} needs {expect_bundles}")

        # Higher levels are small: 1/256 of the one below.
        for level, count in list(tile_counts(size))[1:]:
            stored = {
                int(r.idx): bytes(r.data)
                for r in conn.execute(sa.select(t.idx, t.data).where(t.level == level).order_by(t.idx))
            }
            built = b"".join(upper[:count])
            if len(upper) < count:
                problem(f"level {level} needs {count} hashes, the level below yields {len(upper)}")
            next_upper = []
            for idx in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
                want = built[idx * TILE_WIDTH * 32 : (idx + 1) * TILE_WIDTH * 32]
                have = stored.pop(idx, None)
                if have != want:
                    differ = [
                        _child(level - 1, idx * TILE_WIDTH + j)
                        for j in range(len(want) // 32)
                        if have is None or have[j * 32 : (j + 1) * 32] != want[j * 32 : (j + 1) * 32]
                    ]
                    more = ", …" if len(differ) > 3 else ""
                    where = f" (the hashes of {', '.join(differ[:3])}{more})" if differ else ""
                    problem(f"{tile_path(level, idx, len(want) // 32)} does not match the tiles below it{where}")
                if len(want) == TILE_WIDTH * 32:
                    next_upper.append(_node_row([want[i : i + 32] for i in range(0, len(want), 32)]))
                report.tiles += 1
            for idx in stored:
                problem(f"{tile_path(level, idx)} lies beyond the tree of size {size}")
            upper = next_upper
        top = len(list(tile_counts(size)))
        extra = conn.execute(
            sa.select(sa.func.count()).select_from(log_tiles).where(t.level >= max(top, 1))
        ).scalar_one()
        if extra:
            problem(f"{extra} tiles stored at levels the tree of size {size} does not have")

        # Roots and proofs from the stored tiles just checked, with a cache of the audit's own:
        # the log's cache may hold hashes computed before the storage was damaged.
        cache = TileCache()
        fetch = fetcher(log.store, conn)

        def reader(n: int) -> TileHashReader:
            return TileHashReader(n, fetch, cache)

        if report.ok:
            try:
                root = merkle.tree_hash(size, reader(size))
            except merkle.ProofError as e:
                problem(f"cannot compute the root: {e}")
            else:
                if root != head.root:
                    problem(
                        f"the head's root for size {size} is not the root of the stored tiles "
                        "(an entry or the head's root has changed)"
                    )

        _audit_checkpoints(log, conn, head, report, problem, reader)
    return report


def _audit_checkpoints(
    log: Log,
    conn: Connection,
    head: Head,
    report: AuditReport,
    problem: Callable[[str], None],
    reader: Callable[[int], TileHashReader],
) -> None:
    verifier = verifier_from_vkey(head.vkey)
    previous: Checkpoint | None = None
    for size, note in log.store.checkpoints(conn):
        report.checkpoints += 1
        try:
            cp = Checkpoint.parse(open_note(note, [verifier]).text)
        except ValueError as e:
            problem(f"checkpoint of size {size}: {e}")
            continue
        if cp.origin != head.origin or cp.size != size:
            problem(f"checkpoint stored as size {size} says origin {cp.origin!r}, size {cp.size}")
            continue
        if size > head.size:
            problem(f"checkpoint of size {size} is beyond the head's size {head.size}")
            continue
        if not report.problems:
            try:
                if cp.root != merkle.tree_hash(size, reader(size)):
                    problem(f"checkpoint of size {size} has a root that is not the tree's root at that size")
                    continue
                if previous is not None and previous.size > 0:
                    proof = merkle.consistency_proof(previous.size, size, reader(size))
                    merkle.verify_consistency(previous.size, size, proof, previous.root, cp.root)
            except merkle.ProofError as e:
                problem(f"checkpoint of size {size}: {e}")
                continue
        previous = cp
