"""The ceiling, proven (issue 14): a vehicle's record bundle re-adds its orders from the log alone
(record/verify_vehicle.py). A real vehicle, awarded and ordered from through the app layer,
verifies; an operator who appends crafted order.placed envelopes through the app's own commit
path (so every Merkle proof is valid) is caught by the ceiling check, each order named with its
ledger index; a bundle whose bytes are edited fails its proofs as before."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tenderproof.cli import app as cli_app
from tenderproof.cli.record_cmd import verify_record_file
from tenderproof.domain import Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.model import Event
from tenderproof.record import export_record, verify_record
from tenderproof.record.bundle import event_name
from tenderproof.record.verify_vehicle import VehicleFold

from ..app.conftest import BUYER, EVAL, SSA, T0, World
from ..domain import vehicles_life as life
from .conftest import rezip, unzip

V = "V-1"
USD = "USD"
ORDERING_END = T0 + timedelta(days=365)
OPTION_END = T0 + timedelta(days=730)


def money(amount: str, currency: str = USD) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def awarded(w: World, **terms) -> World:
    """V-1, an IDIQ vehicle (ceiling $1M shared, one option), awarded to acme and beta."""
    vehicle = {"kind": "idiq", "awardees": 2, "ceiling": money("1000000"), "minimum": money("20000"),
               "ordering_end": ORDERING_END, "options": [{"id": "option-1", "period_end": OPTION_END}]} | terms
    w.create(V, enquiries=False, vehicle=vehicle)
    w.publish(V)
    w.bid("acme", b"ACME proposal", V, bid_id="bid-acme")
    w.bid("beta", b"BETA proposal", V, bid_id="bid-beta")
    w.clock.advance(days=31)
    w.p.run_deadlines()
    w.open(V)
    w.declare(EVAL, V)
    for bid, price in (("bid-acme", "900"), ("bid-beta", "950")):
        w.p.execute(c.RateProposal(V, bid, "tech", "Good"), EVAL)
        w.p.execute(c.RateProposal(V, bid, "price", price), EVAL)
    w.declare(SSA, V)
    w.p.execute(c.AwardVehicle(V, ["bid-acme", "bid-beta"], "Both offer the capability."), SSA)
    return w


def order(w: World, oid: str, party: str, amount: str) -> None:
    """An order placed without competition under the urgency exception (FAR 16.505(b)(2)(i)(A))."""
    w.p.execute(c.PlaceOrder(V, oid, "Cloud capacity.", party=party, value=money(amount), exception="urgency",
                             justification="An outage."), BUYER)


def forge(w: World, payload: dict, kind: EventType = EventType.ORDER_PLACED) -> int:
    """What a dishonest operator can do: append an envelope through the app's commit path with no
    decision of the domain, so the log proves it like any other. Its ledger index."""
    def body(conn, now):
        state = w.p.load_for_update(conn, V)
        logged, _ = w.p.commit_events(conn, V, state, [Event(kind, payload)], BUYER, now)
        return logged[0].index
    return w.p.transact(body)


def forged_order(w: World, oid: str, party: str, amount: str, **over) -> dict:
    """An order.placed with the running totals the state would give it (unless `over`ridden)."""
    v = w.state(V)["vehicle"]
    before, party_before = Decimal(v["ordered"]), Decimal(v["party_totals"].get(party, "0"))
    return {"id": oid, "party": {"id": party, "name": party.upper()}, "value": money(amount), "basis": "exception",
            "competition": None, "exception": "urgency", "justification": None, "description": "Capacity.",
            "ordered_before": str(before), "ordered_after": str(before + Decimal(amount)),
            "party_after": str(party_before + Decimal(amount)), "posted": False} | over


def failures(w: World) -> list[str]:
    return [str(ln) for ln in verify_record(export_record(w.p, V).data).failures]


@pytest.fixture
def vehicle(world) -> World:
    """V-1 with three orders: acme 300,000, beta 200,000, acme 100,000 (600,000 of 1,000,000)."""
    w = awarded(world)
    w.clock.advance(days=1)
    for oid, party, amount in (("O-1", "acme", "300000"), ("O-2", "beta", "200000"), ("O-3", "acme", "100000")):
        order(w, oid, party, amount)
    return w


def test_a_real_vehicle_verifies_with_its_totals(vehicle, tmp_path, capsys):
    with pytest.raises(Refused):  # refused and logged: the bundle's summary counts it
        order(vehicle, "O-4", "beta", "500000")
    report = verify_record(export_record(vehicle.p, V).data)
    assert report.valid, report.failures
    line = next(ln.text for ln in report.lines if ln.subject == "vehicle")
    v = vehicle.state(V)["vehicle"]
    assert v["ordered"] == "600000" and v["orders"] == 3
    assert line.startswith(f"vehicle {V} (idiq, shared ceiling 1000000 USD): 3 orders to its 2 parties total "
                           "600000 USD, remaining ceiling 400000 USD;")
    assert "1 orders refused and logged (over-ceiling 1)" in line

    out = tmp_path / "v.zip"  # what `tenderproof verify V.zip` runs, and the command itself
    out.write_bytes(export_record(vehicle.p, V).data)
    assert verify_record_file(out, None, None) == 0
    assert "ok   vehicle: vehicle V-1" in capsys.readouterr().out
    r = CliRunner().invoke(cli_app, ["verify", str(out)])
    assert r.exit_code == 0 and "remaining ceiling 400000 USD" in r.output


def test_an_option_extends_the_ordering_period(vehicle):
    vehicle.clock.advance(days=300)
    vehicle.p.execute(c.ExerciseOption(V, "option-1"), BUYER)
    vehicle.clock.advance(days=100)  # past the base period, within the option's
    order(vehicle, "O-4", "beta", "50000")
    report = verify_record(export_record(vehicle.p, V).data)
    assert report.valid, report.failures
    line = next(ln.text for ln in report.lines if ln.subject == "vehicle")
    assert "4 orders" in line and "as options option-1 extended it" in line


def test_a_per_awardee_ceiling_is_reported_per_party(world):
    w = awarded(world, ceiling_scope="per-awardee", ceiling=money("500000"))
    w.clock.advance(days=1)
    order(w, "O-1", "acme", "400000")
    order(w, "O-2", "beta", "450000")  # 850,000 in all: each party within its own 500,000
    report = verify_record(export_record(w.p, V).data)
    assert report.valid, report.failures
    assert "remaining ceiling per awardee acme 100000, beta 50000 USD" in str(report.lines)


# --- an operator's crafted orders, proven in the log like any other --------------------------------


def test_an_order_over_the_ceiling_fails(vehicle):
    index = forge(vehicle, forged_order(vehicle, "O-X", "beta", "400001"))
    seq = vehicle.state(V)["events"]
    assert failures(vehicle) == [
        f"FAIL {event_name(seq)}: order 'O-X' of vehicle {V} (seq {seq}, ledger index {index}) of 400001 USD brings "
        "the orders to 1000001, over the shared ceiling of 1000000 USD (FAR 16.504(a)(1), 16.505(a)(2); "
        "CJEU C-216/17 and C-23/20)"]


def test_an_order_over_a_per_awardee_ceiling_fails(world):
    w = awarded(world, ceiling_scope="per-awardee", ceiling=money("500000"))
    order(w, "O-1", "acme", "400000")
    forge(w, forged_order(w, "O-X", "acme", "100001"))
    (line,) = failures(w)
    assert "brings the orders to acme to 500001, over the per-awardee ceiling of 500000 USD" in line


def test_an_order_to_a_non_party_fails(vehicle):
    index = forge(vehicle, forged_order(vehicle, "O-X", "gamma", "1000"))
    seq = vehicle.state(V)["events"]
    (line,) = failures(vehicle)
    assert f"order 'O-X' of vehicle {V} (seq {seq}, ledger index {index})" in line
    assert "goes to 'gamma', not a party of the vehicle (its parties: acme, beta; FAR 16.505(a)(2)" in line


def test_a_wrong_running_total_fails(vehicle):
    forge(vehicle, forged_order(vehicle, "O-X", "beta", "1000", ordered_before="500000", ordered_after="501000"))
    (line,) = failures(vehicle)
    assert "states ordered_before 500000, but the orders before it add up to 600000" in line


def test_an_inconsistent_total_or_party_total_fails(vehicle):
    forge(vehicle, forged_order(vehicle, "O-X", "beta", "1000", ordered_after="600500", party_after="1000"))
    (line,) = failures(vehicle)
    assert "states ordered_after 600500, not ordered_before 600000 + its value 1000 = 601000" in line
    assert "states party_after 1000 for beta, not 200000 + its value 1000 = 201000" in line


def test_one_crafted_total_fails_alone_not_the_honest_orders_after_it(vehicle):
    forge(vehicle, forged_order(vehicle, "O-X", "beta", "1000", ordered_before="0", ordered_after="1000"))
    order(vehicle, "O-5", "acme", "1000")  # the domain chains from the state's (crafted) total
    (line,) = failures(vehicle)
    assert "order 'O-X'" in line


def test_an_order_after_the_ordering_period_fails(vehicle):
    vehicle.clock.now = ORDERING_END + timedelta(seconds=1)
    with pytest.raises(Refused, match="ordering period ended"):
        order(vehicle, "O-4", "beta", "1000")
    forge(vehicle, forged_order(vehicle, "O-X", "beta", "1000"))
    (line,) = failures(vehicle)
    assert "is placed 2031-01-01T12:00:01Z, after the ordering period ended 2031-01-01T12:00:00Z" in line


def test_a_crafted_option_does_not_extend_the_period(vehicle):
    forge(vehicle, {"option": "option-1", "ordering_end": "2040-01-01T00:00:00Z"}, EventType.VEHICLE_OPTION_EXERCISED)
    (line,) = failures(vehicle)
    assert "extends the ordering period to 2040-01-01T00:00:00Z, the terms say the option ends 2032-01-01" in line


def test_an_order_before_the_award_fails(world):
    w = world
    w.create(V, enquiries=False, vehicle={"kind": "idiq", "awardees": 2, "ceiling": money("1000"),
                                          "ordering_end": ORDERING_END})
    forge(w, forged_order(w, "O-X", "acme", "10"))
    (line,) = failures(w)
    assert f"is placed before vehicle {V} was awarded" in line


def test_an_order_in_another_currency_fails(vehicle):
    forge(vehicle, forged_order(vehicle, "O-X", "beta", "10", value=money("10", "EUR")))
    (line,) = failures(vehicle)
    assert "is in EUR, the ceiling in USD" in line


def test_the_cli_fails_with_the_line(vehicle, tmp_path, capsys):
    forge(vehicle, forged_order(vehicle, "O-X", "beta", "400001"))
    out = tmp_path / "v.zip"
    out.write_bytes(export_record(vehicle.p, V).data)
    r = CliRunner().invoke(cli_app, ["verify", str(out)])
    assert r.exit_code == 1
    fails = [ln for ln in r.output.splitlines() if ln.startswith("FAIL")]
    assert len(fails) == 1 and "order 'O-X'" in fails[0] and "over the shared ceiling" in fails[0]
    assert r.output.splitlines()[-1] == f"invalid: 1 problem found in the record of tender {V}"


def test_an_edited_bundle_fails_its_proofs_as_before(vehicle):
    files = unzip(export_record(vehicle.p, V).data)
    seq = next(s for s in range(1, 200) if b'"id":"O-1"' in files.get(event_name(s), b""))
    files[event_name(seq)] = files[event_name(seq)].replace(b'"300000"', b'"3000"')
    report = verify_record(rezip(files, fix_manifest=True))
    assert any(ln.subject == event_name(seq) and "is not proven in the log" in ln.text for ln in report.failures)


# --- the property: whatever the domain accepts, the verifier accepts, with the state's totals -----

ORDER = st.tuples(st.sampled_from(["acme", "beta", "gamma"]), st.integers(0, 400_000),
                  st.sampled_from(["urgency", None]), st.integers(0, 500))


@settings(max_examples=40)
@given(scope=st.sampled_from(["shared", "per-awardee"]), orders=st.lists(ORDER, max_size=12),
       option_after=st.one_of(st.none(), st.integers(0, 11)))
def test_what_the_domain_accepts_the_fold_accepts(scope, orders, option_after):
    """Orders driven through `decide` (tests/domain/vehicles_life.py): each accepted, or refused
    (logged or not); the fold of the log finds nothing wrong and re-adds the state's totals."""
    v, now = life.awarded_vehicle(ceiling_scope=scope)
    refused_logged = 0
    for i, (party, amount, exception, days) in enumerate(orders):
        now += timedelta(days=days)
        if option_after == i:
            _try(v, c.ExerciseOption(v.id, "option-1"), now)  # refused (and logged) once the period is over
        cmd = c.PlaceOrder(v.id, f"O-{i}", "Capacity.", party=party, value=money(str(amount)),
                           exception=exception, justification="An outage." if exception else "")
        envs = _try(v, cmd, now)
        refused_logged += sum(e["type"] == EventType.COMMAND_REFUSED for e in envs)
    fold = VehicleFold(v.id, v.envelopes[0]["payload"]["vehicle"])
    problems = [line for i, e in enumerate(v.envelopes) if (line := fold.feed(e, i)) is not None]
    assert problems == []
    state = v.state["vehicle"]
    assert fold.orders == state["orders"] and fold.total == Decimal(state["ordered"])
    assert {p: Decimal(t) for p, t in state["party_totals"].items()} == fold.party_totals
    assert sum(fold.refused.values()) == refused_logged
    assert fold.summary().startswith(f"vehicle {v.id} (idiq, {scope} ceiling 1000000 USD): {state['orders']} orders")


def _try(t, cmd: c.Command, now) -> list[dict]:
    try:
        return t.do(cmd, life.BUYER, now)
    except Refused:
        return []


def test_a_vehicle_not_yet_awarded_says_so():
    fold = VehicleFold("V", {"kind": "idiq", "ceiling": money("10"), "ceiling_scope": "shared",
                             "ordering_end": "2030-01-01T00:00:00Z", "options": []})
    assert fold.summary() == "vehicle V (idiq, shared ceiling 10 USD): not awarded yet, no order placed"
