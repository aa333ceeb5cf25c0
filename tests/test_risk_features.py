from datetime import date, datetime

import numpy as np
from risk_area import Warehouse

from joinedup.risk.features import add_months, build_features
from joinedup.warehouse.pseudonyms import number_sql

INDEX = date(2014, 4, 1)


def features_of(w: Warehouse, pid: str, index: date = INDEX) -> dict[str, float]:
    table = build_features(w.con, index)
    row = w.pseudonyms(table.pseudo_ids).index(pid)
    return dict(zip(table.names, table.matrix[row], strict=True))


def busy_person(w: Warehouse, pid: str = "a") -> None:
    """Someone with a little of everything, all before the index date."""
    w.person(pid, birth_month="1934-05", sex="2", imd=3)
    w.condition(pid, "HF", date(2010, 1, 1))
    w.condition(pid, "DEM", date(2013, 1, 1))
    w.condition(pid, "AST", date(2000, 1, 1), resolved=date(2012, 1, 1))
    w.medicine(pid, "0206010F0AAAAAA", date(2014, 3, 1))
    w.medicine(pid, "0206010F0AAABAB", date(2014, 3, 2))  # same substance, other presentation
    w.medicine(pid, "0212000AAAAAAAA", date(2014, 2, 1))
    w.medicine(pid, "0407010H0AAAMAM", date(2013, 12, 1))  # more than 90 days before
    w.ae(pid, date(2014, 3, 30))
    w.ae(pid, date(2013, 9, 1))  # 7 months before: in the 12 months, not the 6
    w.spell(pid, date(2014, 1, 10), days=5)
    w.spell(pid, date(2013, 3, 25), days=10)  # 3 of its nights fall in the 12 months
    w.spell(pid, date(2013, 11, 1), days=0, method="12")
    w.service(pid, date(2013, 6, 1), reason="MEMORY_COGNITION")
    w.service(pid, date(2012, 1, 1), end=date(2013, 3, 1), weekly_cost=50.0)  # ended before a year
    w.carer(pid, date(2012, 5, 1), end=date(2013, 12, 1))  # a carer who stopped caring
    w.carer(pid, date(2011, 5, 1), end=date(2012, 12, 1))  # one who stopped longer ago
    w.assessment(pid, date(2014, 1, 15), reason="SOCIAL_SUPPORT")
    w.row("mental_health_contacts", pid, contact_id="m1", contact_date=date(2013, 10, 1))
    w.row("urgent_care_contacts", pid, contact_id="u1", service="AMBULANCE",
          contact_datetime=datetime(2014, 3, 31, 23, 59), outcome="CONVEYED")  # fmt: skip
    w.insert("eol_register", pseudo_id=pid, added_date=date(2014, 2, 1))
    w.row("delayed_transfers", pid, delay_id="d1", ready_date=date(2014, 1, 12), reason="E",
          agency="SC")  # fmt: skip


