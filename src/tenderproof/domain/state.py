"""The tender's state, folded from its events (its shape: tender.py).

`evolve(state, envelope)` is the only way state changes, so replaying the log rebuilds it
exactly. It receives the full event: public payload and, where the app has it, the confidential
part (ratings before award, for instance, are needed to rank bids but never published early).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from . import state_protests
from .acts import OFFICIAL_ROLES, PARTICIPATION
from .events import EventType
from .litigation_state import APPLY as LITIGATION
from .lots import factor_key
from .model import DRAFT
from .rows import COLLECTIONS, Rows, seq_key
from .tender import (
    Award,
    Bid,
    CoiMatchRow,
    CompetitiveRange,
    Consensus,
    Contract,
    Document,
    Envelope,
    JSONObject,
    Oci,
    Periods,
    RatingRevision,
    TenderState,
)
from .vehicle_state import APPLY as VEHICLES
from .vehicle_state import created as vehicle_created

#: Folds one event into a state: (state, payload, confidential part, envelope).
Handler = Callable[[TenderState, JSONObject, JSONObject, Envelope], None]


def _created(p: JSONObject, e: Envelope) -> TenderState:
    core = {
        "id": e["tender"], "title": p["title"], "description": p["description"], "buyer": p["buyer"],
        "method": p["method"], "criteria": p["criteria"], "ruleset": p["ruleset"], "items": p["items"],
        "factors": p["factors"], "value": p["value"], "panel": p["panel"],
        "opening_threshold": p["opening_threshold"], "illustrative": p["illustrative"],
        "periods": {"enquiry_end": p["enquiry_end"], "tender_end": p["tender_end"]},
        "status": DRAFT, "created": e["time"], "published": None, "opening": None,
        "documents": [_document(d, e) for d in p["documents"]],
        "amendments": [], "shares": [], "competitive_range": None, "awards": [], "contract": None,
        "cancellation": None, "opened": None, "accesses": 0, "performance": None, "corrective_actions": [],
        "bids_live": 0, "events": 0, "last_event": None,
    } | vehicle_created(p)
    collections: dict[str, Rows[Any]] = {name: Rows() for name in COLLECTIONS}
    return cast(TenderState, core | collections)


def _document(d: JSONObject, e: Envelope) -> Document:
    doc: Document = {"id": d["id"], "title": d["title"], "sha256": d["sha256"], "size": d["size"], "date": e["time"]}
    if "format" in d:  # logged only when the command gave one: older events fold as they always did
        doc["format"] = d["format"]
    return doc


def evolve(state: TenderState | None, e: Envelope) -> TenderState:
    """Apply one event envelope {type, tender, seq, time, actor, payload, confidential?}; return the
    new state. The old state is left as it was: the core is copied (handlers replace, never
    mutate, its nested values) and each collection gets a new copy-on-write layer."""
    t, p, conf = e["type"], e.get("payload", {}), e.get("confidential") or {}
    if t == EventType.TENDER_CREATED:
        s = _created(p, e)
    else:
        if state is None:
            raise ValueError(f"event {t} for tender {e['tender']} comes before its creation")
        s = cast(TenderState, {k: (v.layer() if isinstance(v, Rows) else v) for k, v in state.items()})
        apply = _APPLY.get(t)
        if apply is None and t not in _CORE_ONLY:
            raise ValueError(f"unknown event type {t!r}: no rule folds it into a tender's state")
        if apply is not None:
            apply(s, p, conf, e)
    if t in PARTICIPATION and e["actor"]["role"] in OFFICIAL_ROLES:
        s["official_acts"].put(seq_key(e["seq"]), {"seq": e["seq"], "date": e["time"], "official": e["actor"]["id"],
                                                   "act": t})
    if "status" in p:
        s["status"] = p["status"]
    s["events"] += 1
    s["last_event"] = e["time"]
    return s


#: Events whose whole effect is their `status` (applied by `evolve` itself), or nothing the rules
#: read: what one offeror was given is its event's own record (to whom, which commitments, why).
_CORE_ONLY = frozenset({EventType.TENDER_ENQUIRIES_CLOSED, EventType.TENDER_TENDERING_CLOSED,
                        EventType.CONFIDENTIAL_GIVEN})


def _amended(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    ch = p["changes"]
    if "title" in ch:
        s["title"] = ch["title"]
    if "description" in ch:
        s["description"] = ch["description"]
    if "value" in ch:
        s["value"] = ch["value"]
    if "items" in ch:
        s["items"] = ch["items"]
    periods = s["periods"].copy()
    if "tender_end" in ch:
        periods["tender_end"] = ch["tender_end"]
    if "enquiry_end" in ch:
        periods["enquiry_end"] = ch["enquiry_end"]
    s["periods"] = periods
    s["documents"] = s["documents"] + [_document(d, e) for d in ch.get("documents", [])]
    s["amendments"] = s["amendments"] + [{"id": p["id"], "date": e["time"], "rationale": p["rationale"],
                                          "changes": sorted(ch)}]


def _published(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["published"] = e["time"]
    s["opening"] = p["opening"]


def _asked(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    # The author is in the confidential part, sealed to the opening key: never in the state.
    s["enquiries"].put(p["id"], {"id": p["id"], "date": e["time"], "question": p["question"], "answer": None,
                                 "answered": None})


def _answered(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["enquiries"].patch(p["id"], answer=p["answer"], answered=e["time"])


def _bid(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    # Who bid is sealed to the tender's opening key; the opening names every bidder at once.
    bid: Bid = {"id": p["id"], "seq": e["seq"], "status": "submitted", "date": e["time"],
                "sealed_sha256": p["sealed_sha256"], "sealed_size": p["sealed_size"], "withdrawal": p["withdrawal"]}
    if "lots" in p:
        bid["lots"] = p["lots"]
    s["bids"].put(p["id"], bid)
    s["bids_live"] += 1


def _withdrawn(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["bids"].patch(p["id"], status="withdrawn")
    s["bids_live"] -= 1


def _declared(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["declarations"].put(p["official"], {
        "date": e["time"], "has_conflict": p["has_conflict"], "holdings": conf.get("holdings", []),
        "prior_employers": conf.get("prior_employers", []), "family_employers": conf.get("family_employers", [])})


def _share(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["shares"] = s["shares"] + [p["official"]]


def _opened(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    for bid_id, r in p["bids"].items():
        if "replaced_by" in r:
            s["bids"].patch(bid_id, status="replaced", bidder=r["bidder"], bidder_name=r["bidder_name"],
                            replaced_by=r["replaced_by"])
        else:
            s["bids"].patch(bid_id, status="opened", bidder=r["bidder"], bidder_name=r["bidder_name"],
                            readable=r["readable"], plaintext_sha256=r.get("sha256"), size=r.get("size"))
    # What was sealed to the opening key before it, now part of the record (not all public).
    revealed = conf.get("revealed", {})
    for key, actor in revealed.get("refusals", {}).items():
        s["refusals"].patch(key, actor=actor)
    for bidder, own in revealed.get("ownership", {}).items():
        s["ownership"].put(bidder, own)
    for bid_id, bidder in revealed.get("withdrawals", {}).items():
        s["bids"].patch(bid_id, bidder=bidder)
    s["opened"] = e["time"]
    s["bids_live"] = 0


def _rated(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    key = f"{p['bid']}/{factor_key(p['factor'], p.get('lot'))}/{p['evaluator']}"
    # The confidential part is the rest of the revision (evaluation.rate): rating, strengths, … reason.
    revision = cast(RatingRevision, {"revision": p["revision"], "date": e["time"], **conf})
    s["ratings"].put(key, [*s["ratings"].get(key, []), revision])


def _consensus(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    key = f"{p['bid']}/{factor_key(p['factor'], p.get('lot'))}"
    s["consensus"].put(key, cast(Consensus, {"date": e["time"], **conf}))  # rating, rationale


def _range(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    cr: CompetitiveRange = {"date": e["time"], "included": p["included"], "excluded": p["excluded"]}
    if conf:  # the reasons and rationale, where the reader holds the confidential part
        cr |= {"reasons": conf["reasons"], "rationale": conf["rationale"]}
    s["competitive_range"] = cr


def _award(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    award: Award = {
        "id": p["id"], "date": e["time"], "bid": p["bid"], "supplier": p["supplier"], "value": p["value"],
        "rationale": p["rationale"], "ranking": p["ranking"], "departs_from_ranking": p["departs_from_ranking"],
        "departure_reason": p["departure_reason"], "supersedes": p["supersedes"],
        "standstill_end": p["standstill_end"], "standstill_basis": p["standstill_basis"]}
    if "notice_means" in p:  # logged since the EU's 10- and 15-day periods (89/665/EEC art. 2a(2), 2c)
        award["notice_means"] = p["notice_means"]
    if "lot" in p:
        award["lot"] = p["lot"]
    s["awards"] = [*s["awards"], award]
    periods = {k: v for k, v in s["periods"].items() if k != "standstill_end"}
    if p["standstill_end"]:  # none under us-far (no standstill in US law)
        periods["standstill_end"] = p["standstill_end"]
    s["periods"] = cast(Periods, periods)


def _debriefed(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["debriefings"].put(p["bidder"], {"date": e["time"], "document_sha256": p["document_sha256"]})


def _contract(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    contract: Contract = {"id": p["id"], "date": e["time"], "award": p["award"], "value": p["value"],
                          "period_end": p["period_end"]}
    if "lot" in p:  # a lot's contract; the tender's own `contract` is for a tender not divided
        s["lot_contracts"] = s.get("lot_contracts", {}) | {p["lot"]: contract | {"lot": p["lot"]}}
    else:
        s["contract"] = contract


def _cancelled(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["cancellation"] = {"date": e["time"], "reason": p["reason"]}
    if p.get("contract_terminated") and s["contract"]:
        s["contract"] = {**s["contract"], "terminated": e["time"]}


def _unsuccessful(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["status"] = "unsuccessful"
    s["cancellation"] = {"date": e["time"], "reason": p["reason"]}


def _refused(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    # A bidder's refused attempt names only the role until the opening reveals who it was.
    s["refusals"].put(seq_key(e["seq"]), {"date": e["time"], "command": p["command"], "code": p["code"],
                                          "reason": p["reason"], "actor": e["actor"]})


def _accessed(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["accesses"] += 1


def _access_changed(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    """A grant or revocation changes nothing the rules read: the door is `app.accounts`' grants
    table, the panel stays as the tender names it; the log is the grant's public record."""


