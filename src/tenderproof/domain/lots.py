"""Tenders divided into lots (Directive 2014/24/EU art. 46; FAR 14.201-6(q), 52.214-22 "multiple
awards"; the OCDS lots extension): each lot is evaluated, awarded, stood still, protested and
contracted on its own; one sealed package may cover several lots. A tender without lots is one
procedure, as it always was: every function here answers for it exactly as before."""

from __future__ import annotations

from .errors import Refused
from .tender import Award, Bid, TenderState


def lot_ids(state: TenderState) -> list[str]:
    return [x["id"] for x in state.get("lots", [])]


def check_lot(state: TenderState, lot: str | None, what: str) -> str | None:
    """The lot a command names: required in a tender divided into lots, refused in one that is not."""
    ids = lot_ids(state)
    if not ids:
        if lot is not None:
            raise Refused("no-lots", f"tender {state['id']} is not divided into lots; {what} names none")
        return None
    if lot is None:
        raise Refused("lot-needed", f"tender {state['id']} is divided into lots ({', '.join(ids)}); {what} names "
                      "its lot")
    if lot not in ids:
        raise Refused("not-found", f"tender {state['id']} has no lot {lot}")
    return lot


def covers(bid: Bid, lot: str | None) -> bool:
    """Whether a bid is an offer for `lot` (any bid is, in a tender without lots)."""
    return lot is None or lot in bid.get("lots", [])


def factor_key(factor_id: str, lot: str | None) -> str:
    """How a rating is keyed: by factor, and by lot where the tender has lots ('@' is not in an id,
    so the two never collide)."""
    return factor_id if lot is None else f"{factor_id}@{lot}"


def current_award(state: TenderState, lot: str | None = None) -> Award | None:
    """The award standing for the tender, or for one of its lots: the latest decided."""
    for award in reversed(state["awards"]):
        if award.get("lot") == lot:
            return award
    return None


def all_awarded(state: TenderState, lot: str) -> bool:
    """Whether an award for `lot` leaves every lot that has an offer awarded."""
    awarded = {a.get("lot") for a in state["awards"]} | {lot}
    offered = {x for b in state["bids"].values() if b["status"] == "opened" for x in b.get("lots", [])}
    return offered <= awarded


def all_contracted(state: TenderState, lot: str) -> bool:
    """Whether a contract for `lot` concludes every awarded lot."""
    contracted = set(state.get("lot_contracts", {})) | {lot}
    return {a["lot"] for a in state["awards"] if "lot" in a} <= contracted
