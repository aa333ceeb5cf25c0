"""Marts on small hand-written warehouses: person timeline, Year of Care cost, segments, spend."""

from datetime import date

import duckdb
import pytest
from record_tokens import person_numbers, tokenised

from joinedup.cli import main
from joinedup.errors import BadInput, StoreError
from joinedup.marts import build_marts, spend_per_person
from joinedup.warehouse import schema, store

ACTIVITIES = (
    "NEL_SPELL",
    "EL_SPELL",
    "DAY_CASE",
    "AE_ATTENDANCE",
    "GP_APPOINTMENT",
    "COMMUNITY_CONTACT",
    "MH_CONTACT",
    "AMBULANCE_CONVEYED",
    "AMBULANCE_SEE_AND_TREAT",
    "AMBULANCE_HEAR_AND_TREAT",
    "NHS111_CALL",
    "OOH_CONTACT",
    "PRESCRIPTION_ITEM",
    "COMMUNITY_BED_DAY",
)
YEARS = ("2013/14", "2014/15", "2015/16")


def unit_cost(activity: str, year: str) -> float:
    """Distinct for every activity and year, so a wrong join shows."""
    return 100.0 * (ACTIVITIES.index(activity) + 1) + YEARS.index(year)


def insert(con, table: str, **values) -> None:
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cells = [tokenised(name, value) for name, value in values.items()]
    if "pseudo_id" in values:
        cells[list(values).index("pseudo_id")] = person_numbers(con, [values["pseudo_id"]])[0]
    con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", cells)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    schema.create_all(connection)
    for activity in ACTIVITIES:
        for year in YEARS:
            insert(
                connection,
                "unit_costs",
                activity=activity,
                financial_year=year,
                unit="each",
                cost_gbp=unit_cost(activity, year),
            )
    yield connection
    connection.close()


def register(
    con,
    pid: str,
    birth_month: str = "1960-01",
    in_area: bool = True,
    locality: str = "North",
    registered: str = "2010-01-01",
    row_key: str = "r",
) -> None:
    insert(con, "person", pseudo_id=pid, sex="1", birth_month=birth_month)
    insert(
        con,
        "gp_register",
        pseudo_id=pid,
        practice_code="P1",
        registration_date=d(registered),
        postcode_in_area=in_area,
        locality=locality if in_area else None,
        _row_id=f"{pid}-{row_key}",
    )


def gp_visit(con, pid: str | None, day: str, status: str = "ATTENDED") -> None:
    insert(
        con,
        "gp_appointments",
        pseudo_id=pid,
        appointment_id=f"{pid}{day}{status}",
        practice_code="P1",
        appointment_date=d(day),
        staff_role="GP",
        mode="FACE_TO_FACE",
        status=status,
    )


def spell(
    con,
    pid: str,
    provider: str,
    method: str = "21",
    classification: str = "1",
    specialty: str = "300",
    admitted: str = "2015-06-01",
    discharged: str | None = "2015-06-05",
    cost: float | None = None,
) -> None:
    insert(
        con,
        "acute_apc",
        pseudo_id=pid,
        spell_id=f"{provider}{method}{specialty}{admitted}",
        provider_code=provider,
        admission_date=d(admitted),
        discharge_date=d(discharged) if discharged else None,
        admission_method=method,
        patient_classification=classification,
        main_specialty=specialty,
        primary_diagnosis="R69",
        spell_cost=cost,
    )


def service(
    con,
    pid: str,
    start: str,
    end: str | None,
    weekly: float,
    service_type: str = "LTS_COMMUNITY",
    placement: str | None = None,
    client_type: str = "SERVICE_USER",
) -> None:
    insert(
        con,
        "social_care_events",
        pseudo_id=pid,
        event_id=f"{pid}{start}{service_type}",
        client_type=client_type,
        event_type="SERVICE",
        event_start_date=d(start),
        event_end_date=d(end) if end else None,
        service_type=service_type,
        placement_type=placement,
        weekly_cost=weekly,
    )


def events(con, pid: str) -> list[tuple]:
    return con.execute(
        "SELECT source_table, org_type, activity, cost_gbp, cost_source FROM person_event "
        "WHERE pseudo_id = (SELECT pseudo_id FROM pseudonyms WHERE pseudonym = ?) ORDER BY event_date, activity",
        [pid],
    ).fetchall()


