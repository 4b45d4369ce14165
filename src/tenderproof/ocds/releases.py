"""OCDS 1.1 releases: what each state change of a tender publishes (DESIGN.md §6).

`RELEASES` says, for every event type, which release it publishes (its tags) or why it publishes none.
Every release is a full snapshot of the tender's *public* side, computed by one projection
(`public_view`) from the folded state. A state change publishes a release only when that
projection changes, so events whose content is confidential (ratings, consensus, declarations,
key shares, sealed bids) publish nothing, and nothing confidential can leak through a release:
the projection reads bidder identities only once bids are opened, and never reads ratings,
narratives, reasons for exclusion or conflict-of-interest details.

Document hashes: OCDS 1.1 core has no hash field, so a document's `url` is its content address,
an RFC 6920 Named Information URI `ni:///sha-256;<base64url digest>`, or `<document_base_url><hex>`
when the installation serves its documents over HTTP (the API's `GET /api/documents/{sha256}`,
whose download re-checks that hash); and its `description` states the digest and the size, so
the hash is readable whatever the URL. `format` is the media type when the command gave one.

Contract vehicles (their awards, contracts, terms, orders and running totals) and every tender's
relatedProcesses: `vehicles.py`.

Single lot for now: items carry no `relatedLot`, and nothing here assumes a single award beyond
what the domain itself decides, so lots can be added with the lots extension later.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenderproof.domain.events import EventType

from .lots import contract_of, is_latest, lot_contracts, lots
from .packages import DEFAULT_OCID_PREFIX
from .protests import protest_fields
from .values import ocid_for, value
from .vehicles import related_processes, vehicle_awards, vehicle_contracts, vehicle_orders, vehicle_terms

#: tenderproof tender.status -> OCDS 1.1 tenderStatus codelist (closed).
#: "planned": "A contracting process is scheduled, but is not yet taking place" - a draft has
#: its items, criteria and deadline fixed but is not yet open to bids ("planning" is for a process
#: merely being considered). Every active.* phase is "active": "A tender process is currently
#: taking place" (the phase survives in tags and in bids/awards statuses).
TENDER_STATUS = {
    "draft": "planned",
    "active.enquiries": "active",
    "active.tendering": "active",
    "active.opening": "active",
    "active.evaluation": "active",
    "active.awarded": "active",
    "active.stayed": "active",
    "complete": "complete",
    "cancelled": "cancelled",
    "unsuccessful": "unsuccessful",
}

#: tenderproof award criteria -> OCDS 1.1.5 awardCriteria codelist (non-deprecated codes) and details.
AWARD_CRITERIA = {
    "lowestPrice": ("priceOnly", "Lowest price"),
    "lowestPriceTechnicallyAcceptable": ("priceOnly", "Lowest price technically acceptable (FAR 15.101-2): "
                                                      "the lowest-priced of the proposals rated acceptable"),
    "bestValueTradeoff": ("ratedCriteria", "Best-value tradeoff (FAR 15.101-1) on weighted factors"),
}

PLANNING_UPDATE = ("planningUpdate",)


@dataclass(frozen=True)
class Publishes:
    """The event publishes a release whenever it changes the tender's public side (`public_view`),
    tagged `tags` (OCDS releaseTag codelist), or `in_draft` while the tender is still a draft."""

    tags: tuple[str, ...]
    in_draft: tuple[str, ...] = PLANNING_UPDATE

    def tags_after(self, state_before: Mapping[str, Any] | None) -> list[str]:
        draft = state_before is not None and state_before["status"] == "draft"
        return list(self.in_draft if draft else self.tags)


@dataclass(frozen=True)
class NoRelease:
    """The event never changes the tender's public side, so it publishes nothing: `why`."""

    why: str


def _always(*tags: str) -> Publishes:
    return Publishes(tags, in_draft=tags)


_UPDATE = Publishes(("tenderUpdate",))
#: Protests, stays, court orders and corrective action: tender.protests, .stays and .correctiveActions
#: (tenderproof's own extension, ocds/extensions/tenderproof_protests).
_PROTEST = _UPDATE
_INTEGRITY = NoRelease("integrity records (ownership, corporate families, conflicts of interest, recusals, contacts, "
                       "incidents) "
                       "are not published in OCDS")

