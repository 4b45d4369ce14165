"""A log read over HTTP only, as C2SP tlog-tiles lays it out under its prefix URL: `checkpoint`,
`tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`. Nothing it returns is trusted: the caller
checks every byte against a checkpoint signed by the key it was given."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import httpx

from tenderproof.ledger.checkpoint import MAX_CHECKPOINT_BYTES
from tenderproof.ledger.tiles import (
    ENTRIES,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileError,
    TileFetch,
    TileKey,
    split_bundle,
    tile_path,
)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_TILE_BYTES = TILE_WIDTH * (2 + 0xFFFF)  # the largest entry bundle tlog-tiles allows


class FetchError(RuntimeError):
    """The log (or a peer) could not be read: unreachable, an HTTP error, or a body too large."""


class Remote:
    """One HTTP origin; counts its requests (a monitor that resumes reads nothing twice)."""

    def __init__(self, url: str, client: httpx.Client | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self.requests = 0

    def get(self, path: str, limit: int) -> bytes:
        url = f"{self.url}/{path}" if path else self.url
        self.requests += 1
        try:
            with self.client.stream("GET", url) as r:
                if r.status_code != 200:
                    raise FetchError(f"GET {url}: HTTP {r.status_code}")
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise FetchError(f"GET {url}: more than {limit} bytes")
                return bytes(body)
        except httpx.HTTPError as e:
            raise FetchError(f"GET {url}: {e}") from None

    def note(self, path: str = "checkpoint") -> str:
        data = self.get(path, MAX_CHECKPOINT_BYTES)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise FetchError(f"{self.url}/{path} is not UTF-8") from None

    def tile_fetch(self, size: int) -> TileFetch:
        """A `TileFetch` for the hash tiles of the tree of `size` leaves (each at its width there)."""

        def fetch(keys: Sequence[TileKey]) -> Mapping[TileKey, bytes]:
            out = {}
            for level, index in keys:
                width = min(TILE_WIDTH, (size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH)
                out[(level, index)] = self.get(tile_path(level, index, width), TILE_WIDTH * 32)
            return out

        return fetch

    def entries(self, start: int, end: int, size: int) -> Iterator[bytes]:
        """Entries [start, end) from the entry bundles of the tree of `size` leaves."""
        for index in range(start // TILE_WIDTH, (end + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, size - index * TILE_WIDTH)
            path = tile_path(ENTRIES, index, width)
            try:
                bundle = split_bundle(self.get(path, MAX_TILE_BYTES))
            except TileError as e:
                raise FetchError(f"{self.url}/{path}: {e}") from None
            if len(bundle) != width:
                raise FetchError(f"{self.url}/{path} holds {len(bundle)} entries, not {width}")
            first = index * TILE_WIDTH
            yield from bundle[max(start - first, 0) : end - first]
