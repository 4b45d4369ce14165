"""Group commit (issue 10): commands queued while a batch runs commit together, in one
transaction with one checkpoint; a refused or broken command fails alone; a bid writes the same
few rows however many bids the tender already holds."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenderproof import seal as sealing
from tenderproof.app import bidding, envelope
from tenderproof.app.rebuild import rebuild
from tenderproof.app.service import Procurement
from tenderproof.app.unit_of_work import StaleProjection, UnitOfWork
from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.model import iso
from tenderproof.instance import Settings, init
from tenderproof.ledger.audit import audit
from tenderproof.ledger.tiles import MAX_ENTRY_SIZE, EntryTooLarge
from tenderproof.ledger.tlogproof import verify_tlog_proof
from tenderproof.seal import sealed_digest as seal_digest
from tenderproof.store.schema import log_checkpoints, tender_rows, tenders

from .conftest import BUYER, OPENERS, T0, TID, Clock, World


def _checkpoint_sizes(world) -> list[int]:
    with world.p.db.reader.connect() as conn:
        return [int(x) for x in conn.execute(sa.select(log_checkpoints.c.size).order_by(log_checkpoints.c.size)).scalars()]


def _queued(world, n: int) -> None:
    """Wait until `n` commands wait in the writer's queue (a condition, bounded in time: the
    senders seal and store their bids first, which takes longer on a loaded machine)."""
    give_up = time.monotonic() + 60
    while world.p.writer._queue.qsize() < n:
        if time.monotonic() > give_up:
            raise AssertionError(f"only {world.p.writer._queue.qsize()} of {n} commands ever queued")
        time.sleep(0.001)


def _batch_behind_a_blocker(world, jobs: list) -> list:
    """Run `jobs` (callables) from threads while the writer is held inside a batch, so they all
    queue and then commit as the next batch; return their outcomes (result or exception)."""
    entered, release = threading.Event(), threading.Event()

    def blocker(conn, now):
        entered.set()
        assert release.wait(30)
        return "blocker"

    def outcome(job):
        try:
            return job()
        except Exception as e:
            return e

    with ThreadPoolExecutor(len(jobs) + 1) as pool:
        first = pool.submit(world.p.transact, blocker)
        assert entered.wait(30)
        futures = []
        for k, job in enumerate(jobs):  # one at a time: the batch runs them in this order
            futures.append(pool.submit(outcome, job))
            _queued(world, k + 1)
        release.set()
        assert first.result() == "blocker"
        return [f.result() for f in futures]


def test_commands_queued_during_a_batch_commit_as_one_batch_with_one_checkpoint(world):
    world.create()
    world.publish()
    blobs = [world.seal(f"offer {i}".encode()) for i in range(6)]
    before = _checkpoint_sizes(world)
    receipts = _batch_behind_a_blocker(world, [
        lambda b=b, i=i: bidding.submit_bid(world.p, TID, Actor(f"bidder{i}", "bidder"), "B", b) for i, b in enumerate(blobs)])
    assert all(isinstance(r, bidding.Receipt) for r in receipts)
    new = [s for s in _checkpoint_sizes(world) if s not in before]
    size = world.p.log.head().size
    assert new == [size], "six bids in one batch: one checkpoint, at the batch's end"
    assert sorted(r.index for r in receipts) == list(range(size - 6, size))
    for r in receipts:  # every receipt is proven against the batch's checkpoint
        assert r.proof.checkpoint.split("\n")[1] == str(size)


def test_a_refused_or_broken_command_fails_alone_in_its_batch(world):
    world.create()
    world.publish()
    good, dup = world.seal(b"good"), world.seal(b"dup")
    world.bid("acme", b"x", bid_id="taken")

    def broken(conn, now):
        raise KeyError("a bug in one command")

    outcomes = _batch_behind_a_blocker(world, [
        lambda: bidding.submit_bid(world.p, TID, Actor("globex", "bidder"), "G", good),
        lambda: bidding.submit_bid(world.p, TID, Actor("initech", "bidder"), "I", dup, bid_id="taken"),
        lambda: world.p.transact(broken),
        lambda: bidding.submit_bid(world.p, TID, Actor("umbrella", "bidder"), "U", world.seal(b"another")),
    ])
    assert isinstance(outcomes[0], bidding.Receipt) and isinstance(outcomes[3], bidding.Receipt)
    assert isinstance(outcomes[1], Refused) and outcomes[1].code == "exists" and not outcomes[1].logged
    assert isinstance(outcomes[2], KeyError)
    bids = world.state()["bids"]
    assert set(bids) == {"taken", outcomes[0].envelope["payload"]["id"], outcomes[3].envelope["payload"]["id"]}


def test_a_bid_writes_the_same_rows_however_many_bids_are_in(world):
    """O(1) in the bids already in: the tender's core row does not grow, and each bid adds one
    row of its own (the state is no longer rewritten whole)."""
    world.create()
    world.publish()

    def sizes():
        with world.p.db.reader.connect() as conn:
            core = conn.execute(sa.select(sa.func.length(tenders.c.state)).where(tenders.c.id == TID)).scalar()
            count = conn.execute(sa.select(sa.func.count()).select_from(tender_rows).where(
                tender_rows.c.tender_id == TID, tender_rows.c.kind == "bids")).scalar()
        return core, count

    world.bid("bidder0", b"first")
    core1, rows1 = sizes()
    for i in range(1, 60):
        world.bid(f"bidder{i}", f"offer {i}".encode())
    core60, rows60 = sizes()
    assert rows60 - rows1 == 59
    assert abs(core60 - core1) <= 4  # only counters' digits may grow
    state = world.state()
    assert state["bids_live"] == 60 and len(state["bids"]) == 60


def test_concurrent_bids_all_get_verifiable_receipts(world):
    world.create()
    world.publish()
    blobs = [world.seal(f"bid {i}".encode()) for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        receipts = list(pool.map(lambda ib: bidding.submit_bid(world.p, TID, Actor(f"b{ib[0]}", "bidder"), "B", ib[1]),
                                 enumerate(blobs)))
    verifier = world.p.log.log_verifier()
    for r in receipts:
        verify_tlog_proof(r.proof, world.p.log.entry(r.index), [verifier])
    assert len({r.index for r in receipts}) == 40


def test_a_sealed_part_prepared_outside_the_batch_is_used_only_for_its_own_content(world):
    world.create()
    world.publish()
    acme = Actor("acme", "bidder")
    content = envelope.content_of({"bidder": "acme", "bidder_name": "ACME"}, acme.as_dict(), True)
    ready = world.p.prepare(TID, content)
    other = world.p.prepare(TID, {**content, "bidder_name": "Someone else"})
    sealed = world.seal(b"offer")
    digest = seal_digest(sealed)
    world.p.documents.put(sealed)
    cmd = c.SubmitBid(TID, "b1", "ACME", digest, len(sealed), "0" * 64)
    logged = world.p.execute(cmd, acme, prepared=[other, ready])
    assert logged[0].envelope["confidential"] == ready.seal.commitment
    cmd2 = c.SubmitBid(TID, "b2", "ACME", digest, len(sealed), "0" * 64)
    logged2 = world.p.execute(cmd2, acme, prepared=[other])  # nothing fits: sealed afresh
    assert logged2[0].envelope["confidential"] not in (ready.seal.commitment, other.seal.commitment)
    world.clock.advance(days=31)
    world.p.run_deadlines()
    world.open()
    bids = world.state()["bids"]
    assert bids["b2"]["bidder_name"] == "ACME" and bids["b1"]["status"] == "replaced"


def test_the_unit_of_work_undoes_a_refused_command_and_rewrites_what_a_rollback_took_back(world):
    """Undo in memory what the database's savepoint undoes, even across a flush mid-batch."""
    world.create()
    with world.p.db.writer_lock(), world.p.db.writer.begin() as conn:
        uow = UnitOfWork()
        bids = uow.table(conn, TID, "bids")
        uow.put_rows(TID, "bids", {"a": {"n": 1}})
        mark = uow.mark()
        uow.put_rows(TID, "bids", {"a": {"n": 2}, "b": {"n": 3}})
        uow.insert("events", [{"ledger_index": 999}])
        uow.rollback(mark)
        assert dict(bids.items()) == {"a": {"n": 1}} and uow.inserts["events"] == []
        sp = conn.begin_nested()
        mark = uow.mark()
        uow.put_rows(TID, "bids", {"b": {"n": 4}})  # the failing command's own write
        uow.flush(conn)  # "a" and "b" are in the table now, inside the savepoint
        assert dict(uow.table(conn, TID, "bids").items()) == {"a": {"n": 1}, "b": {"n": 4}}
        sp.rollback()
        uow.rollback(mark)  # the rollback took "a" back out of the table: it is pending again
        assert dict(uow.table(conn, TID, "bids").items()) == {"a": {"n": 1}}  # and "b" undone
        assert conn.execute(sa.select(sa.func.count()).select_from(tender_rows)).scalar() == 0
        uow.flush(conn)
        assert conn.execute(sa.select(tender_rows.c.key)).scalars().all() == ["a"]


