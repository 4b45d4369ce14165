"""Deadlines after a decision, counted as the courts and GAO count them.

FRAP 26(a)(1), RCFC 6(a)(1), Sup. Ct. R. 30.1 and 4 CFR 21.0(d) agree: exclude the day of the
event, count every calendar day, and when the last day is a Saturday, Sunday or legal holiday the
period runs to the next day that is not. The last day ends at midnight where the court sits
(FRAP 26(a)(4)(A), RCFC 6(a)(4)): Washington, D.C., so Eastern time; a GAO filing is in time only
if GAO receives it by 5:30 p.m. Eastern (4 CFR 21.0(g)).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .calendar import EASTERN, eastern_deadline, gao_deadline
from .model import parse_time
from .tender import Protest

APPEAL_DAYS = 60  # 28 U.S.C. 2107(b), 2522; Fed. R. App. P. 4(a)(1)(B): the United States is a party
CERT_DAYS = 90  # 28 U.S.C. 2101(c); Sup. Ct. R. 13.1
CERT_EXTENSION_DAYS = 60  # 28 U.S.C. 2101(c); Sup. Ct. R. 13.5: a Justice may extend by up to 60 days
#: The Supreme Court's order of March 19, 2020 extended every petition due on or after that day to
#: 150 days from the lower court's judgment; its order of July 19, 2021 ended that for judgments
#: entered from that day on.
COVID_CERT_DAYS = 150
COVID_ORDER, COVID_RESCINDED = date(2020, 3, 19), date(2021, 7, 19)
GAO_RECONSIDERATION_DAYS = 10  # 4 CFR 21.14(b)
COFC_RECONSIDERATION_DAYS = 28  # RCFC 59(b)(1)
GAO_HEARING_COMMENTS_DAYS = 5  # 4 CFR 21.7(g)
COST_CLAIM_DAYS = 60  # 4 CFR 21.8(f)(1)


def reconsideration_due(p: Protest, basis_known: datetime | None) -> tuple[datetime, str]:
    if p["decided"] is None:
        raise ValueError("a decision comes before its reconsideration")
    decided = parse_time(p["decided"])
    if p["forum"] == "gao":
        # "known or should have been known, whichever is earlier": never later than the decision itself.
        basis = min(basis_known, decided) if basis_known else decided
        return (gao_deadline(basis, GAO_RECONSIDERATION_DAYS),
                "4 CFR 21.14(b): within 10 days after the basis for reconsideration is known, by 5:30 p.m. Eastern")
    return (eastern_deadline(decided, COFC_RECONSIDERATION_DAYS),
            "RCFC 59(b)(1): a motion for reconsideration within 28 days after the entry of judgment")


def cert_days(judgment: datetime) -> tuple[int, str]:
    d = judgment.astimezone(EASTERN).date()
    if d < COVID_RESCINDED and d + timedelta(days=CERT_DAYS) >= COVID_ORDER:
        return COVID_CERT_DAYS, ("150 days from the judgment under the Supreme Court's order of March 19, 2020 "
                                 "(rescinded July 19, 2021 for later judgments)")
    return CERT_DAYS, "90 days from the judgment (28 U.S.C. 2101(c); Sup. Ct. R. 13.1)"
