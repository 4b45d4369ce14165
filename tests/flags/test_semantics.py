"""Cardinal's semantics where its docs are silent, as read in its Rust source."""

from __future__ import annotations

from pathlib import Path

from tenderproof.flags import run

from .helpers import award, bid, ini, jsonl


def priced(ocid: str, *bids: dict, winner: str = "W", **extra: object) -> dict:
    return {"ocid": ocid, "bids": {"details": list(bids)}, "awards": [award(winner)], **extra}


def test_first_observed_currency(tmp_path: Path) -> None:
    """Without `currency`, the main currency is the first one observed (in input order); R036
    then ignores bids in other currencies. With `currency`, that one."""
    lowest_disqualified = [bid("D", "disqualified", 1), bid("W", "valid", 2)]
    data = jsonl(tmp_path / "d.jsonl", [
        priced("eur", *[{**b, "value": {**b["value"], "currency": "EUR"}} for b in lowest_disqualified]),
        priced("usd", *lowest_disqualified)])
    result, _ = run(data, ini(tmp_path / "a.ini", "[R036]\n"), map=False, no_meta=True)
    assert result == {"OCID": {"eur": {"R036": 1.0}}}
    result, _ = run(data, ini(tmp_path / "b.ini", "currency = USD\n[R036]\n"), map=False, no_meta=True)
    assert result == {"OCID": {"usd": {"R036": 1.0}}}


def test_r038_minimum_counts_bids_not_processes(tmp_path: Path) -> None:
    """`minimum_contracting_processes` is compared with the buyer's number of submitted bids."""
    data = jsonl(tmp_path / "d.jsonl", [
        {"ocid": "1", "buyer": {"id": "B"}, "bids": {"details": [bid("X", "disqualified"), bid("Y")]}}])
    result, _ = run(data, ini(tmp_path / "s.ini", "[R038]\n"), map=True, no_meta=False)
    assert result["Buyer"] == {"B": {"R038": 0.5}}
    assert result["Meta"]["R038"] == {"Buyer_q1": 0.5, "Buyer_q3": 0.5, "Buyer_upper_fence": 0.5}
    assert result["Maps"]["ocid_buyer_r038"] == {"1": "B"}


def test_r018_needs_the_integer_one(tmp_path: Path) -> None:
    data = jsonl(tmp_path / "d.jsonl", [
        {"ocid": n, "tender": {"numberOfTenderers": v, "procurementMethod": "open"}}
        for n, v in (("int", 1), ("float", 1.0), ("string", "1"), ("bool", True))])
    result, _ = run(data, ini(tmp_path / "s.ini", "[R018]\n"), map=False, no_meta=True)
    assert result == {"OCID": {"int": {"R018": 1.0}}}


def test_r003_dates_as_chrono_reads_them(tmp_path: Path) -> None:
    def process(ocid: str, start: str, end: str) -> dict:
        return {"ocid": ocid, "tender": {"tenderPeriod": {"startDate": start, "endDate": end}}}
    data = jsonl(tmp_path / "d.jsonl", [
        process("offsets", "2000-01-01T00:00:00+05:00", "2000-01-15T18:59:59-00:00"),  # 14 days 23:59:59
        process("offsets-15", "2000-01-01T00:00:00+05:00", "2000-01-15T19:00:00-00:00"),  # 15 days
        process("space-and-z", "2000-01-01 00:00:00z", "2000-01-16 00:00:00Z"),  # 15 days: not flagged
        process("fraction", "2000-01-01T00:00:00.000000001Z", "2000-01-16T00:00:00Z"),  # 14.99... days
        process("negative", "2000-01-16T00:00:00Z", "2000-01-01T00:00:00Z"),
        process("no-offset", "2000-01-01T00:00:00", "2000-01-02T00:00:00"),  # not RFC 3339
        process("date-only", "2000-01-01", "2000-01-02"),
        process("bad-day", "2000-02-30T00:00:00Z", "2000-03-01T00:00:00Z"),
        process("leap-day", "2000-02-29T00:00:00Z", "2000-03-01T00:00:00Z"),
    ])
    result, _ = run(data, ini(tmp_path / "s.ini", "[R003]\n"), map=False, no_meta=True)
    assert set(result["OCID"]) == {"offsets", "fraction", "negative", "leap-day"}


