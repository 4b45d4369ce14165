"""Commands of protest litigation: parties, the administrative record, motions and briefs,
protective orders and admitted counsel, GAO hearings and costs, appeals and certiorari
(rules in domain/litigation.py and domain/appeals.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .base import Command, InvalidCommand, check_choice, check_id, check_text, money

#: What a motion asks for. "injunction" is a TRO or preliminary injunction (RCFC 65); "remand" the
#: agency's voluntary remand; "reconsideration" GAO's (4 CFR 21.14) or the court's (RCFC 59).
MOTION_RELIEF = ("supplement_record", "discovery", "injunction", "dismiss", "remand", "judgment_on_record",
                 "reconsideration")
RULINGS = ("granted", "denied", "granted-in-part", "moot")
BRIEFS = ("opposition", "reply")
RECORD_KINDS = ("initial", "supplement", "corrected")
ACCESS_DECISIONS = ("admitted", "denied", "revoked")
APPEAL_COURTS = ("cafc", "scotus")  # the Federal Circuit; the Supreme Court (certiorari)
APPEAL_OUTCOMES = {"cafc": ("affirmed", "reversed", "vacated", "remanded", "dismissed"),
                   "scotus": ("granted", "denied")}
#: Entries of one administrative-record filing: a larger record is filed in parts (supplements),
#: so one filing's event stays well inside a log entry (65,535 bytes).
MAX_MANIFEST = 400
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Intervene(Command):
    """An offeror joins a protest as intervenor (4 CFR 21.0(b)(1) at GAO; RCFC 24(a) at the court)."""

    protest_id: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")


@dataclass(frozen=True)
class FileAdministrativeRecord(Command):
    """The agency files the administrative record with the court (RCFC App. C ¶22), with its
    manifest: each entry names a logged event of the tender by `seq`, its ledger `index` and its
    RFC 9162 `leaf_hash`, so anyone can prove what the court got is in the log."""

    protest_id: str
    filing_id: str
    description: str
    manifest: list[dict[str, Any]]
    kind: str = "initial"
    motion_id: str = ""  # a supplement ordered on a motion to supplement the record

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.filing_id, "filing id")
        check_text(self.description, "description", 2000)
        check_choice(self.kind, RECORD_KINDS, "record filing kind")
        if self.motion_id:
            check_id(self.motion_id, "motion id")
        if not isinstance(self.manifest, list) or not 1 <= len(self.manifest) <= MAX_MANIFEST:
            raise InvalidCommand(f"the manifest lists 1 to {MAX_MANIFEST} entries (file a larger record in parts)")
        for i, entry in enumerate(self.manifest):
            if not isinstance(entry, dict) or set(entry) != {"seq", "index", "leaf_hash"}:
                raise InvalidCommand(f"manifest[{i}] must be {{seq, index, leaf_hash}}")
            for key in ("seq", "index"):
                if not isinstance(entry[key], int) or isinstance(entry[key], bool) or entry[key] < 0:
                    raise InvalidCommand(f"manifest[{i}].{key} must be a non-negative integer")
            if not isinstance(entry["leaf_hash"], str) or not _HEX64.fullmatch(entry["leaf_hash"]):
                raise InvalidCommand(f"manifest[{i}].leaf_hash must be a lowercase hex SHA-256")


def _deponents(deponents: list[dict[str, Any]]) -> None:
    if not isinstance(deponents, list) or len(deponents) > 100:
        raise InvalidCommand("deponents must be a list of at most 100 {name, office}")
    for i, d in enumerate(deponents):
        if not isinstance(d, dict) or set(d) != {"name", "office"}:
            raise InvalidCommand(f"deponents[{i}] must be {{name, office}}")
        check_text(d["name"], f"deponents[{i}].name", 300)
        check_text(d["office"], f"deponents[{i}].office", 300)


@dataclass(frozen=True)
class FileMotion(Command):
    """A party's motion, with its brief (`summary`). Depositions name each deponent and office.
    Under seal, the summary and the deponents are committed on the log, not published."""

    protest_id: str
    motion_id: str
    relief: list[str]
    summary: str
    deponents: list[dict[str, Any]] = field(default_factory=list)
    under_seal: bool = False
    basis_known: datetime | None = None  # reconsideration: when its basis was known (4 CFR 21.14(b))

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.motion_id, "motion id")
        if not isinstance(self.relief, list) or not self.relief or len(set(self.relief)) != len(self.relief):
            raise InvalidCommand(f"relief must list one or more of {', '.join(MOTION_RELIEF)}, each once")
        for r in self.relief:
            check_choice(r, MOTION_RELIEF, "relief")
        check_text(self.summary, "summary")
        _deponents(self.deponents)
        if self.deponents and "discovery" not in self.relief:
            raise InvalidCommand("deponents are named only in a motion for discovery")


@dataclass(frozen=True)
class FilePublicVersion(Command):
    """The movant files the redacted public version of a motion filed under seal."""

    protest_id: str
    motion_id: str
    summary: str
    deponents: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.motion_id, "motion id")
        check_text(self.summary, "summary")
        _deponents(self.deponents)


@dataclass(frozen=True)
class FileBrief(Command):
    """An opposition to a motion (by another party) or the movant's reply."""

    protest_id: str
    motion_id: str
    kind: str
    summary: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.motion_id, "motion id")
        check_choice(self.kind, BRIEFS, "brief")
        check_text(self.summary, "summary")


