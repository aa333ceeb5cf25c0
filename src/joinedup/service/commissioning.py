"""Commissioning intelligence for the board (tier A, issue 12): practices compared on every rate
metric (funnel plots), Year of Care capitated budgets, the plan register and a scheme scenario.
Each page has its JSON twin under /api/v1. Figures pass the tier A gate where they are built:
`report.funnel` draws only published figures and `marts.budgets.published` controls counts and
money; the register and the scenario are the plan's own arithmetic, with money to £1,000."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from joinedup.errors import BadInput, UserError
from joinedup.governance.disclosure import rounded_money
from joinedup.marts.budgets import budgets, published
from joinedup.marts.budgets_command import default_base_year
from joinedup.plan.scenario import Variation, scenario
from joinedup.report.builder import complete_months
from joinedup.report.funnel import funnel_plots
from joinedup.service import board as B
from joinedup.service.app import Context
from joinedup.service.handlers import twin

SCENARIO_PARAMS = ("scheme", "effect", "cohort", "start")


@twin("/board/practices", "Practices compared", "tier_a")
def practices_page(ctx: Context):
    plots = ctx.snap.cached("funnels", lambda con: funnel_plots(con, complete_months(con)))
    payload = {
        "plots": [
            {**{k: v for k, v in asdict(p).items() if k != "svg"},
             "outliers": [o.practice for o in p.outliers]}
            for p in plots
        ]
    }  # fmt: skip
    return payload, "practices.html", {"plots": plots}


def _budgets(con) -> dict:
    try:
        return published(budgets(con, default_base_year(con)))
    except UserError as error:  # fewer than two complete years, or no residents
        return {"unavailable": str(error)}


@twin("/board/budgets", "Year of Care budgets", "tier_a")
def budgets_page(ctx: Context):
    result = ctx.snap.cached("budgets", _budgets)
    return result, "budgets.html", {"result": result}


@twin("/board/register", "The plan register", "tier_a")
def register_page(ctx: Context):
    plan = B.board(ctx.snap).plan
    payload = {
        "risks": [
            {**asdict(r), "at_risk": rounded_money(r.at_risk), "score": r.score}
            for r in sorted(plan.risks, key=lambda r: -r.score)
        ],
        "milestones": [{**asdict(m), "due": str(m.due)} for m in plan.milestones],
        "schemes": [
            {
                "id": s.id,
                "name": s.name,
                "go_live": None if s.go_live is None else str(s.go_live),
                "conditions": {c: asdict(v) for c, v in s.conditions.items()},
                "sub_projects": [
                    {**asdict(p), "investment": rounded_money(p.investment)} for p in s.sub_projects
                ],
            }
            for s in plan.schemes
        ],
        "risk_sharing": dict(plan.risk_sharing),
    }
    return payload, "plan_register.html", {"register": payload}


@twin("/board/scenario", "A scheme scenario", "tier_a", params=SCENARIO_PARAMS)
def scenario_page(ctx: Context):
    plan = B.board(ctx.snap).plan
    query = ctx.request.query_params
    modelled = [s.id for s in plan.schemes if s.benefit]
    scheme = query.get("scheme") or (modelled[0] if modelled else "")
    try:
        variation = Variation(
            _number(query.get("effect"), "effect"),
            _number(query.get("cohort"), "cohort"),
            date.fromisoformat(query["start"]) if query.get("start") else None,
        )
    except ValueError:
        raise BadInput("start: expected YYYY-MM-DD") from None
    result = scenario(plan, scheme, variation)
    return result, "scenario.html", {"result": result, "schemes": modelled, "query": query}


def _number(text: str | None, name: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"{name}: a number") from None
