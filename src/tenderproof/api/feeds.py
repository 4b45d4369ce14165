"""Atom feeds (RFC 4287) of a tender, a buyer, a supplier and a search, so nobody has to poll the
JSON: each entry is one logged event (a search's: one tender), titled as the portal labels it,
linking to its portal page and to its log entry. Conditional GET (RFC 9110 §13): a strong ETag
over the document and its `updated` as Last-Modified, so a reader's poll of an unchanged feed
is a 304 with no body.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from tenderproof.app import feeds, queries
from tenderproof.app.publication import DOCUMENTS_PATH
from tenderproof.app.service import Logged, Procurement
from tenderproof.domain.model import parse_time
from tenderproof.portal.labels import event_label, status_label
from tenderproof.portal.summaries import actor_text, summarize

from . import problems
from .reads import TenderQuery
from .security import ProcurementDep

router = APIRouter(prefix="/feeds", tags=["feeds"])
ATOM_TYPE = "application/atom+xml"
AUTHOR = "tenderproof"
Ident = Annotated[str, Path(min_length=1, max_length=200)]
_ATOM: dict[int | str, dict[str, Any]] = {
    200: {"content": {ATOM_TYPE: {"schema": {"type": "string"}}}, "description": "An Atom feed"},
    304: {"description": "Not modified since the ETag or date given"}}


def _base(request: Request, p: Procurement) -> str:
    """The installation's public URL if it has one (ids then never change with the host asked),
    else the URL this request came to."""
    if p.document_base_url:
        return p.document_base_url.removesuffix(DOCUMENTS_PATH)
    return str(request.base_url).rstrip("/")


def _event_entry(base: str, e: Logged, *, with_tender: bool) -> feeds.Entry:
    env = e.envelope
    tender = env.get("tender", "")
    label = event_label(str(env.get("type", "")))
    log_url = f"{base}/log/entries/{e.index}"
    return feeds.Entry(
        id=log_url,  # the entry's bytes on the log: the one thing about it that never changes
        title=f"{label} — {tender}" if with_tender else label,
        updated=env["time"],
        summary=f"{summarize(env, {}, {})} By {actor_text(env)}.",
        category=str(env.get("type", "")),
        links=[feeds.Link(f"{base}/events/{e.index}", title="The event on the portal"),
               feeds.Link(f"{base}/tenders/{tender}", "related", title="The tender on the portal"),
               feeds.Link(log_url, "via", "application/octet-stream", "The log entry, as logged")])


def _respond(request: Request, feed: feeds.Feed) -> Response:
    body = feeds.atom(feed)
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    modified = parse_time(feed.updated)
    headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True), "Cache-Control": "no-cache"}
    if _not_modified(request, etag, modified.timestamp()):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=ATOM_TYPE, headers=headers)


def _not_modified(request: Request, etag: str, modified: float) -> bool:
    """RFC 9110 §13.1.2 (If-None-Match, weak comparison) and, only without it, §13.1.3."""
    if (match := request.headers.get("if-none-match")) is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    if (since := request.headers.get("if-modified-since")) is not None:
        try:
            return modified <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):  # an invalid date is ignored (§13.1.3)
            return False
    return False


def _events_feed(request: Request, p: Procurement, what: str, title: str, logged: list[Logged],
                 portal: str | None, with_tender: bool = True) -> Response:
    base = _base(request, p)
    self_url = f"{base}{request.url.path}"
    links = [feeds.Link(f"{base}{portal}", title="On the portal")] if portal else []
    entries = [_event_entry(base, e, with_tender=with_tender) for e in logged]
    return _respond(request, feeds.Feed(id=self_url, title=title, self_url=self_url, author=AUTHOR,
                                        entries=entries, links=links, subtitle=what))


@router.get("/tenders/{tender_id}.atom", response_class=Response, responses={**_ATOM, **problems.responses(404)},
            summary="A tender's events, newest first (Atom)")
def tender_feed(tender_id: Ident, request: Request, p: ProcurementDep) -> Response:
    logged = feeds.tender_events(p, tender_id)
    if logged is None:
        raise HTTPException(404, f"no tender {tender_id}")
    return _events_feed(request, p, "Every event of the tender as logged, newest first", f"Tender {tender_id}",
                        logged, f"/tenders/{tender_id}", with_tender=False)


@router.get("/buyers/{buyer_id}.atom", response_class=Response, responses={**_ATOM, **problems.responses(422)},
            summary="The events of a buyer's tenders, newest first (Atom)")
def buyer_feed(buyer_id: Ident, request: Request, p: ProcurementDep) -> Response:
    return _events_feed(request, p, "The events of every tender of this buyer, newest first", f"Buyer {buyer_id}",
                        feeds.buyer_events(p, buyer_id), None)


@router.get("/suppliers/{supplier_id}.atom", response_class=Response,
            responses={**_ATOM, **problems.responses(422)},
            summary="The events of the tenders a supplier bid for or won, from each opening on (Atom)")
def supplier_feed(supplier_id: Ident, request: Request, p: ProcurementDep) -> Response:
    # An unknown supplier and a bidder before any opening get the same empty feed: no oracle.
    return _events_feed(request, p, "The events of the tenders this supplier bid for or was awarded, from each "
                        "tender's bid opening on (who bid is sealed until then), newest first",
                        f"Supplier {supplier_id}", feeds.supplier_events(p, supplier_id), None)


@router.get("/search.atom", response_class=Response, responses={**_ATOM, **problems.responses(422)},
            summary="The tenders a search finds, with the list API's parameters (Atom); newest published first "
            "unless ?sort= says otherwise")
def search_feed(request: Request, p: ProcurementDep, f: Annotated[TenderQuery, Query()]) -> Response:
    given = f.model_dump(exclude_none=True, exclude={"cursor", "limit"})
    search, errors = queries.search_from_params({k: v if isinstance(v, str) else str(v) for k, v in given.items()})
    if errors:
        name, message = next(iter(errors.items()))
        raise RequestValidationError([{"type": "value_error", "loc": ("query", name), "msg": message,
                                       "input": given[name]}])
    if "sort" not in request.query_params:  # a feed reader wants what is new
        search = replace(search, sort="published", desc=True)
    q, status = search.q, search.status
    filters: dict[str, Any] = {"search": search}
    base = _base(request, p)
    entries = []
    for found in feeds.search(p, filters, f.limit):
        t = found.tender
        links = [feeds.Link(f"{base}/tenders/{t.id}", title="The tender on the portal")]
        summary = f"{status_label(t.status)}."
        if found.last is not None:
            env = found.last.envelope
            summary += f" Latest: {event_label(str(env.get('type', '')))} — {summarize(env, {}, {})}"
            links += [feeds.Link(f"{base}/events/{found.last.index}", "related", title="Its latest event"),
                      feeds.Link(f"{base}/log/entries/{found.last.index}", "via", "application/octet-stream",
                                 "Its latest log entry")]
        entries.append(feeds.Entry(id=f"{base}/tenders/{t.id}", title=t.title or t.id,
                                   updated=found.last.envelope["time"] if found.last else feeds.EPOCH,
                                   summary=summary, category=t.status, links=links))
    query = request.url.query
    self_url = f"{base}{request.url.path}" + (f"?{query}" if query else "")
    portal = f"{base}/" + (f"?{query}" if query else "")
    title = "Tenders" + (f" matching “{q}”" if q else "") + (f", {status_label(status)}" if status else "")
    return _respond(request, feeds.Feed(id=self_url, title=title, self_url=self_url, author=AUTHOR, entries=entries,
                                        links=[feeds.Link(portal, title="On the portal")],
                                        subtitle="The tenders this search finds, in the order asked "
                                        "(newest published first by default)"))
