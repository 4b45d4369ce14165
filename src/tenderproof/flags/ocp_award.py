"""OCP indicators on awards, markets and contracts: awarded against estimated value, supplier
and market concentration, award-to-contract differences, decision and signature periods,
amendments and payments (R031, R040, R050, R051, R059, R060, R061, R062, R064, R068).

The conventions all OCP indicators share are in `ocp`; how each finds its limit, in `ocp_limits`.
"""

from __future__ import annotations

import math

from tenderproof.flags.indicators import Context
from tenderproof.flags.ocp_limits import fences, methods


def r031(ctx: Context) -> None:
    """R031 Winning bid price very close to or higher than estimated price: the sum of the
    active awards' `value/amount` divided by `tender/value/amount` (> 0) is at least `threshold`
    (0.99: within 1 % of the estimate, or above it). Every active award must have an amount in
    the tender's currency; processes not compared on price are excluded. Value: the ratio."""
    threshold = ctx.settings.indicators["R031"].threshold
    if not ctx.awards:
        return
    sql = """SELECT i.seq, i.ocid, sum(a.amount ORDER BY a.award_idx) / i.tender_amount AS ratio
             FROM inc i JOIN awards a USING (seq)
             WHERE i.price_ok AND i.tender_amount > 0 AND a.status = 'active'
             GROUP BY i.seq, i.ocid, i.tender_amount, i.tender_currency
             HAVING count(a.amount) = count(*) AND bool_and(coalesce(a.currency = i.tender_currency, false))"""
    ctx.rule("R031", "OCID", f"awarded / estimated ≥ {threshold:g}")
    ctx.histogram("R031", f"SELECT ratio FROM ({sql})", None, label="awarded value / estimated value",
                  marks={"threshold": threshold})
    for ocid, ratio in ctx.rows(f"SELECT ocid, ratio FROM ({sql}) WHERE ratio >= $t ORDER BY seq", {"t": threshold}):
        ctx.results.set("OCID", ocid, "R031", ratio)


#: Active awards to one supplier with a positive amount: what the market indicators count. Their
#: amounts are summed in the order of the data (`sum(… ORDER BY seq, award_idx)`): DuckDB's parallel
#: sums add floats in an order that varies from run to run, and so would the last digits.
_AWARDED = """
    SELECT i.seq, a.award_idx, i.buyer_id, s.supplier_id, a.amount, a.currency,
           coalesce((SELECT left(first(it.classification_id ORDER BY it.item_idx), $digits) FROM award_items it
                     WHERE it.seq = a.seq AND it.award_idx = a.award_idx), left(i.category, $digits)) AS market
    FROM inc i JOIN awards a USING (seq)
    JOIN award_suppliers s ON s.seq = a.seq AND s.award_idx = a.award_idx AND s.supplier_idx = 0
    WHERE a.status = 'active' AND a.n_suppliers = 1 AND a.amount > 0 AND a.currency IS NOT NULL
"""


def r040(ctx: Context) -> None:
    """R040 Supplier has a high share of the buyer's contracts: per buyer and currency with at
    least `minimum_contracting_processes` (10) processes with active awards to one supplier, a
    supplier won at least `threshold` (0.5) of the buyer's awarded value. Value: the share, for
    the buyer (its largest supplier's) and for the supplier (its largest)."""
    s = ctx.settings.indicators["R040"]
    if not ctx.awards:
        return
    sql = f"""WITH w AS ({_AWARDED}),
              b AS (SELECT buyer_id, currency, sum(amount ORDER BY seq, award_idx) AS total
                    FROM w WHERE buyer_id IS NOT NULL
                    GROUP BY ALL HAVING count(DISTINCT seq) >= $minimum)
              SELECT w.buyer_id, w.supplier_id, sum(w.amount ORDER BY w.seq, w.award_idx) / any_value(b.total) AS share
              FROM w JOIN b USING (buyer_id, currency) GROUP BY w.buyer_id, w.supplier_id, w.currency"""
    params = {"digits": 0, "minimum": s.minimum_contracting_processes}
    ctx.rule("R040", "Buyer", f"a supplier's share of the buyer's awarded value ≥ {s.threshold:g}")
    ctx.rule("R040", "Tenderer", f"share of a buyer's awarded value ≥ {s.threshold:g}")
    ctx.histogram("R040", f"SELECT max(share) FROM ({sql}) GROUP BY buyer_id", params,
                  label="largest supplier's share of a buyer's awarded value", marks={"threshold": s.threshold})
    for buyer, supplier, share in ctx.rows(f"SELECT * FROM ({sql}) WHERE share >= $t ORDER BY share",
                                           {**params, "t": s.threshold}):
        ctx.results.set("Buyer", buyer, "R040", share)  # ascending: the largest share stays
        ctx.results.set("Tenderer", supplier, "R040", share)


