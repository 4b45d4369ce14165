"""The shape of a tender's state: what `evolve` folds from the log, as typed structures.

The state stays a JSON-compatible dict at run time (projections compare byte for byte after a
rebuild), so its types are `TypedDict`s: the same dicts, with every key and value named. A state
is its `TenderCore` (small, stored as one row) plus one `Rows` collection per name in
`rows.COLLECTIONS` (stored a row per key): `TenderState` lists both. Times are RFC 3339 strings
(`model.iso`); amounts are `Money`, the amount a decimal string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

from .cases import Case
from .rows import Rows

#: A JSON object: an event's public payload or confidential part, as the log holds it.
JSONObject = dict[str, Any]
#: One event as logged and read back (built by app.envelope): type, tender, seq, time, actor,
#: payload, and the confidential part where the reader has it.
Envelope = Mapping[str, Any]


class Money(TypedDict):
    amount: str  # a decimal, exact (never a float)
    currency: str  # ISO 4217


class Party(TypedDict):
    id: str
    name: str


class Classification(TypedDict):
    scheme: str
    id: str


class Item(TypedDict):
    id: str
    description: str
    classification: Classification
    quantity: NotRequired[Any]


class Factor(TypedDict):
    """An evaluation factor (FAR 15.304): price, or rated on an adjectival scale, best first."""

    id: str
    name: str
    kind: Literal["rating", "price"]
    weight: int | float
    scale: list[str]


class Document(TypedDict):
    id: str
    title: str
    sha256: str
    size: int
    date: str
    format: NotRequired[str]  # its media type (OCDS document.format), when the command gave one


class Periods(TypedDict):
    enquiry_end: str | None
    tender_end: str
    standstill_end: NotRequired[str]


class Amendment(TypedDict):
    id: str
    date: str
    rationale: str
    changes: list[str]  # the names of what changed


class Award(TypedDict):
    id: str
    date: str
    bid: str
    supplier: Party
    value: Money
    rationale: str
    ranking: list[str]
    departs_from_ranking: bool
    departure_reason: str | None
    supersedes: str | None
    standstill_end: str | None  # None where the law has no standstill (us-far)
    standstill_basis: str
    notice_means: NotRequired[str]  # how the decision was sent: "electronic" or "other"
    lot: NotRequired[str]  # the lot awarded, in a tender divided into lots


class Contract(TypedDict):
    id: str
    date: str
    award: str
    value: Money
    period_end: str | None
    terminated: NotRequired[str]
    ineffective: NotRequired[str]  # when an EU review body declared it ineffective (89/665/EEC art. 2d)
    lot: NotRequired[str]  # the lot it concludes, in a tender divided into lots


class Cancellation(TypedDict):
    date: str
    reason: str


class CompetitiveRange(TypedDict):
    date: str
    included: list[str]
    excluded: list[str]
    reasons: NotRequired[dict[str, str]]  # confidential: why each excluded bid is out
    rationale: NotRequired[str]  # confidential


class Performance(TypedDict):
    date: str
    scope: str


class CorrectiveAction(TypedDict):
    date: str
    seq: int
    kind: str
    rationale: str
    revisits: list[int]
    factors: list[str]
    protest: str | None


class Bid(TypedDict):
    """A sealed bid. Who bid (`bidder`, `bidder_name`) is sealed until the opening folds it in."""

    id: str
    seq: int
    status: Literal["submitted", "withdrawn", "replaced", "opened"]
    date: str
    sealed_sha256: str
    sealed_size: int
    withdrawal: str  # SHA-256 of the bid's withdrawal key
    lots: NotRequired[list[str]]  # the lots it covers, in a tender divided into lots
    bidder: NotRequired[str]
    bidder_name: NotRequired[str]
    replaced_by: NotRequired[str]
    readable: NotRequired[bool]
    plaintext_sha256: NotRequired[str | None]
    size: NotRequired[int | None]


class Enquiry(TypedDict):
    """A question and its answer (FAR 15.201(f)); the author is never part of the state."""

    id: str
    date: str
    question: str
    answer: str | None
    answered: str | None


class Refusal(TypedDict):
    date: str
    command: str
    code: str
    reason: str
    actor: dict[str, str]  # {"id", "role"}; a bidder's id is sealed until the opening


class Declaration(TypedDict):
    """An official's conflict-of-interest declaration (FAR 3.104-5, 5 CFR 2635)."""

    date: str
    has_conflict: bool
    holdings: list[Any]
    prior_employers: list[Any]
    family_employers: list[Any]


class RatingRevision(TypedDict):
    """One evaluator's rating of one bid on one factor (FAR 15.305(a)); a change is a new revision
    with its reason. All but the revision number and date are confidential."""

    revision: int
    date: str
    rating: NotRequired[str]
    strengths: NotRequired[str]
    weaknesses: NotRequired[str]
    deficiencies: NotRequired[str]
    risks: NotRequired[str]
    reason: NotRequired[str]