def _row_keys(world) -> list[str]:
    with world.p.db.reader.connect() as conn:
        return sorted(conn.execute(sa.select(tender_rows.c.key).where(tender_rows.c.kind == "probe")).scalars())


@pytest.mark.parametrize("outer_fails", [False, True])
def test_a_savepoint_inside_a_commands_savepoint_undoes_only_its_own(world, outer_fails):
    """The writer's savepoints share one name: RELEASE and ROLLBACK TO must reach the innermost
    one. A refused inner part goes alone and the command goes on; a command failing after its
    inner part succeeded takes that part with it."""
    world.create()

    def put(conn, key):
        conn.execute(sa.insert(tender_rows).values(tender_id=TID, kind="probe", key=key, row="{}"))

    def body(conn, now):
        put(conn, "outer-before")

        def refused_inner():
            put(conn, "refused-inner")
            raise Refused("probe", "an inner part refused")

        def kept_inner():
            put(conn, "kept-inner")

        assert world.p.writer.savepoint(conn, refused_inner, default="refused") == "refused"
        world.p.writer.savepoint(conn, kept_inner)
        put(conn, "outer-after")
        if outer_fails:
            raise KeyError("the command fails after its inner parts")
        return "done"

    if outer_fails:
        with pytest.raises(KeyError):
            world.p.transact(body)
        assert _row_keys(world) == []
    else:
        assert world.p.transact(body) == "done"
        assert _row_keys(world) == ["kept-inner", "outer-after", "outer-before"]


