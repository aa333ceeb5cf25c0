"""Build every mart table in the warehouse, in one transaction: a failed build leaves the marts
that were there before."""

from __future__ import annotations

import time
from dataclasses import dataclass

from joinedup.engine import engine_of
from joinedup.errors import BadInput
from joinedup.marts.calendar import write_calendar
from joinedup.marts.events import EVENT_TABLE, MONTH_COUNTS_SQL, SOURCE_TABLES, person_event_sql
from joinedup.marts.periods import person_month_cost_sql, person_year_cost_sql
from joinedup.marts.segments import SEGMENT_SQL
from joinedup.progress import Progress
from joinedup.warehouse.coverage import Window, covered
from joinedup.warehouse.store import check_tables

# Each mart's key: the columns that identify one of its rows (to compare two builds row by row).
MART_KEYS = {
    "person_event": ("source_row_id", "month"),
    "person_month_cost": ("pseudo_id", "period", "org_type"),
    "person_year_cost": ("pseudo_id", "period", "org_type"),
    "person_year_segment": ("pseudo_id", "financial_year"),
    "calendar_month": ("month",),
}

REQUIRED_TABLES = (
    *SOURCE_TABLES,
    "unit_costs",
    "gp_register",
    "gp_conditions",
    "deaths",
    "objections",
    "person",
)


@dataclass(frozen=True)
class MartsSummary:
    window: Window
    events: int  # in person_event
    outside_window: int  # rows dated outside the covered months, left out
    unlinked_events: int  # rows identity gave no person, left out
    uncosted_events: int
    total_cost: float
    seconds: float


@dataclass(frozen=True)
class _Coverage:
    window: Window
    linked_rows: int
    unlinked_rows: int


def write_marts(con, show_progress: bool = False) -> _Coverage:
    """Rebuild every mart inside the caller's transaction (retention rebuilds them with its own
    deletions, in one transaction), on a DuckDB connection or any `joinedup.engine` Engine."""
    con = engine_of(con)
    check_tables(con, REQUIRED_TABLES)
    coverage = _coverage(con)
    window = coverage.window
    steps = (
        ("calendar_month", lambda: write_calendar(con, window)),
        (EVENT_TABLE, lambda: con.execute(person_event_sql(window))),
        ("person_month_cost", lambda: con.execute(person_month_cost_sql())),
        ("person_year_cost", lambda: con.execute(person_year_cost_sql())),
        ("person_year_segment", lambda: con.execute(SEGMENT_SQL)),
    )
    progress = Progress("marts", total=len(steps), enabled=show_progress)
    for name, run in steps:
        run()
        progress.step(name)
    return coverage


def _coverage(con) -> _Coverage:
    rows = con.execute(MONTH_COUNTS_SQL).fetchall()
    window = covered(con)
    if window is None or not any(y is not None for y, *_ in rows):
        raise BadInput("the warehouse holds no events to build marts from: load feeds first")
    unlinked = sum(row[3] for row in rows)
    return _Coverage(window, sum(row[2] for row in rows) - unlinked, unlinked)


def build_marts(con, show_progress: bool = False) -> MartsSummary:
    """Materialise calendar_month, person_event, person_month_cost, person_year_cost and
    person_year_segment in the warehouse (an open store, `warehouse.store.writing`)."""
    started = time.monotonic()
    con = engine_of(con)
    with con.transaction():
        coverage = write_marts(con, show_progress)
    events, uncosted, total = con.execute(
        f"SELECT COUNT(*), COUNT(*) - COUNT(cost_gbp), COALESCE(SUM(cost_gbp), 0) "
        f"FROM {EVENT_TABLE}"
    ).fetchone()
    return MartsSummary(
        window=coverage.window,
        events=events,
        outside_window=coverage.linked_rows - events,
        unlinked_events=coverage.unlinked_rows,
        uncosted_events=uncosted,
        total_cost=float(total),
        seconds=time.monotonic() - started,
    )
