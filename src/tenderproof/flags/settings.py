"""Cardinal's settings file (INI) for the red-flag indicators, with Cardinal's defaults.

The format is the one `ocdscardinal init` writes and `ocdscardinal indicators --settings` reads
(cardinal-rs `docs/cli/indicators/index.md`, `src/indicators/mod.rs`): global keys before any
section (`currency`, `no_price_comparison_procurement_methods`,
`price_comparison_procurement_methods`), an `[exclusions]` section, one `[Rxxx]` section per
enabled indicator, and sub-tables such as `[R003.procurement_method_details]` (a sub-table alone
also enables its indicator, as Cardinal's config loader nests dotted section names). Keys are
case-sensitive, as in Cardinal. Sections of Cardinal's `prepare` command are accepted and ignored.
"""

from __future__ import annotations

import configparser
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The eleven indicators both tenderproof and Cardinal compute, in Cardinal's order.
CARDINAL_CODES: tuple[str, ...] = ("R003", "R018", "R024", "R025", "R028", "R030", "R035", "R036", "R038",
                                   "R048", "R058")
#: Indicators from OCP's list that only tenderproof computes (see `ocp.py` and docs/flags.md).
OCP_CODES: tuple[str, ...] = ("R004", "R013", "R016", "R019", "R020", "R022", "R031", "R040", "R050",
                              "R051", "R059", "R060", "R061", "R062", "R064", "R068")
#: Every indicator tenderproof computes, in code order.
CODES: tuple[str, ...] = tuple(sorted(CARDINAL_CODES + OCP_CODES))
#: Sections that Cardinal accepts but that do not concern these indicators.
_IGNORED_SECTIONS = {"defaults", "redactions", "corrections", "modifications", "codelists.bid_status",
                     "codelists.award_status"}
#: Indicators Cardinal knows (in some versions) that tenderproof does not compute.
_UNSUPPORTED = {"R044", "R055"}
_GLOBAL_KEYS = {"currency", "no_price_comparison_procurement_methods", "price_comparison_procurement_methods"}
_TOP = "\x00top"


class SettingsError(ValueError):
    """The settings file cannot be read, or a key or value is not one Cardinal accepts."""


@dataclass(frozen=True)
class R003:
    threshold: int = 15
    procurement_methods: str | None = None
    procurement_method_details: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class R018:
    procurement_methods: str = "open|selective"


@dataclass(frozen=True)
class R024:
    threshold: float | None = None


@dataclass(frozen=True)
class R025:
    percentile: int = 75
    threshold: float | None = None


@dataclass(frozen=True)
class R028:
    pass


@dataclass(frozen=True)
class R030:
    pass


@dataclass(frozen=True)
class R035:
    threshold: int = 1


@dataclass(frozen=True)
class R036:
    pass


@dataclass(frozen=True)
class R038:
    threshold: float | None = None
    minimum_submitted_bids: int = 2
    minimum_contracting_processes: int = 2


@dataclass(frozen=True)
class R048:
    digits: int = 2
    threshold: int | None = None
    minimum_contracting_processes: int = 20


@dataclass(frozen=True)
class R058:
    threshold: float | None = None


# Indicators only tenderproof computes; defaults are tenderproof's, stated in docs/flags.md.


@dataclass(frozen=True)
class R004:
    threshold: float = 0.0
    procurement_methods: str = "open|selective"


@dataclass(frozen=True)
class R013:
    non_competitive_methods: str = "limited|direct"
    threshold: float | None = None
    minimum_contracting_processes: int = 10


@dataclass(frozen=True)
class R016:
    digits: int = 4
    minimum_contracting_processes: int = 10


@dataclass(frozen=True)
class R019:
    digits: int = 4
    threshold: float | None = None
    minimum_contracting_processes: int = 5
    procurement_methods: str = "open|selective"


@dataclass(frozen=True)
class R020:
    threshold: int = 1


@dataclass(frozen=True)
class R022:
    threshold: float | None = None


