"""Commands of the integrity controls: ownership, recusals, employment contacts, outside
contacts, incidents (rules in domain/integrity.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .base import Command, InvalidCommand, check_id, check_text


@dataclass(frozen=True)
class DeclareOwnership(Command):
    """A bidder declares its owners and affiliates (cross-checked with officials' declarations)."""

    owners: list[str]
    affiliates: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        for what, names in (("owner", self.owners), ("affiliate", self.affiliates)):
            if not isinstance(names, (list, tuple)) or len(names) > 200:
                raise InvalidCommand(f"{what}s must be a list of at most 200 names")
            for name in names:
                check_text(name, f"{what} name", 300)


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
        check_id(self.bidder_id, "bidder id")
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
        if not isinstance(self.affected, (list, tuple)) or len(self.affected) > 200:
            raise InvalidCommand("affected must be a list of at most 200 parties")
        for party in self.affected:
            check_text(party, "affected party", 300)
