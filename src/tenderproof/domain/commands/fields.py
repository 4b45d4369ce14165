"""The structured fields of a tender (buyer, items, factors, documents, times), checked and put in
their one logged form when a command is made.

What the log accepts is what OCDS publishes, so each field is held to what the OCDS 1.1 schema
and its codelists require of it: a release built from an accepted command is always valid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any

from ..model import DEFAULT_SCALE
from .base import InvalidCommand, check_id, check_sha256, check_text, check_time, money

#: OCDS 1.1 itemClassificationScheme codelist (open, but a scheme outside it tells a reader
#: nothing: the classification could not be looked up).
ITEM_CLASSIFICATION_SCHEMES = ("CPV", "CPVS", "GSIN", "UNSPSC", "CPC", "OKDP", "OKPD", "CUCOP", "NAICS", "PSC", "HS")
#: Documents of a solicitation are files a bidder downloads; 1 GiB is far above any real one.
MAX_DOCUMENT_SIZE = 2**30
#: A media type as OCDS `document.format` wants it (an IANA media type, RFC 6838 §4.2), lowercase.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


def object_of(value: Any, what: str, required: AbstractSet[str],
            optional: AbstractSet[str] = frozenset()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidCommand(f"{what} must be an object with {', '.join(sorted(required))}")
    missing, unknown = required - set(value), set(value) - required - optional
    if missing:
        raise InvalidCommand(f"{what} needs {', '.join(sorted(missing))}")
    if unknown:
        raise InvalidCommand(f"{what} has unknown fields {', '.join(sorted(unknown))}")
    return value


def list_of(value: Any, what: str, *, min_len: int = 0, max_len: int = 1000) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise InvalidCommand(f"{what} must be a list")
    if not min_len <= len(value) <= max_len:
        raise InvalidCommand(f"{what} must hold {min_len} to {max_len} entries, not {len(value)}")
    return list(value)


def _number(value: Any, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidCommand(f"{what} must be a number")
    if value < 0:
        raise InvalidCommand(f"{what} must not be negative")
    return value


def unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise InvalidCommand(f"{what} {i} is listed twice")
        seen.add(i)


def buyer(value: Any) -> dict[str, str]:
    """The buyer: an OCDS organization reference, id and name both required; its country (ISO 3166-1
    alpha-2, upper case) where given, whose public holidays roll an EU tender's periods."""
    b = object_of(value, "buyer", {"id", "name"}, {"country"})
    out = {"id": check_text(b["id"], "buyer id", 200), "name": check_text(b["name"], "buyer name", 500)}
    if "country" in b:
        country = b["country"]
        if not isinstance(country, str) or len(country) != 2 or not country.isascii() or not country.isupper():
            raise InvalidCommand(f"buyer country {country!r} is not an ISO 3166-1 alpha-2 code, such as DE")
        out["country"] = country
    return out


#: At most this many lots in one tender (far above any real division; ProZorro's largest run to hundreds).
MAX_LOTS = 500


def lots(value: Any) -> list[dict[str, Any]]:
    """A tender's lots (2014/24/EU art. 46; the OCDS lots extension): each with an id and a title,
    a description and an estimated value where given. Empty: the tender is not divided."""
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(list_of(value, "lots", max_len=MAX_LOTS)):
        lot = object_of(raw, f"lots[{n}]", {"id", "title"}, {"description", "value"})
        entry: dict[str, Any] = {"id": check_id(lot["id"], "lot id"),
                                 "title": check_text(lot["title"], "lot title", 500)}
        if "description" in lot:
            entry["description"] = check_text(lot["description"], "lot description", 5000, required=False)
        if lot.get("value") is not None:
            entry["value"] = money(lot["value"], f"lots[{n}].value")
        out.append(entry)
    unique([x["id"] for x in out], "lot")
    if len(out) == 1:
        raise InvalidCommand("a tender divided into lots has at least two; leave lots out for one")
    return out


