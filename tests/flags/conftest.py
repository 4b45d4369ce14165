"""Shared paths for the red-flag tests: the official test data lives in ../shared beside the project."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"
CARDINAL = SHARED / "testdata" / "cardinal"
REAL_EXAMPLES = SHARED / "testdata" / "ocds" / "real-examples"


def require(path: Path) -> Path:
    if not path.is_dir():
        pytest.fail(f"test data missing: {path} (expected the shared/ folder beside the project)")
    return path
