"""Integrity controls: conflict-of-interest cross-checks, recusals, procurement-integrity
employment contacts (FAR 3.104), outside contacts and disclosure incidents (DESIGN.md §5).

A declaration is no longer only self-assessed: what officials declare (holdings, prior and family
employers) is cross-checked with what bidders declare (owners, affiliates) and with who bid, and a
match is recorded. A recusal locks the official out of the tender for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import commands as c
from .acts import DECISIONS
from .calendar import add_business_days
from .errors import Refused
from .events import EventType
from .families import family_of, related
from .guards import PANEL_ROLES, require_panel, require_role
from .model import BIDDER, BUYER, HCA, Actor, Event, iso, parse_time
from .rulesets import ruleset
from .tender import CoiMatch, Family, TenderState


def official_interests(decl: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) pairs an official declared: holdings, prior employers, family employers."""
    out = [("holding", h) for h in decl.get("holdings", [])]
    out += [("prior employer", e["name"]) for e in decl.get("prior_employers", [])]
    out += [("family employer", f) for f in decl.get("family_employers", [])]
    return out


def bidder_names(state: TenderState) -> dict[str, set[str]]:
    """Each known bidder and the names it goes by: its own, its owners', its affiliates'.

    Bidders are known from the opening on; before it the state holds no bidder's identity, and a
    declaration is checked against the bidders when the opening reveals them."""
    names: dict[str, set[str]] = {}
    for b in state["bids"].values():
        if b.get("bidder") and b["status"] != "withdrawn":
            names.setdefault(b["bidder"], set()).add(b.get("bidder_name") or b["bidder"])
    for bidder, own in state["ownership"].items():
        names.setdefault(bidder, set()).update(own["owners"] + own["affiliates"])
    return names


def matches(state: TenderState, official: str, decl: Mapping[str, Any], bidders: dict[str, set[str]] | None = None,
            families: Mapping[str, Family] | None = None) -> list[CoiMatch]:
    """The official's declared interests related to a bidder's names (`bidders`, or every known one),
    by name or through a registered corporate family (`families`, or the tender's), which the
    match then names as its evidence."""
    found: list[CoiMatch] = []
    register = state["families"] if families is None else families
    for bidder, names in sorted((bidder_names(state) if bidders is None else bidders).items()):
        for kind, interest in official_interests(decl):
            for name in sorted(names):
                m: CoiMatch = {"official": official, "bidder": bidder, "interest": kind, "declared": interest,
                               "matches": name}
                if related(interest, name):
                    found.append(m)
                elif (family := family_of(interest, name, register)) is not None:
                    found.append(m | {"family": family})
    return found


def match_events(found: list[CoiMatch]) -> list[Event]:
    """Matches found once bidders are known (from the opening on): that a match exists, with
    the official and the kind of interest, is public; the details are a confidential part."""
    return [Event(EventType.COI_MATCH, {"official": m["official"], "interest": m["interest"]}, dict(m)) for m in found]


def new_matches(state: TenderState, found: list[CoiMatch]) -> list[CoiMatch]:
    """Only matches not on the record yet (the same interest found again adds nothing)."""
    key = ("official", "bidder", "declared", "matches")
    known = {tuple(m.get(k) for k in key) for m in state["coi_matches"].values()}
    out, seen = [], set()
    for m in found:
        k = tuple(m.get(x) for x in key)
        if k not in known and k not in seen:
            seen.add(k)
            out.append(m)
    return out


def matches_for_new_bid(state: TenderState, bidder: str, bidder_name: str) -> list[CoiMatch]:
    """A new bid's bidder checked against every declaration already made. Only its own name is
    compared, so the check costs nothing in the number of bids already in. The result goes in
    the bid's own sealed part, not in events of its own: a match logged next to a bid would tie
    the bid to an official's interest, and two bids to each other, before the opening."""
    return _found(state, bidder, {bidder_name or bidder})


def _found(state: TenderState, bidder: str, names: set[str]) -> list[CoiMatch]:
    return new_matches(state, [m for official, decl in state["declarations"].items()
                               for m in matches(state, official, decl, {bidder: names})])


def declare_ownership(state: TenderState, cmd: c.DeclareOwnership, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, BIDDER)
    if not cmd.owners:
        raise Refused("details-needed", "an ownership declaration names at least one owner")
    found = _found(state, actor.id, set(cmd.owners) | set(cmd.affiliates))
    declared = {"bidder": actor.id, "owners": list(cmd.owners), "affiliates": list(cmd.affiliates)}
    if state["opened"] is None:
        # Like a bid, it does not say who made it before the opening; what it matched is sealed
        # with it, and the opening checks every declaration against every bidder anyway.
        return [Event(EventType.BIDDER_OWNERSHIP_DECLARED, {}, declared | ({"coi_matches": found} if found else {}),
                      extra={"sealed_actor": True})]
    return [Event(EventType.BIDDER_OWNERSHIP_DECLARED, {}, declared), *match_events(found)]


def matches_at_opening(state: TenderState) -> list[Event]:
    """At the opening every bidder becomes known: each declaration is checked against them all
    (declarations made after a bid could not be checked against a sealed bidder)."""
    found = [m for official, decl in state["declarations"].items() for m in matches(state, official, decl)]
    return match_events(new_matches(state, found))


