"""Input formats: JSON Lines, release and record packages, arrays, OCDS 1.0, directories."""

from __future__ import annotations

import json
from pathlib import Path

from tenderproof.flags import run

from .helpers import award, bid, ini, jsonl, short_tender


def r003(tmp_path: Path) -> Path:
    return ini(tmp_path / "r003.ini", "[R003]\n")


def flagged(result: dict) -> set[str]:
    return set(result.get("OCID", {}))


def test_malformed_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(
        json.dumps(short_tender("a")).encode() + b"\n"
        + b'{"ocid": "broken", \n'  # line 2: invalid JSON
        + b"\n  \t\n"  # lines 3-4: blank, skipped silently
        + b"[1, 2]\n"  # line 5: not an object
        + b'{"ocid": "\xff"}\n'  # line 6: not UTF-8
        + b'{"ocid": "nan", "x": NaN}\n'  # line 7: NaN is not JSON (serde_json rejects it)
        + b'{"ocid": "\\ud800"}\n'  # line 8: lone surrogate
        + json.dumps(short_tender("b")).encode() + b"\r\n"  # CRLF
        + json.dumps(short_tender("c")).encode()  # no final newline
    )
    result, errors = run(path, r003(tmp_path), map=False, no_meta=True)
    assert flagged(result) == {"a", "b", "c"}  # the valid lines are all read
    assert [e.split(": ", 1)[1].split(" ", 2)[:2] for e in errors] == [
        ["line", "2"], ["line", "5"], ["line", "6"], ["line", "7"], ["line", "8"]]
    assert all(e.startswith(f"{path}: line ") for e in errors)
    assert "invalid JSON" in errors[0] and "not a JSON object" in errors[1] and "UTF-8" in errors[2]


def test_release_package_merges_releases_of_one_ocid(tmp_path: Path) -> None:
    """Bids in one release and awards in a later one: only the compiled release shows R035."""
    tender = {"ocid": "p", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["tender"],
              "bids": {"details": [{"id": "1", **bid("V")}, {"id": "2", **bid("D", "disqualified")}]}}
    awarded = {"ocid": "p", "id": "2", "date": "2020-02-01T00:00:00Z", "tag": ["award"],
               "awards": [{"id": "a", **award("V")}]}
    package = {"uri": "x", "version": "1.1", "publishedDate": "2020-02-01T00:00:00Z", "releases": [awarded, tender]}
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package, indent=2), encoding="utf-8")
    result, errors = run(path, ini(tmp_path / "s.ini", "[R035]\n"), map=False, no_meta=True)
    assert errors == []
    assert result == {"OCID": {"p": {"R035": 1.0}}, "Tenderer": {"V": {"R035": 0.0}}}


def test_record_package(tmp_path: Path) -> None:
    compiled = {"ocid": "c", "compiledRelease": short_tender("c"), "releases": [{"url": "u", "date": "d"}]}
    embedded = {"ocid": "e", "releases": [short_tender("e", days=30), {**short_tender("e"), "date": "2021-01-01T00:00:00Z"}]}
    linked = {"ocid": "l", "releases": [{"url": "u", "date": "2020-01-01T00:00:00Z", "tag": ["tender"]}]}
    path = tmp_path / "records.json"
    path.write_text(json.dumps({"version": "1.1", "records": [compiled, embedded, linked]}), encoding="utf-8")
    result, errors = run(path, r003(tmp_path), map=False, no_meta=True)
    assert flagged(result) == {"c", "e"}  # "e": the later release (5 days) wins the merge
    assert len(errors) == 1 and "record l" in errors[0] and "no compiledRelease" in errors[0]


def test_array_directory_and_progress(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "array.json").write_text(json.dumps([short_tender("a1"), short_tender("a2", days=20)]))
    (folder / "release.json").write_text(json.dumps(short_tender("r")))
    jsonl(folder / "lines.jsonl", [short_tender("l")])
    (folder / "notes.txt").write_text("ignored")
    calls: list[tuple[int, int]] = []
    result, errors = run(folder, r003(tmp_path), map=False, no_meta=True, progress=lambda *a: calls.append(a))
    assert errors == []
    assert flagged(result) == {"a1", "r", "l"}
    total = sum(p.stat().st_size for p in folder.iterdir() if p.suffix != ".txt")
    assert calls[-1] == (total, total)


