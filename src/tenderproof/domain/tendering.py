"""Rules from solicitation to the submission deadline: drafting, amending, publishing,
enquiries, sealed bids, the deadlines, and cancellation. Pure: state and clock in, events out.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from . import commands as c
from . import vehicles
from .calendar import holiday_country
from .errors import Refused
from .events import EventType
from .guards import PANEL_ROLES, require_panel, require_role, require_status
from .integrity import matches_for_new_bid
from .lots import lot_ids
from .model import (
    BIDDER,
    BUYER,
    CANCELLED,
    DRAFT,
    ENQUIRIES,
    EVALUATOR,
    OPENING,
    OPENING_OFFICIAL,
    SSA,
    SYSTEM,
    TENDERING,
    Actor,
    Event,
    iso,
    parse_time,
)
from .rulesets import ruleset
from .tender import TenderState


def create(state: TenderState | None, cmd: c.CreateTender, actor: Actor, now: datetime,
           vehicle: TenderState | None = None) -> list[Event]:
    """A new tender; `vehicle` is the state of the vehicle it competes an order under, if any."""
    require_role(actor, BUYER)
    if state is not None:
        raise Refused("exists", f"tender {cmd.tender_id} already exists")
    under = vehicles.competition_under(vehicle, cmd, actor, now) if cmd.order_under is not None else None
    rules = ruleset(cmd.ruleset)
    if rules.name == "eu" and not holiday_country(cmd.buyer.get("country", "")):
        # Periods roll past the member state's holidays (Regulation 1182/71 art. 3(4)), not one
        # country's for every EU tender: the buyer's country is needed and must be one we know.
        raise Refused("buyer-country", "an EU tender needs the buyer's member state (buyer.country, ISO 3166-1 "
                      f"alpha-2) with a known holiday calendar; got {cmd.buyer.get('country')!r}")
    if cmd.tender_end <= now:
        raise Refused("deadline-past", f"submission deadline {iso(cmd.tender_end)} is not in the future")
    if cmd.enquiry_end is not None and not now < cmd.enquiry_end <= cmd.tender_end:
        raise Refused("bad-period", "the enquiry period must end after now and no later than the submission deadline")
    panel = {role: list(cmd.panel.get(role, [])) for role in PANEL_ROLES}  # ids checked by the command
    if actor.id not in panel[BUYER]:
        panel[BUYER].insert(0, actor.id)
    if not panel[SSA] or not panel[EVALUATOR]:
        raise Refused("panel-incomplete", "the panel needs a source selection authority and at least one evaluator")
    n = len(panel[OPENING_OFFICIAL])
    if not 1 <= cmd.opening_threshold <= n:
        raise Refused("bad-threshold",
                      f"opening threshold {cmd.opening_threshold} must be between 1 and the {n} opening officials")
    payload = {
        "title": cmd.title, "description": cmd.description, "buyer": dict(cmd.buyer), "method": cmd.method,
        "criteria": cmd.criteria, "ruleset": rules.name, "items": cmd.items, "factors": cmd.factors,
        "value": cmd.value, "tender_end": iso(cmd.tender_end),
        "enquiry_end": iso(cmd.enquiry_end) if cmd.enquiry_end else None,
        "panel": panel, "opening_threshold": cmd.opening_threshold,
        "documents": cmd.documents, "illustrative": list(cmd.illustrative),
    }
    # Present only when given, so every other tender's creation is logged as it always was.
    if cmd.lots:
        payload["lots"] = cmd.lots
        if cmd.lot_award_limit is not None:
            payload["lot_award_limit"] = cmd.lot_award_limit
    if cmd.vehicle is not None:
        payload["vehicle"] = vehicles.terms_payload(cmd.vehicle)
    if under is not None:
        payload["invited"] = under.pop("invited")
        payload["order_under"] = under
        framework = {"id": under["vehicle"], "relationship": "framework"}
        # Once, if the command names it too (OCDS relatedProcesses lists each process once).
        payload["related"] = [framework, *(r for r in cmd.related if {k: r[k] for k in ("id", "relationship")}
                                           != framework)]
    else:
        if cmd.invited:
            payload["invited"] = list(cmd.invited)
        if cmd.related:
            payload["related"] = list(cmd.related)
    return [Event(EventType.TENDER_CREATED, payload)]


def amend(state: TenderState, cmd: c.AmendTender, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    require_status(state, DRAFT, ENQUIRIES, TENDERING)
    changes = dict(cmd.changes)
    old_end = parse_time(state["periods"]["tender_end"])
    if "tender_end" in changes:
        new_end = changes["tender_end"]  # a datetime with its offset (the command's check)
        if new_end <= now:
            raise Refused("deadline-past", f"the new submission deadline {iso(new_end)} is not in the future")
        changes["tender_end"] = iso(new_end)
    if changes.get("enquiry_end") is not None:
        changes["enquiry_end"] = iso(changes["enquiry_end"])
    enquiry_end = changes.get("enquiry_end", state["periods"]["enquiry_end"])
    tender_end = changes.get("tender_end", state["periods"]["tender_end"])
    if enquiry_end is not None and parse_time(enquiry_end) > parse_time(tender_end):
        raise Refused("bad-period", "the enquiry period must end no later than the submission deadline")
    listed = {d["id"] for d in state["documents"]}
    again = [d["id"] for d in changes.get("documents", []) if d["id"] in listed]
    if again:
        # An amendment adds documents; one already listed keeps its content (its digest is on the
        # log), so a revised version is a new document with an id of its own.
        raise Refused("document-listed", f"tender {state['id']} already lists document {', '.join(again)}; an "
                      "amendment adds documents: give a revised version an id of its own")
    live_bids = state["bids_live"]
    if live_bids and parse_time(changes.get("tender_end", iso(old_end))) <= old_end:
        # Bidders priced the old terms: they must get time to revise (DESIGN.md §5).
        raise Refused("amendment-needs-extension",
                      f"{live_bids} bids were already received; an amendment must extend the submission "
                      f"deadline beyond {iso(old_end)}")
    return [Event(EventType.TENDER_AMENDED, {"id": f"amendment-{len(state['amendments']) + 1}",
                                             "rationale": cmd.rationale, "changes": changes})]


def publish(state: TenderState, cmd: c.PublishTender, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    require_status(state, DRAFT)
    if parse_time(state["periods"]["tender_end"]) <= now:
        raise Refused("deadline-past", "the submission deadline has passed; amend it before publishing")
    o = cmd.opening
    officials = state["panel"][OPENING_OFFICIAL]
    if set(o.get("encrypted_shares", {})) != set(officials) or o.get("threshold") != state["opening_threshold"]:
        raise Refused("bad-opening-key", "the opening key must hold one encrypted share per named opening official "
                      f"({', '.join(officials)}) and threshold {state['opening_threshold']}")
    enquiry_end = state["periods"]["enquiry_end"]
    status = ENQUIRIES if enquiry_end and parse_time(enquiry_end) > now else TENDERING
    return [Event(EventType.TENDER_PUBLISHED, {"status": status, "opening": dict(o)})]


def ask(state: TenderState, cmd: c.AskQuestion, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, BIDDER)
    require_status(state, ENQUIRIES, TENDERING)
    end = state["periods"]["enquiry_end"] or state["periods"]["tender_end"]
    if now >= parse_time(end):
        raise Refused("enquiries-closed", f"the enquiry period ended at {end}")
    if cmd.enquiry_id in state["enquiries"]:
        raise Refused("exists", f"enquiry {cmd.enquiry_id} already exists")
    # Answers go to all "without identifying the source" (FAR 15.201(f)): the author is sealed.
    return [Event(EventType.ENQUIRY_ASKED, {"id": cmd.enquiry_id, "question": cmd.question}, {"author": actor.id},
                  extra={"sealed_actor": True})]


def answer(state: TenderState, cmd: c.AnswerQuestion, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    require_status(state, ENQUIRIES, TENDERING)
    q = state["enquiries"].get(cmd.enquiry_id)
    if q is None:
        raise Refused("not-found", f"no enquiry {cmd.enquiry_id} on tender {state['id']}")
    if q["answer"] is not None:
        raise Refused("answered", f"enquiry {cmd.enquiry_id} was already answered; amend the tender to change terms")
    return [Event(EventType.ENQUIRY_ANSWERED, {"id": cmd.enquiry_id, "answer": cmd.answer})]


def submit_bid(state: TenderState, cmd: c.SubmitBid, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, BIDDER)
    deadline = parse_time(state["periods"]["tender_end"])
    if state["status"] != DRAFT and now >= deadline:
        # Whatever happened since (opening, award, no bids at all), a late bid is on the record:
        # never refused silently (FAR 15.208(a): late is late; the attempt is evidence).
        raise Refused("late-bid", f"the submission deadline {iso(deadline)} has passed; the bid was not accepted",
                      logged=True)
    if state["status"] not in (DRAFT, ENQUIRIES, TENDERING):
        raise Refused("not-accepting-bids", f"tender {state['id']} is {state['status']}; it accepts no bids",
                      logged=True)
    require_status(state, ENQUIRIES, TENDERING)
    if "invited" in state and actor.id not in state["invited"]:
        # Only the firms solicited may offer: a vehicle's parties for its orders (FAR 16.505(b)(1);
        # 2014/24/EU art. 33(5)), the named sources of a limited competition (FAR 6.302).
        raise Refused("not-invited", f"tender {state['id']} is open only to the firms it solicited (FAR 6.302, "
                      "16.505(b)(1); 2014/24/EU art. 33(5))", logged=True)
    if cmd.bid_id in state["bids"]:
        raise Refused("exists", f"bid {cmd.bid_id} already exists")
    ids = lot_ids(state)
    if ids and not cmd.lots:
        raise Refused("lot-needed", f"tender {state['id']} is divided into lots ({', '.join(ids)}); a bid names the "
                      "lots it covers")
    if unknown := [x for x in cmd.lots if x not in ids]:
        raise Refused("not-found", f"tender {state['id']} has no lot {', '.join(unknown)}")
    # Who bid is sealed to the opening key until the opening names every bidder at once. A later
    # bid by the same bidder replaces the earlier one: the opening resolves that, as it is the
    # first moment anyone can tell whose bids they are (FAR 15.208(e): a bid may be modified
    # before the deadline).
    payload: dict[str, Any] = {"id": cmd.bid_id, "sealed_sha256": cmd.sealed_sha256,
                               "sealed_size": cmd.sealed_size, "withdrawal": cmd.withdrawal}
    if cmd.lots:  # which lots are offered is public; by whom stays sealed until the opening
        payload["lots"] = list(cmd.lots)
    sealed: dict[str, Any] = who_bid(actor, cmd.bidder_name)
    if found := matches_for_new_bid(state, actor.id, cmd.bidder_name):
        sealed["coi_matches"] = found
    return [Event(EventType.BID_SUBMITTED, payload, sealed, extra={"sealed_actor": True})]


def who_bid(actor: Actor, bidder_name: str) -> dict[str, str]:
    """The confidential part of a bid (sealed to the opening key until the opening)."""
    return {"bidder": actor.id, "bidder_name": bidder_name}


def withdrawal_commitment(key: str) -> str:
    """The SHA-256 a bid carries of its withdrawal key."""
    return hashlib.sha256(key.encode()).hexdigest()


def withdraw_bid(state: TenderState, cmd: c.WithdrawBid, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, BIDDER)
    bid = state["bids"].get(cmd.bid_id)
    if bid is None or not hmac.compare_digest(withdrawal_commitment(cmd.withdrawal_key), bid["withdrawal"]):
        raise Refused("not-found", f"no bid {cmd.bid_id} of yours on tender {state['id']}")
    if now >= parse_time(state["periods"]["tender_end"]) or state["status"] not in (ENQUIRIES, TENDERING):
        raise Refused("late-withdrawal", "bids can only be withdrawn before the submission deadline", logged=True)
    if bid["status"] != "submitted":
        raise Refused("not-live", f"bid {cmd.bid_id} is {bid['status']}")
    return [Event(EventType.BID_WITHDRAWN, {"id": cmd.bid_id}, extra={"sealed_actor": True})]


def close_enquiries(state: TenderState, cmd: c.CloseEnquiries, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, SYSTEM)
    require_status(state, ENQUIRIES)
    enquiry_end = state["periods"]["enquiry_end"]
    if enquiry_end is None:  # publish enters ENQUIRIES only with an enquiry period
        raise Refused("no-enquiry-period", f"tender {state['id']} has no enquiry period")
    end = parse_time(enquiry_end)
    if now < end:
        raise Refused("too-early", f"the enquiry period runs until {iso(end)}")
    return [Event(EventType.TENDER_ENQUIRIES_CLOSED, {"status": TENDERING}, at=end)]


def close_tendering(state: TenderState, cmd: c.CloseTendering, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, SYSTEM)
    require_status(state, ENQUIRIES, TENDERING)
    end = parse_time(state["periods"]["tender_end"])
    if now < end:
        raise Refused("too-early", f"the submission deadline is {iso(end)}")
    live = sorted(b["id"] for b in state["bids"].values() if b["status"] == "submitted")
    if not live:
        return [Event(EventType.TENDER_UNSUCCESSFUL, {"reason": "no bids were received by the deadline"}, at=end)]
    return [Event(EventType.TENDER_TENDERING_CLOSED, {"status": OPENING, "bids": live}, at=end)]


def cancel(state: TenderState, cmd: c.CancelTender, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    if state["status"] in (CANCELLED, "unsuccessful"):
        raise Refused("ended", f"tender {state['id']} is already {state['status']}")
    # A cancellation after the contract terminates it (as DoD did with JEDI in 2021).
    contract = state["contract"]
    terminated = contract["id"] if contract else None
    return [Event(EventType.TENDER_CANCELLED,
                  {"status": CANCELLED, "reason": cmd.reason, "contract_terminated": terminated})]
