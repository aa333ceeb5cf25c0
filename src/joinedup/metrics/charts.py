"""One SPC chart as a self-contained inline SVG string: no external assets, no script.

Drawn as Making Data Count charts are: the values as a grey line and dots, special-cause points in
blue (improvement), orange (concern) or purple (neutral), the mean as a solid line and the process
limits dashed for each rebase segment, the target as a red dashed line, and the variation and
assurance icons as lettered badges with a text label. Each point carries a <title> tooltip.
Output depends only on the chart and the arguments, so the same chart gives the same bytes.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from joinedup.metrics.spc import SpcChart, SpcPoint

COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289DE0",
    "special_cause_concern": "#FAB428",
    "special_cause_neutral_high": "#361475",
    "special_cause_neutral_low": "#361475",
    "mean": "#231F20",
    "limit": "#7B7D7D",
    "target": "#DE1B1B",
    "axis": "#425563",
}
# variation icon -> (badge colour, letter, label)
VARIATION_BADGES = {
    "common_cause": ("#7B7D7D", "~", "Common cause"),
    "improvement_high": ("#289DE0", "H", "Improvement (high)"),
    "improvement_low": ("#289DE0", "L", "Improvement (low)"),
    "concern_high": ("#FAB428", "H", "Concern (high)"),
    "concern_low": ("#FAB428", "L", "Concern (low)"),
    "neutral_high": ("#361475", "H", "Special cause (high)"),
    "neutral_low": ("#361475", "L", "Special cause (low)"),
}
ASSURANCE_BADGES = {
    "pass": ("#289DE0", "P", "Target met consistently"),
    "fail": ("#FAB428", "F", "Target missed consistently"),
    "hit_and_miss": ("#7B7D7D", "?", "Hit and miss"),
}
POINT_LABELS = {
    "common_cause": "common cause",
    "special_cause_improvement": "special cause: improvement",
    "special_cause_concern": "special cause: concern",
    "special_cause_neutral_high": "special cause: high",
    "special_cause_neutral_low": "special cause: low",
}

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 68, 150, 34, 48
LABEL_WIDTH = 48  # pixels one period label needs


def render_spc_svg(
    chart: SpcChart, *, title: str = "", y_label: str = "", width: int = 720, height: int = 300
) -> str:
    """The chart as an <svg> element string, ready to inline in HTML."""
    frame = _Frame(chart, width, height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spc-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="Arial, sans-serif" font-size="11">',
        f"<title>{escape(title or 'SPC chart')}</title>",
        f"<desc>{escape(_summary(chart))}</desc>",
        f'<text class="chart-title" x="{MARGIN_LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
        *_axes(frame, chart, y_label),
        *_segment_lines(frame, chart),
        *_target_lines(frame, chart),
        _value_line(frame, chart),
        *(_point(frame, i, p) for i, p in enumerate(chart.points)),
        *_icons(chart, width),
        "</svg>",
    ]
    return "\n".join(parts)


class _Frame:
    """Maps point index and value to pixel positions."""

    def __init__(self, chart: SpcChart, width: int, height: int) -> None:
        self.left, self.right = MARGIN_LEFT, width - MARGIN_RIGHT
        self.top, self.bottom = MARGIN_TOP, height - MARGIN_BOTTOM
        self.n = len(chart.points)
        self.low, self.high = _value_range(chart.points)

    def x(self, index: float) -> float:
        if self.n == 1:
            return (self.left + self.right) / 2
        return self.left + (self.right - self.left) * index / (self.n - 1)

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * (value - self.low) / (self.high - self.low)


def _value_range(points: tuple[SpcPoint, ...]) -> tuple[float, float]:
    seen = [p.value for p in points]
    seen += [v for p in points for v in (p.lpl, p.upl, p.target) if v is not None]
    low, high = min(seen), max(seen)
    pad = (high - low) * 0.05 or max(abs(high) * 0.1, 1.0)
    return low - pad, high + pad


def _summary(chart: SpcChart) -> str:
    variation = VARIATION_BADGES[chart.variation][2]
    assurance = ASSURANCE_BADGES[chart.assurance][2] if chart.assurance else "no target"
    return f"{len(chart.points)} points; variation: {variation}; assurance: {assurance}"


def _axes(frame: _Frame, chart: SpcChart, y_label: str) -> list[str]:
    axis = COLOURS["axis"]
    parts = [
        f'<line class="axis x-axis" x1="{frame.left}" y1="{frame.bottom}" x2="{frame.right}" y2="{frame.bottom}" stroke="{axis}"/>',
        f'<line class="axis y-axis" x1="{frame.left}" y1="{frame.top}" x2="{frame.left}" y2="{frame.bottom}" stroke="{axis}"/>',
    ]
    decimals = _decimals(frame.high - frame.low)
    for tick in _ticks(frame.low, frame.high):
        y = frame.y(tick)
        parts.append(
            f'<text class="y-tick" x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:,.{decimals}f}</text>'
        )
        parts.append(
            f'<line x1="{frame.left - 3}" y1="{y:.1f}" x2="{frame.left}" y2="{y:.1f}" stroke="{axis}"/>'
        )
    step = max(1, math.ceil(frame.n * LABEL_WIDTH / max(frame.right - frame.left, 1)))
    for i in range(0, frame.n, step):
        parts.append(
            f'<text class="x-tick" x="{frame.x(i):.1f}" y="{frame.bottom + 16}" text-anchor="middle">'
            f"{escape(chart.points[i].period)}</text>"
        )
    middle = (frame.top + frame.bottom) / 2
    parts.append(
        f'<text class="y-label" x="14" y="{middle:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle:.1f})">{escape(y_label)}</text>'
    )
    parts.append(
        f'<text class="x-label" x="{(frame.left + frame.right) / 2:.1f}" y="{frame.bottom + 38}" '
        f'text-anchor="middle">Period</text>'
    )
    return parts


def _segment_lines(frame: _Frame, chart: SpcChart) -> list[str]:
    """Mean and process limits, one run of lines per rebase segment."""
    parts = []
    for first, last in _segment_bounds(chart.points):
        point = chart.points[first]
        x1, x2 = frame.x(first), frame.x(last)
        parts.append(_hline("mean", x1, x2, frame.y(point.mean), COLOURS["mean"], ""))
        for name, limit in (("limit upl", point.upl), ("limit lpl", point.lpl)):
            if limit is not None:
                parts.append(
                    _hline(
                        name, x1, x2, frame.y(limit), COLOURS["limit"], ' stroke-dasharray="6 4"'
                    )
                )
    return parts


def _segment_bounds(points: tuple[SpcPoint, ...]) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    for i, point in enumerate(points):
        if i and point.segment == points[i - 1].segment:
            bounds[-1] = (bounds[-1][0], i)
        else:
            bounds.append((i, i))
    return bounds


def _hline(name: str, x1: float, x2: float, y: float, colour: str, extra: str) -> str:
    return (
        f'<line class="{name}" x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" '
        f'stroke="{colour}" stroke-width="1.5"{extra}/>'
    )


def _target_lines(frame: _Frame, chart: SpcChart) -> list[str]:
    """A step line through each run of periods that have a target."""
    runs: list[list[str]] = []
    previous = None
    for i, point in enumerate(chart.points):
        if point.target is None:
            previous = None
            continue
        y = frame.y(point.target)
        if previous is None:
            runs.append([])
        elif previous != y:
            runs[-1].append(f"{frame.x(i - 0.5):.1f},{previous:.1f} {frame.x(i - 0.5):.1f},{y:.1f}")
        runs[-1].append(f"{frame.x(i):.1f},{y:.1f}")
        previous = y
    return [
        f'<polyline class="target" points="{" ".join(run)}" fill="none" stroke="{COLOURS["target"]}" '
        f'stroke-width="1.5" stroke-dasharray="3 3"/>'
        for run in runs
    ]


def _value_line(frame: _Frame, chart: SpcChart) -> str:
    points = " ".join(
        f"{frame.x(i):.1f},{frame.y(p.value):.1f}" for i, p in enumerate(chart.points)
    )
    return f'<polyline class="values" points="{points}" fill="none" stroke="{COLOURS["common_cause"]}" stroke-width="1.5"/>'


def _point(frame: _Frame, index: int, point: SpcPoint) -> str:
    tooltip = f"{point.period}: {point.value:,.{_decimals(abs(point.value))}f} ({POINT_LABELS[point.point_type]})"
    return (
        f'<circle class="point {point.point_type}" cx="{frame.x(index):.1f}" cy="{frame.y(point.value):.1f}" '
        f'r="3.5" fill="{COLOURS[point.point_type]}"><title>{escape(tooltip)}</title></circle>'
    )


def _icons(chart: SpcChart, width: int) -> list[str]:
    badges = [("variation", chart.variation, VARIATION_BADGES[chart.variation])]
    if chart.assurance:
        badges.append(("assurance", chart.assurance, ASSURANCE_BADGES[chart.assurance]))
    parts = []
    for row, (kind, icon, (colour, letter, label)) in enumerate(badges):
        cx, cy = width - MARGIN_RIGHT // 2, MARGIN_TOP + 24 + row * 70
        parts.append(
            f'<g class="icon {kind} {icon}" data-icon={quoteattr(icon)}>'
            f'<circle cx="{cx}" cy="{cy}" r="18" fill="#FFFFFF" stroke="{colour}" stroke-width="4"/>'
            f'<text x="{cx}" y="{cy + 6}" text-anchor="middle" font-size="17" font-weight="bold" fill="{colour}">'
            f"{escape(letter)}</text>"
            f'<text class="icon-label" x="{cx}" y="{cy + 34}" text-anchor="middle" font-size="10">{escape(label)}</text>'
            "</g>"
        )
    return parts


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round-numbered ticks between low and high."""
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step) + 1)]


def _decimals(span: float) -> int:
    if span >= 100:
        return 0
    if span >= 1:
        return 1
    return 3
