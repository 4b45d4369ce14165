"""Litigation of a protest at the Court of Federal Claims or GAO: parties and intervenors, the
administrative record with its manifest, motions with their briefs and rulings, protective orders
and the counsel admitted under them (appeals, hearings and costs: appeals.py).

A case is the protest itself (domain/protests.py files and decides it); this module records what
happens inside it. Only parties move and brief: the protester, the agency (a buyer on the panel)
and intervenors (RCFC 7(b), 24; 4 CFR 21.0(b)); only the forum rules, orders and admits.
"""

from __future__ import annotations

from datetime import datetime

from . import commands as c
from .cases import Case, Motion, ProtectiveOrder, empty_case
from .courtdays import reconsideration_due
from .errors import Refused
from .events import EventType
from .guards import require_panel, require_role
from .model import BIDDER, BUYER, COUNSEL, REVIEWER, Actor, Event, iso
from .tender import JSONObject, Protest, TenderState

#: Forums with litigation: the Court of Federal Claims and GAO (an agency-level protest or an EU
#: review body has its own procedure, not modelled here).
FORUMS = ("cofc", "gao")
#: What GAO entertains besides the protest itself: a request to dismiss (4 CFR 21.3(b)) and one
#: for reconsideration (21.14). Injunctions, discovery, remands and the record are the court's.
GAO_RELIEF = ("dismiss", "reconsideration")
AGENCY = "agency"


def case_of(state: TenderState, protest_id: str) -> tuple[Protest, Case]:
    """The protest and its litigation record (an empty one if nothing was filed in it yet)."""
    p = state["protests"].get(protest_id)
    if p is None:
        raise Refused("not-found", f"no protest {protest_id} on tender {state['id']}")
    if p["forum"] not in FORUMS:
        raise Refused("wrong-forum", f"protest {protest_id} is an {p['forum']} protest: litigation is before the "
                      "Court of Federal Claims (28 U.S.C. 1491(b)) or GAO (4 CFR part 21)")
    case = state["litigation"].get(protest_id) or empty_case(protest_id)
    return p, case


def _pending(p: Protest) -> None:
    if p["outcome"] is not None:
        raise Refused("case-closed", f"protest {p['id']} was {p['outcome']} on {p['decided']}")


def party_of(state: TenderState, p: Protest, case: Case, actor: Actor) -> str:
    """The actor's side in the case: protester, agency or intervenor; refused for anyone else."""
    if actor.role == BIDDER and actor.id == p["protester"]:
        return "protester"
    if actor.role == BIDDER and any(i["id"] == actor.id for i in case["intervenors"]):
        return "intervenor"
    if actor.role == BUYER:
        require_panel(state, actor, BUYER)
        return AGENCY
    raise Refused("not-a-party", f"{actor.id} is not a party to protest {p['id']}: only the protester, the agency "
                  "and intervenors file in a case (RCFC 7(b), 24; 4 CFR 21.0(b))")


def intervene(state: TenderState, cmd: c.Intervene, actor: Actor, now: datetime) -> list[Event]:
    """4 CFR 21.0(b)(1): an intervenor is the awardee once an award is made, before it an offeror with
    a substantial prospect of award; the court admits the same interest as of right (RCFC 24(a)(2))."""
    require_role(actor, BIDDER)
    p, case = case_of(state, cmd.protest_id)
    _pending(p)
    if actor.id == p["protester"]:
        raise Refused("exists", f"{actor.id} is the protester in {p['id']}")
    if any(i["id"] == actor.id for i in case["intervenors"]):
        raise Refused("exists", f"{actor.id} already intervened in {p['id']}")
    cite = "4 CFR 21.0(b)(1)" if p["forum"] == "gao" else "RCFC 24(a)(2)"
    if state["awards"]:
        if state["awards"][-1]["supplier"]["id"] != actor.id:
            raise Refused("not-interested", f"after award only the awardee intervenes as of right ({cite}); "
                          f"{actor.id} is not the awardee")
        basis = f"the awardee ({cite})"
    else:
        cr = state["competitive_range"]
        excluded = cr["excluded"] if cr else []
        bids = [b for b in state["bids"].values()
                if b.get("bidder") == actor.id and b["status"] == "opened" and b["id"] not in excluded]
        if not bids:
            raise Refused("not-interested", f"before award an intervenor is an offeror with a substantial prospect "
                          f"of award ({cite}); {actor.id} has no opened bid in the competition")
        basis = f"an offeror with a substantial prospect of award ({cite})"
    return [Event(EventType.LITIGATION_INTERVENED, {"protest": p["id"], "intervenor": actor.id, "basis": basis})]


