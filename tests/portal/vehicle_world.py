"""A contract vehicle driven through the app (`Procurement.execute`, sealed bids, the k-of-n
opening), for the portal's vehicle tests: a JWCC-like multiple-award IDIQ contract with three
awardees under one shared ceiling, an exercised option, a competition for an order among the
parties, orders placed under fair-opportunity exceptions (one posted, one not), micro-purchases
enough to need several pages, and a JEDI-like process it is related to.

Nothing is mocked: a real log, database and document store (tests/app/conftest.World).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import Settings, init

from ..app.conftest import BUYER, EVAL, OPENERS, SSA, T0, Clock, World

VEHICLE = "V-CLOUD-1"
PRIOR = "P-CLOUD-0"
COMPETITION = "TO-CLOUD-C1"
FRAMEWORK = "FW-SUPPORT-1"  # a framework agreement with a ceiling per awardee, called off directly
FRAMEWORK_CEILING = "50000"
CEILING = "10000000"
PARTIES = {"aws": "Amazon Web Services, Inc.", "google": "Google Support Services LLC",
           "msft": "Microsoft Corporation"}
#: The justification of an order under an exception at or under the simplified acquisition
#: threshold: kept in the contract file, never public (FAR 16.505(b)(2)(ii)(D)).
SECRET_JUSTIFICATION = "UNPOSTED-JUSTIFICATION-MARKER-7f3a"
POSTED_JUSTIFICATION = "Only this awardee's accredited region can host the classified workload in time."
MICRO = 60  # micro-purchase orders: with the others, more than two pages of 25


@dataclass
class VehicleWorld:
    w: World
    orders: list[str]  # every order id, in the order placed

    @property
    def p(self) -> Procurement:
        return self.w.p


def _bid(w: World, tid: str, bidder: str, bid_id: str) -> None:
    bidding.submit_bid(w.p, tid, Actor(bidder, "bidder"), PARTIES.get(bidder, bidder),
                       w.seal(f"{bidder} proposal".encode(), tid), bid_id=bid_id)


def _to_evaluation(w: World, tid: str, bidders: list[str], prices: list[str]) -> None:
    """publish → sealed bids → deadline → k shares (the opening) → rated."""
    w.publish(tid)
    for b in bidders:
        _bid(w, tid, b, f"{tid}-{b}")
    w.clock.advance(days=31)
    w.p.run_deadlines()
    w.open(tid)
    for who in (EVAL, SSA):
        w.declare(who, tid)
    for b, price in zip(bidders, prices, strict=True):
        w.p.execute(c.RateProposal(tid, f"{tid}-{b}", "tech", "Good"), EVAL)
        w.p.execute(c.RateProposal(tid, f"{tid}-{b}", "price", price), EVAL)


def build(data_dir: Path) -> VehicleWorld:
    settings = Settings(data_dir, f"sqlite:///{data_dir / 'tenderproof.db'}")
    log = init(settings, origin="test.tenderproof.localhost/log")
    clock = Clock(T0)
    w = World(Procurement(log, settings.data_dir, clock), clock)
    for o in OPENERS:
        w.keys[o.id] = kp = seal.OfficialKeyPair.generate()
        bidding.register_official(w.p, o.id, o.id, kp.public_bytes())

    w.create(PRIOR, enquiries=False, title="Enterprise cloud, single award (cancelled)")
    w.p.execute(c.CancelTender(PRIOR, reason="Replaced by a multiple-award vehicle."), BUYER)
    w.create(VEHICLE, enquiries=False, title="Joint cloud capability (multiple-award IDIQ)",
             value={"amount": CEILING, "currency": "USD"},
             vehicle={"kind": "idiq", "awardees": 4, "ceiling": {"amount": CEILING, "currency": "USD"},
                      "minimum": {"amount": "100000", "currency": "USD"}, "ordering_end": T0 + timedelta(days=400),
                      "options": [{"id": "option-1", "period_end": T0 + timedelta(days=800)},
                                  {"id": "option-2", "period_end": T0 + timedelta(days=1200)}]},
             related=[{"id": PRIOR, "relationship": "unsuccessfulProcess", "title": "The single-award attempt"},
                      {"id": "ocds-elsewhere-123", "relationship": "planning"}])
    _to_evaluation(w, VEHICLE, list(PARTIES), ["900", "950", "1000"])
    w.p.execute(c.AwardVehicle(VEHICLE, bids=[f"{VEHICLE}-{b}" for b in PARTIES],
                               rationale="Each offers the capability."), SSA)
    w.clock.advance(days=1)
    w.p.execute(c.ExerciseOption(VEHICLE, "option-1"), BUYER)

    # A competition for an order among the parties, awarded to google.
    w.clock.advance(days=1)
    w.create(COMPETITION, enquiries=False, title="Task order 1: cloud migration", order_under=VEHICLE,
             value={"amount": "1250000", "currency": "USD"}, related=[{"id": VEHICLE, "relationship": "framework"}])
    _to_evaluation(w, COMPETITION, ["google", "aws"], ["1250000", "1300000"])
    w.p.execute(c.DecideAward(COMPETITION, f"{COMPETITION}-google", {"amount": "1250000", "currency": "USD"},
                              "Best value."), SSA)
    orders = []

    def order(oid: str, **kw) -> None:
        w.clock.advance(hours=1)
        w.p.execute(c.PlaceOrder(VEHICLE, order_id=oid, description=f"Order {oid}", **kw), BUYER)
        orders.append(oid)

    order("TO-0001", competition=COMPETITION)
    order("TO-0002", party="msft", value={"amount": "2000000", "currency": "USD"}, exception="unique",
          justification=POSTED_JUSTIFICATION)
    order("TO-0003", party="aws", value={"amount": "100000", "currency": "USD"}, exception="minimum-guarantee",
          justification=SECRET_JUSTIFICATION)
    for i in range(MICRO):
        order(f"MP-{i:04d}", party=list(PARTIES)[i % 3], value={"amount": f"{1000 + i}.50", "currency": "USD"})

    w.create(FRAMEWORK, enquiries=False, title="Support services framework (per-awardee ceilings)",
             vehicle={"kind": "framework", "awardees": 2, "ceiling": {"amount": FRAMEWORK_CEILING, "currency": "USD"},
                      "ceiling_scope": "per-awardee", "call_off": "direct", "ordering_end": w.clock.now + timedelta(days=400)})
    _to_evaluation(w, FRAMEWORK, ["aws", "msft"], ["500", "600"])
    w.p.execute(c.AwardVehicle(FRAMEWORK, bids=[f"{FRAMEWORK}-aws", f"{FRAMEWORK}-msft"], rationale="Both qualify."),
                SSA)
    for i, (party, amount) in enumerate([("aws", "30000"), ("msft", "5000"), ("aws", "15000")]):
        w.clock.advance(hours=1)
        w.p.execute(c.PlaceOrder(FRAMEWORK, order_id=f"CO-{i + 1}", description="A direct call-off", party=party,
                                 value={"amount": amount, "currency": "USD"}), BUYER)
    return VehicleWorld(w, orders)


def built(tmp_path_factory) -> Iterator[VehicleWorld]:
    """The vehicle world for a module's fixture: built in a temporary directory, closed after."""
    world = build(tmp_path_factory.mktemp("vehicle"))
    yield world
    world.p.log.db.dispose()
