"""Words and formats for the portal: labels of statuses, roles, events, and the filters that
format times, dates and money (also Jinja filters)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tenderproof.domain.events import EventType
from tenderproof.domain.model import parse_time

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

E = EventType
EVENT_LABELS: dict[EventType, str] = {
    E.TENDER_CREATED: "Tender created",
    E.TENDER_PUBLISHED: "Tender published",
    E.TENDER_AMENDED: "Tender amended",
    E.ENQUIRY_ASKED: "Enquiry asked",
    E.ENQUIRY_ANSWERED: "Enquiry answered",
    E.TENDER_ENQUIRIES_CLOSED: "Enquiry period closed",
    E.BID_SUBMITTED: "Sealed bid submitted",
    E.BID_WITHDRAWN: "Bid withdrawn",
    E.TENDER_TENDERING_CLOSED: "Submission deadline passed",
    E.COI_DECLARED: "Conflict-of-interest declaration",
    E.OPENING_SHARE_SUBMITTED: "Opening key share submitted",
    E.BIDS_OPENED: "Bids opened",
    E.EVALUATION_RATED: "Rating logged",
    E.EVALUATION_CONSENSUS: "Consensus rating logged",
    E.EVALUATION_COMPETITIVE_RANGE: "Competitive range set",
    E.AWARD_DECIDED: "Award decided",
    E.VEHICLE_AWARDED: "Vehicle awarded",
    E.VEHICLE_OPTION_EXERCISED: "Option exercised",
    E.ORDER_PLACED: "Order placed",
    E.DEBRIEFING_REQUESTED: "Debriefing requested",
    E.DEBRIEFING_GIVEN: "Debriefing given",
    E.CONTRACT_SIGNED: "Contract signed",
    E.TENDER_CANCELLED: "Tender cancelled",
    E.TENDER_UNSUCCESSFUL: "Tender unsuccessful",
    E.COMMAND_REFUSED: "Refused attempt",
    E.ACCESS_GRANTED: "Official role granted",
    E.ACCESS_REVOKED: "Official role revoked",
    E.CONFIDENTIAL_ACCESSED: "Confidential record read",
    E.CONFIDENTIAL_DISCLOSED: "Confidential records disclosed",
    E.CONFIDENTIAL_GIVEN: "Confidential records given to one offeror",
    E.PROTEST_FILED: "Protest filed",
    E.PROTEST_DOCKETED: "Protest docketed",
    E.PROTEST_AGENCY_REPORT: "Agency report filed",
    E.PROTEST_COMMENTS: "Comments on the agency report",
    E.PROTEST_DECIDED: "Protest decided",
    E.COURT_ORDER: "Court order",
    E.STAY_VOLUNTARY_HOLD: "Voluntary hold",
    E.STAY_OVERRIDDEN: "Stay overridden",
    E.STAY_ENDED: "Stay ended",
    E.CORRECTIVE_ACTION_TAKEN: "Corrective action",
    E.PERFORMANCE_STARTED: "Performance started",
    E.BIDDER_OWNERSHIP_DECLARED: "Ownership declared",
    E.COI_MATCH: "Conflict of interest matched",
    E.OFFICIAL_RECUSED: "Official recused",
    E.INTEGRITY_EMPLOYMENT_CONTACT: "Employment contact reported",
    E.CONTACT_RECORDED: "Outside contact recorded",
    E.INTEGRITY_INCIDENT: "Integrity incident recorded",
    E.LITIGATION_INTERVENED: "Intervenor joined",
    E.LITIGATION_RECORD_FILED: "Administrative record filed",
    E.LITIGATION_MOTION_FILED: "Motion filed",
    E.LITIGATION_PUBLIC_VERSION: "Public version of a sealed motion",
    E.LITIGATION_BRIEF_FILED: "Brief on a motion",
    E.LITIGATION_MOTION_RULED: "Ruling on a motion",
    E.LITIGATION_PROTECTIVE_ORDER: "Protective order",
    E.LITIGATION_ACCESS_APPLIED: "Counsel applied for access",
    E.LITIGATION_ACCESS_DECIDED: "Counsel's access decided",
    E.LITIGATION_HEARING: "GAO hearing",
    E.LITIGATION_APPEAL_FILED: "Appeal filed",
    E.LITIGATION_APPEAL_DECIDED: "Appeal decided",
    E.LITIGATION_COSTS_RECOMMENDED: "Costs recommended",
    E.LITIGATION_COST_CLAIM: "Cost claim filed",
    E.FAMILY_REGISTERED: "Corporate family registered",
    E.OCI_IDENTIFIED: "Organizational conflict identified",
    E.OCI_RESOLVED: "Organizational conflict resolved",
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
    "reviewer": "Reviewer", "auditor": "Auditor", "system": "System", "counsel": "Counsel",
}


def event_type(value: str) -> EventType | None:
    """The event type an envelope names, or None for a name the domain does not know."""
    try:
        return EventType(value)
    except ValueError:
        return None


def event_label(value: str) -> str:
    kind = event_type(value)
    return value if kind is None else EVENT_LABELS[kind]


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


def criteria_label(criteria: str) -> str:
    return CRITERIA_LABELS.get(criteria, criteria)


def forum(code: str | None) -> str:
    return FORUMS.get(code or "", code or "?")


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def upfirst(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
