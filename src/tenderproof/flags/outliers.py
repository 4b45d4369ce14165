"""The red flags that compare with the rest of the data (R024, R025, R038, R048, R058).

Each follows its page in cardinal-rs `docs/cli/indicators/R/`: a value per process or
organization, aggregated in SQL; quartiles with statrs' estimator and Tukey fences (`stats`);
then the flagged rows selected in SQL. Quartiles and fences go to `Meta` as Cardinal reports them.
"""

from __future__ import annotations

import math

from tenderproof.flags.indicators import SUBMITTED, Context
from tenderproof.flags.stats import lower_fence, percentile, quantile, upper_fence


def _sorted(ctx: Context, sql: str, params: dict[str, object] | None = None, *, needs: bool = True) -> list[float]:
    """The non-NaN values of the one-column query `sql`, sorted ascending (none if `needs` is 0)."""
    if not needs:
        return []
    (values,) = ctx.rows(f"SELECT list_sort(list(v)) FROM ({sql}) t(v) WHERE NOT isnan(v)", params)[0]
    return values or []


def _quartiles(ctx: Context, code: str, data: list[float], prefix: str = "") -> tuple[float, float]:
    """Q1 and Q3 of the sorted `data` (statrs' estimator), recorded in Meta as `{prefix}q1`, `{prefix}q3`."""
    q1, q3 = quantile(data, 0.25), quantile(data, 0.75)
    ctx.results.set_meta(code, f"{prefix}q1", q1)
    ctx.results.set_meta(code, f"{prefix}q3", q3)
    return q1, q3


def second_lowest_bid_ratios(ctx: Context) -> None:
    """Cardinal's `SecondLowestBidRatio` (for R024 and R058), into table `slbr`: with awards all
    final, one active award and one supplier, among valid bids by one tenderer in the main
    currency: the winner's lowest bid W and the lowest other bid L (the first of equals); when
    L >= W (price-only award), the ratio (L - W) / W. Excludes processes not compared on price.
    A repeated ocid keeps its last ratio."""
    if not ctx.awarded:
        return
    ctx.con.execute("""
        CREATE OR REPLACE TEMP TABLE slbr AS
        WITH c AS (
          SELECT s.seq, s.ocid, b.bid_idx, b.tenderer_id, b.amount, b.amount + 0.0 AS key,
                 b.tenderer_id = s.supplier_id AS won
          FROM sole s JOIN single b USING (seq)
          WHERE s.price_ok AND b.status = 'valid' AND b.amount IS NOT NULL AND b.currency = $currency),
        w AS (SELECT seq, any_value(ocid) AS ocid, first(amount ORDER BY key, bid_idx) AS amount,
                     any_value(tenderer_id) AS id FROM c WHERE won GROUP BY seq),
        l AS (SELECT seq, first(amount ORDER BY key, bid_idx) AS amount,
                     first(tenderer_id ORDER BY key, bid_idx) AS id FROM c WHERE NOT won GROUP BY seq)
        SELECT w.ocid, w.seq, (l.amount - w.amount) / w.amount AS ratio, w.id AS winner, l.id AS second
        FROM w JOIN l USING (seq) WHERE l.amount >= w.amount
        QUALIFY row_number() OVER (PARTITION BY w.ocid ORDER BY w.seq DESC) = 1
    """, {"currency": ctx.currency})


def r024(ctx: Context) -> None:
    """R024 Price close to winning bid (docs/cli/indicators/R/024.md): the ratio of the
    second-lowest valid bid to the winning bid, (L - W) / W, is at most the lower fence
    Q1 - 1.5 IQR of all ratios (or `threshold`). Skipped unless Q1 > 0 and the fence > 0. The
    process's value is its ratio; the winner and the second-lowest bidder get 0.0."""
    threshold = ctx.settings.indicators["R024"].threshold
    if threshold is None:
        data = _sorted(ctx, "SELECT ratio FROM slbr", needs=ctx.awarded)
        q1, q3 = _quartiles(ctx, "R024", data)
        fence = lower_fence(q1, q3)
    else:
        q1, fence = 1.0, threshold
    ctx.results.set_meta("R024", "lower_fence", fence)
    if ctx.awarded:
        ctx.histogram("R024", "SELECT ratio FROM slbr", None, label="(second-lowest − winning bid) / winning bid",
                      marks={"lower fence" if threshold is None else "threshold": fence})
    if not (q1 > 0.0 and fence > 0.0 and ctx.awarded):
        return
    ctx.rule("R024", "OCID", f"(second-lowest − winning) / winning ≤ {fence:.4g}")
    ctx.rule("R024", "Tenderer", "winner or second-lowest bidder of a flagged process (value 0)")
    for ocid, ratio, winner, second in ctx.rows(
            "SELECT ocid, ratio, winner, second FROM slbr WHERE NOT isnan(ratio) AND ratio <= $fence",
            {"fence": fence}):
        ctx.results.set("OCID", ocid, "R024", ratio)
        for tenderer in (winner, second):
            ctx.results.set("Tenderer", tenderer, "R024", 0.0)
        if ctx.map:
            ctx.results.add_to_map("ocid_tenderer_r024", ocid, [winner, second])


