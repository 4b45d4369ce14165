"""Who may act, and when: the preconditions every rule module checks first.

A command is refused unless the actor has the role it needs, is named on the tender's panel for
that role (FAR 1.602-1: only officials with the authority act; FAR 15.303: the source selection
team is named), and the tender is in a status that allows it. Kept apart from the rule modules so
that each of them can use these without importing another.
"""

from __future__ import annotations

from .errors import Refused
from .model import BUYER, EVALUATOR, HCA, OPENING_OFFICIAL, SSA, Actor
from .tender import TenderState

PANEL_ROLES = (BUYER, EVALUATOR, SSA, OPENING_OFFICIAL, HCA)


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Refused("forbidden-role", f"{actor.role} may not do this; it needs the role {' or '.join(roles)}")


def require_panel(state: TenderState, actor: Actor, role: str) -> None:
    require_role(actor, role)
    if actor.id not in state["panel"].get(role, []):
        raise Refused("not-on-panel", f"{actor.id} is not named as {role} on tender {state['id']}", logged=True)


def require_status(state: TenderState, *statuses: str) -> None:
    if state["status"] not in statuses:
        raise Refused("wrong-status", f"tender {state['id']} is {state['status']}; this needs {' or '.join(statuses)}")


def offerors(state: TenderState, statuses: tuple[str, ...] = ("opened",)) -> set[str]:
    """Who made an offer (known from the opening on): the bidders of the bids in `statuses`."""
    return {b["bidder"] for b in state["bids"].values() if b["status"] in statuses and b.get("bidder")}


def unsuccessful_offerors(state: TenderState) -> set[str]:
    """The offerors other than the latest award's supplier (FAR 15.503, 15.506: those debriefed)."""
    awardee = state["awards"][-1]["supplier"]["id"] if state["awards"] else None
    return offerors(state) - {awardee}
