"""The administrative record's manifest, from the log: what the agency files with the court is
named entry by entry (the tender's event number, its ledger index and its RFC 9162 leaf hash), so
anyone holding the log, or the tender's record bundle, proves the record is a subset of it."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from tenderproof.domain.commands.litigation import MAX_MANIFEST
from tenderproof.ledger.merkle import leaf_hash

from . import envelope
from .service import Procurement


def record_manifest(p: Procurement, tender_id: str, types: Container[str] | None = None) -> list[dict[str, Any]]:
    """One entry per logged event of the tender (of `types`, if given), in the log's order; at most
    MAX_MANIFEST (the latest ones: a larger record is filed in parts)."""
    out = [{"seq": e.envelope["seq"], "index": e.index, "leaf_hash": leaf_hash(envelope.canonical(e.envelope)).hex()}
           for e in p.events(tender_id) if types is None or e.envelope["type"] in types]
    return out[-MAX_MANIFEST:]
