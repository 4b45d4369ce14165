"""Protests, stays and corrective action (DESIGN.md §5; facts and rules in jedi-facts.md).

Forums: GAO (timeliness, CICA stay, agency report, comments or dismissal, decision in 100 days,
HCA override only with a written finding), the Court of Federal Claims (no automatic stay: TRO or
preliminary injunction orders, voluntary agency holds, remands), an agency-level protest, and an
EU review body (an application suspends contract conclusion). A stay in force is enforced where it
bites: `blocking(state, action, now)` is what award, contract signature and start of performance
consult before they are allowed.
"""

from __future__ import annotations

from datetime import datetime

from . import commands as c
from .errors import Refused
from .events import EventType
from .guards import require_panel, require_role
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
from .rulesets import (
    CICA_AWARD_DAYS,
    CICA_DEBRIEFING_DAYS,
    GAO_COMMENTS_DAYS,
    GAO_DECISION_DAYS,
    GAO_EXPRESS_DAYS,
    GAO_FILING_DAYS,
    GAO_REPORT_DAYS,
    RuleSet,
    calendar_deadline,
    ruleset,
)
from .tender import JSONObject, Protest, Stay, TenderState

BLOCKS = {"award": "no award", "contract": "no contract signature", "performance": "no start of performance"}


def blocking(state: TenderState, action: str, now: datetime) -> list[Stay]:
    """The stays in force at `now` that forbid `action` (award, contract or performance)."""
    out = []
    for st in state["stays"].values():
        if st["status"] != "in-force" or action not in st["blocks"]:
            continue
        if st["until"] and now >= parse_time(st["until"]):
            continue
        out.append(st)
    return out


def refuse_if_stayed(state: TenderState, action: str, now: datetime) -> None:
    stays = blocking(state, action, now)
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
    awarded = bool(state["awards"])
    rules = ruleset(state["ruleset"])
    due, why = _filing_deadline(state, cmd, actor, now, rules)
    # "Before the closing time" is strict; "within 10 days" includes the whole tenth day.
    timely = due is None or (now < due if cmd.solicitation_terms else now <= due)
    payload = {"id": cmd.protest_id, "forum": cmd.forum, "protester": actor.id, "grounds": cmd.grounds,
               "kind": "post-award" if awarded else "pre-award", "timely": timely, "due": iso(due) if due else None,
               "timeliness_rule": why, "express": cmd.express}
    return [Event(EventType.PROTEST_FILED, payload)]


def _filing_deadline(state: TenderState, cmd: c.FileProtest, actor: Actor, now: datetime,
                     rules: RuleSet) -> tuple[datetime | None, str]:
    """When the protest had to be filed, and the rule that says so."""
    closing = parse_time(state["periods"]["tender_end"])
    if cmd.forum == "cofc":
        # No statutory deadline at the Court of Federal Claims; Blue & Gold Fleet (Fed. Cir. 2007):
        # a challenge to the solicitation's terms must come before the award.
        if cmd.solicitation_terms and state["awards"]:
            return parse_time(state["awards"][0]["date"]), "terms must be challenged before the award (Blue & Gold)"
        return None, "no statutory filing deadline at the Court of Federal Claims"
    # GAO (4 CFR 21.2), and agency protests alike (FAR 33.103(e)); the EU's minimum is also 10 days.
    if cmd.solicitation_terms:
        return closing, "a protest of the solicitation's terms is due before the closing time"
    debriefed = state["debriefings"].get(actor.id)
    if debriefed is not None:
        return (calendar_deadline(parse_time(debriefed["date"]), GAO_FILING_DAYS, rules),
                "due within 10 days after the debriefing")
    return (calendar_deadline(cmd.basis_known or now, GAO_FILING_DAYS, rules),
            "due within 10 days after the basis was known")