def items(value: Any) -> list[dict[str, Any]]:
    """What is bought: each item with an id, a description, a classification from a known scheme
    and, optionally, a quantity (a non-negative number)."""
    if value == []:
        raise InvalidCommand("a tender needs at least one item")
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(list_of(value, "items", min_len=1)):
        i = object_of(raw, f"items[{n}]", {"id", "description", "classification"}, {"quantity", "related_lot"})
        cl = object_of(i["classification"], f"items[{n}].classification", {"scheme", "id"})
        if cl["scheme"] not in ITEM_CLASSIFICATION_SCHEMES:
            raise InvalidCommand(f"items[{n}].classification.scheme {cl['scheme']!r} is not one of "
                                 f"{', '.join(ITEM_CLASSIFICATION_SCHEMES)} (OCDS itemClassificationScheme)")
        item: dict[str, Any] = {
            "id": check_id(i["id"], "item id"),
            "description": check_text(i["description"], "item description", 2000),
            "classification": {"scheme": cl["scheme"], "id": check_text(cl["id"], "classification id", 100)}}
        if "quantity" in i:
            item["quantity"] = _number(i["quantity"], f"items[{n}].quantity")
        if "related_lot" in i:  # checked against the tender's lots by CreateTender
            item["related_lot"] = check_id(i["related_lot"], f"items[{n}].related_lot")
        out.append(item)
    unique([i["id"] for i in out], "item")
    return out


def factors(value: Any) -> list[dict[str, Any]]:
    """The evaluation factors (FAR 15.304): each rated on an adjectival scale (best first) or the
    price, with a non-negative weight; price must be one of them (FAR 15.304(c)(1))."""
    if value == []:
        raise InvalidCommand("a tender needs at least one evaluation factor")
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(list_of(value, "factors", min_len=1, max_len=100)):
        f = object_of(raw, f"factors[{n}]", {"id"}, {"name", "kind", "weight", "scale"})
        fid = check_id(f["id"], "factor id")
        kind = f.get("kind", "rating")
        if kind not in ("rating", "price"):
            raise InvalidCommand(f"factor {fid} kind must be rating or price")
        scale: list[str] = []
        if kind == "rating":
            scale = [check_text(s, f"factor {fid} scale entry", 100)
                     for s in list_of(f.get("scale", DEFAULT_SCALE), f"factor {fid} scale", min_len=2, max_len=20)]
            if len(set(scale)) != len(scale):
                raise InvalidCommand(f"factor {fid} scale lists a rating twice")
        out.append({"id": fid, "name": check_text(f.get("name", ""), f"factor {fid} name", 300), "kind": kind,
                    "weight": _number(f.get("weight", 1), f"factor {fid} weight"),
                    "scale": scale})
    unique([f["id"] for f in out], "factor")
    if not any(f["kind"] == "price" for f in out):
        raise InvalidCommand("the evaluation factors must include price (FAR 15.304(c)(1))")
    return out


def documents(value: Any) -> list[dict[str, Any]]:
    """Solicitation documents, by digest: id, title, SHA-256, size in bytes and, optionally, the
    media type (`format`, e.g. application/pdf)."""
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(list_of(value, "documents")):
        d = object_of(raw, f"documents[{n}]", {"id", "title", "sha256"}, {"size", "format"})
        size = d.get("size", 0)
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_DOCUMENT_SIZE:
            raise InvalidCommand(f"documents[{n}].size must be a whole number of bytes up to {MAX_DOCUMENT_SIZE}")
        doc = {"id": check_id(d["id"], "document id"), "title": check_text(d["title"], "document title", 500),
               "sha256": check_sha256(d["sha256"], f"document {d['id']} digest"), "size": size}
        if "format" in d:
            if not isinstance(d["format"], str) or not _MEDIA_TYPE.fullmatch(d["format"]):
                raise InvalidCommand(f"documents[{n}].format must be a media type such as application/pdf "
                                     "(lowercase, no parameters)")
            doc["format"] = d["format"]
        out.append(doc)
    unique([d["id"] for d in out], "document")
    return out


def time(value: Any, what: str) -> datetime:
    """A time with its offset: a datetime, or ISO 8601 text such as 2026-03-01T17:00:00-05:00."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidCommand(f"{what} {value!r} is not an ISO 8601 time") from None
    if not isinstance(value, datetime):
        raise InvalidCommand(f"{what} must be a time")
    return check_time(value, what)
