"""Event envelopes: what one procurement event looks like in the public log.

An envelope is RFC 8785 canonical JSON: `v`, `type`, `tender`, `seq` (the tender's own event
counter), `time`, `actor` {id, role}, `payload` (public), and `confidential`, a salted SHA-256
commitment "sha256:<hex>" to the confidential part when there is one (DESIGN.md §4.3). When
the actor itself is confidential (who submitted a sealed bid), the envelope names only the role
and the actor is inside the commitment.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

import rfc8785

VERSION = 1
SEALED_ACTOR_KEY = "_actor"


# RFC 8785 numbers are ECMAScript doubles: integers outside this range have no exact form.
_SAFE_INTEGER = 2**53 - 1
# Sorted keys, no whitespace, no ASCII escaping: Python's C encoder, for the projection's state and
# for the canonical form wherever it writes RFC 8785's bytes (`canonical`).
_SORTED = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON of `value`.

    For the values events carry (objects, arrays, strings, safe integers, booleans, null) JCS and
    Python's C JSON encoder with sorted keys, no whitespace and no ASCII escaping agree byte for
    byte: both escape exactly `"`, `\\` and the C0 controls (\\b \\f \\n \\r \\t, else \\u00xx
    in lower-case hex), and sorting keys by code point is sorting by UTF-16 code unit while no
    key leaves the Basic Multilingual Plane. Anything else (a float, a key beyond the BMP, an
    integer JCS cannot represent, a type JSON does not have) goes to the `rfc8785` package, which
    formats it or refuses it. tests/app/test_canonical.py holds the two to the same bytes.
    """
    try:
        # First, because the encoder refuses a cycle, which would keep `_plain` walking forever.
        text = _SORTED.encode(value).encode("utf-8")
    except (TypeError, ValueError):  # a cycle, a lone surrogate...: rfc8785 says what is wrong
        return rfc8785.dumps(value)
    return text if _plain(value) else rfc8785.dumps(value)


def _plain(value: Any) -> bool:
    """Whether `value` holds only what JCS and json.dumps write identically (see `canonical`)."""
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is str or t is bool or v is None:
            continue
        if t is int:
            if -_SAFE_INTEGER <= v <= _SAFE_INTEGER:
                continue
            return False
        if t is dict:
            for k in v:
                if type(k) is not str or not (k.isascii() or max(k) <= "\uffff"):
                    return False
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)
        else:
            return False
    return True


def commit(salt: bytes, content: dict[str, Any]) -> str:
    """The salted commitment to a confidential payload: sha256(salt || canonical JSON)."""
    return "sha256:" + hashlib.sha256(salt + canonical(content)).hexdigest()


@dataclass(frozen=True)
class Sealed:
    """A confidential payload with its salt, ready to be stored privately."""

    commitment: str
    salt: bytes
    content: dict[str, Any]

    @classmethod
    def of(cls, content: dict[str, Any]) -> Sealed:
        salt = os.urandom(32)
        return cls(commit(salt, content), salt, content)

    def verify(self) -> bool:
        return commit(self.salt, self.content) == self.commitment


def content_of(confidential: dict[str, Any] | None, actor: dict[str, str], seal_actor: bool) -> dict[str, Any]:
    """What an event's commitment commits to: its confidential part, with the actor if sealed."""
    content = dict(confidential or {})
    if seal_actor:
        content[SEALED_ACTOR_KEY] = actor
    return content


def build(
    *, type: str, tender: str, seq: int, time: str, actor: dict[str, str], payload: dict[str, Any],
    confidential: dict[str, Any] | None, seal_actor: bool = False, prepared: Sealed | None = None,
) -> tuple[dict[str, Any], Sealed | None]:
    """(public envelope, sealed confidential part or None). `prepared` is used as the sealed part
    if it holds exactly this content (made beforehand, outside the writer's batch)."""
    content = content_of(confidential, actor, seal_actor)
    if not content:
        sealed = None
    elif prepared is not None and prepared.content == content:
        sealed = prepared
    else:
        sealed = Sealed.of(content)
    env: dict[str, Any] = {
        "v": VERSION, "type": type, "tender": tender, "seq": seq, "time": time,
        "actor": {"role": actor["role"]} if seal_actor else actor, "payload": payload,
    }
    if sealed is not None:
        env["confidential"] = sealed.commitment
    return env, sealed


def full_event(env: dict[str, Any], content: dict[str, Any] | None) -> dict[str, Any]:
    """The envelope as the domain folds it: confidential content in place of the commitment."""
    full = dict(env)
    content = dict(content or {})
    actor = content.pop(SEALED_ACTOR_KEY, None)
    if actor is not None:
        full["actor"] = actor
    full["confidential"] = content or None
    return full


def dumps_state(state: dict[str, Any]) -> str:
    """State as stored in the projection: keys sorted, so equal states are equal strings. (Not
    signed or hashed, so not held to RFC 8785: a float is written as Python writes it.)"""
    return _SORTED.encode(state)


def loads(text: str) -> Any:
    return json.loads(text)
