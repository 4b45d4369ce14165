"""Protests, stays, court orders and corrective action in a release: `tender.protests`,
`tender.stays` and `tender.correctiveActions`, fields of tenderproof's own extension
(extensions/tenderproof_protests, whose README says what each holds).

Every value is copied from the tender's state (`domain.state` folds them from the log); none is
derived here. Empty values are left out (OCDS: omit a field rather than publish it empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .litigation import case_fields
from .values import present as _present

#: state key -> extension field, for the protest's plain values (in the order published).
_PROTEST = (("id", "id"), ("forum", "forum"), ("kind", "kind"), ("protester", "protester"), ("grounds", "grounds"),
            ("filed", "dateFiled"), ("docketed", "dateDocketed"), ("timely", "timely"),
            ("timeliness_rule", "timelinessRule"), ("due", "filingDeadline"), ("express", "expressOption"),
            ("report_due", "agencyReportDue"), ("report", "agencyReportDate"), ("comments_due", "commentsDue"),
            ("comments", "commentsDate"), ("decision_due", "decisionDue"), ("outcome", "outcome"),
            ("decided", "dateDecided"), ("reasoning", "reasoning"), ("recommended_action", "recommendedAction"),
            ("set_aside", "awardSetAside"))


def _protest(p: Mapping[str, Any], case: Mapping[str, Any] | None) -> dict[str, Any]:
    out = _present({field: p.get(key) for key, field in _PROTEST})
    orders = [_present({"id": f"{p['id']}/order-{n}", "date": o["date"], "order": o["order"],
                        "description": o.get("text")}) for n, o in enumerate(p.get("orders") or [], start=1)]
    if orders:
        out["orders"] = orders
    return out | case_fields(case)


def _stay(st: Mapping[str, Any]) -> dict[str, Any]:
    period = _present({"startDate": st["from"], "endDate": st.get("until")})
    override = st.get("override")
    return _present({
        "id": st["id"], "kind": st["kind"], "basis": st.get("basis"), "protest": st.get("protest"),
        "blocks": list(st.get("blocks") or []), "status": st.get("status"), "period": period,
        "dateEnded": st.get("ended"), "award": st.get("award"),
        "override": _present({"ground": override.get("ground"), "finding": override.get("finding"),
                              "overriddenBy": override.get("by"), "basis": override.get("basis"),
                              "notified": override.get("notified"), "noticeBasis": override.get("notice_basis"),
                              "awardLikelyWithin30Days": override.get("award_likely_within_30_days")})
        if override else None})


def _corrective(n: int, a: Mapping[str, Any]) -> dict[str, Any]:
    return _present({"id": str(n), "date": a["date"], "kind": a["kind"], "rationale": a.get("rationale"),
                     "protest": a.get("protest"), "factors": list(a.get("factors") or []),
                     "revisitsLedgerIndexes": list(a.get("revisits") or [])})


def protest_fields(s: Mapping[str, Any]) -> dict[str, Any]:
    """The tender's protest fields for its release: protests by filing time, stays by start, the
    corrective actions in the order taken; {} when there are none."""
    out: dict[str, Any] = {}
    protests = sorted((s.get("protests") or {}).values(), key=lambda p: (p["filed"], p["id"]))
    if protests:
        cases = s.get("litigation") or {}
        out["protests"] = [_protest(p, cases.get(p["id"])) for p in protests]
    stays = sorted((s.get("stays") or {}).values(), key=lambda st: (st["from"], st["id"]))
    if stays:
        out["stays"] = [_stay(st) for st in stays]
    if s.get("corrective_actions"):
        out["correctiveActions"] = [_corrective(n, a) for n, a in enumerate(s["corrective_actions"], start=1)]
    return out
