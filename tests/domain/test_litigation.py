"""Litigation of a protest, driven through `decide` with an injected clock: parties and
intervenors, the administrative record's manifest, motions with briefs and rulings (moot when the
case ends), protective orders and admitted counsel (each read logged)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenderproof.domain import Actor, InvalidCommand, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType

from .lifecycle import BUYER, EVALUATORS, REVIEWER, Tender, to_stage

ACME, BETA, GAMMA = Actor("acme", "bidder"), Actor("beta", "bidder"), Actor("gamma", "bidder")
COUNSEL = Actor("counsel-acme", "counsel")
HASH = "ab" * 32
DEPONENTS = [{"name": "A. Secretary", "office": "Secretary of Defense"},
             {"name": "B. Chair", "office": "Chair, Source Selection Advisory Council"}]


def case(forum: str = "cofc", stage: int = 4):
    """A tender at `stage` (4: awarded to beta), acme's protest p1 filed and docketed."""
    t = Tender()
    now = to_stage(t, stage) + timedelta(hours=1)
    t.do(c.FileProtest(t.id, protest_id="p1", forum=forum, grounds="Unequal treatment."), ACME, now)
    t.do(c.DocketProtest(t.id, protest_id="p1"), REVIEWER, now)
    return t, now + timedelta(hours=1)


def refused(t: Tender, cmd: c.Command, actor: Actor, now) -> Refused:
    before = len(t.envelopes)
    with pytest.raises(Refused) as r:
        t.decide(t.state, cmd, actor, now)
    assert len(t.envelopes) == before
    return r.value


def motion(t: Tender, mid: str = "m1", **kw) -> c.FileMotion:
    return c.FileMotion(t.id, protest_id="p1", motion_id=mid, **({"relief": ["dismiss"], "summary": "No standing."} | kw))


# --- parties and intervenors -------------------------------------------------------------------

def test_the_awardee_intervenes_as_of_right_and_no_one_else_after_award():
    t, now = case()
    [e] = t.do(c.Intervene(t.id, protest_id="p1"), BETA, now)
    assert e["type"] == EventType.LITIGATION_INTERVENED and "RCFC 24(a)(2)" in e["payload"]["basis"]
    assert [i["id"] for i in t.state["litigation"]["p1"]["intervenors"]] == ["beta"]
    assert refused(t, c.Intervene(t.id, protest_id="p1"), GAMMA, now).code == "not-interested"
    assert refused(t, c.Intervene(t.id, protest_id="p1"), ACME, now).code == "exists"  # the protester
    assert refused(t, c.Intervene(t.id, protest_id="p1"), BETA, now).code == "exists"


def test_at_gao_the_intervenor_is_defined_by_4_cfr_21_0_b():
    t, now = case("gao")
    [e] = t.do(c.Intervene(t.id, protest_id="p1"), BETA, now)
    assert "4 CFR 21.0(b)(1)" in e["payload"]["basis"]


def test_before_award_an_offeror_in_the_competition_intervenes_one_excluded_does_not():
    t, now = case(stage=3)  # opened, not awarded: acme (b3) and beta (b2)
    t.do(c.SetCompetitiveRange(t.id, included=["b3"], excluded={"b2": "Unacceptable."}), BUYER, now)
    r = refused(t, c.Intervene(t.id, protest_id="p1"), BETA, now)
    assert r.code == "not-interested" and "substantial prospect" in r.reason


def test_only_parties_move():
    t, now = case()
    for actor in (GAMMA, EVALUATORS[0], REVIEWER, Actor("co-9", "buyer")):
        assert refused(t, motion(t), actor, now).code in ("not-a-party", "not-on-panel")
    t.do(motion(t, "gov"), BUYER, now)
    t.do(c.Intervene(t.id, protest_id="p1"), BETA, now)
    t.do(motion(t, "msft"), BETA, now)
    assert [(m["id"], m["party"]) for m in t.state["litigation"]["p1"]["motions"]] == [
        ("gov", "agency"), ("msft", "intervenor")]


def test_gao_grants_no_injunction_and_no_discovery():
    t, now = case("gao")
    r = refused(t, motion(t, relief=["injunction"]), ACME, now)
    assert r.code == "wrong-forum" and "31 U.S.C. 3553" in r.reason


def test_an_agency_level_protest_has_no_litigation():
    t, now = case("agency")
    assert refused(t, motion(t), ACME, now).code == "wrong-forum"


# --- motions: sealed and public, briefs, rulings, moot ------------------------------------------

