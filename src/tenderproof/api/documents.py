"""Documents over HTTP: officers upload them (`POST /api/documents`), anyone downloads the ones a
tender lists (`GET /api/documents/{sha256}`), an offeror its debriefing letter
(`GET /api/tenders/{tender_id}/debriefings/{bidder_id}/letter`).

An upload is the raw file as the body, its Content-Type one of the accepted media types; it is
refused before its body is read when the token, the grant, the type or the declared length is
wrong, and while it is read once it grows past the limit. The answer is the digest to list in a
tender's `documents` (creation or amendment), which is what makes the file public.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time.
import logging
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from tenderproof.app import access, documents
from tenderproof.store.documents import DocumentError

from .problems import PROBLEM_SCHEMA, problem, responses
from .security import PersonId, ProcurementDep, authorize

log = logging.getLogger(__name__)
router = APIRouter(tags=["documents"])
STATUS = {"document-too-large": 413, "unsupported-media-type": 415, "empty-document": 422}
Digest = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="The document's SHA-256, lowercase hex",
                             examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"])]


def limits(request: Request) -> documents.Limits:
    """The installation's limits: set on the app (`app.state.document_limits`) or from the environment."""
    set_here = getattr(request.app.state, "document_limits", None)
    return set_here if isinstance(set_here, documents.Limits) else documents.Limits.from_env()


class Uploaded(BaseModel):
    sha256: str = Field(description="List it as the `sha256` of a document in a tender's `documents`",
                        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"])
    size: int = Field(description="Bytes stored", examples=[48213])
    media_type: str = Field(description="The type a download is served with (the first upload's)",
                            examples=["application/pdf"])


def _problems(*codes: int) -> dict[int | str, dict]:
    out = responses(*(c for c in codes if c not in (410, 413, 415, 500)))
    for code, what in ((413, "Larger than the installation's document size limit"),
                       (415, "Not one of the accepted document types"), (410, "Listed, but no copy is stored here"),
                       (500, "The stored copy is damaged")):
        if code in codes:
            out[code] = {"description": what, "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
    return out


@router.post("/documents", response_model=Uploaded, status_code=201, responses=_problems(401, 403, 413, 415, 422),
             summary="Upload a document (role: buyer): the raw file as the body, with its Content-Type",
             openapi_extra={"requestBody": {"required": True, "content": {
                 t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(documents.MEDIA_TYPES)}}})
async def upload(request: Request, p: ProcurementDep, person_id: PersonId) -> Response:
    authorize(p, person_id, "buyer", None)
    lim = limits(request)
    try:
        media = documents.accepted_type(lim, request.headers.get("content-type"))
        documents.check_length(lim, request.headers.get("content-length"))
        into = documents.Upload(p, lim, media)
        try:
            async for part in request.stream():
                into.write(part)
        except BaseException:
            into.abort()
            raise
        stored = await run_in_threadpool(into.finish)  # fsync and rename, off the event loop
    except documents.DocumentRefused as e:
        return problem(STATUS[e.code], e.code, str(e))
    body = Uploaded(sha256=stored.sha256, size=stored.size, media_type=stored.media_type)
    return Response(body.model_dump_json(), status_code=201, media_type="application/json",
                    headers={"Location": f"/api/documents/{stored.sha256}"})


@router.get("/documents/{sha256}", response_class=StreamingResponse, responses={
    200: {"description": "The document, verified against its SHA-256 as it is sent",
          "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
          "headers": {"ETag": {"description": "The SHA-256, quoted", "schema": {"type": "string"}}}},
    304: {"description": "Not modified (If-None-Match named this digest)"}, **_problems(404, 410, 500)},
    summary="Download a document a tender lists (public)")
def download(sha256: Digest, request: Request, p: ProcurementDep) -> Response:
    # One answer for a digest never stored and one stored but not listed (a sealed bid, a
    # debriefing letter): the store's content is not probed for anyone.
    doc = documents.public_document(p, sha256)
    if doc is None:
        return problem(404, "not-found", f"no tender lists a document with SHA-256 {sha256}")
    if f'"{sha256}"' in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": f'"{sha256}"'})
    try:
        dl = documents.open_download(p, doc)
    except DocumentError:
        return _unavailable(p, sha256, f"tender {doc.tender_id} lists document {sha256}")
    return StreamingResponse(dl.parts, media_type=doc.media_type, headers=dl.headers())


def _unavailable(p: ProcurementDep, sha256: str, what: str) -> Response:
    """A logged digest whose stored copy cannot be served: damaged (500, the operator told), or gone (410)."""
    if sha256 in p.documents:
        log.error("%s, but its stored copy is damaged: its content has another hash", what)
        return problem(500, "document-damaged", f"the stored copy of document {sha256} is damaged; "
                                                "the operator has been told")
    return problem(410, "document-gone", f"{what}, but this server holds no copy (never stored here, or purged "
                                         "after its retention period)")


@router.get("/tenders/{tender_id}/debriefings/{bidder_id}/letter", tags=["tenders"], response_class=StreamingResponse,
            responses={200: {"description": "The written debriefing (FAR 15.506(d)), verified against the SHA-256 "
                                            "its debriefing.given event logged as it is sent",
                             "content": {documents.LETTER_TYPE: {"schema": {"type": "object"}}},
                             "headers": {"ETag": {"description": "The SHA-256, quoted", "schema": {"type": "string"}}}},
                       **_problems(401, 403, 404, 410, 500)},
            summary="Your debriefing letter (the offeror debriefed, as bidder; or a buyer of the tender)")
def debriefing_letter(tender_id: str, bidder_id: str, p: ProcurementDep, person_id: PersonId) -> Response:
    # Refused from the grants alone, before the tender is read: a stranger learns nothing of a letter.
    if not documents.may_read_letter(p, person_id, tender_id, bidder_id):
        return problem(403, "forbidden", f"only {bidder_id} (as bidder) or a buyer of tender {tender_id} "
                                         "may read its debriefing letter")
    letter = documents.debriefing_letter(p, tender_id, bidder_id)
    if letter is None:
        return problem(404, "not-found", f"no debriefing of {bidder_id} on tender {tender_id}")
    try:
        size, parts = documents.open_letter(p, letter)
    except DocumentError:
        return _unavailable(p, letter.sha256, f"tender {tender_id} logged the debriefing letter of {bidder_id}")
    return StreamingResponse(parts, media_type=documents.LETTER_TYPE, headers=letter.headers(size))


@router.get("/tenders/{tender_id}/debriefings/{bidder_id}/given", tags=["tenders"],
            responses={200: {"description": "The confidential records given to this offeror alone, each with its "
                                            "salt and whether it matches the commitment logged when it was made"},
                       **_problems(401, 403)},
            summary="The evaluation records given to you (the offeror, as bidder; or a buyer of the tender)")
def given_records(tender_id: str, bidder_id: str, p: ProcurementDep, person_id: PersonId) -> Response:
    # As the letter: the offeror's alone (FAR 15.506(d)), refused from the grants before anything is read.
    if not documents.may_read_letter(p, person_id, tender_id, bidder_id):
        return problem(403, "forbidden", f"only {bidder_id} (as bidder) or a buyer of tender {tender_id} "
                                         "may read what was given to it")
    items = access.given(p, tender_id, bidder_id)
    return JSONResponse({"tender": tender_id, "to": bidder_id, "items": items},
                        headers={"Cache-Control": "private, no-store"})
