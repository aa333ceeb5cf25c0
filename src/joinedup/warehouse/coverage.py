"""Which months the data covers: the one rule, used by the marts, the metrics and the report.

A month is covered when it holds at least half a typical (median) month's activity rows; the
data covers whole months from the first covered month to the last. A partial month at the end of
an extract, or a few stray rows dated before or after it (a spell admitted the day before the
extract starts, an appointment booked years ahead), opens no period whose figures would be
nearly empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

# Tables whose first date says when activity happened (metrics.md, Periods).
ACTIVITY_DATES = (
    ("acute_apc", "admission_date"),
    ("acute_ae", "arrival_datetime"),
    ("urgent_care_contacts", "contact_datetime"),
    ("community_contacts", "contact_date"),
    ("mental_health_contacts", "contact_date"),
    ("gp_appointments", "appointment_date"),
    ("delayed_transfers", "ready_date"),
    ("deaths", "date_of_death"),
)
COVERED_SHARE = 0.5  # of the median month


@dataclass(frozen=True)
class Window:
    """The days the data covers: whole months, from the first to the last covered month."""

    start: date
    end: date

    @property
    def months(self) -> tuple[str, str]:
        return f"{self.start:%Y-%m}", f"{self.end:%Y-%m}"


def month_end(day: date) -> date:
    next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return next_month - timedelta(days=1)


def covered_window(rows_per_month: dict[tuple[int, int], int]) -> Window | None:
    """From the first to the last covered (year, month), whole months; None without rows."""
    if not rows_per_month:
        return None
    typical = median(rows_per_month.values())
    covered = sorted(m for m, n in rows_per_month.items() if n >= COVERED_SHARE * typical)
    (first_year, first_month), (last_year, last_month) = covered[0], covered[-1]
    return Window(date(first_year, first_month, 1), month_end(date(last_year, last_month, 1)))


def monthly_activity(con) -> dict[tuple[int, int], int]:
    """Activity rows (ACTIVITY_DATES) per (year, month) of the warehouse."""
    dates = " UNION ALL ".join(
        f"SELECT CAST({column} AS DATE) AS day FROM {table}" for table, column in ACTIVITY_DATES
    )
    rows = con.execute(
        "SELECT EXTRACT(YEAR FROM day) AS y, EXTRACT(MONTH FROM day) AS m, COUNT(*)"
        f" FROM ({dates}) t WHERE day IS NOT NULL GROUP BY y, m"
    ).fetchall()
    return {(int(y), int(m)): int(n) for y, m, n in rows}


def covered(con) -> Window | None:
    """The months the warehouse's activity covers, or None when it holds none."""
    return covered_window(monthly_activity(con))