class Consensus(TypedDict):
    date: str
    rating: NotRequired[str]  # confidential, like the rationale
    rationale: NotRequired[str]


class CoiMatch(TypedDict):
    """An official's declared interest that matches a bidder's name, owner or affiliate (FAR 3.104-5,
    5 CFR 2635.502): that it exists and its kind are public, the rest confidential."""

    official: str
    interest: str  # the kind: holding, prior employer, family employer
    bidder: NotRequired[str]  # confidential, like `declared` and `matches`
    declared: NotRequired[str]
    matches: NotRequired[str]
    family: NotRequired[str]  # confidential: the registered family that links them, when one does


class Family(TypedDict):
    """A corporate family on the tender's log: a parent and its subsidiaries and affiliates."""

    id: str
    date: str
    parent: str
    members: list[str]
    source: str  # where the structure comes from


class CoiMatchRow(CoiMatch):
    date: str


class Oci(TypedDict):
    """An organizational conflict of interest (FAR 9.5) and its resolution before award."""

    id: str
    date: str
    kind: str  # commands.OCI_KINDS
    basis: str
    offeror: NotRequired[str]  # confidential, like the finding
    finding: NotRequired[str]
    resolution: str | None  # commands.OCI_RESOLUTIONS once resolved
    resolved: str | None
    resolution_basis: str | None
    plan_sha256: str | None  # the mitigation plan's document
    rationale: NotRequired[str]  # confidential


class OfficialAct(TypedDict):
    """An official's part in the procurement (FAR 3.104-1 "participating personally and
    substantially"), kept so a late conflict report can name the acts it concerns."""

    seq: int
    date: str
    official: str
    act: str  # the event type


class Ownership(TypedDict):
    """A bidder's declared owners and affiliates, checked against the officials' declarations."""

    owners: list[str]
    affiliates: list[str]


# What holds up award, contract or performance: a CICA stay (31 U.S.C. 3553), a court's TRO or
# injunction, or the agency's voluntary hold. Functional syntax because "from" is a keyword.
Stay = TypedDict("Stay", {
    "id": str,
    "kind": str,
    "blocks": list[Literal["award", "contract", "performance"]],
    "basis": str,
    "until": str | None,
    "protest": str | None,
    "from": str,  # when it took effect
    "status": Literal["in-force", "lifted", "overridden", "ended"],
    "ended": str | None,
    "override": dict[str, Any] | None,
    "award": NotRequired[str | None],  # an injunction against this award only (the one set aside)
})


class CourtOrderEntry(TypedDict):
    date: str
    order: str
    text: str


class Protest(TypedDict):
    """A bid protest (4 CFR part 21 at GAO, 28 U.S.C. 1491(b) at the Court of Federal Claims, or
    agency-level under FAR 33.103): the filing, then the docket's dates and the outcome."""

    id: str
    forum: str
    protester: str
    grounds: str
    kind: Literal["pre-award", "post-award"]
    timely: bool
    due: str | None
    timeliness_rule: str
    express: bool
    filed: str
    docketed: str | None
    report_due: str | None
    decision_due: str | None
    comments_due: str | None
    report: str | None
    comments: str | None
    outcome: str | None
    decided: str | None
    reasoning: str | None
    recommended_action: str | None
    orders: list[CourtOrderEntry]
    set_aside: NotRequired[str | None]  # the award a court's judgment set aside
    lot: NotRequired[str]  # the lot protested: its stays hold that lot only


class VehicleOption(TypedDict):
    id: str
    period_end: str
    exercised: str | None  # when the contracting officer exercised it (FAR 17.207)


class VehicleParty(TypedDict):
    id: str
    name: str
    bid: str
    award: str  # the award's id: "<tender>-vehicle-award-<n>"


class Vehicle(TypedDict):
    """A contract vehicle: a multiple-award IDIQ contract (FAR 16.504) or a framework agreement
    (2014/24/EU art. 33). Its running totals are kept here, so placing an order reads one row."""

    kind: str  # commands.VEHICLE_KINDS
    awardees: int  # at most this many parties
    ceiling: Money  # the maximum the orders may come to (FAR 16.504(a)(1))
    ceiling_scope: str  # "shared" by the parties, or "per-awardee"
    minimum: Money | None  # guaranteed to each awardee (FAR 16.504(a)(1))
    ordering_end: str  # the ordering period, as its exercised options extend it
    options: list[VehicleOption]
    agency: str  # "defense" or "civilian": which task-order protest statute applies
    call_off: NotRequired[str]  # a framework's: "direct", "mini-competition" or "either" (art. 33(4))
    parties: list[VehicleParty]  # the awardees, from the award on
    awarded: str | None
    standstill_end: NotRequired[str | None]  # an EU framework's (89/665/EEC art. 2a(2)): no call-off before
    ordered: str  # the running total of every order placed, a decimal
    party_totals: dict[str, str]  # party id -> its orders' total
    orders: int  # how many orders were placed