def file_record(state: TenderState, cmd: c.FileAdministrativeRecord, actor: Actor, now: datetime) -> list[Event]:
    """The agency files the administrative record (RCFC App. C ¶22): each manifest entry must be an
    event already on the tender's log, in the log's order, so the record is a subset of the log
    (the record verifier proves each entry's leaf hash and index)."""
    require_panel(state, actor, BUYER)
    p, case = case_of(state, cmd.protest_id)
    if p["forum"] != "cofc":
        raise Refused("wrong-forum", "an administrative record is filed with the Court of Federal Claims "
                      "(RCFC App. C ¶22); at GAO the agency report carries the documents (4 CFR 21.3(d))")
    _pending(p)
    if any(r["id"] == cmd.filing_id for r in case["records"]):
        raise Refused("exists", f"record filing {cmd.filing_id} already exists in {p['id']}")
    if cmd.kind != "initial" and not case["records"]:
        raise Refused("wrong-status", f"a {cmd.kind} filing needs the initial administrative record first")
    if cmd.motion_id:
        m = _motion(case, cmd.motion_id)
        if "supplement_record" not in m["relief"] or m["status"] not in ("granted", "granted-in-part"):
            raise Refused("wrong-status", f"motion {m['id']} is not a granted motion to supplement the record")
    prev_seq, prev_index = 0, -1
    for i, entry in enumerate(cmd.manifest):
        seq, index = entry["seq"], entry["index"]
        if not 1 <= seq <= state["events"]:
            raise Refused("not-in-log", f"manifest[{i}] names event {seq}: tender {state['id']} has events 1 to "
                          f"{state['events']}; the record holds only what the log holds")
        if seq <= prev_seq or index <= prev_index:
            raise Refused("bad-manifest", f"manifest[{i}]: entries must follow the log's order (seq and ledger "
                          "index increasing), each once")
        prev_seq, prev_index = seq, index
    payload = {"protest": p["id"], "id": cmd.filing_id, "kind": cmd.kind, "description": cmd.description,
               "manifest": [dict(e) for e in cmd.manifest], "motion": cmd.motion_id or None}
    return [Event(EventType.LITIGATION_RECORD_FILED, payload)]


def _motion(case: Case, motion_id: str) -> Motion:
    for m in case["motions"]:
        if m["id"] == motion_id:
            return m
    raise Refused("not-found", f"no motion {motion_id} in protest {case['protest']}")


