"""Request-body limits, read timeouts, the in-flight budget and security headers (issue 11),
in-process: the app's own ASGI stack, driven with bodies it has to pull chunk by chunk.

The guard answers before any route runs: an oversized body is 413 whoever sends it (no token, a
bad token, a good one), as problem+json. The server-level tests (RSS under concurrent uploads,
a real slow-loris) are in test_limits_server.py.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tenderproof import seal
from tenderproof.api import create_app
from tenderproof.api.limits import API_CSP, DOCS_CSP, SEALED_OVERHEAD, KiB, Limits
from tenderproof.ledger import tiles

from ..app.conftest import _package
from .test_api_flow import TENDER

#: Small limits so the tests move kilobytes, not megabytes: the rules are the same.
SMALL = Limits(command=16 * KiB, bid_bucket=16 * KiB, document=32 * KiB, in_flight=32 * KiB)
BID_LIMIT = 16 * KiB + SEALED_OVERHEAD
PROBLEM = "application/problem+json"
WHO = {"no token": None, "bad token": "Bearer not-a-token", "good token": "good"}


@pytest.fixture
def small(api):
    return TestClient(create_app(api.p, body_limits=SMALL))


def _auth(api, who: str | None, role_holder: str) -> dict[str, str]:
    if who is None:
        return {}
    return {"Authorization": who if who != "good" else f"Bearer {api.tokens[role_holder]}"}


def _is_problem(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"].endswith("/" + code) and r.json()["status"] == status


@pytest.mark.parametrize("who", WHO.values(), ids=list(WHO))
def test_an_oversized_json_command_is_413_before_authentication(api, small, who):
    r = small.post("/api/tenders", content=b"{" + b" " * (16 * KiB), headers={
        **_auth(api, who, "co"), "Content-Type": "application/json"})
    _is_problem(r, 413, "body-too-large")
    assert str(16 * KiB) in r.json()["detail"] and r.headers["connection"] == "close"


@pytest.mark.parametrize("who", WHO.values(), ids=list(WHO))
def test_an_oversized_sealed_bid_is_413_before_authentication(api, small, who):
    r = small.post("/api/tenders/API-1/bids", content=bytes(BID_LIMIT + 1), headers=_auth(api, who, "acme"))
    _is_problem(r, 413, "body-too-large")


@pytest.mark.parametrize("who", WHO.values(), ids=list(WHO))
def test_an_oversized_document_is_413_before_authentication(api, small, who):
    r = small.post("/api/documents", content=bytes(32 * KiB + 1), headers={
        **_auth(api, who, "co"), "Content-Type": "application/pdf"})
    _is_problem(r, 413, "body-too-large")


def test_bodies_within_the_limits_still_work(api, small):
    body = dict(TENDER, tender_end=(api.clock.now + timedelta(days=30)).isoformat())
    co, acme = _auth(api, "good", "co"), _auth(api, "good", "acme")
    assert small.post("/api/tenders", json=body, headers=co).status_code == 201
    assert small.post("/api/tenders/API-1/publication", headers=co).status_code == 201
    pub = base64.b64decode(small.get("/api/tenders/API-1").json()["opening_key"]["public_key"])
    # A package just under the largest bucket allowed: exactly the bucket plus the seal's overhead.
    sealed = seal.seal_bid("API-1", pub, _package(bytes(15 * KiB)))
    assert 16 * KiB < len(sealed) <= BID_LIMIT
    r = small.post("/api/tenders/API-1/bids", content=sealed, headers=acme)
    assert r.status_code == 201, r.text
    # The next bucket up is refused whoever sends it.
    bigger = seal.seal_bid("API-1", pub, _package(bytes(17 * KiB)))
    _is_problem(small.post("/api/tenders/API-1/bids", content=bigger, headers=acme), 413, "body-too-large")


# --- bodies without a declared length, pulled chunk by chunk ---------------------------------


class Upload:
    """One request straight into the ASGI app, its body as an endless stream of `chunk` bytes
    (no Content-Length) unless `declared`; counts the chunks the server pulled."""

    def __init__(self, app, path: str, auth: dict[str, str], chunk: int = KiB, declared: int | None = None,
                 stall: asyncio.Event | None = None) -> None:
        self.app, self.path, self.chunk, self.stall = app, path, chunk, stall
        self.headers = [(k.lower().encode(), v.encode()) for k, v in auth.items()]
        if declared is not None:
            self.headers.append((b"content-length", str(declared).encode()))
        self.pulled, self.status, self.response_headers, self.body = 0, 0, {}, b""
        self.reading = asyncio.Event()

    async def receive(self):
        self.reading.set()
        if self.stall is not None:
            await self.stall.wait()
        self.pulled += 1
        return {"type": "http.request", "body": bytes(self.chunk), "more_body": True}

    async def send(self, message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    async def run(self) -> Upload:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": self.path, "raw_path": self.path.encode(), "query_string": b"",
                 "root_path": "", "headers": self.headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        await self.app(scope, self.receive, self.send)
        return self


def _app(api, limits: Limits = SMALL):
    return create_app(api.p, body_limits=limits)


@pytest.mark.parametrize("who", WHO.values(), ids=list(WHO))
def test_a_chunked_json_command_is_cut_at_the_limit(api, who):
    up = asyncio.run(Upload(_app(api), "/api/tenders", _auth(api, who, "co")).run())
    assert up.status == 413 and up.response_headers["content-type"] == PROBLEM
    assert up.pulled == 16 + 1  # not one chunk more than it takes to pass 16 KiB


def test_a_chunked_bid_is_cut_at_the_limit_and_unauthenticated_ones_are_not_read(api):
    up = asyncio.run(Upload(_app(api), "/api/tenders/API-1/bids", _auth(api, "good", "acme")).run())
    assert up.status == 413 and up.pulled == BID_LIMIT // KiB + 1
    # Without a declared length the guard cannot know the size before reading; the bid route
    # checks the token before it reads, so a stranger's endless body costs nothing at all.
    up = asyncio.run(Upload(_app(api), "/api/tenders/API-1/bids", {}).run())
    assert up.status == 401 and up.pulled == 0


def test_a_stalled_body_is_answered_408(api):
    never = asyncio.Event()
    app = _app(api, dataclasses.replace(SMALL, body_timeout=0.2))
    up = asyncio.run(Upload(app, "/api/tenders", _auth(api, "good", "co"), stall=never).run())
    assert up.status == 408 and up.response_headers["content-type"] == PROBLEM
    assert b"body-timeout" in up.body and up.pulled == 0


def test_bodies_in_flight_share_one_budget(api):
    """32 KiB in flight: a 20 KiB bid being received leaves no room for another (503), and the
    budget is given back when the first is answered."""
    app = _app(api)
    acme = _auth(api, "good", "acme")

    async def scenario() -> tuple[Upload, Upload, Upload]:
        gate = asyncio.Event()
        first = Upload(app, "/api/tenders/API-1/bids", acme, declared=20 * KiB, stall=gate)
        running = asyncio.create_task(first.run())
        await first.reading.wait()  # it holds its 20 KiB now
        second = await Upload(app, "/api/tenders/API-1/bids", acme, declared=20 * KiB).run()
        gate.set()
        await running
        third = await Upload(app, "/api/tenders/API-1/bids", acme, chunk=20 * KiB, declared=20 * KiB).run()
        return first, second, third

    first, second, third = asyncio.run(scenario())
    assert second.status == 503 and second.response_headers["retry-after"] == "5" and second.pulled == 0
    assert first.status != 503 and third.status != 503  # the first was read whole; the third fit after it


# --- security headers ------------------------------------------------------------------------


def _secure(r, csp: str = API_CSP) -> None:
    assert r.headers["content-security-policy"] == csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-frame-options"] == "DENY"


def test_security_headers_on_api_problems_log_and_docs(api):
    body = dict(TENDER, tender_end=(api.clock.now + timedelta(days=30)).isoformat())
    created = api.post("/api/tenders", "co", json=body)
    assert created.status_code == 201
    _secure(created)
    _secure(api.get("/api/tenders"))
    missing = api.get("/api/tenders/NOPE")
    assert missing.headers["content-type"] == PROBLEM
    _secure(missing)
    checkpoint = api.get("/log/checkpoint")
    assert checkpoint.status_code == 200
    _secure(checkpoint)
    size = api.p.log.head().size
    tile = api.get("/log/" + tiles.tile_path(-1, 0, min(size, tiles.TILE_WIDTH)))
    assert tile.status_code == 200, tile.text
    _secure(tile)
    _secure(api.get("/api/docs"), DOCS_CSP)
    # The portal's pages keep their own, page-shaped policy.
    page = api.get("/")
    assert "style-src 'self'" in page.headers["content-security-policy"]


def test_limits_from_the_environment():
    lim = Limits.from_env({"TENDERPROOF_MAX_COMMAND_BYTES": "2048", "TENDERPROOF_BODY_TIMEOUT": "0.5",
                           "TENDERPROOF_MAX_BID_BYTES": "5000"})
    assert lim.command == 2048 and lim.body_timeout == 0.5
    assert lim.bid == 8192 + SEALED_OVERHEAD  # rounded up to the bucket a 5000-byte bid is sealed in
    assert Limits.from_env({}) == Limits()
    assert Limits.from_env({"TENDERPROOF_MAX_DOCUMENT_BYTES": "5000"}).document == 5000  # the upload route's own
    for bad in ("lots", "0", "-1"):
        with pytest.raises(ValueError, match="TENDERPROOF_MAX_COMMAND_BYTES"):
            Limits.from_env({"TENDERPROOF_MAX_COMMAND_BYTES": bad})
    with pytest.raises(ValueError, match="TENDERPROOF_MAX_BYTES_IN_FLIGHT"):  # no largest bid could ever arrive
        Limits.from_env({"TENDERPROOF_MAX_BYTES_IN_FLIGHT": str(32 * 1024 * 1024)})
