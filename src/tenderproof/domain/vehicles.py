"""Rules of contract vehicles: multiple-award IDIQ contracts (FAR 16.504, 16.505) and framework
agreements (Directive 2014/24/EU art. 33). Several awardees hold one vehicle; orders (task and
delivery orders, call-offs) are placed under it to its parties only, within its ordering period
and its ceiling. Each order's event carries the vehicle's running totals, so anyone re-adds them
from the log alone (`record.verify_vehicle`). Pure: state and clock in, events out.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from . import commands as c
from . import eu_remedies
from .errors import Refused
from .evaluation import evaluable_bid, ranking, require_declared
from .events import EventType
from .guards import require_panel, require_status
from .model import BUYER, CANCELLED, COMPLETE, EVALUATION, Actor, Event, iso, parse_time
from .oci import refuse_if_conflicted
from .protests import refuse_if_stayed
from .rulesets import ruleset
from .task_orders import dollars, micro_purchase_threshold, simplified_acquisition_threshold
from .tender import TenderState, Vehicle


def _vehicle(state: TenderState) -> Vehicle:
    v = state.get("vehicle")
    if v is None:
        raise Refused("not-a-vehicle", f"tender {state['id']} is not a contract vehicle (it was not solicited with "
                      "vehicle terms)")
    return v


def _awarded(state: TenderState) -> Vehicle:
    v = _vehicle(state)
    if not v["parties"]:
        raise Refused("not-awarded", f"vehicle {state['id']} has no awardees yet")
    if state["status"] == CANCELLED:  # a cancelled vehicle's contracts are terminated: nothing is ordered under it
        raise Refused("cancelled", f"vehicle {state['id']} was cancelled"
                      + (f" ({state['cancellation']['reason']})" if state["cancellation"] else ""), logged=True)
    return v


def terms_payload(terms: dict[str, Any]) -> dict[str, Any]:
    """The vehicle's terms as the log holds them (times as RFC 3339)."""
    out = dict(terms) | {"ordering_end": iso(terms["ordering_end"]),
                         "options": [{"id": o["id"], "period_end": iso(o["period_end"])} for o in terms["options"]]}
    return out


def competition_under(vehicle_state: TenderState | None, cmd: c.CreateTender, actor: Actor,
                      now: datetime) -> dict[str, Any]:
    """A tender competing an order under a vehicle: the vehicle must be awarded and still open for
    orders, the buyer one of its contracting officers; every party is invited (FAR
    16.505(b)(1)(i): each awardee a fair opportunity; 2014/24/EU art. 33(5)(a): every party
    capable of performing). Returns what the tender records of the vehicle."""
    if vehicle_state is None:
        raise Refused("not-found", f"no vehicle {cmd.order_under}")
    v = _awarded(vehicle_state)
    if actor.id not in vehicle_state["panel"].get(BUYER, []):
        raise Refused("not-on-panel", f"{actor.id} is not a contracting officer of vehicle {vehicle_state['id']}")
    # Not logged: the tender this would create does not exist, so it has no record to log it on.
    _refuse_outside_ordering_period(vehicle_state, v, now, logged=False)
    if v["kind"] == "framework" and v.get("call_off") == "direct":
        raise Refused("call-off-terms", f"framework {vehicle_state['id']} calls off directly on its terms (2014/24/EU "
                      "art. 33(4)(a)); it provides for no mini-competition")
    if cmd.ruleset != vehicle_state["ruleset"]:
        raise Refused("ruleset", f"an order under {vehicle_state['id']} follows its rules ({vehicle_state['ruleset']})")
    return {"vehicle": vehicle_state["id"], "kind": v["kind"], "agency": v["agency"],
            "invited": [p["id"] for p in v["parties"]]}


