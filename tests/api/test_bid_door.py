"""The sealed-bid door (`api.bid_door`): the deadline's hot route outside FastAPI's machinery gives
the answers the documented route gives, and hands it every request it does not take.

The route is reached with a query string the route ignores (`?via=route`): the door takes only
requests without one, so each case is sent through both doors and the answers compared."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tenderproof import seal
from tenderproof.api.bid_door import BID_PATH, SealedBidDoor
from tenderproof.app import accounts
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof

from ..app.conftest import _package
from .test_api_flow import TENDER

BIDS = "/api/tenders/API-1/bids"
OCTETS = {"Content-Type": "application/octet-stream"}


@pytest.fixture
def pub(api) -> bytes:
    body = dict(TENDER, tender_end=(api.clock.now + timedelta(days=30)).isoformat())
    assert api.post("/api/tenders", "co", json=body).status_code == 201
    assert api.post("/api/tenders/API-1/publication", "co").status_code == 201
    return base64.b64decode(api.get("/api/tenders/API-1").json()["opening_key"]["public_key"])


def _sealed(pub: bytes, text: str) -> bytes:
    return seal.seal_bid("API-1", pub, _package(text.encode()))


def _answer(r) -> tuple:
    """What a caller sees of a refusal: status, problem type and detail, and the headers that
    tell it what to do next."""
    body = r.json()
    return (r.status_code, r.headers["content-type"], body.get("type"), body.get("detail"), body.get("logged"),
            r.headers.get("www-authenticate"), r.headers.get("retry-after"))


def _both(api, path_tail: str = "", **headers) -> tuple:
    door = api.client.post(BIDS + path_tail, **headers)
    route = api.client.post(BIDS + path_tail + ("&" if "?" in path_tail else "?") + "via=route", **headers)
    return door, route


def test_a_bid_through_the_door_is_the_routes_bid(api, pub):
    sealed = _sealed(pub, "ACME 100")
    r = api.post(BIDS, "acme", content=sealed, **OCTETS, **{"Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert set(receipt) == {"tender", "events", "bid_id", "sealed_sha256", "entry", "tlog_proof"}
    verify_tlog_proof(TlogProof.parse(receipt["tlog_proof"]), base64.b64decode(receipt["entry"]),
                      verifiers=[api.p.log.log_verifier()])
    assert r.headers["x-content-type-options"] == "nosniff"  # the Guard's headers wrap the door too
    # The retry, through either door, replays the first answer; the route's refusal of a key
    # reused for another body is the door's too.
    again = api.post(BIDS, "acme", content=sealed, **{"Idempotency-Key": "k1"})
    via_route = api.post(BIDS + "?via=route", "acme", content=sealed, **{"Idempotency-Key": "k1"})
    assert again.json() == via_route.json() == receipt
    other = _sealed(pub, "ACME 90")
    door, route = (api.post(BIDS + tail, "acme", content=other, **{"Idempotency-Key": "k1"}) for tail in ("", "?via=route"))
    assert _answer(door) == _answer(route) and door.status_code == 422
    assert len(api.get("/api/tenders/API-1").json()["bids"]) == 1


@pytest.mark.parametrize("case", ["unknown token", "no grant", "not sealed", "wrong tender", "late"])
def test_refusals_through_the_door_are_the_routes(api, pub, case):
    accounts.add_person(api.p, "nobody", "Nobody")  # a person without a bidder grant
    token = {"unknown token": "tp_not-a-token", "no grant": accounts.issue_token(api.p, "nobody", "t")}.get(
        case, api.tokens["acme"])
    body = b"plain text offer" if case == "not sealed" else _sealed(pub, f"offer {case}")
    path = "/api/tenders/OTHER-1/bids" if case == "wrong tender" else BIDS  # sealed for API-1
    if case == "late":
        api.clock.advance(days=31)
    headers = {"Authorization": f"Bearer {token}", **OCTETS}
    door = api.client.post(path, content=body, headers=headers)
    route = api.client.post(path + "?via=route", content=body, headers=headers)
    assert door.status_code >= 400 and _answer(door)[:5] == _answer(route)[:5]
    if case == "late":  # logged twice, once per attempt: both are on the record
        assert door.json()["logged"] is True
        refusals = [e for e in api.p.events("API-1") if e.envelope["type"] == "command.refused"]
        assert len(refusals) == 2


@pytest.mark.parametrize("headers", [
    {},  # no token
    {"Authorization": "Basic YWNtZTpzZWNyZXQ="},  # another scheme
    {"Authorization": "Bearer"},  # a scheme without a token
    {"Idempotency-Key": "k" * 201},  # longer than the route takes (422)
], ids=["no token", "basic", "empty bearer", "long key"])
def test_what_the_door_does_not_take_the_route_answers(api, pub, headers):
    auth = {} if "Authorization" in headers or not headers.get("Idempotency-Key") else api.headers("acme")
    door, route = _both(api, content=_sealed(pub, "offer"), headers={**auth, **headers, **OCTETS})
    assert door.status_code in (401, 422) and _answer(door) == _answer(route)
    assert api.get("/api/tenders/API-1").json()["bids"] == []


def test_failed_tokens_through_the_door_count_toward_the_limit(api, pub):
    """The door authenticates as the route does: ten bad tokens from one address, then 429."""
    client = TestClient(api.client.app, client=("203.0.113.7", 40000))
    bad = {"Authorization": "Bearer tp_guess", **OCTETS}
    codes = [client.post(BIDS, content=b"x", headers=bad).status_code for _ in range(10)]
    assert codes == [401] * 10
    door, route = (client.post(BIDS + tail, content=_sealed(pub, "offer"), headers=api.headers("acme", **OCTETS))
                   for tail in ("", "?via=route"))  # not even a good token is looked at from there
    assert door.status_code == 429 and door.headers["retry-after"] and _answer(door) == _answer(route)


def test_the_door_matches_only_a_tenders_bid_collection():
    assert BID_PATH.fullmatch("/api/tenders/T-1/bids").group(1) == "T-1"
    for other in ("/api/tenders/T-1/bids/withdrawals", "/api/tenders/T-1/bids/", "/api/tenders//bids",
                  "/api/tenders/a/b/bids", "/tenders/T-1/bids"):
        assert BID_PATH.fullmatch(other) is None


def test_a_client_gone_mid_body_is_not_answered_and_nothing_is_logged(api, pub):
    """The ASGI side: the body never completes (the client left, or the Guard cut it off and
    answered), so the door neither runs the command nor sends a second answer."""
    sent: list[dict] = []
    messages = iter([{"type": "http.request", "body": b"half", "more_body": True}, {"type": "http.disconnect"}])

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    async def not_the_route(scope, receive, send):
        raise AssertionError("the door should have taken this request")

    door = SealedBidDoor(not_the_route, handlers={})
    scope = {"type": "http", "method": "POST", "path": BIDS, "query_string": b"", "app": api.client.app,
             "headers": [(b"authorization", f"Bearer {api.tokens['acme']}".encode())]}
    before = api.p.log.head().size
    asyncio.run(door(scope, receive, send))
    assert sent == [] and api.p.log.head().size == before
