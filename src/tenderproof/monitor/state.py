"""The monitor's own directory: `state.json`, replaced whole by `fsutil.atomic_write` after each step.

It holds the log followed (its prefix URL, origin and verifier key), the latest checkpoint verified
(the signed note, its size and root), how far the entries are read and verified (`position`, with
the compact range of those entries: the roots of the complete subtrees of [0, position), largest
first, RFC 9162 §2.1.1's decomposition), and every alert raised with its evidence. So a restart
resumes where the last step ended and never reads again what it verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any, TypedDict

from tenderproof.fsutil import atomic_write
from tenderproof.ledger.merkle import EMPTY_ROOT

STATE_FILE = "state.json"
FEED_FILE = "alerts.atom"
#: Alert ids are UUIDv5 in this namespace (RFC 9562 §5.5): the same alert always has the same id.
ALERT_NAMESPACE = uuid.UUID("5b0f6a53-8c1e-4d0e-9a55-2f4b8a1d7c11")


class MonitorError(ValueError):
    """Bad input or an unusable directory: one clear line."""


class Alert(TypedDict):
    id: str  # urn:uuid:…, stable for the same finding, so it is raised once
    time: int
    kind: str  # bad-signature, rollback, fork, inconsistent, bad-entries, split-view, watch
    origin: str
    message: str
    evidence: dict[str, Any]  # the checkpoints (signed notes) or the matching event


class State(TypedDict):
    log: str
    vkey: str
    origin: str
    checkpoint: str | None  # the latest verified signed note
    size: int
    root: str  # base64
    position: int
    frontier: list[str]  # base64 roots of the complete subtrees of [0, position), largest first
    alerts: list[Alert]


def new_state(log: str, vkey: str, origin: str) -> State:
    return {"log": log, "vkey": vkey, "origin": origin, "checkpoint": None, "size": 0,
            "root": base64.b64encode(EMPTY_ROOT).decode(), "position": 0, "frontier": [], "alerts": []}


def load(directory: Path, log: str, vkey: str, origin: str) -> State:
    """The state in `directory`, or a new one; refuses a directory that follows another log."""
    path = Path(directory) / STATE_FILE
    try:
        state: State = json.loads(path.read_text())
    except FileNotFoundError:
        return new_state(log, vkey, origin)
    except (OSError, ValueError) as e:
        raise MonitorError(f"cannot read {path}: {e}") from None
    if (state.get("log"), state.get("vkey")) != (log, vkey):
        raise MonitorError(f"{directory} follows the log {state.get('log')} with key {state.get('vkey')}; "
                           "give each log its own --dir")
    return state


def save(directory: Path, state: State) -> None:
    atomic_write(Path(directory) / STATE_FILE, (json.dumps(state, indent=1, sort_keys=True) + "\n").encode())


def alert_id(kind: str, origin: str, key: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(ALERT_NAMESPACE, f"{kind}\n{origin}\n{key}"))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