def test_r030_compares_dates_as_strings(tmp_path: Path) -> None:
    def process(ocid: str, bid_date: str) -> dict:
        return {"ocid": ocid, "tender": {"tenderPeriod": {"endDate": "2000-03-15T00:00:00Z"}},
                "bids": {"details": [bid("W", date=bid_date)]}, "awards": [award("W")]}
    data = jsonl(tmp_path / "d.jsonl", [process("late", "2000-03-15T00:00:01Z"),
                                        process("earlier-but-later-string", "2000-03-15T01:00:00+05:00")])
    result, _ = run(data, ini(tmp_path / "s.ini", "[R030]\n"), map=True, no_meta=True)
    assert set(result["OCID"]) == {"late", "earlier-but-later-string"}
    assert result["Maps"]["ocid_tenderer_r030"] == {"earlier-but-later-string": ["W"], "late": ["W"]}


def test_r028_sets_of_tenderers(tmp_path: Path) -> None:
    """A, A, B at one price flags A and B; -0.0 and 0.0 are one price."""
    data = jsonl(tmp_path / "d.jsonl", [
        {"ocid": "x", "bids": {"details": [bid("A", amount=5), bid("A", "pending", 5.0), bid("B", "disqualified", 5),
                                           bid("C", amount=6)]}},
        {"ocid": "zero", "bids": {"details": [bid("P", amount=-0.0), bid("Q", amount=0)]}},
        {"ocid": "withdrawn", "bids": {"details": [bid("R", amount=1), bid("S", "withdrawn", 1)]}}])
    result, _ = run(data, ini(tmp_path / "s.ini", "[R028]\n"), map=False, no_meta=True)
    assert set(result["OCID"]) == {"x", "zero"}
    assert set(result["Tenderer"]) == {"A", "B", "P", "Q"}


def test_repeated_ocid_keeps_the_last_ratio(tmp_path: Path) -> None:
    """Cardinal keys ratios by ocid: a later line with the same ocid replaces the ratio."""
    lines = [priced(str(i), bid("W", amount=100), bid("L", amount=150 + 10 * (i % 2))) for i in range(6)]
    lines += [priced("dup", bid("W", amount=100), bid("L", amount=500)),  # ratio 4.0, replaced
              priced("dup", bid("W", amount=100), bid("L", amount=100))]  # ratio 0.0
    result, _ = run(jsonl(tmp_path / "d.jsonl", lines), ini(tmp_path / "s.ini", "[R024]\n"),
                    map=False, no_meta=False)
    assert result["OCID"] == {"dup": {"R024": 0.0}}
    assert result["Meta"]["R024"] == {"q1": 0.5, "q3": 0.6, "lower_fence": 0.35}


def test_non_finite_values_are_null(tmp_path: Path) -> None:
    """A winning bid of 0 makes an infinite ratio, which serde_json writes as null."""
    lines = [priced(str(i), bid("W", amount=100), bid("L", amount=100 + 10 * i)) for i in range(1, 7)]
    lines.append(priced("zero", bid("W", amount=0), bid("L", amount=10)))
    result, _ = run(jsonl(tmp_path / "d.jsonl", lines), ini(tmp_path / "s.ini", "[R058]\n"), map=False, no_meta=False)
    assert result["OCID"] == {"zero": {"R058": None}}
    assert result["Meta"]["R058"] == {"q1": 0.2167, "q3": 0.5833, "upper_fence": 1.1333}


def test_no_settings_runs_all(tmp_path: Path) -> None:
    """Without a settings file every indicator runs: Cardinal's eleven give Cardinal's Meta; those
    only tenderproof computes add theirs (nulls without data)."""
    result, errors = run(jsonl(tmp_path / "d.jsonl", []), None, map=True, no_meta=False)
    assert errors == []
    cardinal = {"R024": {"q1": None, "q3": None, "lower_fence": None},
                "R025": {"q1": None, "q3": None, "upper_fence": None, "lower_fence": None},
                "R048": {"q1": None, "q3": None, "upper_fence": None},
                "R058": {"q1": None, "q3": None, "upper_fence": None}}
    assert {code: meta for code, meta in result["Meta"].items() if code in cardinal} == cardinal
    assert set(result["Meta"]) - set(cardinal) == {"R013", "R016", "R019"}
    assert all(v is None for code in ("R013", "R016", "R019") for v in result["Meta"][code].values())
    assert result["Maps"] == {name: {} for name in result["Maps"]} and set(result) == {"Meta", "Maps"}
