"""Contract vehicles in a release: a multiple-award IDIQ contract (FAR 16.504) or a framework
agreement (2014/24/EU art. 33), its awards and contracts (one per party, core OCDS), its terms
(`tender.vehicle`), its orders (`vehicleOrders`) and its running totals (`vehicleTotals`), fields
of tenderproof's own extension (extensions/tenderproof_vehicles, whose README says what each
holds); and every tender's `relatedProcesses` (core OCDS).

Every value is copied from the tender's state as the domain folds it from the log
(`domain.vehicle_state`); only the remaining ceiling is derived (the ceiling less the running
total the log carries). An order's justification is in the state only once it is public (FAR
16.505(b)(2)(ii)(D): an exception's justification above the simplified acquisition threshold is
posted; below it, it stays in the contract file, on the log's confidential side), and it is
published only then.

Orders are top-level release fields, beside `awards` and `contracts`, not under `tender`: they are
placed after the tender is complete, under the contracts its award made, by contracting officers
who may not be the tender's; the tender keeps what was solicited (`tender.vehicle`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tenderproof.domain.commands.vehicles import FAIR_OPPORTUNITY_EXCEPTIONS

from .values import ocid_for, present, value

#: What a vehicle is called in a title or description, by its kind.
KIND_NAMES = {"idiq": "IDIQ contract", "framework": "framework agreement"}


def _title(kind: str) -> str:
    """A vehicle's kind at the start of a title: "IDIQ contract", "Framework agreement"."""
    name = KIND_NAMES[kind]
    return name[0].upper() + name[1:]


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return value({"amount": format(amount, "f"), "currency": currency})


def _ordering_period(v: Mapping[str, Any]) -> dict[str, str]:
    """From the award (or the end of an EU framework's standstill, before which no call-off is
    made: 89/665/EEC art. 2a(2)) to the end of the ordering period as its options extend it."""
    start = v.get("standstill_end") or v.get("awarded")
    return present({"startDate": start, "endDate": v["ordering_end"]})


def vehicle_terms(s: Mapping[str, Any]) -> dict[str, Any]:
    """`tender.vehicle`: the terms the vehicle is solicited under; {} for any other tender."""
    v = s.get("vehicle")
    if v is None:
        return {}
    terms = present({
        "kind": v["kind"], "awardees": v["awardees"], "ceiling": value(v["ceiling"]),
        "ceilingScope": v["ceiling_scope"], "minimum": value(v["minimum"]) if v.get("minimum") else None,
        "orderingPeriod": _ordering_period(v),
        "options": [present({"id": o["id"], "periodEnd": o["period_end"], "dateExercised": o["exercised"]})
                    for o in v["options"]],
        "agency": v["agency"], "callOff": v.get("call_off")})
    return {"vehicle": terms}


def _per_awardee(v: Mapping[str, Any]) -> bool:
    return bool(v["ceiling_scope"] == "per-awardee")


