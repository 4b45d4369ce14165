"""The authorization matrix: every endpoint of the app × every person of conftest.PEOPLE × no
token × an invalid token × a valid token in the wrong scheme.

The endpoint list is the app's own routes, so an endpoint added without an entry in MATRIX fails
here. Public reads answer everyone, token or not. A command without a valid bearer token is a 401
problem (with WWW-Authenticate), without the grant for the endpoint's role a 403 problem, and in
both cases nothing changes: not the log, not the tender's public view, not a table, not a file.
Each allowed person really acts at least once, on a tender set up in the right phase.

Then the sealed-bid promise over HTTP: before the opening, no GET of the API, OCDS, the change
feed, the log tiles or the portal returns a random marker hidden in a bid, to anyone, and the bid
content endpoint refuses everybody, the buyer and the auditor included.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tenderproof import seal
from tenderproof.api import create_app
from tenderproof.app import accounts
from tenderproof.app.debriefing import debriefing_document
from tenderproof.app.public import public_view
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import Settings
from tenderproof.ledger.tiles import ENTRIES, TILE_WIDTH, bundle_entries, tile_path, tiles_to_serve
from tenderproof.store.schema import PROJECTIONS, confidential, events, idempotency, key_shares, tenders

from ..app.conftest import World
from ..conftest import PG_ENV, _pg_schema_url
from .conftest import PEOPLE, Api, make_api
from .test_api_flow import TENDER

PROBLEM = "application/problem+json"
ANON, INVALID, WRONG_SCHEME = "no-token", "invalid-token", "basic-scheme"
NOBODY = (ANON, INVALID, WRONG_SCHEME)
PRINCIPALS = (*NOBODY, *PEOPLE)
PANEL = {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"], "hca": ["hca"]}
OFFICIAL_ROLES = ("buyer", "evaluator", "ssa", "opening_official", "hca")  # DeclarationBody.role
READER_ROLES = ("buyer", "evaluator", "ssa", "hca", "auditor", "reviewer")  # bid content ?role=
RFP = b"%PDF-1.7 the matrix's request for proposals\n"  # every tender lists it
LETTER_OFFEROR = "globex"  # the unsuccessful offeror of the "debriefed" phase
RFP_DOC = {"id": "rfp", "title": "Request for proposals", "sha256": hashlib.sha256(RFP).hexdigest(), "size": len(RFP)}


# --- the app's routes --------------------------------------------------------------------------


def app_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, HEAD left out, in the app's order."""
    try:  # FastAPI >= 0.130 keeps included routers lazily; this flattens them.
        from fastapi.routing import iter_route_contexts

        items = list(iter_route_contexts(app.routes))
    except ImportError:
        items = list(app.routes)
    out = []
    for r in items:
        methods = sorted(set(getattr(r, "methods", None) or {"MOUNT"}) - {"HEAD"})
        out += [(m, r.path) for m in methods]
    return out


ROUTES = app_routes(create_app(None))  # routes do not depend on the installation


# --- a module-wide installation ----------------------------------------------------------------


@dataclass
class Ctx:
    """A tender set up for one endpoint, and what requests to it need."""

    tid: str
    phase: str
    bids: dict[str, str] = field(default_factory=dict)  # bidder -> bid id
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ocid(self) -> str:
        return "ocds-tndrpf-" + self.tid


