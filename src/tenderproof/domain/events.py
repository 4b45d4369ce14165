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
    # Integrity: conflicts of interest, recusals, outside contacts, incidents (FAR 3.104, 3.101).
    BIDDER_OWNERSHIP_DECLARED = "bidder.ownership_declared"
    COI_MATCH = "coi.match"
    OFFICIAL_RECUSED = "official.recused"
    INTEGRITY_EMPLOYMENT_CONTACT = "integrity.employment_contact"
    CONTACT_RECORDED = "contact.recorded"
    INTEGRITY_INCIDENT = "integrity.incident"
    # Access to confidential parts, and what is disclosed (DESIGN.md §4.3).
    CONFIDENTIAL_ACCESSED = "confidential.accessed"
    CONFIDENTIAL_DISCLOSED = "confidential.disclosed"
    # Who may act as an official on the tender: grants and revocations (FAR 1.603-3, 15.303(a)).
    ACCESS_GRANTED = "access.granted"
    ACCESS_REVOKED = "access.revoked"
    # A refused command that the law wants on the record (a late bid, say).
    COMMAND_REFUSED = "command.refused"

