"""Red flags where people look: each tender's flags on its page, every flagged tender at /flags,
and what each indicator means at /flags/indicators.

    GET /flags                   flagged tenders (?code= one indicator), most flags first
    GET /flags/indicators        every indicator: its name, definition, fields and settings

Two families, computed by `tenderproof.flags` exactly as `tenderproof flags --ledger` does, never
re-implemented here:
- OCP's R-codes (`flags.run`, Cardinal's method) over the installation's compiled OCDS releases.
  Several are outliers against all processes, so they are computed for all tenders at once, and
  kept until the log grows (one run per log size, whoever asks first; others wait for it).
- tenderproof's TP-codes (`flags.ledger_flags.INDICATORS`), defined over a tender's full state
  (docs/flags-ledger.md). The state holds confidential parts, so of each finding the portal keeps
  only the fields listed in `PUBLIC_FIELDS`: what the public view and the public envelopes
  already show. Anything an indicator adds later stays out until it is listed there.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tenderproof.app import queries
from tenderproof.app.service import Procurement
from tenderproof.flags import CODES
from tenderproof.flags.catalog import CATALOG
from tenderproof.flags.compiling import compile_releases
from tenderproof.flags.ledger_flags import INDICATORS
from tenderproof.flags.settings import CARDINAL_CODES

from .web import ProcurementDep, html

router = APIRouter()
log = logging.getLogger(__name__)

#: Of each TP finding, the fields the public may see (see the module's docstring). A bidder
#: named by a conflict match is shown only from the opening on, as `app.public.public_view` does.
PUBLIC_FIELDS: dict[str, tuple[str, ...]] = {
    "TP001": ("official", "party", "contact", "decision", "decided", "days_before"),
    "TP002": ("rating", "revision", "date"),  # the reason stays confidential until disclosed
    "TP003": ("official", "interest", "matched"),
    "TP004": ("stay", "kind", "date", "ground", "finding", "by"),
    "TP005": ("date", "bidder"),
    "TP006": ("award", "selected", "ranked_first", "reason"),
    "TP007": ("date", "command", "by"),
    "TP008": ("date", "affected"),
    "TP009": ("date", "official", "command", "code"),
    # Orders under a vehicle (flags.order_flags): all from vehicle.awarded and order.placed payloads,
    # the justification only where posted (FAR 16.505(b)(2)(ii)(D)); an unposted one is never read.
    "TP010": ("party", "party_name", "threshold", "limit", "currency", "orders", "total", "first", "last", "days",
              "ocp"),
    "TP011": ("party", "party_name", "share", "orders", "value", "total", "currency", "parties", "all_orders", "hhi",
              "ocp"),
    "TP012": ("order", "date", "party", "party_name", "value", "currency", "exception", "limit", "posted",
              "justification", "ocp"),
    "TP013": ("share", "share_of_orders", "exceptions", "orders", "value", "total", "by_exception", "ocp"),
    "TP014": ("scope", "order", "date", "ordered", "ceiling", "currency", "share", "remaining", "average", "orders",
              "reason", "ocp"),
}
NAMED_AFTER_OPENING = {"TP003": ("bidder",)}
GROUP_SCOPE = {"OCID": "this tender", "Buyer": "its buyer", "ProcuringEntity": "its procuring entity",
               "Tenderer": "a bidder"}


@dataclass(frozen=True)
class Flag:
    code: str
    name: str
    family: str  # "OCDS" (R-codes) or "ledger" (TP-codes)
    scope: str  # what is flagged: this tender, its buyer, a bidder
    count: int
    value: float | None = None  # an R-code's value (a ratio, days, a count), as Cardinal gives it
    evidence: list[dict[str, Any]] = field(default_factory=list)
    fence: dict[str, float] = field(default_factory=dict)  # the quartiles and fences it was measured by

    @property
    def doc(self) -> str:
        return f"/flags/indicators#{self.code}"


@dataclass
class Computed:
    """Every tender's flags at one log size."""

    size: int
    ocds: dict[str, Any]  # Cardinal's output object
    problems: list[str]
    ledger: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # tender -> code -> found
    tenders: dict[str, queries.TenderRow] = field(default_factory=dict)  # every tender, by id


