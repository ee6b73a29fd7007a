"""Scoring rules of Kennisster as pure functions: no web, no database.

The README's "Scoring" section describes the same rules in plain words; keep the two in step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from api.platform.questionnaires import Band, Questionnaire, Suggestion

# Two-sided 95% critical values of Student's t by degrees of freedom; beyond the table the
# values are interpolated in 1/df towards the normal 1.96, which is exact to two decimals.
_T95 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
    25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}
_Z95 = 1.960


def t_critical_95(df: int) -> float:
    """Two-sided 95% critical value of Student's t with `df` degrees of freedom."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df in _T95:
        return _T95[df]
    known = sorted(_T95)
    if df > known[-1]:
        lo_df, lo_t, hi_inv, hi_t = known[-1], _T95[known[-1]], 0.0, _Z95
    else:
        lo_df = max(k for k in known if k < df)
        hi_df = min(k for k in known if k > df)
        lo_t, hi_inv, hi_t = _T95[lo_df], 1 / hi_df, _T95[hi_df]
    # linear in 1/df between the two table entries
    lo_inv = 1 / lo_df
    share = (lo_inv - 1 / df) / (lo_inv - hi_inv)
    return lo_t + share * (hi_t - lo_t)


def item_value(raw: int | None, *, reverse: bool, scale_min: int = 1, scale_max: int = 5) -> (
    float | None
):
    """The item's value on the scale, mirrored when the statement is reverse-coded.

    `None` stands for "weet niet / n.v.t." and stays missing.
    """
    if raw is None:
        return None
    if not scale_min <= raw <= scale_max:
        raise ValueError(f"value {raw} is outside the scale {scale_min}–{scale_max}")
    return float(scale_min + scale_max - raw) if reverse else float(raw)


def knob_scores(
    answers: Mapping[str, int | None], questionnaire: Questionnaire
) -> dict[str, float | None]:
    """Mean of the answered items per knob, or None when fewer than half its items are answered.

    An unanswered item and a "weet niet" both count as missing.
    """
    scale = questionnaire.scale
    scores: dict[str, float | None] = {}
    for knob in questionnaire.knobs:
        items = questionnaire.items_of(knob.key)
        values = [
            v
            for item in items
            if (v := item_value(answers.get(item.id), reverse=item.reverse,
                                scale_min=scale.min, scale_max=scale.max)) is not None
        ]
        enough = 2 * len(values) >= len(items) and values
        scores[knob.key] = sum(values) / len(values) if enough else None
    return scores


def to_percent(score: float, *, scale_min: int = 1, scale_max: int = 5) -> float:
    """A 1–5 score on 0–100, where a percentage reads better (1 → 0, 3 → 50, 5 → 100)."""
    return 100 * (score - scale_min) / (scale_max - scale_min)


@dataclass(frozen=True)
class Summary:
    """Descriptive statistics of one knob for one group of respondents."""

    n: int
    mean: float
    sd: float | None  # None for a single respondent
    ci_low: float | None
    ci_high: float | None


def summarize_sums(n: int, total: float, total_sq: float) -> Summary | None:
    """Mean, sample sd and t-based 95% CI from count, sum and sum of squares.

    This is the form SQL can produce with one GROUP BY on any database, so the aggregation never
    has to pull individual scores into Python.
    """
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return Summary(n=1, mean=mean, sd=None, ci_low=None, ci_high=None)
    variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    sd = math.sqrt(variance)
    half = t_critical_95(n - 1) * sd / math.sqrt(n)
    return Summary(n=n, mean=mean, sd=sd, ci_low=mean - half, ci_high=mean + half)


def summarize(values: Sequence[float]) -> Summary | None:
    """The same statistics as `summarize_sums`, from the values themselves."""
    return summarize_sums(len(values), sum(values), sum(v * v for v in values))


def band_for(score: float, bands: Sequence[Band]) -> Band:
    """The highest band whose lower bound the score reaches."""
    chosen = bands[0]
    for band in bands:
        if score >= band.min:
            chosen = band
    return chosen


@dataclass(frozen=True)
class Alignment:
    """How well the knobs fit together: the star model's central question."""

    weakest: str
    strongest: str
    spread: float  # strongest minus weakest, on the 1–5 scale


def alignment(knob_means: Mapping[str, float | None]) -> Alignment | None:
    """Weakest knob (the bottleneck), strongest knob and the spread between them.

    Knobs without a score are left out; with fewer than two scored knobs there is no alignment.
    Ties go to the knob listed first, so the answer is stable.
    """
    scored = [(key, mean) for key, mean in knob_means.items() if mean is not None]
    if len(scored) < 2:
        return None
    weakest = min(scored, key=lambda kv: kv[1])
    strongest = max(scored, key=lambda kv: kv[1])
    return Alignment(weakest=weakest[0], strongest=strongest[0], spread=strongest[1] - weakest[1])


