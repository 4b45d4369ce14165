"""Flattening compiled releases into DuckDB tables, loaded in columnar batches.

Only what Cardinal reads is kept, with its typing rules: a field is stored only when it has the
JSON type Cardinal requires (an id or a status must be a string, an amount a number, never a
boolean), so the SQL over these tables sees exactly what Cardinal's Rust code sees. `seq` is the
order in which a contracting process was read; identifiers are kept as given.

Rows are buffered per table and inserted with one `INSERT … SELECT unnest(…), …` per table and
batch of 20,000 processes. Measured: `executemany` takes 15 s for 20,000 rows; a Python list per
column about 0.7 µs a value; one JSON text per column read with `from_json` about 0.3 µs a value
(used for integers and strings; floats, which may be infinite, and 128-bit integers go as lists).
"""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb

#: table -> [(column, DuckDB type)]
SCHEMA: dict[str, list[tuple[str, str]]] = {
    "processes": [
        ("seq", "BIGINT"), ("ocid", "VARCHAR"), ("date", "VARCHAR"), ("buyer_id", "VARCHAR"),
        ("procuring_entity_id", "VARCHAR"), ("procurement_method", "VARCHAR"),
        ("procurement_method_details", "VARCHAR"), ("tender_status", "VARCHAR"),
        ("number_of_tenderers", "BIGINT"), ("tender_amount", "DOUBLE"), ("tender_currency", "VARCHAR"),
        ("tender_start", "VARCHAR"), ("tender_end", "VARCHAR"),
        ("tender_start_ns", "HUGEINT"), ("tender_end_ns", "HUGEINT"),
        # For the indicators only tenderproof computes (ocp.py):
        ("tender_notices", "VARCHAR[]"), ("tender_notice_ns", "HUGEINT"), ("category", "VARCHAR"),
        ("n_complaints", "INTEGER"),
    ],
    "awards": [
        ("seq", "BIGINT"), ("award_idx", "INTEGER"), ("status", "VARCHAR"), ("n_suppliers", "INTEGER"),
        ("award_id", "VARCHAR"), ("date", "VARCHAR"), ("date_ns", "HUGEINT"), ("amount", "DOUBLE"),
        ("currency", "VARCHAR"),
    ],
    "award_suppliers": [
        ("seq", "BIGINT"), ("award_idx", "INTEGER"), ("supplier_idx", "INTEGER"), ("supplier_id", "VARCHAR"),
    ],
    "award_items": [
        ("seq", "BIGINT"), ("award_idx", "INTEGER"), ("item_idx", "INTEGER"), ("classification_id", "VARCHAR"),
    ],
    "bids": [
        ("seq", "BIGINT"), ("bid_idx", "INTEGER"), ("status", "VARCHAR"), ("amount", "DOUBLE"),
        ("currency", "VARCHAR"), ("date", "VARCHAR"), ("n_tenderers", "INTEGER"),
    ],
    "bid_tenderers": [
        ("seq", "BIGINT"), ("bid_idx", "INTEGER"), ("tenderer_idx", "INTEGER"), ("tenderer_id", "VARCHAR"),
    ],
    "contracts": [
        ("seq", "BIGINT"), ("contract_idx", "INTEGER"), ("award_id", "VARCHAR"), ("status", "VARCHAR"),
        ("amount", "DOUBLE"), ("currency", "VARCHAR"),
        ("date_signed", "VARCHAR"), ("date_signed_ns", "HUGEINT"), ("n_amendments", "INTEGER"),
        ("tx_amount", "DOUBLE"), ("n_tx", "INTEGER"),
    ],
}
#: Columns computed in SQL as rows are inserted (dates parsed as `rfc3339_ns` does).
DERIVED: dict[str, dict[str, str]] = {
    "processes": {"tender_start_ns": "tp_rfc3339_ns(tender_start)", "tender_end_ns": "tp_rfc3339_ns(tender_end)",
                  "tender_notice_ns": "list_min(list_transform(tender_notices, lambda x: tp_rfc3339_ns(x)))"},
    "awards": {"date_ns": "tp_rfc3339_ns(date)"},
    "contracts": {"date_signed_ns": "tp_rfc3339_ns(date_signed)"},
}
#: The columns each row of the Loader gives, per table.
LOADED = {table: [(n, k) for n, k in columns if n not in DERIVED.get(table, {})] for table, columns in SCHEMA.items()}
#: Column types passed to DuckDB as one JSON text per column (the others as Python lists).
_AS_JSON = {"BIGINT", "INTEGER", "VARCHAR", "VARCHAR[]"}
#: Column comments, for docs/flags.md and readers of the schema.
NOTES = {
    "awards.n_suppliers": "length of `suppliers` when it is an array, else NULL",
    "bids.n_tenderers": "length of `tenderers` when it is an array, else NULL",
    "*_id": "string identifiers only (an organization reference without a string `id` has no row)",
    "tender_*_ns": "tenderPeriod dates parsed as RFC 3339 (as chrono does), in ns since the epoch",
    "processes.tender_notice_ns": "earliest `datePublished` of tender documents of type tenderNotice",
    "*_ns (other)": "`awards[]/date`, `contracts[]/dateSigned`: parsed as RFC 3339 likewise",
    "processes.category": "`classification/id` of the first tender item that has one",
    "processes.n_complaints": "objects in `complaints`, `tender/complaints` and `awards[]/complaints`",
    "contracts.tx_amount": "sum of `implementation/transactions[]/value/amount` in the contract's currency",
}