def award_vehicle(state: TenderState, cmd: c.AwardVehicle, actor: Actor, now: datetime) -> list[Event]:
    """The multiple award (FAR 16.504(c)(1): to two or more sources where the contract so provides;
    art. 33(4)): each awarded bid an evaluated, conflict-free offer of a distinct offeror."""
    require_panel(state, actor, "ssa")
    require_status(state, EVALUATION)
    require_declared(state, actor)
    v = _vehicle(state)
    if v["parties"]:
        raise Refused("awarded", f"vehicle {state['id']} is already awarded")
    if len(cmd.bids) > v["awardees"]:
        raise Refused("too-many-awardees", f"the solicitation provides for at most {v['awardees']} awards, not "
                      f"{len(cmd.bids)} (FAR 16.504(c)(1)(ii)(B): the number of awards is stated in advance)")
    bids = [evaluable_bid(state, b) for b in cmd.bids]
    bidders = [b["bidder"] for b in bids]
    if len(set(bidders)) != len(bidders):
        raise Refused("same-offeror", "each award goes to a distinct offeror")
    cr = state["competitive_range"]
    for b in bids:
        refuse_if_conflicted(state, b)  # FAR 9.504(a)(2): conflicts resolved before any award
        if cr is not None and b["id"] not in cr["included"]:
            raise Refused("outside-range", f"bid {b['id']} is not in the competitive range")
    order = ranking(state)
    if not order:
        raise Refused("not-evaluated", "no bid has an evaluated price yet; the award needs a complete evaluation")
    departs = set(cmd.bids) != set(order[:len(cmd.bids)])
    if departs and not cmd.departure_reason.strip():
        raise Refused("departure-unexplained", f"the evaluators ranked {', '.join(order[:len(cmd.bids)])} first; "
                      "awarding others needs a documented reason (FAR 15.308)")
    refuse_if_stayed(state, "award", now)
    rules = ruleset(state["ruleset"])
    standstill = rules.standstill_end(now, eu_remedies.member_state(state)) if rules.name == "eu" else None
    parties = [{"id": b["bidder"], "name": b["bidder_name"], "bid": b["id"],
                "award": f"{state['id']}-vehicle-award-{i + 1}"} for i, b in enumerate(bids)]
    return [Event(EventType.VEHICLE_AWARDED, {
        "parties": parties, "rationale": cmd.rationale, "ranking": order, "departs_from_ranking": departs,
        "departure_reason": cmd.departure_reason or None, "status": COMPLETE,
        "standstill_end": iso(standstill) if standstill else None, "standstill_basis": rules.standstill_basis()})]


def exercise_option(state: TenderState, cmd: c.ExerciseOption, actor: Actor, now: datetime) -> list[Event]:
    """FAR 17.207: an option is exercised within the period the contract states, in its order."""
    require_panel(state, actor, BUYER)
    v = _awarded(state)
    pending = [o for o in v["options"] if o["exercised"] is None]
    if not any(o["id"] == cmd.option_id for o in v["options"]):
        raise Refused("not-found", f"vehicle {state['id']} has no option {cmd.option_id}")
    if not pending or pending[0]["id"] != cmd.option_id:
        nxt = f"the next is {pending[0]['id']}" if pending else "every option is exercised"
        raise Refused("option-order", f"option {cmd.option_id} cannot be exercised now: {nxt}")
    _refuse_outside_ordering_period(state, v, now, "an option is exercised within the period it extends "
                                                     "(FAR 17.207(a))")
    return [Event(EventType.VEHICLE_OPTION_EXERCISED, {"option": cmd.option_id,
                                                       "ordering_end": pending[0]["period_end"]})]


def _refuse_outside_ordering_period(state: TenderState, v: Vehicle, now: datetime, why: str = "",
                                    logged: bool = True) -> None:
    if now > parse_time(v["ordering_end"]):
        raise Refused("ordering-period-over", f"vehicle {state['id']}'s ordering period ended {v['ordering_end']}; "
                      + (why or "orders are placed only within it (FAR 16.505(a)(2); 2014/24/EU art. 33(2))"),
                      logged=logged)


def place_order(state: TenderState, cmd: c.PlaceOrder, actor: Actor, now: datetime,
                competition: TenderState | None = None) -> list[Event]:
    require_panel(state, actor, BUYER)
    v = _awarded(state)
    if cmd.order_id in state["orders"]:
        raise Refused("exists", f"order {cmd.order_id} already exists under vehicle {state['id']}")
    standstill = v.get("standstill_end")
    if standstill and now < parse_time(standstill):
        raise Refused("standstill", f"framework {state['id']} cannot be used before its standstill ends "
                      f"{standstill} (89/665/EEC art. 2a(2))", logged=True)
    _refuse_outside_ordering_period(state, v, now)
    refuse_if_stayed(state, "performance", now)
    parties = {p["id"]: p for p in v["parties"]}
    if cmd.competition is not None:
        party_id, value, basis = _competed(state, v, cmd, competition)
    else:
        party_id, value = str(cmd.party), dict(cmd.value or {})
        basis = _without_competition(state, v, cmd, Decimal(value["amount"]), now)
    if party_id not in parties:
        raise Refused("not-a-party", f"{party_id} is not a party to vehicle {state['id']}: orders go only to its "
                      "awardees (FAR 16.505(a)(2); 2014/24/EU art. 33(2))", logged=True)
    if value["currency"] != v["ceiling"]["currency"]:
        raise Refused("currency", f"the order is in {value['currency']}; vehicle {state['id']}'s ceiling is in "
                      f"{v['ceiling']['currency']}")
    amount, ceiling = Decimal(value["amount"]), Decimal(v["ceiling"]["amount"])
    before, party_before = Decimal(v["ordered"]), Decimal(v["party_totals"].get(party_id, "0"))
    binding = before if v["ceiling_scope"] == "shared" else party_before
    if binding + amount > ceiling:
        whose = "" if v["ceiling_scope"] == "shared" else f" for {party_id}"
        raise Refused("over-ceiling", f"order {cmd.order_id} of {amount} would bring the orders{whose} to "
                      f"{binding + amount}, over vehicle {state['id']}'s ceiling of {ceiling} "
                      f"{v['ceiling']['currency']} "
                      "(FAR 16.504(a)(1), 16.505(a)(2); CJEU C-216/17 and C-23/20: a framework's maximum binds)",
                      logged=True)
    posted = cmd.exception is not None and amount > simplified_acquisition_threshold(now)
    payload: dict[str, Any] = {
        "id": cmd.order_id, "party": {"id": party_id, "name": parties[party_id]["name"]}, "value": value,
        "basis": basis, "competition": cmd.competition, "exception": cmd.exception, "description": cmd.description,
        "ordered_before": format(before, "f"), "ordered_after": format(before + amount, "f"),
        "party_after": format(party_before + amount, "f"), "posted": posted,
        # Above the simplified acquisition threshold an exception's justification is made public
        # (FAR 16.505(b)(2)(ii)(D)); below it, it stays in the contract file.
        "justification": cmd.justification if posted or cmd.exception is None else None,
    }
    confidential = {"justification": cmd.justification} if cmd.exception is not None and not posted else None
    return [Event(EventType.ORDER_PLACED, payload, confidential)]


