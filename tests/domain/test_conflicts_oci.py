"""FAR 9.5 organizational conflicts of interest, driven through `decide` with an injected clock:
identified by the contracting officer from the opening on, resolved before award (avoid,
neutralize, mitigate with a plan, or a waiver by the HCA), and no award to an offeror whose
conflict is unresolved or avoided (FAR 9.504(a)(2), 9.504(e), 9.503)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType

from .lifecycle import BUYER, EVALUATORS, HCA, SSA, Tender, digest, snapshot, to_stage

PLAN = digest("mitigation plan")
USD = {"amount": "900", "currency": "USD"}


def opened() -> tuple[Tender, object]:
    t = Tender()
    now = to_stage(t, 3)
    for ev in EVALUATORS:
        for bid_id, tech, price in (("b2", "Good", "900"), ("b3", "Outstanding", "950")):
            t.do(c.RateProposal(t.id, bid_id=bid_id, factor_id="technical", rating=tech), ev, now)
            t.do(c.RateProposal(t.id, bid_id=bid_id, factor_id="price", rating=price), ev, now)
    return t, now


def identify(t: Tender, now, offeror: str = "acme", oci_id: str = "oci-1", kind: str = "unequal-access"):
    return t.do(c.IdentifyOci(t.id, oci_id=oci_id, offeror=offeror, kind=kind,
                              finding="Its affiliate wrote the statement of work."), BUYER, now)


def award(t: Tender, now, bid_id: str = "b3"):
    return t.do(c.DecideAward(t.id, bid_id=bid_id, value=USD, rationale="Best value."), SSA, now)


def refused(t: Tender, fn, code: str, *words: str) -> None:
    """Refused, not logged: the state is as it was."""
    before = snapshot(t.state)
    with pytest.raises(Refused) as r:
        fn()
    assert r.value.code == code and not r.value.logged, (r.value.code, r.value.reason)
    for w in words:
        assert w in r.value.reason
    assert snapshot(t.state) == before


def test_identified_publicly_by_kind_with_the_offeror_and_finding_confidential():
    t, now = opened()
    [env] = identify(t, now)
    assert env["type"] == EventType.OCI_IDENTIFIED
    assert env["payload"] == {"id": "oci-1", "kind": "unequal-access", "basis": env["payload"]["basis"]}
    assert "FAR 9.505(b), 9.505-4" in env["payload"]["basis"]
    assert env["confidential"] == {"offeror": "acme", "finding": "Its affiliate wrote the statement of work."}
    assert t.state["ocis"]["oci-1"]["resolution"] is None


@pytest.mark.parametrize(("kind", "rule"), [("unequal-access", "9.505-4"), ("biased-ground-rules", "9.505-2"),
                                            ("impaired-objectivity", "9.505-3")])
def test_each_kind_cites_its_rule(kind, rule):
    t, now = opened()
    [env] = identify(t, now, kind=kind)
    assert rule in env["payload"]["basis"]


def test_unresolved_conflict_refuses_the_award_and_the_refusal_is_logged():
    t, now = opened()
    identify(t, now)
    [env] = award(t, now)
    assert env["type"] == EventType.COMMAND_REFUSED and env["payload"]["code"] == "oci-unresolved"
    assert "FAR 9.504(a)(2)" in env["payload"]["reason"] and "acme" not in env["payload"]["reason"]
    assert t.state["awards"] == []
    # The other offeror, without a conflict, can still be awarded.
    [ok] = t.do(c.DecideAward(t.id, bid_id="b2", value=USD, rationale="Best value.",
                              departure_reason="The conflicted offeror is out."), SSA, now)
    assert ok["type"] == EventType.AWARD_DECIDED


@pytest.mark.parametrize(("resolution", "by", "plan"), [("neutralize", BUYER, ""), ("mitigate", BUYER, PLAN),
                                                        ("waive", HCA, "")])
def test_a_resolved_conflict_lets_the_award_go_ahead(resolution, by, plan):
    t, now = opened()
    identify(t, now)
    [env] = t.do(c.ResolveOci(t.id, oci_id="oci-1", resolution=resolution, rationale="On the record.",
                              plan_sha256=plan), by, now + timedelta(hours=1))
    assert env["type"] == EventType.OCI_RESOLVED and env["confidential"] == {"rationale": "On the record."}
    assert ("plan_sha256" in env["payload"]) == bool(plan)
    oci = t.state["ocis"]["oci-1"]
    assert (oci["resolution"], oci["plan_sha256"] or "") == (resolution, plan)
    [ok] = award(t, now + timedelta(hours=2))
    assert ok["type"] == EventType.AWARD_DECIDED


def test_an_avoided_conflict_withholds_award_from_that_offeror():
    t, now = opened()
    identify(t, now)
    t.do(c.ResolveOci(t.id, oci_id="oci-1", resolution="avoid", rationale="Cannot be mitigated."), BUYER, now)
    [env] = award(t, now)
    assert env["payload"]["code"] == "oci-excluded" and "FAR 9.504(e)" in env["payload"]["reason"]


def test_mitigation_needs_its_plan_on_the_record():
    t, now = opened()
    identify(t, now)
    refused(t, lambda: t.do(c.ResolveOci(t.id, oci_id="oci-1", resolution="mitigate", rationale="Firewall."),
                            BUYER, now), "plan-needed", "FAR 9.504(a)(2)")


def test_only_the_hca_waives_and_only_the_contracting_officer_resolves_otherwise():
    t, now = opened()
    identify(t, now)
    refused(t, lambda: t.do(c.ResolveOci(t.id, oci_id="oci-1", resolution="waive", rationale="In the interest."),
                            BUYER, now), "forbidden-role", "hca")
    refused(t, lambda: t.do(c.ResolveOci(t.id, oci_id="oci-1", resolution="neutralize", rationale="Done."),
                            HCA, now), "forbidden-role", "buyer")
    refused(t, lambda: t.do(c.IdentifyOci(t.id, oci_id="oci-2", offeror="beta", kind="unequal-access",
                                          finding="x"), Actor("beta", "bidder"), now), "forbidden-role")
    [env] = t.do(c.ResolveOci(t.id, oci_id="oci-1", resolution="waive", rationale="Extent: small."), HCA, now)
    assert "FAR 9.503" in env["payload"]["basis"]
    refused(t, lambda: t.do(c.ResolveOci(t.id, oci_id="oci-1", resolution="avoid", rationale="Again."), BUYER, now),
            "exists", "already resolved")


def test_identification_names_an_offeror_so_it_waits_for_the_opening():
    t = Tender()
    now = to_stage(t, 2)  # bids in, not opened: who bid is sealed
    refused(t, lambda: identify(t, now), "too-early", "opening", "FAR 9.504(a)(2)")


def test_identification_refused_for_a_non_offeror_twice_or_unknown():
    t, now = opened()
    refused(t, lambda: identify(t, now, offeror="gamma"), "not-an-offeror")
    identify(t, now)
    refused(t, lambda: identify(t, now, offeror="beta"), "exists")
    refused(t, lambda: t.do(c.ResolveOci(t.id, oci_id="oci-9", resolution="avoid", rationale="x"), BUYER, now),
            "not-found")


def test_malformed_commands_are_refused_when_made():
    with pytest.raises(c.InvalidCommand, match=r"FAR 9\.505"):
        c.IdentifyOci("T-1", oci_id="o", offeror="acme", kind="personal", finding="x")
    with pytest.raises(c.InvalidCommand, match=r"FAR 9\.504"):
        c.ResolveOci("T-1", oci_id="o", resolution="ignore", rationale="x")
    with pytest.raises(c.InvalidCommand, match="SHA-256"):
        c.ResolveOci("T-1", oci_id="o", resolution="mitigate", rationale="x", plan_sha256="abc")
