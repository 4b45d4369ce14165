"""The ceiling, proven (issue 14): a contract vehicle's orders re-added from its log alone.

A vehicle (a multiple-award IDIQ contract, FAR 16.504; a framework agreement, Directive
2014/24/EU art. 33) is a tender whose tender.created carries its terms ("vehicle"): the ceiling,
shared by the awardees or one per awardee, its currency, the ordering period and its options.
Each order.placed carries the running totals the domain computed when it placed the order
(`domain.vehicles.place_order`). Folding vehicle.awarded (the parties), vehicle.option_exercised
(the ordering period as extended) and every order.placed in the log's order, the verifier checks
that each order:

- goes to a party of the vehicle, awarded before it (FAR 16.505(a)(2); 2014/24/EU art. 33(2):
  call-offs only between the parties to the framework), and not during an EU framework's
  standstill (89/665/EEC art. 2a(2));
- is in the ceiling's currency, and states its running totals truly: ordered_before the previous
  order's ordered_after (0 for the first), ordered_after = ordered_before + value, party_after its
  party's previous party_after + value; so, by induction, each equals the sum of the orders
  before it, re-added by anyone;
- keeps the binding total (shared: all orders; per-awardee: that party's orders), as the verifier
  itself re-adds it, within the ceiling (FAR 16.504(a)(1): the contract's maximum; 16.505(a)(2):
  no order beyond it; CJEU C-216/17 and C-23/20: a framework's maximum binds);
- is placed within the ordering period as the options exercised before it extended it (FAR
  16.505(a)(2); FAR 17.207: each option exercised in its order, within the period it extends).

Each failure is one line naming the order, its seq and its ledger index. The chain of stated
totals is checked against the previous order's statements, so one crafted order fails alone and
not every honest order after it; the ceiling is checked against the verifier's own sums.

Streaming: the fold keeps the running totals, one per party, and the first few problems: memory
is constant in the number of orders besides the per-party totals (`VehicleFold.feed`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tenderproof.domain.events import EventType
from tenderproof.domain.model import iso, parse_time

from .bundle import event_name
from .reading import Reading, as_object

#: Lines for failing events before the rest are counted in one line.
MAX_LINES = 20
#: Parties named in the success line of a per-awardee ceiling, before "and N more".
MAX_NAMED = 5

_PARTIES = "FAR 16.505(a)(2); 2014/24/EU art. 33(2)"
_CEILING = "FAR 16.504(a)(1), 16.505(a)(2); CJEU C-216/17 and C-23/20"
_PERIOD = "FAR 16.505(a)(2); 2014/24/EU art. 33(2)"
_OPTIONS = "FAR 17.207"
_STANDSTILL = "89/665/EEC art. 2a(2)"


class Malformed(ValueError):
    """A field the check needs is missing or not what the log writes there."""


def _decimal(value: Any, what: str) -> Decimal:
    if not isinstance(value, str):
        raise Malformed(f"{what} is not a decimal string: {value!r}")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise Malformed(f"{what} {value!r} is not a number") from None
    if not d.is_finite():
        raise Malformed(f"{what} {value!r} is not a finite number")
    return d


def _money(value: Any, what: str) -> tuple[Decimal, str]:
    m = as_object(value)
    amount = _decimal(m.get("amount"), f"{what}.amount")
    if amount < 0:
        raise Malformed(f"{what}.amount {m.get('amount')} is negative")
    cur = m.get("currency")
    if not isinstance(cur, str):
        raise Malformed(f"{what}.currency is not a currency code: {cur!r}")
    return amount, cur


def _time(value: Any, what: str) -> datetime:
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        return parse_time(value)
    except ValueError as e:
        raise Malformed(f"{what} {value!r} is not an RFC 3339 time ({e})") from None


def _f(d: Decimal) -> str:
    return format(d, "f")


class VehicleFold:
    """One vehicle's orders folded event by event, in the log's order (`feed`)."""

    def __init__(self, tender: str, terms: Any) -> None:
        t = as_object(terms)
        self.tender = tender
        self.kind = t.get("kind")
        self.ceiling, self.currency = _money(t.get("ceiling"), "vehicle.ceiling")
        self.scope = t.get("ceiling_scope")
        if self.scope not in ("shared", "per-awardee"):
            raise Malformed(f"vehicle.ceiling_scope {self.scope!r} is neither shared nor per-awardee")
        awardees = t.get("awardees")
        self.awardees = awardees if isinstance(awardees, int) and not isinstance(awardees, bool) else None
        self.ordering_end = _time(t.get("ordering_end"), "vehicle.ordering_end")
        options = t.get("options")
        if not isinstance(options, list):
            raise Malformed("vehicle.options is not a list")
        self.options = [(as_object(o).get("id"), _time(as_object(o).get("period_end"), f"vehicle.options[{i}]"))
                        for i, o in enumerate(options)]
        self.exercised: list[str] = []
        self.parties: dict[str, str] | None = None  # id -> name, once awarded
        self.awarded: datetime | None = None
        self.standstill_end: datetime | None = None
        self.total = Decimal(0)  # the verifier's own sums
        self.party_totals: dict[str, Decimal] = {}
        self.stated = Decimal(0)  # the last order's stated ordered_after
        self.stated_party: dict[str, Decimal] = {}  # each party's last stated party_after
        self.orders = 0
        self.refused: Counter[str] = Counter()  # refused orders, logged, by refusal code

    # --- the fold --------------------------------------------------------------------------

    def feed(self, env: dict[str, Any], index: int | None) -> str | None:
        """Fold one event of the vehicle's log; a line saying what is wrong with it, or None."""
        kind = env.get("type")
        payload = as_object(env.get("payload"))
        try:
            if kind == EventType.VEHICLE_AWARDED:
                problems = self._awarded(env, payload)
                what = "the vehicle's award"
            elif kind == EventType.VEHICLE_OPTION_EXERCISED:
                problems = self._option(env, payload)
                what = f"option {payload.get('option')!r}"
            elif kind == EventType.ORDER_PLACED:
                what = f"order {payload.get('id')!r}"
                problems = self._order(env, payload)
            else:
                if kind == EventType.COMMAND_REFUSED and payload.get("command") == "PlaceOrder":
                    self.refused[str(payload.get("code"))] += 1
                return None
        except Malformed as e:
            problems = [f"is malformed: {e}"]
        if not problems:
            return None
        where = f"ledger index {index}" if index is not None else "not proven in the log"
        return f"{what} of vehicle {self.tender} (seq {env.get('seq')}, {where}) " + "; ".join(problems)

    def _awarded(self, env: dict[str, Any], p: dict[str, Any]) -> list[str]:
        if self.parties is not None:
            return ["is a second award: a vehicle is awarded once"]
        parties = p.get("parties")
        if not isinstance(parties, list) or not parties:
            raise Malformed("parties is not a list of awardees")
        self.parties = {}
        for x in parties:
            pid, name = as_object(x).get("id"), as_object(x).get("name")
            if not isinstance(pid, str):
                raise Malformed(f"a party's id is not a string: {pid!r}")
            self.parties[pid] = name if isinstance(name, str) else pid
        self.awarded = _time(env.get("time"), "time")
        end = p.get("standstill_end")
        self.standstill_end = _time(end, "standstill_end") if end is not None else None
        problems = []
        if len(self.parties) != len(parties):
            problems.append("names a party twice (each award goes to a distinct offeror)")
        if self.awardees is not None and len(parties) > self.awardees:
            problems.append(f"makes {len(parties)} awards, the terms provide for at most {self.awardees} "
                            "(FAR 16.504(c)(1)(ii)(B))")
        return problems

    def _option(self, env: dict[str, Any], p: dict[str, Any]) -> list[str]:
        when = _time(env.get("time"), "time")
        end = _time(p.get("ordering_end"), "ordering_end")
        problems = []
        if self.parties is None:
            problems.append("is exercised before the vehicle was awarded")
        n = len(self.exercised)
        if n >= len(self.options):
            problems.append(f"is exercised after every option of the terms ({len(self.options)}) was")
        else:
            oid, period_end = self.options[n]
            if p.get("option") != oid:
                problems.append(f"is not the next option of the terms ({oid!r}; options are exercised in "
                                f"order, {_OPTIONS})")
            elif end != period_end:
                problems.append(f"extends the ordering period to {p.get('ordering_end')}, the terms say the option "
                                f"ends {iso(period_end)}")
        if when > self.ordering_end:
            problems.append(f"is exercised {env.get('time')}, after the ordering period ended "
                            f"{iso(self.ordering_end)} ({_OPTIONS}(a))")
        self.exercised.append(str(p.get("option")))
        self.ordering_end = end
        return problems

    def _order(self, env: dict[str, Any], p: dict[str, Any]) -> list[str]:
        when = _time(env.get("time"), "time")
        party = as_object(p.get("party")).get("id")
        if not isinstance(party, str):
            raise Malformed(f"party.id is not a string: {party!r}")
        amount, cur = _money(p.get("value"), "value")
        before = _decimal(p.get("ordered_before"), "ordered_before")
        after = _decimal(p.get("ordered_after"), "ordered_after")
        party_after = _decimal(p.get("party_after"), "party_after")
        problems = []
        if self.parties is None:
            problems.append(f"is placed before vehicle {self.tender} was awarded: orders go to its awardees "
                            f"({_PARTIES})")
        else:
            if party not in self.parties:
                named = ", ".join(sorted(self.parties)[:MAX_NAMED]) + (", …" if len(self.parties) > MAX_NAMED else "")
                problems.append(f"goes to {party!r}, not a party of the vehicle (its parties: {named}; {_PARTIES})")
            if self.awarded is not None and when < self.awarded:
                problems.append(f"is dated {env.get('time')}, before the award of {iso(self.awarded)}")
            if self.standstill_end is not None and when < self.standstill_end:
                problems.append(f"is placed {env.get('time')}, before the standstill ended "
                                f"{iso(self.standstill_end)} ({_STANDSTILL})")
        if cur != self.currency:
            problems.append(f"is in {cur}, the ceiling in {self.currency}")
        if when > self.ordering_end:
            extended = f", as options {', '.join(self.exercised)} extended it" if self.exercised else ""
            problems.append(f"is placed {env.get('time')}, after the ordering period ended "
                            f"{iso(self.ordering_end)}{extended} ({_PERIOD})")
        prev_party = self.stated_party.get(party, Decimal(0))
        if before != self.stated:
            sums = "the orders before it add up to" if self.stated == self.total else "the order before it states"
            problems.append(f"states ordered_before {p['ordered_before']}, but {sums} {_f(self.stated)}")
        if after != before + amount:
            problems.append(f"states ordered_after {p['ordered_after']}, not ordered_before {_f(before)} + its "
                            f"value {_f(amount)} = {_f(before + amount)}")
        if party_after != prev_party + amount:
            problems.append(f"states party_after {p['party_after']} for {party}, not {_f(prev_party)} + its value "
                            f"{_f(amount)} = {_f(prev_party + amount)}")
        self.total += amount
        self.party_totals[party] = self.party_totals.get(party, Decimal(0)) + amount
        binding = self.total if self.scope == "shared" else self.party_totals[party]
        if binding > self.ceiling:
            whose = "" if self.scope == "shared" else f" to {party}"
            problems.append(f"of {_f(amount)} {cur} brings the orders{whose} to {_f(binding)}, over the "
                            f"{self.scope} ceiling of {_f(self.ceiling)} {self.currency} ({_CEILING})")
        self.stated, self.stated_party[party] = after, party_after
        self.orders += 1
        return problems

    # --- the result ------------------------------------------------------------------------

    def summary(self) -> str:
        cur, head = self.currency, f"vehicle {self.tender} ({self.kind}, {self.scope} ceiling {_f(self.ceiling)} " \
                                   f"{self.currency})"
        if self.parties is None:
            return f"{head}: not awarded yet, no order placed"
        if self.scope == "shared":
            remaining = f"remaining ceiling {_f(self.ceiling - self.total)} {cur}"
        else:
            left = [f"{pid} {_f(self.ceiling - self.party_totals.get(pid, Decimal(0)))}"
                    for pid in sorted(self.parties)]
            more = f", and {len(left) - MAX_NAMED} more" if len(left) > MAX_NAMED else ""
            remaining = f"remaining ceiling per awardee {', '.join(left[:MAX_NAMED])}{more} {cur}"
        refused = ""
        if self.refused:
            codes = ", ".join(f"{code} {n}" for code, n in sorted(self.refused.items()))
            refused = f"; {sum(self.refused.values())} orders refused and logged ({codes})"
        options = f" as options {', '.join(self.exercised)} extended it" if self.exercised else ""
        return (f"{head}: {self.orders} orders to its {len(self.parties)} parties total {_f(self.total)} {cur}, "
                f"{remaining}; re-added from the log: every order to a party awarded before it, in {cur}, within "
                f"the ordering period (to {iso(self.ordering_end)}{options}), its running totals as "
                f"stated, within the ceiling{refused}")


def check_vehicle(b: Reading) -> None:
    """The ceiling check of a vehicle's bundle (nothing for any other tender)."""
    r = b.report
    first = b.envs.get(1)
    if first is None or first.get("type") != EventType.TENDER_CREATED:
        return  # check_events failed it already
    terms = as_object(first.get("payload")).get("vehicle")
    if terms is None:
        return
    tender = str(first.get("tender"))
    try:
        fold = VehicleFold(tender, terms)
    except Malformed as e:
        r.fail(event_name(1), f"vehicle {tender}'s terms are malformed: {e}")
        return
    failed = 0
    for seq in range(1, max(b.envs) + 1):  # in the log's order, without a list of the seqs
        env = b.envs.get(seq)
        if env is None:
            continue  # check_events failed the gap
        line = fold.feed(env, b.indexes.get(seq))
        if line is not None:
            failed += 1
            if failed <= MAX_LINES:
                r.fail(event_name(seq), line)
    if failed > MAX_LINES:
        r.fail("vehicle", f"and {failed - MAX_LINES} more events of vehicle {tender} fail the ceiling check")
    if not failed:
        r.ok("vehicle", fold.summary())
