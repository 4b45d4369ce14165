"""tenderproof's own OCDS extensions, shipped as package data in `extensions/<name>/`.

Each is an OCDS 1.1 extension (extension.json, a release-schema.json that is a JSON Merge Patch of
the release schema, RFC 7386, and a README.md). Every package declares them by the URL the server
serves them at (`<base>/api/ocds/extensions/<name>/extension.json`), so a validator such as
libcoveocds reads the extended schema from the installation itself; the merger compiles records
with the same patched schema, so fields of the extensions merge by their identifiers too.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

#: The extensions every package declares, in the order they patch the schema.
EXTENSIONS: tuple[str, ...] = ("tenderproof_bids", "tenderproof_protests", "tenderproof_illustrative",
                               "tenderproof_vehicles", "tenderproof_lots")
#: The files an extension consists of (what the server serves, and nothing else).
FILES: tuple[str, ...] = ("extension.json", "release-schema.json", "README.md")
#: Where the API serves them, under the installation's public URL.
EXTENSIONS_PATH = "/api/ocds/extensions/"
#: `tenderproof serve`'s default address: the base of an installation that has no public URL.
LOCAL_BASE = "http://127.0.0.1:8000"
MEDIA_TYPES = {"json": "application/json", "md": "text/markdown; charset=utf-8"}


def extension_file(name: str, file: str) -> bytes | None:
    """The bytes of one file of a shipped extension, or None if there is no such extension or file."""
    if name not in EXTENSIONS or file not in FILES:
        return None
    return resources.files(__package__).joinpath("extensions", name, file).read_bytes()


def extension_urls(base_url: str | None) -> list[str]:
    """The URLs of every extension's extension.json under an installation's base URL, or, with
    none, under `LOCAL_BASE`, where `tenderproof serve` serves them by default (a file meant for
    others is written with the installation's public URL)."""
    root = (base_url or LOCAL_BASE).rstrip("/") + EXTENSIONS_PATH
    return [f"{root}{name}/extension.json" for name in EXTENSIONS]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: `patch` applied to a copy of `target` (null removes a member)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


@functools.cache
def patched_release_schema(core: str) -> dict[str, Any]:
    """The release schema `core` (JSON text) with every extension's release-schema.json applied."""
    schema = json.loads(core)
    for name in EXTENSIONS:
        patch = extension_file(name, "release-schema.json")
        assert patch is not None
        schema = merge_patch(schema, json.loads(patch))
    return schema
