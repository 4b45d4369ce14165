"""Deadlines fire by themselves, at their own time, exactly once — across processes and restarts."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tenderproof.app.service import Procurement
from tenderproof.instance import open_log

from .conftest import OPENERS, TID, Clock


def closing_events(world) -> list:
    return [e for e in world.p.events(TID) if e.envelope["type"] in ("tender.tendering_closed", "tender.enquiries_closed")]


def test_deadlines_fire_at_their_own_time_without_any_command(world):
    world.create()
    world.publish()
    world.bid("acme", b"x")
    world.clock.advance(days=45)  # long after both deadlines: nobody called anything meanwhile
    fired = world.p.run_deadlines()
    assert [e.envelope["type"] for e in fired] == ["tender.enquiries_closed", "tender.tendering_closed"]
    s = world.state()
    assert fired[1].envelope["time"] == s["periods"]["tender_end"]  # stamped with the deadline, not "now"
    assert s["status"] == "active.opening"
    assert world.p.run_deadlines() == []  # nothing fires twice


def test_a_command_after_a_missed_deadline_sees_it_fired_first(world):
    world.create(enquiries=False)
    world.publish()
    world.bid("acme", b"x")
    world.clock.advance(days=31)
    world.declare(OPENERS[0])
    world.share(OPENERS[0])  # the worker has not run; the share still finds the tender closed
    assert [e.envelope["type"] for e in closing_events(world)] == ["tender.tendering_closed"]


def test_no_bids_makes_the_tender_unsuccessful(world):
    world.create(enquiries=False)
    world.publish()
    world.clock.advance(days=31)
    world.p.run_deadlines()
    assert world.state()["status"] == "unsuccessful"


def test_exactly_once_across_processes_and_a_restart(world, settings):
    world.create(enquiries=False)
    world.publish()
    world.bid("acme", b"x")
    script = textwrap.dedent(f"""
        import sys
        from datetime import datetime, timezone
        from tenderproof.app.service import Procurement
        from tenderproof.instance import Settings, open_log
        s = Settings.resolve({str(settings.data_dir)!r}, {settings.db_url!r})
        p = Procurement(open_log(s, signing=True), s.data_dir)
        sys.stdin.readline()
        print(len(p.run_deadlines(datetime(2031, 1, 1, tzinfo=timezone.utc))), flush=True)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    counts = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        counts.append(int(out))
    assert sorted(counts) == [0, 1]
    assert len(closing_events(world)) == 1
    # A "restarted" service (new objects, same database) finds nothing left to do.
    again = Procurement(open_log(settings, signing=True), settings.data_dir, Clock(world.clock.now.replace(year=2032)))
    assert again.run_deadlines() == []
    again.log.db.dispose()