def test_concatenated_values_and_sniffing(tmp_path: Path) -> None:
    two = tmp_path / "two.json"
    two.write_text(json.dumps({"releases": [short_tender("x")], "version": "1.1"}) + "\n"
                   + json.dumps(short_tender("y")))
    result, errors = run(two, r003(tmp_path), map=False, no_meta=True)
    assert (flagged(result), errors) == ({"x", "y"}, [])
    lines = jsonl(tmp_path / "data.txt", [short_tender("s1"), short_tender("s2")])  # no telling extension
    result, errors = run(lines, r003(tmp_path), map=False, no_meta=True)
    assert (flagged(result), errors) == ({"s1", "s2"}, [])


def test_ocds_10_is_upgraded(tmp_path: Path) -> None:
    """1.0 organizations have no `id`: after ocdskit's upgrade, suppliers are identified."""
    supplier = {"name": "ACME", "identifier": {"scheme": "X", "id": "1"}}
    releases = [{"ocid": f"o{i}", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["award"],
                 "awards": [{"id": "a", "status": "active", "suppliers": [supplier],
                             "items": [{"id": "1", "classification": {"scheme": "CPV", "id": code}}]}]}
                for i, code in enumerate(["10000000", "20000000"])]
    package = {"uri": "x", "publishedDate": "2020-01-01T00:00:00Z", "releases": releases}  # no version: 1.0
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    settings = ini(tmp_path / "s.ini", "[R048]\nminimum_contracting_processes = 1\nthreshold = 2\n")
    result, errors = run(path, settings, map=False, no_meta=True)
    assert errors == []
    [(supplier_id, values)] = result["Tenderer"].items()
    assert len(supplier_id) == 32 and values == {"R048": 2.0}
    package["version"] = "1.1"  # the same data declared 1.1: suppliers without id are skipped
    path.write_text(json.dumps(package), encoding="utf-8")
    assert run(path, settings, map=False, no_meta=True)[0] == {}


def test_truncated_and_empty_documents(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps({"version": "1.1", "releases": [short_tender("a"), short_tender("b")]})[:-40])
    result, errors = run(path, r003(tmp_path), map=False, no_meta=True)
    assert flagged(result) == {"a"}
    assert len(errors) == 1 and errors[0].startswith(f"{path}: invalid JSON (")
    (tmp_path / "empty.json").write_text("")
    assert run(tmp_path / "empty.json", None, map=False, no_meta=True)[1] == [f"{tmp_path / 'empty.json'}: empty file"]


def test_non_string_ocids_are_skipped(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "d.jsonl", [short_tender(1), {"tender": {}}, short_tender("ok")])  # type: ignore[arg-type]
    result, errors = run(path, r003(tmp_path), map=False, no_meta=True)
    assert flagged(result) == {"ok"}
    assert errors == ["2 release(s) without a string ocid were skipped"]


def test_bids_extension_shapes(tmp_path: Path) -> None:
    """Bid lists that are not arrays, tenderers that are not arrays, amounts that are strings."""
    release = {"ocid": "x", "bids": {"details": [{"status": "valid", "tenderers": {"id": "A"}},
                                                 {"status": "valid", "value": {"amount": "1", "currency": "USD"},
                                                  "tenderers": [{"id": 7}]}, "junk"]},
               "awards": [award("A"), "junk"]}
    result, errors = run(jsonl(tmp_path / "d.jsonl", [release]), None, map=True, no_meta=False)
    assert errors == [] and set(result) == {"Meta", "Maps"}


def test_identifiers_round_trip(tmp_path: Path) -> None:
    """Identifiers come back exactly, whatever their characters."""
    ocids = ["a\x00b", "quote\"back\\slash", "emoji 😀", "é\nnew line", "", " "]
    result, errors = run(jsonl(tmp_path / "d.jsonl", [short_tender(o) for o in ocids]), r003(tmp_path),
                         map=False, no_meta=True)
    assert errors == [] and set(result["OCID"]) == set(ocids)


def test_many_staged_releases_and_a_database_file(tmp_path: Path) -> None:
    """Beyond 2,000 staged releases they wait in DuckDB; a DuckDB file can hold the tables."""
    releases = [short_tender(f"o{i % 2500}", days=20 if i < 2500 else 5) for i in range(3000)]
    for i, release in enumerate(releases):
        release["date"] = f"2020-01-01T00:00:{i // 2500:02d}Z"
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"version": "1.1", "releases": releases}), encoding="utf-8")
    result, errors = run(path, r003(tmp_path), map=False, no_meta=True, database=str(tmp_path / "t.duckdb"))
    assert errors == [] and flagged(result) == {f"o{i}" for i in range(500)}  # merged: the later wins
