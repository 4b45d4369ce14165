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
                "rating": content.get("rating", ""), "content": content,
                "notes": _notes(content),
            })
    return out


def _notes(content: dict[str, Any]) -> list[tuple[str, str]]:
    """A disclosed record's narrative, and the reasons for excluding each bid, in a fixed order."""
    return ([(k, content[k]) for k in NARRATIVE_KEYS if isinstance(content.get(k), str) and content[k].strip()]
            + [(f"reason for excluding {b}", r) for b, r in sorted((content.get("reasons") or {}).items())])


EVALUATION_TYPES = (E.EVALUATION_RATED, E.EVALUATION_CONSENSUS, E.EVALUATION_COMPETITIVE_RANGE)


def sealed_evaluation_count(events: list[Logged], disclosed: list[str]) -> int:
    """Evaluation records whose content is still behind its commitment (`disclosed`: the
    commitments the state holds as disclosed)."""
    opened = set(disclosed)
    return sum(1 for e in events if e.envelope["type"] in EVALUATION_TYPES
               and e.envelope.get("confidential") and e.envelope["confidential"] not in opened)


def dispute_record(v: dict[str, Any], events: list[Logged], bidder_names: dict[str, str]) -> dict[str, Any]:
    """Protests, stays, corrective actions and the integrity record as the domain's state holds
    them (`v`, the public view): what is in force, lifted or decided is the state's, never
    recomputed here. The envelopes add only what the state does not keep: the link to each
    event, the text filed with an agency report or comments, and who recorded an incident."""
    at_seq = {e.envelope.get("seq"): e.index for e in events}
    by_time: dict[str, list[Logged]] = {}
    for e in events:
        by_time.setdefault(e.envelope["time"], []).append(e)

    def index_at(time: str | None, *types: str, **payload: Any) -> int | None:
        """The ledger index of the event at `time` of one of `types` whose payload holds `payload`."""
        for e in by_time.get(time or "", []):
            p = e.envelope.get("payload", {})
            if e.envelope["type"] in types and all(p.get(k) == x for k, x in payload.items()):
                return e.index
        return None

    def name(x: str) -> str:
        return bidder_names.get(x, x)

    filings = {(e.envelope["type"], e.envelope["payload"].get("protest")): e for e in events
               if e.envelope["type"] in (E.PROTEST_AGENCY_REPORT, E.PROTEST_COMMENTS)}

    def filing(kind: str, protest: str, date: str | None) -> dict[str, Any] | None:
        e = filings.get((kind, protest))
        if date is None:
            return None
        return {"date": date, "summary": e.envelope["payload"].get("summary", "") if e else "",
                "index": e.index if e else None}

    protests = [{
        **pr, "protester_name": name(pr["protester"]), "forum_name": forum(pr["forum"]),
        "index": index_at(pr["filed"], E.PROTEST_FILED, id=pr["id"]),
        "decided_index": index_at(pr["decided"], E.PROTEST_DECIDED, protest=pr["id"]),
        "report": filing(E.PROTEST_AGENCY_REPORT, pr["id"], pr["report"]),
        "comments": filing(E.PROTEST_COMMENTS, pr["id"], pr["comments"]),
        "orders": [{**o, "order": o["order"].replace("_", " "),
                    "index": index_at(o["date"], E.COURT_ORDER, protest=pr["id"], order=o["order"])}
                   for o in pr["orders"]],
    } for pr in v["protests"]]
    stays = [{
        **st, "status": STAY_STATUS.get(st["status"], st["status"]),
        "index": _first(index_at(st["from"], *STAY_STARTS, protest=st["protest"]), index_at(st["from"], *STAY_STARTS)),
        "end_index": _first(index_at(st["ended"], E.STAY_ENDED, E.STAY_OVERRIDDEN, stay=st["id"]),
                            index_at(st["ended"], E.PROTEST_DECIDED, E.COURT_ORDER, protest=st["protest"])),
    } for st in v["stays"]]
    incidents = []
    for x in v["incidents"]:
        logged = next((e for e in by_time.get(x["date"], []) if e.envelope["type"] == E.INTEGRITY_INCIDENT), None)
        actor = logged.envelope.get("actor", {}) if logged else {}
        incidents.append({"date": x["date"], "index": logged.index if logged else None,
                          "by": f"{actor.get('id', '?')} ({role_label(actor.get('role', ''))})",
                          "affected": [name(a) for a in x["affected"]],
                          "commitment": logged.envelope.get("confidential") if logged else None})
    performance = [v["performance"]] if v["performance"] else []
    return {
        "protests": protests, "stays": stays, "incidents": incidents,
        "corrective": [{**ca, "index": at_seq.get(ca["seq"])} for ca in v["corrective_actions"]],
        "performance": [{**pf, "index": index_at(pf["date"], E.PERFORMANCE_STARTED)} for pf in performance],
        "recusals": sorted(({"official": o, **r, "index": index_at(r["date"], E.OFFICIAL_RECUSED, official=o)}
                            for o, r in v["recusals"].items()), key=lambda r: r["date"]),
        "matches": [{**m, "index": index_at(m["date"], E.COI_MATCH, official=m["official"])}
                    for m in v["coi_matches"]],
        "employment": [{**x, "index": index_at(x.get("date"), E.INTEGRITY_EMPLOYMENT_CONTACT)}
                       for x in v["employment_contacts"]],
        "contacts": [{**x, "index": index_at(x["recorded"], E.CONTACT_RECORDED, official=x["official"])}
                     for x in v["contacts"]],
        # Who declared is sealed until the opening, so the state has no public row for it: only
        # that a declaration was logged, and when.
        "ownership": [{"date": e.envelope["time"], "index": e.index, "commitment": e.envelope.get("confidential")}
                      for e in events if e.envelope["type"] == E.BIDDER_OWNERSHIP_DECLARED],
    }


STAY_STARTS = (E.PROTEST_DOCKETED, E.COURT_ORDER, E.STAY_VOLUNTARY_HOLD)
STAY_STATUS = {"in-force": "in force"}


def _first(*xs: int | None) -> int | None:
    return next((x for x in xs if x is not None), None)
