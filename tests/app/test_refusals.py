"""Every refused command: the exact code, the reason, and that no state changed.

A refusal the rules do not log changes nothing anywhere (log, projections, private tables,
stored files). A logged refusal adds exactly one `command.refused` entry to the log, and the
tender's state changes only in its event counter, its last event time and its refusals.
Everything goes through the app layer (`Procurement.execute`, `bidding`, `access`).
"""

from __future__ import annotations

import base64
import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tenderproof import seal
from tenderproof.app import access, bidding
from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.model import iso, parse_time
from tenderproof.store.schema import PROJECTIONS, confidential, key_shares, officials

from .conftest import BUYER, EVAL, OPENERS, SSA, SYSTEM, T0, TID, assert_sealed_until_opening

TABLES = [t.name for t in (*PROJECTIONS, confidential, key_shares)]
ACME = Actor("acme", "bidder")
GLOBEX = Actor("globex", "bidder")
OP1, OP2, OP3 = OPENERS
USD = {"amount": "950", "currency": "USD"}
VOLATILE = ("events", "last_event", "refusals")


# --- what changed --------------------------------------------------------------------------------

def snap(world) -> dict:
    """world.snapshot(), rows in a stable order (PostgreSQL returns rewritten rows in another
    physical order), plus the private document store (opened bids)."""
    size, tables, files = world.snapshot()
    root = world.p.private.root
    private = sorted(str(x) for x in root.rglob("*") if x.is_file()) if root.exists() else []
    return {"size": size, "tables": {n: sorted(rows, key=repr) for n, rows in zip(TABLES, tables, strict=True)},
            "files": list(files), "private": private}


def refuse(fn, code: str, *fragments: str, logged: bool = False) -> Refused:
    with pytest.raises(Refused) as ei:
        fn()
    r = ei.value
    assert (r.code, r.logged) == (code, logged), r.reason
    assert str(r) == r.reason
    for f in fragments:
        assert f in r.reason
    return r


def refused_unchanged(world, fn, code: str, *fragments: str) -> Refused:
    """`fn` is refused with `code` (not logged) and nothing changed anywhere."""
    before = snap(world)
    r = refuse(fn, code, *fragments)
    assert snap(world) == before
    return r


def refused_logged(world, fn, code: str, *fragments: str, actor: Actor | None = None, tid: str = TID) -> Refused:
    """`fn` is refused with `code`, the attempt logged as one `command.refused`, nothing else changed."""
    before, s0 = snap(world), world.state(tid)
    r = refuse(fn, code, *fragments, logged=True)
    after, s1 = snap(world), world.state(tid)

    assert after["size"] == before["size"] + 1
    last = world.p.events(tid)[-1]
    assert last.index == before["size"]
    env = last.envelope
    assert env["type"] == "command.refused"
    assert env["payload"]["code"] == code
    assert env["payload"]["reason"] == r.reason
    # A refused bid, and any bidder's refused attempt before the opening, does not say who tried:
    # the actor is behind the commitment, and sealed to the opening key until the opening.
    hidden = env["actor"]["role"] == "bidder" and (code == "late-bid" or s0["opened"] is None)
    until_opening = hidden and s0["opening"] is not None and s0["opened"] is None
    assert ("confidential" in env) == hidden
    if hidden:
        assert env["actor"] == {"role": "bidder"}
    elif actor is not None:
        assert env["actor"] == actor.as_dict()
    if until_opening:
        assert s1["refusals"][-1]["actor"] == {"role": "bidder"}
        assert_sealed_until_opening(world, env["confidential"])
    elif actor is not None:
        assert s1["refusals"][-1]["actor"] == actor.as_dict()
    added = [row for row in after["tables"]["confidential"] if row not in before["tables"]["confidential"]]
    assert len(after["tables"]["confidential"]) == len(before["tables"]["confidential"]) + len(added)
    assert [row[0] for row in added] == ([env["confidential"]] if hidden else [])

    ev0 = sorted(before["tables"]["events"], key=lambda row: row[0])
    ev1 = sorted(after["tables"]["events"], key=lambda row: row[0])
    assert ev1[:-1] == ev0
    assert (ev1[-1][0], ev1[-1][1], ev1[-1][3]) == (last.index, tid, "command.refused")
    for name in ("deadlines", "ocds_releases", "key_shares"):
        assert after["tables"][name] == before["tables"][name], name
    assert [t for t in after["tables"]["tenders"] if t[0] != tid] == [t for t in before["tables"]["tenders"] if t[0] != tid]
    assert after["files"] == before["files"]
    assert after["private"] == before["private"]

    assert {k: v for k, v in s1.items() if k not in VOLATILE} == {k: v for k, v in s0.items() if k not in VOLATILE}
    assert s1["events"] == s0["events"] + 1
    assert s1["last_event"] == env["time"] == iso(world.clock.now)
    assert s1["refusals"][:-1] == s0["refusals"]
    assert s1["refusals"][-1]["code"] == code
    assert s1["refusals"][-1]["reason"] == r.reason
    return r


# --- getting a tender to a stage -----------------------------------------------------------------

def deadline(world, tid: str = TID):
    return parse_time(world.state(tid)["periods"]["tender_end"])


def at_opening(world) -> None:
    """Published, two sealed bids, deadline passed and closed: active.opening, nothing shared."""
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    world.bid("globex", b"GLOBEX proposal", bid_id="bid-globex")
    world.clock.advance(days=31)
    world.p.run_deadlines()
    assert world.state()["status"] == "active.opening"


def evaluated(world) -> None:
    """Opened, rated (globex ranks first on best value), evaluator and SSA declared."""
    world.to_evaluation()
    world.declare(EVAL)
    for bid, tech, price in (("bid-acme", "Good", "900"), ("bid-globex", "Outstanding", "950")):
        world.p.execute(c.RateProposal(TID, bid, "tech", tech), EVAL)
        world.p.execute(c.RateProposal(TID, bid, "price", price), EVAL)
    world.declare(SSA)


def awarded(world) -> dict:
    evaluated(world)
    world.p.execute(c.DecideAward(TID, "bid-globex", USD, "best value"), SSA)
    assert world.state()["status"] == "active.awarded"
    return world.state()["awards"][-1]


def garble(blob: bytes) -> bytes:
    return blob[:-1] + bytes([blob[-1] ^ 1])


