"""The shape of a protest's litigation in the state (`TenderState.litigation`, keyed by protest):
typed like the rest of the state (tender.py), kept apart so that each module stays small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from .tender import Money


class Deponent(TypedDict):
    name: str
    office: str


class Ruling(TypedDict):
    date: str
    outcome: str  # commands.litigation.RULINGS
    text: str
    order: str | None  # the kind of the court order that carries it out, if any


class Brief(TypedDict):
    date: str
    kind: str  # opposition | reply
    by: str
    summary: str


class Motion(TypedDict):
    """A party's motion: under seal, its summary and deponents are None/[] until the public version."""

    id: str
    relief: list[str]
    movant: str
    party: str  # protester | agency | intervenor
    date: str
    sealed: bool
    public_version: str | None  # when the redacted version was filed
    summary: str | None
    deponents: list[Deponent]
    briefs: list[Brief]
    status: str  # pending, or the ruling's outcome
    ruling: Ruling | None


class Intervenor(TypedDict):
    id: str
    date: str
    basis: str


class RecordFiling(TypedDict):
    """One filing of the administrative record: the tender's events it holds, by seq (the event
    carries the ledger index and leaf hash of each)."""

    id: str
    date: str
    kind: str
    description: str
    seqs: list[int]
    motion: str | None


class Counsel(TypedDict):
    counsel: str
    party: str
    applied: str
    status: str  # applied | admitted | denied | revoked
    decided: str | None
    reason: str | None


class ProtectiveOrder(TypedDict):
    id: str
    date: str
    text: str
    counsel: list[Counsel]


class Hearing(TypedDict):
    id: str
    scheduled: str
    when: str
    purpose: str
    comments_due: str  # 4 CFR 21.7(g)


class Appeal(TypedDict):
    id: str
    court: str  # cafc | scotus
    by: str
    date: str
    due: str
    rule: str
    summary: str
    outcome: str | None
    decided: str | None
    text: str | None


class Costs(TypedDict):
    recommended: str
    text: str
    claim_due: str  # 4 CFR 21.8(f)(1)
    claimed: str | None
    amount: Money | None


class Case(TypedDict):
    """The litigation of one protest (keyed by the protest's id): who is a party besides the
    protester and the agency, what was filed, moved, ordered and appealed."""

    protest: str
    intervenors: list[Intervenor]
    records: list[RecordFiling]
    motions: list[Motion]
    protective_orders: list[ProtectiveOrder]
    hearings: list[Hearing]
    appeals: list[Appeal]
    costs: Costs | None


def empty_case(protest: str) -> Case:
    """A protest's litigation before anything is filed in it."""
    return {"protest": protest, "intervenors": [], "records": [], "motions": [], "protective_orders": [],
            "hearings": [], "appeals": [], "costs": None}
