"""Rules from the opening to the contract: declarations, key shares, opening, ratings (FAR
15.305), consensus, competitive range, the source selection decision (FAR 15.308), debriefings
(FAR 15.506) and contract signature after the standstill.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from . import commands as c
from . import eu_remedies
from .errors import Refused
from .events import EventType
from .guards import PANEL_ROLES, require_panel, require_role, require_status, unsuccessful_offerors
from .integrity import match_events, matches, matches_at_opening, new_matches
from .lots import all_awarded, all_contracted, check_lot, covers, current_award, factor_key, lot_ids
from .model import (
    AWARDED,
    BUYER,
    COMPLETE,
    EVALUATION,
    EVALUATOR,
    OPENING,
    OPENING_OFFICIAL,
    SSA,
    SYSTEM,
    Actor,
    Event,
    iso,
    parse_time,
)
from .oci import refuse_if_conflicted
from .protests import refuse_if_stayed
from .rulesets import ruleset
from .tender import Bid, Factor, JSONObject, TenderState


def require_declared(state: TenderState, actor: Actor) -> None:
    """An official acts on bids only with a signed declaration of no conflict, and never once
    recused (DESIGN.md §5)."""
    recusal = state["recusals"].get(actor.id)
    if recusal is not None:
        raise Refused("recused", f"{actor.id} was recused from tender {state['id']} on {recusal['date']}: "
                      f"{recusal['reason']}", logged=True)
    d = state["declarations"].get(actor.id)
    if d is None:
        raise Refused("no-declaration", f"{actor.id} has not signed a conflict-of-interest declaration for "
                      f"tender {state['id']}", logged=True)
    if d["has_conflict"]:
        raise Refused("conflicted", f"{actor.id} declared a conflict of interest on tender {state['id']}", logged=True)


def declare(state: TenderState, cmd: c.DeclareInterests, actor: Actor, now: datetime) -> list[Event]:
    if not any(actor.id in state["panel"].get(r, []) for r in PANEL_ROLES) or actor.role not in PANEL_ROLES:
        raise Refused("not-on-panel", f"{actor.id} is not an official on tender {state['id']}")
    if cmd.has_conflict and not cmd.details.strip():
        raise Refused("details-needed", "a declared conflict must be described")
    previous = state["declarations"].get(actor.id)
    if previous is not None and previous["has_conflict"] and not cmd.has_conflict:
        # A declared conflict cannot be declared away: it takes a recusal decision, on the record.
        raise Refused("conflicted", f"{actor.id} declared a conflict of interest on tender {state['id']}; "
                      "a later declaration cannot withdraw it", logged=True)
    declared: JSONObject = {"details": cmd.details, "holdings": list(cmd.holdings),
                            "prior_employers": [dict(e) for e in cmd.prior_employers],
                            "family_employers": list(cmd.family_employers)}
    for e in declared["prior_employers"]:
        if not isinstance(e.get("name"), str) or not e["name"].strip():
            raise Refused("details-needed", "each prior employer needs a name (and its dates)")
    events = [Event(EventType.COI_DECLARED, {"official": actor.id, "has_conflict": cmd.has_conflict}, declared)]
    # Not only self-assessed: what the official declares is checked against who bid and who owns them.
    return events + match_events(new_matches(state, matches(state, actor.id, declared)))


def submit_share(state: TenderState, cmd: c.SubmitShare, actor: Actor, now: datetime) -> list[Event]:
    if actor.id not in state["panel"][OPENING_OFFICIAL]:
        raise Refused("not-named", f"{actor.id} is not a named bid-opening official of tender {state['id']}",
                      logged=True)
    require_role(actor, OPENING_OFFICIAL)
    if state["status"] != OPENING:
        deadline = state["periods"]["tender_end"]
        if state["status"] in ("active.enquiries", "active.tendering"):
            raise Refused("too-early", f"bids cannot be opened before the submission deadline {deadline}", logged=True)
        require_status(state, OPENING)
    require_declared(state, actor)
    if actor.id in state["shares"]:
        raise Refused("duplicate-share", f"{actor.id} already submitted a share")
    return [Event(EventType.OPENING_SHARE_SUBMITTED, {"official": actor.id})]


def record_opening(state: TenderState, cmd: c.RecordOpening, actor: Actor, now: datetime) -> list[Event]:
    # The opening is mechanical: the app performs it the moment the k-th share arrives. The
    # buyer may also ask for it — which, before k shares are in, is refused and logged.
    require_role(actor, SYSTEM, BUYER)
    if actor.role == BUYER:
        require_panel(state, actor, BUYER)
    require_status(state, OPENING)
    k = state["opening_threshold"]
    if len(state["shares"]) < k:
        raise Refused("quorum", f"{len(state['shares'])} of the {k} key shares needed have been submitted", logged=True)
    live = {b["id"]: b for b in state["bids"].values() if b["status"] == "submitted"}
    if set(cmd.results) != set(live):
        raise Refused("incomplete-opening", "the opening must report every live bid, all at once")
    _finals, replaced = final_bids(live, {b: r["bidder"] for b, r in cmd.results.items()})
    results: dict[str, JSONObject] = {}
    for bid_id in sorted(cmd.results):
        r = cmd.results[bid_id]
        entry: JSONObject = {"bidder": c.check_id(r["bidder"], "bidder"), "bidder_name": str(r["bidder_name"])}
        if bid_id in replaced:
            entry["replaced_by"] = replaced[bid_id]
        else:
            entry["readable"] = bool(r.get("readable"))
            if entry["readable"]:
                entry.update(sha256=c.check_sha256(r["sha256"], "plaintext digest"), size=int(r["size"]))
        results[bid_id] = entry
    opened = Event(EventType.BIDS_OPENED, {"status": EVALUATION, "bids": results}, {"revealed": dict(cmd.revealed)})
    return [opened, *matches_at_opening(_as_opened(state, results, cmd.revealed))]


def final_bids(live: Mapping[str, Bid], bidder_of: dict[str, str]) -> tuple[set[str], dict[str, str]]:
    """Which live bids count: each bidder's latest (FAR 15.208(e): a proposal may be modified
    before the deadline; the later one replaces the earlier). Returns (finals, replaced→final)."""
    latest: dict[str, str] = {}
    for bid_id in sorted(live, key=lambda b: live[b]["seq"]):
        latest[bidder_of[bid_id]] = bid_id
    finals = set(latest.values())
    return finals, {b: latest[bidder_of[b]] for b in live if b not in finals}


def _as_opened(state: TenderState, results: dict[str, JSONObject], revealed: Mapping[str, Any]) -> TenderState:
    """The state with what the opening reveals (bidders, ownership), for checking every
    declaration against every bidder in the opening's own decision."""
    bids = {b: dict(row, **results[b]) if b in results else row for b, row in state["bids"].items()}
    ownership = {**state["ownership"], **revealed.get("ownership", {})}
    return cast(TenderState, {**state, "bids": bids, "ownership": ownership})