def _competed(state: TenderState, v: Vehicle, cmd: c.PlaceOrder,
              competition: TenderState | None) -> tuple[str, dict[str, str], str]:
    """An order from a competition among the parties: the competition's standing award gives its
    party and value (FAR 16.505(b)(1); art. 33(5)(d): to the best tender)."""
    if competition is None or competition.get("order_under", {}).get("vehicle") != state["id"]:
        raise Refused("not-under-vehicle", f"tender {cmd.competition} is not a competition for an order under "
                      f"vehicle {state['id']}")
    given = state["order_competitions"].get(str(cmd.competition))
    if given is not None:
        raise Refused("exists", f"competition {cmd.competition} already gave order {given}")
    if not competition["awards"] or competition["status"] not in ("active.awarded", COMPLETE):
        raise Refused("not-awarded", f"competition {cmd.competition} has no standing award")
    award = competition["awards"][-1]
    basis = "mini-competition" if v["kind"] == "framework" else "fair-opportunity"
    value = {"amount": award["value"]["amount"], "currency": award["value"]["currency"]}
    return award["supplier"]["id"], value, basis


def _without_competition(state: TenderState, v: Vehicle, cmd: c.PlaceOrder, amount: Decimal, now: datetime) -> str:
    if v["kind"] == "framework":
        if cmd.exception is not None:
            raise Refused("bad-exception", "fair-opportunity exceptions are FAR 16.505(b)(2)'s; a framework calls off "
                          "directly on its terms or by mini-competition (2014/24/EU art. 33(3)-(5))")
        if v.get("call_off") == "mini-competition":
            raise Refused("call-off-terms", f"framework {state['id']}'s call-offs are competed among its parties "
                          "(2014/24/EU art. 33(4)(c), (5)): name the competition", logged=True)
        return "direct"
    if cmd.exception is None:
        if amount <= micro_purchase_threshold(now):
            return "micro-purchase"  # FAR 16.505(b)(1)(i): fair opportunity is for orders above it
        raise Refused("fair-opportunity", f"an order of {amount} is above the micro-purchase threshold "
                      f"({dollars(micro_purchase_threshold(now))}): every awardee must get a fair opportunity "
                      "(FAR 16.505(b)(1)(i); 10 U.S.C. 3406(c)); compete it or record an exception "
                      "(16.505(b)(2)(i))", logged=True)
    if cmd.exception == "minimum-guarantee":
        minimum = v["minimum"]
        have = Decimal(v["party_totals"].get(str(cmd.party), "0"))
        if minimum is None or have + amount > Decimal(minimum["amount"]):
            owed = Decimal(minimum["amount"]) - have if minimum else Decimal(0)
            raise Refused("bad-exception", f"the minimum-guarantee exception covers only what is still owed to "
                          f"{cmd.party}: {max(owed, Decimal(0))} (FAR 16.505(b)(2)(i)(D))", logged=True)
    if cmd.exception == "statute" and amount <= simplified_acquisition_threshold(now):
        raise Refused("bad-exception", "FAR 16.505(b)(2)(i)(E) is for orders above the simplified acquisition "
                      f"threshold ({dollars(simplified_acquisition_threshold(now))})")
    return "exception"