# --- creating and amending -----------------------------------------------------------------------

@pytest.mark.parametrize("over, code, fragments", [
    (dict(tender_end=T0), "deadline-past", ["2030-01-01T12:00:00Z", "not in the future"]),
    (dict(tender_end=T0 - timedelta(seconds=1)), "deadline-past", ["2030-01-01T11:59:59Z"]),
    (dict(enquiry_end=T0 + timedelta(days=30, seconds=1)), "bad-period", ["enquiry period"]),
    (dict(enquiry_end=T0), "bad-period", ["enquiry period must end after now"]),
    (dict(panel={"evaluator": ["ev"], "opening_official": ["op1", "op2"]}), "panel-incomplete",
     ["source selection authority"]),
    (dict(panel={"ssa": ["ssa"], "opening_official": ["op1", "op2"]}), "panel-incomplete", ["evaluator"]),
    (dict(threshold=4), "bad-threshold", ["opening threshold 4", "the 3 opening officials"]),
], ids=["deadline-now", "deadline-past", "enquiry-after-deadline", "enquiry-now", "no-ssa", "no-evaluator",
        "threshold-above-n"])
def test_create_refused(world, over, code, fragments):
    refused_unchanged(world, lambda: world.create(**over), code, *fragments)
    assert world.state() is None


def test_create_existing_tender_refused(world):
    world.create()
    refused_unchanged(world, lambda: world.create(title="Another"), "exists", "tender T-1 already exists")
    assert world.state()["title"] == "Cloud services"


def test_amend_with_deadline_in_the_past_refused(world):
    world.create()
    world.publish()
    now = world.clock.advance(days=11)
    world.p.run_deadlines()  # closes the enquiry period first, so only the refusal is measured
    refused_unchanged(world, lambda: world.p.execute(c.AmendTender(TID, "shorten", {"tender_end": now}), BUYER),
                      "deadline-past", iso(now), "not in the future")


def test_amend_by_buyer_not_on_panel_is_logged(world):
    world.create()
    other = Actor("other-co", "buyer")
    refused_logged(world, lambda: world.p.execute(c.AmendTender(TID, "mine", {"title": "Mine"}), other),
                   "not-on-panel", "other-co", "buyer", "T-1", actor=other)


def test_amend_after_the_deadline_refused(world):
    at_opening(world)
    cmd = c.AmendTender(TID, "late change", {"title": "New", "tender_end": world.clock.now + timedelta(days=5)})
    refused_unchanged(world, lambda: world.p.execute(cmd, BUYER), "wrong-status", "active.opening", "active.tendering")


def test_amendment_after_bids_must_extend_the_deadline(world):
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    end = deadline(world)
    for changes in ({"title": "Cloud services v2"}, {"title": "v2", "tender_end": end},
                    {"tender_end": end - timedelta(days=1)}):
        refused_unchanged(world, lambda: world.p.execute(c.AmendTender(TID, "scope change", changes), BUYER),
                          "amendment-needs-extension", "1 bids were already received", f"beyond {iso(end)}")
    assert world.state()["amendments"] == []
    new_end = end + timedelta(days=7)
    world.p.execute(c.AmendTender(TID, "scope change", {"title": "v2", "tender_end": new_end}), BUYER)
    s = world.state()
    assert (s["title"], s["periods"]["tender_end"]) == ("v2", iso(new_end))
    assert [a["id"] for a in s["amendments"]] == ["amendment-1"]


def test_amendment_before_any_bid_may_keep_the_deadline(world):
    world.create()
    world.publish()
    world.p.execute(c.AmendTender(TID, "typo", {"title": "Cloud services (fixed)"}), BUYER)
    assert world.state()["title"] == "Cloud services (fixed)"


def test_an_amendment_adds_documents_and_never_replaces_a_listed_one(world):
    rfp = {"id": "rfp", "title": "RFP", "sha256": "a" * 64, "size": 10}
    world.create(documents=[rfp])
    world.publish()
    revised = dict(rfp, sha256="b" * 64)
    refused_unchanged(world, lambda: world.p.execute(c.AmendTender(TID, "revised RFP", {"documents": [revised]}),
                                                     BUYER), "document-listed", "already lists document rfp")
    world.p.execute(c.AmendTender(TID, "revised RFP", {"documents": [dict(revised, id="rfp-v2")]}), BUYER)
    assert [(d["id"], d["sha256"]) for d in world.state()["documents"]] == [("rfp", "a" * 64), ("rfp-v2", "b" * 64)]


# --- publishing ----------------------------------------------------------------------------------

def test_publish_after_the_deadline_refused(world):
    world.create()
    world.clock.now = deadline(world)
    refused_unchanged(world, lambda: world.publish(), "deadline-past", "amend it before publishing")
    assert world.state()["status"] == "draft"


def test_publish_with_a_bad_opening_key_refused(world):
    world.create()
    opening = {"suite": "x", "threshold": 2, "public_key": "AA==", "encrypted_shares": {"op1": "AA==", "op2": "AA=="}}
    refused_unchanged(world, lambda: world.p.execute(c.PublishTender(TID, opening), BUYER),
                      "bad-opening-key", "op1, op2, op3", "threshold 2")
    bad_threshold = dict(opening, threshold=3, encrypted_shares={"op1": "AA==", "op2": "AA==", "op3": "AA=="})
    refused_unchanged(world, lambda: world.p.execute(c.PublishTender(TID, bad_threshold), BUYER),
                      "bad-opening-key", "threshold 2")


def test_publish_twice_refused(world):
    world.create()
    world.publish()
    refused_unchanged(world, lambda: world.publish(), "wrong-status", "active.enquiries", "this needs draft")


def test_publish_unknown_tender_refused(world):
    refused_unchanged(world, lambda: bidding.publish(world.p, "T-404", BUYER), "not-found", "no tender T-404")


def test_publish_without_every_officials_key_refused(world):
    world.create(panel={"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op4", "op5"]})
    refused_unchanged(world, lambda: world.publish(), "no-official-key", "op4, op5")
    assert world.state()["opening"] is None


