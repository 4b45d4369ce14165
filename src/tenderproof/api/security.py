"""Authentication (bearer tokens) and authorization (role grants), checked in this one place; and
the dependencies every route takes them through.

Failed bearer tokens are rate limited per client address (`FailedTokens`): past the limit, a
client is answered 429 with Retry-After before its token is even looked up, so guessing costs
the guesser time and the database nothing. Successful requests are never limited.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tenderproof.app import accounts
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor

bearer = HTTPBearer(auto_error=False, description="A token issued by the operator (tp_…)")


def procurement(request: Request) -> Procurement:
    return request.app.state.procurement


ProcurementDep = Annotated[Procurement, Depends(procurement)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class FailedTokens:
    """Failed bearer-token attempts per client address, over a sliding window.

    At most `limit` failures per `window` seconds; then the client waits until its oldest failure
    leaves the window. Memory is bounded: at most `limit` times per client, and at most
    `max_clients` clients, the one whose last failure is oldest forgotten first (a flood from
    many addresses can make the limiter forget some, never grow without end). Per process: with
    several server workers each keeps its own count.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_clients, self.clock = limit, window, max_clients, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # sync routes run in a thread pool

    def retry_after(self, client: str) -> int | None:
        """Seconds `client` must wait before its next token is looked at; None if it need not."""
        with self._lock:
            times = self._failures.get(client)
            if times is None:
                return None
            now = self.clock()
            while times and times[0] <= now - self.window:
                times.popleft()
            if not times:
                del self._failures[client]
                return None
            return max(1, math.ceil(times[0] + self.window - now)) if len(times) >= self.limit else None

    def failed(self, client: str) -> None:
        with self._lock:
            times = self._failures.pop(client, None) or deque(maxlen=self.limit)
            times.append(self.clock())
            self._failures[client] = times  # now the most recent
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)


def failed_tokens(request: Request) -> FailedTokens:
    """The app's limiter (`app.state.failed_tokens`; a default one made on first use)."""
    state = request.app.state
    limiter = getattr(state, "failed_tokens", None)
    if limiter is None:
        limiter = state.failed_tokens = FailedTokens()
    return limiter


def client_address(request: Request) -> str | None:
    """The client's IP address (uvicorn takes it from X-Forwarded-For behind a trusted local proxy);
    None for a peer without one (a Unix socket, an in-process client): those would all share one
    count, so that one bad client would lock out every other, and are not limited."""
    host = request.client.host if request.client else None
    try:
        return str(ipaddress.ip_address(host)) if host else None
    except ValueError:
        return None


def person(request: Request, cred: Credentials) -> str:
    """The authenticated person; 401 without a valid token, 429 after too many invalid ones."""
    if cred is None or cred.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    client, limiter = client_address(request), failed_tokens(request)
    wait = limiter.retry_after(client) if client else None
    if wait is not None:
        raise HTTPException(429, f"too many invalid bearer tokens from {client}; retry in {wait} s",
                            headers={"Retry-After": str(wait)})
    who = accounts.authenticate(procurement(request), cred.credentials)
    if who is None:
        if client:
            limiter.failed(client)
        raise HTTPException(401, "the bearer token is not valid (unknown, expired or revoked)",
                            headers={"WWW-Authenticate": "Bearer"})
    request.state.bearer = cred.credentials.encode()  # keys what only this token's holder may find
    request.state.person_name = who[1]
    return who[0]


PersonId = Annotated[str, Depends(person)]


def bearer_secret(request: Request) -> bytes:
    """The caller's bearer token, as the secret of what the database must not link to a person
    (idempotency records, withdrawal keys): the database holds only the token's hash."""
    return request.state.bearer


def authorize(p: Procurement, person_id: str, role: str, tender_id: str | None) -> Actor:
    """The actor for this request, or 403 if the person holds no grant for the role here."""
    if not accounts.may_act(p, person_id, role, tender_id):
        where = f"tender {tender_id}" if tender_id else "tenders"
        raise HTTPException(403, f"{person_id} may not act as {role} on {where}")
    return Actor(person_id, role)
