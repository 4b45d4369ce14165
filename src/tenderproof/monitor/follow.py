"""The monitor: follows one log over HTTP, checks every checkpoint against the last, reads and
checks every new entry, compares its view with its peers', and raises alerts.

Each round (`poll`):
1. GET the checkpoint; its signature must verify with the log key the monitor was given (never
   one the log serves). A bad signature, a smaller size (rollback), the same size with another
   root (fork), or a larger one that the tiles' consistency proof (RFC 9162 §2.1.4) does not
   join to the last (inconsistent) is an alert that keeps both notes, and the monitor stays
   where it was.
2. Read the new entries from the entry bundles, a step of `STEP` entries at a time: the compact
   range over [0, position) extended by the step gives the root at its end, which must be the
   checkpoint's root or join it by a consistency proof from the tiles. Only then are the step's
   watchlist matches raised and the state saved, so what was verified is never read again.
3. GET each peer's checkpoint (another monitor's or a witness's): signed by the same key, of
   the same origin, it must agree with ours: the same root at our size, or one a consistency
   proof from the tiles joins to ours when smaller. Otherwise: split view, both notes kept.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tenderproof.ledger import merkle
from tenderproof.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from tenderproof.ledger.cosignature import verifier_from_vkey
from tenderproof.ledger.note import NoteError
from tenderproof.ledger.tiles import TILE_WIDTH, TileCache, TileHashReader

from . import compact
from .remote import FetchError, Remote
from .state import Alert, MonitorError, State, alert_id, digest, load, save
from .watch import Match, Watchlist

STEP = 64 * TILE_WIDTH  # entries verified and saved together
SINGULAR = {"companies": "company", "officials": "official", "classifications": "classification",
            "buyers": "buyer"}


class Monitor:
    def __init__(self, directory: Path, log_url: str, vkey: str, watchlist: Watchlist | None = None,
                 peers: Sequence[str] = (), clock: Callable[[], float] = time.time) -> None:
        try:
            self.verifier = verifier_from_vkey(vkey)
        except (NoteError, ValueError) as e:
            raise MonitorError(f"not a log verifier key: {e}") from None
        self.dir = Path(directory)
        self.origin = self.verifier.name
        self.remote = Remote(log_url)
        self.state: State = load(self.dir, self.remote.url, vkey.strip(), self.origin)
        self.watchlist = watchlist
        self.peers = [Remote(p) for p in peers]
        self.clock = clock
        self.new: list[Alert] = []  # raised since the last `take_new`
        self._ids = {a["id"] for a in self.state["alerts"]}

    # --- one round -----------------------------------------------------------------------------

    def poll(self) -> list[Alert]:
        """One round: the log's checkpoint, its new entries, the peers. Returns the new alerts."""
        note = self.remote.note()
        cp = self._checked(note)
        if cp is not None and self._extends(cp, note):
            self._read_entries()
        for peer in self.peers:
            self.check_peer(peer)
        return self.take_new()

    def take_new(self) -> list[Alert]:
        new, self.new = self.new, []
        return new

    def held(self) -> tuple[int, bytes]:
        return self.state["size"], base64.b64decode(self.state["root"])

    def _checked(self, note: str) -> Checkpoint | None:
        try:
            cp, _ = open_checkpoint(note, [self.verifier])
        except (NoteError, CheckpointError) as e:
            self._alert("bad-signature", f"the log's checkpoint does not verify with its key: {e}",
                        {"held": self.state["checkpoint"], "offered": note}, digest(note))
            return None
        return cp

    def _extends(self, cp: Checkpoint, note: str) -> bool:
        """Whether `cp` is ours or extends it (then it becomes ours); else an alert."""
        size, root = self.held()
        evidence = {"held": self.state["checkpoint"], "offered": note}
        if cp.size < size:
            self._alert("rollback", f"the log went back from size {size} to {cp.size}", evidence, digest(note))
            return False
        if cp.size == size:
            if cp.root != root:
                self._alert("fork", f"two checkpoints of size {size} with different roots", evidence, digest(note))
                return False
            return True
        if size > 0:
            reader = self._reader(cp.size)
            try:
                proof = merkle.consistency_proof(size, cp.size, reader)
                merkle.verify_consistency(size, cp.size, proof, root, cp.root)
            except merkle.ProofError as e:
                self._alert("inconsistent", f"the checkpoint of size {cp.size} does not extend size {size}: {e}",
                            evidence, digest(note))
                return False
        self.state["checkpoint"], self.state["size"] = note, cp.size
        self.state["root"] = base64.b64encode(cp.root).decode()
        save(self.dir, self.state)
        return True

    def _reader(self, size: int) -> TileHashReader:
        # A fresh cache per check: tiles from a log caught lying never answer for another check.
        return TileHashReader(size, self.remote.tile_fetch(size), TileCache())

    # --- entries -------------------------------------------------------------------------------

    def _read_entries(self) -> None:
        size, root = self.held()
        reader = self._reader(size)
        while self.state["position"] < size:
            start = self.state["position"]
            end = min(size, (start // TILE_WIDTH) * TILE_WIDTH + STEP)
            frontier = [base64.b64decode(h) for h in self.state["frontier"]]
            entries = list(self.remote.entries(start, end, size))  # a step: at most STEP entries
            frontier, pos = compact.extend(frontier, start, entries)
            matches = self._matches(start, entries)
            step_root = compact.root(frontier)
            try:
                if end == size:
                    if step_root != root:
                        raise merkle.ProofError("the entries' root is not the checkpoint's")
                else:
                    merkle.verify_consistency(end, size, merkle.consistency_proof(end, size, reader), step_root, root)
            except merkle.ProofError as e:
                self._alert("bad-entries", f"the entry bundles [{start}, {end}) do not hash to the checkpoint of "
                            f"size {size}: {e}", {"held": self.state["checkpoint"]}, f"{size}:{start}:{end}")
                return
            for index, entry, m in matches:
                self._watch_alert(index, entry, m)
            self.state["position"] = pos
            self.state["frontier"] = [base64.b64encode(h).decode() for h in frontier]
            save(self.dir, self.state)

    def _matches(self, start: int, entries: list[bytes]) -> list[tuple[int, bytes, Match]]:
        if self.watchlist is None:
            return []
        return [(i, e, m) for i, e in enumerate(entries, start) for m in self.watchlist.matches(e)]

    def _watch_alert(self, index: int, entry: bytes, m: Match) -> None:
        env = json.loads(entry)  # decoded again only for the few entries that match
        self._alert("watch", f"{SINGULAR[m.category]} {m.term!r} in "
                    f"{env.get('type')} of {env.get('tender')} (entry {index}, {m.path})",
                    {"index": index, "category": m.category, "term": m.term, "path": m.path, "value": m.value,
                     "type": env.get("type"), "tender": env.get("tender")}, f"{index}:{m.category}:{m.term}",
                    durable=False)

    # --- peers ---------------------------------------------------------------------------------

    def check_peer(self, peer: Remote) -> None:
        """Compare a peer's checkpoint of this log with ours; a split view is an alert."""
        try:
            note = peer.note("")
            cp, _ = open_checkpoint(note, [self.verifier])
        except (FetchError, NoteError, CheckpointError):
            return  # a peer that is down or serves something else is no evidence against the log
        size, root = self.held()
        if cp.size > size or size == 0 or self.state["checkpoint"] is None:
            return  # not checkable yet: our view is behind the peer's
        evidence = {"held": self.state["checkpoint"], "offered": note, "peer": peer.url}
        try:
            if cp.size == size:
                if cp.root != root:
                    raise merkle.ProofError(f"the roots at size {size} differ")
            elif cp.size > 0:
                proof = merkle.consistency_proof(cp.size, size, self._reader(size))
                merkle.verify_consistency(cp.size, size, proof, cp.root, root)
        except merkle.ProofError as e:
            self._alert("split-view", f"peer {peer.url} holds a checkpoint of size {cp.size} that does not agree "
                        f"with ours of size {size}: {e}", evidence, digest(note) + digest(self.state["checkpoint"]))
        except FetchError:
            return

    # --- alerts --------------------------------------------------------------------------------

    def _alert(self, kind: str, message: str, evidence: dict[str, Any], key: str, durable: bool = True) -> None:
        """Raise an alert once: the same finding seen again on the next round is not new.
        `durable=False`: saved with the step that raised it (watchlist matches)."""
        aid = alert_id(kind, self.origin, key)
        if aid in self._ids:
            return
        self._ids.add(aid)
        alert: Alert = {"id": aid, "time": int(self.clock()), "kind": kind, "origin": self.origin,
                        "message": message, "evidence": evidence}
        self.state["alerts"].append(alert)
        if durable:
            save(self.dir, self.state)
        self.new.append(alert)
