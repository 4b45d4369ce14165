"""Commands: what an actor asks the procurement to do. Each is validated on construction.

The domain decides on a command with `decide(state, command, actor, now)`; the shapes here are
the whole input, so the app, the API and the scenario runner all speak the same language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .model import CRITERIA, METHODS

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class InvalidCommand(ValueError):
    """A command whose fields are malformed (before any rule is applied)."""


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidCommand(f"{what} {value!r} must be 1-100 letters, digits or ._:- and start with a letter or digit")
    return value


def check_sha256(value: str, what: str) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidCommand(f"{what} must be a lowercase hex SHA-256, got {value!r}")
    return value


def check_text(value: str, what: str, max_len: int = 20_000, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidCommand(f"{what} must be non-empty text")
    if len(value) > max_len:
        raise InvalidCommand(f"{what} is {len(value)} characters, more than {max_len}")
    return value


def money(value: Any, what: str) -> dict[str, str]:
    """{"amount": "123.45", "currency": "USD"}: amounts as decimal strings, never floats."""
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise InvalidCommand(f"{what} must be {{amount, currency}}")
    try:
        amount = Decimal(str(value["amount"]))
    except InvalidOperation:
        raise InvalidCommand(f"{what}.amount {value['amount']!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidCommand(f"{what}.amount must be a non-negative number")
    cur = value["currency"]
    if not (isinstance(cur, str) and re.fullmatch(r"[A-Z]{3}", cur)):
        raise InvalidCommand(f"{what}.currency must be an ISO 4217 code like USD")
    return {"amount": format(amount, "f"), "currency": cur}


@dataclass(frozen=True)
class Command:
    tender_id: str

    def __post_init__(self) -> None:
        check_id(self.tender_id, "tender id")

    @property
    def name(self) -> str:
        return type(self).__name__


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


@dataclass(frozen=True)
class RecordConsensus(Command):
    bid_id: str
    factor_id: str
    rating: str
    rationale: str

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

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.rationale, "award rationale")
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

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.contract_id, "contract id")
        object.__setattr__(self, "value", money(self.value, "contract value"))


@dataclass(frozen=True)
class CancelTender(Command):
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.reason, "cancellation reason")


@dataclass(frozen=True)
class ReadConfidential(Command):
    """A read of confidential content (a bid's plaintext, a narrative): allowed, then logged."""

    item: str
    purpose: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.item, "item", 200)
        check_text(self.purpose, "purpose", 500)


@dataclass(frozen=True)
class Disclose(Command):
    """Publish confidential payloads with their salts, so anyone can check them against the log."""

    items: list[dict[str, Any]]  # {"commitment", "salt" (hex), "content"}


# --- protests, stays, corrective action (issue: protests) ----------------------------------

FORUMS = ("gao", "cofc", "agency", "eu-review")


@dataclass(frozen=True)
class FileProtest(Command):
    """An interested party files a protest with a forum; `basis_known` dates the grounds."""

    protest_id: str
    forum: str
    grounds: str
    solicitation_terms: bool = False  # a challenge to the terms: due before the closing time
    basis_known: datetime | None = None
    express: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        if self.forum not in FORUMS:
            raise InvalidCommand(f"forum {self.forum!r} is not one of {', '.join(FORUMS)}")
        check_text(self.grounds, "grounds")


@dataclass(frozen=True)
class DocketProtest(Command):
    """The forum dockets the protest and notifies the agency (GAO: within one day)."""

    protest_id: str


@dataclass(frozen=True)
class FileAgencyReport(Command):
    protest_id: str
    summary: str


@dataclass(frozen=True)
class FileComments(Command):
    protest_id: str
    summary: str


PROTEST_OUTCOMES = ("dismissed", "denied", "sustained", "withdrawn")


@dataclass(frozen=True)
class DecideProtest(Command):
    protest_id: str
    outcome: str
    reasoning: str
    recommended_action: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.outcome not in PROTEST_OUTCOMES:
            raise InvalidCommand(f"outcome {self.outcome!r} is not one of {', '.join(PROTEST_OUTCOMES)}")
        check_text(self.reasoning, "reasoning")


COURT_ORDERS = ("tro", "preliminary_injunction", "dissolve_injunction", "remand", "stay_proceedings",
                "resume_proceedings")


@dataclass(frozen=True)
class CourtOrder(Command):
    """An order of the court in a protest: TRO, preliminary injunction, remand, …"""

    protest_id: str
    order: str
    text: str
    until: datetime | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.order not in COURT_ORDERS:
            raise InvalidCommand(f"court order {self.order!r} is not one of {', '.join(COURT_ORDERS)}")
        check_text(self.text, "order text")


@dataclass(frozen=True)
class VoluntaryHold(Command):
    """The agency agrees to hold performance (no automatic stay at the Court of Federal Claims)."""

    until: datetime
    reason: str
    protest_id: str = ""


@dataclass(frozen=True)
class OverrideStay(Command):
    """The HCA overrides a CICA stay, only with a written finding (31 U.S.C. 3553(c)(2), (d)(3))."""

    stay_id: str
    ground: str  # "best-interests" | "urgent-compelling"
    finding: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.ground not in ("best-interests", "urgent-compelling"):
            raise InvalidCommand("the override ground is best-interests or urgent-compelling")
        check_text(self.finding, "written finding")


CORRECTIVE_KINDS = ("reevaluate", "amend-solicitation", "revised-proposals", "new-decision")


@dataclass(frozen=True)
class TakeCorrectiveAction(Command):
    kind: str
    rationale: str
    revisits: list[int] = field(default_factory=list)  # the tender's event numbers (seq) it revisits
    factors: list[str] = field(default_factory=list)
    protest_id: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in CORRECTIVE_KINDS:
            raise InvalidCommand(f"corrective action {self.kind!r} is not one of {', '.join(CORRECTIVE_KINDS)}")
        check_text(self.rationale, "rationale")


@dataclass(frozen=True)
class StartPerformance(Command):
    """Notice to proceed under the signed contract."""

    scope: str = "full performance"


# --- integrity controls --------------------------------------------------------------------


@dataclass(frozen=True)
class DeclareOwnership(Command):
    """A bidder declares its owners and affiliates (cross-checked with officials' declarations)."""

    owners: list[str]
    affiliates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Recuse(Command):
    """An official is recused from the tender (by themself or the buyer): locked out from then on."""

    official: str
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.official, "official")
        check_text(self.reason, "reason")


@dataclass(frozen=True)
class ReportEmploymentContact(Command):
    """FAR 3.104-3(c): an official reports an offeror's contact about employment, and rejects it
    or is recused."""

    bidder_id: str
    contact_date: datetime
    response: str  # "rejected" | "recused"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.response not in ("rejected", "recused"):
            raise InvalidCommand("the response to an employment contact is rejected or recused")


@dataclass(frozen=True)
class RecordContact(Command):
    """A communication between an official and an outside party about the procurement."""

    official: str
    party: str
    when: datetime
    channel: str
    summary: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.party, "outside party", 300)
        check_text(self.channel, "channel", 100)
        check_text(self.summary, "summary")


@dataclass(frozen=True)
class RecordIncident(Command):
    """A disclosure incident, e.g. proprietary information released to a competitor."""

    description: str
    affected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.description, "description")


@dataclass(frozen=True)
class LapseProtest(Command):
    """Issued by the deadline worker: comments on the agency report are overdue (dismissal)."""

    protest_id: str


@dataclass(frozen=True)
class EndStay(Command):
    """Issued by the deadline worker when a stay with an end date runs out."""

    stay_id: str
