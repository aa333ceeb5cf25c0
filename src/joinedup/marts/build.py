"""Build every mart table in the warehouse, in one transaction: a failed build leaves the marts
that were there before."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from joinedup.errors import BadInput, StoreError
from joinedup.marts.calendar import Window, window_of, write_calendar
from joinedup.marts.events import EVENT_TABLE, SOURCE_TABLES, WINDOW_SQL, person_event_sql
from joinedup.marts.periods import person_month_cost_sql, person_year_cost_sql
from joinedup.marts.segments import SEGMENT_SQL
from joinedup.progress import Progress

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
    events: int
    unlinked_events: int
    uncosted_events: int
    total_cost: float
    seconds: float


@contextmanager
def connection(con_or_path):
    """Use an open DuckDB connection as is, or open (and close) the warehouse file at a path."""
    if not isinstance(con_or_path, str | Path):
        yield con_or_path
        return
    path = Path(con_or_path)
    if not path.is_file():
        raise StoreError(f"warehouse {path} does not exist: run `joinedup load` first")
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as error:
        raise StoreError(f"cannot open warehouse {path}: {error}") from error
    try:
        yield con
    finally:
        con.close()


def _check_tables(con) -> None:
    present = {
        row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        raise StoreError(f"warehouse has no table {', '.join(missing)}: run `joinedup load` first")


def _window_and_unlinked(con) -> tuple[Window, int]:
    first_point, first_any, last_start, last_end, unlinked = con.execute(WINDOW_SQL).fetchone()
    if first_any is None:
        raise BadInput("the warehouse holds no events to build marts from: load feeds first")
    last = max(d for d in (last_start, last_end) if d is not None)
    return window_of(first_point or first_any, last), unlinked


def build_marts(con_or_path, show_progress: bool = False) -> MartsSummary:
    """Materialise calendar_month, person_event, person_month_cost, person_year_cost and
    person_year_segment in the warehouse (a DuckDB connection or the path of its file)."""
    started = time.monotonic()
    with connection(con_or_path) as con:
        _check_tables(con)
        window, unlinked = _window_and_unlinked(con)
        steps = (
            ("calendar_month", lambda: write_calendar(con, window)),
            (EVENT_TABLE, lambda: con.execute(person_event_sql(window))),
            ("person_month_cost", lambda: con.execute(person_month_cost_sql())),
            ("person_year_cost", lambda: con.execute(person_year_cost_sql())),
            ("person_year_segment", lambda: con.execute(SEGMENT_SQL)),
        )
        progress = Progress("marts", total=len(steps), enabled=show_progress)
        con.execute("BEGIN TRANSACTION")
        try:
            for name, run in steps:
                run()
                progress.step(name)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        events, uncosted, total = con.execute(
            f"SELECT COUNT(*), COUNT(*) - COUNT(cost_gbp), COALESCE(SUM(cost_gbp), 0) FROM {EVENT_TABLE}"
        ).fetchone()
    return MartsSummary(
        window, events, unlinked, uncosted, float(total), time.monotonic() - started
    )
