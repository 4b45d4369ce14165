"""A contract vehicle on its tender's page (issue 14): its terms, parties, running total and
remaining ceiling, its orders a page at a time; an order competition's vehicle; related processes.

Everything comes from the public view (`app.public.vehicle_parts`) and `app.queries`: the totals
are the state's, which every `order.placed` event carries (`ordered_before`, `ordered_after`), so
the page shows what anyone re-adds from the log; nothing here recomputes them from the orders.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from tenderproof.app import queries
from tenderproof.app.service import Procurement
from tenderproof.domain.events import EventType

#: How many orders a vehicle's page lists at once (newest first, keyset paging on their events).
ORDERS_PAGE = 25

KINDS = {
    "idiq": "Multiple-award IDIQ contract (FAR 16.504(c))",
    "framework": "Framework agreement (Directive 2014/24/EU art. 33)",
}
KIND_NAMES = {"idiq": "a multiple-award IDIQ contract", "framework": "a framework agreement"}
BASES = {
    "fair-opportunity": "Fair opportunity: competed among the awardees (FAR 16.505(b)(1))",
    "mini-competition": "Mini-competition among the parties (2014/24/EU art. 33(5))",
    "exception": "Exception to fair opportunity (FAR 16.505(b)(2))",
    "micro-purchase": "At or under the micro-purchase threshold (FAR 16.505(b)(1)(i))",
    "direct": "Direct call-off on the framework's terms (2014/24/EU art. 33(4)(a))",
}
#: FAR 16.505(b)(2)(i)(A)-(F), as `domain.commands.FAIR_OPPORTUNITY_EXCEPTIONS` names them.
EXCEPTIONS = {
    "urgency": "urgency (FAR 16.505(b)(2)(i)(A))",
    "unique": "unique or highly specialized (FAR 16.505(b)(2)(i)(B))",
    "follow-on": "logical follow-on (FAR 16.505(b)(2)(i)(C))",
    "minimum-guarantee": "minimum guarantee (FAR 16.505(b)(2)(i)(D))",
    "statute": "authorized or required by statute (FAR 16.505(b)(2)(i)(E))",
    "small-business": "small-business set-aside (FAR 16.505(b)(2)(i)(F))",
}
CALL_OFFS = {
    "direct": "directly on the framework's terms (art. 33(4)(a))",
    "mini-competition": "by mini-competition among the parties (art. 33(4)(c), (5))",
    "either": "directly or by mini-competition, as the framework says (art. 33(4)(b))",
}
AGENCIES = {"defense": "defense (task-order protests: 10 U.S.C. 3406(f))",
            "civilian": "civilian (task-order protests: 41 U.S.C. 4106(f))"}
#: OCDS 1.1 relatedProcess codelist.
RELATIONSHIPS = {
    "framework": "framework (this process calls off from it)", "planning": "planning",
    "parent": "parent process", "prior": "prior process", "unsuccessfulProcess": "unsuccessful process it replaces",
    "subContract": "subcontract", "replacementProcess": "replacement process", "renewalProcess": "renewal",
}


def _dec(x: Any) -> Decimal:
    try:
        return Decimal(str(x))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _text(d: Decimal) -> str:
    return format(d.normalize() if d == d.to_integral() else d, "f")


def _share(used: Decimal, of: Decimal) -> dict[str, Any]:
    """Used and remaining of a ceiling, and the bar's width in hundredths (0–100, the used part)."""
    remaining = of - used
    pct = (used / of * 100) if of > 0 else Decimal(100)
    shown = f"{pct:.1f}" if pct >= 1 or pct <= 0 else ("<0.01" if pct < Decimal("0.01") else f"{pct:.2f}")
    return {"used": _text(used), "remaining": _text(remaining), "ceiling": _text(of), "percent": shown,
            "bar": float(min(max(pct, Decimal(0)), Decimal(100))), "over": remaining < 0}


def tender_href(tender_id: str) -> str:
    return "/tenders/" + quote(tender_id, safe="")


