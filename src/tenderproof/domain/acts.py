"""Which events are an official's part in a procurement, and which of them are decisions: what a
late conflict report (FAR 3.104-3(c)) or a late outside contact (DESIGN.md §5) is checked against.
`evolve` keeps each such act in the state's `official_acts`; `integrity` reads them.
"""

from __future__ import annotations

from .events import EventType
from .model import BUYER, EVALUATOR, HCA, OPENING_OFFICIAL, SSA

OFFICIAL_ROLES = frozenset({BUYER, EVALUATOR, SSA, OPENING_OFFICIAL, HCA})
#: An official's acts on the procurement that a later conflict report must be checked against
#: (FAR 3.104-1: participating personally and substantially; 3.104-3(c)): `official_acts`.
PARTICIPATION = frozenset({
    EventType.TENDER_AMENDED, EventType.ENQUIRY_ANSWERED, EventType.OPENING_SHARE_SUBMITTED,
    EventType.CONFIDENTIAL_ACCESSED, EventType.EVALUATION_RATED, EventType.EVALUATION_CONSENSUS,
    EventType.EVALUATION_COMPETITIVE_RANGE, EventType.AWARD_DECIDED, EventType.DEBRIEFING_GIVEN,
    EventType.CONTRACT_SIGNED, EventType.STAY_OVERRIDDEN, EventType.CORRECTIVE_ACTION_TAKEN,
    EventType.OCI_RESOLVED})
#: Of those, the decisions an outside contact must be on the record before (DESIGN.md §5).
DECISIONS = frozenset({EventType.EVALUATION_CONSENSUS, EventType.EVALUATION_COMPETITIVE_RANGE,
                       EventType.AWARD_DECIDED, EventType.CORRECTIVE_ACTION_TAKEN, EventType.OCI_RESOLVED})
