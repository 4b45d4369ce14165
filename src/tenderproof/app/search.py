"""What a tender is found by (issue 13), and a search over it.

The projection side (`Procurement.project`, so the live service and `rebuild` alike) writes a
tender's search columns (`columns`: dates, value, currency, in `tenders`) and its words per field
(`terms`, in `tender_terms`). A word is a run of letters, digits or `_`, case-folded; a search
word matches every word it begins (CPV "72" finds the 72xxxxxx division); a tender matches when
every word of a field's search matches a word of that field. Punctuation separates words and
never acts as a wildcard: "HQ0034-18-R-0077" is found by "hq0034 r 0077", "%" finds nothing.

Who bid is in the terms only from the opening on: before it the state does not know (the bids
are sealed to the opening key, issue 10), and a bidder search must not say who bid early.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from tenderproof.store.schema import tender_terms, tenders

WORD = re.compile(r"\w+")
MAX_WORD = 100  # longer words are cut (the column holds 200 characters)
#: The fields a tender's words are kept by; free text (`q`) searches them all.
KINDS = ("text", "buyer", "supplier", "bidder", "class")
#: The orders a list can take: name -> column. Each has an index on (column, id).
SORTS: dict[str, sa.ColumnElement[Any]] = {
    "id": tenders.c.id, "published": tenders.c.published, "deadline": tenders.c.tender_end,
    "awarded": tenders.c.awarded, "value": tenders.c.amount, "title": tenders.c.title}
#: Date ranges: name -> column (RFC 3339 UTC strings, "" while unknown).
DATES: dict[str, sa.ColumnElement[str]] = {
    "published": tenders.c.published, "deadline": tenders.c.tender_end, "awarded": tenders.c.awarded}


def words(text: str) -> list[str]:
    """The distinct words of `text`, case-folded, in order."""
    return list(dict.fromkeys(w[:MAX_WORD] for w in WORD.findall(text.casefold())))


# --- the projection side ----------------------------------------------------------------------


def columns(core: Mapping[str, Any]) -> dict[str, Any]:
    """The `tenders` search columns of a tender's state."""
    value = core["value"] or {}
    return {"published": core["published"] or "", "tender_end": core["periods"].get("tender_end") or "",
            "awarded": core["awards"][-1]["date"] if core["awards"] else "",
            "amount": float(value.get("amount", 0)), "currency": value.get("currency", "")}


def _party(party: Mapping[str, Any]) -> str:
    return f"{party.get('id', '')} {party.get('name', '')}"


def _classification(c: Mapping[str, str]) -> list[str]:
    """A classification's words, and its scheme and code as one word ("cpv:72000000"): a search
    for "CPV 72" then reads the codes under 72 of CPV alone, not every CPV code (`_scheme_code`)."""
    scheme, code = words(c["scheme"]), words(c["id"])
    return [*scheme, *code, *([f"{scheme[-1]}:{code[0]}"] if scheme and code else [])]


def _scheme_code(found: list[str]) -> list[str]:
    """A classification search's words, a scheme and the code after it as one ("cpv:72")."""
    if len(found) >= 2 and found[0].isalpha() and not found[1].isalpha():
        return [f"{found[0]}:{found[1]}", *found[2:]]
    return found


def terms(state: Mapping[str, Any]) -> list[dict[str, str]]:
    """The `tender_terms` rows of a tender's state (reads its bids only once it is opened)."""
    superseded = {a["supersedes"] for a in state["awards"] if a.get("supersedes")}
    fields: dict[str, Iterable[str]] = {
        "text": (state["title"], state["description"], state["id"]),
        "buyer": (_party(state["buyer"]),),
        "supplier": [_party(a["supplier"]) for a in state["awards"] if a["id"] not in superseded],
        # The bidders public_bid names: never before the opening.
        "bidder": [f"{b['bidder']} {b.get('bidder_name', '')}" for b in state["bids"].values()
                   if b["status"] in ("opened", "replaced")] if state["opened"] else [],
    }
    found = {kind: [w for t in texts for w in words(t)] for kind, texts in fields.items()}
    found["class"] = [w for i in state["items"] for w in _classification(i["classification"])]
    return [{"tender_id": state["id"], "kind": kind, "term": term}
            for kind, ws in found.items() for term in dict.fromkeys(ws)]


