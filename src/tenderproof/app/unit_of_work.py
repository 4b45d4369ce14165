"""What a batch's commands write to the projections, held until the batch ends (issue 10).

A bid that wrote its event row, its tender's core, its bid row and its confidential part one
statement at a time spent most of its time in the batch on statements. Here the writes of every
command of a batch go into one `UnitOfWork`, which later commands of the batch read through (the
tender's core; its rows, over `tender_rows`), and which writes everything at the end of the
batch with one statement per table. A refused command's writes are undone in memory, as its
savepoint undoes its other writes in the database. Anything that reads the projection tables
themselves inside a batch (the deadline worker, the opening) flushes it first; a flush that a
failed command's savepoint takes back is made pending again. The rebuild uses a
unit of work of its own per event, flushed at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof.store import tender_rows
from tenderproof.store.schema import confidential, deadlines, events, ocds_releases, tender_terms, tenders

from . import envelope

_INSERT = {t.name: sa.insert(t) for t in (events, confidential, ocds_releases, deadlines, tender_terms, tenders)}
_CORE = sa.select(tenders.c.seq, tenders.c.state).where(tenders.c.id == sa.bindparam("id"))
_UPDATE_TENDER = sa.update(tenders).where(tenders.c.id == sa.bindparam("tid"), tenders.c.seq == sa.bindparam("seq0"))
_MISSING = object()
#: The tables a batch only inserts into (the others it also updates or replaces).
_INSERTED = ("events", "confidential", "ocds_releases")
#: The tables whose rows of a tender are replaced all at once (deleted, then inserted).
_REPLACED = {t.name: t for t in (deadlines, tender_terms)}


class StaleProjection(RuntimeError):
    """The projections were written before a tender's collections became rows of their own."""


def core_of(text: str, tender_id: str) -> dict[str, Any]:
    """A tender's stored core. Projections written before migration 0006 kept the whole state in
    the row: reading them as a core would lose the bids, so they are refused instead."""
    core = envelope.loads(text)
    if "bids" in core:
        raise StaleProjection(f"the projection of tender {tender_id} predates schema 0006; "
                              "run `tenderproof rebuild` to rebuild it from the log")
    return core


class Conflict(RuntimeError):
    """Another writer changed the tender or the log first; the batch is run again."""


@dataclass(frozen=True)
class Core:
    """A tender's core state as last written, its event count, and the event count of the row in
    the table (0: no row yet); `row` is the tenders row to write, None if the table has it."""

    state: dict[str, Any]
    seq: int
    stored_seq: int
    row: dict[str, Any] | None = None