@dataclass(frozen=True)
class RuleOnMotion(Command):
    """The forum rules on a motion; `order` names the court order that carries it out (its kind,
    e.g. preliminary_injunction or remand), already entered in the protest."""

    protest_id: str
    motion_id: str
    outcome: str
    text: str
    order: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.motion_id, "motion id")
        check_choice(self.outcome, RULINGS, "ruling")
        check_text(self.text, "ruling text")
        if self.order:
            check_id(self.order, "order")


@dataclass(frozen=True)
class IssueProtectiveOrder(Command):
    """The forum issues a protective order (RCFC App. C §VI; 4 CFR 21.4(a))."""

    protest_id: str
    order_id: str
    text: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.order_id, "protective order id")
        check_text(self.text, "order text")


@dataclass(frozen=True)
class ApplyForAccess(Command):
    """Counsel for a party applies for admission under a protective order, stating that they are
    not involved in the party's competitive decision-making (U.S. Steel v. United States)."""

    protest_id: str
    order_id: str
    party: str
    not_competitive_decision_maker: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.order_id, "protective order id")
        check_id(self.party, "party")


@dataclass(frozen=True)
class DecideAccess(Command):
    """The forum admits counsel under a protective order, denies the application, or revokes it."""

    protest_id: str
    order_id: str
    counsel: str
    decision: str
    reason: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.order_id, "protective order id")
        check_id(self.counsel, "counsel")
        check_choice(self.decision, ACCESS_DECISIONS, "decision")
        check_text(self.reason, "reason", required=False)


@dataclass(frozen=True)
class ScheduleHearing(Command):
    """GAO holds a hearing (4 CFR 21.7)."""

    protest_id: str
    hearing_id: str
    when: datetime
    purpose: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.hearing_id, "hearing id")
        check_text(self.purpose, "purpose")


@dataclass(frozen=True)
class FileAppeal(Command):
    """A notice of appeal to the Federal Circuit, or a petition for certiorari. `extended_to`: the
    time a Justice extended the petition's deadline to (Sup. Ct. R. 13.5)."""

    protest_id: str
    appeal_id: str
    court: str
    summary: str
    extended_to: datetime | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.appeal_id, "appeal id")
        check_choice(self.court, APPEAL_COURTS, "court")
        check_text(self.summary, "summary")
        if self.extended_to is not None and self.court != "scotus":
            raise InvalidCommand("only a petition for certiorari has an extension of time (Sup. Ct. R. 13.5)")


@dataclass(frozen=True)
class DecideAppeal(Command):
    """The appellate court's decision, or the Supreme Court's grant or denial of certiorari."""

    protest_id: str
    appeal_id: str
    outcome: str
    text: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_id(self.appeal_id, "appeal id")
        check_choice(self.outcome, tuple(o for os in APPEAL_OUTCOMES.values() for o in os), "appeal outcome")
        check_text(self.text, "decision text")


@dataclass(frozen=True)
class RecommendCosts(Command):
    """GAO recommends that the agency pay the protester's costs (4 CFR 21.8(d), (e))."""

    protest_id: str
    text: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_text(self.text, "recommendation")


@dataclass(frozen=True)
class FileCostClaim(Command):
    """The protester's certified claim for costs, filed with the agency (4 CFR 21.8(f)(1))."""

    protest_id: str
    amount: dict[str, Any]
    summary: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        object.__setattr__(self, "amount", money(self.amount, "amount"))
        check_text(self.summary, "summary")