def test_registering_an_official_with_another_key_refused(world):
    other = seal.OfficialKeyPair.generate().public_bytes()
    refused_unchanged(world, lambda: bidding.register_official(world.p, "op1", "op1", other),
                      "key-conflict", "official op1 is already registered with another key")
    with world.p.db.reader.connect() as conn:
        stored = conn.execute(sa.select(officials.c.public_key).where(officials.c.id == "op1")).scalar()
    assert bytes(stored) == world.keys["op1"].public_bytes()
    bidding.register_official(world.p, "op1", "op1", world.keys["op1"].public_bytes())  # same key: idempotent


def test_public_key_of_an_unpublished_tender_refused(world):
    world.create()
    refuse(lambda: bidding.public_key(world.state()), "not-published", "tender T-1 has no opening key yet")


# --- enquiries -----------------------------------------------------------------------------------

def test_question_at_the_end_of_the_enquiry_period_refused(world):
    world.create()
    world.publish()
    end = T0 + timedelta(days=10)
    world.clock.now = end - timedelta(seconds=1)
    world.p.execute(c.AskQuestion(TID, "q1", "Is hosting on premises allowed?"), ACME)
    world.clock.now = end
    world.p.run_deadlines()
    assert world.state()["status"] == "active.tendering"
    refused_unchanged(world, lambda: world.p.execute(c.AskQuestion(TID, "q2", "And now?"), ACME),
                      "enquiries-closed", iso(end))
    assert list(world.state()["enquiries"]) == ["q1"]


@pytest.mark.parametrize("case", ["duplicate", "draft", "not-a-bidder"])
def test_question_refused(world, case):
    world.create()
    if case == "draft":
        refused_unchanged(world, lambda: world.p.execute(c.AskQuestion(TID, "q1", "Why?"), ACME),
                          "wrong-status", "tender T-1 is draft")
        return
    world.publish()
    if case == "not-a-bidder":
        refused_unchanged(world, lambda: world.p.execute(c.AskQuestion(TID, "q1", "Why?"), EVAL),
                          "forbidden-role", "evaluator may not do this", "bidder")
        return
    world.p.execute(c.AskQuestion(TID, "q1", "Why?"), ACME)
    refused_unchanged(world, lambda: world.p.execute(c.AskQuestion(TID, "q1", "Why not?"), GLOBEX),
                      "exists", "enquiry q1 already exists")
    # The first question stands, and neither row names its author (FAR 15.201(f)).
    assert world.state()["enquiries"]["q1"] == {"id": "q1", "date": iso(world.clock.now), "question": "Why?",
                                                "answer": None, "answered": None}


def test_answer_refused(world):
    world.create()
    world.publish()
    refused_unchanged(world, lambda: world.p.execute(c.AnswerQuestion(TID, "q9", "Yes."), BUYER),
                      "not-found", "no enquiry q9 on tender T-1")
    world.p.execute(c.AskQuestion(TID, "q1", "Why?"), ACME)
    world.p.execute(c.AnswerQuestion(TID, "q1", "Because."), BUYER)
    refused_unchanged(world, lambda: world.p.execute(c.AnswerQuestion(TID, "q1", "Actually no."), BUYER),
                      "answered", "enquiry q1 was already answered")
    assert world.state()["enquiries"]["q1"]["answer"] == "Because."


# --- sealed bids ---------------------------------------------------------------------------------

def test_bid_one_second_before_the_deadline_accepted_and_at_the_deadline_late(world):
    world.create()
    world.publish()
    end = deadline(world)
    world.clock.now = end - timedelta(seconds=1)
    receipt = world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    assert world.state()["bids"]["bid-acme"]["status"] == "submitted"
    assert receipt.sealed_sha256 in world.p.documents

    world.clock.now = end
    world.p.run_deadlines()  # the deadline fires on time; only the late attempt is measured below
    assert world.state()["status"] == "active.opening"
    sealed = world.seal(b"GLOBEX proposal")
    digest = seal.sealed_digest(sealed)
    refused_logged(world, lambda: bidding.submit_bid(world.p, TID, GLOBEX, "GLOBEX", sealed, bid_id="bid-globex"),
                   "late-bid", f"deadline {iso(end)} has passed", actor=GLOBEX)
    assert "bid-globex" not in world.state()["bids"]
    assert digest not in world.p.documents


def test_bid_long_after_the_deadline_during_opening_is_late(world):
    at_opening(world)
    world.clock.advance(hours=3)
    sealed = world.seal(b"late")
    refused_logged(world, lambda: bidding.submit_bid(world.p, TID, Actor("initech", "bidder"), "INITECH", sealed),
                   "late-bid", iso(deadline(world)))
    assert seal.sealed_digest(sealed) not in world.p.documents


@pytest.mark.parametrize("stage", ["after-opening", "no-bids-arrived"])
def test_late_bid_is_logged_whatever_happened_since_the_deadline(world, stage):
    if stage == "after-opening":
        world.to_evaluation()
    else:
        world.create()
        world.publish()
        world.clock.now = deadline(world)
        world.p.run_deadlines()
        assert world.state()["status"] == "unsuccessful"
    sealed = world.seal(b"late")
    refused_logged(world, lambda: bidding.submit_bid(world.p, TID, Actor("initech", "bidder"), "INITECH", sealed),
                   "late-bid", iso(deadline(world)))


def test_bid_id_reused_refused_and_no_file_left(world):
    world.create()
    world.publish()
    first = world.bid("acme", b"ACME proposal", bid_id="bid-1")
    sealed = world.seal(b"GLOBEX proposal")
    refused_unchanged(world, lambda: bidding.submit_bid(world.p, TID, GLOBEX, "GLOBEX", sealed, bid_id="bid-1"),
                      "exists", "bid bid-1 already exists")
    assert seal.sealed_digest(sealed) not in world.p.documents
    kept = world.state()["bids"]["bid-1"]
    assert kept["sealed_sha256"] == first.sealed_sha256 and "bidder" not in kept  # acme's, unnamed


def test_bid_from_a_non_bidder_refused_and_no_file_left(world):
    world.create()
    world.publish()
    sealed = world.seal(b"inside job")
    refused_unchanged(world, lambda: bidding.submit_bid(world.p, TID, EVAL, "EV", sealed),
                      "forbidden-role", "evaluator may not do this", "bidder")
    assert seal.sealed_digest(sealed) not in world.p.documents


