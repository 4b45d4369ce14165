"""`tenderproof person …`: the operator, at the machine, registers people, grants and revokes
roles, issues and revokes bearer tokens, and imports a register of suppliers at once.

The CLI works on the data directory itself; what it logs (an official role granted or revoked on
a tender) names the operator (`accounts.OPERATOR`) as the actor. A token is printed once, alone
on stdout (so it can be piped); only its hash is kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tenderproof.app import accounts
from tenderproof.app.service import Procurement
from tenderproof.fsutil import atomic_write

from .common import DataDir, Db, err, fail, service

person_app = typer.Typer(help="People, their roles and their bearer tokens.", no_args_is_help=True)

#: Tokens the CLI issues expire after 90 days unless told otherwise: a token left in a supplier's
#: mailbox or on a lost laptop stops working by itself within a quarter, yet a bidder need not
#: renew within one tender's cycle. `--no-expiry` is for service accounts, revoked by hand.
DEFAULT_DAYS = 90

Tender = Annotated[str, typer.Option("--tender", help="A tender id, or * for all tenders")]
Days = Annotated[int, typer.Option("--days", help="Days the token is valid", min=1, max=3660)]
NoExpiry = Annotated[bool, typer.Option("--no-expiry", help="A token valid until revoked")]
Label = Annotated[str, typer.Option("--label", help="What the token is for (a device, a service)")]


@contextmanager
def _service(data_dir: Path | None, db: str | None) -> Iterator[Procurement]:
    p = service(data_dir, db)
    try:
        yield p
    finally:
        p.db.dispose()


def _where(tender: str) -> str:
    return "all tenders" if tender == accounts.ANY_TENDER else f"tender {tender}"


@person_app.command("add")
def person_add(
    person: Annotated[str, typer.Argument(help="The person's id (letters, digits, ._:-)")],
    name: Annotated[str, typer.Argument(help="The person's or company's name")],
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Register a person (an official or a supplier)."""
    with _service(data_dir, db) as p:
        if not accounts.add_person(p, person, name):
            fail(f"person {person} is already registered")
    typer.echo(f"registered {person}")


@person_app.command("grant")
def person_grant(
    person: Annotated[str, typer.Argument(help="The person's id")],
    role: Annotated[str, typer.Argument(help=f"One of {', '.join(accounts.GRANTABLE)}")],
    tender: Tender = accounts.ANY_TENDER,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Let PERSON act as ROLE on a tender (an official role on one tender is logged on it)."""
    with _service(data_dir, db) as p:
        added = accounts.grant(p, person, role, tender)
    typer.echo(f"{person} {'may now' if added else 'already may'} act as {role} on {_where(tender)}")


@person_app.command("revoke")
def person_revoke(
    person: Annotated[str | None, typer.Argument(help="The person's id")] = None,
    role: Annotated[str | None, typer.Argument(help="The role to withdraw")] = None,
    tender: Tender = accounts.ANY_TENDER,
    token_id: Annotated[str | None, typer.Option("--token-id", help="Revoke this token (see `person list`)")] = None,
    label: Annotated[str | None, typer.Option("--label", help="Revoke PERSON's live tokens with this label")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Withdraw a role (PERSON ROLE [--tender T]) or tokens (--token-id ID, or PERSON --label L)."""
    if sum(x is not None for x in (role, token_id, label)) != 1:
        fail("name exactly one of: a ROLE, --token-id or --label", code=2)
    if person is None and token_id is None:
        fail("name the PERSON", code=2)
    with _service(data_dir, db) as p:
        if role is not None:
            assert person is not None
            accounts.revoke(p, person, role, tender)
            typer.echo(f"{person} may no longer act as {role} on {_where(tender)}")
            return
        ids = accounts.revoke_tokens(p, token_id=token_id, person_id=person, label=label)
    typer.echo(f"revoked {len(ids)} token(s): {', '.join(ids)}")


@person_app.command("token")
def person_token(
    person: Annotated[str, typer.Argument(help="The person's id")],
    label: Label = "cli",
    days: Days = DEFAULT_DAYS,
    no_expiry: NoExpiry = False,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Issue a bearer token for PERSON: printed once on stdout, never stored."""
    with _service(data_dir, db) as p:
        issued = accounts.issue(p, person, label, None if no_expiry else days)
    err.print(f"token {issued.id} ({label}) for {person}, expires {issued.expires or 'never'}; shown once:",
              markup=False, soft_wrap=True)
    typer.echo(issued.token)


@person_app.command("list")
def person_list(
    person: Annotated[str | None, typer.Argument(help="Show this person only, with their tokens")] = None,
    after: Annotated[str, typer.Option(help="Start after this id (the last one of the previous page)")] = "",
    limit: Annotated[int, typer.Option(help="At most this many people", min=1, max=1000)] = 100,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """People with their grants and live tokens, one per line (tab-separated), in id order."""
    with _service(data_dir, db) as p:
        page = accounts.list_people(p, after, limit, person_id=person)
    if person is not None and not page:
        fail(f"no person {person}")
    for x in page:
        roles = ";".join(r if t == accounts.ANY_TENDER else f"{r}@{t}" for r, t in x.grants)
        live = [t for t in x.tokens if t.revoked is None]
        typer.echo(f"{x.id}\t{x.name}\t{roles or '-'}\t{len(live)} live token(s)")
        if person is not None:
            for t in x.tokens:
                state = f"revoked {t.revoked}" if t.revoked else f"expires {t.expires or 'never'}"
                typer.echo(f"  {t.id}\t{t.label}\tcreated {t.created}\t{state}")


@person_app.command("import")
def person_import(
    register: Annotated[Path, typer.Argument(help="CSV: id,name,roles (roles: role or role@tender, ;-separated)")],
    tokens_out: Annotated[Path, typer.Option("--tokens-out", help="Where to write the new tokens (mode 0600)")],
    label: Label = "import",
    days: Days = DEFAULT_DAYS,
    no_expiry: NoExpiry = False,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Register every person of a CSV register, with their roles and one token each: all or none."""
    if tokens_out.exists():
        fail(f"{tokens_out} exists: it may hold the only copy of earlier tokens; name a new file")
    try:
        with register.open(encoding="utf-8-sig", newline="") as f:
            entries = accounts.parse_register(f)
    except UnicodeDecodeError as e:
        fail(f"{register}: not UTF-8 text ({e.reason} at byte {e.start})")
    with _service(data_dir, db) as p:
        tokens = [accounts.new_token(p, e.id, label, None if no_expiry else days) for e in entries]
        # The tokens file first: if the import then fails it is removed, and if writing it fails
        # nothing was imported. Either way no person has a token nobody holds.
        atomic_write(tokens_out, _tokens_csv(tokens), mode=0o600)
        try:
            accounts.import_register(p, entries, tokens)
        except BaseException:
            tokens_out.unlink(missing_ok=True)
            raise
    typer.echo(f"imported {len(entries)} people from {register}; their tokens are in {tokens_out}")


def _tokens_csv(tokens: list[accounts.Issued]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "label", "token", "token_id", "expires"])
    w.writerows([t.person_id, t.label, t.token, t.id, t.expires or ""] for t in tokens)
    return out.getvalue().encode()
