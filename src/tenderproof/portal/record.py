"""A tender's record as its public envelopes tell it: the deadline's history, the evaluation
records disclosed with their salts, and the protests, stays, corrective actions and integrity
events. What the envelopes seal stays sealed: only that it exists, and its commitment."""

from __future__ import annotations

from typing import Any

from tenderproof.app.envelope import commit
from tenderproof.app.service import Logged
from tenderproof.domain.events import EventType

from .labels import event_label, forum, role_label

E = EventType
NARRATIVE_KEYS = ("strengths", "weaknesses", "deficiencies", "risks", "rationale", "reason")
PROTEST_FIELDS = ("id", "forum", "kind", "grounds", "timely", "timeliness_rule", "due", "express")


def deadline_history(events: list[Logged]) -> tuple[list[dict[str, Any]], str | None]:
    """The submission deadline as first set and as each amendment moved it; the first enquiry end."""
    out: list[dict[str, Any]] = []
    enquiry_end = None
    for e in events:
        env = e.envelope
        if env["type"] == E.TENDER_CREATED:
            out.append({"time": env["payload"].get("tender_end"), "set": env["time"], "index": e.index,
                        "by": "the solicitation"})
            enquiry_end = env["payload"].get("enquiry_end")
        elif env["type"] == E.TENDER_AMENDED and "tender_end" in env["payload"].get("changes", {}):
            out.append({"time": env["payload"]["changes"]["tender_end"], "set": env["time"], "index": e.index,
                        "by": env["payload"].get("id", "an amendment"), "rationale": env["payload"].get("rationale")})
    return out, enquiry_end


def disclosed_records(events: list[Logged], bid_names: dict[str, str],
                      factor_names: dict[str, str]) -> list[dict[str, Any]]:
    """Evaluation records published by `confidential.disclosed` events, each matched to the event
    that committed to it and checked against that commitment."""
    committed = {e.envelope["confidential"]: e for e in events if e.envelope.get("confidential")}
    out = []
    for e in events:
        if e.envelope["type"] != E.CONFIDENTIAL_DISCLOSED:
            continue
        for item in e.envelope["payload"].get("items", []):
            com, content = item.get("commitment"), item.get("content") or {}
            try:
                ok = commit(bytes.fromhex(item.get("salt", "")), content) == com
            except ValueError:
                ok = False
            source = committed.get(com)
            p = source.envelope.get("payload", {}) if source else {}
            kind = source.envelope["type"] if source else "unknown"
            out.append({
                "commitment": com, "verified": ok, "disclosed_at": e.envelope["time"], "disclosed_index": e.index,
                "source_index": source.index if source else None, "kind": kind,
                "label": event_label(kind),
                "date": source.envelope["time"] if source else None,
                "bid": p.get("bid"), "bid_name": bid_names.get(p.get("bid", ""), ""),
                "factor": factor_names.get(p.get("factor", ""), p.get("factor", "")),
                "evaluator": p.get("evaluator", ""), "revision": p.get("revision"),
                "rating": content.get("rating", ""),
                "notes": _notes(content),
            })
    return out


def _notes(content: dict[str, Any]) -> list[tuple[str, str]]:
    """A disclosed record's narrative, and the reasons for excluding each bid, in a fixed order."""
    return ([(k, content[k]) for k in NARRATIVE_KEYS if isinstance(content.get(k), str) and content[k].strip()]
            + [(f"reason for excluding {b}", r) for b, r in sorted((content.get("reasons") or {}).items())])


EVALUATION_TYPES = (E.EVALUATION_RATED, E.EVALUATION_CONSENSUS, E.EVALUATION_COMPETITIVE_RANGE)


def sealed_evaluation_count(events: list[Logged]) -> int:
    """Evaluation records whose content is still behind its commitment."""
    disclosed = {i.get("commitment") for e in events if e.envelope["type"] == E.CONFIDENTIAL_DISCLOSED
                 for i in e.envelope["payload"].get("items", [])}
    return sum(1 for e in events if e.envelope["type"] in EVALUATION_TYPES
               and e.envelope.get("confidential") and e.envelope["confidential"] not in disclosed)


