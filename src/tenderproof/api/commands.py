"""Every command of the app layer as a typed POST endpoint (FastAPI builds the OpenAPI from these).

Request bodies are derived from the domain's command dataclasses, so the API cannot drift from
the rules. Every POST honours an `Idempotency-Key`: the response is recorded in the command's own
transaction, and a retry (say, a bid resubmitted near the deadline over a flaky link) gets the
same answer instead of a second bid.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time.
import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model

from tenderproof.app import bidding, idempotency
from tenderproof.app.access import disclose
from tenderproof.app.debriefing import debriefing_document
from tenderproof.app.envelope import canonical
from tenderproof.app.service import Logged, Procurement
from tenderproof.app.writer import Conflict
from tenderproof.domain import Refused
from tenderproof.domain import commands as c

from . import bodies, routes
from .bodies import DebriefingBody, DeclarationBody, DisclosureBody, WithdrawalBody
from .security import PersonId, ProcurementDep, authorize, bearer_secret, person, procurement

router = APIRouter()
IDEMPOTENCY_KEY_MAX = 200
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX,
    description="Any unique string; a retried POST with the same key returns the first answer")]


class EventRef(BaseModel):
    index: int = Field(description="Position in the public log")
    type: str
    seq: int = Field(description="The tender's own event counter")
    time: str


class CommandResult(BaseModel):
    tender: str
    events: list[EventRef]


class BidReceipt(CommandResult):
    bid_id: str
    sealed_sha256: str
    entry: str = Field(description="The logged entry (canonical JSON), base64")
    tlog_proof: str = Field(description="A C2SP tlog-proof of the entry: verify offline with `tenderproof verify`")


def _result(tender_id: str, logged: list[Logged]) -> dict:
    return {"tender": tender_id, "events": [
        {"index": lg.index, "type": lg.envelope["type"], "seq": lg.envelope["seq"], "time": lg.envelope["time"]}
        for lg in logged]}


def _aware(hint: Any) -> Any:
    if hint is dt.datetime:
        return AwareDatetime
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return AwareDatetime | None if dt.datetime in typing.get_args(hint) else hint
    return hint


def _shape(cmd: type, name: str, hint: Any) -> Any:
    """The typed shape of a command's field: its model or codelist where the dataclass says only
    dict, list or str (kept optional where the field is)."""
    shape = bodies.SHAPES_OF.get(cmd.__name__, {}).get(name, bodies.SHAPES.get(name))
    if shape is None:
        return _aware(hint)
    optional = typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)
    return shape | None if optional else shape


_MODELS: dict[tuple[type, tuple[str, ...]], type[BaseModel]] = {}


def body_model(cmd: type, exclude: tuple[str, ...] = ("tender_id",)) -> type[BaseModel]:
    """A Pydantic model of a command's fields, for the request body: typed, each field described,
    the command's example attached. One model per command (two routes may share one)."""
    if (cmd, exclude) in _MODELS:
        return _MODELS[cmd, exclude]
    hints = typing.get_type_hints(cmd)
    described = {**bodies.DESCRIPTIONS, **bodies.DESCRIPTIONS_OF.get(cmd.__name__, {})}
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cmd):
        if f.name in exclude:
            continue
        about = described[f.name]
        if f.default is not dataclasses.MISSING:
            default = Field(f.default, description=about)
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory, description=about)
        else:
            default = Field(..., description=about)
        fields[f.name] = (_shape(cmd, f.name, hints[f.name]), default)
    example = {k: v for k, v in bodies.EXAMPLES[cmd.__name__].items() if k not in exclude}
    config = ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})
    model = create_model(f"{cmd.__name__}Body", __config__=config, __doc__=routes.about(cmd) or None,
                         **fields)
    _MODELS[cmd, exclude] = model
    return model


def example_of(model: type[BaseModel]) -> Any:
    """The request body's example on the operation itself (Swagger UI fills the body with it)."""
    example = model.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    return Body(openapi_examples={"example": {"summary": "An example", "value": example}})


def with_example(model: type[BaseModel]) -> Any:
    return Annotated[model, example_of(model)]


def arguments(body: BaseModel) -> dict[str, Any]:
    """The command's fields from a body: what the caller left out stays out (the domain's defaults)."""
    return body.model_dump(exclude_unset=True)


