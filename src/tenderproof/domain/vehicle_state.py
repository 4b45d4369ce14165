"""How a contract vehicle's events fold into the state (the rules: domain/vehicles.py)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .events import EventType
from .tender import Envelope, JSONObject, Order, TenderState, Vehicle, VehicleParty


def created(p: JSONObject) -> dict[str, Any]:
    """The parts of tender.created that concern vehicles, present only when the command gave them
    (so every other tender's state is what it always was)."""
    core: dict[str, Any] = {}
    if p.get("vehicle") is not None:
        t: JSONObject = p["vehicle"]
        vehicle: Vehicle = {
            "kind": t["kind"], "awardees": t["awardees"], "ceiling": t["ceiling"], "ceiling_scope": t["ceiling_scope"],
            "minimum": t["minimum"], "ordering_end": t["ordering_end"], "agency": t["agency"],
            "options": [{"id": o["id"], "period_end": o["period_end"], "exercised": None} for o in t["options"]],
            "parties": [], "awarded": None, "ordered": "0", "party_totals": {}, "orders": 0,
        }
        if "call_off" in t:
            vehicle["call_off"] = t["call_off"]
        core["vehicle"] = vehicle
    if p.get("order_under") is not None:
        u = p["order_under"]
        core["order_under"] = {"vehicle": u["vehicle"], "kind": u["kind"], "agency": u["agency"]}
    if p.get("invited"):
        core["invited"] = list(p["invited"])
    if p.get("related"):
        core["related"] = [dict(r) for r in p["related"]]
    if p.get("lots"):  # a tender divided into lots (domain/lots.py)
        core["lots"] = [dict(x) for x in p["lots"]]
        if p.get("lot_award_limit") is not None:
            core["lot_award_limit"] = p["lot_award_limit"]
    return core


def _awarded(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    parties: list[VehicleParty] = [{"id": x["id"], "name": x["name"], "bid": x["bid"], "award": x["award"]}
                                   for x in p["parties"]]
    s["vehicle"] = s["vehicle"] | {"parties": parties, "awarded": e["time"], "standstill_end": p["standstill_end"]}


def _option(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    v = s["vehicle"]
    options = [o | {"exercised": e["time"]} if o["id"] == p["option"] else o for o in v["options"]]
    s["vehicle"] = v | {"options": options, "ordering_end": p["ordering_end"]}


def _order(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    v = s["vehicle"]
    party = p["party"]["id"]
    before = Decimal(v["party_totals"].get(party, "0"))
    totals = v["party_totals"] | {party: format(before + Decimal(p["value"]["amount"]), "f")}
    s["vehicle"] = v | {"ordered": p["ordered_after"], "party_totals": totals,
                        "orders": v["orders"] + 1}
    order: Order = {
        "id": p["id"], "date": e["time"], "seq": e["seq"], "party": p["party"], "value": p["value"],
        "basis": p["basis"], "competition": p["competition"], "exception": p["exception"],
        "justification": p["justification"],  # an unposted one stays in the confidential part only
        "description": p["description"], "ordered_before": p["ordered_before"], "ordered_after": p["ordered_after"],
        "party_after": p["party_after"], "posted": p["posted"],
    }
    s["orders"].put(p["id"], order)
    if p["competition"] is not None:
        s["order_competitions"].put(p["competition"], p["id"])


APPLY: dict[EventType, Callable[[TenderState, JSONObject, JSONObject, Envelope], None]] = {
    EventType.VEHICLE_AWARDED: _awarded,
    EventType.VEHICLE_OPTION_EXERCISED: _option,
    EventType.ORDER_PLACED: _order,
}
