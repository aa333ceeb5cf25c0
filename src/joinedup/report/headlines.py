"""The headline metrics of the board report: one SPC chart per metric from disclosure-controlled
values of complete periods, the plan's targets, and a plain-English reading of the chart.

A period is complete when every day its figure rests on lies within the whole months the data
covers (`days_needed`): a readmission rate needs 29 days after the period, so the last month of
data is never charted for it.

A scheme's go-live date (the plan's `go_live`) rebases the charts of the metrics it is judged by
(its `metrics`): from the first charted period that starts on or after it, the chart has a new
mean and new limits, so that it shows the process before and after the change (Making Data
Count). A go-live before the second period or after the last one changes nothing.

A metric is charted at its finest grain (month, then quarter, then financial year) whose complete
periods all survive disclosure control: a monthly count of 1-7 is suppressed, and an XmR chart
cannot have gaps, so a small area's metric moves to quarters or years, or is not charted at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from joinedup.metrics.catalogue import Metric, catalogue
from joinedup.metrics.charts import render_spc_svg
from joinedup.metrics.periods import Period
from joinedup.metrics.periods import parse as parse_period
from joinedup.metrics.spc import SpcChart, SpcPoint, xmr_chart
from joinedup.plan import Plan

GRAIN_ORDER = ("month", "quarter", "year")
GRAIN_NOUNS = {
    "month": ("month", "months"),
    "quarter": ("quarter", "quarters"),
    "year": ("year", "years"),
}
UNIT_LABELS = {
    "percent": "%",
    "per_100k": "per 100,000",
    "dsr_per_100k": "per 100,000 (age-standardised)",
}
MIN_POINTS = 2  # process limits need at least one moving range
FEW_POINTS = 12  # below this many points the limits are only a rough guide


# A metric the board sees: its catalogue entry (title, definition, better direction, decimals).
Headline = Metric
HEADLINES = tuple(metric for metric in catalogue().values() if metric.headline)


@dataclass(frozen=True)
class PlanRow:
    period: str
    actual: float | None
    target: float


@dataclass(frozen=True)
class Panel:
    """One headline metric, ready for the template."""

    headline: Headline
    measure: str  # "value" or "numerator" (the plan's measure for this metric)
    unit: str  # label of the charted figure
    grain: str | None  # None when not charted
    chart: SpcChart | None
    svg: str | None
    reading: tuple[str, ...]
    latest_period: str | None
    latest_value: float | None
    latest_target: float | None
    plan_rows: tuple[PlanRow, ...]

    @property
    def decimals(self) -> int:
        return self.headline.decimals if self.measure == "value" else 0

    def formatted(self, value: float | None) -> str:
        return format_figure(value, self.decimals, self.unit)


def format_figure(value: float | None, decimals: int, unit: str = "") -> str:
    """A figure as the report prints it; a percentage carries its % sign."""
    if value is None:
        return "suppressed"
    return f"{value:,.{decimals}f}" + ("%" if unit == "%" else "")


def days_needed(period: Period, metric_id: str | None = None) -> tuple[date, date]:
    """The first and last day of data a metric's figure for the period rests on (the
    catalogue's look-back and follow-up days: readmissions follow each discharge for 29 days,
    reablement follows October to December discharges for 91 days, ...)."""
    if metric_id is None:
        return period.start, period.end
    return catalogue()[metric_id].days_needed(period.start, period.end)


def complete(period: Period, first: Period, last: Period, metric_id: str | None = None) -> bool:
    """True when every day the period's figure needs lies within the months first..last the
    data covers: a month after the data ends, a partial year, or a March discharge whose 30 days
    of follow-up are not yet in the data, is left out."""
    start, end = days_needed(period, metric_id)
    return start >= first.start and end <= last.end


def build_panel(
    headline: Headline, records: Sequence[dict], plan: Plan | None, months: tuple[str, str]
) -> Panel:
    """The panel of one metric from its disclosure-controlled records (every period and grain)."""
    trajectory = plan.trajectories.get(headline.id) if plan else None
    measure = trajectory.measure if trajectory else "value"
    first, last = (parse_period(m) for m in months)
    series = _charted_series(records, measure, first, last)
    unit = _unit_label(headline, records, measure)
    plan_rows = _plan_rows(records, plan, headline.id, measure, first, last)
    if series is None:
        return Panel(
            headline=headline,
            measure=measure,
            unit=unit,
            grain=None,
            chart=None,
            svg=None,
            reading=_not_charted(records),
            latest_period=None,
            latest_value=None,
            latest_target=None,
            plan_rows=plan_rows,
        )
    grain, periods, values = series
    targets = [plan.target(headline.id, p) if plan else None for p in periods]
    rebases = go_live_rebases(plan, headline.id, periods)
    chart = xmr_chart(
        values, periods, improvement=headline.direction, target=targets, rebase_at=list(rebases)
    )
    svg = render_spc_svg(chart, title=headline.title, y_label=unit)
    return Panel(
        headline=headline,
        measure=measure,
        unit=unit,
        grain=grain,
        chart=chart,
        svg=svg,
        reading=tuple(reading(chart, grain, headline, measure, unit))
        + tuple(_rebase_sentence(period, names) for period, names in rebases.items()),
        latest_period=periods[-1],
        latest_value=values[-1],
        latest_target=targets[-1],
        plan_rows=plan_rows,
    )


def go_live_rebases(plan: Plan | None, metric_id: str, periods: Sequence[str]) -> dict:
    """Rebase period -> the names of the schemes judged by the metric that went live then: the
    first of `periods` (after the first) starting on or after each go-live date."""
    rebases: dict[str, list[str]] = {}
    starts = [parse_period(p).start for p in periods]
    for scheme in plan.schemes if plan else ():
        if scheme.go_live is None or metric_id not in scheme.metrics:
            continue
        after = [i for i, start in enumerate(starts) if start >= scheme.go_live]
        if after and after[0] > 0:
            rebases.setdefault(periods[after[0]], []).append(scheme.name)
    return rebases


def _rebase_sentence(period: str, names: list[str]) -> str:
    schemes = " and ".join(names)
    return (
        f"Rebased at {period}, when {schemes} went live: the mean and limits from then on are"
        " the process since the change, those before it the process before."
    )


def _complete_records(records: Sequence[dict], grain: str, first: Period, last: Period):
    found = [(parse_period(r["period"]), r) for r in records if r["grain"] == grain]
    kept = [(p, r) for p, r in found if complete(p, first, last, r["id"])]
    return sorted(kept, key=lambda pair: pair[0].start)


def _charted_series(records, measure, first, last):
    """(grain, periods, values) at the finest grain with no gap, or None."""
    for grain in GRAIN_ORDER:
        chosen = _complete_records(records, grain, first, last)
        values = [r.get(measure) for _, r in chosen]
        if len(values) >= MIN_POINTS and all(v is not None for v in values):
            return grain, [p.label for p, _ in chosen], [float(v) for v in values]
    return None


def _unit_label(headline: Headline, records: Sequence[dict], measure: str) -> str:
    if measure == "numerator" or not records:
        return "count"
    return UNIT_LABELS.get(records[0]["unit"]) or headline.counts or "count"


def _plan_rows(records, plan, metric_id, measure, first, last) -> tuple[PlanRow, ...]:
    """Actual against plan for every complete financial year the plan sets a target for."""
    if plan is None:
        return ()
    rows = []
    for period, record in _complete_records(records, "year", first, last):
        target = plan.target(metric_id, period.label)
        if target is not None:
            rows.append(PlanRow(period.label, record.get(measure), target))
    return tuple(rows)


def _not_charted(records: Sequence[dict]) -> tuple[str, ...]:
    if not records:
        return ("No data for this metric in the warehouse.",)
    return (
        "Not charted: in every grain at least one complete period's figure is suppressed"
        " (a count of 1 to 7) or cannot be computed, and an SPC chart needs every period.",
    )


# --- the plain-English reading ----------------------------------------------------------------


def reading(
    chart: SpcChart, grain: str, headline: Headline, measure: str = "value", unit: str = ""
) -> list[str]:
    """Sentences that say what the chart shows: variation, assurance, latest against plan."""
    noun, nouns = GRAIN_NOUNS[grain]
    decimals = headline.decimals if measure == "value" else 0
    last = chart.points[-1]
    sentences = [_variation_sentence(chart, noun, nouns)]
    if (assurance := _assurance_sentence(chart)) is not None:
        sentences.append(assurance)
    earlier = sum(p.special_cause for p in chart.points[:-1])
    if not last.special_cause and earlier:
        sentences.append(
            f"{earlier} earlier {noun if earlier == 1 else nouns} showed special cause variation."
        )
    if last.target is not None:
        sentences.append(_plan_sentence(last, headline, decimals, unit))
    if len(chart.points) < FEW_POINTS:
        sentences.append(
            f"Only {len(chart.points)} {nouns} of figures: the process limits are a rough guide"
            f" until there are at least {FEW_POINTS}."
        )
    return sentences


def _variation_sentence(chart: SpcChart, noun: str, nouns: str) -> str:
    last = chart.points[-1]
    kind = {
        "special_cause_improvement": "Special cause improvement",
        "special_cause_concern": "Special cause concern",
    }.get(last.point_type, "Special cause variation")
    side = "above" if last.side > 0 else "below"
    if last.rule == "outside_limits":
        limit = "upper" if last.side > 0 else "lower"
        return f"{kind}: the latest {noun} ({last.period}) is {side} the {limit} process limit."
    if last.rule == "trend":
        n = _trend_length(chart.points)
        rising = "rising" if last.side > 0 else "falling"
        return f"{kind}: {n} {nouns} in a row {rising}, up to {last.period}."
    if last.rule == "two_in_three":
        limit = "upper" if last.side > 0 else "lower"
        return f"{kind}: 2 of the last 3 {nouns} close to the {limit} process limit."
    if last.rule == "shift":
        n = _run_on_one_side(chart.points)
        return f"{kind}: {n} {nouns} in a row {side} the mean, up to {last.period}."
    limits = ""
    if last.lpl is not None and last.upl is not None:
        limits = f"; expect between {last.lpl:,.1f} and {last.upl:,.1f} a {noun} unless the process changes"
    return (
        f"Common cause variation: no signal of change in the latest {noun} ({last.period}){limits}."
    )


def _assurance_sentence(chart: SpcChart) -> str | None:
    return {
        "pass": "Assurance: the system is expected to meet the target consistently.",
        "fail": "Assurance: the target will be missed consistently unless the process changes.",
        "hit_and_miss": "Assurance: the target lies within the process limits, so it will be met in some periods and missed in others.",
    }.get(chart.assurance or "")


def _plan_sentence(last: SpcPoint, headline: Headline, decimals: int, unit: str) -> str:
    actual = format_figure(last.value, decimals, unit)
    planned = format_figure(last.target, decimals, unit)
    difference = last.value - last.target
    if difference == 0:
        return f"{last.period}: {actual}, exactly as planned."
    better = (difference < 0) == (headline.direction == "decrease")
    relative = f" by {abs(difference) / last.target:.0%}" if last.target else ""
    direction = "above" if difference > 0 else "below"
    return (
        f"{last.period}: {actual} against a plan of {planned}, {direction} plan{relative}"
        f" ({'better' if better else 'worse'} than planned)."
    )


def _run_on_one_side(points: Sequence[SpcPoint]) -> int:
    last = points[-1]
    side = 1 if last.value > last.mean else -1
    n = 0
    for point in reversed(points):
        if point.segment != last.segment or (point.value - point.mean) * side <= 0:
            break
        n += 1
    return n


def _trend_length(points: Sequence[SpcPoint]) -> int:
    n = 1
    step = 1 if points[-1].side > 0 else -1
    for before, after in zip(reversed(points[:-1]), reversed(points[1:]), strict=False):
        if before.segment != after.segment or (after.value - before.value) * step <= 0:
            break
        n += 1
    return n