def r058(ctx: Context) -> None:
    """R058 Heavily discounted bid (docs/cli/indicators/R/058.md): the same ratio as R024 is at
    least the upper fence Q3 + 1.5 IQR (or `threshold`), if that fence is > 0. The process's
    value is its ratio; the winner gets 0.0."""
    threshold = ctx.settings.indicators["R058"].threshold
    if threshold is None:
        data = _sorted(ctx, "SELECT ratio FROM slbr", needs=ctx.awarded)
        q1, q3 = _quartiles(ctx, "R058", data)
        fence = upper_fence(q1, q3)
    else:
        fence = threshold
    ctx.results.set_meta("R058", "upper_fence", fence)
    if ctx.awarded:
        ctx.histogram("R058", "SELECT ratio FROM slbr", None, label="(second-lowest − winning bid) / winning bid",
                      marks={"upper fence" if threshold is None else "threshold": fence})
    if not (fence > 0.0 and ctx.awarded):
        return
    ctx.rule("R058", "OCID", f"(second-lowest − winning) / winning ≥ {fence:.4g}")
    ctx.rule("R058", "Tenderer", "winner of a flagged process (value 0)")
    for ocid, ratio, winner in ctx.rows(
            "SELECT ocid, ratio, winner FROM slbr WHERE NOT isnan(ratio) AND ratio >= $fence", {"fence": fence}):
        ctx.results.set("OCID", ocid, "R058", ratio)
        ctx.results.set("Tenderer", winner, "R058", 0.0)
        if ctx.map:
            ctx.results.add_to_map("ocid_tenderer_r058", ocid, [winner])


def r025(ctx: Context) -> None:
    """R025 Excessive unsuccessful bids (docs/cli/indicators/R/025.md): per tenderer, over the
    processes with awards all final, one active award and one supplier, the ratio of processes
    won to processes with a valid bid of its own (counted once per process). A tenderer is
    flagged if its number of such processes is at least the `percentile` (75) of those numbers
    and its ratio at most the lower fence Q1 - 1.5 IQR of the ratios (or `threshold`); skipped
    unless Q1 > 0 and the fence > 0. Value: the ratio."""
    setting = ctx.settings.indicators["R025"]
    if ctx.awarded:
        ctx.con.execute("""
            CREATE OR REPLACE TEMP TABLE r025 AS
            WITH v AS (SELECT DISTINCT s.seq, b.tenderer_id, b.tenderer_id = s.supplier_id AS won
                       FROM sole s JOIN single b USING (seq) WHERE b.status = 'valid')
            SELECT tenderer_id AS id, count(*) FILTER (WHERE won) AS won, count(*) AS bids,
                   (count(*) FILTER (WHERE won))::DOUBLE / count(*)::DOUBLE AS ratio
            FROM v GROUP BY tenderer_id
        """)
    top = percentile(_sorted(ctx, "SELECT bids::DOUBLE FROM r025", needs=ctx.awarded), setting.percentile)
    if setting.threshold is None:
        data = _sorted(ctx, "SELECT ratio FROM r025", needs=ctx.awarded)
        q1, q3 = _quartiles(ctx, "R025", data)
        fence = lower_fence(q1, q3)
    else:
        q1, fence = 1.0, setting.threshold
    ctx.results.set_meta("R025", "upper_fence", top)
    ctx.results.set_meta("R025", "lower_fence", fence)
    if ctx.awarded:
        ctx.histogram("R025", "SELECT ratio FROM r025 WHERE bids >= $top", {"top": top},
                      label=f"processes won / processes bid (tenderers with ≥ {top:g} processes)",
                      marks={"lower fence" if setting.threshold is None else "threshold": fence})
    if not (q1 > 0.0 and fence > 0.0 and ctx.awarded) or math.isnan(top):
        return
    ctx.rule("R025", "Tenderer", f"processes won / processes bid ≤ {fence:.4g}, with ≥ {top:g} processes")
    for tenderer, ratio in ctx.rows("SELECT id, ratio FROM r025 WHERE bids >= $top AND ratio <= $fence",
                                    {"top": top, "fence": fence}):
        ctx.results.set("Tenderer", tenderer, "R025", ratio)