class Installation:
    """One installation for the module: the api client plus tenders built to a phase."""

    def __init__(self, api: Api) -> None:
        self.api, self.p, self.clock = api, api.p, api.clock
        self.world = World(api.p, api.clock, api.keys)
        self.cache: dict[Any, Ctx] = {}
        self.n = 0

    # setup, through the app layer (the matrix tests the HTTP side)
    def build(self, phase: str, who: str | None = None) -> Ctx:
        """A new tender in `phase`; a protest in it is `who`'s if `who` is a bidder, else globex's."""
        self.n += 1
        tid = f"M-{self.n:03d}-{phase}"
        w, p = self.world, self.p
        if phase == "none":
            return Ctx(tid, phase)
        p.documents.put(RFP)
        vehicle = phase.startswith("vehicle-")  # a multiple-award IDIQ: awarded to both bidders
        terms = {"kind": "idiq", "awardees": 2, "ceiling": {"amount": "1000000", "currency": "USD"},
                 "ordering_end": self.clock.now + timedelta(days=400),
                 "options": [{"id": "option-1", "period_end": self.clock.now + timedelta(days=800)}]}
        w.create(tid, panel=PANEL, documents=[RFP_DOC], **({"vehicle": terms} if vehicle else {}))
        ctx = Ctx(tid, phase)
        if phase == "draft":
            return ctx
        w.publish(tid)
        if phase == "enquiries":
            return ctx
        if phase == "enquiry-asked":
            p.execute(c.AskQuestion(tid, "q1", "Is the region fixed?"), Actor("acme", "bidder"))
            return ctx
        for bidder, price in (("acme", "100"), ("globex", "200")):
            ctx.bids[bidder] = f"bid-{bidder}"
            # As if sent over the API: the withdrawal key derives from the bidder's token.
            w.bid(bidder, f"{bidder.upper()} PRICE {price}".encode(), tid, bid_id=ctx.bids[bidder],
                  secret=self.api.tokens[bidder].encode())
        if phase == "bids":
            return ctx
        self.clock.advance(days=31)
        p.run_deadlines(tender_id=tid)
        for o in ("op1", "op2", "op3"):
            p.execute(c.DeclareInterests(tid, False), Actor(o, "opening_official"))
        if phase == "opening":
            return ctx
        for o in ("op1", "op2"):
            w.share(Actor(o, "opening_official"), tid)
        for official, role in (("co", "buyer"), ("ev", "evaluator"), ("ssa", "ssa"), ("hca", "hca")):
            p.execute(c.DeclareInterests(tid, False), Actor(official, role))
        if phase == "evaluation":
            return ctx
        if phase == "oci-identified":
            p.execute(c.IdentifyOci(tid, "oci-1", "acme", "unequal-access", "saw the estimate"), Actor("co", "buyer"))
            return ctx
        ev = Actor("ev", "evaluator")
        for bidder, price in (("acme", "100"), ("globex", "200")):
            p.execute(c.RateProposal(tid, ctx.bids[bidder], "price", price), ev)
            p.execute(c.RateProposal(tid, ctx.bids[bidder], "tech", "Good", strengths="solid"), ev)
        if phase in ("evaluated", "vehicle-evaluated"):
            return ctx
        if vehicle:
            p.execute(c.AwardVehicle(tid, [ctx.bids["acme"], ctx.bids["globex"]], "both capable"), Actor("ssa", "ssa"))
            assert phase == "vehicle-awarded", phase
            return ctx
        if phase == "litig-pre-award":  # the other bidder's suit before award: either may intervene
            other = "globex" if who == "acme" else "acme"
            p.execute(c.FileProtest(tid, "p1", "cofc", "unequal treatment"), Actor(other, "bidder"))
            return ctx
        if phase.startswith("gao-"):  # protested before the award, where every bidder is an interested party
            return _litigate(p, ctx, phase, who)
        # Protested before the award: every bidder is then an interested party (after it the awardee
        # is not, 31 U.S.C. 3551(2)). A GAO protest docketed now brings a pre-award CICA stay.
        if phase.startswith("protest"):  # protested, protested-cofc, protest-docketed, protest-reported
            protester = ctx.extra["protester"] = who if PEOPLE.get(who) == "bidder" else "globex"
            forum = "cofc" if phase == "protested-cofc" else "gao"
            p.execute(c.FileProtest(tid, "p1", forum, "the evaluation ignored the stated factors"),
                      Actor(protester, "bidder"))
            if phase in ("protested", "protested-cofc"):
                return ctx
            p.execute(c.DocketProtest(tid, "p1"), Actor("gao", "reviewer"))  # a CICA stay: stay-p1
            if phase == "protest-docketed":
                return ctx
            p.execute(c.FileAgencyReport(tid, "p1", "the evaluation followed the solicitation"), Actor("co", "buyer"))
            assert phase == "protest-reported", phase
            return ctx
        p.execute(c.DecideAward(tid, "bid-acme", {"amount": "100", "currency": "USD"}, "lowest price, equal merit"),
                  Actor("ssa", "ssa"))
        if phase == "awarded":
            return ctx
        if phase == "debriefed":  # as the API's buyer debriefs: the letter stored, its digest logged
            letter = debriefing_document(p.state(tid), LETTER_OFFEROR, self.clock())
            p.documents.put(letter)
            p.execute(c.GiveDebriefing(tid, LETTER_OFFEROR, hashlib.sha256(letter).hexdigest()), Actor("co", "buyer"))
            return ctx
        if phase.startswith(("litig-", "gao-")):
            return _litigate(p, ctx, phase, who)
        self.clock.advance(days=20)  # later (under us-far nothing holds the signature: no standstill)
        if phase == "standstill-over":
            return ctx
        p.execute(c.SignContract(tid, f"{tid}-contract", {"amount": "100", "currency": "USD"}), Actor("co", "buyer"))
        assert phase == "contracted", phase
        return ctx

    def cached(self, key: Any, phase: str, who: str | None = None) -> Ctx:
        if key not in self.cache:
            self.cache[key] = self.build(phase, who)
        return self.cache[key]

    def now(self, **delta) -> str:
        return (self.clock.now + timedelta(**delta)).isoformat()

    # what a refused request must leave untouched
    def snapshot(self, tid: str | None) -> tuple:
        """The log size, the tender's public view and every row of it in every table; the row
        count of every table (so a row anywhere else shows too); the stored files."""
        with self.p.db.reader.connect() as conn:
            counts = tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                           for t in (*PROJECTIONS, confidential, key_shares, idempotency))
            rows = tuple(tuple(map(tuple, conn.execute(sa.select(t).where(
                (t.c.id if t is tenders else t.c.tender_id) == tid)).all()))
                for t in (*PROJECTIONS, confidential, key_shares))
        files = sum(len(names) for root in (self.p.documents.root, self.p.private.root) for _, _, names in os.walk(root))
        state = self.p.state(tid)
        return self.p.log.head().size, state and public_view(state), counts, rows, files

    def counters(self) -> tuple:
        """A cheap fingerprint for reads: log size, event counters, idempotency records, reads of secrets."""
        with self.p.db.reader.connect() as conn:
            return (self.p.log.head().size,
                    *(conn.execute(q).scalar() for q in (
                        sa.select(sa.func.count()).select_from(events),
                        sa.select(sa.func.coalesce(sa.func.sum(tenders.c.seq), 0)),
                        sa.select(sa.func.count()).select_from(idempotency))))

    def log_size(self) -> int:
        return self.p.log.head().size


def _litigate(p, ctx: Ctx, phase: str, who: str | None) -> Ctx:
    """A protest p1 (GAO's before the award, the court's after it), by `who` if a bidder that may
    protest (else globex, acme intervening), and its litigation to `phase`:
    litig-case, -sealed (who's sealed motion m1), -motion (m1 by the other side), -applied (counsel
    applied under po-1), -judged, -appealed; gao-sustained, gao-costs."""
    # After the award acme, the awardee, is no interested party (31 U.S.C. 3551(2)): it joins globex's
    # suit as the intervenor (RCFC 24(a)), a party all the same.
    gao = phase.startswith("gao-")
    protester = who if PEOPLE.get(who or "") == "bidder" and (who != "acme" or gao) else "globex"
    mine = Actor(who, PEOPLE[who]) if PEOPLE.get(who or "") in ("bidder", "buyer") else Actor("co", "buyer")
    court, pid = Actor("gao", "reviewer"), "p1"
    p.execute(c.FileProtest(ctx.tid, pid, "gao" if gao else "cofc", "bias"), Actor(protester, "bidder"))
    if who == "acme" and not gao:
        p.execute(c.Intervene(ctx.tid, pid), Actor("acme", "bidder"))
    if gao:
        p.execute(c.DecideProtest(ctx.tid, pid, "sustained", "unreasonable", "re-evaluate"), court)
        if phase == "gao-costs":
            p.execute(c.RecommendCosts(ctx.tid, pid, "costs of pursuing the protest"), court)
        return ctx
    if phase == "litig-sealed":
        p.execute(c.FileMotion(ctx.tid, pid, "m1", ["dismiss"], "sealed", under_seal=True), mine)
    if phase == "litig-motion":
        movant = Actor("co", "buyer") if PEOPLE.get(who or "") == "bidder" else Actor(protester, "bidder")
        p.execute(c.FileMotion(ctx.tid, pid, "m1", ["dismiss"], "no standing"), movant)
    if phase == "litig-applied":
        p.execute(c.IssueProtectiveOrder(ctx.tid, pid, "po-1", "protected material"), court)
        p.execute(c.ApplyForAccess(ctx.tid, pid, "po-1", protester, True), Actor("counsel-1", "counsel"))
    if phase in ("litig-judged", "litig-appealed"):
        p.execute(c.DecideProtest(ctx.tid, pid, "denied", "reasonable"), court)
    if phase == "litig-appealed":
        p.execute(c.FileAppeal(ctx.tid, pid, "a1", "cafc", "appeal"), Actor(protester, "bidder"))
    return ctx