def _factor(state: TenderState, factor_id: str) -> Factor:
    for f in state["factors"]:
        if f["id"] == factor_id:
            return f
    raise Refused("unknown-factor", f"{factor_id} is not an evaluation factor of tender {state['id']}; only the "
                  f"stated factors can be rated ({', '.join(f['id'] for f in state['factors'])})")


def _check_rating(state: TenderState, factor: Factor, rating: str) -> str:
    if factor["kind"] == "price":
        try:
            amount = Decimal(rating)
        except InvalidOperation:
            raise Refused("bad-rating",
                          f"price factor {factor['id']} takes an evaluated price, not {rating!r}") from None
        if not amount.is_finite() or amount < 0:
            raise Refused("bad-rating", "an evaluated price must be a non-negative number")
        return format(amount, "f")
    if rating not in factor["scale"]:
        raise Refused("bad-rating",
                      f"{rating!r} is not on the scale of factor {factor['id']}: {', '.join(factor['scale'])}")
    return rating


def evaluable_bid(state: TenderState, bid_id: str) -> Bid:
    bid = state["bids"].get(bid_id)
    if bid is None or bid["status"] != "opened" or not bid.get("readable"):
        raise Refused("not-evaluable", f"bid {bid_id} is not an opened, readable bid of tender {state['id']}")
    return bid


