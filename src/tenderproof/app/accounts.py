"""People, bearer tokens and role grants: who may knock on which door of the API.

A token is 32 random bytes shown once; only its SHA-256 is stored, with a random public id (for
listing and revoking), a label, an expiry and, once revoked, the time it was. A grant says a person
may act in a role on one tender or on all ("*"). The domain still applies its own rules on top (a
buyer must be on the tender's panel, an evaluator must have declared, …): grants open the door,
the rules decide what happens inside.

Granting or revoking an official role on one tender is a public event on that tender's log
(`access.granted` / `access.revoked`, `domain.access`), committed in the same transaction as the
grant row. Two kinds of grant are not on any tender's log: a bidder's (who may bid is not public,
and would hint at who bid), and any grant for all tenders ("*"), which is account administration:
it opens every tender's door, but only the panel each tender names on its log may act there.
"""

from __future__ import annotations

import csv
import hashlib
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof.domain import Actor, Refused, decide
from tenderproof.domain import commands as c
from tenderproof.domain.access import ADMIN
from tenderproof.domain.commands.base import check_json
from tenderproof.domain.model import ROLES, SYSTEM, iso
from tenderproof.store.schema import api_tokens, grants, people, tenders

from .service import Procurement

ANY_TENDER = "*"
#: Roles a grant may name: every procurement role but the deadline worker's, and the account
#: administrator (only for all tenders: it manages people, tokens and grants, on no tender).
GRANTABLE = (*(r for r in ROLES if r != SYSTEM), ADMIN)
#: The operator at the machine (the CLI works on the data directory itself): the actor of what it logs.
OPERATOR = Actor("operator", ADMIN)
#: At most this many people in one imported register (its rows are validated in memory first).
MAX_IMPORT = 100_000
_CHUNK = 500  # ids per IN (…) query: well under every database's limit on bound parameters


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _name(value: str, what: str = "name") -> str:
    c.check_text(value, what, 300)
    check_json(value, what)  # no NUL, no lone surrogate: PostgreSQL and the log hold only text
    return value


def _check_grant(role: str, tender_id: str) -> None:
    if role not in GRANTABLE:
        raise c.InvalidCommand(f"cannot grant role {role!r}: it is one of {', '.join(GRANTABLE)}")
    if tender_id != ANY_TENDER:
        c.check_id(tender_id, "tender id")
        if role == ADMIN:
            raise c.InvalidCommand("the admin role is granted for all tenders only")


# --- people -------------------------------------------------------------------------------------

_PERSON = sa.select(people.c.id).where(people.c.id == sa.bindparam("id"))


def add_person(p: Procurement, person_id: str, name: str) -> bool:
    """Register a person; False if the id is already registered (nothing changes)."""
    c.check_id(person_id, "person id")
    _name(name)
    with p.db.writer.begin() as conn:
        if conn.execute(_PERSON, {"id": person_id}).first() is not None:
            return False
        conn.execute(sa.insert(people).values(id=person_id, name=name))
    return True