def party(f: Callable[[Installation, Ctx, str], Any]) -> Body:
    """A JSON body, with the party's role named in ?role= (a bidder, or the agency's buyer)."""
    return lambda inst, ctx, who: {"json": f(inst, ctx, who),
                                   "params": {"role": "bidder" if PEOPLE.get(who) == "bidder" else "buyer"}}


def _installation_settings(tmp_path_factory):
    data = tmp_path_factory.mktemp("authz") / "data"
    base = os.environ.get(PG_ENV)
    if not base:
        yield Settings(data, f"sqlite:///{data / 'tenderproof.db'}")
        return
    engine, schema, url = _pg_schema_url(base)
    yield Settings(data, url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    gen = _installation_settings(tmp_path_factory)
    settings = next(gen)
    a = make_api(settings, "authz.tenderproof.localhost/log")
    yield Installation(a)
    a.p.log.db.dispose()
    next(gen, None)


def auth(api: Api, who: str) -> dict[str, str]:
    if who == ANON:
        return {}
    if who == INVALID:
        return {"Authorization": "Bearer tp_" + secrets.token_urlsafe(32)}
    if who == WRONG_SCHEME:  # co's valid token, but not as a bearer token
        return {"Authorization": "Basic " + base64.b64encode(f"co:{api.tokens['co']}".encode()).decode()}
    return {"Authorization": f"Bearer {api.tokens[who]}"}


# --- request bodies ----------------------------------------------------------------------------


def _sealed(inst: Installation, ctx: Ctx, text: str) -> bytes:
    return inst.world.seal(text.encode(), ctx.tid)


def _share(inst: Installation, ctx: Ctx, official: str) -> bytes:
    enc = base64.b64decode(inst.p.state(ctx.tid)["opening"]["encrypted_shares"][official])
    return seal.decrypt_share(ctx.tid, official, enc, inst.api.keys[official])


def _own_evaluation(inst: Installation, ctx: Ctx) -> dict:
    """One offeror's own evaluation records, to it alone: what the law lets the buyer disclose
    after award (FAR 15.506(d)); the public gets none of it (domain/disclosure.py)."""
    rated = [e.envelope for e in inst.p.events(ctx.tid) if e.envelope["type"] == "evaluation.rated"]
    bid = rated[0]["payload"]["bid"]
    return {"commitments": [e["confidential"] for e in rated if e["payload"]["bid"] == bid],
            "to": inst.p.state(ctx.tid)["bids"][bid]["bidder"]}


def _new_tender(inst: Installation, ctx: Ctx) -> dict:
    return dict(TENDER, tender_id=ctx.tid, panel=PANEL, tender_end=(inst.clock.now + timedelta(days=30)).isoformat())


Body = Callable[[Installation, Ctx, str], dict]


def js(f: Callable[[Installation, Ctx, str], Any]) -> Body:
    return lambda inst, ctx, who: {"json": f(inst, ctx, who)}


def raw(f: Callable[[Installation, Ctx, str], bytes]) -> Body:
    return lambda inst, ctx, who: {"content": f(inst, ctx, who), "headers": {"Content-Type": "application/octet-stream"}}


NOBODY_ELSE: Body = lambda inst, ctx, who: {}


def claimed(who: str) -> str:
    """The official role `who` names in a request: their own, or (without one) the buyer's."""
    return PEOPLE[who] if PEOPLE.get(who) in OFFICIAL_ROLES else "buyer"


def as_official(f: Callable[[Installation, Ctx, str], Any]) -> Body:
    """A JSON body, with the official role named in ?role= (contacts, employment contacts)."""
    return lambda inst, ctx, who: {"json": f(inst, ctx, who), "params": {"role": claimed(who)}}


@dataclass(frozen=True)
class Command:
    """A POST: `role` is the grant it needs; the allowed persons act on a fresh tender in `phase`."""

    role: str
    phase: str
    body: Body = NOBODY_ELSE
    expect: int = 201
    refusal: str | None = None  # for expect != 201: the problem type an allowed person gets
    shared: bool = True  # the allowed persons act on one fresh tender (False: each on their own)

    def allows(self, who: str) -> bool:
        if self.role == "official":  # the request names the role: each official uses theirs
            return PEOPLE.get(who) in OFFICIAL_ROLES
        if self.role == "party":  # a protest's party: a bidder, or the agency's buyer
            return PEOPLE.get(who) in ("bidder", "buyer")
        return PEOPLE.get(who) == self.role


@dataclass(frozen=True)
class Upload:
    """A document upload: stored, not logged (a tender listing it publishes it)."""

    role: str = "buyer"

    def allows(self, who: str) -> bool:
        return PEOPLE.get(who) == self.role


@dataclass(frozen=True)
class Public:
    """A public GET: `urls(inst, ctx, full)` gives one or a few URLs, or every one when `full`."""

    urls: Callable[[Installation, Ctx, bool], list[str]]


@dataclass(frozen=True)
class Restricted:
    """The one authenticated read: an opened bid's content, for the panel and oversight."""

    phase: str = "evaluation"

    def allows(self, who: str) -> bool:
        return PEOPLE.get(who) in READER_ROLES


def _indexes(inst: Installation, ctx: Ctx, full: bool) -> list[int]:
    if full:
        return list(range(inst.log_size()))
    return [ev.index for ev in inst.p.events(ctx.tid)][:1]


def _tiles(inst: Installation, ctx: Ctx, full: bool) -> list[str]:
    todo = tiles_to_serve(inst.log_size())
    if not full:  # one hash tile and one entry bundle
        todo = [next(t for t in todo if t[0] == 0), next(t for t in todo if t[0] == ENTRIES)]
    return [tile_path(level, index, width) for level, index, width in todo]


def _tender_ids(inst: Installation, ctx: Ctx, full: bool) -> list[str]:
    if not full:
        return [ctx.tid]
    return [t["id"] for t in inst.api.client.get("/api/tenders", params={"limit": 200}).json()["items"]]


def per_document(fmt: str) -> Public:
    """The documents the tenders list (one tender's, or every tender's when `full`)."""
    return Public(lambda inst, ctx, full: [fmt.format(sha256=d["sha256"]) for t in _tender_ids(inst, ctx, full)
                                           for d in inst.p.state(t)["documents"]])


def one(url: str) -> Public:
    return Public(lambda inst, ctx, full: [url])


def per_tender(fmt: str) -> Public:
    return Public(lambda inst, ctx, full: [fmt.format(tid=t, ocid="ocds-tndrpf-" + t) for t in _tender_ids(inst, ctx, full)])


def per_index(fmt: str) -> Public:
    return Public(lambda inst, ctx, full: [fmt.format(i=i) for i in _indexes(inst, ctx, full)])


@dataclass(frozen=True)
class Letter:
    """A debriefing letter, or the records given to one offeror (`given`): for its offeror (as
    bidder) and the tender's buyers, nobody else."""

    given: bool = False

    def allows(self, who: str) -> bool:
        return who == LETTER_OFFEROR or PEOPLE.get(who) == "buyer"


@dataclass(frozen=True)
class Own:
    """Any person with a token, on what is their own (webhook subscriptions); nobody without one."""

    def allows(self, who: str) -> bool:
        return who in PEOPLE


def _own_subscription(inst: Installation, who: str) -> str:
    from tenderproof.app import webhooks

    return webhooks.subscribe(inst.p, who, "https://93.184.215.14/hook")[0].id  # a global address: no DNS


@dataclass(frozen=True)
class Admin:
    """Account administration: only a person with the admin grant for all tenders (nobody here)."""

    def allows(self, who: str) -> bool:
        return False


ADMIN_ROUTES = [("GET", "/people"), ("POST", "/people"), ("GET", "/people/{person_id}"), ("POST", "/people/import"),
                ("POST", "/people/{person_id}/grants"), ("DELETE", "/people/{person_id}/grants/{role}"),
                ("POST", "/people/{person_id}/tokens"), ("DELETE", "/tokens/{token_id}")]

T = "/api/tenders/{tender_id}"
MATRIX: dict[tuple[str, str], Command | Public | Restricted | Letter | Admin | Own] = {
    **{(m, "/api/admin" + path): Admin() for m, path in ADMIN_ROUTES},
    # commands
    ("POST", "/api/tenders"): Command("buyer", "none", js(lambda i, x, w: _new_tender(i, x))),
    ("POST", f"{T}/amendments"): Command("buyer", "enquiries", js(lambda i, x, w: {
        "rationale": "clarify the scope", "changes": {"description": "amended scope"}})),
    ("POST", f"{T}/publication"): Command("buyer", "draft"),
    ("POST", f"{T}/enquiries"): Command("bidder", "enquiries", js(lambda i, x, w: {
        "enquiry_id": f"q-{w}", "question": "Which region?"})),
    ("POST", f"{T}/enquiries/answers"): Command("buyer", "enquiry-asked", js(lambda i, x, w: {
        "enquiry_id": "q1", "answer": "Any US region."})),
    ("POST", f"{T}/bids"): Command("bidder", "enquiries", raw(lambda i, x, w: _sealed(i, x, f"offer of {w}"))),
    ("POST", f"{T}/bids/withdrawals"): Command("bidder", "bids", js(lambda i, x, w: {
        "bid_id": x.bids.get(w, "bid-acme")})),
    ("POST", f"{T}/declarations"): Command("official", "bids", js(lambda i, x, w: {
        "role": claimed(w), "has_conflict": False, "holdings": ["Index fund"]})),
    ("POST", f"{T}/shares"): Command("opening_official", "opening", raw(lambda i, x, w: _share(
        i, x, w if PEOPLE.get(w) == "opening_official" else "op1")), shared=False),
    # The k-th share opens every bid in its own transaction, so the buyer's request for the
    # opening can never find k shares waiting: it is always refused, and the refusal is logged.
    ("POST", f"{T}/opening"): Command("buyer", "opening", expect=409, refusal="quorum"),
    ("POST", f"{T}/ratings"): Command("evaluator", "evaluation", js(lambda i, x, w: {
        "bid_id": "bid-acme", "factor_id": "tech", "rating": "Good", "strengths": "a clear plan"})),
    ("POST", f"{T}/consensus"): Command("buyer", "evaluation", js(lambda i, x, w: {
        "bid_id": "bid-acme", "factor_id": "tech", "rating": "Good", "rationale": "the panel agrees"})),
    ("POST", f"{T}/competitive-range"): Command("buyer", "evaluation", js(lambda i, x, w: {
        "included": ["bid-acme", "bid-globex"], "excluded": {}})),
    ("POST", f"{T}/award"): Command("ssa", "evaluated", js(lambda i, x, w: {
        "bid_id": "bid-acme", "value": {"amount": "100", "currency": "USD"}, "rationale": "lowest price"})),
    ("POST", f"{T}/debriefings"): Command("buyer", "awarded", js(lambda i, x, w: {"bidder_id": "globex"})),
    # Before the award every bidder reaches the rule, which refuses: nothing to be debriefed on yet.
    ("POST", f"{T}/debriefing-requests"): Command("bidder", "evaluated", js(lambda i, x, w: {}), expect=409,
                                                  refusal="wrong-status"),
    ("POST", f"{T}/disclosures"): Command("buyer", "awarded", js(lambda i, x, w: _own_evaluation(i, x))),
    ("POST", f"{T}/contract"): Command("buyer", "standstill-over", js(lambda i, x, w: {
        "contract_id": f"{x.tid}-contract", "value": {"amount": "100", "currency": "USD"}})),
    ("POST", f"{T}/cancellation"): Command("buyer", "bids", js(lambda i, x, w: {"reason": "requirement withdrawn"})),
    ("POST", f"{T}/performance"): Command("buyer", "contracted", js(lambda i, x, w: {"scope": "phase 1"})),
    # protests, stays, corrective action
    ("POST", f"{T}/protests"): Command("bidder", "evaluated", js(lambda i, x, w: {
        "protest_id": f"p-{w}", "forum": "gao", "grounds": "the price evaluation was unreasonable"})),
    ("POST", f"{T}/protests/docket"): Command("reviewer", "protested", js(lambda i, x, w: {"protest_id": "p1"})),
    ("POST", f"{T}/protests/agency-report"): Command("buyer", "protest-docketed", js(lambda i, x, w: {
        "protest_id": "p1", "summary": "the evaluation followed the solicitation"})),
    ("POST", f"{T}/protests/comments"): Command("bidder", "protest-reported", js(lambda i, x, w: {
        "protest_id": "p1", "summary": "the report does not answer the grounds"}), shared=False),
    ("POST", f"{T}/protests/decision"): Command("reviewer", "protest-docketed", js(lambda i, x, w: {
        "protest_id": "p1", "outcome": "denied", "reasoning": "the evaluation was reasonable"})),
    ("POST", f"{T}/protests/withdrawal"): Command("bidder", "protest-docketed", js(lambda i, x, w: {
        "protest_id": "p1", "outcome": "withdrawn", "reasoning": "settled"}), shared=False),
    ("POST", f"{T}/court-orders"): Command("reviewer", "protested-cofc", js(lambda i, x, w: {
        "protest_id": "p1", "order": "tro", "text": "temporary restraining order", "until": i.now(days=14)})),
    ("POST", f"{T}/holds"): Command("buyer", "awarded", js(lambda i, x, w: {
        "until": i.now(days=30), "reason": "pending the protest"})),
    ("POST", f"{T}/stay-overrides"): Command("hca", "protest-docketed", js(lambda i, x, w: {
        "stay_id": "stay-p1", "ground": "urgent-compelling", "finding": "service continuity for the troops",
        "award_likely_within_30_days": True})),
    ("POST", f"{T}/corrective-actions"): Command("buyer", "awarded", js(lambda i, x, w: {
        "kind": "reevaluate", "rationale": "re-check the price evaluation", "factors": ["price"]})),
    # litigation of a protest
    ("POST", f"{T}/litigation/intervenors"): Command("bidder", "litig-pre-award", js(lambda i, x, w: {
        "protest_id": "p1"}), shared=False),
    ("POST", f"{T}/litigation/records"): Command("buyer", "litig-case", js(lambda i, x, w: {
        "protest_id": "p1", "filing_id": "ar-1", "description": "the record",
        "manifest": [{"seq": 1, "index": 0, "leaf_hash": "ab" * 32}]})),
    ("POST", f"{T}/litigation/motions"): Command("party", "litig-case", party(lambda i, x, w: {
        "protest_id": "p1", "motion_id": f"m-{w}", "relief": ["dismiss"], "summary": "no standing"}), shared=False),
    ("POST", f"{T}/litigation/public-versions"): Command("party", "litig-sealed", party(lambda i, x, w: {
        "protest_id": "p1", "motion_id": "m1", "summary": "redacted"}), shared=False),
    ("POST", f"{T}/litigation/briefs"): Command("party", "litig-motion", party(lambda i, x, w: {
        "protest_id": "p1", "motion_id": "m1", "kind": "opposition", "summary": "it has standing"}), shared=False),
    ("POST", f"{T}/litigation/rulings"): Command("reviewer", "litig-motion", js(lambda i, x, w: {
        "protest_id": "p1", "motion_id": "m1", "outcome": "denied", "text": "denied"})),
    ("POST", f"{T}/litigation/protective-orders"): Command("reviewer", "litig-case", js(lambda i, x, w: {
        "protest_id": "p1", "order_id": "po-1", "text": "protected material"})),
    ("POST", f"{T}/litigation/access-applications"): Command("counsel", "litig-case", js(lambda i, x, w: {
        "protest_id": "p1", "order_id": "po-1", "party": "globex", "not_competitive_decision_maker": True})),
    ("POST", f"{T}/litigation/access-decisions"): Command("reviewer", "litig-applied", js(lambda i, x, w: {
        "protest_id": "p1", "order_id": "po-1", "counsel": "counsel-1", "decision": "admitted"})),
    ("POST", f"{T}/litigation/hearings"): Command("reviewer", "protest-docketed", js(lambda i, x, w: {
        "protest_id": "p1", "hearing_id": "h-1", "when": i.now(days=3), "purpose": "testimony"})),
    ("POST", f"{T}/litigation/appeals"): Command("party", "litig-judged", party(lambda i, x, w: {
        "protest_id": "p1", "appeal_id": "a1", "court": "cafc", "summary": "appeal"}), shared=False),
    ("POST", f"{T}/litigation/appeal-decisions"): Command("reviewer", "litig-appealed", js(lambda i, x, w: {
        "protest_id": "p1", "appeal_id": "a1", "outcome": "affirmed", "text": "affirmed"})),
    ("POST", f"{T}/litigation/costs"): Command("reviewer", "gao-sustained", js(lambda i, x, w: {
        "protest_id": "p1", "text": "costs of pursuing the protest"})),
    ("POST", f"{T}/litigation/cost-claims"): Command("bidder", "gao-costs", js(lambda i, x, w: {
        "protest_id": "p1", "amount": {"amount": "5000", "currency": "USD"}, "summary": "fees"}), shared=False),
    # integrity controls
    ("POST", f"{T}/ownership"): Command("bidder", "bids", js(lambda i, x, w: {
        "owners": [f"{w} holdings"], "affiliates": []})),
    ("POST", f"{T}/recusals"): Command("official", "bids", as_official(lambda i, x, w: {
        "official": w, "reason": "a prior employer bid"})),  # each official recuses themself
    ("POST", f"{T}/families"): Command("buyer", "bids", js(lambda i, x, w: {
        "family_id": "acme", "parent": "Acme Holdings", "members": ["Acme Federal"], "source": "its 10-K"})),
    ("POST", f"{T}/ocis"): Command("buyer", "evaluation", js(lambda i, x, w: {
        "oci_id": "oci-1", "offeror": "acme", "kind": "unequal-access", "finding": "wrote the work statement"})),
    ("POST", f"{T}/ocis/resolutions"): Command("buyer", "oci-identified", js(lambda i, x, w: {
        "oci_id": "oci-1", "resolution": "neutralize", "rationale": "the estimate was released to all"})),
    ("POST", f"{T}/ocis/waivers"): Command("hca", "oci-identified", js(lambda i, x, w: {
        "oci_id": "oci-1", "resolution": "waive", "rationale": "the extent is small; the need is urgent"})),
    # contract vehicles
    ("POST", f"{T}/vehicle/award"): Command("ssa", "vehicle-evaluated", js(lambda i, x, w: {
        "bids": [x.bids["acme"], x.bids["globex"]], "rationale": "both offer the capability"})),
    ("POST", f"{T}/vehicle/options"): Command("buyer", "vehicle-awarded", js(lambda i, x, w: {
        "option_id": "option-1"})),
    ("POST", f"{T}/vehicle/orders"): Command("buyer", "vehicle-awarded", js(lambda i, x, w: {
        "order_id": "o-1", "description": "a sandbox", "party": "acme",
        "value": {"amount": "100000", "currency": "USD"}, "exception": "urgency", "justification": "an outage"})),
    ("POST", f"{T}/incidents"): Command("buyer", "bids", js(lambda i, x, w: {
        "description": "a price sheet was emailed to the wrong bidder", "affected": ["acme"]})),
    ("POST", f"{T}/contacts"): Command("official", "bids", as_official(lambda i, x, w: {
        "official": "ev", "party": "a lobbyist", "when": i.now(hours=-1), "channel": "phone",
        "summary": "asked about the schedule"})),
    ("POST", f"{T}/employment-contacts"): Command("official", "bids", as_official(lambda i, x, w: {
        "bidder_id": "acme", "contact_date": i.now(hours=-2), "response": "rejected"})),
    ("POST", "/api/documents"): Upload(),
    ("POST", "/api/webhooks"): Own(),
    ("GET", "/api/webhooks"): Own(),
    ("DELETE", "/api/webhooks/{sub_id}"): Own(),
    ("GET", "/api/webhooks/{sub_id}/deliveries"): Own(),
    # the one authenticated read
    ("GET", f"{T}/bids/{{bid_id}}/content"): Restricted(),
    ("GET", f"{T}/debriefings/{{bidder_id}}/letter"): Letter(),
    ("GET", f"{T}/debriefings/{{bidder_id}}/given"): Letter(given=True),
    # public reads
    ("GET", "/api/tenders"): Public(lambda i, x, full: ["/api/tenders", f"/api/tenders?q={x.tid}&limit=5"]),
    ("GET", T): per_tender("/api/tenders/{tid}"),
    ("GET", f"{T}/events"): per_tender("/api/tenders/{tid}/events"),
    ("GET", f"{T}/record.zip"): per_tender("/api/tenders/{tid}/record.zip"),
    ("GET", "/api/events"): Public(lambda i, x, full: ["/api/events", "/api/events?after=-1&limit=1000"]),
    ("GET", "/api/ocds/releases.json"): one("/api/ocds/releases.json"),
    ("GET", "/api/ocds/records.json"): one("/api/ocds/records.json"),
    ("GET", "/api/ocds/records/{ocid}"): per_tender("/api/ocds/records/{ocid}"),
    ("GET", "/api/ocds/releases.jsonl"): one("/api/ocds/releases.jsonl"),
    ("GET", "/api/ocds/extensions/{name}/{file}"): one("/api/ocds/extensions/tenderproof_protests/extension.json"),
    ("GET", "/api/ocds/export.xlsx"): per_tender("/api/ocds/export.xlsx?tender={tid}"),
    ("GET", "/api/ocds/export.csv.zip"): Public(lambda i, x, full: [
        "/api/ocds/export.csv.zip", f"/api/ocds/export.csv.zip?tender={x.tid}&kind=releases"]),
    ("GET", "/api/documents/{sha256}"): per_document("/api/documents/{sha256}"),
    ("GET", "/feeds/tenders/{tender_id}.atom"): per_tender("/feeds/tenders/{tid}.atom"),
    ("GET", "/feeds/buyers/{buyer_id}.atom"): one(f"/feeds/buyers/{TENDER['buyer']['id']}.atom"),
    ("GET", "/feeds/suppliers/{supplier_id}.atom"): Public(lambda i, x, full: [
        f"/feeds/suppliers/{who}.atom" for who in ("acme", "globex")]),
    ("GET", "/feeds/search.atom"): Public(lambda i, x, full: ["/feeds/search.atom", f"/feeds/search.atom?q={x.tid}"]),
    ("GET", "/log/checkpoint"): one("/log/checkpoint"),
    ("GET", "/log/tile/{path:path}"): Public(lambda i, x, full: [f"/log/{p}" for p in _tiles(i, x, full)]),
    ("GET", "/log/proof/{index}"): per_index("/log/proof/{i}"),
    ("GET", "/log/entries/{index}"): per_index("/log/entries/{i}"),
    ("GET", "/log/vkey"): one("/log/vkey"),
    ("GET", "/log/policy"): one("/log/policy"),
    ("GET", "/openapi.json"): one("/openapi.json"),
    ("GET", "/api/docs"): one("/api/docs"),
    ("GET", "/api/redoc"): one("/api/redoc"),
    ("MOUNT", "/api/docs/assets"): Public(lambda i, x, full: [f"/api/docs/assets/{name}" for name in (
        "swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")]),
    # the portal
    ("GET", "/"): Public(lambda i, x, full: ["/", f"/?q={x.tid}"]),
    ("GET", "/tenders/{tender_id}"): per_tender("/tenders/{tid}"),
    ("GET", "/events/{index}"): per_index("/events/{i}"),
    ("GET", "/events/{index}/entry"): per_index("/events/{i}/entry"),
    ("GET", "/events/{index}/proof"): per_index("/events/{i}/proof"),
    ("GET", "/flags"): Public(lambda i, x, full: ["/flags", "/flags?code=TP005"]),
    ("GET", "/flags/indicators"): one("/flags/indicators"),
    ("GET", "/log"): one("/log"),
    ("GET", "/verify/log.vkey"): one("/verify/log.vkey"),
    ("GET", "/verify/log.tlog-policy"): one("/verify/log.tlog-policy"),
    ("GET", "/verify/checkpoint"): one("/verify/checkpoint"),
    ("GET", "/static/portal.css"): one("/static/portal.css"),
    ("GET", "/documents/{sha256}"): per_document("/documents/{sha256}"),
}


def test_every_route_has_a_matrix_entry():
    served = set(ROUTES)
    assert not served - set(MATRIX), f"endpoints without an authorization matrix entry: {sorted(served - set(MATRIX))}"
    assert not set(MATRIX) - served, f"matrix entries for endpoints the app does not serve: {sorted(set(MATRIX) - served)}"


def _cases():
    """Endpoint-major; per endpoint the refused principals first, then those allowed to act."""
    out = []
    for key in ROUTES:
        entry = MATRIX.get(key)
        allows = getattr(entry, "allows", lambda who: True)
        order = sorted(PRINCIPALS, key=lambda who: (who not in NOBODY, bool(allows(who))))
        out += [pytest.param(key, who, id=f"{key[0]} {key[1]} as {who}") for who in order]
    return out


def _assert_problem(r, status: int) -> dict:
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["content-type"] == PROBLEM, r.headers["content-type"]
    body = r.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["detail"], body
    return body


def _request(inst: Installation, method: str, url: str, who: str, **kw):
    headers = {**auth(inst.api, who), **kw.pop("headers", {})}
    if method == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return inst.api.client.request(method, url, headers=headers, **kw)


@pytest.mark.parametrize(("route", "who"), _cases())
def test_access(inst: Installation, route: tuple[str, str], who: str):
    method, path = route
    entry = MATRIX.get(route)
    if entry is None:
        pytest.fail(f"{method} {path} has no entry in the authorization matrix")

    if isinstance(entry, Upload):
        data = f"a document uploaded by {who} {uuid.uuid4()}".encode()
        before = inst.snapshot(None)
        r = _request(inst, method, path, who, content=data, headers={"Content-Type": "text/plain"})
        if not entry.allows(who):
            _assert_problem(r, 401 if who in NOBODY else 403)
            assert inst.snapshot(None) == before, f"a refused upload by {who} changed something"
            return
        assert r.status_code == 201 and r.json()["sha256"] == hashlib.sha256(data).hexdigest(), r.text
        assert inst.log_size() == before[0]  # stored, not logged
        return

    if isinstance(entry, Admin):
        before = (inst.counters(), accounts.list_people(inst.p, limit=1000))
        url = path.format(person_id="co", role="buyer", token_id="tok_000000000000")
        r = _request(inst, method, url, who, json={"id": "x", "name": "X", "role": "admin", "people": []})
        _assert_problem(r, 401 if who in NOBODY else 403)
        assert (inst.counters(), accounts.list_people(inst.p, limit=1000)) == before
        return

    if isinstance(entry, Own):
        url = path.format(sub_id=_own_subscription(inst, who) if who in PEOPLE else "wh_0000000000000000")
        before = inst.counters()
        r = _request(inst, method, url, who, **({"json": {"url": "https://93.184.215.14/hook"}} if method == "POST" else {}))
        if who in NOBODY:
            _assert_problem(r, 401)
        else:
            assert r.status_code == {"POST": 201, "GET": 200, "DELETE": 204}[method], r.text
        assert inst.counters() == before, f"{method} {path} as {who} changed the log or a tender"
        return

    if isinstance(entry, Letter):
        ctx = inst.cached("debriefed", "debriefed")
        before = inst.snapshot(ctx.tid)
        r = _request(inst, method, path.format(tender_id=ctx.tid, bidder_id=LETTER_OFFEROR), who)
        if entry.allows(who) and entry.given:
            assert r.status_code == 200, r.text
            assert r.json()["to"] == LETTER_OFFEROR
        elif entry.allows(who):
            assert r.status_code == 200, r.text
            logged = inst.p.state(ctx.tid)["debriefings"][LETTER_OFFEROR]["document_sha256"]
            assert hashlib.sha256(r.content).hexdigest() == logged
        else:
            body = _assert_problem(r, 401 if who in NOBODY else 403)
            assert body["type"].endswith("/unauthenticated" if who in NOBODY else "/forbidden"), body
        assert inst.snapshot(ctx.tid) == before, f"reading the letter as {who} changed something"
        return

    if isinstance(entry, Public):
        ctx = inst.cached("showcase", "awarded")
        urls = entry.urls(inst, ctx, False)
        assert urls, f"{method} {path}: nothing to fetch"
        for url in urls:
            before = inst.counters()
            r = _request(inst, "GET", url, who)
            assert r.status_code == 200, f"GET {url} as {who}: {r.status_code} {r.text[:300]}"
            assert inst.counters() == before, f"GET {url} changed something"
        return

    # Refused requests change nothing, so they share a tender per phase; allowed ones get a fresh one.
    if isinstance(entry, Restricted):
        allowed = entry.allows(who)
        ctx = inst.cached((route, "allowed"), entry.phase) if allowed else inst.cached(entry.phase, entry.phase)
        role = PEOPLE[who] if allowed else "auditor"  # the others claim the weakest reading role
        url = f"/api/tenders/{ctx.tid}/bids/bid-acme/content?role={role}"
    else:
        allowed = entry.allows(who)
        if not allowed:
            ctx = inst.cached(entry.phase, entry.phase)
        elif entry.shared:
            ctx = inst.cached((route, "allowed"), entry.phase)
        else:
            ctx = inst.build(entry.phase, who)
        url = path.format(tender_id=ctx.tid)
    kwargs = entry.body(inst, ctx, who) if isinstance(entry, Command) else {}

    before = inst.snapshot(ctx.tid)
    r = _request(inst, method, url, who, **kwargs)
    if who in NOBODY:
        _assert_problem(r, 401)
        assert r.headers.get("www-authenticate", "").lower().startswith("bearer"), r.headers
        assert inst.snapshot(ctx.tid) == before, "a request without a valid token changed something"
        return
    if not allowed:
        body = _assert_problem(r, 403)
        assert body["type"].endswith("/forbidden"), body
        assert inst.snapshot(ctx.tid) == before, f"a request by {who} without the grant changed something"
        return

    # An allowed person: it happens, or the procurement rules (not authorization) refuse it.
    size = before[0]
    if isinstance(entry, Restricted):
        assert r.status_code == 200, r.text
        assert b"ACME PRICE 100" in r.content
        assert inst.log_size() == size + 1, "the read of confidential content must be logged"
        return
    if entry.expect == 201:
        assert r.status_code == 201, f"{who} on {method} {path}: {r.status_code} {r.text}"
        logged = r.json()["events"]
        assert logged and inst.log_size() >= size + len(logged)
        assert inst.snapshot(ctx.tid)[1] != before[1], "the tender's public view did not change"
    else:
        body = _assert_problem(r, entry.expect)
        assert body["type"].endswith("/" + entry.refusal) and body["logged"] is True, body
        assert inst.log_size() == size + 1


def test_full_tiles_are_served(fresh: Installation):
    entries = [b'{"n":%d}' % i for i in range(TILE_WIDTH + 3)]
    first = fresh.log_size()
    fresh.p.log.append(entries)
    assert first < TILE_WIDTH  # so entry bundle 000 holds the init entries, then ours
    r = fresh.api.client.get("/log/tile/entries/000")
    assert r.status_code == 200, r.text
    assert r.content == bundle_entries([fresh.p.log.entry(i) for i in range(TILE_WIDTH)])
    r = fresh.api.client.get("/log/tile/0/000")
    assert r.status_code == 200 and len(r.content) == 32 * TILE_WIDTH
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"


# --- grants are per tender and per role ---------------------------------------------------------


def test_grants_are_per_tender(inst: Installation):
    """A buyer granted on one tender only is refused on another one, and acts on its own."""
    mine, other = inst.build("enquiries"), inst.build("enquiries")
    accounts.add_person(inst.p, "co2", "CO2")
    accounts.grant(inst.p, "co2", "buyer", mine.tid)
    token = accounts.issue_token(inst.p, "co2", "test")
    h = {"Authorization": f"Bearer {token}"}
    before = inst.snapshot(other.tid)
    r = inst.api.client.post(f"/api/tenders/{other.tid}/cancellation", json={"reason": "x"}, headers=h)
    _assert_problem(r, 403)
    assert inst.snapshot(other.tid) == before
    r = inst.api.client.post("/api/tenders", json=_new_tender(inst, Ctx("M-CO2-NEW", "none")), headers=h)
    _assert_problem(r, 403)  # creating a tender needs the grant for all tenders
    # On its own tender the grant opens the door; the rules then say co2 is not on the panel.
    r = inst.api.client.post(f"/api/tenders/{mine.tid}/cancellation", json={"reason": "x"}, headers=h)
    body = _assert_problem(r, 403)
    assert body["type"].endswith("/not-on-panel"), body


@pytest.mark.parametrize("who", list(PEOPLE))
def test_nobody_claims_a_role_they_do_not_hold(inst: Installation, who: str):
    """Where the request names the role (declarations, bid content, contacts), a role without a grant is a 403."""
    ctx = inst.cached("claims", "evaluation")
    for method, url, kw in [
        *[("POST", f"/api/tenders/{ctx.tid}/declarations", {"json": {"role": role, "has_conflict": False}})
          for role in OFFICIAL_ROLES if role != PEOPLE[who]],
        *[("GET", f"/api/tenders/{ctx.tid}/bids/bid-acme/content?role={role}", {})
          for role in READER_ROLES if role != PEOPLE[who]],
        *[("POST", f"/api/tenders/{ctx.tid}/employment-contacts?role={role}", {"json": {
            "bidder_id": "acme", "contact_date": inst.now(hours=-2), "response": "recused"}})
          for role in OFFICIAL_ROLES if role != PEOPLE[who]],
    ]:
        before = inst.snapshot(ctx.tid)
        r = _request(inst, method, url, who, **kw)
        assert _assert_problem(r, 403)["type"].endswith("/forbidden"), f"{method} {url} as {who}"
        assert inst.snapshot(ctx.tid) == before


# --- nothing of a bid leaves before the opening ------------------------------------------------


def _forms(secret: str) -> list[bytes]:
    """The secret as bytes, hex, and base64 at each of the three alignments."""
    raw = secret.encode()
    out = [raw, raw.hex().encode()]
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + raw)
        out.append(enc[4 if k else 0:-4])
    return out


