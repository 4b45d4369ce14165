"""A watchlist: the companies, officials, classifications and buyers someone wants to hear about.

A TOML or JSON file with any of the keys `companies`, `officials`, `classifications`, `buyers`,
each a list of terms. A term matches a string of a new event (its type, tender, actor or any
string in its payload) as whole words, case-insensitively, whatever the whitespace between its
words: "Acme Corp" matches "ACME  corp." but not "Acmeco". Entries that are not an event envelope
(a JSON object with a "type") are skipped.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .state import MonitorError

CATEGORIES = ("companies", "officials", "classifications", "buyers")
MAX_TERMS = 10_000


@dataclass(frozen=True)
class Match:
    category: str
    term: str
    path: str  # where in the envelope, e.g. payload.supplier.name
    value: str


def _pattern(term: str) -> str:
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in term.split()) + r"(?!\w)"


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


class Watchlist:
    def __init__(self, terms: dict[str, list[str]]) -> None:
        self.terms = [(cat, t, re.compile(_pattern(t), re.IGNORECASE))
                      for cat in CATEGORIES for t in terms.get(cat, [])]
        # One search over the raw entry first: most entries match nothing and are never decoded.
        joined = "|".join(_pattern(t) for _, t, _ in self.terms)
        self.any = re.compile(joined, re.IGNORECASE) if joined else None

    @classmethod
    def load(cls, path: Path) -> Watchlist:
        try:
            text = Path(path).read_text()
            data = json.loads(text) if Path(path).suffix.lower() == ".json" else tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as e:
            raise MonitorError(f"cannot read the watchlist {path}: {e}") from None
        except ValueError as e:
            kind = "JSON" if Path(path).suffix.lower() == ".json" else "TOML"
            raise MonitorError(f"the watchlist {path} is not valid {kind}: {e}") from None
        if not isinstance(data, dict):
            raise MonitorError(f"the watchlist {path} must be a table of lists")
        unknown = sorted(set(data) - set(CATEGORIES))
        if unknown:
            raise MonitorError(f"the watchlist {path} has unknown keys {unknown}; allowed: {', '.join(CATEGORIES)}")
        terms: dict[str, list[str]] = {}
        for cat, items in data.items():
            if not isinstance(items, list) or not all(isinstance(t, str) and t.strip() for t in items):
                raise MonitorError(f"the watchlist's {cat} must be a list of non-empty strings")
            terms[cat] = [t.strip() for t in items]
        if sum(map(len, terms.values())) > MAX_TERMS:
            raise MonitorError(f"the watchlist {path} has more than {MAX_TERMS} terms")
        return cls(terms)

    def matches(self, entry: bytes) -> list[Match]:
        """One match per (category, term) that names something in this event."""
        if self.any is None:
            return []
        text = entry.decode("utf-8", "replace")
        if not self.any.search(text):
            return []
        try:
            env = json.loads(text)
        except ValueError:
            return []
        if not isinstance(env, dict) or not isinstance(env.get("type"), str):
            return []
        fields = [(p, v) for p, v in _strings({k: env.get(k) for k in ("type", "tender", "actor", "payload")}, "")]
        out = []
        for cat, term, rx in self.terms:
            hit = next(((p, v) for p, v in fields if rx.search(v)), None)
            if hit:
                out.append(Match(cat, term, hit[0], hit[1][:200]))
        return out
