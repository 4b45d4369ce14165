"""What every command shares: the base class and the checks of its fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class InvalidCommand(ValueError):
    """A command whose fields are malformed (before any rule is applied)."""


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidCommand(f"{what} {value!r} must be 1-100 letters, digits or ._:- and start with a letter or digit")
    return value


def check_sha256(value: str, what: str) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidCommand(f"{what} must be a lowercase hex SHA-256, got {value!r}")
    return value


def check_text(value: str, what: str, max_len: int = 20_000, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidCommand(f"{what} must be non-empty text")
    if len(value) > max_len:
        raise InvalidCommand(f"{what} is {len(value)} characters, more than {max_len}")
    return value


def money(value: Any, what: str) -> dict[str, str]:
    """{"amount": "123.45", "currency": "USD"}: amounts as decimal strings, never floats."""
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise InvalidCommand(f"{what} must be {{amount, currency}}")
    try:
        amount = Decimal(str(value["amount"]))
    except InvalidOperation:
        raise InvalidCommand(f"{what}.amount {value['amount']!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidCommand(f"{what}.amount must be a non-negative number")
    cur = value["currency"]
    if not (isinstance(cur, str) and re.fullmatch(r"[A-Z]{3}", cur)):
        raise InvalidCommand(f"{what}.currency must be an ISO 4217 code like USD")
    return {"amount": format(amount, "f"), "currency": cur}


@dataclass(frozen=True)
class Command:
    tender_id: str

    def __post_init__(self) -> None:
        check_id(self.tender_id, "tender id")

    @property
    def name(self) -> str:
        return type(self).__name__
