"""The request bodies of the API as typed pydantic models, each field described, each body with
an example: what the OpenAPI document, Swagger UI and ReDoc show an officer.

Pydantic gives the shapes and the codelists the domain names (so a body of the wrong shape is
refused with the field's path); the domain still checks every rule when the command is made
(`domain.commands`), so there is one validator of the rules. Optional fields a caller leaves out
are left out of the command too (bodies are read with `exclude_unset`), so the domain's own
defaults apply and `null` keeps its meaning where it has one (an amendment removing a value).
"""

# No `from __future__ import annotations`: pydantic and FastAPI read these annotations at run time.
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from tenderproof.domain.commands.fields import ITEM_CLASSIFICATION_SCHEMES
from tenderproof.domain.commands.litigation import (
    ACCESS_DECISIONS,
    APPEAL_COURTS,
    APPEAL_OUTCOMES,
    BRIEFS,
    MOTION_RELIEF,
    RECORD_KINDS,
    RULINGS,
)
from tenderproof.domain.commands.protests import CORRECTIVE_KINDS, COURT_ORDERS, FORUMS, PROTEST_OUTCOMES
from tenderproof.domain.commands.tendering import RELATIONSHIPS
from tenderproof.domain.commands.vehicles import (
    AGENCIES,
    CALL_OFFS,
    CEILING_SCOPES,
    FAIR_OPPORTUNITY_EXCEPTIONS,
    VEHICLE_KINDS,
)
from tenderproof.domain.guards import PANEL_ROLES
from tenderproof.domain.model import CRITERIA, DEFAULT_SCALE, METHODS
from tenderproof.domain.rulesets import RULESETS

# Codelists, from the domain's own tuples (a Literal of a runtime tuple: mypy cannot follow it).
Scheme = Literal[ITEM_CLASSIFICATION_SCHEMES]  # type: ignore[valid-type]
Method = Literal[METHODS]  # type: ignore[valid-type]
Criteria = Literal[CRITERIA]  # type: ignore[valid-type]
Ruleset = Literal[tuple(RULESETS)]  # type: ignore[valid-type]
Forum = Literal[FORUMS]  # type: ignore[valid-type]
Outcome = Literal[PROTEST_OUTCOMES]  # type: ignore[valid-type]
Order = Literal[COURT_ORDERS]  # type: ignore[valid-type]
CorrectiveKind = Literal[CORRECTIVE_KINDS]  # type: ignore[valid-type]
Relief = Literal[MOTION_RELIEF]  # type: ignore[valid-type]
Ruling = Literal[RULINGS]  # type: ignore[valid-type]
BriefKind = Literal[BRIEFS]  # type: ignore[valid-type]
RecordKind = Literal[RECORD_KINDS]  # type: ignore[valid-type]
AccessDecision = Literal[ACCESS_DECISIONS]  # type: ignore[valid-type]
Court = Literal[APPEAL_COURTS]  # type: ignore[valid-type]
AppealOutcome = Literal[tuple(o for os in APPEAL_OUTCOMES.values() for o in os)]  # type: ignore[valid-type]

ID = "1-100 letters, digits or ._:-, starting with a letter or digit"


