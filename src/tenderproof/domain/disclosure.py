"""Who may be given which confidential payload, and when, under each regime (DESIGN.md §4.3).

The log is public; what a commitment hides is disclosed only as the tender's regime (its
ruleset, `rulesets.RULESETS`) allows: a table of regime x content kind x audience, each cell
lawful or not, with the rule it comes from. `access.disclose` applies it; an unlawful disclosure
is refused and the refusal logged. The court (under its protective order) and the auditor or
inspector general (under its own role) read through `access.read`, not by disclosure: their
cells say so, and the litigation rules enforce the protective order.

Not a regime tenderproof has yet: Ukraine's ProZorro, which publishes every bid after the
auction (Law of Ukraine "On Public Procurement", art. 10 and 28). A tender cannot choose it, so
nothing is disclosed under its rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from .events import EventType

US, EU = "us-far", "eu"
REGIMES = (US, EU)

PUBLIC, OFFEROR, COURT, AUDITOR = "public", "offeror", "court", "auditor"
#: Who a payload goes to: everyone; one offeror only, about its own proposal; the forum hearing
#: a protest; oversight.
AUDIENCES = (PUBLIC, OFFEROR, COURT, AUDITOR)

AWARD_NOTICE = "award notice"  # awardee, amount, decision: public by nature
DEBRIEFING = "debriefing"  # the written debriefing of one offeror
PROPOSAL = "proposal"  # what an offeror submitted or declared about itself
SOURCE_SELECTION = "source selection"  # ratings, narratives, consensus, competitive range
PERSONAL = "personal"  # officials' financial interests, who asked or contacted whom
INTEGRITY = "integrity"  # the agency's own conflict findings, incidents and contact records
KINDS = (AWARD_NOTICE, DEBRIEFING, PROPOSAL, SOURCE_SELECTION, PERSONAL, INTEGRITY)

#: The kind of each confidential payload, by the event whose commitment hides it.
KIND_OF: dict[str, str] = {
    EventType.BID_SUBMITTED: PROPOSAL,
    EventType.BIDS_OPENED: PROPOSAL,
    EventType.BIDDER_OWNERSHIP_DECLARED: PROPOSAL,
    EventType.EVALUATION_RATED: SOURCE_SELECTION,
    EventType.EVALUATION_CONSENSUS: SOURCE_SELECTION,
    EventType.EVALUATION_COMPETITIVE_RANGE: SOURCE_SELECTION,
    EventType.COI_DECLARED: PERSONAL,
    EventType.COI_MATCH: PERSONAL,
    EventType.INTEGRITY_EMPLOYMENT_CONTACT: PERSONAL,
    EventType.ENQUIRY_ASKED: PERSONAL,
    EventType.INTEGRITY_INCIDENT: INTEGRITY,
    EventType.CONTACT_RECORDED: INTEGRITY,
}
#: Kinds protected until the award whoever asks, but the court and oversight (FAR 3.104-4(a);
#: 41 U.S.C. 2102(a); Directive 2014/24/EU art. 21(1) and 55).
BEFORE_AWARD_PROTECTED = frozenset({PROPOSAL, SOURCE_SELECTION, DEBRIEFING})


@dataclass(frozen=True)
class Rule:
    lawful: bool
    citation: str  # the source, as a refusal or a disclosure quotes it


_US_PROPOSAL = ("proposals stay protected after award: 10 U.S.C. 3309 (ex-2305(g)), FAR 24.202(a), "
                "FOIA exemption 4 (5 U.S.C. 552(b)(4)), 18 U.S.C. 1905")
_US_SSI = ("source selection information stays protected after award: FAR 3.104-4, FAR 15.506(e) (no "
           "point-by-point comparison with other offerors), FOIA exemptions 4 and 5 (5 U.S.C. 552(b)(4), "
           "(b)(5)); the DoD IG found such a disclosure after the JEDI award improper (DODIG-2020-079)")
_US_PERSONAL = ("personal information of officials and offerors: 5 U.S.C. 552(b)(6), 5 U.S.C. 552a; "
                "confidential financial disclosure, 5 CFR part 2634 subpart I; enquiry authors, FAR 15.201(f)")
_US_COURT = "to the court under its protective order only (RCFC Appendix C; 4 CFR 21.4 at GAO)"
_US_AUDITOR = "to the inspector general under its own role: 5 U.S.C. 406(a)(1) (Inspector General Act)"
_EU_DESIGNATED = ("what tenderers designated confidential, technical or trade secrets and confidential "
                  "aspects of tenders, stays so: Directive 2014/24/EU art. 21(1) (tenderproof records no "
                  "designation, so it treats a tender's whole content as designated)")
_EU_EVALUATION = ("the evaluation reflects the tenders' confidential aspects: Directive 2014/24/EU art. 21(1), "
                  "and art. 55(3) withholds what would prejudice commercial interests or fair competition")
_EU_PERSONAL = "personal data: Regulation (EU) 2016/679 (GDPR) art. 5(1)(b)-(c) and 6"
_EU_COURT = ("to the review body, which keeps business secrets: Directive 89/665/EEC art. 1-2 as read in "
             "CJEU C-450/06 Varec (2008)")
_EU_AUDITOR = "to oversight under its own role: Directive 2014/24/EU art. 83-84 (monitoring, the procedure report)"

TABLE: dict[tuple[str, str, str], Rule] = {
    # --- us-far ---
    (US, AWARD_NOTICE, PUBLIC): Rule(True, "award notice: awardee, amount, date and contract number "
                                     "(FAR 5.301, 5.303, 5.705; DFARS 205.303)"),
    (US, AWARD_NOTICE, OFFEROR): Rule(True, "notice to unsuccessful offerors (FAR 15.503(b))"),
    (US, DEBRIEFING, PUBLIC): Rule(False, "the debriefing is the offeror's (FAR 15.506(d)-(e)); " + _US_SSI),
    (US, DEBRIEFING, OFFEROR): Rule(True, "its own evaluation, the awardee's evaluated price and ratings, the "
                                    "ranking and the award rationale, no point-by-point comparison "
                                    "(FAR 15.506(d)-(e))"),
    (US, PROPOSAL, PUBLIC): Rule(False, _US_PROPOSAL),
    (US, PROPOSAL, OFFEROR): Rule(True, "an offeror's own proposal is its own (FAR 15.506(e) protects the "
                                  "others' only)"),
    (US, SOURCE_SELECTION, PUBLIC): Rule(False, _US_SSI),
    (US, SOURCE_SELECTION, OFFEROR): Rule(True, "its own evaluation: FAR 15.506(d)(1)-(2) after award, or "
                                          "FAR 15.505(e) once excluded from the competitive range"),
    (US, PERSONAL, PUBLIC): Rule(False, _US_PERSONAL),
    (US, PERSONAL, OFFEROR): Rule(False, _US_PERSONAL),
    (US, INTEGRITY, PUBLIC): Rule(True, "the agency's own conflict findings and contact records: not "
                                  "source selection information (FAR 2.101, 3.104-4), releasable under "
                                  "5 U.S.C. 552(a)(3), less personal data (552(b)(6))"),
    (US, INTEGRITY, OFFEROR): Rule(True, "as to the public (5 U.S.C. 552(a)(3))"),
    # --- eu ---
    (EU, AWARD_NOTICE, PUBLIC): Rule(True, "contract award notice with the value: Directive 2014/24/EU art. 50"),
    (EU, AWARD_NOTICE, OFFEROR): Rule(True, "award decision to each tenderer: Directive 2014/24/EU art. 55(1); "
                                      "Directive 89/665/EEC art. 2a(2)"),
    (EU, DEBRIEFING, PUBLIC): Rule(False, "reasons given to one tenderer are its own (art. 55(2)); " + _EU_EVALUATION),
    (EU, DEBRIEFING, OFFEROR): Rule(True, "the reasons for rejection, the characteristics and relative "
                                    "advantages of the tender selected and the awardee's name: Directive "
                                    "2014/24/EU art. 55(2)(b)-(c)"),
    (EU, PROPOSAL, PUBLIC): Rule(False, _EU_DESIGNATED),
    (EU, PROPOSAL, OFFEROR): Rule(True, "a tenderer's own tender is its own (Directive 2014/24/EU art. 21(1) "
                                  "protects the others')"),
    (EU, SOURCE_SELECTION, PUBLIC): Rule(False, _EU_EVALUATION),
    (EU, SOURCE_SELECTION, OFFEROR): Rule(True, "the reasons for the rejection of its own tender: Directive "
                                          "2014/24/EU art. 55(2)(b)"),
    (EU, PERSONAL, PUBLIC): Rule(False, _EU_PERSONAL),
    (EU, PERSONAL, OFFEROR): Rule(False, _EU_PERSONAL),
    (EU, INTEGRITY, PUBLIC): Rule(True, "the authority's own conflict-of-interest findings (Directive 2014/24/EU "
                                  "art. 24, art. 84(1)(h)), less personal data (GDPR art. 5(1)(c))"),
    (EU, INTEGRITY, OFFEROR): Rule(True, "as to the public (Directive 2014/24/EU art. 24, 84(1)(h))"),
}
for _regime, _court, _auditor in ((US, _US_COURT, _US_AUDITOR), (EU, _EU_COURT, _EU_AUDITOR)):
    for _kind in KINDS:
        TABLE[(_regime, _kind, COURT)] = Rule(True, _court)
        TABLE[(_regime, _kind, AUDITOR)] = Rule(True, _auditor)

#: Why nothing protected goes out before the award, per regime.
BEFORE_AWARD = {
    US: "FAR 3.104-4(a), 41 U.S.C. 2102(a): no contractor bid or proposal information or source selection "
        "information before award",
    EU: "Directive 2014/24/EU art. 21(1) and 55: tenders and their evaluation stay confidential until the "
        "award decision",
}


def rule(regime: str, kind: str, audience: str) -> Rule:
    """The cell of the table; a regime, kind or audience it does not know has no lawful disclosure."""
    found = TABLE.get((regime, kind, audience))
    if found is not None:
        return found
    if regime not in REGIMES:
        return Rule(False, f"no disclosure rules for regime {regime!r} (known: {', '.join(REGIMES)})")
    return Rule(False, f"no lawful disclosure of {kind!r} content to {audience!r} under {regime}")


def kind_of(source: str) -> str | None:
    """The kind of content a commitment of this event type hides, or None if unknown."""
    return KIND_OF.get(source)
