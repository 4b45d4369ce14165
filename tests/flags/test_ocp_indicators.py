"""The indicators only tenderproof computes (ocp.py), on hand-made data: for each, a process or
organization flagged, one not flagged, and an edge (equal to the threshold, a missing field, another
currency, a cancelled process or contract, too few processes…)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from tenderproof.flags import run
from tenderproof.flags.settings import CARDINAL_CODES, CODES, OCP_CODES

from .helpers import award, bid, ini, jsonl

T0 = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def day(d: float) -> str:
    return (T0 + datetime.timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ")


def flags(tmp_path: Path, releases: list[dict[str, Any]], settings: str, *, meta: bool = False) -> dict[str, Any]:
    result, errors = run(jsonl(tmp_path / "d.jsonl", releases), ini(tmp_path / "s.ini", settings),
                         map=False, no_meta=not meta)
    assert errors == []
    return result


def test_codes() -> None:
    assert len(OCP_CODES) >= 10 and not set(OCP_CODES) & set(CARDINAL_CODES)
    assert list(CODES) == sorted(CARDINAL_CODES + OCP_CODES)


def test_r004_late_tender_notice(tmp_path: Path) -> None:
    def process(ocid: str, notice: float | None, method: str = "open", doc_type: str = "tenderNotice") -> dict:
        tender: dict[str, Any] = {"procurementMethod": method, "tenderPeriod": {"startDate": day(10), "endDate": day(40)}}
        if notice is not None:
            tender["documents"] = [{"id": "1", "documentType": doc_type, "datePublished": day(notice)},
                                   {"id": "2", "documentType": doc_type, "datePublished": day(notice + 5)}]
        return {"ocid": ocid, "tender": tender}
    data = [process("late", 12), process("early", 9), process("same-day", 10), process("limited", 12, "limited"),
            process("other-document", 12, doc_type="biddingDocuments"), process("no-documents", None)]
    assert flags(tmp_path, data, "[R004]\n") == {"OCID": {"late": {"R004": 2.0}}}
    assert flags(tmp_path, data, "[R004]\nthreshold = 2\n") == {}  # 2 days is not more than 2
    assert flags(tmp_path, data, "[R004]\nprocurement_methods = \n") == {
        "OCID": {"late": {"R004": 2.0}, "limited": {"R004": 2.0}}}


def test_r013_non_competitive_share(tmp_path: Path) -> None:
    shares = [0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.9]
    data = []
    for b, share in enumerate(shares, start=1):
        for k in range(10):
            data.append({"ocid": f"B{b}-{k}", "buyer": {"id": f"B{b}"},
                         "tender": {"procuringEntity": {"id": f"P{b}"},
                                    "procurementMethod": "limited" if k < share * 10 else "open"}})
    data += [{"ocid": f"B1-nomethod-{k}", "buyer": {"id": "B1"}, "tender": {}} for k in range(5)]  # not counted
    data += [{"ocid": f"B9-{k}", "buyer": {"id": "B9"}, "tender": {"procurementMethod": "direct"}}
             for k in range(9)]  # 9 processes: below the minimum of 10
    result = flags(tmp_path, data, "[R013]\n", meta=True)
    assert result["Buyer"] == {"B8": {"R013": 0.9}}
    assert result["ProcuringEntity"] == {"P8": {"R013": 0.9}}
    assert result["Meta"]["R013"]["Buyer_upper_fence"] == 0.5375
    # A threshold replaces the fence; equal to it is flagged.
    assert flags(tmp_path, data, "[R013]\nthreshold = 0.3\n")["Buyer"] == {
        "B6": {"R013": 0.3}, "B7": {"R013": 0.3}, "B8": {"R013": 0.9}}


def test_r016_tender_value_outlier(tmp_path: Path) -> None:
    def process(ocid: str, amount: float, category: str = "11110000", currency: str = "USD") -> dict:
        return {"ocid": ocid, "tender": {"value": {"amount": amount, "currency": currency},
                                         "items": [{"id": "1"}, {"id": "2", "classification": {"id": category}}]}}
    amounts = [80, 90, 95, 100, 100, 105, 110, 120, 130, 140, 100_000, 0.01]
    data = [process(f"A{i}", a) for i, a in enumerate(amounts)]
    data.append(process("euro", 100_000, currency="EUR"))  # its own market (EUR): 1 process, below the minimum
    data += [process(f"small-market-{i}", a, "99990000") for i, a in enumerate([1, 1, 1, 1, 10**9])]
    result = flags(tmp_path, data, "[R016]\n", meta=True)
    assert set(result["OCID"]) == {"A10", "A11"}
    assert result["OCID"]["A10"]["R016"] == pytest.approx(100_000 / 102.5)
    assert result["OCID"]["A11"]["R016"] == pytest.approx(0.01 / 102.5)
    meta = result["Meta"]["R016"]
    assert meta["lower_fence"] < 0.8 < 1.4 < meta["upper_fence"] < 975


def test_r019_low_number_of_bidders(tmp_path: Path) -> None:
    data = []
    for pe, n in (("PE1", 5), ("PE2", 6), ("PE3", 5), ("PE4", 4), ("PE5", 5), ("PE6", 1), ("PE7", 1)):
        for k in range(5):
            data.append({"ocid": f"{pe}-{k}", "tender": {
                "procuringEntity": {"id": pe}, "numberOfTenderers": n,
                "procurementMethod": "limited" if pe == "PE7" else "open",  # PE7: method not counted
                "items": [{"id": "1", "classification": {"id": "22221111"}}]}})
    result = flags(tmp_path, data, "[R019]\n", meta=True)
    assert result["ProcuringEntity"] == {"PE6": {"R019": pytest.approx(1 / (26 / 6))}}
    assert result["Meta"]["R019"]["lower_fence"] == 0.4038
    # With at least 6 processes required, no pair qualifies.
    assert flags(tmp_path, data, "[R019]\nminimum_contracting_processes = 6\n") == {}


def test_r020_complaints(tmp_path: Path) -> None:
    data = [{"ocid": "one", "complaints": [{"id": "1"}]},
            {"ocid": "three", "tender": {"complaints": [{"id": "1"}, {"id": "2"}]},
             "awards": [{"id": "a", "complaints": [{"id": "3"}]}]},
            {"ocid": "empty", "complaints": []},
            {"ocid": "not-a-list", "complaints": {"id": "1"}},
            {"ocid": "cancelled", "tender": {"status": "cancelled"}, "complaints": [{"id": "1"}]}]
    assert flags(tmp_path, data, "[R020]\n") == {"OCID": {"one": {"R020": 1.0}, "three": {"R020": 3.0}}}
    assert flags(tmp_path, data, "[R020]\nthreshold = 0\n") == flags(tmp_path, data, "[R020]\n")  # at least 1
    assert flags(tmp_path, data, "[R020]\nthreshold = 3\n") == {"OCID": {"three": {"R020": 3.0}}}


def test_r022_bid_price_disparity(tmp_path: Path) -> None:
    def process(ocid: str, *bids: dict) -> dict:
        return {"ocid": ocid, "bids": {"details": list(bids)}}
    data = [process(f"p{i}", bid("A", amount=100), bid("B", "disqualified", amount=100 + d))
            for i, d in enumerate([10, 20, 15, 10, 5, 25])]
    data += [process("wide", bid("A", amount=100), bid("B", amount=400)),
             process("currencies", bid("A", amount=100), bid("B", amount=1000, currency="EUR")),
             process("withdrawn", bid("A", amount=100), bid("B", "withdrawn", amount=1000)),
             process("npc", bid("A", amount=100), bid("B", amount=1000))]
    data[-1]["tender"] = {"procurementMethodDetails": "NPC"}  # not compared on price
    result = flags(tmp_path, data, "no_price_comparison_procurement_methods = NPC\n[R022]\n", meta=True)
    assert result["OCID"] == {"wide": {"R022": 3.0}}
    assert result["Meta"]["R022"]["upper_fence"] == 0.4542
    assert set(flags(tmp_path, data, "[R022]\nthreshold = 0.25\n")["OCID"]) == {"p5", "wide", "npc"}


def test_r031_award_close_to_estimate(tmp_path: Path) -> None:
    def process(ocid: str, *awards: dict, estimate: float = 100) -> dict:
        return {"ocid": ocid, "tender": {"value": {"amount": estimate, "currency": "USD"}}, "awards": list(awards)}

    def a(amount: float, currency: str = "USD", status: str = "active") -> dict:
        return award("S", status=status, value={"amount": amount, "currency": currency})
    data = [process("above", a(101)), process("at-threshold", a(99)), process("below", a(90)),
            process("euro", a(150, "EUR")), process("two-awards", a(60), a(50)),
            process("pending", a(200, status="pending")), process("no-amount", award("S")),
            process("zero-estimate", a(5), estimate=0)]
    assert flags(tmp_path, data, "[R031]\n") == {"OCID": {
        "above": {"R031": 1.01}, "at-threshold": {"R031": 0.99}, "two-awards": {"R031": 1.1}}}
    assert set(flags(tmp_path, data, "[R031]\nthreshold = 1.05\n")["OCID"]) == {"two-awards"}


def _awarded(ocid: str, supplier: str, amount: float = 100, *, buyer: str = "B", category: str = "33331111",
             currency: str = "USD", suppliers: int = 1) -> dict:
    return {"ocid": ocid, "buyer": {"id": buyer},
            "awards": [{"id": "1", "status": "active", "value": {"amount": amount, "currency": currency},
                        "suppliers": [{"id": supplier}] * suppliers,
                        "items": [{"id": "1", "classification": {"id": category}}]}]}


def test_r040_supplier_share_of_buyer(tmp_path: Path) -> None:
    data = [_awarded(f"b{k}", "S1") for k in range(6)] + [_awarded(f"o{k}", f"S{k + 2}") for k in range(4)]
    data += [_awarded(f"c{k}", "S9", buyer="C") for k in range(9)]  # 9 processes: below the minimum
    data += [_awarded("consortium", "S1", 10_000, suppliers=2)]  # two suppliers: not counted
    data += [_awarded("euro", "S1", 10_000, currency="EUR")]  # another currency, 1 process: too few
    assert flags(tmp_path, data, "[R040]\n") == {"Buyer": {"B": {"R040": 0.6}}, "Tenderer": {"S1": {"R040": 0.6}}}
    assert flags(tmp_path, data, "[R040]\nthreshold = 0.61\n") == {}


def test_r050_supplier_market_share(tmp_path: Path) -> None:
    data = [_awarded(f"m{k}", "S1") for k in range(5)] + [_awarded(f"o{k}", f"S{k + 2}") for k in range(5)]
    data += [_awarded(f"s{k}", "S9", category="44441111") for k in range(9)]  # 9 processes: too few
    assert flags(tmp_path, data, "[R050]\n") == {"Tenderer": {"S1": {"R050": 0.5}}}  # equal to the threshold
    assert flags(tmp_path, data, "[R050]\ndigits = 8\nthreshold = 0.6\n") == {}


def test_r051_market_concentration(tmp_path: Path) -> None:
    data = [_awarded(f"b{k}", f"S{k % 2}", buyer="B", category="55551111") for k in range(10)]
    data += [_awarded(f"c{k}", f"T{k}", buyer="C", category="55551111") for k in range(10)]
    data += [_awarded(f"d{k}", "U", buyer="D", category="55551111") for k in range(9)]  # too few processes
    assert flags(tmp_path, data, "[R051]\n") == {"Buyer": {"B": {"R051": 0.5}}}
    assert flags(tmp_path, data, "[R051]\nthreshold = 0.1\n")["Buyer"] == {
        "B": {"R051": 0.5}, "C": {"R051": pytest.approx(0.1)}}


def test_r059_award_contract_difference(tmp_path: Path) -> None:
    def process(ocid: str, contract: float, currency: str = "USD", status: str = "active", award_id: Any = "a1") -> dict:
        return {"ocid": ocid, "awards": [{"id": award_id, "status": "active", "value": {"amount": 100, "currency": "USD"}}],
                "contracts": [{"id": "c", "awardID": award_id, "status": status,
                               "value": {"amount": contract, "currency": currency}}]}
    data = [process("up", 130), process("down", 70), process("at-threshold", 120), process("small", 110),
            process("euro", 500, "EUR"), process("cancelled", 500, status="cancelled"), process("int-id", 150, award_id=5)]
    assert flags(tmp_path, data, "[R059]\n") == {"OCID": {
        "up": {"R059": pytest.approx(0.3)}, "down": {"R059": pytest.approx(-0.3)}, "at-threshold": {"R059": 0.2},
        "int-id": {"R059": 0.5}}}


def _dated(ocid: str, *, end: float = 0, award: float | None = None, signed: float | None = None,
           contract_status: str = "active", award_status: str = "active") -> dict:
    release: dict[str, Any] = {"ocid": ocid, "tender": {"tenderPeriod": {"startDate": day(-30), "endDate": day(end)}}}
    if award is not None:
        release["awards"] = [{"id": "a", "status": award_status, "date": day(award)}]
    if signed is not None:
        release["contracts"] = [{"id": "c", "awardID": "a", "status": contract_status, "dateSigned": day(signed)}]
    return release


def test_r060_long_time_to_signature(tmp_path: Path) -> None:
    data = [_dated(f"p{d}", award=1, signed=1 + d) for d in (10, 12, 11, 13, 9, 100)]
    data += [_dated("cancelled", award=1, signed=501, contract_status="cancelled"),
             {"ocid": "unsigned", "awards": [{"id": "a", "date": day(1)}], "contracts": [{"awardID": "a"}]}]
    result = flags(tmp_path, data, "[R060]\n", meta=True)
    assert result["OCID"] == {"p100": {"R060": 100.0}}
    assert result["Meta"]["R060"] == {"q1": 9.9167, "q3": 20.25, "upper_fence": 35.75}
    assert set(flags(tmp_path, data, "[R060]\nthreshold = 13\n")["OCID"]) == {"p13", "p100"}


def test_r061_r062_decision_period(tmp_path: Path) -> None:
    data = [_dated(f"p{d}", award=d) for d in (10, 12, 11, 13, 9)]
    short = [*data, _dated("before-close", award=-5),
             _dated("unsuccessful-first", award=11) | {"awards": [
                 {"id": "u", "status": "unsuccessful", "date": day(-20)},
                 {"id": "a", "status": "active", "date": day(11)}]}]
    result = flags(tmp_path, short, "[R061]\n", meta=True)
    assert result["OCID"] == {"before-close": {"R061": -5.0}}
    assert result["Meta"]["R061"]["lower_fence"] > 0
    long = [*data, _dated("late", award=100), _dated("no-award", award=None)]
    assert flags(tmp_path, long, "[R062]\n") == {"OCID": {"late": {"R062": 100.0}}}
    assert flags(tmp_path, long, "[R062]\nthreshold = 13\n") == {"OCID": {"p13": {"R062": 13.0},
                                                                         "late": {"R062": 100.0}}}
    assert flags(tmp_path, long, "[R062]\nprocurement_methods = open\n") == {}  # no method: none qualify


def test_r064_contract_modifications(tmp_path: Path) -> None:
    def contract(n: int, status: str = "active") -> dict:
        return {"id": "c", "status": status, "amendments": [{"id": str(k)} for k in range(n)]}
    data = [{"ocid": "amended", "contracts": [contract(2)]}, {"ocid": "none", "contracts": [contract(0)]},
            {"ocid": "cancelled", "contracts": [contract(1, "cancelled")]},
            {"ocid": "two-contracts", "contracts": [contract(1), contract(1)]}]
    assert flags(tmp_path, data, "[R064]\n") == {"OCID": {"amended": {"R064": 2.0}, "two-contracts": {"R064": 2.0}}}
    assert flags(tmp_path, data, "[R064]\nthreshold = 3\n") == {}


def test_r068_transactions_exceed_contract(tmp_path: Path) -> None:
    def process(ocid: str, *payments: tuple[float, str]) -> dict:
        return {"ocid": ocid, "contracts": [{"id": "c", "value": {"amount": 100, "currency": "USD"}, "implementation": {
            "transactions": [{"id": str(k), "value": {"amount": a, "currency": c}} for k, (a, c) in enumerate(payments)]}}]}
    data = [process("over", (60, "USD"), (50, "USD")), process("equal", (50, "USD"), (50, "USD")),
            process("euro", (200, "EUR")), process("mixed", (90, "USD"), (50, "EUR"))]
    assert flags(tmp_path, data, "[R068]\n") == {"OCID": {"over": {"R068": 1.1}}}
    assert flags(tmp_path, data, "[R068]\nthreshold = 0.1\n") == {}  # 1.1 is not more than 1.1


def test_only_listed_indicators_run(tmp_path: Path) -> None:
    data = [{"ocid": "x", "complaints": [{"id": "1"}], "contracts": [{"id": "c", "amendments": [{"id": "1"}]}],
             "tender": {"numberOfTenderers": 1, "procurementMethod": "open"}}]
    assert flags(tmp_path, data, "[R020]\n") == {"OCID": {"x": {"R020": 1.0}}}
    result, _ = run(jsonl(tmp_path / "d.jsonl", data), None, map=False, no_meta=True)
    assert result == {"OCID": {"x": {"R018": 1.0, "R020": 1.0, "R064": 1.0}}}
