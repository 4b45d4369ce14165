"""The public portal (DESIGN.md §8): server-rendered pages for tenders, their timelines and
proofs, and the log's status; usable without JavaScript. It reads the installation the app
holds in `app.state.procurement` (as `api.create_app` sets it):

    app.include_router(tenderproof.portal.router)

Paths (chosen not to collide with the API's C2SP tile routes under /log/...):

    GET /                          tender list: search ?q=, filter ?status=, pages ?after= / ?before=
    GET /tenders/{id}              one tender: public view, timeline chart, every event with its proof
    GET /events/{index}            one logged event: the exact envelope and how to verify it
    GET /events/{index}/entry      the entry's exact bytes, as logged
    GET /events/{index}/proof      a C2SP tlog-proof of the entry (text/plain)
    GET /documents/{sha256}        a document a tender lists (attachment), checked against its hash
    GET /flags                     flagged tenders (?code=); /flags/indicators what each flag means
    GET /log                       the log's status: checkpoint, size, keys, witnesses, policy
    GET /verify/log.vkey           the log's verifier key
    GET /verify/log.tlog-policy    the tlog-policy (log key, witnesses, quorum)
    GET /verify/checkpoint         the latest signed checkpoint with its cosignatures
    GET /static/portal.css         the style sheet
"""

from fastapi import APIRouter

from . import documents, flags, routes, verification

router = APIRouter(include_in_schema=False)
router.include_router(routes.router)
router.include_router(verification.router)
router.include_router(documents.router)
router.include_router(flags.router)

__all__ = ["router"]
