"""After the decision: appeals to the Federal Circuit and petitions for certiorari; at GAO,
hearings and the recommendation of costs with the protester's claim (periods: courtdays.py; days counted by
`calendar.eastern_deadline`).
A late notice, petition or claim is refused and the attempt logged, with its rule.
"""

from __future__ import annotations

from datetime import datetime

from . import commands as c
from .calendar import eastern_deadline, gao_deadline
from .cases import Appeal, Case
from .courtdays import APPEAL_DAYS, CERT_EXTENSION_DAYS, COST_CLAIM_DAYS, GAO_HEARING_COMMENTS_DAYS, cert_days
from .errors import Refused
from .events import EventType
from .guards import require_role
from .litigation import case_of, party_of
from .model import BIDDER, REVIEWER, Actor, Event, iso, parse_time
from .tender import Protest, TenderState


def _appeal(case: Case, appeal_id: str) -> Appeal:
    for a in case["appeals"]:
        if a["id"] == appeal_id:
            return a
    raise Refused("not-found", f"no appeal {appeal_id} in protest {case['protest']}")


def _due(p: Protest, case: Case, cmd: c.FileAppeal) -> tuple[datetime, str]:
    """When the notice of appeal or the petition is due, and the rule; refused if there is no
    judgment to appeal from."""
    if cmd.court == "cafc":
        if p["forum"] != "cofc":
            raise Refused("wrong-forum", "GAO's decisions are not appealed; a protester may sue in the Court of "
                          "Federal Claims (28 U.S.C. 1491(b))")
        if p["outcome"] in (None, "withdrawn") or p["decided"] is None:
            raise Refused("no-judgment", f"protest {p['id']} has no judgment to appeal from")
        return (eastern_deadline(parse_time(p["decided"]), APPEAL_DAYS),
                "a notice of appeal within 60 days after the judgment (28 U.S.C. 2107(b), 2522; "
                "Fed. R. App. P. 4(a)(1)(B))")
    decided = [a["decided"] for a in case["appeals"] if a["court"] == "cafc" and a["decided"]]
    if not decided:
        raise Refused("no-judgment", f"protest {p['id']} has no decision of the court of appeals to petition from")
    judgment = parse_time(decided[-1])
    days, rule = cert_days(judgment)
    due = eastern_deadline(judgment, days)
    if cmd.extended_to is not None:
        most = eastern_deadline(due, CERT_EXTENSION_DAYS)  # 60 days past the time it extends
        if cmd.extended_to > most:
            raise Refused("bad-extension", f"a Justice extends the time by at most 60 days, to {iso(most)} "
                          "(28 U.S.C. 2101(c); Sup. Ct. R. 13.5)")
        due, rule = max(due, cmd.extended_to), f"{rule}, extended by a Justice (Sup. Ct. R. 13.5)"
    return due, f"a petition for certiorari within {rule}"


def file_appeal(state: TenderState, cmd: c.FileAppeal, actor: Actor, now: datetime) -> list[Event]:
    p, case = case_of(state, cmd.protest_id)
    party = party_of(state, p, case, actor)
    if any(a["id"] == cmd.appeal_id for a in case["appeals"]):
        raise Refused("exists", f"appeal {cmd.appeal_id} already exists in {p['id']}")
    due, rule = _due(p, case, cmd)
    if now > due:
        raise Refused("late-appeal", f"too late: {rule}, which ran until {iso(due)}", logged=True)
    return [Event(EventType.LITIGATION_APPEAL_FILED, {"protest": p["id"], "id": cmd.appeal_id, "court": cmd.court,
                                                      "party": party, "summary": cmd.summary, "due": iso(due),
                                                      "rule": rule})]


