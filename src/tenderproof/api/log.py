"""The log over HTTP, exactly as C2SP tlog-tiles, plus proofs, entries, the key and the policy.

Caching (c2sp.org/tlog-tiles: tiles and bundles are "immutable, so its caching headers SHOULD be
long-lived"; the checkpoint is mutable): full tiles, full entry bundles and entries are served
`immutable` for a year and can sit behind any CDN. Partial tiles and the checkpoint change URL or
content as the log grows, so they are `no-cache`: a cache keeps them but asks again, and every
answer has a strong ETag (RFC 9110 §8.8.3, the SHA-256 of its bytes) so that asking again with
If-None-Match costs a 304 until the content changes. Entry bundles are gzip-compressed for a
client that accepts it ("Entry bundles SHOULD be compressed at the HTTP layer"), with their own
ETag and `Vary: Accept-Encoding`. Every resource here answers HEAD with GET's headers, no body.
"""

from __future__ import annotations

import gzip
import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from tenderproof.ledger import witnessing
from tenderproof.ledger.log import Log
from tenderproof.ledger.policy import Policy
from tenderproof.ledger.tiles import (
    ENTRIES,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileError,
    bundle_entries,
    parse_tile_path,
    split_bundle,
)

from .security import ProcurementDep

router = APIRouter(prefix="/log", tags=["log"])
IMMUTABLE = "public, max-age=31536000, immutable"
FRESH = "no-cache"
OCTETS = "application/octet-stream"
TEXT = "text/plain; charset=utf-8"  # tlog-tiles: the checkpoint's exact Content-Type


def _log(p: ProcurementDep) -> Log:
    return p.log


LogDep = Annotated[Log, Depends(_log)]


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding field value (RFC 9110 §12.5.3) allows gzip: listed as `gzip`,
    `x-gzip` or `*` with a non-zero weight, and not refused by name (`gzip;q=0` beats `*`)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[name.lower()] = q
    named = weights.get("gzip", weights.get("x-gzip"))
    return (named if named is not None else weights.get("*", 0.0)) > 0


def etag(identity: bytes, coding: str | None = None) -> str:
    """A strong validator: the SHA-256 of the unencoded bytes, suffixed by the content coding,
    since each coding is a representation of its own (RFC 9110 §8.8.3)."""
    return f'"{hashlib.sha256(identity).hexdigest()}{"-" + coding if coding else ""}"'


def none_match(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 §13.1.2: true if If-None-Match holds `*` or `tag` (weak comparison)."""
    if not if_none_match:
        return False
    listed = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in listed or tag in listed


def answer(request: Request, body: bytes, media_type: str, cache: str | None = None,
           compressible: bool = False) -> Response:
    """GET's answer, or HEAD's (the same headers, Content-Length included, no body, RFC 9110
    §9.3.2), or 304 (RFC 9110 §15.4.5: the same ETag, Cache-Control and Vary) when the client
    holds it already. `compressible`: gzip when the client accepts it."""
    headers = {"Cache-Control": cache} if cache else {}
    coding = None
    if compressible:
        headers["Vary"] = "Accept-Encoding"
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            coding = "gzip"
    headers["ETag"] = etag(body, coding)
    if none_match(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    if coding:
        body = gzip.compress(body, mtime=0)  # mtime 0: the same bytes every time, as the ETag says
        headers["Content-Encoding"] = coding
    if request.method == "HEAD":
        return Response(media_type=media_type, headers={**headers, "Content-Length": str(len(body))})
    return Response(body, media_type=media_type, headers=headers)


@router.get("/checkpoint", response_class=PlainTextResponse,
            summary="The latest signed checkpoint (C2SP tlog-checkpoint)")
@router.head("/checkpoint", include_in_schema=False)
def checkpoint(request: Request, log: LogDep) -> Response:
    return answer(request, log.checkpoint().encode(), TEXT, FRESH)


@router.get("/tile/{path:path}", summary="A tile or entry bundle (C2SP tlog-tiles)",
            responses={200: {"content": {OCTETS: {}}}, 304: {"description": "Not modified (If-None-Match)"}})
@router.head("/tile/{path:path}", include_in_schema=False)
def tile(path: str, request: Request, log: LogDep) -> Response:
    try:
        level, index, width = parse_tile_path("tile/" + path)
    except TileError as e:
        raise HTTPException(404, str(e)) from None
    size = log.head().size
    count = size if level == ENTRIES else size >> (TILE_HEIGHT * level)
    have = min(TILE_WIDTH, count - index * TILE_WIDTH)
    if have < width:
        raise HTTPException(404, f"tile/{path} is not in the log of size {size}")
    with log.db.reader.connect() as conn:
        data = log.store.read_tiles(conn, [(level, index)]).get((level, index))
    if data is None:
        raise HTTPException(404, f"tile/{path} is missing")
    data = bundle_entries(split_bundle(data)[:width]) if level == ENTRIES else data[: width * 32]
    # A partial tile of a given width never changes either, but its URL is only needed until the
    # full tile exists: not worth a year in a cache, and its ETag makes asking again cheap.
    cache = IMMUTABLE if width == TILE_WIDTH else FRESH
    return answer(request, data, OCTETS, cache, compressible=level == ENTRIES)


@router.get("/proof/{index}", response_class=PlainTextResponse, summary="A C2SP tlog-proof of entry INDEX")
@router.head("/proof/{index}", include_in_schema=False)
def proof(index: int, request: Request, log: LogDep, cosigned: bool = False) -> Response:
    if cosigned:  # against the newest checkpoint the log's tlog-policy accepts (its witnesses' quorum)
        try:
            got = witnessing.cosigned_proof(log, index, Policy.parse(witnessing.policy(log)))
        except witnessing.NotCosigned as e:
            raise HTTPException(404, str(e)) from None
        return answer(request, got.format().encode(), TEXT)
    return answer(request, log.tlog_proof(index).format().encode(), TEXT)


@router.get("/entries/{index}", summary="The exact bytes of entry INDEX",
            responses={200: {"content": {OCTETS: {}}}, 304: {"description": "Not modified (If-None-Match)"}})
@router.head("/entries/{index}", include_in_schema=False)
def entry(index: int, request: Request, log: LogDep) -> Response:
    if index < 0:
        raise HTTPException(404, "entry indexes start at 0")
    return answer(request, log.entry(index), OCTETS, IMMUTABLE)


@router.get("/vkey", response_class=PlainTextResponse, summary="The log's verifier key (C2SP signed-note)")
@router.head("/vkey", include_in_schema=False)
def vkey(request: Request, log: LogDep) -> Response:
    return answer(request, (log.head().vkey + "\n").encode(), TEXT)


@router.get("/policy", response_class=PlainTextResponse, summary="A C2SP tlog-policy: log key, witnesses, quorum")
@router.head("/policy", include_in_schema=False)
def policy(request: Request, log: LogDep) -> Response:
    return answer(request, witnessing.policy(log).encode(), TEXT)
