"""Who may read confidential content, and when it may be disclosed (DESIGN.md §4.3).

Every read is an event in the log: an access record nobody can delete. Before opening there is
nothing to read (bids are ciphertext); after it, the panel and oversight may read, bidders may
not. What is disclosed, to whom and when follows the tender's regime (`disclosure`): under US
law the public gets the award notice, each offeror its own evaluation, and the rest stays
protected after award.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import commands as c
from . import disclosure
from .errors import Refused
from .evaluation import require_declared
from .events import EventType
from .guards import require_panel, require_role
from .litigation import counsel_admission
from .model import (
    AUDITOR,
    AWARDED,
    BUYER,
    CANCELLED,
    COMPLETE,
    COUNSEL,
    EVALUATOR,
    HCA,
    REVIEWER,
    SSA,
    UNSUCCESSFUL,
    Actor,
    Event,
)
from .tender import TenderState

READERS = (BUYER, EVALUATOR, SSA, HCA, AUDITOR, REVIEWER, COUNSEL)
#: The account administrator (`app.accounts`): grants and revokes roles, and acts on no tender
#: otherwise. Not a procurement role (`model.ROLES`): it opens doors, it decides nothing.
ADMIN = "admin"


def read(state: TenderState, cmd: c.ReadConfidential, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, *READERS)
    if actor.role == COUNSEL:  # protected material, only under a protective order in force
        return [Event(EventType.CONFIDENTIAL_ACCESSED, {"item": cmd.item, "purpose": cmd.purpose,
                                                        **counsel_admission(state, actor)})]
    if actor.role not in (AUDITOR, REVIEWER):
        require_panel(state, actor, actor.role)
        require_declared(state, actor)
    return [Event(EventType.CONFIDENTIAL_ACCESSED, {"item": cmd.item, "purpose": cmd.purpose})]


def disclose(state: TenderState, cmd: c.Disclose, actor: Actor, now: datetime) -> list[Event]:
    """Confidential payloads given to the public, or to one offeror about its own proposal, as the
    tender's regime allows (`disclosure.TABLE`). An unlawful disclosure is refused and the attempt
    logged, with the rule it would break."""
    require_panel(state, actor, BUYER)
    if not cmd.items:
        raise Refused("nothing", "nothing to disclose")
    regime = state["ruleset"]
    audience = disclosure.OFFEROR if cmd.to else disclosure.PUBLIC
    mine = {b["id"] for b in state["bids"].values() if b.get("bidder") == cmd.to} if cmd.to else set()
    if cmd.to and not mine:
        raise Refused("not-an-offeror", f"{cmd.to} has no bid on tender {state['id']}: nothing is given to it")
    basis: list[str] = []
    for item in cmd.items:
        kind = disclosure.kind_of(item.get("source", ""))
        if kind is None:
            raise Refused("protected", f"{item['commitment']} is not a payload any regime lets be disclosed "
                          f"(logged by {item.get('source') or 'an unknown event'})", logged=True)
        if cmd.to and kind in _ABOUT_A_BID and item.get("bid") not in mine:
            raise Refused("not-own", f"{item['commitment']} is not about a proposal of {cmd.to}: an offeror is "
                          "given only its own (FAR 15.506(e): no point-by-point comparison with other offerors' "
                          "proposals; Directive 2014/24/EU art. 21(1))", logged=True)
        if kind in disclosure.BEFORE_AWARD_PROTECTED and not _after_award(state, cmd.to, item):
            raise Refused("too-early", f"confidential evaluation content is disclosed only after the award "
                          f"({disclosure.BEFORE_AWARD.get(regime, disclosure.BEFORE_AWARD[disclosure.US])})",
                          logged=True)
        found = disclosure.rule(regime, kind, audience)
        if not found.lawful:
            raise Refused("protected", f"{kind} content may not be disclosed to the {audience} under {regime}: "
                          f"{found.citation}", logged=True)
        if found.citation not in basis:
            basis.append(found.citation)
    items = [{"commitment": i["commitment"], "salt": i["salt"], "content": i["content"]} for i in cmd.items]
    if cmd.to:
        # The offeror's alone: the log says what was given to whom and why; the payloads, with
        # their salts, are in this event's own confidential part, which only that offeror reads.
        return [Event(EventType.CONFIDENTIAL_GIVEN,
                      {"to": cmd.to, "commitments": [i["commitment"] for i in items], "basis": basis},
                      {"items": items})]
    return [Event(EventType.CONFIDENTIAL_DISCLOSED, {"items": items, "basis": basis})]


#: Kinds whose payload is about one bid: given to an offeror only if the bid is its own.
_ABOUT_A_BID = frozenset({disclosure.PROPOSAL, disclosure.SOURCE_SELECTION})


def _after_award(state: TenderState, to: str, item: dict[str, Any]) -> bool:
    if state["status"] in (AWARDED, COMPLETE, CANCELLED, UNSUCCESSFUL):
        return True
    # An offeror excluded from the competitive range may be told why before the award
    # (FAR 15.505; Directive 2014/24/EU art. 55(2)(b)).
    cr = state["competitive_range"]
    return bool(to) and cr is not None and item.get("bid") in cr["excluded"]


def grant_role(state: TenderState, cmd: c.GrantRole, actor: Actor, now: datetime) -> list[Event]:
    """An official's authority is given in writing and is a matter of record (FAR 1.603-3: the
    contracting officer's appointment; FAR 15.303(a): the source selection authority named): on
    the tender's log, who granted it is the actor. The grant is a door only: the panel named on
    the tender (`guards.require_panel`) still decides who acts."""
    require_role(actor, ADMIN)
    return [Event(EventType.ACCESS_GRANTED, {"person": cmd.person, "role": cmd.role})]


def revoke_role(state: TenderState, cmd: c.RevokeRole, actor: Actor, now: datetime) -> list[Event]:
    """The end of an official's authority on the tender is on the record as its grant was (FAR 1.603-4:
    a termination of appointment is in writing)."""
    require_role(actor, ADMIN)
    return [Event(EventType.ACCESS_REVOKED, {"person": cmd.person, "role": cmd.role})]
