"""Public reads: tenders, the change feed, OCDS. No token needed; only public data leaves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from tenderproof.app import bidding, queries
from tenderproof.app.publication import iter_stored_releases, package_metadata, releases_of
from tenderproof.domain.model import iso
from tenderproof.ocds import packages

from . import problems
from .security import PersonId, ProcurementDep, authorize

router = APIRouter()


class TenderSummary(BaseModel):
    id: str
    title: str
    status: str
    buyer: str = Field("", description="The buyer's name")
    published: str | None = Field(None, description="When it was published (RFC 3339 UTC); null for a draft")
    deadline: str | None = Field(None, description="When bids are due (RFC 3339 UTC)")
    value: dict[str, Any] | None = Field(None, description="The estimated value: amount (a decimal) and currency")
    awarded_to: str | None = Field(None, description="The latest award's supplier")


class TenderPage(BaseModel):
    items: list[TenderSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class TenderQuery(BaseModel):
    """A search of the tenders (app.search): each text field matches word by word, a word of the
    search matching every word it begins, case-insensitively; `q` searches every field. Dates are
    inclusive days; values are the estimated value, inclusive, in `currency` when given."""

    q: str | None = Field(None, max_length=200, description="Words of the title, description, identifier, "
                          "buyer, awarded supplier, bidder (from the opening on) or classification")
    buyer: str | None = Field(None, max_length=200, description="Words of the buyer's identifier or name")
    supplier: str | None = Field(None, max_length=200, description="Words of an awarded supplier's identifier or name")
    bidder: str | None = Field(None, max_length=200, description="Words of a bidder's identifier or name; bidders "
                               "are known only from the tender's opening on")
    classification: str | None = Field(None, max_length=200, description="An item's classification, e.g. "
                                       "'CPV 72000000' or '81112000' (a prefix finds the codes below it)")
    status: str | None = Field(None, max_length=40)
    currency: str | None = Field(None, pattern="^[A-Za-z]{3}$", description="ISO 4217")
    value_min: float | None = Field(None, ge=0, allow_inf_nan=False)
    value_max: float | None = Field(None, ge=0, allow_inf_nan=False)
    published_from: date | None = None
    published_to: date | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    awarded_from: date | None = None
    awarded_to: date | None = None
    sort: Literal["id", "published", "deadline", "awarded", "value", "title"] = "id"
    order: Literal["asc", "desc"] = "asc"
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=200)


class FeedEvent(BaseModel):
    index: int
    envelope: dict


class FeedPage(BaseModel):
    events: list[FeedEvent]
    next_after: int = Field(description="Pass as ?after= to continue; the feed is strictly in ledger order")


ReaderRole = Annotated[str, Query(pattern="^(buyer|evaluator|ssa|hca|auditor|reviewer)$")]


def _invalid(name: str, message: str, value: Any) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", name), "msg": message, "input": value}])


@router.get("/tenders", response_model=TenderPage, tags=["tenders"],
            summary="List tenders: search, filter by field, value and dates, sort, cursor")
def list_tenders(p: ProcurementDep, f: Annotated[TenderQuery, Query()]) -> TenderPage:
    given = f.model_dump(exclude_none=True, exclude={"cursor", "limit"})
    search, errors = queries.search_from_params({k: v if isinstance(v, str) else str(v) for k, v in given.items()})
    if errors:  # the model above checked each parameter; this is where they are read
        name, message = next(iter(errors.items()))
        raise _invalid(name, message, given[name])
    try:
        found = queries.find_tenders(p, search, after=f.cursor or "", limit=f.limit)
    except queries.UnknownCursor as e:
        raise _invalid("cursor", str(e), f.cursor) from e
    items = [TenderSummary(id=t.id, title=t.title, status=t.status, buyer=t.buyer, published=t.published,
                           deadline=t.deadline, value=t.value, awarded_to=t.award) for t in found.items]
    return TenderPage(items=items, next_cursor=items[-1].id if found.has_next else None)


@router.get("/tenders/{tender_id}", tags=["tenders"], summary="A tender's public state")
def get_tender(tender_id: str, p: ProcurementDep) -> dict:
    view = queries.public_tender(p, tender_id)
    if view is None:
        raise HTTPException(404, f"no tender {tender_id}")
    return view


@router.get("/tenders/{tender_id}/events", response_model=list[FeedEvent], tags=["tenders"],
            summary="A tender's timeline: every event as logged, with its ledger index")
def tender_events(tender_id: str, p: ProcurementDep) -> list[FeedEvent]:
    logged = queries.tender_events(p, tender_id)
    if not logged:
        raise HTTPException(404, f"no tender {tender_id}")
    return [FeedEvent(index=e.index, envelope=e.envelope) for e in logged]


@router.get("/events", response_model=FeedPage, tags=["feed"],
            summary="The change feed: every procurement event strictly in ledger order, after ?after=")
def feed(p: ProcurementDep, after: Annotated[int, Query(ge=-1, le=2**63 - 1)] = -1,
         limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> FeedPage:
    out = [FeedEvent(index=e.index, envelope=e.envelope) for e in queries.feed(p, after, limit)]
    return FeedPage(events=out, next_after=out[-1].index if out else after)


@router.get("/tenders/{tender_id}/bids/{bid_id}/content", tags=["tenders"],
            summary="An opened bid's package, for the panel or oversight; the read is logged",
            responses={200: {"content": {"application/octet-stream": {}}}, **problems.responses(401, 403, 409)})
def bid_content(tender_id: str, bid_id: str, p: ProcurementDep, role: ReaderRole, person_id: PersonId) -> Response:
    actor = authorize(p, person_id, role, tender_id)
    return Response(bidding.read_bid(p, tender_id, bid_id, actor), media_type="application/octet-stream")


def _published(p: ProcurementDep) -> str:
    """A package's publishedDate: now, by the installation's clock."""
    return iso(p.clock())


PublishedDate = Annotated[str, Depends(_published)]


def _meta(request: Request, p: ProcurementDep, published: str) -> dict[str, Any]:
    """A package's metadata: the installation's publisher and terms, its extensions as this server serves them."""
    return package_metadata(p, str(request.url), published, base_url=str(request.base_url))


_JSON: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {"schema": {"type": "object"}}}}}
_JSONL: dict[int | str, dict[str, Any]] = {200: {"content": {"application/jsonl": {"schema": {"type": "string"}}}}}


def _stream(chunks: Iterator[str], media_type: str) -> StreamingResponse:
    """A body written as it is produced, a release or a record at a time (constant memory)."""
    return StreamingResponse((c.encode() for c in chunks), media_type=media_type)


@router.get("/ocds/releases.json", tags=["ocds"], summary="OCDS release package of every release (streamed)",
            response_class=Response, responses=_JSON)
def ocds_release_package(request: Request, p: ProcurementDep, published: PublishedDate) -> StreamingResponse:
    return _stream(packages.iter_release_package(iter_stored_releases(p), **_meta(request, p, published)),
                   "application/json")


@router.get("/ocds/records.json", tags=["ocds"], summary="OCDS record package, one record per contracting process "
            "in ocid order, compiled with ocdsmerge (streamed)", response_class=Response, responses=_JSON)
def ocds_record_package(request: Request, p: ProcurementDep, published: PublishedDate) -> StreamingResponse:
    rels = iter_stored_releases(p, by_ocid=True)
    return _stream(packages.iter_record_package(rels, **_meta(request, p, published)), "application/json")


@router.get("/ocds/records/{ocid}", tags=["ocds"], summary="One contracting process's record package")
def ocds_record(ocid: str, request: Request, p: ProcurementDep, published: PublishedDate) -> dict[str, Any]:
    rels = releases_of(p, ocid)
    if not rels:
        raise HTTPException(404, f"no contracting process {ocid}")
    return packages.record_package(rels, **_meta(request, p, published))


@router.get("/ocds/releases.jsonl", tags=["ocds"], summary="Every release, as JSON Lines (bulk, streamed)",
            response_class=Response, responses=_JSONL)
def ocds_jsonl(p: ProcurementDep) -> StreamingResponse:
    return _stream(packages.iter_jsonl(iter_stored_releases(p)), "application/jsonl")
