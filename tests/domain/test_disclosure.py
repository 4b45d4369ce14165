"""Disclosure by regime (DESIGN.md §4.3; domain/disclosure.py), driven through `decide` with an
injected clock: what the public, one offeror, the court and oversight may be given, under us-far
and eu, before and after the award; every unlawful disclosure refused and logged."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain import disclosure as d
from tenderproof.domain.events import EventType

from .lifecycle import AUDITOR, BUYER, EVALUATORS, SSA, Tender, create_cmd, to_stage

SOURCE = re.compile(r"U\.S\.C\.|FAR \d|CFR|Directive|Regulation \(EU\)|CJEU|RCFC|DFARS")


def _tender(stage: int, ruleset: str = "us-far") -> tuple[Tender, object]:
    t = Tender()
    if ruleset != "us-far":  # the staged start with another regime: create it so, then stage on
        t.decide = _with_ruleset(t.decide, ruleset)
    return t, to_stage(t, stage)


def _with_ruleset(decide, ruleset):
    def wrapped(state, cmd, actor, now):
        if isinstance(cmd, c.CreateTender):
            buyer = {**cmd.buyer, "country": "BE"} if ruleset == "eu" else cmd.buyer  # its member state
            cmd = dataclasses.replace(cmd, ruleset=ruleset, buyer=buyer)
        return decide(state, cmd, actor, now)
    return wrapped


def _item(env: dict) -> dict:
    bid = env["payload"].get("bid")
    return {"commitment": f"sha256:{env['seq']:064x}", "salt": "00", "content": env["confidential"],
            "source": env["type"], "bid": bid}


def _rating_of(t: Tender, bid: str) -> dict:
    return _item(next(e for e in t.envelopes if e["type"] == "evaluation.rated" and e["payload"]["bid"] == bid))


def _refused_logged(t: Tender, cmd: c.Command, now, code: str, *fragments: str) -> str:
    before = (len(t.envelopes),)
    with pytest.raises(Refused) as info:
        t.decide(t.state, cmd, BUYER, now)
    assert info.value.code == code and info.value.logged, info.value.reason
    for f in fragments:
        assert f in info.value.reason, (f, info.value.reason)
    [env] = t.do(cmd, BUYER, now)  # the attempt is on the log; nothing is disclosed
    assert env["type"] == "command.refused" and env["payload"]["code"] == code
    assert len(t.envelopes) == before[0] + 1
    assert set(env["payload"]) == {"command", "code", "reason"}  # nothing of the payloads themselves
    return info.value.reason


# --- the table ------------------------------------------------------------------------------


def test_every_regime_kind_and_audience_has_a_rule_with_its_source():
    for regime in d.REGIMES:
        for kind in d.KINDS:
            for audience in d.AUDIENCES:
                r = d.TABLE[(regime, kind, audience)]
                assert SOURCE.search(r.citation), (regime, kind, audience, r.citation)


def test_the_us_regime_keeps_proposals_and_evaluations_from_the_public():
    assert not d.rule(d.US, d.PROPOSAL, d.PUBLIC).lawful
    assert "10 U.S.C. 3309" in d.rule(d.US, d.PROPOSAL, d.PUBLIC).citation
    assert not d.rule(d.US, d.SOURCE_SELECTION, d.PUBLIC).lawful
    assert "FAR 3.104-4" in d.rule(d.US, d.SOURCE_SELECTION, d.PUBLIC).citation
    assert d.rule(d.US, d.AWARD_NOTICE, d.PUBLIC).lawful
    assert d.rule(d.US, d.SOURCE_SELECTION, d.OFFEROR).lawful
    assert "FAR 15.506(d)" in d.rule(d.US, d.DEBRIEFING, d.OFFEROR).citation
    assert "protective order" in d.rule(d.US, d.PROPOSAL, d.COURT).citation
    assert "Inspector General" in d.rule(d.US, d.SOURCE_SELECTION, d.AUDITOR).citation


def test_the_eu_regime_keeps_designated_content_and_publishes_the_award_notice():
    assert "art. 21(1)" in d.rule(d.EU, d.PROPOSAL, d.PUBLIC).citation and not d.rule(d.EU, d.PROPOSAL, d.PUBLIC).lawful
    assert "art. 50" in d.rule(d.EU, d.AWARD_NOTICE, d.PUBLIC).citation and d.rule(d.EU, d.AWARD_NOTICE, d.PUBLIC).lawful
    assert "art. 55(2)" in d.rule(d.EU, d.SOURCE_SELECTION, d.OFFEROR).citation


def test_a_regime_tenderproof_does_not_have_discloses_nothing():
    r = d.rule("prozorro", d.PROPOSAL, d.PUBLIC)
    assert not r.lawful and "prozorro" in r.citation
    assert d.kind_of("tender.created") is None


# --- through decide ---------------------------------------------------------------------------


@pytest.mark.parametrize("ruleset,cited", [("us-far", "FAR 3.104-4"), ("eu", "art. 21(1)")])
def test_the_public_never_gets_an_evaluation_after_award(ruleset, cited):
    t, now = _tender(4, ruleset)
    assert t.state["status"] == "active.awarded"
    reason = _refused_logged(t, c.Disclose(t.id, [_rating_of(t, "b3")]), now, "protected", cited, "public")
    assert ruleset in reason
    assert list(t.state["disclosed"]) == []


def test_an_offeror_is_given_its_own_evaluation_to_it_alone():
    t, now = _tender(4)
    item = _rating_of(t, "b2")  # beta's bid
    [env] = t.do(c.Disclose(t.id, [item], to="beta"), BUYER, now)
    assert env["type"] == EventType.CONFIDENTIAL_GIVEN
    assert env["payload"]["to"] == "beta" and env["payload"]["commitments"] == [item["commitment"]]
    assert any("FAR 15.506(d)" in b for b in env["payload"]["basis"])
    # The content and salt are in the event's confidential part only, never its public payload.
    assert "content" not in str(env["payload"]) and env["confidential"]["items"][0]["content"] == item["content"]
    assert list(t.state["disclosed"]) == []  # nothing became public


def test_an_offeror_is_not_given_another_offerors_evaluation():
    t, now = _tender(4)
    _refused_logged(t, c.Disclose(t.id, [_rating_of(t, "b3")], to="beta"), now, "not-own", "FAR 15.506(e)")


def test_personal_information_goes_to_no_offeror():
    t, now = _tender(4)
    declared = next(e for e in t.envelopes if e["type"] == "coi.declared")
    _refused_logged(t, c.Disclose(t.id, [_item(declared) | {"bid": "b2"}], to="beta"), now, "protected",
                    "552(b)(6)")


def test_nothing_is_given_to_a_party_without_a_bid():
    t, now = _tender(4)
    with pytest.raises(Refused) as info:
        t.decide(t.state, c.Disclose(t.id, [_rating_of(t, "b2")], to="stranger"), BUYER, now)
    assert info.value.code == "not-an-offeror"


def _rated_not_awarded() -> tuple[Tender, object]:
    t, now = _tender(3)
    now += timedelta(days=1)
    for bid in ("b2", "b3"):
        t.do(c.RateProposal(t.id, bid_id=bid, factor_id="technical", rating="Good"), EVALUATORS[0], now)
    return t, now


def test_before_the_award_even_an_offeror_waits():
    t, now = _rated_not_awarded()
    _refused_logged(t, c.Disclose(t.id, [_rating_of(t, "b2")], to="beta"), now, "too-early", "FAR 3.104-4")
    _refused_logged(t, c.Disclose(t.id, [_rating_of(t, "b2")]), now, "too-early", "41 U.S.C. 2102")


def test_an_offeror_excluded_from_the_competitive_range_is_told_why_before_the_award():
    t, now = _rated_not_awarded()
    t.do(c.SetCompetitiveRange(t.id, included=["b3"], excluded={"b2": "Technically unacceptable."},
                               rationale="Only b3."), BUYER, now)
    [env] = t.do(c.Disclose(t.id, [_rating_of(t, "b2")], to="beta"), BUYER, now)  # FAR 15.505
    assert env["type"] == EventType.CONFIDENTIAL_GIVEN
    # The one still in the range is not: its evaluation waits for the award.
    _refused_logged(t, c.Disclose(t.id, [_rating_of(t, "b3")], to="acme"), now, "too-early")


@pytest.mark.parametrize("ruleset", ["us-far", "eu"])
def test_the_agencys_own_integrity_finding_may_be_published_at_any_time(ruleset):
    t, now = _tender(1, ruleset)
    [incident] = t.do(c.RecordIncident(t.id, description="Conflict review: no adverse impact."), AUDITOR, now)
    [env] = t.do(c.Disclose(t.id, [_item(incident)]), BUYER, now)
    assert env["type"] == EventType.CONFIDENTIAL_DISCLOSED
    assert env["payload"]["items"][0]["content"] == {"description": "Conflict review: no adverse impact."}
    assert SOURCE.search(env["payload"]["basis"][0])


def test_only_the_contracting_officer_discloses():
    t, now = _tender(4)
    with pytest.raises(Refused) as info:
        t.decide(t.state, c.Disclose(t.id, [_rating_of(t, "b2")], to="beta"), SSA, now)
    assert info.value.code == "forbidden-role"
    with pytest.raises(Refused) as info:
        t.decide(t.state, c.Disclose(t.id, [_rating_of(t, "b2")], to="beta"), Actor("acme", "bidder"), now)
    assert info.value.code == "forbidden-role"


def test_an_item_of_unknown_origin_is_refused_and_logged():
    t, now = _tender(4)
    item = _rating_of(t, "b2") | {"source": ""}
    _refused_logged(t, c.Disclose(t.id, [item]), now, "protected", "unknown event")


def test_a_malformed_item_is_not_a_command():
    with pytest.raises(c.InvalidCommand):
        c.Disclose("T-1", [{"commitment": "x", "salt": "00"}])
    assert create_cmd()  # the helper module is importable as the others use it
