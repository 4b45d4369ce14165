"""A contract vehicle through the CLI: docs/vehicles.md run block by block against a live server
on a fresh data directory (a multiple award, an order by exception, a refused order over the
ceiling, an order competed among the awardees and placed from that competition, an option)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tenderproof.app.service import Procurement
from tenderproof.domain.events import EventType
from tenderproof.instance import init

from .app.conftest import Clock
from .live_server import Walkthrough, cli, serving

DOC = Path(__file__).resolve().parents[1] / "docs" / "vehicles.md"
START = datetime(2030, 1, 6, 15, 0, tzinfo=UTC)
DEADLINES = {"5.": datetime(2030, 2, 2, 15, 0, tzinfo=UTC),  # VEH-1 closed 2030-02-01 17:00 EST
             "8.": datetime(2030, 3, 1, 15, 0, tzinfo=UTC)}  # the competition is created a month on
AFTER_COMPETITION = datetime(2030, 4, 2, 15, 0, tzinfo=UTC)  # VEH-1-TO-2 closed 2030-04-01 17:00 EDT
WHO = {"buyer": "co", "evaluator": "ev", "ssa": "ssa"}


@pytest.fixture
def office(settings):
    clock = Clock(START)
    p = Procurement(init(settings, origin="vehicles.tenderproof.localhost/log"), settings.data_dir, clock)
    with serving(p) as url:
        yield p, clock, url
    p.log.db.dispose()


def test_a_vehicle_and_its_orders_as_documented(office, settings, tmp_path):
    p, clock, url = office
    base = Walkthrough.environment(url)
    tokens: dict[str, str] = {}

    def env_for(who: str) -> dict[str, str]:
        env = dict(base)
        if who == "operator":
            env.update(TENDERPROOF_DATA_DIR=str(settings.data_dir), TENDERPROOF_DATABASE_URL=settings.db_url)
        else:
            env["TENDERPROOF_TOKEN"] = tokens[WHO.get(who, who)]
        return env

    walk = Walkthrough(DOC.read_text(), tmp_path, env_for)
    seen: list[tuple[str, str]] = []
    for section, people, script in walk.blocks:
        number = section.split(" ", 1)[0]
        if number in DEADLINES and clock.now < DEADLINES[number]:
            clock.now = DEADLINES[number]  # the deadline passes (serve's worker does it every second)
            p.run_deadlines()
        if number == "8." and "alice" in people and clock.now < AFTER_COMPETITION:  # the competition's opening
            clock.now = AFTER_COMPETITION
            p.run_deadlines()
        for who in people:
            walk.run(section, who, script)
            seen.append((number, who))
            home = walk.home(who)
            if who == "operator" and (home / "tokens.csv").exists() and not tokens:
                with (home / "tokens.csv").open() as f:
                    tokens.update({row["id"]: row["token"] for row in csv.DictReader(f)})
            if (home / "my.pub").exists():
                (walk.home("operator") / f"{who}.pub").write_text((home / "my.pub").read_text())
    assert [n for n, _ in seen][-1] == "9."

    vehicle = p.state("VEH-1")
    v = vehicle["vehicle"]
    assert [x["id"] for x in v["parties"]] == ["acme", "globex"]  # initech bid, and was not awarded
    orders = {o["id"]: o for o in vehicle["orders"].values()}
    assert set(orders) == {"VEH-1-TO-1", "VEH-1-TO-2"}
    assert (orders["VEH-1-TO-1"]["basis"], orders["VEH-1-TO-1"]["exception"], orders["VEH-1-TO-1"]["posted"]) == \
        ("exception", "urgency", True)  # USD 400,000 is above the simplified acquisition threshold
    assert (orders["VEH-1-TO-2"]["basis"], orders["VEH-1-TO-2"]["competition"], orders["VEH-1-TO-2"]["value"]) == \
        ("fair-opportunity", "VEH-1-TO-2", {"amount": "850000", "currency": "USD"})
    assert Decimal(v["ordered"]) == Decimal(1_250_000)
    assert v["ordering_end"] == "2033-01-01T04:59:59Z" and v["options"][0]["exercised"] is not None
    # The refused order is one line naming the ceiling, and on the record.
    refused = (walk.home("buyer") / "refused.txt").read_text()
    assert refused.startswith("error: ") and "ceiling" in refused and refused.count("\n") == 1
    codes = [e.envelope["payload"]["code"] for e in p.events("VEH-1") if e.envelope["type"] == EventType.COMMAND_REFUSED]
    assert codes == ["over-ceiling"]
    # Only the vehicle's parties were invited to the competition.
    assert p.state("VEH-1-TO-2")["invited"] == ["acme", "globex"]
    audit, _ = cli("log", "audit", "--data-dir", settings.data_dir, "--db", settings.db_url)
    assert f"{p.log.head().size} entries" in audit
    cli("rebuild", "--check", "--data-dir", settings.data_dir, "--db", settings.db_url)
