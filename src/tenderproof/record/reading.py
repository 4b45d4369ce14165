"""What verifying a record bundle reads and what it reports.

The report is a list of lines, each "ok", "FAIL" or "note" with its subject (a member path or a
part of the record), and a summary. `Reading` is the bundle as the checks see it: the zip's
members by path, and what earlier checks made of them (the manifest once its shape is right, the
checkpoint once it parses, the event envelopes once they are JSON objects), so each later check
works from what the earlier ones accepted. The checks themselves are in `verify_manifest`,
`verify_events`, `verify_content`, `verify_litigation` and `verify_vehicle`; `verify` runs them in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tenderproof.ledger.checkpoint import Checkpoint

from .bundle import Manifest, classify


@dataclass(frozen=True)
class Line:
    status: str  # "ok", "FAIL" or "note" (information that does not fail the bundle)
    subject: str
    text: str

    def __str__(self) -> str:
        return f"{self.status:<4} {self.subject}: {self.text}"


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)
    tender: str | None = None
    events: int = 0
    checkpoint: Checkpoint | None = None
    trusted_bundle_key: bool = False

    def ok(self, subject: str, text: str) -> None:
        self.lines.append(Line("ok", subject, text))

    def fail(self, subject: str, text: str) -> None:
        self.lines.append(Line("FAIL", subject, text))

    def note(self, subject: str, text: str) -> None:
        self.lines.append(Line("note", subject, text))

    @property
    def failures(self) -> list[Line]:
        return [ln for ln in self.lines if ln.status == "FAIL"]

    @property
    def valid(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if not self.valid:
            n = len(self.failures)
            return f"invalid: {n} problem{'s' if n != 1 else ''} found in the record" + (
                f" of tender {self.tender}" if self.tender else "")
        cp = self.checkpoint
        assert cp is not None
        trust = " (trusting the key inside the bundle)" if self.trusted_bundle_key else ""
        return (f"valid: the administrative record of tender {self.tender}, {self.events} events, "
                f"proven in log {cp.origin} at tree size {cp.size}{trust}")


@dataclass
class Reading:
    """A bundle being verified: its members and what the checks so far accepted of them."""

    report: Report = field(default_factory=Report)
    members: dict[str, bytes] = field(default_factory=dict)
    manifest: Manifest | None = None  # set once its shape is right
    checkpoint: Checkpoint | None = None  # set once it parses (verified or not)
    note: str | None = None  # the checkpoint's signed note, as in the bundle
    envs: dict[int, dict[str, Any]] = field(default_factory=dict)  # event envelopes by seq
    indexes: dict[int, int] = field(default_factory=dict)  # ledger index by seq, of the events proven

    def of_kind(self, kind: str) -> dict[Any, bytes]:
        """The members of one kind (event, proof, document, confidential), by seq or digest."""
        out = {}
        for path, data in self.members.items():
            m = classify(path)
            if m is not None and m.kind == kind:
                out[m.key] = data
        return out


def as_object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: envelopes are untrusted JSON."""
    return value if isinstance(value, dict) else {}