def r050(ctx: Context) -> None:
    """R050 Supplier has high market share: per market (the first `digits` (4) characters of the
    award's first item classification, else of the tender's; and the currency) with at least
    `minimum_contracting_processes` (10) processes with active awards to one supplier, a supplier
    won at least `threshold` (0.5) of the awarded value. Value: its largest share."""
    s = ctx.settings.indicators["R050"]
    if not ctx.awards:
        return
    sql = f"""WITH w AS ({_AWARDED}),
              m AS (SELECT market, currency, sum(amount ORDER BY seq, award_idx) AS total
                    FROM w WHERE market IS NOT NULL
                    GROUP BY ALL HAVING count(DISTINCT seq) >= $minimum)
              SELECT w.market, w.supplier_id, sum(w.amount ORDER BY w.seq, w.award_idx) / any_value(m.total) AS share
              FROM w JOIN m USING (market, currency) GROUP BY w.market, w.currency, w.supplier_id"""
    params = {"digits": s.digits, "minimum": s.minimum_contracting_processes}
    ctx.rule("R050", "Tenderer", f"share of a market's awarded value ≥ {s.threshold:g}")
    ctx.histogram("R050", f"SELECT max(share) FROM ({sql}) GROUP BY market", params,
                  label="largest supplier's share of a market", marks={"threshold": s.threshold})
    for supplier, share in ctx.rows(f"SELECT supplier_id, max(share) FROM ({sql}) WHERE share >= $t GROUP BY 1",
                                    {**params, "t": s.threshold}):
        ctx.results.set("Tenderer", supplier, "R050", share)


def r051(ctx: Context) -> None:
    """R051 High market concentration: per buyer and market (the first `digits` (4) characters of
    the award's first item classification, else the tender's; and the currency) with at least
    `minimum_contracting_processes` (10) processes with active awards to one supplier, the
    Herfindahl-Hirschman index of the suppliers' shares of the awarded value is at least
    `threshold` (0.25, i.e. 2,500 on the 0-10,000 scale). Value for the buyer: its highest HHI."""
    s = ctx.settings.indicators["R051"]
    if not ctx.awards:
        return
    sql = f"""WITH w AS ({_AWARDED}),
              m AS (SELECT buyer_id, market, currency, sum(amount ORDER BY seq, award_idx) AS total FROM w
                    WHERE market IS NOT NULL AND buyer_id IS NOT NULL
                    GROUP BY ALL HAVING count(DISTINCT seq) >= $minimum),
              sh AS (SELECT w.buyer_id, w.market, w.currency, w.supplier_id,
                            sum(w.amount ORDER BY w.seq, w.award_idx) / any_value(m.total) AS share
                     FROM w JOIN m USING (buyer_id, market, currency) GROUP BY ALL)
              SELECT buyer_id, sum(share * share ORDER BY supplier_id) AS hhi
              FROM sh GROUP BY buyer_id, market, currency"""
    params = {"digits": s.digits, "minimum": s.minimum_contracting_processes}
    ctx.rule("R051", "Buyer", f"HHI of a buyer's market ≥ {s.threshold:g}")
    ctx.histogram("R051", f"SELECT hhi FROM ({sql})", params, label="HHI per buyer and market",
                  marks={"threshold": s.threshold})
    for buyer, hhi in ctx.rows(f"SELECT buyer_id, max(hhi) FROM ({sql}) WHERE hhi >= $t GROUP BY 1",
                               {**params, "t": s.threshold}):
        ctx.results.set("Buyer", buyer, "R051", hhi)