def decide_appeal(state: TenderState, cmd: c.DecideAppeal, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, REVIEWER)
    p, case = case_of(state, cmd.protest_id)
    a = _appeal(case, cmd.appeal_id)
    if a["outcome"] is not None:
        raise Refused("wrong-status", f"appeal {a['id']} was already decided: {a['outcome']}")
    if cmd.outcome not in c.APPEAL_OUTCOMES[a["court"]]:
        raise Refused("bad-outcome", f"{cmd.outcome!r} is not a decision of the {a['court']}: "
                      f"{', '.join(c.APPEAL_OUTCOMES[a['court']])}")
    return [Event(EventType.LITIGATION_APPEAL_DECIDED, {"protest": p["id"], "appeal": a["id"], "outcome": cmd.outcome,
                                                        "text": cmd.text})]


def schedule_hearing(state: TenderState, cmd: c.ScheduleHearing, actor: Actor, now: datetime) -> list[Event]:
    """4 CFR 21.7: GAO may hold a hearing; comments on it are due 5 days after it (21.7(g))."""
    require_role(actor, REVIEWER)
    p, case = case_of(state, cmd.protest_id)
    if p["forum"] != "gao":
        raise Refused("wrong-forum", "hearings under 4 CFR 21.7 are GAO's")
    if p["outcome"] is not None:
        raise Refused("case-closed", f"protest {p['id']} was {p['outcome']} on {p['decided']}")
    if any(h["id"] == cmd.hearing_id for h in case["hearings"]):
        raise Refused("exists", f"hearing {cmd.hearing_id} already exists in {p['id']}")
    if cmd.when < now:
        raise Refused("bad-period", "a hearing is scheduled for a time to come")
    comments_due = gao_deadline(cmd.when, GAO_HEARING_COMMENTS_DAYS)
    return [Event(EventType.LITIGATION_HEARING, {"protest": p["id"], "id": cmd.hearing_id, "when": iso(cmd.when),
                                                 "purpose": cmd.purpose, "comments_due": iso(comments_due)})]


def recommend_costs(state: TenderState, cmd: c.RecommendCosts, actor: Actor, now: datetime) -> list[Event]:
    """4 CFR 21.8(d): costs with a sustained protest; 21.8(e): where the agency took corrective
    action on the protest (after undue delay)."""
    require_role(actor, REVIEWER)
    p, case = case_of(state, cmd.protest_id)
    if p["forum"] != "gao":
        raise Refused("wrong-forum", "cost recommendations under 4 CFR 21.8 are GAO's")
    corrected = any(a["protest"] == p["id"] for a in state["corrective_actions"])
    if p["outcome"] != "sustained" and not corrected:
        raise Refused("no-basis", f"GAO recommends costs when it sustains a protest (4 CFR 21.8(d)) or the agency "
                      f"took corrective action on it (21.8(e)); protest {p['id']} has neither")
    if case["costs"] is not None:
        raise Refused("exists", f"costs were already recommended in {p['id']}")
    claim_due = eastern_deadline(now, COST_CLAIM_DAYS)
    return [Event(EventType.LITIGATION_COSTS_RECOMMENDED, {"protest": p["id"], "text": cmd.text,
                                                           "claim_due": iso(claim_due)})]


def file_cost_claim(state: TenderState, cmd: c.FileCostClaim, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, BIDDER)
    p, case = case_of(state, cmd.protest_id)
    if actor.id != p["protester"]:
        raise Refused("forbidden-role", f"only the protester ({p['protester']}) claims its costs")
    costs = case["costs"]
    if costs is None:
        raise Refused("wrong-status", f"GAO recommended no costs in {p['id']}")
    if costs["claimed"]:
        raise Refused("exists", f"the claim was already filed on {costs['claimed']}")
    if now > parse_time(costs["claim_due"]):
        raise Refused("late-cost-claim", f"the claim was due by {costs['claim_due']}, 60 days after GAO's "
                      "recommendation; a late claim forfeits the costs (4 CFR 21.8(f)(1))", logged=True)
    return [Event(EventType.LITIGATION_COST_CLAIM, {"protest": p["id"], "amount": dict(cmd.amount),
                                                    "summary": cmd.summary})]

