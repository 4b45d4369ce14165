"""The log: appends, checkpoints and proofs over tiles in the database.

This is the API the rest of tenderproof uses. It knows nothing about procurement: an entry is
bytes. Appends are durable when `append` returns (the transaction has committed); a batch is one
transaction. A single writer is guaranteed by locking the head row and, as the last word, a
compare-and-swap of the head's size: a writer that lost the race rolls back and retries, so the
log can never fork.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection, RootTransaction
from sqlalchemy.exc import IntegrityError, OperationalError

from . import merkle
from .checkpoint import Checkpoint
from .cosignature import verifier_from_vkey
from .note import NoteVerifier, Signer, open_note, sign_note
from .storage import Engines, Head, HeadMoved, LedgerStore, SqlLedgerStore, TileWrite, fetcher
from .tiles import (
    ENTRIES,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileCache,
    TileHashReader,
    TileKey,
    bundle_entries,
    check_entries,
    leaf_tile,
    split_bundle,
    tile_levels,
)
from .tlogproof import TlogProof

MAX_RETRIES = 50


class LogError(RuntimeError):
    """A log operation was refused; the message says why. Nothing was written."""


@dataclass(frozen=True)
class Appended:
    """An acknowledged (durable) append: entries [first, first + count) in a tree of `size`."""

    first: int
    count: int
    size: int
    root: bytes


def _full_tile_root(data: bytes) -> bytes:
    row = [data[i : i + 32] for i in range(0, len(data), 32)]
    while len(row) > 1:
        row = [hashlib.sha256(b"\x01" + row[i] + row[i + 1]).digest() for i in range(0, len(row), 2)]
    return row[0]


def _grow(
    level: int, start: int, new: Sequence[bytes], old: bytes, pack: Callable[[Sequence[bytes]], bytes]
) -> tuple[list[TileWrite], list[bytes]]:
    """Add `new` items at position `start` of a tile level; return the writes and new full tiles."""
    writes: list[TileWrite] = []
    full: list[bytes] = []
    idx, off = divmod(start, TILE_WIDTH)
    data = old if off else b""
    i = 0
    while i < len(new):
        take = min(TILE_WIDTH - off, len(new) - i)
        grown = data + pack(new[i : i + take])
        writes.append(TileWrite((level, idx), len(data), grown))
        if off + take == TILE_WIDTH:
            full.append(grown)
        i, idx, off, data = i + take, idx + 1, 0, b""
    return writes, full


def _edge_keys(size: int) -> list[TileKey]:
    """The partial tiles of a tree of `size`: its partial bundle and partial hash tiles (≥ 1)."""
    edge: list[TileKey] = []
    if size % TILE_WIDTH:
        edge.append((ENTRIES, size // TILE_WIDTH))
    level, count = 1, size >> TILE_HEIGHT
    while count:
        if count % TILE_WIDTH:
            edge.append((level, count // TILE_WIDTH))
        level, count = level + 1, count >> TILE_HEIGHT
    return edge


class Log:
    """A transparency log stored as tiles in a database.

    `signer` is the log's private key, needed only to sign checkpoints; readers, provers and
    auditors work without it.
    """

    def __init__(self, db: Engines, signer: Signer | None = None, store: LedgerStore | None = None) -> None:
        self.db = db
        self.signer = signer
        self.store = store or SqlLedgerStore()
        self.cache = TileCache()  # only ever fed from committed state; see `reader`
        # Connections whose current transaction has appended (and may not commit): the
        # transaction, weakly, so a finished transaction no longer counts.
        self._unsettled: weakref.WeakKeyDictionary[Connection, weakref.ref[RootTransaction]] = (
            weakref.WeakKeyDictionary()
        )
        # The tree's right edge (partial bundle and partial tiles) after the last append this
        # process made, keyed by (size, root): valid exactly when the head still has that size
        # and root, since the root commits to every entry. Saves re-reading the partial tiles.
        self._edge: tuple[int, bytes, dict[TileKey, bytes]] | None = None
        self._edge_lock = threading.Lock()
        self._own_verifier: NoteVerifier | None = None
        self._last_opened: tuple[str, Checkpoint] | None = None  # see `_opened`

    # --- reading ------------------------------------------------------------------------------

    def head(self, conn: Connection | None = None) -> Head:
        if conn is not None:
            return self.store.head(conn)
        with self.db.reader.connect() as c:
            return self.store.head(c)

    def reader(self, conn: Connection, size: int) -> TileHashReader:
        """A hash reader of the tree of `size` over `conn`.

        It shares `self.cache` unless `conn` is inside a transaction that has appended: what that
        transaction reads may never be committed, so it gets a cache of its own.
        """
        txn = self._unsettled.get(conn)
        if txn is not None and txn() is not None and txn() is conn.get_transaction():
            return TileHashReader(size, fetcher(self.store, conn), TileCache(64))
        return TileHashReader(size, fetcher(self.store, conn), self.cache)

    def entries(self, start: int, end: int, conn: Connection | None = None) -> list[bytes]:
        """Entries [start, end), read from their bundles."""
        if conn is None:
            with self.db.reader.connect() as c:
                return self.entries(start, end, c)
        size = self.store.head(conn).size
        if not 0 <= start <= end <= size:
            raise LogError(f"entries [{start}, {end}) are not in the log of size {size}")
        keys = [(ENTRIES, i) for i in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH)]
        blobs = self.store.read_tiles(conn, keys)
        out: list[bytes] = []
        for key in keys:
            out.extend(split_bundle(blobs[key]))
        base = keys[0][1] * TILE_WIDTH if keys else 0
        return out[start - base : end - base]

    def entry(self, index: int, conn: Connection | None = None) -> bytes:
        return self.entries(index, index + 1, conn)[0]

    def root(self, size: int, conn: Connection) -> bytes:
        return merkle.tree_hash(size, self.reader(conn, size))

    def inclusion_proof(self, index: int, size: int, conn: Connection | None = None) -> list[bytes]:
        if conn is None:
            with self.db.reader.connect() as c:
                return self.inclusion_proof(index, size, c)
        self._check_size(size, conn)
        return merkle.inclusion_proof(index, size, self.reader(conn, size))

    def consistency_proof(self, size1: int, size2: int, conn: Connection | None = None) -> list[bytes]:
        if conn is None:
            with self.db.reader.connect() as c:
                return self.consistency_proof(size1, size2, c)
        self._check_size(size2, conn)
        return merkle.consistency_proof(size1, size2, self.reader(conn, size2))

    def _check_size(self, size: int, conn: Connection) -> None:
        have = self.store.head(conn).size
        if size > have:
            raise LogError(f"tree size {size} is beyond the log's size {have}")

    # --- appending ----------------------------------------------------------------------------

    def append(self, entries: Sequence[bytes], conn: Connection | None = None, head: Head | None = None) -> Appended:
        """Append `entries` in one transaction; durable when this returns.

        With `conn`, the append joins the caller's transaction (which must have been opened on
        `db.writer`), and is durable when the caller commits; the caller retries on HeadMoved.
        `head` is the head the caller read in that transaction under the lock, if it did.
        """
        if not entries:
            raise LogError("nothing to append: the batch is empty")
        entries = check_entries(entries)
        if conn is not None:
            return self._append(conn, entries, head)
        for _attempt in range(MAX_RETRIES):
            try:
                with self.db.writer.begin() as c:
                    return self._append(c, entries)
            except (HeadMoved, IntegrityError):
                continue
            except OperationalError as e:
                # PostgreSQL serialization failures and deadlocks are retryable; others are not.
                if getattr(e.orig, "sqlstate", None) not in ("40001", "40P01"):
                    raise
        raise LogError(f"could not append after {MAX_RETRIES} attempts: the log is too contended")

    def _append(self, conn: Connection, entries: list[bytes], head: Head | None = None) -> Appended:
        head = head or self.store.head(conn, lock=True)
        txn = conn.get_transaction()
        if txn is not None:
            self._unsettled[conn] = weakref.ref(txn)
        size, n = head.size, len(entries)
        new_size = size + n

        # The right edge: the partial bundle, if any, and the partial tile of each level from 1
        # up. Level 0 is not stored; its partial tile is the leaf hashes of the partial bundle.
        edge = _edge_keys(size)
        with self._edge_lock:
            cached = self._edge
        if cached is not None and cached[0] == size and cached[1] == head.root:
            old = dict(cached[2])
        else:
            old = self.store.read_tiles(conn, edge)
            self._check_edge(size, edge, old)
        old_bundle = old.get((ENTRIES, size // TILE_WIDTH), b"")
        if (0, size // TILE_WIDTH) not in old:
            old[(0, size // TILE_WIDTH)] = leaf_tile(old_bundle)

        writes, _ = _grow(ENTRIES, size, entries, old_bundle, bundle_entries)
        hashes = [merkle.leaf_hash(e) for e in entries]
        level = 0
        while hashes:
            start = size >> (TILE_HEIGHT * level)
            tile_writes, full = _grow(level, start, hashes, old.get((level, start // TILE_WIDTH), b""), b"".join)
            writes += tile_writes
            hashes = [_full_tile_root(t) for t in full]
            level += 1

        # The new root, from the tiles just built (a private cache: they are not committed yet).
        # The level-0 tiles are among them, though they are never written.
        written = {w.key: w.data for w in writes}
        base = fetcher(self.store, conn)

        def fetch(keys: Sequence[TileKey]) -> Mapping[TileKey, bytes]:
            rest = [k for k in keys if k not in written]
            got = dict(base(rest)) if rest else {}
            got.update({k: written[k] for k in keys if k in written})
            return got

        root = merkle.tree_hash(new_size, TileHashReader(new_size, fetch, TileCache(64)))
        try:
            self.store.write_tiles(conn, [w for w in writes if w.key[0] != 0])
        except HeadMoved:
            with self._edge_lock:
                self._edge = None  # the next attempt reads the edge from the database, and checks it
            raise
        self.store.advance_head(conn, size, new_size, root)
        new_edge = {k: written[k] if k in written else old[k] for k in _edge_keys(new_size)}
        if new_size % TILE_WIDTH:  # the partial level-0 tile too, so no append re-hashes its bundle
            new_edge[(0, new_size // TILE_WIDTH)] = written[(0, new_size // TILE_WIDTH)]
        with self._edge_lock:
            self._edge = (new_size, root, new_edge)
        return Appended(size, n, new_size, root)

    @staticmethod
    def _check_edge(size: int, edge: list[TileKey], old: dict[TileKey, bytes]) -> None:
        """Refuse to build on partial tiles that disagree with the head (a damaged database).

        The partial level-0 tile is the partial bundle's, so checking the bundle checks both.
        """
        for level, idx in edge:
            data = old.get((level, idx), b"")
            if level == ENTRIES:
                have, want = len(split_bundle(data)), size % TILE_WIDTH
            else:
                have, want = len(data) // 32, (size >> (TILE_HEIGHT * level)) % TILE_WIDTH
            if have != want:
                raise LogError(
                    f"storage is inconsistent: tile ({level}, {idx}) holds {have} items, the head implies {want}; "
                    "run `tenderproof log audit`"
                )

    # --- checkpoints --------------------------------------------------------------------------

    def checkpoint(self) -> str:
        """The signed checkpoint of the current tree, with its cosignatures; signs one if needed.

        At most one checkpoint is ever stored per size, and Ed25519 signatures are deterministic,
        so concurrent callers converge on the same note.
        """
        if self.signer is None:
            raise LogError("the log's private key is not loaded; cannot sign a checkpoint")
        for _attempt in range(MAX_RETRIES):
            try:
                with self.db.writer.begin() as conn:
                    head = self.store.head(conn)
                    if head.vkey != self.signer.vkey:
                        raise LogError("the log key in the data directory is not the key of this database's log")
                    note = self.store.add_checkpoint(conn, head.size, self._sign(head))
                    return self._with_cosignatures(conn, head.size, note)
            except IntegrityError:
                continue
        raise LogError("could not store a checkpoint: the log is too contended")

    def sign_in(self, conn: Connection, head: Head) -> str | None:
        """Sign and store the checkpoint of `head` in `conn`'s transaction (the batch that grew the
        tree to it), so that receipts need no transaction of their own."""
        if self.signer is None:
            return None
        if head.vkey != self.signer.vkey:
            raise LogError("the log key in the data directory is not the key of this database's log")
        return self.store.add_checkpoint(conn, head.size, self._sign(head))

    def _sign(self, head: Head) -> str:
        assert self.signer is not None
        return sign_note(Checkpoint(head.origin, head.size, head.root).body(), [self.signer])

    def latest_checkpoint(self, conn: Connection | None = None) -> str | None:
        """The newest stored checkpoint note with its cosignatures, without signing a new one."""
        if conn is None:
            with self.db.reader.connect() as c:
                return self.latest_checkpoint(c)
        got = self.store.checkpoint(conn)
        return None if got is None else self._with_cosignatures(conn, got[0], got[1])

    def _with_cosignatures(self, conn: Connection, size: int, note: str) -> str:
        lines = self.store.cosignature_lines(conn, size)
        return note + "".join(line for line in lines if line not in note)

    def _covers(self, note: str, index: int) -> bool:
        size = int(note.split("\n", 2)[1])  # C2SP tlog-checkpoint: origin, then the tree size
        return index < size

    def log_verifier(self, conn: Connection | None = None) -> NoteVerifier:
        return verifier_from_vkey(self.head(conn).vkey)

    def committed(self) -> None:
        """The transaction of this process's last append has committed: its right edge is
        committed state now, so its tiles go into the shared cache, and the receipts of its
        entries are proven without reading or hashing a tile."""
        with self._edge_lock:
            edge = self._edge
        if edge is not None:
            for (level, idx), data in edge[2].items():
                if level >= 0:
                    self.cache.put((level, idx), tile_levels(data), len(data) // 32)

    def tlog_proof(self, index: int) -> TlogProof:
        """An offline proof of entry `index` against the newest stored checkpoint, with its
        cosignatures (the batch that appended an entry signed one that holds it); signs a new
        checkpoint only if none holds it."""
        with self.db.reader.connect() as conn:
            note = self.latest_checkpoint(conn)
            if note is None or not self._covers(note, index):
                note = self.checkpoint()
            cp = self._opened(note, conn)
            if not 0 <= index < cp.size:
                raise LogError(f"entry {index} is not in the log of size {cp.size}")
            # A stored checkpoint's size is never beyond the head: no need to read the head.
            return TlogProof(index=index, hashes=merkle.inclusion_proof(index, cp.size, self.reader(conn, cp.size)),
                             checkpoint=note)

    def _opened(self, note: str, conn: Connection) -> Checkpoint:
        """The checkpoint of our own signed `note`, its signature checked. The last one is kept:
        every receipt of a batch is proven against the same note (issue 10)."""
        last = self._last_opened
        if last is not None and last[0] == note:
            return last[1]
        cp = Checkpoint.parse(open_note(note, [self._verifier(conn)]).text)
        self._last_opened = (note, cp)
        return cp

    def _verifier(self, conn: Connection) -> NoteVerifier:
        """The log's own note verifier (its key never changes, so it is read once)."""
        if self._own_verifier is None:
            self._own_verifier = verifier_from_vkey(self.store.head(conn).vkey)
        return self._own_verifier
