"""uvicorn's HTTP/1.1 protocol with a header read timeout (issue 11).

uvicorn times a connection out only while it is idle between requests, and the next byte a
client sends stops that clock: a client that opens a connection and sends its request head a
byte at a time (slow-loris) holds it forever. Here a request head must be complete within
`Limits.header_timeout` of the connection opening, or of the previous response ending; the body
has its own timeout in `api.limits.Guard`. Imported only by `tenderproof serve` (it imports
uvicorn, which no other command needs).
"""

from __future__ import annotations

import asyncio
import functools

from uvicorn.protocols.http.h11_impl import H11Protocol

from tenderproof.api.limits import Limits


@functools.cache
def limits() -> Limits:
    """Read once per server process (each worker process reads its own environment)."""
    return Limits.from_env()


class TimedH11Protocol(H11Protocol):
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        self._arm()  # before the next pipelined request (started by the base class) disarms it
        super().on_response_complete()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a complete request head arrived
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(limits().header_timeout, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()
