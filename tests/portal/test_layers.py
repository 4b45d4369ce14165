"""The API and the portal read only through the app layer (`app.queries`, `app.public`): no
module of theirs touches the tables or the database library (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tenderproof

SRC = Path(tenderproof.__file__).parent
MODULES = sorted(p for pkg in ("api", "portal") for p in (SRC / pkg).rglob("*.py"))
FORBIDDEN = ("sqlalchemy", "tenderproof.store.schema")


def imported(path: Path) -> set[str]:
    """Every module a source file imports (`from a import b` counts as a and a.b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_the_modules_are_found():
    assert {p.parent.name for p in MODULES} == {"api", "portal"} and len(MODULES) >= 8


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_sql_outside_the_read_model(path):
    bad = sorted(n for n in imported(path) for f in FORBIDDEN if n == f or n.startswith(f + "."))
    assert not bad, f"{path.relative_to(SRC)} imports {bad}: read through tenderproof.app.queries instead"