def cronbach_alpha(rows: Sequence[Sequence[float | None]]) -> float | None:
    """Cronbach's alpha of one knob's items; `rows` holds one respondent's item values each.

    Respondents with a missing item are left out (listwise), because alpha needs complete rows.
    Returns None when there are fewer than two items, fewer than two complete respondents or no
    variance in the total scores.
    """
    complete = [row for row in rows if all(v is not None for v in row)]
    if len(complete) < 2 or len(complete[0]) < 2:
        return None
    k = len(complete[0])

    def variance(values: Sequence[float]) -> float:
        m = sum(values) / len(values)
        return sum((v - m) ** 2 for v in values) / (len(values) - 1)

    item_variances = sum(variance([row[i] for row in complete]) for i in range(k))
    total_variance = variance([sum(row) for row in complete])
    if total_variance == 0:
        return None
    return (k / (k - 1)) * (1 - item_variances / total_variance)


@dataclass(frozen=True)
class KnobAdvice:
    knob: str
    score: float
    band: Band
    suggestions: tuple[Suggestion, ...]


def advice(knob_means: Mapping[str, float | None], questionnaire: Questionnaire) -> list[KnobAdvice]:
    """Suggestions for every scored knob below the strength band, weakest knob first."""
    strength = questionnaire.strength_band
    weak = [
        KnobAdvice(
            knob=key,
            score=mean,
            band=band_for(mean, questionnaire.bands),
            suggestions=tuple(questionnaire.suggestions_of(key)),
        )
        for key, mean in knob_means.items()
        if mean is not None and mean < strength.min
    ]
    order = {knob.key: i for i, knob in enumerate(questionnaire.knobs)}
    return sorted(weak, key=lambda a: (a.score, order.get(a.knob, 0)))


def cronbach_alpha_from_sums(
    *, n: int, item_sums: Sequence[float], item_sums_sq: Sequence[float], total_sum: float,
    total_sum_sq: float,
) -> float | None:
    """Cronbach's alpha from sums instead of rows, so the database can supply them.

    `n` complete respondents (listwise, as in `cronbach_alpha`); per item the sum and the sum of
    squares of its values; over the respondents' totals T (the sum of their item values) the sum
    and the sum of squares. These are what SQL produces with GROUP BY on any database, so no
    answer has to be pulled into Python. Variances are sample variances (n − 1), computed as
    (n·Σx² − (Σx)²) / (n·(n − 1)), which is exact for the whole-number answers of a scale.

    alpha = k/(k − 1) · (1 − Σ var_i / var_T). Returns None when there are fewer than two
    complete respondents, fewer than two items or no variance in the totals, like `cronbach_alpha`.
    """
    k = len(item_sums)
    if len(item_sums_sq) != k:
        raise ValueError("item_sums and item_sums_sq must have one entry per item")
    if n < 2 or k < 2:
        return None

    def variance(total: float, total_sq: float) -> float:
        return max(0.0, (n * total_sq - total * total) / (n * (n - 1)))

    total_variance = variance(total_sum, total_sum_sq)
    if total_variance == 0:
        return None
    item_variances = sum(variance(s, sq) for s, sq in zip(item_sums, item_sums_sq, strict=True))
    return (k / (k - 1)) * (1 - item_variances / total_variance)


@dataclass(frozen=True)
class Change:
    """How a knob moved between two rounds, with a 95% interval around the difference."""

    difference: float
    low: float | None
    high: float | None

    @property
    def clear(self) -> bool:
        """True when the whole interval lies on one side of zero: larger than its uncertainty."""
        return self.low is not None and (self.low > 0 or self.high < 0)


def change_between(before: Summary, after: Summary) -> Change:
    """Difference of two independent group means with a Welch 95% confidence interval."""
    difference = after.mean - before.mean
    if before.sd is None or after.sd is None:
        return Change(difference=difference, low=None, high=None)
    va, vb = before.sd**2 / before.n, after.sd**2 / after.n
    se = math.sqrt(va + vb)
    if se == 0:
        return Change(difference=difference, low=difference, high=difference)
    df = (va + vb) ** 2 / (va**2 / (before.n - 1) + vb**2 / (after.n - 1))
    half = t_critical_95(max(1, int(df))) * se
    return Change(difference=difference, low=difference - half, high=difference + half)
