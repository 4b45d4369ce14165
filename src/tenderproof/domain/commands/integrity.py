"""Commands of the integrity controls: ownership, recusals, employment contacts, outside
contacts, incidents (rules in domain/integrity.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .base import Command, InvalidCommand, check_id, check_sha256, check_text


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
class RegisterFamily(Command):
    """The contracting officer registers a corporate family: a parent and its subsidiaries and
    affiliates, with where that comes from (e.g. the parent's list of subsidiaries in its 10-K)."""

    family_id: str
    parent: str
    members: list[str]
    source: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.family_id, "family id")
        check_text(self.parent, "parent", 300)
        if not isinstance(self.members, (list, tuple)) or not 1 <= len(self.members) <= 500:
            raise InvalidCommand("a family lists 1 to 500 subsidiaries and affiliates")
        for name in self.members:
            check_text(name, "member name", 300)
        check_text(self.source, "source", 2000)


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


#: FAR 9.505: the three kinds of organizational conflict of interest (the GAO's taxonomy of them).
OCI_KINDS = ("unequal-access", "biased-ground-rules", "impaired-objectivity")
#: FAR 9.504(a)(2), 9.503: what resolves one before award.
OCI_RESOLUTIONS = ("avoid", "neutralize", "mitigate", "waive")


@dataclass(frozen=True)
class IdentifyOci(Command):
    """The contracting officer identifies an offeror's organizational conflict of interest (FAR 9.504(a))."""

    oci_id: str
    offeror: str
    kind: str  # one of OCI_KINDS
    finding: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.oci_id, "conflict id")
        check_id(self.offeror, "offeror")
        if self.kind not in OCI_KINDS:
            raise InvalidCommand(f"an organizational conflict is one of {', '.join(OCI_KINDS)} (FAR 9.505)")
        check_text(self.finding, "finding")


@dataclass(frozen=True)
class ResolveOci(Command):
    """An identified conflict avoided, neutralized or mitigated (with a plan) by the contracting
    officer, or waived by the agency head or designee (FAR 9.504(a)(2), 9.503)."""

    oci_id: str
    resolution: str  # one of OCI_RESOLUTIONS
    rationale: str
    plan_sha256: str = ""  # the mitigation plan's document, required to mitigate

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.oci_id, "conflict id")
        if self.resolution not in OCI_RESOLUTIONS:
            raise InvalidCommand(f"a conflict is resolved by one of {', '.join(OCI_RESOLUTIONS)} "
                                 "(FAR 9.504(a)(2), 9.503)")
        check_text(self.rationale, "rationale")
        if self.plan_sha256:
            check_sha256(self.plan_sha256, "mitigation plan digest")