def file_motion(state: TenderState, cmd: c.FileMotion, actor: Actor, now: datetime) -> list[Event]:
    p, case = case_of(state, cmd.protest_id)
    party = party_of(state, p, case, actor)
    if any(m["id"] == cmd.motion_id for m in case["motions"]):
        raise Refused("exists", f"motion {cmd.motion_id} already exists in {p['id']}")
    if p["forum"] == "gao":
        other = [r for r in cmd.relief if r not in GAO_RELIEF]
        if other:
            raise Refused("wrong-forum", f"GAO decides no {', '.join(other)}: a protest there asks for dismissal or "
                          "reconsideration (4 CFR 21.3(b), 21.14); the stay is CICA's (31 U.S.C. 3553)")
    if "reconsideration" in cmd.relief:
        if p["outcome"] is None:
            raise Refused("wrong-status", f"protest {p['id']} is not decided yet: nothing to reconsider")
        due, rule = reconsideration_due(p, cmd.basis_known)
        if now > due:
            raise Refused("late-reconsideration", f"too late: {rule}, which ran until {iso(due)}", logged=True)
    else:
        _pending(p)
    public: JSONObject = {"protest": p["id"], "id": cmd.motion_id, "relief": list(cmd.relief), "movant": actor.id,
                          "party": party, "sealed": cmd.under_seal}
    content = {"summary": cmd.summary, "deponents": [dict(d) for d in cmd.deponents]}
    if cmd.under_seal:  # on the public docket: that a sealed motion was filed, by whom, for what relief
        return [Event(EventType.LITIGATION_MOTION_FILED, public, confidential=content)]
    return [Event(EventType.LITIGATION_MOTION_FILED, public | content)]


def public_version(state: TenderState, cmd: c.FilePublicVersion, actor: Actor, now: datetime) -> list[Event]:
    p, case = case_of(state, cmd.protest_id)
    m = _motion(case, cmd.motion_id)
    if actor.id != m["movant"]:
        raise Refused("forbidden-role", f"only the movant ({m['movant']}) files the public version of motion {m['id']}")
    if not m["sealed"] or m["public_version"]:
        raise Refused("wrong-status", f"motion {m['id']} was filed in public or already has its public version")
    return [Event(EventType.LITIGATION_PUBLIC_VERSION, {"protest": p["id"], "motion": m["id"], "summary": cmd.summary,
                                                        "deponents": [dict(d) for d in cmd.deponents]})]


def file_brief(state: TenderState, cmd: c.FileBrief, actor: Actor, now: datetime) -> list[Event]:
    """RCFC 7.2: a response to a motion by another party, then the movant's reply."""
    p, case = case_of(state, cmd.protest_id)
    party_of(state, p, case, actor)
    m = _motion(case, cmd.motion_id)
    if m["status"] != "pending":
        raise Refused("wrong-status", f"motion {m['id']} is {m['status']}: there is nothing left to brief")
    if cmd.kind == "opposition" and actor.id == m["movant"]:
        raise Refused("forbidden-role", "the movant does not oppose its own motion")
    if cmd.kind == "reply":
        if actor.id != m["movant"]:
            raise Refused("forbidden-role", f"only the movant ({m['movant']}) replies (RCFC 7.2(c))")
        if not any(b["kind"] == "opposition" for b in m["briefs"]):
            raise Refused("wrong-status", f"a reply answers an opposition; motion {m['id']} has none")
    return [Event(EventType.LITIGATION_BRIEF_FILED, {"protest": p["id"], "motion": m["id"], "kind": cmd.kind,
                                                     "summary": cmd.summary})]


def rule_on_motion(state: TenderState, cmd: c.RuleOnMotion, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, REVIEWER)
    p, case = case_of(state, cmd.protest_id)
    m = _motion(case, cmd.motion_id)
    if m["status"] != "pending":
        raise Refused("wrong-status", f"motion {m['id']} was already ruled on: {m['status']}")
    if cmd.order and not any(o["order"] == cmd.order for o in p["orders"]):
        raise Refused("not-found", f"protest {p['id']} has no {cmd.order} order to carry out the ruling")
    return [Event(EventType.LITIGATION_MOTION_RULED, {"protest": p["id"], "motion": m["id"], "outcome": cmd.outcome,
                                                      "text": cmd.text, "order": cmd.order or None})]


def _order(case: Case, order_id: str) -> ProtectiveOrder:
    for o in case["protective_orders"]:
        if o["id"] == order_id:
            return o
    raise Refused("not-found", f"no protective order {order_id} in protest {case['protest']}")


