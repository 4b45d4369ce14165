"""Organizational conflicts of interest (FAR subpart 9.5).

An organizational conflict is a firm's, not a person's: because of its other work an offeror has
unequal access to information, set the ground rules of the competition, or would judge its own
work (FAR 2.101, 9.505). The contracting officer identifies it and, before award, avoids,
neutralizes or mitigates it (FAR 9.504(a)); only the agency head or a designee no lower than the
head of the contracting activity may waive it instead (FAR 9.503). An award to an offeror with an
identified conflict that is not resolved is refused, and the attempt logged (FAR 9.504(a)(2)).

An identification names an offeror, and who bid is sealed until the opening (docs/architecture.md,
"Who bid stays secret"): so it is recorded from the opening on, which is still before award, where
FAR 9.504(a)(2) wants it resolved. Which offeror and the finding are the confidential part
(source selection information, FAR 2.101, 3.104-4); the kind, its rule and the resolution are public.
"""

from __future__ import annotations

from datetime import datetime

from . import commands as c
from .errors import Refused
from .events import EventType
from .guards import require_panel
from .model import BUYER, HCA, Actor, Event
from .tender import Bid, TenderState

#: The rule of each kind (FAR 9.505 and the examples of 9.505-1 to 9.505-4).
KIND_BASIS = {
    "unequal-access": "FAR 9.505(b), 9.505-4: access to nonpublic information that gives an unfair "
                      "competitive advantage",
    "biased-ground-rules": "FAR 9.505(a), 9.505-1, 9.505-2: the offeror set the ground rules (specifications, "
                           "statement of work, systems engineering) of the competition",
    "impaired-objectivity": "FAR 9.505(a), 9.505-3: the offeror would evaluate or advise on its own or a "
                            "competitor's work",
}
RESOLUTION_BASIS = {
    "avoid": "FAR 9.504(a)(2), 9.504(e): avoided; award withheld from the offeror",
    "neutralize": "FAR 9.504(a)(2): neutralized before award",
    "mitigate": "FAR 9.504(a)(2), 9.506: mitigated under a plan (its document on the log)",
    "waive": "FAR 9.503: waived in writing by the agency head or designee (not below the head of the "
             "contracting activity)",
}


def identify(state: TenderState, cmd: c.IdentifyOci, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)  # FAR 9.504(a): the contracting officer identifies and evaluates
    if state["opened"] is None:
        raise Refused("too-early", "an organizational conflict names an offeror, and who bid is sealed until the "
                      "opening; record it from the opening on, still before award as FAR 9.504(a)(2) requires")
    if cmd.oci_id in state["ocis"]:
        raise Refused("exists", f"conflict {cmd.oci_id} is already identified on tender {state['id']}")
    offerors = {b["bidder"] for b in state["bids"].values() if b.get("bidder") and b["status"] != "withdrawn"}
    if cmd.offeror not in offerors:
        raise Refused("not-an-offeror", f"{cmd.offeror} is not an offeror of tender {state['id']} (FAR 9.504(a): "
                      "conflicts are identified for the offerors of the acquisition)")
    return [Event(EventType.OCI_IDENTIFIED, {"id": cmd.oci_id, "kind": cmd.kind, "basis": KIND_BASIS[cmd.kind]},
                  {"offeror": cmd.offeror, "finding": cmd.finding})]


def resolve(state: TenderState, cmd: c.ResolveOci, actor: Actor, now: datetime) -> list[Event]:
    # FAR 9.503: waiver authority is the agency head's, delegable no lower than the head of the
    # contracting activity; the rest is the contracting officer's (FAR 9.504(a)(2), 9.506).
    require_panel(state, actor, HCA if cmd.resolution == "waive" else BUYER)
    oci = state["ocis"].get(cmd.oci_id)
    if oci is None:
        raise Refused("not-found", f"no organizational conflict {cmd.oci_id} on tender {state['id']}")
    if oci["resolution"] is not None:
        raise Refused("exists", f"conflict {cmd.oci_id} was already resolved ({oci['resolution']}) "
                      f"on {oci['resolved']}")
    if cmd.resolution == "mitigate" and not cmd.plan_sha256:
        raise Refused("plan-needed", "a mitigation needs its plan on the record: give the plan document's SHA-256 "
                      "(FAR 9.504(a)(2), 9.506(b))")
    payload = {"id": cmd.oci_id, "resolution": cmd.resolution, "basis": RESOLUTION_BASIS[cmd.resolution]}
    if cmd.plan_sha256:
        payload["plan_sha256"] = cmd.plan_sha256
    return [Event(EventType.OCI_RESOLVED, payload, {"rationale": cmd.rationale})]


def refuse_if_conflicted(state: TenderState, bid: Bid) -> None:
    """No award to an offeror with an identified conflict left unresolved, or avoided by
    withholding award from it (FAR 9.504(a)(2), 9.504(e)): refused and logged."""
    for oci in sorted(state["ocis"].values(), key=lambda o: o["date"]):
        if oci.get("offeror") != bid.get("bidder"):
            continue
        if oci["resolution"] is None:
            raise Refused("oci-unresolved", f"the offeror of bid {bid['id']} has an organizational conflict "
                          f"of interest ({oci['id']}, {oci['kind']}) identified and not resolved; FAR 9.504(a)(2): "
                          "it must be avoided, neutralized or mitigated before award, or waived (FAR 9.503)",
                          logged=True)
        if oci["resolution"] == "avoid":
            raise Refused("oci-excluded", f"award to the offeror of bid {bid['id']} was withheld to avoid the "
                          f"organizational conflict {oci['id']} (FAR 9.504(e))", logged=True)