def test_a_projection_from_before_the_rows_is_refused_not_misread(world):
    world.create()
    with world.p.db.writer.begin() as conn:  # the whole state in the row, as before schema 0006
        old = json.loads(conn.execute(sa.select(tenders.c.state).where(tenders.c.id == TID)).scalar())
        conn.execute(sa.update(tenders).where(tenders.c.id == TID).values(state=json.dumps({**old, "bids": {}})))
    with pytest.raises(StaleProjection, match="run `tenderproof rebuild`"):
        world.state()
    with pytest.raises(StaleProjection):
        world.publish()


def test_a_command_that_fails_after_a_flush_takes_nothing_of_the_others_with_it(world):
    """A command that makes the batch write its rows so far (the deadline worker, the opening)
    and then fails: its savepoint takes those rows back out of the database, so the unit of work
    must write the earlier commands' rows again, or their events would be in the log alone."""
    world.create()
    world.publish()

    def flushes_then_fails(conn, now):
        world.p.fire_due(conn, now)  # flushes the unit of work inside this command's savepoint
        raise KeyError("after the flush")

    outcomes = _batch_behind_a_blocker(world, [
        lambda: bidding.submit_bid(world.p, TID, Actor("acme", "bidder"), "ACME", world.seal(b"one")),
        lambda: world.p.transact(flushes_then_fails),
        lambda: bidding.submit_bid(world.p, TID, Actor("globex", "bidder"), "GLOBEX", world.seal(b"two")),
    ])
    assert isinstance(outcomes[0], bidding.Receipt) and isinstance(outcomes[2], bidding.Receipt)
    assert isinstance(outcomes[1], KeyError)
    assert len(world.state()["bids"]) == 2
    assert rebuild(world.p, check=True).identical


