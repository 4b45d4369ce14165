"""People, tokens and grants (issue 11): tokens expire and are revoked; an official role granted or
revoked on a tender is an event on that tender's log, committed with the grant; a bidder's grant and
a grant for all tenders are on no log; a register is imported whole or not at all."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from tenderproof.app import accounts
from tenderproof.domain import Actor, InvalidCommand, Refused
from tenderproof.domain.events import EventType
from tenderproof.store.db import MIGRATIONS, Database
from tenderproof.store.schema import api_tokens, grants, people

from .conftest import TID, World, database_dump


def _rows(w: World, table: sa.Table) -> list[tuple]:
    with w.p.db.reader.connect() as conn:
        return sorted(map(tuple, conn.execute(sa.select(table)).all()))


def _access_events(w: World, tid: str = TID) -> list[dict]:
    return [lg.envelope for lg in w.p.events(tid) if lg.envelope["type"].startswith("access.")]


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_works_until_it_expires(world: World):
    accounts.add_person(world.p, "acme", "Acme LLC")
    issued = accounts.issue(world.p, "acme", "laptop", days=90)
    assert accounts.authenticate(world.p, issued.token) == ("acme", "Acme LLC")
    world.clock.advance(days=90, seconds=-1)
    assert accounts.authenticate(world.p, issued.token) == ("acme", "Acme LLC")
    world.clock.advance(seconds=1)
    assert accounts.authenticate(world.p, issued.token) is None
    (acme,) = accounts.list_people(world.p, person_id="acme")
    assert [(t.id, t.label, t.expires) for t in acme.tokens] == [(issued.id, "laptop", issued.expires)]


def test_a_revoked_token_is_refused_and_only_the_hash_is_stored(world: World):
    accounts.add_person(world.p, "acme", "Acme LLC")
    keep = accounts.issue(world.p, "acme", "ci")
    gone = [accounts.issue(world.p, "acme", "laptop"), accounts.issue(world.p, "acme", "laptop")]
    assert sorted(accounts.revoke_tokens(world.p, person_id="acme", label="laptop")) == sorted(t.id for t in gone)
    assert all(accounts.authenticate(world.p, t.token) is None for t in gone)
    assert accounts.authenticate(world.p, keep.token) == ("acme", "Acme LLC")
    assert accounts.revoke_tokens(world.p, token_id=keep.id) == [keep.id]
    assert accounts.authenticate(world.p, keep.token) is None
    with pytest.raises(Refused, match="no live token"):
        accounts.revoke_tokens(world.p, token_id=keep.id)  # revoked already
    dump = database_dump(world)
    for t in [keep, *gone]:
        assert t.token.encode() not in dump
    (acme,) = accounts.list_people(world.p, person_id="acme")
    assert all(t.revoked for t in acme.tokens)


@pytest.mark.parametrize("token", ["", "tp_", "x" * 10_000, "tp_\x00", "Bearer tp_abc"])
def test_unknown_tokens_authenticate_nobody(world: World, token: str):
    accounts.add_person(world.p, "acme", "Acme LLC")
    accounts.issue(world.p, "acme")
    assert accounts.authenticate(world.p, token) is None


def test_no_token_for_nobody_and_no_bad_lifetime(world: World):
    with pytest.raises(Refused, match="no person ghost"):
        accounts.issue(world.p, "ghost")
    accounts.add_person(world.p, "acme", "Acme LLC")
    for days in (0, -1, 10_000):
        with pytest.raises(InvalidCommand, match="1 to 3660 days"):
            accounts.issue(world.p, "acme", days=days)
    assert _rows(world, api_tokens) == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 301, "a\x00b", "\ud800"])
def test_a_person_has_a_name_the_record_can_hold(world: World, name: str):
    with pytest.raises(InvalidCommand):
        accounts.add_person(world.p, "acme", name)
    assert _rows(world, people) == []


# --- grants -----------------------------------------------------------------------------------


def test_an_official_grant_on_a_tender_is_on_its_log(world: World):
    world.create()
    accounts.add_person(world.p, "ev2", "Evaluator Two")
    by = Actor("it-admin", "admin")
    assert accounts.grant(world.p, "ev2", "evaluator", TID, by=by) is True
    assert accounts.may_act(world.p, "ev2", "evaluator", TID)
    assert not accounts.may_act(world.p, "ev2", "evaluator", "T-OTHER")
    assert accounts.grant(world.p, "ev2", "evaluator", TID, by=by) is False  # held already: no second event
    accounts.revoke(world.p, "ev2", "evaluator", TID, by=by)
    assert not accounts.may_act(world.p, "ev2", "evaluator", TID)
    events = _access_events(world)
    assert [(e["type"], e["payload"], e["actor"]) for e in events] == [
        (EventType.ACCESS_GRANTED, {"person": "ev2", "role": "evaluator"}, {"id": "it-admin", "role": "admin"}),
        (EventType.ACCESS_REVOKED, {"person": "ev2", "role": "evaluator"}, {"id": "it-admin", "role": "admin"}),
    ]
    assert accounts.grant(world.p, "ev2", "ssa", TID) is True  # the CLI's operator
    assert _access_events(world)[-1]["actor"] == accounts.OPERATOR.as_dict()


def test_bidder_and_all_tender_grants_are_on_no_log(world: World):
    world.create()
    world.publish()
    accounts.add_person(world.p, "acme", "Acme LLC")
    size = world.p.log.head().size
    assert accounts.grant(world.p, "acme", "bidder", TID)
    assert accounts.grant(world.p, "acme", "bidder")
    assert accounts.grant(world.p, "acme", "evaluator")  # all tenders: account administration
    assert accounts.grant(world.p, "acme", "admin")
    accounts.revoke(world.p, "acme", "bidder", TID)
    assert world.p.log.head().size == size
    assert b"acme" not in b"".join(world.p.log.entries(0, size))


def test_a_refused_grant_changes_nothing(world: World):
    world.create()
    accounts.add_person(world.p, "ev2", "Evaluator Two")
    before = (world.snapshot(), _rows(world, grants))
    with pytest.raises(Refused, match="no person ghost"):
        accounts.grant(world.p, "ghost", "evaluator", TID)
    with pytest.raises(Refused, match="no tender T-404"):
        accounts.grant(world.p, "ev2", "evaluator", "T-404")
    with pytest.raises(Refused, match="no tender T-404"):
        accounts.grant(world.p, "ev2", "bidder", "T-404")
    with pytest.raises(Refused, match="it needs the role admin"):
        accounts.grant(world.p, "ev2", "evaluator", TID, by=Actor("co", "buyer"))  # only an administrator
    with pytest.raises(Refused, match="holds no evaluator grant on tender"):
        accounts.revoke(world.p, "ev2", "evaluator", TID)
    for role, tender in [("system", "*"), ("king", "*"), ("admin", TID), ("bidder", "bad id")]:
        with pytest.raises(InvalidCommand):
            accounts.grant(world.p, "ev2", role, tender)
    assert (world.snapshot(), _rows(world, grants)) == before


# --- a register -------------------------------------------------------------------------------


def _csv(*rows: str) -> list[str]:
    return [line + "\n" for line in ("id,name,roles", *rows)]


def test_a_register_is_imported_with_one_token_each(world: World):
    world.create()
    entries = accounts.parse_register(_csv('acme,"Acme, LLC",bidder', f"ev2,Eve,evaluator@{TID};bidder",
                                           "nobody,No Roles,", ""))
    assert [(e.where, e.id, e.name, e.grants) for e in entries] == [
        ("row 2", "acme", "Acme, LLC", (("bidder", "*"),)),
        ("row 3", "ev2", "Eve", (("evaluator", TID), ("bidder", "*"))),
        ("row 4", "nobody", "No Roles", ()),
    ]
    tokens = [accounts.new_token(world.p, e.id, "import", days=90) for e in entries]
    accounts.import_register(world.p, entries, tokens)
    for t in tokens:
        assert accounts.authenticate(world.p, t.token) is not None
    assert accounts.may_act(world.p, "ev2", "evaluator", TID) and accounts.may_act(world.p, "acme", "bidder", "T-9")
    assert [e["payload"] for e in _access_events(world)] == [{"person": "ev2", "role": "evaluator"}]


@pytest.mark.parametrize(("rows", "message"), [
    (["acme,Acme,bidder", "acme,Again,bidder"], "row 3, column id: person id 'acme' is listed twice"),
    (["acme,Acme,bidder", "a b,Bad,bidder"], "row 3, column id:"),
    (["acme,,bidder"], "row 2, column name: name must be non-empty text"),
    (["acme,Acme,bidder;king"], "row 2, column roles: cannot grant role 'king'"),
    (["acme,Acme,admin@T-1"], "row 2, column roles: the admin role is granted for all tenders only"),
    (["acme,Acme,system"], "row 2, column roles: cannot grant role 'system'"),
    (["acme,Acme"], "row 2: 2 columns, expected 3"),
    (["acme,Acme\x00,bidder"], "row 2, column name: name contains a NUL"),
])
def test_a_bad_row_is_named_by_row_and_column(rows: list[str], message: str):
    with pytest.raises(InvalidCommand) as e:
        accounts.parse_register(_csv(*rows))
    assert str(e.value).startswith(message), str(e.value)


@pytest.mark.parametrize("header", ["", "id,name", "id,name,roles,extra", "id;name;roles"])
def test_the_columns_are_checked(header: str):
    with pytest.raises(InvalidCommand, match="row 1: the columns must be id,name,roles"):
        accounts.parse_register([header + "\n", "acme,Acme,bidder\n"])


def test_a_register_that_cannot_be_taken_writes_nothing(world: World):
    world.create()
    accounts.add_person(world.p, "beta", "Beta Inc")
    before = (world.snapshot(), _rows(world, people), _rows(world, grants), _rows(world, api_tokens))
    for rows, message in [
        ([f"acme,Acme,evaluator@{TID}", "beta,Beta again,bidder"], "row 3, column id: person beta is already registered"),
        ([f"acme,Acme,evaluator@{TID}", "gamma,Gamma,bidder@T-404"], "row 3, column roles: no tender T-404"),
    ]:
        entries = accounts.parse_register(_csv(*rows))
        with pytest.raises(Refused) as e:
            accounts.import_register(world.p, entries, [accounts.new_token(world.p, x.id) for x in entries])
        assert e.value.reason == message
        assert (world.snapshot(), _rows(world, people), _rows(world, grants), _rows(world, api_tokens)) == before


def test_five_thousand_suppliers_in_one_transaction(world: World):
    lines = _csv(*(f"s{i:05d},Supplier {i} Ltd,bidder" for i in range(5000)))
    started = time.perf_counter()
    entries = accounts.parse_register(lines)
    tokens = [accounts.new_token(world.p, e.id, "import", days=90) for e in entries]
    accounts.import_register(world.p, entries, tokens)
    print(f"imported 5000 people in {time.perf_counter() - started:.2f} s")  # reported, not asserted
    assert len(_rows(world, people)) == len(_rows(world, grants)) == len(_rows(world, api_tokens)) == 5000
    assert accounts.authenticate(world.p, tokens[4321].token) == ("s04321", "Supplier 4321 Ltd")
    page = accounts.list_people(world.p, after="s00099", limit=3)
    assert [x.id for x in page] == ["s00100", "s00101", "s00102"] and page[0].grants == [("bidder", "*")]


# --- the migration ------------------------------------------------------------------------------


def test_tokens_issued_before_the_migration_keep_working(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
    old = sa.table("api_tokens", sa.column("token_sha256"), sa.column("person_id"), sa.column("label"))
    with db.writer.begin() as conn:
        conn.execute(sa.insert(people).values(id="acme", name="Acme"))
        conn.execute(sa.insert(old), [{"token_sha256": f"{i:064x}", "person_id": "acme", "label": "old"}
                                      for i in range(3)])
    db.migrate()
    with db.reader.connect() as conn:
        rows = conn.execute(sa.select(api_tokens)).all()
    assert len({r.id for r in rows}) == 3 and all(r.id.startswith("tok_") and r.created for r in rows)
    assert all(r.expires is None and r.revoked is None for r in rows)
    db.reader.dispose()
    db.writer.dispose()
