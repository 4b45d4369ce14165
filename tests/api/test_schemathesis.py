"""schemathesis against the OpenAPI document of a RUNNING server (uvicorn on loopback).

The installation has tenders in several phases (open for bids with sealed bids in, in
evaluation, a draft) so that reads have data. Every operation is called as generated (commands
then mostly stop at 401), and again "grounded": path parameters pointing at things that exist
(a real tender, bid, OCID, log index) and, for commands, a bearer token of a person holding the
role the operation needs, so the generated bodies reach the procurement rules.

Checked on every response, for generated positive and negative cases: no 5xx; the status code,
the content type, the headers and the body are those the OpenAPI document declares for the
operation; every 4xx is problem+json.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import zlib
from datetime import UTC, datetime

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tenderproof import seal
from tenderproof.api import create_app
from tenderproof.api.security import FailedTokens
from tenderproof.app import accounts, bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.domain.access import ADMIN
from tenderproof.instance import init
from tenderproof.ledger.tiles import tile_path, tiles_to_serve

from ..app.conftest import Clock, World
from .conftest import PEOPLE
from .test_authorization import _installation_settings

MAX_EXAMPLES = 25  # per operation
PERSON_OF_ROLE = {role: who for who, role in reversed(list(PEOPLE.items()))}  # role -> its first person
PANEL = {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"], "hca": ["hca"]}
#: Checks of the shape of responses. (positive_data_acceptance is left out: schema-valid bodies the
#: procurement rules reject get 422 by design, e.g. a rating not on the factor's scale.)
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")


class Server:
    def __init__(self, url: str, p: Procurement, tokens: dict[str, str]) -> None:
        self.url, self.p, self.tokens = url, p, tokens
        self.tenders = ["SC-EVAL", "SC-OPEN", "SC-DRAFT"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    gen = _installation_settings(tmp_path_factory)
    settings_ = next(gen)
    log = init(settings_, origin="schemathesis.tenderproof.localhost/log")
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    p = Procurement(log, settings_.data_dir, clock)
    tokens = {}
    w = World(p, clock)
    for who, role in PEOPLE.items():
        accounts.add_person(p, who, who.upper())
        accounts.grant(p, who, role)
        tokens[who] = accounts.issue_token(p, who, "schemathesis")
        if role == "opening_official":
            w.keys[who] = seal.OfficialKeyPair.generate()
            bidding.register_official(p, who, who, w.keys[who].public_bytes())
    accounts.add_person(p, "admin", "ADMIN")  # the account administrator, for /api/admin/…
    accounts.grant(p, "admin", ADMIN)
    tokens["admin"] = accounts.issue_token(p, "admin", "schemathesis")
    # A tender in evaluation (its deadline passed: the clock moves on by a month) ...
    w.create("SC-EVAL", panel=PANEL)
    w.publish("SC-EVAL")
    for bidder in ("acme", "globex"):
        w.bid(bidder, f"{bidder} proposal".encode(), "SC-EVAL", bid_id=f"bid-{bidder}")
    clock.advance(days=31)
    p.run_deadlines(tender_id="SC-EVAL")
    for o in ("op1", "op2"):
        w.declare(Actor(o, "opening_official"), "SC-EVAL")
        w.share(Actor(o, "opening_official"), "SC-EVAL")
    for who, role in (("co", "buyer"), ("ev", "evaluator"), ("ssa", "ssa"), ("hca", "hca")):
        w.declare(Actor(who, role), "SC-EVAL")
    p.execute(c.RateProposal("SC-EVAL", "bid-acme", "price", "100"), Actor("ev", "evaluator"))
    # ... one open for bids, with an enquiry and sealed bids in, and a draft.
    w.create("SC-OPEN", panel=PANEL)
    w.publish("SC-OPEN")
    p.execute(c.AskQuestion("SC-OPEN", "q1", "Which region?"), Actor("acme", "bidder"))
    for bidder in ("acme", "globex"):
        w.bid(bidder, f"{bidder} offer".encode(), "SC-OPEN", bid_id=f"bid-{bidder}")
    w.create("SC-DRAFT", panel=PANEL)
    w.create("SC-SPARE", panel=PANEL)  # for the cancellation, so that it ends no tender the others need
    w.publish("SC-SPARE")

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    app = create_app(p)
    # Generated calls send invalid tokens by the thousand from one address: the failed-token limit
    # (tested in tests/api/test_admin.py) would answer everything after the tenth with 429.
    app.state.failed_tokens = FailedTokens(limit=10**9)
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{sock.getsockname()[1]}", p, tokens)
    finally:
        srv.should_exit = True
        thread.join(timeout=30)
        sock.close()
        log.db.dispose()
        next(gen, None)


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json", wait_for_schema=10)


def _pick(options: list, seed: object):
    return options[zlib.crc32(repr(seed).encode()) % len(options)]


def _ground(case, server: Server) -> None:
    """Point the case at existing data, deterministically from what was generated."""
    params = case.path_parameters or {}
    if "tender_id" in params:
        ending = case.operation.path.endswith("/cancellation")
        params["tender_id"] = "SC-SPARE" if ending else _pick(server.tenders, params["tender_id"])
    if "bid_id" in params:
        params["bid_id"] = _pick(["bid-acme", "bid-globex"], params["bid_id"])
    if "ocid" in params:
        params["ocid"] = "ocds-tndrpf-" + _pick(server.tenders, params["ocid"])
    if "index" in params:
        params["index"] = _pick(list(range(server.p.log.head().size)), params["index"])
    if "path" in params:  # a C2SP tile path, without its leading "tile/"
        tiles = [tile_path(*t).removeprefix("tile/") for t in tiles_to_serve(server.p.log.head().size)]
        params["path"] = _pick(tiles, params["path"])
    case.path_parameters = params


def _role(case) -> str | None:
    """The role the operation needs: named in the request, else in the operation's description."""
    for where in (case.body, case.query):
        if isinstance(where, dict) and where.get("role") in PERSON_OF_ROLE:
            return where["role"]
    if case.operation.path.startswith("/api/admin/"):
        return ADMIN
    raw = case.operation.definition.raw
    m = re.search(r"[Rr]ole: \**([a-z_]+)", f"{raw.get('summary', '')} {raw.get('description', '')}")
    return m.group(1) if m else None


