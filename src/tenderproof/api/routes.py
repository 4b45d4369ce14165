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
    # Integrity controls
    ("ownership", "/tenders/{tender_id}/ownership", c.DeclareOwnership, "bidder", "Declare your owners and affiliates"),
    ("recuse", "/tenders/{tender_id}/recusals", c.Recuse, "buyer", "Recuse an official from the tender"),
    ("incident", "/tenders/{tender_id}/incidents", c.RecordIncident, "buyer", "Record a disclosure incident"),
    ("contact", "/tenders/{tender_id}/contacts", c.RecordContact, OFFICIALS, "Record a contact with an outside party"),
    ("employment-contact", "/tenders/{tender_id}/employment-contacts", c.ReportEmploymentContact, OFFICIALS,
     "Report an offeror's employment contact (FAR 3.104-3(c))"),
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
