"""The BCF quarterly return as an Excel workbook, shaped like the Part 2 template, and a plan read
back from one (plan -> workbook -> plan gives the same plan).

Sheets: Cover (area, quarter, baseline year, survey question), Metrics (every trajectory target
with the metric's disclosure-controlled actual where the period has ended by the quarter's end),
Finance (each scheme's investment, expected return and other savings), Pooled budget, Benefits
(each scheme's stated return beside its investment), National conditions and Risk log (headings
only: the plan register holds neither yet). Reading takes Cover, Metrics, Finance and Pooled
budget, and checks them with the plan file's own rules (a mistake is named by file and key).
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
from joinedup.plan.loader import Plan, plan_from_raw

MODEL_FIELDS = tuple(f.name for f in fields(Benefit))  # a scheme's benefit model, if any
COVER = "Cover"
METRICS = "Metrics"
FINANCE = "Finance"
POOLED = "Pooled budget"
BENEFITS = "Benefits"
CONDITIONS = "National conditions"
RISKS = "Risk log"
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
    ),
    POOLED: ("financial_year", "amount"),
    BENEFITS: ("scheme", "name", "investment", "expected_return", "other_savings", "net")
    + MODEL_FIELDS,
    CONDITIONS: ("scheme", "condition", "met", "evidence"),
    RISKS: ("risk", "likelihood", "impact", "score", "at_risk_gbp", "owner", "mitigation"),
}
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
            (s.id, s.name, s.investment, returns, s.other_savings, ", ".join(s.metrics), s.note)
        )
        net = None if returns is None else returns + s.other_savings - s.investment
        model = tuple(getattr(s.benefit, f) for f in MODEL_FIELDS) if s.benefit else ()
        sheets[BENEFITS].append((s.id, s.name, s.investment, returns, s.other_savings, net, *model))
    for year, amount in plan.pooled_budget.items():
        sheets[POOLED].append((year, amount))
    book.save(str(path))


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
            }
            for scheme, name, investment, returns, other, metrics, note in _rows(
                book, FINANCE, where, 7
            )
        ],
        "trajectories": {},
    }
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


def _text(value) -> str | None:
    """A scheme id as text: Excel keeps '004' as text, but a typed 4 arrives as a number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return None if value is None else str(value)