def absent(description: str) -> Any:
    """An optional field that is never null: left out of the command when the caller leaves it
    out (see `exclude_unset` above), so the schema states no default."""
    return Field(None, description=description, json_schema_extra=_no_default)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _config(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class Money(BaseModel):
    model_config = _config({"amount": "1250000.00", "currency": "USD"})
    amount: Decimal = Field(description="A non-negative amount as a decimal string (a JSON number is accepted "
                                        "too), at most 15 significant digits")
    currency: str = Field(description="ISO 4217 currency code, e.g. USD")


class Buyer(BaseModel):
    model_config = _config({"id": "US-GSA-47QTCA", "name": "General Services Administration"})
    id: str = Field(description="The buying organization's identifier (OCDS organization reference)")
    name: str = Field(description="The buying organization's name")
    country: str | None = Field(None, description="The buyer's country, ISO 3166-1 alpha-2 (required for an EU "
                                "tender: its holidays roll the periods)")


class Classification(BaseModel):
    model_config = _config({"scheme": "NAICS", "id": "518210"})
    scheme: Scheme = Field(description="The classification scheme: the OCDS itemClassificationScheme codelist")
    id: str = Field(description="The code in that scheme")


class Item(BaseModel):
    model_config = _config({"id": "i1", "description": "Cloud hosting, 24 months",
                            "classification": {"scheme": "NAICS", "id": "518210"}, "quantity": 1})
    id: str = Field(description=f"The item's id within the tender: {ID}")
    description: str = Field(description="What is bought")
    classification: Classification = Field(description="Its code in a known scheme")
    quantity: int | float = absent("How many (a non-negative number); leave out if not counted")
    related_lot: str = absent("In a tender divided into lots: the lot the item belongs to (required there)")


class LotTerms(BaseModel):
    model_config = _config({"id": "L1", "title": "Compute", "value": {"amount": "600000.00", "currency": "USD"}})
    id: str = Field(description=f"The lot's id: {ID}")
    title: str = Field(description="Its title")
    description: str = absent("What it covers")
    value: Money | None = absent("Its estimated value")


class Factor(BaseModel):
    model_config = _config({"id": "tech", "name": "Technical approach", "kind": "rating", "weight": 3,
                            "scale": list(DEFAULT_SCALE)})
    id: str = Field(description=f"The factor's id: {ID}")
    name: str = Field("", description="Its name as the solicitation states it")
    kind: Literal["rating", "price"] = Field("rating", description="Rated on an adjectival scale, or the price "
                                                                     "(one factor must be the price, FAR 15.304(c)(1))")
    weight: int | float = Field(1, description="Its relative importance (a non-negative number)")
    scale: list[str] = Field(list(DEFAULT_SCALE), description="The ratings of a rating factor, best first")


class Document(BaseModel):
    model_config = _config({"id": "rfp", "title": "Request for proposals",
                            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                            "size": 48213, "format": "application/pdf"})
    id: str = Field(description=f"The document's id within the tender: {ID}")
    title: str = Field(description="Its title")
    sha256: str = Field(description="SHA-256 of its content, lowercase hex: the document is found by its digest")
    size: int = Field(0, description="Its size in bytes")
    format: str = absent("Its media type, lowercase, no parameters (e.g. application/pdf; the `media_type` the "
                         "upload answered): published as the OCDS document's `format`")


class Panel(BaseModel):
    model_config = _config({"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"]})
    buyer: list[str] = Field(default_factory=list, description="Contracting officers besides the tender's creator")
    evaluator: list[str] = Field(default_factory=list, description="The technical evaluation panel")
    ssa: list[str] = Field(default_factory=list, description="The source selection authority")
    opening_official: list[str] = Field(default_factory=list, description="Who hold the shares of the opening "
                                                                          "key (at most 16)")
    hca: list[str] = Field(default_factory=list, description="The head of the contracting activity")


TENDER_END = "2030-03-02T17:00:00-05:00"
ENQUIRY_END = "2030-02-16T17:00:00-05:00"


class TenderChanges(BaseModel):
    """What an amendment changes; leave out what it does not."""

    model_config = _config({"tender_end": "2030-03-16T17:00:00-04:00",
                            "description": "Adds a second hosting region; the deadline moves two weeks."})
    title: str = absent("A new title")
    description: str = absent("A new description")
    tender_end: AwareDatetime = absent("A new submission deadline, ISO 8601 with its offset; "
                                                        "after bids are in it must be later than the current one")
    enquiry_end: AwareDatetime | None = absent("A new end of the enquiry period (null: none)")
    items: list[Item] = absent("The items, replacing the current list")
    documents: list[Document] = absent("The documents, replacing the current list")
    value: Money | None = absent("A new estimated value (null: none stated)")


class ManifestEntry(BaseModel):
    model_config = _config({"seq": 12, "index": 4711, "leaf_hash": "ab" * 32})
    seq: int = Field(ge=1, description="The tender's event number (seq) of the logged event filed")
    index: int = Field(ge=0, description="Its ledger index")
    leaf_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="Its RFC 9162 leaf hash, lowercase hex")


class Deponent(BaseModel):
    model_config = _config({"name": "Jane Roe", "office": "Source Selection Authority"})
    name: str = Field(min_length=1, max_length=300, description="Who is to be deposed")
    office: str = Field(min_length=1, max_length=300, description="Their office or position")


class VehicleOptionTerms(BaseModel):
    model_config = _config({"id": "option-1", "period_end": "2026-12-31T23:59:59-05:00"})
    id: str = Field(description=f"The option's id: {ID}")
    period_end: AwareDatetime = Field(description="The end of the ordering period once it is exercised")


