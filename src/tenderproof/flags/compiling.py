"""Compiling OCDS data for the indicators: upgrading OCDS 1.0 releases to 1.1 (ocdskit) and
merging one ocid's releases into a compiled release (ocdsmerge, OCDS 1.1.5 schema)."""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

import ocdsmerge.exceptions
from ocdskit.upgrade import upgrade_release_10_11

from tenderproof.ocds.packages import merger


class _Quiet(logging.Filter):
    """Silences ocdskit's data-loss warnings while this thread upgrades (they are per party)."""

    local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.local, "on", False)


_QUIET = _Quiet()
logging.getLogger("ocdskit").addFilter(_QUIET)


def upgrade(release: dict[str, Any], version: str | None) -> None:
    """Upgrade a release from OCDS 1.0 in place. `version`: its package's; None: guess as ocdskit does."""
    if version is None:
        own = release.get("version")
        is_10 = not (isinstance(own, str) and not own.startswith("1.0")) and "parties" not in release
    else:
        is_10 = version.startswith("1.0")
    if is_10:
        _QUIET.local.on = True
        try:
            upgrade_release_10_11(release, reorder=False)
        finally:
            _QUIET.local.on = False


def is_embedded(release: dict[str, Any]) -> bool:
    """A record's release with content (not a linked release: only url, date and tag)."""
    return bool(set(release) - {"url", "date", "tag"})


def compile_releases(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge one ocid's releases into a compiled release (ocdsmerge, OCDS 1.1.5 schema)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ocdsmerge.exceptions.OCDSMergeWarning)
        compiled: dict[str, Any] = merger().create_compiled_release(releases)
    return compiled
