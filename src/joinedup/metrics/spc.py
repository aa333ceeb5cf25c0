"""NHS "Making Data Count" XmR charts, computed as NHSRplotthedots computes them.

Limits: mean ± 2.66 × mean moving range, after screening out moving ranges of 3.267 × their mean
or more (on by default) and recomputing the mean moving range once. Special-cause rules, in
NHSRplotthedots' order of precedence when a point breaks more than one:

1. a point outside the process limits;
2. part of a run of 7 points each strictly higher (or lower) than the one before (trend);
3. part of 2 of 3 points beyond two thirds of the way to a limit, all three on one side (two in three);
4. part of a run of 7 points on one side of the mean (shift).

Each rebase segment has its own mean and limits, and the rules look within a segment only. The
variation icon comes from the last point, the assurance icon from the last point's target against
its limits. The rules follow `R/ptd_spc_standard.R` and `R/ptd_calculate_point_type.R` of
nhs-r-community/NHSRplotthedots; tests/test_spc.py reproduces that project's own test cases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from joinedup.errors import BadInput

LIMIT = 2.66
NEAR_LIMIT = 2 * (LIMIT / 3)
SCREEN = 3.267
RUN = 7

# The direction that is an improvement: +1 higher is better, -1 lower is better, 0 neutral.
IMPROVEMENT = {"increase": 1, "higher": 1, "decrease": -1, "lower": -1, "neutral": 0}

VARIATION_ICONS = (
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
)
ASSURANCE_ICONS = ("pass", "fail", "hit_and_miss")


@dataclass(frozen=True)
class SpcPoint:
    period: str
    value: float
    segment: int  # rebase segment, 0 before the first rebase
    mean: float
    lpl: float | None  # None when the segment has fewer than 2 points to measure variation
    upl: float | None
    target: float | None
    outside_limits: bool
    trend: bool  # part of 7 points in a row increasing or decreasing
    shift: bool  # part of 7 points in a row on one side of the mean
    two_in_three: bool  # part of 2 of 3 points close to a limit on one side
    # the rule that decides the point type: outside_limits, trend, two_in_three or shift
    rule: str | None
    side: int  # +1 the special cause is high (above, increasing), -1 low, 0 common cause
    point_type: str  # common_cause, special_cause_{improvement,concern,neutral_high,neutral_low}

    @property
    def special_cause(self) -> bool:
        return self.rule is not None


@dataclass(frozen=True)
class SpcChart:
    points: tuple[SpcPoint, ...]
    improvement: str
    variation: str  # one of VARIATION_ICONS, from the last point
    assurance: str | None  # one of ASSURANCE_ICONS; None without a target or for a neutral metric


def xmr_chart(
    values: Sequence[float],
    periods: Sequence[str] | None = None,
    *,
    improvement: str = "increase",
    target: float | Sequence[float | None] | None = None,
    rebase_at: Sequence[str] = (),
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
) -> SpcChart:
    """An XmR chart of `values` in time order.

    `periods` names each value (default "1", "2", ...); a rebase period in `rebase_at` starts a new
    segment with its own mean and limits. `target` is one number or one per period (None where
    there is none). `fix_after_n_points` computes each segment's mean and limits from its first n
    points only, as NHSRplotthedots' option of that name.
    """
    if not values:
        raise BadInput("SPC chart: no values to chart")
    gap = next((i for i, v in enumerate(values) if v is None or not math.isfinite(v)), None)
    if gap is not None:
        where = periods[gap] if periods is not None and gap < len(periods) else str(gap + 1)
        raise BadInput(f"SPC chart: no value for period {where} (an XmR chart needs every period)")
    periods = (
        [str(p) for p in periods]
        if periods is not None
        else [str(i + 1) for i in range(len(values))]
    )
    if len(periods) != len(values):
        raise BadInput(f"SPC chart: {len(values)} values but {len(periods)} periods")
    if improvement not in IMPROVEMENT:
        raise BadInput(
            f"SPC chart: improvement must be one of {', '.join(IMPROVEMENT)}, not {improvement!r}"
        )
    targets = _targets(target, len(values))
    direction = IMPROVEMENT[improvement]
    points: list[SpcPoint] = []
    for segment, (start, stop) in enumerate(_segments(periods, rebase_at)):
        points.extend(
            _segment_points(
                [float(v) for v in values[start:stop]],
                periods[start:stop],
                targets[start:stop],
                segment,
                direction,
                screen_outliers,
                fix_after_n_points,
            )
        )
    return SpcChart(
        points=tuple(points),
        improvement=improvement,
        variation=variation_icon(points[-1].point_type, direction),
        assurance=assurance_icon(points[-1], direction),
    )


def process_limits(
    values: Sequence[float], screen_outliers: bool = True
) -> tuple[float, float | None, float | None]:
    """(mean, lower, upper) process limits of one segment."""
    mean = math.fsum(values) / len(values)
    average = average_moving_range(values, screen_outliers)
    if average is None:
        return mean, None, None
    return mean, mean - LIMIT * average, mean + LIMIT * average


def average_moving_range(values: Sequence[float], screen_outliers: bool = True) -> float | None:
    """Mean moving range, screened once for ranges of 3.267 × the mean or more; None for 1 value."""
    moving_ranges = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    if not moving_ranges:
        return None
    average = math.fsum(moving_ranges) / len(moving_ranges)
    if screen_outliers and average > 0:
        # With a positive average at least one range is below the screen, so this is never empty.
        kept = [r for r in moving_ranges if r < SCREEN * average]
        average = math.fsum(kept) / len(kept)
    return average


def variation_icon(point_type: str, direction: int) -> str:
    """The Making Data Count variation icon for the last point's type."""
    high_is_good = direction >= 0
    return {
        "common_cause": "common_cause",
        "special_cause_neutral_high": "neutral_high",
        "special_cause_neutral_low": "neutral_low",
        "special_cause_improvement": "improvement_high" if high_is_good else "improvement_low",
        "special_cause_concern": "concern_low" if high_is_good else "concern_high",
    }[point_type]


