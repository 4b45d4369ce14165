"""C2SP tlog-proof (https://c2sp.org/tlog-proof), §Format: an offline proof of one entry.

    c2sp.org/tlog-proof@v1
    extra <base64>            (optional, unauthenticated application data)
    index <decimal>
    <base64 hash>             (zero or more: the RFC 6962 inclusion proof, leaf side first)
                              (an empty line)
    <signed checkpoint note, verbatim, with any cosignatures>

Parsing is strict and canonical (`TlogProof.parse(t).format() == t`): decimal without leading
zeros, canonical base64, hashes of exactly 32 bytes, at most 63 of them (enough for any tree of
up to 2**63 - 1 leaves), and a checkpoint that is a syntactically valid signed note around a
valid checkpoint body. An empty `extra` is refused: "no extra data" is spelled by omitting the
line (extra=None), so that every proof has one spelling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .checkpoint import Checkpoint, CheckpointError, open_checkpoint, parse_decimal
from .merkle import HASH_SIZE, ProofError, leaf_hash, verify_inclusion
from .note import NoteError, NoteVerifier, b64decode, b64encode, parse_note
from .policy import Policy

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63
MAX_INDEX = (1 << 63) - 2  # the largest index in a tree of at most 2**63 - 1 leaves


class TlogProofError(ValueError):
    """A tlog-proof is malformed or does not prove what it claims. The message says why."""


def _check_checkpoint_note(note: str) -> Checkpoint:
    try:
        text, _sigs = parse_note(note)
        return Checkpoint.parse(text)
    except (NoteError, CheckpointError) as e:
        raise TlogProofError(f"proof checkpoint: {e}") from None


@dataclass
class TlogProof:
    """One entry's index, its inclusion proof, and the signed checkpoint the proof leads to."""

    index: int
    hashes: list[bytes]
    checkpoint: str
    extra: bytes | None = field(default=None)

    def _validate(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or not 0 <= self.index <= MAX_INDEX:
            raise TlogProofError(f"proof index {self.index!r} is not in [0, 2**63 - 2]")
        if len(self.hashes) > MAX_PROOF_HASHES:
            raise TlogProofError(f"proof has {len(self.hashes)} hashes, more than {MAX_PROOF_HASHES}")
        for i, h in enumerate(self.hashes):
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise TlogProofError(f"proof hash {i} is not {HASH_SIZE} bytes")
        if self.extra is not None and (not isinstance(self.extra, bytes) or not self.extra):
            raise TlogProofError("proof extra data is empty: use extra=None to omit the extra line")
        _check_checkpoint_note(self.checkpoint)

    def format(self) -> str:
        """The proof file text (store it with the extension .tlog-proof)."""
        self._validate()
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + b64encode(self.extra))
        lines.append(f"index {self.index}")
        lines.extend(b64encode(h) for h in self.hashes)
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str | bytes) -> TlogProof:
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as e:
                raise TlogProofError(f"proof is not valid UTF-8 (byte {e.start})") from None
        head, sep, checkpoint = text.partition("\n\n")
        if not sep:
            raise TlogProofError("proof has no empty line before the checkpoint")
        lines = head.split("\n")
        if lines[0] != HEADER:
            raise TlogProofError(f"proof does not start with the line {HEADER!r}")
        pos, extra = 1, None
        if pos < len(lines) and lines[pos].startswith("extra "):
            try:
                extra = b64decode(lines[pos][len("extra ") :], "proof extra data")
            except NoteError as e:
                raise TlogProofError(str(e)) from None
            pos += 1
        if pos >= len(lines) or not lines[pos].startswith("index "):
            raise TlogProofError(f"proof line {pos + 1} is not 'index <decimal>'")
        try:
            index = parse_decimal(lines[pos][len("index ") :], "proof index", MAX_INDEX)
        except CheckpointError as e:
            raise TlogProofError(str(e)) from None
        hashes: list[bytes] = []
        for n, line in enumerate(lines[pos + 1 :], pos + 2):
            try:
                h = b64decode(line, f"proof line {n}")
            except NoteError as e:
                raise TlogProofError(f"{e}: expected a base64 hash") from None
            if len(h) != HASH_SIZE:
                raise TlogProofError(f"proof line {n} is a {len(h)}-byte hash, not {HASH_SIZE}")
            hashes.append(h)
        proof = cls(index, hashes, checkpoint, extra)
        proof._validate()
        return proof


def verify_tlog_proof(
    proof: TlogProof,
    entry: bytes,
    verifiers: Iterable[NoteVerifier] | None = None,
    policy: Policy | None = None,
    origin: str | None = None,
) -> Checkpoint:
    """Check that `entry` is at `proof.index` in the checkpointed tree; return the checkpoint.

    Give exactly one trust root: `verifiers` (the log's keys: any one that verifies suffices) or
    `policy` (a tlog-policy: log signature plus witness quorum). If `origin` is given, the
    checkpoint must be of that log. The extra data is NOT authenticated.
    """
    if (verifiers is None) == (policy is None):
        raise TlogProofError("give exactly one of verifiers or policy")
    proof._validate()
    try:
        if policy is not None:
            cp = policy.verify_checkpoint(proof.checkpoint)
        else:
            assert verifiers is not None
            cp, _ = open_checkpoint(proof.checkpoint, verifiers)
    except ValueError as e:
        raise TlogProofError(f"proof checkpoint does not verify: {e}") from e
    if origin is not None and cp.origin != origin:
        raise TlogProofError(f"proof checkpoint is from log {cp.origin!r}, not {origin!r}")
    try:
        verify_inclusion(proof.index, cp.size, leaf_hash(entry), proof.hashes, cp.root)
    except ProofError as e:
        raise TlogProofError(f"inclusion proof does not verify: {e}") from e
    return cp
