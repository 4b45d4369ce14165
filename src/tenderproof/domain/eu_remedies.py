"""EU remedies: the Remedies Directive 89/665/EEC as amended by 2007/66/EC.

- Standstill (art. 2a(2)): no conclusion of the contract within 10 calendar days from the day after
  the award decision is sent by fax or electronic means, 15 days by other means (`rulesets`).
- Exceptions (art. 2b): no standstill where no prior publication of a contract notice is required,
  where the only tenderer concerned is the one awarded, or for a contract based on a framework
  agreement; the ground is recorded with the award.
- Time limits for review (art. 2c): 10 days from the day after the decision is sent electronically,
  15 days otherwise; against a contract notice, 10 days from its publication.
- Suspension (art. 2(3)): a review application against an award decision stops the conclusion of
  the contract until the review body decides; it never suspends a contract already concluded.
Days roll past the holidays of the buyer's member state (Regulation 1182/71 art. 3(4); `holidays`).
"""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime
from typing import cast

from . import commands as c
from .calendar import add_calendar_days
from .errors import Refused
from .guards import offerors
from .model import Actor, parse_time
from .rulesets import ruleset
from .tender import JSONObject, Protest, TenderState

REVIEW_DAYS_ELECTRONIC = 10  # art. 2c: decision sent by fax or electronic means
REVIEW_DAYS_OTHER = 15  # art. 2c: decision sent by other means
STANDSTILL_EXCEPTIONS = {
    "no-prior-publication": "art. 2b(a): no prior publication of a contract notice is required",
    "sole-tenderer": "art. 2b(b): the only tenderer concerned is the one awarded, and there are no candidates "
                     "concerned",
    "framework-call-off": "art. 2b(c): a contract based on a framework agreement",
}


def member_state(state: TenderState) -> str:
    """The buyer's member state (ISO 3166-1 alpha-2), whose holidays count; required for `eu`."""
    country: str | None = cast(dict[str, str], state["buyer"]).get("country")
    return country or ruleset(state["ruleset"]).country


def award_standstill(state: TenderState, cmd: c.DecideAward, now: datetime) -> tuple[datetime | None, str]:
    """The standstill of an award decision and its basis (art. 2a(2)), or its art. 2b exception."""
    if cmd.standstill_exception:
        if cmd.standstill_exception not in STANDSTILL_EXCEPTIONS:
            raise Refused("bad-exception", f"{cmd.standstill_exception!r} is not an art. 2b ground: "
                          f"{', '.join(STANDSTILL_EXCEPTIONS)}")
        if cmd.standstill_exception == "sole-tenderer":
            concerned = offerors(state)
            if len(concerned) > 1:
                raise Refused("bad-exception", f"{len(concerned)} tenderers are concerned; the art. 2b(b) exception "
                              "needs the awarded one to be the only one")
        return None, f"no standstill: Directive 89/665/EEC {STANDSTILL_EXCEPTIONS[cmd.standstill_exception]}"
    rules = ruleset(state["ruleset"])
    electronic = cmd.notice_means == "electronic"
    return rules.standstill_end(now, member_state(state), electronic), rules.standstill_basis(electronic)


def review_deadline(state: TenderState, cmd: c.FileProtest) -> tuple[datetime, str]:
    """Art. 2c: the time limit for an application for review."""
    country = member_state(state)
    if state["contract"] is not None:  # only ineffectiveness can be sought now (art. 2(7), 2d)
        return ineffectiveness_deadline(state)
    if state["awards"]:
        award = state["awards"][-1]
        electronic = award.get("notice_means", "electronic") == "electronic"
        days = REVIEW_DAYS_ELECTRONIC if electronic else REVIEW_DAYS_OTHER
        how = "sent electronically" if electronic else "sent by other means"
        return (add_calendar_days(parse_time(award["date"]), days, country),
                f"due within {days} days from the day after the award decision was {how} "
                "(Directive 89/665/EEC art. 2c)")
    published = state["amendments"][-1]["date"] if state["amendments"] else state["published"]
    return (add_calendar_days(parse_time(published or state["created"]), REVIEW_DAYS_ELECTRONIC, country),
            "due within 10 days from the publication of the contract notice or its latest amendment "
            "(Directive 89/665/EEC art. 2c)")