def assurance_icon(last: SpcPoint, direction: int) -> str | None:
    """pass / fail when the target lies outside the limits, hit_and_miss when it lies between them."""
    if last.target is None or direction == 0 or last.lpl is None or last.upl is None:
        return None
    if last.target > last.upl:
        return "fail" if direction > 0 else "pass"
    if last.target < last.lpl:
        return "pass" if direction > 0 else "fail"
    return "hit_and_miss"


def _targets(target: float | Sequence[float | None] | None, n: int) -> list[float | None]:
    if target is None or isinstance(target, int | float):
        return [None if target is None else float(target)] * n
    if len(target) != n:
        raise BadInput(f"SPC chart: {n} values but {len(target)} targets")
    return [None if t is None else float(t) for t in target]


def _segments(periods: list[str], rebase_at: Sequence[str]) -> list[tuple[int, int]]:
    """(start, stop) index ranges of the rebase segments."""
    position = {p: i for i, p in enumerate(periods)}
    missing = [p for p in rebase_at if p not in position]
    if missing:
        raise BadInput(f"SPC chart: rebase period {missing[0]!r} is not one of the chart's periods")
    starts = sorted({0} | {position[p] for p in rebase_at})
    return list(zip(starts, [*starts[1:], len(periods)], strict=True))


