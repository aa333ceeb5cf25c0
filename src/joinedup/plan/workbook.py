"""The BCF quarterly return as an Excel workbook, shaped like the Part 2 template, and a plan read
back from one (plan -> workbook -> plan gives the same plan).

Sheets: Cover (area, quarter, baseline year, survey question), Metrics (every trajectory target
with the metric's disclosure-controlled actual where the period has ended by the quarter's end),
Finance (each scheme's investment, expected return, other savings and go-live date), Pooled
budget, Benefits (each scheme's stated return beside its investment, and its benefit model),
National conditions (per scheme), Risk log, Milestones, Sub-projects and Risk sharing. Reading
takes every sheet but Benefits' figures it computes, and checks them with the plan file's own
rules (a mistake is named by file and key).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

from joinedup.errors import BadInput
from joinedup.metrics.periods import parse as parse_period
from joinedup.plan.benefits import Benefit
from joinedup.plan.loader import Plan, Risk, plan_from_raw

MODEL_FIELDS = tuple(f.name for f in fields(Benefit))  # a scheme's benefit model, if any
COVER = "Cover"
METRICS = "Metrics"
FINANCE = "Finance"
POOLED = "Pooled budget"
BENEFITS = "Benefits"
CONDITIONS = "National conditions"
RISKS = "Risk log"
MILESTONES = "Milestones"
SUB_PROJECTS = "Sub-projects"
SHARING = "Risk sharing"
HEADINGS = {
    METRICS: ("metric", "measure", "period", "plan", "actual"),
    FINANCE: (
        "scheme",
        "name",
        "investment",
        "expected_return",
        "other_savings",
        "metrics",
        "note",
        "go_live",
    ),
    POOLED: ("financial_year", "amount"),
    BENEFITS: ("scheme", "name", "investment", "expected_return", "other_savings", "net")
    + MODEL_FIELDS,
    CONDITIONS: ("scheme", "condition", "met", "evidence"),
    RISKS: (
        "risk",
        "likelihood",
        "impact",
        "score",
        "at_risk_gbp",
        "owner",
        "bears",
        "mitigations",
        "description",
    ),
    MILESTONES: ("scheme", "milestone", "due", "status"),
    SUB_PROJECTS: ("scheme", "name", "investment", "lead"),
    SHARING: ("party", "share"),
}
MITIGATION_SEPARATOR = "; "
COVER_FIELDS = ("area", "quarter", "baseline_year", "experience_question")


def write_return(
    plan: Plan, quarter: str, path: str | Path, actuals: Mapping[tuple[str, str], float] | None
) -> None:
    """Write the return for `quarter` (YYYY/YY-Qn); actuals: (metric, period) -> the figure the
    plan's measure compares with (disclosure-controlled), or None for no warehouse."""
    quarter_end = parse_period(quarter).end
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = COVER
    values = (plan.area, quarter, plan.baseline_year, plan.experience_question)
    for row, (field, value) in enumerate(zip(COVER_FIELDS, values, strict=True), start=1):
        cover.cell(row, 1, field).font = Font(bold=True)
        cover.cell(row, 2, value)
    sheets = {name: _sheet(book, name) for name in HEADINGS}
    for metric, trajectory in plan.trajectories.items():
        for period, target in trajectory.targets.items():
            ended = parse_period(period).end <= quarter_end
            actual = (actuals or {}).get((metric, period)) if ended else None
            sheets[METRICS].append((metric, trajectory.measure, period, target, actual))
    for s in plan.schemes:
        returns = s.expected_return
        sheets[FINANCE].append(
            (
                s.id,
                s.name,
                s.investment,
                returns,
                s.other_savings,
                ", ".join(s.metrics),
                s.note,
                s.go_live,
            )
        )
        for condition, state in s.conditions.items():
            sheets[CONDITIONS].append((s.id, condition, state.met, state.evidence))
        for project in s.sub_projects:
            sheets[SUB_PROJECTS].append((s.id, project.name, project.investment, project.lead))
        net = None if returns is None else returns + s.other_savings - s.investment
        model = tuple(getattr(s.benefit, f) for f in MODEL_FIELDS) if s.benefit else ()
        sheets[BENEFITS].append((s.id, s.name, s.investment, returns, s.other_savings, net, *model))
    for year, amount in plan.pooled_budget.items():
        sheets[POOLED].append((year, amount))
    for r in plan.risks:
        sheets[RISKS].append(_risk_row(r))
    for m in plan.milestones:
        sheets[MILESTONES].append((m.scheme, m.description, m.due, m.status))
    for party, share in plan.risk_sharing.items():
        sheets[SHARING].append((party, share))
    book.save(str(path))