def orders_cursor(value: str) -> int | None:
    """A paging cursor from the query string: an event's sequence number, digits only."""
    return int(value) if value.isdigit() and len(value) <= 18 else None


def vehicle_section(p: Procurement, v: dict[str, Any], before: int | None, after: int | None) -> dict[str, Any]:
    """The vehicle of tender `v` (its public view), with one page of its orders."""
    vh = v["vehicle"]
    currency = vh["ceiling"]["currency"]
    ceiling, ordered = _dec(vh["ceiling"]["amount"]), _dec(vh["ordered"])
    per_party = vh["ceiling_scope"] == "per-awardee"
    minimum = _dec(vh["minimum"]["amount"]) if vh.get("minimum") else None
    parties = []
    for x in vh["parties"]:
        total = _dec(vh["party_totals"].get(x["id"], "0"))
        parties.append({**x, "total": _text(total), "share": _share(total, ceiling) if per_party else None,
                        "minimum_met": None if minimum is None else total >= minimum,
                        "minimum_owed": None if minimum is None else _text(max(minimum - total, Decimal(0)))})
    # Per awardee, each party has the whole ceiling: the combined figure is the sum of theirs.
    combined = ceiling * len(parties) if per_party and parties else ceiling
    page = queries.vehicle_orders(p, v["id"], before=before, after=after, limit=ORDERS_PAGE)
    here = tender_href(v["id"])
    names = {x["id"]: x["name"] for x in vh["parties"]}
    orders = []
    for o in page.items:
        binding = _dec(o["party_after"]) if per_party else _dec(o["ordered_after"])
        orders.append({**o, "party_name": o["party"].get("name") or names.get(o["party"]["id"], o["party"]["id"]),
                       "basis_label": BASES.get(o["basis"], o["basis"]),
                       "exception_label": EXCEPTIONS.get(o["exception"] or "", o["exception"]),
                       "competition_href": tender_href(o["competition"]) if o["competition"] else None,
                       "remaining_after": _text(ceiling - binding)})
    return {
        **vh, "currency": currency, "kind_label": KINDS.get(vh["kind"], vh["kind"]),
        "call_off_label": CALL_OFFS.get(vh.get("call_off", ""), ""), "agency_label": AGENCIES.get(vh["agency"], ""),
        "per_party": per_party, "total": _share(ordered, combined), "party_rows": parties,
        "orders_page": orders, "page_size": ORDERS_PAGE,
        "newer": f"{here}?orders_after={page.newer}#orders" if page.newer is not None else None,
        "older": f"{here}?orders_before={page.older}#orders" if page.older is not None else None,
        "latest": f"{here}#orders" if before is not None or after is not None else None,
    }


def order_under_section(p: Procurement, v: dict[str, Any]) -> dict[str, Any]:
    """What an order competition's page says of its vehicle: which, who is invited, what order it gave."""
    under = v["order_under"]
    found = queries.order_competition(p, v["id"], under["vehicle"])
    parties = {x["id"]: x["name"] for x in (found or {}).get("vehicle", {}).get("parties", [])} if found else {}
    return {**under, "href": tender_href(under["vehicle"]) if found else None,
            "title": found["title"] if found else None, "kind_name": KIND_NAMES.get(under["kind"], under["kind"]),
            "invited": [{"id": i, "name": parties.get(i, "")} for i in v.get("invited", [])],
            "order": found["order"] if found else None}


def related_section(p: Procurement, v: dict[str, Any]) -> list[dict[str, Any]]:
    """The tender's related processes, linked where they are tenders of this log."""
    related = v.get("related", [])
    titles = queries.tender_titles(p, [r["id"] for r in related])
    return [{**r, "label": RELATIONSHIPS.get(r["relationship"], r["relationship"]),
             "href": tender_href(r["id"]) if r["id"] in titles else None,
             "shown_title": r.get("title") or titles.get(r["id"], "")} for r in related]


#: A vehicle's own page lists its orders in the orders section, a page at a time; its event table
#: leaves their events out (each order links to its own).
PAGED_EVENTS = (EventType.ORDER_PLACED,)
