"""Anonymous until the opening, at every door and at rest (issue 10).

Bidders whose ids and names are marker strings bid, bid again, withdraw, ask, declare their
owners, get an employment contact reported, and bid late. Before the opening none of the markers
appears in any API response, portal page, change feed, OCDS package, log tile or entry, public
record bundle, server log line, in any table of the database (but the account registry, which
says who may bid, not who did) or any file of the data directory. After the opening the record
names them where the law wants them named.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tenderproof import seal
from tenderproof.app import accounts
from tenderproof.record.export import export_record
from tenderproof.store.schema import api_tokens, grants, metadata, people

from ..app.conftest import _package
from .conftest import make_api

TID = "ANON-1"
#: Marker person ids and names: the bid's bidder, a bidder that withdraws, a bidder that bids late.
MARKERS = {"mkrzulu": "ZULU-MARKER Holdings", "mkryank": "YANKEE-MARKER Systems", "mkrxray": "XRAY-MARKER Cloud"}
REGISTRY = {people.name, api_tokens.name, grants.name}


def _setup(settings):
    api = make_api(settings, "anon.tenderproof.localhost/log")
    for who, name in MARKERS.items():
        accounts.add_person(api.p, who, name)
        accounts.grant(api.p, who, "bidder")
        api.tokens[who] = accounts.issue_token(api.p, who, "test")
    body = {
        "tender_id": TID, "title": "Sealed cloud", "description": "Anonymity test", "buyer": {"id": "agency", "name": "Agency"},
        "method": "open", "criteria": "bestValueTradeoff",
        "items": [{"id": "i1", "description": "cloud", "classification": {"scheme": "CPV", "id": "72000000"}}],
        "factors": [{"id": "tech", "name": "Technical", "weight": 3}, {"id": "price", "name": "Price", "kind": "price"}],
        "tender_end": (api.clock.now + timedelta(days=30)).isoformat(),
        "enquiry_end": (api.clock.now + timedelta(days=10)).isoformat(),
        "panel": {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"]},
        "opening_threshold": 2, "value": {"amount": "1000000", "currency": "USD"},
    }
    assert api.post("/api/tenders", "co", json=body).status_code == 201
    assert api.post(f"/api/tenders/{TID}/publication", "co").status_code == 201
    return api


def _sealed(api, text: bytes) -> bytes:
    pub = base64.b64decode(api.get(f"/api/tenders/{TID}").json()["opening_key"]["public_key"])
    return seal.seal_bid(TID, pub, _package(text))


def _bid(api, who: str, text: bytes, sealed: bytes | None = None):
    sealed = sealed or _sealed(api, text)
    return api.post(f"/api/tenders/{TID}/bids", who, content=sealed, **{"Idempotency-Key": f"{who}-{hashlib.sha256(text).hexdigest()}"})


def _rush(api):
    """Everything a bidder can do before the opening, by the marker bidders."""
    first = _bid(api, "mkrzulu", b"zulu first")
    assert first.status_code == 201, first.text
    better = _sealed(api, b"zulu better")
    second = _bid(api, "mkrzulu", b"zulu better", better)  # replaces the first, at the opening
    assert second.status_code == 201
    assert _bid(api, "mkrzulu", b"zulu better", better).json() == second.json()  # a retry: the same answer
    yank = _bid(api, "mkryank", b"yankee")
    assert yank.status_code == 201
    withdrawn = api.post(f"/api/tenders/{TID}/bids/withdrawals", "mkryank", json={"bid_id": yank.json()["bid_id"]})
    assert withdrawn.status_code == 201, withdrawn.text
    # Nobody else can withdraw a bid: the key comes from the bidder's own token.
    other = api.post(f"/api/tenders/{TID}/bids/withdrawals", "mkrxray", json={"bid_id": first.json()["bid_id"]})
    assert other.status_code == 404 and "mkr" not in other.text.lower()
    asked = api.post(f"/api/tenders/{TID}/enquiries", "mkrxray",
                     json={"enquiry_id": "q1", "question": "Is a classified region needed at award?"})
    assert asked.status_code == 201
    assert api.post(f"/api/tenders/{TID}/enquiries/answers", "co", json={"enquiry_id": "q1", "answer": "No."}).status_code == 201
    owners = api.post(f"/api/tenders/{TID}/ownership", "mkrzulu", json={"owners": ["ZULU-MARKER Parent"], "affiliates": []})
    assert owners.status_code == 201, owners.text
    contact = api.post(f"/api/tenders/{TID}/employment-contacts?role=evaluator", "ev",
                       json={"bidder_id": "mkrxray", "contact_date": api.clock.now.isoformat(), "response": "rejected"})
    assert contact.status_code == 201, contact.text
    api.clock.advance(days=31)
    late = _bid(api, "mkrxray", b"xray late")
    assert late.status_code == 409 and late.json()["type"].endswith("late-bid")
    assert "mkr" not in late.text.lower() and "marker" not in late.text.lower()
    return first.json()["bid_id"]


def _found(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    low = text.lower()
    return [m for who, name in MARKERS.items() for m in (who, name.lower(), name.split()[0].lower()) if m in low]


def _public_surfaces(api) -> dict[str, bytes]:
    out: dict[str, bytes] = {}

    def get(path: str) -> None:
        r = api.get(path)
        assert r.status_code == 200, (path, r.status_code)
        out[path] = r.content

    for path in (f"/api/tenders/{TID}", "/api/tenders", f"/api/tenders/{TID}/events", "/api/events?limit=1000",
                 "/api/ocds/releases.json", "/api/ocds/records.json", "/api/ocds/releases.jsonl", "/",
                 f"/tenders/{TID}", "/log/checkpoint", "/log", "/verify/checkpoint", "/flags", "/flags/indicators",
                 f"/api/tenders/{TID}/record.zip", f"/feeds/tenders/{TID}.atom", "/feeds/search.atom",
                 "/api/ocds/export.xlsx", "/api/ocds/export.csv.zip",
                 "/api/ocds/export.xlsx?kind=releases", "/api/ocds/export.csv.zip?kind=releases"):
        get(path)
    size = api.p.log.head().size
    for i in range(size):
        get(f"/events/{i}")
        get(f"/events/{i}/proof")
    for i in range(0, size, 256):
        get(f"/log/tile/entries/{i // 256:03d}" + (f".p/{size - i}" if size - i < 256 else ""))
    out["record bundle"] = export_record(api.p, TID).data
    for i, entry in enumerate(api.p.log.entries(0, size)):
        out[f"log entry {i}"] = entry
    # Zips (record bundles, Excel workbooks, CSV archives) are searched member by member,
    # decompressed: a marker deflated inside one would not show in its bytes.
    return {path: _unzipped(data) for path, data in out.items()}


def _unzipped(data: bytes) -> bytes:
    if not data.startswith(b"PK\x03\x04"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"\n".join(name.encode() + b"\n" + z.read(name) for name in z.namelist())


def _database(api) -> dict[str, str]:
    """Every row of every table but the account registry, as text."""
    out = {}
    with api.p.db.reader.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in REGISTRY:
                continue
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = "\n".join(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in r))
                                        for r in rows)
    return out


def _pg_dump(api) -> dict[str, bytes]:
    """On PostgreSQL, `pg_dump` of the test's schema, the account registry's rows left out."""
    url = sa.engine.make_url(api.p.db.url)
    if url.get_backend_name() != "postgresql":
        return {}
    schema = url.query["options"].removeprefix("-csearch_path=")
    cmd = ["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "root",
           "-n", schema, *(f"--exclude-table-data={schema}.{t}" for t in sorted(REGISTRY)), url.database]
    dump = subprocess.run(cmd, capture_output=True, check=True).stdout
    assert b"tender_rows" in dump and b"COPY" in dump
    return {"pg_dump": dump}


def _data_dir(settings) -> dict[str, bytes]:
    root = Path(settings.data_dir)
    return {str(f): f.read_bytes() for f in root.rglob("*") if f.is_file() and not re.search(r"\.db(-wal|-shm)?$", f.name)}


def test_no_surface_and_no_table_names_a_bidder_before_the_opening(settings, caplog):
    caplog.set_level(logging.DEBUG)
    api = _setup(settings)
    _rush(api)
    assert api.p.state(TID)["status"] == "active.opening"
    everything = {**_public_surfaces(api), **_data_dir(settings), **_pg_dump(api)}
    leaks = {where: found for where, text in everything.items() if (found := _found(text))}
    leaks |= {f"table {name}": found for name, text in _database(api).items() if (found := _found(text))}
    leaks |= {"server log": found} if (found := _found(caplog.text)) else {}
    assert leaks == {}
    # The withdrawal, the replacement and the refused late bid are all on the record, unnamed.
    types = [e.envelope["type"] for e in api.p.events(TID)]
    assert types.count("bid.submitted") == 3 and "bid.withdrawn" in types and "command.refused" in types


def test_sealed_sizes_fall_in_buckets(settings):
    api = _setup(settings)
    small, large = _bid(api, "mkrzulu", b"s" * 10), _bid(api, "mkryank", b"L" * 3000)
    assert small.status_code == large.status_code == 201
    state = api.p.state(TID)
    assert {b["sealed_size"] for b in state["bids"].values()} == {len(_sealed(api, b"s" * 10))}
    unpadded = _sealed(api, b"x")[:-1]
    r = api.post(f"/api/tenders/{TID}/bids", "mkrxray", content=unpadded)
    assert r.status_code == 422 and "bucket" in r.json()["detail"]


def test_the_opening_names_who_bid_withdrew_and_was_refused(settings):
    api = _setup(settings)
    first = _rush(api)
    for o in ("op1", "op2"):
        assert api.post(f"/api/tenders/{TID}/declarations", o, json={"role": "opening_official", "has_conflict": False}).status_code == 201
        enc = base64.b64decode(api.get(f"/api/tenders/{TID}").json()["opening_key"]["encrypted_shares"][o])
        share = seal.decrypt_share(TID, o, enc, api.keys[o])
        assert api.post(f"/api/tenders/{TID}/shares", o, content=share).status_code == 201
    s = api.p.state(TID)
    assert s["status"] == "active.evaluation"
    bids = {b["id"]: b for b in s["bids"].values()}
    opened = [b for b in bids.values() if b["status"] == "opened"]
    assert [(b["bidder"], b["bidder_name"]) for b in opened] == [("mkrzulu", MARKERS["mkrzulu"])]
    assert bids[first]["status"] == "replaced" and bids[first]["replaced_by"] == opened[0]["id"]
    assert [b["bidder"] for b in bids.values() if b["status"] == "withdrawn"] == ["mkryank"]
    late = [r for r in s["refusals"] if r["code"] == "late-bid"]
    assert [r["actor"] for r in late] == [{"id": "mkrxray", "role": "bidder"}]
    assert s["ownership"] == {"mkrzulu": {"owners": ["ZULU-MARKER Parent"], "affiliates": []}}
    # Nothing stays sealed after the opening: every confidential part is readable for the record.
    with api.p.db.reader.connect() as conn:
        from tenderproof.store.schema import confidential

        assert conn.execute(sa.select(sa.func.count()).where(confidential.c.sealed.is_not(None))).scalar() == 0
    # The scan sees inside zips: from the opening on, the exports and the bundle name the bidder.
    surfaces = _public_surfaces(api)
    for path in ("/api/ocds/export.xlsx", "/api/ocds/export.csv.zip", f"/api/tenders/{TID}/record.zip"):
        assert "mkrzulu" in _found(surfaces[path]), path
    # Who asked an enquiry is never published (FAR 15.201(f)); the public view does not say.
    assert "author" not in api.get(f"/api/tenders/{TID}").json()["enquiries"][0]
