"""Every real-world OCDS file (OCDS 1.0 and 1.1; packages, records, releases; some invalid) is
processed without a crash: each gives a result in Cardinal's shape, or a clean list of errors
that name the file. One case per file (780 files, about 30 s in all)."""

from __future__ import annotations

import json

import pytest

from tenderproof.flags import run

from .conftest import REAL_EXAMPLES, require

KEYS = {"OCID", "Buyer", "ProcuringEntity", "Tenderer", "Meta", "Maps"}


def _files() -> list[str]:
    if not REAL_EXAMPLES.is_dir():
        return ["<missing>"]
    return sorted(str(p.relative_to(REAL_EXAMPLES)) for p in REAL_EXAMPLES.rglob("*.json"))


def test_the_sample_is_all_there() -> None:
    assert len(_files()) == 780


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in _files()])
def test_real_example(name: str) -> None:
    path = require(REAL_EXAMPLES) / name
    result, errors = run(path, None, map=True, no_meta=False)
    assert set(result) <= KEYS and {"Meta", "Maps"} <= set(result)
    json.dumps(result, allow_nan=False)  # serialisable as strict JSON
    for group in KEYS - {"Meta", "Maps"}:
        for values in result.get(group, {}).values():
            assert values and all(code.startswith("R") for code in values)
    assert all(isinstance(e, str) and str(path) in e and "\n" not in e for e in errors), errors


def test_known_problems() -> None:
    """The invalid files of the sample are reported, not fatal."""
    folder = require(REAL_EXAMPLES) / "paraguay" / "sample" / "records"
    _, errors = run(folder / "283826.json", None, map=False, no_meta=True)
    assert errors == [f"{folder / '283826.json'}: empty file"]
    result, errors = run(folder / "284437.json", None, map=False, no_meta=True)
    assert result == {} and len(errors) == 1 and "no compiledRelease" in errors[0]


def test_whole_directory() -> None:
    """The 780 files at once: releases of one ocid across files are merged."""
    result, errors = run(require(REAL_EXAMPLES), None, map=False, no_meta=False)
    assert result["OCID"] and all(str(REAL_EXAMPLES) in e or e.startswith("ocid ") for e in errors), errors
