"""Outcomes of direct care for commissioners (tier A, issue 11): the national condition's
care-plan coverage (people in the top 5% of emergency admission risk with an active joint care
plan and a lead professional, of all in the top 5%, by practice and locality), and for people an
MDT reviewed, emergency admissions, A&E attendances, bed days and cost in the 6 months before and
after their first review (only people whose 6 months after have passed by the data's as-of date).
Every figure goes through the tier A gate."""

from __future__ import annotations

import datetime as dt

from joinedup.governance import disclosure
from joinedup.groupings import sql_list
from joinedup.warehouse import pseudonyms

TOP_SHARE = 0.05
FOLLOW_UP_DAYS = 182
TOP_SQL = f"""
WITH latest AS (SELECT * FROM risk_scores WHERE index_date = (SELECT max(index_date) FROM risk_scores)),
ranked AS (SELECT pseudo_id, practice_code, locality,
                  percent_rank() OVER (ORDER BY emergency_admission DESC) AS share FROM latest)
SELECT pseudonym, practice_code, locality FROM ranked JOIN {pseudonyms.TABLE} USING (pseudo_id)
WHERE share < {TOP_SHARE}"""


def coverage(con, planned: set[str]) -> dict:
    """The area's figure, and by practice and by locality (each a table of parts of the area's
    total: secondary suppression)."""
    top = con.execute(TOP_SQL).fetchall()
    covered = sum(r[0] in planned for r in top)
    out = {"area": _rate(disclosure.count(covered), disclosure.count(len(top)))}
    for name, column in (("practice", 1), ("locality", 2)):
        totals: dict[str, int] = {}
        withs: dict[str, int] = {}
        for row in top:
            group = row[column] or "unknown"
            totals[group] = totals.get(group, 0) + 1
            withs[group] = withs.get(group, 0) + (row[0] in planned)
        shown_totals, shown_withs = disclosure.parts(totals), disclosure.parts(withs)
        out[name] = {g: _rate(shown_withs[g], shown_totals[g]) for g in sorted(totals)}
    return out


def _rate(covered: int | None, total: int | None) -> dict:
    rate = round(covered / total, 3) if covered is not None and total else None
    return {"with_plan": covered, "top_5_percent": total, "coverage": rate}


def before_after(con, reviewed: list[tuple[str, str]]) -> dict:
    """Sums over reviewed people with complete follow-up, 6 months before and after review."""
    as_of = con.execute("SELECT max(as_of) FROM loads").fetchone()[0]
    people = [(p, dt.date.fromisoformat(d)) for p, d in reviewed]
    if as_of is not None:
        people = [(p, d) for p, d in people if d + dt.timedelta(FOLLOW_UP_DAYS) <= as_of]
    totals = {side: dict.fromkeys(("emergency_admissions", "ae_attendances", "bed_days"), 0)
              | {"cost_gbp": 0.0} for side in ("before", "after")}  # fmt: skip
    for person, day in people:
        for side, start, end in (
            ("before", day - dt.timedelta(FOLLOW_UP_DAYS), day),
            ("after", day, day + dt.timedelta(FOLLOW_UP_DAYS)),
        ):
            for name, value in _activity(con, person, start, end).items():
                totals[side][name] += value
    return {
        "people": disclosure.count(len(people)),
        **{side: {k: disclosure.rounded_money(v) if k == "cost_gbp" else disclosure.count(v)
                  for k, v in t.items()} for side, t in totals.items()},
    }  # fmt: skip


def _activity(con, person: str, start: dt.date, end: dt.date) -> dict:
    methods = sql_list("emergency_admission")
    spells = con.execute(
        f"SELECT count(*) FILTER (WHERE admission_method IN ({methods})),"
        " coalesce(sum(date_diff('day', admission_date, coalesce(discharge_date, ?))), 0),"
        " coalesce(sum(spell_cost), 0) FROM acute_apc"
        f" WHERE pseudo_id = {pseudonyms.number_sql('?')} AND admission_date >= ?"
        " AND admission_date < ?",
        [end, person, start, end],
    ).fetchone()
    ae = con.execute(
        "SELECT count(*), coalesce(sum(attendance_cost), 0) FROM acute_ae"
        f" WHERE pseudo_id = {pseudonyms.number_sql('?')} AND CAST(arrival_datetime AS DATE) >= ? AND CAST(arrival_datetime AS DATE) < ?",
        [person, start, end],
    ).fetchone()
    return {"emergency_admissions": spells[0], "ae_attendances": ae[0], "bed_days": spells[1],
            "cost_gbp": float(spells[2]) + float(ae[1])}  # fmt: skip