class VehicleTerms(BaseModel):
    model_config = _config({"kind": "idiq", "awardees": 4, "ceiling": {"amount": "9000000000", "currency": "USD"},
                            "ceiling_scope": "shared", "ordering_end": "2025-12-31T23:59:59-05:00",
                            "options": [{"id": "option-1", "period_end": "2026-12-31T23:59:59-05:00"}],
                            "agency": "defense"})
    kind: Literal[VEHICLE_KINDS] = Field(  # type: ignore[valid-type]
        description="idiq (FAR 16.504) or framework (2014/24/EU art. 33)")
    awardees: int = absent("At most this many awards (default 1)")
    ceiling: Money = Field(description="The most the orders may come to (FAR 16.504(a)(1))")
    ceiling_scope: Literal[CEILING_SCOPES] = absent(  # type: ignore[valid-type]
        "shared by all the awardees (the default) or per-awardee")
    minimum: Money | None = absent("The minimum guaranteed to each awardee (FAR 16.504(a)(1))")
    ordering_end: AwareDatetime = Field(description="The end of the base ordering period")
    options: list[VehicleOptionTerms] = absent("Options extending the ordering period, in order (FAR 17.2)")
    agency: Literal[AGENCIES] = absent(  # type: ignore[valid-type]
        "defense (10 U.S.C. 3406, the default) or civilian (41 U.S.C. 4106): which task-order protest threshold")
    call_off: Literal[CALL_OFFS] = absent(  # type: ignore[valid-type]
        "A framework's call-offs: direct, mini-competition or either (2014/24/EU art. 33(4))")


class RelatedProcess(BaseModel):
    model_config = _config({"id": "HQ0034-18-R-0077", "relationship": "prior", "title": "JEDI Cloud"})
    id: str = Field(description="The other tender's id on this installation")
    relationship: Literal[RELATIONSHIPS] = Field(  # type: ignore[valid-type]
        description="How this process relates to it (OCDS relatedProcess codelist)")
    title: str = absent("Its title")


#: The typed shape of a command field, by its name (the dataclass says only dict or list).
SHAPES: dict[str, Any] = {
    "buyer": Buyer, "items": list[Item], "factors": list[Factor], "documents": list[Document],
    "panel": Panel, "value": Money, "changes": TenderChanges, "method": Method, "criteria": Criteria,
    "ruleset": Ruleset, "forum": Forum, "outcome": Outcome, "order": Order,
    "manifest": list[ManifestEntry], "deponents": list[Deponent], "relief": list[Relief], "amount": Money,
    "decision": AccessDecision, "court": Court,
    "vehicle": VehicleTerms, "related": list[RelatedProcess], "lots": list[LotTerms],
    "exception": Literal[tuple(FAIR_OPPORTUNITY_EXCEPTIONS)],
}
#: ... and by command, where a name means something else there.
SHAPES_OF: dict[str, dict[str, Any]] = {
    "TakeCorrectiveAction": {"kind": CorrectiveKind, "factors": list[str]},
    "RuleOnMotion": {"outcome": Ruling, "order": str}, "DecideAppeal": {"outcome": AppealOutcome},
    "FileBrief": {"kind": BriefKind}, "FileAdministrativeRecord": {"kind": RecordKind},
}

