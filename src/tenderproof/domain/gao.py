"""US protest rules: GAO (4 CFR part 21), agency-level protests (FAR 33.103), the CICA stay
(31 U.S.C. 3553) and its override, debriefings as they bear on protests (FAR 15.506).

GAO's periods are counted on Eastern calendar dates and a document is filed when GAO receives it by
5:30 p.m. Eastern (4 CFR 21.0(d), (g); `calendar.gao_deadline`). Agency-level protests keep the
FAR's own counting (FAR 33.101, 33.103(e); `rulesets.calendar_deadline`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from . import commands as c
from .calendar import eastern_deadline, gao_deadline
from .errors import Refused
from .guards import offerors, unsuccessful_offerors
from .model import Actor, iso, parse_time
from .rulesets import (
    AGENCY_FILING_DAYS,
    CICA_AWARD_DAYS,
    CICA_DEBRIEFING_DAYS,
    DEBRIEFING_REQUEST_DAYS,
    GAO_COMMENTS_DAYS,
    GAO_DECISION_DAYS,
    GAO_EXPRESS_COMMENTS_DAYS,
    GAO_EXPRESS_DAYS,
    GAO_EXPRESS_REPORT_DAYS,
    GAO_FILING_DAYS,
    GAO_REPORT_DAYS,
    calendar_deadline,
    ruleset,
)
from .tender import JSONObject, Protest, Stay, TenderState

#: A period's end: (start, days) -> the last moment of the period.
Period = Callable[[datetime, int], datetime]

INTERESTED_PARTY = ("31 U.S.C. 3551(2); 4 CFR 21.0(a)(1); 28 U.S.C. 1491(b)(1): only an actual or prospective "
                    "offeror whose direct economic interest would be affected")


def period_for(state: TenderState, forum: str) -> Period:
    """GAO's counting for GAO, the FAR's for an agency-level protest."""
    if forum == "gao":
        return gao_deadline
    rules = ruleset(state["ruleset"])
    return lambda start, days: calendar_deadline(start, days, rules)


# --- who may protest --------------------------------------------------------------------------------

def require_interested_party(state: TenderState, actor: Actor) -> None:
    """Before award any prospective offeror may protest; after it, only an offeror that bid (known
    since the opening), and never the awardee against its own award. Refused and logged: no stay."""
    if not state["awards"]:
        return
    awardee = state["awards"][-1]["supplier"]["id"]
    if actor.id == awardee:
        raise Refused("not-interested-party", f"{actor.id} is the awardee: it has no direct economic interest in "
                      f"protesting its own award ({INTERESTED_PARTY})", logged=True)
    if actor.id not in offerors(state, ("opened", "replaced")):
        raise Refused("not-interested-party", f"{actor.id} did not submit an offer on tender {state['id']}: after "
                      f"award only an actual offeror is an interested party ({INTERESTED_PARTY})", logged=True)


# --- debriefings (FAR 15.506) -----------------------------------------------------------------------

def debriefing_request_due(state: TenderState) -> datetime:
    """A debriefing is required when requested in writing within 3 days after notice of award
    (FAR 15.506(a)(1)); the award's date is its notice."""
    return eastern_deadline(parse_time(state["awards"][-1]["date"]), DEBRIEFING_REQUEST_DAYS)


def required_debriefing(state: TenderState, bidder: str) -> tuple[bool, datetime | None]:
    """(whether the bidder requested a required debriefing of the current award, when it was held)."""
    req = state["debriefing_requests"].get(bidder)
    if req is None or not req["required"] or not state["awards"] or req["award"] != state["awards"][-1]["id"]:
        return False, None
    held = state["debriefings"].get(bidder)
    if held is None or held["date"] < req["date"]:
        return True, None
    return True, parse_time(held["date"])


