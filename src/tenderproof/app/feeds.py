"""What the Atom feeds hold, and the one way a feed document is written (RFC 4287).

A tender's feed is its events, newest first; a buyer's, the events of its tenders; a supplier's,
the events of the tenders it bid for or was awarded, each only from that tender's opening on:
before the opening who bid is sealed, so a feed that listed a tender under a bidder would say
who bid (docs/architecture.md, "Who bid stays secret"). Envelopes leave as logged: they never
name a bidder before the opening. A search's feed is the tenders the list finds.

The document is built with xml.etree, whose serializer escapes text and attributes; characters
XML 1.0 cannot hold at all (most C0 controls, lone surrogates) are replaced, so a feed is always
well-formed whatever a payload says.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tenderproof.domain.events import EventType
from tenderproof.store.schema import events, tender_rows, tenders

from . import queries
from .service import Logged, Procurement

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50  # entries in one feed document: the newest
EPOCH = "1970-01-01T00:00:00Z"  # `updated` of a feed that never had an entry (RFC 4287 §4.1.1 needs one)
_CHUNK = 200  # tender ids per query (well under SQLite's and PostgreSQL's bound-parameter limits)

# --- what a feed holds ------------------------------------------------------------------------


def _logged(rows: Iterable[Any]) -> list[Logged]:
    return [Logged(int(r.ledger_index), json.loads(r.envelope)) for r in rows]


def _newest(p: Procurement, where: list[sa.ColumnElement[bool]], limit: int) -> list[Logged]:
    e = events.c
    with p.db.reader.connect() as conn:
        return _logged(conn.execute(sa.select(e.ledger_index, e.envelope).where(*where)
                                    .order_by(e.ledger_index.desc()).limit(limit)))


def tender_events(p: Procurement, tender_id: str, limit: int = FEED_SIZE) -> list[Logged] | None:
    """A tender's newest events, newest first; None if there is no such tender."""
    with p.db.reader.connect() as conn:
        if conn.execute(sa.select(tenders.c.id).where(tenders.c.id == tender_id)).first() is None:
            return None
    return _newest(p, [events.c.tender_id == tender_id], limit)


def _merged(p: Procurement, clauses: list[sa.ColumnElement[bool]], limit: int) -> list[Logged]:
    """The newest `limit` events over many tenders' clauses, queried a chunk at a time."""
    out: list[Logged] = []
    for i in range(0, len(clauses), _CHUNK):
        out += _newest(p, [sa.or_(*clauses[i:i + _CHUNK])], limit)
    return sorted(out, key=lambda x: x.index, reverse=True)[:limit]


def _candidates(p: Procurement, table: sa.Table, text: sa.ColumnElement[str], needle: str,
                *where: sa.ColumnElement[bool]) -> list[Any]:
    """Rows whose JSON text holds `needle` literally: a cheap filter, checked exactly by the caller."""
    with p.db.reader.connect() as conn:
        return list(conn.execute(sa.select(table).where(text.contains(needle, autoescape=True), *where)))


def buyer_tenders(p: Procurement, buyer_id: str) -> list[str]:
    """The tenders whose buyer has the identifier `buyer_id` (exactly)."""
    return sorted(r.id for r in _candidates(p, tenders, tenders.c.state, buyer_id)
                  if json.loads(r.state)["buyer"].get("id") == buyer_id)


def buyer_events(p: Procurement, buyer_id: str, limit: int = FEED_SIZE) -> list[Logged]:
    return _merged(p, [events.c.tender_id == t for t in buyer_tenders(p, buyer_id)], limit)


def supplier_tenders(p: Procurement, supplier_id: str) -> dict[str, int]:
    """The tenders `supplier_id` bid for (as the opening revealed) or was awarded, each with the
    seq of its opening: nothing before it may be listed under a bidder."""
    bids = _candidates(p, tender_rows, tender_rows.c.row, supplier_id, tender_rows.c.kind == "bids")
    found = {r.tender_id for r in bids if json.loads(r.row).get("bidder") == supplier_id}
    found |= {r.id for r in _candidates(p, tenders, tenders.c.state, supplier_id)
              if any(a["supplier"]["id"] == supplier_id for a in json.loads(r.state).get("awards", []))}
    e = events.c
    opened: dict[str, int] = {}
    ids = sorted(found)
    with p.db.reader.connect() as conn:
        for i in range(0, len(ids), _CHUNK):
            opened |= {r.tender_id: int(r.seq) for r in conn.execute(
                sa.select(e.tender_id, e.seq).where(e.tender_id.in_(ids[i:i + _CHUNK]),
                                                    e.type == EventType.BIDS_OPENED.value))}
    return opened  # a tender not (yet) opened names no bidder, whatever its rows say


