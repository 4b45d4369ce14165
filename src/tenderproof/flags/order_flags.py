"""Red flags of the orders under a contract vehicle (TP010–TP014; docs/flags-ledger.md).

A multiple-award IDIQ contract or a framework agreement is where competition moves from the award
to the orders: fair opportunity among the awardees (FAR 16.505(b)(1)), its exceptions
(16.505(b)(2)), the thresholds below which less is asked (the micro-purchase and simplified
acquisition thresholds, the task-order protest bar) and the ceiling. Each indicator here reads one
vehicle's state and uses only what its public events carry: the parties of `vehicle.awarded` and
each `order.placed` (party, value, basis, exception, the running totals, and a justification only
when it was posted). An unposted justification is not in the state at all (it stays in the
event's confidential part), and nothing here would show it.

The thresholds are the domain's own (`domain.task_orders`), taken as of each order's date.
OCP's codes (*Red flags for integrity*, R001–R073) are cited where the idea is theirs (`OCP`);
the codes are tenderproof's because OCP's indicators are defined over a buyer's or a market's
OCDS releases, these over one vehicle's log, and both run side by side in one output.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tenderproof.domain.model import parse_time
from tenderproof.domain.task_orders import (
    micro_purchase_threshold,
    order_protest_threshold,
    simplified_acquisition_threshold,
)

#: TP010: orders to one party this close together count as one purchase. FAR 13.003(c)(2) forbids
#: breaking one requirement into purchases under a threshold but sets no window: a month of orders
#: is a screening setting.
SPLIT_WINDOW = timedelta(days=30)
#: TP010: "just under" a threshold is within this fraction below it (at $15,000: $13,500-$15,000).
SPLIT_BAND = Decimal("0.10")
#: TP011: a party's share of the vehicle's order value above this, when the vehicle has at least
#: CONCENTRATION_MIN_PARTIES parties and CONCENTRATION_MIN_ORDERS orders: with two parties one of
#: them always has half, and a few orders say nothing of a pattern.
CONCENTRATION_SHARE = Decimal("0.5")
CONCENTRATION_MIN_PARTIES = 3
CONCENTRATION_MIN_ORDERS = 5
#: TP013: the share of the order value placed under an exception to fair opportunity above this,
#: over at least EXCEPTION_MIN_ORDERS orders. Fair opportunity is the rule (FAR 16.505(b)(1)) and
#: no figure is set in law: a quarter is a screening level, to be tuned to the office's record.
EXCEPTION_SHARE = Decimal("0.25")
EXCEPTION_MIN_ORDERS = 5
#: TP014: the running total at or above this fraction of the ceiling; or, from
#: CEILING_AVERAGE_MIN_ORDERS orders on, what remains below the average order (the next typical
#: order would not fit). An average of one or two orders predicts little.
CEILING_SHARE = Decimal("0.9")
CEILING_AVERAGE_MIN_ORDERS = 3

#: OCP's codes for the same idea, cited in the evidence and the documentation.
OCP: dict[str, tuple[str, ...]] = {
    "TP010": (),  # split purchases: on OCP's list among the thresholds a country sets; see the doc
    "TP011": ("R040", "R051"),  # supplier's high share of the buyer's contracts; market concentration (HHI)
    "TP012": ("R013",),  # non-competitive methods
    "TP013": ("R013",),
    "TP014": ("R068",),  # spending beyond the contract's amount: here, before it happens
}

#: The thresholds TP010 watches, as of a date: (vehicle, when) -> amount in USD.
THRESHOLDS: dict[str, Callable[[dict[str, Any], datetime], Decimal]] = {
    # below it no fair opportunity is owed (FAR 16.505(b)(1)(i))
    "micro-purchase": lambda v, at: micro_purchase_threshold(at),
    # above it an exception's justification is posted (FAR 16.505(b)(2)(ii)(D))
    "simplified-acquisition": lambda v, at: simplified_acquisition_threshold(at),
    # at or below it the order cannot be protested (10 U.S.C. 3406(f); 41 U.S.C. 4106(f))
    "task-order-protest": lambda v, at: order_protest_threshold(v["agency"], at)[0],
}


def _orders(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The vehicle's orders in the order they were placed; none for any other tender."""
    if state.get("vehicle") is None:
        return []
    return sorted(state["orders"].values(), key=lambda o: o["seq"])


