"""The public portal's routes: server-rendered HTML that works without JavaScript.

Paths (chosen not to collide with the API's C2SP tile routes under /log/...):

    GET /                          tender list: search ?q=, filter ?status=, pages ?after= / ?before=
    GET /tenders/{id}              one tender: public view, timeline chart, every event with its proof
    GET /events/{index}            one logged event: the exact envelope and how to verify it
    GET /events/{index}/entry      the entry's exact bytes, as logged
    GET /events/{index}/proof      a C2SP tlog-proof of the entry (text/plain)
    GET /log                       the log's status: checkpoint, size, keys, witnesses, policy
    GET /verify/log.vkey           the log's verifier key
    GET /verify/log.tlog-policy    the tlog-policy (log key, witnesses, quorum)
    GET /verify/checkpoint         the latest signed checkpoint with its cosignatures
    GET /static/portal.css         the style sheet
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import jinja2
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tenderproof.app.envelope import loads
from tenderproof.app.service import Procurement
from tenderproof.ledger import witnessing
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.cosignature import CosignatureVerifier, cosignature_timestamp
from tenderproof.ledger.log import LogError
from tenderproof.ledger.note import NoteError, open_note, parse_note
from tenderproof.ledger.tlogproof import TlogProof
from tenderproof.store.schema import events, tenders

from . import views

PAGE_SIZE = 20
MAX_QUERY = 200
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin"}


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tenderproof.portal", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(when=views.when, day=views.day, money=views.money, status_label=views.status_label,
                       role_label=views.role_label, pretty_json=views.pretty_json,
                       criteria_label=lambda c: views.CRITERIA_LABELS.get(c, c),
                       upfirst=lambda s: s[:1].upper() + s[1:] if s else s)
    return env


ENV = _env()


@lru_cache(maxsize=1)
def _css() -> bytes:
    return resources.files("tenderproof.portal").joinpath("static", "portal.css").read_bytes()


def _html(template: str, http_status: int = 200, **ctx: Any) -> HTMLResponse:
    body = ENV.get_template(template).render(**ctx)
    return HTMLResponse(body, status_code=http_status, headers=SECURITY_HEADERS)


def _text(body: str | bytes, media_type: str, filename: str | None = None, status: int = 200) -> Response:
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def _index(text: str) -> int | None:
    return int(text) if re.fullmatch(r"0|[1-9][0-9]{0,18}", text) else None


def router(get_procurement: Callable[[], Procurement], *, page_size: int = PAGE_SIZE) -> APIRouter:
    """The portal's HTML pages, for mounting at `/` of the FastAPI app."""
    r = APIRouter(include_in_schema=False)

    def not_found(request: Request, heading: str, message: str, q: str = "", suggestions=()) -> HTMLResponse:
        return _html("not_found.html", 404, request=request, heading=heading, message=message, q=q,
                     suggestions=list(suggestions), nav="")

    # --- the tender list -------------------------------------------------------------------

    @r.get("/", response_class=HTMLResponse, name="portal_home")
    def home(request: Request, q: str = "", status: str = "", after: str = "", before: str = "") -> HTMLResponse:
        # Over-long parameters are cut, never refused: a visitor gets a page, not a JSON error.
        p = get_procurement()
        q, status, after, before = q.strip()[:MAX_QUERY], status[:60], after[:100], before[:100]
        where = []
        if q:
            needle = q.lower()
            where.append(sa.or_(sa.func.lower(tenders.c.title).contains(needle, autoescape=True),
                                sa.func.lower(tenders.c.id).contains(needle, autoescape=True)))
        if status:
            where.append(tenders.c.status == status)
        with p.db.reader.connect() as conn:
            counts = {row.status: int(row.n) for row in conn.execute(
                sa.select(tenders.c.status, sa.func.count().label("n")).group_by(tenders.c.status))}
            total = conn.execute(sa.select(sa.func.count()).select_from(tenders).where(*where)).scalar() or 0
            cols = (tenders.c.id, tenders.c.status, tenders.c.title, tenders.c.state)
            if before:
                rows = list(conn.execute(sa.select(*cols).where(*where, tenders.c.id < before)
                                         .order_by(tenders.c.id.desc()).limit(page_size + 1)))
                more_back = len(rows) > page_size
                rows = rows[:page_size][::-1]
                has_prev, has_next = more_back, True
            else:
                q_ = sa.select(*cols).where(*where)
                if after:
                    q_ = q_.where(tenders.c.id > after)
                rows = list(conn.execute(q_.order_by(tenders.c.id).limit(page_size + 1)))
                has_next = len(rows) > page_size
                rows = rows[:page_size]
                has_prev = bool(after)
        items = [views.list_row(row.id, row.status, row.title, row.state) for row in rows]
        base = {"q": q, "status": status}
        prev_link = _qs(base, before=items[0]["id"]) if has_prev and items else None
        next_link = _qs(base, after=items[-1]["id"]) if has_next and items else None
        statuses = sorted(set(counts) | ({status} if status else set()),
                          key=lambda s: list(views.STATUS_LABELS).index(s) if s in views.STATUS_LABELS else 99)
        return _html("list.html", request=request, items=items, q=q, status=status, total=total, counts=counts,
                     statuses=statuses, prev_link=prev_link, next_link=next_link, nav="tenders",
                     all_count=sum(counts.values()))

    # --- one tender ---------------------------------------------------------------------------

    @r.get("/tenders/{tender_id}", response_class=HTMLResponse, name="portal_tender")
    def tender(request: Request, tender_id: str) -> HTMLResponse:
        p = get_procurement()
        page = views.tender_page(p, tender_id) if len(tender_id) <= 100 else None
        if page is None:
            return not_found(request, "No such tender",
                             f"There is no tender with the identifier “{tender_id[:100]}” in this log. "
                             "Identifiers are exact; search by a part of the title or identifier instead.",
                             q=tender_id[:MAX_QUERY], suggestions=_similar(p, tender_id))
        return _html("tender.html", request=request, t=page, v=page.v, nav="tenders")

    # --- one event ----------------------------------------------------------------------------

    @r.get("/events/{index}", response_class=HTMLResponse, name="portal_event")
    def event(request: Request, index: str) -> HTMLResponse:
        p = get_procurement()
        i = _index(index)
        size = p.log.head().size
        if i is None or i >= size:
            return not_found(request, "No such event",
                             f"The log holds entries 0 to {size - 1}; “{index[:40]}” is not one of them." if size
                             else "The log is empty.")
        entry = p.log.entry(i)
        with p.db.reader.connect() as conn:
            row = conn.execute(sa.select(events.c.tender_id, events.c.seq).where(events.c.ledger_index == i)).first()
            neighbours = {}
            if row is not None:
                for name, cond, order in (("prev", events.c.seq < row.seq, events.c.seq.desc()),
                                          ("next", events.c.seq > row.seq, events.c.seq)):
                    neighbours[name] = conn.execute(sa.select(events.c.ledger_index).where(
                        events.c.tender_id == row.tender_id, cond).order_by(order).limit(1)).scalar()
        try:
            env = loads(entry)
            text = views.pretty_json(env)
        except (ValueError, UnicodeDecodeError):
            env, text = None, entry.hex()
        sha, leaf = views.entry_digests(entry)
        label = views.EVENT_LABELS.get(env.get("type", ""), env.get("type", "")) if isinstance(env, dict) else "Log entry"
        return _html("event.html", request=request, index=i, size=size, env=env, text=text, entry_len=len(entry),
                     sha256=sha, leaf_hash=leaf, tender_id=row.tender_id if row else None, label=label,
                     summary=views.summarize(env, {}, {}) if isinstance(env, dict) and "type" in env else "",
                     actor=views.actor_text(env) if isinstance(env, dict) and "actor" in env else "",
                     prev_index=neighbours.get("prev"), next_index=neighbours.get("next"),
                     base=str(request.base_url).rstrip("/"), nav="")

    @r.get("/events/{index}/entry", name="portal_event_entry")
    def event_entry(index: str) -> Response:
        p = get_procurement()
        i = _index(index)
        if i is None or i >= p.log.head().size:
            return _text(f"no entry {index[:40]} in this log\n", "text/plain; charset=utf-8", status=404)
        return _text(p.log.entry(i), "application/json", filename=f"entry-{i}.json")

    @r.get("/events/{index}/proof", name="portal_event_proof")
    def event_proof(index: str) -> Response:
        p = get_procurement()
        i = _index(index)
        if i is None or i >= p.log.head().size:
            return _text(f"no entry {index[:40]} in this log\n", "text/plain; charset=utf-8", status=404)
        try:
            proof = _proof(p, i)
        except LogError as e:
            return _text(f"no proof available yet: {e}\n", "text/plain; charset=utf-8", status=503)
        return _text(proof.format(), "text/plain; charset=utf-8", filename=f"entry-{i}.tlog-proof")

    # --- the log ------------------------------------------------------------------------------

    @r.get("/log", response_class=HTMLResponse, name="portal_log")
    def log_page(request: Request) -> HTMLResponse:
        p = get_procurement()
        status = _log_status(p)
        with p.db.reader.connect() as conn:
            some_event = conn.execute(sa.select(sa.func.max(events.c.ledger_index))).scalar()
        return _html("log.html", request=request, s=status, example=some_event,
                     base=str(request.base_url).rstrip("/"), nav="log")

    @r.get("/verify/log.vkey", name="portal_vkey")
    def vkey() -> Response:
        return _text(get_procurement().log.head().vkey + "\n", "text/plain; charset=utf-8", filename="log.vkey")

    @r.get("/verify/log.tlog-policy", name="portal_policy")
    def policy() -> Response:
        return _text(witnessing.policy(get_procurement().log), "text/plain; charset=utf-8", filename="log.tlog-policy")

    @r.get("/verify/checkpoint", name="portal_checkpoint")
    def checkpoint() -> Response:
        note = _checkpoint(get_procurement())
        if note is None:
            return _text("no checkpoint has been signed yet\n", "text/plain; charset=utf-8", status=404)
        return _text(note, "text/plain; charset=utf-8", filename="checkpoint")

    @r.get("/static/portal.css", name="portal_css")
    def css() -> Response:
        return Response(_css(), media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    return r


def _qs(base: dict[str, str], **extra: str) -> str:
    params = {k: v for k, v in {**base, **extra}.items() if v}
    return "/?" + urlencode(params) if params else "/"


def _similar(p: Procurement, text: str, limit: int = 5) -> list[dict[str, str]]:
    needle = text.strip().lower()[:MAX_QUERY]
    if not needle:
        return []
    with p.db.reader.connect() as conn:
        rows = conn.execute(sa.select(tenders.c.id, tenders.c.title, tenders.c.status).where(sa.or_(
            sa.func.lower(tenders.c.id).contains(needle, autoescape=True),
            sa.func.lower(tenders.c.title).contains(needle, autoescape=True))).order_by(tenders.c.id).limit(limit))
        return [{"id": r.id, "title": r.title, "status": r.status} for r in rows]


def _checkpoint(p: Procurement) -> str | None:
    """The latest checkpoint; when it lags the tree and the log can sign, a fresh one."""
    log = p.log
    note = log.latest_checkpoint()
    if log.signer is not None:
        size = log.head().size
        current = None
        if note is not None:
            try:
                current = Checkpoint.parse(parse_note(note)[0]).size
            except (NoteError, ValueError):
                current = None
        if current != size:
            note = log.checkpoint()
    return note


def _proof(p: Procurement, index: int) -> TlogProof:
    """A tlog-proof of `index`: against a fresh checkpoint when the log can sign, else the latest."""
    log = p.log
    if log.signer is not None:
        return log.tlog_proof(index)
    note = log.latest_checkpoint()
    if note is None:
        raise LogError("no checkpoint has been signed yet")
    cp = Checkpoint.parse(parse_note(note)[0])
    if index >= cp.size:
        raise LogError(f"entry {index} is newer than the latest checkpoint (size {cp.size}); try again shortly")
    return TlogProof(index=index, hashes=log.inclusion_proof(index, cp.size), checkpoint=note)


def _log_status(p: Procurement) -> dict[str, Any]:
    log = p.log
    head = log.head()
    with log.db.reader.connect() as conn:
        witnesses = log.store.witnesses(conn)
        last_cosigned = {name: log.store.last_cosigned_size(conn, name) for name in witnesses}
    note = _checkpoint(p)
    out: dict[str, Any] = {"origin": head.origin, "size": head.size, "vkey": head.vkey,
                           "root": base64.b64encode(head.root).decode(), "note": note, "checkpoint": None,
                           "signatures": [], "witnesses": [], "policy": witnessing.policy(log)}
    by_key: dict[tuple[str, bytes], dict[str, Any]] = {}
    verifiers = [log.log_verifier()]
    for name, vk in witnesses.items():
        try:
            cv = CosignatureVerifier.from_vkey(vk)
        except ValueError:
            continue
        verifiers.append(cv)
        w = {"name": name, "vkey": vk, "cosigned": None, "last_size": last_cosigned.get(name, 0)}
        out["witnesses"].append(w)
        by_key[(cv.name, cv.key_id)] = w
    if note is not None:
        text, sigs = parse_note(note)
        cp = Checkpoint.parse(text)
        out["checkpoint"] = {"origin": cp.origin, "size": cp.size, "root": base64.b64encode(cp.root).decode()}
        try:
            verified = {(s.name, s.key_id) for s in open_note(note, verifiers).sigs}
        except NoteError:
            verified = set()
        for s in sigs:
            w = by_key.get((s.name, s.key_id))
            sig = {"name": s.name, "key_id": s.key_id.hex(), "verified": (s.name, s.key_id) in verified,
                   "kind": "witness cosignature" if w else ("log signature" if s.name == head.origin else "unknown key"),
                   "time": None}
            if w is not None:
                try:
                    ts = cosignature_timestamp(s)
                    sig["time"] = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                except ValueError:
                    pass
                w["cosigned"] = sig["time"] or "yes"
            out["signatures"].append(sig)
    return out
