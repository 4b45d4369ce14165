"""The administrator's API (`/api/admin/…`) and the rate limit on failed bearer tokens (issue 11).

Only an `admin` grant opens these doors; every refusal is problem+json; an official role granted
or revoked on a tender is on that tender's public events with the administrator as the actor; a
token is shown once and never again; past the limit of failed tokens a client gets 429 with
Retry-After, on an injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tenderproof.api import create_app
from tenderproof.api.security import FailedTokens
from tenderproof.app import accounts

from .conftest import Api
from .test_api_flow import TENDER

PROBLEM = "application/problem+json"
A = "/api/admin"


@pytest.fixture
def admin(api: Api) -> Api:
    accounts.add_person(api.p, "it", "IT Office")
    accounts.grant(api.p, "it", "admin")
    api.tokens["it"] = accounts.issue_token(api.p, "it", "test")
    return api


def _problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["detail"], body
    if code is not None:
        assert body["type"].endswith("/" + code), body
    return body


def _state(api: Api) -> tuple:
    """What an admin request could change: the log, and every person with their grants and tokens."""
    return api.p.log.head().size, accounts.list_people(api.p, limit=1000)


def _tender(api: Api, tid: str = "ADM-1") -> str:
    body = dict(TENDER, tender_id=tid, tender_end=(api.clock.now + timedelta(days=30)).isoformat())
    assert api.post("/api/tenders", "co", json=body).status_code == 201
    return tid


ROUTES = [
    ("GET", f"{A}/people", None),
    ("POST", f"{A}/people", {"id": "x1", "name": "X"}),
    ("GET", f"{A}/people/co", None),
    ("POST", f"{A}/people/co/grants", {"role": "bidder"}),
    ("DELETE", f"{A}/people/co/grants/buyer", None),
    ("POST", f"{A}/people/co/tokens", {"label": "x"}),
    ("DELETE", f"{A}/tokens/tok_000000000000", None),
    ("POST", f"{A}/people/import", {"people": [{"id": "x2", "name": "X"}]}),
]


@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
def test_only_an_administrator_passes(admin: Api, method: str, url: str, body):
    before = _state(admin)
    for who, status in [(None, 401), ("co", 403), ("gao", 403), ("ig", 403)]:
        r = admin.client.request(method, url, json=body, headers=admin.headers(who))
        _problem(r, status)
    assert _state(admin) == before


def test_people_tokens_and_grants(admin: Api):
    r = admin.post(f"{A}/people", "it", json={"id": "acme-2", "name": "Acme Two LLC"})
    assert r.status_code == 201 and r.json() == {"id": "acme-2", "name": "Acme Two LLC", "grants": [], "tokens": []}
    _problem(admin.post(f"{A}/people", "it", json={"id": "acme-2", "name": "Again"}), 409, "exists")
    r = admin.post(f"{A}/people/acme-2/grants", "it", json={"role": "bidder"})
    assert r.status_code == 201 and r.json()["grants"] == [{"role": "bidder", "tender": "*"}]
    assert admin.post(f"{A}/people/acme-2/grants", "it", json={"role": "bidder"}).status_code == 200  # held already
    r = admin.post(f"{A}/people/acme-2/tokens", "it", json={"label": "laptop", "days": 30})
    assert r.status_code == 201
    issued = r.json()
    token = issued["token"]
    assert accounts.authenticate(admin.p, token) == ("acme-2", "Acme Two LLC")
    listing = admin.client.get(f"{A}/people", headers=admin.headers("it"))
    assert listing.status_code == 200 and token not in listing.text
    (mine,) = [x for x in listing.json()["items"] if x["id"] == "acme-2"]
    assert mine["tokens"][0]["id"] == issued["id"] and mine["tokens"][0]["revoked"] is None
    assert admin.client.delete(f"{A}/tokens/{issued['id']}", headers=admin.headers("it")).json() == {
        "revoked": [issued["id"]]}
    assert accounts.authenticate(admin.p, token) is None
    _problem(admin.client.delete(f"{A}/tokens/{issued['id']}", headers=admin.headers("it")), 404, "not-found")
    r = admin.client.delete(f"{A}/people/acme-2/grants/bidder", headers=admin.headers("it"))
    assert r.status_code == 200 and r.json()["grants"] == []
    _problem(admin.client.delete(f"{A}/people/acme-2/grants/bidder", headers=admin.headers("it")), 404, "not-found")


def test_an_official_grant_is_a_public_event_and_a_bidder_grant_is_not(admin: Api):
    tid = _tender(admin)
    admin.post(f"{A}/people", "it", json={"id": "ev9", "name": "Evaluator Nine"})
    assert admin.post(f"{A}/people/ev9/grants", "it", json={"role": "evaluator", "tender": tid}).status_code == 201
    assert accounts.may_act(admin.p, "ev9", "evaluator", tid)
    r = admin.client.delete(f"{A}/people/ev9/grants/evaluator", params={"tender": tid}, headers=admin.headers("it"))
    assert r.status_code == 200
    admin.post(f"{A}/people", "it", json={"id": "sup9", "name": "Supplier Nine"})
    size = admin.p.log.head().size
    assert admin.post(f"{A}/people/sup9/grants", "it", json={"role": "bidder", "tender": tid}).status_code == 201
    assert admin.p.log.head().size == size  # who may bid is on no log
    events = [e["envelope"] for e in admin.get(f"/api/tenders/{tid}/events").json()]
    access = [(e["type"], e["payload"], e["actor"]) for e in events if e["type"].startswith("access.")]
    assert access == [("access.granted", {"person": "ev9", "role": "evaluator"}, {"id": "it", "role": "admin"}),
                      ("access.revoked", {"person": "ev9", "role": "evaluator"}, {"id": "it", "role": "admin"})]
    assert "sup9" not in admin.get(f"/api/tenders/{tid}/events").text


@pytest.mark.parametrize(("method", "url", "body", "status", "field"), [
    ("POST", f"{A}/people", {"id": "a b", "name": "X"}, 422, "id: "),
    ("POST", f"{A}/people", {"id": "ok", "name": ""}, 422, "name: "),
    ("POST", f"{A}/people", {"id": "ok", "name": "X", "admin": True}, 422, "admin: Extra inputs"),
    ("POST", f"{A}/people", {"id": "ok", "name": "\x00"}, 422, "name contains a NUL"),
    ("POST", f"{A}/people/co/grants", {"role": "king"}, 422, "cannot grant role 'king'"),
    ("POST", f"{A}/people/co/grants", {"role": "admin", "tender": "T-1"}, 422, "for all tenders only"),
    ("POST", f"{A}/people/ghost/grants", {"role": "bidder"}, 404, "no person ghost"),
    ("POST", f"{A}/people/co/grants", {"role": "evaluator", "tender": "T-404"}, 404, "no tender T-404"),
    ("POST", f"{A}/people/co/tokens", {"days": 0}, 422, "days: "),
    ("POST", f"{A}/people/ghost/tokens", {}, 404, "no person ghost"),
    ("GET", f"{A}/people/ghost", None, 404, "no person ghost"),
    ("GET", f"{A}/people?limit=0", None, 422, "limit: "),
])
def test_every_bad_request_is_a_problem_naming_what(admin: Api, method, url, body, status, field):
    before = _state(admin)
    r = admin.client.request(method, url, json=body, headers=admin.headers("it"))
    assert field in _problem(r, status)["detail"]
    assert _state(admin) == before


def test_a_register_is_imported_whole_or_not_at_all(admin: Api):
    tid = _tender(admin)
    before = _state(admin)
    bad = {"people": [{"id": "s1", "name": "One", "roles": [f"evaluator@{tid}"]},
                      {"id": "s2", "name": "Two", "roles": ["bidder@T-404"]}]}
    assert "people[1], column roles: no tender T-404" in _problem(admin.post(f"{A}/people/import", "it", json=bad),
                                                                  404)["detail"]
    dup = {"people": [{"id": "s1", "name": "One"}, {"id": "s1", "name": "Again"}]}
    assert "people[1], column id" in _problem(admin.post(f"{A}/people/import", "it", json=dup), 422)["detail"]
    assert _state(admin) == before
    good = {"people": [{"id": f"s{i}", "name": f"Supplier {i}", "roles": ["bidder"]} for i in range(50)],
            "label": "register-2030", "days": 365}
    r = admin.post(f"{A}/people/import", "it", json=good)
    assert r.status_code == 201, r.text
    issued = r.json()
    assert [x["person"] for x in issued] == [f"s{i}" for i in range(50)]
    assert accounts.authenticate(admin.p, issued[7]["token"]) == ("s7", "Supplier 7")


def test_the_people_list_pages(admin: Api):
    seen, after = [], ""
    while True:
        page = admin.client.get(f"{A}/people", params={"after": after, "limit": 4}, headers=admin.headers("it")).json()
        seen += [x["id"] for x in page["items"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == sorted(seen) == sorted(x.id for x in accounts.list_people(admin.p, limit=1000))


# --- failed tokens are rate limited ---------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(api: Api):
    app = create_app(api.p)
    ticks = Ticks()
    app.state.failed_tokens = FailedTokens(limit=10, window=60, max_clients=3, clock=ticks)

    def client(ip: str) -> TestClient:
        return TestClient(app, client=(ip, 40000))

    return api, app, ticks, client


def _decl(api: Api, client: TestClient, token: str):
    return client.get(f"{A}/people", headers={"Authorization": f"Bearer {token}"})


def test_failed_tokens_get_429_with_retry_after(limited):
    api, app, ticks, client = limited
    attacker, other = client("203.0.113.7"), client("198.51.100.2")
    for i in range(10):
        _problem(_decl(api, attacker, f"tp_guess{i}"), 401, "unauthenticated")
        ticks.now += 1
    r = _decl(api, attacker, "tp_guess10")
    _problem(r, 429)
    assert r.headers["retry-after"] == "50"  # the first failure (at 1000) leaves the 60 s window at 1060
    _problem(_decl(api, attacker, api.tokens["co"]), 429)  # not even a good token is looked at from there
    assert _decl(api, other, api.tokens["co"]).status_code == 403  # another address: authenticated, not an admin
    ticks.now += 50
    assert _decl(api, attacker, api.tokens["co"]).status_code == 403  # the window moved on
    _problem(_decl(api, attacker, "tp_guess11"), 401)


def test_successful_requests_are_never_limited(limited):
    api, app, ticks, client = limited
    c = client("203.0.113.8")
    for _ in range(9):
        _problem(_decl(api, c, "tp_wrong"), 401)
    for _ in range(50):
        assert _decl(api, c, api.tokens["co"]).status_code == 403  # authenticated every time
    _problem(_decl(api, c, "tp_wrong"), 401)  # the tenth failure
    _problem(_decl(api, c, "tp_wrong"), 429)


def test_the_limiter_remembers_a_bounded_number_of_clients(limited):
    api, app, ticks, client = limited
    for n in range(20):
        _problem(_decl(api, client(f"192.0.2.{n}"), "tp_wrong"), 401)
    assert len(app.state.failed_tokens._failures) == 3


def test_a_peer_without_an_ip_address_is_not_limited(limited):
    api, app, ticks, client = limited
    c = TestClient(app)  # "testclient": no address to count by (as a Unix socket peer)
    for _ in range(30):
        _problem(_decl(api, c, "tp_wrong"), 401)
