"""The vocabulary of the domain: actors, roles, statuses, events.

State is a plain JSON-compatible dict (so that projections compare byte for byte after a
rebuild); commands are typed dataclasses (see commands.py); events are `Event` values whose
`payload` goes to the public log and whose `confidential` part is stored privately behind a
salted commitment (DESIGN.md §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .events import EventType

# Roles an official or company plays on one tender (DESIGN.md §2).
BUYER = "buyer"
EVALUATOR = "evaluator"
SSA = "ssa"
OPENING_OFFICIAL = "opening_official"
HCA = "hca"
BIDDER = "bidder"
REVIEWER = "reviewer"
AUDITOR = "auditor"
SYSTEM = "system"  # the deadline worker
COUNSEL = "counsel"  # a party's counsel in a protest: reads protected material only while admitted
ROLES = (BUYER, EVALUATOR, SSA, OPENING_OFFICIAL, HCA, BIDDER, REVIEWER, AUDITOR, SYSTEM, COUNSEL)

# tender.status, with the OCDS codelist values where they exist (DESIGN.md §3).
DRAFT = "draft"
ENQUIRIES = "active.enquiries"
TENDERING = "active.tendering"
OPENING = "active.opening"
EVALUATION = "active.evaluation"
AWARDED = "active.awarded"
COMPLETE = "complete"
CANCELLED = "cancelled"
UNSUCCESSFUL = "unsuccessful"
ENDED = (COMPLETE, CANCELLED, UNSUCCESSFUL)

METHODS = ("open", "selective", "limited", "direct")
CRITERIA = ("lowestPrice", "bestValueTradeoff", "lowestPriceTechnicallyAcceptable")
#: The default adjectival scale (FAR 15.305 practice), best first.
DEFAULT_SCALE = ("Outstanding", "Good", "Acceptable", "Marginal", "Unacceptable")


@dataclass(frozen=True)
class Actor:
    """An authenticated person acting in a role."""

    id: str
    role: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role}


@dataclass(frozen=True)
class Event:
    """What a command decided: one entry of the log, before the app wraps it in an envelope."""

    type: EventType
    payload: dict[str, Any]
    confidential: dict[str, Any] | None = None
    #: For events the deadline worker emits at a deadline: the deadline, not the wall clock.
    at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", EventType(self.type))  # refuses a name the domain does not know


def iso(t: datetime) -> str:
    """RFC 3339 in UTC with a Z, the one time format of the log and of OCDS."""
    if t.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    u = t.astimezone(UTC)  # the year zero-padded to four digits, as RFC 3339 has it (strftime does not)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def parse_time(s: str) -> datetime:
    t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"time {s!r} has no timezone")
    return t.astimezone(UTC)
