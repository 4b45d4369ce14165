"""A witness over HTTP: C2SP tlog-witness `add-checkpoint`, and what it holds, for anyone to read.

Routes (https://c2sp.org/tlog-witness, "HTTP Interface"; the submission and monitoring prefixes
are both the server's root):

- `POST /add-checkpoint`: the body is "old N", the proof lines, an empty line, the checkpoint
  note. 200 with the cosignature line (`text/plain`); 409 with the latest cosigned size in
  decimal and a newline as `text/x.tlog.size` (stale `old`, or same size with another root);
  422 for a consistency proof that does not verify; 404 for an origin it does not follow;
  403 for a checkpoint no trusted key signed; 400 for a malformed body or `old` above the
  checkpoint's size; 413 for a body above `MAX_BODY`; 408 for one not received in time.
  Every refusal but 409 is RFC 9457 problem+json.
- `GET /`: the witness's name and verifier key, and per log it follows the latest size, root
  and checkpoint it cosigned (JSON).
- `GET /evidence`: the evidence of log misbehaviour it kept (JSON list: origin, reason, time,
  the checkpoint held and the request offered).
- `GET /checkpoint/{origin}`: the latest checkpoint it cosigned for that log, as the log signed
  it, with the witness's cosignature line added (`text/plain`); 404 for an origin it does not
  follow or has cosigned nothing of. A monitor can take this URL as a gossip `--peer`: a log
  showing it another history than the witnesses saw is then a split-view alert.

`Witness.add_checkpoint` does the checking, cosigning and persisting under the witness's file
lock, durably before it returns; here it runs in a worker thread, so concurrent requests wait
for the lock without holding up the event loop. Only `fsutil` and `ledger` are imported besides
Starlette (the witness layer's dependencies), so a witness needs nothing of the procurement side.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tenderproof.ledger.note import add_signatures, parse_note

from . import Witness, WitnessConflict, WitnessError

#: The largest request body, in bytes. A request is "old N" (≤ 25 bytes), at most 63 proof lines
#: of 45 bytes (2,835), and a checkpoint note: three short lines and a signature line per key
#: (about 130 bytes each). 16 KiB holds that with a hundred signatures on the note.
MAX_BODY = 16 * 1024
#: Seconds to receive a whole body (a few KB): a client that trickles it is cut off (408).
BODY_TIMEOUT = 10.0

SIZE_TYPE = "text/x.tlog.size"  # tlog-witness: the 409 body's media type
PROBLEM = "application/problem+json"
TYPE_BASE = "https://tenderproof.dev/problems/witness-"
TITLES = {400: "bad-request", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
          408: "request-timeout", 413: "too-large", 422: "inconsistent"}


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An RFC 9457 problem; `Connection: close` for refusals of the body, whose rest is unread."""
    title = TITLES.get(status, "error")
    headers = {"Connection": "close"} if status in (408, 413) else dict(headers or {})
    body = {"type": TYPE_BASE + title, "title": title, "status": status, "detail": detail[:1000]}
    return JSONResponse(body, status, headers=headers, media_type=PROBLEM)


async def read_body(request: Request, limit: int = MAX_BODY, timeout: float = BODY_TIMEOUT) -> bytes:
    """The request body, refused (413) past `limit` bytes whether declared or streamed, and
    (408) if it has not all arrived within `timeout` seconds."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Refused(413, f"the body is {declared} bytes; a witness takes at most {limit}")

    async def collect() -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise _Refused(413, f"the body is over {limit} bytes, the most a witness takes")
        return bytes(body)

    try:
        return await asyncio.wait_for(collect(), timeout)
    except TimeoutError:
        raise _Refused(408, f"the body did not arrive within {timeout:g} s") from None


def create_app(witness: Witness, max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT) -> Starlette:
    """The witness's ASGI app over `witness` (its directory holds all the state)."""

    async def add_checkpoint(request: Request) -> Response:
        try:
            body = await read_body(request, max_body, body_timeout)
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except _Refused as e:
            return problem(e.status, str(e))
        except WitnessConflict as e:
            # Exactly this media type (no charset parameter): clients compare it as a string.
            return Response(f"{e.size}\n", 409, headers={"Content-Type": SIZE_TYPE})
        except WitnessError as e:
            return problem(e.status, str(e))
        return PlainTextResponse(line)

    async def about(request: Request) -> Response:
        state = await run_in_threadpool(witness.state)
        logs: dict[str, Any] = {
            origin: {"size": log["size"], "root": log["root"], "checkpoint": log["checkpoint"], "vkeys": log["vkeys"]}
            for origin, log in sorted(state["logs"].items())}
        return JSONResponse({"name": witness.name, "vkey": witness.vkey, "logs": logs})

    async def evidence(request: Request) -> Response:
        state = await run_in_threadpool(witness.state)
        return JSONResponse(state["evidence"])

    async def checkpoint(request: Request) -> Response:
        origin = request.path_params["origin"]
        state = await run_in_threadpool(witness.state)
        log = state["logs"].get(origin)
        if log is None or log["checkpoint"] is None:
            return problem(404, f"this witness holds no cosigned checkpoint of {origin!r}")
        note = log["checkpoint"]
        # The cosignature is made afresh (Ed25519 is cheap): the state keeps the note, not the line.
        # Timestamped now, it still says what tlog-cosignature/v1 lets it say: this is the latest
        # checkpoint of the log the witness has seen, and every other it cosigned is consistent with it.
        line = witness.signer.cosignature_line(parse_note(note)[0], int(witness.clock()))
        return PlainTextResponse(add_signatures(note, line), headers={"Cache-Control": "no-cache"})

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = f"{request.method} {request.url.path}: {getattr(exc, 'detail', '')}"
        return problem(status, detail, getattr(exc, "headers", None))  # keeps a 405's Allow

    routes = [Route("/add-checkpoint", add_checkpoint, methods=["POST"]), Route("/", about, methods=["GET"]),
              Route("/evidence", evidence, methods=["GET"]),
              Route("/checkpoint/{origin:path}", checkpoint, methods=["GET"])]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