def r059(ctx: Context) -> None:
    """R059 Large difference between award value and final contract amount: a contract (not
    cancelled) whose `awardID` names an award of the process, both with an amount in the same
    currency and the award's > 0, differs from it by at least `threshold` (0.2, i.e. 20 %) of the
    award's amount, up or down. Value: (contract - award) / award, the largest in absolute value."""
    threshold = ctx.settings.indicators["R059"].threshold
    if not ctx.awards:
        return
    sql = """SELECT i.seq, i.ocid, (c.amount - a.amount) / a.amount AS diff
             FROM inc i JOIN contracts c USING (seq) JOIN awards a ON a.seq = c.seq AND a.award_id = c.award_id
             WHERE c.status IS DISTINCT FROM 'cancelled' AND c.amount IS NOT NULL AND a.amount > 0
               AND c.currency = a.currency"""
    ctx.rule("R059", "OCID", f"|contract − award| / award ≥ {threshold:g}")
    ctx.histogram("R059", f"SELECT diff FROM ({sql})", None, label="(contract − award) / award",
                  marks={"−threshold": -threshold, "threshold": threshold})
    for ocid, diff in ctx.rows(f"""SELECT ocid, arg_max(diff, abs(diff)) FROM ({sql}) WHERE abs(diff) >= $t
                                   GROUP BY ocid, seq ORDER BY seq""", {"t": threshold}):
        ctx.results.set("OCID", ocid, "R059", diff)


def _period(ctx: Context, code: str, sql: str, params: dict[str, object], *, label: str, lower: bool) -> None:
    """Flag processes whose `days` is at most the lower fence (`lower`) or at least the upper fence."""
    s = ctx.settings.indicators[code]
    limits = fences(ctx, code, f"SELECT days FROM ({sql})", params, threshold=s.threshold,
                     lower=lower, upper=not lower)
    name = ("lower fence" if lower else "upper fence") if s.threshold is None else "threshold"
    ctx.histogram(code, f"SELECT days FROM ({sql})", params, label=label,
                  marks={name: (limits[0] if lower else limits[1]) if limits else math.nan})
    if limits is None or (not lower and not limits[1] > 0):
        return
    limit = limits[0] if lower else limits[1]
    ctx.rule(code, "OCID", f"{label} {'≤' if lower else '≥'} {limit:.4g}")
    op = "<=" if lower else ">="
    for ocid, days in ctx.rows(f"SELECT ocid, days FROM ({sql}) WHERE days {op} $limit ORDER BY seq",
                               {**params, "limit": limit}):
        ctx.results.set("OCID", ocid, code, days)


def r060(ctx: Context) -> None:
    """R060 Long time between award date and contract signature: the days from an award's `date`
    to the `dateSigned` of a contract (not cancelled) whose `awardID` names it (the longest, per
    process) are at least the upper fence Q3 + 1.5 IQR of all processes' (or `threshold`), if the
    fence > 0. Optionally only for the `procurement_methods` listed. Value: the days."""
    s = ctx.settings.indicators["R060"]
    if not ctx.awards:
        return
    sql = """SELECT i.seq, any_value(i.ocid) AS ocid, max(c.date_signed_ns - a.date_ns)::DOUBLE / 86400e9 AS days
             FROM inc i JOIN contracts c USING (seq) JOIN awards a ON a.seq = c.seq AND a.award_id = c.award_id
             WHERE c.status IS DISTINCT FROM 'cancelled' AND c.date_signed_ns IS NOT NULL AND a.date_ns IS NOT NULL
               AND (len($methods) = 0 OR list_contains($methods, i.procurement_method))
             GROUP BY i.seq"""
    _period(ctx, "R060", sql, {"methods": methods(s.procurement_methods)}, label="days from award to signature",
            lower=False)


