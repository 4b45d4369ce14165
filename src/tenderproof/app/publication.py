"""Which OCDS releases a state change publishes (the mapping itself lives in `tenderproof.ocds`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from tenderproof.ocds.releases import release_for
from tenderproof.store.schema import ocds_releases


def releases_for(before: Mapping[str, Any] | None, after: Mapping[str, Any], env: dict[str, Any], index: int,
                 ocid_prefix: str) -> list[tuple[int, dict]]:
    rel = release_for(before, after, env, ocid_prefix=ocid_prefix, index=index)
    return [] if rel is None else [(index, rel)]


def stored_releases(p, tender_id: str | None = None) -> list[dict]:
    """Every published release (of one tender, if given), in ledger order."""
    q = sa.select(ocds_releases.c.release).order_by(ocds_releases.c.ledger_index)
    if tender_id is not None:
        q = q.where(ocds_releases.c.tender_id == tender_id)
    with p.db.reader.connect() as conn:
        return [json.loads(r.release) for r in conn.execute(q)]