def protective_order(state: TenderState, cmd: c.IssueProtectiveOrder, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, REVIEWER)
    p, case = case_of(state, cmd.protest_id)
    _pending(p)
    if any(o["id"] == cmd.order_id for o in case["protective_orders"]):
        raise Refused("exists", f"protective order {cmd.order_id} already exists in {p['id']}")
    basis = "4 CFR 21.4(a)" if p["forum"] == "gao" else "RCFC App. C §VI"
    return [Event(EventType.LITIGATION_PROTECTIVE_ORDER, {"protest": p["id"], "id": cmd.order_id, "text": cmd.text,
                                                          "basis": basis})]


def apply_for_access(state: TenderState, cmd: c.ApplyForAccess, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, COUNSEL)
    p, case = case_of(state, cmd.protest_id)
    _pending(p)
    order = _order(case, cmd.order_id)
    parties = {p["protester"], AGENCY, *(i["id"] for i in case["intervenors"])}
    if cmd.party not in parties:
        raise Refused("not-a-party", f"{cmd.party} is not a party to protest {p['id']} ({', '.join(sorted(parties))})")
    if not cmd.not_competitive_decision_maker:
        raise Refused("not-eligible", "counsel involved in a party's competitive decision-making is not admitted "
                      "under a protective order (U.S. Steel Corp. v. United States, 730 F.2d 1465 (Fed. Cir. 1984); "
                      "4 CFR 21.4(c))")
    if any(x["counsel"] == actor.id and x["status"] in ("applied", "admitted") for x in order["counsel"]):
        raise Refused("exists", f"{actor.id} already applied under protective order {order['id']}")
    return [Event(EventType.LITIGATION_ACCESS_APPLIED, {"protest": p["id"], "order": order["id"], "counsel": actor.id,
                                                        "party": cmd.party})]


def decide_access(state: TenderState, cmd: c.DecideAccess, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, REVIEWER)
    p, case = case_of(state, cmd.protest_id)
    order = _order(case, cmd.order_id)
    current = [x for x in order["counsel"] if x["counsel"] == cmd.counsel]
    status = current[-1]["status"] if current else None
    needs = "admitted" if cmd.decision == "revoked" else "applied"
    if status != needs:
        raise Refused("wrong-status", f"{cmd.counsel} is {status or 'not an applicant'} under protective order "
                      f"{order['id']}; {cmd.decision} needs {needs}")
    return [Event(EventType.LITIGATION_ACCESS_DECIDED, {"protest": p["id"], "order": order["id"],
                                                        "counsel": cmd.counsel, "decision": cmd.decision,
                                                        "reason": cmd.reason or None})]


def admitted_under(state: TenderState, counsel: str) -> tuple[str, str] | None:
    """(protest, protective order) under which `counsel` is admitted in a case still open (pending,
    or with an appeal undecided), or None: protected material is returned or destroyed at the end
    of the litigation (RCFC App. C §VI; 4 CFR 21.4(b))."""
    for pid, case in state["litigation"].items():
        p = state["protests"][pid]
        open_ = p["outcome"] is None or any(a["outcome"] is None for a in case["appeals"])
        if not open_:
            continue
        for order in case["protective_orders"]:
            mine = [x for x in order["counsel"] if x["counsel"] == counsel]
            if mine and mine[-1]["status"] == "admitted":
                return pid, order["id"]
    return None


def counsel_admission(state: TenderState, actor: Actor) -> dict[str, str]:
    """Where counsel's read of protected material is allowed: refused, and the attempt logged,
    unless they are admitted under a protective order in force."""
    found = admitted_under(state, actor.id)
    if found is None:
        raise Refused("not-admitted", f"{actor.id} is admitted under no protective order in force on tender "
                      f"{state['id']}: protected material is disclosed only to admitted counsel (RCFC App. C §VI; "
                      "4 CFR 21.4(b))", logged=True)
    return {"protest": found[0], "protective_order": found[1]}
