"""Authentication (bearer tokens) and authorization (role grants), checked in this one place; and
the dependencies every route takes them through."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tenderproof.app import accounts
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor

bearer = HTTPBearer(auto_error=False, description="A token issued by the operator (tp_…)")


def procurement(request: Request) -> Procurement:
    return request.app.state.procurement


ProcurementDep = Annotated[Procurement, Depends(procurement)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def person(request: Request, cred: Credentials) -> str:
    """The authenticated person; 401 without a valid token."""
    if cred is None or cred.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    who = accounts.authenticate(procurement(request), cred.credentials)
    if who is None:
        raise HTTPException(401, "the bearer token is not valid", headers={"WWW-Authenticate": "Bearer"})
    request.state.bearer = cred.credentials.encode()  # keys what only this token's holder may find
    request.state.person_name = who[1]
    return who[0]


PersonId = Annotated[str, Depends(person)]


def bearer_secret(request: Request) -> bytes:
    """The caller's bearer token, as the secret of what the database must not link to a person
    (idempotency records, withdrawal keys): the database holds only the token's hash."""
    return request.state.bearer


def authorize(p: Procurement, person_id: str, role: str, tender_id: str | None) -> Actor:
    """The actor for this request, or 403 if the person holds no grant for the role here."""
    if not accounts.may_act(p, person_id, role, tender_id):
        where = f"tender {tender_id}" if tender_id else "tenders"
        raise HTTPException(403, f"{person_id} may not act as {role} on {where}")
    return Actor(person_id, role)
