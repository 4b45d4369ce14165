"""OCDS 1.1 release packages, record packages (compiled with ocdsmerge) and bulk JSON Lines.

The merger reads the OCDS 1.1.5 release schema shipped in `schema/` (Apache-2.0, see
schema/NOTICE) patched with tenderproof's own extensions (`extensions.py`), so nothing is
downloaded at run time. Each package is built either whole (a dict, for small outputs and tests)
or streamed (`iter_*`: text chunks, one release or record at a time), so a bulk file or response
holds one record in memory at most, however many releases there are.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

import ocdsmerge

from .extensions import patched_release_schema

OCDS_VERSION = "1.1"
DEFAULT_PUBLISHER_NAME = "tenderproof"
DEFAULT_OCID_PREFIX = "ocds-tndrpf-"


class Publication(Protocol):
    """Who publishes an installation's OCDS data, under what terms, with which ocid prefix
    (`instance.OcdsSettings`, checked when the installation's settings are read)."""

    @property
    def publisher_name(self) -> str: ...
    @property
    def publisher_uri(self) -> str | None: ...
    @property
    def license(self) -> str | None: ...
    @property
    def publication_policy(self) -> str | None: ...
    @property
    def ocid_prefix(self) -> str: ...


@dataclass(frozen=True)
class DefaultPublication:
    """An installation that configured nothing: publisher "tenderproof", tenderproof's prefix."""

    publisher_name: str = DEFAULT_PUBLISHER_NAME
    publisher_uri: str | None = None
    license: str | None = None
    publication_policy: str | None = None
    ocid_prefix: str = DEFAULT_OCID_PREFIX


DEFAULT_PUBLICATION: Publication = DefaultPublication()


def metadata_of(pub: Publication) -> dict[str, Any]:
    """The package keyword arguments (publisher, license, publication_policy) that `pub` sets."""
    publisher = {"name": pub.publisher_name, **({"uri": pub.publisher_uri} if pub.publisher_uri else {})}
    return {"publisher": publisher, "license": pub.license, "publication_policy": pub.publication_policy}


@functools.cache
def release_schema() -> dict[str, Any]:
    """The OCDS 1.1.5 release schema with tenderproof's extensions applied (treat as read-only)."""
    core = resources.files(__package__).joinpath("schema", "release-schema.json").read_text(encoding="utf-8")
    return patched_release_schema(core)


@functools.cache
def merger() -> ocdsmerge.Merger:
    """An ocdsmerge Merger built from the extended schema (merge rules computed once)."""
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
                    published_date: str, extensions: Iterable[str] = (),
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


def records(releases: Iterable[dict[str, Any]], *, versioned: bool = False) -> Iterator[dict[str, Any]]:
    """One record per ocid, for releases that come grouped by ocid (as the store returns them):
    only one contracting process's releases are held at a time.

    ocdsmerge sorts each ocid's releases by `date` (a stable sort), so releases of equal date
    keep their ledger order."""
    for ocid, group in itertools.groupby(releases, key=lambda r: r["ocid"]):
        yield compile_record(ocid, list(group), versioned=versioned)


def record_package(releases: Iterable[dict[str, Any]], *, publisher: dict[str, Any], uri: str,
                   published_date: str, extensions: Iterable[str] = (),
                   license: str | None = None, publication_policy: str | None = None,
                   packages: Sequence[str] = (), versioned: bool = False) -> dict[str, Any]:
    """An OCDS 1.1 record package: one record per ocid, in order of first appearance.
    `packages` lists the URLs of the release packages used."""
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for r in releases:
        by_ocid.setdefault(r["ocid"], []).append(r)
    pkg = record_metadata(publisher=publisher, uri=uri, published_date=published_date, extensions=extensions,
                          license=license, publication_policy=publication_policy, packages=packages)
    pkg["records"] = list(records(itertools.chain.from_iterable(by_ocid.values()), versioned=versioned))
    return pkg


def record_metadata(*, publisher: dict[str, Any], uri: str, published_date: str, extensions: Iterable[str] = (),
                    license: str | None = None, publication_policy: str | None = None,
                    packages: Sequence[str] = ()) -> dict[str, Any]:
    """A record package's metadata (everything but its records)."""
    pkg = _metadata(publisher, uri, published_date, extensions, license, publication_policy)
    if packages:
        pkg["packages"] = list(packages)
    return pkg


def stream_package(meta: dict[str, Any], key: str, items: Iterable[Any]) -> Iterator[str]:
    """`{**meta, key: [*items]}` as compact JSON text, one item per chunk (`dumps` of the whole,
    byte for byte)."""
    head = dumps(meta)
    yield f"{head[:-1]},{dumps(key)}:["
    for n, item in enumerate(items):
        yield ("," if n else "") + dumps(item)
    yield "]}"


def iter_release_package(releases: Iterable[dict[str, Any]], *, publisher: dict[str, Any], uri: str,
                         published_date: str, extensions: Iterable[str] = (),
                         license: str | None = None, publication_policy: str | None = None) -> Iterator[str]:
    """`release_package`, streamed: `dumps` of it in chunks, reading `releases` one at a time."""
    meta = _metadata(publisher, uri, published_date, extensions, license, publication_policy)
    return stream_package(meta, "releases", releases)


def iter_record_package(releases: Iterable[dict[str, Any]], *, publisher: dict[str, Any], uri: str,
                        published_date: str, extensions: Iterable[str] = (),
                        license: str | None = None, publication_policy: str | None = None,
                        packages: Sequence[str] = (), versioned: bool = False) -> Iterator[str]:
    """`record_package` of releases grouped by ocid, streamed one record at a time."""
    meta = record_metadata(publisher=publisher, uri=uri, published_date=published_date, extensions=extensions,
                           license=license, publication_policy=publication_policy, packages=packages)
    return stream_package(meta, "records", records(releases, versioned=versioned))


def dumps(data: Any) -> str:
    """Compact, key-order-preserving, UTF-8 JSON (one line)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def iter_jsonl(releases: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Bulk JSON Lines, streamed: one release per line, each line ending in a newline."""
    return (dumps(r) + "\n" for r in releases)


def jsonl(releases: Iterable[dict[str, Any]]) -> str:
    """Bulk JSON Lines: one release per line, each line ending in a newline."""
    return "".join(iter_jsonl(releases))
