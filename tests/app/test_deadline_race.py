"""The deadline race (issue 10): bids in the last moments before the deadline, sent to two
servers (two installations over one database, each with its own writer and deadline worker).

Every bid is either accepted, in time, before the closing in the log's order, or refused as late
AND logged; none is refused silently. The closing fires once. The time that decides is read for
each command under the log's lock, so log order and time order agree.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tenderproof.app import bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor, Refused
from tenderproof.domain.model import parse_time
from tenderproof.instance import open_log

from .conftest import T0, TID


class TickingClock:
    """A clock shared by both servers that moves 1 ms on every reading: the deadline passes in
    the middle of the rush without the test waiting for real time."""

    def __init__(self) -> None:
        self._ticks = itertools.count()
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return T0 + timedelta(milliseconds=next(self._ticks))


def test_bids_at_the_deadline_on_two_servers_are_accepted_or_logged_never_silently_refused(world, settings):
    world.create(enquiries=False)
    world.publish()
    blobs = [world.seal(f"bid {i}".encode()) for i in range(240)]
    clock = TickingClock()
    servers = [Procurement(open_log(settings, signing=True), settings.data_dir, clock) for _ in range(2)]
    deadline = parse_time(world.state()["periods"]["tender_end"])
    # Move the shared clock to 150 ms before the deadline: the rush straddles it.
    start = deadline - timedelta(milliseconds=150)
    clock._ticks = itertools.count(int((start - T0) / timedelta(milliseconds=1)))
    outcomes: list[tuple[str, object]] = []
    lock = threading.Lock()

    def send(i: int) -> None:
        server = servers[i % 2]
        if i % 40 == 0:
            server.run_deadlines()  # each server's deadline worker races the bids too
        try:
            receipt = bidding.submit_bid(server, TID, Actor(f"bidder{i % 30}", "bidder"), "B", blobs[i], prove=False)
            result = ("accepted", receipt.index)
        except Refused as r:
            result = ("refused", r)
        with lock:
            outcomes.append(result)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(len(blobs))))
    for s in servers:
        s.run_deadlines()
    refused = [r for kind, r in outcomes if kind == "refused"]
    accepted = [i for kind, i in outcomes if kind == "accepted"]
    assert accepted and refused, "the rush did not straddle the deadline; the test proved nothing"
    assert {(r.code, r.logged) for r in refused} == {("late-bid", True)}
    events = world.p.events(TID)
    types = [e.envelope["type"] for e in events]
    assert types.count("tender.tendering_closed") == 1
    closing = types.index("tender.tendering_closed")
    bids = [e for e in events if e.envelope["type"] == "bid.submitted"]
    late = [e for e in events if e.envelope["type"] == "command.refused"]
    assert len(bids) == len(accepted) and len(late) == len(refused)
    # Log order is time order: every accepted bid before the closing and before the deadline,
    # every logged refusal after the closing and at or after the deadline.
    assert all(e.index < events[closing].index and parse_time(e.envelope["time"]) < deadline for e in bids)
    assert all(e.index > events[closing].index and parse_time(e.envelope["time"]) >= deadline for e in late)
    assert sorted(e.index for e in bids) == sorted(accepted)
    for s in servers:
        s.db.dispose()
