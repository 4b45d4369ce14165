"""A protest's litigation in its OCDS protest object: intervenors, the administrative record,
motions with their briefs and rulings, protective orders and counsel, hearings, appeals and costs
(fields of the `tenderproof_protests` extension; its README says what each holds).

Copied from the state's `litigation` row of the protest, never derived; a sealed motion's content
is not in the state until its public version, so it is not published before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .values import present, value


def _motion(m: Mapping[str, Any]) -> dict[str, Any]:
    ruling = m.get("ruling")
    return present({
        "id": m["id"], "relief": list(m.get("relief") or []), "movant": m.get("movant"), "party": m.get("party"),
        "dateFiled": m.get("date"), "underSeal": m.get("sealed"), "datePublicVersion": m.get("public_version"),
        "summary": m.get("summary"),
        "deponents": [present({"id": str(n), "name": d["name"], "office": d["office"]})
                      for n, d in enumerate(m.get("deponents") or [], start=1)],
        "briefs": [present({"id": str(n), "date": b["date"], "kind": b["kind"], "filedBy": b["by"],
                            "summary": b["summary"]}) for n, b in enumerate(m.get("briefs") or [], start=1)],
        "status": m.get("status"),
        "ruling": present({"date": ruling["date"], "outcome": ruling["outcome"], "description": ruling["text"],
                           "order": ruling.get("order")}) if ruling else None})


def _order(o: Mapping[str, Any]) -> dict[str, Any]:
    return present({"id": o["id"], "date": o.get("date"), "description": o.get("text"), "basis": o.get("basis"),
                    "admittedCounsel": [present({
                        "id": x["counsel"], "party": x["party"], "dateApplied": x["applied"], "status": x["status"],
                        "dateDecided": x.get("decided"), "reason": x.get("reason")}) for x in o.get("counsel") or []]})


def case_fields(case: Mapping[str, Any] | None) -> dict[str, Any]:
    """The protest object's litigation fields; {} when nothing was filed in the case."""
    if not case:
        return {}
    costs = case.get("costs")
    return present({
        "intervenors": [present({"id": i["id"], "dateIntervened": i["date"], "basis": i.get("basis")})
                        for i in case.get("intervenors") or []],
        "administrativeRecord": [present({
            "id": r["id"], "date": r["date"], "kind": r["kind"], "description": r.get("description"),
            "motion": r.get("motion"), "numberOfEvents": len(r["seqs"]), "eventNumbers": list(r["seqs"])})
            for r in case.get("records") or []],
        "motions": [_motion(m) for m in case.get("motions") or []],
        "protectiveOrders": [_order(o) for o in case.get("protective_orders") or []],
        "hearings": [present({"id": h["id"], "date": h["when"], "dateScheduled": h["scheduled"],
                              "purpose": h.get("purpose"), "commentsDue": h.get("comments_due")})
                     for h in case.get("hearings") or []],
        "appeals": [present({
            "id": a["id"], "court": a["court"], "appellant": a.get("by"), "dateFiled": a["date"],
            "filingDeadline": a.get("due"), "timelinessRule": a.get("rule"), "summary": a.get("summary"),
            "outcome": a.get("outcome"), "dateDecided": a.get("decided"), "description": a.get("text")})
            for a in case.get("appeals") or []],
        "costs": present({
            "dateRecommended": costs["recommended"], "recommendation": costs.get("text"),
            "claimDue": costs.get("claim_due"), "dateClaimed": costs.get("claimed"),
            "amountClaimed": value(costs["amount"]) if costs.get("amount") else None}) if costs else None})