def _row_key(request: Request, person_id: str, key: str) -> str:
    """An idempotency record's key: HMAC(bearer token, person ‖ key), so the table does not say
    who sent which request (a bid's receipt would name its bidder before the opening)."""
    return hmac.new(bearer_secret(request), f"{person_id}\0{key}".encode(), hashlib.sha256).hexdigest()


def run(request: Request, p: Procurement, person_id: str, key: str | None, request_hash: str, tender_id: str,
        execute: Callable[[Callable], Any], finish: Callable[[Any], dict] | None = None) -> JSONResponse:
    """Execute once per idempotency key; the stored response is replayed for a retry."""
    given, key = key, (_row_key(request, person_id, key) if key else None)

    def replay(hit: idempotency.StoredAnswer) -> JSONResponse:
        if hit.request_sha256 != request_hash:
            raise Refused("idempotency-mismatch", f"Idempotency-Key {given!r} was used for a different request")
        body = json.loads(hit.body)
        return JSONResponse(finish(body) if finish else body, status_code=hit.status)

    if key and (hit := idempotency.stored_answer(p, key)) is not None:
        return replay(hit)

    def record(conn, _state, logged):
        if key:
            idempotency.record_answer(conn, key, request_hash, json.dumps(_result(tender_id, logged)))
        return []

    try:
        outcome = execute(record)
    except (Refused, Conflict):
        if key and (hit := idempotency.stored_answer(p, key)) is not None:
            return replay(hit)
        raise
    body = _result(tender_id, outcome)
    return JSONResponse(finish(body) if finish else body, status_code=201)


def _hash(*parts: Any) -> str:
    return hashlib.sha256(canonical([*parts])).hexdigest()


# --- the table of plain commands (`routes`) -------------------------------------------------

def _register(path: str, cmd: type, role: "str | tuple[str, ...]", summary: str) -> None:
    """One POST endpoint for a command. A tuple of roles means any official role: the caller
    names the one it acts in with `?role=`."""
    Model = with_example(body_model(cmd))  # a class built at run time: mypy cannot see it as a type
    endpoint: Callable[..., Any]
    if isinstance(role, tuple):
        Role = Literal[role]  # type: ignore[valid-type]

        def as_named_role(tender_id: str, body: Model, request: Request, p: ProcurementDep,  # type: ignore[valid-type]
                          role: Role, person_id: PersonId, key: IdempotencyKey = None) -> CommandResult:
            return _execute(request, p, tender_id, body, role, person_id, key)

        endpoint = as_named_role
    else:
        def as_role(tender_id: str, body: Model, request: Request, p: ProcurementDep,  # type: ignore[valid-type]
                    person_id: PersonId, key: IdempotencyKey = None) -> CommandResult:
            return _execute(request, p, tender_id, body, role, person_id, key)

        endpoint = as_role

    def _execute(request: Request, p: Procurement, tender_id: str, body: BaseModel, acting_role: str,
                 person_id: str, key: str | None) -> Any:
        actor = authorize(p, person_id, acting_role, tender_id)
        command = cmd(tender_id=tender_id, **arguments(body))
        return run(request, p, person_id, key, _hash(path, tender_id, acting_role, body.model_dump(mode="json")),
                   tender_id, lambda work: p.execute(command, actor, work=work))

    endpoint.__name__ = cmd.__name__
    who = " or ".join(role) if isinstance(role, tuple) else role
    router.add_api_route(path, endpoint, methods=["POST"], response_model=CommandResult, status_code=201,
                         summary=summary, description=f"Role: **{who}**. {routes.about(cmd)}".strip(),
                         tags=["commands"])


for _route in routes.COMMAND_ROUTES:
    _register(_route.path, _route.command, _route.role, _route.summary)


# --- commands with their own shapes ---------------------------------------------------------

Declaration = Annotated[DeclarationBody, example_of(DeclarationBody)]
Withdrawal = Annotated[WithdrawalBody, example_of(WithdrawalBody)]
Debriefing = Annotated[DebriefingBody, example_of(DebriefingBody)]
Disclosure = Annotated[DisclosureBody, example_of(DisclosureBody)]