def _require_person(conn: Connection, person_id: str) -> None:
    if conn.execute(_PERSON, {"id": person_id}).first() is None:
        raise Refused("not-found", f"no person {person_id}")


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown of a token: never the token, never its hash."""

    id: str
    label: str
    created: str
    expires: str | None
    revoked: str | None


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    grants: list[tuple[str, str]] = field(default_factory=list)  # (role, tender id or "*")
    tokens: list[TokenInfo] = field(default_factory=list)


def list_people(p: Procurement, after: str = "", limit: int = 100, person_id: str | None = None) -> list[Person]:
    """People in id order after `after` (a page of at most `limit`), with their grants and tokens."""
    q = sa.select(people.c.id, people.c.name).order_by(people.c.id).limit(max(1, min(limit, 1000)))
    q = q.where(people.c.id == person_id) if person_id is not None else q.where(people.c.id > after)
    with p.db.reader.connect() as conn:
        page = {r.id: Person(r.id, r.name) for r in conn.execute(q)}
        if page:
            for g in conn.execute(sa.select(grants).where(grants.c.person_id.in_(list(page)))
                                  .order_by(grants.c.person_id, grants.c.tender_id, grants.c.role)):
                page[g.person_id].grants.append((g.role, g.tender_id))
            t = api_tokens.c
            for r in conn.execute(sa.select(t.person_id, t.id, t.label, t.created, t.expires, t.revoked)
                                  .where(t.person_id.in_(list(page))).order_by(t.person_id, t.created, t.id)):
                page[r.person_id].tokens.append(TokenInfo(r.id, r.label, r.created, r.expires, r.revoked))
    return list(page.values())


# --- tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A token as issued: shown once, to be handed to its holder; only its hash is kept."""

    id: str
    person_id: str
    label: str
    token: str
    created: str
    expires: str | None

    def row(self) -> dict[str, str | None]:
        return {"token_sha256": _hash(self.token), "person_id": self.person_id, "label": self.label, "id": self.id,
                "created": self.created, "expires": self.expires, "revoked": None}


def new_token(p: Procurement, person_id: str, label: str = "api", days: int | None = None) -> Issued:
    """A fresh token for `person_id`, valid `days` days (None: until revoked); not yet stored."""
    _name(label, "label")
    if days is not None and not 1 <= days <= 3660:
        raise c.InvalidCommand(f"a token is valid for 1 to 3660 days, not {days}")
    now = p.clock()
    return Issued("tok_" + secrets.token_hex(6), person_id, label, "tp_" + secrets.token_urlsafe(32), iso(now),
                  None if days is None else iso(now + timedelta(days=days)))


def issue(p: Procurement, person_id: str, label: str = "api", days: int | None = None) -> Issued:
    """Issue and store a token for a registered person."""
    issued = new_token(p, person_id, label, days)
    with p.db.writer.begin() as conn:
        _require_person(conn, person_id)
        conn.execute(sa.insert(api_tokens), issued.row())
    return issued


def issue_token(p: Procurement, person_id: str, label: str = "api", days: int | None = None) -> str:
    """`issue`, for callers that need only the token itself."""
    return issue(p, person_id, label, days).token


def revoke_tokens(p: Procurement, *, token_id: str | None = None, person_id: str | None = None,
                  label: str | None = None) -> list[str]:
    """Revoke one token by its id, or a person's live tokens with a label; the ids revoked."""
    t = api_tokens.c
    if token_id is not None:
        where = [t.id == token_id]
    elif person_id is not None and label is not None:
        where = [t.person_id == person_id, t.label == label]
    else:
        raise c.InvalidCommand("name a token id, or a person and a label")
    with p.db.writer.begin() as conn:
        ids = [r.id for r in conn.execute(sa.select(t.id).where(*where, t.revoked.is_(None)))]
        if not ids:
            raise Refused("not-found", "no live token " + (token_id or f"labelled {label!r} of {person_id}"))
        conn.execute(sa.update(api_tokens).where(t.id.in_(ids)).values(revoked=iso(p.clock())))
    return ids


_TOKEN = (sa.select(api_tokens.c.person_id, people.c.name)
          .join(people, people.c.id == api_tokens.c.person_id)
          .where(api_tokens.c.token_sha256 == sa.bindparam("h"), api_tokens.c.revoked.is_(None),
                 sa.or_(api_tokens.c.expires.is_(None), api_tokens.c.expires > sa.bindparam("now"))))


def authenticate(p: Procurement, token: str) -> tuple[str, str] | None:
    """The person a live bearer token belongs to, as (id, name); None if unknown, expired or revoked."""
    with p.db.reader.connect() as conn:
        row = conn.execute(_TOKEN, {"h": _hash(token), "now": iso(p.clock())}).first()
    return None if row is None else (row.person_id, row.name)


# --- grants -------------------------------------------------------------------------------------

