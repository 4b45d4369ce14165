"""The written debriefing of an unsuccessful offeror (FAR 15.506(d)), built from the record.

It holds what the regulation lists: the offeror's own significant weaknesses and deficiencies,
the evaluated price and ratings of the awardee and of the debriefed offeror, the overall
ranking, and the award rationale. Its SHA-256 is logged with the date it was given, since the
protest clock runs from that date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from tenderproof.domain.evaluation import current_rating
from tenderproof.domain.model import iso
from tenderproof.domain.tender import TenderState

from .envelope import canonical


def _ratings(state: Mapping[str, Any], bid_id: str) -> dict[str, str | None]:
    # A reader's state (`Procurement.state`): its collections are dicts, read as the rules read rows.
    tender = cast(TenderState, state)
    return {f["id"]: current_rating(tender, bid_id, f) for f in tender["factors"]}


def debriefing_document(state: Mapping[str, Any], bidder_id: str, now: datetime) -> bytes:
    award = state["awards"][-1]
    mine = next((b for b in state["bids"].values() if b["bidder"] == bidder_id and b["status"] == "opened"), None)
    if mine is None:
        raise ValueError(f"{bidder_id} has no opened bid on tender {state['id']}")
    findings: dict[str, dict[str, list[str]]] = {}
    for key, history in state["ratings"].items():
        bid, factor, _evaluator = key.split("/")
        if bid == mine["id"]:
            latest = history[-1]
            findings.setdefault(factor, {"weaknesses": [], "deficiencies": []})
            for kind in ("weaknesses", "deficiencies"):
                if latest.get(kind):
                    findings[factor][kind].append(latest[kind])
    doc = {
        "type": "debriefing (FAR 15.506)",
        "tender": state["id"], "title": state["title"], "offeror": bidder_id, "date": iso(now),
        "award": {"bid": award["bid"], "supplier": award["supplier"], "value": award["value"], "date": award["date"]},
        "awardee_ratings": _ratings(state, award["bid"]),
        "your_ratings": _ratings(state, mine["id"]),
        "your_weaknesses_and_deficiencies": findings,
        "ranking": award["ranking"],
        "your_rank": award["ranking"].index(mine["id"]) + 1 if mine["id"] in award["ranking"] else None,
        "award_rationale": award["rationale"],
        "illustrative": bool(state.get("illustrative")),
    }
    return canonical(doc)
