"""An API over a real installation: a settable clock, a person per role with a bearer token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tenderproof import seal
from tenderproof.api import create_app
from tenderproof.app import accounts, bidding
from tenderproof.app.service import Procurement
from tenderproof.instance import init

from ..app.conftest import T0, Clock

PEOPLE = {  # person: role granted on every tender
    "co": "buyer",
    "ev": "evaluator",
    "ssa": "ssa",
    "op1": "opening_official",
    "op2": "opening_official",
    "op3": "opening_official",
    "hca": "hca",
    "acme": "bidder",
    "globex": "bidder",
    "ig": "auditor",
    "gao": "reviewer",
}


class Api:
    def __init__(self, p: Procurement, clock: Clock, tokens: dict[str, str], keys: dict) -> None:
        self.p, self.clock, self.tokens, self.keys = p, clock, tokens, keys
        self.client = TestClient(create_app(p), raise_server_exceptions=True)

    def headers(self, who: str | None, **extra) -> dict[str, str]:
        h = dict(extra)
        if who is not None:
            h["Authorization"] = f"Bearer {self.tokens[who]}"
        return h

    def post(self, path: str, who: str | None, json=None, content=None, **headers):
        return self.client.post(path, json=json, content=content, headers=self.headers(who, **headers))

    def get(self, path: str, who: str | None = None, **params):
        return self.client.get(path, params=params, headers=self.headers(who))


def make_api(settings, origin: str) -> Api:
    """A fresh installation with a person and a token per role, served by a TestClient."""
    log = init(settings, origin=origin)
    clock = Clock(T0)
    p = Procurement(log, settings.data_dir, clock)
    tokens, keys = {}, {}
    for who, role in PEOPLE.items():
        accounts.add_person(p, who, who.upper())
        accounts.grant(p, who, role)
        tokens[who] = accounts.issue_token(p, who, "test")
        if role == "opening_official":
            keys[who] = seal.OfficialKeyPair.generate()
            bidding.register_official(p, who, who, keys[who].public_bytes())
    return Api(p, clock, tokens, keys)


@pytest.fixture
def api(settings):
    a = make_api(settings, "api.tenderproof.localhost/log")
    yield a
    a.p.log.db.dispose()
