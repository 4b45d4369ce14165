"""Red flags only tenderproof's ledger can see (codes TP001…; DESIGN.md §7).

OCDS data says what was bought from whom; it cannot say that an official met a lobbyist the week
before the award, or changed a rating after a phone call. tenderproof's record can. Each
indicator reads a tender's full state (the app folds the log into it, confidential parts
included, so this runs on the operator's side or for an auditor) and returns what it found, with
the evidence: the dates and the parties, so a reader can go to the events themselves.
The red flags of the orders under a contract vehicle (TP010–TP014) are in `order_flags`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from tenderproof.domain.model import parse_time

from .order_flags import INDICATORS as ORDER_INDICATORS

CONTACT_WINDOW_DAYS = 30

Indicator = Callable[[dict], list[dict]]


def _decisions(state: dict) -> list[tuple[str, str, str]]:
    """(time, official, what) for every decision an official made: ratings and awards."""
    out = []
    for key, history in state["ratings"].items():
        bid, factor, evaluator = key.split("/")
        for h in history:
            what = f"rating of {bid} on {factor}" + (" (changed)" if h["revision"] > 1 else "")
            out.append((h["date"], evaluator, what))
    for a in state["awards"]:
        out.append((a["date"], "", f"award {a['id']} to {a['supplier']['name']}"))
    return out


def tp001_contact_before_decision(state: dict, window_days: int = CONTACT_WINDOW_DAYS) -> list[dict]:
    """TP001 — a recorded outside contact within `window_days` before an award decision, or
    before a rating by the official who had the contact."""
    found = []
    for contact in state["contacts"]:
        when = parse_time(contact["when"])
        for t, official, what in _decisions(state):
            at = parse_time(t)
            if when <= at <= when + timedelta(days=window_days) and (not official or official == contact["official"]):
                found.append({"contact": contact["when"], "official": contact["official"], "party": contact["party"],
                              "decision": what, "decided": t, "days_before": (at - when).days})
    return found


def tp002_rating_changed(state: dict) -> list[dict]:
    """TP002 — a rating changed after the bids were opened (allowed only with a recorded reason)."""
    return [{"rating": key, "revision": h["revision"], "date": h["date"], "reason": h.get("reason", "")}
            for key, history in state["ratings"].items() for h in history if h["revision"] > 1]


def tp003_conflict_without_recusal(state: dict) -> list[dict]:
    """TP003 — an official whose declaration matched a bidder, not recused, who then acted
    (rated, handed in a share, decided the award)."""
    acted = {official for _t, official, _w in _decisions(state) if official} | set(state["shares"])
    if state["awards"]:
        acted |= set(state["panel"].get("ssa", []))
    return [{"official": m["official"], "bidder": m.get("bidder"), "interest": m["interest"], "matched": m["date"]}
            for m in state["coi_matches"] if m["official"] not in state["recusals"] and m["official"] in acted]


def tp004_stay_override(state: dict) -> list[dict]:
    """TP004 — a protest stay overridden by the head of the contracting activity."""
    return [{"stay": st["id"], "kind": st["kind"], "date": st["ended"], **(st["override"] or {})}
            for st in state["stays"].values() if st["status"] == "overridden"]


def tp005_refused_late_bid(state: dict) -> list[dict]:
    """TP005 — a bid refused because it came after the submission deadline."""
    return [{"date": r["date"], "bidder": r["actor"].get("id")} for r in state["refusals"] if r["code"] == "late-bid"]


def tp006_award_departs_from_ranking(state: dict) -> list[dict]:
    """TP006 — the selected bid was not the evaluators' first (a documented reason is required)."""
    return [{"award": a["id"], "selected": a["bid"], "ranked_first": a["ranking"][0] if a["ranking"] else None,
             "reason": a.get("departure_reason")} for a in state["awards"] if a.get("departs_from_ranking")]


def tp007_refused_during_stay(state: dict) -> list[dict]:
    """TP007 — an award, contract signature or start of performance attempted while stayed."""
    return [{"date": r["date"], "command": r["command"], "by": r["actor"].get("id")}
            for r in state["refusals"] if r["code"] in ("stayed", "standstill")]


def tp008_disclosure_incident(state: dict) -> list[dict]:
    """TP008 — a recorded disclosure incident (e.g. proprietary information released to a competitor)."""
    return [{"date": i["date"], "affected": i["affected"]} for i in state["incidents"]]


def tp009_recused_official_attempted(state: dict) -> list[dict]:
    """TP009 — a recused or undeclared official tried to act on the bids (refused and logged)."""
    return [{"date": r["date"], "official": r["actor"].get("id"), "command": r["command"], "code": r["code"]}
            for r in state["refusals"] if r["code"] in ("recused", "no-declaration", "conflicted", "not-named")]


INDICATORS: dict[str, Indicator] = {
    "TP001": tp001_contact_before_decision,
    "TP002": tp002_rating_changed,
    "TP003": tp003_conflict_without_recusal,
    "TP004": tp004_stay_override,
    "TP005": tp005_refused_late_bid,
    "TP006": tp006_award_departs_from_ranking,
    "TP007": tp007_refused_during_stay,
    "TP008": tp008_disclosure_incident,
    "TP009": tp009_recused_official_attempted,
    **ORDER_INDICATORS,
}


def ledger_flags(states: Iterable[dict], ocid_prefix: str) -> dict[str, dict]:
    """{ocid: {code: count}} and the evidence, in the shape of Cardinal's OCID group."""
    counts: dict[str, dict[str, int]] = {}
    evidence: dict[str, dict[str, list[dict]]] = {}
    for state in states:
        ocid = ocid_prefix + state["id"]
        for code, indicator in INDICATORS.items():
            found = indicator(state)
            if found:
                counts.setdefault(ocid, {})[code] = len(found)
                evidence.setdefault(ocid, {})[code] = found
    return {"OCID": counts, "Evidence": evidence}
