"""The per-process red flags (R003, R018, R028, R030, R035, R036), each one SQL query.

Each follows its page in cardinal-rs `docs/cli/indicators/R/` and, where the page is silent, its
`src/indicators/rXXX.rs`. Every query reads `inc` (processes kept by Cardinal's global
exclusions: a string ocid, a tender not cancelled, `procurementMethodDetails` not excluded),
which `prepare` builds, with `price_ok` for the indicators that compare prices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from tenderproof.flags.results import Results
from tenderproof.flags.settings import Settings, pipe_set

#: Bids that were submitted (Cardinal's glossary): status pending, valid or disqualified. A bid
#: whose status is not a string is not submitted; neither is an invited or withdrawn bid.
SUBMITTED = "b.status NOT IN ('invited', 'withdrawn')"


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    settings: Settings
    results: Results
    map: bool
    currency: str | None = None
    #: Whether to gather what the HTML report shows (distributions, rules); costs extra queries.
    report: bool = False
    #: Included processes, and their bids and awards (indicators skip their SQL when nothing to read).
    processes: int = 0
    bids: int = 0
    awards: int = 0

    @property
    def awarded(self) -> bool:
        """Whether there are both bids and awards (`award_state`, `sole`, `single` exist)."""
        return bool(self.bids and self.awards)

    def rows(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or {}).fetchall()

    def rule(self, code: str, group: str, text: str) -> None:
        """Record, for the report, when an indicator flags an identifier of `group`."""
        if self.report:
            self.results.rules.setdefault(code, {})[group] = text

    def histogram(self, code: str, sql: str, params: Mapping[str, object] | None, *, label: str,
                  marks: Mapping[str, float], log: bool = False, bins: int = 30) -> None:
        """Record, for the report, the distribution of the one-column query `sql` (finite values)
        in `bins` bins, with `marks` (thresholds, fences) to draw; `log`: bins of log10(value)."""
        if self.report:
            self.results.charts.setdefault(code, []).append(
                histogram(self.con, sql, dict(params or {}), label=label, marks=dict(marks), log=log, bins=bins))


def histogram(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object], *, label: str,
              marks: dict[str, float], log: bool, bins: int) -> dict[str, Any]:
    """Counts of the values of `sql` in equal bins over [0.5th, 99.5th percentile] (widened to
    show the marks near the data); values beyond fall in the end bins, counted apart."""
    v = "log10(v)" if log else "v"
    where = "v IS NOT NULL AND isfinite(v)" + (" AND v > 0" if log else "")
    row = con.execute(
        f"SELECT count(*), min({v}), max({v}), quantile_disc({v}, 0.005), quantile_disc({v}, 0.995) "
        f"FROM ({sql}) t(v) WHERE {where}", params).fetchone()
    assert row is not None  # an aggregate without GROUP BY is always one row
    n, lo, hi, p_lo, p_hi = row
    shown = {k: m for k, m in marks.items() if m is not None and math.isfinite(m) and (not log or m > 0)}
    out: dict[str, Any] = {"label": label, "log": log, "n": n, "marks": shown, "counts": [], "edges": [],
                           "below": 0, "above": 0, "min": lo, "max": hi}
    if not n:
        return out
    start, stop = float(p_lo), float(p_hi)
    center = (start + stop) / 2
    reach = 3 * max(stop - start, abs(center), 1.0)
    for m in shown.values():  # widen the range to show the marks, unless they are far off
        x = math.log10(m) if log else m
        if abs(x - center) <= reach:
            start, stop = min(start, x), max(stop, x)
    if stop <= start:
        start, stop = start - 0.5, stop + 0.5
    width = (stop - start) / bins
    counts = dict(con.execute(
        f"SELECT CASE WHEN {v} < $start THEN -1 WHEN {v} > $stop THEN $bins "
        f"ELSE least(floor(({v} - $start) / $width)::BIGINT, $bins - 1) END AS b, count(*) "
        f"FROM ({sql}) t(v) WHERE {where} GROUP BY b",
        {**params, "start": start, "stop": stop, "width": width, "bins": bins}
    ).fetchall())
    # Values below `start` or above `stop` (beyond the percentiles) go to the end bins, counted apart.
    out["below"], out["above"] = counts.pop(-1, 0), counts.pop(bins, 0)
    out["counts"] = [counts.get(i, 0) for i in range(bins)]
    out["counts"][0] += out["below"]
    out["counts"][-1] += out["above"]
    out["edges"] = [start + i * width for i in range(bins + 1)]
    return out


def prepare(ctx: Context) -> None:
    """Build `inc`, `award_state`, `sole` and `single`, shared by the indicators."""
    s = ctx.settings
    ctx.con.execute("""
        CREATE OR REPLACE TEMP TABLE inc AS
        SELECT p.*,
          CASE WHEN procurement_method_details IS NULL THEN len($pc) = 0
               WHEN len($pc) = 0 THEN NOT list_contains($npc, procurement_method_details)
               ELSE list_contains($pc, procurement_method_details) END AS price_ok
        FROM processes p
        WHERE tender_status IS DISTINCT FROM 'cancelled'
          AND (procurement_method_details IS NULL OR NOT list_contains($excl, procurement_method_details))
    """, {"pc": pipe_set(s.price_comparison_procurement_methods),
          "npc": pipe_set(s.no_price_comparison_procurement_methods),
          "excl": pipe_set(s.excluded_procurement_method_details)})
    ctx.processes, ctx.bids, ctx.awards = ctx.rows("""
        SELECT (SELECT count(*) FROM inc), (SELECT count(*) FROM bids WHERE seq IN (SELECT seq FROM inc)),
               (SELECT count(*) FROM awards WHERE seq IN (SELECT seq FROM inc))""")[0]
    if not ctx.awarded:
        return  # the tables below join bids with awards
    # An award in a final state is active, cancelled or unsuccessful; one pending (or any other
    # string) makes the process's awards not final. Awards whose status is no string are ignored.
    ctx.con.execute("""
        CREATE OR REPLACE TEMP TABLE award_state AS
        SELECT seq, count(*) FILTER (WHERE status = 'active') AS n_active,
               bool_and(status IS NULL OR status IN ('active', 'cancelled', 'unsuccessful')) AS all_final
        FROM awards WHERE seq IN (SELECT seq FROM inc) GROUP BY seq
    """)
    # Cardinal's simple case (issues #14, #17): awards all final, one active award, one supplier.
    ctx.con.execute("""
        CREATE OR REPLACE TEMP TABLE sole AS
        SELECT i.seq, i.ocid, i.price_ok, s.supplier_id
        FROM inc i
        JOIN award_state st ON st.seq = i.seq AND st.all_final AND st.n_active = 1
        JOIN awards a ON a.seq = i.seq AND a.status = 'active' AND a.n_suppliers = 1
        JOIN award_suppliers s ON s.seq = a.seq AND s.award_idx = a.award_idx AND s.supplier_idx = 0
    """)
    # Bids by exactly one tenderer with a string id.
    ctx.con.execute("""
        CREATE OR REPLACE TEMP TABLE single AS
        SELECT b.*, t.tenderer_id FROM bids b
        JOIN bid_tenderers t ON t.seq = b.seq AND t.bid_idx = b.bid_idx AND t.tenderer_idx = 0
        WHERE b.n_tenderers = 1 AND b.seq IN (SELECT seq FROM inc)
    """)


def main_currency(ctx: Context) -> str | None:
    """`currency` from the settings, else the first currency observed, as Cardinal sets it: by the
    first valid bid of a process compared by R024/R058, or the first submitted bid of a process
    compared by R036 (whichever comes first in input order; R024/R058 look first)."""
    s = ctx.settings
    if s.currency is not None:
        return s.currency
    if not ctx.awarded:  # every candidate needs an active award
        return None
    parts = []
    if s.enabled("R024") or s.enabled("R058"):
        parts.append("""SELECT b.seq, 0 AS phase, b.bid_idx, b.currency FROM single b JOIN sole s USING (seq)
                        WHERE s.price_ok AND b.status = 'valid' AND b.amount IS NOT NULL AND b.currency IS NOT NULL""")
    if s.enabled("R036"):
        parts.append(f"""SELECT b.seq, 1 AS phase, b.bid_idx, b.currency FROM bids b JOIN inc i USING (seq)
                         WHERE i.price_ok AND {SUBMITTED} AND b.amount IS NOT NULL AND b.currency IS NOT NULL
                           AND EXISTS (SELECT 1 FROM awards a WHERE a.seq = b.seq AND a.status = 'active')""")
    if not parts:
        return None
    rows = ctx.rows(" UNION ALL ".join(parts) + " ORDER BY seq, phase, bid_idx LIMIT 1")
    return rows[0][3] if rows else None


def r003(ctx: Context) -> None:
    """R003 Short submission period (docs/cli/indicators/R/003.md): the tender period,
    `tenderPeriod/endDate - startDate` in whole days (truncated, as chrono's `num_days`), is
    shorter than `threshold` (15), or than the threshold set for the process's
    `procurementMethodDetails` in `[R003.procurement_method_details]`. Optionally only for the
    `procurement_methods` listed. Both dates must be RFC 3339. Value 1.0."""
    setting = ctx.settings.indicators["R003"]
    details = setting.procurement_method_details
    if not ctx.processes:
        return
    rule = f"tender period < {setting.threshold} days" + (" (or the threshold for its procurementMethodDetails)"
                                                         if details else "")
    ctx.rule("R003", "OCID", rule)
    ctx.histogram("R003", """SELECT ((tender_end_ns - tender_start_ns) // 86400000000000)::DOUBLE FROM inc
                             WHERE len($methods) = 0 OR list_contains($methods, procurement_method)""",
                  {"methods": pipe_set(setting.procurement_methods)}, label="tender period in whole days",
                  marks={"threshold": setting.threshold})
    for (ocid,) in ctx.rows("""
        SELECT DISTINCT i.ocid FROM inc i
        LEFT JOIN (SELECT unnest($keys::VARCHAR[]) AS pmd, unnest($values::BIGINT[]) AS threshold) t
          ON t.pmd = i.procurement_method_details
        WHERE (len($methods) = 0 OR list_contains($methods, i.procurement_method))
          AND (i.tender_end_ns - i.tender_start_ns) // 86400000000000 < coalesce(t.threshold, $threshold)
    """, {"keys": list(details), "values": list(details.values()), "threshold": setting.threshold,
          "methods": pipe_set(setting.procurement_methods)}):
        ctx.results.set("OCID", ocid, "R003", 1.0)


def r018(ctx: Context) -> None:
    """R018 Single bid received (docs/cli/indicators/R/018.md): `tender/numberOfTenderers` is the
    JSON integer 1, for the `procurement_methods` listed (default open|selective; empty: all).
    Value 1.0."""
    methods = pipe_set(ctx.settings.indicators["R018"].procurement_methods)
    if not ctx.processes:
        return
    ctx.rule("R018", "OCID", "numberOfTenderers = 1")
    ctx.histogram("R018", """SELECT number_of_tenderers::DOUBLE FROM inc
                             WHERE len($methods) = 0 OR list_contains($methods, procurement_method)""",
                  {"methods": methods}, label="number of tenderers", marks={"threshold": 1.0}, bins=20)
    for (ocid,) in ctx.rows("""
        SELECT DISTINCT ocid FROM inc
        WHERE number_of_tenderers = 1 AND (len($methods) = 0 OR list_contains($methods, procurement_method))
    """, {"methods": methods}):
        ctx.results.set("OCID", ocid, "R018", 1.0)


def r028(ctx: Context) -> None:
    """R028 Identical bid prices (docs/cli/indicators/R/028.md): submitted bids with the same
    amount and currency come from different sets of tenderers (a tenderer may repeat its own
    price). Excludes processes not compared on price. The process and every tenderer of those
    bids are flagged, value 1.0. (Cardinal compares each bid with the previous bid of the same
    price; that flags these tenderers exactly when two distinct sets exist.)"""
    if not ctx.bids:
        return
    ctx.rule("R028", "OCID", "bids at one price from different sets of tenderers")
    ctx.rule("R028", "Tenderer", "bid a price that another set of tenderers also bid")
    rows = ctx.rows(f"""
        WITH priced AS (
          SELECT b.seq, b.bid_idx, b.amount + 0.0 AS amount, b.currency,
                 list_sort(list(DISTINCT t.tenderer_id)) AS ids
          FROM bids b JOIN inc i USING (seq) JOIN bid_tenderers t USING (seq, bid_idx)
          WHERE i.price_ok AND {SUBMITTED} AND b.amount IS NOT NULL AND b.currency IS NOT NULL
          GROUP BY b.seq, b.bid_idx, b.amount, b.currency),
        same AS (SELECT seq, amount, currency FROM priced GROUP BY ALL HAVING count(DISTINCT ids) >= 2)
        SELECT i.ocid, list_sort(list_distinct(flatten(list(p.ids))))
        FROM priced p JOIN same USING (seq, amount, currency) JOIN inc i USING (seq) GROUP BY i.ocid
    """)
    for ocid, ids in rows:
        ctx.results.set("OCID", ocid, "R028", 1.0)
        for tenderer in ids:
            ctx.results.set("Tenderer", tenderer, "R028", 1.0)
        if ctx.map:
            ctx.results.add_to_map("ocid_tenderer_r028", ocid, ids)


def r030(ctx: Context) -> None:
    """R030 Late bid won (docs/cli/indicators/R/030.md): a valid bid whose `date` is after
    `tender/tenderPeriod/endDate` was submitted by a supplier of an active award. As in Cardinal,
    the dates are compared as strings. The process and the tenderer are flagged, value 1.0."""
    if not ctx.awarded:
        return
    ctx.rule("R030", "OCID", "a valid bid dated after tenderPeriod/endDate won")
    ctx.rule("R030", "Tenderer", "won with a bid dated after tenderPeriod/endDate")
    for ocid, tenderer in ctx.rows("""
        SELECT DISTINCT i.ocid, t.tenderer_id
        FROM inc i JOIN bids b USING (seq) JOIN bid_tenderers t USING (seq, bid_idx)
        WHERE b.status = 'valid' AND b.date > i.tender_end
          AND EXISTS (SELECT 1 FROM awards a JOIN award_suppliers s USING (seq, award_idx)
                      WHERE a.seq = i.seq AND a.status = 'active' AND s.supplier_id = t.tenderer_id)
    """):
        ctx.results.set("OCID", ocid, "R030", 1.0)
        ctx.results.set("Tenderer", tenderer, "R030", 1.0)
        if ctx.map:
            ctx.results.add_to_map("ocid_tenderer_r030", ocid, [tenderer])


def r035(ctx: Context) -> None:
    """R035 All except winning bid disqualified (docs/cli/indicators/R/035.md): with all awards
    final, one tenderer has valid bids, it is exactly the set of suppliers of the active awards,
    and at least `threshold` (1) other tenderers have disqualified bids. The process's value is
    that number; the winner is flagged with 0.0."""
    threshold = ctx.settings.indicators["R035"].threshold
    if not ctx.awarded:
        return
    ctx.rule("R035", "OCID", f"other tenderers disqualified ≥ {threshold}, the winner's bids alone valid")
    ctx.rule("R035", "Tenderer", "the only tenderer whose bids were not disqualified (value 0)")
    rows = ctx.rows("""
        WITH final AS (SELECT seq FROM award_state WHERE all_final),
        winners AS (
          SELECT a.seq, list_sort(list(DISTINCT s.supplier_id)) AS ids
          FROM awards a JOIN award_suppliers s USING (seq, award_idx)
          WHERE a.status = 'active' AND a.seq IN (SELECT seq FROM final) GROUP BY a.seq),
        valid AS (
          SELECT b.seq, list_sort(list(DISTINCT t.tenderer_id)) AS ids
          FROM bids b JOIN bid_tenderers t USING (seq, bid_idx)
          WHERE b.status = 'valid' AND b.seq IN (SELECT seq FROM final) GROUP BY b.seq),
        flagged AS (
          SELECT v.seq, v.ids[1] AS winner,
                 (SELECT count(DISTINCT t.tenderer_id) FROM bids b JOIN bid_tenderers t USING (seq, bid_idx)
                  WHERE b.seq = v.seq AND b.status = 'disqualified' AND t.tenderer_id <> v.ids[1]) AS others
          FROM valid v JOIN winners w ON w.seq = v.seq AND w.ids = v.ids
          WHERE len(v.ids) = 1)
        SELECT i.ocid, f.seq, f.winner, f.others FROM flagged f JOIN inc i USING (seq)
        WHERE f.others >= $threshold ORDER BY f.seq
    """, {"threshold": threshold})
    for ocid, _, winner, others in rows:  # in input order: a repeated ocid keeps its last value
        ctx.results.set("OCID", ocid, "R035", float(others))
        ctx.results.set("Tenderer", winner, "R035", 0.0)
        if ctx.map:
            ctx.results.add_to_map("ocid_tenderer_r035", ocid, [winner])


def r036(ctx: Context) -> None:
    """R036 Lowest bid disqualified (docs/cli/indicators/R/036.md): with an active award, the
    lowest submitted bid in the main currency (the first of equal lowest bids) is disqualified
    while a valid bid has an amount. Excludes processes not compared on price. Value 1.0."""
    if ctx.currency is None:
        return
    ctx.rule("R036", "OCID", f"the lowest submitted bid in {ctx.currency} was disqualified")
    for (ocid,) in ctx.rows(f"""
        WITH priced AS (
          SELECT b.seq, b.bid_idx, b.status, b.amount + 0.0 AS amount
          FROM bids b JOIN inc i USING (seq)
          WHERE i.price_ok AND {SUBMITTED} AND b.amount IS NOT NULL AND b.currency = $currency
            AND EXISTS (SELECT 1 FROM awards a WHERE a.seq = b.seq AND a.status = 'active')),
        lowest AS (
          SELECT seq, first(status ORDER BY amount, bid_idx) AS status, bool_or(status = 'valid') AS has_valid
          FROM priced GROUP BY seq)
        SELECT DISTINCT i.ocid FROM lowest l JOIN inc i USING (seq)
        WHERE l.has_valid AND l.status = 'disqualified'
    """, {"currency": ctx.currency}):
        ctx.results.set("OCID", ocid, "R036", 1.0)


def ocid_tenderer_map(ctx: Context) -> None:
    """`Maps.ocid_tenderer`: the tenderers of submitted bids per process (with R025, R038 or R048)."""
    if not ctx.bids:
        return
    for ocid, ids in ctx.rows(f"""
        SELECT i.ocid, list(DISTINCT t.tenderer_id) FROM inc i JOIN bids b USING (seq)
        JOIN bid_tenderers t USING (seq, bid_idx) WHERE {SUBMITTED} GROUP BY i.ocid
    """):
        ctx.results.add_to_map("ocid_tenderer", ocid, ids)
