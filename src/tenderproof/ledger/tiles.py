"""C2SP tlog-tiles: tile geometry, paths, entry bundles, and stored hashes read from tiles.

A tile at level L, index N holds up to 256 consecutive hashes of tree level 8·L, starting at
hash N·256; it is "full" at width 256 and "partial" below. Level L+1 holds the roots of the full
tiles of level L. Entry bundles follow the level-0 geometry and hold the entries themselves,
each prefixed by its length as a big-endian uint16 — hence the 65,535-byte limit on an entry.

A partial tile of width w is a prefix of the tile it grows into, so storage keeps one growing
blob per (level, index) and serves any width by slicing. Level-0 hash tiles are not stored at
all: a level-0 tile is a pure function of the entry bundle with the same index (`leaf_tile`), so
storage computes it from the bundle when asked.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .merkle import HASH_SIZE, ProofError, StoredIndex, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_SIZE = 0xFFFF

#: Tile level used for entry bundles in storage keys (C2SP paths say "entries" instead).
ENTRIES = -1

TileKey = tuple[int, int]  # (level, index); level ENTRIES for entry bundles
#: Returns the current blobs of the asked tiles (what a TileHashReader reads through).
TileFetch = Callable[[Sequence[TileKey]], Mapping[TileKey, bytes]]


class TileError(ValueError):
    """A tile, bundle or tile path is malformed."""


class EntryTooLarge(ValueError):
    """An entry does not fit the uint16 length prefix of an entry bundle."""


def check_entry(entry: bytes, position: int | None = None, of: str = "the batch") -> None:
    if len(entry) > MAX_ENTRY_SIZE:
        where = "" if position is None else f" (entry {position} of {of})"
        raise EntryTooLarge(
            f"entry of {len(entry)} bytes{where} exceeds the tiles' limit of {MAX_ENTRY_SIZE} bytes; "
            "store large content in the document store and log its SHA-256"
        )


def check_entries(entries: Sequence[bytes], of: str = "the batch") -> list[bytes]:
    """The entries as bytes, each checked as `Log.append` checks it. Whoever gathers several
    parts into one append (the group commit: one per command) checks each part as it joins, so
    an entry that cannot be logged fails its own part, not everyone's append."""
    out = [bytes(e) for e in entries]
    for i, e in enumerate(out):
        check_entry(e, i if len(out) > 1 else None, of)
    return out


# --- paths -------------------------------------------------------------------------------------


def encode_index(n: int) -> str:
    """Tile index as C2SP path elements: 1234067 -> x001/x234/067."""
    if n < 0:
        raise TileError(f"tile index {n} is negative")
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([f"x{g:03d}" for g in groups[:-1]] + [f"{groups[-1]:03d}"])


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """The C2SP path of a hash tile (level >= 0) or entry bundle (level == ENTRIES)."""
    if not 1 <= width <= TILE_WIDTH:
        raise TileError(f"tile width {width} is not in 1..{TILE_WIDTH}")
    head = "tile/entries" if level == ENTRIES else f"tile/{level}"
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"{head}/{encode_index(index)}{suffix}"


_PATH = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


def parse_tile_path(path: str) -> tuple[int, int, int]:
    """(level, index, width) of a C2SP tile path; level is ENTRIES for entry bundles."""
    m = _PATH.fullmatch(path)
    if not m:
        raise TileError(f"not a tile path: {path!r}")
    level = ENTRIES if m[1] == "entries" else int(m[1])
    index = int(m[2].replace("x", "").replace("/", ""))
    if encode_index(index) != m[2]:
        raise TileError(f"tile index in {path!r} is not in canonical form")
    width = TILE_WIDTH if m[3] is None else int(m[3])
    if m[3] is not None and width >= TILE_WIDTH:
        raise TileError(f"partial tile width {width} in {path!r} must be below {TILE_WIDTH}")
    return level, index, width


# --- entry bundles -----------------------------------------------------------------------------


def bundle_entries(entries: Sequence[bytes]) -> bytes:
    out = bytearray()
    for i, e in enumerate(entries):
        check_entry(e, i)
        out += len(e).to_bytes(2, "big")
        out += e
    return bytes(out)