#: What each command field means (by name; `DESCRIPTIONS_OF` where a command gives it its own sense).
DESCRIPTIONS = {
    "tender_id": f"The tender's id, chosen by the buyer: {ID}", "title": "The tender's title",
    "description": "What the tender is for", "buyer": "The buying organization",
    "method": "The procurement method (OCDS method codelist)", "criteria": "The award criteria",
    "items": "What is bought (at least one item)", "factors": "The evaluation factors (price among them)",
    "tender_end": "The submission deadline, ISO 8601 with its offset, e.g. " + TENDER_END,
    "enquiry_end": "End of the enquiry period, ISO 8601 with its offset (leave out: no enquiry period)",
    "panel": "The officials named for each role on this tender",
    "opening_threshold": "How many opening officials must act to open the bids (k of n)",
    "ruleset": "The jurisdiction's rules (standstill, protest periods, holidays)",
    "value": "An amount and its currency", "documents": "The solicitation documents, by digest",
    "illustrative": "Which fields hold invented data (for scenarios and demos)",
    "rationale": "Why, in words that go on the public record", "changes": "What the amendment changes",
    "enquiry_id": f"The enquiry's id: {ID}", "question": "The question (published without its author)",
    "answer": "The answer, published to every bidder", "bid_id": "The bid's id (from its receipt)",
    "factor_id": "A factor the solicitation states", "rating": "A rating of the factor's scale, or for "
    "the price factor the evaluated price", "strengths": "Strengths found", "weaknesses": "Weaknesses found",
    "deficiencies": "Deficiencies found", "risks": "Risks found",
    "reason": "The reason, required where the rules ask for one", "included": "The bids in the range",
    "excluded": "Each bid left out, with the reason", "departure_reason": "Why the award departs from the "
    "ranking (required when it does)", "contract_id": f"The contract's id: {ID}",
    "period_end": "When the contract ends, ISO 8601 with its offset", "scope": "What performance starts",
    "protest_id": f"The protest's id: {ID}", "forum": "Where the protest is filed",
    "grounds": "The grounds of the protest", "solicitation_terms": "The protest challenges the terms of the "
    "solicitation (due before the closing time)", "basis_known": "When the protester knew its grounds",
    "express": "Express option (GAO)", "summary": "A summary, for the public record",
    "outcome": "How the protest ends", "reasoning": "The forum's reasoning",
    "recommended_action": "Any corrective action recommended", "order": "The kind of order",
    "text": "The order's text", "until": "Until when, ISO 8601 with its offset", "stay_id": "The stay's id",
    "ground": "best-interests or urgent-compelling (31 U.S.C. 3553(c)(2), (d)(3))",
    "finding": "The written finding", "kind": "The kind of corrective action",
    "revisits": "The tender's event numbers (seq) it revisits", "owners": "Owners, by name",
    "affiliates": "Affiliates, by name", "official": "The official, by person id", "party": "The outside party",
    "when": "When, ISO 8601 with its offset", "channel": "How (meeting, telephone, e-mail, ...)",
    "affected": "Who is affected, by id", "bidder_id": "The offeror, by person id",
    "contact_date": "When the contact happened, ISO 8601 with its offset",
    "response": "rejected, or recused (FAR 3.104-3(c))",
    "filing_id": f"The filing's id: {ID}", "manifest": "The logged events filed: seq, ledger index and leaf hash "
    "of each, in the log's order (at most 400; file a larger record in parts)", "motion_id": f"The motion's id: {ID}",
    "relief": "What the motion asks for", "deponents": "Each person to be deposed, with their office",
    "under_seal": "Filed under seal: the summary and deponents are committed on the log, not published",
    "order_id": f"The protective order's id: {ID}", "not_competitive_decision_maker": "Counsel states that they "
    "take no part in the party's competitive decision-making (U.S. Steel v. United States)",
    "counsel": "The counsel, by person id", "decision": "admitted, denied or revoked",
    "hearing_id": f"The hearing's id: {ID}", "purpose": "What it is for", "appeal_id": f"The appeal's id: {ID}",
    "court": "cafc (the Federal Circuit) or scotus (a petition for certiorari)",
    "extended_to": "The time a Justice extended the petition's deadline to (Sup. Ct. R. 13.5), ISO 8601",
    "amount": "The amount claimed",
    "family_id": f"The family's id: {ID}", "parent": "The parent company's name",
    "members": "Its subsidiaries and affiliates, by name", "source": "Where the structure comes from",
    "oci_id": f"The conflict's id: {ID}", "offeror": "The offeror, by person id",
    "resolution": "avoid, neutralize, mitigate (with a plan) or waive (FAR 9.504(a)(2), 9.503)",
    "plan_sha256": "The mitigation plan's SHA-256 (an uploaded document); required to mitigate",
    "remedy": "EU only, against a concluded contract: ineffective (art. 2d) or alternative-penalties (art. 2e)",
    "notice_means": "How the award decision is sent: electronic or other (EU: 10- or 15-day standstill)",
    "standstill_exception": "EU only: an art. 2b ground for no standstill (no-prior-publication, sole-tenderer, "
    "framework-call-off)",
    "vehicle": "The terms of a contract vehicle this tender awards: kind (idiq or framework), awardees (at most), "
    "ceiling {amount, currency}, ceiling_scope (shared or per-awardee), minimum, ordering_end, options "
    "[{id, period_end}], agency (defense or civilian), call_off (a framework's: direct, mini-competition, either)",
    "order_under": "The vehicle this tender competes an order under: its parties are the invited bidders",
    "invited": "Who alone may bid, by person id (a limited competition, FAR 6.302)",
    "related": "Processes this one follows on from: [{id, relationship (OCDS relatedProcess code), title?}]",
    "lots": "The lots the tender is divided into (2014/24/EU art. 46), each awarded on its own; every item then "
    "names its lot", "lot_award_limit": "The most lots one tenderer may be awarded (art. 46(2))",
    "lot": "In a tender divided into lots: the lot this is for",
    "bids": "The awarded bids, by id", "option_id": "The option's id, as the vehicle's terms name it",
    "competition": "The tender that competed the order among the vehicle's parties; its award gives the party "
    "and value", "exception": "Without competition: the fair-opportunity exception (FAR 16.505(b)(2)(i)): "
    "urgency, unique, follow-on, minimum-guarantee, statute, small-business",
    "justification": "The exception's justification (public above the simplified acquisition threshold)",
    "out_of_scope": "A task-order protest alleging the order increases the vehicle's scope, period or maximum "
    "value (heard whatever the order's value)",
    "award_likely_within_30_days": "The finding that award is likely within 30 days (needed to override a stay "
    "of the award, 31 U.S.C. 3553(c)(2)(B))",
}
DESCRIPTIONS_OF = {
    "CreateTender": {"value": "The estimated value of the contract"},
    "DecideAward": {"value": "The award's value"}, "SignContract": {"value": "The contract's value"},
    "TakeCorrectiveAction": {"factors": "The factors to be re-evaluated, by id"},
    "RecordIncident": {"description": "What happened"},
    "FileAdministrativeRecord": {"description": "What the filing holds", "kind": "initial, supplement or corrected",
                                 "motion_id": "The granted motion to supplement the record that ordered it"},
    "FileMotion": {"basis_known": "Reconsideration: when its basis was known (4 CFR 21.14(b))",
                   "summary": "The motion's argument (its brief)"},
    "FileBrief": {"kind": "opposition (another party) or reply (the movant)"},
    "RuleOnMotion": {"outcome": "The ruling", "text": "The ruling's text",
                     "order": "The kind of court order, already entered, that carries the ruling out"},
    "ApplyForAccess": {"party": "The party counsel represents, by id (the agency is 'agency')"},
    "IssueProtectiveOrder": {"text": "The order's terms"},
    "DecideAccess": {"reason": "Why (for a denial or revocation)"},
    "ScheduleHearing": {"when": "When the hearing is held, ISO 8601 with its offset"},
    "FileAppeal": {"summary": "What is appealed"}, "DecideAppeal": {"outcome": "The decision", "text": "Its text"},
    "RecommendCosts": {"text": "GAO's recommendation"}, "FileCostClaim": {"summary": "What the claim covers"},
    "PlaceOrder": {"order_id": "The order's id", "description": "What is ordered",
                   "party": "Without a competition: the party, by person id", "value": "Without a competition: "
                   "the order's value"},
    "IdentifyOci": {"kind": "unequal-access, biased-ground-rules or impaired-objectivity (FAR 9.505)",
                    "finding": "The contracting officer's finding"},
    "ResolveOci": {"rationale": "Why this resolves the conflict (for a waiver: its extent, FAR 9.503)"},
}