def suspension(state: TenderState, p: Protest) -> JSONObject | None:
    """Art. 2(3): a review of an award decision suspends the conclusion of the contract, nothing else:
    not before an award decision, and never a contract already concluded (that is art. 2d's)."""
    if not state["awards"] or state["contract"] is not None:
        return None
    return {"id": f"stay-{p['id']}", "kind": "suspension", "blocks": ["contract"],
            "basis": "Directive 89/665/EEC art. 2(3) (2007/66/EC): a review application suspends the conclusion "
                     "of the contract until the review body decides"}


def require_interested(state: TenderState, actor: Actor) -> None:
    """Art. 1(3): review is for a person with an interest in obtaining the contract who has been or
    risks being harmed by an infringement; the awarded tenderer is not harmed by its own award."""
    if state["awards"] and actor.id == state["awards"][-1]["supplier"]["id"]:
        raise Refused("not-interested-party", f"{actor.id} is the awarded tenderer: it is not harmed by its own "
                      "award (Directive 89/665/EEC art. 1(3))", logged=True)


INEFFECTIVENESS_MONTHS = 6  # art. 2f(1)(b): in any case 6 months from the conclusion of the contract


def _months_after(t: datetime, months: int) -> datetime:
    month = t.month - 1 + months
    year, month = t.year + month // 12, month % 12 + 1
    return t.replace(year=year, month=month, day=min(t.day, monthrange(year, month)[1]))


def ineffectiveness_deadline(state: TenderState) -> tuple[datetime, str]:
    """Art. 2f(1): seeking ineffectiveness of a concluded contract is time-barred 30 days after the
    award notice is published or the tenderers are told of the conclusion (neither is recorded
    here), and in any case 6 months after the conclusion of the contract."""
    concluded = parse_time(state["contract"]["date"]) if state["contract"] else parse_time(state["created"])
    return (add_calendar_days(_months_after(concluded, INEFFECTIVENESS_MONTHS), 0, member_state(state)),
            "against a concluded contract, due within 6 months of its conclusion (Directive 89/665/EEC art. 2f(1)(b); "
            "30 days from an award notice or a notice of conclusion, art. 2f(1)(a), where one was given)")


def remedy(state: TenderState, p: Protest, cmd: c.DecideProtest) -> JSONObject:
    """What the review body orders against a concluded contract: ineffectiveness (art. 2d), whose
    consequence is that performance stops, or alternative penalties (art. 2e: fines or a
    shortened contract) where it keeps the contract in force for overriding reasons (art. 2d(3))."""
    contract = state["contract"]
    if p["forum"] != "eu-review" or cmd.outcome != "sustained" or contract is None:
        raise Refused("wrong-remedy", "ineffectiveness and alternative penalties are an EU review body's remedies "
                      "against a concluded contract, on a sustained review (Directive 89/665/EEC art. 2d, 2e)")
    if cmd.remedy == "alternative-penalties":  # named in the recommended action, which a sustained decision needs
        return {"kind": "alternative-penalties", "contract": contract["id"], "penalties": cmd.recommended_action,
                "basis": "Directive 89/665/EEC art. 2e: alternative penalties, the contract kept in force"}
    return {"kind": "ineffective", "contract": contract["id"],
            "basis": "Directive 89/665/EEC art. 2d: the contract declared ineffective",
            "stay": {"id": f"ineffective-{contract['id']}", "kind": "ineffectiveness", "blocks": ["performance"],
                     "basis": "declared ineffective by the review body (Directive 89/665/EEC art. 2d)"}}
