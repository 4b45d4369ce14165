"""The ledger's narrow storage interface, and its one implementation over SQLAlchemy Core.

Everything the log needs from a database is here: read the head (optionally locking it), read
tiles, write grown tiles, advance the head by compare-and-swap, and keep checkpoints and
cosignatures. Every method takes the caller's connection, so the app layer can append events
and update its projections in one transaction.

Table `log_tiles` holds the entry bundles (level -1) and the hash tiles of levels 1 and up.
Level-0 hash tiles are not stored: each is the leaf hashes of the entries in the bundle with the
same index, so `read_tiles` computes it from that bundle. That saves 32 bytes per entry, and a
level-0 tile can never disagree with its bundle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .tables import log_checkpoints, log_cosignatures, log_head, log_policy, log_tiles, log_witnesses
from .tiles import ENTRIES, TileFetch, TileKey, leaf_tile

# Built once: every receipt runs these, and building a statement costs more than running it.
_LATEST_CHECKPOINT = (sa.select(log_checkpoints.c.size, log_checkpoints.c.note)
                      .order_by(log_checkpoints.c.size.desc()).limit(1))
_CHECKPOINT = (sa.select(log_checkpoints.c.size, log_checkpoints.c.note)
               .where(log_checkpoints.c.size == sa.bindparam("size")))
_COSIGNATURE_LINES = (sa.select(log_cosignatures.c.line).where(log_cosignatures.c.size == sa.bindparam("size"))
                      .order_by(log_cosignatures.c.key_name, log_cosignatures.c.key_id))

class Engines(Protocol):
    """Where the log's tables live: an engine to read with and one to write with (the app's
    `store.db.Database` is one; the writer serialises appends, e.g. SQLite `BEGIN IMMEDIATE`)."""

    @property
    def reader(self) -> Engine: ...

    @property
    def writer(self) -> Engine: ...


class HeadMoved(RuntimeError):
    """Another writer advanced the tree head first; the transaction must be retried."""


class LogNotInitialized(RuntimeError):
    """The database holds no log: run `tenderproof init`."""


@dataclass(frozen=True)
class Head:
    origin: str
    vkey: str
    size: int
    root: bytes


@dataclass(frozen=True)
class TileWrite:
    """A tile's new content; `old_len` is the length it had when read (0 if it did not exist)."""

    key: TileKey
    old_len: int
    data: bytes


class LedgerStore(Protocol):
    def head(self, conn: Connection, lock: bool = False) -> Head: ...
    def create_head(self, conn: Connection, origin: str, vkey: str, root: bytes) -> None: ...
    def read_tiles(self, conn: Connection, keys: Sequence[TileKey]) -> dict[TileKey, bytes]:
        """The current blobs of the asked tiles that exist; level 0 is computed from the bundles."""
        ...

    def write_tiles(self, conn: Connection, writes: Iterable[TileWrite]) -> None:
        """Store new and grown tiles (never level 0); HeadMoved if a partial tile changed since read."""
        ...

    def advance_head(self, conn: Connection, old_size: int, new_size: int, root: bytes) -> None: ...
    def checkpoint(self, conn: Connection, size: int | None = None) -> tuple[int, str] | None: ...
    def checkpoints(self, conn: Connection) -> list[tuple[int, str]]: ...
    def add_checkpoint(self, conn: Connection, size: int, note: str) -> str: ...
    def cosignature_lines(self, conn: Connection, size: int) -> list[str]: ...
    def add_cosignature(self, conn: Connection, size: int, name: str, key_id: bytes, line: str, ts: int) -> None: ...
    def witnesses(self, conn: Connection) -> dict[str, str]: ...
    def add_witness(self, conn: Connection, name: str, vkey: str, url: str | None = None) -> None: ...
    def last_cosigned_size(self, conn: Connection, name: str) -> int: ...
    def witness_urls(self, conn: Connection) -> dict[str, str | None]: ...
    def set_witness_url(self, conn: Connection, name: str, url: str | None) -> None: ...
    def cosigned_sizes(self, conn: Connection, limit: int) -> list[int]:
        """The largest `limit` checkpoint sizes with at least one cosignature, largest first."""
        ...

    def quorum(self, conn: Connection) -> int | None: ...
    def set_quorum(self, conn: Connection, quorum: int) -> None: ...


