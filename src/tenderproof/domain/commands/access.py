"""Commands that read or disclose a confidential part, each logged (rules in domain/access.py;
DESIGN.md §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import Command, check_text


@dataclass(frozen=True)
class ReadConfidential(Command):
    """A read of confidential content (a bid's plaintext, a narrative): allowed, then logged."""

    item: str
    purpose: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_text(self.item, "item", 200)
        check_text(self.purpose, "purpose", 500)


@dataclass(frozen=True)
class Disclose(Command):
    """Publish confidential payloads with their salts, so anyone can check them against the log."""

    items: list[dict[str, Any]]  # {"commitment", "salt" (hex), "content"}
