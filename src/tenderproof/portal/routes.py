"""The portal's pages about tenders: the list with search and paging, one tender, one logged
event, and the style sheet."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tenderproof.app import queries
from tenderproof.app.service import Procurement

from . import flags, labels, views
from .summaries import actor_text, summarize
from .vehicle import orders_cursor
from .web import MAX_QUERY, ProcurementDep, html, ledger_index, not_found

router = APIRouter()
PAGE_SIZE = 20


#: The search's parameters the list reads (app.search); cursors are `after` and `before`.
_SEARCH_PARAMS = ("q", "buyer", "supplier", "bidder", "classification", "status", "currency", "value_min",
                  "value_max", "published_from", "published_to", "deadline_from", "deadline_to", "awarded_from",
                  "awarded_to", "sort", "order")


@router.get("/", response_class=HTMLResponse, name="portal_home")
def home(request: Request, p: ProcurementDep, after: str = "", before: str = "") -> HTMLResponse:
    # Over-long parameters are cut, never refused, and one that does not parse is left out and
    # named on the page: a visitor gets a page, not a JSON error.
    asked = {k: request.query_params.get(k, "")[:MAX_QUERY] for k in _SEARCH_PARAMS}
    search, errors = queries.search_from_params(asked)
    after, before = after[:100], before[:100]
    counts = queries.tenders_by_status(p)
    total = queries.count_tenders(p, search)
    try:
        found = queries.find_tenders(p, search, after=after, before=before, limit=PAGE_SIZE)
    except queries.UnknownCursor:  # a stale or edited link: the first page instead
        found = queries.find_tenders(p, search, limit=PAGE_SIZE)
    items = found.items
    base = queries.search_params(search)
    prev_link = _qs(base, before=items[0].id) if found.has_prev and items else None
    next_link = _qs(base, after=items[-1].id) if found.has_next and items else None
    order = list(labels.STATUS_LABELS)
    statuses = sorted(set(counts) | ({search.status} if search.status else set()),
                      key=lambda s: order.index(s) if s in labels.STATUS_LABELS else 99)
    # What the form shows: what was asked, as typed (also what did not parse, to be corrected).
    form = {k: v.strip() for k, v in asked.items()}
    ordering = (search.sort, "desc" if search.desc else "asc")
    filtered = {k: v for k, v in base.items() if k not in ("q", "sort", "order")}
    return html("list.html", request=request, items=items, q=search.q, status=search.status, total=total,
                counts=counts, statuses=statuses, prev_link=prev_link, next_link=next_link, nav="tenders",
                all_count=sum(counts.values()), form=form, errors=errors, ordering=ordering,
                searching=bool(base), filtered=filtered, more_open=bool(set(filtered) - {"status"} or errors),
                api_link="/api/tenders" + ("?" + urlencode(base) if base else ""))


@router.get("/tenders/{tender_id}", response_class=HTMLResponse, name="portal_tender")
def tender(request: Request, tender_id: str, p: ProcurementDep, orders_before: str = "",
           orders_after: str = "") -> HTMLResponse:
    # A vehicle's orders page by their events' sequence numbers; a cursor that does not parse
    # gives the latest orders.
    page = views.tender_page(p, tender_id, orders_cursor(orders_before),
                             orders_cursor(orders_after)) if len(tender_id) <= 100 else None
    if page is None:
        return not_found(request, "No such tender",
                         f"There is no tender with the identifier “{tender_id[:100]}” in this log. "
                         "Identifiers are exact; search by a part of the title or identifier instead.",
                         q=tender_id[:MAX_QUERY], suggestions=_similar(p, tender_id))
    page.flags = flags.flags_for(request, p, page.v)
    return html("tender.html", request=request, t=page, v=page.v, nav="tenders")


@router.get("/events/{index}", response_class=HTMLResponse, name="portal_event")
def event(request: Request, index: str, p: ProcurementDep) -> HTMLResponse:
    i = ledger_index(index)
    size = p.log.head().size
    if i is None or i >= size:
        return not_found(request, "No such event",
                         f"The log holds entries 0 to {size - 1}; “{index[:40]}” is not one of them." if size
                         else "The log is empty.")
    entry = p.log.entry(i)
    place = queries.event_place(p, i)
    try:
        env = json.loads(entry)
        text = labels.pretty_json(env)
    except (ValueError, UnicodeDecodeError):
        env, text = None, entry.hex()
    sha, leaf = views.entry_digests(entry)
    label = labels.event_label(env.get("type", "")) if isinstance(env, dict) else "Log entry"
    return html("event.html", request=request, index=i, size=size, env=env, text=text, entry_len=len(entry),
                sha256=sha, leaf_hash=leaf, tender_id=place.tender_id if place else None, label=label,
                summary=summarize(env, {}, {}) if isinstance(env, dict) and "type" in env else "",
                actor=actor_text(env) if isinstance(env, dict) and "actor" in env else "",
                prev_index=place.prev if place else None, next_index=place.next if place else None,
                base=str(request.base_url).rstrip("/"), nav="")


@lru_cache(maxsize=1)
def _css() -> bytes:
    return resources.files("tenderproof.portal").joinpath("static", "portal.css").read_bytes()


@router.get("/static/portal.css", name="portal_css")
def css() -> Response:
    return Response(_css(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


def _qs(base: dict[str, str], **extra: str) -> str:
    params = {k: v for k, v in {**base, **extra}.items() if v}
    return "/?" + urlencode(params) if params else "/"


def _similar(p: Procurement, text: str, limit: int = 5) -> list[queries.TenderRow]:
    """Tenders whose title or identifier holds what was asked for: the same search as the list's."""
    needle = text.strip().lower()[:MAX_QUERY]
    return queries.find_tenders(p, needle, limit=limit).items if needle else []