def period_costs(con, table: str, pid: str) -> dict[str, tuple[int, float]]:
    """period -> (events, cost) over every org type."""
    rows = con.execute(
        f"SELECT period, SUM(events), SUM(cost_gbp) FROM {table} "
        "WHERE pseudo_id = (SELECT pseudo_id FROM pseudonyms WHERE pseudonym = ?) GROUP BY period",
        [pid],
    ).fetchall()
    return {period: (n, pytest.approx(cost)) for period, n, cost in rows}


def segment(con, pid: str, year: str) -> dict:
    cursor = con.execute(
        "SELECT * FROM person_year_segment WHERE pseudo_id = (SELECT pseudo_id FROM pseudonyms WHERE pseudonym = ?) AND financial_year = ?", [pid, year]
    )
    names = [c[0] for c in cursor.description]
    row = cursor.fetchone()
    return dict(zip(names, row, strict=True)) if row else {}


def test_own_cost_is_used_when_present_and_the_unit_cost_of_the_financial_year_otherwise(con):
    for attendance, arrived, cost in (
        ("A1", "2015-03-31 23:50", None),
        ("A2", "2015-04-01 00:10", None),
        ("A3", "2015-05-02 10:00", 123.45),
    ):
        insert(
            con,
            "acute_ae",
            pseudo_id="p1",
            attendance_id=attendance,
            provider_code="RZA",
            arrival_datetime=arrived,
            arrival_mode="2",
            disposal="HOM",
            attendance_cost=cost,
        )
    build_marts(con)
    assert events(con, "p1") == [
        ("acute_ae", "acute", "AE_ATTENDANCE", unit_cost("AE_ATTENDANCE", "2014/15"), "unit_cost"),
        ("acute_ae", "acute", "AE_ATTENDANCE", unit_cost("AE_ATTENDANCE", "2015/16"), "unit_cost"),
        ("acute_ae", "acute", "AE_ATTENDANCE", 123.45, "own"),
    ]
    assert period_costs(con, "person_year_cost", "p1") == {
        "2014/15": (1, unit_cost("AE_ATTENDANCE", "2014/15")),
        "2015/16": (2, unit_cost("AE_ATTENDANCE", "2015/16") + 123.45),
    }


def test_spells_take_their_org_type_from_the_provider_and_their_activity_from_the_method(con):
    spell(con, "p1", "RZA", method="21", admitted="2015-06-01")
    spell(con, "p1", "RZA", method="11", classification="1", admitted="2015-06-02")
    spell(con, "p1", "RZA", method="12", classification="2", admitted="2015-06-03")
    spell(con, "p1", "RZA", method="21", specialty="710", admitted="2015-06-04")
    spell(con, "p1", "RZM", method="21", specialty="300", admitted="2015-06-05")
    spell(con, "p1", "RZC", method="81", admitted="2015-06-06", discharged="2015-06-10")
    spell(con, "p1", "RZC", method="21", admitted="2015-06-07", cost=999.0)
    spell(con, "p1", "RXX", method="13", admitted="2015-06-08")  # an out-of-area trust
    build_marts(con)
    year = "2015/16"
    assert events(con, "p1") == [
        ("acute_apc", "acute", "NEL_SPELL", unit_cost("NEL_SPELL", year), "unit_cost"),
        ("acute_apc", "acute", "EL_SPELL", unit_cost("EL_SPELL", year), "unit_cost"),
        ("acute_apc", "acute", "DAY_CASE", unit_cost("DAY_CASE", year), "unit_cost"),
        ("acute_apc", "mental_health", "NEL_SPELL", unit_cost("NEL_SPELL", year), "unit_cost"),
        ("acute_apc", "mental_health", "NEL_SPELL", unit_cost("NEL_SPELL", year), "unit_cost"),
        # four bed days, 6 to 10 June
        (
            "acute_apc",
            "community",
            "COMMUNITY_BED_DAY",
            4 * unit_cost("COMMUNITY_BED_DAY", year),
            "unit_cost",
        ),
        ("acute_apc", "community", "COMMUNITY_BED_DAY", 999.0, "own"),
        ("acute_apc", "acute", "EL_SPELL", unit_cost("EL_SPELL", year), "unit_cost"),
    ]


