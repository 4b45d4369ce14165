"""A witness (C2SP tlog-witness): cosigns a log's checkpoints only if they extend what it saw.

A witness is an independent party — a court, a newspaper, an NGO — so it keeps its own state in
its own directory, never in the log's database: its Ed25519 cosignature key (`witness.key`,
mode 0600) and `state.json` with, per trusted log (by origin), the log's verifier keys and the
latest checkpoint it cosigned. Anything that looks like log misbehaviour (a second checkpoint of
the same size with another root, a consistency proof that does not verify) is refused and both
checkpoints are kept under `evidence` in the state.

`add_checkpoint` implements the add-checkpoint call of tlog-witness: check, cosign and persist
happen atomically under an exclusive file lock, and the state is replaced by rename after fsync,
so a crash leaves either the old state or the new one.
"""

from __future__ import annotations

import base64
import fcntl
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from tenderproof.fsutil import atomic_write
from tenderproof.ledger import merkle
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.cosignature import CosignatureSigner, verifier_from_vkey
from tenderproof.ledger.note import NoteError, open_note, parse_note

KEY_FILE = "witness.key"
STATE_FILE = "state.json"
MAX_PROOF_LINES = 63


class LogState(TypedDict):
    """What the witness holds of one trusted log: its keys and the latest checkpoint it cosigned."""

    vkeys: list[str]
    size: int
    root: str | None  # base64; None until the first cosigned checkpoint of size > 0
    checkpoint: str | None


class Evidence(TypedDict):
    """A refused checkpoint that looks like log misbehaviour, kept with the one the witness held."""

    origin: str
    reason: str
    time: int
    held: str | None
    offered: str


class WitnessState(TypedDict):
    """The whole of `state.json`: the trusted logs by origin, and the evidence kept."""

    logs: dict[str, LogState]
    evidence: list[Evidence]


class WitnessError(ValueError):
    """A refused add-checkpoint request; `status` is the tlog-witness HTTP status code."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class WitnessConflict(WitnessError):
    """409: the old size is not the witness's latest size (which `size` tells), or a fork."""

    status = 409

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


@dataclass(frozen=True)
class Request:
    """A parsed add-checkpoint request body."""

    old_size: int
    proof: list[bytes]
    note: str

    @classmethod
    def parse(cls, body: bytes | str) -> Request:
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
        except UnicodeDecodeError:
            raise WitnessError("request is not UTF-8") from None
        head, sep, note = text.partition("\n\n")
        if not sep:
            raise WitnessError("request has no empty line before the checkpoint")
        lines = (head + "\n").split("\n")[:-1]
        first = lines[0]
        if not first.startswith("old ") or not _decimal(first[4:]):
            raise WitnessError(f"first line must be 'old <size>', got {first[:40]!r}")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise WitnessError(f"request has {len(lines) - 1} proof lines, more than {MAX_PROOF_LINES}")
        proof = []
        for i, line in enumerate(lines[1:], 1):
            try:
                h = base64.b64decode(line, validate=True)
            except ValueError:
                raise WitnessError(f"proof line {i} is not base64") from None
            if len(h) != merkle.HASH_SIZE or base64.b64encode(h).decode() != line:
                raise WitnessError(f"proof line {i} is not one canonical base64 SHA-256 hash")
            proof.append(h)
        return cls(int(first[4:]), proof, note)

    def format(self) -> str:
        lines = [f"old {self.old_size}"] + [base64.b64encode(h).decode() for h in self.proof]
        return "\n".join(lines) + "\n\n" + self.note


def _decimal(s: str) -> bool:
    return s.isascii() and s.isdigit() and (s == "0" or not s.startswith("0"))