#: What each event type publishes: one entry for every event type (tests/ocds check the table
#: against the releases of the JEDI replay and of the test procurements).
RELEASES: dict[EventType, Publishes | NoRelease] = {
    EventType.TENDER_CREATED: _always("planning"),
    EventType.TENDER_AMENDED: Publishes(("tenderAmendment",)),
    EventType.TENDER_PUBLISHED: _always("tender"),
    EventType.ENQUIRY_ASKED: _UPDATE,  # the first one: hasEnquiries (the question is published with its answer)
    EventType.ENQUIRY_ANSWERED: _UPDATE,
    EventType.TENDER_ENQUIRIES_CLOSED: NoRelease("only the phase changes: the OCDS tender.status is active in every "
                                                 "phase, and the end of the enquiry period was published before"),
    EventType.BID_SUBMITTED: NoRelease("sealed: bids are published at the opening, with their tenderers"),
    EventType.BID_WITHDRAWN: NoRelease("sealed: the opening publishes the withdrawn bids, without their bidders"),
    EventType.TENDER_TENDERING_CLOSED: NoRelease("only the phase changes (the OCDS tender.status stays active); the "
                                                 "opening publishes the bids"),
    EventType.TENDER_UNSUCCESSFUL: _UPDATE,
    EventType.TENDER_CANCELLED: _always("tenderCancellation"),
    EventType.COI_DECLARED: NoRelease("conflict-of-interest declarations are not published"),
    EventType.OPENING_SHARE_SUBMITTED: NoRelease("key shares are not public; the opening is an event of its own"),
    EventType.BIDS_OPENED: _UPDATE,
    EventType.EVALUATION_RATED: NoRelease("ratings and their narratives are confidential"),
    EventType.EVALUATION_CONSENSUS: NoRelease("consensus ratings are confidential"),
    EventType.EVALUATION_COMPETITIVE_RANGE: _UPDATE,  # bids.details: valid, or disqualified
    EventType.AWARD_DECIDED: _always("award"),
    EventType.DEBRIEFING_REQUESTED: NoRelease("a debriefing request is between the offeror and the agency"),
    EventType.DEBRIEFING_GIVEN: NoRelease("a debriefing is given to its offeror, not published"),
    EventType.CONTRACT_SIGNED: _always("awardUpdate", "contract"),
    EventType.PERFORMANCE_STARTED: NoRelease("the contract's implementation is not published"),
    EventType.PROTEST_FILED: _PROTEST,
    EventType.PROTEST_DOCKETED: _PROTEST,
    EventType.PROTEST_AGENCY_REPORT: _PROTEST,
    EventType.PROTEST_COMMENTS: _PROTEST,
    EventType.PROTEST_DECIDED: _PROTEST,
    EventType.COURT_ORDER: _PROTEST,
    EventType.STAY_VOLUNTARY_HOLD: _PROTEST,
    EventType.STAY_OVERRIDDEN: _PROTEST,
    EventType.STAY_ENDED: _PROTEST,
    **{t: _PROTEST for t in EventType if t.value.startswith("litigation.")},  # tender.protests[].motions, …
    EventType.CORRECTIVE_ACTION_TAKEN: _UPDATE,  # a re-evaluation makes a complete tender active again
    EventType.BIDDER_OWNERSHIP_DECLARED: _INTEGRITY,
    EventType.COI_MATCH: _INTEGRITY,
    EventType.OFFICIAL_RECUSED: _INTEGRITY,
    EventType.INTEGRITY_EMPLOYMENT_CONTACT: _INTEGRITY,
    EventType.CONTACT_RECORDED: _INTEGRITY,
    EventType.INTEGRITY_INCIDENT: _INTEGRITY,
    EventType.FAMILY_REGISTERED: _INTEGRITY,
    EventType.OCI_IDENTIFIED: _INTEGRITY,
    EventType.OCI_RESOLVED: _INTEGRITY,
    EventType.CONFIDENTIAL_ACCESSED: NoRelease("reads of confidential parts are on the log, not in OCDS"),
    EventType.CONFIDENTIAL_DISCLOSED: NoRelease("disclosed parts are published on the log with their salts; "
                                                "OCDS has no field for them"),
    EventType.CONFIDENTIAL_GIVEN: NoRelease("what one offeror is given is its own (FAR 15.506(d)): never "
                                            "published"),
    EventType.COMMAND_REFUSED: NoRelease("a refused command changes nothing but the record of its refusal"),
    EventType.ACCESS_GRANTED: NoRelease("who may act as an official is on the log; OCDS has no field for it"),
    EventType.ACCESS_REVOKED: NoRelease("who may act as an official is on the log; OCDS has no field for it"),
    # An award and a contract per party (ocds.vehicles), in force at once: the multiple award is the contract.
    EventType.VEHICLE_AWARDED: _always("award", "contract"),
    # The ordering period in tender.vehicle, and an amendment of every party's contract (FAR 17.207:
    # an option is exercised by a modification of the contract, FAR 43.103(b)).
    EventType.VEHICLE_OPTION_EXERCISED: Publishes(("tenderUpdate", "contractAmendment")),
    # vehicleOrders and vehicleTotals: placed under the contracts, after the tender is complete.
    EventType.ORDER_PLACED: Publishes(("contractUpdate",)),
}