def _amount(order: dict[str, Any]) -> Decimal:
    return Decimal(order["value"]["amount"])


def _ratio(x: Decimal) -> float:
    return float(round(x, 4))


def tp010_split_orders(state: dict[str, Any], window: timedelta = SPLIT_WINDOW,
                       band: Decimal = SPLIT_BAND) -> list[dict[str, Any]]:
    """TP010 — several orders to one party within `window`, each at or just under a threshold
    (micro-purchase, simplified acquisition, task-order protest, as of its date), together above it."""
    v = state.get("vehicle")
    if v is None or v["kind"] != "idiq":  # the thresholds are FAR's
        return []
    found = []
    for kind, threshold in THRESHOLDS.items():
        near: dict[str, list[tuple[datetime, dict[str, Any], Decimal]]] = {}
        for o in _orders(state):
            at, amount = parse_time(o["date"]), _amount(o)
            limit = threshold(v, at)
            if o["value"]["currency"] == "USD" and limit * (1 - band) <= amount <= limit:
                near.setdefault(o["party"]["id"], []).append((at, o, limit))
        for items in near.values():
            items.sort(key=lambda x: (x[0], x[1]["seq"]))
            i = 0
            while i < len(items):
                j = i
                while j < len(items) and items[j][0] - items[i][0] <= window:
                    j += 1
                group = items[i:j]
                total, limit = sum((_amount(o) for _, o, _ in group), Decimal(0)), max(t for _, _, t in group)
                if len(group) < 2 or total <= limit:
                    i += 1
                    continue
                first, last = group[0], group[-1]
                found.append({"party": first[1]["party"]["id"], "party_name": first[1]["party"]["name"],
                              "threshold": kind, "limit": format(limit, "f"), "currency": "USD",
                              "orders": [o["id"] for _, o, _ in group], "total": format(total, "f"),
                              "first": first[1]["date"], "last": last[1]["date"],
                              "days": (last[0] - first[0]).days, "ocp": list(OCP["TP010"])})
                i = j
    return found


def tp011_order_concentration(state: dict[str, Any], share: Decimal = CONCENTRATION_SHARE,
                              min_parties: int = CONCENTRATION_MIN_PARTIES,
                              min_orders: int = CONCENTRATION_MIN_ORDERS) -> list[dict[str, Any]]:
    """TP011 — one party holds more than half the value of the vehicle's orders (from three parties
    and five orders on); the evidence gives the Herfindahl-Hirschman index of the parties' shares."""
    v, orders = state.get("vehicle"), _orders(state)
    if v is None or len(v["parties"]) < min_parties or len(orders) < min_orders:
        return []
    totals = {p["id"]: Decimal(0) for p in v["parties"]}
    counts = dict.fromkeys(totals, 0)
    names = {p["id"]: p["name"] for p in v["parties"]}
    for o in orders:
        party = o["party"]["id"]
        totals[party] = totals.get(party, Decimal(0)) + _amount(o)
        counts[party] = counts.get(party, 0) + 1
        names.setdefault(party, o["party"]["name"])
    whole = sum(totals.values(), Decimal(0))
    if whole <= 0:
        return []
    hhi = sum(((x / whole) * 100) ** 2 for x in totals.values())
    return [{"party": party, "party_name": names[party], "share": _ratio(x / whole), "orders": counts[party],
             "value": format(x, "f"), "total": format(whole, "f"), "currency": v["ceiling"]["currency"],
             "parties": len(v["parties"]), "all_orders": len(orders), "hhi": round(hhi),
             "ocp": list(OCP["TP011"])}
            for party, x in totals.items() if x / whole > share]


