"""Commands of bid protests, stays and corrective action, and the deadline worker's own
(rules in domain/protests.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .base import Command, InvalidCommand, check_choice, check_id, check_text

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
    #: A task-order protest alleging the order increases the scope, period or maximum value of the
    #: vehicle: heard whatever the order's value (10 U.S.C. 3406(f)(1)(A); 41 U.S.C. 4106(f)(1)(A)).
    out_of_scope: bool = False
    lot: str | None = None  # in a tender divided into lots: the lot protested (its stay holds that lot only)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.protest_id, "protest id")
        check_choice(self.forum, FORUMS, "forum")
        check_text(self.grounds, "grounds")


@dataclass(frozen=True)
class DocketProtest(Command):
    """The forum dockets the protest and notifies the agency (GAO: within one day)."""

    protest_id: str


@dataclass(frozen=True)
class RequestDebriefing(Command):
    """An unsuccessful offeror's written request for a debriefing (FAR 15.506(a)(1)); required, and
    extending the protest periods, only when made within 3 days after notice of award."""


@dataclass(frozen=True)
class FileAgencyReport(Command):
    protest_id: str
    summary: str


@dataclass(frozen=True)
class FileComments(Command):
    protest_id: str
    summary: str


PROTEST_OUTCOMES = ("dismissed", "denied", "sustained", "withdrawn")
#: What an EU review body orders against a contract already concluded (89/665/EEC art. 2d, 2e).
EU_REMEDIES = ("ineffective", "alternative-penalties")


@dataclass(frozen=True)
class DecideProtest(Command):
    protest_id: str
    outcome: str
    reasoning: str
    recommended_action: str = ""
    remedy: str = ""  # EU, a concluded contract: "ineffective" (art. 2d) or "alternative-penalties" (art. 2e)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.remedy:
            check_choice(self.remedy, EU_REMEDIES, "remedy")
        check_choice(self.outcome, PROTEST_OUTCOMES, "outcome")
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
        check_choice(self.order, COURT_ORDERS, "court order")
        check_text(self.text, "order text")


@dataclass(frozen=True)
class VoluntaryHold(Command):
    """The agency agrees to hold performance (no automatic stay at the Court of Federal Claims)."""

    until: datetime
    reason: str
    protest_id: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.reason, "reason")
        if self.protest_id:
            check_id(self.protest_id, "protest id")


@dataclass(frozen=True)
class OverrideStay(Command):
    """The HCA overrides a CICA stay, only with a written finding (31 U.S.C. 3553(c)(2), (d)(3)):
    before award only on urgent and compelling circumstances with award likely within 30 days."""

    stay_id: str
    ground: str  # "best-interests" | "urgent-compelling"
    finding: str
    award_likely_within_30_days: bool = False  # 3553(c)(2)(B): the finding a pre-award override needs

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
        check_choice(self.kind, CORRECTIVE_KINDS, "corrective action")
        check_text(self.rationale, "rationale")
        if self.protest_id:
            check_id(self.protest_id, "protest id")


@dataclass(frozen=True)
class StartPerformance(Command):
    """Notice to proceed under the signed contract."""

    scope: str = "full performance"

@dataclass(frozen=True)
class LapseProtest(Command):
    """Issued by the deadline worker: comments on the agency report are overdue (dismissal)."""

    protest_id: str


@dataclass(frozen=True)
class EndStay(Command):
    """Issued by the deadline worker when a stay with an end date runs out."""

    stay_id: str
