"""The ledger-only red flags (TP001…) on the JEDI record and on hand-made tenders."""

from __future__ import annotations

import json

import pytest

from tenderproof.app.service import Procurement
from tenderproof.domain import Refused
from tenderproof.domain import commands as c
from tenderproof.flags.ledger_flags import INDICATORS, ledger_flags
from tenderproof.instance import init
from tenderproof.scenario.runner import Clock as ScenarioClock
from tenderproof.scenario.runner import Runner, Scenario

from ..app.conftest import EVAL, OPENERS, SSA, TID


@pytest.fixture(scope="module")
def jedi_state(tmp_path_factory):
    from tenderproof.instance import Settings

    d = tmp_path_factory.mktemp("jedi")
    log = init(Settings(d, f"sqlite:///{d / 'db.sqlite'}"))
    clock = ScenarioClock()
    p = Procurement(log, d, clock)
    Runner(p, clock, d / "keys").run(Scenario.load("jedi"))
    state = p.state("HQ0034-18-R-0077")
    log.db.dispose()
    return state


def test_jedi_flags(jedi_state):
    out = ledger_flags([jedi_state], "ocds-x-")["OCID"]["ocds-x-HQ0034-18-R-0077"]
    assert out["TP002"] == 4  # the tactical-edge rating changed in 2019, three re-ratings on remand
    assert out["TP007"] == 1  # start of performance attempted under the preliminary injunction
    assert out["TP008"] == 3  # the conflict review referral, the IG review opening (2019-06-11), the IG report
    assert "TP003" not in out  # the official holding Microsoft stock was recused before acting
    assert "TP006" not in out and "TP004" not in out


def test_contact_shortly_before_award_is_flagged(world):
    world.to_evaluation()
    world.declare(EVAL)
    for bid, price in (("bid-acme", "100"), ("bid-globex", "120")):
        world.p.execute(c.RateProposal(TID, bid, "tech", "Good"), EVAL)
        world.p.execute(c.RateProposal(TID, bid, "price", price), EVAL)
    contact_time = world.clock.now
    world.p.execute(c.RecordContact(TID, "ssa", "A senator's office", contact_time, "phone", "asked about timing"), SSA)
    world.declare(SSA)
    world.clock.advance(days=29)
    world.p.execute(c.DecideAward(TID, "bid-acme", {"amount": "100", "currency": "USD"}, "lowest"), SSA)
    found = INDICATORS["TP001"](world.state())
    assert [(f["party"], f["days_before"]) for f in found] == [("A senator's office", 29)]
    # Outside the window: not flagged.
    assert INDICATORS["TP001"](dict(world.state(), contacts=[dict(world.state()["contacts"][0],
                                                                   when="2000-01-01T00:00:00Z")])) == []


def test_conflict_match_without_recusal_then_acting_is_flagged(world):
    world.create()
    world.publish()
    world.bid("acme", b"x", bid_id="bid-acme")
    world.bid("globex", b"y", bid_id="bid-globex")
    world.clock.advance(days=31)
    world.p.run_deadlines()
    op = OPENERS[0]
    world.p.execute(c.DeclareInterests(TID, False, holdings=["ACME Inc."]), op)
    world.share(op)
    # Who bid is sealed until the opening, so the declaration is checked against the bidders then.
    assert world.state()["coi_matches"] == [] and INDICATORS["TP003"](world.state()) == []
    world.open()  # the second official's share opens the bids
    state = world.state()
    assert [m["bidder"] for m in state["coi_matches"]] == ["acme"]
    assert [f["official"] for f in INDICATORS["TP003"](state)] == [op.id]


def test_late_bid_and_departure_flags(world):
    world.create()
    world.publish()
    world.bid("acme", b"x", bid_id="bid-acme")
    world.bid("globex", b"y", bid_id="bid-globex")
    world.clock.advance(days=31)
    with pytest.raises(Refused):
        world.bid("initech", b"late")
    # Flagged at once; which bidder tried is sealed until the opening names it.
    assert [f["bidder"] for f in INDICATORS["TP005"](world.state())] == [None]
    world.open()
    assert [f["bidder"] for f in INDICATORS["TP005"](world.state())] == ["initech"]
    world.declare(EVAL)
    for bid, price in (("bid-acme", "100"), ("bid-globex", "120")):
        world.p.execute(c.RateProposal(TID, bid, "tech", "Good"), EVAL)
        world.p.execute(c.RateProposal(TID, bid, "price", price), EVAL)
    world.declare(SSA)
    world.p.execute(c.DecideAward(TID, "bid-globex", {"amount": "120", "currency": "USD"}, "best",
                                  departure_reason="local presence"), SSA)
    assert INDICATORS["TP006"](world.state())[0]["ranked_first"] == "bid-acme"
    json.dumps(ledger_flags([world.state()], "p-"))  # serialisable as Cardinal-shaped JSON


def test_flags_cli_over_the_ledger_and_a_file(tmp_path):
    import subprocess
    import sys

    def run(*args, check=0):
        r = subprocess.run([sys.executable, "-m", "tenderproof", *map(str, args)], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == check, r.stderr
        return r

    d = tmp_path / "d"
    run("scenario", "run", "jedi", "--data-dir", d)
    run("flags", "--ledger", "--data-dir", d, "-o", tmp_path / "f.json")
    out = json.loads((tmp_path / "f.json").read_text())
    codes = out["OCID"]["ocds-tndrpf-HQ0034-18-R-0077"]
    assert codes["TP007"] == 1 and "Meta" in out
    assert out["Evidence"]["ocds-tndrpf-HQ0034-18-R-0077"]["TP007"][0]["command"] == "StartPerformance"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ocid": "a"}\nnot json\n{"ocid": "b"}\n')
    r = run("flags", bad, "--no-meta")
    assert "line 2" in r.stderr and json.loads(r.stdout) == {}
    run("flags", "--data-dir", d, check=2)  # neither a file nor --ledger


def test_override_and_locked_out_official_flags(world):
    from tenderproof.domain import Actor

    world.create(panel={"evaluator": [EVAL.id], "ssa": [SSA.id], "hca": ["hca"],
                        "opening_official": [o.id for o in OPENERS]})
    world.publish()
    assert INDICATORS["TP004"](world.state()) == [] and INDICATORS["TP009"](world.state()) == []
    gao, acme = Actor("gao", "reviewer"), Actor("acme", "bidder")
    world.p.execute(c.FileProtest(TID, "p1", "gao", "terms", solicitation_terms=True), acme)
    world.p.execute(c.DocketProtest(TID, "p1"), gao)
    world.bid("acme", b"x", bid_id="bid-acme")
    world.bid("globex", b"y", bid_id="bid-globex")
    world.clock.advance(days=31)
    world.p.run_deadlines()
    world.p.execute(c.Recuse(TID, OPENERS[0].id, "owns shares in a bidder"), OPENERS[0])
    with pytest.raises(Refused):
        world.share(OPENERS[0])
    assert [(f["official"], f["code"]) for f in INDICATORS["TP009"](world.state())] == [(OPENERS[0].id, "recused")]
    stay = next(iter(world.state()["stays"]))
    world.p.execute(c.OverrideStay(TID, stay, "urgent-compelling", "the agency's data centres run out in May",
                                   award_likely_within_30_days=True), Actor("hca", "hca"))
    found = INDICATORS["TP004"](world.state())
    assert [(f["stay"], f["ground"]) for f in found] == [(stay, "urgent-compelling")]
