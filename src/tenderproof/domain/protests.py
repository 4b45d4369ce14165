"""Protests, stays and corrective action (DESIGN.md §5; facts and rules in jedi-facts.md).

Forums: GAO and agency-level protests (their rules in domain/gao.py: timeliness, the CICA stay,
the docket's dates, the HCA's override), the Court of Federal Claims (no automatic stay: TRO or
preliminary injunction orders, voluntary agency holds, remands; a judgment for the protester ends
in its remedy, 28 U.S.C. 1491(b)(2)), and an EU review body (domain/eu_remedies.py). A stay in
force is enforced where it bites: `blocking(state, action, now)` is what award, contract signature
and start of performance consult before they are allowed.
"""

from __future__ import annotations

from datetime import datetime

from . import commands as c
from . import eu_remedies, gao, task_orders
from .errors import Refused
from .events import EventType
from .guards import require_panel, require_role
from .lots import check_lot
from .model import (
    AWARDED,
    BIDDER,
    BUYER,
    CANCELLED,
    COMPLETE,
    ENDED,
    EVALUATION,
    HCA,
    REVIEWER,
    SYSTEM,
    Actor,
    Event,
    iso,
    parse_time,
)
from .tender import JSONObject, Protest, Stay, TenderState

BLOCKS = {"award": "no award", "contract": "no contract signature", "performance": "no start of performance"}


def blocking(state: TenderState, action: str, now: datetime, lot: str | None = None) -> list[Stay]:
    """The stays in force at `now` that forbid `action` (award, contract or performance), of the
    tender or of `lot`: a stay from a protest of one lot holds that lot only."""
    out = []
    for st in state["stays"].values():
        if st["status"] != "in-force" or action not in st["blocks"]:
            continue
        protest = state["protests"].get(st["protest"]) if st["protest"] else None
        if lot is not None and protest is not None and protest.get("lot") not in (None, lot):
            continue
        if st["until"] and now >= parse_time(st["until"]):
            continue
        # An injunction against one award (the one set aside) does not bind a later award.
        if st.get("award") and (not state["awards"] or state["awards"][-1]["id"] != st["award"]):
            continue
        out.append(st)
    return out


def refuse_if_stayed(state: TenderState, action: str, now: datetime, lot: str | None = None) -> None:
    stays = blocking(state, action, now, lot)
    if stays:
        st = stays[0]
        until = f" until {st['until']}" if st["until"] else ""
        raise Refused("stayed", f"{BLOCKS[action]} while {st['kind']} {st['id']} is in force{until} "
                      f"({st['basis']})", logged=True)


def _protest(state: TenderState, pid: str) -> Protest:
    p = state["protests"].get(pid)
    if p is None:
        raise Refused("not-found", f"no protest {pid} on tender {state['id']}")
    return p


def _open_protest(state: TenderState, pid: str) -> Protest:
    p = _protest(state, pid)
    if p["outcome"] is not None:
        raise Refused("protest-closed", f"protest {pid} was already {p['outcome']}")
    return p


def file_protest(state: TenderState, cmd: c.FileProtest, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, BIDDER)
    if state["status"] in ("draft",):
        raise Refused("wrong-status", "nothing to protest before the solicitation is published")
    if cmd.protest_id in state["protests"]:
        raise Refused("exists", f"protest {cmd.protest_id} already exists")
    if cmd.basis_known is not None and cmd.basis_known > now:
        raise Refused("bad-basis-date", f"the basis cannot have been known at {iso(cmd.basis_known)}, after the "
                      f"filing at {iso(now)}")
    if cmd.forum == "eu-review":
        eu_remedies.require_interested(state, actor)
    else:
        gao.require_interested_party(state, actor)
    task_orders.refuse_if_order_bar(state, cmd, now)
    lot = check_lot(state, cmd.lot, "a protest") if cmd.lot is not None else None  # none: the whole tender
    due, why, strict = _filing_deadline(state, cmd, actor, now)
    # "Before the closing time" is strict; "within 10 days" includes the last moment of the period.
    timely = due is None or (now < due if strict else now <= due)
    payload = {"id": cmd.protest_id, "forum": cmd.forum, "protester": actor.id, "grounds": cmd.grounds,
               "kind": "post-award" if state["awards"] else "pre-award", "timely": timely,
               "due": iso(due) if due else None, "timeliness_rule": why, "express": cmd.express}
    if lot is not None:
        payload["lot"] = lot
    return [Event(EventType.PROTEST_FILED, payload)]


def _filing_deadline(state: TenderState, cmd: c.FileProtest, actor: Actor,
                     now: datetime) -> tuple[datetime | None, str, bool]:
    """When the protest had to be filed, the rule that says so, and whether strictly before."""
    if cmd.forum == "cofc":
        # No statutory deadline at the Court of Federal Claims; Blue & Gold Fleet (Fed. Cir. 2007):
        # a challenge to the solicitation's terms must come before the award.
        if cmd.solicitation_terms and state["awards"]:
            return (parse_time(state["awards"][0]["date"]),
                    "terms must be challenged before the award (Blue & Gold Fleet, 492 F.3d 1308)", True)
        return None, "no statutory filing deadline at the Court of Federal Claims", False
    if cmd.forum == "eu-review":
        due, why = eu_remedies.review_deadline(state, cmd)
        return due, why, False
    return gao.filing_deadline(state, cmd, actor, now)


