"""The read side: every query the API and the portal run against the tables, one way each.

The API and the portal both read through here, so a search, a page of tenders or the change
feed cannot mean one thing over JSON and another in HTML. What leaves is public: a tender's
state only through `public_view`, envelopes as logged, releases as published. What a search
matches and how it is ordered is `app.search`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof.domain.events import EventType
from tenderproof.domain.rows import COLLECTIONS, materialize
from tenderproof.store.schema import events, tender_rows, tenders

from . import search as searching
from .public import public_order, public_view, vehicle_parts
from .publication import stored_releases
from .search import Search, conditions, sort_key
from .service import Logged, Procurement
from .unit_of_work import core_of

#: The API and the portal read a search's parameters through these (app.search).
search_from_params = searching.from_params
search_params = searching.params

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
    published: str | None = None


@dataclass(frozen=True)
class TenderList:
    """A page of tenders in the search's order, and whether there are more on either side."""

    items: list[TenderRow]
    has_prev: bool
    has_next: bool


class UnknownCursor(ValueError):
    """A page was asked for after (or before) a tender that does not exist, in an order other
    than the identifier's (where any text is a place to start)."""


_LISTED = (tenders.c.id, tenders.c.title, tenders.c.status, tenders.c.state)


def _search(search: Search | str, status: str) -> Search:
    """`search` as a `Search`; a plain text is a free-text search (and `status` its filter)."""
    if isinstance(search, Search):
        return replace(search, status=status) if status else search
    return Search(q=search, status=status)


def _row(tender_id: str, title: str, status: str, core_text: str | None) -> TenderRow:
    if not core_text:
        return TenderRow(tender_id, title, status)
    core = json.loads(core_text)
    return TenderRow(tender_id, title, status, buyer=core["buyer"].get("name", ""),
                     deadline=core["periods"].get("tender_end"), value=core["value"],
                     award=core["awards"][-1]["supplier"]["name"] if core["awards"] else None,
                     published=core.get("published"))


def _keyset(conn: Connection, key: tuple[sa.ColumnElement[Any], ...], tender_id: str, later: bool
            ) -> sa.ColumnElement[bool]:
    """The tenders after (`later`) or before `tender_id` in the order of `key`."""
    if len(key) == 1:  # the identifier's own order: any text is a place
        return key[0] > tender_id if later else key[0] < tender_id
    place = conn.execute(sa.select(*key).where(tenders.c.id == tender_id)).first()
    if place is None:
        raise UnknownCursor(f"no tender {tender_id} to page from")
    row, at = sa.tuple_(*key), sa.tuple_(*(sa.literal(v) for v in place))
    return row > at if later else row < at


def find_tenders(p: Procurement, search: Search | str = "", status: str = "", *, after: str = "",
                 before: str = "", limit: int = 50) -> TenderList:
    """Up to `limit` tenders that `search` finds (`app.search`; a text is a free-text search), in
    its order: the first ones after the tender `after`, or the last ones before `before` (keyset
    paging on the order's index: stable while tenders are added)."""
    s = _search(search, status)
    where, key = conditions(s), sort_key(s)
    backwards = bool(before) and not after
    descending = s.desc != backwards  # the direction the index is read in
    with p.db.reader.connect() as conn:
        if after or before:
            where.append(_keyset(conn, key, after or before, later=not descending))
        order = [c.desc() if descending else c.asc() for c in key]
        rows = list(conn.execute(sa.select(*_LISTED).where(*where).order_by(*order).limit(limit + 1)))
    page = [_row(*r) for r in rows[:limit]]
    if backwards:
        return TenderList(page[::-1], has_prev=len(rows) > limit, has_next=True)
    return TenderList(page, has_prev=bool(after), has_next=len(rows) > limit)


def count_tenders(p: Procurement, search: Search | str = "", status: str = "") -> int:
    with p.db.reader.connect() as conn:
        query = sa.select(sa.func.count()).select_from(tenders).where(*conditions(_search(search, status)))
        return conn.execute(query).scalar() or 0


def tenders_by_status(p: Procurement) -> dict[str, int]:
    with p.db.reader.connect() as conn:
        return {row.status: int(row.n) for row in conn.execute(
            sa.select(tenders.c.status, sa.func.count().label("n")).group_by(tenders.c.status))}


#: A vehicle's orders are read a page at a time (`vehicle_orders`), never all with its state: a
#: vehicle may hold 10,000 of them (issue 14). `public_view` reads neither collection.
PAGED = ("orders", "order_competitions")
_WITH_STATE = tuple(k for k in COLLECTIONS if k not in PAGED)