def test_bid_to_a_draft_or_cancelled_tender_refused(world):
    world.create()
    refused_unchanged(world, lambda: world.p.execute(c.SubmitBid(TID, "b1", "ACME", "a" * 64, 10, "b" * 64), ACME),
                      "wrong-status", "tender T-1 is draft")
    world.publish()
    sealed = world.seal(b"ACME proposal")
    world.p.execute(c.CancelTender(TID, "requirement withdrawn"), BUYER)
    # Once published, a bid the tender can no longer take is on the record, never refused silently;
    # before the deadline it is not called late.
    refused_logged(world, lambda: bidding.submit_bid(world.p, TID, ACME, "ACME", sealed), "not-accepting-bids",
                   "tender T-1 is cancelled; it accepts no bids", actor=ACME)
    assert seal.sealed_digest(sealed) not in world.p.documents
    world.clock.now = deadline(world)  # at the deadline and after, the same attempt is late
    refused_logged(world, lambda: bidding.submit_bid(world.p, TID, ACME, "ACME", sealed), "late-bid",
                   iso(deadline(world)), actor=ACME)


def test_bid_sealed_for_another_tender_refused(world):
    world.create()
    world.create("T-2")
    world.publish()
    world.publish("T-2")
    sealed = world.seal(b"ACME proposal", tid="T-2")
    refused_unchanged(world, lambda: bidding.submit_bid(world.p, TID, ACME, "ACME", sealed),
                      "wrong-tender", "sealed for tender 'T-2', not 'T-1'")
    assert world.state()["bids"] == {} and world.state("T-2")["bids"] == {}
    assert seal.sealed_digest(sealed) not in world.p.documents


@pytest.mark.parametrize("blob", [
    b"", b"garbage instead of a sealed bid", b"\x00" * 5000, "truncated",
], ids=["empty", "text", "zeros", "truncated"])
def test_garbage_instead_of_a_sealed_bid_refused(world, blob):
    world.create()
    world.publish()
    if blob == "truncated":
        blob = world.seal(b"ACME proposal")[:40]
    refused_unchanged(world, lambda: bidding.submit_bid(world.p, TID, ACME, "ACME", blob), "not-sealed",
                      "this is not a sealed bid")
    root = world.p.documents.root
    assert not root.exists() or not any(x.is_file() for x in root.rglob("*"))
    assert world.state()["bids"] == {}


# --- withdrawals ---------------------------------------------------------------------------------

def test_withdraw_someone_elses_bid_refused(world):
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    # Globex's key for bid-acme is not acme's; a missing bid and a wrong key are refused alike,
    # so a refusal does not tell whether a bid exists or whose it is.
    refused_unchanged(world, lambda: world.withdraw("globex", "bid-acme"),
                      "not-found", "no bid bid-acme of yours on tender T-1")
    refused_unchanged(world, lambda: world.withdraw("acme", "bid-nope"),
                      "not-found", "no bid bid-nope of yours on tender T-1")
    refused_unchanged(world, lambda: world.p.execute(c.WithdrawBid(TID, "bid-acme"), ACME),
                      "not-found", "no bid bid-acme of yours on tender T-1")  # no key at all
    assert world.state()["bids"]["bid-acme"]["status"] == "submitted"


def test_withdraw_a_withdrawn_bid_refused(world):
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    world.withdraw("acme", "bid-acme")
    refused_unchanged(world, lambda: world.withdraw("acme", "bid-acme"), "not-live", "bid bid-acme is withdrawn")


def test_an_earlier_bid_stays_live_until_the_opening(world):
    """Which of a bidder's bids replaces which is resolved at the opening, so before it an
    earlier bid is live like any other: its key withdraws it, and the later bid still counts."""
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    world.bid("acme", b"ACME proposal v2", bid_id="bid-acme-2")
    assert world.state()["bids_live"] == 2
    world.withdraw("acme", "bid-acme")
    bids = world.state()["bids"]
    assert (bids["bid-acme"]["status"], bids["bid-acme-2"]["status"]) == ("withdrawn", "submitted")
    assert world.state()["bids_live"] == 1
    withdrawn = world.p.events(TID)[-1].envelope
    assert (withdrawn["type"], withdrawn["payload"], withdrawn["actor"]) == (
        "bid.withdrawn", {"id": "bid-acme"}, {"role": "bidder"})
    assert_sealed_until_opening(world, withdrawn["confidential"])


def test_withdrawal_at_the_deadline_is_late_and_logged(world):
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    world.bid("globex", b"GLOBEX proposal", bid_id="bid-globex")
    world.clock.now = deadline(world) - timedelta(seconds=1)
    world.withdraw("globex", "bid-globex")  # one second before: accepted
    world.clock.now = deadline(world)
    world.p.run_deadlines()
    refused_logged(world, lambda: world.withdraw("acme", "bid-acme"),
                   "late-withdrawal", "before the submission deadline", actor=ACME)
    assert world.state()["bids"]["bid-acme"]["status"] == "submitted"


# --- deadlines, cancellation, unknown tenders ----------------------------------------------------

def test_deadline_commands_refused_before_their_time_or_for_others(world):
    world.create()
    world.publish()
    refused_unchanged(world, lambda: world.p.execute(c.CloseEnquiries(TID), SYSTEM),
                      "too-early", "enquiry period runs until 2030-01-11T12:00:00Z")
    refused_unchanged(world, lambda: world.p.execute(c.CloseTendering(TID), SYSTEM),
                      "too-early", "submission deadline is 2030-01-31T12:00:00Z")
    world.clock.now = deadline(world)
    # Every batch fires what is due first, so the deadline worker's closing comes before the
    # buyer's attempt whatever happens; only the attempt is measured.
    assert [e.envelope["type"] for e in world.p.run_deadlines()] == ["tender.enquiries_closed", "tender.unsuccessful"]
    refused_unchanged(world, lambda: world.p.execute(c.CloseTendering(TID), BUYER),
                      "forbidden-role", "buyer may not do this", "system")


def test_close_enquiries_without_an_enquiry_period_refused(world):
    world.create(enquiries=False)
    world.publish()
    assert world.state()["status"] == "active.tendering"
    refused_unchanged(world, lambda: world.p.execute(c.CloseEnquiries(TID), SYSTEM),
                      "wrong-status", "active.tendering", "active.enquiries")


