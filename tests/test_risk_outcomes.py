from datetime import date, datetime

import numpy as np
import pytest
from record_tokens import person_numbers
from risk_area import Warehouse

from joinedup.risk.features import build_features
from joinedup.risk.outcomes import build_outcomes, cost_in_window, top_share
from joinedup.warehouse.pseudonyms import numbers_of

INDEX, END = date(2014, 4, 1), date(2015, 4, 1)


def outcomes_by_person(w: Warehouse) -> dict[str, dict[str, int]]:
    table = build_features(w.con, INDEX)
    found = build_outcomes(w.con, table)
    return {
        pid: {name: int(values[i]) for name, values in found.items()}
        for i, pid in enumerate(w.pseudonyms(table.pseudo_ids))
    }


def test_emergency_admission_is_a_ga_emergency_spell_in_the_twelve_months(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    for pid in ("in_window", "last_day", "day_before", "window_end", "maternity", "elective"):
        w.person(pid)
    w.spell("in_window", date(2014, 4, 1))
    w.spell("last_day", date(2015, 3, 31))
    w.spell("day_before", date(2014, 3, 31))
    w.spell("window_end", END)
    w.spell("maternity", date(2014, 6, 1), specialty="501")
    w.spell("elective", date(2014, 6, 1), method="11")
    got = {pid: o["emergency_admission"] for pid, o in outcomes_by_person(w).items()}
    assert got == {
        "in_window": 1,
        "last_day": 1,
        "day_before": 0,
        "window_end": 0,
        "maternity": 0,
        "elective": 0,
    }


def test_permanent_care_counts_admissions_not_moves_between_homes(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    for pid in ("admitted", "moved", "respite", "already_in"):
        w.person(pid)
    nursing = {"service_type": "LTS_NURSING", "component": "NURSING_PLACEMENT"}
    w.service("admitted", date(2014, 9, 1), placement="PERMANENT", **nursing)
    w.service("moved", date(2013, 1, 1), end=date(2014, 8, 31), placement="PERMANENT", **nursing)
    w.service(
        "moved",
        date(2014, 9, 1),
        placement="PERMANENT",
        service_type="LTS_RESIDENTIAL",
        component="RESIDENTIAL_PLACEMENT",
    )
    w.service("respite", date(2014, 9, 1), placement="RESPITE", **nursing)
    w.service("already_in", date(2012, 1, 1), placement="PERMANENT", **nursing)
    got = {pid: o["permanent_care"] for pid, o in outcomes_by_person(w).items()}
    assert got == {"admitted": 1, "moved": 0, "respite": 0, "already_in": 0}


def test_cost_uses_own_cost_else_unit_cost_and_prorates_social_care(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    w.person("a")
    w.spell("a", date(2014, 5, 1), cost=2500.0)
    w.spell("a", date(2014, 6, 1))  # no own cost: NEL_SPELL unit cost 1800
    w.row("acute_ae", "a", attendance_id="x", arrival_datetime=datetime(2015, 3, 31, 23, 0))
    w.service("a", date(2015, 3, 18), weekly_cost=70.0)  # 14 days in the window
    w.spell("a", END)  # after the window
    people = np.array(numbers_of(w.con, ["a", "nobody"]), dtype=object)
    costs = cost_in_window(w.con, people, INDEX, END)
    assert costs.tolist() == pytest.approx([2500 + 1800 + 130 + 140, 0])


def test_cost_comes_from_the_marts_when_they_are_built(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    w.con.execute(
        "CREATE TABLE person_year_cost (pseudo_id INTEGER, period VARCHAR, "
        "org_type VARCHAR, events BIGINT, cost_gbp DOUBLE)"
    )
    (a,) = person_numbers(w.con, ["a"])
    w.con.execute(
        f"INSERT INTO person_year_cost VALUES ({a}, '2014/15', 'acute', 1, 100), "
        f"({a}, '2014/15', 'social_care', 1, 50), ({a}, '2015/16', 'acute', 1, 999)"
    )
    costs = cost_in_window(w.con, np.array([a], dtype=object), INDEX, END)
    assert costs.tolist() == [150]


def test_high_cost_is_the_top_five_percent_with_some_cost():
    values = np.arange(40, dtype=float)  # ceil(5% of 40) = 2 people
    assert np.flatnonzero(top_share(values, 0.05)).tolist() == [38, 39]
    assert top_share(np.zeros(10), 0.05).sum() == 0
