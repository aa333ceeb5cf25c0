"""The report's "where" tables: each broken-down metric's latest complete figure for the area,
by locality and by deprivation decile, disclosure-controlled with secondary suppression."""

from __future__ import annotations

from dataclasses import dataclass

from joinedup.governance.disclosure import apply_disclosure_control
from joinedup.metrics import periods as P
from joinedup.metrics.engine import BREAKDOWN_METRICS, compute_metrics
from joinedup.report.headlines import HEADLINES, complete, format_figure

DIMENSIONS = {"locality": "locality", "imd_decile": "deprivation decile (1 = most deprived)"}
UNIT_MARKS = {"percent": "%"}


@dataclass(frozen=True)
class BreakdownRow:
    metric: str
    title: str
    period: str
    area: str  # the area's figure, formatted ("suppressed" when suppressed)
    values: tuple[str, ...]  # one per group of the table, "" where nothing was counted


@dataclass(frozen=True)
class BreakdownTable:
    dimension: str
    noun: str
    groups: tuple[str, ...]
    rows: tuple[BreakdownRow, ...]


def breakdown_tables(
    con, months: tuple[str, str], area: list[dict] | None = None
) -> tuple[BreakdownTable, ...]:
    """One table per dimension; `area`: the area's raw records of those months, if computed."""
    return tuple(_table(con, months, by, area) for by in DIMENSIONS)


def _table(con, months: tuple[str, str], by: str, area: list[dict] | None) -> BreakdownTable:
    records = apply_disclosure_control(compute_metrics(con, months=months, by=by, area=area))
    first, last = (P.parse(m) for m in months)
    groups = sorted({r["group"] for r in records if r["group"] is not None}, key=_group_order)
    rows = []
    for headline in (h for h in HEADLINES if h.id in BREAKDOWN_METRICS):
        mine = [r for r in records if r["id"] == headline.id]
        done = [
            r["period"]
            for r in mine
            if r["group"] is None and complete(P.parse(r["period"]), first, last, headline.id)
        ]
        if not done:
            continue
        latest = max(done, key=lambda label: P.parse(label).end)
        figures = {r["group"]: r for r in mine if r["period"] == latest}
        unit = UNIT_MARKS.get(figures[None]["unit"], "")

        def shown(group, unit=unit, figures=figures, decimals=headline.decimals):
            found = figures.get(group)
            return "" if found is None else format_figure(found["value"], decimals, unit)

        rows.append(
            BreakdownRow(
                headline.id,
                headline.title,
                latest,
                shown(None),
                tuple(shown(g) for g in groups),
            )
        )
    return BreakdownTable(by, DIMENSIONS[by], tuple(groups), tuple(rows))


def _group_order(group: str):
    """Deciles in number order, names alphabetically, unknown last."""
    return (group == "unknown", int(group) if group.isdigit() else 0, group)