def _disclosed(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    for i, item in enumerate(p["items"]):
        s["disclosed"].put(f"{seq_key(e['seq'])}/{i:04d}", item["commitment"])


def _performance(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["performance"] = {"date": e["time"], "scope": p["scope"]}


def _ownership(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    # Before the opening the declaration is sealed to the opening key (conf is empty here) and the
    # opening folds it in; after the opening it is folded as it comes.
    if conf.get("bidder"):
        s["ownership"].put(conf["bidder"], {"owners": conf.get("owners", []), "affiliates": conf.get("affiliates", [])})


def _match(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    row: CoiMatchRow = {"date": e["time"], "official": p["official"], "interest": p["interest"]}
    if conf:
        row |= {"bidder": conf["bidder"], "declared": conf["declared"], "matches": conf["matches"]}
        if "family" in conf:  # matched through a registered corporate family: the evidence
            row["family"] = conf["family"]
    s["coi_matches"].put(seq_key(e["seq"]), row)


def _recused(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["recusals"].put(p["official"], {"date": e["time"], "reason": p["reason"]})


def _employment(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["employment_contacts"].put(seq_key(e["seq"]), {"date": e["time"], **p})


def _contact(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["contacts"].put(seq_key(e["seq"]), {"recorded": e["time"], **p})


def _incident(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["incidents"].put(seq_key(e["seq"]), {"date": e["time"], **p})


def _family(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["families"].put(p["id"], {"id": p["id"], "date": e["time"], "parent": p["parent"], "members": p["members"],
                                "source": p["source"]})


def _oci(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    oci: Oci = {"id": p["id"], "date": e["time"], "kind": p["kind"], "basis": p["basis"], "resolution": None,
                "resolved": None, "resolution_basis": None, "plan_sha256": None}
    if conf:  # which offeror, and the finding, where the reader holds the confidential part
        oci |= {"offeror": conf["offeror"], "finding": conf["finding"]}
    s["ocis"].put(p["id"], oci)


def _oci_resolved(s: TenderState, p: JSONObject, conf: JSONObject, e: Envelope) -> None:
    s["ocis"].patch(p["id"], resolution=p["resolution"], resolved=e["time"], resolution_basis=p["basis"],
                    plan_sha256=p.get("plan_sha256"), **({"rationale": conf["rationale"]} if conf else {}))


_APPLY: dict[EventType, Handler] = {
    **state_protests.HANDLERS,
    EventType.PERFORMANCE_STARTED: _performance,
    EventType.BIDDER_OWNERSHIP_DECLARED: _ownership,
    EventType.COI_MATCH: _match,
    EventType.OFFICIAL_RECUSED: _recused,
    EventType.INTEGRITY_EMPLOYMENT_CONTACT: _employment,
    EventType.CONTACT_RECORDED: _contact,
    EventType.INTEGRITY_INCIDENT: _incident,
    EventType.FAMILY_REGISTERED: _family,
    EventType.OCI_IDENTIFIED: _oci,
    EventType.OCI_RESOLVED: _oci_resolved,
    EventType.CONFIDENTIAL_ACCESSED: _accessed,
    EventType.CONFIDENTIAL_DISCLOSED: _disclosed,
    EventType.TENDER_AMENDED: _amended,
    EventType.TENDER_PUBLISHED: _published,
    EventType.ENQUIRY_ASKED: _asked,
    EventType.ENQUIRY_ANSWERED: _answered,
    EventType.BID_SUBMITTED: _bid,
    EventType.BID_WITHDRAWN: _withdrawn,
    EventType.COI_DECLARED: _declared,
    EventType.OPENING_SHARE_SUBMITTED: _share,
    EventType.BIDS_OPENED: _opened,
    EventType.EVALUATION_RATED: _rated,
    EventType.EVALUATION_CONSENSUS: _consensus,
    EventType.EVALUATION_COMPETITIVE_RANGE: _range,
    EventType.AWARD_DECIDED: _award,
    EventType.DEBRIEFING_GIVEN: _debriefed,
    EventType.CONTRACT_SIGNED: _contract,
    EventType.TENDER_CANCELLED: _cancelled,
    EventType.TENDER_UNSUCCESSFUL: _unsuccessful,
    EventType.COMMAND_REFUSED: _refused,
    EventType.ACCESS_GRANTED: _access_changed,
    EventType.ACCESS_REVOKED: _access_changed,
    **LITIGATION,
    **VEHICLES,
}
