"""Folding litigation events into the state (`TenderState.litigation`, one `Case` per protest).

Each handler copies the case and the lists it changes, never mutating the row it read, so an
earlier state stays what it was (rows.py). `end_case` is what a protest's decision does to its
pending motions: they become moot when the case ends by dismissal or judgment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from .cases import Case, Costs, Motion, ProtectiveOrder, empty_case
from .events import EventType
from .tender import Envelope, JSONObject, TenderState

Handler = Callable[[TenderState, JSONObject, JSONObject, Envelope], None]


def _case(s: TenderState, protest: str) -> Case:
    found = s["litigation"].get(protest)
    if found is None:
        return empty_case(protest)
    return cast(Case, dict(found))


def _put(s: TenderState, case: Case) -> None:
    s["litigation"].put(case["protest"], case)


def _patch_motion(case: Case, motion_id: str, **fields: Any) -> None:
    case["motions"] = [cast(Motion, {**m, **fields}) if m["id"] == motion_id else m for m in case["motions"]]


def _intervened(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    case["intervenors"] = [*case["intervenors"], {"id": p["intervenor"], "date": e["time"], "basis": p["basis"]}]
    _put(s, case)


def _record(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    case["records"] = [*case["records"], {"id": p["id"], "date": e["time"], "kind": p["kind"],
                                          "description": p["description"], "seqs": [m["seq"] for m in p["manifest"]],
                                          "motion": p["motion"]}]
    _put(s, case)


def _motion(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    # A sealed motion's summary and deponents are committed on the log, not folded: the state
    # holds only what the public docket shows until the public version is filed.
    case = _case(s, p["protest"])
    motion: Motion = {"id": p["id"], "relief": p["relief"], "movant": p["movant"], "party": p["party"],
                      "date": e["time"], "sealed": p["sealed"], "public_version": None,
                      "summary": p.get("summary"), "deponents": p.get("deponents", []), "briefs": [],
                      "status": "pending", "ruling": None}
    case["motions"] = [*case["motions"], motion]
    _put(s, case)


def _public_version(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    _patch_motion(case, p["motion"], public_version=e["time"], summary=p["summary"], deponents=p["deponents"])
    _put(s, case)


def _brief(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    m = next(m for m in case["motions"] if m["id"] == p["motion"])
    brief = {"date": e["time"], "kind": p["kind"], "by": e["actor"]["id"], "summary": p["summary"]}
    _patch_motion(case, p["motion"], briefs=[*m["briefs"], brief])
    _put(s, case)


def _ruled(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    _patch_motion(case, p["motion"], status=p["outcome"],
                  ruling={"date": e["time"], "outcome": p["outcome"], "text": p["text"], "order": p["order"]})
    _put(s, case)


def end_case(s: TenderState, protest: str, outcome: str, e: Envelope) -> None:
    """The protest was decided (judgment, dismissal, withdrawal): its pending motions are moot."""
    if protest not in s["litigation"]:
        return
    case = _case(s, protest)
    text = f"moot: the case ended ({outcome}) on {e['time']}"
    for m in case["motions"]:
        if m["status"] == "pending":
            _patch_motion(case, m["id"], status="moot",
                          ruling={"date": e["time"], "outcome": "moot", "text": text, "order": None})
    _put(s, case)


def _patch_order(case: Case, order_id: str, counsel: list[Any]) -> None:
    case["protective_orders"] = [cast(ProtectiveOrder, {**o, "counsel": counsel}) if o["id"] == order_id else o
                                 for o in case["protective_orders"]]


def _protective_order(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    case["protective_orders"] = [*case["protective_orders"], {"id": p["id"], "date": e["time"],
                                                              "text": p["text"], "counsel": []}]
    _put(s, case)


def _applied(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    order = next(o for o in case["protective_orders"] if o["id"] == p["order"])
    entry = {"counsel": p["counsel"], "party": p["party"], "applied": e["time"], "status": "applied",
             "decided": None, "reason": None}
    _patch_order(case, p["order"], [*order["counsel"], entry])
    _put(s, case)


def _access_decided(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    order = next(o for o in case["protective_orders"] if o["id"] == p["order"])
    last = max(i for i, x in enumerate(order["counsel"]) if x["counsel"] == p["counsel"])
    counsel = [dict(x, status=p["decision"], decided=e["time"], reason=p["reason"]) if i == last else x
               for i, x in enumerate(order["counsel"])]
    _patch_order(case, p["order"], counsel)
    _put(s, case)


def _hearing(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    case["hearings"] = [*case["hearings"], {"id": p["id"], "scheduled": e["time"], "when": p["when"],
                                            "purpose": p["purpose"], "comments_due": p["comments_due"]}]
    _put(s, case)


def _appeal(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    case["appeals"] = [*case["appeals"], {"id": p["id"], "court": p["court"], "by": e["actor"]["id"],
                                          "date": e["time"], "due": p["due"], "rule": p["rule"],
                                          "summary": p["summary"], "outcome": None, "decided": None, "text": None}]
    _put(s, case)


def _appeal_decided(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    case["appeals"] = [{**a, "outcome": p["outcome"], "decided": e["time"], "text": p["text"]}
                       if a["id"] == p["appeal"] else a for a in case["appeals"]]
    _put(s, case)


def _costs(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    case["costs"] = {"recommended": e["time"], "text": p["text"], "claim_due": p["claim_due"], "claimed": None,
                     "amount": None}
    _put(s, case)


def _claim(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    case = _case(s, p["protest"])
    costs = case["costs"]
    assert costs is not None  # the decider refuses a claim without a recommendation
    case["costs"] = cast(Costs, {**costs, "claimed": e["time"], "amount": p["amount"]})
    _put(s, case)


APPLY: dict[EventType, Handler] = {
    EventType.LITIGATION_INTERVENED: _intervened,
    EventType.LITIGATION_RECORD_FILED: _record,
    EventType.LITIGATION_MOTION_FILED: _motion,
    EventType.LITIGATION_PUBLIC_VERSION: _public_version,
    EventType.LITIGATION_BRIEF_FILED: _brief,
    EventType.LITIGATION_MOTION_RULED: _ruled,
    EventType.LITIGATION_PROTECTIVE_ORDER: _protective_order,
    EventType.LITIGATION_ACCESS_APPLIED: _applied,
    EventType.LITIGATION_ACCESS_DECIDED: _access_decided,
    EventType.LITIGATION_HEARING: _hearing,
    EventType.LITIGATION_APPEAL_FILED: _appeal,
    EventType.LITIGATION_APPEAL_DECIDED: _appeal_decided,
    EventType.LITIGATION_COSTS_RECOMMENDED: _costs,
    EventType.LITIGATION_COST_CLAIM: _claim,
}