def rate(state: TenderState, cmd: c.RateProposal, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, EVALUATOR)
    require_status(state, EVALUATION)
    require_declared(state, actor)
    lot = _lot_of_bid(state, cmd.bid_id, cmd.lot, "a rating")
    factor = _factor(state, cmd.factor_id)
    rating = _check_rating(state, factor, cmd.rating)
    key = f"{cmd.bid_id}/{factor_key(cmd.factor_id, lot)}/{actor.id}"
    history = state["ratings"].get(key, [])
    if history and not cmd.reason.strip():
        raise Refused("reason-needed",
                      f"changing the rating of {cmd.bid_id} on {cmd.factor_id} needs a recorded reason")
    confidential = {"rating": rating, "strengths": cmd.strengths, "weaknesses": cmd.weaknesses,
                    "deficiencies": cmd.deficiencies, "risks": cmd.risks, "reason": cmd.reason}
    payload = {"evaluator": actor.id, "bid": cmd.bid_id, "factor": cmd.factor_id, "revision": len(history) + 1}
    return [Event(EventType.EVALUATION_RATED, payload | ({"lot": lot} if lot else {}), confidential)]


def _lot_of_bid(state: TenderState, bid_id: str, lot: str | None, what: str) -> str | None:
    """The lot an evaluation step is for: the tender's, and one the bid offers."""
    bid = evaluable_bid(state, bid_id)
    lot = check_lot(state, lot, what)
    if not covers(bid, lot):
        raise Refused("not-offered", f"bid {bid_id} is not an offer for lot {lot}")
    return lot


