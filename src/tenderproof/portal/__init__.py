"""The public portal (DESIGN.md §8): server-rendered pages for tenders, their timelines and
proofs, and the log's status; usable without JavaScript.

    app.include_router(tenderproof.portal.router(lambda: procurement))
"""

from .routes import router

__all__ = ["router"]
