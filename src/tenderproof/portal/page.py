"""What a tender's page shows, as data: built by `views.tender_page`, drawn by the templates and
by `timeline.timeline_svg`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EventRow:
    index: int
    seq: int
    time: str
    type: str
    label: str
    actor: str
    summary: str


@dataclass
class TenderPage:
    v: dict[str, Any]  # the public view
    phase: str
    bid_names: dict[str, str]  # bid id -> bidder name, opened bids only
    bidder_names: dict[str, str]  # bidder id -> name, from opened bids
    deadlines: list[dict[str, Any]]  # submission deadline history, oldest first
    enquiry_end_original: str | None
    key_dates: list[tuple[str, str | None, str]]  # (label, time, note)
    events: list[EventRow]
    event_of: dict[str, int]  # first ledger index of each event type
    disclosed: list[dict[str, Any]]  # disclosed evaluation records
    declarations: list[dict[str, Any]]
    chart: Any = None  # the timeline SVG (Markup)
    factor_names: dict[str, str] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)  # protests, stays, integrity (dispute_record)
    sealed_evaluation: int = 0
    award_events: dict[str, int] = field(default_factory=dict)  # award id -> ledger index
    disclosed_content: dict[str, dict[str, Any]] = field(default_factory=dict)  # commitment -> disclosed record
    flags: list[Any] = field(default_factory=list)  # its red flags (`portal.flags.Flag`), set by the route
    bundle: dict[str, str] = field(default_factory=dict)  # where its public record bundle is, how to verify it
    vehicle: dict[str, Any] | None = None  # the contract vehicle it awards, one page of orders (`portal.vehicle`)
    order_under: dict[str, Any] | None = None  # the vehicle it competes an order under
    related: list[dict[str, Any]] = field(default_factory=list)  # its related processes, linked
    orders_left_out: int = 0  # order events not in `events`: the orders section lists them
