"""The app layer: load state, call the domain, append events and update projections.

A command either commits everything (ledger entries, confidential payloads, projections, OCDS
releases, deadlines) or nothing. A refusal the rules say must be logged (a late bid, a share
from an unnamed official, …) commits exactly one `command.refused` event and nothing else.

Commands commit in batches (`writer.GroupCommit`, issue 10): concurrent commands queue on one
writer thread, each runs in a savepoint of the batch's one transaction, the ledger grows once per
batch and the batch signs one checkpoint. The clock is read for each command inside that
transaction, under the log's lock, so the time that decides in-time or late is the time of the
entry's place in the log.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof import seal as sealing
from tenderproof.domain import Actor, Event, Refused, decide, evolve
from tenderproof.domain import commands as c
from tenderproof.domain.deciders import related_tender
from tenderproof.domain.events import EventType
from tenderproof.domain.model import BIDDER, ENQUIRIES, SYSTEM, TENDERING, iso, parse_time
from tenderproof.domain.rows import COLLECTIONS, Rows, materialize
from tenderproof.domain.tender import TenderState
from tenderproof.ledger.log import Log
from tenderproof.ocds.packages import DEFAULT_PUBLICATION, Publication
from tenderproof.store import tender_rows
from tenderproof.store.db import Database
from tenderproof.store.documents import DocumentStore
from tenderproof.store.schema import deadlines, events, tenders

from . import envelope, search
from .publication import document_base_url, releases_for
from .unit_of_work import Conflict, Core, UnitOfWork, core_of
from .writer import GroupCommit

log = logging.getLogger(__name__)
# Statements a bid runs, built once (building one costs more than running it on SQLite).
_CORE = sa.select(tenders.c.state).where(tenders.c.id == sa.bindparam("id"))
_NEXT_DUE = sa.select(sa.func.min(deadlines.c.due))

Clock = Callable[[], datetime]
DEADLINE_KINDS = {
    "close_enquiries": lambda tid, _arg: c.CloseEnquiries(tid),
    "close_tendering": lambda tid, _arg: c.CloseTendering(tid),
    "comments": lambda tid, pid: c.LapseProtest(tid, pid),
    "stay": lambda tid, sid: c.EndStay(tid, sid),
}
WORKER = Actor("deadline-worker", SYSTEM)


def utcnow() -> datetime:
    return datetime.now(UTC)


#: Events that change nothing the OCDS releases or the deadlines are made of (tests/app check
#: it on every event of the JEDI replay): no release is computed for them, which would cost a
#: read of the whole tender.
QUIET = frozenset({
    EventType.BID_SUBMITTED, EventType.BID_WITHDRAWN, EventType.COMMAND_REFUSED, EventType.COI_MATCH,
    EventType.COI_DECLARED, EventType.BIDDER_OWNERSHIP_DECLARED, EventType.CONFIDENTIAL_ACCESSED,
    EventType.OPENING_SHARE_SUBMITTED, EventType.INTEGRITY_EMPLOYMENT_CONTACT, EventType.INTEGRITY_INCIDENT,
    EventType.CONTACT_RECORDED, EventType.OFFICIAL_RECUSED, EventType.EVALUATION_RATED, EventType.EVALUATION_CONSENSUS,
    EventType.ACCESS_GRANTED, EventType.ACCESS_REVOKED, EventType.CONFIDENTIAL_GIVEN,
    EventType.OCI_IDENTIFIED, EventType.OCI_RESOLVED, EventType.FAMILY_REGISTERED,
    EventType.DEBRIEFING_REQUESTED,
})


@dataclass(frozen=True)
class Prepared:
    """A sealed part made before its command queued, and its encryption to the opening key."""

    seal: envelope.Sealed
    blob: bytes


@dataclass(frozen=True)
class Logged:
    """One event as committed: its ledger index and public envelope."""

    index: int
    envelope: dict[str, Any]


class Procurement:
    """The procurement service over one installation (log, database, document stores)."""

    def __init__(self, log: Log, data_dir: Path, clock: Clock = utcnow, public_url: str | None = None,
                 publication: Publication = DEFAULT_PUBLICATION) -> None:
        if not isinstance(log.db, Database):  # the group commit needs its cross-process writer lock
            raise TypeError("the procurement service needs a log over the store's Database")
        self.log = log
        self.db = log.db
        self.clock = clock
        # Who publishes the OCDS data, under what terms and ocids (instance.OcdsSettings, if configured).
        self.publication = publication
        self.ocid_prefix = publication.ocid_prefix
        # Releases link their documents under the installation's public URL (instance.Settings), if it has one.
        self.document_base_url = document_base_url(public_url)
        self.public_url = public_url  # packages declare the extensions the server serves under it
        self.documents = DocumentStore(Path(data_dir) / "documents")
        self.private = DocumentStore(Path(data_dir) / "private")
        self.writer = GroupCommit(self)

    # --- reading -----------------------------------------------------------------------------

    def state(self, tender_id: str, conn: Connection | None = None) -> dict | None:
        """The tender's whole state as plain JSON values (collections as dicts and lists), for
        readers. Commands work on `load_for_update`'s lazily read state instead."""
        if conn is None:
            with self.db.reader.connect() as c_:
                return self.state(tender_id, c_)
        text = conn.execute(_CORE, {"id": tender_id}).scalar()
        if text is None:
            return None
        rows = tender_rows.load_all(conn, tender_id)
        return materialize(core_of(text, tender_id) | {name: rows.get(name, {}) for name in COLLECTIONS})

    def events(self, tender_id: str) -> list[Logged]:
        with self.db.reader.connect() as conn:
            rows = conn.execute(
                sa.select(events.c.ledger_index, events.c.envelope)
                .where(events.c.tender_id == tender_id)
                .order_by(events.c.ledger_index)
            )
            return [Logged(int(r.ledger_index), envelope.loads(r.envelope)) for r in rows]

    # --- commands ----------------------------------------------------------------------------

    def execute(self, cmd: c.Command, actor: Actor, *, work: Callable | Sequence[Callable] | None = None,
                prepared: Sequence[Prepared] = ()) -> list[Logged]:
        """Decide and commit `cmd`; returns the events logged. Raises Refused.

        Each `work(conn, state_after, logged)` runs inside the same transaction after the events
        are appended, in order, and may log more (the opening opens every bid in the transaction
        that records the k-th share; the API records its idempotency response last). Deadlines
        due by the command's time fire first, in the same batch. `prepared` are sealed parts the
        caller expects the command's events to have, made before it queued (`prepare`): the batch,
        which every command waits on, then need not encrypt them itself.
        """
        return self.transact(lambda conn, now: self._decide_and_commit(conn, cmd, actor, now, work, prepared))

    def transact(self, body: Callable[[Connection, datetime], Any]) -> Any:
        """Run `body(conn, now)` in the next batch of the group commit; its result once durable."""
        return self.writer.run(body)

    def _decide_and_commit(self, conn: Connection, cmd: c.Command, actor: Actor, now: datetime, work,
                           prepared: Sequence[Prepared] = ()) -> list[Logged]:
        state = self.load_for_update(conn, cmd.tender_id)
        other = related_tender(cmd)  # the vehicle a competition is under, the competition an order is from
        related = self.load_for_update(conn, other) if other is not None else None
        try:
            evs = decide(state, cmd, actor, now, related)
        except Refused as r:
            if r.logged and state is not None:
                # The refused attempt is itself part of the record; it goes in on its own. It does
                # not say which bidder tried to bid, or tried anything before the opening.
                hide = isinstance(cmd, c.SubmitBid) or (actor.role == BIDDER and state["opened"] is None)
                note = Event(EventType.COMMAND_REFUSED, {"command": cmd.name, "code": r.code, "reason": r.reason},
                             extra={"sealed_actor": hide})
                self.commit_events(conn, cmd.tender_id, state, [note], actor, now)
            raise
        logged, after = self.commit_events(conn, cmd.tender_id, state, evs, actor, now, prepared)
        for w in (work if isinstance(work, (list, tuple)) else [work]):
            if w is not None:
                logged += w(conn, after, logged)
        return logged

    def load_for_update(self, conn: Connection, tender_id: str) -> TenderState | None:
        """The tender's state for a command: the core, and each collection read lazily by key
        from `tender_rows` in this transaction (the batch holds the log's lock), both as the
        batch's earlier commands left them (`unit_of_work`)."""
        uow = self.writer.uow
        if uow is None:
            raise RuntimeError("a tender is loaded for update only inside a batch of the group commit")
        core = uow.core(conn, tender_id)
        if core is None:
            return None
        # The stored core and one Rows per collection: what `domain.tender.TenderState` lists.
        return cast(TenderState, core.state | {name: Rows(uow.table(conn, tender_id, name)) for name in COLLECTIONS})

    def prepare(self, tender_id: str, content: dict[str, Any]) -> Prepared | None:
        """A sealed part for `content` made ahead, with its encryption to the tender's opening
        key; None if the tender has no opening key."""
        core = self.core(tender_id)
        if core is None or not _before_opening(core):
            return None
        seal = envelope.Sealed.of(content)
        return Prepared(seal, self._seal_to_opening(tender_id, core, seal))

    def core(self, tender_id: str) -> dict | None:
        """The small core of a tender's state (no collections): one row, for a quick look."""
        with self.db.reader.connect() as conn:
            text = conn.execute(_CORE, {"id": tender_id}).scalar()
        return None if text is None else core_of(text, tender_id)

    def commit_events(
        self, conn: Connection, tender_id: str, state: TenderState | None, evs: Sequence[Event], actor: Actor,
        now: datetime, prepared: Sequence[Prepared] = (),
    ) -> tuple[list[Logged], TenderState]:
        """Append `evs` to the ledger and fold them into the projections, in `conn`'s transaction.

        What would name a bidder before the opening (`sealed_actor`, `sealed_content`) is stored
        sealed to the tender's opening key, and folded without it: the state never holds it
        until the opening reveals it, so neither does any projection."""
        seq0 = state["events"] if state else 0
        envs: list[dict[str, Any]] = []
        steps: list[tuple[TenderState | None, TenderState]] = []
        private: list[dict[str, Any]] = []
        ready = {envelope.canonical(p.seal.content): p for p in prepared}
        s = state
        for i, ev in enumerate(evs):
            hide_actor = bool(ev.extra.get("sealed_actor"))
            mine = ready.get(envelope.canonical(envelope.content_of(ev.confidential, actor.as_dict(), hide_actor)))
            env, seal = envelope.build(
                type=ev.type, tender=tender_id, seq=seq0 + i + 1, time=iso(ev.at or now), actor=actor.as_dict(),
                payload=ev.payload, confidential=ev.confidential, seal_actor=hide_actor,
                prepared=mine.seal if mine else None,
            )
            until_opening = (hide_actor or bool(ev.extra.get("sealed_content"))) and _before_opening(s)
            before, s = s, evolve(s, envelope.full_event(env, None if until_opening or seal is None else seal.content))
            envs.append(env)
            steps.append((before, s))
            if seal is not None:
                blob = None
                if until_opening:
                    blob = mine.blob if mine and mine.seal is seal else self._seal_to_opening(tender_id, s, seal)
                private.append(self._private_row(tender_id, seal, blob))
        if s is None:
            raise ValueError(f"no events to commit for tender {tender_id}")
        first = self.writer.reserve(conn, [envelope.canonical(env) for env in envs])  # only inside a batch
        logged = [Logged(first + i, env) for i, env in enumerate(envs)]
        uow = self.writer.uow
        assert uow is not None
        if private:
            uow.insert("confidential", private)
        self.project(conn, tender_id, seq0, logged, steps, uow)
        return logged, s

    @staticmethod
    def _seal_to_opening(tender_id: str, state: Mapping[str, Any], seal: envelope.Sealed) -> bytes:
        key = base64.b64decode(state["opening"]["public_key"])
        return sealing.seal_record(tender_id, key, envelope.canonical(
            {"salt": base64.b64encode(seal.salt).decode(), "content": seal.content}))

    @staticmethod
    def _private_row(tender_id: str, seal: envelope.Sealed, sealed_blob: bytes | None) -> dict[str, Any]:
        row = {"commitment": seal.commitment, "tender_id": tender_id}
        if sealed_blob is None:
            return row | {"salt": seal.salt, "content": envelope.canonical(seal.content).decode(), "sealed": None,
                          "until_opening": False}
        return row | {"salt": b"", "content": "", "sealed": sealed_blob, "until_opening": True}

    def project(self, conn: Connection, tender_id: str, seq0: int, logged: list[Logged],
                steps: Sequence[tuple[TenderState | None, TenderState]], uow: UnitOfWork | None = None) -> None:
        """Update every projection for events just appended (also used by rebuild): into the
        batch's unit of work, or at once when there is none. Writes only the rows the events
        changed, and computes releases and deadlines only for events that can change them."""
        direct = uow is None
        uow = uow or UnitOfWork()
        final = steps[-1][1]
        uow.insert("events", [
            {"ledger_index": lg.index, "tender_id": tender_id, "seq": lg.envelope["seq"], "type": lg.envelope["type"],
             "time": lg.envelope["time"], "envelope": envelope.canonical(lg.envelope).decode()} for lg in logged])
        loud = [(lg, step) for lg, step in zip(logged, steps, strict=True) if lg.envelope["type"] not in QUIET]
        rels = []
        for lg, (before, after) in loud:
            rels += releases_for(before, after, lg.envelope, lg.index, self.ocid_prefix, self.document_base_url)
        if rels:
            uow.insert("ocds_releases", [{"id": r["id"], "tender_id": tender_id, "ledger_index": idx,
                                          "release": envelope.canonical(r).decode()} for idx, r in rels])
        collections: Mapping[str, Any] = final  # read by name
        for name in COLLECTIONS:
            if changed := collections[name].changes():
                uow.put_rows(tender_id, name, changed)
        prev = uow.cores.get(tender_id)
        if prev is not None and prev.seq != seq0:
            raise Conflict(f"tender {tender_id} changed under this command")
        core = {k: v for k, v in final.items() if k not in COLLECTIONS}
        row = {"status": final["status"], "seq": final["events"], "title": final["title"],
               "state": envelope.dumps_state(core), **search.columns(core)}
        uow.put_core(tender_id, Core(core, final["events"], prev.stored_seq if prev else seq0, row))
        if loud:
            due = deadlines_of(final)
            uow.replace("deadlines", tender_id, [{"tender_id": tender_id, "kind": k, "due": t} for k, t in due.items()])
            # What a tender is found by changes only with events that change a release (app.search).
            uow.replace("tender_terms", tender_id, search.terms(final))
            if due:
                self.writer.due_at(min(due.values()))
        if direct:
            uow.flush(conn)

    # --- the deadline worker -----------------------------------------------------------------

    def run_deadlines(self, now: datetime | None = None, tender_id: str | None = None) -> list[Logged]:
        """Fire every deadline due by `now` (default: the clock), soonest first, each exactly once.

        Safe to run from any number of processes and after any restart: a deadline fires by a
        status transition under the tender's compare-and-swap, so a second attempt is refused
        by the rules and simply skipped.
        """
        fixed = now

        def fire(conn: Connection, now_: datetime) -> list[Logged]:
            early = [lg for lg in self.writer.fired() if tender_id is None or lg.envelope["tender"] == tender_id]
            return early + self.fire_due(conn, fixed or now_, tender_id)

        return self.transact(fire)

    def next_due(self, conn: Connection) -> str | None:
        """The earliest deadline of any tender (RFC 3339 UTC), or None."""
        return conn.execute(_NEXT_DUE).scalar()

    def fire_due(self, conn: Connection, now: datetime, tender_id: str | None = None) -> list[Logged]:
        """In `conn`'s transaction: fire the deadlines due by `now`, each in a savepoint."""
        fired: list[Logged] = []
        q = sa.select(deadlines.c.tender_id, deadlines.c.kind, deadlines.c.due).where(
            deadlines.c.due <= iso(now)).order_by(deadlines.c.due, deadlines.c.tender_id, deadlines.c.kind)
        if tender_id is not None:
            q = q.where(deadlines.c.tender_id == tender_id)
        seen: set[tuple[str, str]] = set()
        while True:
            if self.writer.uow is not None:
                self.writer.uow.flush(conn)  # the deadlines table as the batch (and each firing) left it
            due = [r for r in conn.execute(q) if (r.tender_id, r.kind) not in seen]
            if not due:
                return fired
            r = due[0]
            seen.add((r.tender_id, r.kind))
            kind, _, arg = r.kind.partition(":")
            cmd = DEADLINE_KINDS[kind](r.tender_id, arg)
            try:
                fire = partial(self._decide_and_commit, conn, cmd, WORKER, now, None)
                fired += self.writer.savepoint(conn, fire, default=[])
            except Exception:  # one broken deadline must not hold up every command behind it
                log.exception("deadline %s of tender %s could not fire", r.kind, r.tender_id)


def _before_opening(state: Mapping[str, Any] | None) -> bool:
    return bool(state and state.get("opening") and state.get("opened") is None)


def deadlines_of(state: Mapping[str, Any]) -> dict[str, str]:
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
