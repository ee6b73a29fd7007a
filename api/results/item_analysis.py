"""Item analysis of one scale as pure functions: Cronbach's alpha with its confidence interval,
corrected item–rest correlations and alpha if an item is deleted, all from a covariance matrix.

No web, no database. The database sends sums (`CrossSums`): the count of complete respondents,
each item's sum and every pair's sum of products. Because answers are whole numbers, the matrix
M = n·S_ij − S_i·S_j is exact in integers and equals n·(n − 1) times the sample covariance
matrix; alpha and correlations do not change when a matrix is scaled, so every statistic below
is computed from M and only the last division is in floating point.

The 95 % interval of alpha is Feldt's F-based interval, the one pingouin's `cronbach_alpha`
reports (Feldt, Woodruff & Salih, 1987, "Statistical inference for coefficient alpha", Applied
Psychological Measurement 11, 93–103, p. 95, formulas 6 and 7; as documented for R's
cocron::cronbach.alpha.CI): with df1 = n − 1 and df2 = (n − 1)(k − 1),
    lower = 1 − (1 − alpha) · F⁻¹(0.975; df1, df2),  upper = 1 − (1 − alpha) · F⁻¹(0.025; df1, df2).
The F quantile is computed here (regularized incomplete beta by Lentz's continued fraction,
inverted by bisection), because the app does not depend on scipy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WEAK_ITEM_REST = 0.3  # a corrected item–rest correlation below this: the item hangs loosely


@dataclass(frozen=True)
class CrossSums:
    """What SQL sends for one knob over its complete respondents: n, Σx_i and Σx_i·x_j."""

    n: int
    item_sums: Mapping[str, int]  # item id → Σ x_i
    products: Mapping[tuple[str, str], int]  # (item, item) → Σ x_i·x_j, either order present


@dataclass(frozen=True)
class ItemStats:
    item_id: str
    item_rest: float | None  # None when the item or the rest does not vary
    alpha_if_deleted: float | None  # None with fewer than three items or no variance left


@dataclass(frozen=True)
class ScaleStats:
    n: int
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    items: tuple[ItemStats, ...]


def scaled_covariance(sums: CrossSums, item_ids: Sequence[str]) -> list[list[int]]:
    """n·(n − 1) times the sample covariance matrix of the items, exact in integers."""
    n = sums.n
    return [[n * sums.products[(a, b)] - sums.item_sums[a] * sums.item_sums[b] for b in item_ids]
            for a in item_ids]


def alpha_of(matrix: Sequence[Sequence[float]]) -> float | None:
    """Cronbach's alpha from a (scaled) covariance matrix: k/(k − 1) · (1 − trace / total)."""
    k = len(matrix)
    total = sum(sum(row) for row in matrix)
    if k < 2 or total <= 0:
        return None
    trace = sum(matrix[i][i] for i in range(k))
    return (k / (k - 1)) * (1 - trace / total)


def _without(matrix: Sequence[Sequence[float]], index: int) -> list[list[float]]:
    return [[v for j, v in enumerate(row) if j != index] for i, row in enumerate(matrix)
            if i != index]


def item_rest(matrix: Sequence[Sequence[float]], index: int) -> float | None:
    """Pearson correlation of one item with the sum of the scale's other items."""
    own = matrix[index][index]
    row = sum(matrix[index])
    rest_var = sum(sum(r) for r in matrix) - 2 * row + own
    if own <= 0 or rest_var <= 0:
        return None
    return (row - own) / math.sqrt(own * rest_var)


def scale_stats(sums: CrossSums, item_ids: Sequence[str]) -> ScaleStats:
    """Alpha, its Feldt interval, and per item the item–rest r and alpha without it."""
    if sums.n < 2:
        return ScaleStats(n=sums.n, alpha=None, ci_low=None, ci_high=None,
                          items=tuple(ItemStats(i, None, None) for i in item_ids))
    matrix = scaled_covariance(sums, item_ids)
    alpha = alpha_of(matrix)
    low, high = feldt_interval(alpha, n=sums.n, k=len(item_ids)) if alpha is not None else (None,
                                                                                             None)
    items = tuple(ItemStats(item_id=item_id, item_rest=item_rest(matrix, i),
                            alpha_if_deleted=alpha_of(_without(matrix, i)) if len(item_ids) > 2
                            else None)
                  for i, item_id in enumerate(item_ids))
    return ScaleStats(n=sums.n, alpha=alpha, ci_low=low, ci_high=high, items=items)


def feldt_interval(alpha: float, *, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval of alpha over n respondents and k items (see the module)."""
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    return (1 - (1 - alpha) * f_quantile(1 - tail, df1, df2),
            1 - (1 - alpha) * f_quantile(tail, df1, df2))


def f_quantile(p: float, df1: float, df2: float) -> float:
    """The p-quantile of Snedecor's F(df1, df2).

    F ≤ f exactly when X = df1·f / (df1·f + df2) ≤ x for X ~ Beta(df1/2, df2/2), so the quantile
    is the beta quantile mapped back. Bisection on x halves the bracket until it stops shrinking
    (about 60 steps), which is exact to the precision of the incomplete beta function.
    """
    if not 0 < p < 1:
        raise ValueError("p must lie strictly between 0 and 1")
    a, b = df1 / 2, df2 / 2
    lo, hi = 0.0, 1.0
    while True:
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if regularized_beta(mid, a, b) < p:
            lo = mid
        else:
            hi = mid
    x = (lo + hi) / 2
    return df2 * x / (df1 * (1 - x))


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the regularized incomplete beta function (Numerical Recipes §6.4)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1 - math.exp(log_front) * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function, by Lentz's method."""
    tiny, eps = 1e-300, 1e-16
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                          -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < eps:
            break
    return h
