"""People, bearer tokens and role grants: who may knock on which door of the API.

A token is 32 random bytes shown once; only its SHA-256 is stored. A grant says a person may act
in a role on one tender or on all ("*"). The domain still applies its own rules on top (a buyer
must be on the tender's panel, an evaluator must have declared, …): grants open the door, the
rules decide what happens inside.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from tenderproof.domain import commands as c
from tenderproof.domain.model import ROLES, SYSTEM
from tenderproof.store.schema import api_tokens, grants, people

from .service import Procurement

ANY_TENDER = "*"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_person(p: Procurement, person_id: str, name: str) -> None:
    c.check_id(person_id, "person id")
    with p.db.writer.begin() as conn:
        if conn.execute(sa.select(people.c.id).where(people.c.id == person_id)).first() is None:
            conn.execute(sa.insert(people).values(id=person_id, name=name))


def issue_token(p: Procurement, person_id: str, label: str = "api") -> str:
    token = "tp_" + secrets.token_urlsafe(32)
    with p.db.writer.begin() as conn:
        if conn.execute(sa.select(people.c.id).where(people.c.id == person_id)).first() is None:
            raise ValueError(f"no person {person_id}")
        conn.execute(sa.insert(api_tokens).values(token_sha256=_hash(token), person_id=person_id, label=label))
    return token


def grant(p: Procurement, person_id: str, role: str, tender_id: str = ANY_TENDER) -> None:
    if role not in ROLES or role == SYSTEM:
        raise ValueError(f"cannot grant role {role!r}")
    with p.db.writer.begin() as conn:
        row = {"person_id": person_id, "role": role, "tender_id": tender_id}
        exists = conn.execute(sa.select(grants.c.role).where(*(grants.c[k] == v for k, v in row.items()))).first()
        if exists is None:
            conn.execute(sa.insert(grants).values(**row))


_TOKEN = (sa.select(api_tokens.c.person_id, people.c.name)
          .join(people, people.c.id == api_tokens.c.person_id)
          .where(api_tokens.c.token_sha256 == sa.bindparam("h")))


def authenticate(p: Procurement, token: str) -> tuple[str, str] | None:
    """The person a bearer token belongs to, as (id, name), or None."""
    with p.db.reader.connect() as conn:
        row = conn.execute(_TOKEN, {"h": _hash(token)}).first()
    return None if row is None else (row.person_id, row.name)


def may_act(p: Procurement, person_id: str, role: str, tender_id: str | None) -> bool:
    targets = [ANY_TENDER] + ([tender_id] if tender_id else [])
    with p.db.reader.connect() as conn:
        found = conn.execute(sa.select(grants.c.role).where(
            grants.c.person_id == person_id, grants.c.role == role, grants.c.tender_id.in_(targets))).first()
    return found is not None
