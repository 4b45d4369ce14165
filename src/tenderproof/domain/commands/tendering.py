"""Commands of the solicitation: drafting, amending, publishing, enquiries, sealed bids,
the deadlines and cancellation (rules in domain/tendering.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..guards import PANEL_ROLES
from ..model import CRITERIA, METHODS, OPENING_OFFICIAL
from ..rulesets import RULESETS
from . import fields
from .base import Command, InvalidCommand, check_choice, check_id, check_sha256, check_text, money
from .vehicles import vehicle_terms

#: SLIP-39, the opening key's secret sharing, splits a secret into at most 16 shares.
MAX_OPENING_OFFICIALS = 16


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
    #: The terms of a contract vehicle this tender awards (commands.vehicles.vehicle_terms).
    vehicle: dict[str, Any] | None = None
    #: The vehicle this tender competes an order under (FAR 16.505(b)(1); art. 33(5)): its parties
    #: are the invited bidders.
    order_under: str | None = None
    #: Who may bid, when the solicitation goes to named firms only (FAR 6.302, 16.505(b)(1)).
    invited: list[str] = field(default_factory=list)
    #: Other processes this one follows on from or replaces: {"id", "relationship"} (OCDS
    #: relatedProcess codelist), shown beside the tender and published as relatedProcesses.
    related: list[dict[str, str]] = field(default_factory=list)
    #: The lots the tender is divided into (2014/24/EU art. 46): each awarded on its own.
    lots: list[dict[str, Any]] = field(default_factory=list)
    #: The most lots one tenderer may be awarded (art. 46(2)); None: no limit.
    lot_award_limit: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.title, "title", 500)
        check_text(self.description, "description", required=False)
        check_choice(self.ruleset, RULESETS, "rule set")
        object.__setattr__(self, "buyer", fields.buyer(self.buyer))
        object.__setattr__(self, "items", fields.items(self.items))
        object.__setattr__(self, "factors", fields.factors(self.factors))
        object.__setattr__(self, "documents", fields.documents(self.documents))
        object.__setattr__(self, "tender_end", fields.time(self.tender_end, "tender_end"))
        if self.enquiry_end is not None:
            object.__setattr__(self, "enquiry_end", fields.time(self.enquiry_end, "enquiry_end"))
        object.__setattr__(self, "panel", _panel(self.panel))
        if isinstance(self.opening_threshold, bool) or not isinstance(self.opening_threshold, int) \
                or not 1 <= self.opening_threshold <= MAX_OPENING_OFFICIALS:
            raise InvalidCommand(f"opening_threshold must be a whole number from 1 to {MAX_OPENING_OFFICIALS}")
        if not isinstance(self.illustrative, (list, tuple)) or not all(isinstance(x, str) for x in self.illustrative):
            raise InvalidCommand("illustrative must be a list of field names")
        check_choice(self.method, METHODS, "procurement method")
        check_choice(self.criteria, CRITERIA, "award criteria")
        if self.value is not None:
            object.__setattr__(self, "value", money(self.value, "value"))
        if self.vehicle is not None:
            object.__setattr__(self, "vehicle", vehicle_terms(self.vehicle))
        if self.order_under is not None:
            check_id(self.order_under, "order_under (the vehicle)")
            if self.vehicle is not None:
                raise InvalidCommand("a tender either awards a vehicle or competes an order under one, not both")
            if self.invited:
                raise InvalidCommand("an order's competition is among the vehicle's parties: leave invited empty")
        invited = [check_id(b, "invited bidder") for b in fields.list_of(self.invited, "invited", max_len=1000)]
        fields.unique(invited, "invited bidder")
        object.__setattr__(self, "related", [_related(r, i) for i, r in
                                             enumerate(fields.list_of(self.related, "related", max_len=20))])
        object.__setattr__(self, "lots", fields.lots(self.lots))
        lot_ids = {x["id"] for x in self.lots}
        for item in self.items:
            if "related_lot" in item and item["related_lot"] not in lot_ids:
                raise InvalidCommand(f"item {item['id']} names lot {item['related_lot']!r}, which the tender does not "
                                     "have")
        if lot_ids and any("related_lot" not in item for item in self.items):
            raise InvalidCommand("in a tender divided into lots every item names its lot (related_lot)")
        limit = self.lot_award_limit
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or not 1 <= limit < max(len(lot_ids), 2)):
            raise InvalidCommand("lot_award_limit must be a whole number from 1 to one less than the number of lots")


#: OCDS 1.1 relatedProcess codelist (closed): how this process relates to the other.
RELATIONSHIPS = ("framework", "planning", "parent", "prior", "unsuccessfulProcess", "subContract",
                 "replacementProcess", "renewalProcess")


def _related(value: Any, i: int) -> dict[str, str]:
    r = fields.object_of(value, f"related[{i}]", {"id", "relationship"}, {"title"})
    out = {"id": check_id(r["id"], f"related[{i}].id"),
           "relationship": check_choice(r["relationship"], RELATIONSHIPS, f"related[{i}].relationship")}
    if "title" in r:
        out["title"] = check_text(r["title"], f"related[{i}].title", 500)
    return out


@dataclass(frozen=True)
class AmendTender(Command):
    rationale: str
    changes: dict[str, Any]  # any of: title, description, tender_end, enquiry_end, documents, value

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.rationale, "amendment rationale")
        allowed = {"title", "description", "tender_end", "enquiry_end", "documents", "value", "items"}
        if not isinstance(self.changes, dict):
            raise InvalidCommand("an amendment's changes must be an object")
        bad = set(self.changes) - allowed
        if not self.changes or bad:
            raise InvalidCommand(f"an amendment changes some of {', '.join(sorted(allowed))}; "
                                 f"got {sorted(self.changes)}")
        ch = dict(self.changes)
        if "title" in ch:
            ch["title"] = check_text(ch["title"], "title", 500)
        if "description" in ch:
            ch["description"] = check_text(ch["description"], "description", required=False)
        if "items" in ch:
            ch["items"] = fields.items(ch["items"])
        if "documents" in ch:
            ch["documents"] = fields.documents(ch["documents"])
        if "value" in ch and ch["value"] is not None:
            ch["value"] = money(ch["value"], "value")
        if "tender_end" in ch:
            ch["tender_end"] = fields.time(ch["tender_end"], "tender_end")
        if ch.get("enquiry_end") is not None:
            ch["enquiry_end"] = fields.time(ch["enquiry_end"], "enquiry_end")
        object.__setattr__(self, "changes", ch)


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
    #: The lots the sealed package covers, in a tender divided into lots (one bid may cover several).
    lots: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.bid_id, "bid id")
        fields.unique([check_id(x, "lot id") for x in fields.list_of(self.lots, "lots", max_len=fields.MAX_LOTS)],
                      "lot")
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


def _panel(value: Any) -> dict[str, list[str]]:
    """role -> the officials named for it, each once, in the order given."""
    if not isinstance(value, dict):
        raise InvalidCommand("panel must be an object: role -> list of official ids")
    unknown = set(value) - set(PANEL_ROLES)
    if unknown:
        raise InvalidCommand(f"panel roles {', '.join(sorted(unknown))} are not among {', '.join(PANEL_ROLES)}")
    panel = {}
    for role, ids in value.items():
        if not isinstance(ids, (list, tuple)):
            raise InvalidCommand(f"panel.{role} must be a list of official ids")
        panel[role] = list(dict.fromkeys(check_id(i, f"{role} id") for i in ids))
    if sum(len(ids) for ids in panel.values()) > 1000:
        raise InvalidCommand("a panel names at most 1000 officials")
    if len(panel.get(OPENING_OFFICIAL, [])) > MAX_OPENING_OFFICIALS:
        raise InvalidCommand(f"at most {MAX_OPENING_OFFICIALS} opening officials can share the opening key")
    return panel
