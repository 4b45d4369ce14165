"""Contract vehicles in OCDS 1.1: an award and a contract per party, the terms in `tender.vehicle`,
the orders and running totals in `vehicleOrders` and `vehicleTotals` (tenderproof_vehicles), an
order's competition naming its vehicle in `relatedProcesses`; libcoveocds reports no error and no
field outside a declared extension; the totals published are the log's; a justification that is not
posted (FAR 16.505(b)(2)(ii)(D)) never reaches a release."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.ocds import extension_urls, ocid_for, record_package, release_for, release_package

from . import cove
from . import procurement as p
from .test_ocds import PUBLISHER, check_report, standard_zip
from .vehicled import POSTED, UNPOSTED, Vehicled, awarded, framework, idiq, money

META = {"publisher": PUBLISHER, "published_date": "2024-06-01T00:00:00Z"}


@pytest.fixture(scope="module")
def built() -> tuple[p.Ledger, Vehicled, Vehicled]:
    led = p.Ledger()
    fw = framework(led)
    return led, idiq(led), fw


def _releases(led: p.Ledger, tid: str) -> list[dict]:
    return [r for r in led.releases if r["ocid"] == ocid_for(p.OCID_PREFIX, tid)]


def _compiled(led: p.Ledger, tid: str) -> dict:
    return record_package(_releases(led, tid), uri="u", **META)["records"][0]["compiledRelease"]


def _decimal(v: dict) -> Decimal:
    return Decimal(str(v["amount"]))


@pytest.mark.parametrize("kind", ["release", "record"])
def test_vehicle_packages_valid_with_libcoveocds(built, kind: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The vehicles' and the competition's releases: 0 errors, 0 additional checks, 0 undeclared fields."""
    led = built[0]
    assert {r["ocid"].removeprefix(p.OCID_PREFIX) for r in led.releases} == {"V-2024-010", "TO-2024-011", "F-2024-020"}
    meta = META | {"extensions": extension_urls(cove.BASE)}
    data = (release_package(led.releases, uri="https://tenderproof.example/releases.json", **meta) if kind == "release"
            else record_package(led.releases, uri="https://tenderproof.example/records.json", **meta))
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    served = cove.serve_extensions(monkeypatch)
    check_report(cove.in_process(path, standard_zip(), monkeypatch), kind)
    assert "/api/ocds/extensions/tenderproof_vehicles/release-schema.json" in served.paths


def test_an_award_and_a_contract_per_party_for_the_ordering_period(built) -> None:
    led, v, _ = built
    r = _compiled(led, v.vehicle.id)
    parties = v.vehicle.state["vehicle"]["parties"]
    assert [(a["id"], a["suppliers"][0]["id"], a["relatedBid"], a["status"]) for a in r["awards"]] == [
        (x["award"], x["id"], x["bid"], "active") for x in parties]
    assert all("value" not in a for a in r["awards"])  # a shared ceiling is the vehicle's: tender.vehicle.ceiling
    period = {"startDate": "2024-04-01T09:00:00Z", "endDate": "2026-03-31T21:00:00Z"}  # option-1 exercised
    assert [(k["awardID"], k["status"], k["period"]) for k in r["contracts"]] == [
        (x["award"], "active", period) for x in parties]
    assert [a["id"] for a in r["contracts"][0]["amendments"]] == ["option-1"]
    roles = {x["id"]: x["roles"] for x in r["parties"]}
    assert "supplier" in roles["acme"] and "supplier" in roles["beta"]
    assert {b["status"] for b in r["bids"]["details"]} == {"valid"}
    vehicle = r["tender"]["vehicle"]
    assert (vehicle["kind"], vehicle["ceilingScope"], vehicle["ceiling"], vehicle["orderingPeriod"]) == (
        "idiq", "shared", {"amount": 5000000, "currency": "USD"}, period)
    assert vehicle["options"] == [{"id": "option-1", "periodEnd": period["endDate"],
                                   "dateExercised": "2024-05-04T09:00:00Z"}]
    assert r["tender"]["status"] == "complete"


def test_a_vehicle_cancelled_after_its_award_terminates_its_contracts() -> None:
    """As a tender's contract is terminated by its cancellation (`releases._contract`)."""
    led = p.Ledger()
    v = awarded(led, "V-2024-040")
    v.do(c.CancelTender(v.id, reason="The requirement is withdrawn."), p.BUYER, p.t(2, 9, 4))
    r = _compiled(led, v.id)
    assert {a["status"] for a in r["awards"]} == {"cancelled"}
    assert {(k["status"], k["period"]["endDate"]) for k in r["contracts"]} == {("terminated", "2024-04-02T09:00:00Z")}