def test_cancel_an_ended_tender_refused(world):
    world.create()
    world.p.execute(c.CancelTender(TID, "requirement withdrawn"), BUYER)
    refused_unchanged(world, lambda: world.p.execute(c.CancelTender(TID, "again"), BUYER),
                      "ended", "tender T-1 is already cancelled")
    assert world.state()["cancellation"]["reason"] == "requirement withdrawn"


def test_cancel_by_someone_not_a_buyer_refused(world):
    world.create()
    refused_unchanged(world, lambda: world.p.execute(c.CancelTender(TID, "I lost"), ACME),
                      "forbidden-role", "bidder may not do this", "buyer")


@pytest.mark.parametrize("cmd, actor", [
    (c.CancelTender("T-404", "no such tender"), BUYER),
    (c.SubmitBid("T-404", "b1", "ACME", "a" * 64, 10, "b" * 64), ACME),
    (c.SubmitShare("T-404"), OP1),
    (c.SignContract("T-404", "C-1", USD), BUYER),
], ids=["cancel", "bid", "share", "sign"])
def test_command_for_an_unknown_tender_refused(world, cmd, actor):
    world.create()
    refused_unchanged(world, lambda: world.p.execute(cmd, actor), "not-found", "no tender T-404")


# --- declarations --------------------------------------------------------------------------------

def test_declaration_refused(world):
    world.create()
    refused_unchanged(world, lambda: world.p.execute(c.DeclareInterests(TID, False), Actor("stranger", "evaluator")),
                      "not-on-panel", "stranger is not an official on tender T-1")
    refused_unchanged(world, lambda: world.p.execute(c.DeclareInterests(TID, False), ACME),
                      "not-on-panel", "acme")
    refused_unchanged(world, lambda: world.p.execute(c.DeclareInterests(TID, True, "  "), EVAL),
                      "details-needed", "must be described")
    assert world.state()["declarations"] == {}


def test_conflicted_official_cannot_declare_the_conflict_away(world):
    at_opening(world)
    world.p.execute(c.DeclareInterests(TID, True, "my brother runs acme"), OP1)
    with contextlib.suppress(Refused):
        world.p.execute(c.DeclareInterests(TID, False), OP1)
    assert world.state()["declarations"]["op1"]["has_conflict"] is True
    refuse(lambda: world.share(OP1), "conflicted", "op1", logged=True)


# --- key shares and the opening ------------------------------------------------------------------

def test_share_before_the_deadline_is_logged(world):
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    world.declare(OP1)
    world.clock.now = deadline(world) - timedelta(seconds=1)
    world.p.run_deadlines()  # the enquiry period closes; the submission deadline is a second away
    assert world.state()["status"] == "active.tendering"
    refused_logged(world, lambda: world.share(OP1), "too-early",
                   f"before the submission deadline {iso(deadline(world))}", actor=OP1)
    assert world.state()["shares"] == []


def test_share_from_an_unnamed_official_is_logged(world):
    at_opening(world)
    intruder = Actor("op9", "opening_official")
    refused_logged(world, lambda: bidding.submit_share(world.p, TID, intruder, b"a share of nothing"),
                   "not-named", "op9 is not a named bid-opening official of tender T-1", actor=intruder)
    # a named official acting in another role is refused, not logged
    refused_unchanged(world, lambda: bidding.submit_share(world.p, TID, Actor("op1", "evaluator"), b"x"),
                      "forbidden-role", "evaluator may not do this", "opening_official")


def test_share_without_a_declaration_is_logged(world):
    at_opening(world)
    refused_logged(world, lambda: world.share(OP1), "no-declaration",
                   "op1 has not signed a conflict-of-interest declaration for tender T-1", actor=OP1)


def test_share_from_a_conflicted_official_is_logged(world):
    at_opening(world)
    world.p.execute(c.DeclareInterests(TID, True, "I own shares of acme"), OP1)
    refused_logged(world, lambda: world.share(OP1), "conflicted",
                   "op1 declared a conflict of interest on tender T-1", actor=OP1)


def test_share_on_a_draft_refused(world):
    world.create()
    refused_unchanged(world, lambda: bidding.submit_share(world.p, TID, OP1, b"x"),
                      "wrong-status", "tender T-1 is draft", "active.opening")


def test_second_share_from_the_same_official_refused(world):
    at_opening(world)
    world.declare(OP1)
    world.share(OP1)
    refused_unchanged(world, lambda: world.share(OP1), "duplicate-share", "op1 already submitted a share")


def test_fewer_than_k_shares_leave_the_bids_sealed(world):
    at_opening(world)
    world.declare(OP1)
    world.share(OP1)
    s = world.state()
    assert s["status"] == "active.opening"
    assert s["shares"] == ["op1"] and s["opened"] is None
    assert {b["status"] for b in s["bids"].values()} == {"submitted"}
    assert "bids.opened" not in [e.envelope["type"] for e in world.p.events(TID)]
    assert snap(world)["private"] == []
    refuse(lambda: bidding.read_bid(world.p, TID, "bid-acme", EVAL), "sealed", "bid bid-acme has not been opened")
    # the opening itself is refused without quorum, and the attempt is logged
    refused_logged(world, lambda: world.p.execute(c.RecordOpening(TID, {}), bidding.OPENER),
                   "quorum", "1 of the 2 key shares")
    world.declare(OP2)
    world.share(OP2)
    assert world.state()["status"] == "active.evaluation"


def test_opening_that_leaves_out_a_bid_refused(world):
    at_opening(world)
    for o in (OP1, OP2):  # shares recorded without the app's opening step
        world.declare(o)
        world.p.execute(c.SubmitShare(TID), o)
    assert world.state()["status"] == "active.opening"
    results = {"bid-acme": {"readable": False}}
    refused_unchanged(world, lambda: world.p.execute(c.RecordOpening(TID, results), bidding.OPENER),
                      "incomplete-opening", "every live bid")


@pytest.mark.parametrize("which", ["garbage", "other-officials-share"])
def test_kth_share_that_does_not_rebuild_the_key_refused(world, which):
    at_opening(world)
    for o in (OP1, OP2):
        world.declare(o)
    world.share(OP1)
    if which == "garbage":
        bad = b"not a share"
    else:
        enc = base64.b64decode(world.state()["opening"]["encrypted_shares"]["op3"])
        bad = seal.decrypt_share(TID, "op3", enc, world.keys["op3"])
    refused_unchanged(world, lambda: bidding.submit_share(world.p, TID, OP2, bad), "bad-share",
                      "cannot be op2's share of tender T-1")
    s = world.state()
    assert (s["status"], s["shares"]) == ("active.opening", ["op1"])
    world.share(OP2)  # the real share still opens
    assert world.state()["status"] == "active.evaluation"


