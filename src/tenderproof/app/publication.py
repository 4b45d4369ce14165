"""Which OCDS releases a state change publishes (the mapping itself lives in `tenderproof.ocds`).

A release's document URLs are the installation's download URLs (`<public URL>/api/documents/<sha256>`)
when it was given its public URL, else RFC 6920 `ni:` URIs. Releases are stored as published, so
the same setting must be given to everything that publishes or rebuilds them (`serve`, `scenario
run`, `rebuild`); `stale_document_url` finds a stored release built with another.

Bulk outputs read the stored releases in batches (`iter_stored_releases`), each batch a short
read of its own, so a package of any size is written holding one batch at most.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from tenderproof.ocds.extensions import extension_urls
from tenderproof.ocds.packages import metadata_of
from tenderproof.ocds.releases import NI_PREFIX, release_for
from tenderproof.store.schema import ocds_releases

#: Where the API serves a document a tender lists (`api.documents.download`), under the public URL.
DOCUMENTS_PATH = "/api/documents/"
#: Releases read at a time by the bulk outputs (a JEDI release is about 12 kB of JSON).
BATCH = 200
_DIGEST = re.compile(r"[0-9a-f]{64}")


def document_base_url(public_url: str | None) -> str | None:
    """What a document's digest is appended to in its OCDS `url`; None: no public URL, `ni:` URIs."""
    return f"{public_url.rstrip('/')}{DOCUMENTS_PATH}" if public_url else None


def package_metadata(p, uri: str, published_date: str, base_url: str | None = None) -> dict[str, Any]:
    """The keyword arguments of a package of `p`'s releases: its publisher, licence and policy as
    the installation configures them, and the extensions as served under its public URL (else
    `base_url`, the URL the request reached the server at; else the server's default address)."""
    return {"uri": uri, "published_date": published_date, "extensions": extension_urls(p.public_url or base_url),
            **metadata_of(p.publication)}


def releases_for(before: Mapping[str, Any] | None, after: Mapping[str, Any], env: dict[str, Any], index: int,
                 ocid_prefix: str, document_base: str | None = None) -> list[tuple[int, dict]]:
    rel = release_for(before, after, env, ocid_prefix=ocid_prefix, index=index, document_base_url=document_base)
    return [] if rel is None else [(index, rel)]


def stale_document_url(releases: Iterable[Mapping[str, Any]], document_base: str | None) -> str | None:
    """The first document URL in `releases` that the setting `document_base` would not have
    published (a release stored under another public URL, or under none), or None if all agree."""
    for rel in releases:
        for d in rel.get("tender", {}).get("documents", []):
            url = d.get("url")  # answers to enquiries and cancellations have none
            if url is not None and not _published_under(url, document_base):
                return url
    return None


def _published_under(url: str, document_base: str | None) -> bool:
    if document_base is None:
        return url.startswith(NI_PREFIX)
    digest = url.removeprefix(document_base)
    return digest != url and _DIGEST.fullmatch(digest) is not None


def stale_stored_release(p) -> str | None:
    """A document URL of a stored release that `p`'s public URL would not have published, or None.

    One query: releases are stored as canonical JSON (RFC 8785: no spaces, a quote inside a text
    escaped), and only documents have a `url`, so a release linking them otherwise is one with
    `"url":"` but not `"url":"<base>` (one release is built with one setting)."""
    text = ocds_releases.c.release
    linked = '"url":"' + (p.document_base_url or NI_PREFIX)
    q = (sa.select(text).where(text.contains('"url":"', autoescape=True), ~text.contains(linked, autoescape=True))
         .order_by(ocds_releases.c.ledger_index).limit(1))
    with p.db.reader.connect() as conn:
        found = conn.execute(q).scalar()
    return None if found is None else stale_document_url([json.loads(found)], p.document_base_url)


def stored_releases(p, tender_id: str | None = None) -> list[dict]:
    """Every published release (of one tender, if given), in ledger order."""
    q = sa.select(ocds_releases.c.release).order_by(ocds_releases.c.ledger_index)
    if tender_id is not None:
        q = q.where(ocds_releases.c.tender_id == tender_id)
    with p.db.reader.connect() as conn:
        return [json.loads(r.release) for r in conn.execute(q)]


def releases_of(p, ocid: str) -> list[dict]:
    """One contracting process's releases, in ledger order ([] for an ocid not of this installation)."""
    if not ocid.startswith(p.ocid_prefix):
        return []
    return [r for r in stored_releases(p, ocid.removeprefix(p.ocid_prefix)) if r["ocid"] == ocid]


def release_batches(p, *, by_ocid: bool = False, batch: int = BATCH) -> Iterator[list[str]]:
    """The stored releases as JSON texts, `batch` at a time: in ledger order, or grouped by ocid
    (in tender identifier order, each tender's in ledger order) for records.

    Keyset pagination, each batch in a read of its own (no connection is held while the caller
    writes), bounded by the last release stored when the reading began: releases appended
    meanwhile are not half-included, and the output is what was published at one moment."""
    r = ocds_releases.c
    with p.db.reader.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(r.ledger_index))).scalar()
    if last is None:
        return
    order = (r.tender_id, r.ledger_index) if by_ocid else (r.ledger_index,)
    q = sa.select(r.tender_id, r.ledger_index, r.release).where(r.ledger_index <= last).order_by(*order).limit(batch)
    after: tuple[str, int] | None = None
    while True:
        page = q
        if after is not None and by_ocid:
            page = q.where(r.tender_id >= after[0], sa.or_(r.tender_id > after[0], r.ledger_index > after[1]))
        elif after is not None:
            page = q.where(r.ledger_index > after[1])
        with p.db.reader.connect() as conn:
            rows = conn.execute(page).all()
        if rows:
            yield [row.release for row in rows]
        if len(rows) < batch:
            return
        after = (rows[-1].tender_id, rows[-1].ledger_index)


def iter_stored_releases(p, *, by_ocid: bool = False, batch: int = BATCH) -> Iterator[dict]:
    """Every stored release, one at a time (see `release_batches` for the order)."""
    for texts in release_batches(p, by_ocid=by_ocid, batch=batch):
        for text in texts:
            yield json.loads(text)


def stored_release_stats(p, tender_id: str | None = None) -> tuple[int, int]:
    """How many releases are stored (of one tender, or all) and their JSON's total length."""
    size = sa.func.coalesce(sa.func.sum(sa.func.length(ocds_releases.c.release)), 0)
    q = sa.select(sa.func.count(), size)
    q = q if tender_id is None else q.where(ocds_releases.c.tender_id == tender_id)
    with p.db.reader.connect() as conn:
        count, stored = conn.execute(q).one()
    return int(count), int(stored)


def stored_release_texts(p, tender_id: str | None = None, *, by_tender: bool = False) -> Iterator[tuple[str, str]]:
    """Each stored release as (tender id, its JSON text), in ledger order, or grouped by tender
    (then in ledger order within each): read as they are consumed, not all at once."""
    q = sa.select(ocds_releases.c.tender_id, ocds_releases.c.release)
    q = q if tender_id is None else q.where(ocds_releases.c.tender_id == tender_id)
    order = (ocds_releases.c.tender_id, ocds_releases.c.ledger_index) if by_tender else (ocds_releases.c.ledger_index,)
    with p.db.reader.connect() as conn:
        for row in conn.execute(q.order_by(*order)):
            yield row.tender_id, row.release
