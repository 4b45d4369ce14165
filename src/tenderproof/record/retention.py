"""Retention and litigation holds: a tender's documents may be purged once no longer needed,
never while a litigation hold is on it.

Interim storage: holds live in `holds.json` in the data directory, written atomically under a
file lock, with the history of every hold placed and lifted. They belong in the log (a
`hold.placed` / `hold.lifted` event) with a projection table; until then this file is the
whole truth, and it is not covered by the log's integrity guarantees.

A purge deletes only the tender's public stored documents (solicitation documents, sealed-bid
ciphertexts, debriefings); the log keeps their SHA-256, so the record stays verifiable and an
export afterwards lists them as withheld ("not in the document store"). Private content (opened
bids, confidential payloads) is not touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypedDict

import sqlalchemy as sa

from tenderproof.app.service import Procurement
from tenderproof.domain import Actor, Refused
from tenderproof.domain.model import AUDITOR, BUYER, ENDED, HCA, REVIEWER, iso, parse_time
from tenderproof.fsutil import atomic_write
from tenderproof.store.schema import events

from .bundle import PRIVATE_STORE_KINDS, references

HOLDS_FILE = "holds.json"
HOLD_ROLES = (REVIEWER, AUDITOR, BUYER, HCA)


class Hold(TypedDict):
    """A litigation hold in force: why, who placed it (id and role), and when (ISO 8601)."""

    reason: str
    actor: dict[str, str]
    placed: str


class HoldChange(TypedDict):
    """One line of the history: a hold placed or lifted."""

    action: str  # placed | lifted
    tender: str
    reason: str
    actor: dict[str, str]
    time: str


class HoldsFile(TypedDict):
    """The whole of holds.json."""

    version: int
    holds: dict[str, Hold]  # by tender id
    history: list[HoldChange]


def holds_path(p: Procurement) -> Path:
    return p.documents.root.parent / HOLDS_FILE


@contextlib.contextmanager
def _locked(p: Procurement) -> Iterator[HoldsFile]:
    """The holds file's content, under an exclusive lock across processes; saved if changed."""
    path = holds_path(p)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(HOLDS_FILE + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        state: HoldsFile
        try:
            state = json.loads(path.read_text())
        except FileNotFoundError:
            state = {"version": 1, "holds": {}, "history": []}
        before = json.dumps(state, sort_keys=True)
        yield state
        if json.dumps(state, sort_keys=True) != before:
            atomic_write(path, (json.dumps(state, sort_keys=True, indent=2) + "\n").encode())
    finally:
        os.close(fd)  # releases the lock


def holds(p: Procurement) -> dict[str, Hold]:
    """The holds in force, by tender id."""
    with _locked(p) as state:
        return dict(state["holds"])


def _check(p: Procurement, tender_id: str, reason: str, actor: Actor) -> None:
    if actor.role not in HOLD_ROLES:
        raise Refused("forbidden-role", f"a {actor.role} cannot place or lift a litigation hold "
                      f"(only {', '.join(HOLD_ROLES)})")
    if not reason.strip():
        raise Refused("no-reason", "a litigation hold is placed and lifted with a reason (the case, the order)")
    if p.state(tender_id) is None:
        raise Refused("not-found", f"no tender {tender_id}")


def place_hold(p: Procurement, tender_id: str, reason: str, actor: Actor) -> Hold:
    """Put `tender_id` under a litigation hold; idempotent while one is in force (the first stays)."""
    _check(p, tender_id, reason, actor)
    now = iso(p.clock())
    with _locked(p) as state:
        held = state["holds"].get(tender_id)
        if held is not None:
            return held
        hold: Hold = {"reason": reason, "actor": actor.as_dict(), "placed": now}
        state["holds"][tender_id] = hold
        state["history"].append({"action": "placed", "tender": tender_id, "reason": reason,
                                 "actor": actor.as_dict(), "time": now})
        return hold


def lift_hold(p: Procurement, tender_id: str, reason: str, actor: Actor) -> Hold:
    """Lift the hold on `tender_id`; returns the hold that was lifted."""
    _check(p, tender_id, reason, actor)
    now = iso(p.clock())
    with _locked(p) as state:
        held = state["holds"].pop(tender_id, None)
        if held is None:
            raise Refused("no-hold", f"tender {tender_id} has no litigation hold to lift")
        state["history"].append({"action": "lifted", "tender": tender_id, "reason": reason,
                                 "actor": actor.as_dict(), "time": now})
        return held


def purge_documents(p: Procurement, tender_id: str, older_than: datetime | timedelta) -> list[str]:
    """Delete the tender's public stored documents once it has ended and been quiet since `older_than`.

    `older_than` is a cutoff time, or an age (the cutoff is then the clock minus it). Refused
    under a litigation hold, for a tender still running, or one with an event after the cutoff.
    A document another tender also refers to is kept. Returns the digests deleted.
    """
    cutoff = p.clock() - older_than if isinstance(older_than, timedelta) else older_than
    with _locked(p) as state:  # held throughout: a hold placed meanwhile waits for the purge, or stops it
        hold = state["holds"].get(tender_id)
        if hold is not None:
            a = hold["actor"]
            raise Refused("litigation-hold", f"tender {tender_id} is under a litigation hold placed {hold['placed']} "
                          f"by {a['id']} ({a['role']}): {hold['reason']}; "
                          "no record of it may be deleted until the hold is lifted")
        s = p.state(tender_id)
        if s is None:
            raise Refused("not-found", f"no tender {tender_id}")
        if s["status"] not in ENDED:
            raise Refused("still-needed",
                          f"tender {tender_id} is {s['status']}: its documents are needed until it ends")
        if parse_time(s["last_event"]) > cutoff:
            raise Refused("retention-period", f"tender {tender_id} had an event at {s['last_event']}, "
                          f"after the retention cutoff {iso(cutoff)}")
        digests = sorted({r.sha256 for lg in p.events(tender_id) for r in references(lg.envelope)
                          if r.kind not in PRIVATE_STORE_KINDS})
        deleted = []
        with p.db.reader.connect() as conn:
            for d in digests:
                shared = conn.execute(sa.select(events.c.ledger_index).where(
                    events.c.tender_id != tender_id, events.c.envelope.contains(d)).limit(1)).first()
                if shared is None and d in p.documents:
                    p.documents.path(d).unlink(missing_ok=True)
                    deleted.append(d)
        return deleted
