"""The account administrator's API (`/api/admin/…`): people, their role grants and their bearer
tokens, as `tenderproof person …` does at the machine. Every route needs the `admin` grant (for
all tenders); an official role granted or revoked on a tender is logged on it with the
administrator as the actor (`app.accounts`)."""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time.
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from tenderproof.app import accounts
from tenderproof.domain import Actor, Refused
from tenderproof.domain.access import ADMIN

from .security import PersonId, ProcurementDep, authorize

router = APIRouter(prefix="/admin", tags=["administration"])

PersonIdText = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
                                    description="Letters, digits or ._:-", examples=["acme-llc"])]
Role = Annotated[str, Field(min_length=1, max_length=40, description=f"One of {', '.join(accounts.GRANTABLE)}",
                            examples=["bidder"])]
TenderScope = Annotated[str, Field(min_length=1, max_length=100, description='A tender id, or "*" for all tenders',
                                   examples=["*"])]
Days = Annotated[int | None, Field(ge=1, le=3660, description="Days the token is valid; null: until revoked",
                                   examples=[90])]
Label = Annotated[str, Field(min_length=1, max_length=200, description="What the token is for", examples=["laptop"])]


def admin(p: ProcurementDep, person_id: PersonId) -> Actor:
    """The administrator acting: 403 unless the person holds the admin grant."""
    return authorize(p, person_id, ADMIN, None)


AdminDep = Annotated[Actor, Depends(admin)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewPerson(Strict):
    id: PersonIdText
    name: str = Field(min_length=1, max_length=300, description="The person's or company's name",
                      examples=["Acme Cloud Services LLC"])


class GrantBody(Strict):
    role: Role
    tender: TenderScope = accounts.ANY_TENDER


class TokenBody(Strict):
    label: Label = "api"
    days: Days = 90


class RegisterPerson(NewPerson):
    roles: list[str] = Field(default=[], max_length=100, description="Each `role` (all tenders) or `role@tender`",
                             examples=[["bidder"]])


class RegisterBody(Strict):
    people: list[RegisterPerson] = Field(max_length=accounts.MAX_IMPORT, description="The register, all or nothing")
    label: Label = "import"
    days: Days = 90


class TokenOut(BaseModel):
    id: str = Field(description="The token's public id, for listing and revoking")
    label: str
    created: str
    expires: str | None
    revoked: str | None


class IssuedOut(BaseModel):
    person: str
    id: str
    label: str
    expires: str | None
    token: str = Field(description="The bearer token: shown this once, only its hash is kept")


class GrantOut(BaseModel):
    role: str
    tender: str


class PersonOut(BaseModel):
    id: str
    name: str
    grants: list[GrantOut]
    tokens: list[TokenOut]


class PeoplePage(BaseModel):
    items: list[PersonOut]
    next_after: str | None = Field(description="Pass as ?after= for the next page; null at the end")


class Revoked(BaseModel):
    revoked: list[str] = Field(description="The ids of the tokens revoked")


def _out(x: accounts.Person) -> PersonOut:
    return PersonOut(id=x.id, name=x.name, grants=[GrantOut(role=r, tender=t) for r, t in x.grants],
                     tokens=[TokenOut(id=t.id, label=t.label, created=t.created, expires=t.expires, revoked=t.revoked)
                             for t in x.tokens])


def _issued(t: accounts.Issued) -> IssuedOut:
    return IssuedOut(person=t.person_id, id=t.id, label=t.label, expires=t.expires, token=t.token)


def _one(p: ProcurementDep, person_id: str) -> PersonOut:
    found = accounts.list_people(p, person_id=person_id)
    if not found:
        raise Refused("not-found", f"no person {person_id}")
    return _out(found[0])


@router.get("/people", summary="List people with their grants and tokens (by id, paged)")
def list_people(p: ProcurementDep, _: AdminDep, after: Annotated[str, Query(max_length=100)] = "",
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> PeoplePage:
    page = accounts.list_people(p, after, limit + 1)
    more = len(page) > limit
    return PeoplePage(items=[_out(x) for x in page[:limit]], next_after=page[limit - 1].id if more else None)


@router.post("/people", status_code=201, summary="Register a person")
def add_person(body: NewPerson, p: ProcurementDep, _: AdminDep) -> PersonOut:
    if not accounts.add_person(p, body.id, body.name):
        raise Refused("exists", f"person {body.id} is already registered")
    return _one(p, body.id)


@router.get("/people/{person_id}", summary="A person, with their grants and tokens")
def get_person(person_id: str, p: ProcurementDep, _: AdminDep) -> PersonOut:
    return _one(p, person_id)


@router.post("/people/{person_id}/grants", status_code=201,
             summary="Grant a role (an official role on one tender is logged on it)")
def grant(person_id: str, body: GrantBody, p: ProcurementDep, actor: AdminDep, response: Response) -> PersonOut:
    if not accounts.grant(p, person_id, body.role, body.tender, by=actor):
        response.status_code = 200  # held already: nothing new
    return _one(p, person_id)


@router.delete("/people/{person_id}/grants/{role}", summary="Revoke a role (logged as its grant was)")
def revoke(person_id: str, role: str, p: ProcurementDep, actor: AdminDep,
           tender: Annotated[str, Query(max_length=100, description='A tender id, or "*"')] = "*") -> PersonOut:
    accounts.revoke(p, person_id, role, tender, by=actor)
    return _one(p, person_id)


@router.post("/people/{person_id}/tokens", status_code=201, summary="Issue a bearer token (shown once)")
def issue_token(person_id: str, body: TokenBody, p: ProcurementDep, _: AdminDep) -> IssuedOut:
    return _issued(accounts.issue(p, person_id, body.label, body.days))


@router.delete("/tokens/{token_id}", summary="Revoke a token by its id")
def revoke_token(token_id: str, p: ProcurementDep, _: AdminDep) -> Revoked:
    return Revoked(revoked=accounts.revoke_tokens(p, token_id=token_id))


@router.post("/people/import", status_code=201, summary="Register many people at once, one token each")
def import_register(body: RegisterBody, p: ProcurementDep, actor: AdminDep) -> list[IssuedOut]:
    seen: set[str] = set()
    entries = [accounts.entry(f"people[{i}]", x.id, x.name, ";".join(x.roles), seen) for i, x in enumerate(body.people)]
    tokens = [accounts.new_token(p, e.id, body.label, body.days) for e in entries]
    accounts.import_register(p, entries, tokens, by=actor)
    return [_issued(t) for t in tokens]
