"""Errors over HTTP as RFC 9457 problem details (application/problem+json).

Every refusal of the procurement rules keeps its stable code as the problem `type`, its reason as
`detail`; the HTTP status says what kind of refusal it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tenderproof.app.service import Conflict
from tenderproof.domain import InvalidCommand, Refused
from tenderproof.ledger.log import LogError
from tenderproof.ledger.tiles import EntryTooLarge
from tenderproof.seal import SealError
from tenderproof.store.db import RefusedValue
from tenderproof.store.documents import DocumentError

PROBLEM = "application/problem+json"
TYPE_BASE = "https://tenderproof.dev/problems/"

#: Refusal codes by HTTP status; everything else is a 409 (the rules or the timing say no).
STATUS = {
    403: {"forbidden-role", "not-on-panel", "not-named", "no-declaration", "conflicted"},
    404: {"not-found"},
    422: {"unknown-factor", "bad-rating", "bad-period", "bad-threshold", "panel-incomplete", "details-needed",
          "reason-needed", "departure-unexplained", "incomplete-range", "empty-range", "not-sealed", "wrong-tender",
          "bad-opening-key", "no-official-key", "nothing", "bad-share", "deadline-past", "amendment-needs-extension",
          "document-listed", "idempotency-mismatch"},
}


#: The longest `detail` sent back, in characters.
MAX_DETAIL = 1000

#: Problem types of FastAPI's own HTTP errors.
HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
              429: "too-many-requests"}


#: One invalid field of a request (see `field_error`).
FIELD_ERROR = {
    "type": "object", "required": ["in", "field", "msg"],
    "properties": {
        "in": {"type": "string", "enum": ["body", "query", "path", "header", "cookie"]},
        "field": {"type": "string", "description": "The field, e.g. items[0].classification.scheme"},
        "pointer": {"type": "string", "description": "A JSON pointer (RFC 6901) to it in the body"},
        "msg": {"type": "string"}, "loc": {"type": "array", "items": {"type": "string"}},
    },
}
#: What a problem looks like, for the OpenAPI document (RFC 9457 §3; extension members allowed).
PROBLEM_SCHEMA = {
    "title": "Problem", "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A stable code: TYPE_BASE + the refusal's code"},
        "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
        "logged": {"type": "boolean", "description": "Whether the refused attempt is itself in the log"},
        "errors": {"type": "array", "items": FIELD_ERROR, "description": "Each invalid field, for 422"},
    },
    "additionalProperties": True,
}
DESCRIPTIONS = {
    400: "The body cannot be parsed", 401: "No valid bearer token",
    403: "No grant for the role here, or the rules say this person may not",
    404: "No such tender, protest, document or log entry", 409: "The procurement rules or the timing say no",
    422: "The request is invalid (fields, or values the rules cannot take)",
    429: "Too many failed bearer tokens from this client; retry after Retry-After", 503: "Too much contention; retry",
}


def responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI `responses=` for problem+json answers with these status codes."""
    out: dict[int | str, dict] = {}
    for code in codes:
        out[code] = {"description": DESCRIPTIONS[code], "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}
        if code == 401:
            out[code]["headers"] = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}
    return out


def status_of(code: str) -> int:
    for status, codes in STATUS.items():
        if code in codes:
            return status
    return 409


def problem(status: int, code: str, detail: str, **extra) -> JSONResponse:
    if len(detail) > MAX_DETAIL:  # a refusal may quote the value: never 100,000 characters of it back
        detail = detail[:MAX_DETAIL // 2] + " … " + detail[-MAX_DETAIL // 4:]
    body = {"type": TYPE_BASE + code, "title": code.replace("-", " "), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def field_error(err: Mapping[str, Any], body: Any = None) -> dict[str, Any]:
    """One invalid field of a request: where it is (`in`: body, query, path, header), its name
    as a reader writes it (`items[0].classification.scheme`), its JSON pointer into the body
    (RFC 6901, as RFC 9457 §3 suggests for a problem's extension members) and what is wrong.
    The value itself is not echoed: it may be 100,000 characters, or a secret."""
    where, *path = [str(p) for p in err.get("loc", ())] or ["body"]
    if where == "body":
        path = _in_body(path, body, missing=err.get("type") == "missing")
    field = ""
    for part in path:
        field += f"[{part}]" if part.isdigit() else (f".{part}" if field else part)
    pointer = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path)
    return {"in": where, "field": field or where, "pointer": pointer, "msg": err.get("msg", ""),
            "loc": [where, *path]}


def _in_body(path: list[str], body: Any, *, missing: bool) -> list[str]:
    """The part of pydantic's path that names fields of the body: it also names the member of a
    union it tried (`quantity.int`), which is no field a caller wrote."""
    kept: list[str] = []
    at = body
    for part in path:
        if isinstance(at, Mapping) and part in at:
            at = at[part]
        elif isinstance(at, list) and part.isdigit() and int(part) < len(at):
            at = at[int(part)]
        else:
            return [*kept, part] if (missing and part == path[-1]) or (not kept and at is None) else kept
        kept.append(part)
    return kept


def install(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, e: Refused):
        return problem(status_of(e.code), e.code, e.reason, logged=e.logged)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, e: RequestValidationError):
        found = e.errors()
        if any(err.get("type") == "json_invalid" for err in found):
            why = next(err for err in found if err.get("type") == "json_invalid").get("ctx", {}).get("error", "")
            return problem(400, "invalid-json", f"the body is not JSON: {why}")
        errors = [field_error(err, e.body) for err in found]
        first = errors[0] if errors else {"field": "", "msg": "invalid request"}
        return problem(422, "invalid-request", f"{first['field']}: {first['msg']}", errors=errors)

    @app.exception_handler(InvalidCommand)
    async def invalid_command(_: Request, e: InvalidCommand):
        return problem(422, "invalid-command", str(e))

    @app.exception_handler(SealError)
    async def seal_error(_: Request, e: SealError):
        return problem(422, "invalid-sealed-data", str(e))

    @app.exception_handler(DocumentError)
    async def document_error(_: Request, e: DocumentError):
        return problem(404, "document-unavailable", str(e))

    @app.exception_handler(EntryTooLarge)
    async def too_large(_: Request, e: EntryTooLarge):
        # The command would log an entry past the tiles' 64 KiB: its texts are too long (refused
        # before anything is written; long content belongs in a document, logged by its digest).
        return problem(422, "entry-too-large", str(e))

    @app.exception_handler(LogError)
    async def log_error(_: Request, e: LogError):
        return problem(404, "not-in-log", str(e))

    @app.exception_handler(RefusedValue)
    async def data_error(_: Request, e: RefusedValue):
        # The database refused a value (PostgreSQL: a NUL character in text): bad input, not a crash.
        return problem(422, "invalid-characters", "the request holds characters the record cannot store (e.g. NUL)")

    @app.exception_handler(Conflict)
    async def conflict(_: Request, e: Conflict):
        return problem(503, "contention", str(e))

    @app.exception_handler(HTTPException)
    async def http(_: Request, e: HTTPException):
        code = HTTP_CODES.get(e.status_code, "error")
        resp = problem(e.status_code, code, str(e.detail))
        for k, v in (e.headers or {}).items():
            resp.headers[k] = v
        return resp
