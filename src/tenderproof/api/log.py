"""The log over HTTP, exactly as C2SP tlog-tiles, plus proofs, entries, the key and the policy.

Full tiles never change, so they are served with `Cache-Control: immutable` and can sit behind
any CDN; partial tiles and the checkpoint change as the log grows and are served `no-cache`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import PlainTextResponse, Response

from tenderproof.ledger import witnessing
from tenderproof.ledger.log import Log
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


def _log(p: ProcurementDep) -> Log:
    return p.log


LogDep = Annotated[Log, Depends(_log)]


@router.get("/checkpoint", response_class=PlainTextResponse,
            summary="The latest signed checkpoint (C2SP tlog-checkpoint)")
def checkpoint(log: LogDep):
    return PlainTextResponse(log.checkpoint(), headers={"Cache-Control": FRESH})


@router.get("/tile/{path:path}", summary="A tile or entry bundle (C2SP tlog-tiles)",
            responses={200: {"content": {"application/octet-stream": {}}}})
def tile(path: str, log: LogDep):
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
    # A full tile never changes; a partial tile of a given width never changes either, but its
    # URL is only needed until the full tile exists, so it is not worth caching for a year.
    cache = IMMUTABLE if width == TILE_WIDTH else FRESH
    return Response(data, media_type="application/octet-stream", headers={"Cache-Control": cache})


@router.get("/proof/{index}", response_class=PlainTextResponse, summary="A C2SP tlog-proof of entry INDEX")
def proof(index: int, log: LogDep):
    return PlainTextResponse(log.tlog_proof(index).format())


@router.get("/entries/{index}", summary="The exact bytes of entry INDEX",
            responses={200: {"content": {"application/octet-stream": {}}}})
def entry(index: int, log: LogDep):
    if index < 0:
        raise HTTPException(404, "entry indexes start at 0")
    return Response(log.entry(index), media_type="application/octet-stream",
                    headers={"Cache-Control": IMMUTABLE})


@router.get("/vkey", response_class=PlainTextResponse, summary="The log's verifier key (C2SP signed-note)")
def vkey(log: LogDep):
    return PlainTextResponse(log.head().vkey + "\n")


@router.get("/policy", response_class=PlainTextResponse, summary="A C2SP tlog-policy: log key, witnesses, quorum")
def policy(log: LogDep):
    return PlainTextResponse(witnessing.policy(log))
