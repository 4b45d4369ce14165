"""The one exception the seal package raises for every refusal.

It subclasses ValueError because every refusal is about a bad input (a wrong share, a tampered
blob, a malformed key); callers that already handle ValueError keep working, and callers that
want to tell sealing problems apart catch SealError. Messages are one line and name the problem,
never secret material.
"""

from __future__ import annotations


class SealError(ValueError):
    """A sealing operation was refused; the message says exactly why."""
