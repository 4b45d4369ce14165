"""How protests, stays, court orders, corrective action and debriefing requests fold into a
tender's state (the rules that decide them: protests.py, gao.py, eu_remedies.py).

What ends a stay is the law's: a decision ends the protest's CICA stay and holds (31 U.S.C.
3553(c)(1), (d)(3)(B)); a judgment for the protester at the Court of Federal Claims ends in its
remedy, a permanent injunction (28 U.S.C. 1491(b)(2)), lifted only by the court or, before award,
by the corrective action it waited for.
"""

from __future__ import annotations

from collections.abc import Callable

from .events import EventType
from .litigation_state import end_case
from .tender import CorrectiveAction, Envelope, JSONObject, Protest, Stay, TenderState

Handler = Callable[[TenderState, JSONObject, JSONObject, Envelope], None]


def _filed(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    protest: Protest = {
        "id": p["id"], "forum": p["forum"], "protester": p["protester"], "grounds": p["grounds"], "kind": p["kind"],
        "timely": p["timely"], "due": p["due"], "timeliness_rule": p["timeliness_rule"], "express": p["express"],
        "filed": e["time"], "docketed": None, "report_due": None, "decision_due": None, "comments_due": None,
        "report": None, "comments": None, "outcome": None, "decided": None, "reasoning": None,
        "recommended_action": None, "orders": []}
    if "lot" in p:  # a protest of one lot: its stays hold that lot only
        protest["lot"] = p["lot"]
    s["protests"].put(p["id"], protest)


def _add_stay(s: TenderState, stay: JSONObject, e: Envelope, protest: str | None) -> None:
    row: Stay = {"id": stay["id"], "kind": stay["kind"], "blocks": stay["blocks"], "basis": stay["basis"],
                 "until": stay.get("until"), "protest": protest, "from": e["time"], "status": "in-force",
                 "ended": None, "override": None}
    if stay.get("award"):
        row["award"] = stay["award"]
    s["stays"].put(stay["id"], row)


def _docketed(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["protests"].patch(p["protest"], docketed=e["time"], report_due=p.get("report_due"),
                        decision_due=p.get("decision_due"))
    if p.get("stay"):
        _add_stay(s, p["stay"], e, p["protest"])


def _report(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["protests"].patch(p["protest"], report=e["time"], comments_due=p["comments_due"])


def _comments(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["protests"].patch(p["protest"], comments=e["time"])


def _lift(s: TenderState, e: Envelope, protest: str, kinds: tuple[str, ...] | None = None,
          unbound_only: bool = False) -> None:
    for sid, st in s["stays"].items():
        if st["protest"] == protest and st["status"] == "in-force" and (kinds is None or st["kind"] in kinds) \
                and not (unbound_only and st.get("award")):
            s["stays"].patch(sid, status="lifted", ended=e["time"])


def _protest_decided(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["protests"].patch(p["protest"], outcome=p["outcome"], decided=e["time"], reasoning=p["reasoning"],
                        recommended_action=p["recommended_action"])
    # The decision ends the protest's CICA stay (31 U.S.C. 3553(c)(1), (d)(3)(B)), its holds and, on
    # a judgment against the protester, its injunctions; a judgment for it ends in its remedy.
    _lift(s, e, p["protest"])
    remedy = p.get("remedy")
    if remedy and "set_aside" in remedy:
        s["protests"].patch(p["protest"], set_aside=remedy["set_aside"])
    if remedy and s["contract"] and remedy.get("kind") == "ineffective":  # 89/665/EEC art. 2d
        s["contract"] = {**s["contract"], "ineffective": e["time"]}
    if remedy and remedy.get("stay"):
        _add_stay(s, remedy["stay"], e, p["protest"])
    end_case(s, p["protest"], p["outcome"], e)  # and the case's pending motions become moot


def _court_order(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    orders = s["protests"][p["protest"]]["orders"]
    s["protests"].patch(p["protest"], orders=[*orders, {"date": e["time"], "order": p["order"], "text": p["text"]}])
    if p.get("stay"):
        _add_stay(s, p["stay"], e, p["protest"])
    if p["order"] == "dissolve_injunction":
        _lift(s, e, p["protest"], ("tro", "preliminary injunction", "permanent injunction"))


def _hold(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    _add_stay(s, p["stay"], e, p["protest"])


def _overridden(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    override = {"ground": p["ground"], "finding": p["finding"], "by": e["actor"]["id"]}
    if "notified" in p:  # logged since the overrides cite their statute and notify GAO (3553(c)(3), (d)(3)(C)(ii))
        override |= {"basis": p["basis"], "notified": p["notified"], "notice_basis": p["notice_basis"],
                     "award_likely_within_30_days": p["award_likely_within_30_days"]}
    s["stays"].patch(p["stay"], status="overridden", ended=e["time"], override=override)


def _stay_ended(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["stays"].patch(p["stay"], status="ended", ended=e["time"])


def _corrective(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    action: CorrectiveAction = {"date": e["time"], "seq": e["seq"], "kind": p["kind"], "rationale": p["rationale"],
                                "revisits": p["revisits"], "factors": p["factors"], "protest": p["protest"]}
    s["corrective_actions"] = [*s["corrective_actions"], action]
    if p["protest"]:  # corrective action is what an injunction against awarding waited for
        _lift(s, e, p["protest"], ("permanent injunction",), unbound_only=True)


def _debriefing_requested(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["debriefing_requests"].put(p["bidder"], {"date": e["time"], "award": p["award"], "required": p["required"],
                                               "due": p["due"]})


HANDLERS: dict[EventType, Handler] = {
    EventType.PROTEST_FILED: _filed,
    EventType.PROTEST_DOCKETED: _docketed,
    EventType.PROTEST_AGENCY_REPORT: _report,
    EventType.PROTEST_COMMENTS: _comments,
    EventType.PROTEST_DECIDED: _protest_decided,
    EventType.COURT_ORDER: _court_order,
    EventType.STAY_VOLUNTARY_HOLD: _hold,
    EventType.STAY_OVERRIDDEN: _overridden,
    EventType.STAY_ENDED: _stay_ended,
    EventType.CORRECTIVE_ACTION_TAKEN: _corrective,
    EventType.DEBRIEFING_REQUESTED: _debriefing_requested,
}
