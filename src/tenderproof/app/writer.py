"""Group commit: every command of this process goes through one writer thread, in batches.

At the deadline many bids arrive at once. One transaction per bid would mean one fsync, one
append that re-reads the tree's edge, and one checkpoint signature per bid. Instead (issue 10):
- callers queue their command (`run`), and the writer thread takes everything queued so far;
- the batch is one database transaction, opened under the log's lock (SQLite `BEGIN IMMEDIATE`,
  PostgreSQL `SELECT … FOR UPDATE` of the log head), so it is the one serialisation point of
  every writer in every process;
- each command reads the clock, fires every deadline due by then, then runs in a savepoint: a
  bid is in time exactly if its place in the log is before the closing;
- a refused command rolls back its savepoint alone (a logged refusal keeps its note), and so
  does one whose entry the ledger could not take (too large: checked as it reserves its index);
- the entries of all commands are appended to the ledger at once, the batch signs one
  checkpoint, and one commit makes it all durable; only then is any caller answered.
A batch that loses a race with another process (the head moved) is run again from the start.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from tenderproof.domain import Refused
from tenderproof.domain.model import iso
from tenderproof.ledger.log import MAX_RETRIES, Log
from tenderproof.ledger.storage import Head, HeadMoved
from tenderproof.ledger.tiles import check_entries
from tenderproof.store.db import Database

from .unit_of_work import Conflict, UnitOfWork

#: At most this many commands in one batch (bounds a batch's memory and its latency).
MAX_BATCH = 256
#: The writer thread ends after this long without work, and starts again on the next command.
IDLE_SECONDS = 2.0

Body = Callable[[Connection, datetime], Any]


class Host(Protocol):
    """What the writer needs of the service whose commands it commits (`service.Procurement`).
    Written as a protocol so that the writer does not import the service, which owns it."""

    db: Database
    log: Log
    clock: Callable[[], datetime]

    def next_due(self, conn: Connection) -> str | None: ...

    def fire_due(self, conn: Connection, now: datetime) -> list[Any]: ...


class _Batch:
    """The entries the batch's commands have appended so far, before the one ledger append."""

    def __init__(self, first_index: int) -> None:
        self.first_index = first_index
        self.entries: list[bytes] = []
        self.deadlines_fired: list[Any] = []  # fired before the batch's commands (see `fired`)
        self.next_due: str | None = None  # no deadline is due before this (RFC 3339 UTC sorts as time)


