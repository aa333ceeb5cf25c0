"""The practice comparison: a funnel plot for each rate (percent) metric that breaks down by
practice, after Spiegelhalter's funnel plots for institutional comparison.

Rate metrics are the percent metrics that are proportions (not the dementia diagnosis rate).
Each practice is a point at its denominator (how many people or events its rate counts: the
practice's size for this metric) and its rate, in the latest complete period of the metric's
coarsest grain (a year when there is one: more events a practice). Around the area's own rate
run control limits that narrow as the denominator grows: p ± z·sqrt(p(1 - p) / n), z = 1.96
(95%) and 3.09 (99.8%), clipped to 0-100%. A practice beyond the 99.8% limits is named as
"above" or "below": its rate differs from the area's by more than chance at its size.

Disclosure control: points are the published (tier A) figures after suppression and rounding,
secondary suppression included; a practice whose numerator or denominator is suppressed is not
drawn and is counted as not shown. `unregistered` and `unknown` are no practice and are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from markupsafe import Markup, escape

from joinedup.governance.disclosure import apply_disclosure_control
from joinedup.metrics import periods as P
from joinedup.metrics.engine import BREAKDOWN_METRICS, compute_metrics
from joinedup.report.headlines import HEADLINES, complete

LIMITS = {"95%": 1.959963984540054, "99.8%": 3.090232306167813}
NOT_PRACTICES = ("unregistered", "unknown")
# percent metrics that are no proportion of what they count (the dementia diagnosis rate's
# denominator is an expected prevalence, and the rate can pass 100%): no binomial limits
NOT_PROPORTIONS = ("dementia_dx_rate",)
WIDTH, HEIGHT, MARGIN = 640, 300, (48, 16, 20, 40)  # left, right, top, bottom


@dataclass(frozen=True)
class FunnelPoint:
    practice: str
    denominator: int
    value: float  # percent
    outside: str  # "above" or "below" the 99.8% limits, else ""


@dataclass(frozen=True)
class FunnelPlot:
    metric: str
    title: str
    period: str
    area_value: float  # percent
    points: tuple[FunnelPoint, ...]
    not_shown: int  # practices with a suppressed figure
    svg: Markup

    @property
    def outliers(self) -> tuple[FunnelPoint, ...]:
        return tuple(p for p in self.points if p.outside)


def limits(centre: float, denominator: float, z: float) -> tuple[float, float]:
    """The control limits (percent) around `centre` (percent) for a practice of that size."""
    p = centre / 100
    half = z * math.sqrt(p * (1 - p) / denominator) * 100
    return max(0.0, centre - half), min(100.0, centre + half)


def _outside(centre: float, denominator: int, value: float) -> str:
    low, high = limits(centre, denominator, LIMITS["99.8%"])
    return "above" if value > high else "below" if value < low else ""


def funnel_metrics() -> list:
    """The headline metrics drawn: the proportions among the metrics that break down."""
    return [
        h
        for h in HEADLINES
        if h.id in BREAKDOWN_METRICS and h.unit == "percent" and h.id not in NOT_PROPORTIONS
    ]


def funnel_plots(
    con, months: tuple[str, str], area: list[dict] | None = None
) -> tuple[FunnelPlot, ...]:
    """`area`: the area's raw records of those months, if the caller computed them."""
    drawn = funnel_metrics()
    records = apply_disclosure_control(
        compute_metrics(con, [h.id for h in drawn], months=months, by="practice", area=area)
    )
    first, last = (P.parse(m) for m in months)
    plots = []
    for headline in drawn:
        mine = [r for r in records if r["id"] == headline.id and r["grain"] == headline.grains[-1]]
        done = [
            r["period"]
            for r in mine
            if r["group"] is None
            and r["value"] is not None
            and complete(P.parse(r["period"]), first, last, headline.id)
        ]
        if done:
            latest = max(done, key=lambda label: P.parse(label).end)
            plots.append(_plot(headline, latest, [r for r in mine if r["period"] == latest]))
    return tuple(plots)


