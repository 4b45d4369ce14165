"""Refusals: every command the domain does not accept raises Refused with a precise reason."""

from __future__ import annotations


class Refused(Exception):
    """A command refused by the procurement rules.

    `code` is stable and machine-readable (for API problem types and tests); `reason` is the
    sentence shown to people. `logged` says whether the refused attempt itself must be recorded
    in the public log (a late bid, a premature opening, a share from an unnamed official, …).
    """

    def __init__(self, code: str, reason: str, *, logged: bool = False) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.logged = logged

    def __str__(self) -> str:
        return self.reason
