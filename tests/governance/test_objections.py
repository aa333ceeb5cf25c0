"""One rule for when an objection is in force, used by landing, the marts, risk and the service."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pytest

from joinedup.governance import objections
from joinedup.warehouse import schema

# The people by name; the warehouse holds their numbers.
NUMBER = {"always": 1, "withdrawn": 2, "later": 3, "type1": 4, "nobody": 5}
NAME = {number: name for name, number in NUMBER.items()}


@pytest.fixture()
def con():
    con = duckdb.connect()
    schema.create_all(con)
    rows = [
        ("always", "NDOO", "2014-01-01", None),
        ("withdrawn", "NDOO", "2014-01-01", "2015-06-01"),
        ("later", "NDOO", "2015-09-01", "2015-12-01"),
        ("type1", "TYPE1", "2014-01-01", None),
    ]
    for pid, kind, recorded, withdrawn in rows:
        con.execute(
            "INSERT INTO objections (pseudo_id, objection_type, recorded_date, withdrawn_date)"
            " VALUES (?, ?, ?, ?)",
            [NUMBER[pid], kind, recorded, withdrawn],
        )
    yield con
    con.close()


def ids(con, sql: str) -> set[str]:
    return {NAME[row[0]] for row in con.execute(sql).fetchall()}


def test_in_force_from_the_recorded_day_until_the_withdrawn_day(con):
    assert ids(con, objections.in_force_sql("NDOO", date(2015, 5, 31))) == {"always", "withdrawn"}
    assert ids(con, objections.in_force_sql("NDOO", date(2015, 6, 1))) == {"always"}
    assert ids(con, objections.in_force_sql("NDOO", date(2015, 9, 1))) == {"always", "later"}
    assert ids(con, objections.in_force_sql("TYPE1", date(2013, 12, 31))) == set()


def test_a_person_level_use_leaves_out_who_is_opted_out_then_or_still(con):
    assert ids(con, objections.opted_out_sql(date(2015, 5, 1))) == {"always", "withdrawn"}
    assert ids(con, objections.opted_out_sql(date(2015, 7, 1))) == {"always"}
    people = np.array([NUMBER[p] for p in ("always", "withdrawn", "later", "type1", "nobody")])
    assert objections.allowed(con, people, date(2015, 10, 1)).tolist() == [
        False,
        True,
        False,
        True,
        True,
    ]


def test_the_marts_flag_uses_the_same_rule_on_the_years_last_day(con):
    sql = objections.opted_out_condition("DATE '2016-03-31'")
    flagged = ids(con, f"SELECT DISTINCT o.pseudo_id FROM objections o WHERE {sql}")
    assert flagged == {"always"}  # opted out and back within the year: not flagged
