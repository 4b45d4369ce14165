"""A debriefing letter over HTTP: its offeror (as bidder) and the tender's buyers fetch it, verified
against the digest its `debriefing.given` event logged; everyone else is refused before anything of
the tender is read, with the same answer whether a letter exists or not."""

from __future__ import annotations

import hashlib
import json

import pytest

from tenderproof.app import accounts
from tenderproof.domain import Actor
from tenderproof.domain import commands as c

from ..app.conftest import World

TID = "DEB-1"


def awarded(api, tid: str = TID) -> None:
    """A tender awarded to acme over globex, through the app layer (this file tests the HTTP side)."""
    w = World(api.p, api.clock, api.keys)
    w.create(tid)
    w.publish(tid)
    for bidder in ("acme", "globex"):
        w.bid(bidder, f"{bidder} proposal".encode(), tid, bid_id=f"bid-{bidder}", secret=api.tokens[bidder].encode())
    api.clock.advance(days=31)
    api.p.run_deadlines(tender_id=tid)
    w.open(tid)
    for official, role in (("co", "buyer"), ("ev", "evaluator"), ("ssa", "ssa")):
        api.p.execute(c.DeclareInterests(tid, False), Actor(official, role))
    for bidder, price in (("acme", "100"), ("globex", "200")):
        api.p.execute(c.RateProposal(tid, f"bid-{bidder}", "price", price), Actor("ev", "evaluator"))
        api.p.execute(c.RateProposal(tid, f"bid-{bidder}", "tech", "Good", weaknesses=f"{bidder} weak point"),
                      Actor("ev", "evaluator"))
    api.p.execute(c.DecideAward(tid, "bid-acme", {"amount": "100", "currency": "USD"}, "lowest price, equal merit"),
                  Actor("ssa", "ssa"))


def debrief(api, bidder: str = "globex", tid: str = TID) -> str:
    """Debrief `bidder` as the API's buyer does; the digest its event logged."""
    r = api.post(f"/api/tenders/{tid}/debriefings", "co", json={"bidder_id": bidder})
    assert r.status_code == 201, r.text
    return api.p.state(tid)["debriefings"][bidder]["document_sha256"]


def letter_url(bidder: str = "globex", tid: str = TID) -> str:
    return f"/api/tenders/{tid}/debriefings/{bidder}/letter"


def _problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/" + code), body
    return body


@pytest.fixture
def debriefed(api):
    awarded(api)
    return api, debrief(api)


def test_the_offeror_and_the_buyer_read_the_letter_as_logged(debriefed):
    api, digest = debriefed
    for who in ("globex", "co"):
        r = api.get(letter_url(), who)
        assert r.status_code == 200, r.text
        assert hashlib.sha256(r.content).hexdigest() == digest
        assert r.headers["content-type"] == "application/json"
        assert r.headers["etag"] == f'"{digest}"'
        assert r.headers["cache-control"] == "private, no-store"
        assert r.headers["content-disposition"] == f'attachment; filename="debriefing-{TID}-globex.json"'
    letter = json.loads(r.content)
    assert letter["offeror"] == "globex" and letter["tender"] == TID
    assert letter["your_weaknesses_and_deficiencies"]["tech"]["weaknesses"] == ["globex weak point"]
    # The logged digest is the one on the public log.
    given = [e for e in api.get(f"/api/tenders/{TID}/events").json() if e["envelope"]["type"] == "debriefing.given"]
    assert [e["envelope"]["payload"]["document_sha256"] for e in given] == [digest]


def test_nobody_else_reads_it_and_a_refusal_tells_nothing(debriefed):
    api, _ = debriefed
    _problem(api.get(letter_url()), 401, "unauthenticated")
    # The awardee, an evaluator, the SSA, an auditor: 403, for a letter that exists and for one
    # that does not (acme was not debriefed; no tender NOPE), with the same problem type.
    for who in ("acme", "ev", "ssa", "ig", "gao", "op1"):
        for url in (letter_url(), letter_url("acme"), letter_url("globex", "NOPE")):
            if who == "acme" and url == letter_url("acme"):
                continue  # acme's own letter: its own business (404 below)
            _problem(api.get(url, who), 403, "forbidden")
    # A bidder who may read a letter learns only of its own.
    _problem(api.get(letter_url("acme"), "acme"), 404, "not-found")
    _problem(api.get(letter_url("globex", "NOPE"), "globex"), 404, "not-found")
    _problem(api.get(letter_url("nobody"), "co"), 404, "not-found")


def test_an_offeror_without_the_bidder_grant_is_refused(debriefed):
    """The person's id alone is not enough: the letter goes to the offeror acting as a bidder."""
    api, _ = debriefed
    accounts.revoke(api.p, "globex", "bidder")
    _problem(api.get(letter_url(), "globex"), 403, "forbidden")


def test_a_buyer_granted_on_another_tender_is_refused(debriefed):
    api, _ = debriefed
    World(api.p, api.clock, api.keys).create("OTHER-1")
    accounts.add_person(api.p, "co2", "CO2")
    accounts.grant(api.p, "co2", "buyer", "OTHER-1")
    token = accounts.issue_token(api.p, "co2", "test")
    r = api.client.get(letter_url(), headers={"Authorization": f"Bearer {token}"})
    _problem(r, 403, "forbidden")


def test_a_damaged_or_missing_letter_is_never_served(debriefed):
    api, digest = debriefed
    path = api.p.documents.path(digest)
    original = path.read_bytes()
    path.write_bytes(original[:-1] + b"!")
    body = _problem(api.get(letter_url(), "globex"), 500, "document-damaged")
    assert str(api.p.documents.root) not in body["detail"]
    path.unlink()
    _problem(api.get(letter_url(), "globex"), 410, "document-gone")


def test_the_letter_is_still_not_a_public_document(debriefed):
    api, digest = debriefed
    _problem(api.get(f"/api/documents/{digest}"), 404, "not-found")
    assert api.get(f"/documents/{digest}").status_code == 404