def register_family(state: TenderState, cmd: c.RegisterFamily, actor: Actor, now: datetime) -> list[Event]:
    """The contracting officer registers a corporate family on the tender's log (FAR 3.104-3,
    9.504(a): an official's interest in an offeror's parent or affiliate is an interest in the
    offeror). Declarations already made are checked again, through it, against the bidders known."""
    require_panel(state, actor, BUYER)
    if cmd.family_id in state["families"]:
        raise Refused("exists", f"family {cmd.family_id} is already registered on tender {state['id']}; "
                      "register other companies as a family of their own")
    row: Family = {"id": cmd.family_id, "date": iso(now), "parent": cmd.parent, "members": list(cmd.members),
                   "source": cmd.source}
    families = {**state["families"], cmd.family_id: row}
    found = [m for official, decl in sorted(state["declarations"].items())
             for m in matches(state, official, decl, families=families)]
    payload = {"id": cmd.family_id, "parent": cmd.parent, "members": list(cmd.members), "source": cmd.source}
    return [Event(EventType.FAMILY_REGISTERED, payload), *match_events(new_matches(state, found))]


RECUSAL_RULE = ("a recusal is the official's own, or directed by an authority over them: the head of the "
                "contracting activity or designee, for an official of the tender's panel (5 CFR 2635.502(c), (e); "
                "FAR 3.104-3(c)(1)(ii))")


def recuse(state: TenderState, cmd: c.Recuse, actor: Actor, now: datetime) -> list[Event]:
    """The official recuses themself, or the HCA (the designee FAR 3.104-3(c)(1)(ii) reports to)
    recuses an official of the panel; nobody else, a bidder least of all."""
    on_panel = any(cmd.official in state["panel"].get(r, []) for r in PANEL_ROLES)
    if actor.id == cmd.official:
        if actor.role not in PANEL_ROLES:
            raise Refused("not-authorized", f"{actor.id} acts as {actor.role}, not as an official; {RECUSAL_RULE}",
                          logged=True)
    elif actor.role != HCA or actor.id not in state["panel"].get(HCA, []) or not on_panel:
        raise Refused("not-authorized", f"{actor.id} ({actor.role}) may not record {cmd.official}'s recusal: "
                      f"{RECUSAL_RULE}", logged=True)
    if cmd.official in state["recusals"]:
        raise Refused("exists", f"{cmd.official} is already recused from tender {state['id']}")
    return [Event(EventType.OFFICIAL_RECUSED, {"official": cmd.official, "reason": cmd.reason})]


#: FAR 3.104-3(c)(1): an employment contact is reported "promptly"; for public filers 5 CFR
#: 2635.607(a) puts it at three business days after negotiations start. The shorter rule is used.
REPORT_BUSINESS_DAYS = 3
PROMPTLY = "FAR 3.104-3(c)(1): reported promptly; 5 CFR 2635.607(a): within three business days"


def report_due(contact: datetime, country: str) -> datetime:
    """The last moment of the third business day after the contact, in the contact's own time
    zone (its offset as given), weekends and the country's public holidays skipped."""
    return add_business_days(contact, REPORT_BUSINESS_DAYS, country)


def acts_between(state: TenderState, start: datetime, end: datetime, official: str | None = None,
                 kinds: frozenset[str] | None = None) -> list[int]:
    """The seq of each act (an official's, or any) after `start` and up to `end`."""
    return [a["seq"] for a in state["official_acts"].values()
            if (official is None or a["official"] == official) and (kinds is None or a["act"] in kinds)
            and start < parse_time(a["date"]) <= end]


def employment_contact(state: TenderState, cmd: c.ReportEmploymentContact, actor: Actor, now: datetime) -> list[Event]:
    if actor.role not in PANEL_ROLES or not any(actor.id in state["panel"].get(r, []) for r in PANEL_ROLES):
        raise Refused("not-on-panel", f"{actor.id} is not an official on tender {state['id']}")
    if cmd.contact_date > now:
        raise Refused("bad-period", "an employment contact is reported after it happened")
    # Accepted however late, never silently: a report after the window, or after the official
    # acted on the tender since the contact, is logged as late with those acts named.
    due = report_due(cmd.contact_date, ruleset(state["ruleset"]).country)
    acts = acts_between(state, cmd.contact_date, now, actor.id)
    # Which offeror made the contact would name a bidder: it is sealed to the opening key until
    # the opening, and a confidential part of the record after it.
    payload = {"official": actor.id, "contact_date": iso(cmd.contact_date), "response": cmd.response,
               "report_due": iso(due), "late": now > due or bool(acts), "acts_since_contact": acts, "rule": PROMPTLY}
    events = [Event(EventType.INTEGRITY_EMPLOYMENT_CONTACT, payload, {"bidder": cmd.bidder_id},
                    extra={"sealed_content": True})]
    if cmd.response == "recused" and actor.id not in state["recusals"]:
        events.append(Event(EventType.OFFICIAL_RECUSED, {"official": actor.id,
                                                         "reason": "an offeror's employment contact (FAR 3.104-3(c))"}))
    return events


def record_contact(state: TenderState, cmd: c.RecordContact, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, *PANEL_ROLES)
    require_panel(state, actor, actor.role)
    if cmd.when > now:
        raise Refused("bad-period", "a contact is recorded after it happened")
    # DESIGN.md §5: an outside contact not recorded before a decision it preceded is flagged, with
    # the decisions named; accepted, never silently.
    decisions = acts_between(state, cmd.when, now, kinds=DECISIONS)
    # Who and when are public; what was said is a confidential payload with a public commitment.
    return [Event(EventType.CONTACT_RECORDED, {"official": cmd.official, "party": cmd.party, "when": iso(cmd.when),
                                               "channel": cmd.channel, "late": bool(decisions),
                                               "decisions_preceded": decisions}, {"summary": cmd.summary})]


def record_incident(state: TenderState, cmd: c.RecordIncident, actor: Actor, now: datetime) -> list[Event]:
    require_role(actor, *PANEL_ROLES, "auditor")
    return [Event(EventType.INTEGRITY_INCIDENT, {"affected": list(cmd.affected)}, {"description": cmd.description})]