class SqlLedgerStore:
    """LedgerStore over SQLite or PostgreSQL."""

    def head(self, conn: Connection, lock: bool = False) -> Head:
        q = sa.select(log_head.c.origin, log_head.c.vkey, log_head.c.size, log_head.c.root).where(log_head.c.id == 1)
        if lock and conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            raise LogNotInitialized("the database holds no log; run `tenderproof init` first")
        return Head(row.origin, row.vkey, int(row.size), bytes(row.root))

    def create_head(self, conn: Connection, origin: str, vkey: str, root: bytes) -> None:
        conn.execute(sa.insert(log_head).values(id=1, origin=origin, vkey=vkey, size=0, root=root))

    def read_tiles(self, conn: Connection, keys: Sequence[TileKey]) -> dict[TileKey, bytes]:
        """The current blobs of the asked tiles that exist; a level-0 tile is computed from its bundle."""
        if not keys:
            return {}
        want = dict.fromkeys(keys)
        rows_for = dict.fromkeys((ENTRIES, idx) if level == 0 else (level, idx) for level, idx in want)
        by_level: dict[int, list[int]] = {}
        for level, idx in rows_for:
            by_level.setdefault(level, []).append(idx)
        # One query, `(level = ? AND idx IN (…)) OR …`, one term per level, so that both SQLite
        # and PostgreSQL answer it from the primary key. SQLite 3.40 plans one level as `SEARCH
        # log_tiles USING INDEX sqlite_autoindex_log_tiles_1 (level=? AND idx=?)` and several as a
        # MULTI-INDEX OR of such searches; PostgreSQL as `Index Scan using log_tiles_pkey` with
        # `idx = ANY (…)`, or a BitmapOr of Bitmap Index Scans on log_tiles_pkey. The row-value
        # form `(level, idx) IN ((?, ?), …)` is not used: SQLite 3.40 plans it as a full
        # `SCAN log_tiles`, about 7 ms a query at 1M entries. tests/ledger/test_storage.py checks
        # the plans on both backends.
        t = log_tiles.c
        terms = [sa.and_(t.level == level, t.idx.in_(idxs)) for level, idxs in by_level.items()]
        rows = conn.execute(sa.select(t.level, t.idx, t.data).where(sa.or_(*terms)))
        got = {(int(r.level), int(r.idx)): bytes(r.data) for r in rows}
        out = {}
        for level, idx in want:
            if level == 0:
                bundle = got.get((ENTRIES, idx))
                if bundle is not None:
                    out[(0, idx)] = leaf_tile(bundle)
            elif (level, idx) in got:
                out[(level, idx)] = got[(level, idx)]
        return out

    def write_tiles(self, conn: Connection, writes: Iterable[TileWrite]) -> None:
        t = log_tiles.c
        inserts = []
        for w in writes:
            if w.key[0] == 0:
                raise ValueError(f"tile {w.key} is a level-0 hash tile: those are computed from bundles, never stored")
            if w.old_len == 0:
                inserts.append({"level": w.key[0], "idx": w.key[1], "data": w.data})
                continue
            # Grow a partial tile only if it is still the length we read: a tile is never
            # rewritten behind another writer's back.
            res = conn.execute(
                sa.update(log_tiles)
                .where(t.level == w.key[0], t.idx == w.key[1], sa.func.length(t.data) == w.old_len)
                .values(data=w.data)
            )
            if res.rowcount != 1:
                raise HeadMoved(f"tile {w.key} changed under this writer")
        if inserts:
            # A duplicate key here means another writer got there first: the IntegrityError
            # aborts this transaction, and the caller retries.
            conn.execute(sa.insert(log_tiles), inserts)

    def advance_head(self, conn: Connection, old_size: int, new_size: int, root: bytes) -> None:
        res = conn.execute(
            sa.update(log_head).where(log_head.c.id == 1, log_head.c.size == old_size).values(size=new_size, root=root)
        )
        if res.rowcount != 1:
            raise HeadMoved(f"tree head is no longer at size {old_size}")

    def checkpoint(self, conn: Connection, size: int | None = None) -> tuple[int, str] | None:
        row = (conn.execute(_LATEST_CHECKPOINT) if size is None else conn.execute(_CHECKPOINT, {"size": size})).first()
        return None if row is None else (int(row.size), row.note)

    def checkpoints(self, conn: Connection) -> list[tuple[int, str]]:
        c = log_checkpoints.c
        return [(int(r.size), r.note) for r in conn.execute(sa.select(c.size, c.note).order_by(c.size))]

    def add_checkpoint(self, conn: Connection, size: int, note: str) -> str:
        """Store the checkpoint of `size` unless one exists; return the stored one."""
        existing = self.checkpoint(conn, size)
        if existing is not None:
            return existing[1]
        conn.execute(sa.insert(log_checkpoints).values(size=size, note=note))
        return note

    def cosignature_lines(self, conn: Connection, size: int) -> list[str]:
        return list(conn.execute(_COSIGNATURE_LINES, {"size": size}).scalars())

    def add_cosignature(self, conn: Connection, size: int, name: str, key_id: bytes, line: str, ts: int) -> None:
        c = log_cosignatures.c
        old = conn.execute(
            sa.select(c.timestamp).where(c.size == size, c.key_name == name, c.key_id == key_id)
        ).first()
        if old is None:
            conn.execute(
                sa.insert(log_cosignatures).values(size=size, key_name=name, key_id=key_id, line=line, timestamp=ts)
            )
        elif ts > old.timestamp:
            conn.execute(
                sa.update(log_cosignatures)
                .where(c.size == size, c.key_name == name, c.key_id == key_id)
                .values(line=line, timestamp=ts)
            )

    def witnesses(self, conn: Connection) -> dict[str, str]:
        w = log_witnesses.c
        return {r.name: r.vkey for r in conn.execute(sa.select(w.name, w.vkey).order_by(w.name))}

    def add_witness(self, conn: Connection, name: str, vkey: str, url: str | None = None) -> None:
        conn.execute(sa.insert(log_witnesses).values(name=name, vkey=vkey, url=url))

    def last_cosigned_size(self, conn: Connection, name: str) -> int:
        c = log_cosignatures.c
        return int(conn.execute(sa.select(sa.func.max(c.size)).where(c.key_name == name)).scalar() or 0)

    def witness_urls(self, conn: Connection) -> dict[str, str | None]:
        w = log_witnesses.c
        return {r.name: r.url for r in conn.execute(sa.select(w.name, w.url).order_by(w.name))}

    def set_witness_url(self, conn: Connection, name: str, url: str | None) -> None:
        conn.execute(sa.update(log_witnesses).where(log_witnesses.c.name == name).values(url=url))

    def cosigned_sizes(self, conn: Connection, limit: int) -> list[int]:
        c = log_cosignatures.c
        q = sa.select(c.size).group_by(c.size).order_by(c.size.desc()).limit(limit)
        return [int(r.size) for r in conn.execute(q)]

    def quorum(self, conn: Connection) -> int | None:
        got = conn.execute(sa.select(log_policy.c.quorum).where(log_policy.c.id == 1)).scalar()
        return None if got is None else int(got)

    def set_quorum(self, conn: Connection, quorum: int) -> None:
        if conn.execute(sa.update(log_policy).where(log_policy.c.id == 1).values(quorum=quorum)).rowcount != 1:
            conn.execute(sa.insert(log_policy).values(id=1, quorum=quorum))


def fetcher(store: LedgerStore, conn: Connection) -> TileFetch:
    """A tile fetch function bound to one connection, for TileHashReader."""

    def fetch(keys: Sequence[TileKey]) -> Mapping[TileKey, bytes]:
        return store.read_tiles(conn, keys)

    return fetch
