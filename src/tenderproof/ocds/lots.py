"""A tender divided into lots in OCDS (the `tenderproof_lots` extension, named as the OCDS lots
extension names its fields): the lots with their status, and each award's lot. A tender without
lots publishes none of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .values import value


def lots(s: Mapping[str, Any]) -> dict[str, Any]:
    """`tender.lots`: each lot, complete once its contract is signed; a cancelled or unsuccessful
    tender's lots share its end."""
    if not s.get("lots"):
        return {}
    contracted = s.get("lot_contracts") or {}
    out = []
    for lot in s["lots"]:
        entry: dict[str, Any] = {"id": lot["id"], "title": lot["title"]}
        if lot.get("description"):
            entry["description"] = lot["description"]
        if lot.get("value"):
            entry["value"] = value(lot["value"])
        if s["status"] in ("cancelled", "unsuccessful"):
            entry["status"] = s["status"]
        else:
            entry["status"] = "complete" if lot["id"] in contracted else "active"
        out.append(entry)
    return {"lots": out}


def contract_of(s: Mapping[str, Any], award: Mapping[str, Any]) -> Mapping[str, Any]:
    """The contract an award may stand under: its lot's, or the tender's."""
    if "lot" in award:
        return (s.get("lot_contracts") or {}).get(award["lot"]) or {}
    return s.get("contract") or {}


def is_latest(s: Mapping[str, Any], n: int) -> bool:
    """Whether award `n` is the latest decided, of the tender or of its lot."""
    lot = s["awards"][n].get("lot")
    return all(a.get("lot") != lot for a in s["awards"][n + 1:])


def lot_contracts(s: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((s.get("lot_contracts") or {}).values())
