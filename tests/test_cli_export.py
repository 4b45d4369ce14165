"""`tenderproof ocds export` as a user runs it: JEDI replayed, exported to Excel and to zipped CSV,
read back with openpyxl and csv against the release package `ocds releases` writes."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import openpyxl
import pytest

from .test_cli import run

JEDI = "HQ0034-18-R-0077"


@pytest.fixture(scope="module")
def jedi(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli-export")
    run("init", "--data-dir", d / "data")
    run("scenario", "run", "jedi", "--data-dir", d / "data")
    run("ocds", "releases", "-o", d / "releases.json", "--data-dir", d / "data")
    return d, json.loads((d / "releases.json").read_text())["releases"]


def test_excel_export_reads_back(jedi):
    d, releases = jedi
    out = d / "jedi.xlsx"
    _, said, _ = run("ocds", "export", "--format", "xlsx", "-o", out, "--data-dir", d / "data")
    assert said.strip() == f"wrote 1 compiled releases (one per contracting process) to {out}"
    book = openpyxl.load_workbook(out, read_only=True)
    main = list(book["main"].iter_rows(values_only=True))
    assert main[0][:2] == ("ocid", "id") and [r[0] for r in main[1:]] == [releases[0]["ocid"]]
    awards = list(book["awards"].iter_rows(values_only=True))
    amount = awards[0].index("awards/0/value/amount")
    assert {r[amount] for r in awards[1:]} == {a["value"]["amount"] for r in releases for a in r.get("awards", [])}
    assert {r[amount] for r in awards[1:]} == {10_000_000_000}


def test_csv_export_of_one_tenders_releases(jedi):
    d, releases = jedi
    out = d / "jedi.csv.zip"
    run("ocds", "export", "--format", "csv", "--kind", "releases", "--tender", JEDI, "-o", out, "--data-dir", d / "data")
    with zipfile.ZipFile(out) as z:
        assert z.namelist()[0] == "main.csv" and "awards.csv" in z.namelist()
        main = list(csv.DictReader(io.TextIOWrapper(z.open("main.csv"), encoding="utf-8", newline="")))
    assert [r["id"] for r in main] == [r["id"] for r in releases]
    assert {r["ocid"] for r in main} == {r["ocid"] for r in releases} == {"ocds-tndrpf-" + JEDI}


@pytest.mark.parametrize("args, code, says", [
    (["--format", "pdf"], 2, "error: --format 'pdf' is not one of csv, xlsx"),
    (["--format", "csv", "--kind", "versioned"], 2, "error: --kind 'versioned' is not one of compiled, releases"),
    (["--format", "csv", "--tender", "NO-SUCH"], 1, "error: no tender NO-SUCH"),
    (["--format", "csv", "--max-bytes", "lots"], 2, "error: --max-bytes: 'lots' is not a size"),
    (["--format", "xlsx", "--kind", "releases", "--max-bytes", "1K"], 1,
     "error: {n} releases come to more than one export holds (1024 bytes of JSON, as flatten-tool works in memory); "
     "take the compiled kind, or one tender (--tender / ?tender=), or the JSON Lines"),
    (["--format", "xlsx", "--max-bytes", "1K"], 1, "error: the compiled releases come to more than one export holds"),
])
def test_refusals_are_one_line_and_leave_no_file(jedi, args, code, says):
    d, releases = jedi
    says = says.format(n=len(releases))
    out = d / "refused.out"
    _, said, err = run("ocds", "export", *args, "-o", out, "--data-dir", d / "data", check=code)
    assert said == "" and len(err.strip().splitlines()) == 1 and err.startswith(says), err
    assert not out.exists() and not [f for f in d.iterdir() if f.name.startswith(".refused.out")]