def request_debriefing(state: TenderState, cmd: c.RequestDebriefing, actor: Actor, now: datetime) -> JSONObject:
    # A written request is on the record even when refused: who asked, and why it was not one.
    if not state["awards"]:
        raise Refused("wrong-status", "a post-award debriefing is requested after notice of award (FAR 15.506(a))",
                      logged=True)
    award = state["awards"][-1]
    if actor.id not in unsuccessful_offerors(state):
        raise Refused("not-unsuccessful", f"{actor.id} is not an unsuccessful offeror of tender {state['id']} "
                      "(FAR 15.506(a)(1))", logged=True)
    earlier = state["debriefing_requests"].get(actor.id)
    if earlier is not None and earlier["award"] == award["id"]:
        raise Refused("exists", f"{actor.id} already requested a debriefing of award {award['id']}")
    due = debriefing_request_due(state)
    required = now <= due
    rule = ("required: requested within 3 days after notice of award (FAR 15.506(a)(1))" if required else
            "not required: requested more than 3 days after notice of award; a debriefing given anyway "
            "extends no protest period (FAR 15.506(a)(4)(ii); 4 CFR 21.2(a)(2))")
    return {"bidder": actor.id, "award": award["id"], "required": required, "due": iso(due), "rule": rule}


# --- timeliness (4 CFR 21.2; FAR 33.103(e)) ---------------------------------------------------------

def basis_known(state: TenderState, cmd: c.FileProtest) -> tuple[datetime, str]:
    """When the protest's basis was known: as stated, or else the award notice (post-award), or the
    publication of the solicitation or its latest amendment (pre-award) — never the filing itself."""
    if cmd.basis_known is not None:  # never after the filing (protests.file_protest refuses that)
        return cmd.basis_known, "after the basis was known"
    if state["awards"]:
        return parse_time(state["awards"][-1]["date"]), "after the award notice (no other date of knowledge given)"
    known = state["amendments"][-1]["date"] if state["amendments"] else state["published"]
    return parse_time(known or state["created"]), "after the solicitation or its latest amendment was published"


def _adverse_agency_action(state: TenderState, protester: str) -> datetime | None:
    """The initial adverse agency action on the protester's timely agency-level protest: its denial
    or dismissal, or an award made while it was pending (4 CFR 21.0(e), 21.2(a)(3))."""
    found: list[datetime] = []
    for p in state["protests"].values():
        if p["forum"] != "agency" or p["protester"] != protester or not p["timely"]:
            continue
        filed = parse_time(p["filed"])
        if p["outcome"] in ("denied", "dismissed") and p["decided"]:
            found.append(parse_time(p["decided"]))
        found += [t for a in state["awards"] if (t := parse_time(a["date"])) > filed
                  and (p["decided"] is None or t < parse_time(p["decided"]))]
    return min(found, default=None)


def filing_deadline(state: TenderState, cmd: c.FileProtest, actor: Actor, now: datetime) -> tuple[datetime, str, bool]:
    """(due, the rule, strictly before?) for a GAO or agency-level protest."""
    gao = cmd.forum == "gao"
    days = GAO_FILING_DAYS if gao else AGENCY_FILING_DAYS
    period = period_for(state, cmd.forum)
    terms_rule, other_rule = ("4 CFR 21.2(a)(1)", "4 CFR 21.2(a)(2)") if gao else ("FAR 33.103(e)", "FAR 33.103(e)")
    if cmd.solicitation_terms:
        why = f"a protest of the solicitation's terms is due before the closing time ({terms_rule})"
        due, strict = parse_time(state["periods"]["tender_end"]), True
    else:
        known, since = basis_known(state, cmd)
        due, why, strict = period(known, days), f"due within 10 days {since} ({other_rule})", False
        required, held = required_debriefing(state, actor.id)
        if required and held is None:
            raise Refused("premature", f"{actor.id} requested a required debriefing of the award: a protest "
                          "filed before the debriefing is held is premature (4 CFR 21.2(a)(2); FAR 33.103(e))",
                          logged=True)
        if held is not None and (after := period(held, days)) > due:
            due, why = after, f"due within 10 days after the required debriefing held {iso(held)} ({other_rule})"
    adverse = _adverse_agency_action(state, actor.id) if gao else None
    if adverse is not None and (after := gao_deadline(adverse, GAO_FILING_DAYS)) > due:
        due, why, strict = after, (f"after a timely agency-level protest, due within 10 days of the initial "
                                   f"adverse agency action at {iso(adverse)} (4 CFR 21.2(a)(3))"), False
    return due, why, strict