def test_urgent_care_primary_care_and_contacts_are_costed_by_their_activity(con):
    for service_name, outcome in (
        ("AMBULANCE", "CONVEYED"),
        ("AMBULANCE", "SEE_AND_TREAT"),
        ("AMBULANCE", "HEAR_AND_TREAT"),
        ("NHS111", "AMBULANCE_DISPATCH"),
        ("OOH", "SELF_CARE"),
    ):
        insert(
            con,
            "urgent_care_contacts",
            pseudo_id="p1",
            contact_id=outcome,
            service=service_name,
            contact_datetime="2014-07-01 12:00",
            outcome=outcome,
        )
    gp_visit(con, "p1", "2014-07-02")
    gp_visit(con, "p1", "2014-07-03", status="DNA")
    insert(
        con,
        "gp_medications",
        pseudo_id="p1",
        issue_id="m1",
        practice_code="P1",
        bnf_code="0407010H0",
        issue_date=d("2014-07-04"),
        repeat="Y",
    )
    insert(
        con,
        "community_contacts",
        pseudo_id="p1",
        contact_id="c1",
        service="FALLS",
        contact_date=d("2014-07-05"),
        contact_mode="FACE_TO_FACE",
        contact_cost=55.0,
    )
    insert(
        con,
        "mental_health_contacts",
        pseudo_id="p1",
        contact_id="h1",
        team_type="CMHT",
        contact_date=d("2014-07-06"),
    )
    build_marts(con)
    found = {(org, activity): cost for _, org, activity, cost, _ in events(con, "p1")}
    year = "2014/15"
    assert found == {
        ("urgent_care", "AMBULANCE_CONVEYED"): unit_cost("AMBULANCE_CONVEYED", year),
        ("urgent_care", "AMBULANCE_SEE_AND_TREAT"): unit_cost("AMBULANCE_SEE_AND_TREAT", year),
        ("urgent_care", "AMBULANCE_HEAR_AND_TREAT"): unit_cost("AMBULANCE_HEAR_AND_TREAT", year),
        ("urgent_care", "NHS111_CALL"): unit_cost("NHS111_CALL", year),
        ("urgent_care", "OOH_CONTACT"): unit_cost("OOH_CONTACT", year),
        ("primary_care", "GP_APPOINTMENT"): unit_cost("GP_APPOINTMENT", year),
        ("primary_care", "PRESCRIPTION_ITEM"): unit_cost("PRESCRIPTION_ITEM", year),
        ("community", "COMMUNITY_CONTACT"): 55.0,
        ("mental_health", "MH_CONTACT"): unit_cost("MH_CONTACT", year),
    }


def test_a_service_spanning_a_month_boundary_is_split_by_its_active_days(con):
    gp_visit(con, "p1", "2015-01-05")
    gp_visit(con, "p1", "2015-02-10")
    service(con, "p1", "2015-01-30", "2015-02-02", weekly=70.0)  # 2 days in Jan, 2 in Feb
    build_marts(con)
    services = con.execute(
        "SELECT cost_gbp FROM person_event WHERE source_table = 'social_care_events'"
    ).fetchall()
    assert services == [(pytest.approx(40.0),)]
    months = con.execute(
        "SELECT period, events, cost_gbp FROM person_month_cost WHERE "
        "org_type = 'social_care' ORDER BY period"
    ).fetchall()
    assert months == [("2015-01", 1, pytest.approx(20.0)), ("2015-02", 1, pytest.approx(20.0))]


def test_an_open_ended_service_runs_to_the_end_of_the_data(con):
    gp_visit(con, "p1", "2015-02-02")
    gp_visit(con, "p2", "2015-05-20")  # the last date seen: the data ends on 31 May 2015
    service(con, "p1", "2015-03-10", None, weekly=70.0)  # 22 + 30 + 31 days
    build_marts(con)
    costs = period_costs(con, "person_month_cost", "p1")
    assert costs["2015-03"] == (1, 220.0)
    assert costs["2015-04"] == (1, 300.0)
    assert costs["2015-05"] == (1, 310.0)
    assert "2015-06" not in costs
    years = con.execute(
        "SELECT period, cost_gbp FROM person_year_cost WHERE pseudo_id = (SELECT pseudo_id FROM pseudonyms WHERE pseudonym = 'p1') "
        "AND org_type = 'social_care' ORDER BY period"
    ).fetchall()
    assert years == [("2014/15", pytest.approx(220.0)), ("2015/16", pytest.approx(610.0))]


