"""The collections of a tender's state that grow with activity, as copy-on-write mappings.

A tender with 10,000 bids must not cost 10,000 bids' worth of work per new bid (issue 10). So the
state is split: a small *core* (title, periods, panel, status, …) and `Rows` — bids, enquiries,
refusals, declarations, contacts, … — each a mapping from a key to one JSON row. `evolve` copies
the core and gives each collection a new layer over the old one; an event writes only the rows it
touches. The app layer stores each row on its own (table `tender_rows`) and reads rows lazily, by
key, inside the command's transaction, so a bid reads and writes O(1) rows.

Rows never mutate a row in place: `put` stores a new row, so an earlier state stays what it was
(`decide` and `evolve` never change their input).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, cast, overload

Row = Any  # one JSON value: a dict for most collections, a list of revisions for ratings
R = TypeVar("R")
T = TypeVar("T")

#: The collections of the state, by name. Everything else in the state is the core.
COLLECTIONS = (
    "bids", "enquiries", "refusals", "declarations", "ratings", "consensus", "debriefings", "protests", "stays",
    "litigation", "ownership", "recusals", "coi_matches", "employment_contacts", "contacts", "incidents", "disclosed",
    "ocis", "families", "official_acts",
    "debriefing_requests", "orders", "order_competitions",
)
#: Collections that are lists in the record's order: keyed by `seq_key`, read as lists.
LISTS = ("refusals", "coi_matches", "employment_contacts", "contacts", "incidents", "disclosed", "official_acts")


class Rows(Mapping[str, R]):
    """One collection: the rows of `base` (any mapping: a dict, a table, an older Rows) under this
    layer's own changes. `put` and `patch` write to this layer only."""

    __slots__ = ("_base", "_changes")

    def __init__(self, base: Mapping[str, R] | None = None) -> None:
        self._base: Mapping[str, R] = {} if base is None else base
        self._changes: dict[str, R] = {}

    def layer(self) -> Rows[R]:
        """A new Rows over this one (what `evolve` gives the next state)."""
        return Rows(self)

    def __getitem__(self, key: str) -> R:
        if key in self._changes:
            return self._changes[key]
        return self._base[key]

    @overload
    def get(self, key: str, /) -> R | None: ...
    @overload
    def get(self, key: str, /, default: R | T) -> R | T: ...

    def get(self, key: str, /, default: Any = None) -> Any:
        if key in self._changes:
            return self._changes[key]
        return self._base.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._changes or key in self._base

    def __iter__(self) -> Iterator[str]:
        """Keys in sorted order, so every iteration over a collection is deterministic."""
        return iter(sorted(set(self._base) | set(self._changes)))

    def __len__(self) -> int:
        return len(set(self._base) | set(self._changes))

    def put(self, key: str, row: R) -> None:
        self._changes[key] = row

    def patch(self, key: str, **fields: Any) -> None:
        self._changes[key] = {**self[key], **fields}  # type: ignore[assignment, dict-item]  # rows patched are dicts

    def changes(self) -> dict[str, R]:
        """Every row written since the innermost mapping that is not a Rows (the stored base)."""
        out: dict[str, R] = {}
        layer: Mapping[str, R] = self
        chain = []
        while isinstance(layer, Rows):
            chain.append(layer._changes)
            layer = layer._base
        for ch in reversed(chain):
            out.update(ch)
        return out

    def root(self) -> Mapping[str, R]:
        layer: Mapping[str, R] = self
        while isinstance(layer, Rows):
            layer = layer._base
        return layer


def seq_key(seq: int) -> str:
    """The key of a row of a list-like collection (refusals, contacts, …): the event's sequence
    number, zero-padded so that keys sort in order of the record."""
    return f"{seq:012d}"


def materialize(state: Mapping[str, Any]) -> dict[str, Any]:
    """A plain-dict copy of a state (collections as dicts): for readers, JSON and comparisons."""
    out = dict(state)
    for name in COLLECTIONS:
        rows = out[name]
        out[name] = [rows[k] for k in rows] if name in LISTS else {k: rows[k] for k in rows}
    return out


S = TypeVar("S", bound=Mapping[str, Any])


def settle(state: S) -> S:
    """Fold each collection's layers into its in-memory base (a dict), so that a state evolved
    event after event (a replay) does not stack a layer per event. The states it was evolved
    from must not be used afterwards: they share that base."""
    out: dict[str, Any] = dict(state)
    for name in COLLECTIONS:
        rows = state[name]
        base = rows.root()
        if not isinstance(base, dict):
            raise TypeError(f"only a state over in-memory rows can be settled, not {type(base).__name__}")
        base.update(rows.changes())
        out[name] = Rows(base)
    return cast(S, out)
