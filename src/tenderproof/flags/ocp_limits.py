"""How the OCP indicators find their limits: a setting's `threshold`, else Tukey's fences.

The fences are computed from the data with statrs' quartile estimator and reported in `Meta`
(q1, q3 and the fence asked, with a prefix per group where an indicator has several), as Cardinal
does; a `threshold` setting replaces the fence. One rule is added to Cardinal's: a fence computed
from the data is used only when Q3 > Q1 (with no spread, nothing is an outlier). Values that are
log-normal (amounts) can be fenced on their logarithms and reported back in their own scale.
"""

from __future__ import annotations

import math

from tenderproof.flags.indicators import Context
from tenderproof.flags.settings import pipe_set
from tenderproof.flags.stats import lower_fence, quantile, upper_fence


def fences(ctx: Context, code: str, sql: str, params: dict[str, object] | None = None, *,
            threshold: float | None, lower: bool = False, upper: bool = False, prefix: str = "",
            transform: str | None = None) -> tuple[float, float] | None:
    """The (lower, upper) limits for the values of `sql`: `threshold` for the side(s) asked, else
    Tukey's fences of the data (NaN for a side not asked); None if there is no usable limit.
    `transform`: `log10` when the fences are computed on log10(value); Meta then reports them
    back in the values' own scale."""
    if threshold is not None:
        lo = threshold if lower else math.nan
        hi = threshold if upper else math.nan
    else:
        (data,) = ctx.rows(f"SELECT list_sort(list(v)) FROM ({sql}) t(v) WHERE v IS NOT NULL AND isfinite(v)",
                           params)[0]
        data = data or []
        if transform == "log10":
            data = [math.log10(v) for v in data if v > 0]
        q1, q3 = quantile(data, 0.25), quantile(data, 0.75)
        back = (lambda v: 10**v if math.isfinite(v) else v) if transform == "log10" else (lambda v: v)
        ctx.results.set_meta(code, f"{prefix}q1", back(q1))
        ctx.results.set_meta(code, f"{prefix}q3", back(q3))
        lo = back(lower_fence(q1, q3)) if lower else math.nan
        hi = back(upper_fence(q1, q3)) if upper else math.nan
        if lower:
            ctx.results.set_meta(code, f"{prefix}lower_fence", lo)
        if upper:
            ctx.results.set_meta(code, f"{prefix}upper_fence", hi)
        if not (q3 > q1):  # no spread (or no data): no outliers
            return None
    return lo, hi


def methods(setting: str | None) -> list[str]:
    return pipe_set(setting)
