"""Shared paths for the red-flag tests: the official test data lives in ../shared beside the project."""

from __future__ import annotations

from pathlib import Path

import pytest

# The app's procurement fixture, for the flags the ledger raises (test_ledger_flags); a fixture is
# found by its name in a conftest, so it is imported here rather than shadowed in the test module.
from ..app.conftest import world  # noqa: F401

SHARED = Path(__file__).resolve().parents[3] / "shared"
CARDINAL = SHARED / "testdata" / "cardinal"
REAL_EXAMPLES = SHARED / "testdata" / "ocds" / "real-examples"


def require(path: Path) -> Path:
    if not path.is_dir():
        pytest.fail(f"test data missing: {path} (expected the shared/ folder beside the project)")
    return path
