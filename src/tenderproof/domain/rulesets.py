"""Rule sets chosen per tender (DESIGN.md §5): what differs between jurisdictions.

Issue 3 needs the standstill between award and contract signature; the protest rules (GAO,
Court of Federal Claims, EU review) extend these modules later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .calendar import add_calendar_days


@dataclass(frozen=True)
class RuleSet:
    name: str
    country: str  # whose public holidays roll deadlines
    standstill_days: int
    basis: str  # the rule the standstill comes from, shown with the deadline

    def standstill_end(self, award_time: datetime) -> datetime:
        return add_calendar_days(award_time, self.standstill_days, self.country)


RULESETS = {
    # No statutory standstill in the US, but a post-award protest noticed to the agency within
    # 10 days of award suspends performance (31 U.S.C. 3553(d)); tenderproof holds signature
    # for that window so a timely protest can still stop it.
    "us-far": RuleSet("us-far", "US", 10, "31 U.S.C. 3553(d)(4): 10-day post-award CICA stay window"),
    # Remedies Directive 2007/66/EC art. 2a: 10 days after an electronic award notice.
    "eu": RuleSet("eu", "BE", 10, "Directive 2007/66/EC art. 2a: 10-day standstill (electronic notice)"),
}


def ruleset(name: str) -> RuleSet:
    try:
        return RULESETS[name]
    except KeyError:
        raise ValueError(f"unknown rule set {name!r}; known: {', '.join(RULESETS)}") from None


# --- protest rules (4 CFR Part 21; 31 U.S.C. 3553; the Remedies Directive) -------------------

GAO_FILING_DAYS = 10  # 4 CFR 21.2(a)(2): within 10 days after the basis is known (or the debriefing)
GAO_REPORT_DAYS = 30  # 4 CFR 21.3(c): agency report 30 days after notice
GAO_COMMENTS_DAYS = 10  # 4 CFR 21.3(i): comments within 10 days of the report, or dismissal
GAO_DECISION_DAYS = 100  # 31 U.S.C. 3554(a)(1)
GAO_EXPRESS_DAYS = 65  # 4 CFR 21.10
CICA_AWARD_DAYS = 10  # 31 U.S.C. 3553(d)(4): notice within 10 days after award …
CICA_DEBRIEFING_DAYS = 5  # … or 5 days after a required debriefing, whichever is later


def calendar_deadline(start: datetime, days: int, rules: RuleSet) -> datetime:
    return add_calendar_days(start, days, rules.country)
