"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint), §Note text.

A checkpoint body is at least three non-empty newline-terminated lines: the origin, the tree
size in decimal without leading zeros, the base64 root hash, then optional extension lines.
Parsing is strict: `Checkpoint.parse(text).body() == text` for every text it accepts.

The origin is only required to be non-empty: the spec says it SHOULD avoid spaces and '+', and
that clients MUST NOT assume it does. Like every note text it cannot hold control characters.
Tree sizes are limited to 2**63 - 1, the range of Go's tlog (int64) and of witnesses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .merkle import HASH_SIZE
from .note import NoteError, NoteVerifier, OpenedNote, b64decode, b64encode, open_note

MAX_TREE_SIZE = (1 << 63) - 1
MAX_CHECKPOINT_BYTES = 1 << 20
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A checkpoint body is malformed. The message says exactly why."""


def _check_line(value: str, what: str) -> None:
    if not value:
        raise CheckpointError(f"{what} is empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CheckpointError(f"{what} is not valid UTF-8") from None
    for i, ch in enumerate(value):
        if ord(ch) < 0x20:
            raise CheckpointError(f"{what} contains control character U+{ord(ch):04X} at offset {i}")


def parse_decimal(text: str, what: str, limit: int = MAX_TREE_SIZE) -> int:
    """A non-negative ASCII decimal with no leading zeros, at most `limit`."""
    if not _DECIMAL.fullmatch(text):
        raise CheckpointError(f"{what} {text!r} is not a decimal number without leading zeros")
    n = int(text)
    if n > limit:
        raise CheckpointError(f"{what} {n} is larger than {limit}")
    return n


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size, RFC 6962 root hash, opaque extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "checkpoint origin")
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise CheckpointError(f"checkpoint tree size {self.size!r} is not an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"checkpoint tree size {self.size} is not in [0, 2**63 - 1]")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root hash is not {HASH_SIZE} bytes")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for i, ext in enumerate(self.extensions):
            if not isinstance(ext, str):
                raise CheckpointError(f"checkpoint extension line {i + 1} is not a string")
            _check_line(ext, f"checkpoint extension line {i + 1}")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (the note text, without signatures), strictly."""
        if len(text) > MAX_CHECKPOINT_BYTES:
            raise CheckpointError(f"checkpoint is longer than {MAX_CHECKPOINT_BYTES} characters")
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"checkpoint has {len(lines)} lines, fewer than 3")
        origin, size_text, root_text, *extensions = lines
        _check_line(origin, "checkpoint origin")
        size = parse_decimal(size_text, "checkpoint tree size")
        try:
            root = b64decode(root_text, "checkpoint root hash")
        except NoteError as e:
            raise CheckpointError(str(e)) from None
        if len(root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root hash is {len(root)} bytes, not {HASH_SIZE}")
        return cls(origin, size, root, tuple(extensions))


def open_checkpoint(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> tuple[Checkpoint, OpenedNote]:
    """Verify a signed checkpoint note with `verifiers` (NoteError) and parse its body."""
    opened = open_note(note, verifiers)
    return Checkpoint.parse(opened.text), opened
