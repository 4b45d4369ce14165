"""The tender's state, folded from its events, and the one entry point `decide`.

`evolve(state, envelope)` is the only way state changes, so replaying the log rebuilds it
exactly. It receives the full event: public payload and, where the app has it, the confidential
part (ratings before award, for instance, are needed to rank bids but never published early).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import access, evaluation, integrity, protests, tendering
from . import commands as c
from .errors import Refused
from .events import EventType
from .model import DRAFT, Actor, Event
from .rows import COLLECTIONS, Rows, seq_key

Decider = Callable[[Any, Any, Actor, datetime], list[Event]]

DECIDERS: dict[type, Decider] = {
    c.AmendTender: tendering.amend,
    c.PublishTender: tendering.publish,
    c.AskQuestion: tendering.ask,
    c.AnswerQuestion: tendering.answer,
    c.SubmitBid: tendering.submit_bid,
    c.WithdrawBid: tendering.withdraw_bid,
    c.CloseEnquiries: tendering.close_enquiries,
    c.CloseTendering: tendering.close_tendering,
    c.CancelTender: tendering.cancel,
    c.DeclareInterests: evaluation.declare,
    c.SubmitShare: evaluation.submit_share,
    c.RecordOpening: evaluation.record_opening,
    c.RateProposal: evaluation.rate,
    c.RecordConsensus: evaluation.consensus,
    c.SetCompetitiveRange: evaluation.competitive_range,
    c.DecideAward: evaluation.decide_award,
    c.GiveDebriefing: evaluation.debrief,
    c.SignContract: evaluation.sign_contract,
    c.ReadConfidential: access.read,
    c.Disclose: access.disclose,
    c.FileProtest: protests.file_protest,
    c.DocketProtest: protests.docket,
    c.FileAgencyReport: protests.agency_report,
    c.FileComments: protests.comments,
    c.DecideProtest: protests.decide_protest,
    c.CourtOrder: protests.court_order,
    c.VoluntaryHold: protests.voluntary_hold,
    c.OverrideStay: protests.override,
    c.TakeCorrectiveAction: protests.corrective_action,
    c.StartPerformance: protests.start_performance,
    c.LapseProtest: protests.lapse,
    c.EndStay: protests.end_stay,
    c.DeclareOwnership: integrity.declare_ownership,
    c.Recuse: integrity.recuse,
    c.ReportEmploymentContact: integrity.employment_contact,
    c.RecordContact: integrity.record_contact,
    c.RecordIncident: integrity.record_incident,
}


def decide(state: dict | None, cmd: c.Command, actor: Actor, now: datetime) -> list[Event]:
    """The events `cmd` produces, or Refused. Never mutates `state`."""
    if now.tzinfo is None:
        raise ValueError("the clock must give timezone-aware times")
    if isinstance(cmd, c.CreateTender):
        return tendering.create(state, cmd, actor, now)
    if state is None:
        raise Refused("not-found", f"no tender {cmd.tender_id}")
    return DECIDERS[type(cmd)](state, cmd, actor, now)


def _created(p: dict, e: dict) -> dict:
    core = {
        "id": e["tender"], "title": p["title"], "description": p["description"], "buyer": p["buyer"],
        "method": p["method"], "criteria": p["criteria"], "ruleset": p["ruleset"], "items": p["items"],
        "factors": p["factors"], "value": p["value"], "panel": p["panel"],
        "opening_threshold": p["opening_threshold"], "illustrative": p["illustrative"],
        "periods": {"enquiry_end": p["enquiry_end"], "tender_end": p["tender_end"]},
        "status": DRAFT, "created": e["time"], "published": None, "opening": None,
        "documents": [dict(d, date=e["time"]) for d in p["documents"]],
        "amendments": [], "shares": [], "competitive_range": None, "awards": [], "contract": None,
        "cancellation": None, "opened": None, "accesses": 0, "performance": None, "corrective_actions": [],
        "bids_live": 0, "events": 0, "last_event": None,
    }
    return core | {name: Rows() for name in COLLECTIONS}


def evolve(state: dict | None, e: dict) -> dict:
    """Apply one event envelope {type, tender, seq, time, actor, payload, confidential?}; return the
    new state. The old state is left as it was: the core is copied (handlers replace, never
    mutate, its nested values) and each collection gets a new copy-on-write layer."""
    t, p, conf = e["type"], e.get("payload", {}), e.get("confidential") or {}
    if t == EventType.TENDER_CREATED:
        s = _created(p, e)
    else:
        if state is None:
            raise ValueError(f"event {t} for tender {e['tender']} comes before its creation")
        s = {k: (v.layer() if isinstance(v, Rows) else v) for k, v in state.items()}
        apply = _APPLY.get(t)
        if apply is None and t not in _CORE_ONLY:
            raise ValueError(f"unknown event type {t!r}: no rule folds it into a tender's state")
        if apply is not None:
            apply(s, p, conf, e)
    if "status" in p:
        s["status"] = p["status"]
    s["events"] += 1
    s["last_event"] = e["time"]
    return s


#: Events whose whole effect is their `status` (applied by `evolve` itself).
_CORE_ONLY = frozenset({EventType.TENDER_ENQUIRIES_CLOSED, EventType.TENDER_TENDERING_CLOSED})


def _amended(s, p, conf, e) -> None:
    ch = p["changes"]
    for k in ("title", "description", "value", "items"):
        if k in ch:
            s[k] = ch[k]
    s["periods"] = {**s["periods"], **{k: ch[k] for k in ("tender_end", "enquiry_end") if k in ch}}
    s["documents"] = s["documents"] + [dict(d, date=e["time"]) for d in ch.get("documents", [])]
    s["amendments"] = s["amendments"] + [{"id": p["id"], "date": e["time"], "rationale": p["rationale"],
                                          "changes": sorted(ch)}]


def _published(s, p, conf, e) -> None:
    s["published"] = e["time"]
    s["opening"] = p["opening"]


def _asked(s, p, conf, e) -> None:
    # The author is in the confidential part, sealed to the opening key: never in the state.
    s["enquiries"].put(p["id"], {"id": p["id"], "date": e["time"], "question": p["question"], "answer": None,
                                 "answered": None})


def _answered(s, p, conf, e) -> None:
    s["enquiries"].patch(p["id"], answer=p["answer"], answered=e["time"])


def _bid(s, p, conf, e) -> None:
    # Who bid is sealed to the tender's opening key; the opening names every bidder at once.
    s["bids"].put(p["id"], {"id": p["id"], "seq": e["seq"], "status": "submitted", "date": e["time"],
                            "sealed_sha256": p["sealed_sha256"], "sealed_size": p["sealed_size"],
                            "withdrawal": p["withdrawal"]})
    s["bids_live"] += 1


def _withdrawn(s, p, conf, e) -> None:
    s["bids"].patch(p["id"], status="withdrawn")
    s["bids_live"] -= 1


def _declared(s, p, conf, e) -> None:
    s["declarations"].put(p["official"], {
        "date": e["time"], "has_conflict": p["has_conflict"],
        **{k: conf.get(k, []) for k in ("holdings", "prior_employers", "family_employers")}})


def _share(s, p, conf, e) -> None:
    s["shares"] = s["shares"] + [p["official"]]


def _opened(s, p, conf, e) -> None:
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


def _rated(s, p, conf, e) -> None:
    key = f"{p['bid']}/{p['factor']}/{p['evaluator']}"
    s["ratings"].put(key, [*s["ratings"].get(key, []), {"revision": p["revision"], "date": e["time"], **conf}])


def _consensus(s, p, conf, e) -> None:
    s["consensus"].put(f"{p['bid']}/{p['factor']}", {"date": e["time"], **conf})


def _range(s, p, conf, e) -> None:
    s["competitive_range"] = {"date": e["time"], "included": p["included"], "excluded": p["excluded"], **conf}


def _award(s, p, conf, e) -> None:
    s["awards"] = s["awards"] + [{k: v for k, v in p.items() if k != "status"} | {"date": e["time"]}]
    s["periods"] = {**s["periods"], "standstill_end": p["standstill_end"]}


def _debriefed(s, p, conf, e) -> None:
    s["debriefings"].put(p["bidder"], {"date": e["time"], "document_sha256": p["document_sha256"]})


def _contract(s, p, conf, e) -> None:
    s["contract"] = {k: v for k, v in p.items() if k != "status"} | {"date": e["time"]}


def _cancelled(s, p, conf, e) -> None:
    s["cancellation"] = {"date": e["time"], "reason": p["reason"]}
    if p.get("contract_terminated") and s["contract"]:
        s["contract"] = {**s["contract"], "terminated": e["time"]}


def _unsuccessful(s, p, conf, e) -> None:
    s["status"] = "unsuccessful"
    s["cancellation"] = {"date": e["time"], "reason": p["reason"]}


def _refused(s, p, conf, e) -> None:
    # A bidder's refused attempt names only the role until the opening reveals who it was.
    s["refusals"].put(seq_key(e["seq"]), {"date": e["time"], "command": p["command"], "code": p["code"],
                                          "reason": p["reason"], "actor": e["actor"]})


def _accessed(s, p, conf, e) -> None:
    s["accesses"] += 1


def _disclosed(s, p, conf, e) -> None:
    for i, item in enumerate(p["items"]):
        s["disclosed"].put(f"{seq_key(e['seq'])}/{i:04d}", item["commitment"])


def _filed(s, p, conf, e) -> None:
    s["protests"].put(p["id"], {**p, "filed": e["time"], "docketed": None, "report_due": None, "decision_due": None,
                                "comments_due": None, "report": None, "comments": None, "outcome": None,
                                "decided": None, "reasoning": None, "recommended_action": None, "orders": []})


def _add_stay(s, stay: dict, e: dict, protest: str | None) -> None:
    s["stays"].put(stay["id"], {"until": None, **stay, "protest": protest, "from": e["time"], "status": "in-force",
                                "ended": None, "override": None})


def _docketed(s, p, conf, e) -> None:
    s["protests"].patch(p["protest"], docketed=e["time"], report_due=p.get("report_due"),
                        decision_due=p.get("decision_due"))
    if p.get("stay"):
        _add_stay(s, p["stay"], e, p["protest"])


def _report(s, p, conf, e) -> None:
    s["protests"].patch(p["protest"], report=e["time"], comments_due=p["comments_due"])


def _comments(s, p, conf, e) -> None:
    s["protests"].patch(p["protest"], comments=e["time"])


def _lift(s, e: dict, protest: str, kinds: tuple[str, ...] | None = None) -> None:
    for sid, st in s["stays"].items():
        if st["protest"] == protest and st["status"] == "in-force" and (kinds is None or st["kind"] in kinds):
            s["stays"].patch(sid, status="lifted", ended=e["time"])


def _protest_decided(s, p, conf, e) -> None:
    s["protests"].patch(p["protest"], outcome=p["outcome"], decided=e["time"], reasoning=p["reasoning"],
                        recommended_action=p["recommended_action"])
    _lift(s, e, p["protest"])  # the decision ends every stay, hold or injunction of the protest


def _court_order(s, p, conf, e) -> None:
    orders = s["protests"][p["protest"]]["orders"]
    s["protests"].patch(p["protest"], orders=[*orders, {"date": e["time"], "order": p["order"], "text": p["text"]}])
    if p.get("stay"):
        _add_stay(s, p["stay"], e, p["protest"])
    if p["order"] == "dissolve_injunction":
        _lift(s, e, p["protest"], ("tro", "preliminary injunction"))


def _hold(s, p, conf, e) -> None:
    _add_stay(s, p["stay"], e, p["protest"])


def _overridden(s, p, conf, e) -> None:
    s["stays"].patch(p["stay"], status="overridden", ended=e["time"],
                     override={"ground": p["ground"], "finding": p["finding"], "by": e["actor"]["id"]})


def _stay_ended(s, p, conf, e) -> None:
    s["stays"].patch(p["stay"], status="ended", ended=e["time"])


def _corrective(s, p, conf, e) -> None:
    s["corrective_actions"] = s["corrective_actions"] + [
        {k: v for k, v in p.items() if k != "status"} | {"date": e["time"], "seq": e["seq"]}]


def _performance(s, p, conf, e) -> None:
    s["performance"] = {"date": e["time"], "scope": p["scope"]}


def _ownership(s, p, conf, e) -> None:
    # Before the opening the declaration is sealed to the opening key (conf is empty here) and the
    # opening folds it in; after the opening it is folded as it comes.
    if conf.get("bidder"):
        s["ownership"].put(conf["bidder"], {"owners": conf.get("owners", []), "affiliates": conf.get("affiliates", [])})


def _match(s, p, conf, e) -> None:
    s["coi_matches"].put(seq_key(e["seq"]), {"date": e["time"], **p, **conf})


def _recused(s, p, conf, e) -> None:
    s["recusals"].put(p["official"], {"date": e["time"], "reason": p["reason"]})


def _employment(s, p, conf, e) -> None:
    s["employment_contacts"].put(seq_key(e["seq"]), {"date": e["time"], **p})


def _contact(s, p, conf, e) -> None:
    s["contacts"].put(seq_key(e["seq"]), {"recorded": e["time"], **p})


def _incident(s, p, conf, e) -> None:
    s["incidents"].put(seq_key(e["seq"]), {"date": e["time"], **p})


_APPLY = {
    EventType.PROTEST_FILED: _filed,
    EventType.PROTEST_DOCKETED: _docketed,
    EventType.PROTEST_AGENCY_REPORT: _report,
    EventType.PROTEST_COMMENTS: _comments,
    EventType.PROTEST_DECIDED: _protest_decided,
    EventType.COURT_ORDER: _court_order,
    EventType.STAY_VOLUNTARY_HOLD: _hold,
    EventType.STAY_OVERRIDDEN: _overridden,
    EventType.STAY_ENDED: _stay_ended,
    EventType.CORRECTIVE_ACTION_TAKEN: _corrective,
    EventType.PERFORMANCE_STARTED: _performance,
    EventType.BIDDER_OWNERSHIP_DECLARED: _ownership,
    EventType.COI_MATCH: _match,
    EventType.OFFICIAL_RECUSED: _recused,
    EventType.INTEGRITY_EMPLOYMENT_CONTACT: _employment,
    EventType.CONTACT_RECORDED: _contact,
    EventType.INTEGRITY_INCIDENT: _incident,
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
}
