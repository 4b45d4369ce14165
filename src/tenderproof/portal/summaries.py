"""One line per logged event saying what its public envelope records: one summary for each
`EventType`, in one mapping (a new event type without a summary fails the portal's tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenderproof.domain.events import EventType

from .labels import event_type, forum, money, role_label, when
from .litigation_summaries import LITIGATION_SUMMARIES

Payload = dict[str, Any]


@dataclass(frozen=True)
class Names:
    """The names the public record has given to bids and bidders (from the opening on)."""

    bids: dict[str, str] = field(default_factory=dict)  # bid id -> bidder name, opened bids only
    bidders: dict[str, str] = field(default_factory=dict)  # bidder id -> name

    def bid(self, b: str) -> str:
        return f"{b} ({self.bids[b]})" if b in self.bids else b

    def who(self, x: str) -> str:
        return f"{self.bidders[x]} ({x})" if x in self.bidders else x


Summary = Callable[[Payload, Names], str]


def actor_text(env: dict[str, Any]) -> str:
    a = env.get("actor", {})
    role = role_label(a.get("role", ""))
    return f"{a['id']} ({role})" if a.get("id") else f"{role} (identity sealed)"


def summarize(env: dict[str, Any], bid_names: dict[str, str], bidder_names: dict[str, str]) -> str:
    """One line saying what a public envelope records (its type, if the domain does not know it)."""
    kind = event_type(env["type"])
    if kind is None:
        return str(env["type"])
    return SUMMARIES[kind](env.get("payload", {}), Names(bid_names, bidder_names))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _published(p: Payload, _: Names) -> str:
    o = p.get("opening") or {}
    n = len(o.get("encrypted_shares") or {})
    return (f"Solicitation published; bid-opening key issued ({o.get('threshold', '?')} of {n} officials needed "
            "to open).")


def _amended(p: Payload, _: Names) -> str:
    ch = p.get("changes", {})
    parts = []
    if "tender_end" in ch:
        parts.append(f"submission deadline moved to {when(ch['tender_end'])}")
    if "enquiry_end" in ch:
        parts.append(f"enquiry period now ends {when(ch['enquiry_end'])}")
    parts += [f"{k} changed" for k in sorted(ch) if k not in ("tender_end", "enquiry_end")]
    return f"{p.get('id', 'Amendment')}: {', '.join(parts)}. Rationale: {p.get('rationale', '')}"


def _bid_submitted(p: Payload, _: Names) -> str:
    return (f"Sealed bid {p.get('id')} received: {p.get('sealed_size', '?')} bytes of padded ciphertext, "
            f"SHA-256 {str(p.get('sealed_sha256', ''))[:16]}…; who bid is sealed until the opening.")


def _declared(p: Payload, _: Names) -> str:
    conflict = "a conflict of interest" if p.get("has_conflict") else "no conflict of interest"
    return f"{p.get('official')} declared {conflict}."


def _opened(p: Payload, _: Names) -> str:
    bids = p.get("bids", {})
    names = ", ".join(r.get("bidder_name") or r.get("bidder", "?") for _, r in sorted(bids.items()))
    return f"All {len(bids)} bids opened at once; plaintext SHA-256 of each logged. Bidders: {names}."


def _rated(p: Payload, n: Names) -> str:
    rev = p.get("revision", 1)
    change = f" — revision {rev}, a changed rating" if rev and rev > 1 else ""
    return (f"{p.get('evaluator')} rated {n.bid(p.get('bid', '?'))} on {p.get('factor')}{change}. "
            "Content sealed by commitment.")


def _competitive_range(p: Payload, n: Names) -> str:
    inc = ", ".join(n.bid(b) for b in p.get("included", []))
    exc = ", ".join(n.bid(b) for b in p.get("excluded", []))
    return f"Competitive range: included {inc or 'none'}; excluded {exc or 'none'}."


def _award(p: Payload, _: Names) -> str:
    s = p.get("supplier", {})
    return f"Award to {s.get('name', '?')} ({p.get('bid')}), {money(p.get('value'))}."


def _vehicle_awarded(p: Payload, _: Names) -> str:
    names = ", ".join(f"{x.get('name', '?')} ({x.get('bid')})" for x in p.get("parties", []))
    n = len(p.get("parties", []))
    return f"Vehicle awarded to {n} {'party' if n == 1 else 'parties'}: {names}."


def _order(p: Payload, _: Names) -> str:
    basis = {"fair-opportunity": "competed among the parties", "mini-competition": "by mini-competition",
             "exception": f"without competition ({p.get('exception')})", "direct": "directly on the framework's terms",
             "micro-purchase": "at or under the micro-purchase threshold"}.get(str(p.get("basis")), str(p.get("basis")))
    return (f"Order {p.get('id')} to {p.get('party', {}).get('name', '?')}, {money(p.get('value'))}, {basis}; "
            f"orders now total {p.get('ordered_after')}.")


def _debriefing(p: Payload, n: Names) -> str:
    digest = str(p.get("document_sha256", ""))[:16]
    return f"Debriefing given to {n.who(p.get('bidder', '?'))}; document SHA-256 {digest}…"


def _ended(p: Payload, _: Names) -> str:
    return f"Reason: {p.get('reason', '')}"


def _disclosed(p: Payload, _: Names) -> str:
    records = _plural(len(p.get("items", [])), "confidential record")
    return f"{records} published with their salts, checkable against their commitments."


def _given(p: Payload, n: Names) -> str:
    records = _plural(len(p.get("commitments", [])), "confidential record")
    return (f"{records} given to {n.who(p.get('to', '?'))} only, with their salts; the content is that "
            "offeror's alone.")


def _protest_filed(p: Payload, n: Names) -> str:
    timely = "timely" if p.get("timely") else "untimely"
    return (f"{p.get('kind', '').capitalize()} protest {p.get('id')} by {n.who(p.get('protester', '?'))} at "
            f"{forum(p.get('forum'))} ({timely}): {p.get('grounds', '')}")


def _docketed(p: Payload, _: Names) -> str:
    stay = p.get("stay")
    extra = f"; {stay.get('kind')} in force ({stay.get('basis')})" if stay else ""
    due = f"; decision due {when(p['decision_due'])}" if p.get("decision_due") else ""
    return f"Protest {p.get('protest')} docketed{due}{extra}."


def _protest_filing(p: Payload, _: Names) -> str:
    return f"{p.get('protest')}: {p.get('summary', '')}"


def _court_order(p: Payload, _: Names) -> str:
    return f"{str(p.get('order', '')).replace('_', ' ').capitalize()} in {p.get('protest')}: {p.get('text', '')}"


def _hold(p: Payload, _: Names) -> str:
    st = p.get("stay") or {}
    return f"Voluntary hold until {when(st.get('until'))}: {st.get('basis', '')}"


def _employment_contact(p: Payload, n: Names) -> str:
    late = ""
    if p.get("late"):
        acts = ", ".join(f"#{a}" for a in p.get("acts_since_contact", []))
        late = (f" Reported late (due {when(p.get('report_due'))}; {p.get('rule', 'FAR 3.104-3(c)')})"
                + (f"; acts since the contact flagged: {acts}" if acts else "") + ".")
    return (f"{p.get('official')} reported an employment contact from {n.who(p.get('bidder', '?'))} on "
            f"{when(p.get('contact_date'))}; {p.get('response')}.{late}")


def _oci_resolved(p: Payload, _: Names) -> str:
    plan = f" Plan SHA-256 {str(p['plan_sha256'])[:16]}…" if p.get("plan_sha256") else ""
    return f"Organizational conflict {p.get('id')} resolved: {p.get('basis', p.get('resolution'))}.{plan}"


def _contact(p: Payload, _: Names) -> str:
    late = ""
    if p.get("late"):
        late = (" Recorded after the decisions it preceded: "
                + ", ".join(f"#{d}" for d in p.get("decisions_preceded", [])) + ".")
    return (f"{p.get('official')} had a {p.get('channel', 'contact')} with {p.get('party')} on {when(p.get('when'))} "
            f"(what was said is sealed by commitment).{late}")


def _incident(p: Payload, n: Names) -> str:
    affected = ", ".join(n.who(a) for a in p.get("affected", [])) or "—"
    return f"Incident affecting {affected} (description sealed by commitment)."


E = EventType
SUMMARIES: dict[EventType, Summary] = {
    E.TENDER_CREATED: lambda p, _: f"“{p.get('title', '')}” created; sealed bids due {when(p.get('tender_end'))}.",
    E.TENDER_PUBLISHED: _published,
    E.TENDER_AMENDED: _amended,
    E.ENQUIRY_ASKED: lambda p, _: f"Enquiry {p.get('id')} asked; who asked is not identified (FAR 15.201(f)).",
    E.ENQUIRY_ANSWERED: lambda p, _: f"Enquiry {p.get('id')} answered publicly.",
    E.TENDER_ENQUIRIES_CLOSED: lambda p, _: "The enquiry period ended (deadline worker).",
    E.BID_SUBMITTED: _bid_submitted,
    E.BID_WITHDRAWN: lambda p, _: f"Bid {p.get('id')} withdrawn before the deadline.",
    E.TENDER_TENDERING_CLOSED:
        lambda p, _: f"Submission deadline passed: {_plural(len(p.get('bids', [])), 'sealed bid')} on record.",
    E.TENDER_UNSUCCESSFUL: _ended,
    E.TENDER_CANCELLED: _ended,
    E.COI_DECLARED: _declared,
    E.OPENING_SHARE_SUBMITTED: lambda p, _: f"{p.get('official')} submitted a key share for the opening.",
    E.BIDS_OPENED: _opened,
    E.EVALUATION_RATED: _rated,
    E.EVALUATION_CONSENSUS: lambda p, n: (f"Consensus rating of {n.bid(p.get('bid', '?'))} on {p.get('factor')}. "
                                          "Content sealed by commitment."),
    E.EVALUATION_COMPETITIVE_RANGE: _competitive_range,
    E.AWARD_DECIDED: _award,
    E.VEHICLE_AWARDED: _vehicle_awarded,
    E.VEHICLE_OPTION_EXERCISED:
        lambda p, _: f"Option {p.get('option')} exercised: orders until {p.get('ordering_end')}.",
    E.ORDER_PLACED: _order,
    E.DEBRIEFING_REQUESTED: lambda p, n: (f"Debriefing requested by {n.who(p.get('bidder', '?'))}: "
                                          f"{p.get('rule', '')}"),
    E.DEBRIEFING_GIVEN: _debriefing,
    E.CONTRACT_SIGNED: lambda p, _: f"Contract {p.get('id')} signed, {money(p.get('value'))}.",
    E.PERFORMANCE_STARTED: lambda p, _: f"Performance of contract {p.get('contract')} started: {p.get('scope', '')}",
    E.PROTEST_FILED: _protest_filed,
    E.PROTEST_DOCKETED: _docketed,
    E.PROTEST_AGENCY_REPORT: _protest_filing,
    E.PROTEST_COMMENTS: _protest_filing,
    E.PROTEST_DECIDED: lambda p, _: f"Protest {p.get('protest')} {p.get('outcome')}: {p.get('reasoning', '')}",
    E.COURT_ORDER: _court_order,
    E.STAY_VOLUNTARY_HOLD: _hold,
    E.STAY_OVERRIDDEN: lambda p, _: (f"Stay {p.get('stay')} overridden on the ground of {p.get('ground')}. "
                                     f"Finding: {p.get('finding', '')}"),
    E.STAY_ENDED: lambda p, _: f"Stay {p.get('stay')} ended: {p.get('reason', '')}.",
    E.CORRECTIVE_ACTION_TAKEN: lambda p, _: f"Corrective action ({p.get('kind')}): {p.get('rationale', '')}",
    E.BIDDER_OWNERSHIP_DECLARED: lambda p, n: (f"{n.who(p.get('bidder', '?'))} declared its owners and affiliates "
                                               "(details sealed by commitment)."),
    E.COI_MATCH: lambda p, _: (f"A declared {p.get('interest', 'interest')} of {p.get('official')} matches a bidder "
                               "(details sealed by commitment)."),
    E.OFFICIAL_RECUSED: lambda p, _: f"{p.get('official')} recused: {p.get('reason', '')}",
    E.INTEGRITY_EMPLOYMENT_CONTACT: _employment_contact,
    E.CONTACT_RECORDED: _contact,
    E.INTEGRITY_INCIDENT: _incident,
    E.FAMILY_REGISTERED: lambda p, _: (f"Corporate family {p.get('id')} registered: {p.get('parent')} with "
                                       f"{', '.join(p.get('members', []))} (source: {p.get('source', '')})."),
    E.OCI_IDENTIFIED: lambda p, _: (f"Organizational conflict of interest {p.get('id')} identified ({p.get('kind')}: "
                                    f"{p.get('basis', '')}); the offeror and finding sealed by commitment."),
    E.OCI_RESOLVED: _oci_resolved,
    E.CONFIDENTIAL_ACCESSED: lambda p, _: f"Read of {p.get('item')} for: {p.get('purpose')}",
    E.CONFIDENTIAL_DISCLOSED: _disclosed,
    E.CONFIDENTIAL_GIVEN: _given,
    E.COMMAND_REFUSED: lambda p, _: f"Refused {p.get('command')}: {p.get('code')} — {p.get('reason')}",
    E.ACCESS_GRANTED: lambda p, _: f"{p.get('person')} may now act as {p.get('role')} on this tender.",
    E.ACCESS_REVOKED: lambda p, _: f"{p.get('person')} may no longer act as {p.get('role')} on this tender.",
    **LITIGATION_SUMMARIES,
}
