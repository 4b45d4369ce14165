"""Every kind of event a tender's log can hold: one name each, defined once.

The value is what the log carries in an envelope's `type` (so it never changes once logged);
the member is what code writes. A `StrEnum` compares equal to its value, so an envelope read back
from the log (`{"type": "bid.submitted"}`) matches `EventType.BID_SUBMITTED` without conversion.
`EventType(value)` refuses a name the domain does not know.
"""

from __future__ import annotations

from enum import StrEnum, unique


@unique
class EventType(StrEnum):
    # Solicitation (FAR part 14/15; DESIGN.md §3).
    TENDER_CREATED = "tender.created"
    TENDER_AMENDED = "tender.amended"
    TENDER_PUBLISHED = "tender.published"
    ENQUIRY_ASKED = "enquiry.asked"  # the author is sealed to the opening key (FAR 15.201(f))
    ENQUIRY_ANSWERED = "enquiry.answered"
    TENDER_ENQUIRIES_CLOSED = "tender.enquiries_closed"  # emitted by the deadline worker
    # Sealed bids: the bidder is sealed to the opening key until the opening.
    BID_SUBMITTED = "bid.submitted"
    BID_WITHDRAWN = "bid.withdrawn"
    TENDER_TENDERING_CLOSED = "tender.tendering_closed"  # emitted by the deadline worker
    TENDER_UNSUCCESSFUL = "tender.unsuccessful"  # no bids by the deadline
    TENDER_CANCELLED = "tender.cancelled"
    # Opening and evaluation.
    COI_DECLARED = "coi.declared"
    OPENING_SHARE_SUBMITTED = "opening.share_submitted"
    BIDS_OPENED = "bids.opened"
    EVALUATION_RATED = "evaluation.rated"
    EVALUATION_CONSENSUS = "evaluation.consensus"
    EVALUATION_COMPETITIVE_RANGE = "evaluation.competitive_range"
    AWARD_DECIDED = "award.decided"
    DEBRIEFING_REQUESTED = "debriefing.requested"  # FAR 15.506(a)(1): required if within 3 days
    DEBRIEFING_GIVEN = "debriefing.given"
    CONTRACT_SIGNED = "contract.signed"
    PERFORMANCE_STARTED = "performance.started"
    # Protests, stays and corrective action (4 CFR part 21, 31 U.S.C. 3553, 28 U.S.C. 1491(b)).
    PROTEST_FILED = "protest.filed"
    PROTEST_DOCKETED = "protest.docketed"
    PROTEST_AGENCY_REPORT = "protest.agency_report"
    PROTEST_COMMENTS = "protest.comments"
    PROTEST_DECIDED = "protest.decided"
    COURT_ORDER = "court.order"
    STAY_VOLUNTARY_HOLD = "stay.voluntary_hold"
    STAY_OVERRIDDEN = "stay.overridden"
    STAY_ENDED = "stay.ended"  # emitted by the deadline worker
    CORRECTIVE_ACTION_TAKEN = "corrective_action.taken"
    # Litigation of a protest: parties, the administrative record, motions, protective orders,
    # GAO hearings and costs, appeals (RCFC App. C, 4 CFR 21.0-21.14, 28 U.S.C. 2107, 2101).
    LITIGATION_INTERVENED = "litigation.intervened"
    LITIGATION_RECORD_FILED = "litigation.record_filed"
    LITIGATION_MOTION_FILED = "litigation.motion_filed"
    LITIGATION_PUBLIC_VERSION = "litigation.public_version"
    LITIGATION_BRIEF_FILED = "litigation.brief_filed"
    LITIGATION_MOTION_RULED = "litigation.motion_ruled"
    LITIGATION_PROTECTIVE_ORDER = "litigation.protective_order"
    LITIGATION_ACCESS_APPLIED = "litigation.access_applied"
    LITIGATION_ACCESS_DECIDED = "litigation.access_decided"
    LITIGATION_HEARING = "litigation.hearing"
    LITIGATION_APPEAL_FILED = "litigation.appeal_filed"
    LITIGATION_APPEAL_DECIDED = "litigation.appeal_decided"
    LITIGATION_COSTS_RECOMMENDED = "litigation.costs_recommended"
    LITIGATION_COST_CLAIM = "litigation.cost_claim"
    # Integrity: conflicts of interest, recusals, outside contacts, incidents (FAR 3.104, 3.101).
    BIDDER_OWNERSHIP_DECLARED = "bidder.ownership_declared"
    COI_MATCH = "coi.match"
    FAMILY_REGISTERED = "family.registered"  # a corporate family, matched through (FAR 3.104, 9.5)
    OFFICIAL_RECUSED = "official.recused"
    INTEGRITY_EMPLOYMENT_CONTACT = "integrity.employment_contact"
    CONTACT_RECORDED = "contact.recorded"
    INTEGRITY_INCIDENT = "integrity.incident"
    # Organizational conflicts of interest (FAR 9.5): identified, then resolved before award.
    OCI_IDENTIFIED = "oci.identified"
    OCI_RESOLVED = "oci.resolved"
    # Access to confidential parts, and what is disclosed (DESIGN.md §4.3).
    CONFIDENTIAL_ACCESSED = "confidential.accessed"
    CONFIDENTIAL_DISCLOSED = "confidential.disclosed"
    CONFIDENTIAL_GIVEN = "confidential.given"  # to one offeror only: its own evaluation (FAR 15.506(d))
    # Who may act as an official on the tender: grants and revocations (FAR 1.603-3, 15.303(a)).
    ACCESS_GRANTED = "access.granted"
    ACCESS_REVOKED = "access.revoked"
    # Contract vehicles: multiple-award IDIQ contracts (FAR 16.504-16.505), framework agreements
    # (2014/24/EU art. 33), and the orders placed under them with the running totals.
    VEHICLE_AWARDED = "vehicle.awarded"
    VEHICLE_OPTION_EXERCISED = "vehicle.option_exercised"
    ORDER_PLACED = "order.placed"
    # A refused command that the law wants on the record (a late bid, say).
    COMMAND_REFUSED = "command.refused"

