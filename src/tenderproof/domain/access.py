"""Who may read confidential content, and when it may be disclosed (DESIGN.md §4.3).

Every read is an event in the log: an access record nobody can delete. Before opening there is
nothing to read (bids are ciphertext); after it, the panel and oversight may read, bidders may
not. Disclosure to the public comes only once the award is made or the tender has ended.
"""

from __future__ import annotations

from datetime import datetime

from . import commands as c
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
    require_panel(state, actor, BUYER)
    if state["status"] not in (AWARDED, COMPLETE, CANCELLED, UNSUCCESSFUL):
        raise Refused("too-early", "confidential evaluation content is disclosed only after the award "
                      "(FAR 3.104: no source selection information before award)")
    if not cmd.items:
        raise Refused("nothing", "nothing to disclose")
    items = [{"commitment": i["commitment"], "salt": i["salt"], "content": i["content"]} for i in cmd.items]
    return [Event(EventType.CONFIDENTIAL_DISCLOSED, {"items": items})]


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