def test_a_sealed_motion_shows_on_the_docket_without_its_content_until_the_public_version():
    t, now = case()
    cmd = motion(t, relief=["supplement_record", "discovery"], summary="Bias and bad faith.", deponents=DEPONENTS,
                 under_seal=True)
    [e] = t.do(cmd, ACME, now)
    assert "summary" not in e["payload"] and "deponents" not in e["payload"]
    assert e["confidential"] == {"summary": "Bias and bad faith.", "deponents": DEPONENTS}
    m = t.state["litigation"]["p1"]["motions"][0]
    assert (m["sealed"], m["summary"], m["deponents"], m["status"]) == (True, None, [], "pending")
    public = c.FilePublicVersion(t.id, protest_id="p1", motion_id="m1", summary="Bias (redacted).",
                                 deponents=DEPONENTS)
    assert refused(t, public, BUYER, now).code == "forbidden-role"
    t.do(public, ACME, now + timedelta(days=24))
    m = t.state["litigation"]["p1"]["motions"][0]
    assert m["deponents"] == DEPONENTS and m["public_version"] and m["summary"] == "Bias (redacted)."
    assert refused(t, public, ACME, now + timedelta(days=25)).code == "wrong-status"


def test_deponents_are_named_with_their_office_and_only_for_discovery():
    with pytest.raises(InvalidCommand, match="deponents are named only"):
        c.FileMotion("T-1", protest_id="p1", motion_id="m", relief=["dismiss"], summary="x", deponents=DEPONENTS)
    with pytest.raises(InvalidCommand, match=r"deponents\[0\]"):
        c.FileMotion("T-1", protest_id="p1", motion_id="m", relief=["discovery"], summary="x",
                     deponents=[{"name": "Someone"}])
    with pytest.raises(InvalidCommand, match="relief"):
        c.FileMotion("T-1", protest_id="p1", motion_id="m", relief=["dismiss", "dismiss"], summary="x")


def test_opposition_by_another_party_then_the_movants_reply():
    t, now = case()
    t.do(motion(t), BUYER, now)
    reply = c.FileBrief(t.id, protest_id="p1", motion_id="m1", kind="reply", summary="Still no standing.")
    opp = c.FileBrief(t.id, protest_id="p1", motion_id="m1", kind="opposition", summary="Standing is clear.")
    assert refused(t, reply, BUYER, now).code == "wrong-status"  # nothing to reply to yet
    assert refused(t, opp, BUYER, now).code == "forbidden-role"  # the movant does not oppose itself
    t.do(opp, ACME, now)
    assert refused(t, reply, ACME, now).code == "forbidden-role"  # only the movant replies
    t.do(reply, BUYER, now)
    assert [b["kind"] for b in t.state["litigation"]["p1"]["motions"][0]["briefs"]] == ["opposition", "reply"]


def test_only_the_forum_rules_once_and_a_linked_order_must_exist():
    t, now = case()
    t.do(motion(t, relief=["injunction"], summary="Irreparable harm."), ACME, now)
    grant = c.RuleOnMotion(t.id, protest_id="p1", motion_id="m1", outcome="granted", text="Granted.",
                           order="preliminary_injunction")
    assert refused(t, grant, BUYER, now).code == "forbidden-role"
    assert refused(t, grant, REVIEWER, now).code == "not-found"  # no injunction entered yet
    t.do(c.CourtOrder(t.id, protest_id="p1", order="preliminary_injunction", text="Enjoined."), REVIEWER, now)
    t.do(grant, REVIEWER, now)
    m = t.state["litigation"]["p1"]["motions"][0]
    assert m["status"] == "granted" and m["ruling"]["order"] == "preliminary_injunction"
    assert refused(t, grant, REVIEWER, now).code == "wrong-status"


def test_pending_motions_become_moot_when_the_case_ends_and_ruled_ones_keep_their_ruling():
    t, now = case()
    t.do(motion(t, "m1"), BUYER, now)
    t.do(motion(t, "m2", relief=["discovery"], summary="Depose.", deponents=DEPONENTS), ACME, now)
    t.do(c.RuleOnMotion(t.id, protest_id="p1", motion_id="m1", outcome="denied", text="Denied."), REVIEWER, now)
    t.do(c.DecideProtest(t.id, protest_id="p1", outcome="dismissed", reasoning="Moot."), REVIEWER, now)
    m1, m2 = t.state["litigation"]["p1"]["motions"]
    assert (m1["status"], m2["status"]) == ("denied", "moot")
    assert "dismissed" in m2["ruling"]["text"]
    assert refused(t, motion(t, "m3"), BUYER, now).code == "case-closed"


