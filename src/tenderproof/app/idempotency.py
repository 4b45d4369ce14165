"""The API's idempotency records: a retried command gets the answer its first try got.

A record is keyed by HMAC(bearer token, person ‖ Idempotency-Key) and names no person (the
database cannot tell who sent which command). It is looked up before a command queues, and
written as the command's last step, in the command's own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof.store.schema import idempotency

from .service import Procurement


@dataclass(frozen=True)
class StoredAnswer:
    request_sha256: str
    status: int
    body: str  # JSON


_i = idempotency.c
_ANSWER = sa.select(_i.request_sha256, _i.status, _i.body).where(_i.person_id == "", _i.key == sa.bindparam("key"))


def stored_answer(p: Procurement, key: str) -> StoredAnswer | None:
    """The answer recorded for an idempotency key (HMAC of the bearer token, person and key)."""
    with p.db.reader.connect() as conn:
        row = conn.execute(_ANSWER, {"key": key}).first()
    return None if row is None else StoredAnswer(row.request_sha256, row.status, row.body)


_RECORD = sa.insert(idempotency)


def record_answer(conn: Connection, key: str, request_sha256: str, body: str, status: int = 201) -> None:
    """Record a command's answer for its idempotency key; the table names no person."""
    conn.execute(_RECORD, {"person_id": "", "key": key, "request_sha256": request_sha256, "status": status,
                           "body": body})
