"""Dates are parsed in SQL as they are loaded (`tp_rfc3339_ns`); the Python `rfc3339_ns`, which
reproduces chrono's `parse_from_rfc3339`, is the reference: both must agree on every string."""

from __future__ import annotations

import random

import duckdb

from tenderproof.flags.flatten import create_tables, rfc3339_ns

CASES = [
    "2000-01-01T00:00:00Z", "2000-01-01t00:00:00z", "2000-01-01 00:00:00+05:00", "2000-01-15T18:59:59-00:00",
    "2000-01-01T00:00:00.000000001Z", "2000-01-01T00:00:00.1234567891234Z", "2000-01-01T00:00:00.5+01:30",
    "2000-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2100-02-28T23:59:60Z", "2000-02-30T00:00:00Z",
    "2000-13-01T00:00:00Z", "2000-00-10T00:00:00Z", "2000-01-00T00:00:00Z", "2000-01-01T24:00:00Z",
    "2000-01-01T23:60:00Z", "2000-01-01T23:59:61Z", "2000-01-01T00:00:00+24:00", "2000-01-01T00:00:00+23:60",
    "2000-01-01T00:00:00\u221205:00", "2000-01-01T00:00:00", "2000-01-01", "2000-01-01T00:00Z", " 2000-01-01T00:00:00Z",
    "2000-01-01T00:00:00Z ", "2000-01-01T00:00:00Z\n", "0000-01-01T00:00:00Z", "0000-03-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999+00:00", "1969-12-31T23:59:59Z", "1600-03-01T00:00:00-23:59", "",
    "２０００-01-01T00:00:00Z", "2000-01-01T00:00:00.Z", "2000-1-01T00:00:00Z",
]


def test_sql_dates_match_python() -> None:
    rng = random.Random(7)
    cases = list(CASES)
    for _ in range(3000):  # random valid-looking dates, some out of range
        cases.append(f"{rng.randrange(10000):04d}-{rng.randrange(14):02d}-{rng.randrange(33):02d}"
                     f"{rng.choice('Tt ')}{rng.randrange(26):02d}:{rng.randrange(62):02d}:{rng.randrange(62):02d}"
                     f"{rng.choice(['', '.5', '.123456789', '.0001'])}"
                     f"{rng.choice(['Z', 'z', '+05:30', '-11:00', '+23:59', '-24:00', '', '+1:00'])}")
    con = duckdb.connect()
    create_tables(con)
    got = con.execute("SELECT tp_rfc3339_ns(unnest($1::VARCHAR[]))", [cases]).fetchall()
    mismatches = [(c, g, rfc3339_ns(c)) for c, (g,) in zip(cases, got, strict=True) if g != rfc3339_ns(c)]
    assert mismatches == []
    assert sum(rfc3339_ns(c) is not None for c in cases) > 500  # the random cases are not all invalid
