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
from . import access, evaluation, tendering
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
        "contract": None, "cancellation": None, "refusals": [], "opened": None, "accesses": 0, "disclosed": [], "events": 0, "last_event": None,
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
    s["declarations"][p["official"]] = {"date": e["time"], "has_conflict": p["has_conflict"]}


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


_APPLY = {
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
