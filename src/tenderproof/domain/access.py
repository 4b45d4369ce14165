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
from .model import (
    AUDITOR,
    AWARDED,
    BUYER,
    CANCELLED,
    COMPLETE,
    EVALUATOR,
    HCA,
    REVIEWER,
    SSA,
    UNSUCCESSFUL,
    Actor,
    Event,
)
from .tender import TenderState

READERS = (BUYER, EVALUATOR, SSA, HCA, AUDITOR, REVIEWER)


def read(state: TenderState, cmd: c.ReadConfidential, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, *READERS)
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
