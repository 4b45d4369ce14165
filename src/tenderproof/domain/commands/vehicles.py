"""Commands of a contract vehicle: a multiple-award IDIQ contract (FAR 16.504) or a framework
agreement (Directive 2014/24/EU art. 33), its awards, its options and the orders placed under it
(rules in domain/vehicles.py). The vehicle's terms are given when its tender is created
(`CreateTender.vehicle`, checked by `vehicle_terms` here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import fields
from .base import Command, InvalidCommand, check_choice, check_id, check_text, money

#: FAR 16.501-2: an indefinite-delivery, indefinite-quantity contract; 2014/24/EU art. 33: a
#: framework agreement.
VEHICLE_KINDS = ("idiq", "framework")
#: One ceiling for all the awardees together (JWCC's $9B), or one per awardee.
CEILING_SCOPES = ("shared", "per-awardee")
#: Whose statute governs task-order protests: 10 U.S.C. 3406(f) (DoD, NASA, Coast Guard) or
#: 41 U.S.C. 4106(f) (civilian agencies).
AGENCIES = ("defense", "civilian")
#: How a framework's call-offs are made (2014/24/EU art. 33(4)): (a) directly on the framework's
#: terms, (c) by reopening competition among its parties, or (b) either, as the framework says.
CALL_OFFS = ("direct", "mini-competition", "either")
#: The exceptions to fair opportunity (FAR 16.505(b)(2)(i)): each order placed without
#: competing it among the awardees names one, with its justification.
FAIR_OPPORTUNITY_EXCEPTIONS = {
    "urgency": "FAR 16.505(b)(2)(i)(A): the need is so urgent that fair opportunity would cause unacceptable "
               "delays",
    "unique": "FAR 16.505(b)(2)(i)(B): only one awardee can provide it at the quality required (unique or "
              "highly specialized)",
    "follow-on": "FAR 16.505(b)(2)(i)(C): a logical follow-on to an order already issued under the contract, "
                 "every awardee having had a fair opportunity for the original order",
    "minimum-guarantee": "FAR 16.505(b)(2)(i)(D): an order needed to satisfy a minimum guarantee",
    "statute": "FAR 16.505(b)(2)(i)(E): a statute expressly authorizes or requires a specified source",
    "small-business": "FAR 16.505(b)(2)(i)(F): an order set aside for a small business concern (15 U.S.C. 644(r))",
}
#: A vehicle runs at most this many options (FAR 17.204(e): five years in all is the usual limit,
#: but the count is the contract's; this only bounds the input).
MAX_OPTIONS = 20
#: At most this many awardees in one vehicle (far above any real multiple award).
MAX_AWARDEES = 1000


def vehicle_terms(value: Any) -> dict[str, Any]:
    """The terms a vehicle is solicited under, in their logged form."""
    v = fields.object_of(value, "vehicle", {"kind", "ceiling", "ordering_end"},
                         {"awardees", "ceiling_scope", "minimum", "options", "agency", "call_off"})
    kind = check_choice(v["kind"], VEHICLE_KINDS, "vehicle kind")
    awardees = v.get("awardees", 1)
    if isinstance(awardees, bool) or not isinstance(awardees, int) or not 1 <= awardees <= MAX_AWARDEES:
        raise InvalidCommand(f"vehicle.awardees must be a whole number from 1 to {MAX_AWARDEES}")
    ceiling = money(v["ceiling"], "vehicle.ceiling")
    if not float(ceiling["amount"]) > 0:
        raise InvalidCommand("vehicle.ceiling must be more than zero: orders are placed within it")
    minimum = money(v["minimum"], "vehicle.minimum") if v.get("minimum") is not None else None
    if minimum is not None and minimum["currency"] != ceiling["currency"]:
        raise InvalidCommand("vehicle.minimum must be in the ceiling's currency")
    ordering_end = fields.time(v["ordering_end"], "vehicle.ordering_end")
    options: list[dict[str, Any]] = []
    for i, o in enumerate(fields.list_of(v.get("options", []), "vehicle.options", max_len=MAX_OPTIONS)):
        o = fields.object_of(o, f"vehicle.options[{i}]", {"id", "period_end"})
        end = fields.time(o["period_end"], f"vehicle.options[{i}].period_end")
        previous: datetime = options[-1]["period_end"] if options else ordering_end
        if end <= previous:
            raise InvalidCommand(f"vehicle.options[{i}] must end after the period before it")
        options.append({"id": check_id(o["id"], f"vehicle.options[{i}].id"), "period_end": end})
    fields.unique([o["id"] for o in options], "vehicle option id")
    terms: dict[str, Any] = {
        "kind": kind, "awardees": awardees, "ceiling": ceiling,
        "ceiling_scope": check_choice(v.get("ceiling_scope", "shared"), CEILING_SCOPES, "vehicle.ceiling_scope"),
        "minimum": minimum, "ordering_end": ordering_end, "options": options,
        "agency": check_choice(v.get("agency", "defense"), AGENCIES, "vehicle.agency"),
    }
    if kind == "framework":
        terms["call_off"] = check_choice(v.get("call_off", "either"), CALL_OFFS, "vehicle.call_off")
    elif "call_off" in v:
        raise InvalidCommand("vehicle.call_off is a framework's (2014/24/EU art. 33(4)); an IDIQ contract's orders "
                             "are competed among the awardees or excepted (FAR 16.505(b))")
    return terms


@dataclass(frozen=True)
class AwardVehicle(Command):
    """The source selection authority awards the vehicle to several offerors at once (a multiple
    award, FAR 16.504(c); 2014/24/EU art. 33(4)), each an awardee under the same terms."""

    bids: list[str]
    rationale: str
    departure_reason: str = ""  # why the awardees are not the best ranked (FAR 15.308)

    def __post_init__(self) -> None:
        super().__post_init__()
        ids = [check_id(b, "bid id") for b in fields.list_of(self.bids, "bids", min_len=1, max_len=MAX_AWARDEES)]
        fields.unique(ids, "bid")
        check_text(self.rationale, "award rationale")


@dataclass(frozen=True)
class ExerciseOption(Command):
    """The contracting officer exercises one of the vehicle's options (FAR 17.207), extending its
    ordering period to the option's end."""

    option_id: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.option_id, "option id")


@dataclass(frozen=True)
class PlaceOrder(Command):
    """A task or delivery order (FAR 16.505) or a framework call-off (art. 33(3)-(5)) placed under
    the vehicle `tender_id`: from a competition among its parties (`competition`, the tender that
    competed it, whose award gives the party and the value), or without one: an IDIQ order under a
    fair-opportunity `exception`, a framework's direct call-off; then `party` and `value` are given."""

    order_id: str
    description: str
    competition: str | None = None
    party: str | None = None
    value: dict[str, str] | None = None
    exception: str | None = None
    justification: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.order_id, "order id")
        check_text(self.description, "order description", 5000)
        if self.competition is not None:
            check_id(self.competition, "competition tender id")
            if self.party is not None or self.value is not None or self.exception is not None:
                raise InvalidCommand("an order from a competition takes its party and value from the competition's "
                                     "award; give party, value and exception only for an order placed without one")
        else:
            if self.party is None or self.value is None:
                raise InvalidCommand("an order placed without a competition needs its party and value")
            check_id(self.party, "party")
        if self.value is not None:
            object.__setattr__(self, "value", money(self.value, "value"))
        if self.exception is not None:
            check_choice(self.exception, FAIR_OPPORTUNITY_EXCEPTIONS, "fair-opportunity exception")
            check_text(self.justification, "the exception's justification")
        else:
            check_text(self.justification, "justification", required=False)
