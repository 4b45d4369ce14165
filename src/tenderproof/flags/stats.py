"""The statistics Cardinal uses, reproduced bit for bit.

- Quartiles and percentiles: statrs 0.16 `OrderStatistics::quantile` (`Data::lower_quartile`,
  `upper_quartile`, `percentile`), i.e. the R-8 estimator (median-unbiased): h = (n + 1/3)τ + 1/3,
  linear interpolation between the order statistics ⌊h⌋ and ⌊h⌋+1; min below, max above; NaN
  when there is no data.
- Fences: Rust's `f64::mul_add` (one rounding), as in `(q3 - q1).mul_add(1.5, q3)`.
- Meta values: rounded to 4 decimals as `(v * 10_000.0).round() / 10_000.0` (half away from
  zero); NaN and infinities serialise as null, as serde_json does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

NAN = float("nan")


def quantile(data: Sequence[float], tau: float) -> float:
    """statrs' quantile of `data`, which must be sorted ascending."""
    n = len(data)
    if tau < 0.0 or tau > 1.0 or n == 0:
        return NAN
    h = (n + 1.0 / 3.0) * tau + 1.0 / 3.0
    hf = int(h)
    if hf <= 0 or tau == 0.0:
        return data[0]
    if hf >= n or tau == 1.0:
        return data[-1]
    a = data[hf - 1]
    b = data[hf]
    return a + (h - hf) * (b - a)


def percentile(data: Sequence[float], p: int) -> float:
    return quantile(data, p / 100.0)


def mul_add(x: float, y: float, z: float) -> float:
    """x * y + z with a single rounding, like Rust's `f64::mul_add` (fused multiply-add)."""
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
        return x * y + z
    exact = Fraction(x) * Fraction(y) + Fraction(z)
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def upper_fence(q1: float, q3: float) -> float:
    """Q3 + 1.5 IQR."""
    return mul_add(q3 - q1, 1.5, q3)


def lower_fence(q1: float, q3: float) -> float:
    """Q1 - 1.5 IQR."""
    return mul_add(q3 - q1, -1.5, q1)


def _round_half_away(v: float) -> float:
    floor = math.floor(v)
    diff = v - floor  # exact for |v| < 2**52; larger doubles are integers
    if diff > 0.5 or (diff == 0.5 and v > 0):
        return float(floor + 1)
    return float(floor)


def round4(v: float) -> float | None:
    """A Meta value as Cardinal writes it: rounded to 4 decimals, or null if not finite."""
    if not math.isfinite(v):
        return None
    scaled = v * 10_000.0
    if not math.isfinite(scaled):
        return None
    rounded = _round_half_away(scaled) if abs(scaled) < 2.0**52 else scaled
    return rounded / 10_000.0


def finite(v: float) -> float | None:
    """A result value as serde_json writes it (non-finite floats become null)."""
    return v if math.isfinite(v) else None