@dataclass(frozen=True)
class R031:
    threshold: float = 0.99


@dataclass(frozen=True)
class R040:
    threshold: float = 0.5
    minimum_contracting_processes: int = 10


@dataclass(frozen=True)
class R050:
    digits: int = 4
    threshold: float = 0.5
    minimum_contracting_processes: int = 10


@dataclass(frozen=True)
class R051:
    digits: int = 4
    threshold: float = 0.25
    minimum_contracting_processes: int = 10


@dataclass(frozen=True)
class R059:
    threshold: float = 0.2


@dataclass(frozen=True)
class R060:
    threshold: float | None = None
    procurement_methods: str | None = None


@dataclass(frozen=True)
class R061:
    threshold: float | None = None
    procurement_methods: str | None = None


@dataclass(frozen=True)
class R062:
    threshold: float | None = None
    procurement_methods: str | None = None


@dataclass(frozen=True)
class R064:
    threshold: int = 1


@dataclass(frozen=True)
class R068:
    threshold: float = 0.0


_CLASSES: dict[str, type] = {"R003": R003, "R018": R018, "R024": R024, "R025": R025, "R028": R028,
                             "R030": R030, "R035": R035, "R036": R036, "R038": R038, "R048": R048,
                             "R058": R058,
                             "R004": R004, "R013": R013, "R016": R016, "R019": R019, "R020": R020,
                             "R022": R022, "R031": R031, "R040": R040, "R050": R050, "R051": R051,
                             "R059": R059, "R060": R060, "R061": R061, "R062": R062, "R064": R064,
                             "R068": R068}
# Property -> parser: "int" (i64), "uint" (usize), "float" (f64), "str".
_FIELDS: dict[str, dict[str, str]] = {
    "R003": {"threshold": "int", "procurement_methods": "str"},
    "R018": {"procurement_methods": "str"},
    "R024": {"threshold": "float"},
    "R025": {"percentile": "uint", "threshold": "float"},
    "R028": {}, "R030": {}, "R036": {},
    "R035": {"threshold": "uint"},
    "R038": {"threshold": "float", "minimum_submitted_bids": "uint", "minimum_contracting_processes": "uint"},
    "R048": {"digits": "uint", "threshold": "uint", "minimum_contracting_processes": "uint"},
    "R058": {"threshold": "float"},
    "R004": {"threshold": "float", "procurement_methods": "str"},
    "R013": {"non_competitive_methods": "str", "threshold": "float", "minimum_contracting_processes": "uint"},
    "R016": {"digits": "uint", "minimum_contracting_processes": "uint"},
    "R019": {"digits": "uint", "threshold": "float", "minimum_contracting_processes": "uint",
             "procurement_methods": "str"},
    "R020": {"threshold": "uint"},
    "R022": {"threshold": "float"},
    "R031": {"threshold": "float"},
    "R040": {"threshold": "float", "minimum_contracting_processes": "uint"},
    "R050": {"digits": "uint", "threshold": "float", "minimum_contracting_processes": "uint"},
    "R051": {"digits": "uint", "threshold": "float", "minimum_contracting_processes": "uint"},
    "R059": {"threshold": "float"},
    "R060": {"threshold": "float", "procurement_methods": "str"},
    "R061": {"threshold": "float", "procurement_methods": "str"},
    "R062": {"threshold": "float", "procurement_methods": "str"},
    "R064": {"threshold": "uint"},
    "R068": {"threshold": "float"},
}


def pipe_set(value: str | None) -> list[str]:
    """Cardinal's pipe-separated list: `a|b` -> {a, b}; a trailing `|` adds nothing; `""` is empty."""
    if not value:
        return []
    parts = value.split("|")
    if parts[-1] == "":
        parts.pop()
    return sorted(set(parts))