# --- GAO's docket (4 CFR 21.3, 21.9, 21.10; 31 U.S.C. 3554) ----------------------------------------

def docket_dates(p: Protest, notice: datetime) -> JSONObject:
    express = p["express"]
    report = GAO_EXPRESS_REPORT_DAYS if express else GAO_REPORT_DAYS
    decision = GAO_EXPRESS_DAYS if express else GAO_DECISION_DAYS
    return {"report_due": iso(gao_deadline(notice, report)),
            "decision_due": iso(gao_deadline(parse_time(p["filed"]), decision))}


def comments_due(p: Protest, report: datetime) -> datetime:
    """4 CFR 21.3(i): comments within 10 days after the report (5 under the express option, 21.10(d))."""
    return gao_deadline(report, GAO_EXPRESS_COMMENTS_DAYS if p["express"] else GAO_COMMENTS_DAYS)


# --- the CICA stay (31 U.S.C. 3553(c), (d); FAR 33.103(f)) ----------------------------------------

def cica_stay(state: TenderState, p: Protest, notice: datetime) -> JSONObject | None:
    """The stay a protest brings when the agency gets notice of it: before award, no award; after
    award, performance suspended if the notice comes within 10 days after award or 5 days after a
    requested and required debriefing, whichever is later. Signature is never held: in US law the
    award is the contract (3553(d)(3)(A) suspends performance)."""
    if not state["awards"]:
        return {"id": f"stay-{p['id']}", "kind": "CICA stay", "blocks": ["award"],
                "basis": "31 U.S.C. 3553(c)(1): no award while a protest noticed before award is pending"}
    # The window's days end with the day (Eastern for GAO's notice; the FAR's counting for an agency's).
    period: Period = eastern_deadline if p["forum"] == "gao" else period_for(state, p["forum"])
    window = period(parse_time(state["awards"][-1]["date"]), CICA_AWARD_DAYS)
    _required, held = required_debriefing(state, p["protester"])
    if held is not None:
        window = max(window, period(held, CICA_DEBRIEFING_DAYS))
    if notice > window:
        return None  # noticed too late for an automatic stay: the protest goes on without one
    return {"id": f"stay-{p['id']}", "kind": "CICA stay", "blocks": ["performance"],
            "basis": "31 U.S.C. 3553(d)(3)-(4): performance suspended, notice within 10 days after award or "
                     "5 days after a requested and required debriefing"}


def override(state: TenderState, st: Stay, cmd: c.OverrideStay) -> JSONObject:
    """The HCA's override of a CICA stay, with its written finding, notified to GAO.

    Before award: only on urgent and compelling circumstances significantly affecting interests of
    the United States that will not permit waiting for GAO's decision, and with a finding that award
    is likely within 30 days (3553(c)(2)). After award: on those, or on performance being in the
    best interests of the United States (3553(d)(3)(C)(i)). Either way the Comptroller General is
    notified of the finding (3553(c)(3), (d)(3)(C)(ii))."""
    pre_award = "award" in st["blocks"]
    if pre_award:
        if cmd.ground != "urgent-compelling":
            raise Refused("override-ground", "a stay of the award can be overridden only on urgent and compelling "
                          "circumstances, not the best interests of the United States (31 U.S.C. 3553(c)(2)(A))",
                          logged=True)
        if not cmd.award_likely_within_30_days:
            raise Refused("override-ground", "overriding a stay of the award needs a finding that award is likely "
                          "within 30 days (31 U.S.C. 3553(c)(2)(B))", logged=True)
    basis = ("31 U.S.C. 3553(c)(2)" if pre_award else
             "31 U.S.C. 3553(d)(3)(C)(i)(II)" if cmd.ground == "urgent-compelling" else "31 U.S.C. 3553(d)(3)(C)(i)(I)")
    return {"stay": st["id"], "ground": cmd.ground, "finding": cmd.finding, "basis": basis,
            "award_likely_within_30_days": cmd.award_likely_within_30_days if pre_award else None,
            "notified": "the Comptroller General (GAO)",
            "notice_basis": "31 U.S.C. 3553(c)(3)" if pre_award else "31 U.S.C. 3553(d)(3)(C)(ii)"}
