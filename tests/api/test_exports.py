"""GET /api/ocds/export.xlsx and /api/ocds/export.csv.zip: JEDI's OCDS data flattened the way
the community's tools do it (flatten-tool), opened with openpyxl and csv and read back against the
releases the API serves as JSON."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tenderproof.api import create_app, exports
from tenderproof.app import queries
from tenderproof.instance import Settings

from ..app.test_jedi import TENDER, replay

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def jedi(tmp_path_factory):
    d = tmp_path_factory.mktemp("jedi")
    p, _ = replay(Settings(d / "data", f"sqlite:///{d / 'data' / 'tenderproof.db'}"))
    yield p, TestClient(create_app(p))
    p.log.db.dispose()


def _sheet(book, name: str) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _csv(body: bytes, name: str) -> list[dict]:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return list(csv.DictReader(io.TextIOWrapper(z.open(name), encoding="utf-8", newline="")))


def _award_amounts(releases: list[dict]) -> set:
    return {a["value"]["amount"] for r in releases for a in r.get("awards", []) if "value" in a}


def test_the_workbook_has_a_row_per_contracting_process_and_jedis_award(jedi):
    p, client = jedi
    r = client.get("/api/ocds/export.xlsx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == exports.XLSX
    assert r.headers["content-disposition"] == 'attachment; filename="ocds-compiled.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames[0] == "main" and "awards" in book.sheetnames
    releases = queries.releases(p)
    main = _sheet(book, "main")
    assert [row["ocid"] for row in main] == sorted({rel["ocid"] for rel in releases})  # one row per process
    awards = _sheet(book, "awards")
    # Both awards (the first, and the one reaffirmed on remand), each with JEDI's $10 billion ceiling.
    assert {a["awards/0/id"] for a in awards} == {a["id"] for rel in releases for a in rel.get("awards", [])}
    assert {a["awards/0/value/amount"] for a in awards} == _award_amounts(releases) == {10_000_000_000}
    assert {a["ocid"] for a in awards} == {main[0]["ocid"]}  # joined to the main sheet by ocid and id
    assert {a["id"] for a in awards} == {main[0]["id"]}


def test_the_csv_zip_has_a_row_per_release(jedi):
    p, client = jedi
    r = client.get("/api/ocds/export.csv.zip", params={"kind": "releases", "tender": TENDER})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"] == f'attachment; filename="ocds-releases-{TENDER}.csv.zip"'
    assert zipfile.ZipFile(io.BytesIO(r.content)).namelist()[0] == "main.csv"
    releases = queries.releases(p)
    main = _csv(r.content, "main.csv")
    assert [row["id"] for row in main] == [rel["id"] for rel in releases]  # in ledger order
    assert [row["date"] for row in main] == [rel["date"] for rel in releases]
    assert [row["tag"] for row in main] == [";".join(rel["tag"]) for rel in releases]  # flatten-tool joins arrays of strings
    amounts = {row["awards/0/value/amount"] for row in _csv(r.content, "awards.csv")}
    assert amounts == {str(a) for a in _award_amounts(releases)}
    # The same bytes for the same data (no wall-clock time in the zip): a download can be compared.
    assert client.get("/api/ocds/export.csv.zip", params={"kind": "releases", "tender": TENDER}).content == r.content


def test_an_unknown_tender_or_kind_is_a_problem(jedi):
    _, client = jedi
    r = client.get("/api/ocds/export.xlsx", params={"tender": "NO-SUCH"})
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"].endswith("/not-found") and "NO-SUCH" in r.json()["detail"]
    r = client.get("/api/ocds/export.csv.zip", params={"kind": "versioned"})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("kind", ["releases", "compiled"])
def test_an_export_past_the_bound_is_refused(jedi, monkeypatch, tmp_path, kind):
    """Releases are measured before anything is read; compiled releases as they are written."""
    p, client = jedi
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stored = sum(len(json.dumps(r)) for r in queries.releases(p))
    monkeypatch.setattr(exports, "MAX_BYTES", stored // 4 if kind == "releases" else 1000)
    r = client.get("/api/ocds/export.xlsx", params={"kind": kind})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"].endswith("/export-too-large") and "?tender=" in body["detail"], body
    assert ("the compiled kind" in body["detail"]) is (kind == "releases")
    assert list(tmp_path.iterdir()) == []


def test_one_export_at_a_time_and_nothing_left_behind(jedi, monkeypatch, tmp_path):
    _, client = jedi
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert exports._ONE_AT_A_TIME.acquire(blocking=False)
    try:
        r = client.get("/api/ocds/export.xlsx", params={"tender": TENDER})
    finally:
        exports._ONE_AT_A_TIME.release()
    assert r.status_code == 503 and r.headers["retry-after"] == str(exports.RETRY_AFTER)
    assert r.json()["type"].endswith("/export-busy")
    assert client.get("/api/ocds/export.xlsx", params={"tender": TENDER}).status_code == 200
    assert list(tmp_path.iterdir()) == []  # the export's folder went once the file was sent