class Order(TypedDict):
    """A task or delivery order, or a framework call-off, as the vehicle's log holds it."""

    id: str
    date: str
    seq: int
    party: Party
    value: Money
    basis: str  # "fair-opportunity", "mini-competition", "exception", "micro-purchase" or "direct"
    competition: str | None  # the tender that competed it
    exception: str | None  # commands.FAIR_OPPORTUNITY_EXCEPTIONS
    justification: str | None
    description: str
    ordered_before: str  # the vehicle's running total before and after it: anyone re-adds them
    ordered_after: str
    party_after: str
    posted: bool  # above the simplified acquisition threshold its justification is public (16.505(b)(2)(ii)(D))


class Lot(TypedDict):
    """A lot of a tender divided into lots (2014/24/EU art. 46; OCDS tender.lots)."""

    id: str
    title: str
    description: NotRequired[str]
    value: NotRequired[Money]


class OrderUnder(TypedDict):
    """What a tender competing an order records of its vehicle."""

    vehicle: str
    kind: str
    agency: str


class TenderCore(TypedDict):
    """What a tender is, apart from its growing collections: stored as one row."""

    id: str
    title: str
    description: str
    buyer: Party
    method: str
    criteria: str
    ruleset: str
    items: list[Item]
    factors: list[Factor]
    value: Money | None
    panel: dict[str, list[str]]  # role -> officials named on the panel
    opening_threshold: int  # k of the k-of-n opening key
    illustrative: list[str]  # what the public must be told is invented
    periods: Periods
    status: str  # model.DRAFT … model.UNSUCCESSFUL (OCDS tender.status where it has one)
    created: str
    published: str | None
    opening: dict[str, Any] | None  # the opening key: public key, encrypted shares, threshold
    documents: list[Document]
    amendments: list[Amendment]
    shares: list[str]  # officials who submitted their opening share
    competitive_range: CompetitiveRange | None
    awards: list[Award]  # every award decided, the current one last
    contract: Contract | None
    cancellation: Cancellation | None
    opened: str | None
    accesses: int
    performance: Performance | None
    corrective_actions: list[CorrectiveAction]
    bids_live: int
    vehicle: NotRequired[Vehicle]  # the contract vehicle this tender awards
    order_under: NotRequired[OrderUnder]  # the vehicle this tender competes an order under
    invited: NotRequired[list[str]]  # who alone may bid (FAR 6.302, 16.505(b)(1))
    related: NotRequired[list[dict[str, str]]]  # {"id", "relationship", "title"?}: OCDS relatedProcesses
    lots: NotRequired[list[Lot]]  # the lots it is divided into, each awarded on its own
    lot_award_limit: NotRequired[int]  # the most lots one tenderer may be awarded (art. 46(2))
    lot_contracts: NotRequired[dict[str, Contract]]  # lot -> its contract (`contract` stays None)
    events: int  # how many events are folded in: the seq of the last
    last_event: str | None


class TenderState(TenderCore):
    """The whole state: the core and its collections (`rows.COLLECTIONS`)."""

    bids: Rows[Bid]
    enquiries: Rows[Enquiry]
    refusals: Rows[Refusal]  # keyed by rows.seq_key
    declarations: Rows[Declaration]  # keyed by official
    ratings: Rows[list[RatingRevision]]  # "bid/factor/evaluator" -> revisions, latest last
    consensus: Rows[Consensus]  # "bid/factor"
    debriefings: Rows[dict[str, Any]]  # keyed by bidder
    debriefing_requests: Rows[dict[str, Any]]  # keyed by bidder: the award, when, required or not
    protests: Rows[Protest]
    litigation: Rows[Case]  # keyed by protest
    stays: Rows[Stay]
    ownership: Rows[Ownership]  # keyed by bidder
    recusals: Rows[dict[str, Any]]  # keyed by official
    coi_matches: Rows[CoiMatchRow]
    employment_contacts: Rows[dict[str, Any]]
    contacts: Rows[dict[str, Any]]
    incidents: Rows[dict[str, Any]]
    disclosed: Rows[str]  # commitments disclosed, "seq/index" -> commitment
    ocis: Rows[Oci]  # keyed by the conflict's id
    families: Rows[Family]  # keyed by the family's id
    official_acts: Rows[OfficialAct]  # keyed by rows.seq_key
    orders: Rows[Order]  # a vehicle's orders, keyed by order id
    order_competitions: Rows[str]  # a vehicle's: competition tender id -> the order it gave