def dispute_record(events: list[Logged], bidder_names: dict[str, str]) -> dict[str, Any]:
    """Protests, stays, corrective actions and the integrity record, folded from the public
    envelopes alone (what they seal stays sealed: only that it exists, and its commitment)."""
    protests: dict[str, dict[str, Any]] = {}
    stays: dict[str, dict[str, Any]] = {}
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "corrective", "recusals", "matches", "employment", "contacts", "incidents", "ownership", "performance")}

    def name(x: str) -> str:
        return bidder_names.get(x, x)

    def add_stay(stay: dict[str, Any], e: Logged, protest: str | None) -> None:
        stays[stay.get("id", f"stay-{e.index}")] = {
            "id": stay.get("id"), "kind": stay.get("kind", "stay"), "basis": stay.get("basis", ""),
            "blocks": stay.get("blocks", []), "until": stay.get("until"), "protest": protest,
            "from": e.envelope["time"], "index": e.index, "status": "in force", "ended": None, "end_index": None,
            "override": None}

    def end_stays(protest: str | None, kinds: tuple[str, ...], e: Logged) -> None:
        for st in stays.values():
            if st["protest"] == protest and st["kind"] in kinds and st["status"] == "in force":
                st.update(status="lifted", ended=e.envelope["time"], end_index=e.index)

    for e in events:
        env = e.envelope
        t, p, at, actor = env["type"], env.get("payload", {}), env["time"], env.get("actor", {})
        sealed = env.get("confidential")
        if t == E.PROTEST_FILED:
            protests[p.get("id", f"protest-{e.index}")] = {
                **{k: p.get(k) for k in PROTEST_FIELDS},
                "protester": p.get("protester"), "protester_name": name(p.get("protester", "")),
                "forum_name": forum(p.get("forum")),
                "filed": at, "index": e.index, "docketed": None, "report_due": None, "decision_due": None,
                "report": None, "comments": None, "outcome": None, "decided": None, "decided_index": None,
                "reasoning": None, "recommended_action": None, "orders": []}
        elif t == E.PROTEST_DOCKETED and p.get("protest") in protests:
            protests[p["protest"]].update(docketed=at, report_due=p.get("report_due"),
                                          decision_due=p.get("decision_due"))
            if p.get("stay"):
                add_stay(p["stay"], e, p["protest"])
        elif t == E.PROTEST_AGENCY_REPORT and p.get("protest") in protests:
            protests[p["protest"]]["report"] = {"date": at, "summary": p.get("summary", ""), "index": e.index,
                                                "comments_due": p.get("comments_due")}
        elif t == E.PROTEST_COMMENTS and p.get("protest") in protests:
            protests[p["protest"]]["comments"] = {"date": at, "summary": p.get("summary", ""), "index": e.index}
        elif t == E.PROTEST_DECIDED and p.get("protest") in protests:
            protests[p["protest"]].update(outcome=p.get("outcome"), decided=at, decided_index=e.index,
                                          reasoning=p.get("reasoning"), recommended_action=p.get("recommended_action"))
            end_stays(p["protest"], ("CICA stay", "suspension"), e)
        elif t == E.COURT_ORDER and p.get("protest") in protests:
            protests[p["protest"]]["orders"].append({"date": at, "order": str(p.get("order", "")).replace("_", " "),
                                                     "text": p.get("text", ""), "index": e.index})
            if p.get("stay"):
                add_stay(p["stay"], e, p["protest"])
            if p.get("order") == "dissolve_injunction":
                end_stays(p["protest"], ("tro", "preliminary injunction"), e)
        elif t == E.STAY_VOLUNTARY_HOLD and p.get("stay"):
            add_stay(p["stay"], e, p.get("protest"))
        elif t in (E.STAY_ENDED, E.STAY_OVERRIDDEN) and p.get("stay") in stays:
            st = stays[p["stay"]]
            st.update(status="ended" if t == E.STAY_ENDED else "overridden", ended=at, end_index=e.index)
            if t == E.STAY_OVERRIDDEN:
                st["override"] = {"ground": p.get("ground"), "finding": p.get("finding"), "by": actor.get("id")}
        elif t == E.CORRECTIVE_ACTION_TAKEN:
            out["corrective"].append({"date": at, "index": e.index, "kind": p.get("kind"),
                                      "rationale": p.get("rationale"), "factors": p.get("factors", []),
                                      "protest": p.get("protest"), "revisits": p.get("revisits", [])})
        elif t == E.PERFORMANCE_STARTED:
            out["performance"].append({"date": at, "index": e.index, "contract": p.get("contract"),
                                       "scope": p.get("scope")})
        elif t == E.OFFICIAL_RECUSED:
            out["recusals"].append({"date": at, "index": e.index, "official": p.get("official"),
                                    "reason": p.get("reason"), "by": actor.get("id")})
        elif t == E.COI_MATCH:
            out["matches"].append({"date": at, "index": e.index, "official": p.get("official"),
                                   "interest": p.get("interest"), "commitment": sealed})
        elif t == E.INTEGRITY_EMPLOYMENT_CONTACT:
            out["employment"].append({"date": at, "index": e.index, "official": p.get("official"),
                                      "contact_date": p.get("contact_date"),
                                      "response": p.get("response")})
        elif t == E.CONTACT_RECORDED:
            out["contacts"].append({"recorded": at, "index": e.index, "official": p.get("official"),
                                    "party": p.get("party"), "channel": p.get("channel"), "when": p.get("when"),
                                    "commitment": sealed})
        elif t == E.INTEGRITY_INCIDENT:
            by = f"{actor.get('id', '?')} ({role_label(actor.get('role', ''))})"
            out["incidents"].append({"date": at, "index": e.index, "by": by,
                                     "affected": [name(a) for a in p.get("affected", [])], "commitment": sealed})
        elif t == E.BIDDER_OWNERSHIP_DECLARED:
            out["ownership"].append({"date": at, "index": e.index, "commitment": sealed})
    return {"protests": list(protests.values()), "stays": list(stays.values()), **out}
