"""Commands that read or disclose a confidential part, each logged (rules in domain/access.py;
DESIGN.md §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import AUDITOR, BUYER, EVALUATOR, HCA, OPENING_OFFICIAL, REVIEWER, SSA
from .base import Command, InvalidCommand, check_id, check_text

#: Roles whose grant on a tender is a public event: the officials (DESIGN.md §2) and oversight,
#: whose reads are logged under their names anyway. Never a bidder's: who may bid is not public,
#: and a grant on the log would hint at who bid.
PUBLIC_GRANTS = (BUYER, EVALUATOR, SSA, OPENING_OFFICIAL, HCA, REVIEWER, AUDITOR)


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
    """Give confidential payloads with their salts to the public (`to` empty), so anyone can check
    them against the log, or to one offeror only (`to` its bidder id); the tender's regime says
    which is lawful (`domain.disclosure`)."""

    items: list[dict[str, Any]]  # {"commitment", "salt" (hex), "content", "source" (event type), "bid"?}
    to: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.to:
            check_id(self.to, "offeror id")
        for item in self.items:
            if not isinstance(item, dict) or not isinstance(item.get("commitment"), str) \
                    or not isinstance(item.get("salt"), str) or not isinstance(item.get("content"), dict):
                raise InvalidCommand("each item needs its commitment, salt and content")
            if not isinstance(item.get("source", ""), str) or not isinstance(item.get("bid", ""), (str, type(None))):
                raise InvalidCommand("an item's source is the event type that logged its commitment, its bid a bid id")


@dataclass(frozen=True)
class GrantRole(Command):
    """Let a person act in an official role on this tender (the door; the panel rules still apply)."""

    person: str
    role: str

    def __post_init__(self) -> None:
        super().__post_init__()
        check_id(self.person, "person id")
        if self.role not in PUBLIC_GRANTS:
            raise InvalidCommand(f"role {self.role!r} is not an official role ({', '.join(PUBLIC_GRANTS)})")


@dataclass(frozen=True)
class RevokeRole(GrantRole):
    """Withdraw a person's official role on this tender."""
