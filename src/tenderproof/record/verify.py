"""Offline verification of a record bundle: every check reports a line, and says exactly what fails.

What rests on what:
- the checkpoint is signed by the log key you trust (`--vkey`), or satisfies your tlog-policy
  (log key and witness quorum, `--policy`); with neither, the key inside the bundle is used, and
  the report says so;
- each event's exact bytes are proven included in that checkpoint by its tlog-proof, so no byte
  of an event can change; the envelope names its tender and its seq, so an event of another
  tender (with a perfectly valid proof) is caught by its `tender` field, a removed event by the
  gap in the seqs, and a reordered one by a seq that is not its file's;
- documents are named by their SHA-256 and referenced by digest from the events; confidential
  payloads are checked against the salted commitments in the events;
- manifest.json lists every file with its SHA-256 and size, and checksums itself; nothing in it
  is trusted that the signed events do not confirm (its hashes catch damage; what an attacker
  who rewrites it cannot forge is the log's signature).

Limit: a bundle cut short at the end (the latest events dropped and the manifest rewritten)
looks complete offline; compare its last event with the live log's timeline.

This module reads the zip and runs the checks in order: the manifest and its file list
(`verify_manifest`), the checkpoint and the events it proves (`verify_events`), what the events
themselves must bear out (`verify_litigation`: administrative-record filings; `verify_vehicle`: a
vehicle's orders within its ceiling, to its parties, in its ordering period), then the content
resting on those events (`verify_content`). The report is `reading.Report`.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections import Counter

from tenderproof.ledger.policy import Policy

from .bundle import classify
from .reading import Line, Reading, Report
from .verify_content import check_confidential, check_documents
from .verify_events import check_checkpoint, check_events
from .verify_litigation import check_record_filings
from .verify_manifest import check_files, check_manifest
from .verify_vehicle import check_vehicle

__all__ = ["MAX_BUNDLE_BYTES", "MAX_MEMBER_BYTES", "Line", "Report", "verify_record"]

MAX_MEMBER_BYTES = 1 << 31
#: All members together, uncompressed: verification holds them in memory, and a zip of a few MB
#: can declare (and inflate to) gigabytes. 2 GiB holds a record with dozens of sealed bids in the
#: largest default bucket (64 MiB) besides its documents; a larger record is verified with a
#: larger `max_bytes` (`--max-bytes` of `tenderproof verify` and `tenderproof record verify`).
MAX_BUNDLE_BYTES = 1 << 31


def verify_record(data: bytes, *, policy: Policy | None = None, vkey: str | None = None,
                  max_bytes: int = MAX_BUNDLE_BYTES) -> Report:
    """Verify a record bundle (the zip's bytes) against a policy, a log key, or (neither) its own key.
    A bundle whose members come to more than `max_bytes` uncompressed is refused unread."""
    if policy is not None and vkey is not None:
        raise ValueError("give at most one of policy and vkey")
    b = Reading()
    if not _read_zip(b, data, max_bytes):
        return b.report
    check_manifest(b)
    check_files(b)
    check_checkpoint(b, policy, vkey)
    check_events(b)
    check_record_filings(b)
    check_vehicle(b)
    check_confidential(b)
    check_documents(b)
    return b.report


def _read_zip(b: Reading, data: bytes, max_bytes: int) -> bool:
    """Read the members into `b`, failing duplicates, strays and unreadable ones; False if no zip,
    or if its members come to more than `max_bytes` (as declared, or as read)."""
    r = b.report
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        r.fail("bundle", f"not a readable zip file: {e}")
        return False
    declared = sum(i.file_size for i in zf.infolist())
    if declared > max_bytes:
        r.fail("bundle", f"its members would take {declared} bytes uncompressed, more than the verifier's cap of "
                         f"{max_bytes} bytes (a zip bomb? if not, raise the cap with --max-bytes); nothing was read")
        return False
    left = max_bytes  # what may still be read, whatever the zip declares
    counts = Counter(i.filename for i in zf.infolist())
    for name, k in sorted(counts.items()):
        if k > 1:
            r.fail(name, f"appears {k} times in the zip: which one is the record?")
    for info in zf.infolist():
        name = info.filename
        if counts[name] > 1:
            continue
        if classify(name) is None:
            r.fail(name, "has no place in the record layout (an unexpected file)")
            continue
        if info.file_size > MAX_MEMBER_BYTES:
            r.fail(name, f"is {info.file_size} bytes, more than a record member may be")
            continue
        try:
            with zf.open(info) as f:
                content = f.read(min(info.file_size, left) + 1)  # inflating no more than declared
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, ValueError) as e:
            r.fail(name, f"cannot be read from the zip: {e}")
            continue
        if len(content) > left:
            b.members.clear()
            r.fail("bundle", f"its members inflate to more than the verifier's cap of {max_bytes} bytes "
                             "(a zip bomb? if not, raise the cap with --max-bytes)")
            return False
        left -= len(content)
        b.members[name] = content
    return True
