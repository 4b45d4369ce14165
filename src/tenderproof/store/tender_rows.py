"""A tender's collections (bids, enquiries, refusals, …) as rows of table `tender_rows`.

`TableRows` is the stored base of one collection, read lazily inside a transaction: a lookup by
key is one primary-key read, and only iterating reads the whole collection (once, then cached).
So a bid on a tender with 10,000 bids reads and writes a handful of rows (issue 10).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from .schema import tender_rows

_MISSING = object()
_t = tender_rows.c
# Built once: a bid runs these many times, and building a statement costs more than running it.
_ONE = sa.select(_t.row).where(_t.tender_id == sa.bindparam("t"), _t.kind == sa.bindparam("k"),
                               _t.key == sa.bindparam("key"))
_ALL = sa.select(_t.key, _t.row).where(_t.tender_id == sa.bindparam("t"), _t.kind == sa.bindparam("k"))


def dumps(value: Any) -> str:
    """Rows as stored: keys sorted, so a rebuilt row equals the live one byte for byte."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class TableRows(Mapping[str, Any]):
    """The rows of one collection of one tender, over `conn` (valid while its transaction is),
    under `overlay`: rows written in this transaction but not yet to the table (a batch's)."""

    def __init__(self, conn: Connection, tender_id: str, kind: str, overlay: dict[str, Any] | None = None) -> None:
        self._conn, self._tender, self._kind = conn, tender_id, kind
        self._overlay: dict[str, Any] = {} if overlay is None else overlay
        self._cache: dict[str, Any] = {}
        self._complete = False

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._overlay:
            return self._overlay[key]
        got = self._cache.get(key, _MISSING)
        if got is _MISSING:
            if self._complete:
                return default
            text = self._conn.execute(_ONE, {"t": self._tender, "k": self._kind, "key": key}).scalar()
            got = self._cache[key] = None if text is None else json.loads(text)
        return default if got is None else got

    def __getitem__(self, key: str) -> Any:
        got = self.get(key, _MISSING)
        if got is _MISSING:
            raise KeyError(key)
        return got

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _MISSING) is not _MISSING

    def _load_all(self) -> None:
        if not self._complete:
            rows = self._conn.execute(_ALL, {"t": self._tender, "k": self._kind})
            self._cache = {r.key: json.loads(r.row) for r in rows}
            self._complete = True

    def flushed(self) -> None:
        """The overlay's rows are in the table now: keep them as read."""
        self._cache.update(self._overlay)

    def forget(self) -> None:
        """Read everything again from the table (a rollback changed it)."""
        self._cache, self._complete = {}, False

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return iter(sorted(self._cache.keys() | self._overlay.keys()))

    def __len__(self) -> int:
        self._load_all()
        return len(self._cache.keys() | self._overlay.keys())


def load_all(conn: Connection, tender_id: str) -> dict[str, dict[str, Any]]:
    """Every row of a tender, by collection: {kind: {key: row}} (for readers)."""
    out: dict[str, dict[str, Any]] = {}
    t = tender_rows.c
    for r in conn.execute(sa.select(t.kind, t.key, t.row).where(t.tender_id == tender_id).order_by(t.kind, t.key)):
        out.setdefault(r.kind, {})[r.key] = json.loads(r.row)
    return out


def write(conn: Connection, tender_id: str, changes: dict[str, dict[str, Any]]) -> None:
    """Insert or replace the changed rows {kind: {key: row}}, one statement for all."""
    values = [{"tender_id": tender_id, "kind": kind, "key": key, "row": dumps(row)}
              for kind, rows in changes.items() for key, row in rows.items()]
    if not values:
        return
    conn.execute(_UPSERT[conn.dialect.name], values)


def _upsert(dialect) -> sa.Insert:
    stmt = dialect.insert(tender_rows)
    return stmt.on_conflict_do_update(index_elements=["tender_id", "kind", "key"], set_={"row": stmt.excluded.row})


_UPSERT = {"sqlite": _upsert(sqlite), "postgresql": _upsert(postgresql)}