def tender_status(status: str) -> str:
    """The OCDS tender.status of a tenderproof status (any future active.* phase is "active")."""
    return TENDER_STATUS.get(status) or ("active" if status.startswith("active.") else TENDER_STATUS[status])


def release_for(state_before: Mapping[str, Any] | None, state_after: Mapping[str, Any], envelope: Mapping[str, Any],
                *, ocid_prefix: str, index: int, document_base_url: str | None = None) -> dict | None:
    """The OCDS release published by applying `envelope` (ledger `index`), or None if nothing public changed."""
    publishes = RELEASES[EventType(envelope["type"])]
    if isinstance(publishes, NoRelease):
        return None
    after = public_view(state_after, document_base_url=document_base_url, ocid_prefix=ocid_prefix)
    if state_before is not None and public_view(state_before, document_base_url=document_base_url,
                                                 ocid_prefix=ocid_prefix) == after:
        return None
    ocid = ocid_for(ocid_prefix, state_after["id"])
    return {"ocid": ocid, "id": f"{ocid}-{index}", "date": envelope["time"], "tag": publishes.tags_after(state_before),
            "initiationType": "tender", "language": "en", **after}


def public_view(s: Mapping[str, Any], *, document_base_url: str | None = None,
                ocid_prefix: str = DEFAULT_OCID_PREFIX) -> dict[str, Any]:
    """The public OCDS content of a tender state (everything in a release but its metadata);
    `ocid_prefix` makes the ocids of the processes it names (relatedProcesses, competitions)."""
    buyer = {"id": s["buyer"]["id"], "name": s["buyer"]["name"]}
    parties: dict[str, dict[str, Any]] = {buyer["id"]: {**buyer, "roles": ["buyer", "procuringEntity"]}}
    opened = s.get("opened") is not None
    out: dict[str, Any] = {"buyer": buyer, "tender": _tender(s, buyer, document_base_url)}
    if opened:
        tenderers = _tenderers(s)
        for t in tenderers:
            parties.setdefault(t["id"], {**t, "roles": []})["roles"].append("tenderer")
        out["tender"]["numberOfTenderers"] = len(tenderers)
        if tenderers:
            out["tender"]["tenderers"] = tenderers
        out["bids"] = {"details": _bid_details(s)}
    elif s["status"] == "unsuccessful":
        out["tender"]["numberOfTenderers"] = 0  # closing found no live bid: nothing sealed is revealed
    awards = _awards(s) + vehicle_awards(s)
    for a in awards:
        for sup in a["suppliers"]:
            parties.setdefault(sup["id"], {**sup, "roles": []})["roles"].append("supplier")
    for p in parties.values():
        p["roles"] = list(dict.fromkeys(p["roles"]))
    out["parties"] = list(parties.values())
    if awards:
        out["awards"] = awards
    contracts = ([_contract(s["contract"])] if s.get("contract") else []) + [_contract(dict(c)) for c in
                                                                             lot_contracts(s)] + vehicle_contracts(s)
    if contracts:
        out["contracts"] = contracts
    out |= vehicle_orders(s, ocid_prefix)
    related = related_processes(s, ocid_prefix)
    if related:
        out["relatedProcesses"] = related
    return out


