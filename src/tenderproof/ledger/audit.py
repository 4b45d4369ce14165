"""A full audit of a stored log: trust nothing that can be recomputed.

Re-hashes every entry, rebuilds every tile of every level and compares it byte for byte with the
stored one, recomputes the root and compares it with the head, and checks every stored
checkpoint: its signature under the log's key, its origin, and that its root is the root of the
tree at its size (which makes all checkpoints mutually consistent; consecutive pairs are also
checked with real consistency proofs, as an outside monitor would).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

import sqlalchemy as sa

from tenderproof.store.schema import log_tiles

from . import merkle
from .checkpoint import Checkpoint
from .log import Log
from .note import open_note, verifier_from_vkey
from .tiles import ENTRIES, TILE_HEIGHT, TILE_WIDTH, TileError, split_bundle, tile_counts, tile_path


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

        # Levels -1 (bundles) and 0 (leaf hashes) together, bundle by bundle, streamed.
        rows = conn.execution_options(stream_results=True, yield_per=64).execute(
            sa.select(t.level, t.idx, t.data).where(t.level.in_([ENTRIES, 0])).order_by(t.idx, t.level)
        )
        upper: list[bytes] = []  # roots of full level-0 tiles: the hashes of tile level 1
        expect_bundles = (size + TILE_WIDTH - 1) // TILE_WIDTH
        seen = 0
        for idx, group in groupby(rows, key=lambda r: int(r.idx)):
            pair = {int(r.level): bytes(r.data) for r in group}
            if idx >= expect_bundles:
                problem(f"tiles at index {idx} of levels -1/0 lie beyond the tree of size {size}")
                continue
            if idx != seen:
                problem(f"{tile_path(ENTRIES, seen)} and the tiles up to index {idx} are missing")
                break
            seen += 1
            report.tiles += len(pair)
            bundle, tile = pair.get(ENTRIES), pair.get(0)
            want = min(TILE_WIDTH, size - idx * TILE_WIDTH)
            if bundle is None or tile is None:
                problem(f"{tile_path(ENTRIES if bundle is None else 0, idx, want)} is missing")
                continue
            try:
                entries = split_bundle(bundle)
            except TileError as e:
                problem(f"{tile_path(ENTRIES, idx, want)}: {e}")
                continue
            if len(entries) != want:
                problem(f"{tile_path(ENTRIES, idx, want)} holds {len(entries)} entries, the tree needs {want}")
            hashes = [merkle.leaf_hash(e) for e in entries]
            if b"".join(hashes) != tile:
                problem(f"{tile_path(0, idx, want)} does not match the hashes of the entries in its bundle")
            if len(hashes) == TILE_WIDTH:
                upper.append(_node_row(hashes))
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
                if stored.pop(idx, None) != want:
                    problem(f"{tile_path(level, idx, len(want) // 32)} does not match the tiles below it")
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

        if report.ok:
            try:
                root = log.root(size, conn)
            except merkle.ProofError as e:
                problem(f"cannot compute the root: {e}")
            else:
                if root != head.root:
                    problem(f"the head's root for size {size} is not the root of the stored tiles")

        _audit_checkpoints(log, conn, head, report, problem)
    return report


def _audit_checkpoints(log: Log, conn, head, report: AuditReport, problem) -> None:
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
                if cp.root != log.root(size, conn):
                    problem(f"checkpoint of size {size} has a root that is not the tree's root at that size")
                    continue
                if previous is not None and previous.size > 0:
                    proof = log.consistency_proof(previous.size, size, conn)
                    merkle.verify_consistency(previous.size, size, proof, previous.root, cp.root)
            except merkle.ProofError as e:
                problem(f"checkpoint of size {size}: {e}")
                continue
        previous = cp