def docket(state: TenderState, cmd: c.DocketProtest, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, REVIEWER)
    p = _open_protest(state, cmd.protest_id)
    if p["docketed"]:
        raise Refused("exists", f"protest {cmd.protest_id} is already docketed")
    payload: JSONObject = {"protest": p["id"], "notice": iso(now)}
    stay: JSONObject | None = None
    if p["forum"] == "gao":
        payload |= gao.docket_dates(p, now)
        stay = gao.cica_stay(state, p, now)
    elif p["forum"] == "agency":
        stay = gao.cica_stay(state, p, now)
        if stay:  # FAR 33.103(f)(1), (3): the same windows as a GAO protest
            stay = dict(stay, kind="agency-protest stay", basis=stay["basis"].replace(
                "31 U.S.C. 3553", "FAR 33.103(f), after 31 U.S.C. 3553"))
    elif p["forum"] == "eu-review":
        stay = eu_remedies.suspension(state, p)
    if stay:
        payload["stay"] = stay
    return [Event(EventType.PROTEST_DOCKETED, payload)]


def request_debriefing(state: TenderState, cmd: c.RequestDebriefing, actor: Actor, now: datetime) -> list[Event]:
    """An unsuccessful offeror's written request for a debriefing, timely (required) or not."""
    require_role(actor, BIDDER)
    return [Event(EventType.DEBRIEFING_REQUESTED, gao.request_debriefing(state, cmd, actor, now))]


