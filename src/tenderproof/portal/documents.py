"""The portal's download link of a document a tender lists: the same file, headers and hash
check as the API's `GET /api/documents/{sha256}` (both through `app.documents`), with the
portal's own page when there is nothing to download.

    GET /documents/{sha256}        the document (attachment), verified against its SHA-256
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from tenderproof.app import documents

from .web import ProcurementDep, not_found

router = APIRouter()


@router.get("/documents/{sha256}", name="portal_document")
def document(request: Request, sha256: str, p: ProcurementDep) -> Response:
    # A sealed bid or a debriefing letter is in the store too: only a tender's listing makes a
    # document downloadable, and any other digest gets the same page as one never stored.
    doc = documents.public_document(p, sha256)
    if doc is None:
        return not_found(request, "No such document",
                         "No tender in this log lists a document with this SHA-256. "
                         "Documents are linked from the page of the tender that published them.")
    try:
        dl = documents.open_download(p, doc)
    except documents.DocumentError:
        return not_found(request, "Document not available",
                         f"Tender {doc.tender_id} lists this document, but this server holds no copy that "
                         "matches its SHA-256 (it was never uploaded, or was purged after its retention "
                         "period). Its hash on the log still identifies it.")
    return StreamingResponse(dl.parts, media_type=doc.media_type, headers=dl.headers())
