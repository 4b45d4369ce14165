"""Which OCDS releases a state change publishes (the mapping itself lives in `tenderproof.ocds`)."""

from __future__ import annotations

from typing import Any

from tenderproof.ocds.releases import release_for


def releases_for(before: dict | None, after: dict, env: dict[str, Any], index: int, ocid_prefix: str) -> list[tuple[int, dict]]:
    rel = release_for(before, after, env, ocid_prefix=ocid_prefix, index=index)
    return [] if rel is None else [(index, rel)]
