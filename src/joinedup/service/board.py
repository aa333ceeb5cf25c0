"""Tier A content of the service: the board's metrics, plan, spend and data quality, computed once
per warehouse version from the same functions as the board report, every figure through the tier
A gate (`governance.disclosure`)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from joinedup.governance import disclosure
from joinedup.landing import quality_report
from joinedup.marts import spend_per_person
from joinedup.metrics.engine import compute_metrics
from joinedup.plan import Plan, load_plan
from joinedup.report.builder import area_people, build_report, complete_months, latest_complete_year
from joinedup.report.headlines import HEADLINES, Panel, build_panel
from joinedup.report.tables import QualitySection, SpendSection, quality_section, spend_section
from joinedup.service.warehouse import Snapshot


@dataclass(frozen=True)
class Board:
    months: tuple[str, str]
    plan: Plan
    records: list[dict]  # metrics.md records after the tier A gate
    panels: tuple[Panel, ...]
    spend: SpendSection | None
    quality: QualitySection
    linkage: dict  # each feed's rows by link method (`linkage_table`)

    def panel(self, metric_id: str) -> Panel | None:
        return next((p for p in self.panels if p.headline.id == metric_id), None)


def board(snap: Snapshot) -> Board:
    return snap.cached("board", _build)


def _build(con) -> Board:
    months = complete_months(con)
    plan = load_plan(people=area_people(con, months))
    records = disclosure.apply_disclosure_control(
        compute_metrics(con, months=months, experience_question=plan.experience_question),
        round_money=True,
    )
    panels = tuple(
        build_panel(h, [r for r in records if r["id"] == h.id], plan, months) for h in HEADLINES
    )
    year = latest_complete_year(months)
    spend = spend_section(year, spend_per_person(con, year)) if year else None
    quality = quality_report(con)
    return Board(
        months, plan, records, panels, spend, quality_section(quality), linkage_table(quality)
    )


# link methods (identity/vault.LINK_METHODS) as the board reads them, in this order
LINK_METHODS = {
    "nhs_number": "Deterministic: NHS number",
    "council_id": "Deterministic: council person id",
    "probabilistic": "Probabilistic",
    "held_for_review": "Held (a person of its own, not reviewed)",
    "new_person": "Not linked (a new person)",
}


def linkage_table(report: dict) -> dict:
    """Each feed's accepted rows by link method, and every feed together: counts through the tier
    A gate with secondary suppression (the parts of a shown total), shares from the rounded
    figures. From the warehouse's `linkage_outcomes` (written by each load)."""
    raw = {feed: f["linkage"] for feed, f in report.feeds.items() if f["linkage"]}
    methods = [m for m in LINK_METHODS if any(m in r for r in raw.values())]
    methods += sorted({m for r in raw.values() for m in r} - set(methods))
    every = {m: sum(r.get(m, 0) for r in raw.values()) for m in methods}

    def row(name: str, counts: dict[str, int]) -> dict:
        total = disclosure.count(sum(counts.values()))
        parts = disclosure.parts({m: counts.get(m, 0) for m in methods})
        return {
            "feed": name,
            "rows": total,
            "methods": {
                m: {
                    "rows": n,
                    "share_percent": round(n / total * 100, 1) if n is not None and total else None,
                }
                for m, n in parts.items()
            },
        }

    return {
        "methods": [{"id": m, "label": LINK_METHODS.get(m, m)} for m in methods],
        "feeds": [row(feed, counts) for feed, counts in sorted(raw.items())],
        "totals": row("All feeds", every),
    }


def report_file(snap: Snapshot) -> Path:
    """The board report of the current warehouse (built once per snapshot)."""

    def build(con) -> Path:
        out = Path(tempfile.mkdtemp(prefix="joinedup-report-")) / "board-report.html"
        build_report(con, out)
        return out

    return snap.cached("report", build)


# --- JSON twins (every count and sum already through the gate) ---------------------------------


def panel_json(panel: Panel, with_chart: bool = False) -> dict:
    chart = panel.chart
    out = {
        "id": panel.headline.id,
        "title": panel.headline.title,
        "national": panel.headline.national,
        "improvement": panel.headline.direction,
        "measure": panel.measure,
        "unit": panel.unit,
        "grain": panel.grain,
        "latest_period": panel.latest_period,
        "latest_value": panel.latest_value,
        "latest_target": panel.latest_target,
        "variation": chart.variation if chart else None,
        "assurance": chart.assurance if chart else None,
        "reading": list(panel.reading),
        "plan": [
            {"period": r.period, "actual": r.actual, "target": r.target} for r in panel.plan_rows
        ],
    }
    if with_chart:
        out["points"] = (
            [{"period": p.period, "value": p.value} for p in chart.points] if chart else []
        )
    return out


def plan_json(plan: Plan) -> dict:
    return {
        "area": plan.area,
        "baseline_year": plan.baseline_year,
        "pooled_budget_gbp": {
            year: disclosure.rounded_money(v) for year, v in plan.pooled_budget.items()
        },
        "schemes": [
            {
                "id": s.id,
                "name": s.name,
                "investment_gbp": disclosure.rounded_money(s.investment),
                "expected_return_gbp": disclosure.rounded_money(s.expected_return),
                "other_savings_gbp": disclosure.rounded_money(s.other_savings),
                "metrics": list(s.metrics),
            }
            for s in plan.schemes
        ],
        "total_investment_gbp": disclosure.rounded_money(plan.total_investment),
    }


def _line(line) -> dict:
    return {"label": line.label, "people": line.people, "total_gbp": line.total_gbp}


def spend_json(spend: SpendSection | None) -> dict:
    if spend is None:
        return {"year": None}
    return {
        "year": spend.year,
        "all_residents": _line(spend.all_residents),
        "by_org_type": [_line(x) for x in spend.by_org_type],
        "by_segment": {name: [_line(x) for x in lines] for name, lines in spend.by_segment},
    }


def quality_json(quality: QualitySection, linkage: dict) -> dict:
    def feed(f) -> dict:
        return {
            "feed": f.feed,
            "rows_read": f.rows_read,
            "rows_accepted": f.rows_accepted,
            "rows_rejected": f.rows_rejected,
            "nhs_number_completeness_percent": f.nhs_number_completeness,
            "nhs_number_validity_percent": f.nhs_number_validity,
            "linked": f.linked,
            "type1_not_landed": f.type1_not_landed,
        }

    return {
        "feeds": [feed(f) for f in quality.feeds],
        "totals": feed(quality.totals),
        "rejections": [{"rule": r, "rows": n} for r, n in quality.rejections],
        "objections": [{"kind": k, "count": n} for k, n in quality.objections],
        "linkage": linkage,
    }
