"""OCP indicators on a tender and its bids: advertising, methods, estimated values, bidders,
complaints and bid prices (R004, R013, R016, R019, R020, R022).

The conventions all OCP indicators share are in `ocp`; how each finds its limit, in `ocp_limits`.
"""

from __future__ import annotations

import math

from tenderproof.flags.indicators import SUBMITTED, Context
from tenderproof.flags.ocp_limits import fences, methods
from tenderproof.flags.settings import pipe_set


def r004(ctx: Context) -> None:
    """R004 Failure to adequately advertise the request for bids: the earliest tender notice
    (`tender/documents[]` with `documentType` tenderNotice) was published more than `threshold`
    (0) days after `tender/tenderPeriod/startDate`, for the `procurement_methods` listed
    (open|selective; empty: all). Value: the delay in days. A process without a dated tender
    notice is not flagged (an unpublished notice and an unreported one look the same)."""
    s = ctx.settings.indicators["R004"]
    sql = """SELECT seq, ocid, (tender_notice_ns - tender_start_ns)::DOUBLE / 86400e9 AS days FROM inc
             WHERE tender_notice_ns IS NOT NULL AND tender_start_ns IS NOT NULL
               AND (len($methods) = 0 OR list_contains($methods, procurement_method))"""
    params = {"methods": methods(s.procurement_methods)}
    ctx.rule("R004", "OCID", f"tender notice published > {s.threshold:g} days after the tender period started")
    ctx.histogram("R004", f"SELECT days FROM ({sql})", params, label="days from tender period start to notice",
                  marks={"threshold": s.threshold})
    for ocid, days in ctx.rows(f"SELECT ocid, days FROM ({sql}) WHERE days > $threshold ORDER BY seq",
                               {**params, "threshold": s.threshold}):
        ctx.results.set("OCID", ocid, "R004", days)


def r013(ctx: Context) -> None:
    """R013 High use of non-competitive methods: per buyer and per procuring entity with at least
    `minimum_contracting_processes` (10) processes whose `tender/procurementMethod` is a string,
    the share of those whose method is in `non_competitive_methods` (limited|direct) is at least
    the upper fence Q3 + 1.5 IQR of its group's shares (or `threshold`). Value: the share."""
    s = ctx.settings.indicators["R013"]
    params = {"nc": pipe_set(s.non_competitive_methods), "minimum": s.minimum_contracting_processes}
    for group, column in (("Buyer", "buyer_id"), ("ProcuringEntity", "procuring_entity_id")):
        sql = f"""SELECT {column} AS id, count(*) FILTER (WHERE list_contains($nc, procurement_method))::DOUBLE
                         / count(*) AS share FROM inc
                  WHERE procurement_method IS NOT NULL AND {column} IS NOT NULL
                  GROUP BY 1 HAVING count(*) >= $minimum"""
        limits = fences(ctx, "R013", f"SELECT share FROM ({sql})", params, threshold=s.threshold, upper=True,
                         prefix=f"{group}_")
        ctx.histogram("R013", f"SELECT share FROM ({sql})", params, label=f"share of non-competitive processes "
                      f"per {group}", marks={"upper fence" if s.threshold is None else "threshold":
                                             limits[1] if limits else math.nan})
        if limits is None or not limits[1] > 0:
            continue
        ctx.rule("R013", group, f"share of non-competitive processes ≥ {limits[1]:.4g}")
        for key, share in ctx.rows(f"SELECT id, share FROM ({sql}) WHERE share >= $fence",
                                   {**params, "fence": limits[1]}):
            ctx.results.set(group, key, "R013", share)


def r016(ctx: Context) -> None:
    """R016 Tender value is higher or lower than average for the item category: the ratio of
    `tender/value/amount` to the median amount of its market (the first `digits` (4) characters
    of the first tender item's `classification/id`, in the same currency, with at least
    `minimum_contracting_processes` (10) processes) lies outside Tukey's fences of all such
    ratios, computed on their logarithms (amounts are log-normal). Value: the ratio."""
    s = ctx.settings.indicators["R016"]
    sql = """SELECT seq, ocid, tender_amount / median(tender_amount) OVER (PARTITION BY left(category, $digits),
                    tender_currency) AS ratio,
                    count(*) OVER (PARTITION BY left(category, $digits), tender_currency) AS n
             FROM inc WHERE tender_amount > 0 AND tender_currency IS NOT NULL AND category IS NOT NULL"""
    params = {"digits": s.digits}
    base = f"SELECT seq, ocid, ratio FROM ({sql}) WHERE n >= $minimum"
    params2 = {**params, "minimum": s.minimum_contracting_processes}
    limits = fences(ctx, "R016", f"SELECT ratio FROM ({base})", params2, threshold=None, lower=True, upper=True,
                     transform="log10")
    ctx.histogram("R016", f"SELECT ratio FROM ({base})", params2, label="tender value / market median (log scale)",
                  marks={"lower fence": limits[0] if limits else math.nan,
                         "upper fence": limits[1] if limits else math.nan}, log=True)
    if limits is None:
        return
    lo, hi = limits
    ctx.rule("R016", "OCID", f"tender value / market median < {lo:.4g} or > {hi:.4g}")
    for ocid, ratio in ctx.rows(f"SELECT ocid, ratio FROM ({base}) WHERE ratio < $lo OR ratio > $hi ORDER BY seq",
                                {**params2, "lo": lo, "hi": hi}):
        ctx.results.set("OCID", ocid, "R016", ratio)