def test_a_care_package_begun_before_the_data_is_costed_from_the_first_month_only(con):
    gp_visit(con, "p1", "2015-04-15")
    service(con, "p1", "2012-01-01", "2015-04-07", weekly=70.0)  # 1 to 7 April inside
    summary = build_marts(con)
    assert summary.window.start == d("2015-04-01") and summary.window.end == d("2015-04-30")
    assert period_costs(con, "person_year_cost", "p1") == {
        "2015/16": (2, pytest.approx(70.0 + unit_cost("GP_APPOINTMENT", "2015/16")))
    }


def test_period_totals_reconcile_with_the_event_timeline(con):
    register(con, "p1")
    gp_visit(con, "p1", "2014-05-01")
    spell(con, "p1", "RZA", admitted="2015-02-10", discharged="2015-02-20")
    service(con, "p1", "2014-12-15", None, weekly=333.3)
    service(con, "p1", "2015-03-20", "2015-04-12", weekly=210.0, service_type="STS_REABLEMENT")
    insert(
        con,
        "acute_ae",
        pseudo_id="p2",
        attendance_id="a",
        provider_code="RZA",
        arrival_datetime="2015-07-31 22:00",
        arrival_mode="1",
        disposal="ADM",
    )
    gp_visit(con, None, "2015-08-01")  # a row identity could not give a person
    summary = build_marts(con)
    totals = [
        con.execute(f"SELECT SUM(cost_gbp) FROM {table}").fetchone()[0]
        for table in ("person_event", "person_month_cost", "person_year_cost")
    ]
    assert totals == [pytest.approx(summary.total_cost)] * 3
    assert (summary.events, summary.uncosted_events, summary.unlinked_events) == (5, 0, 1)


def test_the_high_cost_cohort_is_the_top_five_percent_of_residents(con):
    for n in range(41):
        pid = f"p{n:02d}"
        register(con, pid)
        insert(
            con,
            "community_contacts",
            pseudo_id=pid,
            contact_id=pid,
            service="OTHER",
            contact_date=d("2015-05-01"),
            contact_mode="TELEPHONE",
            contact_cost=float(n),
        )
    register(con, "visitor", in_area=False)
    insert(
        con,
        "community_contacts",
        pseudo_id="visitor",
        contact_id="v",
        service="OTHER",
        contact_date=d("2015-05-01"),
        contact_mode="TELEPHONE",
        contact_cost=10_000.0,
    )
    build_marts(con)
    flagged = con.execute(
        "SELECT pseudonym FROM person_year_segment JOIN pseudonyms USING (pseudo_id) WHERE high_cost"
        " ORDER BY pseudonym"
    ).fetchall()
    assert flagged == [("p38",), ("p39",), ("p40",)]  # ceil(5% of 41 residents)


def test_a_person_turning_65_moves_age_band_at_the_start_of_the_next_year(con):
    register(con, "june50", birth_month="1950-06")
    register(con, "march50", birth_month="1950-03", row_key="2")
    gp_visit(con, "june50", "2014-04-10")
    gp_visit(con, "june50", "2016-03-10")
    build_marts(con)
    bands = {
        (pid, year): segment(con, pid, year)["age_band"]
        for pid in ("june50", "march50")
        for year in ("2014/15", "2015/16")
    }
    assert bands == {
        ("june50", "2014/15"): "18-64",
        ("june50", "2015/16"): "18-64",
        ("march50", "2014/15"): "18-64",
        ("march50", "2015/16"): "65-74",
    }


def test_long_term_conditions_are_counted_at_the_year_start(con):
    register(con, "p1")
    gp_visit(con, "p1", "2015-06-01")
    for condition, diagnosed, resolved in (
        ("HYP", "2010-01-01", None),
        ("DM", "2015-04-01", None),
        ("AST", "2001-01-01", "2012-01-01"),
        ("COPD", "2015-04-02", None),
    ):
        insert(
            con,
            "gp_conditions",
            pseudo_id="p1",
            practice_code="P1",
            condition=condition,
            diagnosed_date=d(diagnosed),
            resolved_date=d(resolved) if resolved else None,
        )
    build_marts(con)
    row = segment(con, "p1", "2015/16")
    assert (row["ltc_count"], row["ltc_band"]) == (2, "2")