def _scan(inst: Installation, ctx: Ctx, secrets_: list[str], who_all: tuple[str, ...]) -> int:
    """GET every URL of every public route (and the bid content, as everyone); no secret in any.
    Every URL is fetched anonymously; one URL per route also as each of `who_all`."""
    forms = [(s, f) for s in secrets_ for f in _forms(s)]
    fetched = 0

    def check(url: str, who: str, r) -> None:
        for s, f in forms:
            assert f not in r.content, f"GET {url} as {who} returned {s!r} (as {f!r})"

    for key in ROUTES:
        entry = MATRIX[key]
        if isinstance(entry, Public):
            for n, url in enumerate(entry.urls(inst, ctx, True)):
                for who in (ANON, *who_all) if n == 0 else (ANON,):
                    r = _request(inst, "GET", url, who)
                    assert r.status_code == 200, f"GET {url}: {r.status_code} {r.text[:200]}"
                    check(url, who, r)
                    fetched += 1
        elif isinstance(entry, Restricted):
            for bid in inst.p.state(ctx.tid)["bids"]:
                for who in PRINCIPALS:
                    for role in READER_ROLES:
                        url = f"/api/tenders/{ctx.tid}/bids/{bid}/content?role={role}"
                        r = _request(inst, "GET", url, who)
                        assert r.status_code in (401, 403, 409), f"GET {url} as {who}: {r.status_code}"
                        if who in PEOPLE and accounts.may_act(inst.p, who, role, ctx.tid):
                            assert r.json()["type"].endswith("/sealed"), r.text  # past the door: still sealed
                        check(url, who, r)
                        fetched += 1
    return fetched


