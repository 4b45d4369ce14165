"""What every command shares: the base class and the checks of its fields."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: I-JSON (RFC 7493 §2.2): integers beyond ±(2**53 − 1) are not exact in every JSON reader, and
#: RFC 8785 canonical JSON (the log's form) refuses them.
MAX_SAFE_INTEGER = 2**53 - 1
#: An OCDS amount is a JSON number: a decimal with more significant digits than a double holds
#: exactly would be published as another amount than the one logged.
MAX_AMOUNT_DIGITS = 15
#: The years a procurement's times may fall in. RFC 3339 allows 0000-9999, but a deadline in the
#: year 902 is a typo, not a tender, and an offset could carry 9999-12-31 past the last year.
MIN_YEAR, MAX_YEAR = 1900, 9998


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


def check_choice(value: str, allowed: Iterable[str], what: str) -> str:
    """One of a closed list (a codelist, a forum, a kind): refused with the list named."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidCommand(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return value


def check_time(value: datetime, what: str) -> datetime:
    """A time the log can hold: with its UTC offset, in a year a procurement can be in."""
    if value.utcoffset() is None:
        raise InvalidCommand(f"{what} needs a UTC offset (e.g. Z or -05:00): a time without one is ambiguous")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidCommand(f"{what} {value.isoformat()} is not in the years {MIN_YEAR} to {MAX_YEAR}")
    return value


def check_json(value: Any, what: str) -> None:
    """`value` can be logged as it is: RFC 8785 JSON (I-JSON) and stored as text by SQLite and
    PostgreSQL. Times and digests are converted by the domain before logging, so they pass."""
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL text cannot hold NUL
            raise InvalidCommand(f"{what} contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidCommand(f"{what} contains a lone surrogate (not Unicode text)") from None
    elif isinstance(value, datetime):
        check_time(value, what)
    elif isinstance(value, bool) or value is None or isinstance(value, (date, bytes, Decimal)):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise InvalidCommand(f"{what} is {value}, beyond what JSON holds exactly (±{MAX_SAFE_INTEGER})")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidCommand(f"{what} must be a finite number")
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidCommand(f"{what} has a key that is not text: {k!r}")
            check_json(k, f"{what} key")
            check_json(v, f"{what}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_json(v, f"{what}[{i}]")
    else:
        raise InvalidCommand(f"{what} must be JSON (text, number, true/false, list or object), "
                             f"not {type(value).__name__}")


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
    if amount and (len(amount.normalize().as_tuple().digits) > MAX_AMOUNT_DIGITS
                   or not -MAX_AMOUNT_DIGITS <= amount.adjusted() <= MAX_AMOUNT_DIGITS):  # 1e999999 is 1 digit
        raise InvalidCommand(f"{what}.amount {str(value['amount'])[:40]!r} needs more than {MAX_AMOUNT_DIGITS} "
                             "digits (an OCDS amount must be exact)")
    cur = value["currency"]
    if not (isinstance(cur, str) and re.fullmatch(r"[A-Z]{3}", cur)):
        raise InvalidCommand(f"{what}.currency must be an ISO 4217 code like USD")
    return {"amount": format(amount, "f"), "currency": cur}


@dataclass(frozen=True)
class Command:
    tender_id: str

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            check_json(getattr(self, f.name), f.name)
        check_id(self.tender_id, "tender id")

    @property
    def name(self) -> str:
        return type(self).__name__
