"""Flattening a JSON Lines file of compiled releases inside DuckDB, without Python per release.

DuckDB reads the file itself (`read_json`, yyjson, on all cores) into nested structs holding only
the fields the indicators read, their leaves kept as JSON text; SQL then applies the typing rules
of `flatten.Loader` (an id or a status must be a string, an amount a number, never a boolean) and
unnests awards, bids and contracts into the same tables. `tests/flags/test_fastload.py` checks,
by property, that both give the same tables.

The file goes to the exact Python reader instead (`load` returns None), loading nothing, when
DuckDB would not read it as Cardinal's serde_json does:
- DuckDB refuses it: malformed JSON, invalid UTF-8, a line that is not an object, a duplicate key
  on a path the indicators read (serde keeps the last value, DuckDB would take the first), or an
  array or object where the other is expected on such a path (Python ignores it, see `Loader`);
- a line holds what yyjson accepts and serde_json refuses: NaN or Infinity literals, a trailing
  comma, a form feed as whitespace (looked for by a regular expression over the raw lines; a
  match inside a string only costs the slow path);
- a line is a package or a record (it has `releases`, `records` or `compiledRelease`);
- the file starts with a UTF-8 byte-order mark (refused by serde_json, skipped by DuckDB).
The Python reader then reports each bad line by number and reads the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

_J = "JSON"


def _struct(**fields: str) -> str:
    return "STRUCT(" + ", ".join(f'"{name}" {kind}' for name, kind in fields.items()) + ")"


_ORG = _struct(id=_J)
_VALUE = _struct(amount=_J, currency=_J)
_CLASSIFIED = _struct(classification=_struct(id=_J))
_COUNTED = _struct(id=_J) + "[]"  # only counted: objects (or null) in an array
#: What `read_json` keeps of each line: the fields `flatten.Loader.add` reads, leaves as JSON text.
COLUMNS: dict[str, str] = {
    "ocid": _J, "date": _J, "buyer": _ORG, "complaints": _COUNTED,
    "tender": _struct(
        status=_J, procurementMethod=_J, procurementMethodDetails=_J, procuringEntity=_ORG,
        numberOfTenderers=_J, value=_VALUE, tenderPeriod=_struct(startDate=_J, endDate=_J),
        documents=_struct(documentType=_J, datePublished=_J) + "[]", items=_CLASSIFIED + "[]",
        complaints=_COUNTED),
    "awards": _struct(id=_J, status=_J, date=_J, value=_VALUE, suppliers=_ORG + "[]",
                      items=_CLASSIFIED + "[]", complaints=_COUNTED) + "[]",
    "bids": _struct(details=_struct(status=_J, date=_J, value=_VALUE, tenderers=_ORG + "[]") + "[]"),
    "contracts": _struct(awardID=_J, status=_J, dateSigned=_J, value=_VALUE, amendments=_COUNTED,
                         implementation=_struct(transactions=_struct(value=_VALUE) + "[]")) + "[]",
    # Present only in packages and records, which the Python reader unpacks.
    "releases": _J, "records": _J, "compiledRelease": _J,
}

#: What yyjson (as DuckDB sets it) accepts and serde_json refuses, outside strings: trailing
#: commas and form feeds; NaN and infinity literals in any case (looked for only in lines that
#: have 'nan' or 'inf' in any case: the full pattern costs 4 times as much).
_TRAILING = r",[ \t\r\n]*[\]}]"
_NAN_INF = r"[:,\[][ \t\r\n]*[-+]?(?i:nan|inf|infinity)[ \t\r\n]*[,}\]]"
LENIENT = (f"regexp_matches(json, '{_TRAILING}') OR contains(json, chr(12)) OR "
           f"((regexp_matches(json, '(?i:nan)') OR regexp_matches(json, '(?i:inf)')) "
           f"AND regexp_matches(json, '{_NAN_INF}'))")

#: JSON leaves to values, as `flatten._str`, `number`, `_ref` and the numberOfTenderers rule do.
#: A leaf is JSON text as yyjson writes it: integers as digits, other numbers with '.' or 'e'.
_MACROS = r"""
CREATE OR REPLACE TEMP MACRO tp_jstr(x) AS
  CASE WHEN NOT starts_with(x::VARCHAR, '"') THEN NULL
       WHEN contains(x::VARCHAR, '\') THEN json_extract_string(x, '$') ELSE (x::VARCHAR)[2:-2] END;
CREATE OR REPLACE TEMP MACRO tp_jnum(x) AS
  CASE WHEN regexp_matches(x::VARCHAR, '^-?[0-9]') THEN x::VARCHAR::DOUBLE END;
CREATE OR REPLACE TEMP MACRO tp_jref(x) AS
  CASE WHEN starts_with(x::VARCHAR, '"') THEN tp_jstr(x)
       WHEN regexp_full_match(x::VARCHAR, '-?[0-9]+') THEN x::VARCHAR END;
CREATE OR REPLACE TEMP MACRO tp_jcount(x) AS
  CASE WHEN regexp_full_match(x::VARCHAR, '[0-9]+') THEN TRY_CAST(x::VARCHAR AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO tp_nobjects(l) AS coalesce(len(list_filter(l, lambda e: e IS NOT NULL)), 0);
"""

#: Smaller files are read by Python: planning these queries costs about 0.13 s, which Python
#: spends on about 1 MiB of releases (measured: equal at 2 MiB, twice as fast at 8 MiB).
MIN_BYTES = 2 << 20
#: The longest line read by DuckDB (its read buffer is sized by it); a longer one is read by Python.
MAX_LINE = 32 << 20
_OPTIONS = f"format='newline_delimited', compression='none', maximum_object_size={MAX_LINE}"

#: Each line typed as `flatten.Loader.add` types it; awards, bids and contracts as lists of structs
#: (NULL where the element is not an object), to unnest.
_TYPED = """
  coalesce(starts_with(ocid::VARCHAR, '"'), false) AS ocid_ok,
  releases IS NOT NULL OR records IS NOT NULL OR "compiledRelease" IS NOT NULL AS unpacked,
  tp_jstr(ocid) AS ocid, tp_jstr(date) AS date, tp_jstr(buyer.id) AS buyer_id,
  tp_jstr(tender.procuringEntity.id) AS procuring_entity_id,
  tp_jstr(tender.procurementMethod) AS procurement_method,
  tp_jstr(tender.procurementMethodDetails) AS procurement_method_details,
  tp_jstr(tender.status) AS tender_status, tp_jcount(tender.numberOfTenderers) AS number_of_tenderers,
  tp_jnum(tender.value.amount) AS tender_amount, tp_jstr(tender.value.currency) AS tender_currency,
  tp_jstr(tender.tenderPeriod.startDate) AS tender_start, tp_jstr(tender.tenderPeriod.endDate) AS tender_end,
  nullif(list_filter(list_transform(tender.documents, lambda d: CASE WHEN tp_jstr(d.documentType) = 'tenderNotice'
                                                                   THEN tp_jstr(d.datePublished) END),
                     lambda x: x IS NOT NULL), []) AS tender_notices,
  list_filter(list_transform(tender.items, lambda i: tp_jstr(i.classification.id)), lambda c: c IS NOT NULL)[1]
    AS category,
  tp_nobjects(complaints) + tp_nobjects(tender.complaints)
    + coalesce(list_sum(list_transform(awards, lambda a: tp_nobjects(a.complaints))), 0) AS n_complaints,
  list_transform(awards, lambda a: CASE WHEN a IS NOT NULL THEN {
    'status': tp_jstr(a.status), 'n_suppliers': len(a.suppliers), 'award_id': tp_jref(a.id),
    'date': tp_jstr(a.date), 'amount': tp_jnum(a.value.amount), 'currency': tp_jstr(a.value.currency),
    'suppliers': list_transform(a.suppliers, lambda x: tp_jstr(x.id)),
    'items': list_transform(a.items, lambda x: tp_jstr(x.classification.id))} END) AS awards,
  list_transform(bids.details, lambda b: CASE WHEN b IS NOT NULL THEN {
    'status': tp_jstr(b.status), 'amount': tp_jnum(b.value.amount), 'currency': tp_jstr(b.value.currency),
    'date': tp_jstr(b.date), 'n_tenderers': len(b.tenderers),
    'tenderers': list_transform(b.tenderers, lambda x: tp_jstr(x.id))} END) AS bids,
  list_transform(contracts, lambda c: CASE WHEN c IS NOT NULL THEN {
    'award_id': tp_jref(c.awardID), 'status': tp_jstr(c.status), 'amount': tp_jnum(c.value.amount),
    'currency': tp_jstr(c.value.currency), 'date_signed': tp_jstr(c.dateSigned),
    'n_amendments': tp_nobjects(c.amendments),
    'paid': list_filter(list_transform(c.implementation.transactions,
                                       lambda t: CASE WHEN tp_jstr(t.value.currency) = tp_jstr(c.value.currency)
                                                      THEN tp_jnum(t.value.amount) END),
                        lambda x: x IS NOT NULL)} END) AS contracts
"""
_PROCESS_COLUMNS = ("ocid, date, buyer_id, procuring_entity_id, procurement_method, procurement_method_details, "
                    "tender_status, number_of_tenderers, tender_amount, tender_currency, tender_start, tender_end, "
                    "tender_notices, category, n_complaints")
#: Each table's rows, with the column names of `flatten.LOADED`.
SELECTS = {
    "processes": f"SELECT seq, {_PROCESS_COLUMNS} FROM tp_lines",
    "awards": """SELECT seq, i - 1 AS award_idx, a.status, a.n_suppliers, a.award_id, a.date, a.amount, a.currency
                 FROM tp_awards""",
    "award_suppliers": """SELECT * FROM (
        SELECT seq, i - 1 AS award_idx, generate_subscripts(a.suppliers, 1) - 1 AS supplier_idx,
               unnest(a.suppliers) AS supplier_id FROM tp_awards) WHERE supplier_id IS NOT NULL""",
    "award_items": """SELECT * FROM (
        SELECT seq, i - 1 AS award_idx, generate_subscripts(a.items, 1) - 1 AS item_idx,
               unnest(a.items) AS classification_id FROM tp_awards) WHERE classification_id IS NOT NULL""",
    "bids": """SELECT seq, i - 1 AS bid_idx, b.status, b.amount, b.currency, b.date, b.n_tenderers FROM tp_bids""",
    "bid_tenderers": """SELECT * FROM (
        SELECT seq, i - 1 AS bid_idx, generate_subscripts(b.tenderers, 1) - 1 AS tenderer_idx,
               unnest(b.tenderers) AS tenderer_id FROM tp_bids) WHERE tenderer_id IS NOT NULL""",
    # Transactions summed left to right from 0, as Python's `sum` does (so -0.0 + 0 is 0.0).
    "contracts": """SELECT seq, i - 1 AS contract_idx, c.award_id, c.status, c.amount, c.currency, c.date_signed,
                           c.n_amendments,
                           CASE WHEN len(c.paid) > 0 THEN list_reduce(c.paid, lambda x, y: x + y) + 0.0 END
                             AS tx_amount,
                           nullif(len(c.paid), 0) AS n_tx
                    FROM tp_contracts""",
}
_LISTS = {"tp_awards": ("a", "awards"), "tp_bids": ("b", "bids"), "tp_contracts": ("c", "contracts")}
_TEMP = ("tp_raw", *_LISTS)


@dataclass(frozen=True)
class Loaded:
    """What a fast load did: processes loaded, and lines skipped for a non-string ocid."""

    processes: int
    skipped: int

    @property
    def lines(self) -> int:
        """The numbers used: processes are numbered first_seq, …, first_seq + lines - 1, with gaps."""
        return self.processes + self.skipped


def load(con: duckdb.DuckDBPyConnection, path: Path, insert: Callable[[str, str], None], *, first_seq: int,
         progress: Callable[[float], None] | None = None) -> Loaded | None:
    """Flatten the JSON Lines file `path` into the tables (numbering processes from `first_seq`),
    or return None, having loaded nothing, when the Python reader must read it (module docstring).
    `insert(table, select)` inserts the rows of a SELECT giving the table's loaded columns by name
    (`flatten.insert_select`); `progress(fraction)` is called while DuckDB reads the file."""
    with path.open("rb") as f:
        if f.read(3) == b"\xef\xbb\xbf":
            return None
    con.execute(_MACROS)
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items()) + "}"
    params = {"path": str(path)}
    try:
        try:
            lenient = _watched(con, progress, 0.0, 0.3, lambda: con.execute(
                f"SELECT count(*) FROM read_json_objects($path, {_OPTIONS}) WHERE {LENIENT}", params).fetchone())
            if lenient is None or lenient[0]:
                return None
            _watched(con, progress, 0.3, 1.0, lambda: con.execute(
                f"CREATE OR REPLACE TEMP TABLE tp_raw AS SELECT {_TYPED} "
                f"FROM read_json($path, {_OPTIONS}, columns={columns})", params))
        except duckdb.Error:  # DuckDB refuses what serde_json would refuse, or reads it differently
            return None
        row = con.execute("SELECT count(*) FILTER (WHERE ocid_ok), count(*) FILTER (WHERE NOT ocid_ok), "
                          "count(*) FILTER (WHERE unpacked) FROM tp_raw").fetchone()
        assert row is not None
        processes, skipped, unpacked = row
        if unpacked:
            return None
        # The table keeps the order of the lines: its rowid numbers the processes as read.
        con.execute(f"CREATE OR REPLACE TEMP VIEW tp_lines AS SELECT {first_seq} + rowid AS seq, * FROM tp_raw "
                    "WHERE ocid_ok")
        for name, (alias, source) in _LISTS.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM (SELECT seq, "
                        f"generate_subscripts({source}, 1) AS i, unnest({source}) AS {alias} FROM tp_lines) "
                        f"WHERE {alias} IS NOT NULL")
        con.execute("BEGIN TRANSACTION")
        try:
            for table, select in SELECTS.items():
                insert(table, select)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return Loaded(processes, skipped)
    finally:
        con.execute("DROP VIEW IF EXISTS tp_lines; " + "; ".join(f"DROP TABLE IF EXISTS {t}" for t in _TEMP))


def _watched(con: duckdb.DuckDBPyConnection, progress: Callable[[float], None] | None, start: float, end: float,
             query: Callable[[], Any]) -> Any:
    """Run `query`, reporting DuckDB's own progress of it, scaled to [start, end], every 0.2 s."""
    if progress is None:
        return query()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            fraction = con.query_progress()
            if fraction >= 0:
                progress(start + (end - start) * min(fraction / 100, 1.0))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return query()
    finally:
        done.set()
        watcher.join()