# --- the read side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """What a list of tenders asks for. Text fields are searched word by word (above); dates are
    inclusive days (`published_from` … `published_to`); values are inclusive, in `currency` when
    given. The order is `sort` (`SORTS`), then the identifier, ascending unless `desc`."""

    q: str = ""
    buyer: str = ""
    supplier: str = ""
    bidder: str = ""
    classification: str = ""
    status: str = ""
    currency: str = ""
    value_min: float | None = None
    value_max: float | None = None
    dates: Mapping[str, tuple[date | None, date | None]] = field(default_factory=dict)  # DATES name -> (from, to)
    sort: str = "id"
    desc: bool = False

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        if unknown := set(self.dates) - set(DATES):
            raise ValueError(f"no date range {sorted(unknown)[0]}")


#: The query parameters of a search, the API's and the portal's alike.
TEXTS = ("q", "buyer", "supplier", "bidder", "classification")
RANGES = tuple(f"{name}_{end}" for name in DATES for end in ("from", "to"))
CURRENCY = re.compile(r"[A-Za-z]{3}")


def from_params(params: Mapping[str, str]) -> tuple[Search, dict[str, str]]:
    """A search from query parameters (empty ones are not given), and for each parameter that does
    not parse, why: it is left out of the search, so a page can still say what it found."""
    errors: dict[str, str] = {}
    given = {k: v.strip() for k, v in params.items() if v.strip()}
    args: dict[str, Any] = {k: given.get(k, "") for k in (*TEXTS, "status")}
    if (cur := given.get("currency", "")) and not CURRENCY.fullmatch(cur):
        errors["currency"] = "a three-letter ISO 4217 code, e.g. EUR"
    elif cur:
        args["currency"] = cur.upper()
    for name in ("value_min", "value_max"):
        if name in given:
            try:
                amount = float(given[name])
                if not 0 <= amount < float("inf"):
                    raise ValueError
                args[name] = amount
            except ValueError:
                errors[name] = "a number, 0 or more"
    dates: dict[str, list[date | None]] = {}
    for name in RANGES:
        if name in given:
            try:
                day = date.fromisoformat(given[name]) if len(given[name]) == 10 else None
            except ValueError:
                day = None
            if day is None:
                errors[name] = "a date, YYYY-MM-DD"
            else:
                field_, end = name.rsplit("_", 1)
                dates.setdefault(field_, [None, None])[end == "to"] = day
    args["dates"] = {k: (a, b) for k, (a, b) in dates.items()}
    if (sort := given.get("sort", "id")) not in SORTS:
        errors["sort"] = f"one of {', '.join(SORTS)}"
    else:
        args["sort"] = sort
    if (order := given.get("order", "asc")) not in ("asc", "desc"):
        errors["order"] = "asc or desc"
    args["desc"] = order == "desc"
    return Search(**args), errors


def params(s: Search) -> dict[str, str]:
    """The query parameters of a search (the inverse of `from_params`), without the empty ones."""
    out = {k: getattr(s, k) for k in (*TEXTS, "status", "currency")}
    for k in ("value_min", "value_max"):
        if (v := getattr(s, k)) is not None:
            out[k] = str(int(v)) if v.is_integer() else repr(v)
    for name, (start, end) in s.dates.items():
        out |= {f"{name}_from": start.isoformat() if start else "", f"{name}_to": end.isoformat() if end else ""}
    if s.sort != "id" or s.desc:
        out |= {"sort": s.sort, "order": "desc" if s.desc else "asc"}
    return {k: v for k, v in out.items() if v}


def _prefix(kinds: tuple[str, ...], word: str) -> sa.ColumnElement[bool]:
    """Tenders with a word of one of `kinds` that begins with `word`: a range of the index."""
    t = tender_terms.c
    upper = word[:-1] + chr(ord(word[-1]) + 1)
    kind = t.kind == kinds[0] if len(kinds) == 1 else t.kind.in_(kinds)
    return tenders.c.id.in_(sa.select(t.tender_id).where(kind, t.term >= word, t.term < upper))


def _text(kinds: tuple[str, ...], text: str) -> list[sa.ColumnElement[bool]]:
    found = _scheme_code(words(text)) if kinds == ("class",) else words(text)
    # A search of only punctuation has no word to match: it finds nothing, never everything.
    return [_prefix(kinds, w) for w in found] if found else [sa.false()]


def conditions(s: Search) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    for kinds, text in ((KINDS, s.q), (("buyer",), s.buyer), (("supplier",), s.supplier),
                        (("bidder",), s.bidder), (("class",), s.classification)):
        if text.strip():
            where += _text(kinds, text)
    if s.status:
        where.append(tenders.c.status == s.status)
    if s.currency:
        where.append(tenders.c.currency == s.currency.upper())
    if s.value_min is not None:
        where.append(tenders.c.amount >= s.value_min)
    if s.value_max is not None:
        where.append(tenders.c.amount <= s.value_max)
    for name, (start, end) in s.dates.items():
        col = DATES[name]
        if start is not None:
            where.append(col >= start.isoformat())
        if end is not None:  # the whole last day; an unknown date ("") is in no range
            where += [col < (end + timedelta(days=1)).isoformat(), col != ""]
    return where


def sort_key(s: Search) -> tuple[sa.ColumnElement[Any], ...]:
    """The columns a list is ordered by (the identifier last, so the order is total)."""
    col = SORTS[s.sort]
    return (col,) if col is tenders.c.id else (col, tenders.c.id)