def split_bundle(data: bytes) -> list[bytes]:
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise TileError(f"entry bundle truncated in a length prefix at byte {pos}")
        n = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + n > len(data):
            raise TileError(f"entry bundle truncated: entry {len(entries)} needs {n} bytes at byte {pos}")
        entries.append(data[pos : pos + n])
        pos += n
    if len(entries) > TILE_WIDTH:
        raise TileError(f"entry bundle holds {len(entries)} entries, more than {TILE_WIDTH}")
    return entries


def leaf_tile(bundle: bytes) -> bytes:
    """The level-0 hash tile of an entry bundle: the leaf hash of each of its entries."""
    sha256 = hashlib.sha256  # leaf_hash, inlined: this runs for every level-0 tile read
    return b"".join([sha256(b"\x00" + e).digest() for e in split_bundle(bundle)])


# --- hashes inside tiles -----------------------------------------------------------------------


def split_hashes(data: bytes) -> list[bytes]:
    if len(data) % HASH_SIZE or len(data) > TILE_WIDTH * HASH_SIZE:
        raise TileError(f"hash tile of {len(data)} bytes is not a whole number of hashes up to {TILE_WIDTH}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def tile_levels(data: bytes) -> list[bytes]:
    """`subtree_levels` of the hashes in tile data, each level as concatenated hashes."""
    sha256 = hashlib.sha256  # node_hash, inlined: this runs for every tile a proof reads
    row = split_hashes(data)
    out = [data]
    while len(row) >= 2:
        row = [sha256(b"\x01" + row[i] + row[i + 1]).digest() for i in range(0, len(row) - 1, 2)]
        out.append(b"".join(row))
    return out


def subtree_levels(hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every complete node above `hashes`: levels[k][j] is the node of 2**k hashes at j·2**k."""
    levels = [list(hashes)]
    while len(levels[-1]) >= 2:
        row = levels[-1]
        levels.append([node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)])
    return levels


def tile_counts(size: int) -> Iterator[tuple[int, int]]:
    """(level, number of hashes) for each tile level a tree of `size` leaves has."""
    level, n = 0, size
    while n > 0:
        yield level, n
        level, n = level + 1, n >> TILE_HEIGHT


def tile_widths(size: int) -> Iterator[tuple[int, int, int]]:
    """(level, index, width) of every tile, full or partial, of the tree of `size` leaves."""
    for level, n in tile_counts(size):
        for index in range((n + TILE_WIDTH - 1) // TILE_WIDTH):
            yield level, index, min(TILE_WIDTH, n - index * TILE_WIDTH)


class TileCache:
    """Computed node levels of committed tiles, full or partial, least recently used out.

    An entry is the node levels of tile (level, index) at some width. A committed tile never
    changes below its width: a full tile is immutable, and a partial tile of width w is a prefix
    of every wider version of it, so level k of width w is the first w >> k nodes of level k of
    any wider version. Hence one entry per (level, index), the widest computed so far, answers
    every (level, index, width) up to its own width. Only data read from committed state may be
    put here: levels built from uncommitted tiles belong in a private cache that dies with the
    transaction (see `Log._append`).

    Each entry keeps a tile's 8 levels as concatenated hashes: about 16 KiB a full tile.
    """

    def __init__(self, max_tiles: int = 4096) -> None:
        self.max_tiles = max_tiles
        self._tiles: OrderedDict[TileKey, tuple[int, list[bytes]]] = OrderedDict()

    def get(self, key: TileKey, width: int = TILE_WIDTH) -> list[bytes] | None:
        """The levels of tile `key` at `width` or wider (only the first width >> k nodes of
        level k belong to the tile at `width`), or None."""
        got = self._tiles.get(key)
        if got is None or got[0] < width:
            return None
        self._tiles.move_to_end(key)
        return got[1]

    def put(self, key: TileKey, levels: list[bytes], width: int = TILE_WIDTH) -> None:
        """Keep the levels of tile `key` at `width`, unless a wider version is already kept."""
        got = self._tiles.get(key)
        if got is None or got[0] < width:
            self._tiles[key] = (width, levels)
        self._tiles.move_to_end(key)
        while len(self._tiles) > self.max_tiles:
            self._tiles.popitem(last=False)


def tiles_to_serve(size: int, checkpoint_sizes: Iterable[int] = ()) -> list[tuple[int, int, int]]:
    """(level, index, width) of every tile to publish for a log of `size`, bundles included.

    tlog-tiles: "Logs MUST serve partial tiles corresponding to tree sizes for which a checkpoint
    was produced", until the full tile exists. So besides the tiles of `size` itself, the
    rightmost partial tiles of every earlier checkpoint are listed while still partial.
    """
    out = dict.fromkeys(tile_widths(size))
    out.update(dict.fromkeys(_bundle_widths(size)))
    for s in checkpoint_sizes:
        if not 0 < s <= size:
            continue
        for level, n in tile_counts(s):
            idx, width = divmod(n, TILE_WIDTH)
            if width and (size >> (TILE_HEIGHT * level)) < (idx + 1) * TILE_WIDTH:
                out[(level, idx, width)] = None
        idx, width = divmod(s, TILE_WIDTH)
        if width and size < (idx + 1) * TILE_WIDTH:
            out[(ENTRIES, idx, width)] = None
    return list(out)


def _bundle_widths(size: int) -> Iterator[tuple[int, int, int]]:
    for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        yield ENTRIES, index, min(TILE_WIDTH, size - index * TILE_WIDTH)


@dataclass
class TileHashReader:
    """Reads stored hashes (level, n) of a tree of `size` leaves from its tiles.

    `fetch` returns the current blobs of the asked tiles (possibly longer than this tree needs,
    when the log has grown since). The node levels computed from a tile, full or partial, are
    kept in `cache` keyed by (level, index, width), so a warm proof at any tree size costs no
    reading and no hashing. `cache` must be private to a transaction when `fetch` may return
    uncommitted tiles.
    """

    size: int
    fetch: TileFetch
    cache: TileCache

    def _width(self, key: TileKey) -> int:
        level, index = key
        return min(TILE_WIDTH, (self.size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH)

    def _levels(self, keys: Sequence[TileKey]) -> dict[TileKey, list[bytes]]:
        out: dict[TileKey, list[bytes]] = {}
        missing = []
        for k in keys:
            levels = self.cache.get(k, self._width(k))
            if levels is None:
                missing.append(k)
            else:
                out[k] = levels
        if missing:
            try:
                blobs = self.fetch(missing)
            except TileError as e:  # a level-0 tile computed from a malformed bundle
                raise ProofError(f"cannot read tiles: {e}") from None
            for key in missing:
                level, index = key
                width = self._width(key)
                data = blobs.get(key)
                if data is None or len(data) < width * HASH_SIZE:
                    have = 0 if data is None else len(data) // HASH_SIZE
                    raise ProofError(f"tile {tile_path(level, index)} has {have} hashes, the tree needs {width}")
                levels = tile_levels(data[: width * HASH_SIZE])
                self.cache.put(key, levels, width)
                out[key] = levels
        return out

    def read_hashes(self, indexes: Sequence[StoredIndex]) -> list[bytes]:
        places = []
        for level, n in indexes:
            tl, sub = divmod(level, TILE_HEIGHT)
            first = n << sub  # first hash of tile level tl under this node
            if (first + (1 << sub)) << (TILE_HEIGHT * tl) > self.size:
                raise ProofError(f"stored hash ({level}, {n}) is not complete in a tree of size {self.size}")
            places.append(((tl, first >> TILE_HEIGHT), sub, (first & (TILE_WIDTH - 1)) >> sub))
        # Every node asked is complete in this tree, so it lies within the tile's width here, even
        # when the cached levels come from a wider version of the tile.
        levels = self._levels(list(dict.fromkeys(p[0] for p in places)))
        return [levels[key][sub][j * HASH_SIZE : (j + 1) * HASH_SIZE] for key, sub, j in places]