def _tender(s: Mapping[str, Any], buyer: dict, document_base_url: str | None) -> dict[str, Any]:
    code, details = AWARD_CRITERIA[s["criteria"]]
    factors = "; ".join(f"{f['name']} ({f['kind']}, weight {f['weight']})" for f in s["factors"])
    t: dict[str, Any] = {
        "id": s["id"], "title": s["title"], **({"description": s["description"]} if s.get("description") else {}),
        "status": tender_status(s["status"]), "procuringEntity": buyer,
        "items": [_item(i) for i in s["items"]], "procurementMethod": s["method"],
        "awardCriteria": code, "awardCriteriaDetails": f"{details}. Evaluation factors: {factors}.",
        "submissionMethod": ["electronicSubmission"],
        "submissionMethodDetails": "Sealed electronic bids, encrypted on the bidder's machine and opened all at once "
                                   "after the deadline by a quorum of bid-opening officials.",
    }
    if s.get("value"):
        t["value"] = value(s["value"])
    if s.get("illustrative"):  # invented values named wherever the data goes (tenderproof_illustrative)
        t["illustrative"] = list(dict.fromkeys(s["illustrative"]))
    periods, published = s["periods"], s.get("published")
    t["tenderPeriod"] = _period(published, periods["tender_end"])
    if periods.get("enquiry_end"):
        t["enquiryPeriod"] = _period(published, periods["enquiry_end"])
    if s["enquiries"]:
        t["hasEnquiries"] = True
    docs = [_document(d, document_base_url) for d in s["documents"]]
    docs += [_clarification(q) for q in s["enquiries"].values() if q["answer"] is not None]
    if s.get("cancellation"):
        c = s["cancellation"]
        kind = "cancellationDetails" if s["status"] == "cancelled" else None
        docs.append({"id": f"tender/{s['status']}", "title": f"Why the tender is {s['status']}",
                     "description": c["reason"], "datePublished": c["date"],
                     **({"documentType": kind} if kind else {})})
    if docs:
        t["documents"] = docs
    t |= protest_fields(s)
    t |= vehicle_terms(s)
    t |= lots(s)
    if s["amendments"]:
        t["amendments"] = [{"id": a["id"], "date": a["date"], "rationale": a["rationale"],
                            "description": "Changed: " + ", ".join(_CHANGED.get(k, k) for k in a["changes"])}
                           for a in s["amendments"]]
    return t


_CHANGED = {"title": "tender.title", "description": "tender.description", "value": "tender.value",
            "items": "tender.items", "documents": "tender.documents", "tender_end": "tender.tenderPeriod.endDate",
            "enquiry_end": "tender.enquiryPeriod.endDate"}


def _item(i: dict) -> dict[str, Any]:
    classification = {"scheme": i["classification"]["scheme"], "id": i["classification"]["id"]}
    item: dict[str, Any] = {"id": i["id"], "description": i["description"], "classification": classification}
    if "quantity" in i:
        item["quantity"] = i["quantity"]
    if "related_lot" in i:
        item["relatedLot"] = i["related_lot"]
    return item


def _period(start: str | None, end: str) -> dict[str, str]:
    return {"startDate": start, "endDate": end} if start else {"endDate": end}


#: RFC 6920 §3: a Named Information URI without an authority, for SHA-256 (§9.4's "sha-256").
NI_PREFIX = "ni:///sha-256;"


def document_url(sha256_hex: str, document_base_url: str | None = None) -> str:
    """The content address of a document: RFC 6920 `ni:///sha-256;…`, or `<base><hex>` if served over HTTP."""
    if document_base_url:
        return f"{document_base_url}{sha256_hex}"
    b64 = base64.urlsafe_b64encode(bytes.fromhex(sha256_hex)).rstrip(b"=").decode()
    return f"{NI_PREFIX}{b64}"


def _document(d: dict, document_base_url: str | None) -> dict[str, Any]:
    return {"id": d["id"], "title": d["title"], "url": document_url(d["sha256"], document_base_url),
            "description": f"SHA-256 {d['sha256']}, {d['size']} bytes", "datePublished": d["date"],
            **({"format": d["format"]} if d.get("format") else {})}


def _clarification(q: dict) -> dict[str, Any]:
    # The enquiry's author is never published: who asks may reveal who intends to bid.
    return {"id": f"enquiry/{q['id']}", "documentType": "clarifications", "title": f"Answer to enquiry {q['id']}",
            "description": f"Question: {q['question']}\nAnswer: {q['answer']}", "datePublished": q["answered"]}


