"""The portal's pages for checking the log: each entry's exact bytes and its proof, the log's
status (checkpoint, keys, witnesses, policy), and the files a verifier needs."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tenderproof.app import queries
from tenderproof.app.service import Procurement
from tenderproof.ledger import witness_push, witnessing
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.cosignature import CosignatureVerifier, cosignature_timestamp
from tenderproof.ledger.log import LogError
from tenderproof.ledger.note import NoteError, open_note, parse_note
from tenderproof.ledger.tlogproof import TlogProof

from .web import TEXT, ProcurementDep, html, ledger_index, text

router = APIRouter()


@router.get("/events/{index}/entry", name="portal_event_entry")
def event_entry(index: str, p: ProcurementDep) -> Response:
    i = ledger_index(index)
    if i is None or i >= p.log.head().size:
        return text(f"no entry {index[:40]} in this log\n", TEXT, status=404)
    return text(p.log.entry(i), "application/json", filename=f"entry-{i}.json")


@router.get("/events/{index}/proof", name="portal_event_proof")
def event_proof(index: str, p: ProcurementDep) -> Response:
    i = ledger_index(index)
    if i is None or i >= p.log.head().size:
        return text(f"no entry {index[:40]} in this log\n", TEXT, status=404)
    try:
        proof = _proof(p, i)
    except LogError as e:
        return text(f"no proof available yet: {e}\n", TEXT, status=503)
    return text(proof.format(), TEXT, filename=f"entry-{i}.tlog-proof")


@router.get("/log", response_class=HTMLResponse, name="portal_log")
def log_page(request: Request, p: ProcurementDep) -> HTMLResponse:
    return html("log.html", request=request, s=_log_status(p), example=queries.last_event_index(p),
                base=str(request.base_url).rstrip("/"), nav="log")


@router.get("/verify/log.vkey", name="portal_vkey")
def vkey(p: ProcurementDep) -> Response:
    return text(p.log.head().vkey + "\n", TEXT, filename="log.vkey")


@router.get("/verify/log.tlog-policy", name="portal_policy")
def policy(p: ProcurementDep) -> Response:
    return text(witnessing.policy(p.log), TEXT, filename="log.tlog-policy")


@router.get("/verify/checkpoint", name="portal_checkpoint")
def checkpoint(p: ProcurementDep) -> Response:
    note = _checkpoint(p)
    if note is None:
        return text("no checkpoint has been signed yet\n", TEXT, status=404)
    return text(note, TEXT, filename="checkpoint")


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
    # What this process's pusher saw of each witness (None when no pusher runs here): a witness
    # that is down or lying shows here, and does not hold up anything else.
    live = {w.name: w for w in witness_push.status_of(log) or []}
    out["pushing"] = witness_push.status_of(log) is not None
    verifiers = [log.log_verifier()]
    for name, vk in witnesses.items():
        try:
            cv = CosignatureVerifier.from_vkey(vk)
        except ValueError:
            continue
        verifiers.append(cv)
        w: dict[str, Any] = {"name": name, "vkey": vk, "cosigned": None, "last_size": last_cosigned.get(name, 0),
                             "live": live.get(name)}
        out["witnesses"].append(w)
        by_key[(cv.name, cv.key_id)] = w
    if note is not None:
        body, sigs = parse_note(note)
        cp = Checkpoint.parse(body)
        out["checkpoint"] = {"origin": cp.origin, "size": cp.size, "root": base64.b64encode(cp.root).decode()}
        try:
            verified = {(s.name, s.key_id) for s in open_note(note, verifiers).sigs}
        except NoteError:
            verified = set()
        for s in sigs:
            witness = by_key.get((s.name, s.key_id))
            kind = "witness cosignature" if witness else ("log signature" if s.name == head.origin else "unknown key")
            sig: dict[str, Any] = {"name": s.name, "key_id": s.key_id.hex(), "verified": (s.name, s.key_id) in verified,
                                   "kind": kind, "time": None}
            if witness is not None:
                try:
                    ts = cosignature_timestamp(s)
                    sig["time"] = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                except ValueError:
                    pass
                witness["cosigned"] = sig["time"] or "yes"
            out["signatures"].append(sig)
    return out