class UnitOfWork:
    def __init__(self) -> None:
        self.cores: dict[str, Core] = {}
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}  # (tender, kind) -> key -> row
        self.inserts: dict[str, list[dict[str, Any]]] = {name: [] for name in _INSERTED}
        self.replaced: dict[str, dict[str, list[dict[str, Any]]]] = {t: {} for t in _REPLACED}  # table -> tender
        self._tables: dict[tuple[str, str], tender_rows.TableRows] = {}
        self._undo: list[Callable[[], None]] = []
        self._flushes = 0
        self._backups: list[_Backup] = []

    # --- reading through ------------------------------------------------------------------------

    def core(self, conn: Connection, tender_id: str) -> Core | None:
        got = self.cores.get(tender_id)
        if got is None:
            row = conn.execute(_CORE, {"id": tender_id}).first()
            if row is None:
                return None
            got = self.cores[tender_id] = Core(core_of(row.state, tender_id), int(row.seq), int(row.seq))
        return got

    def table(self, conn: Connection, tender_id: str, kind: str) -> tender_rows.TableRows:
        key = (tender_id, kind)
        if key not in self._tables:
            self._tables[key] = tender_rows.TableRows(conn, tender_id, kind, self.rows.setdefault(key, {}))
        return self._tables[key]

    # --- writing ----------------------------------------------------------------------------------

    def put_core(self, tender_id: str, core: Core) -> None:
        old = self.cores.get(tender_id, _MISSING)
        self.cores[tender_id] = core
        self._undo.append(lambda: self._restore(self.cores, tender_id, old))

    def put_rows(self, tender_id: str, kind: str, rows: dict[str, Any]) -> None:
        overlay = self.rows.setdefault((tender_id, kind), {})
        for key, row in rows.items():
            old = overlay.get(key, _MISSING)
            overlay[key] = row
            self._undo.append(partial(self._restore, overlay, key, old))

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        target = self.inserts[table]
        n = len(target)
        target += rows
        self._undo.append(lambda: target.__delitem__(slice(n, None)))

    def replace(self, table: str, tender_id: str, rows: list[dict[str, Any]]) -> None:
        """All of a tender's rows of `table` (`_REPLACED`: its deadlines, its search terms)."""
        old = self.replaced[table].get(tender_id, _MISSING)
        self.replaced[table][tender_id] = rows
        self._undo.append(lambda: self._restore(self.replaced[table], tender_id, old))

    @staticmethod
    def _restore(d: dict, key: Any, old: Any) -> None:
        if old is _MISSING:
            d.pop(key, None)
        else:
            d[key] = old

    # --- savepoints and the end of the batch ----------------------------------------------------

    def mark(self) -> tuple[int, int]:
        return len(self._undo), self._flushes

    def rollback(self, mark: tuple[int, int]) -> None:
        """Undo what was written since `mark`, as the database's savepoint undoes its part.

        If the unit was flushed since, the savepoint's rollback took the flushed rows back out of
        the tables, the earlier commands' with the failed one's: what the first such flush wrote
        becomes pending again, and the journal then undoes what came after `mark`."""
        n, flushes = mark
        if flushes != self._flushes:
            backup = self._backups[flushes]
            del self._backups[flushes:]
            self._flushes = flushes
            del self._undo[backup.undo:]
            self.cores, self.inserts, self.replaced = backup.cores, backup.inserts, backup.replaced
            for key, overlay in self.rows.items():
                overlay.clear()
                overlay.update(backup.rows.get(key, {}))
            for table in self._tables.values():
                table.forget()  # it may hold rows the rollback took out
        while len(self._undo) > n:
            self._undo.pop()()

    def flush(self, conn: Connection) -> None:
        """Write everything so far, one statement per table (updates of cores: one each)."""
        for name, rows in self.inserts.items():
            if rows:
                conn.execute(_INSERT[name], rows)
        by_tender: dict[str, dict[str, dict[str, Any]]] = {}
        for (tid, kind), overlay in self.rows.items():
            if overlay:
                by_tender.setdefault(tid, {})[kind] = overlay
        for tid, kinds in by_tender.items():
            tender_rows.write(conn, tid, kinds)
        new = [{"id": tid, **c.row} for tid, c in self.cores.items() if c.row is not None and not c.stored_seq]
        if new:
            conn.execute(_INSERT["tenders"], new)
        for tid, c in self.cores.items():
            if c.row is None or not c.stored_seq:
                continue  # unchanged, or inserted above
            if conn.execute(_UPDATE_TENDER, {**c.row, "tid": tid, "seq0": c.stored_seq}).rowcount != 1:
                raise Conflict(f"tender {tid} changed under this batch")
        for name, by_tender_rows in self.replaced.items():
            if by_tender_rows:
                replaced = _REPLACED[name]
                conn.execute(sa.delete(replaced).where(replaced.c.tender_id.in_(list(by_tender_rows))))
                rows = [r for rs in by_tender_rows.values() for r in rs]
                if rows:
                    conn.execute(_INSERT[name], rows)
        # Kept in case a savepoint this flush ran in is rolled back (see `rollback`).
        self._backups.append(_Backup(len(self._undo), self.cores, {k: dict(v) for k, v in self.rows.items()},
                                     self.inserts, self.replaced))
        self._flushes += 1
        # What was written is in the tables now: keep reading it from the caches.
        for table in self._tables.values():
            table.flushed()
        for overlay in self.rows.values():
            overlay.clear()
        self.cores = {tid: Core(c.state, c.seq, c.seq) for tid, c in self.cores.items()}
        self.inserts = {name: [] for name in self.inserts}
        self.replaced = {t: {} for t in _REPLACED}


@dataclass(frozen=True)
class _Backup:
    """The unit of work as one flush found it, and the journal's length then."""

    undo: int
    cores: dict[str, Core]
    rows: dict[tuple[str, str], dict[str, Any]]
    inserts: dict[str, list[dict[str, Any]]]
    replaced: dict[str, dict[str, list[dict[str, Any]]]]
