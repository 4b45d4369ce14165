"""DuckDB's own reading of JSON Lines (`fastload`) against the Python reader and `Loader`, which
are the reference: on any input, either the fast path declines and loads nothing, or both give
the same tables."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tenderproof.flags import fastload, run
from tenderproof.flags.flatten import SCHEMA, Loader, create_tables, insert_select
from tenderproof.flags.readers import Reader

from .helpers import award, bid, jsonl, short_tender


class Dup:
    """A JSON object written with its pairs as given, duplicate keys included."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


class Raw:
    """A number written exactly as given (e.g. 1E2, -0, 1e400, 40 digits)."""

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: Any, spaced: bool = False) -> str:
    sep, colon = (", ", ": ") if spaced else (",", ":")
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Dup):
        return "{" + sep.join(json.dumps(k) + colon + dumps(v, spaced) for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return dumps(Dup(list(value.items())), spaced)
    if isinstance(value, list):
        return "[" + sep.join(dumps(v, spaced) for v in value) + "]"
    return json.dumps(value)


_RAW_NUMBERS = ["1E2", "-0", "-0.0", "1e400", "-1e400", "123456789012345678901234567890", "9223372036854775808",
                "18446744073709551616", "5e-324", "0.1", "1.5e300", "7", "-12", "3.0"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(_RAW_NUMBERS).map(Raw),
    st.text(max_size=6), st.sampled_from(["USD", "EUR", "valid", "active", "tenderNotice", "disqualified",
                                          "2020-01-01T00:00:00Z", "2020-02-30T00:00:00Z", "2021-06-01 10:00:00+02:00"]),
)


#: Whether this example's file may have the wrong container type or a duplicate key on a path
#: read (DuckDB then declines the file); otherwise only leaves vary, in type and value.
messy = st.shared(st.integers(0, 2).map(lambda n: n == 0), key="messy")


def shaped(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`inner` or null; in a messy file, sometimes a scalar, an array or an object instead."""
    wrong = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(st.text(max_size=3), scalars, max_size=2))
    return messy.flatmap(lambda m: st.one_of(inner, inner, inner, wrong) if m else st.one_of(inner, inner, st.none()))


def obj(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An object with any subset of `fields`, sometimes a key twice, sometimes an extra key."""
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        pairs = [(k, draw(v)) for k, v in fields.items() if draw(st.booleans())]
        if pairs and draw(messy) and draw(st.integers(0, 9)) == 0:
            key = draw(st.sampled_from([k for k, _ in pairs]))
            pairs.append((key, draw(fields[key])))
        if draw(st.integers(0, 4)) == 0:  # keys not read, twice or not, are ignored by both
            pairs.append((draw(st.sampled_from(["x", "name", "x"])), draw(scalars)))
        return Dup(pairs)
    return build()


def array(item: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(st.one_of(item, item, item, st.none()), max_size=3)


ids = st.one_of(st.sampled_from(["S1", "S2", "B1", "é\"\\", "A-1"]), st.integers(0, 3), st.none())
org = shaped(obj(id=ids))
value = shaped(obj(amount=st.one_of(st.floats(allow_nan=False), st.integers(), scalars), currency=scalars))
classified = shaped(obj(classification=shaped(obj(id=ids))))
counted = shaped(array(shaped(obj(id=scalars))))
release = obj(
    ocid=st.one_of(st.sampled_from(["ocds-1", "ocds-2", "ocds-\u00e9"]), scalars), date=scalars, buyer=org,
    complaints=counted,
    tender=shaped(obj(
        status=scalars, procurementMethod=scalars, procurementMethodDetails=scalars, procuringEntity=org,
        numberOfTenderers=scalars, value=value, tenderPeriod=shaped(obj(startDate=scalars, endDate=scalars)),
        documents=shaped(array(shaped(obj(documentType=scalars, datePublished=scalars)))),
        items=shaped(array(classified)), complaints=counted)),
    awards=shaped(array(shaped(obj(id=ids, status=scalars, date=scalars, value=value,
                                   suppliers=shaped(array(org)), items=shaped(array(classified)),
                                   complaints=counted)))),
    bids=shaped(obj(details=shaped(array(shaped(obj(status=scalars, date=scalars, value=value,
                                                      tenderers=shaped(array(org)))))))),
    contracts=shaped(array(shaped(obj(awardID=ids, status=scalars, dateSigned=scalars, value=value,
                                      amendments=counted,
                                      implementation=shaped(obj(transactions=shaped(array(shaped(obj(
                                          value=value)))))))))),
)


def tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every table's rows as text (so -0.0, NaN and infinities compare exactly), with processes
    renumbered 1, 2, … in order (the two paths number them with different gaps)."""
    rank = {seq: i for i, (seq,) in enumerate(con.execute("SELECT seq FROM processes ORDER BY seq").fetchall())}
    out = {}
    for table in SCHEMA:
        rows = con.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted(repr((rank[row[0]], *row[1:])) for row in rows)
    return out


_db = duckdb.connect(config={"threads": 1})


def _connection() -> duckdb.DuckDBPyConnection:
    """A connection of its own (its temp tables private) on one shared database: fast to open."""
    return _db.cursor()


def python_path(path: Path) -> dict[str, list[str]]:
    con = _connection()
    create_tables(con)
    loader = Loader(con)
    seq = 0
    for item in Reader().read([path]):
        if isinstance(item.release.get("ocid"), str):
            seq += 1
            loader.add(item.release, seq)
    loader.flush()
    return tables(con)


def fast_path(path: Path) -> dict[str, list[str]] | None:
    con = _connection()
    create_tables(con)
    loaded = fastload.load(con, path, lambda table, select: insert_select(con, table, select), first_seq=1)
    if loaded is None:
        assert all(n == 0 for table in SCHEMA for (n,) in [con.execute(f"SELECT count(*) FROM {table}").fetchone()])
        return None
    return tables(con)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=st.lists(release, min_size=1, max_size=4), spaced=st.booleans())
def test_fast_path_gives_the_python_tables(tmp_path_factory: pytest.TempPathFactory, lines: list[Any],
                                           spaced: bool) -> None:
    path = tmp_path_factory.mktemp("fast") / "data.jsonl"
    path.write_text("".join(dumps(line, spaced) + "\n" for line in lines), encoding="utf-8")
    fast = fast_path(path)
    event("fast path" if fast is not None else "declined")
    if fast is not None:
        assert fast == python_path(path)


def test_typical_files_take_the_fast_path(tmp_path: Path) -> None:
    releases = [short_tender(f"ocds-{i}", bids={"details": [bid("S1", amount=10.5 + i), bid(i, amount=None)]},
                             awards=[award("S1", value={"amount": 10, "currency": "USD"})]) for i in range(50)]
    path = jsonl(tmp_path / "d.jsonl", [*releases, {"ocid": 7}, {"no": "ocid"}])
    con = duckdb.connect()
    create_tables(con)
    loaded = fastload.load(con, path, lambda table, select: insert_select(con, table, select), first_seq=1)
    assert loaded is not None and (loaded.processes, loaded.skipped, loaded.lines) == (50, 2, 52)
    assert fast_path(path) == python_path(path)


@pytest.mark.parametrize("line", [
    b'{"ocid": "a", "x": NaN}', b'{"ocid": "a", "x": [1, -Infinity]}', b'{"ocid": "a", "x": inf}',
    b'{"ocid": "a", "x": [1, ]}', b'{"ocid": "a", "x": {"y": 1,}}', b'{"ocid": "a",\x0c"x": 1}',
    b'{"ocid": "a", "tender": {"status": "x", "status": "y"}}',  # serde keeps the last, DuckDB the first
    b'{"ocid": "a", "awards": {"id": "1"}}', b'{"ocid": "a", "awards": [1]}', b'{"ocid": "a", "tender": "x"}',
    b'{"releases": [{"ocid": "a"}]}', b'{"ocid": "a", "compiledRelease": {"ocid": "a"}}',
    b'{"ocid": "a"', b'[{"ocid": "a"}]', b'{"ocid": "\xff"}', b'{"ocid": "\\ud800"}',
])
def test_what_serde_json_reads_differently_goes_to_python(tmp_path: Path, line: bytes) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(json.dumps(short_tender("ok")).encode() + b"\n" + line + b"\n")
    assert fast_path(path) is None


def test_a_byte_order_mark_goes_to_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastload, "MIN_BYTES", 0)
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(short_tender("a")).encode() + b"\n")
    assert fast_path(path) is None
    _, errors = run(path, None, map=False, no_meta=True)
    assert any("line 1 is invalid JSON" in e for e in errors)


def test_nan_inside_a_string_costs_only_the_slow_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastload, "MIN_BYTES", 0)
    path = jsonl(tmp_path / "d.jsonl", [short_tender("a", description="a: NaN, b: [x,]")])
    assert fast_path(path) is None
    assert run(path, None, map=False, no_meta=True)[1] == []


def test_both_paths_give_the_same_flags_and_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastload, "MIN_BYTES", 0)
    releases = [short_tender(f"ocds-{i}", buyer={"id": f"B{i % 3}"},
                             bids={"details": [bid(f"S{j}", amount=100.0 + 7 * j + i) for j in range(i % 4 + 1)]},
                             awards=[award(f"S{i % 5}", value={"amount": 100.0 + i, "currency": "USD"})])
                for i in range(60)]
    path = jsonl(tmp_path / "d.jsonl", releases)
    seen: list[tuple[int, int]] = []
    fast = run(path, None, map=True, no_meta=False, progress=lambda done, total: seen.append((done, total)))
    slow = run(path, None, map=True, no_meta=False, fast=False)
    assert fast == slow and fast[0]["OCID"]
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert all(not math.isnan(d) for d, _ in seen)


def test_malformed_lines_are_named_when_duckdb_would_read_the_file(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from . import test_readers

    monkeypatch.setattr(fastload, "MIN_BYTES", 0)
    test_readers.test_malformed_json_lines(tmp_path)


def test_a_large_file_with_bad_lines_is_read_by_duckdb_but_for_their_pieces(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file DuckDB declines whole is offered again in pieces: pieces with a bad line are read by
    Python, which names the line by its number in the file; the rest by DuckDB, in order."""
    from tenderproof.flags import readers

    releases = [short_tender(f"ocds-{i}", days=i % 20, bids={"details": [bid("S1", amount=1.0 + i)]})
                for i in range(300)]
    lines = [json.dumps(r).encode() for r in releases]
    lines[150] = b'{"ocid": "bad", "awards": {"not": "an array"}}'  # valid JSON that DuckDB refuses
    lines[151] = b'{"ocid": "broken",'  # line 152: malformed
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setattr(readers, "CHUNK", 4096)
    monkeypatch.setattr(fastload, "MIN_BYTES", 0)
    offered: list[bool] = []
    load = fastload.load

    def watched(*args: Any, **kwargs: Any) -> Any:
        loaded = load(*args, **kwargs)
        offered.append(loaded is not None)
        return loaded

    monkeypatch.setattr(fastload, "load", watched)
    fast, fast_errors = run(path, None, map=True, no_meta=False)
    slow, slow_errors = run(path, None, map=True, no_meta=False, fast=False)
    assert fast == slow and fast_errors == slow_errors
    assert len(fast_errors) == 1 and fast_errors[0].startswith(f"{path}: line 152 is invalid JSON")
    assert offered[0] is False  # the whole file was declined, then offered in pieces
    assert offered[1:].count(False) <= 2 and offered[1:].count(True) > 10  # but the bad lines' pieces
