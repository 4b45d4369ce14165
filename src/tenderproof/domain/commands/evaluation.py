"""Commands of the opening and the evaluation: declarations, key shares, the opening, ratings,
the competitive range, award, debriefing and contract (rules in domain/evaluation.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .base import Command, InvalidCommand, check_id, check_sha256, check_text, money


@dataclass(frozen=True)
class DeclareInterests(Command):
    """A conflict-of-interest declaration by the acting official for this tender."""

    has_conflict: bool
    details: str = ""
    holdings: list[str] = field(default_factory=list)  # companies whose stock the official holds
    prior_employers: list[dict[str, Any]] = field(default_factory=list)  # {"name", "from", "to"}
    family_employers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SubmitShare(Command):
    """An opening official hands in their decrypted key share (the share itself stays private)."""


@dataclass(frozen=True)
class RecordOpening(Command):
    """The app opened every bid with the rebuilt key: per bid, the plaintext's digest and size."""

    #: bid_id -> {"bidder", "bidder_name", and for each final bid (see `evaluation.final_bids`)
    #: "readable": bool, "sha256"?: str, "size"?: int}
    results: dict[str, dict[str, Any]]
    #: What else was sealed to the opening key, now revealed to the record: refusals {key: actor},
    #: withdrawals {bid: bidder}, ownership {bidder: {owners, affiliates}}.
    revealed: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RateProposal(Command):
    bid_id: str
    factor_id: str
    rating: str  # an adjectival rating of the factor's scale, or an amount for a price factor
    strengths: str = ""
    weaknesses: str = ""
    deficiencies: str = ""
    risks: str = ""
    reason: str = ""  # required when changing an earlier rating
    lot: str | None = None  # in a tender divided into lots: the lot it is rated for


@dataclass(frozen=True)
class RecordConsensus(Command):
    bid_id: str
    factor_id: str
    rating: str
    rationale: str
    lot: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.rationale, "consensus rationale")


@dataclass(frozen=True)
class SetCompetitiveRange(Command):
    included: list[str]
    excluded: dict[str, str]  # bid_id -> reason
    rationale: str = ""


@dataclass(frozen=True)
class DecideAward(Command):
    bid_id: str
    value: dict[str, str]
    rationale: str
    departure_reason: str = ""
    #: How the award decision is sent to the tenderers: "electronic" or "other" (EU standstill and
    #: review periods of 10 or 15 days, Directive 89/665/EEC art. 2a(2), 2c).
    notice_means: str = "electronic"
    #: An art. 2b ground for no standstill (EU): no-prior-publication, sole-tenderer, framework-call-off.
    standstill_exception: str = ""
    lot: str | None = None  # in a tender divided into lots: the lot awarded

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.rationale, "award rationale")
        if self.notice_means not in ("electronic", "other"):
            raise InvalidCommand("the award decision is sent by electronic or other means")
        object.__setattr__(self, "value", money(self.value, "award value"))


@dataclass(frozen=True)
class GiveDebriefing(Command):
    bidder_id: str
    document_sha256: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_sha256(self.document_sha256, "debriefing document digest")


@dataclass(frozen=True)
class SignContract(Command):
    contract_id: str
    value: dict[str, str]
    period_end: datetime | None = None
    lot: str | None = None  # in a tender divided into lots: the lot whose award it concludes

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.contract_id, "contract id")
        object.__setattr__(self, "value", money(self.value, "contract value"))