#: `rfc3339_ns` in SQL: dates are stored as given and parsed by DuckDB as rows are inserted (1M dates
#: in about 1 s, against 8 s in Python). tests/flags/test_dates.py checks that both agree. Once the
#: regexp has matched, the fields are at fixed positions (the fraction and offset from the end).
_RFC3339_SQL = (r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                "(?:[Zz]|([+\\-\u2212])([0-9]{2}):([0-9]{2}))$")
#: The common form (T, Z or ±hh:mm, up to microseconds, no leap second, years 1000 to 9999), which
#: DuckDB's own cast parses exactly as chrono does, 8 times as fast as the general form below.
_COMMON_SQL = (r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
               r"(Z|[+\-]([01][0-9]|2[0-3]):[0-5][0-9])")
_MACROS = f"""
CREATE OR REPLACE TEMP MACRO tp_days(y, m, d) AS (
  floor(y / 400.0)::BIGINT * 146097 + (y - floor(y / 400.0)::BIGINT * 400) * 365
  + (y - floor(y / 400.0)::BIGINT * 400) // 4 - (y - floor(y / 400.0)::BIGINT * 400) // 100
  + (153 * (m + CASE WHEN m > 2 THEN -3 ELSE 9 END) + 2) // 5 + d - 1 - 719468);
CREATE OR REPLACE TEMP MACRO tp_parts_ns(y, mo, d, h, mi, s, f, z, sg, oh, om) AS (
  CASE WHEN mo BETWEEN 1 AND 12
        AND d BETWEEN 1 AND [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo]
                            + (mo = 2 AND y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0))::INT
        AND h <= 23 AND mi <= 59 AND s <= 60 AND (z OR (oh <= 23 AND om <= 59))
  THEN (tp_days(y - (mo <= 2)::INT, mo, d) * 86400 + h * 3600 + mi * 60 + s
        - CASE WHEN z THEN 0 WHEN sg = '+' THEN oh * 3600 + om * 60 ELSE -(oh * 3600 + om * 60) END
       )::HUGEINT * 1000000000
       + CASE WHEN f = '' THEN 0 ELSE rpad(left(f, 9), 9, '0')::BIGINT END
  END);
CREATE OR REPLACE TEMP MACRO tp_rfc3339_parsed_ns(t) AS (
  CASE WHEN regexp_full_match(t, '{_RFC3339_SQL}') THEN tp_parts_ns(
    substr(t, 1, 4)::BIGINT, substr(t, 6, 2)::BIGINT, substr(t, 9, 2)::BIGINT, substr(t, 12, 2)::BIGINT,
    substr(t, 15, 2)::BIGINT, substr(t, 18, 2)::BIGINT,
    CASE WHEN substr(t, 20, 1) = '.' THEN substr(t, 21, length(t) - 20 - CASE WHEN right(t, 1) IN ('Z', 'z')
                                                                               THEN 1 ELSE 6 END) ELSE '' END,
    right(t, 1) IN ('Z', 'z'), substr(t, length(t) - 5, 1),
    CASE WHEN right(t, 1) IN ('Z', 'z') THEN 0 ELSE substr(t, length(t) - 4, 2)::BIGINT END,
    CASE WHEN right(t, 1) IN ('Z', 'z') THEN 0 ELSE substr(t, length(t) - 1, 2)::BIGINT END)
  END);
CREATE OR REPLACE TEMP MACRO tp_rfc3339_ns(t) AS (
  CASE WHEN regexp_full_match(t, '{_COMMON_SQL}') THEN epoch_us(TRY_CAST(t AS TIMESTAMPTZ))::HUGEINT * 1000
       ELSE tp_rfc3339_parsed_ns(t) END);
"""


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_MACROS)
    con.execute("; ".join(f"CREATE OR REPLACE TEMP TABLE {table} ({', '.join(f'{n} {k}' for n, k in columns)})"
                          for table, columns in SCHEMA.items()))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def number(value: Any) -> float | None:
    """A JSON number as f64 (serde_json `as_f64`): never a boolean; huge integers become ±inf."""
    if type(value) is float:
        return value
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    return None


