"""The log's side of witnessing: whom to ask, what to send, what to keep, what to tell verifiers.

The log keeps its witnesses' public keys, builds tlog-witness add-checkpoint requests (the
checkpoint plus a consistency proof from the size the witness last cosigned), verifies the
cosignature lines a witness answers with before attaching them to the checkpoint, and writes
the tlog-policy a verifier follows (log key, witness keys, quorum).
"""

from __future__ import annotations

import base64

from .checkpoint import Checkpoint
from .cosignature import CosignatureVerifier, cosignature_timestamp
from .log import Log, LogError
from .note import NoteError, add_signatures, open_note, parse_note, parse_signature_lines


def add_witness(log: Log, vkey: str) -> str:
    """Register a witness by its cosignature verifier key; returns its name."""
    try:
        verifier = CosignatureVerifier.from_vkey(vkey)
    except ValueError as e:
        raise LogError(f"not a witness (cosignature/v1) verifier key: {e}") from None
    with log.db.writer.begin() as conn:
        known = log.store.witnesses(conn)
        if known.get(verifier.name) == vkey:
            return verifier.name
        if verifier.name in known:
            raise LogError(f"a different key is already registered for witness {verifier.name!r}")
        log.store.add_witness(conn, verifier.name, vkey)
    return verifier.name


def witness_request(log: Log, witness: str, old_size: int | None = None) -> str:
    """The add-checkpoint request body for `witness`, for the latest checkpoint.

    `old_size` defaults to the largest size this witness has cosigned for us (0 if none); a
    witness that knows better answers 409 with its size, and the request is made again with it.
    """
    note = log.checkpoint()
    with log.db.reader.connect() as conn:
        if witness not in log.store.witnesses(conn):
            raise LogError(f"unknown witness {witness!r}; add it with `tenderproof log witness add VKEY`")
        cp = Checkpoint.parse(parse_note(note)[0])
        old = log.store.last_cosigned_size(conn, witness) if old_size is None else old_size
        if not 0 <= old <= cp.size:
            raise LogError(f"old size {old} is not between 0 and the checkpoint's size {cp.size}")
        proof = log.consistency_proof(old, cp.size, conn) if 0 < old < cp.size else []
    lines = [f"old {old}"] + [base64.b64encode(h).decode() for h in proof]
    return "\n".join(lines) + "\n\n" + note


def add_cosignatures(log: Log, lines: str, size: int | None = None) -> list[str]:
    """Verify and attach cosignature lines to the stored checkpoint of `size` (default: latest).

    Lines from unknown keys are ignored, as tlog-witness requires; a line from a known witness
    that does not verify is refused, and nothing is stored. Returns the witnesses that cosigned.
    """
    with log.db.writer.begin() as conn:
        stored = log.store.checkpoint(conn, size)
        if stored is None:
            which = "yet" if size is None else f"of size {size}"
            raise LogError(f"no checkpoint {which} to attach cosignatures to")
        cp_size, note = stored
        witnesses = {name: CosignatureVerifier.from_vkey(v) for name, v in log.store.witnesses(conn).items()}
        try:
            sigs = parse_signature_lines(lines)
            combined = add_signatures(note, lines)
            opened = open_note(combined, [*witnesses.values(), log.log_verifier(conn)])
        except NoteError as e:
            raise LogError(f"cosignatures refused: {e}") from None
        by_key = {(v.name, v.key_id): v for v in witnesses.values()}
        accepted = []
        for s in opened.sigs:
            if (s.name, s.key_id) in by_key and s in sigs:
                log.store.add_cosignature(conn, cp_size, s.name, s.key_id, s.line, cosignature_timestamp(s))
                accepted.append(s.name)
        return accepted


def policy(log: Log, quorum: int | None = None) -> str:
    """A C2SP tlog-policy for verifiers: this log, its witnesses, and `quorum` of them (default all)."""
    with log.db.reader.connect() as conn:
        head = log.store.head(conn)
        witnesses = log.store.witnesses(conn)
    lines = [f"log {head.vkey}"]
    lines += [f"witness {name} {vkey}" for name, vkey in witnesses.items()]
    if not witnesses:
        if quorum:
            raise LogError(f"a quorum of {quorum} needs witnesses; this log has none")
        lines.append("quorum none")
    else:
        k = len(witnesses) if quorum is None else quorum
        if not 1 <= k <= len(witnesses):
            raise LogError(f"quorum {k} is not between 1 and the {len(witnesses)} witnesses")
        lines.append(f"group witnesses {k} {' '.join(witnesses)}")
        lines.append("quorum witnesses")
    return "\n".join(lines) + "\n"
