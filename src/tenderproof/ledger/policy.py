"""C2SP tlog-policy (https://c2sp.org/tlog-policy): trusted logs, witnesses and the quorum.

§Policy file syntax and structure, line by line (fields split on runs of space/tab):

    log <vkey> [<url>]                         Ed25519 (0x01) vkey; its name is the log's origin
    witness <name> <vkey> [<url>]              cosignature/v1 (0x04) vkey
    group <name> all|any|<k> <name>...         k of the n members, 1 <= k <= n
    quorum <name>                              exactly once; `none` requires no cosignature

Blank lines and lines whose first non-blank character is '#' are ignored ('#' elsewhere is an
ordinary character). Every line ends with a newline; the only control characters allowed are
tab and newline; octets >= 0x80 are opaque (decoded with surrogateescape, so names compare as
octet strings). Names are defined before use, once; `none` is predefined and cannot be a group
member; a name is a group member at most once in the whole file, and two logs (or two
witnesses) may not wrap the same public key.

A checkpoint is valid if one policy log whose key name equals the checkpoint's origin signed it
and the verified cosignatures of the policy's witnesses satisfy the quorum.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .checkpoint import Checkpoint, CheckpointError
from .cosignature import CosignatureVerifier
from .note import Ed25519Verifier, NoteError, NoteVerifier, open_note, parse_note

NONE = "none"
_DIGITS = re.compile(r"[0-9]+")
_BAD_OCTETS = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


class PolicyError(ValueError):
    """A policy file is malformed, or a checkpoint does not satisfy the policy."""


@dataclass(frozen=True)
class PolicyLog:
    verifier: Ed25519Verifier
    url: str | None = None


@dataclass(frozen=True)
class PolicyWitness:
    name: str
    verifier: CosignatureVerifier
    url: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


class Policy:
    """A parsed tlog-policy. Build one with Policy.parse."""

    def __init__(
        self,
        logs: Iterable[PolicyLog],
        witnesses: Iterable[PolicyWitness],
        groups: Iterable[Group],
        quorum: str,
    ) -> None:
        self.logs = tuple(logs)
        self.witnesses = {w.name: w for w in witnesses}
        self.groups = {g.name: g for g in groups}
        self.quorum = quorum

    # --- parsing -------------------------------------------------------------------------------

    @classmethod
    def parse(cls, data: str | bytes) -> Policy:
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        if raw and not raw.endswith(b"\n"):
            raise PolicyError("policy file does not end with a newline")
        p = _Parser()
        for n, line in enumerate(raw.split(b"\n")[:-1] if raw else [], 1):
            bad = _BAD_OCTETS.search(line)
            if bad:
                raise PolicyError(f"line {n}: octet 0x{bad.group()[0]:02x} is not allowed in a policy file")
            fields = re.split(r"[ \t]+", line.decode("utf-8", "surrogateescape").strip(" \t"))
            if fields == [""] or fields[0].startswith("#"):
                continue
            try:
                p.line(fields)
            except (PolicyError, NoteError) as e:
                raise PolicyError(f"line {n}: {e}") from None
        if p.quorum is None:
            raise PolicyError("policy file has no quorum line")
        return cls(p.logs, p.witnesses, p.groups, p.quorum)

    # --- verification --------------------------------------------------------------------------

    def quorum_met(self, cosigners: Iterable[str]) -> bool:
        """Whether the witnesses named in `cosigners` (policy names) satisfy the quorum."""
        have = set(cosigners)

        def met(name: str) -> bool:
            if name == NONE:
                return True
            if name in self.witnesses:
                return name in have
            g = self.groups[name]
            return sum(met(m) for m in g.members) >= g.threshold

        return met(self.quorum)

    def verify_checkpoint(self, note: str | bytes, log_verifiers: Iterable[NoteVerifier] | None = None) -> Checkpoint:
        """The checkpoint of `note` if the policy accepts it, else PolicyError.

        The log keys are the policy's logs named after the checkpoint origin, or `log_verifiers`
        (also filtered by origin) for a policy whose logs are known from context.
        """
        try:
            text, _ = parse_note(note)
            cp = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as e:
            raise PolicyError(f"checkpoint note is malformed: {e}") from None
        candidates = [log.verifier for log in self.logs] if log_verifiers is None else list(log_verifiers)
        logs = [v for v in candidates if v.name == cp.origin]
        if not logs:
            raise PolicyError(f"policy has no log for origin {cp.origin!r}")
        by_key = {(w.verifier.name, w.verifier.key_id): w.name for w in self.witnesses.values()}
        try:
            opened = open_note(note, [*logs, *(w.verifier for w in self.witnesses.values())])
        except NoteError as e:
            raise PolicyError(f"checkpoint note does not verify: {e}") from None
        verified = {(s.name, s.key_id) for s in opened.sigs}
        if not any((v.name, v.key_id) in verified for v in logs):
            raise PolicyError(f"checkpoint is not signed by a policy log for origin {cp.origin!r}")
        cosigners = sorted(by_key[k] for k in verified if k in by_key)
        if not self.quorum_met(cosigners):
            got = ", ".join(cosigners) or "none"
            raise PolicyError(
                f"cosignatures from {len(cosigners)} witnesses ({got}) do not satisfy quorum {self.quorum!r}"
            )
        return cp


class _Parser:
    def __init__(self) -> None:
        self.logs: list[PolicyLog] = []
        self.witnesses: list[PolicyWitness] = []
        self.groups: list[Group] = []
        self.quorum: str | None = None
        self.names: set[str] = {NONE}
        self.members: set[str] = set()

    def line(self, f: list[str]) -> None:
        keyword, args = f[0], f[1:]
        if keyword == "log":
            self.log(args)
        elif keyword == "witness":
            self.witness(args)
        elif keyword == "group":
            self.group(args)
        elif keyword == "quorum":
            self.set_quorum(args)
        else:
            raise PolicyError(f"unknown keyword {keyword!r}")

    def log(self, args: list[str]) -> None:
        if len(args) not in (1, 2):
            raise PolicyError("a log line is 'log <vkey> [<url>]'")
        v = Ed25519Verifier.from_vkey(args[0])
        if any(log.verifier.public_key == v.public_key for log in self.logs):
            raise PolicyError(f"duplicate log: the key of {args[0]!r} is already a log")
        self.logs.append(PolicyLog(v, args[1] if len(args) == 2 else None))

    def witness(self, args: list[str]) -> None:
        if len(args) not in (2, 3):
            raise PolicyError("a witness line is 'witness <name> <vkey> [<url>]'")
        self.define(args[0])
        v = CosignatureVerifier.from_vkey(args[1])
        if any(w.verifier.public_key == v.public_key for w in self.witnesses):
            raise PolicyError(f"duplicate witness: the key of {args[1]!r} is already a witness")
        self.witnesses.append(PolicyWitness(args[0], v, args[2] if len(args) == 3 else None))
        self.names.add(args[0])

    def group(self, args: list[str]) -> None:
        if len(args) < 3:
            raise PolicyError("a group line is 'group <name> all|any|<k> <name>...' with at least one member")
        name, k_text, members = args[0], args[1], args[2:]
        self.define(name)
        if k_text == "all":
            k = len(members)
        elif k_text == "any":
            k = 1
        elif _DIGITS.fullmatch(k_text) and 1 <= int(k_text) <= len(members):
            k = int(k_text)
        else:
            raise PolicyError(f"group {name!r} threshold {k_text!r} is not all, any or k in 1..{len(members)}")
        for m in members:
            if m == NONE:
                raise PolicyError(f"group {name!r} lists 'none', which cannot be a group member")
            if m not in self.names:
                raise PolicyError(f"group {name!r} member {m!r} is not defined on an earlier line")
            if m in self.members:
                raise PolicyError(f"{m!r} is listed as a group member more than once")
            self.members.add(m)
        self.groups.append(Group(name, k, tuple(members)))
        self.names.add(name)

    def set_quorum(self, args: list[str]) -> None:
        if len(args) != 1:
            raise PolicyError("a quorum line is 'quorum <name>'")
        if self.quorum is not None:
            raise PolicyError("policy file has more than one quorum line")
        if args[0] not in self.names:
            raise PolicyError(f"quorum {args[0]!r} is not defined on an earlier line")
        self.quorum = args[0]

    def define(self, name: str) -> None:
        if name in self.names:
            raise PolicyError(f"name {name!r} is already defined")