def supplier_events(p: Procurement, supplier_id: str, limit: int = FEED_SIZE) -> list[Logged]:
    e = events.c
    clauses = [sa.and_(e.tender_id == t, e.seq >= seq) for t, seq in sorted(supplier_tenders(p, supplier_id).items())]
    return _merged(p, clauses, limit)


@dataclass(frozen=True)
class Found:
    """A tender a search finds, with its newest event (None for a tender with none logged)."""

    tender: queries.TenderRow
    last: Logged | None


def search(p: Procurement, filters: dict[str, Any], limit: int = FEED_SIZE) -> list[Found]:
    """The tenders the list finds with `filters` (the keyword arguments `queries.find_tenders`
    takes), first page in the list's own order, each with its newest event."""
    rows = queries.find_tenders(p, **filters, limit=limit).items
    e = events.c
    last: dict[str, Logged] = {}
    ids = [t.id for t in rows]
    with p.db.reader.connect() as conn:
        newest = (sa.select(e.tender_id, sa.func.max(e.seq).label("seq")).where(e.tender_id.in_(ids))
                  .group_by(e.tender_id).subquery())
        for r in conn.execute(sa.select(e.tender_id, e.ledger_index, e.envelope)
                              .join(newest, sa.and_(e.tender_id == newest.c.tender_id, e.seq == newest.c.seq))):
            last[r.tender_id] = Logged(int(r.ledger_index), json.loads(r.envelope))
    return [Found(t, last.get(t.id)) for t in rows]


# --- the document -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    href: str
    rel: str = "alternate"
    type: str = "text/html"
    title: str = ""


@dataclass(frozen=True)
class Entry:
    id: str  # an IRI that never changes (RFC 4287 §4.2.6)
    title: str
    updated: str  # RFC 3339
    summary: str
    links: list[Link] = field(default_factory=list)
    category: str = ""


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    self_url: str
    author: str
    entries: list[Entry]
    links: list[Link] = field(default_factory=list)
    subtitle: str = ""

    @property
    def updated(self) -> str:
        """The newest entry's time: the feed changes exactly when an entry does."""
        return max((e.updated for e in self.entries), default=EPOCH)


# XML 1.0 §2.2 Char: tab, newline, carriage return, and everything from U+0020 but the surrogates,
# U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(s: str) -> str:
    return _NOT_XML.sub("\ufffd", s)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items() if v})
    if text is not None:
        el.text = xml_text(text)
    return el


def _links(parent: ET.Element, links: list[Link]) -> None:
    for ln in links:
        _add(parent, "link", href=ln.href, rel=ln.rel, type=ln.type, title=ln.title)


def atom(feed: Feed) -> bytes:
    """The feed as an Atom document, UTF-8, with the XML declaration."""
    root = ET.Element(f"{{{ATOM}}}feed")
    _add(root, "id", feed.id)
    _add(root, "title", feed.title)
    if feed.subtitle:
        _add(root, "subtitle", feed.subtitle)
    _add(root, "updated", feed.updated)
    _add(_add(root, "author"), "name", feed.author)  # §4.1.1: the feed's, since entries have none
    _add(root, "generator", "tenderproof")
    _links(root, [Link(feed.self_url, "self", "application/atom+xml"), *feed.links])
    for e in feed.entries:
        el = _add(root, "entry")
        _add(el, "id", e.id)
        _add(el, "title", e.title)
        _add(el, "updated", e.updated)
        _links(el, e.links)
        if e.category:
            _add(el, "category", term=e.category)
        _add(el, "summary", e.summary)
    ET.register_namespace("", ATOM)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
