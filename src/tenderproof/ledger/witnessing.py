"""The log's side of witnessing: whom to ask, what to send, what to keep, what to tell verifiers.

The log keeps its witnesses' public keys (and the URL each serves add-checkpoint under), builds
tlog-witness add-checkpoint requests (the checkpoint plus a consistency proof from the size the
witness last cosigned), verifies the cosignature lines a witness answers with before attaching
them to the checkpoint, and writes the tlog-policy a verifier follows (log key, witness keys,
quorum). A checkpoint is "cosigned" once its cosignatures meet that policy's quorum
(`cosigned_checkpoint`); witness_push sends the requests over HTTP.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

from sqlalchemy.engine import Connection

from . import merkle
from .checkpoint import Checkpoint
from .cosignature import CosignatureVerifier, cosignature_timestamp
from .log import Log, LogError
from .note import NoteError, add_signatures, open_note, parse_note, parse_signature_lines
from .policy import Policy, PolicyError
from .tlogproof import TlogProof

#: How many of the newest cosigned sizes `cosigned_checkpoint` looks at before giving up: the
#: pusher cosigns every checkpoint it sees, so the newest few always include the latest cosigned.
COSIGNED_LOOKBACK = 64


class NotCosigned(LogError):
    """No checkpoint that holds the entry meets the policy's quorum (yet)."""


def check_url(url: str) -> str:
    """A witness's URL: http(s) with a host, no query or fragment; returned without a trailing '/'
    (the pusher POSTs to URL + "/add-checkpoint", tlog-witness's submission prefix)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise LogError(f"not a witness URL (http(s)://host[/prefix], no query): {url!r}")
    return url.rstrip("/")


def add_witness(log: Log, vkey: str, url: str | None = None) -> str:
    """Register a witness by its cosignature verifier key, with the URL it serves add-checkpoint
    under; returns its name. Adding a registered witness again sets its URL (when given)."""
    try:
        verifier = CosignatureVerifier.from_vkey(vkey)
    except ValueError as e:
        raise LogError(f"not a witness (cosignature/v1) verifier key: {e}") from None
    url = None if url is None else check_url(url)
    with log.db.writer.begin() as conn:
        known = log.store.witnesses(conn)
        if known.get(verifier.name) == vkey:
            if url is not None:
                log.store.set_witness_url(conn, verifier.name, url)
            return verifier.name
        if verifier.name in known:
            raise LogError(f"a different key is already registered for witness {verifier.name!r}")
        log.store.add_witness(conn, verifier.name, vkey, url)
    return verifier.name


def witness_request(log: Log, witness: str, old_size: int | None = None, checkpoint: str | None = None) -> str:
    """The add-checkpoint request body for `witness`, for `checkpoint` (default: the latest,
    signed now if needed).

    `old_size` defaults to the largest size this witness has cosigned for us (0 if none); a
    witness that knows better answers 409 with its size, and the request is made again with it.
    """
    note = log.checkpoint() if checkpoint is None else checkpoint
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


def set_quorum(log: Log, quorum: int) -> None:
    """Keep `quorum` as the log's quorum: its policy, and what makes a checkpoint cosigned."""
    with log.db.writer.begin() as conn:
        n = len(log.store.witnesses(conn))
        if not 1 <= quorum <= n:
            raise LogError(f"quorum {quorum} is not between 1 and the {n} witnesses")
        log.store.set_quorum(conn, quorum)


def policy(log: Log, quorum: int | None = None) -> str:
    """A C2SP tlog-policy for verifiers: this log, its witnesses (with their URLs), and `quorum` of
    them (default: the quorum kept by `set_quorum`, else all)."""
    with log.db.reader.connect() as conn:
        head = log.store.head(conn)
        witnesses = log.store.witnesses(conn)
        urls = log.store.witness_urls(conn)
        quorum = log.store.quorum(conn) if quorum is None else quorum
    lines = [f"log {head.vkey}"]
    lines += [" ".join(filter(None, ("witness", name, vkey, urls.get(name)))) for name, vkey in witnesses.items()]
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


def cosigned_checkpoint(log: Log, policy: Policy, conn: Connection | None = None) -> str | None:
    """The newest stored checkpoint note, with its cosignatures, that `policy` accepts (its
    cosignatures meet the quorum), or None."""
    if conn is None:
        with log.db.reader.connect() as c:
            return cosigned_checkpoint(log, policy, c)
    if policy.quorum_met(()):  # `quorum none`: the log's own signature is enough
        return log.latest_checkpoint(conn)
    verifier = log.log_verifier(conn)
    for size in log.store.cosigned_sizes(conn, COSIGNED_LOOKBACK):
        stored = log.store.checkpoint(conn, size)
        if stored is None:
            continue
        note = stored[1] + "".join(line for line in log.store.cosignature_lines(conn, size) if line not in stored[1])
        try:
            policy.verify_checkpoint(note, None if policy.logs else [verifier])
        except PolicyError:
            continue
        return note
    return None


def cosigned_proof(log: Log, index: int, policy: Policy) -> TlogProof:
    """A tlog-proof of entry `index` against the newest checkpoint `policy` accepts; NotCosigned
    if that checkpoint does not hold the entry (or there is none)."""
    with log.db.reader.connect() as conn:
        note = cosigned_checkpoint(log, policy, conn)
        size = Checkpoint.parse(parse_note(note)[0]).size if note is not None else 0
        if note is None or not 0 <= index < size:
            raise NotCosigned(f"not yet cosigned: no checkpoint that holds entry {index} meets the policy's quorum")
        hashes = merkle.inclusion_proof(index, size, log.reader(conn, size))
    return TlogProof(index=index, hashes=hashes, checkpoint=note)
