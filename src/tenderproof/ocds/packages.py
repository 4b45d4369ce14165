"""OCDS 1.1 release packages, record packages (compiled with ocdsmerge) and bulk JSON Lines.

The merger reads the OCDS 1.1.5 release schema shipped in `schema/` (Apache-2.0, see
schema/NOTICE), so nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

import ocdsmerge

#: The OCDS bids extension, at the tag matching OCDS 1.1.5, as its official extension.json URL.
BIDS_EXTENSION = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
DEFAULT_EXTENSIONS: tuple[str, ...] = (BIDS_EXTENSION,)
OCDS_VERSION = "1.1"


@functools.cache
def release_schema() -> dict[str, Any]:
    """The OCDS 1.1.5 release schema shipped as package data (treat as read-only)."""
    text = resources.files(__package__).joinpath("schema", "release-schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def merger() -> ocdsmerge.Merger:
    """An ocdsmerge Merger built from the local schema (merge rules computed once)."""
    return ocdsmerge.Merger(schema=release_schema())


def _metadata(publisher: dict[str, Any], uri: str, published_date: str, extensions: Iterable[str],
              license: str | None, publication_policy: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"uri": uri, "version": OCDS_VERSION, "publishedDate": published_date,
                            "publisher": dict(publisher)}
    ext = list(dict.fromkeys(extensions))
    if ext:
        meta["extensions"] = ext
    if license:
        meta["license"] = license
    if publication_policy:
        meta["publicationPolicy"] = publication_policy
    return meta


def release_package(releases: Iterable[dict[str, Any]], *, publisher: dict[str, Any], uri: str,
                    published_date: str, extensions: Iterable[str] = DEFAULT_EXTENSIONS,
                    license: str | None = None, publication_policy: str | None = None) -> dict[str, Any]:
    """An OCDS 1.1 release package holding `releases` in the order given."""
    return {**_metadata(publisher, uri, published_date, extensions, license, publication_policy),
            "releases": list(releases)}


def compile_record(ocid: str, releases: Sequence[dict[str, Any]], *, versioned: bool = False) -> dict[str, Any]:
    """One ocid's record: its releases (embedded) and the compiledRelease merged by ocdsmerge."""
    record: dict[str, Any] = {"ocid": ocid, "releases": list(releases),
                              "compiledRelease": merger().create_compiled_release(list(releases))}
    if versioned:
        record["versionedRelease"] = merger().create_versioned_release(list(releases))
    return record


def record_package(releases: Iterable[dict[str, Any]], *, publisher: dict[str, Any], uri: str,
                   published_date: str, extensions: Iterable[str] = DEFAULT_EXTENSIONS,
                   license: str | None = None, publication_policy: str | None = None,
                   packages: Sequence[str] = (), versioned: bool = False) -> dict[str, Any]:
    """An OCDS 1.1 record package: one record per ocid, in order of first appearance.

    ocdsmerge sorts each ocid's releases by `date` (a stable sort), so releases of equal date
    keep their ledger order. `packages` lists the URLs of the release packages used.
    """
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for r in releases:
        by_ocid.setdefault(r["ocid"], []).append(r)
    pkg = _metadata(publisher, uri, published_date, extensions, license, publication_policy)
    if packages:
        pkg["packages"] = list(packages)
    pkg["records"] = [compile_record(ocid, rs, versioned=versioned) for ocid, rs in by_ocid.items()]
    return pkg


def dumps(data: Any) -> str:
    """Compact, key-order-preserving, UTF-8 JSON (one line)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def jsonl(releases: Iterable[dict[str, Any]]) -> str:
    """Bulk JSON Lines: one release per line, each line ending in a newline."""
    return "".join(dumps(r) + "\n" for r in releases)