def test_a_ceiling_per_awardee_is_each_award_and_contract_value(built) -> None:
    led, _, fw = built
    r = _compiled(led, fw.vehicle.id)
    ceiling = {"amount": 5000000, "currency": "USD"}
    assert [a["value"] for a in r["awards"]] == [ceiling, ceiling]
    assert [k["value"] for k in r["contracts"]] == [ceiling, ceiling]
    assert r["tender"]["vehicle"]["callOff"] == "direct" and "minimum" not in r["tender"]["vehicle"]
    [order] = r["vehicleOrders"]
    assert (order["basis"], order["party"]["id"], "competition" not in order) == ("direct", "beta", True)
    totals = r["vehicleTotals"]
    assert "remaining" not in totals  # each party has its own ceiling
    assert [(x["id"], x["ordered"]["amount"], x["remaining"]["amount"]) for x in totals["parties"]] == [
        ("acme", 0, 5000000), ("beta", 750000, 4250000)]


def test_the_running_totals_published_are_the_logs(built) -> None:
    """Each order.placed's release carries that order with the totals of its event; each order's
    orderedAfter is its orderedBefore plus its value; the totals are the last order's."""
    led = built[0]
    placed = [(env, r) for env, r in led.entries if env["type"] == EventType.ORDER_PLACED]
    assert len(placed) == 5
    for env, release in placed:
        assert release is not None and release["tag"] == ["contractUpdate"]
        pay = env["payload"]
        [order] = [o for o in release["vehicleOrders"] if o["id"] == pay["id"]]
        assert order["eventNumber"] == env["seq"]
        assert _decimal(order["value"]) == Decimal(pay["value"]["amount"])
        assert _decimal(order["orderedBefore"]) == Decimal(pay["ordered_before"])
        assert _decimal(order["orderedAfter"]) == Decimal(pay["ordered_after"])
        assert _decimal(order["partyTotalAfter"]) == Decimal(pay["party_after"])
        assert _decimal(release["vehicleTotals"]["ordered"]) == Decimal(pay["ordered_after"])
    r = _compiled(led, "V-2024-010")
    orders = r["vehicleOrders"]
    assert [o["id"] for o in orders] == ["TO-2024-011", "O-2", "O-3", "O-4"]
    for prev, o in zip([None, *orders], orders, strict=False):
        assert _decimal(o["orderedBefore"]) == (_decimal(prev["orderedAfter"]) if prev else 0)
        assert _decimal(o["orderedAfter"]) == _decimal(o["orderedBefore"]) + _decimal(o["value"])
    totals = r["vehicleTotals"]
    assert totals["numberOfOrders"] == 4 and totals["ordered"] == orders[-1]["orderedAfter"]
    assert _decimal(totals["remaining"]) == Decimal(5000000) - _decimal(totals["ordered"])
    assert {x["id"]: _decimal(x["ordered"]) for x in totals["parties"]} == {
        "acme": Decimal("500000"), "beta": Decimal("405000.75")}


def test_a_justification_is_published_only_when_posted(built) -> None:
    """FAR 16.505(b)(2)(ii)(D): above the simplified acquisition threshold it is posted; below, the
    log holds it on its confidential side only, and no release, record or versioned release has it."""
    led = built[0]
    [env] = [e for e, _ in led.entries if e["type"] == EventType.ORDER_PLACED and e["payload"]["id"] == "O-2"]
    assert env["confidential"] == {"justification": UNPOSTED} and env["payload"]["justification"] is None
    everything = json.dumps([release_package(led.releases, uri="u", **META),
                             record_package(led.releases, uri="u", versioned=True, **META)])
    assert UNPOSTED not in everything
    orders = {o["id"]: o for o in _compiled(led, "V-2024-010")["vehicleOrders"]}
    assert orders["O-2"]["justificationPosted"] is False and "justification" not in orders["O-2"]
    assert orders["O-3"]["justificationPosted"] is True and orders["O-3"]["justification"] == POSTED
    assert "justificationPosted" not in orders["TO-2024-011"]  # competed: no exception to justify


