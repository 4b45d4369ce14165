"""What the portal shows, built from public data only.

A tender page is built from two sources and nothing else:
- `public_view(state)`, the one filter of a tender's state that anyone may see (the raw state
  holds confidential ratings and, before the opening, who bid): the state is handed to it and
  never looked at here;
- the tender's public event envelopes, exactly as logged (they carry commitments, not
  confidential content, until a `confidential.disclosed` event publishes content with its salt).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tenderproof.app.envelope import commit
from tenderproof.app.public import public_view
from tenderproof.app.service import Logged, Procurement
from tenderproof.domain.model import parse_time

from .timeline import timeline_svg

STATUS_LABELS = {
    "draft": "Draft (not yet published)",
    "active.enquiries": "Open for enquiries",
    "active.tendering": "Open for sealed bids",
    "active.opening": "Awaiting bid opening",
    "active.evaluation": "Under evaluation",
    "active.awarded": "Awarded (standstill)",
    "active.stayed": "Stayed (protest)",
    "complete": "Complete",
    "cancelled": "Cancelled",
    "unsuccessful": "Unsuccessful",
}

EVENT_LABELS = {
    "tender.created": "Tender created",
    "tender.published": "Tender published",
    "tender.amended": "Tender amended",
    "enquiry.asked": "Enquiry asked",
    "enquiry.answered": "Enquiry answered",
    "tender.enquiries_closed": "Enquiry period closed",
    "bid.submitted": "Sealed bid submitted",
    "bid.withdrawn": "Bid withdrawn",
    "tender.tendering_closed": "Submission deadline passed",
    "coi.declared": "Conflict-of-interest declaration",
    "opening.share_submitted": "Opening key share submitted",
    "bids.opened": "Bids opened",
    "evaluation.rated": "Rating logged",
    "evaluation.consensus": "Consensus rating logged",
    "evaluation.competitive_range": "Competitive range set",
    "award.decided": "Award decided",
    "debriefing.given": "Debriefing given",
    "contract.signed": "Contract signed",
    "tender.cancelled": "Tender cancelled",
    "tender.unsuccessful": "Tender unsuccessful",
    "command.refused": "Refused attempt",
    "confidential.accessed": "Confidential record read",
    "confidential.disclosed": "Confidential records disclosed",
    "protest.filed": "Protest filed",
    "protest.docketed": "Protest docketed",
    "protest.agency_report": "Agency report filed",
    "protest.comments": "Comments on the agency report",
    "protest.decided": "Protest decided",
    "court.order": "Court order",
    "stay.voluntary_hold": "Voluntary hold",
    "stay.overridden": "Stay overridden",
    "stay.ended": "Stay ended",
    "corrective_action.taken": "Corrective action",
    "performance.started": "Performance started",
    "bidder.ownership_declared": "Ownership declared",
    "coi.match": "Conflict of interest matched",
    "official.recused": "Official recused",
    "integrity.employment_contact": "Employment contact reported",
    "contact.recorded": "Outside contact recorded",
    "integrity.incident": "Integrity incident recorded",
}

FORUMS = {"gao": "GAO", "cofc": "Court of Federal Claims", "agency": "the agency"}

CRITERIA_LABELS = {
    "lowestPrice": "Lowest price",
    "bestValueTradeoff": "Best value (tradeoff)",
    "lowestPriceTechnicallyAcceptable": "Lowest price technically acceptable",
}

ROLE_LABELS = {
    "buyer": "Buyer", "evaluator": "Evaluator", "ssa": "Source selection authority",
    "opening_official": "Bid-opening official", "hca": "Head of contracting activity", "bidder": "Bidder",
    "reviewer": "Reviewer", "auditor": "Auditor", "system": "System",
}

NARRATIVE_KEYS = ("strengths", "weaknesses", "deficiencies", "risks", "rationale", "reason")


# --- formatting (also used as Jinja filters) --------------------------------------------------


def when(value: str | None) -> str:
    """'2019-10-25 21:00 UTC' from an RFC 3339 time."""
    if not value:
        return "—"
    try:
        t = parse_time(value)
    except ValueError:
        return value
    return t.strftime("%Y-%m-%d %H:%M UTC")


def day(value: str | datetime | None) -> str:
    """'25 Oct 2019'."""
    if not value:
        return "—"
    t = parse_time(value) if isinstance(value, str) else value
    return f"{t.day} {t.strftime('%b %Y')}"


def money(value: dict[str, Any] | None) -> str:
    if not value:
        return "—"
    amount = value.get("amount", "")
    try:
        n = float(amount)
        text = f"{int(n):,}" if n == int(n) else f"{n:,.2f}"
    except (TypeError, ValueError):
        text = str(amount)
    return f"{value.get('currency', '')} {text}".strip()


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


# --- the tender page --------------------------------------------------------------------------


@dataclass
class EventRow:
    index: int
    seq: int
    time: str
    type: str
    label: str
    actor: str
    summary: str


@dataclass
class TenderPage:
    v: dict[str, Any]  # the public view
    phase: str
    bid_names: dict[str, str]  # bid id -> bidder name, opened bids only
    bidder_names: dict[str, str]  # bidder id -> name, from opened bids
    deadlines: list[dict[str, Any]]  # submission deadline history, oldest first
    enquiry_end_original: str | None
    key_dates: list[tuple[str, str | None, str]]  # (label, time, note)
    events: list[EventRow]
    event_of: dict[str, int]  # first ledger index of each event type
    disclosed: list[dict[str, Any]]  # disclosed evaluation records
    declarations: list[dict[str, Any]]
    chart: Any = None  # the timeline SVG (Markup)
    factor_names: dict[str, str] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)  # protests, stays, integrity (dispute_record)
    sealed_evaluation: int = 0
    award_events: dict[str, int] = field(default_factory=dict)  # award id -> ledger index


def bidder_display(v: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    bid_names, bidder_names = {}, {}
    for b in v["bids"]:
        if b["status"] == "opened" and b.get("bidder_name"):
            bid_names[b["id"]] = b["bidder_name"]
            bidder_names[b["bidder"]] = b["bidder_name"]
    for a in v["awards"]:
        bidder_names.setdefault(a["supplier"]["id"], a["supplier"]["name"])
    return bid_names, bidder_names


def phase_of(v: dict[str, Any]) -> str:
    s, periods = v["status"], v["periods"]
    if s == "draft":
        return "Draft: the buyer has not published the solicitation yet."
    if s == "active.enquiries":
        return f"Enquiries: bidders may ask questions until {when(periods.get('enquiry_end'))}; sealed bids are due by {when(periods['tender_end'])}."
    if s == "active.tendering":
        return f"Tendering: sealed bids are accepted until {when(periods['tender_end'])}. Nobody can read them before the opening."
    if s == "active.opening":
        k = (v.get("opening_key") or {}).get("threshold", v.get("opening_threshold"))
        return (f"Opening: the submission deadline has passed; the bids open when {k} bid-opening officials "
                f"have submitted their key shares ({len(v['shares_submitted'])} so far).")
    if s == "active.evaluation":
        return "Evaluation: the bids are open and being rated against the stated factors. Ratings are logged as sealed commitments."
    if s == "active.awarded":
        return f"Awarded: the standstill (no contract signature) runs until {when(periods.get('standstill_end'))}."
    if s == "complete":
        return "Complete: the contract has been signed."
    if s == "cancelled":
        return "Cancelled" + (f": {v['cancellation']['reason']}" if v.get("cancellation") else ".")
    if s == "unsuccessful":
        return "Unsuccessful" + (f": {v['cancellation']['reason']}" if v.get("cancellation") else ".")
    return status_label(s)


def actor_text(env: dict[str, Any]) -> str:
    a = env.get("actor", {})
    role = role_label(a.get("role", ""))
    return f"{a['id']} ({role})" if a.get("id") else f"{role} (identity sealed)"


def summarize(env: dict[str, Any], bid_names: dict[str, str], bidder_names: dict[str, str]) -> str:
    """One line saying what a public envelope records."""
    t, p = env["type"], env.get("payload", {})

    def bid(b: str) -> str:
        return f"{b} ({bid_names[b]})" if b in bid_names else b

    def who(x: str) -> str:
        return f"{bidder_names[x]} ({x})" if x in bidder_names else x

    if t == "tender.created":
        return f"“{p.get('title', '')}” created; sealed bids due {when(p.get('tender_end'))}."
    if t == "tender.published":
        o = p.get("opening") or {}
        n = len(o.get("encrypted_shares") or {})
        return f"Solicitation published; bid-opening key issued ({o.get('threshold', '?')} of {n} officials needed to open)."
    if t == "tender.amended":
        ch = p.get("changes", {})
        parts = []
        if "tender_end" in ch:
            parts.append(f"submission deadline moved to {when(ch['tender_end'])}")
        if "enquiry_end" in ch:
            parts.append(f"enquiry period now ends {when(ch['enquiry_end'])}")
        parts += [f"{k} changed" for k in sorted(ch) if k not in ("tender_end", "enquiry_end")]
        return f"{p.get('id', 'Amendment')}: {', '.join(parts)}. Rationale: {p.get('rationale', '')}"
    if t == "enquiry.asked":
        return f"Enquiry {p.get('id')} asked; who asked is not identified (FAR 15.201(f))."
    if t == "enquiry.answered":
        return f"Enquiry {p.get('id')} answered publicly."
    if t == "tender.enquiries_closed":
        return "The enquiry period ended (deadline worker)."
    if t == "bid.submitted":
        return (f"Sealed bid {p.get('id')} received: {p.get('sealed_size', '?')} bytes of padded ciphertext, "
                f"SHA-256 {str(p.get('sealed_sha256', ''))[:16]}…; who bid is sealed until the opening.")
    if t == "bid.withdrawn":
        return f"Bid {p.get('id')} withdrawn before the deadline."
    if t == "tender.tendering_closed":
        n = len(p.get("bids", []))
        return f"Submission deadline passed: {n} sealed bid{'s' if n != 1 else ''} on record."
    if t == "coi.declared":
        return f"{p.get('official')} declared {'a conflict of interest' if p.get('has_conflict') else 'no conflict of interest'}."
    if t == "opening.share_submitted":
        return f"{p.get('official')} submitted a key share for the opening."
    if t == "bids.opened":
        bids = p.get("bids", {})
        names = ", ".join(r.get("bidder_name") or r.get("bidder", "?") for _, r in sorted(bids.items()))
        return f"All {len(bids)} bids opened at once; plaintext SHA-256 of each logged. Bidders: {names}."
    if t == "evaluation.rated":
        rev = p.get("revision", 1)
        change = f" — revision {rev}, a changed rating" if rev and rev > 1 else ""
        return f"{p.get('evaluator')} rated {bid(p.get('bid', '?'))} on {p.get('factor')}{change}. Content sealed by commitment."
    if t == "evaluation.consensus":
        return f"Consensus rating of {bid(p.get('bid', '?'))} on {p.get('factor')}. Content sealed by commitment."
    if t == "evaluation.competitive_range":
        inc = ", ".join(bid(b) for b in p.get("included", []))
        exc = ", ".join(bid(b) for b in p.get("excluded", []))
        return f"Competitive range: included {inc or 'none'}; excluded {exc or 'none'}."
    if t == "award.decided":
        s = p.get("supplier", {})
        return f"Award to {s.get('name', '?')} ({p.get('bid')}), {money(p.get('value'))}."
    if t == "debriefing.given":
        return f"Debriefing given to {who(p.get('bidder', '?'))}; document SHA-256 {str(p.get('document_sha256', ''))[:16]}…"
    if t == "contract.signed":
        return f"Contract {p.get('id')} signed, {money(p.get('value'))}."
    if t in ("tender.cancelled", "tender.unsuccessful"):
        return f"Reason: {p.get('reason', '')}"
    if t == "command.refused":
        return f"Refused {p.get('command')}: {p.get('code')} — {p.get('reason')}"
    if t == "confidential.accessed":
        return f"Read of {p.get('item')} for: {p.get('purpose')}"
    if t == "confidential.disclosed":
        n = len(p.get("items", []))
        return f"{n} confidential record{'s' if n != 1 else ''} published with their salts, checkable against their commitments."
    if t == "protest.filed":
        timely = "timely" if p.get("timely") else "untimely"
        return (f"{p.get('kind', '').capitalize()} protest {p.get('id')} by {who(p.get('protester', '?'))} at "
                f"{forum(p.get('forum'))} ({timely}): {p.get('grounds', '')}")
    if t == "protest.docketed":
        stay = p.get("stay")
        extra = f"; {stay.get('kind')} in force ({stay.get('basis')})" if stay else ""
        due = f"; decision due {when(p['decision_due'])}" if p.get("decision_due") else ""
        return f"Protest {p.get('protest')} docketed{due}{extra}."
    if t in ("protest.agency_report", "protest.comments"):
        return f"{p.get('protest')}: {p.get('summary', '')}"
    if t == "protest.decided":
        return f"Protest {p.get('protest')} {p.get('outcome')}: {p.get('reasoning', '')}"
    if t == "court.order":
        return f"{str(p.get('order', '')).replace('_', ' ').capitalize()} in {p.get('protest')}: {p.get('text', '')}"
    if t == "stay.voluntary_hold":
        st = p.get("stay") or {}
        return f"Voluntary hold until {when(st.get('until'))}: {st.get('basis', '')}"
    if t == "stay.overridden":
        return f"Stay {p.get('stay')} overridden on the ground of {p.get('ground')}. Finding: {p.get('finding', '')}"
    if t == "stay.ended":
        return f"Stay {p.get('stay')} ended: {p.get('reason', '')}."
    if t == "corrective_action.taken":
        return f"Corrective action ({p.get('kind')}): {p.get('rationale', '')}"
    if t == "performance.started":
        return f"Performance of contract {p.get('contract')} started: {p.get('scope', '')}"
    if t == "bidder.ownership_declared":
        return f"{who(p.get('bidder', '?'))} declared its owners and affiliates (details sealed by commitment)."
    if t == "coi.match":
        return f"A declared {p.get('interest', 'interest')} of {p.get('official')} matches a bidder (details sealed by commitment)."
    if t == "official.recused":
        return f"{p.get('official')} recused: {p.get('reason', '')}"
    if t == "integrity.employment_contact":
        return (f"{p.get('official')} reported an employment contact from {who(p.get('bidder', '?'))} on "
                f"{when(p.get('contact_date'))}; {p.get('response')}.")
    if t == "contact.recorded":
        return (f"{p.get('official')} had a {p.get('channel', 'contact')} with {p.get('party')} on {when(p.get('when'))} "
                "(what was said is sealed by commitment).")
    if t == "integrity.incident":
        affected = ", ".join(who(a) for a in p.get("affected", [])) or "—"
        return f"Incident affecting {affected} (description sealed by commitment)."
    return t


def forum(code: str | None) -> str:
    return FORUMS.get(code or "", code or "?")


def event_rows(events: list[Logged], bid_names: dict[str, str], bidder_names: dict[str, str]) -> list[EventRow]:
    return [EventRow(e.index, e.envelope.get("seq", 0), e.envelope["time"], e.envelope["type"],
                     EVENT_LABELS.get(e.envelope["type"], e.envelope["type"]), actor_text(e.envelope),
                     summarize(e.envelope, bid_names, bidder_names)) for e in events]


def deadline_history(events: list[Logged]) -> tuple[list[dict[str, Any]], str | None]:
    """The submission deadline as first set and as each amendment moved it; the first enquiry end."""
    out: list[dict[str, Any]] = []
    enquiry_end = None
    for e in events:
        env = e.envelope
        if env["type"] == "tender.created":
            out.append({"time": env["payload"].get("tender_end"), "set": env["time"], "index": e.index, "by": "the solicitation"})
            enquiry_end = env["payload"].get("enquiry_end")
        elif env["type"] == "tender.amended" and "tender_end" in env["payload"].get("changes", {}):
            out.append({"time": env["payload"]["changes"]["tender_end"], "set": env["time"], "index": e.index,
                        "by": env["payload"].get("id", "an amendment"), "rationale": env["payload"].get("rationale")})
    return out, enquiry_end


def disclosed_records(events: list[Logged], bid_names: dict[str, str], factor_names: dict[str, str]) -> list[dict[str, Any]]:
    """Evaluation records published by `confidential.disclosed` events, each matched to the event
    that committed to it and checked against that commitment."""
    committed = {e.envelope["confidential"]: e for e in events if e.envelope.get("confidential")}
    out = []
    for e in events:
        if e.envelope["type"] != "confidential.disclosed":
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
                "label": EVENT_LABELS.get(kind, kind),
                "date": source.envelope["time"] if source else None,
                "bid": p.get("bid"), "bid_name": bid_names.get(p.get("bid", ""), ""),
                "factor": factor_names.get(p.get("factor", ""), p.get("factor", "")),
                "evaluator": p.get("evaluator", ""), "revision": p.get("revision"),
                "rating": content.get("rating", ""),
                "notes": [(k, content[k]) for k in NARRATIVE_KEYS if isinstance(content.get(k), str) and content[k].strip()]
                + [(f"reason for excluding {b}", r) for b, r in sorted((content.get("reasons") or {}).items())],
            })
    return out


EVALUATION_TYPES = ("evaluation.rated", "evaluation.consensus", "evaluation.competitive_range")


def sealed_evaluation_count(events: list[Logged]) -> int:
    """Evaluation records whose content is still behind its commitment."""
    disclosed = {i.get("commitment") for e in events if e.envelope["type"] == "confidential.disclosed"
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
            "blocks": stay.get("blocks", []), "until": stay.get("until"), "protest": protest, "from": e.envelope["time"],
            "index": e.index, "status": "in force", "ended": None, "end_index": None, "override": None}

    def end_stays(protest: str | None, kinds: tuple[str, ...], e: Logged) -> None:
        for st in stays.values():
            if st["protest"] == protest and st["kind"] in kinds and st["status"] == "in force":
                st.update(status="lifted", ended=e.envelope["time"], end_index=e.index)

    for e in events:
        env = e.envelope
        t, p, at, actor = env["type"], env.get("payload", {}), env["time"], env.get("actor", {})
        sealed = env.get("confidential")
        if t == "protest.filed":
            protests[p.get("id", f"protest-{e.index}")] = {
                **{k: p.get(k) for k in ("id", "forum", "kind", "grounds", "timely", "timeliness_rule", "due", "express")},
                "protester": p.get("protester"), "protester_name": name(p.get("protester", "")), "forum_name": forum(p.get("forum")),
                "filed": at, "index": e.index, "docketed": None, "report_due": None, "decision_due": None,
                "report": None, "comments": None, "outcome": None, "decided": None, "decided_index": None,
                "reasoning": None, "recommended_action": None, "orders": []}
        elif t == "protest.docketed" and p.get("protest") in protests:
            protests[p["protest"]].update(docketed=at, report_due=p.get("report_due"), decision_due=p.get("decision_due"))
            if p.get("stay"):
                add_stay(p["stay"], e, p["protest"])
        elif t == "protest.agency_report" and p.get("protest") in protests:
            protests[p["protest"]]["report"] = {"date": at, "summary": p.get("summary", ""), "index": e.index,
                                                "comments_due": p.get("comments_due")}
        elif t == "protest.comments" and p.get("protest") in protests:
            protests[p["protest"]]["comments"] = {"date": at, "summary": p.get("summary", ""), "index": e.index}
        elif t == "protest.decided" and p.get("protest") in protests:
            protests[p["protest"]].update(outcome=p.get("outcome"), decided=at, decided_index=e.index,
                                          reasoning=p.get("reasoning"), recommended_action=p.get("recommended_action"))
            end_stays(p["protest"], ("CICA stay", "suspension"), e)
        elif t == "court.order" and p.get("protest") in protests:
            protests[p["protest"]]["orders"].append({"date": at, "order": str(p.get("order", "")).replace("_", " "),
                                                     "text": p.get("text", ""), "index": e.index})
            if p.get("stay"):
                add_stay(p["stay"], e, p["protest"])
            if p.get("order") == "dissolve_injunction":
                end_stays(p["protest"], ("tro", "preliminary injunction"), e)
        elif t == "stay.voluntary_hold" and p.get("stay"):
            add_stay(p["stay"], e, p.get("protest"))
        elif t in ("stay.ended", "stay.overridden") and p.get("stay") in stays:
            st = stays[p["stay"]]
            st.update(status="ended" if t == "stay.ended" else "overridden", ended=at, end_index=e.index)
            if t == "stay.overridden":
                st["override"] = {"ground": p.get("ground"), "finding": p.get("finding"), "by": actor.get("id")}
        elif t == "corrective_action.taken":
            out["corrective"].append({"date": at, "index": e.index, "kind": p.get("kind"), "rationale": p.get("rationale"),
                                      "factors": p.get("factors", []), "protest": p.get("protest"),
                                      "revisits": p.get("revisits", [])})
        elif t == "performance.started":
            out["performance"].append({"date": at, "index": e.index, "contract": p.get("contract"), "scope": p.get("scope")})
        elif t == "official.recused":
            out["recusals"].append({"date": at, "index": e.index, "official": p.get("official"), "reason": p.get("reason"),
                                    "by": actor.get("id")})
        elif t == "coi.match":
            out["matches"].append({"date": at, "index": e.index, "official": p.get("official"),
                                   "interest": p.get("interest"), "commitment": sealed})
        elif t == "integrity.employment_contact":
            out["employment"].append({"date": at, "index": e.index, "official": p.get("official"),
                                      "contact_date": p.get("contact_date"),
                                      "response": p.get("response")})
        elif t == "contact.recorded":
            out["contacts"].append({"recorded": at, "index": e.index, "official": p.get("official"), "party": p.get("party"),
                                    "channel": p.get("channel"), "when": p.get("when"), "commitment": sealed})
        elif t == "integrity.incident":
            out["incidents"].append({"date": at, "index": e.index, "by": f"{actor.get('id', '?')} ({role_label(actor.get('role', ''))})",
                                     "affected": [name(a) for a in p.get("affected", [])], "commitment": sealed})
        elif t == "bidder.ownership_declared":
            out["ownership"].append({"date": at, "index": e.index, "commitment": sealed})
    return {"protests": list(protests.values()), "stays": list(stays.values()), **out}


def tender_page(p: Procurement, tender_id: str) -> TenderPage | None:
    state = p.state(tender_id)
    if state is None:
        return None
    v = public_view(state)
    del state  # from here on, only the public view
    events = p.events(tender_id)
    bid_names, bidder_names = bidder_display(v)
    deadlines, enquiry_end_original = deadline_history(events)
    factor_names = {f["id"]: f["name"] for f in v["factors"]}
    event_of: dict[str, int] = {}
    award_events: dict[str, int] = {}
    for e in events:
        event_of.setdefault(e.envelope["type"], e.index)
        if e.envelope["type"] == "award.decided":
            award_events[e.envelope["payload"].get("id", "")] = e.index
    periods = v["periods"]
    key_dates: list[tuple[str, str | None, str]] = [
        ("Created", v["created"], ""),
        ("Published", v["published"], ""),
    ]
    if periods.get("enquiry_end"):
        key_dates.append(("Enquiry period ends", periods["enquiry_end"], ""))
    moved = len(deadlines) - 1
    key_dates.append(("Submission deadline", periods["tender_end"],
                      f"moved {moved} time{'s' if moved != 1 else ''}" if moved > 0 else ""))
    if v["opened"]:
        key_dates.append(("Bids opened", v["opened"], ""))
    if v["competitive_range"]:
        key_dates.append(("Competitive range set", v["competitive_range"]["date"], ""))
    record = dispute_record(events, bidder_names)
    for pr in record["protests"]:
        key_dates.append((f"Protest filed ({pr['protester_name']}, {pr['forum_name']})", pr["filed"],
                          f"{pr['id']}: {pr['outcome'] or 'pending'}"))
    for n, a in enumerate(v["awards"], 1):
        label = "Award" if len(v["awards"]) == 1 else f"Award {n}"
        key_dates.append((label, a["date"], f"to {a['supplier']['name']}"
                          + (f", superseding {a['supersedes']}" if a.get("supersedes") else "")))
        if a.get("standstill_end"):
            key_dates.append(("Standstill ends", a["standstill_end"], a.get("standstill_basis", "")))
    for ca in record["corrective"]:
        key_dates.append(("Corrective action", ca["date"], ca["kind"] or ""))
    if v["contract"]:
        key_dates.append(("Contract signed", v["contract"]["date"], v["contract"].get("id", "")))
        if v["contract"].get("terminated"):
            key_dates.append(("Contract terminated", v["contract"]["terminated"], ""))
    if v["cancellation"]:
        key_dates.append(("Cancelled" if v["status"] == "cancelled" else "Ended", v["cancellation"]["date"],
                          v["cancellation"]["reason"]))
    key_dates.append(("Last event", v["last_event"], ""))
    key_dates = [key_dates[0]] + sorted(key_dates[1:-1], key=lambda k: k[1] or "") + [key_dates[-1]]
    declarations = [{"official": o, **d} for o, d in sorted(v["declarations"].items(), key=lambda kv: kv[1]["date"])]
    page = TenderPage(
        v=v, phase=phase_of(v), bid_names=bid_names, bidder_names=bidder_names, deadlines=deadlines,
        enquiry_end_original=enquiry_end_original, key_dates=key_dates,
        events=event_rows(events, bid_names, bidder_names), event_of=event_of,
        disclosed=disclosed_records(events, bid_names, factor_names), declarations=declarations,
        factor_names=factor_names, record=record, sealed_evaluation=sealed_evaluation_count(events),
        award_events=award_events,
    )
    page.chart = timeline_svg(page)
    return page


def list_row(tender_id: str, status: str, title: str, state_text: str | None) -> dict[str, Any]:
    """One row of the tender list, from the core of the state (only public fields of it)."""
    row = {"id": tender_id, "status": status, "title": title, "buyer": "", "deadline": None, "value": None}
    if state_text:
        v = json.loads(state_text)
        row.update(buyer=v["buyer"].get("name", ""), deadline=v["periods"].get("tender_end"), value=v["value"],
                   award=(v["awards"][-1]["supplier"]["name"] if v["awards"] else None))
    return row


def entry_digests(entry: bytes) -> tuple[str, str]:
    """(SHA-256 of the entry, its RFC 9162 leaf hash), hex."""
    return hashlib.sha256(entry).hexdigest(), hashlib.sha256(b"\x00" + entry).hexdigest()