if typing.TYPE_CHECKING:
    CreateBody = BaseModel
else:  # built at run time from the command's dataclass
    CreateBody = with_example(body_model(c.CreateTender, exclude=()))


@router.post(routes.CREATE, response_model=CommandResult, status_code=201, tags=["commands"],
             summary="Draft a new tender (role: buyer, granted for all tenders)")
def create_tender(body: CreateBody, request: Request, p: ProcurementDep, person_id: PersonId,
                  key: IdempotencyKey = None):
    actor = authorize(p, person_id, "buyer", None)
    command = c.CreateTender(**arguments(body))
    return run(request, p, person_id, key, _hash("create", body.model_dump(mode="json")), command.tender_id,
               lambda work: p.execute(command, actor, work=work))


@router.post(routes.PUBLISH, response_model=CommandResult, status_code=201, tags=["commands"],
             summary="Publish: creates the bid-opening key for the named officials (role: buyer)")
def publish(tender_id: str, request: Request, p: ProcurementDep, person_id: PersonId, key: IdempotencyKey = None):
    actor = authorize(p, person_id, "buyer", tender_id)
    return run(request, p, person_id, key, _hash("publish", tender_id), tender_id,
               lambda work: bidding.publish(p, tender_id, actor, work=work))


@router.post("/tenders/{tender_id}/declarations", response_model=CommandResult, status_code=201, tags=["commands"],
             summary="Sign your conflict-of-interest declaration for this tender (any official role)")
def declare(tender_id: str, body: Declaration, request: Request, p: ProcurementDep, person_id: PersonId,
            key: IdempotencyKey = None):
    actor = authorize(p, person_id, body.role, tender_id)
    command = c.DeclareInterests(tender_id, body.has_conflict, body.details, list(body.holdings),
                                 [e.model_dump(by_alias=True, exclude_none=True) for e in body.prior_employers],
                                 list(body.family_employers))
    return run(request, p, person_id, key, _hash("declare", tender_id, body.model_dump()), tender_id,
               lambda work: p.execute(command, actor, work=work))


@router.post("/tenders/{tender_id}/bids", response_model=BidReceipt, status_code=201, tags=["commands"],
             summary="Submit a sealed bid (role: bidder); the body is the sealed blob from `tenderproof bid seal`",
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
async def submit_bid(tender_id: str, request: Request, p: ProcurementDep, person_id: PersonId,
                     key: IdempotencyKey = None,
                     lot: Annotated[list[str] | None, Query(max_length=100, description="In a tender divided into "
                                                            "lots: each lot the bid covers (repeat it)")] = None):
    sealed = await request.body()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_submit_bid, request, p, tender_id, person_id, key, sealed, tuple(lot or ()))


def submit_sealed_bid(request: Request, tender_id: str, token: str, key: str | None, sealed: bytes) -> JSONResponse:
    """The bid route's work from its bearer token on, in one thread (`bid_door`): authentication
    (the route's `PersonId` dependency), then `_submit_bid`."""
    p = procurement(request)
    return _submit_bid(request, p, tender_id, person(request, HTTPAuthorizationCredentials(scheme="Bearer",
                                                                                           credentials=token)),
                       key, sealed)


def _submit_bid(request: Request, p: Procurement, tender_id: str, person_id: str, key: str | None,
                sealed: bytes, lots: tuple[str, ...] = ()) -> JSONResponse:
    actor = authorize(p, person_id, "bidder", tender_id)
    name = request.state.person_name

    fresh: dict[int, bytes] = {}  # the entry this request logged (a replay reads it from the log)

    def finish(body: dict) -> dict:
        index = body["events"][0]["index"]
        proof = p.log.tlog_proof(index)
        entry = fresh.get(index) or p.log.entry(index)
        env = json.loads(entry)
        return {**body, "bid_id": env["payload"]["id"], "sealed_sha256": env["payload"]["sealed_sha256"],
                "entry": base64.b64encode(entry).decode(), "tlog_proof": proof.format()}

    def execute(work):
        receipt = bidding.submit_bid(p, tender_id, actor, name, sealed, work=work, prove=False,  # `finish` proves
                                     secret=bearer_secret(request), lots=lots)
        fresh[receipt.index] = canonical(receipt.envelope)
        return [Logged(receipt.index, receipt.envelope)]

    request_hash = hashlib.sha256(sealed + "\0".join(lots).encode()).hexdigest() if lots else \
        hashlib.sha256(sealed).hexdigest()  # the lots are part of what was asked
    return run(request, p, person_id, key, request_hash, tender_id, execute, finish)