def test_malformed_share_cannot_block_the_opening(world):
    at_opening(world)
    for o in OPENERS:
        world.declare(o)
    try:
        bidding.submit_share(world.p, TID, OP1, b"not a share")
    except Refused as r:  # the fix: refuse it at submission
        assert r.code == "bad-share"
    world.share(OP2)
    if world.state()["status"] == "active.opening":
        world.share(OP3)
    assert world.state()["status"] == "active.evaluation"


# --- evaluation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bid, factor, rating, code, fragments", [
    ("bid-acme", "delivery", "Good", "unknown-factor",
     ["delivery is not an evaluation factor of tender T-1", "(tech, price)"]),
    ("bid-acme", "tech", "Superb", "bad-rating", ["'Superb' is not on the scale of factor tech", "Outstanding"]),
    ("bid-acme", "price", "cheap", "bad-rating", ["price factor price takes an evaluated price, not 'cheap'"]),
    ("bid-acme", "price", "-5", "bad-rating", ["non-negative"]),
    ("bid-acme", "price", "NaN", "bad-rating", ["non-negative"]),
    ("bid-nope", "tech", "Good", "not-evaluable", ["bid bid-nope is not an opened, readable bid of tender T-1"]),
])
def test_rating_refused(world, bid, factor, rating, code, fragments):
    world.to_evaluation()
    world.declare(EVAL)
    refused_unchanged(world, lambda: world.p.execute(c.RateProposal(TID, bid, factor, rating), EVAL), code, *fragments)
    assert world.state()["ratings"] == {}


def test_rating_an_unreadable_bid_refused(world):
    world.create()
    world.publish()
    world.bid("acme", b"ACME proposal", bid_id="bid-acme")
    bidding.submit_bid(world.p, TID, GLOBEX, "GLOBEX", garble(world.seal(b"GLOBEX")), bid_id="bid-globex")
    world.clock.advance(days=31)
    for o in (OP1, OP2):
        world.declare(o)
        world.share(o)
    assert world.state()["bids"]["bid-globex"]["readable"] is False
    world.declare(EVAL)
    refused_unchanged(world, lambda: world.p.execute(c.RateProposal(TID, "bid-globex", "tech", "Good"), EVAL),
                      "not-evaluable", "bid-globex")
    refused_unchanged(world, lambda: bidding.read_bid(world.p, TID, "bid-globex", EVAL), "sealed", "bid-globex")


def test_changing_a_rating_needs_a_reason(world):
    world.to_evaluation()
    world.declare(EVAL)
    world.p.execute(c.RateProposal(TID, "bid-acme", "tech", "Good"), EVAL)
    for reason in ("", "   "):
        refused_unchanged(world, lambda: world.p.execute(
            c.RateProposal(TID, "bid-acme", "tech", "Outstanding", reason=reason), EVAL),
            "reason-needed", "changing the rating of bid-acme on tech")
    world.p.execute(c.RateProposal(TID, "bid-acme", "tech", "Outstanding", reason="misread the staffing plan"), EVAL)
    history = world.state()["ratings"]["bid-acme/tech/ev"]
    assert [(h["revision"], h["rating"]) for h in history] == [(1, "Good"), (2, "Outstanding")]


def test_rating_before_the_opening_refused(world):
    at_opening(world)
    world.declare(EVAL)
    refused_unchanged(world, lambda: world.p.execute(c.RateProposal(TID, "bid-acme", "tech", "Good"), EVAL),
                      "wrong-status", "active.opening", "active.evaluation")


@pytest.mark.parametrize("who", ["not-on-panel", "no-declaration", "conflicted"])
def test_rating_by_an_official_who_may_not_is_logged(world, who):
    world.to_evaluation()
    actor = EVAL
    if who == "not-on-panel":
        actor = Actor("ev2", "evaluator")
        fragments = ["ev2 is not named as evaluator on tender T-1"]
    elif who == "no-declaration":
        fragments = ["ev has not signed a conflict-of-interest declaration"]
    else:
        world.p.execute(c.DeclareInterests(TID, True, "former employee of globex"), EVAL)
        fragments = ["ev declared a conflict of interest"]
    refused_logged(world, lambda: world.p.execute(c.RateProposal(TID, "bid-acme", "tech", "Good"), actor),
                   who, *fragments, actor=actor)


def test_consensus_refused(world):
    world.to_evaluation()
    refused_unchanged(world, lambda: world.p.execute(
        c.RecordConsensus(TID, "bid-acme", "tech", "Brilliant", "we agreed"), BUYER),
        "bad-rating", "'Brilliant' is not on the scale of factor tech")
    refused_unchanged(world, lambda: world.p.execute(
        c.RecordConsensus(TID, "bid-acme", "schedule", "Good", "we agreed"), BUYER),
        "unknown-factor", "schedule is not an evaluation factor")
    refused_unchanged(world, lambda: world.p.execute(
        c.RecordConsensus(TID, "bid-acme", "tech", "Good", "we agreed"), EVAL),
        "forbidden-role", "evaluator may not do this")


@pytest.mark.parametrize("included, excluded, code, fragment", [
    (["bid-acme"], {}, "incomplete-range", "every opened bid exactly once"),
    (["bid-acme", "bid-globex"], {"bid-acme": "too expensive"}, "incomplete-range", "exactly once"),
    (["bid-acme", "bid-globex", "bid-nope"], {}, "incomplete-range", "exactly once"),
    ([], {"bid-acme": "too expensive", "bid-globex": "too risky"}, "empty-range", "cannot be empty"),
    (["bid-acme"], {"bid-globex": "  "}, "reason-needed", "excluding bid bid-globex needs a reason"),
])
def test_competitive_range_refused(world, included, excluded, code, fragment):
    world.to_evaluation()
    refused_unchanged(world, lambda: world.p.execute(c.SetCompetitiveRange(TID, included, excluded), BUYER),
                      code, fragment)
    assert world.state()["competitive_range"] is None


# --- the award -----------------------------------------------------------------------------------

