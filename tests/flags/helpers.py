"""Small builders for OCDS test data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def bid(tenderer: str | None, status: str = "valid", amount: float | None = None, currency: str = "USD",
        **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, **extra}
    if tenderer is not None:
        out["tenderers"] = [{"id": tenderer}]
    if amount is not None:
        out["value"] = {"amount": amount, "currency": currency}
    return out


def award(*suppliers: str, status: str = "active", **extra: Any) -> dict[str, Any]:
    return {"status": status, "suppliers": [{"id": s} for s in suppliers], **extra}


def short_tender(ocid: str, days: int = 5, **extra: Any) -> dict[str, Any]:
    """A release whose tender period is `days` long (R003 flags it below 15 days)."""
    return {"ocid": ocid, "date": "2020-01-01T00:00:00Z", **extra,
            "tender": {"tenderPeriod": {"startDate": "2020-01-01T00:00:00Z",
                                        "endDate": f"2020-01-{1 + days:02d}T00:00:00Z"}, **extra.pop("tender", {})}}


def jsonl(path: Path, releases: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in releases), encoding="utf-8")
    return path


def ini(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
