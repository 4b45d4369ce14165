"""Granting and revoking an official role on a tender: only the account administrator does it, only
for official roles, and the event names the person and the role and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenderproof.domain import Actor, InvalidCommand, Refused, decide
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.model import ROLES

from .lifecycle import BUYER, T0, Tender, create_cmd, snapshot

ADMIN = Actor("admin-1", "admin")


@pytest.fixture
def tender() -> Tender:
    t = Tender("T-1")
    t.do(create_cmd("T-1"), BUYER, T0)
    return t


@pytest.mark.parametrize("role", c.PUBLIC_GRANTS)
def test_an_official_role_is_granted_and_revoked_on_the_record(tender: Tender, role: str):
    before, panel = tender.state["events"], tender.state["panel"]
    (granted,) = tender.do(c.GrantRole("T-1", person="ev-9", role=role), ADMIN, T0 + timedelta(hours=1))
    (revoked,) = tender.do(c.RevokeRole("T-1", person="ev-9", role=role), ADMIN, T0 + timedelta(hours=2))
    assert (granted["type"], granted["payload"]) == (EventType.ACCESS_GRANTED, {"person": "ev-9", "role": role})
    assert (revoked["type"], revoked["payload"]) == (EventType.ACCESS_REVOKED, {"person": "ev-9", "role": role})
    assert granted["actor"] == {"id": "admin-1", "role": "admin"}
    assert tender.state["events"] == before + 2
    assert tender.state["panel"] == panel  # the panel is the tender's own: a grant only opens the door


@pytest.mark.parametrize("role", [r for r in ROLES if r not in c.PUBLIC_GRANTS] + ["admin", "", "Buyer"])
def test_a_bidder_or_unknown_role_is_never_a_tender_event(role: str):
    with pytest.raises(InvalidCommand, match="not an official role"):
        c.GrantRole("T-1", person="acme", role=role)
    with pytest.raises(InvalidCommand, match="not an official role"):
        c.RevokeRole("T-1", person="acme", role=role)


@pytest.mark.parametrize("person", ["", "a b", "x" * 101, "a\x00b"])
def test_the_person_is_an_id(person: str):
    with pytest.raises(InvalidCommand):
        c.GrantRole("T-1", person=person, role="buyer")


@pytest.mark.parametrize("who", [BUYER, Actor("hca-1", "hca"), Actor("ig-1", "auditor"), Actor("w", "system")])
def test_only_the_administrator_grants(tender: Tender, who: Actor):
    before = snapshot(tender.state)
    for cmd in (c.GrantRole("T-1", person="ev-9", role="evaluator"), c.RevokeRole("T-1", person="ev-1", role="evaluator")):
        with pytest.raises(Refused) as refused:
            decide(tender.state, cmd, who, T0)
        assert refused.value.code == "forbidden-role" and not refused.value.logged
    assert snapshot(tender.state) == before


def test_no_grant_on_a_tender_that_does_not_exist():
    with pytest.raises(Refused) as refused:
        decide(None, c.GrantRole("T-404", person="ev-9", role="evaluator"), ADMIN, T0)
    assert refused.value.code == "not-found"