def vehicle_awards(s: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One award per party, in force from the multiple award on (FAR 16.504(c); art. 33(4)):
    its value is the ceiling when each party has its own, and none when the parties share one (the
    vehicle's maximum is `tender.vehicle.ceiling`: adding the awards up would count it n times)."""
    v = s.get("vehicle")
    if not v or not v["parties"]:
        return []
    kind, n = KIND_NAMES[v["kind"]], len(v["parties"])
    status = "cancelled" if s["status"] in ("cancelled", "unsuccessful") else "active"
    return [present({
        "id": p["award"], "title": f"Award of {kind} {s['id']} to {p['name']}",
        "description": f"One of the {n} awards of {kind} {s['id']}: orders are placed under it within its "
                       "ordering period and its ceiling.",
        "status": status, "date": v["awarded"], "value": value(v["ceiling"]) if _per_awardee(v) else None,
        "suppliers": [{"id": p["id"], "name": p["name"]}], "relatedBid": p["bid"]}) for p in v["parties"]]


def contract_id(award_id: str) -> str:
    return f"{award_id}-contract"


def vehicle_contracts(s: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One contract per award, for the ordering period; each exercised option (FAR 17.207) is an
    amendment of every party's contract, extending the period. A vehicle cancelled after its award
    ends its contracts then, "terminated", as `releases._contract` ends a tender's contract."""
    v = s.get("vehicle")
    if not v or not v["parties"]:
        return []
    amendments = [{"id": o["id"], "date": o["exercised"],
                   "rationale": f"Option {o['id']} exercised (FAR 17.207): the ordering period now ends "
                                f"{o['period_end']}."} for o in v["options"] if o["exercised"]]
    period = _ordering_period(v)
    ended = (s.get("cancellation") or {}).get("date") if s["status"] == "cancelled" else None
    if ended:
        period = present({"startDate": period.get("startDate"), "endDate": min(ended, period["endDate"])})
    out = []
    for p in v["parties"]:
        out.append(present({
            "id": contract_id(p["award"]), "awardID": p["award"],
            "title": f"{_title(v['kind'])} {s['id']}: {p['name']}",
            "description": f"Terminated {ended} with the cancellation of the vehicle; its ordering period was to "
                           f"end {v['ordering_end']}." if ended else None,
            "status": "terminated" if ended else "active", "period": period,
            "value": value(v["ceiling"]) if _per_awardee(v) else None,
            # Under a standstill the framework is concluded only once it ends (89/665/EEC art. 2a(2)).
            "dateSigned": None if v.get("standstill_end") else v["awarded"],
            "amendments": amendments}))
    return out


def _order(o: Mapping[str, Any], award_of: Mapping[str, str], currency: str, ocid_prefix: str) -> dict[str, Any]:
    excepted = o["exception"] is not None
    public = o["justification"] if (o["posted"] or not excepted) else None  # never an unposted one
    award = award_of.get(o["party"]["id"])
    return present({
        "id": o["id"], "date": o["date"], "description": o["description"],
        "party": {"id": o["party"]["id"], "name": o["party"]["name"]},
        "contractID": contract_id(award) if award else None,
        "value": value(o["value"]), "basis": o["basis"],
        "competition": ocid_for(ocid_prefix, o["competition"]) if o["competition"] else None,
        "exception": o["exception"], "exceptionDetails": FAIR_OPPORTUNITY_EXCEPTIONS.get(o["exception"] or ""),
        "justification": public, "justificationPosted": o["posted"] if excepted else None,
        "orderedBefore": value({"amount": o["ordered_before"], "currency": currency}),
        "orderedAfter": value({"amount": o["ordered_after"], "currency": currency}),
        "partyTotalAfter": value({"amount": o["party_after"], "currency": currency}),
        "eventNumber": o["seq"]})


def vehicle_orders(s: Mapping[str, Any], ocid_prefix: str) -> dict[str, Any]:
    """`vehicleOrders` (in the order placed) and `vehicleTotals`, from the award on; {} before,
    and for any other tender."""
    v = s.get("vehicle")
    if not v or not v["parties"]:
        return {}
    currency = v["ceiling"]["currency"]
    award_of = {p["id"]: p["award"] for p in v["parties"]}
    orders = sorted(s["orders"].values(), key=lambda o: (o["seq"], o["id"]))
    ceiling, ordered = Decimal(v["ceiling"]["amount"]), Decimal(v["ordered"])
    per_awardee = _per_awardee(v)
    parties = []
    for p in v["parties"]:
        total = Decimal(v["party_totals"].get(p["id"], "0"))
        parties.append(present({"id": p["id"], "name": p["name"], "ordered": _money(total, currency),
                                "remaining": _money(ceiling - total, currency) if per_awardee else None}))
    totals = present({"numberOfOrders": v["orders"], "ordered": _money(ordered, currency),
                      "remaining": None if per_awardee else _money(ceiling - ordered, currency),
                      "parties": parties})
    out: dict[str, Any] = {"vehicleTotals": totals}
    if orders:
        out["vehicleOrders"] = [_order(o, award_of, currency, ocid_prefix) for o in orders]
    return out


def related_processes(s: Mapping[str, Any], ocid_prefix: str) -> list[dict[str, Any]]:
    """`relatedProcesses`: one per tender named in the state's `related` (its relationships
    together), identified by its ocid. An order's competition names its vehicle "framework"
    ("this contracting process follows on from the related process to establish a framework",
    the OCDS 1.1 relatedProcess codelist); the codelist has no code for the reverse, so a vehicle
    names each order's competition in `vehicleOrders[].competition` instead."""
    under = s.get("order_under") or {}
    by_id: dict[str, dict[str, Any]] = {}
    for r in s.get("related") or []:
        entry = by_id.setdefault(r["id"], {"id": r["id"], "relationship": [], "title": None, "scheme": "ocid",
                                           "identifier": ocid_for(ocid_prefix, r["id"])})
        if r["relationship"] not in entry["relationship"]:
            entry["relationship"].append(r["relationship"])
        if entry["title"] is None:
            entry["title"] = r.get("title") or (
                f"{_title(under['kind'])} {r['id']}" if r["id"] == under.get("vehicle") else None)
    return [present(e) for e in by_id.values()]
