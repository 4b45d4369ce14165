"""Projections are disposable: drop them and replay the ledger to the identical state.

`rebuild` replays every procurement envelope in the log (other entries are skipped), joins each
confidential part from the private store after checking it against its commitment, and folds
the events through the same `evolve` and the same projection code the live service uses.
`rebuild(check=True)` does the replay in a transaction it rolls back, and reports whether the
rebuilt projections equal the live ones, row for row. OCDS releases link documents under `p`'s
public URL (`Procurement(public_url=…)`): the same setting rebuilds the same releases, another
moves every release to it (`publication.stale_stored_release` finds releases stored otherwise).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof.domain import evolve
from tenderproof.domain.rows import settle
from tenderproof.domain.tender import TenderState
from tenderproof.store.schema import PROJECTIONS, confidential

from . import envelope
from .service import Logged, Procurement

CHUNK = 4096
_ENVELOPE_KEYS = {"type", "tender", "seq", "payload"}


class RebuildError(RuntimeError):
    """The ledger and the private store disagree: a payload is missing or does not match."""


@dataclass
class RebuildReport:
    events: int = 0
    tenders: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def snapshot(conn: Connection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table in PROJECTIONS:
        pk = list(table.primary_key.columns)
        rows = conn.execute(sa.select(table).order_by(*pk))
        out[table.name] = [envelope.canonical({k: _plain(v) for k, v in r._mapping.items()}).decode() for r in rows]
    return out


def differences(live: dict[str, list[str]], rebuilt: dict[str, list[str]]) -> list[str]:
    """One line per table whose rebuilt rows differ from the live ones, naming a first difference."""
    out = []
    for name in rebuilt:
        a, b = live[name], rebuilt[name]
        if a != b:
            extra = sorted(set(a) - set(b))[:1] + sorted(set(b) - set(a))[:1]
            out.append(f"{name}: {len(a)} live rows, {len(b)} rebuilt; first difference: "
                       f"{extra[0][:200] if extra else 'row order'}")
    return out


def _plain(v):
    return v.hex() if isinstance(v, (bytes, memoryview)) else v


def parse_envelope(raw: bytes) -> dict | None:
    """The procurement envelope in a log entry, or None for entries of other kinds."""
    try:
        env = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(env, dict) and env.get("v") == envelope.VERSION and env.keys() >= _ENVELOPE_KEYS:
        return env
    return None


def replay(p: Procurement, conn: Connection) -> RebuildReport:
    report = RebuildReport()
    for table in reversed(PROJECTIONS):
        conn.execute(sa.delete(table))
    size = p.log.head(conn).size
    states: dict[str, TenderState] = {}
    for start in range(0, size, CHUNK):
        for offset, raw in enumerate(p.log.entries(start, min(size, start + CHUNK), conn)):
            env = parse_envelope(raw)
            if env is None:
                continue
            content = None
            if "confidential" in env:
                row = conn.execute(sa.select(confidential.c.salt, confidential.c.content, confidential.c.until_opening)
                                   .where(confidential.c.commitment == env["confidential"])).first()
                if row is None:
                    raise RebuildError(f"entry {start + offset}: confidential payload {env['confidential']} is missing")
                if not row.until_opening:  # what was sealed to the opening key was never folded in
                    content = envelope.loads(row.content)
                    if envelope.commit(bytes(row.salt), content) != env["confidential"]:
                        raise RebuildError(f"entry {start + offset}: the stored confidential payload does not match "
                                           "its commitment")
            tender = env["tender"]
            before = states.get(tender)
            after = evolve(before, envelope.full_event(env, content))
            p.project(conn, tender, before["events"] if before else 0, [Logged(start + offset, env)], [(before, after)])
            states[tender] = settle(after)  # `before` is not used again
            report.events += 1
    report.tenders = len(states)
    return report


def rebuild(p: Procurement, check: bool = False) -> RebuildReport:
    with p.db.writer.connect() as conn:
        trans = conn.begin()
        try:
            live = snapshot(conn) if check else None
            report = replay(p, conn)
            if live is None:
                trans.commit()
            else:
                report.differences += differences(live, snapshot(conn))
                trans.rollback()
        except BaseException:
            if trans.is_active:
                trans.rollback()
            raise
    return report