def test_a_command_whose_entry_is_too_large_fails_alone_and_leaves_nothing(world):
    """An entry over the tiles' limit is refused in its own command's savepoint, not at the
    batch's one ledger append (which would fail every command of the batch). Every field of this
    amendment is within its own bound: 2 × 20,000 three-byte characters make a 120 KB entry."""
    world.create()
    world.publish()
    big = "€" * 20_000
    later = T0 + timedelta(days=40)  # the first bid is in when it runs: an amendment must extend
    oversized = c.AmendTender(TID, rationale=big, changes={"description": big, "tender_end": later})
    before = world.snapshot()
    events_before = [e.envelope for e in world.p.events(TID)]
    outcomes = _batch_behind_a_blocker(world, [
        lambda: bidding.submit_bid(world.p, TID, Actor("acme", "bidder"), "ACME", world.seal(b"one")),
        lambda: world.p.execute(oversized, BUYER),
        lambda: bidding.submit_bid(world.p, TID, Actor("globex", "bidder"), "GLOBEX", world.seal(b"two")),
    ])
    first, refused, last = outcomes
    assert isinstance(first, bidding.Receipt) and isinstance(last, bidding.Receipt), outcomes
    assert isinstance(refused, EntryTooLarge)
    assert str(refused).startswith("entry of ") and f"exceeds the tiles' limit of {MAX_ENTRY_SIZE} bytes" in str(refused)
    size = int(str(refused).split()[2])
    assert size > MAX_ENTRY_SIZE and size >= len(big.encode()) * 2
    assert (first.index + 1, world.p.log.head().size) == (last.index, before[0] + 2), "consecutive, nothing between"
    logged = [e.envelope for e in world.p.events(TID)]
    assert logged[:len(events_before)] == events_before
    assert [e["type"] for e in logged[len(events_before):]] == ["bid.submitted", "bid.submitted"]
    state = world.state()
    assert state["amendments"] == [] and state["description"] != big and len(state["bids"]) == 2
    assert state["periods"]["tender_end"] != iso(later)
    assert audit(world.p.log).ok
    assert rebuild(world.p, check=True).identical


JOBS = st.lists(st.sampled_from(["bid", "duplicate", "broken", "flush-then-fail", "withdraw", "deadlines", "oversized"]),
                min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=JOBS)
def test_any_batch_of_commands_and_failures_leaves_projections_equal_to_a_replay(tmp_path_factory, db_url, kinds):
    """Whatever mix of accepted, refused and failing commands (some flushing the unit of work
    before failing, some with an entry too large to log) shares a batch, the projections equal a
    replay of the log."""
    if not db_url.startswith("sqlite"):
        return  # one schema per test on PostgreSQL: the examples would share it (the other tests cover it)
    data = tmp_path_factory.mktemp("batch") / "data"
    log = init(Settings(data, f"sqlite:///{data / 'tp.db'}"), origin="batch.tenderproof.localhost/log")
    clock = Clock(T0)
    w = World(Procurement(log, data, clock), clock)
    for o in OPENERS:
        kp = sealing.OfficialKeyPair.generate()
        w.keys[o.id] = kp
        bidding.register_official(w.p, o.id, o.id, kp.public_bytes())
    w.create()
    w.publish()
    first = w.bid("acme", b"first", bid_id="first")

    def flush_then_fail(conn, now):
        w.p.fire_due(conn, now)
        raise KeyError("after the flush")

    def broken(conn, now):
        raise KeyError("broken")

    jobs = {
        "bid": lambda i: lambda: bidding.submit_bid(w.p, TID, Actor(f"b{i}", "bidder"), "B", w.seal(f"{i}".encode())),
        "duplicate": lambda i: lambda: bidding.submit_bid(w.p, TID, Actor("x", "bidder"), "X", w.seal(b"d"), bid_id="first"),
        "broken": lambda i: lambda: w.p.transact(broken),
        "flush-then-fail": lambda i: lambda: w.p.transact(flush_then_fail),
        "withdraw": lambda i: lambda: bidding.withdraw_bid(w.p, TID, Actor("acme", "bidder"), first.envelope["payload"]["id"]),
        "deadlines": lambda i: lambda: w.p.run_deadlines(),
        "oversized": lambda i: lambda: w.p.execute(c.AmendTender(TID, "€" * 20_000, {
            "description": "€" * 20_000, "tender_end": T0 + timedelta(days=40)}), BUYER),
    }
    outcomes = _batch_behind_a_blocker(w, [jobs[k](i) for i, k in enumerate(kinds)])
    bids_made = sum(isinstance(o, bidding.Receipt) for o in outcomes) + 1
    assert len(w.state()["bids"]) == bids_made
    assert all(isinstance(o, EntryTooLarge) for k, o in zip(kinds, outcomes, strict=True) if k == "oversized")
    assert w.state()["amendments"] == []
    assert rebuild(w.p, check=True).identical
    log.db.dispose()