def _plot(headline, period: str, records: list[dict]) -> FunnelPlot:
    centre = next(r["value"] for r in records if r["group"] is None)
    practices = [r for r in records if r["group"] is not None and r["group"] not in NOT_PRACTICES]
    shown = [r for r in practices if r["numerator"] is not None and r["denominator"]]
    points = tuple(
        FunnelPoint(
            r["group"],
            r["denominator"],
            r["value"],
            _outside(centre, r["denominator"], r["value"]),
        )
        for r in sorted(shown, key=lambda r: r["group"])
    )
    plot = FunnelPlot(
        headline.id, headline.title, period, centre, points, len(practices) - len(shown), Markup()
    )
    return replace(plot, svg=render_funnel_svg(plot))


def render_funnel_svg(plot: FunnelPlot) -> Markup:
    """Inline SVG: the limits as curves over the denominators, the area's rate as a line, a
    dot per practice (outliers filled)."""
    left, right, top, bottom = MARGIN
    largest = max([p.denominator for p in plot.points] + [10]) * 1.05
    smallest = max(1.0, min([p.denominator for p in plot.points] + [largest]) * 0.5)
    steps = [smallest + (largest - smallest) * i / 60 for i in range(61)]
    curves = {
        (name, side): [(n, limits(plot.area_value, n, z)[side]) for n in steps]
        for name, z in LIMITS.items()
        for side in (0, 1)
    }
    values = [p.value for p in plot.points] + [y for c in curves.values() for _, y in c[3:]]
    low, high = max(0.0, min(values) - 2), min(100.0, max(values) + 2)
    high = max(high, low + 1)

    def x(n: float) -> float:
        return left + (n / largest) * (WIDTH - left - right)

    def y(v: float) -> float:
        v = min(max(v, low), high)
        return top + (high - v) / (high - low) * (HEIGHT - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' class="funnel" aria-label="{escape(_summary(plot))}">',
        f'<line x1="{left}" y1="{HEIGHT - bottom}" x2="{WIDTH - right}" y2="{HEIGHT - bottom}"'
        ' class="axis" stroke="#4c6272"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{HEIGHT - bottom}" class="axis" stroke="#4c6272"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 6}" class="axis-label" text-anchor="middle" font-size="11">'
        "denominator (the practice's people or events)</text>",
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="tick" font-size="11">{high:.0f}%</text>',
        f'<text x="{left - 6}" y="{HEIGHT - bottom}" text-anchor="end" class="tick" font-size="11">{low:.0f}%</text>',
        f'<line x1="{left}" y1="{y(plot.area_value):.1f}" x2="{WIDTH - right}"'
        f' y2="{y(plot.area_value):.1f}" class="centre" stroke="#005eb8" stroke-width="1.5"/>',
    ]
    for (name, _), curve in curves.items():
        path = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in curve)
        kind, dash = ("limit-inner", "4 3") if name == "95%" else ("limit-outer", "8 3")
        parts.append(
            f'<polyline points="{path}" class="{kind}" fill="none" stroke="#768692"'
            f' stroke-dasharray="{dash}"/>'
        )
    for point in plot.points:
        kind = f"practice {point.outside}".strip()
        fill = "#d5281b" if point.outside else "#ffffff"
        parts.append(
            f'<circle cx="{x(point.denominator):.1f}" cy="{y(point.value):.1f}" r="3.5"'
            f' class="{kind}" fill="{fill}" stroke="#003087"><title>{escape(point.practice)}: {point.value:.1f}%'
            f" of {point.denominator:,}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _summary(plot: FunnelPlot) -> str:
    outliers = ", ".join(f"{p.practice} ({p.outside})" for p in plot.outliers) or "none"
    return (
        f"{plot.title}, {plot.period}, by practice: area {plot.area_value:.1f}%;"
        f" {len(plot.points)} practices shown; beyond the 99.8% limits: {outliers}"
    )