def test_each_feature_counts_what_its_name_says(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    busy_person(w)
    f = features_of(w, "a")
    assert f["age"] == 79  # born May 1934, aged 79 at the end of March 2014
    assert (f["female"], f["imd_decile"]) == (1, 3)
    assert (f["ltc_count"], f["reg_hf"], f["reg_dem"], f["reg_ast"]) == (2, 1, 1, 0)
    assert f["medicines_90d"] == 2
    assert (f["ae_6m"], f["ae_12m"]) == (1, 2)
    assert (f["emergency_6m"], f["emergency_12m"], f["elective_12m"]) == (1, 1, 1)
    assert f["bed_days_12m"] == 5 + 3 + 0
    assert (f["memory_assessment_12m"], f["mh_contacts_12m"], f["ambulance_12m"]) == (1, 1, 1)
    assert (f["eol_register"], f["delayed_transfers_12m"]) == (1, 1)
    assert (f["sc_home_care"], f["sc_weekly_cost"], f["sc_memory_cognition"]) == (1, 200, 1)
    assert f["sc_permanent_care"] == 0
    assert (f["sc_carer_known"], f["sc_carer_stopped_12m"], f["sc_social_support"]) == (0, 1, 1)
    assert f["sc_package_increase_12m"] == 200  # 200 a week now, nothing a year before
    assert f["sc_months_since_assessment"] == 2  # 75 days before the last day


def test_social_care_signal_features_of_people_with_a_carer_or_a_shrinking_package(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    w.person("cared_for")
    w.carer("cared_for", date(2013, 1, 1))
    w.service("cared_for", date(2012, 1, 1), end=date(2013, 9, 1), weekly_cost=300.0)
    w.service("cared_for", date(2013, 9, 2), weekly_cost=150.0)  # a smaller package
    w.person("unknown")
    cared_for, unknown = features_of(w, "cared_for"), features_of(w, "unknown")
    assert (cared_for["sc_carer_known"], cared_for["sc_carer_stopped_12m"]) == (1, 0)
    assert cared_for["sc_package_increase_12m"] == 0
    assert cared_for["sc_months_since_assessment"] == unknown["sc_months_since_assessment"] == 36
    assert unknown["sc_social_support"] == unknown["sc_carer_known"] == 0


def test_population_is_alive_and_registered_the_day_before_the_index_date(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    w.person("kept")
    w.person("dead")
    w.insert("deaths", pseudo_id="dead", date_of_death=date(2014, 3, 31), place_of_death="HOME")
    w.person("late", registered=INDEX)
    w.person("left")
    w.con.execute(
        "UPDATE gp_register SET deregistration_date = DATE '2014-03-31'"
        f" WHERE pseudo_id = {number_sql(repr('left'))}"
    )
    w.person("dies_later")
    w.insert("deaths", pseudo_id="dies_later", date_of_death=INDEX, place_of_death="HOME")
    assert sorted(w.pseudonyms(build_features(w.con, INDEX).pseudo_ids)) == ["dies_later", "kept"]


def test_no_feature_uses_data_from_the_index_date_on(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    busy_person(w, "a")
    w.person("b", birth_month="1990-01", sex="1")
    before = build_features(w.con, INDEX)
    for pid in ("a", "b"):
        future(w, pid)
    after = build_features(w.con, INDEX)
    assert list(after.pseudo_ids) == list(before.pseudo_ids)
    np.testing.assert_array_equal(after.matrix, before.matrix)
    assert after.names == before.names
    assert (after.practices == before.practices).all()


def future(w: Warehouse, pid: str) -> None:
    """Every kind of event, dated on or after the index date; and open rows closed after it."""
    for day in (INDEX, date(2014, 6, 1)):
        busy_events_on(w, pid, day)
    w.con.execute(
        f"UPDATE gp_conditions SET resolved_date = DATE '2014-05-01' "
        f"WHERE pseudo_id = {number_sql(repr(pid))} AND resolved_date IS NULL"
    )
    w.con.execute(
        f"UPDATE social_care_events SET event_end_date = DATE '2014-05-01' "
        f"WHERE pseudo_id = {number_sql(repr(pid))} AND event_end_date IS NULL"
    )
    w.con.execute(
        "UPDATE gp_register SET deregistration_date = DATE '2014-07-01'"
        f" WHERE pseudo_id = {number_sql(repr(pid))}"
    )
    w.insert("deaths", pseudo_id=pid, date_of_death=date(2014, 8, 1), place_of_death="HOSPITAL")


def busy_events_on(w: Warehouse, pid: str, day: date) -> None:
    for code in ("COPD", "CKD"):
        w.condition(pid, code, day)
    w.medicine(pid, "0101010A0AAAAAA", day)
    w.ae(pid, day)
    w.spell(pid, day, days=10)
    w.spell(pid, day, method="11")
    w.service(
        pid,
        day,
        service_type="LTS_NURSING",
        component="NURSING_PLACEMENT",
        placement="PERMANENT",
        reason="MEMORY_COGNITION",
    )
    w.service(pid, day, service_type="STS_REABLEMENT", component="OTHER")
    w.row(
        "social_care_events", pid, client_type="CARER", event_type="REQUEST", event_start_date=day
    )
    w.carer(pid, day)
    w.assessment(pid, day, reason="SOCIAL_SUPPORT")
    w.service(pid, day, weekly_cost=900.0, reason="SOCIAL_SUPPORT")
    w.row("gp_appointments", pid, appointment_date=day)
    w.row("community_contacts", pid, contact_date=day)
    w.row("mental_health_contacts", pid, contact_date=day)
    w.row("urgent_care_contacts", pid, contact_datetime=datetime.combine(day, datetime.min.time()))
    w.row("delayed_transfers", pid, ready_date=day)
    w.insert("eol_register", pseudo_id=pid, added_date=day)
    w.register(pid, practice="P3", registered=day)  # a new registration from the index date


def test_the_future_events_do_change_features_at_a_later_index_date(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    w.person("b", birth_month="1990-01", sex="1")
    busy_events_on(w, "b", INDEX)
    f = features_of(w, "b", date(2014, 5, 1))
    assert f["ae_6m"] == 1 and f["sc_permanent_care"] == 1 and f["ltc_count"] == 2


def test_add_months_clips_to_the_end_of_shorter_months():
    assert add_months(date(2015, 3, 31), -1) == date(2015, 2, 28)
    assert add_months(date(2014, 4, 1), -6) == date(2013, 10, 1)
    assert add_months(date(2014, 4, 1), 12) == date(2015, 4, 1)
