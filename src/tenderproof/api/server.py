"""`create_app(procurement)`: the API's routers, its limits and problem+json errors, the offline
docs, and the portal mounted at `/`."""

from __future__ import annotations

from fastapi import FastAPI

from tenderproof import __version__
from tenderproof.app.service import Procurement

from . import admin, bundles, commands, docs, documents, exports, feeds, limits, log, problems, reads, webhooks
from .bid_door import SealedBidDoor
from .ocds_extensions import router as ocds_extensions_router


def create_app(procurement: Procurement, *, portal: bool = True, body_limits: limits.Limits | None = None) -> FastAPI:
    app = FastAPI(
        title="tenderproof",
        version=__version__,
        description="Public procurement on a verifiable transparency log. Commands need a bearer token and a "
        "role grant; reads, the change feed, OCDS and the log are public.",
        openapi_url="/openapi.json",
        docs_url=None,  # served by `docs` from the package's own assets (no CDN)
        redoc_url=None,
    )
    app.state.procurement = procurement
    # The sealed-bid door inside the limits: the deadline's one hot route without FastAPI's machinery.
    app.add_middleware(SealedBidDoor, handlers=app.exception_handlers)
    app.add_middleware(limits.Guard, limits=body_limits)  # body limits before any route, parsing or auth
    problems.install(app)
    # Every refusal is problem+json, and documented as such (FastAPI's own 422 is replaced).
    app.include_router(commands.router, prefix="/api", responses=problems.responses(400, 401, 403, 404, 409, 422, 503))
    app.include_router(reads.router, prefix="/api", responses=problems.responses(404, 422))
    app.include_router(ocds_extensions_router, prefix="/api", responses=problems.responses(404, 422))
    app.include_router(admin.router, prefix="/api", responses=problems.responses(400, 401, 403, 404, 409, 422))
    app.include_router(documents.router, prefix="/api", responses=problems.responses(422))
    app.include_router(bundles.router, prefix="/api", responses=problems.responses(404, 422, 503))  # record bundles
    app.include_router(exports.router, prefix="/api")  # OCDS as CSV and Excel (flatten-tool)
    app.include_router(log.router, responses=problems.responses(404, 422))
    app.include_router(feeds.router, responses=problems.responses(404, 422))
    app.include_router(webhooks.router, prefix="/api", responses=problems.responses(400, 401, 404, 422))
    app.include_router(docs.router)
    app.mount(docs.ASSETS, docs.assets(), name="docs_assets")
    if portal:
        try:
            from tenderproof.portal import router as portal_router
        except ImportError:  # the portal is optional for API-only deployments
            pass
        else:
            app.include_router(portal_router)
    return app