def test_award_before_any_evaluated_price_refused(world):
    world.to_evaluation()
    world.declare(EVAL)
    world.p.execute(c.RateProposal(TID, "bid-acme", "tech", "Good"), EVAL)
    world.declare(SSA)
    refused_unchanged(world, lambda: world.p.execute(c.DecideAward(TID, "bid-acme", USD, "only one"), SSA),
                      "not-evaluated", "no bid has an evaluated price yet")


def test_award_outside_the_competitive_range_refused(world):
    evaluated(world)
    world.p.execute(c.SetCompetitiveRange(TID, ["bid-globex"], {"bid-acme": "weak staffing"}), BUYER)
    refused_unchanged(world, lambda: world.p.execute(
        c.DecideAward(TID, "bid-acme", USD, "cheaper", departure_reason="cheaper"), SSA),
        "outside-range", "bid bid-acme is not in the competitive range")


def test_award_of_an_unopened_bid_refused(world):
    evaluated(world)
    refused_unchanged(world, lambda: world.p.execute(c.DecideAward(TID, "bid-nope", USD, "?"), SSA),
                      "not-evaluable", "bid-nope")


def test_award_departing_from_the_ranking_needs_a_reason(world):
    evaluated(world)
    for reason in ("", "  "):
        refused_unchanged(world, lambda: world.p.execute(
            c.DecideAward(TID, "bid-acme", USD, "cheaper", departure_reason=reason), SSA),
            "departure-unexplained", "the evaluators ranked bid-globex first; selecting bid-acme", "FAR 15.308")
    assert world.state()["awards"] == []
    world.p.execute(c.DecideAward(TID, "bid-acme", USD, "cheaper",
                                  departure_reason="globex's technical edge is not worth the price premium"), SSA)
    award = world.state()["awards"][-1]
    assert (award["bid"], award["departs_from_ranking"], award["ranking"]) == ("bid-acme", True, ["bid-globex", "bid-acme"])


def test_award_following_the_ranking_needs_no_departure_reason(world):
    evaluated(world)
    world.p.execute(c.DecideAward(TID, "bid-globex", USD, "best value"), SSA)
    assert world.state()["awards"][-1]["departs_from_ranking"] is False


@pytest.mark.parametrize("who", ["not-on-panel", "no-declaration", "conflicted"])
def test_award_by_an_official_who_may_not_is_logged(world, who):
    world.to_evaluation()
    world.declare(EVAL)
    world.p.execute(c.RateProposal(TID, "bid-acme", "price", "900"), EVAL)
    actor = SSA
    if who == "not-on-panel":
        actor = Actor("ssa2", "ssa")
    elif who == "conflicted":
        world.p.execute(c.DeclareInterests(TID, True, "consulted for acme"), SSA)
    refused_logged(world, lambda: world.p.execute(c.DecideAward(TID, "bid-acme", USD, "best value"), actor),
                   who, actor.id, actor=actor)
    assert world.state()["awards"] == []


def test_debriefing_the_awardee_refused(world):
    awarded(world)
    digest = "d" * 64
    refused_unchanged(world, lambda: world.p.execute(c.GiveDebriefing(TID, "globex", digest), BUYER),
                      "not-unsuccessful", "globex is not an unsuccessful offeror of tender T-1")
    refused_unchanged(world, lambda: world.p.execute(c.GiveDebriefing(TID, "initech", digest), BUYER),
                      "not-unsuccessful", "initech")
    world.p.execute(c.GiveDebriefing(TID, "acme", digest), BUYER)
    assert list(world.state()["debriefings"]) == ["acme"]


# --- the contract --------------------------------------------------------------------------------

def test_contract_signed_at_the_award_no_us_standstill(world):
    """31 U.S.C. 3553(d)(3) suspends performance on a protest's notice; nothing holds signature."""
    award = awarded(world)
    assert award["standstill_end"] is None and "no standstill in US law" in award["standstill_basis"]
    world.p.execute(c.SignContract(TID, "C-1", USD), BUYER)
    s = world.state()
    assert (s["status"], s["contract"]["id"], s["contract"]["date"]) == ("complete", "C-1", award["date"])


def test_contract_before_the_award_refused(world):
    evaluated(world)
    refused_unchanged(world, lambda: world.p.execute(c.SignContract(TID, "C-1", USD), BUYER),
                      "wrong-status", "active.evaluation", "active.awarded")


# --- confidential content ------------------------------------------------------------------------

def test_reading_bids_refused(world):
    at_opening(world)
    refused_unchanged(world, lambda: bidding.read_bid(world.p, TID, "bid-acme", EVAL), "sealed",
                      "bid bid-acme has not been opened; nobody can read it before the opening")
    refused_unchanged(world, lambda: bidding.read_bid(world.p, TID, "bid-nope", EVAL), "not-found",
                      "no bid bid-nope on tender T-1")
    refused_unchanged(world, lambda: bidding.read_bid(world.p, "T-404", "bid-acme", EVAL), "not-found",
                      "no bid bid-acme on tender T-404")


@pytest.mark.parametrize("who", ["bidder", "not-on-panel", "no-declaration", "conflicted"])
def test_reading_an_opened_bid_refused(world, who):
    world.to_evaluation()
    actor = EVAL
    if who == "bidder":
        refused_unchanged(world, lambda: bidding.read_bid(world.p, TID, "bid-acme", GLOBEX),
                          "forbidden-role", "bidder may not do this")
        return
    if who == "not-on-panel":
        actor = Actor("ev2", "evaluator")
    elif who == "conflicted":
        world.p.execute(c.DeclareInterests(TID, True, "related to acme"), EVAL)
    refused_logged(world, lambda: bidding.read_bid(world.p, TID, "bid-acme", actor), who, actor.id, actor=actor)
    assert world.state()["accesses"] == 0


def _commitments(world) -> list[str]:
    with world.p.db.reader.connect() as conn:
        return sorted(conn.execute(sa.select(confidential.c.commitment).where(confidential.c.tender_id == TID)).scalars())


def test_disclosure_before_the_award_refused(world):
    evaluated(world)
    # An unlawful disclosure attempt is on the record (FAR 3.104-4; 41 U.S.C. 2105 penalises it).
    rated = next(e.envelope["confidential"] for e in world.p.events(TID) if e.envelope["type"] == "evaluation.rated")
    refused_logged(world, lambda: access.disclose(world.p, TID, [rated], BUYER),
                   "too-early", "only after the award", "FAR 3.104")


