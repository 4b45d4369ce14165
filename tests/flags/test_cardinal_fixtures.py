"""tenderproof agrees exactly with Cardinal on Cardinal's own indicator fixtures.

Each `NAME.jsonl` in shared/testdata/cardinal runs with the settings its name encodes (see that
folder's README, as cardinal-rs `build.rs` reads names) plus the two global settings every
fixture runs with, and must give `NAME.expected` (Cardinal's output without `Meta`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenderproof.flags import fastload, run

from .conftest import CARDINAL, require


def settings_text(name: str) -> str:
    """The settings file for a fixture name: `R018`, `R003-threshold-10`, `R003-x-a-1-b-2`…"""
    ident, *parts = name.replace("+", "|").split("-")
    lines = ["no_price_comparison_procurement_methods = NPC", "", "[exclusions]",
             "procurement_method_details = EXC", ""]
    if len(parts) < 2:  # one part (e.g. R038-tenderer) or none: the section with its defaults
        lines.append(f"[{ident}]")
    elif len(parts) == 2:
        lines += [f"[{ident}]", f"{parts[0]} = {parts[1]}"]
    else:
        field, *pairs = parts
        lines.append(f"[{ident}.{field}]")
        lines += [f"{key} = {value}" for key, value in zip(pairs[::2], pairs[1::2], strict=True)]
    return "\n".join(lines) + "\n"


def _fixtures() -> list[str]:
    if not CARDINAL.is_dir():
        return ["<missing>"]
    return sorted(p.stem for p in CARDINAL.glob("*.jsonl"))


def canonical(value: object) -> str:
    """JSON text with sorted keys: 1.0 and 1 differ, as in Cardinal's output."""
    return json.dumps(value, sort_keys=True, allow_nan=False)


def test_fixture_names() -> None:
    assert settings_text("R003-procurement_method_details-x-5-y-10").endswith(
        "[R003.procurement_method_details]\nx = 5\ny = 10\n")
    assert settings_text("R003-procurement_methods-open+selective").endswith(
        "[R003]\nprocurement_methods = open|selective\n")
    assert settings_text("R038-tenderer").endswith("[R038]\n")


@pytest.mark.parametrize("reader", ["python", "duckdb"])
@pytest.mark.parametrize("name", _fixtures())
def test_fixture(name: str, reader: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fixture read release by release in Python, and by DuckDB itself (`fastload`, used for
    files of 2 MiB or more; the fixtures are smaller)."""
    folder = require(CARDINAL)
    if reader == "duckdb":
        loads = []
        load = fastload.load

        def watched(*args: Any, **kwargs: Any) -> Any:
            loads.append(load(*args, **kwargs))
            return loads[-1]

        monkeypatch.setattr(fastload, "MIN_BYTES", 0)
        monkeypatch.setattr(fastload, "load", watched)
    settings = tmp_path / "settings.ini"
    settings.write_text(settings_text(name), encoding="utf-8")
    expected = json.loads((folder / f"{name}.expected").read_text(encoding="utf-8"))

    result, errors = run(folder / f"{name}.jsonl", settings, map=False, no_meta=True)
    assert errors == []
    assert result == expected
    assert canonical(result) == canonical(expected)

    with_meta, _ = run(folder / f"{name}.jsonl", settings, map=False, no_meta=False)
    meta = with_meta.pop("Meta")
    assert canonical(with_meta) == canonical(expected)
    assert set(meta) <= {"R024", "R025", "R038", "R048", "R058"}
    if reader == "duckdb":
        assert len(loads) == 2 and None not in loads  # DuckDB read them, not the fallback


def test_meta_as_documented(tmp_path: Path) -> None:
    """The Meta example of Cardinal's docs (indicators/index.md) is R024 on this fixture."""
    settings = tmp_path / "settings.ini"
    settings.write_text(settings_text("R024"), encoding="utf-8")
    result, _ = run(require(CARDINAL) / "R024.jsonl", settings, map=True, no_meta=False)
    assert result["Meta"] == {"R024": {"q1": 66.6667, "q3": 100.0, "lower_fence": 16.6667}}
    assert result["Maps"]["ocid_tenderer_r024"] == {"F": ["L", "W"], "repeat tenderers": ["L", "W"]}
    assert list(result["Maps"]) == ["ocid_buyer_r038", "ocid_procuringentity_r038", "ocid_tenderer",
                                    "ocid_tenderer_r024", "ocid_tenderer_r028", "ocid_tenderer_r030",
                                    "ocid_tenderer_r035", "ocid_tenderer_r058"]