_DECISION = """SELECT i.seq, any_value(i.ocid) AS ocid, (min(a.date_ns) - any_value(i.tender_end_ns))::DOUBLE / 86400e9
                      AS days
               FROM inc i JOIN awards a USING (seq)
               WHERE a.status = 'active' AND a.date_ns IS NOT NULL AND i.tender_end_ns IS NOT NULL
                 AND (len($methods) = 0 OR list_contains($methods, i.procurement_method))
               GROUP BY i.seq"""


def r061(ctx: Context) -> None:
    """R061 Decision period extremely short: the days from `tender/tenderPeriod/endDate` to the
    earliest `date` of an active award are at most the lower fence Q1 - 1.5 IQR of all processes'
    (or `threshold`); a negative period (an award before the tender closed) is below any positive
    fence. Optionally only for the `procurement_methods` listed. Value: the days."""
    s = ctx.settings.indicators["R061"]
    if ctx.awards:
        _period(ctx, "R061", _DECISION, {"methods": methods(s.procurement_methods)},
                label="decision period in days", lower=True)


def r062(ctx: Context) -> None:
    """R062 Decision period extremely long: the same period as R061 is at least the upper fence
    Q3 + 1.5 IQR (or `threshold`), if the fence > 0. Value: the days."""
    s = ctx.settings.indicators["R062"]
    if ctx.awards:
        _period(ctx, "R062", _DECISION, {"methods": methods(s.procurement_methods)},
                label="decision period in days", lower=False)


def r064(ctx: Context) -> None:
    """R064 Contract has modifications: the process's contracts (not cancelled) have at least
    `threshold` (1, at least 1) amendments in all (`contracts[]/amendments`). Value: the number."""
    threshold = max(ctx.settings.indicators["R064"].threshold, 1)
    sql = """SELECT i.seq, any_value(i.ocid) AS ocid, sum(c.n_amendments)::DOUBLE AS n
             FROM inc i JOIN contracts c USING (seq) WHERE c.status IS DISTINCT FROM 'cancelled' GROUP BY i.seq"""
    ctx.rule("R064", "OCID", f"contract amendments ≥ {threshold}")
    ctx.histogram("R064", f"SELECT n FROM ({sql}) WHERE n > 0", None,
                  label="amendments per process (processes with any)", marks={"threshold": threshold})
    for ocid, n in ctx.rows(f"SELECT ocid, n FROM ({sql}) WHERE n >= $t ORDER BY seq", {"t": threshold}):
        ctx.results.set("OCID", ocid, "R064", n)


def r068(ctx: Context) -> None:
    """R068 Contract transactions exceed contract amount: for a contract (not cancelled) with an
    amount > 0, its transactions (`implementation/transactions[]/value`) in the contract's
    currency add up to more than (1 + `threshold` (0)) times the amount. Transactions in another
    currency are left out. Value: transactions / amount, the largest per process."""
    threshold = ctx.settings.indicators["R068"].threshold
    sql = """SELECT i.seq, any_value(i.ocid) AS ocid, max(c.tx_amount / c.amount) AS ratio
             FROM inc i JOIN contracts c USING (seq)
             WHERE c.status IS DISTINCT FROM 'cancelled' AND c.amount > 0 AND c.tx_amount IS NOT NULL
             GROUP BY i.seq"""
    ctx.rule("R068", "OCID", f"paid / contract amount > {1 + threshold:g}")
    ctx.histogram("R068", f"SELECT ratio FROM ({sql})", None, label="transactions / contract amount",
                  marks={"threshold": 1 + threshold})
    for ocid, ratio in ctx.rows(f"SELECT ocid, ratio FROM ({sql}) WHERE ratio > $t ORDER BY seq",
                                {"t": 1 + threshold}):
        ctx.results.set("OCID", ocid, "R068", ratio)


STEPS = {"R031": r031, "R040": r040, "R050": r050, "R051": r051, "R059": r059, "R060": r060, "R061": r061,
         "R062": r062, "R064": r064, "R068": r068}