def agency_report(state: TenderState, cmd: c.FileAgencyReport, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    p = _open_protest(state, cmd.protest_id)
    if not p["docketed"] or p["forum"] != "gao":
        raise Refused("wrong-status", f"protest {p['id']} awaits no agency report")
    return [Event(EventType.PROTEST_AGENCY_REPORT,
                  {"protest": p["id"], "summary": cmd.summary, "comments_due": iso(gao.comments_due(p, now))})]


def comments(state: TenderState, cmd: c.FileComments, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, BIDDER)
    p = _protest(state, cmd.protest_id)
    if p["protester"] != actor.id:
        raise Refused("forbidden-role", "only the protester files comments on the agency report")
    comments_due = p["comments_due"]
    if not comments_due:
        raise Refused("wrong-status", "there is no agency report to comment on yet")
    if now > parse_time(comments_due):  # even once the worker has dismissed the protest
        raise Refused("late-comments", f"comments were due by {comments_due}, 5:30 p.m. Eastern of the last day "
                      "(4 CFR 21.3(i), 21.0(g))", logged=True)
    _open_protest(state, cmd.protest_id)
    return [Event(EventType.PROTEST_COMMENTS, {"protest": p["id"], "summary": cmd.summary})]


def decide_protest(state: TenderState, cmd: c.DecideProtest, actor: Actor, now: datetime) -> list[Event]:
    p = _open_protest(state, cmd.protest_id)
    if cmd.outcome == "withdrawn":
        if actor.id != p["protester"]:
            raise Refused("forbidden-role", "only the protester withdraws a protest")
    else:
        require_role(actor, REVIEWER, SYSTEM)
    if cmd.outcome == "sustained" and not cmd.recommended_action.strip():
        raise Refused("reason-needed", "a sustained protest recommends corrective action")
    payload: JSONObject = {"protest": p["id"], "outcome": cmd.outcome, "reasoning": cmd.reasoning,
                           "recommended_action": cmd.recommended_action or None}
    if cmd.outcome == "sustained" and p["forum"] == "cofc":
        payload["remedy"] = _court_remedy(state, p, cmd)
    if cmd.remedy:
        payload["remedy"] = eu_remedies.remedy(state, p, cmd)
    return [Event(EventType.PROTEST_DECIDED, payload)]


def _court_remedy(state: TenderState, p: Protest, cmd: c.DecideProtest) -> JSONObject:
    """A judgment for the protester at the Court of Federal Claims ends in its relief, "including
    declaratory and injunctive relief" (28 U.S.C. 1491(b)(2)): the award set aside and a permanent
    injunction against proceeding with it (or, before award, against awarding until the agency
    takes corrective action). Its preliminary orders merge into it; nothing is lifted."""
    award = state["awards"][-1]["id"] if state["awards"] else None
    stay = {"id": f"permanent-injunction-{p['id']}", "kind": "permanent injunction",
            "blocks": ["contract", "performance"] if award else ["award"], "award": award,
            "basis": f"judgment of the Court of Federal Claims for the protester ({cmd.recommended_action}; "
                     "28 U.S.C. 1491(b)(2))"}
    return {"set_aside": award, "stay": stay}


def dismiss_for_missing_comments(state: TenderState, protest_id: str, now: datetime) -> list[Event]:
    """What the deadline worker does when a protester's comments are overdue (4 CFR 21.3(i))."""
    p = _open_protest(state, protest_id)
    if p["comments_due"] is None:
        raise Refused("wrong-status", f"protest {protest_id} has no agency report: no comments are due")
    due = parse_time(p["comments_due"])
    if now <= due:
        raise Refused("too-early", f"comments are due by {p['comments_due']}")
    if p["comments"]:
        raise Refused("wrong-status", "comments were filed")
    return [Event(EventType.PROTEST_DECIDED,
                  {"protest": p["id"], "outcome": "dismissed", "recommended_action": None,
                   "reasoning": "no comments on the agency report within 10 days (4 CFR 21.3(i))"},
                  at=due)]


def court_order(state: TenderState, cmd: c.CourtOrder, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, REVIEWER)
    # An injunction can be dissolved even after judgment; every other order needs a pending case.
    p = _protest(state, cmd.protest_id) if cmd.order == "dissolve_injunction" else _open_protest(state, cmd.protest_id)
    if p["forum"] != "cofc":
        raise Refused("wrong-forum", f"protest {p['id']} is before {p['forum']}, not the Court of Federal Claims")
    payload: JSONObject = {"protest": p["id"], "order": cmd.order, "text": cmd.text}
    if cmd.order in ("tro", "preliminary_injunction"):
        payload["stay"] = {"id": f"{cmd.order}-{p['id']}-{state['events'] + 1}", "kind": cmd.order.replace("_", " "),
                           "blocks": ["contract", "performance"], "until": iso(cmd.until) if cmd.until else None,
                           "basis": f"order of the Court of Federal Claims ({cmd.order.replace('_', ' ')})"}
    return [Event(EventType.COURT_ORDER, payload)]


def voluntary_hold(state: TenderState, cmd: c.VoluntaryHold, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    if cmd.until <= now:
        raise Refused("bad-period", "a hold must run until a time in the future")
    stay = {"id": f"hold-{state['events'] + 1}", "kind": "voluntary hold", "blocks": ["performance"],
            "until": iso(cmd.until), "basis": f"agency's voluntary hold: {cmd.reason}"}
    return [Event(EventType.STAY_VOLUNTARY_HOLD, {"protest": cmd.protest_id or None, "stay": stay})]


def override(state: TenderState, cmd: c.OverrideStay, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, HCA)
    st = state["stays"].get(cmd.stay_id)
    if st is None or st["status"] != "in-force":
        raise Refused("not-found", f"no stay {cmd.stay_id} in force on tender {state['id']}")
    if st["kind"] != "CICA stay":
        raise Refused("not-overridable", f"{st['kind']} {st['id']} is a court's or the agency's own; only a "
                      "CICA stay can be overridden by the head of the contracting activity")
    return [Event(EventType.STAY_OVERRIDDEN, gao.override(state, st, cmd))]


def corrective_action(state: TenderState, cmd: c.TakeCorrectiveAction, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    if state["status"] in (CANCELLED, "unsuccessful"):
        raise Refused("ended", f"tender {state['id']} is {state['status']}")
    bad = [n for n in cmd.revisits if not 1 <= n <= state["events"]]
    if bad:
        raise Refused("not-found", f"events {bad} are not events of tender {state['id']}")
    unknown = [f for f in cmd.factors if f not in {x["id"] for x in state["factors"]}]
    if unknown:
        raise Refused("unknown-factor", f"{unknown} are not evaluation factors of tender {state['id']}")
    payload = {"kind": cmd.kind, "rationale": cmd.rationale, "revisits": list(cmd.revisits),
               "factors": list(cmd.factors), "protest": cmd.protest_id or None}
    if cmd.kind in ("reevaluate", "new-decision", "revised-proposals") and state["status"] in (AWARDED, COMPLETE):
        payload["status"] = EVALUATION  # back to evaluation; the earlier award stays on the record
    return [Event(EventType.CORRECTIVE_ACTION_TAKEN, payload)]


def start_performance(state: TenderState, cmd: c.StartPerformance, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    if state["contract"] is None:
        raise Refused("no-contract", "there is no signed contract to perform")
    if state["status"] in ENDED and state["status"] != COMPLETE:
        raise Refused("ended", f"tender {state['id']} is {state['status']}")
    refuse_if_stayed(state, "performance", now)
    return [Event(EventType.PERFORMANCE_STARTED, {"contract": state["contract"]["id"], "scope": cmd.scope})]


def lapse(state: TenderState, cmd: c.LapseProtest, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, SYSTEM)
    return dismiss_for_missing_comments(state, cmd.protest_id, now)


def end_stay(state: TenderState, cmd: c.EndStay, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, SYSTEM)
    st = state["stays"].get(cmd.stay_id)
    if st is None or st["status"] != "in-force" or not st["until"]:
        raise Refused("not-found", f"no stay {cmd.stay_id} with an end date in force")
    end = parse_time(st["until"])
    if now < end:
        raise Refused("too-early", f"stay {cmd.stay_id} runs until {st['until']}")
    return [Event(EventType.STAY_ENDED, {"stay": st["id"], "reason": "its end date passed"}, at=end)]
