"""The sealed-bid door: `POST /api/tenders/{id}/bids` without FastAPI's per-request machinery.

At the deadline nearly every request is a sealed bid (issue 10). Through FastAPI each one walks
the route table (the bid route sits behind a hundred others), solves its dependencies and hops
through anyio's thread limiter: in a rush that was about a third of the server's time under the
GIL. This ASGI middleware, inside the limits `Guard`, takes the common case straight to the same
work the route does (`commands._submit_bid`: authentication, the grant, idempotency, the sealed
blob, the command, the receipt) on a thread of its own pool, and answers every error through the
app's own exception handlers, so the answers are those of the route.

Anything uncommon goes to the documented FastAPI route unchanged: a query string (`?lot=`), no
bearer token or another scheme, an Idempotency-Key the route would refuse as too long. The door
only decides which of two doors serves a request, never what the answer is.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .commands import IDEMPOTENCY_KEY_MAX, submit_sealed_bid

BID_PATH = re.compile(r"/api/tenders/([^/]+)/bids")
#: Threads for bids: each waits for its batch of the group commit, so a rush needs many at once
#: (anyio's default limiter for the other routes is 40).
THREADS = 64

#: The app's exception handlers (`app.exception_handlers`): Starlette types their results loosely.
Handlers = Mapping[Any, Callable[[Request, Any], Any]]


class SealedBidDoor:
    def __init__(self, app: ASGIApp, handlers: Handlers, threads: int = THREADS) -> None:
        self.app, self.handlers = app, handlers  # the app's exception handlers, filled in after this
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="tenderproof-bid")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = BID_PATH.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        headers = _headers(scope) if match and not scope["query_string"] else None
        scheme, token = get_authorization_scheme_param(headers.get("authorization")) if headers else ("", "")
        key = headers.get("idempotency-key") if headers else None
        if not (match and headers is not None and scheme.lower() == "bearer" and token
                and (key is None or len(key) <= IDEMPOTENCY_KEY_MAX)):
            await self.app(scope, receive, send)  # the FastAPI route, which answers the uncommon cases
            return
        sealed = await _body(receive)
        if sealed is None:
            return  # the client left (or the Guard refused its body and answered)
        request = Request(scope, receive)
        loop = asyncio.get_running_loop()
        response: Response
        try:
            response = await loop.run_in_executor(self.pool, submit_sealed_bid, request, match.group(1), token,
                                                  key, sealed)
        except Exception as e:
            response = await self._handled(request, e)
        await response(scope, receive, send)

    async def _handled(self, request: Request, e: Exception) -> Response:
        """The answer the app's exception handlers give `e` (problem+json); anything they do not
        handle is a bug, and propagates to the server's 500 like any route's."""
        for kind in type(e).__mro__:
            if (handler := self.handlers.get(kind)) is not None:
                answer = handler(request, e)
                return await answer if inspect.isawaitable(answer) else answer
        raise e


def _headers(scope: Scope) -> dict[str, str]:
    """The first value of each header, as Starlette reads them (latin-1, names lower case)."""
    out: dict[str, str] = {}
    for k, v in scope["headers"]:
        out.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
    return out


async def _body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