@pytest.fixture
def fresh(api) -> Installation:
    """A fresh installation, so that the scan can afford every log index and every tile."""
    return Installation(api)


def test_bid_contents_never_leave_before_the_opening(fresh: Installation):
    inst, api = fresh, fresh.api
    marker = secrets.token_hex(16)
    bidder, bidder_name = f"b-{secrets.token_hex(6)}", f"Bidder {secrets.token_hex(8)}"
    accounts.add_person(inst.p, bidder, bidder_name)
    accounts.grant(inst.p, bidder, "bidder")
    api.tokens[bidder] = accounts.issue_token(inst.p, bidder, "test")

    ctx = Ctx("LEAK-1", "bids")
    body = dict(_new_tender(inst, ctx), enquiry_end=(inst.clock.now + timedelta(days=10)).isoformat())
    assert api.post("/api/tenders", "co", json=body).status_code == 201
    assert api.post("/api/tenders/LEAK-1/publication", "co").status_code == 201
    q = {"enquiry_id": "q1", "question": "Region?"}
    assert api.post("/api/tenders/LEAK-1/enquiries", "acme", json=q).status_code == 201
    q = {"enquiry_id": "q1", "answer": "Any."}
    assert api.post("/api/tenders/LEAK-1/enquiries/answers", "co", json=q).status_code == 201
    for who, content in (("acme", f"ACME PRICE 100 {marker}"), ("globex", "GLOBEX PRICE 200"),
                         (bidder, f"PRICE 150 {marker}")):
        sealed = inst.world.seal(content.encode(), "LEAK-1")
        r = api.post("/api/tenders/LEAK-1/bids", who, content=sealed, **{"Content-Type": "application/octet-stream"})
        assert r.status_code == 201, r.text
    secrets_ = [marker, bidder, bidder_name]

    # Tendering: the bids are in, sealed.
    assert _scan(inst, ctx, secrets_, ("co", "ig", "gao", "acme")) > 50

    # The deadline passes; one share of the two needed is in: still nothing to read.
    inst.clock.advance(days=31)
    inst.p.run_deadlines()
    declaration = {"role": "opening_official", "has_conflict": False}
    assert api.post("/api/tenders/LEAK-1/declarations", "op1", json=declaration).status_code == 201
    r = api.post("/api/tenders/LEAK-1/shares", "op1", content=_share(inst, ctx, "op1"))
    assert r.status_code == 201, r.text
    assert api.get("/api/tenders/LEAK-1").json()["status"] == "active.opening"
    _scan(inst, ctx, secrets_, ("co", "ig"))

    # The k-th share opens every bid: now the auditor can read it (the scan would have seen it) ...
    assert api.post("/api/tenders/LEAK-1/declarations", "op2", json=declaration).status_code == 201
    assert api.post("/api/tenders/LEAK-1/shares", "op2", content=_share(inst, ctx, "op2")).status_code == 201
    bid = next(b for b in api.get("/api/tenders/LEAK-1").json()["bids"] if b["bidder"] == "acme")
    r = api.get(f"/api/tenders/LEAK-1/bids/{bid['id']}/content", "ig", role="auditor")
    assert r.status_code == 200 and marker.encode() in r.content
    assert hashlib.sha256(r.content).hexdigest() == bid["plaintext_sha256"]
    # ... while every public read still carries only digests, never the plaintext.
    forms = _forms(marker)
    for key in ROUTES:
        entry = MATRIX[key]
        if isinstance(entry, Public):
            for url in entry.urls(inst, ctx, True):
                content = api.client.get(url).content
                assert not any(f in content for f in forms), f"GET {url} returned the opened bid's plaintext"
