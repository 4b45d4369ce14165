"""The tender's state, folded from its events, and the one entry point `decide`.

`evolve(state, envelope)` is the only way state changes, so replaying the log rebuilds it
exactly. It receives the full event: public payload and, where the app has it, the confidential
part (ratings before award, for instance, are needed to rank bids but never published early).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import commands as c
from . import access, evaluation, integrity, protests, tendering
from .errors import Refused
from .model import DRAFT, Actor, Event

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
    return {
        "id": e["tender"], "title": p["title"], "description": p["description"], "buyer": p["buyer"],
        "method": p["method"], "criteria": p["criteria"], "ruleset": p["ruleset"], "items": p["items"],
        "factors": p["factors"], "value": p["value"], "panel": p["panel"],
        "opening_threshold": p["opening_threshold"], "illustrative": p["illustrative"],
        "periods": {"enquiry_end": p["enquiry_end"], "tender_end": p["tender_end"]},
        "status": DRAFT, "created": e["time"], "published": None, "opening": None,
        "documents": [dict(d, date=e["time"]) for d in p["documents"]],
        "amendments": [], "enquiries": {}, "bids": {}, "declarations": {}, "shares": [],
        "ratings": {}, "consensus": {}, "competitive_range": None, "awards": [], "debriefings": {},
        "contract": None, "cancellation": None, "refusals": [], "opened": None, "accesses": 0, "disclosed": [],
        "protests": {}, "stays": {}, "ownership": {}, "recusals": {}, "coi_matches": [], "employment_contacts": [],
        "contacts": [], "incidents": [], "performance": None, "corrective_actions": [], "events": 0, "last_event": None,
    }


def evolve(state: dict | None, e: dict) -> dict:
    """Apply one event envelope {type, tender, time, actor, payload, confidential?} to a copy."""
    t, p, conf = e["type"], e.get("payload", {}), e.get("confidential") or {}
    if t == "tender.created":
        s = _created(p, e)
    else:
        if state is None:
            raise ValueError(f"event {t} for tender {e['tender']} comes before its creation")
        s = copy.deepcopy(state)
        _APPLY.get(t, _ignore)(s, p, conf, e)
    if "status" in p:
        s["status"] = p["status"]
    s["events"] += 1
    s["last_event"] = e["time"]
    return s


def _ignore(s, p, conf, e) -> None:
    pass


def _amended(s, p, conf, e) -> None:
    ch = p["changes"]
    for k in ("title", "description", "value", "items"):
        if k in ch:
            s[k] = ch[k]
    for k in ("tender_end", "enquiry_end"):
        if k in ch:
            s["periods"][k] = ch[k]
    s["documents"] += [dict(d, date=e["time"]) for d in ch.get("documents", [])]
    s["amendments"].append({"id": p["id"], "date": e["time"], "rationale": p["rationale"], "changes": sorted(ch)})


def _published(s, p, conf, e) -> None:
    s["published"] = e["time"]
    s["opening"] = p["opening"]


def _asked(s, p, conf, e) -> None:
    s["enquiries"][p["id"]] = {"id": p["id"], "date": e["time"], "author": p["author"], "question": p["question"],
                               "answer": None, "answered": None}


def _answered(s, p, conf, e) -> None:
    s["enquiries"][p["id"]].update(answer=p["answer"], answered=e["time"])


def _bid(s, p, conf, e) -> None:
    if p["replaces"]:
        s["bids"][p["replaces"]]["status"] = "replaced"
    s["bids"][p["id"]] = {"id": p["id"], "bidder": conf.get("bidder", e["actor"]["id"]),
                          "bidder_name": conf.get("bidder_name"), "status": "submitted", "date": e["time"],
                          "sealed_sha256": p["sealed_sha256"], "sealed_size": p["sealed_size"],
                          "replaces": p["replaces"]}


def _withdrawn(s, p, conf, e) -> None:
    s["bids"][p["id"]]["status"] = "withdrawn"


def _declared(s, p, conf, e) -> None:
    s["declarations"][p["official"]] = {"date": e["time"], "has_conflict": p["has_conflict"],
                                        **{k: conf.get(k, []) for k in ("holdings", "prior_employers", "family_employers")}}


def _share(s, p, conf, e) -> None:
    s["shares"].append(p["official"])


def _opened(s, p, conf, e) -> None:
    for bid_id, r in p["bids"].items():
        b = s["bids"][bid_id]
        b.update(status="opened", bidder=r["bidder"], bidder_name=r["bidder_name"], readable=r["readable"],
                 plaintext_sha256=r.get("sha256"), size=r.get("size"))
    s["opened"] = e["time"]


def _rated(s, p, conf, e) -> None:
    key = f"{p['bid']}/{p['factor']}/{p['evaluator']}"
    s["ratings"].setdefault(key, []).append({"revision": p["revision"], "date": e["time"], **conf})


def _consensus(s, p, conf, e) -> None:
    s["consensus"][f"{p['bid']}/{p['factor']}"] = {"date": e["time"], **conf}


def _range(s, p, conf, e) -> None:
    s["competitive_range"] = {"date": e["time"], "included": p["included"], "excluded": p["excluded"], **conf}


def _award(s, p, conf, e) -> None:
    s["awards"].append({k: v for k, v in p.items() if k != "status"} | {"date": e["time"]})
    s["periods"]["standstill_end"] = p["standstill_end"]


def _debriefed(s, p, conf, e) -> None:
    s["debriefings"][p["bidder"]] = {"date": e["time"], "document_sha256": p["document_sha256"]}


def _contract(s, p, conf, e) -> None:
    s["contract"] = {k: v for k, v in p.items() if k != "status"} | {"date": e["time"]}


def _cancelled(s, p, conf, e) -> None:
    s["cancellation"] = {"date": e["time"], "reason": p["reason"]}
    if p.get("contract_terminated") and s["contract"]:
        s["contract"]["terminated"] = e["time"]


def _unsuccessful(s, p, conf, e) -> None:
    s["status"] = "unsuccessful"
    s["cancellation"] = {"date": e["time"], "reason": p["reason"]}


def _refused(s, p, conf, e) -> None:
    s["refusals"].append({"date": e["time"], "command": p["command"], "code": p["code"], "reason": p["reason"],
                          "actor": e["actor"]})


def _accessed(s, p, conf, e) -> None:
    s["accesses"] += 1


def _disclosed(s, p, conf, e) -> None:
    s["disclosed"] += [i["commitment"] for i in p["items"]]


def _filed(s, p, conf, e) -> None:
    s["protests"][p["id"]] = {**p, "filed": e["time"], "docketed": None, "report_due": None, "decision_due": None,
                              "comments_due": None, "report": None, "comments": None, "outcome": None,
                              "decided": None, "reasoning": None, "recommended_action": None, "orders": []}


def _add_stay(s, stay: dict, e: dict, protest: str | None) -> None:
    s["stays"][stay["id"]] = {"until": None, **stay, "protest": protest, "from": e["time"], "status": "in-force",
                              "ended": None, "override": None}


def _docketed(s, p, conf, e) -> None:
    pr = s["protests"][p["protest"]]
    pr.update(docketed=e["time"], report_due=p.get("report_due"), decision_due=p.get("decision_due"))
    if p.get("stay"):
        _add_stay(s, p["stay"], e, p["protest"])


def _report(s, p, conf, e) -> None:
    s["protests"][p["protest"]].update(report=e["time"], comments_due=p["comments_due"])


def _comments(s, p, conf, e) -> None:
    s["protests"][p["protest"]]["comments"] = e["time"]


def _protest_decided(s, p, conf, e) -> None:
    pr = s["protests"][p["protest"]]
    pr.update(outcome=p["outcome"], decided=e["time"], reasoning=p["reasoning"],
              recommended_action=p["recommended_action"])
    for st in s["stays"].values():  # the decision ends every stay, hold or injunction of the protest
        if st["protest"] == p["protest"] and st["status"] == "in-force":
            st.update(status="lifted", ended=e["time"])


def _court_order(s, p, conf, e) -> None:
    s["protests"][p["protest"]]["orders"].append({"date": e["time"], "order": p["order"], "text": p["text"]})
    if p.get("stay"):
        _add_stay(s, p["stay"], e, p["protest"])
    if p["order"] == "dissolve_injunction":
        for st in s["stays"].values():
            if st["protest"] == p["protest"] and st["kind"] in ("tro", "preliminary injunction") and st["status"] == "in-force":
                st.update(status="lifted", ended=e["time"])


def _hold(s, p, conf, e) -> None:
    _add_stay(s, p["stay"], e, p["protest"])


def _overridden(s, p, conf, e) -> None:
    s["stays"][p["stay"]].update(status="overridden", ended=e["time"],
                                 override={"ground": p["ground"], "finding": p["finding"], "by": e["actor"]["id"]})


def _stay_ended(s, p, conf, e) -> None:
    s["stays"][p["stay"]].update(status="ended", ended=e["time"])


def _corrective(s, p, conf, e) -> None:
    s["corrective_actions"].append({k: v for k, v in p.items() if k != "status"} | {"date": e["time"], "seq": e["seq"]})


def _performance(s, p, conf, e) -> None:
    s["performance"] = {"date": e["time"], "scope": p["scope"]}


def _ownership(s, p, conf, e) -> None:
    s["ownership"][conf.get("bidder", e["actor"].get("id"))] = {"owners": conf.get("owners", []),
                                                               "affiliates": conf.get("affiliates", [])}


def _match(s, p, conf, e) -> None:
    s["coi_matches"].append({"date": e["time"], **p, **conf})


def _recused(s, p, conf, e) -> None:
    s["recusals"][p["official"]] = {"date": e["time"], "reason": p["reason"]}


def _employment(s, p, conf, e) -> None:
    s["employment_contacts"].append({"date": e["time"], **p})


def _contact(s, p, conf, e) -> None:
    s["contacts"].append({"recorded": e["time"], **p})


def _incident(s, p, conf, e) -> None:
    s["incidents"].append({"date": e["time"], **p})


_APPLY = {
    "protest.filed": _filed,
    "protest.docketed": _docketed,
    "protest.agency_report": _report,
    "protest.comments": _comments,
    "protest.decided": _protest_decided,
    "court.order": _court_order,
    "stay.voluntary_hold": _hold,
    "stay.overridden": _overridden,
    "stay.ended": _stay_ended,
    "corrective_action.taken": _corrective,
    "performance.started": _performance,
    "bidder.ownership_declared": _ownership,
    "coi.match": _match,
    "official.recused": _recused,
    "integrity.employment_contact": _employment,
    "contact.recorded": _contact,
    "integrity.incident": _incident,
    "confidential.accessed": _accessed,
    "confidential.disclosed": _disclosed,
    "tender.amended": _amended,
    "tender.published": _published,
    "enquiry.asked": _asked,
    "enquiry.answered": _answered,
    "bid.submitted": _bid,
    "bid.withdrawn": _withdrawn,
    "coi.declared": _declared,
    "opening.share_submitted": _share,
    "bids.opened": _opened,
    "evaluation.rated": _rated,
    "evaluation.consensus": _consensus,
    "evaluation.competitive_range": _range,
    "award.decided": _award,
    "debriefing.given": _debriefed,
    "contract.signed": _contract,
    "tender.cancelled": _cancelled,
    "tender.unsuccessful": _unsuccessful,
    "command.refused": _refused,
}
