"""The thresholds of orders under a vehicle, and the task-order protest bar (FASA), dated: each
figure applies from the day its statute or inflation adjustment took effect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from . import commands as c
from .errors import Refused
from .tender import TenderState

#: The simplified acquisition threshold (FAR 2.101; 41 U.S.C. 134), adjusted for inflation under
#: 41 U.S.C. 1908: $350,000 from 2025-10-01 (FAC 2025-06, 90 FR 41872), $250,000 before.
SAT_2025 = datetime(2025, 10, 1, 4, tzinfo=UTC)  # midnight Eastern (EDT)
#: The micro-purchase threshold (FAR 2.101), under which an order needs no fair opportunity
#: (FAR 16.505(b)(1)(i)): $15,000 from 2025-10-01, $10,000 before (from 2018-08-31 under the
#: FY2018 NDAA; earlier figures are not modelled).
#: Task-order protests (10 U.S.C. 3406(f)(1)(B) for DoD, NASA and the Coast Guard): $35 million for
#: protests filed from 2024-12-23 (FY2025 NDAA sec. 885), $25 million from 2016-12-23 (FY2017
#: NDAA sec. 835), $10 million before; civilian agencies $10 million (41 U.S.C. 4106(f)(1)(B)).
DEFENSE_35M = datetime(2024, 12, 23, 5, tzinfo=UTC)
DEFENSE_25M = datetime(2016, 12, 23, 5, tzinfo=UTC)


def simplified_acquisition_threshold(when: datetime) -> Decimal:
    return Decimal(350_000) if when >= SAT_2025 else Decimal(250_000)


def micro_purchase_threshold(when: datetime) -> Decimal:
    return Decimal(15_000) if when >= SAT_2025 else Decimal(10_000)


def order_protest_threshold(agency: str, filed: datetime) -> tuple[Decimal, str]:
    """The value a task order must exceed to be protested, and the statute saying so."""
    if agency == "civilian":
        return Decimal(10_000_000), "41 U.S.C. 4106(f)(1)(B)"
    if filed >= DEFENSE_35M:
        return Decimal(35_000_000), "10 U.S.C. 3406(f)(1)(B), as amended by the FY2025 NDAA sec. 885"
    if filed >= DEFENSE_25M:
        return Decimal(25_000_000), "10 U.S.C. 2304c(e)(1)(B), as amended by the FY2017 NDAA sec. 835"
    return Decimal(10_000_000), "10 U.S.C. 2304c(e)(1)(B)"


def dollars(amount: Decimal) -> str:
    return f"${amount:,.0f}"


def refuse_if_order_bar(state: TenderState, cmd: c.FileProtest, now: datetime) -> None:
    """The task-order protest bar (FASA; 10 U.S.C. 3406(f), 41 U.S.C. 4106(f); FAR 16.505(a)(10)):
    no protest of an order's issuance unless it increases the vehicle's scope, period or maximum
    value, or is valued above the threshold; then only at GAO, which alone hears them."""
    under = state.get("order_under")
    if under is None or under["kind"] != "idiq" or cmd.forum == "eu-review":
        return
    if cmd.out_of_scope:
        if cmd.forum == "agency":
            raise Refused("task-order-bar", "a protest that an order exceeds the vehicle's scope, period or maximum "
                          "value is heard by GAO or the Court of Federal Claims, not the agency (FAR 16.505(a)(10))")
        return
    threshold, statute = order_protest_threshold(under["agency"], now)
    value = state["awards"][-1]["value"] if state["awards"] else state["value"]
    if value is None or Decimal(value["amount"]) <= threshold:
        worth = f"valued at {value['amount']} {value['currency']}" if value else "of no stated value"
        raise Refused("task-order-bar", f"an order {worth} cannot be protested: only orders above "
                      f"{dollars(threshold)} ({statute}), or that increase the vehicle's scope, period or maximum "
                      "value (out_of_scope); the task-order ombudsman hears complaints (FAR 16.505(b)(8))")
    if cmd.forum != "gao":
        raise Refused("task-order-bar", f"GAO alone hears protests of orders above {dollars(threshold)} ({statute}; "
                      "FAR 16.505(a)(10)(ii))")