def public_tender(p: Procurement, tender_id: str) -> dict[str, Any] | None:
    """What anyone may see of a tender (`public_view`), or None if there is no such tender. The
    state is read without its paged collections (`PAGED`)."""
    r = tender_rows.c
    with p.db.reader.connect() as conn:
        text = conn.execute(sa.select(tenders.c.state).where(tenders.c.id == tender_id)).scalar()
        if text is None:
            return None
        rows: dict[str, dict[str, Any]] = {}
        for row in conn.execute(sa.select(r.kind, r.key, r.row).where(r.tender_id == tender_id,
                                                                      r.kind.in_(_WITH_STATE))):
            rows.setdefault(row.kind, {})[row.key] = json.loads(row.row)
    state = materialize(core_of(text, tender_id) | {k: dict(sorted(rows.get(k, {}).items())) for k in COLLECTIONS})
    return public_view(state)


def tender_titles(p: Procurement, ids: list[str]) -> dict[str, str]:
    """The titles of those of `ids` that are tenders of this log (a related process may not be)."""
    if not ids:
        return {}
    with p.db.reader.connect() as conn:
        return {r.id: r.title for r in conn.execute(sa.select(tenders.c.id, tenders.c.title)
                                                    .where(tenders.c.id.in_(ids[:100])))}


# --- contract vehicles ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderPage:
    """Orders of a vehicle, newest first (`public_order`, each with `index`: its event's ledger
    index), and the cursors of the pages on either side: order sequence numbers, or None."""

    items: list[dict[str, Any]]
    newer: int | None  # ask `after=newer` for the newer orders
    older: int | None  # ask `before=older` for the older ones


def vehicle_orders(p: Procurement, vehicle_id: str, *, before: int | None = None, after: int | None = None,
                   limit: int = 25) -> OrderPage:
    """Up to `limit` orders of a vehicle, newest first: the latest, or those placed before (or
    after) the event with sequence number `before` (`after`). Keyset paging on the index of
    (tender, seq): a page reads `limit` + 1 events and `limit` order rows, however many orders."""
    e, r = events.c, tender_rows.c
    backwards = after is not None and before is None
    where = [e.tender_id == vehicle_id, e.type == EventType.ORDER_PLACED]
    if before is not None:
        where.append(e.seq < before)
    elif after is not None:
        where.append(e.seq > after)
    with p.db.reader.connect() as conn:
        found = conn.execute(sa.select(e.ledger_index, e.seq, e.envelope).where(*where)
                             .order_by(e.seq.asc() if backwards else e.seq.desc()).limit(limit + 1)).all()
        more = len(found) > limit
        found = sorted(found[:limit], key=lambda x: -x.seq)
        ids = [json.loads(x.envelope)["payload"]["id"] for x in found]
        stored = {x.key: json.loads(x.row) for x in conn.execute(sa.select(r.key, r.row).where(
            r.tender_id == vehicle_id, r.kind == "orders", r.key.in_(ids)))} if ids else {}
    items = [public_order(stored[i]) | {"index": int(x.ledger_index)}
             for i, x in zip(ids, found, strict=True) if i in stored]
    if not items:
        return OrderPage([], None, None)
    has_newer = more if backwards else before is not None
    has_older = True if backwards else more
    return OrderPage(items, items[0]["seq"] if has_newer else None, items[-1]["seq"] if has_older else None)


def order_competition(p: Procurement, tender_id: str, vehicle_id: str) -> dict[str, Any] | None:
    """What the page of a competition for an order shows of its vehicle: its title, public terms
    and parties (`vehicle_parts`), and the order the competition gave, if one was placed (with
    its event's ledger index). None if the vehicle is not in this log."""
    r, e = tender_rows.c, events.c

    def row(kind: str, key: str) -> Any:
        text = conn.execute(sa.select(r.row).where(r.tender_id == vehicle_id, r.kind == kind, r.key == key)).scalar()
        return None if text is None else json.loads(text)

    with p.db.reader.connect() as conn:
        found = conn.execute(sa.select(tenders.c.title, tenders.c.state).where(tenders.c.id == vehicle_id)).first()
        if found is None:
            return None
        given = row("order_competitions", tender_id)
        order = row("orders", given) if isinstance(given, str) else None
        index = None if order is None else conn.execute(
            sa.select(e.ledger_index).where(e.tender_id == vehicle_id, e.seq == order["seq"])).scalar()
    vehicle = vehicle_parts(core_of(found.state, vehicle_id)).get("vehicle")
    return {"id": vehicle_id, "title": found.title, "vehicle": vehicle,
            "order": None if order is None else public_order(order) | {"index": index}}


# --- events -----------------------------------------------------------------------------------


def tender_events(p: Procurement, tender_id: str, *, without: tuple[str, ...] = ()) -> list[Logged]:
    """A tender's events as logged, in ledger order (empty if there is no such tender); those of
    the types `without` left out (a vehicle's page reads its orders a page at a time instead)."""
    if not without:
        return p.events(tender_id)
    e = events.c
    with p.db.reader.connect() as conn:
        rows = conn.execute(sa.select(e.ledger_index, e.envelope)
                            .where(e.tender_id == tender_id, e.type.not_in(without)).order_by(e.ledger_index))
        return [Logged(int(r.ledger_index), json.loads(r.envelope)) for r in rows]


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