# --- the administrative record ------------------------------------------------------------------

def entries(t: Tender, seqs) -> list[dict]:
    return [{"seq": s, "index": 100 + s, "leaf_hash": HASH} for s in seqs]


def record(t: Tender, fid: str, seqs, kind: str = "initial", **kw) -> c.FileAdministrativeRecord:
    return c.FileAdministrativeRecord(t.id, protest_id="p1", filing_id=fid, description="The record.",
                                      manifest=entries(t, seqs), kind=kind, **kw)


def test_the_record_lists_only_logged_events_in_the_logs_order():
    t, now = case()
    n = t.state["events"]
    assert refused(t, record(t, "ar", [1, n + 1]), BUYER, now).code == "not-in-log"
    assert refused(t, record(t, "ar", [3, 2]), BUYER, now).code == "bad-manifest"
    assert refused(t, record(t, "ar", [2, 2]), BUYER, now).code == "bad-manifest"
    assert refused(t, record(t, "sup", [1], kind="supplement"), BUYER, now).code == "wrong-status"
    assert refused(t, record(t, "ar", [1]), ACME, now).code == "forbidden-role"  # the agency files it
    [e] = t.do(record(t, "ar", range(1, n + 1)), BUYER, now)
    assert [m["seq"] for m in e["payload"]["manifest"]] == list(range(1, n + 1))
    assert t.state["litigation"]["p1"]["records"][0]["seqs"] == list(range(1, n + 1))
    assert refused(t, record(t, "ar", [1]), BUYER, now).code == "exists"


def test_a_supplement_on_a_motion_needs_that_motion_granted():
    t, now = case()
    t.do(record(t, "ar", [1, 2]), BUYER, now)
    t.do(motion(t, "sup", relief=["supplement_record"], summary="Add the emails."), ACME, now)
    assert refused(t, record(t, "ar-2", [3], kind="supplement", motion_id="sup"), BUYER, now).code == "wrong-status"
    t.do(c.RuleOnMotion(t.id, protest_id="p1", motion_id="sup", outcome="granted-in-part", text="In part."),
         REVIEWER, now)
    t.do(record(t, "ar-2", [3], kind="supplement", motion_id="sup"), BUYER, now)


def test_gao_takes_no_administrative_record():
    t, now = case("gao")
    assert refused(t, record(t, "ar", [1]), BUYER, now).code == "wrong-forum"


def test_a_manifest_is_checked_when_made():
    with pytest.raises(InvalidCommand, match="1 to 400"):
        c.FileAdministrativeRecord("T-1", protest_id="p1", filing_id="ar", description="x", manifest=[])
    with pytest.raises(InvalidCommand, match="leaf_hash"):
        c.FileAdministrativeRecord("T-1", protest_id="p1", filing_id="ar", description="x",
                                   manifest=[{"seq": 1, "index": 0, "leaf_hash": "AB" * 32}])
    with pytest.raises(InvalidCommand, match="seq"):
        c.FileAdministrativeRecord("T-1", protest_id="p1", filing_id="ar", description="x",
                                   manifest=[{"seq": True, "index": 0, "leaf_hash": HASH}])


# --- protective orders and admitted counsel -------------------------------------------------------

def test_each_motion_order_and_application_is_filed_once_and_a_ruled_motion_takes_no_brief():
    t, now = case()
    t.do(motion(t), BUYER, now)
    assert refused(t, motion(t), ACME, now).code == "exists"
    t.do(c.RuleOnMotion(t.id, protest_id="p1", motion_id="m1", outcome="denied", text="Denied."), REVIEWER, now)
    brief = c.FileBrief(t.id, protest_id="p1", motion_id="m1", kind="opposition", summary="Too late.")
    assert refused(t, brief, ACME, now).code == "wrong-status"
    order = c.IssueProtectiveOrder(t.id, protest_id="p1", order_id="po-1", text="PO.")
    t.do(order, REVIEWER, now)
    assert refused(t, order, REVIEWER, now).code == "exists"
    admit = c.DecideAccess(t.id, protest_id="p1", order_id="po-1", counsel=COUNSEL.id, decision="admitted")
    assert refused(t, admit, REVIEWER, now).code == "wrong-status"  # nobody applied
    apply = c.ApplyForAccess(t.id, protest_id="p1", order_id="po-1", party="acme", not_competitive_decision_maker=True)
    t.do(apply, COUNSEL, now)
    assert refused(t, apply, COUNSEL, now).code == "exists"
    revoke = c.DecideAccess(t.id, protest_id="p1", order_id="po-1", counsel=COUNSEL.id, decision="revoked")
    assert refused(t, revoke, REVIEWER, now).code == "wrong-status"  # applied, not admitted


