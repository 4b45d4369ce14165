"""Small conversions every part of a release shares: OCDS amounts as numbers, empty values left out."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def amount(text: str) -> int | float:
    """A decimal string as a JSON number (OCDS amounts are numbers); exact to 15 significant digits."""
    d = Decimal(text)
    return int(d) if d == d.to_integral_value() else float(d)


def value(v: Mapping[str, Any]) -> dict[str, Any]:
    return {"amount": amount(v["amount"]), "currency": v["currency"]}


def ocid_for(ocid_prefix: str, tender_id: str) -> str:
    """The ocid of a tender's contracting process under a publication's prefix."""
    return f"{ocid_prefix}{tender_id}"


def present(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """The members that hold something (None, "" and [] are omitted; False is a value)."""
    return {k: v for k, v in pairs.items() if v is not None and v != "" and v != []}
