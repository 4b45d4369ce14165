"""What the server takes from a client before any route runs: request-body limits, body read
timeouts, a budget of body bytes in flight, and the security headers of every answer.

`Guard` is a pure ASGI middleware around the whole app. It sees a request before routing,
parsing and authentication, so an oversized body is answered 413 whoever sends it:

- a declared `Content-Length` above the path's limit is refused before a byte of the body is read;
- a body without one (chunked) is counted as it streams and refused the moment it passes the limit;
- a body that stalls, or trickles slower than `min_rate` after `body_timeout`, is answered 408
  (a slow-loris client holds a connection, not the server's memory);
- the body bytes of all requests in flight together stay under `in_flight` (503 with Retry-After
  beyond it): a sealed bid is held whole in memory (HPKE is single-shot), so the limit per
  request alone would let N concurrent uploads take N times it.

Refusals are RFC 9457 problem+json (`problems.problem`) with `Connection: close`, so the rest of
a refused body is not read. Once the guard has answered, the app sees the client as gone and
whatever it sends is dropped.

Every limit is read from the environment in one place, `Limits.from_env`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenderproof.app import documents
from tenderproof.seal import padded_size

from .problems import problem

KiB, MiB = 1024, 1024 * 1024

#: A sealed bid on the wire is its padding bucket plus the clear header and HPKE's encapsulated
#: key and tag: 1,149 bytes and the tender id (at most 200 bytes; see `seal.bids`). 4 KiB covers it.
SEALED_OVERHEAD = 4 * KiB

#: Paths whose bodies are large by nature; every other request is a JSON command (or a key share).
BID_PATHS = re.compile(r"^/api/tenders/[^/]+/bids$")
#: Document uploads are streamed to disk by their route (`api.documents`), so they count against
#: their own limit but not against the bytes held in memory.
DOCUMENT_PATHS = re.compile(r"^/api/documents$")

#: The API and the log are data, never a page: nothing may load, frame or refer from them.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: The interactive API documentation is a page with scripts and styles of its own (Swagger UI,
#: ReDoc, served from the package by `api.docs`: nothing from another origin), started by an
#: inline script.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
#: Per-path exceptions to API_CSP (adjust here when a page moves).
PAGE_CSP: Mapping[str, str] = {"/api/docs": DOCS_CSP, "/api/docs/oauth2-redirect": DOCS_CSP, "/api/redoc": DOCS_CSP}

#: Added to every answer that does not set its own (the portal's pages set a CSP of their own).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY"}


#: The environment variable of each limit.
ENV = {"command": "TENDERPROOF_MAX_COMMAND_BYTES", "bid_bucket": "TENDERPROOF_MAX_BID_BYTES",
       "in_flight": "TENDERPROOF_MAX_BYTES_IN_FLIGHT",
       "body_timeout": "TENDERPROOF_BODY_TIMEOUT", "min_rate": "TENDERPROOF_BODY_MIN_RATE",
       "header_timeout": "TENDERPROOF_HEADER_TIMEOUT", "keep_alive": "TENDERPROOF_KEEP_ALIVE",
       "connections": "TENDERPROOF_MAX_CONNECTIONS"}


@dataclasses.dataclass(frozen=True)
class Limits:
    """Body limits in bytes, times in seconds; `from_env` reads each from its variable. Defaults and why:

    - `command` 1 MiB: the largest JSON command (a tender with its items, factors and documents
      as hashes) is a few KiB; a key share is under 1 KiB. A thousand times that is still small
      enough that 1 MiB per request never matters to the server's memory.
    - `bid_bucket` 64 MiB: sealed bids come only in power-of-two buckets (`seal.padded_size`),
      so the limit is a bucket plus `SEALED_OVERHEAD`; 64 MiB holds a proposal's volumes as PDF.
      The seal allows packages up to 256 MiB less one byte (`seal.bids.MAX_SEALED_PACKAGE`):
      raising this to 256 MiB admits every sealable bid.
    - `document`: the upload route's own limit (`app.documents.Limits`, TENDERPROOF_MAX_DOCUMENT_BYTES),
      which the guard enforces before authentication.
    - `in_flight` 256 MiB: the bodies held in memory while being received, per server process:
      four bids of the largest bucket at once, a fifth is told to retry (503). The route joins a
      body's chunks once, so bodies take at most twice this in memory.
    - `body_timeout` 20 s and `min_rate` 8 KiB/s (Apache mod_reqtimeout's scheme): a body must
      start within the timeout and then keep up an average of 64 kbit/s, so a 64 MiB bid may take
      over two hours on a poor link while a slow-loris client must spend real bandwidth.
    - for the HTTP server (`cli.serve_cmd`): `header_timeout` 20 s for a request head (uvicorn has
      none), `keep_alive` 5 s idle between requests (uvicorn's default), `connections` 512 per
      process (uvicorn answers 503 beyond it; below the usual 1,024 open files, and each costs at
      most a 16 KiB head besides its share of `in_flight`).
    """

    command: int = 1 * MiB
    bid_bucket: int = 64 * MiB
    document: int = documents.DEFAULT_MAX_SIZE
    in_flight: int = 256 * MiB
    body_timeout: float = 20.0
    min_rate: int = 8 * KiB
    header_timeout: float = 20.0
    keep_alive: int = 5
    connections: int = 512

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        """The limits, each overridable by its environment variable (`ENV`)."""
        env = os.environ if env is None else env
        values: dict[str, float] = {"document": documents.Limits.from_env(env).max_size}
        for f in dataclasses.fields(cls):
            if f.name not in ENV:
                continue
            raw = env.get(ENV[f.name])
            if raw is None:
                continue
            kind = float if f.type == "float" else int
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{ENV[f.name]}={raw!r} is not a number") from None
            if value <= 0:
                raise ValueError(f"{ENV[f.name]}={raw!r} must be positive")
            values[f.name] = value
        return cls(**values)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if self.in_flight < max(self.command, self.bid):
            raise ValueError(f"{ENV['in_flight']}={self.in_flight} is less than one request may send "
                             f"({max(self.command, self.bid)} bytes)")

    @property
    def bid(self) -> int:
        """A sealed bid in the largest bucket allowed, on the wire."""
        return padded_size(self.bid_bucket - 1) + SEALED_OVERHEAD

    def body_limit(self, path: str) -> int:
        if BID_PATHS.match(path):
            return self.bid
        if DOCUMENT_PATHS.match(path):
            return self.document
        return self.command


class Guard:
    """The ASGI middleware: limits on the way in, security headers on the way out."""

    def __init__(self, app: ASGIApp, limits: Limits | None = None) -> None:
        self.app, self.limits = app, limits or Limits.from_env()
        self.in_flight = 0  # body bytes held by requests not yet answered (one event loop: no lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lim, path = self.limits, scope["path"]
        limit = lim.body_limit(path)
        buffered = not DOCUMENT_PATHS.match(path)  # held whole in memory by the route
        csp = PAGE_CSP.get(path, API_CSP)
        answered = started = False
        held = 0

        async def send_headed(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the guard answered already; the app's late answer goes nowhere
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                extra = {"content-security-policy": csp, **{k.lower(): v for k, v in SECURITY_HEADERS.items()}}
                headers += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in have]
                message = {**message, "headers": headers}
            await send(message)

        async def refuse(status: int, code: str, detail: str, **headers: str) -> None:
            nonlocal answered
            if started:  # the app has answered already: only cut the body off
                answered = True
                return
            resp = problem(status, code, detail)
            resp.headers.update({"Connection": "close", **headers})
            await resp(scope, receive, send_headed)
            answered = True

        async def busy() -> None:
            await refuse(503, "busy", "the server is receiving too many large bodies at once; retry shortly",
                         **{"Retry-After": "5"})

        def take(n: int) -> bool:
            """Hold `n` more body bytes against the budget; False if it is spent."""
            nonlocal held
            if self.in_flight + n > lim.in_flight:
                return False
            self.in_flight += n
            held += n
            return True

        declared = _content_length(scope)
        try:
            if declared is not None and declared > limit:
                await refuse(413, "body-too-large", f"the body is {declared} bytes; {path} takes at most {limit}")
                return
            if declared and buffered and not take(declared):
                await busy()
                return
            start, received = 0.0, 0

            async def counted() -> Message:
                nonlocal received, start
                if answered:
                    return {"type": "http.disconnect"}
                start = start or time.monotonic()  # from the app's first read: its own work is not the client's
                deadline = start + lim.body_timeout + received / lim.min_rate
                try:
                    message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    await refuse(408, "body-timeout", f"the body did not arrive in time (at least {lim.min_rate} "
                                                      f"bytes/s after {lim.body_timeout:g} s)")
                    return {"type": "http.disconnect"}
                if message["type"] != "http.request":
                    return message
                received += len(message.get("body", b""))
                if received > limit:
                    await refuse(413, "body-too-large", f"the body passed {limit} bytes, the most {path} takes")
                    return {"type": "http.disconnect"}
                if declared is None and buffered and not take(len(message.get("body", b""))):
                    await busy()
                    return {"type": "http.disconnect"}
                return message

            try:
                await self.app(scope, counted, send_headed)
            except Exception:
                if not answered:
                    raise
                # The app saw the client vanish in the middle of its body (our refusal): expected.
        finally:
            self.in_flight -= held


def _content_length(scope: Scope) -> int | None:
    for k, v in scope["headers"]:
        if k.lower() == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None  # the HTTP server refuses a malformed length before we get here
    return None
