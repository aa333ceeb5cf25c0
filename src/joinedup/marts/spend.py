"""`spend_per_person`: Year of Care spend per resident in a financial year, by org type and by
segment (metrics.md, Cost). Residents only; everyone in `person_year_segment` counts in the
denominator, including people who cost nothing that year and people with a national opt-out
(an aggregate figure, as the statutory metrics; it still needs disclosure control before it is
shown)."""

from __future__ import annotations

import re
from typing import NamedTuple

from joinedup.errors import BadInput
from joinedup.marts.events import ORG_TYPES
from joinedup.marts.periods import YEAR_TABLE
from joinedup.marts.segments import SEGMENT_TABLE

FINANCIAL_YEAR = re.compile(r"^\d{4}/\d{2}$")
# dimension -> SQL expression over person_year_segment giving the value.
SEGMENT_DIMENSIONS = {
    "age_band": "age_band",
    "ltc_band": "ltc_band",
    "age_band_x_ltc_band": "age_band || ' / ' || ltc_band",
    "social_care_status": "social_care_status",
    "locality": "COALESCE(locality, 'unknown')",
    "high_cost": "CASE WHEN high_cost THEN 'high_cost' ELSE 'other' END",
}


class SpendRow(NamedTuple):
    dimension: str
    value: str
    people: int
    total_cost: float
    cost_per_person: float | None


def _row(dimension: str, value: str, people: int, total: float) -> SpendRow:
    total = float(total or 0)
    return SpendRow(dimension, value, int(people), total, total / people if people else None)


def _by_segment(con, year: str) -> list[SpendRow]:
    rows = []
    for dimension, expression in SEGMENT_DIMENSIONS.items():
        found = con.execute(
            f"SELECT {expression} AS value, COUNT(*), SUM(total_cost) FROM {SEGMENT_TABLE} "
            "WHERE financial_year = ? AND resident GROUP BY 1 ORDER BY 1",
            [year],
        ).fetchall()
        rows += [_row(dimension, value, people, total) for value, people, total in found]
    return rows


def _by_org_type(con, year: str, residents: int) -> list[SpendRow]:
    costs = dict(
        con.execute(
            f"SELECT c.org_type, SUM(c.cost_gbp) FROM {YEAR_TABLE} c JOIN {SEGMENT_TABLE} s "
            "ON s.pseudo_id = c.pseudo_id AND s.financial_year = c.period "
            "WHERE c.period = ? AND s.resident GROUP BY c.org_type",
            [year],
        ).fetchall()
    )
    return [_row("org_type", org, residents, costs.get(org, 0)) for org in ORG_TYPES]


def spend_per_person(con, year: str) -> list[SpendRow]:
    """Rows (dimension, value, people, total_cost, cost_per_person) for financial year `year`
    ('2015/16'): 'all', then each org type (cost over all residents), then each segment."""
    if not FINANCIAL_YEAR.match(year):
        raise BadInput(f"financial year must look like 2015/16, not {year!r}")
    residents, total = con.execute(
        f"SELECT COUNT(*), SUM(total_cost) FROM {SEGMENT_TABLE} "
        "WHERE financial_year = ? AND resident",
        [year],
    ).fetchone()
    if not residents:
        raise BadInput(f"no residents in the marts for financial year {year}")
    return [
        _row("all", "all", residents, total),
        *_by_org_type(con, year, residents),
        *_by_segment(con, year),
    ]
