"""The read side: every query the API and the portal run against the tables, one way each.

The API and the portal both read through here, so a search, a page of tenders or the change
feed cannot mean one thing over JSON and another in HTML. What leaves is public: a tender's
state only through `public_view`, envelopes as logged, releases as published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tenderproof.store.schema import events, tenders

from .public import public_view
from .publication import stored_releases
from .service import Logged, Procurement

# --- tenders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderRow:
    """One tender in a list, from the public fields of its core."""

    id: str
    title: str
    status: str
    buyer: str = ""
    deadline: str | None = None
    value: dict[str, Any] | None = None
    award: str | None = None  # the latest award's supplier


@dataclass(frozen=True)
class TenderList:
    """A page of tenders in identifier order, and whether there are more on either side."""

    items: list[TenderRow]
    has_prev: bool
    has_next: bool


_LISTED = (tenders.c.id, tenders.c.title, tenders.c.status, tenders.c.state)


def _matching(search: str, status: str) -> list[sa.ColumnElement[bool]]:
    """A search is a case-insensitive part of the title or the identifier, taken literally:
    `%`, `_` and the escape character match themselves (`autoescape`), not any text."""
    where: list[sa.ColumnElement[bool]] = []
    if search:
        needle = search.lower()
        where.append(sa.or_(sa.func.lower(tenders.c.title).contains(needle, autoescape=True),
                            sa.func.lower(tenders.c.id).contains(needle, autoescape=True)))
    if status:
        where.append(tenders.c.status == status)
    return where


def _row(tender_id: str, title: str, status: str, core_text: str | None) -> TenderRow:
    if not core_text:
        return TenderRow(tender_id, title, status)
    core = json.loads(core_text)
    return TenderRow(tender_id, title, status, buyer=core["buyer"].get("name", ""),
                     deadline=core["periods"].get("tender_end"), value=core["value"],
                     award=core["awards"][-1]["supplier"]["name"] if core["awards"] else None)


def find_tenders(p: Procurement, search: str = "", status: str = "", *, after: str = "", before: str = "",
                 limit: int = 50) -> TenderList:
    """Up to `limit` tenders matching `search` and `status`: the first ones after the identifier
    `after`, or the last ones before `before` (keyset paging: stable while tenders are added)."""
    where = _matching(search, status)
    with p.db.reader.connect() as conn:
        if before:
            rows = list(conn.execute(sa.select(*_LISTED).where(*where, tenders.c.id < before)
                                     .order_by(tenders.c.id.desc()).limit(limit + 1)))
            return TenderList([_row(*r) for r in rows[:limit][::-1]], has_prev=len(rows) > limit, has_next=True)
        if after:
            where.append(tenders.c.id > after)
        rows = list(conn.execute(sa.select(*_LISTED).where(*where).order_by(tenders.c.id).limit(limit + 1)))
    return TenderList([_row(*r) for r in rows[:limit]], has_prev=bool(after), has_next=len(rows) > limit)


def count_tenders(p: Procurement, search: str = "", status: str = "") -> int:
    with p.db.reader.connect() as conn:
        query = sa.select(sa.func.count()).select_from(tenders).where(*_matching(search, status))
        return conn.execute(query).scalar() or 0


def tenders_by_status(p: Procurement) -> dict[str, int]:
    with p.db.reader.connect() as conn:
        return {row.status: int(row.n) for row in conn.execute(
            sa.select(tenders.c.status, sa.func.count().label("n")).group_by(tenders.c.status))}


def public_tender(p: Procurement, tender_id: str) -> dict[str, Any] | None:
    """What anyone may see of a tender (`public_view`), or None if there is no such tender."""
    state = p.state(tender_id)
    return None if state is None else public_view(state)


# --- events -----------------------------------------------------------------------------------


def tender_events(p: Procurement, tender_id: str) -> list[Logged]:
    """A tender's events as logged, in ledger order (empty if there is no such tender)."""
    return p.events(tender_id)


def feed(p: Procurement, after: int = -1, limit: int = 100) -> list[Logged]:
    """The change feed: up to `limit` events of every tender after ledger index `after`, in order."""
    e = events.c
    with p.db.reader.connect() as conn:
        rows = conn.execute(sa.select(e.ledger_index, e.envelope).where(e.ledger_index > after)
                            .order_by(e.ledger_index).limit(limit)).all()
    return [Logged(r.ledger_index, json.loads(r.envelope)) for r in rows]


@dataclass(frozen=True)
class EventPlace:
    """Where a logged event sits in its tender's history."""

    tender_id: str
    prev: int | None  # ledger index of the tender's event before it
    next: int | None  # and after it


def event_place(p: Procurement, index: int) -> EventPlace | None:
    """The tender of the event at ledger index `index` and its neighbours; None for an entry that
    is not a tender's event."""
    e = events.c
    with p.db.reader.connect() as conn:
        row = conn.execute(sa.select(e.tender_id, e.seq).where(e.ledger_index == index)).first()
        if row is None:
            return None

        def neighbour(cond: sa.ColumnElement[bool], order: Any) -> int | None:
            return conn.execute(sa.select(e.ledger_index).where(e.tender_id == row.tender_id, cond)
                                .order_by(order).limit(1)).scalar()

        return EventPlace(row.tender_id, neighbour(e.seq < row.seq, e.seq.desc()), neighbour(e.seq > row.seq, e.seq))


def last_event_index(p: Procurement) -> int | None:
    with p.db.reader.connect() as conn:
        return conn.execute(sa.select(sa.func.max(events.c.ledger_index))).scalar()


# --- OCDS -------------------------------------------------------------------------------------


def releases(p: Procurement, ocid: str | None = None) -> list[dict[str, Any]]:
    """Every published OCDS release (of one contracting process, if given), in ledger order."""
    return [r for r in stored_releases(p) if ocid is None or r["ocid"] == ocid]
