"""Cardinal's settings file and the statistics it uses (statrs quantiles, mul_add, rounding)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderproof.flags import SettingsError, load_settings, parse_settings, run
from tenderproof.flags.settings import CODES, R003, R018, R035, R038, pipe_set
from tenderproof.flags.stats import lower_fence, mul_add, percentile, quantile, round4, upper_fence

from .helpers import ini, jsonl, short_tender


def test_settings_file() -> None:
    s = parse_settings("""
currency = USD
no_price_comparison_procurement_methods = Random Selection|Sorteo de Obras
; a comment
[exclusions]
procurement_method_details = Sorteo

[defaults]
currency = USD

[R003.procurement_method_details]
Cotización = 7
Licitación = 10

[R018]
procurement_methods = "open"

[R035]
threshold = 0

[R038]
threshold = 0.5 # inline comment
minimum_submitted_bids = 3
""")
    assert s.currency == "USD"
    assert pipe_set(s.no_price_comparison_procurement_methods) == ["Random Selection", "Sorteo de Obras"]
    assert s.excluded_procurement_method_details == "Sorteo"
    assert list(s.indicators) == ["R003", "R018", "R035", "R038"]  # a sub-table alone enables R003
    assert s.indicators["R003"] == R003(procurement_method_details={"Cotización": 7, "Licitación": 10})
    assert s.indicators["R018"] == R018(procurement_methods="open")
    assert s.indicators["R035"] == R035(threshold=1)  # Cardinal: max(threshold, 1)
    assert s.indicators["R038"] == R038(threshold=0.5, minimum_submitted_bids=3)


@pytest.mark.parametrize(("text", "message"), [
    ("[R999]\n", "unknown section [R999]"),
    ("[R024]\nthreshhold = 1\n", "unknown key 'threshhold' in [R024]"),
    ("[R048]\ndigits = -1\n", "non-negative"),
    ("[R003]\nthreshold = soon\n", "expected an integer"),
    ("currenzy = USD\n", "unknown top-level key"),
    ("[R003]\n[R003]\n", "invalid settings file"),
])
def test_settings_errors(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_settings(text)


def test_settings_defaults_and_notes(tmp_path: Path) -> None:
    assert list(load_settings(None).indicators) == list(CODES)
    assert pipe_set("a|b|") == ["a", "b"] and pipe_set("") == [] and pipe_set("a||b") == ["", "a", "b"]
    s = parse_settings("no_price_comparison_procurement_methods = A\nprice_comparison_procurement_methods = B\n"
                       "[R044]\n[R055]\n")
    assert s.indicators == {} and len(s.notes) == 3
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.ini")
    _, errors = run(jsonl(tmp_path / "d.jsonl", [short_tender("a")]), ini(tmp_path / "s.ini", "[R044]\n"),
                    map=False, no_meta=True)
    assert errors == ["[R044] is not computed by tenderproof; skipped"]


def test_exclusions_and_price_comparison(tmp_path: Path) -> None:
    data = jsonl(tmp_path / "d.jsonl", [
        short_tender(name, tender={"procurementMethodDetails": name}) for name in ("keep", "drop")
    ] + [short_tender("none"), short_tender("cancelled", tender={"status": "cancelled"})])
    settings = ini(tmp_path / "s.ini", "[exclusions]\nprocurement_method_details = drop|other\n[R003]\n")
    assert set(run(data, settings, map=False, no_meta=True)[0]["OCID"]) == {"keep", "none"}


def test_quantile_as_statrs() -> None:
    data = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert quantile(data, 0.25) == 1.6666666666666665  # h = (5 + 1/3) / 4 + 1/3: 1 + 0.667 * (2 - 1)
    assert quantile(data, 0.75) == 4.333333333333333
    assert quantile([7.0], 0.25) == 7.0 and quantile([7.0], 0.75) == 7.0
    assert quantile([0.0, 100.0], 0.25) == 0.0 and quantile([0.0, 100.0], 0.75) == 100.0
    assert math.isnan(quantile([], 0.5)) and math.isnan(percentile([1.0], 101))
    assert percentile([1.0, 1.0, 1.0, 1.0, 1.0, 6.0], 75) == pytest.approx(1.4166666666666667)


def test_fences_use_one_rounding() -> None:
    assert mul_add(0.1, 10.0, -1.0) == 5.551115123125783e-17  # fused: one rounding
    assert 0.1 * 10.0 - 1.0 == 0.0  # two roundings
    assert upper_fence(1.0, 2.0) == 3.5 and lower_fence(1.0, 2.0) == -0.5
    assert math.isnan(upper_fence(math.nan, math.nan))


def test_meta_rounding() -> None:
    assert round4(0.03125) == 0.0313 and round4(-0.03125) == -0.0313  # half away from zero
    assert round4(2 / 3) == 0.6667 and round4(100.0) == 100.0
    assert round4(math.nan) is None and round4(math.inf) is None


def test_results_in_cardinal_order_with_non_finite_values_as_null() -> None:
    from tenderproof.flags.results import Results

    results = Results()
    results.set("OCID", "b", "R003", 1.0)
    results.set("OCID", "a", "R058", float("inf"))
    results.set("OCID", "a", "R024", 2.0)  # set after a later code
    results.set("Tenderer", "t", "R024", 3.0)
    out = results.as_json(map=False, no_meta=True, codes=("R003", "R024", "R058"))
    assert list(out["OCID"]) == ["a", "b"]
    assert list(out["OCID"]["a"].items()) == [("R024", 2.0), ("R058", None)]
    assert out["OCID"]["b"] is results.groups["OCID"]["b"]  # already in order: shared, not copied
    assert out["Tenderer"] == {"t": {"R024": 3.0}} and "Buyer" not in out


_results = st.dictionaries(
    st.sampled_from(["OCID", "Buyer", "Meta", "Maps"]),
    st.dictionaries(st.text(max_size=5), st.one_of(
        st.dictionaries(st.sampled_from(["R003", "R024", "q1"]), st.one_of(st.none(), st.floats(allow_nan=False,
                                                                                             allow_infinity=False))),
        st.lists(st.text(max_size=3), max_size=3)), max_size=30),
    max_size=4)


@given(result=_results)
def test_written_json_is_the_result_with_keys_sorted(result: dict) -> None:
    from tenderproof.flags.results import write_json

    parts: list[str] = []
    write_json(result, parts.append)
    text = "".join(parts)
    assert json.loads(text) == result
    orders: list[list[str]] = []
    json.loads(text, object_pairs_hook=lambda pairs: orders.append([k for k, _ in pairs]) or dict(pairs))
    assert all(keys == sorted(keys) for keys in orders)  # every object's keys in order
    assert text.endswith("}\n")


def test_written_json_in_batches(tmp_path: Path) -> None:
    from tenderproof.flags.results import write_json
    from tenderproof.fsutil import atomic_writer

    result = {"OCID": {f"ocds-{i:05d}": {"R003": float(i)} for i in range(25_001)}, "Tenderer": {}}
    path = tmp_path / "out.json"
    with atomic_writer(path) as f:
        write_json(result, lambda text: f.write(text.encode()))
    assert json.loads(path.read_text(encoding="utf-8")) == result
    assert len(path.read_text(encoding="utf-8").splitlines()) == 25_001 + 5


def test_atomic_writer_leaves_nothing_when_the_block_raises(tmp_path: Path) -> None:
    from tenderproof.fsutil import atomic_writer

    path = tmp_path / "out.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_writer(path) as f:
        f.write(b"half")
        raise RuntimeError("stop")
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
