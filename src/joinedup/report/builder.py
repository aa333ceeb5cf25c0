"""Build the board report: one self-contained HTML file (no script, no network, inline SVG).

Reads only aggregates: metric values (`metrics.engine`), Year of Care spend (`marts`) and landing's
quality report, each passed through disclosure control before it reaches the page. No pseudo_id
and no person-level row is ever read into the report.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from joinedup.engine import engine_of
from joinedup.errors import BadInput, StoreError
from joinedup.governance.disclosure import apply_disclosure_control, rounded_money
from joinedup.landing import quality_report
from joinedup.landing.quality import REQUIRED_TABLES as QUALITY_TABLES
from joinedup.marts import spend_per_person
from joinedup.marts.segments import SEGMENT_TABLE
from joinedup.metrics import periods as P
from joinedup.metrics.charts import ASSURANCE_BADGES, VARIATION_BADGES
from joinedup.metrics.engine import compute_metrics, covered_months
from joinedup.metrics.engine import required_tables as engine_tables
from joinedup.plan import Plan, load_plan
from joinedup.progress import Progress
from joinedup.report.breakdowns import BreakdownTable, breakdown_tables
from joinedup.report.funnel import FunnelPlot, funnel_plots
from joinedup.report.headlines import HEADLINES, Panel, build_panel, complete
from joinedup.report.tables import (
    QualitySection,
    SpendSection,
    quality_section,
    spend_section,
)

TEMPLATE = "board_report.html"
STYLESHEET = "board_report.css"


@dataclass(frozen=True)
class ReportSummary:
    path: Path
    months: tuple[str, str]
    charts: int
    not_charted: tuple[str, ...]  # metric ids
    spend_year: str | None
    seconds: float


def build_report(
    con,
    out: str | Path,
    plan_path: str | Path | None = None,
    title: str | None = None,
    show_progress: bool = False,
) -> ReportSummary:
    """Write the board report of an open warehouse (with its marts built) to `out`; the default
    plan is scaled to the area."""
    started = time.monotonic()
    out = Path(out)
    progress = Progress("report", total=3, enabled=show_progress)
    given_plan = load_plan(plan_path) if plan_path else None
    months = complete_months(con)
    plan = given_plan or load_plan(people=area_people(con, months))
    raw = compute_metrics(con, months=months, experience_question=plan.experience_question)
    records = apply_disclosure_control(raw)
    progress.step("metrics computed")
    panels = [
        build_panel(h, [r for r in records if r["id"] == h.id], plan, months) for h in HEADLINES
    ]
    breakdowns = breakdown_tables(con, months, area=raw)  # the area's figures computed once
    funnels = funnel_plots(con, months, area=raw)
    spend = _spend(con, months)
    progress.step("spend")
    quality = quality_section(quality_report(con))
    html = render(
        title=title or f"Better Care Fund board report: {plan.area}",
        plan=plan,
        months=months,
        panels=panels,
        breakdowns=breakdowns,
        funnels=funnels,
        spend=spend,
        quality=quality,
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    except OSError as error:
        raise BadInput(f"{out}: cannot write the report ({error.strerror})") from None
    progress.step(f"written to {out}")
    return ReportSummary(
        path=out,
        months=months,
        charts=sum(p.svg is not None for p in panels),
        not_charted=tuple(p.headline.id for p in panels if p.svg is None),
        spend_year=spend.year if spend else None,
        seconds=time.monotonic() - started,
    )


def required_tables() -> list[str]:
    """What the report reads: the metrics' tables, landing's metadata and the marts."""
    return [*engine_tables(), *QUALITY_TABLES, SEGMENT_TABLE]


def complete_months(con) -> tuple[str, str]:
    """The first and last whole month of activity: months holding at least half a typical
    month's activity (marts' rule), so a partial last month or stray late rows are dropped."""
    months = covered_months(con)
    if months is None:
        raise StoreError("the warehouse holds no activity to report on: load feeds first")
    return months


def area_people(con, months: tuple[str, str]) -> int:
    """The area's all-age population in the last reported year, to scale the default plan."""
    year = P.parse(months[1]).population_year
    found = con.execute(
        "SELECT SUM(population) FROM population WHERE area_code IN (SELECT ward_code FROM geography)"
        " AND year <= ? GROUP BY year ORDER BY year DESC LIMIT 1",
        [year],
    ).fetchone()
    if not found or not found[0]:
        raise StoreError("the warehouse has no population for the area: load population.csv")
    return int(found[0])


def latest_complete_year(months: tuple[str, str]) -> str | None:
    first, last = (P.parse(m) for m in months)
    years = [p for p in P.covering(*months, grains=("year",)) if complete(p, first, last)]
    return years[-1].label if years else None


def _spend(con, months: tuple[str, str]) -> SpendSection | None:
    year = latest_complete_year(months)
    if year is None:
        return None
    try:
        return spend_section(year, spend_per_person(con, year))
    except engine_of(con).errors as error:
        raise StoreError(f"the spend marts could not be read: {error}") from error


# --- HTML ---------------------------------------------------------------------------------------


def _package_text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _csp(stylesheet: str) -> str:
    """No script, no connection, no outside resource; only this page's own stylesheet."""
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode("utf-8")).digest()).decode()
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def icon_svg(kind: str, icon: str | None, size: int = 26) -> str:
    """A small Making Data Count badge (the charts' colours and letters) for the summary table."""
    badges = VARIATION_BADGES if kind == "variation" else ASSURANCE_BADGES
    if icon is None:
        return ""
    colour, letter, label = badges[icon]
    half = size / 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="icon-badge {kind} {icon}" width="{size}"'
        f' height="{size}" viewBox="0 0 {size} {size}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<circle cx="{half}" cy="{half}" r="{half - 2.5}" fill="#FFFFFF" stroke="{colour}" stroke-width="3"/>'
        f'<text x="{half}" y="{half + 4.5}" text-anchor="middle" font-family="Arial, sans-serif"'
        f' font-size="13" font-weight="bold" fill="{colour}">{letter}</text></svg>'
    )


def render(
    *,
    title: str,
    plan: Plan,
    months: tuple[str, str],
    panels: list[Panel],
    breakdowns: tuple[BreakdownTable, ...],
    funnels: tuple[FunnelPlot, ...],
    spend: SpendSection | None,
    quality: QualitySection,
) -> str:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["icon"] = lambda panel, kind: Markup(
        icon_svg(kind, getattr(panel.chart, kind) if panel.chart else None)
    )
    environment.filters["markup"] = Markup
    environment.filters["count"] = lambda n: "*" if n is None else f"{n:,}"
    environment.filters["gbp"] = lambda n: "*" if n is None else f"£{n:,.0f}"
    environment.filters["gbp_thousands"] = lambda gbp: f"£{rounded_money(gbp):,.0f}"
    environment.filters["pct"] = lambda x: "*" if x is None else f"{x:.1f}%"
    stylesheet = _package_text(STYLESHEET)
    return environment.from_string(_package_text(TEMPLATE)).render(
        title=title,
        csp=_csp(stylesheet),
        stylesheet=stylesheet,
        plan=plan,
        first_month=months[0],
        last_month=months[1],
        generated=dt.datetime.now(dt.UTC).strftime("%d %B %Y, %H:%M UTC"),
        national=[p for p in panels if p.headline.national],
        local=[p for p in panels if not p.headline.national],
        breakdowns=breakdowns,
        funnels=funnels,
        spend=spend,
        quality=quality,
        variation_badges=VARIATION_BADGES,
        assurance_badges=ASSURANCE_BADGES,
        icon_svg=icon_svg,
    )
