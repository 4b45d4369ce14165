"""Integrity controls through the app layer (DESIGN.md §5): conflict-of-interest cross-checks,
recusals, FAR 3.104 employment contacts, outside contacts and disclosure incidents.

What officials declare (holdings, prior and family employers) is checked against bidders' names,
owners and affiliates; a match is recorded as `coi.match`, whose public payload never names the
bidder (checked on the log entries' bytes). A recusal locks the official out for good.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tenderproof.app import bidding, envelope
from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.model import iso
from tenderproof.store.schema import confidential

from .conftest import BUYER, EVAL, OPENERS, SSA, TID, assert_nobody_named, assert_sealed_until_opening, confidential_row
from .test_refusals import USD, refused_logged, refused_unchanged

MSFT = Actor("microsoft", "bidder")
AWS = Actor("aws", "bidder")
ACME = Actor("acme", "bidder")
AUDITOR = Actor("ig", "auditor")
OP1 = OPENERS[0]


# --- helpers ------------------------------------------------------------------------------------------

def published(world) -> None:
    world.create()
    world.publish()


def bid_as(world, actor: Actor, name: str) -> None:
    # Bid ids are opaque (the API derives them from the sealed digest): never the bidder's name.
    bidding.submit_bid(world.p, TID, actor, name, world.seal(f"{name} proposal".encode()))


def open_bids(world) -> None:
    world.clock.advance(days=31)
    world.p.run_deadlines()
    world.open()
    assert world.state()["status"] == "active.evaluation"


def declare(world, official: Actor = EVAL, **interests) -> None:
    world.p.execute(c.DeclareInterests(TID, False, **interests), official)


def own(world, bidder: Actor, owners: list[str], affiliates: list[str] = ()) -> None:
    world.p.execute(c.DeclareOwnership(TID, owners, list(affiliates)), bidder)


def matches(world) -> list[tuple]:
    """(official, bidder, interest, declared, matched name) of each match on the record. A match
    found before the opening has its bidder sealed: until the opening it shows only (official,
    None, interest, None, None)."""
    return [(m["official"], m.get("bidder"), m["interest"], m.get("declared"), m.get("matches"))
            for m in world.state()["coi_matches"]]


def entries(world, event_type: str) -> list[tuple[dict, bytes]]:
    """(envelope, the exact bytes in the log) of each event of that type."""
    return [(lg.envelope, world.p.log.entry(lg.index)) for lg in world.p.events(TID) if lg.envelope["type"] == event_type]


def private(world, commitment: str) -> dict:
    with world.p.db.reader.connect() as conn:
        row = conn.execute(sa.select(confidential).where(confidential.c.commitment == commitment)).one()
    content = envelope.loads(row.content)
    assert envelope.commit(bytes(row.salt), content) == commitment  # the log's commitment opens to it
    return content


def evaluating(world) -> None:
    """Opened; the evaluator, the SSA (and the openers) declared no conflict."""
    world.to_evaluation()
    world.declare(EVAL)
    world.declare(SSA)


def rate(world, who: Actor = EVAL, rating: str = "Good", reason: str = ""):
    return world.p.execute(c.RateProposal(TID, "bid-acme", "tech", rating, reason=reason), who)


# --- cross-checks ---------------------------------------------------------------------------------------

INTERESTS = [
    ("holdings", ["Microsoft Corp."], "Microsoft Corporation", "holding"),
    ("holdings", ["MICROSOFT CORPORATION"], "microsoft corp.", "holding"),
    ("prior_employers", [{"name": "Amazon Web Services, Inc.", "from": "2014-03", "to": "2016-08"}],
     "Amazon Web Services LLC", "prior employer"),
    ("family_employers", ["Oracle America, Inc."], "The Oracle Corporation", "family employer"),
]


@pytest.mark.parametrize("field, declared, bidder_name, kind", INTERESTS,
                         ids=["corp-vs-corporation", "case", "prior-employer", "family-employer"])
@pytest.mark.parametrize("when", ["after-the-bids", "after-the-opening"])
def test_declared_interest_matches_a_bidder_by_name(world, field, declared, bidder_name, kind, when):
    published(world)
    bid_as(world, MSFT, bidder_name)
    bid_as(world, ACME, "Acme Widgets Ltd")
    if when == "after-the-opening":
        open_bids(world)
    declare(world, EVAL, **{field: declared})
    if when == "after-the-bids":
        # Who bid is sealed: the declaration is checked against the bidders at the opening.
        assert matches(world) == [] and entries(world, "coi.match") == []
        open_bids(world)
    name = declared[0]["name"] if field == "prior_employers" else declared[0]
    assert matches(world) == [(EVAL.id, "microsoft", kind, name, bidder_name)]
    (env, raw), = entries(world, "coi.match")
    assert env["payload"] == {"official": EVAL.id, "interest": kind}
    if when == "after-the-bids":  # found by the opening, logged in its transaction right after it
        opened, = entries(world, "bids.opened")
        assert (env["seq"], env["time"]) == (opened[0]["seq"] + 1, opened[0]["time"])
        assert env["actor"] == bidding.OPENER.as_dict()
    else:
        assert env["actor"] == EVAL.as_dict()
    # The public entry names neither the bidder nor what was declared; the commitment holds both.
    for secret in ("microsoft", bidder_name.lower(), name.lower().split()[0]):
        assert secret.encode() not in raw.lower()
    assert private(world, env["confidential"]) == {"official": EVAL.id, "bidder": "microsoft", "interest": kind,
                                                  "declared": name, "matches": bidder_name}


@pytest.mark.parametrize("declared", [["Apple Inc."], ["Micron Technology, Inc."], ["Acmeco Holdings"], []],
                         ids=["apple", "micron", "acmeco", "nothing"])
def test_no_match_for_unrelated_names(world, declared):
    published(world)
    bid_as(world, MSFT, "Microsoft Corporation")
    bid_as(world, ACME, "Acme Widgets Ltd")
    own(world, ACME, ["Wile E. Coyote"], ["Roadrunner Logistics LLC"])
    declare(world, EVAL, holdings=declared, family_employers=["Initech"])
    assert matches(world) == []
    assert entries(world, "coi.match") == []


def test_no_match_for_names_that_share_only_a_common_first_word(world):
    published(world)
    bid_as(world, Actor("gdit", "bidder"), "General Dynamics Information Technology, Inc.")
    declare(world, EVAL, holdings=["General Electric Company"])
    assert matches(world) == []


def sealed_matches(world, event_type: str) -> list[list[dict]]:
    """What the check at the time of each such event found, from its confidential part (readable
    from the opening on)."""
    return [json.loads(confidential_row(world, env["confidential"]).content).get("coi_matches", [])
            for env, _ in entries(world, event_type)]


def test_owners_and_affiliates_declared_after_the_official(world):
    published(world)
    bid_as(world, ACME, "Acme Widgets Ltd")
    declare(world, EVAL, family_employers=["Initech, Inc."], holdings=["Scorpio Industries"])
    assert matches(world) == []
    own(world, ACME, ["Scorpio Industries PLC"], ["Initech LLC"])
    # Checked at once, but the finding is sealed inside the declaration itself: a coi.match event
    # logged next to it would tie an official's interest to a bidder before the opening.
    assert matches(world) == [] and entries(world, "coi.match") == []
    assert world.state()["ownership"] == {}
    (owned, raw), = entries(world, "bidder.ownership_declared")
    assert b"initech" not in raw.lower() and b"scorpio" not in raw.lower()  # committed, not published
    assert owned["actor"] == {"role": "bidder"}
    assert_sealed_until_opening(world, owned["confidential"])
    open_bids(world)  # the opening checks every declaration against every bidder, and names them
    assert sorted(matches(world)) == [
        (EVAL.id, "acme", "family employer", "Initech, Inc.", "Initech LLC"),
        (EVAL.id, "acme", "holding", "Scorpio Industries", "Scorpio Industries PLC"),
    ]
    assert len(entries(world, "coi.match")) == 2
    assert world.state()["ownership"] == {"acme": {"owners": ["Scorpio Industries PLC"], "affiliates": ["Initech LLC"]}}
    found, = sealed_matches(world, "bidder.ownership_declared")  # what the check found at the time
    assert sorted((m["interest"], m["matches"]) for m in found) == [("family employer", "Initech LLC"),
                                                                     ("holding", "Scorpio Industries PLC")]


def test_owners_and_affiliates_declared_before_the_official(world):
    published(world)
    bid_as(world, ACME, "Acme Widgets Ltd")
    own(world, ACME, ["Hank Scorpio"], ["Initech LLC"])
    assert matches(world) == []
    open_bids(world)
    declare(world, SSA, prior_employers=[{"name": "INITECH CORP", "from": "2010", "to": "2019"}])
    assert matches(world) == [(SSA.id, "acme", "prior employer", "INITECH CORP", "Initech LLC")]


def test_declared_before_the_bids_matched_by_the_bid_itself_sealed_with_it(world):
    published(world)
    declare(world, EVAL, holdings=["Microsoft Corp."])
    bid_as(world, MSFT, "Microsoft Corporation")  # checked at once; the finding sealed in the bid
    bid_as(world, MSFT, "Microsoft Corporation")  # again: nothing public ties the two bids together
    own(world, MSFT, ["Public shareholders"])  # no further match
    assert matches(world) == [] and entries(world, "coi.match") == []
    open_bids(world)
    assert matches(world) == [(EVAL.id, "microsoft", "holding", "Microsoft Corp.", "Microsoft Corporation")]
    assert len(entries(world, "coi.match")) == 1  # once, however many bids found it
    assert [[m["matches"] for m in found] for found in sealed_matches(world, "bid.submitted")] == [
        ["Microsoft Corporation"], ["Microsoft Corporation"]]


def test_declared_before_the_bids_matched_by_the_opening(world):
    published(world)
    declare(world, EVAL, holdings=["Microsoft Corp."])
    bid_as(world, MSFT, "Microsoft Corporation")
    open_bids(world)
    assert [m[1] for m in matches(world)] == ["microsoft"]


def test_no_entry_names_the_bidder_before_the_opening(world):
    published(world)
    bid_as(world, MSFT, "Microsoft Corporation")
    own(world, MSFT, ["Public shareholders"])
    raw = b"".join(world.p.log.entries(0, world.p.log.head().size))
    assert b"microsoft" not in raw.lower()


def test_ownership_declaration_refused(world):
    published(world)
    refused_unchanged(world, lambda: own(world, ACME, []), "details-needed", "at least one owner")
    refused_unchanged(world, lambda: own(world, EVAL, ["x"]), "forbidden-role", "bidder")


# --- recusal ----------------------------------------------------------------------------------------------

def recuse(world, official: Actor, by: Actor | None = None, reason: str = "holds stock in a bidder"):
    """A recusal, by the official themself unless `by` (5 CFR 2635.502(e); FAR 3.104-3(c))."""
    return world.p.execute(c.Recuse(TID, official.id, reason), by or official)


@pytest.mark.parametrize("action", ["share", "rate", "award", "read-bid"])
def test_recusal_locks_the_official_out(world, action):
    if action == "share":
        published(world)
        bid_as(world, ACME, "Acme")
        world.clock.advance(days=31)
        world.p.run_deadlines()
        world.declare(OP1)
        who, act = OP1, lambda: world.share(OP1)
    else:
        evaluating(world)
        world.p.execute(c.RateProposal(TID, "bid-acme", "price", "900"), EVAL)
        who, act = {"rate": (EVAL, lambda: rate(world)),
                    "award": (SSA, lambda: world.p.execute(c.DecideAward(TID, "bid-acme", USD, "best"), SSA)),
                    "read-bid": (EVAL, lambda: bidding.read_bid(world.p, TID, "bid-acme", EVAL))}[action]
    recuse(world, who)
    r = world.state()["recusals"][who.id]
    assert (r["reason"], r["date"]) == ("holds stock in a bidder", iso(world.clock.now))
    world.clock.advance(hours=1)
    refused_logged(world, act, "recused", f"{who.id} was recused from tender {TID}", "holds stock in a bidder",
                   actor=who)
    s = world.state()
    if action == "share":
        assert s["shares"] == [] and s["status"] == "active.opening"
    else:
        assert s["accesses"] == 0 and s["awards"] == [] and list(s["ratings"]) == [f"bid-acme/price/{EVAL.id}"]


def test_a_new_declaration_does_not_undo_a_recusal(world):
    evaluating(world)
    recuse(world, EVAL, by=EVAL, reason="my spouse joined a bidder")  # self-recusal
    with contextlib.suppress(Refused):
        world.p.execute(c.DeclareInterests(TID, False, "no conflict any more"), EVAL)
    assert EVAL.id in world.state()["recusals"]
    refused_logged(world, lambda: rate(world), "recused", "my spouse joined a bidder", actor=EVAL)
    assert world.state()["ratings"] == {}


def test_recusal_refused(world):
    """Only the official themself, or the HCA for a panel official: a fellow official, the
    contracting officer and a bidder are refused, with the citation, and the attempt logged."""
    evaluating(world)
    for by in (EVAL, BUYER, Actor("acme", "bidder")):
        refused_logged(world, lambda by=by: recuse(world, SSA, by=by), "not-authorized", "5 CFR 2635.502", actor=by)
    assert world.state()["recusals"] == {}
    recuse(world, SSA)
    refused_unchanged(world, lambda: recuse(world, SSA), "exists", "ssa is already recused")
    refused_unchanged(world, lambda: recuse(world, SSA, by=SSA), "exists")
    with pytest.raises(c.InvalidCommand, match="reason"):
        c.Recuse(TID, SSA.id, " ")


# --- employment contacts (FAR 3.104-3(c)) -------------------------------------------------------------------

def contact(world, response: str, who: Actor = EVAL, bidder: str = "acme"):
    when = world.clock.now - timedelta(days=2)
    world.p.execute(c.ReportEmploymentContact(TID, bidder, when, response), who)
    return when


def test_employment_contact_rejected_keeps_the_official(world):
    evaluating(world)
    when = contact(world, "rejected")
    ev = world.p.events(TID)[-1].envelope
    # Which offeror made the contact is the confidential part (after the opening, stored plain).
    # Reported two days after the contact, before acting since: on time (FAR 3.104-3(c)(1)).
    promptly = {"official": EVAL.id, "contact_date": iso(when), "response": "rejected", "late": False,
                "acts_since_contact": [], "report_due": ev["payload"]["report_due"], "rule": ev["payload"]["rule"]}
    assert (ev["type"], ev["payload"]) == ("integrity.employment_contact", promptly)
    assert private(world, ev["confidential"]) == {"bidder": "acme"}
    assert world.state()["employment_contacts"] == [{"date": iso(world.clock.now), **promptly}]
    assert world.state()["recusals"] == {}
    rate(world)
    assert list(world.state()["ratings"]) == [f"bid-acme/tech/{EVAL.id}"]


def test_employment_contact_with_recusal_recuses(world):
    evaluating(world)
    contact(world, "recused", bidder="globex")
    assert [e.envelope["type"] for e in world.p.events(TID)[-2:]] == ["integrity.employment_contact", "official.recused"]
    reason = world.state()["recusals"][EVAL.id]["reason"]
    assert reason == "an offeror's employment contact (FAR 3.104-3(c))"  # which offeror is not said
    refused_logged(world, lambda: rate(world), "recused", "FAR 3.104-3(c)", actor=EVAL)
    contact(world, "recused", bidder="acme")  # reported again: recorded, not recused twice
    assert world.p.events(TID)[-1].envelope["type"] == "integrity.employment_contact"
    assert len(world.state()["employment_contacts"]) == 2
    assert world.state()["recusals"][EVAL.id]["reason"] == reason


def test_employment_contact_before_the_opening_does_not_name_the_offeror(world):
    published(world)
    bid_as(world, Actor("globexcorp", "bidder"), "Globex Corporation")
    declare(world, EVAL)
    contact(world, "recused", bidder="globexcorp")
    ev = world.p.events(TID)[-2].envelope
    assert ev["type"] == "integrity.employment_contact" and "bidder" not in ev["payload"]
    assert_sealed_until_opening(world, ev["confidential"])
    assert_nobody_named(world, "globexcorp", "Globex Corporation")
    open_bids(world)
    assert private(world, ev["confidential"]) == {"bidder": "globexcorp"}


def test_employment_contact_refused(world):
    evaluating(world)
    refused_unchanged(world, lambda: contact(world, "rejected", Actor("ev2", "evaluator")), "not-on-panel", "ev2")
    refused_unchanged(world, lambda: contact(world, "rejected", ACME), "not-on-panel", "acme")
    with pytest.raises(c.InvalidCommand, match="rejected or recused"):
        c.ReportEmploymentContact(TID, "acme", world.clock.now, "ignored")


# --- outside contacts --------------------------------------------------------------------------------------

SUMMARY = "asked when the competitive range would be set and hinted at a price cut"


def test_outside_contact_summary_is_only_a_commitment(world):
    evaluating(world)
    when = world.clock.now - timedelta(hours=3)
    world.p.execute(c.RecordContact(TID, SSA.id, "Senator's office", when, "phone", SUMMARY), BUYER)
    (env, raw), = entries(world, "contact.recorded")
    assert env["payload"] == {"official": SSA.id, "party": "Senator's office", "when": iso(when), "channel": "phone",
                              "late": False, "decisions_preceded": []}
    assert b"competitive range" not in raw and b"price cut" not in raw
    assert private(world, env["confidential"]) == {"summary": SUMMARY}
    (recorded,) = world.state()["contacts"]
    assert "summary" not in recorded and recorded["party"] == "Senator's office"


def test_outside_contact_refused(world):
    evaluating(world)
    later = world.clock.now + timedelta(minutes=1)
    refused_unchanged(world, lambda: world.p.execute(c.RecordContact(TID, SSA.id, "x", later, "email", "s"), BUYER),
                      "bad-period", "after it happened")
    refused_unchanged(world, lambda: world.p.execute(
        c.RecordContact(TID, SSA.id, "x", world.clock.now, "email", "s"), ACME), "forbidden-role", "bidder")
    with pytest.raises(c.InvalidCommand, match="summary"):
        c.RecordContact(TID, SSA.id, "x", world.clock.now, "email", "")


def test_outside_contact_by_a_buyer_not_on_the_panel_refused(world):
    evaluating(world)
    with pytest.raises(Refused):
        world.p.execute(c.RecordContact(TID, SSA.id, "x", world.clock.now, "email", "s"), Actor("other-co", "buyer"))


# --- incidents ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", [AUDITOR, BUYER])
def test_incident_recorded_description_committed(world, who):
    evaluating(world)
    description = "acme's proprietary pricing was e-mailed to globex by mistake"
    world.p.execute(c.RecordIncident(TID, description, ["acme"]), who)
    (env, raw), = entries(world, "integrity.incident")
    assert (env["payload"], env["actor"]) == ({"affected": ["acme"]}, who.as_dict())
    assert b"proprietary pricing" not in raw
    assert private(world, env["confidential"]) == {"description": description}
    assert [i["affected"] for i in world.state()["incidents"]] == [["acme"]]


def test_incident_refused(world):
    evaluating(world)
    refused_unchanged(world, lambda: world.p.execute(c.RecordIncident(TID, "leak"), ACME), "forbidden-role", "auditor")
    with pytest.raises(c.InvalidCommand, match="description"):
        c.RecordIncident(TID, " ")