class FlagCache:
    """The flags of every tender, computed once per log size. `at` waits for the current size;
    `recent` answers at once with what it has (computing only the very first time) and refreshes
    it in the background, so that no tender page waits for a run over all the data. The thread
    is never a daemon (as it would be by default, started from a server's worker thread): the
    process waits for it at exit rather than tear DuckDB down mid-query."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.computed: Computed | None = None
        self.refreshing = False

    def at(self, p: Procurement) -> Computed:
        size = p.log.head().size
        with self.lock:
            if self.computed is None or self.computed.size != size:
                self.computed = compute(p, size)
            return self.computed

    def recent(self, p: Procurement) -> Computed:
        size = p.log.head().size
        with self.lock:
            if self.computed is None:
                self.computed = compute(p, size)
            if self.computed.size != size and not self.refreshing:
                self.refreshing = True
                threading.Thread(target=self._refresh, args=(p,), name="portal-flags", daemon=False).start()
            return self.computed

    def _refresh(self, p: Procurement) -> None:
        try:
            self.at(p)
        except Exception:  # the next request tries again; a page never fails for its flags
            log.exception("computing the portal's red flags failed")
        finally:
            self.refreshing = False


_guard = threading.Lock()


def cache_of(app: Any) -> FlagCache:
    """The app's flag cache (`app.state.portal_flags`), made on first use."""
    with _guard:
        made = getattr(app.state, "portal_flags", None)
        if not isinstance(made, FlagCache):
            made = FlagCache()
            app.state.portal_flags = made
        return made


def flag_cache(request: Request) -> FlagCache:
    return cache_of(request.app)


def compiled_releases(p: Procurement) -> list[dict[str, Any]]:
    """One compiled release per contracting process, as the OCDS record package compiles it."""
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for r in queries.releases(p):
        by_ocid.setdefault(r["ocid"], []).append(r)
    return [compile_releases(rs) for rs in by_ocid.values()]