def problem_details(ctx, response, case) -> bool | None:
    """Every 4xx is RFC 9457 problem+json whose status is the response's (positive and negative
    cases alike: a refusal always says what was wrong, in one format)."""
    if not 400 <= response.status_code < 500:
        return None
    headers = {k.lower(): v for k, v in response.headers.items()}
    kind = headers.get("content-type", "")
    kind = kind[0] if isinstance(kind, list) else kind
    assert kind.startswith("application/problem+json"), f"{response.status_code} as {kind!r}"
    body = response.json()
    assert body["status"] == response.status_code and body["type"] and body["detail"], body
    return True


def _checks() -> list:
    from schemathesis.checks import CHECKS as REGISTRY
    from schemathesis.checks import load_all_checks

    load_all_checks()
    return [*REGISTRY.get_by_names(CHECKS), problem_details]


def test_the_server_is_seeded(server):
    """The reads the fuzzing leans on have data (a guard against a vacuous run)."""
    import httpx

    with httpx.Client(base_url=server.url) as client:
        assert {t["id"] for t in client.get("/api/tenders").json()["items"]} == {*server.tenders, "SC-SPARE"}
        assert client.get("/api/tenders/SC-EVAL").json()["status"] == "active.evaluation"
        assert client.get("/api/events?limit=1000").json()["events"]
        assert client.get("/api/ocds/records/ocds-tndrpf-SC-OPEN").status_code == 200
        r = client.post("/api/tenders/SC-OPEN/enquiries", json={"enquiry_id": "q2", "question": "When?"},
                        headers={"Authorization": f"Bearer {server.tokens['acme']}"})
        assert r.status_code == 201, r.text
        assert base64.b64decode(client.get("/api/tenders/SC-OPEN").json()["opening_key"]["public_key"])


#: The operations, from the app itself (so the list is known when tests are collected). Each runs
#: as its own test with `operation.as_strategy()`: `schemathesis.pytest.from_fixture` (the lazy
#: loader a server started by a fixture needs) fails on pytest 9 with schemathesis 4.32
#: ("'Function' object has no attribute '_nodeid'").
OPERATIONS = [(method.upper(), path) for path, item in create_app(None).openapi()["paths"].items()
              for method in item]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_openapi(api_schema, server, method, path):
    operation = api_schema[path][method]
    checks = _checks()
    strategy = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode))

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(checks=checks)
        # Again, on existing data, and as a person with the role the operation needs.
        _ground(case, server)
        headers = {}
        if operation.definition.raw.get("security"):
            role = _role(case) or "buyer"
            who = "admin" if role == ADMIN else PERSON_OF_ROLE.get(role, "co")
            headers["Authorization"] = f"Bearer {server.tokens[who]}"
        statuses.add(case.call_and_validate(headers=headers, checks=checks).status_code)

    statuses: set[int] = set()
    run()
    if operation.definition.raw.get("security"):  # the token got the requests past the door
        assert statuses - {401, 403}, f"{method} {path}: grounded calls only got {sorted(statuses)}"