class GroupCommit:
    def __init__(self, p: Host) -> None:
        self.p = p
        self._queue: queue.SimpleQueue[tuple[Body, Future]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._batch: _Batch | None = None
        self.uow: UnitOfWork | None = None  # the running batch's writes to the projections

    # --- callers ------------------------------------------------------------------------------

    def run(self, body: Body) -> Any:
        """Run `body(conn, now)` in the next batch; return its result once the batch committed,
        or raise what it raised (a refusal, logged or not, after the batch committed)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("a command may not queue another command from inside its own batch")
        done: Future = Future()
        with self._lock:
            self._queue.put((body, done))
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="tenderproof-writer", daemon=True)
                self._thread.start()
        return done.result()

    # --- inside a batch -----------------------------------------------------------------------

    def reserve(self, conn: Connection, entries: list[bytes]) -> int:
        """Take the next ledger indexes for `entries`; they are appended when the batch commits.

        Each entry is checked here, in the calling command's savepoint, as the ledger's append
        will check it: one that cannot be logged (EntryTooLarge) refuses this command alone,
        where at the batch's one append it would fail every command of the batch."""
        batch = self._batch
        if batch is None:
            raise RuntimeError("ledger entries are appended only inside a batch of the group commit")
        entries = check_entries(entries, of="the command's entries")
        first = batch.first_index + len(batch.entries)
        batch.entries.extend(entries)
        return first

    def due_at(self, when: str) -> None:
        """A command of this batch set a deadline at `when`."""
        if self._batch is not None and (self._batch.next_due is None or when < self._batch.next_due):
            self._batch.next_due = when

    def fired(self) -> list[Any]:
        """The deadline events this batch fired before its commands ran (run_deadlines reports them)."""
        return list(self._batch.deadlines_fired) if self._batch else []

    def savepoint(self, conn: Connection, fn: Callable[[], Any], default: Any = None) -> Any:
        """Run `fn` in a savepoint. A refusal rolls back what `fn` did (a logged one keeps its
        note) and returns `default`; any other error rolls back and propagates."""
        batch, uow = self._batch, self.uow
        mark, uow_mark = (len(batch.entries) if batch else 0), (uow.mark() if uow else None)

        def undo() -> None:
            conn.exec_driver_sql(_ROLLBACK_TO)
            conn.exec_driver_sql(_RELEASE)
            if batch:
                del batch.entries[mark:]
            if uow is not None and uow_mark is not None:
                uow.rollback(uow_mark)

        conn.exec_driver_sql(_SAVEPOINT)
        try:
            result = fn()
        except Refused as r:
            if r.logged:
                conn.exec_driver_sql(_RELEASE)
            else:
                undo()
            if default is _RAISE:
                raise
            return default
        except BaseException:
            undo()
            raise
        conn.exec_driver_sql(_RELEASE)
        return result

    # --- the writer thread --------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            jobs = [first]
            while len(jobs) < MAX_BATCH:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(jobs)

    def _commit(self, jobs: list[tuple[Body, Future]]) -> None:
        p = self.p
        outcomes: list[tuple[bool, Any]] = []
        error: BaseException | None = None
        for _attempt in range(MAX_RETRIES):
            outcomes, error, appended = [], None, False
            try:
                with p.db.writer_lock(), p.db.writer.begin() as conn:
                    head = p.log.store.head(conn, lock=True)
                    self._batch, self.uow = _Batch(head.size), UnitOfWork()
                    self._batch.next_due = p.next_due(conn)
                    for body, _done in jobs:
                        outcomes.append(self._one(conn, body))
                    self.uow.flush(conn)
                    if self._batch.entries:
                        grown = p.log.append(self._batch.entries, conn=conn, head=head)
                        p.log.sign_in(conn, Head(head.origin, head.vkey, grown.size, grown.root))
                        appended = True
                if appended:
                    p.log.committed()  # only now: what the batch wrote is committed state
                break
            except (HeadMoved, Conflict, IntegrityError):
                continue
            except OperationalError as e:
                if getattr(e.orig, "sqlstate", None) in ("40001", "40P01"):
                    continue
                error = e
                break
            except BaseException as e:  # the commit itself failed: nobody's command is durable
                error = e
                break
            finally:
                self._batch, self.uow = None, None
        else:
            error = Conflict(f"gave up after {MAX_RETRIES} attempts: too much contention")
        if error is not None:  # nobody's command is durable: each caller gets the error
            outcomes = [(False, error)] * len(jobs)
        for (_body, done), outcome in zip(jobs, outcomes, strict=True):
            ok, value = outcome
            if ok:
                done.set_result(value)
            else:
                done.set_exception(value)

    def _one(self, conn: Connection, body: Body) -> tuple[bool, Any]:
        """One command in its savepoint: what it returned, or what it raised (its alone).

        Its time is read now, and every deadline due by then fires first: in the log, nothing
        stamped after a deadline comes before that deadline's event."""
        now = self.p.clock()
        batch = self._batch
        assert batch is not None
        if batch.next_due is not None and iso(now) >= batch.next_due:  # the lock is held: nobody else adds one
            batch.deadlines_fired += self.p.fire_due(conn, now)
            batch.next_due = self.p.next_due(conn)
        try:
            return True, self.savepoint(conn, lambda: body(conn, now), default=_RAISE)
        except IntegrityError as e:
            # This command collided with one earlier in the batch (the same idempotency key sent
            # twice at once, say): it alone is refused; the caller may look for the first answer.
            return False, Conflict(f"the command collided with another one: {e.orig}")
        except HeadMoved:
            raise
        except Exception as e:  # a refusal, an invalid command, a bug: this command's, not the batch's
            return False, e


_RAISE = object()

# The command's savepoint, in SQL both SQLite and PostgreSQL take. One name serves nested ones
# too: RELEASE and ROLLBACK TO act on the most recent savepoint of that name in both. Plain
# statements, where SQLAlchemy's begin_nested() compiled a clause and ran its event machinery
# for each: a tenth of the writer's time in a rush.
_SAVEPOINT = "SAVEPOINT tp_command"
_RELEASE = "RELEASE SAVEPOINT tp_command"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT tp_command"