class Witness:
    """A witness over its own directory. Create with `Witness.init`, open with `Witness(dir)`."""

    def __init__(self, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self.dir = Path(directory)
        self.clock = clock
        try:
            key = (self.dir / KEY_FILE).read_text().strip()
        except FileNotFoundError:
            raise WitnessError(f"no witness in {self.dir}; run `tenderproof witness init`") from None
        self.signer = CosignatureSigner.from_skey(key, clock=clock)

    @classmethod
    def init(cls, directory: Path, name: str, clock: Callable[[], float] = time.time) -> Witness:
        """Create the witness key and empty state; idempotent for the same name."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        key_path = d / KEY_FILE
        if key_path.exists():
            w = cls(d, clock)
            if w.signer.name != name:
                raise WitnessError(f"{d} already holds witness {w.signer.name!r}, not {name!r}")
            return w
        signer = CosignatureSigner.generate(name)
        atomic_write(key_path, (signer.skey + "\n").encode(), mode=0o600)
        atomic_write(d / STATE_FILE, _dump(_empty_state()))
        return cls(d, clock)

    @property
    def vkey(self) -> str:
        return self.signer.vkey

    @property
    def name(self) -> str:
        return self.signer.name

    def state(self) -> WitnessState:
        try:
            state: WitnessState = json.loads((self.dir / STATE_FILE).read_text())
        except FileNotFoundError:
            return _empty_state()
        return state

    @contextmanager
    def _locked(self) -> Iterator[WitnessState]:
        """Hold the witness's exclusive lock; yield its state; the caller saves what changes."""
        with open(self.dir / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield self.state()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _save(self, state: WitnessState) -> None:
        atomic_write(self.dir / STATE_FILE, _dump(state))

    def trust_log(self, vkey: str) -> str:
        """Trust a log key for the origin it names; returns the origin."""
        verifier = verifier_from_vkey(vkey)
        with self._locked() as state:
            new: LogState = {"vkeys": [], "size": 0, "root": None, "checkpoint": None}
            log = state["logs"].setdefault(verifier.name, new)
            if vkey not in log["vkeys"]:
                log["vkeys"].append(vkey)
            self._save(state)
        return verifier.name

    def add_checkpoint(self, body: bytes | str) -> str:
        """Handle one add-checkpoint request: the cosignature line, or WitnessError."""
        req = Request.parse(body)
        try:
            text, _ = parse_note(req.note)
            cp = Checkpoint.parse(text)
        except ValueError as e:
            raise WitnessError(f"checkpoint is malformed: {e}") from None
        with self._locked() as state:
            log = state["logs"].get(cp.origin)
            if log is None:
                raise WitnessError(f"unknown log origin {cp.origin!r}", status=404)
            try:
                open_note(req.note, [verifier_from_vkey(v) for v in log["vkeys"]])
            except NoteError as e:
                raise WitnessError(f"checkpoint is not signed by a trusted key of {cp.origin}: {e}", 403) from None
            if req.old_size > cp.size:
                raise WitnessError(f"old size {req.old_size} is larger than the checkpoint's size {cp.size}")
            held = log["size"]
            if req.old_size != held:
                raise WitnessConflict(f"old size {req.old_size} is not the latest cosigned size {held}", held)
            held_root = base64.b64decode(log["root"]) if log["root"] else None
            if cp.size == held and held_root is not None and cp.root != held_root:
                self._keep_evidence(state, cp.origin, "fork: same size, different root", log["checkpoint"], req)
                raise WitnessConflict(f"checkpoint of size {cp.size} has a different root than the one cosigned", held)
            if held == 0:
                if req.proof:
                    raise WitnessError("the consistency proof must be empty when the old size is 0")
            elif cp.size > held:
                assert held_root is not None  # a cosigned size above 0 is always stored with its root
                try:
                    merkle.verify_consistency(held, cp.size, req.proof, held_root, cp.root)
                except merkle.ProofError as e:
                    self._keep_evidence(state, cp.origin, f"inconsistent: {e}", log["checkpoint"], req)
                    raise WitnessError(f"consistency proof from {held} to {cp.size} fails: {e}", 422) from None
            elif req.proof:
                raise WitnessError("the consistency proof must be empty when the sizes are equal")
            line = self.signer.cosignature_line(text, int(self.clock()))
            log["size"], log["root"], log["checkpoint"] = cp.size, base64.b64encode(cp.root).decode(), req.note
            self._save(state)
            return line

    def _keep_evidence(self, state: WitnessState, origin: str, reason: str, held: str | None, req: Request) -> None:
        # Once per pair of checkpoints (by their signed text, not the note's signature lines or
        # the proof, which anyone can vary): a replayed request must not grow the state forever.
        offered = parse_note(req.note)[0]
        for kept in state["evidence"]:
            if kept["origin"] == origin and kept["held"] == held and _checkpoint_text(kept["offered"]) == offered:
                return
        state["evidence"].append(
            {"origin": origin, "reason": reason, "time": int(self.clock()), "held": held, "offered": req.format()}
        )
        self._save(state)


def _checkpoint_text(request: str) -> str:
    """The signed checkpoint text of a kept add-checkpoint request."""
    return parse_note(request.partition("\n\n")[2])[0]


def _empty_state() -> WitnessState:
    return {"logs": {}, "evidence": []}


def _dump(state: WitnessState) -> bytes:
    return (json.dumps(state, indent=1, sort_keys=True) + "\n").encode()