def ocds_flags(p: Procurement) -> tuple[dict[str, Any], list[str]]:
    from tenderproof.flags import run  # only here: it loads DuckDB

    releases = compiled_releases(p)
    if not releases:
        return {}, []
    # A file of its own, removed here (not by a finalizer that may run at exit, mid-run).
    fd, name = tempfile.mkstemp(prefix="tenderproof-portal-flags-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in releases)
        return run(Path(name), None, map=True, no_meta=False)
    finally:
        os.unlink(name)


def ledger_findings(state: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A tender's TP findings, each cut to its public fields."""
    out = {}
    for code, indicator in INDICATORS.items():
        found = indicator(state)
        if found:
            keep = PUBLIC_FIELDS.get(code, ()) + (NAMED_AFTER_OPENING.get(code, ()) if state["opened"] else ())
            out[code] = [{k: f[k] for k in keep if k in f} for f in found]
    return out


def compute(p: Procurement, size: int) -> Computed:
    result, problems = ocds_flags(p)
    done = Computed(size, result, problems)
    after = ""
    while True:
        page = queries.find_tenders(p, after=after, limit=200)
        for row in page.items:
            done.tenders[row.id] = row
            state = p.state(row.id)
            if state is not None and (found := ledger_findings(state)):
                done.ledger[row.id] = found
        if not page.has_next or not page.items:
            return done
        after = page.items[-1].id


def tender_flags(computed: Computed, v: dict[str, Any], ocid: str) -> list[Flag]:
    """A tender's flags: its R-codes (its own, its buyer's, its bidders'), then its TP-codes."""
    out: list[Flag] = []
    meta = computed.ocds.get("Meta", {})
    bidders = {b["bidder"] for b in v["bids"] if b.get("bidder")} | {a["supplier"]["id"] for a in v["awards"]}
    keys = {"OCID": [ocid], "Buyer": [v["buyer"]["id"]], "ProcuringEntity": [v["buyer"]["id"]],
            "Tenderer": sorted(bidders)}
    for group, ids in keys.items():
        for key in ids:
            for code, value in computed.ocds.get(group, {}).get(key, {}).items():
                scope = GROUP_SCOPE[group] + (f" ({key})" if group == "Tenderer" else "")
                fence = {k: x for k, x in meta.get(code, {}).items() if x is not None}
                out.append(Flag(code, indicator_name(code), "OCDS", scope, 1, value, fence=fence))
    for code, found in computed.ledger.get(v["id"], {}).items():
        out.append(Flag(code, indicator_name(code), "ledger", "this tender", len(found), evidence=found))
    return out


def flags_for(request: Request, p: Procurement, v: dict[str, Any]) -> list[Flag]:
    """What the tender page shows (`views.tender_page` has the public view `v`): its TP-codes from
    its state now, its R-codes from the latest run over all the data (see `FlagCache.recent`)."""
    computed = flag_cache(request).recent(p)
    if computed.size != p.log.head().size and (state := p.state(v["id"])) is not None:
        computed = Computed(computed.size, computed.ocds, computed.problems, {v["id"]: ledger_findings(state)})
    return tender_flags(computed, v, p.ocid_prefix + v["id"])


# --- the indicators' documentation ----------------------------------------------------------


def indicator_name(code: str) -> str:
    """OCP's name of an R-code (`flags.catalog`); a TP-code's from docs/flags-ledger.md where it is at
    hand, else its indicator's own one-line definition."""
    if code in CATALOG:
        return CATALOG[code][0]
    named = dict(_doc_rows("flags-ledger.md").get(code, [])).get("name")
    if named:
        return named
    doc = (INDICATORS[code].__doc__ or "") if code in INDICATORS else ""
    first = " ".join(doc.split("—", 1)[-1].split()).split(". ", 1)[0].rstrip(".")
    return first[:1].upper() + first[1:] if first else code


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    summary: str
    source: str  # the document and section that define it
    columns: list[tuple[str, str]]  # (heading, text) from that section's table, where it is at hand


DOCS = Path(__file__).resolve().parents[3] / "docs"  # in a source checkout; not in a wheel


@cache
def _doc_rows(name: str) -> dict[str, list[tuple[str, str]]]:
    """Each code's row of the tables in docs/NAME, as (heading, cell) pairs; {} without the file."""
    path = DOCS / name
    if not path.is_file():
        return {}
    rows: dict[str, list[tuple[str, str]]] = {}
    heads: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if not cells:
            heads = []
        elif not heads:
            heads = cells
        elif re.fullmatch(r"(R|TP)[0-9]{3}", cells[0]):
            rows[cells[0]] = [(h, c.replace("`", "")) for h, c in zip(heads[1:], cells[1:], strict=False)]
    return rows


def indicators() -> list[Indicator]:
    out = []
    for code in CODES:
        section = "The indicators" if code in CARDINAL_CODES else "Indicators only tenderproof computes"
        out.append(Indicator(code, CATALOG[code][0], CATALOG[code][1], f"docs/flags.md, “{section}”",
                             _doc_rows("flags.md").get(code, [])))
    for code, fn in INDICATORS.items():
        summary = (fn.__doc__ or "").split("—", 1)[-1].strip()
        out.append(Indicator(code, indicator_name(code), " ".join(summary.split()), "docs/flags-ledger.md",
                             _doc_rows("flags-ledger.md").get(code, [])))
    return out


# --- pages -------------------------------------------------------------------------------------


@router.get("/flags", response_class=HTMLResponse, name="portal_flags")
def flagged(request: Request, p: ProcurementDep, code: str = "") -> HTMLResponse:
    code = code.strip().upper()[:10]
    computed = flag_cache(request).recent(p)
    ocids: dict[str, dict[str, Any]] = computed.ocds.get("OCID", {})
    ids = {o.removeprefix(p.ocid_prefix) for o in ocids if o.startswith(p.ocid_prefix)} | set(computed.ledger)
    rows = []
    for tid in sorted(ids):
        codes = dict.fromkeys(ocids.get(p.ocid_prefix + tid, {}), 1)
        codes |= {c: len(found) for c, found in computed.ledger.get(tid, {}).items()}
        if code and code not in codes:
            continue
        row = computed.tenders.get(tid)
        rows.append({"id": tid, "title": row.title if row else tid, "status": row.status if row else "",
                     "codes": dict(sorted(codes.items()))})
    rows.sort(key=lambda r: (-len(r["codes"]), r["id"]))
    known = sorted({c for r in rows for c in r["codes"]} | ({code} if code else set()))
    return html("flags.html", request=request, rows=rows, code=code, codes=known, names={
        c: indicator_name(c) for c in known}, size=computed.size, problems=computed.problems, nav="flags")


@router.get("/flags/indicators", response_class=HTMLResponse, name="portal_indicators")
def indicator_docs(request: Request) -> HTMLResponse:
    return html("indicators.html", request=request, indicators=indicators(), nav="flags")