def r019(ctx: Context) -> None:
    """R019 Low number of bidders for item category (and procuring entity): per procuring entity
    and market (the first `digits` (4) characters of the first tender item's classification) with
    at least `minimum_contracting_processes` (5) processes of the `procurement_methods` listed
    (open|selective), the mean `tender/numberOfTenderers` divided by the market's mean is at most
    the lower fence Q1 - 1.5 IQR of all such ratios (or `threshold`); skipped unless the fence
    > 0. Value for the procuring entity: its lowest ratio."""
    s = ctx.settings.indicators["R019"]
    sql = """WITH p AS (SELECT procuring_entity_id AS pe, left(category, $digits) AS cat,
                               number_of_tenderers::DOUBLE AS n FROM inc
                        WHERE number_of_tenderers IS NOT NULL AND category IS NOT NULL
                          AND procuring_entity_id IS NOT NULL
                          AND (len($methods) = 0 OR list_contains($methods, procurement_method))),
             m AS (SELECT cat, avg(n) AS mean FROM p GROUP BY cat)
             SELECT pe, p.cat, avg(n) / any_value(m.mean) AS ratio FROM p JOIN m USING (cat)
             WHERE m.mean > 0 GROUP BY pe, p.cat HAVING count(*) >= $minimum"""
    params = {"digits": s.digits, "methods": methods(s.procurement_methods),
              "minimum": s.minimum_contracting_processes}
    limits = fences(ctx, "R019", f"SELECT ratio FROM ({sql})", params, threshold=s.threshold, lower=True)
    ctx.histogram("R019", f"SELECT ratio FROM ({sql})", params,
                  label="procuring entity's mean bidders / market mean",
                  marks={"lower fence" if s.threshold is None else "threshold": limits[0] if limits else math.nan})
    if limits is None or not limits[0] > 0:
        return
    ctx.rule("R019", "ProcuringEntity", f"mean bidders / market mean ≤ {limits[0]:.4g}")
    for pe, ratio in ctx.rows(f"SELECT pe, min(ratio) FROM ({sql}) WHERE ratio <= $fence GROUP BY pe",
                              {**params, "fence": limits[0]}):
        ctx.results.set("ProcuringEntity", pe, "R019", ratio)


def r020(ctx: Context) -> None:
    """R020 Tender has a complaint: the process has at least `threshold` (1, at least 1)
    complaints (objects in `complaints`, `tender/complaints` or `awards[]/complaints`, as the
    complaints extensions place them). Value: the number of complaints."""
    threshold = max(ctx.settings.indicators["R020"].threshold, 1)
    ctx.rule("R020", "OCID", f"complaints ≥ {threshold}")
    ctx.histogram("R020", "SELECT n_complaints::DOUBLE FROM inc WHERE n_complaints > 0", None,
                  label="complaints per process (processes with any)", marks={"threshold": threshold})
    for ocid, n in ctx.rows("SELECT ocid, n_complaints FROM inc WHERE n_complaints >= $t ORDER BY seq",
                            {"t": threshold}):
        ctx.results.set("OCID", ocid, "R020", float(n))


def r022(ctx: Context) -> None:
    """R022 Wide disparity in bid prices: among the submitted bids of a process compared on price
    (at least two, all with an amount in one currency, the lowest > 0), (highest - lowest) /
    lowest is at least the upper fence Q3 + 1.5 IQR of all processes' values (or `threshold`),
    if the fence > 0. Value: that ratio."""
    s = ctx.settings.indicators["R022"]
    sql = f"""SELECT b.seq, any_value(i.ocid) AS ocid, (max(b.amount) - min(b.amount)) / min(b.amount) AS spread
              FROM bids b JOIN inc i USING (seq)
              WHERE i.price_ok AND {SUBMITTED} AND b.amount IS NOT NULL AND b.currency IS NOT NULL
              GROUP BY b.seq HAVING count(*) >= 2 AND count(DISTINCT b.currency) = 1 AND min(b.amount) > 0"""
    if not ctx.bids:
        return
    limits = fences(ctx, "R022", f"SELECT spread FROM ({sql})", None, threshold=s.threshold, upper=True)
    ctx.histogram("R022", f"SELECT spread FROM ({sql})", None, label="(highest − lowest bid) / lowest bid",
                  marks={"upper fence" if s.threshold is None else "threshold": limits[1] if limits else math.nan})
    if limits is None or not limits[1] > 0:
        return
    ctx.rule("R022", "OCID", f"(highest − lowest) / lowest ≥ {limits[1]:.4g}")
    for ocid, spread in ctx.rows(f"SELECT ocid, spread FROM ({sql}) WHERE spread >= $fence ORDER BY seq",
                                 {"fence": limits[1]}):
        ctx.results.set("OCID", ocid, "R022", spread)


STEPS = {"R004": r004, "R013": r013, "R016": r016, "R019": r019, "R020": r020, "R022": r022}
