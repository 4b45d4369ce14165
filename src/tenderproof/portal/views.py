"""A tender's page, built from public data only.

It is built from two sources, both read through `app.queries`, and nothing else:
- `public_view(state)` (`queries.public_tender`), the one filter of a tender's state that anyone
  may see (the raw state holds confidential ratings and, before the opening, who bid): the state
  never reaches the portal;
- the tender's public event envelopes, exactly as logged (they carry commitments, not
  confidential content, until a `confidential.disclosed` event publishes content with its salt).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

from tenderproof.app import queries
from tenderproof.app.service import Logged, Procurement
from tenderproof.domain.events import EventType

from .labels import event_label, status_label, when
from .page import EventRow, TenderPage
from .record import EVALUATION_TYPES, deadline_history, disclosed_records, dispute_record, sealed_evaluation_count
from .summaries import actor_text, summarize
from .timeline import timeline_svg
from .vehicle import PAGED_EVENTS, order_under_section, related_section, vehicle_section


def bidder_display(v: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    bid_names, bidder_names = {}, {}
    for b in v["bids"]:
        if b["status"] == "opened" and b.get("bidder_name"):
            bid_names[b["id"]] = b["bidder_name"]
            bidder_names[b["bidder"]] = b["bidder_name"]
    for a in v["awards"]:
        bidder_names.setdefault(a["supplier"]["id"], a["supplier"]["name"])
    return bid_names, bidder_names


def phase_of(v: dict[str, Any]) -> str:
    s, periods = v["status"], v["periods"]
    if s == "draft":
        return "Draft: the buyer has not published the solicitation yet."
    if s == "active.enquiries":
        return (f"Enquiries: bidders may ask questions until {when(periods.get('enquiry_end'))}; "
                f"sealed bids are due by {when(periods['tender_end'])}.")
    if s == "active.tendering":
        return (f"Tendering: sealed bids are accepted until {when(periods['tender_end'])}. "
                "Nobody can read them before the opening.")
    if s == "active.opening":
        k = (v.get("opening_key") or {}).get("threshold", v.get("opening_threshold"))
        return (f"Opening: the submission deadline has passed; the bids open when {k} bid-opening officials "
                f"have submitted their key shares ({len(v['shares_submitted'])} so far).")
    if s == "active.evaluation":
        return ("Evaluation: the bids are open and being rated against the stated factors. "
                "Ratings are logged as sealed commitments.")
    if s == "active.awarded":
        if not periods.get("standstill_end"):  # us-far: no standstill, the award is the contract
            return "Awarded: the contract is not yet signed."
        return f"Awarded: the standstill (no contract signature) runs until {when(periods.get('standstill_end'))}."
    if s == "complete" and (v.get("vehicle") or {}).get("parties"):
        n = len(v["vehicle"]["parties"])
        return (f"Awarded to {n} {'party' if n == 1 else 'parties'}: a contract vehicle, under which orders are "
                f"placed until {when(v['vehicle']['ordering_end'])} (as its exercised options extend it).")
    if s == "complete":
        return "Complete: the contract has been signed."
    if s == "cancelled":
        return "Cancelled" + (f": {v['cancellation']['reason']}" if v.get("cancellation") else ".")
    if s == "unsuccessful":
        return "Unsuccessful" + (f": {v['cancellation']['reason']}" if v.get("cancellation") else ".")
    return status_label(s)


def event_rows(events: list[Logged], bid_names: dict[str, str], bidder_names: dict[str, str]) -> list[EventRow]:
    return [EventRow(e.index, e.envelope.get("seq", 0), e.envelope["time"], e.envelope["type"],
                     event_label(e.envelope["type"]), actor_text(e.envelope),
                     summarize(e.envelope, bid_names, bidder_names)) for e in events]


def tender_page(p: Procurement, tender_id: str, orders_before: int | None = None,
                orders_after: int | None = None) -> TenderPage | None:
    v = queries.public_tender(p, tender_id)
    if v is None:
        return None
    vehicle = v.get("vehicle")
    # A vehicle's orders (maybe 10,000) are read a page at a time, not with its other events.
    events = queries.tender_events(p, tender_id, without=PAGED_EVENTS if vehicle else ())
    bid_names, bidder_names = bidder_display(v)
    deadlines, enquiry_end_original = deadline_history(events)
    factor_names = {f["id"]: f["name"] for f in v["factors"]}
    event_of: dict[str, int] = {}
    award_events: dict[str, int] = {}
    for e in events:
        event_of.setdefault(e.envelope["type"], e.index)
        if e.envelope["type"] == EventType.AWARD_DECIDED:
            award_events[e.envelope["payload"].get("id", "")] = e.index
    periods = v["periods"]
    key_dates: list[tuple[str, str | None, str]] = [
        ("Created", v["created"], ""),
        ("Published", v["published"], ""),
    ]
    if periods.get("enquiry_end"):
        key_dates.append(("Enquiry period ends", periods["enquiry_end"], ""))
    moved = len(deadlines) - 1
    key_dates.append(("Submission deadline", periods["tender_end"],
                      f"moved {moved} time{'s' if moved != 1 else ''}" if moved > 0 else ""))
    if v["opened"]:
        key_dates.append(("Bids opened", v["opened"], ""))
    if v["competitive_range"]:
        key_dates.append(("Competitive range set", v["competitive_range"]["date"], ""))
    record = dispute_record(v, events, bidder_names)
    for pr in record["protests"]:
        key_dates.append((f"Protest filed ({pr['protester_name']}, {pr['forum_name']})", pr["filed"],
                          f"{pr['id']}: {pr['outcome'] or 'pending'}"))
    for n, a in enumerate(v["awards"], 1):
        label = "Award" if len(v["awards"]) == 1 else f"Award {n}"
        key_dates.append((label, a["date"], f"to {a['supplier']['name']}"
                          + (f", superseding {a['supersedes']}" if a.get("supersedes") else "")))
        if a.get("standstill_end"):
            key_dates.append(("Standstill ends", a["standstill_end"], a.get("standstill_basis", "")))
    for ca in record["corrective"]:
        key_dates.append(("Corrective action", ca["date"], ca["kind"] or ""))
    if v["contract"]:
        key_dates.append(("Contract signed", v["contract"]["date"], v["contract"].get("id", "")))
        if v["contract"].get("terminated"):
            key_dates.append(("Contract terminated", v["contract"]["terminated"], ""))
    if v["cancellation"]:
        key_dates.append(("Cancelled" if v["status"] == "cancelled" else "Ended", v["cancellation"]["date"],
                          v["cancellation"]["reason"]))
    key_dates.append(("Last event", v["last_event"], ""))
    key_dates = [key_dates[0], *sorted(key_dates[1:-1], key=lambda k: k[1] or ""), key_dates[-1]]
    declarations = [{"official": o, **d} for o, d in sorted(v["declarations"].items(), key=lambda kv: kv[1]["date"])]
    disclosed = disclosed_records(events, bid_names, factor_names)
    page = TenderPage(
        v=v, phase=phase_of(v), bid_names=bid_names, bidder_names=bidder_names, deadlines=deadlines,
        enquiry_end_original=enquiry_end_original, key_dates=key_dates,
        events=event_rows(events, bid_names, bidder_names), event_of=event_of,
        # The evaluation table shows evaluation records; integrity findings show with their incident.
        disclosed=[d for d in disclosed if d["kind"] in EVALUATION_TYPES], declarations=declarations,
        disclosed_content={d["commitment"]: d for d in disclosed},
        factor_names=factor_names, record=record, sealed_evaluation=sealed_evaluation_count(events, v["disclosed"]),
        award_events=award_events, bundle=bundle_offer(v["id"]),
    )
    if vehicle is not None:
        page.vehicle = vehicle_section(p, v, orders_before, orders_after)
        page.orders_left_out = vehicle["orders"]
    if v.get("order_under"):
        page.order_under = order_under_section(p, v)
    page.related = related_section(p, v)
    page.chart = timeline_svg(page)
    return page


def record_filename(tender_id: str) -> str:
    """The file name a tender's public record bundle downloads as (`api.bundles` serves it)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", tender_id) + "-record.zip"


def bundle_offer(tender_id: str) -> dict[str, str]:
    """Where the tender's public record bundle is, and the exact command that verifies it offline."""
    name = record_filename(tender_id)
    return {"url": f"/api/tenders/{quote(tender_id, safe='')}/record.zip", "file": name, "vkey": "/verify/log.vkey",
            "command": f"tenderproof verify {name} --vkey log.vkey"}


def entry_digests(entry: bytes) -> tuple[str, str]:
    """(SHA-256 of the entry, its RFC 9162 leaf hash), hex."""
    return hashlib.sha256(entry).hexdigest(), hashlib.sha256(b"\x00" + entry).hexdigest()