def _segment_points(
    values: list[float],
    periods: list[str],
    targets: list[float | None],
    segment: int,
    direction: int,
    screen_outliers: bool,
    fix_after_n_points: int | None,
) -> list[SpcPoint]:
    baseline = values[:fix_after_n_points] if fix_after_n_points else values
    mean, lpl, upl = process_limits(baseline, screen_outliers)
    average = average_moving_range(baseline, screen_outliers)
    outside = [_outside(v, lpl, upl) for v in values]
    side_of_mean = [_sign(v - mean) for v in values]
    close = [not out and _close(v, mean, average) for v, out in zip(values, outside, strict=True)]
    trend = _part_of_run(_trend_ends(values))
    two_in_three = _two_in_three(close, side_of_mean)
    shift = _part_of_run(_shift_ends(side_of_mean))
    points = []
    for i, value in enumerate(values):
        rule, side = _rule(i, values, outside, trend, two_in_three, shift, side_of_mean)
        points.append(
            SpcPoint(
                period=periods[i],
                value=value,
                segment=segment,
                mean=mean,
                lpl=lpl,
                upl=upl,
                target=targets[i],
                outside_limits=outside[i],
                trend=trend[i],
                shift=shift[i],
                two_in_three=two_in_three[i],
                rule=rule,
                side=side,
                point_type=_point_type(side, direction),
            )
        )
    return points


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _outside(value: float, lpl: float | None, upl: float | None) -> bool:
    return lpl is not None and upl is not None and (value > upl or value < lpl)


def _close(value: float, mean: float, average: float | None) -> bool:
    """Beyond two thirds of the way from the mean to a limit."""
    if average is None:
        return False
    return value < mean - NEAR_LIMIT * average or value > mean + NEAR_LIMIT * average


def _trend_ends(values: list[float]) -> list[int]:
    """+1 / -1 at a point that ends 7 points each strictly above / below the one before."""
    ends = [0] * len(values)
    for i in range(RUN - 1, len(values)):
        steps = {_sign(values[j] - values[j - 1]) for j in range(i - RUN + 2, i + 1)}
        if steps in ({1}, {-1}):
            ends[i] = steps.pop()
    return ends


def _shift_ends(side_of_mean: list[int]) -> list[int]:
    """Non-zero at a point that ends 7 points on the same side of the mean."""
    ends = [0] * len(side_of_mean)
    for i in range(RUN - 1, len(side_of_mean)):
        window = set(side_of_mean[i - RUN + 1 : i + 1])
        if len(window) == 1 and 0 not in window:
            ends[i] = side_of_mean[i]
    return ends


def _part_of_run(ends: list[int]) -> list[bool]:
    """A point is part of a run when the run ends at it or at one of the next 6 points."""
    return [any(ends[i : i + RUN]) for i in range(len(ends))]


def _two_in_three(close: list[bool], side_of_mean: list[int]) -> list[bool]:
    """Close to a limit, in a window of 3 with another close point and all 3 on one side."""
    n = len(close)
    flagged = []
    for i in range(n):
        windows = [range(s, s + 3) for s in (i - 2, i - 1, i) if s >= 0 and s + 3 <= n]
        flagged.append(
            close[i]
            and any(
                sum(close[j] for j in w) >= 2 and abs(sum(side_of_mean[j] for j in w)) == 3
                for w in windows
            )
        )
    return flagged


def _rule(
    i: int,
    values: list[float],
    outside: list[bool],
    trend: list[bool],
    two_in_three: list[bool],
    shift: list[bool],
    side_of_mean: list[int],
) -> tuple[str | None, int]:
    above = 1 if side_of_mean[i] > 0 else -1
    if outside[i]:
        return "outside_limits", 1 if side_of_mean[i] == 1 else -1
    if trend[i]:
        return "trend", _trend_direction(i, values, trend)
    if two_in_three[i]:
        return "two_in_three", above
    if shift[i]:
        return "shift", above
    return None, 0


def _trend_direction(i: int, values: list[float], trend: list[bool]) -> int:
    """As NHSRplotthedots: the step to the next point when it is in the trend too, else the step in."""
    if i + 1 < len(values) and trend[i + 1]:
        step = _sign(values[i + 1] - values[i])
    else:
        step = _sign(values[i] - values[i - 1]) if i > 0 else 0
    return 1 if step == 1 else -1


def _point_type(side: int, direction: int) -> str:
    if side == 0:
        return "common_cause"
    if direction == 0:
        return "special_cause_neutral_high" if side > 0 else "special_cause_neutral_low"
    return "special_cause_improvement" if side * direction > 0 else "special_cause_concern"
