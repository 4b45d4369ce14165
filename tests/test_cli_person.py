"""`tenderproof person …` as the operator runs it: a real process on a real data directory. Every
refusal is one line on stderr and a non-zero exit, and leaves nothing behind."""

from __future__ import annotations

import csv
import stat
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tenderproof.app import accounts
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import Settings, open_log
from tenderproof.store.schema import api_tokens, grants, people

from .test_cli import run


@pytest.fixture
def data(tmp_path, db_url):
    d = tmp_path / "data"
    run("init", "--data-dir", d, "--origin", "people.example/log", env_db=db_url)
    return d, db_url


@pytest.fixture
def service(data):
    d, db = data
    p = Procurement(open_log(Settings(d, db), signing=True), d)
    yield p
    p.db.dispose()


def person(data, *args: str, check: int | None = 0) -> tuple[int, str, str]:
    d, db = data
    return run("person", *args, "--data-dir", d, check=check, env_db=db)


def _count(p: Procurement, table: sa.Table) -> int:
    with p.db.reader.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_add_grant_token_list_revoke(data, service):
    person(data, "add", "acme", "Acme LLC")
    rc, _, err = person(data, "add", "acme", "Acme again", check=1)
    assert err == "error: person acme is already registered\n"
    assert person(data, "grant", "acme", "bidder")[1] == "acme may now act as bidder on all tenders\n"
    assert person(data, "grant", "acme", "bidder")[1] == "acme already may act as bidder on all tenders\n"
    _, token, err = person(data, "token", "acme", "--label", "laptop")
    token = token.strip()
    assert token.startswith("tp_") and "laptop" in err and token not in err
    assert accounts.authenticate(service, token) == ("acme", "Acme LLC")
    (issued,) = accounts.list_people(service, person_id="acme")[0].tokens
    expires = datetime.fromisoformat(issued.expires.replace("Z", "+00:00"))
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)  # the CLI's default lifetime
    _, listing, _ = person(data, "list", "acme")
    assert listing.splitlines()[0] == "acme\tAcme LLC\tbidder\t1 live token(s)"
    assert issued.id in listing and token not in listing
    assert person(data, "revoke", "--token-id", issued.id)[1] == f"revoked 1 token(s): {issued.id}\n"
    assert accounts.authenticate(service, token) is None
    person(data, "revoke", "acme", "bidder")
    assert not accounts.may_act(service, "acme", "bidder", None)
    _, token2, _ = person(data, "token", "acme", "--no-expiry")
    assert accounts.authenticate(service, token2.strip()) == ("acme", "Acme LLC")


REFUSALS = [
    (["grant", "ghost", "bidder"], "error: no person ghost"),
    (["grant", "acme", "king"], "error: cannot grant role 'king'"),
    (["grant", "acme", "evaluator", "--tender", "T-404"], "error: no tender T-404"),
    (["revoke", "acme", "bidder"], "error: acme holds no bidder grant on all tenders"),
    (["revoke", "--token-id", "tok_000000000000"], "error: no live token tok_000000000000"),
    (["revoke", "acme"], "error: name exactly one of: a ROLE, --token-id or --label"),
    (["token", "ghost"], "error: no person ghost"),
    (["list", "ghost"], "error: no person ghost"),
    (["add", "a b", "Name"], "error: person id 'a b' must be"),
]


def test_every_refusal_is_one_line_and_changes_nothing(data, service):
    person(data, "add", "acme", "Acme LLC")
    size = service.log.head().size
    for args, message in REFUSALS:
        rc, out, err = person(data, *args, check=None)
        assert rc in (1, 2) and out == "", args
        assert err.startswith(message) and len(err.strip().splitlines()) == 1, (args, err)
    assert (_count(service, people), _count(service, grants), _count(service, api_tokens)) == (1, 0, 0)
    assert service.log.head().size == size


def test_an_official_role_on_a_tender_is_logged_with_the_operator(data, service):
    now = datetime.now(UTC)
    service.execute(c.CreateTender(
        "T-1", title="Cloud", description="d", buyer={"id": "agency", "name": "Agency"}, method="open",
        criteria="lowestPrice", items=[{"id": "i1", "description": "x", "classification": {"scheme": "CPV", "id": "72000000"}}],
        factors=[{"id": "price", "name": "Price", "kind": "price", "weight": 1}], tender_end=now + timedelta(days=30),
        panel={"evaluator": ["ev1"], "ssa": ["ssa"], "opening_official": ["o1"]}, opening_threshold=1), Actor("co", "buyer"))
    person(data, "add", "ev2", "Eve")
    person(data, "grant", "ev2", "evaluator", "--tender", "T-1")
    person(data, "revoke", "ev2", "evaluator", "--tender", "T-1")
    person(data, "grant", "ev2", "bidder", "--tender", "T-1")  # never on the log
    logged = [(lg.envelope["type"], lg.envelope["payload"], lg.envelope["actor"]) for lg in service.events("T-1")[1:]]
    assert logged == [("access.granted", {"person": "ev2", "role": "evaluator"}, {"id": "operator", "role": "admin"}),
                      ("access.revoked", {"person": "ev2", "role": "evaluator"}, {"id": "operator", "role": "admin"})]


def test_import_writes_tokens_once_with_mode_0600(data, service, tmp_path):
    register = tmp_path / "suppliers.csv"
    register.write_text("\ufeffid,name,roles\n" + "".join(f's{i:04d},"Supplier {i}, Ltd",bidder\n' for i in range(2000)))
    out = tmp_path / "tokens.csv"
    _, stdout, _ = person(data, "import", register, "--tokens-out", out)
    assert stdout == f"imported 2000 people from {register}; their tokens are in {out}\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2000 and set(rows[0]) == {"id", "label", "token", "token_id", "expires"}
    for row in (rows[0], rows[1234], rows[-1]):
        assert accounts.authenticate(service, row["token"]) == (row["id"], f"Supplier {int(row['id'][1:])}, Ltd")
    assert _count(service, people) == _count(service, grants) == _count(service, api_tokens) == 2000
    rc, _, err = person(data, "import", register, "--tokens-out", out, check=1)  # never overwrites tokens
    assert "exists" in err and len(err.strip().splitlines()) == 1


BAD_REGISTERS = [
    ("id,name,roles\nacme,Acme,bidder\nbeta,,bidder\n", "error: row 3, column name: name must be non-empty text"),
    ("id,name,roles\nacme,Acme,bidder\nbeta,Beta,bidder@T-404\n", "error: row 3, column roles: no tender T-404"),
    ("id,name,roles\nacme,Acme,bidder\ntaken,Again,bidder\n", "error: row 3, column id: person taken is already"),
    ("name,roles\nAcme,bidder\n", "error: row 1: the columns must be id,name,roles"),
    (b"id,name,roles\nacme,\xff\xfe,bidder\n", "error: {register}: not UTF-8 text"),
]


def test_a_bad_register_writes_nothing(data, service, tmp_path):
    person(data, "add", "taken", "Taken Inc")
    for text, message in BAD_REGISTERS:
        register = tmp_path / "r.csv"
        register.write_bytes(text if isinstance(text, bytes) else text.encode())
        out = tmp_path / "tokens.csv"
        rc, stdout, err = person(data, "import", register, "--tokens-out", out, check=1)
        assert err.startswith(message.format(register=register)) and len(err.strip().splitlines()) == 1, err
        assert not out.exists() and not list(tmp_path.glob(".tokens.csv*"))
        assert _count(service, people) == 1 and _count(service, api_tokens) == 0 and _count(service, grants) == 0