@router.post("/tenders/{tender_id}/bids/withdrawals", response_model=CommandResult, status_code=201, tags=["commands"],
             summary="Withdraw your bid before the deadline (role: bidder)",
             description="Role: **bidder**. The bid is found by the withdrawal key your token derives, not by "
                         "your name: nothing on the record links the withdrawal to you before the opening.")
def withdraw_bid(tender_id: str, body: Withdrawal, request: Request, p: ProcurementDep, person_id: PersonId,
                 key: IdempotencyKey = None):
    actor = authorize(p, person_id, "bidder", tender_id)
    return run(request, p, person_id, key, _hash("withdraw", tender_id, body.bid_id), tender_id,
               lambda work: bidding.withdraw_bid(p, tender_id, actor, body.bid_id, bearer_secret(request), work=work))


@router.post("/tenders/{tender_id}/shares", response_model=CommandResult, status_code=201, tags=["commands"],
             summary="Hand in your decrypted key share (role: opening_official); the k-th opens every bid",
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
async def submit_share(tender_id: str, request: Request, p: ProcurementDep, person_id: PersonId,
                       key: IdempotencyKey = None):
    share = await request.body()
    from starlette.concurrency import run_in_threadpool

    def go():
        actor = authorize(p, person_id, "opening_official", tender_id)
        return run(request, p, person_id, key, hashlib.sha256(share).hexdigest(), tender_id,
                   lambda work: bidding.submit_share(p, tender_id, actor, share, work=work))

    return await run_in_threadpool(go)


@router.post(routes.OPEN, response_model=CommandResult, status_code=201, tags=["commands"],
             summary="Ask for the opening (role: buyer): refused and logged before k shares are in")
def open_bids(tender_id: str, request: Request, p: ProcurementDep, person_id: PersonId, key: IdempotencyKey = None):
    actor = authorize(p, person_id, "buyer", tender_id)
    return run(request, p, person_id, key, _hash("open", tender_id), tender_id,
               lambda work: bidding.open_bids(p, tender_id, actor, work=work))


@router.post(routes.DEBRIEF, response_model=CommandResult, status_code=201, tags=["commands"],
             summary="Give an unsuccessful offeror its written debriefing (FAR 15.506) (role: buyer)")
def debrief(tender_id: str, body: Debriefing, request: Request, p: ProcurementDep, person_id: PersonId,
            key: IdempotencyKey = None):
    actor = authorize(p, person_id, "buyer", tender_id)
    state = p.state(tender_id)
    if state is None:
        raise Refused("not-found", f"no tender {tender_id}")
    if not state["awards"]:
        raise Refused("wrong-status", f"tender {tender_id} has no award to debrief on")
    try:
        doc = debriefing_document(state, body.bidder_id, p.clock())
    except ValueError as e:
        raise Refused("not-unsuccessful", str(e)) from None
    digest = hashlib.sha256(doc).hexdigest()

    def store(conn, _s, _l):
        p.documents.put(doc)
        return []

    command = c.GiveDebriefing(tender_id, body.bidder_id, digest)
    return run(request, p, person_id, key, _hash("debrief", tender_id, body.bidder_id), tender_id,
               lambda work: p.execute(command, actor, work=[store, work]))


@router.post("/tenders/{tender_id}/disclosures", response_model=CommandResult, status_code=201, tags=["commands"],
             summary="Disclose confidential payloads with their salts after the award (role: buyer)")
def disclose_payloads(tender_id: str, body: Disclosure, request: Request, p: ProcurementDep, person_id: PersonId,
                      key: IdempotencyKey = None):
    actor = authorize(p, person_id, "buyer", tender_id)
    return run(request, p, person_id, key, _hash("disclose", tender_id, body.to, body.commitments), tender_id,
               lambda work: disclose(p, tender_id, body.commitments, actor, work=work, to=body.to))