def consensus(state: TenderState, cmd: c.RecordConsensus, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    require_status(state, EVALUATION)
    lot = _lot_of_bid(state, cmd.bid_id, cmd.lot, "a consensus rating")
    rating = _check_rating(state, _factor(state, cmd.factor_id), cmd.rating)
    payload = {"bid": cmd.bid_id, "factor": cmd.factor_id} | ({"lot": lot} if lot else {})
    return [Event(EventType.EVALUATION_CONSENSUS, payload, {"rating": rating, "rationale": cmd.rationale})]


def competitive_range(state: TenderState, cmd: c.SetCompetitiveRange, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    require_status(state, EVALUATION)
    opened = {b["id"] for b in state["bids"].values() if b["status"] == "opened"}
    named = set(cmd.included) | set(cmd.excluded)
    if named != opened or set(cmd.included) & set(cmd.excluded):
        raise Refused("incomplete-range", "the competitive range must place every opened bid exactly once")
    if not cmd.included:
        raise Refused("empty-range", "the competitive range cannot be empty; cancel the tender instead")
    for bid_id, reason in cmd.excluded.items():
        if not reason.strip():
            raise Refused("reason-needed", f"excluding bid {bid_id} needs a reason")
    return [Event(EventType.EVALUATION_COMPETITIVE_RANGE,
                  {"included": sorted(cmd.included), "excluded": sorted(cmd.excluded)},
                  {"reasons": dict(cmd.excluded), "rationale": cmd.rationale})]


def current_rating(state: TenderState, bid_id: str, factor: Factor, lot: str | None = None) -> str | None:
    """The consensus rating if recorded, else the evaluators' latest ratings combined (for `lot`,
    in a tender divided into lots)."""
    key = f"{bid_id}/{factor_key(factor['id'], lot)}"
    agreed = state["consensus"].get(key)
    if agreed is not None:
        return agreed["rating"]
    latest = [h[-1]["rating"] for k, h in state["ratings"].items() if k.startswith(f"{key}/")]
    if not latest:
        return None
    if factor["kind"] == "price":
        return format(max(Decimal(x) for x in latest), "f")  # the most conservative evaluated price
    return max(latest, key=factor["scale"].index)  # the most conservative adjectival rating


def ranking(state: TenderState, lot: str | None = None) -> list[str]:
    """The evaluators' ranking of the bids in the competitive range, best first.

    lowestPrice: by evaluated price. LPTA: acceptable bids (no factor rated at the bottom of its
    scale) by price. Best value: weighted points, each rating scored by its place on the scale and
    price scored lowest/price, so the ranking is reproducible from the recorded ratings.
    """
    pool = state["competitive_range"]["included"] if state["competitive_range"] else [
        b["id"] for b in state["bids"].values() if b["status"] == "opened" and b.get("readable")]
    if lot is not None:  # the offers for this lot only
        pool = [b for b in pool if covers(state["bids"][b], lot)]
    price_f = next(f for f in state["factors"] if f["kind"] == "price")
    prices = {b: r for b in pool if (r := current_rating(state, b, price_f, lot)) is not None}
    priced = list(prices)  # in the pool's order
    if state["criteria"] != "bestValueTradeoff":
        if state["criteria"] == "lowestPriceTechnicallyAcceptable":
            rated = [f for f in state["factors"] if f["kind"] == "rating"]
            priced = [b for b in priced
                      if all(current_rating(state, b, f, lot) not in (None, f["scale"][-1]) for f in rated)]
        return sorted(priced, key=lambda b: (Decimal(prices[b]), b))
    low = min((Decimal(prices[b]) for b in priced), default=Decimal(0))

    def score(b: str) -> Decimal:
        total = Decimal(0)
        for f in state["factors"]:
            r = current_rating(state, b, f, lot)
            if r is None:
                continue
            if f["kind"] == "price":
                points = low / Decimal(r) if Decimal(r) else Decimal(1)
            else:
                points = Decimal(len(f["scale"]) - 1 - f["scale"].index(r)) / Decimal(max(len(f["scale"]) - 1, 1))
            total += Decimal(str(f["weight"])) * points
        return total

    return sorted(priced, key=lambda b: (-score(b), b))


def decide_award(state: TenderState, cmd: c.DecideAward, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, SSA)
    require_status(state, EVALUATION)
    require_declared(state, actor)
    lot = _lot_of_bid(state, cmd.bid_id, cmd.lot, "an award")
    bid = evaluable_bid(state, cmd.bid_id)
    refuse_if_conflicted(state, bid)  # FAR 9.504(a)(2): organizational conflicts resolved before award
    cr = state["competitive_range"]
    if cr is not None and cmd.bid_id not in cr["included"]:
        raise Refused("outside-range", f"bid {cmd.bid_id} is not in the competitive range")
    if lot is not None:
        _refuse_over_lot_limit(state, bid, lot)
    order = ranking(state, lot)
    if not order:
        raise Refused("not-evaluated", "no bid has an evaluated price yet; the award needs a complete evaluation")
    departs = order[0] != cmd.bid_id
    if departs and not cmd.departure_reason.strip():
        raise Refused("departure-unexplained", f"the evaluators ranked {order[0]} first; selecting {cmd.bid_id} "
                      "needs a documented reason for departing from that ranking (FAR 15.308)")
    refuse_if_stayed(state, "award", now, lot)
    if state["ruleset"] == "eu":
        standstill_end, standstill_basis = eu_remedies.award_standstill(state, cmd, now)
    elif cmd.standstill_exception:
        raise Refused("bad-exception", "a standstill exception is the EU's (Directive 89/665/EEC art. 2b); "
                      f"{state['ruleset']} has no standstill to except from")
    else:  # us-far: no standstill, the award is the contract
        rules = ruleset(state["ruleset"])
        standstill_end, standstill_basis = rules.standstill_end(now), rules.standstill_basis()
    previous = current_award(state, lot)
    contracted = state["contract"] if lot is None else state.get("lot_contracts", {}).get(lot)
    contract_stands = contracted is not None and previous is not None and previous["bid"] == cmd.bid_id
    if lot is None:
        status = COMPLETE if contract_stands else AWARDED
    else:  # the tender is awarded once every lot with an offer is; each lot's contract then completes it
        status = AWARDED if all_awarded(state, lot) else EVALUATION
    payload = {"id": f"{state['id']}-award-{len(state['awards']) + 1}", "bid": cmd.bid_id,
               "supplier": {"id": bid["bidder"], "name": bid["bidder_name"]}, "value": cmd.value,
               "rationale": cmd.rationale, "ranking": order, "departs_from_ranking": departs,
               "departure_reason": cmd.departure_reason or None,
               # A corrected decision that re-affirms the contracted supplier leaves the contract standing.
               "status": status,
               "supersedes": previous["id"] if previous else None,
               "standstill_end": iso(standstill_end) if standstill_end else None,
               "standstill_basis": standstill_basis, "notice_means": cmd.notice_means}
    if lot is not None:
        payload["lot"] = lot
    return [Event(EventType.AWARD_DECIDED, payload)]


def _refuse_over_lot_limit(state: TenderState, bid: Bid, lot: str) -> None:
    """2014/24/EU art. 46(2): the buyer may limit the lots one tenderer is awarded."""
    limit = state.get("lot_award_limit")
    if limit is None:
        return
    held = [x for x in lot_ids(state) if x != lot and (a := current_award(state, x)) is not None
            and a["supplier"]["id"] == bid["bidder"]]
    if len(held) >= limit:
        raise Refused("lot-award-limit", f"{bid['bidder']} is already awarded {len(held)} lots ({', '.join(held)}); "
                      f"the tender allows at most {limit} to one tenderer (Directive 2014/24/EU art. 46(2))")


def debrief(state: TenderState, cmd: c.GiveDebriefing, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    require_status(state, AWARDED, COMPLETE)
    if cmd.bidder_id not in unsuccessful_offerors(state):
        raise Refused("not-unsuccessful", f"{cmd.bidder_id} is not an unsuccessful offeror of tender {state['id']}")
    return [Event(EventType.DEBRIEFING_GIVEN, {"bidder": cmd.bidder_id, "document_sha256": cmd.document_sha256})]


def sign_contract(state: TenderState, cmd: c.SignContract, actor: Actor, now: datetime) -> list[Event]:
    require_panel(state, actor, BUYER)
    lot = check_lot(state, cmd.lot, "a contract")
    # A lot's contract may be signed while other lots are still in evaluation.
    require_status(state, AWARDED) if lot is None else require_status(state, EVALUATION, AWARDED)
    award = current_award(state, lot)
    if award is None:
        raise Refused("not-awarded", f"lot {lot} of tender {state['id']} has no award")
    if lot is not None and lot in state.get("lot_contracts", {}):
        raise Refused("exists", f"lot {lot} of tender {state['id']} is already contracted")
    # Only a regime with a standstill holds signature (EU: 89/665/EEC art. 2a(2)); in the US the
    # award is the contract and a protest suspends performance instead (31 U.S.C. 3553(d)(3)).
    if award["standstill_end"] is not None and now < (end := parse_time(award["standstill_end"])):
        raise Refused("standstill", f"the standstill runs until {iso(end)} ({award['standstill_basis']}); "
                      "the contract cannot be signed before then", logged=True)
    refuse_if_stayed(state, "contract", now, lot)
    payload: dict[str, Any] = {"id": cmd.contract_id, "award": award["id"], "value": cmd.value,
                               "period_end": iso(cmd.period_end) if cmd.period_end else None, "status": COMPLETE}
    if lot is not None:
        payload["lot"] = lot
        if not (state["status"] == AWARDED and all_contracted(state, lot)):
            del payload["status"]  # complete once every lot is awarded and contracted
    return [Event(EventType.CONTRACT_SIGNED, payload)]
