"""Commissioning intelligence (issue 12). For the board (tier A): practices compared on every
rate metric (funnel plots), Year of Care capitated budgets, the plan register and a scheme
scenario. For analysts (tier P, audited): the scheme evaluator on a saved cohort. Each page has
its JSON twin under /api/v1. Figures pass the tier A gate where they are built: `report.funnel`
draws only published figures, `marts.budgets.published` controls counts and money, the
evaluation rounds its counts (`evaluation.scheme`); the register and the scenario are the
plan's own arithmetic, with money to £1,000."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from joinedup.errors import BadInput, UserError
from joinedup.evaluation.cohort import OUTCOMES
from joinedup.evaluation.scheme import WINDOWS, default_start, evaluate_scheme
from joinedup.governance.disclosure import rounded_money
from joinedup.marts.budgets import budgets, published
from joinedup.marts.budgets_command import default_base_year
from joinedup.plan.scenario import Variation, scenario
from joinedup.report.builder import complete_months
from joinedup.report.funnel import funnel_plots
from joinedup.service import board as B
from joinedup.service import people as P
from joinedup.service.app import Context, Refused
from joinedup.service.handlers import twin

SCENARIO_PARAMS = ("scheme", "effect", "cohort", "start")
EVALUATE_PARAMS = ("view", "start")


@twin("/board/practices", "Practices compared", "tier_a", nav="Practices")
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


@twin("/board/budgets", "Year of Care budgets", "tier_a", nav="Budgets")
def budgets_page(ctx: Context):
    result = ctx.snap.cached("budgets", _budgets)
    return result, "budgets.html", {"result": result}


@twin("/board/register", "The plan register", "tier_a", nav="Plan register")
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


@twin("/board/scenario", "A scheme scenario", "tier_a", params=SCENARIO_PARAMS, nav="Scenario")
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


@twin("/evaluate", "Scheme evaluator", "tier_p", params=EVALUATE_PARAMS, nav="Evaluate")
def evaluate_page(ctx: Context):
    """A saved cohort (a super-user's saved view) evaluated from a start date: matched comparison,
    difference-in-differences and the naive before/after, as `joinedup evaluate` gives them."""
    views = [{"id": v["id"], "name": v["name"], "query": v["query"]} for v in ctx.service.store.views()]
    query = ctx.query
    try:
        start = date.fromisoformat(query["start"]) if query.get("start") else None
    except ValueError:
        raise BadInput("start: expected YYYY-MM-DD") from None
    start = start or ctx.snap.cached("evaluation_start", default_start)
    payload = {"views": views, "start": None if start is None else str(start), "view": None,
               "evaluation": None}  # fmt: skip
    if query.get("view"):
        view = next((v for v in views if str(v["id"]) == query["view"]), None)
        if view is None:
            raise Refused(404, "not_found", "No such saved cohort.")
        filters = P.parse_filters(view["query"], P.options(ctx.snap))
        cohort = P.members(ctx.snap, filters)
        key = f"evaluation {sorted(filters.items())} {start}"
        payload["view"] = view
        payload["evaluation"] = ctx.snap.cached(key, lambda con: evaluate_scheme(con, cohort, start))
        ctx.count = len(cohort)
        ctx.audit_resource = f"evaluation of view {view['id']} from {start}"
    values = {"result": payload, "outcomes": OUTCOMES, "windows": [f"{m} months" for m in WINDOWS]}
    return payload, "evaluate.html", values