def docket(state: TenderState, cmd: c.DocketProtest, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, REVIEWER)
    p = _open_protest(state, cmd.protest_id)
    if p["docketed"]:
        raise Refused("exists", f"protest {cmd.protest_id} is already docketed")
    rules = ruleset(state["ruleset"])
    filed = parse_time(p["filed"])
    payload: JSONObject = {"protest": p["id"], "notice": iso(now)}
    events = []
    if p["forum"] == "gao":
        payload["report_due"] = iso(calendar_deadline(now, GAO_REPORT_DAYS, rules))
        days = GAO_EXPRESS_DAYS if p["express"] else GAO_DECISION_DAYS
        payload["decision_due"] = iso(calendar_deadline(filed, days, rules))
        stay = _cica_stay(state, p, now, rules)
        if stay:
            payload["stay"] = stay
    elif p["forum"] == "agency":
        stay = _cica_stay(state, p, now, rules)
        if stay:  # FAR 33.103(f): the same windows as a GAO protest
            payload["stay"] = dict(stay, kind="agency-protest stay", basis=stay["basis"].replace(
                "31 U.S.C. 3553", "FAR 33.103(f), after 31 U.S.C. 3553"))
    elif p["forum"] == "eu-review":
        payload["stay"] = {"id": f"stay-{p['id']}", "kind": "suspension", "blocks": ["contract", "performance"],
                           "basis": "Directive 2007/66/EC art. 2(3): a review application suspends contract conclusion"}
    events.append(Event(EventType.PROTEST_DOCKETED, payload))
    return events


def _cica_stay(state: TenderState, p: Protest, notice: datetime, rules: RuleSet) -> JSONObject | None:
    # What counts is when the agency gets notice, not when the protest was filed.
    if not state["awards"]:
        return {"id": f"stay-{p['id']}", "kind": "CICA stay", "blocks": ["award"],
                "basis": "31 U.S.C. 3553(c): no award while a protest noticed before award is pending"}
    award = parse_time(state["awards"][-1]["date"])
    window = calendar_deadline(award, CICA_AWARD_DAYS, rules)
    debriefed = state["debriefings"].get(p["protester"])
    if debriefed is not None:
        window = max(window, calendar_deadline(parse_time(debriefed["date"]), CICA_DEBRIEFING_DAYS, rules))
    if notice > window:
        return None  # noticed too late for an automatic stay: the protest goes on without one
    return {"id": f"stay-{p['id']}", "kind": "CICA stay", "blocks": ["contract", "performance"],
            "basis": "31 U.S.C. 3553(d): performance suspended, notice within 10 days after award / "
                     "5 days after debriefing"}


def agency_report(state: TenderState, cmd: c.FileAgencyReport, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    p = _open_protest(state, cmd.protest_id)
    if not p["docketed"] or p["forum"] != "gao":
        raise Refused("wrong-status", f"protest {p['id']} awaits no agency report")
    rules = ruleset(state["ruleset"])
    comments_due = iso(calendar_deadline(now, GAO_COMMENTS_DAYS, rules))
    return [Event(EventType.PROTEST_AGENCY_REPORT,
                  {"protest": p["id"], "summary": cmd.summary, "comments_due": comments_due})]


def comments(state: TenderState, cmd: c.FileComments, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, BIDDER)
    p = _protest(state, cmd.protest_id)
    if p["protester"] != actor.id:
        raise Refused("forbidden-role", "only the protester files comments on the agency report")
    comments_due = p["comments_due"]
    if not comments_due:
        raise Refused("wrong-status", "there is no agency report to comment on yet")
    if now > parse_time(comments_due):  # even once the worker has dismissed the protest
        raise Refused("late-comments", f"comments were due by {comments_due}", logged=True)
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
    return [Event(EventType.PROTEST_DECIDED, {"protest": p["id"], "outcome": cmd.outcome, "reasoning": cmd.reasoning,
                                              "recommended_action": cmd.recommended_action or None})]


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
    return [Event(EventType.STAY_OVERRIDDEN, {"stay": st["id"], "ground": cmd.ground, "finding": cmd.finding})]


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