def test_social_care_status_is_the_most_intensive_service_in_the_year(con):
    for pid in ("home", "respite", "care_home", "carer", "nothing"):
        register(con, pid, row_key=pid)
        gp_visit(con, pid, "2014-06-01")  # the data starts in 2014/15
        gp_visit(con, pid, "2015-05-01")
    service(con, "home", "2015-06-01", None, 100.0, "LTS_COMMUNITY")
    service(con, "respite", "2015-06-01", "2015-06-14", 700.0, "LTS_RESIDENTIAL", "RESPITE")
    service(con, "care_home", "2015-02-01", "2015-04-30", 100.0, "LTS_COMMUNITY")
    service(con, "care_home", "2015-05-01", None, 600.0, "LTS_NURSING", "PERMANENT")
    service(con, "carer", "2015-06-01", None, 20.0, "CARER_SUPPORT", client_type="CARER")
    build_marts(con)
    status = {
        pid: segment(con, pid, "2015/16")["social_care_status"]
        for pid in ("home", "respite", "care_home", "carer", "nothing")
    }
    assert status == {
        "home": "long_term_community",
        "respite": "short_term",
        "care_home": "permanent_care",
        "carer": "none",
        "nothing": "none",
    }
    assert segment(con, "care_home", "2014/15")["social_care_status"] == "long_term_community"


def test_locality_and_residency_come_from_the_latest_registration_by_the_year_end(con):
    register(con, "mover", locality="North", registered="2010-01-01", row_key="a")
    insert(
        con,
        "gp_register",
        pseudo_id="mover",
        practice_code="P2",
        registration_date=d("2015-09-01"),
        postcode_in_area=False,
        _row_id="mover-b",
    )
    gp_visit(con, "mover", "2014-06-01")
    gp_visit(con, "mover", "2015-06-01")
    insert(
        con,
        "acute_ae",
        pseudo_id="unregistered",
        attendance_id="a",
        provider_code="RZA",
        arrival_datetime="2015-06-01 10:00",
        arrival_mode="2",
        disposal="HOM",
        postcode_in_area=True,
        locality="South",
    )
    build_marts(con)
    assert [
        (segment(con, "mover", y)["locality"], segment(con, "mover", y)["resident"])
        for y in ("2014/15", "2015/16")
    ] == [("North", True), (None, False)]
    fallback = segment(con, "unregistered", "2015/16")
    assert (fallback["locality"], fallback["resident"]) == ("South", True)


def test_spend_per_person_divides_resident_spend_among_every_resident(con):
    register(con, "a", birth_month="1949-01", locality="North", row_key="a")
    register(con, "b", birth_month="1980-01", locality="North", row_key="b")
    register(con, "c", birth_month="1980-01", locality="South", row_key="c")  # costs nothing
    register(con, "visitor", in_area=False)
    spell(con, "a", "RZA", admitted="2015-06-01", cost=3000.0)
    service(con, "a", "2015-06-01", "2015-06-07", weekly=700.0)
    insert(
        con,
        "community_contacts",
        pseudo_id="b",
        contact_id="b",
        service="OTHER",
        contact_date=d("2015-07-01"),
        contact_mode="TELEPHONE",
        contact_cost=300.0,
    )
    spell(con, "visitor", "RZA", admitted="2015-06-01", cost=50_000.0)
    build_marts(con)
    rows = {(r.dimension, r.value): r for r in spend_per_person(con, "2015/16")}
    assert rows[("all", "all")][2:] == (3, 4000.0, pytest.approx(4000.0 / 3))
    assert rows[("org_type", "acute")][2:] == (3, 3000.0, 1000.0)
    assert rows[("org_type", "social_care")][2:4] == (3, pytest.approx(700.0))
    assert rows[("org_type", "urgent_care")][2:] == (3, 0.0, 0.0)
    assert rows[("age_band", "65-74")][2:] == (1, pytest.approx(3700.0), pytest.approx(3700.0))
    assert rows[("locality", "South")][2:] == (1, 0.0, 0.0)
    assert rows[("age_band_x_ltc_band", "18-64 / 0")][2:] == (2, 300.0, 150.0)


