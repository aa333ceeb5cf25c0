"""Marts on a small generated area (synth -> load -> marts), checked against a plain-Python
reference of the Year of Care cost rules over the same warehouse rows."""

from collections import defaultdict
from datetime import date, timedelta
from math import ceil

import duckdb
import pytest

from joinedup.landing.load import load_paths
from joinedup.marts import build_marts, spend_per_person
from joinedup.metrics.periods import financial_year_label, financial_year_start
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate
from joinedup.warehouse import store

pytestmark = pytest.mark.slow
YEARS = ("2013/14", "2014/15", "2015/16")
ELECTIVE = ("11", "12", "13")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("area")
    generate(folder / "feeds", AreaSpec(people=400, seed=5), progress=False)
    path = folder / "warehouse.duckdb"
    load_paths(folder / "feeds", path, progress=False)
    with store.writing(path) as con:
        summary = build_marts(con)
    con = duckdb.connect(str(path), read_only=True)
    yield con, summary
    con.close()


def fy(day: date) -> str:
    return financial_year_label(financial_year_start(day))


def spell_activity(provider, method, classification, specialty, admitted, discharged, end):
    mental_health = provider == "RZM" or "700" <= specialty <= "715"
    org = "mental_health" if mental_health else "community" if provider == "RZC" else "acute"
    if provider == "RZC" and not mental_health:
        return org, "COMMUNITY_BED_DAY", max(1, ((discharged or end) - admitted).days)
    if method not in ELECTIVE:
        return org, "NEL_SPELL", 1
    return org, "DAY_CASE" if classification == "2" else "EL_SPELL", 1


def urgent_activity(service, outcome):
    if service != "AMBULANCE":
        return {"NHS111": "NHS111_CALL", "OOH": "OOH_CONTACT"}[service]
    if outcome in ("CONVEYED", "HEAR_AND_TREAT"):
        return f"AMBULANCE_{outcome}"
    return "AMBULANCE_SEE_AND_TREAT"


def reference_costs(con, start: date, end: date) -> dict[tuple[str, str], float]:
    """(org type, financial year) -> cost, event by event and, for services, day by day."""
    unit = {
        (a, y): c
        for a, y, c in con.execute(
            "SELECT activity, financial_year, cost_gbp FROM unit_costs"
        ).fetchall()
    }
    totals: dict[tuple[str, str], float] = defaultdict(float)

    def add(org, day, activity, own, units=1):
        if start <= day <= end:
            totals[(org, fy(day))] += own if own is not None else unit[(activity, fy(day))] * units

    def rows(sql):
        return con.execute(sql + " AND pseudo_id IS NOT NULL").fetchall()

    for provider, admitted, discharged, method, cls, specialty, cost in rows(
        "SELECT provider_code, admission_date, discharge_date, admission_method, "
        "patient_classification, main_specialty, spell_cost FROM acute_apc WHERE TRUE"
    ):
        org, activity, units = spell_activity(
            provider, method, cls, specialty, admitted, discharged, end
        )
        add(org, admitted, activity, cost, units)
    for arrived, cost in rows("SELECT arrival_datetime, attendance_cost FROM acute_ae WHERE TRUE"):
        add("acute", arrived.date(), "AE_ATTENDANCE", cost)
    for day, cost in rows("SELECT contact_date, contact_cost FROM community_contacts WHERE TRUE"):
        add("community", day, "COMMUNITY_CONTACT", cost)
    for day, cost in rows(
        "SELECT contact_date, contact_cost FROM mental_health_contacts WHERE TRUE"
    ):
        add("mental_health", day, "MH_CONTACT", cost)
    for (day,) in rows("SELECT appointment_date FROM gp_appointments WHERE status = 'ATTENDED'"):
        add("primary_care", day, "GP_APPOINTMENT", None)
    for (day,) in rows("SELECT issue_date FROM gp_medications WHERE TRUE"):
        add("primary_care", day, "PRESCRIPTION_ITEM", None)
    for when, service, outcome, cost in rows(
        "SELECT contact_datetime, service, outcome, contact_cost FROM urgent_care_contacts WHERE TRUE"
    ):
        add("urgent_care", when.date(), urgent_activity(service, outcome), cost)
    for first, last, weekly in rows(
        "SELECT event_start_date, event_end_date, weekly_cost FROM social_care_events "
        "WHERE event_type = 'SERVICE'"
    ):
        day = max(first, start)
        while day <= min(last or end, end):
            totals[("social_care", fy(day))] += weekly / 7
            day += timedelta(days=1)
    return totals


def test_the_generated_area_is_costed_as_the_reference_rules_say(warehouse):
    con, summary = warehouse
    assert (summary.window.start, summary.window.end) == (date(2013, 4, 1), date(2016, 3, 31))
    assert summary.uncosted_events == 0 and summary.unlinked_events == 0
    expected = reference_costs(con, summary.window.start, summary.window.end)
    found = {
        (org, year): cost
        for org, year, cost in con.execute(
            "SELECT org_type, period, SUM(cost_gbp) FROM person_year_cost GROUP BY ALL"
        ).fetchall()
    }
    assert found == pytest.approx(dict(expected))
    assert {year for _, year in found} == set(YEARS)
    assert {org for org, _ in found} == {
        "acute",
        "community",
        "mental_health",
        "primary_care",
        "urgent_care",
        "social_care",
    }


def test_every_mart_reconciles_with_the_event_timeline(warehouse):
    con, summary = warehouse
    totals = [
        con.execute(f"SELECT SUM({column}) FROM {table}").fetchone()[0]
        for table, column in (
            ("person_event", "cost_gbp"),
            ("person_month_cost", "cost_gbp"),
            ("person_year_cost", "cost_gbp"),
            ("person_year_segment", "total_cost"),
        )
    ]
    assert totals == [pytest.approx(summary.total_cost)] * 4


def test_the_high_cost_cohort_and_spend_cover_every_resident_each_year(warehouse):
    con, _ = warehouse
    for year in YEARS:
        residents, cohort = con.execute(
            "SELECT SUM(CASE WHEN resident THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN high_cost THEN 1 ELSE 0 END) FROM person_year_segment "
            "WHERE financial_year = ?",
            [year],
        ).fetchone()
        assert cohort == ceil(0.05 * residents)
        rows = spend_per_person(con, year)
        everyone = rows[0]
        assert everyone.people == residents
        for dimension in ("org_type", "age_band", "locality", "social_care_status"):
            parts = [r for r in rows if r.dimension == dimension]
            assert sum(r.total_cost for r in parts) == pytest.approx(everyone.total_cost)
