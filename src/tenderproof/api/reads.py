"""Public reads: tenders, the change feed, OCDS. No token needed; only public data leaves."""

from __future__ import annotations

import json
from datetime import UTC

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from tenderproof.app import bidding
from tenderproof.app.public import public_view
from tenderproof.app.publication import stored_releases
from tenderproof.ocds import packages
from tenderproof.store.schema import events, tenders

from . import problems
from .security import authorize, person, procurement

router = APIRouter()
PUBLISHER = {"name": "tenderproof"}


class TenderSummary(BaseModel):
    id: str
    title: str
    status: str


class TenderPage(BaseModel):
    items: list[TenderSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class FeedEvent(BaseModel):
    index: int
    envelope: dict


class FeedPage(BaseModel):
    events: list[FeedEvent]
    next_after: int = Field(description="Pass as ?after= to continue; the feed is strictly in ledger order")


@router.get("/tenders", response_model=TenderPage, tags=["tenders"], summary="List tenders (search, filter, cursor)")
def list_tenders(request: Request, q: str | None = Query(None, max_length=200), status: str | None = Query(None, max_length=40),
                 cursor: str | None = Query(None, max_length=100), limit: int = Query(50, ge=1, le=200)):
    p = procurement(request)
    t = tenders.c
    query = sa.select(t.id, t.title, t.status).order_by(t.id).limit(limit + 1)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(t.title).like(like), sa.func.lower(t.id).like(like)))
    if status:
        query = query.where(t.status == status)
    if cursor:
        query = query.where(t.id > cursor)
    with p.db.reader.connect() as conn:
        rows = conn.execute(query).all()
    items = [TenderSummary(id=r.id, title=r.title, status=r.status) for r in rows[:limit]]
    return TenderPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.get("/tenders/{tender_id}", tags=["tenders"], summary="A tender's public state")
def get_tender(tender_id: str, request: Request) -> dict:
    state = procurement(request).state(tender_id)
    if state is None:
        raise HTTPException(404, f"no tender {tender_id}")
    return public_view(state)


@router.get("/tenders/{tender_id}/events", response_model=list[FeedEvent], tags=["tenders"],
            summary="A tender's timeline: every event as logged, with its ledger index")
def tender_events(tender_id: str, request: Request):
    logged = procurement(request).events(tender_id)
    if not logged:
        raise HTTPException(404, f"no tender {tender_id}")
    return [FeedEvent(index=e.index, envelope=e.envelope) for e in logged]


@router.get("/events", response_model=FeedPage, tags=["feed"],
            summary="The change feed: every procurement event strictly in ledger order, after ?after=")
def feed(request: Request, after: int = Query(-1, ge=-1, le=2**63 - 1), limit: int = Query(100, ge=1, le=1000)):
    p = procurement(request)
    e = events.c
    with p.db.reader.connect() as conn:
        rows = conn.execute(sa.select(e.ledger_index, e.envelope).where(e.ledger_index > after)
                            .order_by(e.ledger_index).limit(limit)).all()
    out = [FeedEvent(index=r.ledger_index, envelope=json.loads(r.envelope)) for r in rows]
    return FeedPage(events=out, next_after=out[-1].index if out else after)


@router.get("/tenders/{tender_id}/bids/{bid_id}/content", tags=["tenders"],
            summary="An opened bid's package, for the panel or oversight; the read is logged",
            responses={200: {"content": {"application/octet-stream": {}}}, **problems.responses(401, 403, 409)})
def bid_content(tender_id: str, bid_id: str, request: Request,
                role: str = Query(..., pattern="^(buyer|evaluator|ssa|hca|auditor|reviewer)$"),
                person_id: str = Depends(person)):
    p = procurement(request)
    actor = authorize(p, person_id, role, tender_id)
    return Response(bidding.read_bid(p, tender_id, bid_id, actor), media_type="application/octet-stream")


def _releases(request: Request, ocid: str | None = None) -> list[dict]:
    rels = stored_releases(procurement(request))
    return [r for r in rels if ocid is None or r["ocid"] == ocid]


def _now() -> str:
    from datetime import datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.get("/ocds/releases.json", tags=["ocds"], summary="OCDS release package of every release")
def ocds_release_package(request: Request) -> dict:
    return packages.release_package(_releases(request), publisher=PUBLISHER, uri=str(request.url), published_date=_now())


@router.get("/ocds/records.json", tags=["ocds"], summary="OCDS record package (compiled with ocdsmerge)")
def ocds_record_package(request: Request) -> dict:
    return packages.record_package(_releases(request), publisher=PUBLISHER, uri=str(request.url), published_date=_now())


@router.get("/ocds/records/{ocid}", tags=["ocds"], summary="One contracting process's record package")
def ocds_record(ocid: str, request: Request) -> dict:
    rels = _releases(request, ocid)
    if not rels:
        raise HTTPException(404, f"no contracting process {ocid}")
    return packages.record_package(rels, publisher=PUBLISHER, uri=str(request.url), published_date=_now())


@router.get("/ocds/releases.jsonl", tags=["ocds"], summary="Every release, as JSON Lines (bulk)",
            response_class=Response,
            responses={200: {"content": {"application/jsonl": {"schema": {"type": "string"}}}}})
def ocds_jsonl(request: Request):
    return PlainTextResponse(packages.jsonl(_releases(request)), media_type="application/jsonl")
