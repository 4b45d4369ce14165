"""Which OCDS releases a state change publishes (the mapping itself lives in `tenderproof.ocds`).

A release's document URLs are the installation's download URLs (`<public URL>/api/documents/<sha256>`)
when it was given its public URL, else RFC 6920 `ni:` URIs. Releases are stored as published, so
the same setting must be given to everything that publishes or rebuilds them (`serve`, `scenario
run`, `rebuild`); `stale_document_url` finds a stored release built with another.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from tenderproof.ocds.releases import NI_PREFIX, release_for
from tenderproof.store.schema import ocds_releases

#: Where the API serves a document a tender lists (`api.documents.download`), under the public URL.
DOCUMENTS_PATH = "/api/documents/"
_DIGEST = re.compile(r"[0-9a-f]{64}")


def document_base_url(public_url: str | None) -> str | None:
    """What a document's digest is appended to in its OCDS `url`; None: no public URL, `ni:` URIs."""
    return f"{public_url.rstrip('/')}{DOCUMENTS_PATH}" if public_url else None


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