def _risk_row(r: Risk) -> tuple:
    mitigations = MITIGATION_SEPARATOR.join(r.mitigations)
    return (
        r.id,
        r.likelihood,
        r.impact,
        r.score,
        r.at_risk,
        r.owner,
        r.bears,
        mitigations,
        r.description,
    )


def _sheet(book, name: str):
    sheet = book.create_sheet(name)
    sheet.append(HEADINGS[name])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    return sheet


def read_plan(path: str | Path) -> Plan:
    """The plan a return workbook holds."""
    path = Path(path)
    try:
        book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as error:
        raise BadInput(f"{path}: cannot read the workbook ({error})") from None
    where = str(path)
    cover = {row[0]: row[1] for row in _rows(book, COVER, where, 2, headed=False)}
    raw: dict = {
        "area": cover.get("area"),
        "baseline_year": cover.get("baseline_year"),
        "experience_question": cover.get("experience_question"),
        "pooled_budget": {year: amount for year, amount in _rows(book, POOLED, where, 2)},
        "schemes": [
            {
                "id": _text(scheme),
                "name": name,
                "investment": investment,
                "expected_return": returns,
                "other_savings": other or 0,
                "metrics": [m.strip() for m in (metrics or "").split(",") if m.strip()],
                "note": note or "",
                **({"go_live": _day(go_live)} if go_live else {}),
            }
            for scheme, name, investment, returns, other, metrics, note, go_live in _rows(
                book, FINANCE, where, 8
            )
        ],
        "trajectories": {},
        "risks": [
            {
                "id": _text(risk),
                "likelihood": likelihood,
                "impact": impact,
                "at_risk": at_risk,
                "owner": owner,
                "bears": bears,
                "mitigations": [m for m in (mitigations or "").split(MITIGATION_SEPARATOR) if m],
                "description": description,
            }
            for risk, likelihood, impact, _score, at_risk, owner, bears, mitigations, description in _rows(
                book, RISKS, where, 9
            )
        ],
        "milestones": [
            {"scheme": _text(scheme) or "", "description": text, "due": _day(due), "status": status}
            for scheme, text, due, status in _rows(book, MILESTONES, where, 4)
        ],
        "risk_sharing": {party: share for party, share in _rows(book, SHARING, where, 2)},
    }
    by_id = {scheme["id"]: scheme for scheme in raw["schemes"]}
    for scheme, condition, met, evidence in _rows(book, CONDITIONS, where, 4):
        conditions = by_id.get(_text(scheme), {}).setdefault("conditions", {})
        conditions[condition] = {"met": met, "evidence": evidence or ""}
    for scheme, name, investment, lead in _rows(book, SUB_PROJECTS, where, 4):
        projects = by_id.get(_text(scheme), {}).setdefault("sub_projects", [])
        projects.append({"name": name, "investment": investment, "lead": lead or ""})
    width = 6 + len(MODEL_FIELDS)
    models = {_text(row[0]): row[6:] for row in _rows(book, BENEFITS, where, width)}
    for scheme in raw["schemes"]:
        model = models.get(scheme["id"], ())
        if any(value is not None for value in model):
            scheme["benefit"] = {
                f: v for f, v in zip(MODEL_FIELDS, model, strict=True) if v is not None
            }
    for metric, measure, period, target, _actual in _rows(book, METRICS, where, 5):
        spec = raw["trajectories"].setdefault(metric, {"measure": measure, "targets": {}})
        spec["targets"][period] = target
    return plan_from_raw(raw, where)


def _rows(book, name: str, where: str, width: int, headed: bool = True) -> list[tuple]:
    if name not in book.sheetnames:
        raise BadInput(f"{where}: no sheet {name!r} (a BCF return has {', '.join(HEADINGS)})")
    rows = list(book[name].iter_rows(min_row=2 if headed else 1, values_only=True))
    return [tuple(row[:width]) + (None,) * (width - len(row)) for row in rows if any(row)]


def _day(value):
    """A date cell: openpyxl gives a datetime back for the date written."""
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _text(value) -> str | None:
    """A scheme id as text: Excel keeps '004' as text, but a typed 4 arrives as a number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return None if value is None else str(value)