_HELD = sa.select(grants.c.role).where(grants.c.person_id == sa.bindparam("person_id"),
                                       grants.c.role == sa.bindparam("role"),
                                       grants.c.tender_id == sa.bindparam("tender_id"))
_TENDER = sa.select(tenders.c.id).where(tenders.c.id == sa.bindparam("id"))


def _logged(role: str, tender_id: str) -> bool:
    return tender_id != ANY_TENDER and role in c.PUBLIC_GRANTS


def _log(p: Procurement, conn: Connection, now: datetime, cmd: c.Command, by: Actor) -> None:
    """Decide and log an access event in the transaction that changes the grants table."""
    state = p.load_for_update(conn, cmd.tender_id)
    p.commit_events(conn, cmd.tender_id, state, decide(state, cmd, by, now), by, now)


def grant(p: Procurement, person_id: str, role: str, tender_id: str = ANY_TENDER, by: Actor = OPERATOR) -> bool:
    """Let a person act in a role on a tender (or all); False if the grant is already held."""
    _check_grant(role, tender_id)
    key = {"person_id": person_id, "role": role, "tender_id": tender_id}

    def body(conn: Connection, now: datetime) -> bool:
        _require_person(conn, person_id)
        if conn.execute(_HELD, key).first() is not None:
            return False
        if _logged(role, tender_id):
            _log(p, conn, now, c.GrantRole(tender_id, person=person_id, role=role), by)
        elif tender_id != ANY_TENDER and conn.execute(_TENDER, {"id": tender_id}).first() is None:
            raise Refused("not-found", f"no tender {tender_id}")
        conn.execute(sa.insert(grants), key)
        return True

    return bool(p.transact(body))


def revoke(p: Procurement, person_id: str, role: str, tender_id: str = ANY_TENDER, by: Actor = OPERATOR) -> None:
    """Withdraw a grant; refused if it is not held."""
    _check_grant(role, tender_id)
    key = {"person_id": person_id, "role": role, "tender_id": tender_id}

    def body(conn: Connection, now: datetime) -> None:
        if conn.execute(_HELD, key).first() is None:
            where = "all tenders" if tender_id == ANY_TENDER else f"tender {tender_id}"
            raise Refused("not-found", f"{person_id} holds no {role} grant on {where}")
        if _logged(role, tender_id):
            _log(p, conn, now, c.RevokeRole(tender_id, person=person_id, role=role), by)
        conn.execute(sa.delete(grants).where(*(grants.c[k] == v for k, v in key.items())))

    p.transact(body)


# Built once: every command asks it, each bid at the deadline among them (issue 10).
_MAY_ACT = sa.select(grants.c.role).where(grants.c.person_id == sa.bindparam("person_id"),
                                          grants.c.role == sa.bindparam("role"),
                                          grants.c.tender_id.in_([ANY_TENDER, sa.bindparam("tender_id")]))


def may_act(p: Procurement, person_id: str, role: str, tender_id: str | None) -> bool:
    with p.db.reader.connect() as conn:
        found = conn.execute(_MAY_ACT, {"person_id": person_id, "role": role,
                                        "tender_id": tender_id or ANY_TENDER}).first()
    return found is not None


# --- a register of people, imported at once ---------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One person of an imported register, and where it came from (for messages: "row 5")."""

    where: str
    id: str
    name: str
    grants: tuple[tuple[str, str], ...]  # (role, tender id or "*")


COLUMNS = ("id", "name", "roles")


def entry(where: str, person_id: str, name: str, roles: str, seen: set[str]) -> Entry:
    """One person of a register, checked field by field; `seen` holds the ids before it."""
    for column, check in (("id", lambda: c.check_id(person_id, "person id")), ("name", lambda: _name(name))):
        try:
            check()
        except c.InvalidCommand as e:
            raise c.InvalidCommand(f"{where}, column {column}: {e}") from None
    if person_id in seen:
        raise c.InvalidCommand(f"{where}, column id: person id {person_id!r} is listed twice")
    try:
        grants_ = _roles(roles)
    except c.InvalidCommand as e:
        raise c.InvalidCommand(f"{where}, column roles: {e}") from None
    seen.add(person_id)
    return Entry(where, person_id, name, grants_)


