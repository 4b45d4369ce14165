"""The app layer: load state, call the domain, append events and update projections — in one
database transaction per command (DESIGN.md §4.1, issue 3).

A command either commits everything (ledger entries, confidential payloads, projections, OCDS
releases, deadlines) or nothing. A refusal the rules say must be logged (a late bid, a share
from an unnamed official, …) commits exactly one `command.refused` event and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from tenderproof.domain import Actor, Event, Refused, decide, evolve
from tenderproof.domain import commands as c
from tenderproof.domain.model import ENQUIRIES, SYSTEM, TENDERING, iso, parse_time
from tenderproof.ledger.log import MAX_RETRIES, Log
from tenderproof.ledger.storage import HeadMoved
from tenderproof.store.documents import DocumentStore
from tenderproof.store.schema import confidential, deadlines, events, ocds_releases, tenders

from . import envelope
from .publication import releases_for

Clock = Callable[[], datetime]
DEADLINE_KINDS = {
    "close_enquiries": lambda tid, _arg: c.CloseEnquiries(tid),
    "close_tendering": lambda tid, _arg: c.CloseTendering(tid),
    "comments": lambda tid, pid: c.LapseProtest(tid, pid),
    "stay": lambda tid, sid: c.EndStay(tid, sid),
}
WORKER_COMMANDS = (c.CloseEnquiries, c.CloseTendering, c.LapseProtest, c.EndStay)
WORKER = Actor("deadline-worker", SYSTEM)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Conflict(RuntimeError):
    """Another writer changed the tender or the log first; the command is retried."""


@dataclass(frozen=True)
class Logged:
    """One event as committed: its ledger index and public envelope."""

    index: int
    envelope: dict[str, Any]


class Procurement:
    """The procurement service over one installation (log, database, document stores)."""

    def __init__(self, log: Log, data_dir: Path, clock: Clock = utcnow, ocid_prefix: str = "ocds-tndrpf-") -> None:
        self.log = log
        self.db = log.db
        self.clock = clock
        self.ocid_prefix = ocid_prefix
        self.documents = DocumentStore(Path(data_dir) / "documents")
        self.private = DocumentStore(Path(data_dir) / "private")

    # --- reading -----------------------------------------------------------------------------

    def state(self, tender_id: str, conn: Connection | None = None) -> dict | None:
        if conn is None:
            with self.db.reader.connect() as c_:
                return self.state(tender_id, c_)
        text = conn.execute(sa.select(tenders.c.state).where(tenders.c.id == tender_id)).scalar()
        return None if text is None else envelope.loads(text)

    def events(self, tender_id: str) -> list[Logged]:
        with self.db.reader.connect() as conn:
            rows = conn.execute(
                sa.select(events.c.ledger_index, events.c.envelope)
                .where(events.c.tender_id == tender_id)
                .order_by(events.c.ledger_index)
            )
            return [Logged(int(r.ledger_index), envelope.loads(r.envelope)) for r in rows]

    # --- commands ----------------------------------------------------------------------------

    def execute(self, cmd: c.Command, actor: Actor, *, work: Callable | Sequence[Callable] | None = None) -> list[Logged]:
        """Decide and commit `cmd`; returns the events logged. Raises Refused.

        Each `work(conn, state_after, logged)` runs inside the same transaction after the events
        are appended, in order, and may log more (the opening opens every bid in the transaction
        that records the k-th share; the API records its idempotency response last).
        """
        if not isinstance(cmd, WORKER_COMMANDS):
            self.run_deadlines(tender_id=cmd.tender_id)
        return self.transact(lambda conn, now: self._decide_and_commit(conn, cmd, actor, now, work))

    def transact(self, body: Callable[[Connection, datetime], Any]) -> Any:
        for _attempt in range(MAX_RETRIES):
            refused: Refused | None = None
            try:
                with self.db.writer.begin() as conn:
                    now = self.clock()
                    try:
                        return body(conn, now)
                    except Refused as r:
                        if not r.logged:
                            raise
                        refused = r
                if refused is not None:
                    raise refused
            except (HeadMoved, Conflict, IntegrityError):
                continue
            except OperationalError as e:
                if getattr(e.orig, "sqlstate", None) not in ("40001", "40P01"):
                    raise
        raise Conflict(f"gave up after {MAX_RETRIES} attempts: too much contention")

    def _decide_and_commit(self, conn: Connection, cmd: c.Command, actor: Actor, now: datetime, work) -> list[Logged]:
        state = self.load_for_update(conn, cmd.tender_id)
        try:
            evs = decide(state, cmd, actor, now)
        except Refused as r:
            if r.logged and state is not None:
                # The refused attempt is itself part of the record; it goes in on its own.
                # A refused bid does not reveal who tried to bid: the actor goes behind the commitment.
                note = Event("command.refused", {"command": cmd.name, "code": r.code, "reason": r.reason},
                             extra={"sealed_actor": isinstance(cmd, c.SubmitBid)})
                self.commit_events(conn, cmd.tender_id, state, [note], actor, now)
            raise
        logged, after = self.commit_events(conn, cmd.tender_id, state, evs, actor, now)
        for w in (work if isinstance(work, (list, tuple)) else [work]):
            if w is not None:
                logged += w(conn, after, logged)
        return logged

    def load_for_update(self, conn: Connection, tender_id: str) -> dict | None:
        q = sa.select(tenders.c.state).where(tenders.c.id == tender_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        text = conn.execute(q).scalar()
        return None if text is None else envelope.loads(text)

    def commit_events(
        self, conn: Connection, tender_id: str, state: dict | None, evs: Sequence[Event], actor: Actor, now: datetime
    ) -> tuple[list[Logged], dict]:
        """Append `evs` to the ledger and fold them into the projections, in `conn`'s transaction."""
        seq0 = state["events"] if state else 0
        envs, sealed, steps = [], [], []
        s = state
        for i, ev in enumerate(evs):
            env, seal = envelope.build(
                type=ev.type, tender=tender_id, seq=seq0 + i + 1, time=iso(ev.at or now), actor=actor.as_dict(),
                payload=ev.payload, confidential=ev.confidential, seal_actor=bool(ev.extra.get("sealed_actor")),
            )
            before, s = s, evolve(s, envelope.full_event(env, seal.content if seal else None))
            envs.append(env)
            sealed.append(seal)
            steps.append((before, s))
        appended = self.log.append([envelope.canonical(env) for env in envs], conn=conn)
        logged = [Logged(appended.first + i, env) for i, env in enumerate(envs)]
        for seal in sealed:
            if seal is not None:
                conn.execute(sa.insert(confidential).values(
                    commitment=seal.commitment, tender_id=tender_id, salt=seal.salt,
                    content=envelope.canonical(seal.content).decode()))
        self.project(conn, tender_id, seq0, logged, steps)
        return logged, s

    def project(self, conn: Connection, tender_id: str, seq0: int, logged: list[Logged], steps) -> None:
        """Update every projection for events just appended (also used by rebuild)."""
        final = steps[-1][1]
        conn.execute(sa.insert(events), [
            {"ledger_index": lg.index, "tender_id": tender_id, "seq": lg.envelope["seq"], "type": lg.envelope["type"],
             "time": lg.envelope["time"], "envelope": envelope.canonical(lg.envelope).decode()} for lg in logged])
        rels = []
        for lg, (before, after) in zip(logged, steps):
            rels += releases_for(before, after, lg.envelope, lg.index, self.ocid_prefix)
        if rels:
            conn.execute(sa.insert(ocds_releases), [
                {"id": r["id"], "tender_id": tender_id, "ledger_index": idx,
                 "release": envelope.canonical(r).decode()} for idx, r in rels])
        row = {"status": final["status"], "seq": final["events"], "title": final["title"],
               "state": envelope.dumps_state(final)}
        if seq0 == 0:
            conn.execute(sa.insert(tenders).values(id=tender_id, **row))
        else:
            res = conn.execute(sa.update(tenders).where(tenders.c.id == tender_id, tenders.c.seq == seq0).values(**row))
            if res.rowcount != 1:
                raise Conflict(f"tender {tender_id} changed under this command")
        conn.execute(sa.delete(deadlines).where(deadlines.c.tender_id == tender_id))
        due = deadlines_of(final)
        if due:
            conn.execute(sa.insert(deadlines), [{"tender_id": tender_id, "kind": k, "due": t} for k, t in due.items()])

    # --- the deadline worker -----------------------------------------------------------------

    def run_deadlines(self, now: datetime | None = None, tender_id: str | None = None) -> list[Logged]:
        """Fire every deadline due by `now` (default: the clock), soonest first, each exactly once.

        Safe to run from any number of processes and after any restart: a deadline fires by a
        status transition under the tender's compare-and-swap, so a second attempt is refused
        by the rules and simply skipped.
        """
        now = now or self.clock()
        fired: list[Logged] = []
        seen: set[tuple[str, str]] = set()
        while True:
            with self.db.reader.connect() as conn:
                q = sa.select(deadlines.c.tender_id, deadlines.c.kind, deadlines.c.due).where(
                    deadlines.c.due <= iso(now)).order_by(deadlines.c.due, deadlines.c.tender_id)
                if tender_id is not None:
                    q = q.where(deadlines.c.tender_id == tender_id)
                due = [r for r in conn.execute(q) if (r.tender_id, r.kind) not in seen]
            if not due:
                return fired
            r = due[0]
            seen.add((r.tender_id, r.kind))
            kind, _, arg = r.kind.partition(":")
            cmd = DEADLINE_KINDS[kind](r.tender_id, arg)
            try:
                fired += self.transact(lambda conn, _now: self._decide_and_commit(conn, cmd, WORKER, now, None))
            except Refused:
                continue


def deadlines_of(state: dict) -> dict[str, str]:
    """The deadlines the worker must act on in this state."""
    out = {}
    if state["status"] == ENQUIRIES and state["periods"]["enquiry_end"]:
        out["close_enquiries"] = state["periods"]["enquiry_end"]
    if state["status"] in (ENQUIRIES, TENDERING):
        out["close_tendering"] = state["periods"]["tender_end"]
    for pid, pr in state.get("protests", {}).items():
        if pr["outcome"] is None and pr["comments_due"] and not pr["comments"]:
            out[f"comments:{pid}"] = pr["comments_due"]
    for sid, st in state.get("stays", {}).items():
        if st["status"] == "in-force" and st["until"]:
            out[f"stay:{sid}"] = st["until"]
    return {k: iso(parse_time(v)) for k, v in out.items()}
