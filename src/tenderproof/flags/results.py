"""The result object, in Cardinal's JSON shape (`ocdscardinal indicators` output).

Groups `OCID`, `Buyer`, `ProcuringEntity`, `Tenderer` map an identifier to `{code: value}`; a
group without results is left out. `Meta` maps a code to its quartiles and fences (rounded to 4
decimals); `Maps` (with `--map`) maps contracting processes to organizations.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenderproof.flags.stats import finite, round4

GROUPS = ("OCID", "Buyer", "ProcuringEntity", "Tenderer")
#: The `Maps` keys, in Cardinal's order (`struct Maps` in cardinal-rs `src/indicators/mod.rs`).
MAPS = ("ocid_buyer_r038", "ocid_procuringentity_r038", "ocid_tenderer", "ocid_tenderer_r024",
        "ocid_tenderer_r028", "ocid_tenderer_r030", "ocid_tenderer_r035", "ocid_tenderer_r058")


@dataclass
class Results:
    groups: dict[str, dict[str, dict[str, float]]] = field(default_factory=lambda: {g: {} for g in GROUPS})
    meta: dict[str, dict[str, float]] = field(default_factory=dict)
    maps: dict[str, dict[str, Any]] = field(default_factory=lambda: {m: {} for m in MAPS})
    #: For the HTML report only: per code, per group, the rule that flags; and the distributions.
    rules: dict[str, dict[str, str]] = field(default_factory=dict)
    charts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def set(self, group: str, key: str, code: str, value: float) -> None:
        self.groups[group].setdefault(key, {})[code] = value

    def set_meta(self, code: str, key: str, value: float) -> None:
        self.meta.setdefault(code, {})[key] = value

    def add_to_map(self, name: str, ocid: str, ids: list[str] | tuple[str, ...]) -> None:
        self.maps[name].setdefault(ocid, set()).update(ids)

    def as_json(self, *, map: bool, no_meta: bool, codes: tuple[str, ...]) -> dict[str, Any]:
        """Cardinal's output object. It shares the identifiers' `{code: value}` dicts with these
        results where they are already in code order with finite values (indicators run in code
        order), rather than copying them: a 5 GiB input can flag millions of identifiers."""
        out: dict[str, Any] = {}
        for group in GROUPS:
            flagged = self.groups[group]
            if flagged:
                out[group] = {key: _in_code_order(flagged[key]) for key in sorted(flagged)}
        if not no_meta:
            out["Meta"] = {code: {k: round4(v) for k, v in self.meta[code].items()}
                           for code in codes if code in self.meta}
        if map:
            out["Maps"] = {name: {ocid: sorted(v) if isinstance(v, set) else v
                                  for ocid, v in sorted(self.maps[name].items())} for name in MAPS}
        return out


def _in_code_order(values: dict[str, float]) -> dict[str, float | None]:
    """`values` sorted by code, non-finite values as null (serde_json's way): itself if it is so."""
    codes = list(values)
    if codes == sorted(codes) and all(math.isfinite(v) for v in values.values()):
        return values  # type: ignore[return-value]
    return {code: finite(v) for code, v in sorted(values.items())}


def write_json(result: dict[str, Any], write: Callable[[str], object]) -> None:
    """Write Cardinal's output object as JSON, keys sorted, one identifier (or map entry) a line.
    In parts, with the C encoder for each entry: a 5 GiB input can flag millions of identifiers,
    and `json.dumps(…, indent=2)` would take its slow Python encoder and hold all the text."""
    def text(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)

    write("{")
    for i, name in enumerate(sorted(result)):
        write(f'{"," if i else ""}\n  {text(name)}: {{')
        entries = result[name]
        keys = sorted(entries)
        for start in range(0, len(keys), 10_000):
            write(("," if start else "") + ",".join(f"\n    {text(key)}: {text(entries[key])}"
                                                    for key in keys[start:start + 10_000]))
        write("\n  }" if keys else "}")
    write("\n}\n")