def parse_register(lines: Iterable[str]) -> list[Entry]:
    """A register as CSV with the columns id,name,roles (roles separated by `;`, each `role` for
    all tenders or `role@tender`). Every row is checked; the first bad one is refused with its row
    (the file's line) and column, so nothing of a bad file is ever written."""
    reader = csv.reader(lines)
    try:
        return _parse(reader)
    except csv.Error as e:  # a field over csv's size limit, a NUL byte, a stray quote
        raise c.InvalidCommand(f"row {reader.line_num}: not CSV ({e})") from None


def _parse(reader: Any) -> list[Entry]:
    header = [h.strip().lstrip("\ufeff").lower() for h in next(reader, [])]
    if sorted(header) != sorted(COLUMNS):
        raise c.InvalidCommand(f"row 1: the columns must be {','.join(COLUMNS)}, not {','.join(header) or 'none'}")
    at = {name: header.index(name) for name in COLUMNS}
    out: list[Entry] = []
    seen: set[str] = set()
    for cells in _rows(reader):
        n = reader.line_num
        if len(out) >= MAX_IMPORT:
            raise c.InvalidCommand(f"row {n}: more than {MAX_IMPORT} people in one file; split it")
        if len(cells) != len(header):
            raise c.InvalidCommand(f"row {n}: {len(cells)} columns, expected {len(header)} ({','.join(header)})")
        pid, name, roles = (cells[at[k]].strip() for k in COLUMNS)
        out.append(entry(f"row {n}", pid, name, roles, seen))
    return out


def _rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    for cells in reader:
        if any(cell.strip() for cell in cells):  # blank lines (a trailing one, say) are not people
            yield cells


def _roles(text: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for part in filter(None, (x.strip() for x in text.split(";"))):
        role, _, tender_id = part.partition("@")
        pair = (role.strip(), tender_id.strip() or ANY_TENDER)
        _check_grant(*pair)
        if pair not in out:
            out.append(pair)
    return tuple(out)


def import_register(p: Procurement, entries: Sequence[Entry], tokens: Sequence[Issued],
                    by: Actor = OPERATOR) -> None:
    """Register every person of `entries` with their grants and `tokens`, in one transaction: all
    of them or, if any row cannot be taken (its id registered already, a tender that does not
    exist), none. Official roles on a tender are logged on that tender, as `grant` does."""
    rows = [{"person_id": e.id, "role": r, "tender_id": t} for e in entries for r, t in e.grants]

    def body(conn: Connection, now: datetime) -> None:
        ids = [e.id for e in entries]
        taken = {r.id for i in range(0, len(ids), _CHUNK)
                 for r in conn.execute(sa.select(people.c.id).where(people.c.id.in_(ids[i:i + _CHUNK])))}
        named = sorted({r["tender_id"] for r in rows if r["tender_id"] != ANY_TENDER})
        known = {r.id for i in range(0, len(named), _CHUNK)
                 for r in conn.execute(sa.select(tenders.c.id).where(tenders.c.id.in_(named[i:i + _CHUNK])))}
        for e in entries:
            if e.id in taken:
                raise Refused("exists", f"{e.where}, column id: person {e.id} is already registered")
            if missing := [t for _, t in e.grants if t != ANY_TENDER and t not in known]:
                raise Refused("not-found", f"{e.where}, column roles: no tender {missing[0]}")
        if entries:
            conn.execute(sa.insert(people), [{"id": e.id, "name": e.name} for e in entries])
        for r in rows:
            if _logged(r["role"], r["tender_id"]):
                _log(p, conn, now, c.GrantRole(r["tender_id"], person=r["person_id"], role=r["role"]), by)
        if rows:
            conn.execute(sa.insert(grants), rows)
        if tokens:
            conn.execute(sa.insert(api_tokens), [t.row() for t in tokens])

    p.transact(body)