def test_an_order_competition_names_its_vehicle_as_related_process(built) -> None:
    led, v, _ = built
    comp = _compiled(led, "TO-2024-011")
    assert comp["relatedProcesses"] == [{
        "id": "V-2024-010", "relationship": ["framework"], "title": "IDIQ contract V-2024-010", "scheme": "ocid",
        "identifier": ocid_for(p.OCID_PREFIX, "V-2024-010")}]
    # from its first release on, and the identifier is the ocid of a process in the same publication
    assert all(r["relatedProcesses"] == comp["relatedProcesses"] for r in _releases(led, "TO-2024-011"))
    assert comp["relatedProcesses"][0]["identifier"] in {r["ocid"] for r in led.releases}
    # the vehicle names the competition through its order: the codelist has no reverse relationship
    vehicle = _compiled(led, "V-2024-010")
    assert "relatedProcesses" not in vehicle
    assert vehicle["vehicleOrders"][0]["competition"] == comp["ocid"]
    # the publication's own prefix
    other = release_for(None, v.competition.state, {"type": "tender.created", "time": "2024-06-01T00:00:00Z"},
                        ocid_prefix="ocds-abc123-", index=0)
    assert other is not None and other["relatedProcesses"][0]["identifier"] == "ocds-abc123-V-2024-010"


def test_a_tenders_own_related_processes_are_published() -> None:
    led = p.Ledger()
    p.create(led, "T-2024-030", related=[{"id": "T-2024-003", "relationship": "unsuccessfulProcess",
                                          "title": "The first try"}, {"id": "T-2024-003", "relationship": "prior"}])
    [r] = led.releases
    assert r["relatedProcesses"] == [{"id": "T-2024-003", "relationship": ["unsuccessfulProcess", "prior"],
                                      "title": "The first try", "scheme": "ocid",
                                      "identifier": ocid_for(p.OCID_PREFIX, "T-2024-003")}]


def test_the_vehicle_events_publish_their_tags(built) -> None:
    led = built[0]
    tags = {env["type"]: r["tag"] for env, r in led.entries if r is not None}
    assert tags[EventType.VEHICLE_AWARDED] == ["award", "contract"]
    assert tags[EventType.VEHICLE_OPTION_EXERCISED] == ["tenderUpdate", "contractAmendment"]


_AWARDED: dict[str, p.Tender] = {}


def _awarded_vehicle() -> p.Tender:
    """One awarded vehicle, built once: each example places its orders from its (unchanged) state."""
    if "v" not in _AWARDED:
        _AWARDED["v"] = awarded(p.Ledger(), "V-P", ceiling=money("1000000"))
    return _AWARDED["v"]


ORDER = st.tuples(st.sampled_from(["acme", "beta"]), st.integers(min_value=1, max_value=40_000_000),
                  st.sampled_from([None, "urgency", "unique"]))


@settings(max_examples=40)
@given(st.lists(ORDER, min_size=1, max_size=12))
def test_totals_are_the_logs_whatever_the_orders(orders: list[tuple[str, int, str | None]]) -> None:
    """Orders of any amounts (in cents), within the ceiling or refused over it: after each, the
    release's totals are the log's, re-added from the published orders alone."""
    base = _awarded_vehicle()
    led = p.Ledger()
    v = p.Tender(led, base.id, state=base.state, seq=base.seq)
    placed = Decimal(0)
    for n, (party, cents, exception) in enumerate(orders):
        amount = Decimal(cents) / 100
        if exception is None and amount > 10_000:
            exception = "urgency"  # above the micro-purchase threshold: fair opportunity, or an exception
        # FAR 16.505(b)(2)(ii)(D): posted above the simplified acquisition threshold ($250,000 in 2024)
        justification = (UNPOSTED if amount <= 250_000 else POSTED) if exception else ""
        cmd = c.PlaceOrder(v.id, order_id=f"o{n}", description="Work.", party=party, value=money(format(amount, "f")),
                           exception=exception, justification=justification)
        [release] = v.do(cmd, p.BUYER, p.t(2, 9, 4))
        if release is None:  # refused over the ceiling: nothing public changed
            assert led.entries[-1][0]["type"] == EventType.COMMAND_REFUSED
            continue
        placed += amount
        totals = release["vehicleTotals"]
        assert _decimal(totals["ordered"]) == placed == Decimal(v.state["vehicle"]["ordered"])
        assert _decimal(totals["remaining"]) == Decimal(1000000) - placed >= 0
        running = Decimal(0)
        for o in release["vehicleOrders"]:
            assert _decimal(o["orderedBefore"]) == running
            running += _decimal(o["value"])
            assert _decimal(o["orderedAfter"]) == running
        assert running == placed
        assert UNPOSTED not in json.dumps(release)
