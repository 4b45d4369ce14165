"""Webhooks over a real receiver (an HTTP server thread on 127.0.0.1, so private addresses are
allowed here): signed deliveries that verify with the secret shown once, filters, retries with
exponential backoff on the worker's own clock (no sleeps), a restart that loses nothing, only
public events, and bad input refused as problem+json."""

from __future__ import annotations

import json
import secrets
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from tenderproof.app import accounts, webhooks
from tenderproof.app.service import Procurement
from tenderproof.instance import open_log
from tenderproof.store.webhook_tables import webhook_subscriptions

from .test_feeds import bid, create, open_bids

PROBLEM = "application/problem+json"


class Receiver:
    """Records every POST; answers with the next of `statuses` (200 once they run out)."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.got]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv(webhooks.ALLOW_PRIVATE_ENV, "1")
    r = Receiver()
    yield r
    r.close()


def subscribe(api, who: str, **body) -> dict:
    r = api.post("/api/webhooks", who, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_deliveries_are_signed_with_the_secret_shown_once(api, receiver):
    sub = subscribe(api, "ig", url=receiver.url)
    assert sub["secret"].startswith("whsec_")
    assert "secret" not in api.get("/api/webhooks", "ig").json()[0]  # shown once
    create(api, "W-1")
    assert webhooks.Deliverer(api.p).step() == 2
    logged = api.get("/api/events").json()["events"]
    assert [e["envelope"] for e in receiver.events()] == [e["envelope"] for e in logged]
    assert [e["index"] for e in receiver.events()] == [e["index"] for e in logged]
    now = int(api.clock.now.timestamp())
    for headers, body in receiver.got:
        header = headers[webhooks.SIGNATURE_HEADER.lower()]
        assert header.startswith(f"t={now},v1=") and headers["content-type"] == "application/json"
        assert webhooks.verify(sub["secret"], header, body, now)
        assert not webhooks.verify("whsec_" + "x" * 43, header, body, now)  # another secret
        assert not webhooks.verify(sub["secret"], header, body + b" ", now)  # another body
        assert not webhooks.verify(sub["secret"], header, body, now + webhooks.TOLERANCE + 1)  # replayed later
    assert webhooks.Deliverer(api.p).step() == 0  # delivered once
    states = api.get(f"/api/webhooks/{sub['id']}/deliveries", "ig").json()
    assert [d["state"] for d in states] == ["delivered", "delivered"] and all(d["attempts"] == 1 for d in states)


@given(st.text(min_size=1), st.binary(), st.integers(0, 2**40), st.data())
def test_a_signature_verifies_only_its_own_body(secret, body, t, data):
    header = webhooks.signature(secret, t, body)
    assert webhooks.verify(secret, header, body, t)
    if body:
        i = data.draw(st.integers(0, len(body) - 1))
        changed = body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
        assert not webhooks.verify(secret, header, changed, t)


def test_filters_and_the_time_a_subscription_starts(api, receiver):
    create(api, "W-0")  # logged before any subscription: never sent
    create(api, "W-1")
    mine = subscribe(api, "ig", url=receiver.url + "/tender", tender_id="W-1")
    typed = subscribe(api, "gao", url=receiver.url + "/typed", event_types=["tender.published"])
    other = subscribe(api, "co", url=receiver.url + "/buyer", buyer_id="elsewhere")
    create(api, "W-2")
    assert api.post("/api/tenders/W-1/enquiries", "acme", json={"enquiry_id": "q1", "question": "Region?"}).status_code == 201
    webhooks.Deliverer(api.p).step()
    by_path: dict[str, list[tuple[str, str]]] = {}
    for _, body in receiver.got:
        env = json.loads(body)["envelope"]
        by_path.setdefault(json.loads(body)["subscription"], []).append((env["tender"], env["type"]))
    assert by_path[mine["id"]] == [("W-1", "enquiry.asked")]
    assert by_path[typed["id"]] == [("W-2", "tender.published")]
    assert other["id"] not in by_path
    create(api, "W-3", buyer={"id": "elsewhere", "name": "Elsewhere"})
    webhooks.Deliverer(api.p).step()
    assert [json.loads(b)["envelope"]["type"] for _, b in receiver.got if json.loads(b)["subscription"] == other["id"]] \
        == ["tender.created", "tender.published"]


def test_a_failing_endpoint_is_retried_with_backoff_then_failed(api, receiver):
    receiver.statuses = [500] * 100
    sub = subscribe(api, "ig", url=receiver.url, event_types=["tender.created"])
    create(api, "W-1")
    d = webhooks.Deliverer(api.p)
    start = api.clock.now
    assert d.step() == 1
    waited = timedelta(0)
    for attempt in range(1, webhooks.MAX_ATTEMPTS):
        wait = webhooks.backoff(attempt)
        assert wait == min(timedelta(seconds=30) * 2 ** (attempt - 1), timedelta(hours=6))
        api.clock.advance(seconds=wait.total_seconds() - 1)
        assert d.step() == 0, f"attempt {attempt + 1} came early"
        api.clock.advance(seconds=1)
        assert d.step() == 1, f"attempt {attempt + 1} did not come"
        waited += wait
    assert len(receiver.got) == webhooks.MAX_ATTEMPTS
    assert len({h[webhooks.SIGNATURE_HEADER.lower()] for h, _ in receiver.got}) == webhooks.MAX_ATTEMPTS  # each signed anew
    [state] = api.get(f"/api/webhooks/{sub['id']}/deliveries", "ig").json()
    assert state["state"] == "failed" and state["attempts"] == webhooks.MAX_ATTEMPTS and state["last_error"] == "HTTP 500"
    assert api.clock.now - start == waited < timedelta(hours=5)
    api.clock.advance(days=7)
    assert d.step() == 0 and len(receiver.got) == webhooks.MAX_ATTEMPTS  # failed is final


def test_a_restart_keeps_pending_deliveries(api, receiver, settings):
    receiver.statuses = [503, 503]
    sub = subscribe(api, "ig", url=receiver.url, event_types=["tender.published"])
    create(api, "W-1")
    assert webhooks.Deliverer(api.p).step() == 1
    api.p.log.db.dispose()  # the process ends with the delivery pending
    again = Procurement(open_log(settings, signing=True), settings.data_dir, api.clock)
    try:
        api.clock.advance(seconds=30)
        assert webhooks.Deliverer(again).step() == 1  # 503 again
        api.clock.advance(seconds=60)
        assert webhooks.Deliverer(again).step() == 1
        [state] = webhooks.deliveries(again, "ig", sub["id"])
        assert (state.state, state.attempts) == ("delivered", 3)
        assert [json.loads(b)["envelope"]["type"] for _, b in receiver.got] == ["tender.published"] * 3
    finally:
        again.log.db.dispose()


def test_only_public_events_are_sent_and_nothing_names_a_bidder_before_the_opening(api, receiver):
    p = api.p
    marker, marker_name = f"m-{secrets.token_hex(6)}", f"Marker {secrets.token_hex(8)}"
    accounts.add_person(p, marker, marker_name)
    accounts.grant(p, marker, "bidder")
    api.tokens[marker] = accounts.issue_token(p, marker, "test")
    subscribe(api, "gao", url=receiver.url)
    create(api, "W-1")
    bid(api, "W-1", marker, b"MARKER PRICE 100")
    bid(api, "W-1", "globex", b"GLOBEX 200")
    webhooks.Deliverer(p).step()
    assert [e["envelope"]["type"] for e in receiver.events()].count("bid.submitted") == 2
    for _, body in receiver.got:
        assert marker.encode() not in body and marker_name.encode() not in body
    api.clock.advance(days=31)
    open_bids(api, "W-1")
    webhooks.Deliverer(p).step()
    logged = {e["index"]: e["envelope"] for e in api.get("/api/events", limit=1000).json()["events"]}
    assert {e["index"]: e["envelope"] for e in receiver.events()} == {i: env for i, env in logged.items()
                                                                      if env["tender"] == "W-1"}


def test_each_person_sees_and_deletes_only_its_own(api, receiver):
    sub = subscribe(api, "ig", url=receiver.url)
    assert api.get("/api/webhooks", "gao").json() == []
    for method, path in (("DELETE", f"/api/webhooks/{sub['id']}"), ("GET", f"/api/webhooks/{sub['id']}/deliveries")):
        r = api.client.request(method, path, headers=api.headers("gao"))
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert api.client.delete(f"/api/webhooks/{sub['id']}", headers=api.headers("ig")).status_code == 204
    assert api.get("/api/webhooks", "ig").json() == []
    create(api, "W-1")
    assert webhooks.Deliverer(api.p).step() == 0 and receiver.got == []


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://example.org/x"}, "http"),
    ({"url": "https://"}, "host"),
    ({"url": "not a url"}, "http"),
    ({"url": "https://user:pw@93.184.215.14/x"}, "credentials"),
    ({"url": "https://93.184.215.14:99999/x"}, "URL"),
    ({"url": "https://93.184.215.14/x", "event_types": ["tender.nonsense"]}, "unknown event types"),
    ({"url": "https://93.184.215.14/x", "tender_id": "NO-SUCH"}, "no tender"),
    ({"url": "https://93.184.215.14/x", "extra": 1}, "extra"),
    ({"url": "https://93.184.215.14/x", "tender_id": "a\u0000b"}, "NUL"),
    ({}, "url"),
])
def test_bad_subscriptions_are_422_problems(api, body, field):
    r = api.post("/api/webhooks", "ig", json=body)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert field.lower() in json.dumps(r.json()).lower(), r.json()
    assert api.get("/api/webhooks", "ig").json() == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://localhost/x", "http://10.0.0.8/x",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://192.168.1.1/x",
                                 "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x", "http://100.64.0.1/x"])
def test_private_addresses_are_refused_unless_allowed(api, monkeypatch, url):
    monkeypatch.delenv(webhooks.ALLOW_PRIVATE_ENV, raising=False)
    r = api.post("/api/webhooks", "ig", json={"url": url})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert "not a public address" in r.json()["detail"]
    with api.p.db.reader.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(webhook_subscriptions)).scalar() == 0
    monkeypatch.setenv(webhooks.ALLOW_PRIVATE_ENV, "1")
    assert api.post("/api/webhooks", "ig", json={"url": url}).status_code == 201


def test_a_subscription_needs_a_token(api):
    r = api.client.post("/api/webhooks", json={"url": "https://93.184.215.14/x"})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM


def test_finished_deliveries_are_forgotten_after_a_month_pending_ones_never(api, receiver):
    receiver.statuses = [200, 500]  # created: delivered; published: pending, then retried
    sub = subscribe(api, "ig", url=receiver.url)
    create(api, "W-1")
    d = webhooks.Deliverer(api.p)
    assert d.step() == 2
    api.clock.advance(days=30, seconds=-1)
    assert d.prune() == 0
    api.clock.advance(seconds=2)
    assert d.prune() == 1  # the delivered one; the pending one stays, however old
    [left] = webhooks.deliveries(api.p, "ig", sub["id"])
    assert left.state == "pending" and left.attempts == 1
    assert d.step() == 1 and webhooks.deliveries(api.p, "ig", sub["id"])[0].state == "delivered"


def test_a_slow_receiver_holds_up_only_its_own_subscription(api, receiver):
    """Each subscription's deliveries go out on their own thread, in ledger order."""
    release = threading.Event()
    order: list[str] = []

    def send(url: str, body: bytes, headers: dict[str, str]) -> str | None:
        if url.endswith("/slow"):
            assert release.wait(10), "the fast subscription's deliveries never went out"
        order.append(url.rsplit("/", 1)[1])
        if url.endswith("/fast") and order.count("fast") == 2:
            release.set()
        return None

    subscribe(api, "ig", url=receiver.url + "/slow")
    fast = subscribe(api, "gao", url=receiver.url + "/fast")
    create(api, "W-1")
    assert webhooks.Deliverer(api.p, send).step() == 4
    assert order == ["fast", "fast", "slow", "slow"]
    indexes = [d.ledger_index for d in webhooks.deliveries(api.p, "gao", fast["id"])]
    assert indexes == sorted(indexes, reverse=True) and len(indexes) == 2
