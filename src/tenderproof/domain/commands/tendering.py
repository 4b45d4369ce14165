"""Commands of the solicitation: drafting, amending, publishing, enquiries, sealed bids,
the deadlines and cancellation (rules in domain/tendering.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model import CRITERIA, METHODS
from .base import Command, InvalidCommand, check_id, check_sha256, check_text, money


@dataclass(frozen=True)
class CreateTender(Command):
    title: str
    description: str
    buyer: dict[str, str]  # {"id", "name"}
    method: str
    criteria: str
    items: list[dict[str, Any]]  # {"id", "description", "classification": {"scheme", "id"}, "quantity"?}
    factors: list[dict[str, Any]]  # {"id", "name", "kind": "rating"|"price", "weight", "scale"?}
    tender_end: datetime
    panel: dict[str, list[str]]  # role -> official ids
    opening_threshold: int
    ruleset: str = "us-far"
    value: dict[str, str] | None = None
    enquiry_end: datetime | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    illustrative: list[str] = field(default_factory=list)  # which fields are invented (scenario data)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.title, "title", 500)
        check_text(self.description, "description", required=False)
        if self.method not in METHODS:
            raise InvalidCommand(f"procurement method {self.method!r} is not one of {', '.join(METHODS)}")
        if self.criteria not in CRITERIA:
            raise InvalidCommand(f"award criteria {self.criteria!r} is not one of {', '.join(CRITERIA)}")
        if not self.items:
            raise InvalidCommand("a tender needs at least one item")
        if not self.factors:
            raise InvalidCommand("a tender needs at least one evaluation factor")
        if self.value is not None:
            object.__setattr__(self, "value", money(self.value, "value"))


@dataclass(frozen=True)
class AmendTender(Command):
    rationale: str
    changes: dict[str, Any]  # any of: title, description, tender_end, enquiry_end, documents, value

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.rationale, "amendment rationale")
        allowed = {"title", "description", "tender_end", "enquiry_end", "documents", "value", "items"}
        bad = set(self.changes) - allowed
        if not self.changes or bad:
            raise InvalidCommand(f"an amendment changes some of {', '.join(sorted(allowed))}; "
                                 f"got {sorted(self.changes)}")


@dataclass(frozen=True)
class PublishTender(Command):
    opening: dict[str, Any]  # {"suite", "public_key", "threshold", "encrypted_shares": {official: b64}}


@dataclass(frozen=True)
class AskQuestion(Command):
    enquiry_id: str
    question: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.enquiry_id, "enquiry id")
        check_text(self.question, "question")


@dataclass(frozen=True)
class AnswerQuestion(Command):
    enquiry_id: str
    answer: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.answer, "answer")


@dataclass(frozen=True)
class SubmitBid(Command):
    """`withdrawal` is the SHA-256 of the bid's withdrawal key: whoever presents the key may
    withdraw the bid, so the record never has to say whose bid it is before the opening."""

    bid_id: str
    bidder_name: str
    sealed_sha256: str
    sealed_size: int
    withdrawal: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.bid_id, "bid id")
        check_text(self.bidder_name, "bidder name", 300)
        check_sha256(self.sealed_sha256, "sealed bid digest")
        check_sha256(self.withdrawal, "withdrawal commitment")
        if not isinstance(self.sealed_size, int) or self.sealed_size <= 0:
            raise InvalidCommand("sealed bid size must be a positive integer")


@dataclass(frozen=True)
class WithdrawBid(Command):
    """Withdraw a sealed bid by its withdrawal key (see SubmitBid), not by naming the bidder."""

    bid_id: str
    withdrawal_key: str = ""


@dataclass(frozen=True)
class CloseEnquiries(Command):
    """Issued by the deadline worker when the enquiry period ends."""


@dataclass(frozen=True)
class CloseTendering(Command):
    """Issued by the deadline worker when the submission deadline passes."""


@dataclass(frozen=True)
class CancelTender(Command):
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.reason, "cancellation reason")