def test_build_and_spend_on_a_store_opened_from_its_file_and_a_rebuild_changes_nothing(tmp_path, con):
    gp_visit(con, "p1", "2015-05-01")
    register(con, "p1")
    con.close()
    path = tmp_path / "warehouse.duckdb"
    with store.writing(path) as opened:
        first = build_marts(opened)
    with store.writing(path) as opened:
        again = build_marts(opened)
    assert (first.events, again.events) == (1, 1)
    with store.reading(path) as opened:
        total = spend_per_person(opened, "2015/16")[0].total_cost
    assert total == unit_cost("GP_APPOINTMENT", "2015/16")
    with duckdb.connect(str(path)) as reopened:
        assert reopened.execute("SELECT COUNT(*) FROM person_year_segment").fetchone() == (1,)


def test_user_mistakes_get_clear_errors(tmp_path, con):
    with pytest.raises(StoreError, match="no warehouse here"):
        store.writing(tmp_path / "missing.duckdb").__enter__()
    with pytest.raises(BadInput, match="no events"):
        build_marts(con)
    with pytest.raises(BadInput, match="2015/16"):
        spend_per_person(con, "2015-16")
    empty = duckdb.connect(str(tmp_path / "empty.duckdb"))
    with pytest.raises(StoreError, match="acute_apc"):
        build_marts(empty)


def test_the_marts_command_builds_the_warehouse_and_reports_a_missing_one(tmp_path, con, capsys):
    gp_visit(con, "p1", "2015-05-01")
    con.close()
    assert main(["marts", "--warehouse", str(tmp_path / "warehouse.duckdb"), "--quiet"]) == 0
    assert "1 events" in capsys.readouterr().err
    assert main(["marts", "--warehouse", str(tmp_path / "nowhere.duckdb")]) == 5
    assert "no warehouse here" in capsys.readouterr().err


def test_people_with_a_national_opt_out_in_force_at_the_years_end_or_today_are_marked(con):
    for pid in ("never", "withdrawn_2014", "still_out", "type1"):
        register(con, pid, row_key=pid)
        gp_visit(con, pid, "2014-06-01")
        gp_visit(con, pid, "2015-06-01")
    for pid, kind, withdrawn in (
        ("withdrawn_2014", "NDOO", "2014-10-01"),
        ("still_out", "NDOO", None),
        ("type1", "TYPE1", None),
    ):
        insert(
            con,
            "objections",
            pseudo_id=pid,
            objection_type=kind,
            recorded_date=d("2013-01-01"),
            withdrawn_date=d(withdrawn) if withdrawn else None,
        )
    build_marts(con)
    marked = {
        (pid, year)
        for pid in ("never", "withdrawn_2014", "still_out", "type1")
        for year in ("2014/15", "2015/16")
        if segment(con, pid, year)["national_opt_out"]
    }
    # withdrawn in October 2014: no longer in force on 31 March 2015 (governance.objections)
    assert marked == {("still_out", "2014/15"), ("still_out", "2015/16")}


def test_stray_rows_after_the_covered_months_are_left_out_and_counted(con):
    for pid in ("p1", "p2", "p3", "p4"):
        for day in ("2015-04-10", "2015-05-10", "2015-06-10"):
            gp_visit(con, pid, day)
    insert(
        con,
        "acute_ae",
        pseudo_id="p1",
        attendance_id="late",
        provider_code="RZA",
        arrival_datetime="2015-09-01 10:00",
        arrival_mode="2",
        disposal="HOM",
    )
    service(con, "p1", "2015-06-20", None, weekly=70.0)  # runs to 30 June: 11 days
    summary = build_marts(con)
    assert (summary.window.start, summary.window.end) == (d("2015-04-01"), d("2015-06-30"))
    assert (summary.events, summary.outside_window) == (13, 1)
    assert con.execute(
        "SELECT COUNT(*) FROM person_event WHERE source_table = 'acute_ae'"
    ).fetchone() == (0,)
    assert period_costs(con, "person_month_cost", "p1")["2015-06"] == (
        2,
        pytest.approx(110.0 + unit_cost("GP_APPOINTMENT", "2015/16")),
    )