def test_disclosure_refused(world):
    awarded(world)
    missing = "sha256:" + "0" * 64
    refused_unchanged(world, lambda: access.disclose(world.p, TID, [missing], BUYER), "not-found",
                      f"no confidential payload {missing} on tender T-1")
    refused_unchanged(world, lambda: access.read_confidential_payload(world.p, TID, missing, BUYER, "audit"),
                      "not-found", missing)
    refused_unchanged(world, lambda: access.disclose(world.p, TID, [], BUYER), "nothing", "nothing to disclose")
    refused_unchanged(world, lambda: access.disclose(world.p, "T-404", [], BUYER), "not-found", "no tender T-404")


def test_disclosure_of_a_damaged_payload_refused(world):
    awarded(world)
    com = _commitments(world)[0]
    with world.p.db.writer.begin() as conn:
        conn.execute(sa.update(confidential).where(confidential.c.commitment == com).values(content='{"forged":true}'))
    refused_unchanged(world, lambda: access.disclose(world.p, TID, [com], BUYER), "damaged",
                      f"the stored payload for {com} no longer matches its commitment")
    assert world.state()["disclosed"] == []


# --- malformed commands --------------------------------------------------------------------------

@pytest.mark.parametrize("make, fragment", [
    (lambda: c.CancelTender("bad id!", "x"), "tender id 'bad id!'"),
    (lambda: c.CancelTender("", "x"), "tender id ''"),
    (lambda: c.CancelTender(TID, "   "), "cancellation reason must be non-empty"),
    (lambda: c.SubmitBid(TID, "b1", "ACME", "ABC", 10, "b" * 64), "lowercase hex SHA-256"),
    (lambda: c.SubmitBid(TID, "b1", "ACME", "a" * 64, 0, "b" * 64), "positive integer"),
    (lambda: c.SubmitBid(TID, "b 1", "ACME", "a" * 64, 10, "b" * 64), "bid id 'b 1'"),
    (lambda: c.AskQuestion(TID, "q1", ""), "question must be non-empty"),
    (lambda: c.AmendTender(TID, "why", {}), "an amendment changes some of"),
    (lambda: c.AmendTender(TID, "why", {"panel": {}}), "['panel']"),
    (lambda: c.AmendTender(TID, "", {"title": "x"}), "amendment rationale"),
    (lambda: c.DecideAward(TID, "bid-acme", {"amount": "-1", "currency": "USD"}, "r"), "non-negative"),
    (lambda: c.DecideAward(TID, "bid-acme", {"amount": "abc", "currency": "USD"}, "r"), "is not a number"),
    (lambda: c.DecideAward(TID, "bid-acme", USD, ""), "award rationale"),
    (lambda: c.SignContract(TID, "C-1", {"amount": "1", "currency": "usd"}), "ISO 4217"),
    (lambda: c.SignContract(TID, "C-1", {"amount": "1"}), "contract value must be {amount, currency}"),
    (lambda: c.RecordConsensus(TID, "bid-acme", "tech", "Good", " "), "consensus rationale"),
    (lambda: c.GiveDebriefing(TID, "acme", "not-a-digest"), "debriefing document digest"),
    (lambda: c.ReadConfidential(TID, "x" * 201, "audit"), "more than 200"),
])
def test_invalid_command_fields_raise_before_anything_happens(world, make, fragment):
    at_opening(world)
    before = snap(world)
    with pytest.raises(c.InvalidCommand) as ei:
        make()
    assert isinstance(ei.value, ValueError)
    assert fragment in str(ei.value)
    assert snap(world) == before


@pytest.mark.parametrize("over, fragment", [
    (dict(method="secret"), "procurement method 'secret'"),
    (dict(criteria="cheapest"), "award criteria 'cheapest'"),
    (dict(items=[]), "at least one item"),
    (dict(factors=[]), "at least one evaluation factor"),
    (dict(value={"amount": "1", "currency": "dollars"}), "ISO 4217"),
    (dict(title=""), "title must be non-empty"),
    (dict(threshold=0), "opening_threshold must be a whole number from 1 to 16"),
    # checked while deciding, inside the transaction: still nothing is written
    (dict(factors=[{"id": "tech", "name": "Technical"}]), "must include price"),
    (dict(factors=[{"id": "p", "name": "P", "kind": "price"}, {"id": "p", "name": "P2", "kind": "price"}]),
     "factor p is listed twice"),
    (dict(panel={"evaluator": ["bad id"], "ssa": ["ssa"], "opening_official": ["op1", "op2"]}), "evaluator id 'bad id'"),
    (dict(items=[{"id": "i 1", "description": "x", "classification": {"scheme": "CPV", "id": "1"}}]), "item id 'i 1'"),
])
def test_invalid_tender_raises_before_anything_happens(world, over, fragment):
    before = snap(world)
    with pytest.raises(c.InvalidCommand) as ei:
        world.create(**over)
    assert fragment in str(ei.value)
    assert snap(world) == before
    assert world.state() is None


def test_invalid_amendment_fields_raise_before_anything_happens(world):
    world.create()
    before = snap(world)
    with pytest.raises(c.InvalidCommand, match="tender_end needs a UTC offset"):
        world.p.execute(c.AmendTender(TID, "later", {"tender_end": "2031-01-01"}), BUYER)
    with pytest.raises(c.InvalidCommand, match="tender_end 'next week' is not an ISO 8601 time"):
        world.p.execute(c.AmendTender(TID, "later", {"tender_end": "next week"}), BUYER)
    with pytest.raises(c.InvalidCommand, match="digest"):
        world.p.execute(c.AmendTender(TID, "docs", {"documents": [{"id": "d1", "title": "Spec", "sha256": "x"}]}), BUYER)
    with pytest.raises(c.InvalidCommand, match="official id"):
        bidding.register_official(world.p, "bad id", "x", world.keys["op1"].public_bytes())
    assert snap(world) == before


def test_amendment_keeps_the_enquiry_period_within_the_tender_period(world):
    world.create()
    world.publish()
    end = deadline(world)
    refused_unchanged(world, lambda: world.p.execute(
        c.AmendTender(TID, "more questions", {"enquiry_end": end + timedelta(days=5)}), BUYER), "bad-period")
