"""The table of plain commands: for each, its HTTP path, the domain command that is its body, the
role that may send it, and the name the CLI gives it (`tenderproof officer VERB`, `bid VERB`).

One table serves the server (`commands` registers a typed POST per row) and its clients (the CLI
builds a command per row), so a path cannot differ between them. This module imports no web
framework: the CLI reads it without loading FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenderproof.domain import commands as c

OFFICIALS = ("buyer", "evaluator", "ssa", "opening_official", "hca")  # "any official role": named with ?role=
PARTIES = ("bidder", "buyer")  # a protest's parties: the protester or an intervenor, and the agency


@dataclass(frozen=True)
class CommandRoute:
    verb: str  # the CLI's name for it
    path: str  # under /api
    command: type  # its body is this command's fields but `tender_id` (which is in the path)
    role: str | tuple[str, ...]  # a tuple: any of these, the caller naming the one it acts in
    summary: str


_ROWS: list[tuple[str, str, type, str | tuple[str, ...], str]] = [
    ("amend", "/tenders/{tender_id}/amendments", c.AmendTender, "buyer", "Amend the solicitation (with a rationale)"),
    ("ask", "/tenders/{tender_id}/enquiries", c.AskQuestion, "bidder", "Ask a question (answered publicly)"),
    ("answer", "/tenders/{tender_id}/enquiries/answers", c.AnswerQuestion, "buyer", "Answer an enquiry"),
    ("rate", "/tenders/{tender_id}/ratings", c.RateProposal, "evaluator", "Rate an opened proposal on a stated factor"),
    ("consensus", "/tenders/{tender_id}/consensus", c.RecordConsensus, "buyer", "Record the consensus rating"),
    ("competitive-range", "/tenders/{tender_id}/competitive-range", c.SetCompetitiveRange, "buyer",
     "Establish the competitive range"),
    ("award", "/tenders/{tender_id}/award", c.DecideAward, "ssa", "Decide the award (source selection decision)"),
    ("sign", "/tenders/{tender_id}/contract", c.SignContract, "buyer",
     "Sign the contract (under eu, after the standstill)"),
    ("cancel", "/tenders/{tender_id}/cancellation", c.CancelTender, "buyer", "Cancel the tender (with a reason)"),
    ("start-performance", "/tenders/{tender_id}/performance", c.StartPerformance, "buyer",
     "Start performance (refused during a stay)"),
    # Protests, stays, corrective action
    ("request-debriefing", "/tenders/{tender_id}/debriefing-requests", c.RequestDebriefing, "bidder",
     "Request a debriefing (required if within 3 days after notice of award)"),
    ("protest", "/tenders/{tender_id}/protests", c.FileProtest, "bidder", "File a protest with a forum"),
    ("docket", "/tenders/{tender_id}/protests/docket", c.DocketProtest, "reviewer",
     "Docket a protest and notify the agency"),
    ("agency-report", "/tenders/{tender_id}/protests/agency-report", c.FileAgencyReport, "buyer",
     "File the agency report"),
    ("comments", "/tenders/{tender_id}/protests/comments", c.FileComments, "bidder", "File the protester's comments"),
    ("decide-protest", "/tenders/{tender_id}/protests/decision", c.DecideProtest, "reviewer", "Decide a protest"),
    ("withdraw-protest", "/tenders/{tender_id}/protests/withdrawal", c.DecideProtest, "bidder",
     "Withdraw your protest (outcome: withdrawn)"),
    ("court-order", "/tenders/{tender_id}/court-orders", c.CourtOrder, "reviewer",
     "Enter a court order (TRO, injunction, remand, …)"),
    ("hold", "/tenders/{tender_id}/holds", c.VoluntaryHold, "buyer", "Put performance on a voluntary hold"),
    ("override-stay", "/tenders/{tender_id}/stay-overrides", c.OverrideStay, "hca",
     "Override a CICA stay with a written finding"),
    ("corrective-action", "/tenders/{tender_id}/corrective-actions", c.TakeCorrectiveAction, "buyer",
     "Take corrective action"),
    # Litigation of a protest (RCFC App. C; 4 CFR 21): parties move, the forum rules
    ("intervene", "/tenders/{tender_id}/litigation/intervenors", c.Intervene, "bidder",
     "Intervene in a protest (the awardee; an offeror in line for award)"),
    ("file-record", "/tenders/{tender_id}/litigation/records", c.FileAdministrativeRecord, "buyer",
     "File the administrative record with its manifest"),
    ("motion", "/tenders/{tender_id}/litigation/motions", c.FileMotion, PARTIES, "File a motion (a party)"),
    ("public-version", "/tenders/{tender_id}/litigation/public-versions", c.FilePublicVersion, PARTIES,
     "File the public version of a sealed motion"),
    ("brief", "/tenders/{tender_id}/litigation/briefs", c.FileBrief, PARTIES, "Oppose a motion, or reply"),
    ("rule", "/tenders/{tender_id}/litigation/rulings", c.RuleOnMotion, "reviewer", "Rule on a motion"),
    ("protective-order", "/tenders/{tender_id}/litigation/protective-orders", c.IssueProtectiveOrder, "reviewer",
     "Issue a protective order"),
    ("apply-access", "/tenders/{tender_id}/litigation/access-applications", c.ApplyForAccess, "counsel",
     "Apply for admission under a protective order"),
    ("decide-access", "/tenders/{tender_id}/litigation/access-decisions", c.DecideAccess, "reviewer",
     "Admit counsel, deny the application or revoke it"),
    ("hearing", "/tenders/{tender_id}/litigation/hearings", c.ScheduleHearing, "reviewer", "Hold a GAO hearing"),
    ("appeal", "/tenders/{tender_id}/litigation/appeals", c.FileAppeal, PARTIES,
     "File a notice of appeal or a petition for certiorari"),
    ("decide-appeal", "/tenders/{tender_id}/litigation/appeal-decisions", c.DecideAppeal, "reviewer",
     "Decide an appeal or a petition"),
    ("recommend-costs", "/tenders/{tender_id}/litigation/costs", c.RecommendCosts, "reviewer",
     "Recommend that the agency pay the protester's costs (GAO)"),
    ("cost-claim", "/tenders/{tender_id}/litigation/cost-claims", c.FileCostClaim, "bidder",
     "Claim the costs GAO recommended (within 60 days)"),
    # Integrity controls
    ("ownership", "/tenders/{tender_id}/ownership", c.DeclareOwnership, "bidder", "Declare your owners and affiliates"),
    ("recuse", "/tenders/{tender_id}/recusals", c.Recuse, OFFICIALS,
     "Recuse yourself, or as HCA an official of the panel (5 CFR 2635.502(e); FAR 3.104-3(c))"),
    ("incident", "/tenders/{tender_id}/incidents", c.RecordIncident, "buyer", "Record a disclosure incident"),
    ("contact", "/tenders/{tender_id}/contacts", c.RecordContact, OFFICIALS, "Record a contact with an outside party"),
    ("employment-contact", "/tenders/{tender_id}/employment-contacts", c.ReportEmploymentContact, OFFICIALS,
     "Report an offeror's employment contact (FAR 3.104-3(c))"),
    ("family", "/tenders/{tender_id}/families", c.RegisterFamily, "buyer",
     "Register a corporate family (parent, subsidiaries, affiliates) for conflict checks"),
    ("identify-oci", "/tenders/{tender_id}/ocis", c.IdentifyOci, "buyer",
     "Identify an offeror's organizational conflict of interest (FAR 9.504(a))"),
    ("resolve-oci", "/tenders/{tender_id}/ocis/resolutions", c.ResolveOci, "buyer",
     "Avoid, neutralize or mitigate (with a plan) a conflict before award (FAR 9.504(a)(2))"),
    ("waive-oci", "/tenders/{tender_id}/ocis/waivers", c.ResolveOci, "hca",
     "Waive a conflict in writing, as agency head's designee (FAR 9.503; resolution: waive)"),
    # Contract vehicles: multiple-award IDIQ contracts and framework agreements (FAR 16.504-16.505; 2014/24 art. 33)
    ("award-vehicle", "/tenders/{tender_id}/vehicle/award", c.AwardVehicle, "ssa",
     "Award the vehicle to several offerors at once (a multiple award, FAR 16.504(c))"),
    ("exercise-option", "/tenders/{tender_id}/vehicle/options", c.ExerciseOption, "buyer",
     "Exercise the vehicle's next option, extending its ordering period (FAR 17.207)"),
    ("place-order", "/tenders/{tender_id}/vehicle/orders", c.PlaceOrder, "buyer",
     "Place an order under the vehicle: from a competition among its parties, or with a recorded exception"),
]
COMMAND_ROUTES: tuple[CommandRoute, ...] = tuple(CommandRoute(*row) for row in _ROWS)

# The commands with shapes of their own (`commands` defines their routes by hand).
CREATE = "/tenders"
PUBLISH = "/tenders/{tender_id}/publication"
OPEN = "/tenders/{tender_id}/opening"
DEBRIEF = "/tenders/{tender_id}/debriefings"


def about(command: type) -> str:
    """A command's own docstring; empty where it has none (not the dataclass's generated signature)."""
    doc = (command.__doc__ or "").strip()
    return "" if doc.startswith(f"{command.__name__}(") else " ".join(doc.split())