def _id(obj: Any) -> str | None:
    return _str(obj.get("id")) if isinstance(obj, dict) else None


def _ref(value: Any) -> str | None:
    """An identifier that may be a string or an integer (as `awardID`), as a string."""
    return value if isinstance(value, str) else str(value) if type(value) is int else None


def _ns(value: Any) -> str | None:
    """A date to parse (as `rfc3339_ns`, in SQL once loaded): kept if a string."""
    return value if isinstance(value, str) else None


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


_RFC3339 = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                      r"(?:[Zz]|([+\-\u2212])([0-9]{2}):([0-9]{2}))", re.ASCII)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def rfc3339_ns(text: str) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 date-time, or None where chrono's
    `DateTime::parse_from_rfc3339` fails (T, t or space separator; Z, z or ±hh:mm offset)."""
    match = _RFC3339.fullmatch(text)
    if not match:
        return None
    y, mo, d, h, mi, s = (int(match.group(i)) for i in range(1, 7))
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if not 1 <= mo <= 12 or not 1 <= d <= _DAYS_IN_MONTH[mo - 1] + (mo == 2 and leap):
        return None
    if h > 23 or mi > 59 or s > 60:
        return None
    offset = 0
    if match.group(8):
        oh, om = int(match.group(9)), int(match.group(10))
        if oh > 23 or om > 59:
            return None
        offset = (oh * 3600 + om * 60) * (1 if match.group(8) == "+" else -1)
    frac = match.group(7) or ""
    nanos = int((frac[:9]).ljust(9, "0")) if frac else 0
    seconds = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
    return seconds * 1_000_000_000 + nanos


class Loader:
    """Buffers flattened rows and inserts them into the temp tables in batches."""

    def __init__(self, con: duckdb.DuckDBPyConnection, batch: int = 20_000) -> None:
        self.con = con
        self.batch = batch
        self.buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in SCHEMA}
        self.count = 0
        self._pending = 0

    def add(self, release: dict[str, Any], seq: int) -> None:
        """Flatten one compiled release (its `ocid` a string) as process number `seq`."""
        buffers = self.buffers

        def row(table: str, *values: Any) -> None:
            buffers[table].append(values)

        tender = release.get("tender")
        t = tender if isinstance(tender, dict) else {}
        period = t.get("tenderPeriod")
        p = period if isinstance(period, dict) else {}
        start, end = _str(p.get("startDate")), _str(p.get("endDate"))
        value = t.get("value")
        v = value if isinstance(value, dict) else {}
        tenderers = t.get("numberOfTenderers")
        notices = [ns for d in _objects(t.get("documents")) if d.get("documentType") == "tenderNotice"
                   and (ns := _ns(d.get("datePublished"))) is not None]  # the earliest is taken in SQL
        category = next((c for item in _objects(t.get("items")) if (c := _id(item.get("classification"))) is not None),
                        None)
        awards = release.get("awards")
        complaints = (len(_objects(release.get("complaints"))) + len(_objects(t.get("complaints")))
                      + sum(len(_objects(a.get("complaints"))) for a in _objects(awards)))
        row("processes", seq, release["ocid"], _str(release.get("date")), _id(release.get("buyer")),
            _id(t.get("procuringEntity")), _str(t.get("procurementMethod")), _str(t.get("procurementMethodDetails")),
            _str(t.get("status")),
            tenderers if type(tenderers) is int and 0 <= tenderers < 1 << 63 else None,
            number(v.get("amount")), _str(v.get("currency")), start, end,
            notices or None, category, complaints)

        for j, award in enumerate(awards if isinstance(awards, list) else ()):
            if not isinstance(award, dict):
                continue
            suppliers = award.get("suppliers")
            suppliers = suppliers if isinstance(suppliers, list) else None
            value = award.get("value")
            v = value if isinstance(value, dict) else {}
            row("awards", seq, j, _str(award.get("status")), None if suppliers is None else len(suppliers),
                _ref(award.get("id")), _str(award.get("date")), number(v.get("amount")), _str(v.get("currency")))
            if suppliers is not None:
                for k, supplier in enumerate(suppliers):
                    if (sid := _id(supplier)) is not None:
                        row("award_suppliers", seq, j, k, sid)
            items = award.get("items")
            if isinstance(items, list):
                for k, item in enumerate(items):
                    if isinstance(item, dict) and (cid := _id(item.get("classification"))) is not None:
                        row("award_items", seq, j, k, cid)

        bids = release.get("bids")
        details = bids.get("details") if isinstance(bids, dict) else None
        for j, bid in enumerate(details if isinstance(details, list) else ()):
            if not isinstance(bid, dict):
                continue
            value = bid.get("value")
            v = value if isinstance(value, dict) else {}
            tenderers = bid.get("tenderers")
            tenderers = tenderers if isinstance(tenderers, list) else None
            row("bids", seq, j, _str(bid.get("status")), number(v.get("amount")), _str(v.get("currency")),
                _str(bid.get("date")), None if tenderers is None else len(tenderers))
            if tenderers is not None:
                for k, tenderer in enumerate(tenderers):
                    if (tid := _id(tenderer)) is not None:
                        row("bid_tenderers", seq, j, k, tid)

        contracts = release.get("contracts")
        for j, contract in enumerate(contracts if isinstance(contracts, list) else ()):
            if isinstance(contract, dict):
                value = contract.get("value")
                v = value if isinstance(value, dict) else {}
                currency = _str(v.get("currency"))
                implementation = contract.get("implementation")
                paid = [amount for tx in _objects(implementation.get("transactions")
                                                  if isinstance(implementation, dict) else None)
                        if isinstance(tv := tx.get("value"), dict) and tv.get("currency") == currency
                        and currency is not None and (amount := number(tv.get("amount"))) is not None]
                row("contracts", seq, j, _ref(contract.get("awardID")),
                    _str(contract.get("status")), number(v.get("amount")), currency,
                    _str(contract.get("dateSigned")), len(_objects(contract.get("amendments"))),
                    sum(paid) if paid else None, len(paid) if paid else None)

        self.count += 1
        self._pending += 1
        if self._pending >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.buffers.items():
            if not rows:
                continue
            params: list[Any] = []
            select = []
            columns = LOADED[table]
            for i, ((name, kind), column) in enumerate(zip(columns, zip(*rows, strict=True), strict=True)):
                if kind in _AS_JSON:  # a JSON array, parsed by DuckDB: about 3 times as fast
                    params.append(json.dumps(column))
                    element = '["VARCHAR"]' if kind == "VARCHAR[]" else f'"{kind}"'
                    select.append(f"unnest(from_json(${i + 1}, '[{element}]')) AS {name}")
                else:  # floats may be infinite, and big integers must stay exact
                    params.append(list(column))
                    select.append(f"unnest(${i + 1}::{kind}[]) AS {name}")
            insert_select(self.con, table, f"SELECT {', '.join(select)}", params)
            self.buffers[table] = []
        self._pending = 0


def insert_select(con: duckdb.DuckDBPyConnection, table: str, select: str, params: Any = None) -> None:
    """Insert the rows of `select`, which gives the loaded columns of `table` by name, with the
    derived columns computed from them (dates parsed in SQL)."""
    loaded = [name for name, _ in LOADED[table]]
    derived = DERIVED.get(table, {})
    con.execute(f"INSERT INTO {table} ({', '.join([*loaded, *derived])}) "
                f"SELECT {', '.join([*loaded, *derived.values()])} FROM ({select})", params)
