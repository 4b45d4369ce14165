"""Rule sets chosen per tender (DESIGN.md §5): what differs between jurisdictions.

`us-far` has no standstill: the award is the contract, and what a timely protest suspends is
performance (31 U.S.C. 3553(d)), or before award the award itself (3553(c)); the protest periods
are GAO's (4 CFR part 21, domain/gao.py). `eu` has the Remedies Directive's standstill between the
award decision and the conclusion of the contract (89/665/EEC art. 2a, as amended by 2007/66/EC;
domain/eu_remedies.py), counted on the buyer's member state's holidays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .calendar import add_calendar_days


@dataclass(frozen=True)
class RuleSet:
    name: str
    country: str  # whose public holidays roll deadlines (for `eu`, the default: the buyer's own wins)
    standstill_days: int  # 0: no standstill at all
    basis: str  # the rule the standstill (or its absence) comes from, shown with the award
    #: The standstill when the award decision is sent by other than electronic means (0: no such rule).
    standstill_days_other_means: int = 0
    basis_other_means: str = ""

    def standstill_end(self, award_time: datetime, country: str | None = None,
                       electronic: bool = True) -> datetime | None:
        """When the contract may be concluded, or None where the law has no standstill."""
        days = self.standstill_days if electronic or not self.standstill_days_other_means \
            else self.standstill_days_other_means
        if not days:
            return None
        return add_calendar_days(award_time, days, country or self.country)

    def standstill_basis(self, electronic: bool = True) -> str:
        return self.basis if electronic or not self.basis_other_means else self.basis_other_means


RULESETS = {
    # No standstill in US law: the award is the contract. A post-award protest noticed to the
    # agency within the CICA window suspends performance, not signature (31 U.S.C. 3553(d)(3)-(4)).
    "us-far": RuleSet("us-far", "US", 0, "no standstill in US law: the award is the contract; a timely protest "
                      "suspends performance, not signature (31 U.S.C. 3553(d)(3)-(4))"),
    # Remedies Directive 89/665/EEC art. 2a(2), as amended by 2007/66/EC: 10 calendar days from the
    # day after the award decision is sent by fax or electronic means, 15 days by other means.
    "eu": RuleSet("eu", "BE", 10, "Directive 89/665/EEC art. 2a(2) (2007/66/EC): 10-day standstill "
                  "(award decision sent electronically)",
                  15, "Directive 89/665/EEC art. 2a(2) (2007/66/EC): 15-day standstill "
                  "(award decision sent by other means)"),
}


def ruleset(name: str) -> RuleSet:
    try:
        return RULESETS[name]
    except KeyError:
        raise ValueError(f"unknown rule set {name!r}; known: {', '.join(RULESETS)}") from None


# --- protest rules (4 CFR Part 21; 31 U.S.C. 3553; FAR 33.103, 15.506) ----------------------------

GAO_FILING_DAYS = 10  # 4 CFR 21.2(a)(2), (a)(3): within 10 days after the basis is known (or the debriefing)
GAO_REPORT_DAYS = 30  # 4 CFR 21.3(c): agency report 30 days after notice
GAO_COMMENTS_DAYS = 10  # 4 CFR 21.3(i): comments within 10 days of the report, or dismissal
GAO_DECISION_DAYS = 100  # 31 U.S.C. 3554(a)(1)
GAO_EXPRESS_REPORT_DAYS = 20  # 4 CFR 21.10(d)(1): express option, agency report within 20 days
GAO_EXPRESS_COMMENTS_DAYS = 5  # 4 CFR 21.10(d)(2): comments within 5 days of the report
GAO_EXPRESS_DAYS = 65  # 4 CFR 21.10(d)(3): decision within 65 days
AGENCY_FILING_DAYS = 10  # FAR 33.103(e): within 10 days after the basis is known (or the debriefing)
CICA_AWARD_DAYS = 10  # 31 U.S.C. 3553(d)(4)(A): notice within 10 days after award …
CICA_DEBRIEFING_DAYS = 5  # … (B) or 5 days after a requested and required debriefing, whichever is later
DEBRIEFING_REQUEST_DAYS = 3  # FAR 15.506(a)(1): required when requested within 3 days after notice of award


def calendar_deadline(start: datetime, days: int, rules: RuleSet) -> datetime:
    return add_calendar_days(start, days, rules.country)