def _tenderers(s: Mapping[str, Any]) -> list[dict[str, str]]:
    """The parties named by the opening (only bids that were live at the deadline are opened)."""
    seen: dict[str, dict[str, str]] = {}
    for b in sorted(s["bids"].values(), key=lambda b: (b["date"], b["id"])):
        if b["status"] == "opened":
            seen.setdefault(b["bidder"], {"id": b["bidder"], "name": b["bidder_name"]})
    return list(seen.values())


def _bid_details(s: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`bids.details` (tenderproof_bids): opened bids with their tenderers; withdrawn ones without identity."""
    cr = s.get("competitive_range")
    awarded = bool(s["awards"]) or bool((s.get("vehicle") or {}).get("parties"))
    out = []
    for b in sorted(s["bids"].values(), key=lambda b: (b["date"], b["id"])):
        d: dict[str, Any] = {"id": b["id"], "date": b["date"]}
        if b.get("lots"):  # tenderproof_lots: the lots it covers
            d["relatedLots"] = list(b["lots"])
        if b["status"] == "opened":
            if not b.get("readable"):
                d["status"] = "disqualified"
                d["description"] = "The sealed bid could not be decrypted at the opening."
            elif cr is not None and b["id"] in cr["excluded"]:
                d["status"] = "disqualified"
                d["description"] = "Excluded from the competitive range."
            elif (cr is not None and b["id"] in cr["included"]) or awarded:
                d["status"] = "valid"
            else:
                d["status"] = "pending"
            d["tenderers"] = [{"id": b["bidder"], "name": b["bidder_name"]}]
        elif b["status"] in ("withdrawn", "replaced"):
            d["status"] = "withdrawn"
            if b.get("replaced_by"):
                d["description"] = f"Replaced by bid {b['replaced_by']} before the deadline."
        else:
            continue
        out.append(d)
    return out


def _awards(s: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every award decided, with its OCDS awardStatus read from the state: a decision that a later
    one superseded (`supersedes`), and every award of a cancelled or unsuccessful tender, is
    "cancelled"; the contracted award, or the latest one once the tender is complete (a
    re-affirmed decision leaves the contract standing), is "active"; the latest one before
    that is "pending" (the standstill, or the stay, before the contract)."""
    superseded = {a["supersedes"]: a["id"] for a in s["awards"] if a.get("supersedes")}
    ended = s["status"] in ("cancelled", "unsuccessful")
    out = []
    for n, a in enumerate(s["awards"]):
        latest, contract = is_latest(s, n), contract_of(s, a)  # of the tender, or of the award's lot
        description = a["rationale"]
        if a.get("departure_reason"):
            description += f"\nDeparture from the evaluators' ranking: {a['departure_reason']}"
        if a["id"] in superseded:
            status = "cancelled"  # "This award has been cancelled": a later decision replaced it
            description += f"\nSuperseded by award {superseded[a['id']]}."
        elif ended:
            status = "cancelled"  # the tender was cancelled (or found unsuccessful) after this award
        elif a["id"] == contract.get("award") or (latest and contract and (s["status"] == "complete" or "lot" in a)):
            status = "active"  # "This award has been made, and is currently in force."
        else:
            status = "pending"  # "proposed, but not yet in force ... due to a cooling off period" (standstill)
        award = {"id": a["id"], "title": f"Award of tender {s['id']}", "description": description,
                 "status": status, "date": a["date"], "value": value(a["value"]),
                 "suppliers": [{"id": a["supplier"]["id"], "name": a["supplier"]["name"]}]}
        if "lot" in a:
            award["title"] = f"Award of lot {a['lot']} of tender {s['id']}"
            award["relatedLots"] = [a["lot"]]
        out.append(award)
    return out


def _contract(c: dict) -> dict[str, Any]:
    """The contract as the state holds it: "active" once signed, "terminated" from the date the
    state records its termination (OCDS contractStatus: "The contract was signed and in force, and
    has now come to a close ... due to ... termination"), which then ends its period."""
    end = c.get("terminated") or c.get("period_end")
    out = {"id": c["id"], "awardID": c["award"], "status": "terminated" if c.get("terminated") else "active",
           "dateSigned": c["date"], "value": value(c["value"]),
           "period": _period(c["date"], end) if end else {"startDate": c["date"]}}
    if c.get("terminated"):
        planned = f"; its period was to end {c['period_end']}" if c.get("period_end") else ""
        out["description"] = f"Terminated {c['terminated']} with the cancellation of the tender{planned}."
    return out