def r038(ctx: Context) -> None:
    """R038 Excessive disqualified bids (docs/cli/indicators/R/038.md): the ratio of disqualified
    to submitted bids per buyer, procuring entity and tenderer is at least the upper fence
    Q3 + 1.5 IQR of its group's ratios (or `threshold`), if the fence is > 0. As in Cardinal's
    code, buyers and procuring entities need `minimum_contracting_processes` (2) submitted *bids*
    (the page says processes) and tenderers `minimum_submitted_bids` (2); a tenderer named twice
    on a bid counts twice. Value: the ratio."""
    setting = ctx.settings.indicators["R038"]
    if not ctx.bids:
        return
    ctx.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE submitted AS
        SELECT b.seq, b.bid_idx, b.status = 'disqualified' AS disq FROM bids b
        WHERE {SUBMITTED} AND b.seq IN (SELECT seq FROM inc)
    """)
    ctx.con.execute("""
        CREATE OR REPLACE TEMP TABLE r038_process AS
        SELECT i.seq, i.ocid, i.buyer_id, i.procuring_entity_id, count(*) FILTER (WHERE disq) AS d, count(*) AS n
        FROM submitted JOIN inc i USING (seq) GROUP BY ALL
    """)
    queries = {
        "Buyer": ("SELECT buyer_id, sum(d), sum(n) FROM r038_process WHERE buyer_id IS NOT NULL GROUP BY 1",
                  setting.minimum_contracting_processes),
        "ProcuringEntity": ("SELECT procuring_entity_id, sum(d), sum(n) FROM r038_process "
                            "WHERE procuring_entity_id IS NOT NULL GROUP BY 1", setting.minimum_contracting_processes),
        "Tenderer": ("SELECT t.tenderer_id, count(*) FILTER (WHERE disq), count(*) FROM submitted "
                     "JOIN bid_tenderers t USING (seq, bid_idx) GROUP BY 1", setting.minimum_submitted_bids),
    }
    for group, (sql, minimum) in queries.items():
        ratios = f"SELECT id, num::DOUBLE / den::DOUBLE AS ratio FROM ({sql}) t(id, num, den) WHERE den >= $minimum"
        data = _sorted(ctx, f"SELECT ratio FROM ({ratios})", {"minimum": minimum})
        if not data:
            continue
        if setting.threshold is None:
            q1, q3 = _quartiles(ctx, "R038", data, prefix=f"{group}_")
            fence = upper_fence(q1, q3)
        else:
            fence = setting.threshold
        ctx.results.set_meta("R038", f"{group}_upper_fence", fence)
        ctx.histogram("R038", f"SELECT ratio FROM ({ratios})", {"minimum": minimum},
                      label=f"disqualified / submitted bids per {group}",
                      marks={"upper fence" if setting.threshold is None else "threshold": fence})
        if fence > 0.0:
            ctx.rule("R038", group, f"disqualified / submitted bids ≥ {fence:.4g}")
            for key, ratio in ctx.rows(f"SELECT * FROM ({ratios}) WHERE NOT isnan(ratio) AND ratio >= $fence",
                                       {"minimum": minimum, "fence": fence}):
                ctx.results.set(group, key, "R038", ratio)
    if ctx.map:
        for name, column in (("ocid_buyer_r038", "buyer_id"), ("ocid_procuringentity_r038", "procuring_entity_id")):
            for ocid, key in ctx.rows(f"""
                SELECT ocid, {column} FROM r038_process WHERE d > 0 AND {column} IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY ocid ORDER BY seq DESC) = 1"""):
                ctx.results.maps[name][ocid] = key


def r048(ctx: Context) -> None:
    """R048 Heterogeneous supplier (docs/cli/indicators/R/048.md): per supplier of active awards
    with one supplier, the number of distinct item classifications (their first `digits` (2)
    characters) is at least the upper fence Q3 + 1.5 IQR (or `threshold`), counting suppliers
    with at least `minimum_contracting_processes` (20) processes. Value: that number."""
    setting = ctx.settings.indicators["R048"]
    if ctx.awards:
        ctx.con.execute("""
            CREATE OR REPLACE TEMP TABLE r048 AS
            SELECT s.supplier_id AS id, count(DISTINCT a.seq) AS processes,
                   count(DISTINCT left(i.classification_id, $digits))::DOUBLE AS codes
            FROM awards a
            JOIN award_suppliers s ON s.seq = a.seq AND s.award_idx = a.award_idx AND s.supplier_idx = 0
            JOIN award_items i ON i.seq = a.seq AND i.award_idx = a.award_idx
            WHERE a.status = 'active' AND a.n_suppliers = 1 AND a.seq IN (SELECT seq FROM inc)
            GROUP BY s.supplier_id HAVING count(DISTINCT a.seq) >= $minimum
        """, {"digits": setting.digits, "minimum": setting.minimum_contracting_processes})
    if setting.threshold is None:
        data = _sorted(ctx, "SELECT codes FROM r048", needs=bool(ctx.awards))
        q1, q3 = _quartiles(ctx, "R048", data)
        fence = upper_fence(q1, q3)
    else:
        fence = float(setting.threshold)
    ctx.results.set_meta("R048", "upper_fence", fence)
    if ctx.awards:
        ctx.histogram("R048", "SELECT codes FROM r048", None, label="distinct item classifications per supplier",
                      marks={"upper fence" if setting.threshold is None else "threshold": fence})
    if math.isnan(fence) or not ctx.awards:
        return
    ctx.rule("R048", "Tenderer", f"distinct classifications ≥ {fence:.4g}")
    for supplier, codes in ctx.rows("SELECT id, codes FROM r048 WHERE codes >= $fence", {"fence": fence}):
        ctx.results.set("Tenderer", supplier, "R048", codes)