def tp012_large_exception_order(state: dict[str, Any]) -> list[dict[str, Any]]:
    """TP012 — an order placed under an exception to fair opportunity above the simplified
    acquisition threshold, whose justification must be posted (FAR 16.505(b)(2)(ii)(D))."""
    found = []
    for o in _orders(state):
        if o["exception"] is None:
            continue
        limit = simplified_acquisition_threshold(parse_time(o["date"]))
        if o["value"]["currency"] == "USD" and _amount(o) > limit:
            found.append({"order": o["id"], "date": o["date"], "party": o["party"]["id"],
                          "party_name": o["party"]["name"], "value": o["value"]["amount"],
                          "currency": o["value"]["currency"], "exception": o["exception"],
                          "limit": format(limit, "f"), "posted": o["posted"],
                          # public only when posted; the domain keeps an unposted one out of the state
                          "justification": o["justification"] if o["posted"] else None,
                          "ocp": list(OCP["TP012"])})
    return found


def tp013_exception_share(state: dict[str, Any], share: Decimal = EXCEPTION_SHARE,
                          min_orders: int = EXCEPTION_MIN_ORDERS) -> list[dict[str, Any]]:
    """TP013 — more than a quarter of the value of the vehicle's orders (from five orders on) was
    placed under exceptions to fair opportunity (FAR 16.505(b)(2))."""
    orders = _orders(state)
    if len(orders) < min_orders:
        return []
    whole = sum((_amount(o) for o in orders), Decimal(0))
    excepted = [o for o in orders if o["exception"] is not None]
    value = sum((_amount(o) for o in excepted), Decimal(0))
    if whole <= 0 or value / whole <= share:
        return []
    kinds: dict[str, int] = {}
    for o in excepted:
        kinds[o["exception"]] = kinds.get(o["exception"], 0) + 1
    return [{"share": _ratio(value / whole), "share_of_orders": _ratio(Decimal(len(excepted)) / len(orders)),
             "exceptions": len(excepted), "orders": len(orders), "value": format(value, "f"),
             "total": format(whole, "f"), "by_exception": dict(sorted(kinds.items())), "ocp": list(OCP["TP013"])}]


def tp014_near_ceiling(state: dict[str, Any], share: Decimal = CEILING_SHARE,
                       min_orders: int = CEILING_AVERAGE_MIN_ORDERS) -> list[dict[str, Any]]:
    """TP014 — the orders' running total reached 90 % of the vehicle's ceiling, or what remains fell
    below the average order; once per ceiling (the vehicle's, or each party's), at the order that
    crossed, read from that order's running totals."""
    v = state.get("vehicle")
    if v is None:
        return []
    ceiling = Decimal(v["ceiling"]["amount"])
    shared = v["ceiling_scope"] == "shared"
    counts: dict[str, int] = {}
    found, done = [], set()
    for o in _orders(state):
        scope = "vehicle" if shared else o["party"]["id"]
        counts[scope] = counts.get(scope, 0) + 1
        if scope in done or ceiling <= 0:
            continue
        total = Decimal(o["ordered_after"] if shared else o["party_after"])
        remaining, average = ceiling - total, total / counts[scope]
        near, short = total >= share * ceiling, counts[scope] >= min_orders and remaining < average
        if near or short:
            done.add(scope)
            found.append({"scope": scope, "order": o["id"], "date": o["date"], "ordered": format(total, "f"),
                          "ceiling": format(ceiling, "f"), "currency": v["ceiling"]["currency"],
                          "share": _ratio(total / ceiling), "remaining": format(remaining, "f"),
                          "average": format(round(average, 2), "f"), "orders": counts[scope],
                          "reason": "share" if near else "remaining-below-average", "ocp": list(OCP["TP014"])})
    return found


INDICATORS: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
    "TP010": tp010_split_orders,
    "TP011": tp011_order_concentration,
    "TP012": tp012_large_exception_order,
    "TP013": tp013_exception_share,
    "TP014": tp014_near_ceiling,
}
