"""Verifying a bundle's manifest and its file list.

manifest.json must have exactly the fields `bundle.manifest_bytes` writes, each of the right
shape, in its one serialization, with a self-checksum that matches; then every file it lists
must be in the zip with the SHA-256 and size it gives, and every file in the zip must be listed.
None of this is trusted beyond catching damage: what the manifest says about the record (the
tender, the events, the checkpoint size, what was withheld) is checked against the signed events
by `verify_events` and `verify_content`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from .bundle import (
    FORMAT,
    MANIFEST,
    MANIFEST_FIELDS,
    ROLES,
    WITHHELD_KINDS,
    WITHHELD_REASONS,
    classify,
    dump_json,
    self_digest,
)
from .reading import Reading

_HEX64 = re.compile(r"[0-9a-f]{64}")


def check_manifest(b: Reading) -> None:
    r = b.report
    raw = b.members.get(MANIFEST)
    if raw is None:
        r.fail(MANIFEST, "missing: nothing says what the bundle should hold")
        return
    try:
        m = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        r.fail(MANIFEST, f"is not valid JSON: {e}")
        return
    problems = manifest_problems(m)
    for p in problems:
        r.fail(MANIFEST, p)
    if problems:
        return
    before = len(r.failures)
    if dump_json(m) != raw:
        r.fail(MANIFEST, "is not in its one serialization (sorted keys, 2-space indent): it was edited")
    if m["self_sha256"] != self_digest(m):
        r.fail(MANIFEST, "its self_sha256 checksum does not match its content: it was changed")
    b.manifest = m
    r.tender = m["tender"]
    if len(r.failures) == before:
        r.ok(MANIFEST, f"{m['format']} by {m['tool']}: tender {m['tender']}, role {m['role']}, "
                       f"{m['events']} events, {len(m['files'])} files")


def check_files(b: Reading) -> None:
    r, m = b.report, b.manifest
    if m is None:
        return
    before = len(r.failures)
    listed = {f["path"]: f for f in m["files"]}
    for path, f in listed.items():
        if path == MANIFEST or classify(path) is None:
            r.fail(MANIFEST, f"lists {path!r}, which has no place in the record layout")
            continue
        data = b.members.get(path)
        if data is None:
            r.fail(path, "listed in the manifest but missing from the bundle")
            continue
        got = hashlib.sha256(data).hexdigest()
        if got != f["sha256"] or len(data) != f["size"]:
            r.fail(path, f"changed: SHA-256 {got[:16]}… and {len(data)} bytes, "
                         f"the manifest says {f['sha256'][:16]}… and {f['size']} bytes")
    for path in sorted(b.members):
        if path != MANIFEST and path not in listed:
            r.fail(path, "in the bundle but not listed in the manifest")
    if len(r.failures) == before:
        r.ok("files", f"all {len(listed)} files are present and match the manifest's SHA-256 and sizes")


def manifest_problems(m: Any) -> list[str]:
    """What is wrong with the shape of a parsed manifest.json (nothing: it is a `bundle.Manifest`)."""
    if not isinstance(m, dict):
        return ["is not a JSON object"]
    out = []
    missing, extra = MANIFEST_FIELDS - set(m), set(m) - MANIFEST_FIELDS
    if missing:
        out.append(f"lacks the field(s) {', '.join(sorted(missing))}")
    if extra:
        out.append(f"has unexpected field(s) {', '.join(sorted(extra))}")
    if out:
        return out

    def nat(v: Any, lo: int = 0) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= lo

    if m["format"] != FORMAT:
        out.append(f"format {m['format']!r} is not {FORMAT!r}")
    if not (isinstance(m["tool"], str) and m["tool"].startswith("tenderproof ")):
        out.append(f"tool {m['tool']!r} is not 'tenderproof <version>'")
    if not isinstance(m["tender"], str) or not m["tender"]:
        out.append("tender is not a tender id")
    if m["role"] not in ROLES:
        out.append(f"role {m['role']!r} is not one of {', '.join(ROLES)}")
    if not nat(m["events"]):
        out.append("events is not a count")
    if not nat(m["checkpoint_size"]):
        out.append("checkpoint_size is not a tree size")
    if m["access_event"] is not None and not nat(m["access_event"], 1):
        out.append("access_event is neither null nor an event seq")
    w = m["withheld"]
    if not (isinstance(w, list) and all(
            isinstance(x, dict) and set(x) == {"kind", "sha256", "reason"} and x["kind"] in WITHHELD_KINDS
            and isinstance(x["sha256"], str) and _HEX64.fullmatch(x["sha256"]) and x["reason"] in WITHHELD_REASONS
            for x in w)):
        out.append("withheld is not a list of {kind, sha256, reason} with known kinds and reasons")
    elif len({(x["kind"], x["sha256"]) for x in w}) != len(w):
        out.append("withheld lists an item twice")
    f = m["files"]
    if not (isinstance(f, list) and all(
            isinstance(x, dict) and set(x) == {"path", "sha256", "size"} and isinstance(x["path"], str)
            and isinstance(x["sha256"], str) and _HEX64.fullmatch(x["sha256"]) and nat(x["size"]) for x in f)):
        out.append("files is not a list of {path, sha256, size}")
    elif [x["path"] for x in f] != sorted({x["path"] for x in f}):
        out.append("files are not listed once each, sorted by path")
    return out
