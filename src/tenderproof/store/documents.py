"""Content-addressed documents on the filesystem (DESIGN.md §4.4): a file is named by its SHA-256.

Two stores share this code: `documents/` for what may be published (solicitation documents,
sealed bids — ciphertext only) and `private/` for confidential content (opened bids). A file is
written whole or not at all, and every read re-checks the hash, so a damaged or swapped file is
an error, never silently served.

Uploads arrive in parts (`receive`): each part is hashed and written to a staging file as it
comes, so memory stays bounded whatever the size, and the file is renamed to its digest only
once whole. A download is read in parts too (`stream`), its last part held back until the whole
content has been hashed and found to match its name. An upload's media type is kept beside the
file (`<digest>.type`), written once: the same content uploaded again keeps its first type.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from tenderproof.fsutil import atomic_write, atomic_writer

CHUNK = 1 << 20  # parts of a download: 1 MiB, few system calls, bounded memory


class DocumentError(ValueError):
    """A document is missing, or its content does not match its name."""


class DocumentTooLarge(DocumentError):
    """An upload grew past the size allowed; nothing of it is kept."""


class Incoming:
    """One upload being written: `write` its parts, then `finish` renames it to its digest."""

    def __init__(self, store: DocumentStore, max_size: int) -> None:
        self.store, self.max_size, self.size = store, max_size, 0
        self._hash = hashlib.sha256()
        # A name of its own per upload: concurrent uploads of one process never share a file.
        self.staging = store.root / ".incoming" / secrets.token_hex(16)
        self._writer = atomic_writer(self.staging, mode=0o600)
        self._file = self._writer.__enter__()

    def write(self, part: bytes) -> None:
        self.size += len(part)
        if self.size > self.max_size:
            raise DocumentTooLarge(f"the document is larger than the {self.max_size:,} bytes allowed")
        self._hash.update(part)
        self._file.write(part)

    def finish(self) -> tuple[str, int]:
        """Make the upload durable under its digest; returns (digest, size)."""
        self._writer.__exit__(None, None, None)  # fsync, renamed to the staging name
        digest = self._hash.hexdigest()
        path = self.store.path(digest)
        if path.exists():
            self.staging.unlink(missing_ok=True)  # the same content is already stored
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging, path)
            _fsync_dir(path.parent)
        return digest, self.size

    def abort(self) -> None:
        """Drop the upload; nothing of it stays."""
        with contextlib.suppress(DocumentError):  # the writer removes its file and re-raises this
            self._writer.__exit__(DocumentError, DocumentError("upload aborted"), None)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(ch in "0123456789abcdef" for ch in sha256):
            raise DocumentError(f"not a SHA-256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if not path.exists():
            atomic_write(path, data, mode=0o600)
        return digest

    def get(self, sha256: str) -> bytes:
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise DocumentError(f"document {sha256} is not in {self.root}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DocumentError(f"document {sha256} in {self.root} is damaged: its content has another hash")
        return data

    def __contains__(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def receive(self, max_size: int) -> Incoming:
        """Start an upload of at most `max_size` bytes, written as it arrives."""
        return Incoming(self, max_size)

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise DocumentError(f"document {sha256} is not in {self.root}") from None

    def stream(self, sha256: str, chunk: int = CHUNK) -> Iterator[bytes]:
        """The content in parts; the last part is yielded only once the whole content hashed to
        its name, so a reader never receives a complete but damaged document."""
        try:
            f = self.path(sha256).open("rb")
        except FileNotFoundError:
            raise DocumentError(f"document {sha256} is not in {self.root}") from None
        with f:
            h, held = hashlib.sha256(), f.read(chunk)
            h.update(held)
            while part := f.read(chunk):
                yield held
                h.update(part)
                held = part
            if h.hexdigest() != sha256:
                raise DocumentError(f"document {sha256} in {self.root} is damaged: its content has another hash")
            yield held

    def media_type(self, sha256: str) -> str | None:
        """The media type the document was uploaded with, if it was uploaded with one."""
        try:
            return self._type_path(sha256).read_text().strip() or None
        except FileNotFoundError:
            return None

    def set_media_type(self, sha256: str, media_type: str) -> str:
        """Record the upload's media type unless one is recorded; returns the recorded one."""
        recorded = self.media_type(sha256)
        if recorded is None:
            atomic_write(self._type_path(sha256), media_type.encode(), mode=0o600)
            recorded = media_type
        return recorded

    def _type_path(self, sha256: str) -> Path:
        path = self.path(sha256)
        return path.with_name(path.name + ".type")