def test_before_award_an_offeror_in_the_competition_intervenes_as_of_right():
    t, now = case(stage=3)  # opened, not awarded: acme (b3) and beta (b2)
    [e] = t.do(c.Intervene(t.id, protest_id="p1"), BETA, now)
    assert "substantial prospect of award" in e["payload"]["basis"] and "RCFC 24(a)(2)" in e["payload"]["basis"]


def read(t: Tender) -> c.ReadConfidential:
    return c.ReadConfidential(t.id, item="b2", purpose="Protest p1: the awardee's technical proposal.")


def test_counsel_reads_protected_material_only_while_admitted_and_every_read_is_logged():
    t, now = case()
    [e] = t.do(read(t), COUNSEL, now)  # no order yet: refused, and the attempt is on the record
    assert e["type"] == EventType.COMMAND_REFUSED and e["payload"]["code"] == "not-admitted"
    assert "RCFC App. C" in e["payload"]["reason"]
    t.do(c.IssueProtectiveOrder(t.id, protest_id="p1", order_id="po-1", text="Protective order."), REVIEWER, now)
    apply = c.ApplyForAccess(t.id, protest_id="p1", order_id="po-1", party="acme", not_competitive_decision_maker=True)
    in_house = c.ApplyForAccess(t.id, protest_id="p1", order_id="po-1", party="acme",
                                not_competitive_decision_maker=False)
    assert refused(t, in_house, COUNSEL, now).code == "not-eligible"
    assert refused(t, c.ApplyForAccess(t.id, protest_id="p1", order_id="po-1", party="gamma",
                                       not_competitive_decision_maker=True), COUNSEL, now).code == "not-a-party"
    t.do(apply, COUNSEL, now)
    assert t.do(read(t), COUNSEL, now)[0]["type"] == EventType.COMMAND_REFUSED  # applied is not admitted
    admit = c.DecideAccess(t.id, protest_id="p1", order_id="po-1", counsel=COUNSEL.id, decision="admitted")
    assert refused(t, admit, BUYER, now).code == "forbidden-role"
    t.do(admit, REVIEWER, now)
    accesses = t.state["accesses"]
    [e] = t.do(read(t), COUNSEL, now)
    assert e["type"] == EventType.CONFIDENTIAL_ACCESSED
    assert (e["payload"]["protest"], e["payload"]["protective_order"]) == ("p1", "po-1")
    assert t.state["accesses"] == accesses + 1
    t.do(c.DecideAccess(t.id, protest_id="p1", order_id="po-1", counsel=COUNSEL.id, decision="revoked",
                        reason="Breach."), REVIEWER, now)
    assert t.do(read(t), COUNSEL, now)[0]["type"] == EventType.COMMAND_REFUSED


def test_admission_ends_with_the_case():
    t, now = case()
    t.do(c.IssueProtectiveOrder(t.id, protest_id="p1", order_id="po-1", text="PO."), REVIEWER, now)
    t.do(c.ApplyForAccess(t.id, protest_id="p1", order_id="po-1", party="acme", not_competitive_decision_maker=True),
         COUNSEL, now)
    t.do(c.DecideAccess(t.id, protest_id="p1", order_id="po-1", counsel=COUNSEL.id, decision="admitted"), REVIEWER, now)
    assert t.do(read(t), COUNSEL, now)[0]["type"] == EventType.CONFIDENTIAL_ACCESSED
    t.do(c.DecideProtest(t.id, protest_id="p1", outcome="denied", reasoning="No prejudice."), REVIEWER, now)
    assert t.do(read(t), COUNSEL, now)[0]["payload"]["code"] == "not-admitted"
    # An appeal reopens the litigation, and the order protects the record on appeal again.
    t.do(c.FileAppeal(t.id, protest_id="p1", appeal_id="a1", court="cafc", summary="Appeal."), ACME, now)
    assert t.do(read(t), COUNSEL, now)[0]["type"] == EventType.CONFIDENTIAL_ACCESSED


def test_counsel_decides_nothing_and_is_no_party():
    t, now = case()
    assert refused(t, motion(t), COUNSEL, now).code == "not-a-party"
    assert refused(t, c.DocketProtest(t.id, protest_id="p1"), COUNSEL, now).code == "forbidden-role"
