"""Content-addressed documents on the filesystem (DESIGN.md §4.4): a file is named by its SHA-256.

Two stores share this code: `documents/` for what may be published (solicitation documents,
sealed bids — ciphertext only) and `private/` for confidential content (opened bids). A file is
written whole or not at all, and every read re-checks the hash, so a damaged or swapped file is
an error, never silently served.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tenderproof.fsutil import atomic_write


class DocumentError(ValueError):
    """A document is missing, or its content does not match its name."""


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
