"""What every portal page shares: the templates and their filters, the security headers, the
HTML, text and not-found answers, and the installation a page reads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from tenderproof.app.queries import TenderRow
from tenderproof.app.service import Procurement
from tenderproof.domain.events import EventType

from . import labels

MAX_QUERY = 200
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin"}
TEXT = "text/plain; charset=utf-8"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tenderproof.portal", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(when=labels.when, day=labels.day, money=labels.money, status_label=labels.status_label,
                       role_label=labels.role_label, pretty_json=labels.pretty_json,
                       criteria_label=labels.criteria_label, upfirst=labels.upfirst)
    env.globals["EventType"] = EventType
    return env


ENV = _env()


def procurement(request: Request) -> Procurement:
    """The installation the app serves (`app.state.procurement`, as `api.create_app` sets it)."""
    return request.app.state.procurement


ProcurementDep = Annotated[Procurement, Depends(procurement)]


def html(template: str, http_status: int = 200, **ctx: Any) -> HTMLResponse:
    body = ENV.get_template(template).render(**ctx)
    return HTMLResponse(body, status_code=http_status, headers=SECURITY_HEADERS)


def text(body: str | bytes, media_type: str, filename: str | None = None, status: int = 200) -> Response:
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def not_found(request: Request, heading: str, message: str, q: str = "",
              suggestions: Sequence[TenderRow] = ()) -> HTMLResponse:
    return html("not_found.html", 404, request=request, heading=heading, message=message, q=q,
                suggestions=list(suggestions), nav="")


def ledger_index(value: str) -> int | None:
    """An entry's index from a path segment: digits only, no sign, no leading zero."""
    return int(value) if re.fullmatch(r"0|[1-9][0-9]{0,18}", value) else None