@dataclass(frozen=True)
class Settings:
    """Global settings, exclusions and the enabled indicators (code -> its settings)."""

    currency: str | None = None
    no_price_comparison_procurement_methods: str | None = None
    price_comparison_procurement_methods: str | None = None
    excluded_procurement_method_details: str | None = None
    indicators: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @classmethod
    def all_defaults(cls) -> Settings:
        """Every indicator enabled with its defaults (Cardinal's, for Cardinal's indicators)."""
        return cls(indicators={code: _CLASSES[code]() for code in CODES})

    def enabled(self, code: str) -> bool:
        return code in self.indicators


def _parse_value(code: str, key: str, kind: str, raw: str) -> Any:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    where = f"[{code}] {key} = {raw!r}" if code != _TOP else f"{key} = {raw!r}"
    if kind == "str":
        return value
    try:
        if kind == "float":
            number = float(value)
            if math.isnan(number):
                raise ValueError
            return number
        number = int(value)
    except ValueError:
        raise SettingsError(f"{where}: expected {'a decimal' if kind == 'float' else 'an integer'}") from None
    if kind == "uint" and number < 0:
        raise SettingsError(f"{where}: expected a non-negative integer")
    return number


def parse_settings(text: str) -> Settings:
    """Parse the text of a Cardinal settings file."""
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"),
                                       default_section="\x00default", strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    try:
        parser.read_string(f"[{_TOP}]\n" + text.lstrip("\ufeff"))
    except configparser.Error as e:
        raise SettingsError(f"invalid settings file: {e}".replace(f"[{_TOP}]", "top level")) from None

    values: dict[str, Any] = {}
    for key, raw in parser.items(_TOP):
        if key not in _GLOBAL_KEYS:
            raise SettingsError(f"unknown top-level key {key!r}")
        values[key] = _parse_value(_TOP, key, "str", raw)

    excluded: str | None = None
    props: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for section in parser.sections():
        if section == _TOP or section in _IGNORED_SECTIONS:
            continue
        items = parser.items(section)
        if section == "exclusions":
            for key, raw in items:
                if key != "procurement_method_details":
                    raise SettingsError(f"unknown key {key!r} in [exclusions]")
                excluded = _parse_value("exclusions", key, "str", raw)
            continue
        code, _, sub = section.partition(".")
        if code in _UNSUPPORTED and not sub:
            notes.append(f"[{code}] is not computed by tenderproof; skipped")
            continue
        if code not in _CLASSES:
            raise SettingsError(f"unknown section [{section}]")
        target = props.setdefault(code, {})
        if sub:
            if (code, sub) != ("R003", "procurement_method_details"):
                raise SettingsError(f"unknown section [{section}]")
            target[sub] = {key: _parse_value(section, key, "int", raw) for key, raw in items}
            continue
        for key, raw in items:
            kind = _FIELDS[code].get(key)
            if kind is None:
                raise SettingsError(f"unknown key {key!r} in [{code}]")
            target[key] = _parse_value(code, key, kind, raw)

    if values.get("no_price_comparison_procurement_methods") and values.get("price_comparison_procurement_methods"):
        notes.append("no_price_comparison_procurement_methods has no effect if "
                     "price_comparison_procurement_methods is set")
    indicators = {code: _CLASSES[code](**props[code]) for code in CODES if code in props}
    if "R035" in indicators:  # Cardinal: max(threshold, 1)
        r035 = indicators["R035"]
        indicators["R035"] = dataclasses.replace(r035, threshold=max(r035.threshold, 1))
    return Settings(currency=values.get("currency"),
                    no_price_comparison_procurement_methods=values.get("no_price_comparison_procurement_methods"),
                    price_comparison_procurement_methods=values.get("price_comparison_procurement_methods"),
                    excluded_procurement_method_details=excluded, indicators=indicators, notes=tuple(notes))


def load_settings(path: Path | None) -> Settings:
    """Read a settings file; without one, every indicator runs with Cardinal's defaults."""
    if path is None:
        return Settings.all_defaults()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError(f"cannot read settings file {path}: {e}") from None
    return parse_settings(text)
