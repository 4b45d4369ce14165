"""A recusal is the official's own, or directed by an authority over them: the head of the
contracting activity for an official of the tender's panel (5 CFR 2635.502(c), (e); FAR
3.104-3(c)(1)(ii)). Anyone else, a bidder included, is refused with the citation, and logged."""

from __future__ import annotations

import pytest

from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType

from .lifecycle import BUYER, EVALUATORS, HCA, SSA, Tender, to_stage

EV1, EV2 = EVALUATORS


def recuse(t: Tender, official: str, by: Actor, now) -> dict:
    [env] = t.do(c.Recuse(t.id, official=official, reason="Holds stock in an offeror."), by, now)
    return env


@pytest.mark.parametrize(("official", "by"), [(EV1.id, EV1), (SSA.id, SSA), (BUYER.id, BUYER), (EV1.id, HCA),
                                              (SSA.id, HCA), (HCA.id, HCA)])
def test_self_or_the_hca_for_a_panel_official(official, by):
    t = Tender()
    now = to_stage(t, 3)
    env = recuse(t, official, by, now)
    assert env["type"] == EventType.OFFICIAL_RECUSED and official in t.state["recusals"]


@pytest.mark.parametrize("by", [BUYER, EV2, SSA, Actor("acme", "bidder"), Actor("gao-1", "reviewer"),
                                Actor("ig-1", "auditor"), Actor("hca-2", "hca")])
def test_anyone_else_is_refused_with_the_citation_and_logged(by):
    t = Tender()
    now = to_stage(t, 3)
    env = recuse(t, EV1.id, by, now)
    assert env["type"] == EventType.COMMAND_REFUSED and env["payload"]["code"] == "not-authorized"
    assert "5 CFR 2635.502" in env["payload"]["reason"] and "FAR 3.104-3(c)" in env["payload"]["reason"]
    assert t.state["recusals"] == {}


def test_the_hca_has_no_authority_over_someone_off_the_panel_who_may_still_recuse_themself():
    t = Tender()
    now = to_stage(t, 1)
    assert recuse(t, "former-official", HCA, now)["payload"]["code"] == "not-authorized"
    assert recuse(t, "former-official", Actor("former-official", "buyer"), now)["type"] == EventType.OFFICIAL_RECUSED


def test_a_bidder_account_cannot_recuse_even_under_the_officials_id():
    t = Tender()
    now = to_stage(t, 1)
    assert recuse(t, EV1.id, Actor(EV1.id, "bidder"), now)["payload"]["code"] == "not-authorized"
