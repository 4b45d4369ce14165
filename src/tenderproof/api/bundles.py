"""A tender's public record bundle over HTTP: `GET /api/tenders/{tender_id}/record.zip`.

The same bundle `tenderproof record export TENDER` writes for the public role (`record.export`):
every event of the tender with its tlog-proof to one signed checkpoint, the log's key and the
public documents; anyone verifies it offline with `tenderproof verify FILE --vkey log.vkey`.

A public export logs nothing (only court and auditor exports are accesses), so this read changes
no state; it may sign the checkpoint of the current size if none is stored yet (one per size, the
same note for every caller). Bundles are built one at a time (each is held in memory while it is
zipped) and kept per (tender, its event count): an unchanged tender's bundle stays complete and
valid as the log grows, so it is served again without rebuilding. A tender whose bundle would be
larger than `TENDERPROOF_MAX_RECORD_BUNDLE` bytes (default 256 MiB) is refused before any work,
with the command that exports it.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time.
import os
import threading
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from tenderproof.app import queries
from tenderproof.app.service import Procurement
from tenderproof.ledger import witness_push
from tenderproof.portal.views import record_filename
from tenderproof.record.bundle import RecordError
from tenderproof.record.export import export_record

from .problems import PROBLEM_SCHEMA, problem, responses
from .security import ProcurementDep

router = APIRouter(tags=["tenders"])
TenderId = Annotated[str, Path(max_length=100, description="The tender's identifier")]

DEFAULT_MAX_BYTES = 256 << 20
CACHE_BYTES = 64 << 20  # bundles kept in memory, at most, per process
PER_EVENT = 65_535 + 4_096  # an entry at its largest, and its tlog-proof: a bound, never an underestimate
ZIP_OVERHEAD = 200  # per member: local header, central directory entry, name


def max_bytes() -> int:
    raw = os.environ.get("TENDERPROOF_MAX_RECORD_BUNDLE", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_BYTES


def estimate(v: dict[str, Any]) -> int:
    """An upper bound of a public bundle's size from the public view: its events, the documents
    the tender lists and the sealed bids (the public members, `record.bundle.PUBLIC_KINDS`)."""
    docs = sum(int(d.get("size") or 0) for d in v["documents"]) + sum(int(b["sealed_size"]) for b in v["bids"])
    members = 2 * v["events"] + len(v["documents"]) + len(v["bids"]) + 3
    return v["events"] * PER_EVENT + docs + members * ZIP_OVERHEAD + 64 * 1024


class Bundles:
    """Built bundles by (tender, event count), least recently served dropped first past `budget`."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget = budget
        self.build = threading.Lock()  # one bundle in memory being built at a time
        self.lock = threading.Lock()
        self.kept: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    def get(self, key: tuple[str, int]) -> bytes | None:
        with self.lock:
            data = self.kept.get(key)
            if data is not None:
                self.kept.move_to_end(key)
            return data

    def put(self, key: tuple[str, int], data: bytes) -> None:
        if len(data) > self.budget:
            return
        with self.lock:
            for old in [k for k in self.kept if k[0] == key[0]]:
                del self.kept[old]  # an older bundle of the same tender is superseded
            self.kept[key] = data
            while sum(len(d) for d in self.kept.values()) > self.budget:
                self.kept.popitem(last=False)


_guard = threading.Lock()


def bundles(request: Request) -> Bundles:
    """The app's bundle cache (`app.state.record_bundles`), made on first use."""
    with _guard:
        made = getattr(request.app.state, "record_bundles", None)
        if not isinstance(made, Bundles):
            made = Bundles()
            request.app.state.record_bundles = made
        return made


def public_bundle(p: Procurement, cache: Bundles, tender_id: str, events: int) -> bytes:
    key = (tender_id, events)
    data = cache.get(key)
    if data is None:
        with cache.build:
            data = cache.get(key)
            if data is None:
                data = export_record(p, tender_id, "public", cosign=witness_push.cosign_now).data
                cache.put(key, data)
    return data


OK = {200: {"description": "The bundle (a zip file)", "content": {"application/zip": {}}},
      **responses(404),
      503: {"description": "Too large to serve here, or the log cannot sign a checkpoint",
            "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}}


@router.get("/tenders/{tender_id}/record.zip", response_class=Response, responses=OK,
            summary="The tender's public record bundle, verified offline with `tenderproof verify`")
def record_bundle(tender_id: TenderId, request: Request, p: ProcurementDep) -> Response:
    v = queries.public_tender(p, tender_id)
    if v is None:
        return problem(404, "not-found", f"no tender {tender_id}")
    limit, bound = max_bytes(), estimate(v)
    if bound > limit:
        return problem(503, "record-too-large",
                       f"the record bundle of {tender_id} may be up to {bound:,} bytes, more than this server "
                       f"serves ({limit:,}); the operator exports it with `tenderproof record export {tender_id}`")
    try:
        data = public_bundle(p, bundles(request), tender_id, v["events"])
    except RecordError as e:
        return problem(503, "record-unavailable", str(e))
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{record_filename(tender_id)}"',
        "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