_TENDER = {
    "tender_id": "GSA-2030-0042", "title": "Cloud hosting for the records system",
    "description": "Hosting of the agency's records system in two regions for 24 months.",
    "buyer": Buyer.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
    "method": "open", "criteria": "bestValueTradeoff",
    "items": [Item.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
    "factors": [{"id": "tech", "name": "Technical approach", "weight": 3},
                {"id": "price", "name": "Price", "kind": "price", "weight": 1}],
    "tender_end": TENDER_END, "enquiry_end": ENQUIRY_END,
    "panel": {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"]},
    "opening_threshold": 2, "value": {"amount": "1250000.00", "currency": "USD"},
    "documents": [Document.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
}
_AMOUNT = {"amount": "980000.00", "currency": "USD"}

#: One example body per command, by the command's name: shown in the OpenAPI document, and sent
#: as they are by tests/api/test_bodies.py, so each is a command the domain accepts.
EXAMPLES: dict[str, dict[str, Any]] = {
    "CreateTender": _TENDER,
    "AmendTender": {"rationale": "A second hosting region is needed; bidders get two more weeks.",
                    "changes": TenderChanges.model_config["json_schema_extra"]["examples"][0]},  # type: ignore[index]
    "AskQuestion": {"enquiry_id": "q1", "question": "Must both regions be in the continental US?"},
    "AnswerQuestion": {"enquiry_id": "q1", "answer": "Yes, both regions must be in the continental US."},
    "RateProposal": {"bid_id": "bid-1", "factor_id": "tech", "rating": "Good",
                     "strengths": "A tested fail-over plan", "weaknesses": "Staffing plan thin in year two"},
    "RecordConsensus": {"bid_id": "bid-1", "factor_id": "tech", "rating": "Good",
                        "rationale": "The panel agreed after discussing the staffing plan."},
    "SetCompetitiveRange": {"included": ["bid-1", "bid-2"], "excluded": {"bid-3": "Technically unacceptable"},
                            "rationale": "Only the two highest-rated proposals have a reasonable chance."},
    "DecideAward": {"bid_id": "bid-1", "value": _AMOUNT,
                    "rationale": "Best value: its technical advantage is worth the price difference."},
    "SignContract": {"contract_id": "GS-35F-0042", "value": _AMOUNT, "period_end": "2032-03-31T23:59:59-04:00"},
    "CancelTender": {"reason": "The requirement was withdrawn by the program office."},
    "StartPerformance": {"scope": "full performance"},
    "FileProtest": {"protest_id": "B-423001", "forum": "gao", "grounds": "The agency misread our staffing plan."},
    "DocketProtest": {"protest_id": "B-423001"},
    "RequestDebriefing": {},
    "FileAgencyReport": {"protest_id": "B-423001", "summary": "The evaluation followed the stated factors."},
    "FileComments": {"protest_id": "B-423001", "summary": "The report does not answer the staffing ground."},
    "DecideProtest": {"protest_id": "B-423001", "outcome": "denied",
                      "reasoning": "The evaluation was reasonable and consistent with the solicitation."},
    "CourtOrder": {"protest_id": "B-423001", "order": "tro", "text": "Performance is enjoined for 14 days.",
                   "until": "2030-05-15T17:00:00-04:00"},
    "VoluntaryHold": {"until": "2030-05-30T17:00:00-04:00", "reason": "Pending the court's ruling",
                      "protest_id": "B-423001"},
    "OverrideStay": {"stay_id": "stay-1", "ground": "urgent-compelling",
                     "finding": "The current hosting contract expires; records would be unavailable."},
    "TakeCorrectiveAction": {"kind": "reevaluate", "rationale": "The staffing plan is re-evaluated.",
                             "factors": ["tech"], "protest_id": "B-423001"},
    "DeclareOwnership": {"owners": ["Jane Roe"], "affiliates": ["Acme Holdings LLC"]},
    "Recuse": {"official": "ev", "reason": "Holds stock in an offeror."},
    "RecordIncident": {"description": "A draft evaluation was e-mailed to an offeror by mistake.",
                       "affected": ["bid-2"]},
    "RecordContact": {"official": "co", "party": "Acme Corp. sales", "when": "2030-02-03T10:30:00-05:00",
                      "channel": "telephone", "summary": "Asked when the award is expected; told after evaluation."},
    "ReportEmploymentContact": {"bidder_id": "acme", "contact_date": "2030-02-03T10:30:00-05:00",
                                "response": "rejected"},
    "Intervene": {"protest_id": "19-1796C"},
    "FileAdministrativeRecord": {"protest_id": "19-1796C", "filing_id": "ar-1", "description": "The record of the "
                                 "source selection.", "manifest": [{"seq": 1, "index": 0, "leaf_hash": "ab" * 32}]},
    "FileMotion": {"protest_id": "19-1796C", "motion_id": "m-1", "relief": ["supplement_record", "discovery"],
                   "summary": "Bias and bad faith justify depositions.", "under_seal": True,
                   "deponents": [{"name": "Jane Roe", "office": "Source Selection Authority"}]},
    "FilePublicVersion": {"protest_id": "19-1796C", "motion_id": "m-1", "summary": "Bias (redacted).",
                          "deponents": [{"name": "Jane Roe", "office": "Source Selection Authority"}]},
    "FileBrief": {"protest_id": "19-1796C", "motion_id": "m-1", "kind": "opposition",
                  "summary": "No strong showing of bad faith."},
    "RuleOnMotion": {"protest_id": "19-1796C", "motion_id": "m-1", "outcome": "denied", "text": "Denied."},
    "IssueProtectiveOrder": {"protest_id": "19-1796C", "order_id": "po-1", "text": "Protected material is "
                             "disclosed only to admitted counsel."},
    "ApplyForAccess": {"protest_id": "19-1796C", "order_id": "po-1", "party": "globex",
                       "not_competitive_decision_maker": True},
    "DecideAccess": {"protest_id": "19-1796C", "order_id": "po-1", "counsel": "counsel-1", "decision": "admitted"},
    "ScheduleHearing": {"protest_id": "B-423001", "hearing_id": "h-1", "when": "2030-05-15T10:00:00-04:00",
                        "purpose": "Testimony of the price evaluators."},
    "FileAppeal": {"protest_id": "19-1796C", "appeal_id": "fc-1", "court": "cafc", "summary": "Appeal."},
    "DecideAppeal": {"protest_id": "19-1796C", "appeal_id": "fc-1", "outcome": "affirmed", "text": "Affirmed."},
    "RecommendCosts": {"protest_id": "B-423001", "text": "Reimburse the costs of filing and pursuing the protest."},
    "FileCostClaim": {"protest_id": "B-423001", "amount": {"amount": "84000.50", "currency": "USD"},
                      "summary": "Attorneys' fees, certified."},
    "RegisterFamily": {"family_id": "alphabet", "parent": "Alphabet Inc.",
                       "members": ["Google LLC", "Google Public Sector LLC"],
                       "source": "Alphabet Inc. Form 10-K, Exhibit 21 (subsidiaries)"},
    "IdentifyOci": {"oci_id": "oci-1", "offeror": "acme", "kind": "unequal-access",
                    "finding": "Acme's affiliate drafted the performance work statement."},
    "ResolveOci": {"oci_id": "oci-1", "resolution": "mitigate", "rationale": "A firewall separates the teams.",
                   "plan_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
    "AwardVehicle": {"bids": ["bid-1", "bid-2"], "rationale": "Both offer the full capability at a fair price."},
    "ExerciseOption": {"option_id": "option-1"},
    "PlaceOrder": {"order_id": "TO-0001", "description": "Cloud sandbox, one year.", "party": "acme",
                   "value": {"amount": "12000.00", "currency": "USD"}},
}


class PriorEmployer(BaseModel):
    model_config = _config({"name": "Globex", "from": "2019-01", "to": "2022-06"})
    name: str = Field(min_length=1, max_length=300, description="The employer's name")
    start: str | None = Field(None, alias="from", max_length=30, description="From when (ISO 8601 date)")
    end: str | None = Field(None, alias="to", max_length=30, description="Until when (ISO 8601 date)")


class DeclarationBody(BaseModel):
    model_config = _config({"role": "evaluator", "has_conflict": False, "holdings": ["Index funds only"],
                            "prior_employers": [{"name": "Globex", "from": "2019-01", "to": "2022-06"}]})
    role: Literal[PANEL_ROLES] = Field(  # type: ignore[valid-type]
        description="The official role this declaration is signed in")
    has_conflict: bool = Field(description="Whether the official has a conflict of interest")
    details: str = Field("", description="Its details, if any")
    holdings: list[str] = Field(default_factory=list, max_length=100, description="Companies whose stock you hold")
    prior_employers: list[PriorEmployer] = Field(default_factory=list, max_length=50,
                                                 description="Your employers of the last years")
    family_employers: list[str] = Field(default_factory=list, max_length=50,
                                        description="Employers of your household")


class WithdrawalBody(BaseModel):
    model_config = _config({"bid_id": "bid-1"})
    bid_id: str = Field(min_length=1, max_length=100, description="The bid's id, from its receipt")


class DebriefingBody(BaseModel):
    model_config = _config({"bidder_id": "globex"})
    bidder_id: str = Field(description="The unsuccessful offeror, by person id")


Commitment = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]


class DisclosureBody(BaseModel):
    model_config = _config({"commitments": ["sha256:" + "ab" * 32]})
    commitments: list[Commitment] = Field(min_length=1, max_length=200,
                                          description="The commitments of the payloads to disclose")
    to: str = Field("", max_length=200, description="An offeror's person id: given to it alone (its own "
                    "evaluation, FAR 15.506(d)); empty: to the public, where the tender's regime allows")
