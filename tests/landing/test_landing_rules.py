"""Each contract rule rejects a row with its file, line, column and rule; valid rows are kept."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from landing_area import (
    AS_OF,
    lineage_sql,
    postcode_rows,
    query,
    query_with_lineage,
    row,
    spell,
    write_feed,
)

from joinedup.identifiers import is_valid_nhs_number
from joinedup.landing import load_paths
from joinedup.landing.rules import nhs_number_valid_sql

# (feed, cells, every (column, rule) the row must be rejected for); one case per line.
BROKEN = [
    ("acute_apc", {"admission_method": ""}, {("admission_method", "required_missing")}),
    ("acute_apc", {"spell_cost": "12,50"}, {("spell_cost", "invalid_type")}),
    (
        "acute_apc",
        {"admission_date": "01/06/2014", "discharge_date": "", "ready_for_discharge_date": ""},
        {("admission_date", "invalid_type")},
    ),
    ("acute_apc", {"discharge_date": "2014-02-30"}, {("discharge_date", "invalid_type")}),
    ("acute_apc", {"admission_method": "99"}, {("admission_method", "invalid_code")}),
    (
        "acute_apc",
        {
            "admission_date": "2014-06-01",
            "discharge_date": "2014-05-01",
            "ready_for_discharge_date": "",
        },
        {("discharge_date", "end_before_start")},
    ),
    (
        "acute_apc",
        {
            "admission_date": "2014-06-01",
            "discharge_date": "2014-06-09",
            "ready_for_discharge_date": "2014-05-30",
        },
        {("ready_for_discharge_date", "end_before_start")},
    ),
    (
        "acute_apc",
        {"admission_date": "2015-04-01", "discharge_date": "", "ready_for_discharge_date": ""},
        {("admission_date", "future_date")},
    ),
    ("acute_apc", {"nhs_number": "12345"}, {("nhs_number", "nhs_number_format")}),
    ("acute_apc", {"nhs_number": "94347659XX"}, {("nhs_number", "nhs_number_format")}),
    ("acute_apc", {"postcode": "SS1"}, {("postcode", "postcode_format")}),
    (
        "acute_apc",
        {"date_of_birth": "2016-01-01"},  # after the as-of day, and so after the admission
        {("date_of_birth", "future_date"), ("date_of_birth", "born_after_event")},
    ),
    (
        "acute_apc",
        {"sex": "7", "nhs_number": "abc", "spell_id": ""},
        {
            ("sex", "invalid_code"),
            ("nhs_number", "nhs_number_format"),
            ("spell_id", "required_missing"),
        },
    ),
    (
        "acute_ae",
        {"arrival_datetime": "2014-05-01 10:00", "departure_datetime": ""},
        {("arrival_datetime", "invalid_type")},
    ),
    (
        "acute_ae",
        {"arrival_datetime": "2014-05-01T10:00", "departure_datetime": "2014-05-01T09:59"},
        {("departure_datetime", "end_before_start")},
    ),
    ("gp_appointments", {"staff_role": "DOCTOR"}, {("staff_role", "invalid_code")}),
    ("experience_survey", {"positive_responses": "12a"}, {("positive_responses", "invalid_type")}),
    ("experience_survey", {"total_responses": "1.0"}, {("total_responses", "invalid_type")}),
    (
        "social_care_events",
        {"event_start_date": "2014-08-01", "event_end_date": "2014-07-31"},
        {("event_end_date", "end_before_start")},
    ),
]

# Valid rows the rules must not reject: tolerated forms and flaws that go to linkage.
VALID = [
    ("acute_apc", {"nhs_number": "943 476 5919"}),
    ("acute_apc", {"nhs_number": "943-476-5919"}),
    ("acute_apc", {"nhs_number": "9434765918"}),  # fails modulus 11: identity's problem
    ("acute_apc", {"nhs_number": ""}),
    ("acute_apc", {"postcode": "ss12ab"}),
    ("acute_apc", {"postcode": "CB1 1AA"}),  # well formed, outside the area
    ("acute_apc", {"postcode": ""}),
    (
        "acute_apc",
        {
            "admission_date": "2015-03-31",
            "discharge_date": "2015-03-31",
            "ready_for_discharge_date": "",
        },
    ),
    ("acute_ae", {"arrival_datetime": "2014-05-01T10:00:30", "departure_datetime": ""}),
    ("experience_survey", {"positive_responses": "-3"}),
]


def _write_cases(folder, cases):
    """One file per feed, the cases in order; returns {(file, line): case}."""
    by_feed: dict[str, list] = {}
    for case in cases:
        by_feed.setdefault(case[0], []).append(case)
    where = {}
    for feed, feed_cases in by_feed.items():
        rows = []
        for number, case in enumerate(feed_cases):
            ids = {
                "spell_id": f"S{number}",
                "attendance_id": f"A{number}",
                "appointment_id": f"P{number}",
                "question_id": f"Q{number}",
                "event_id": f"E{number}",
                "la_person_id": "LA1",
            }
            rows.append(row(feed, "ann", **{**ids, **case[1]}))
            where[(f"{feed}.csv", number + 2)] = case
        write_feed(folder / f"{feed}.csv", feed, rows)
    return where


@pytest.fixture
def loaded(tmp_path, stores):
    folder = tmp_path / "area"
    write_feed(folder / "postcode_lookup.csv", "postcode_lookup", postcode_rows())
    where = _write_cases(folder, BROKEN + VALID)
    summary = load_paths(folder, stores["warehouse"], stores["vault"], AS_OF, progress=False)
    return where, summary, stores


def test_every_broken_row_is_rejected_with_every_reason_and_no_other(loaded):
    where, _, stores = loaded
    found: dict[tuple, set] = {}
    for file, line, column, rule in query(
        stores["warehouse"], "SELECT file, line, column_name, rule FROM rejections"
    ):
        found.setdefault((file, line), set()).add((column, rule))
    expected = {at: case[2] for at, case in where.items() if len(case) == 3}
    assert found == expected


def test_rows_read_equal_rows_accepted_plus_rejected_for_every_file(loaded):
    _, summary, stores = loaded
    counts = query(
        stores["warehouse"], "SELECT file, rows_read, rows_accepted, rows_rejected FROM load_files"
    )
    assert len(counts) == 6
    for file, read, accepted, rejected in counts:
        assert read == accepted + rejected, file
    assert summary.rows_read == len(BROKEN) + len(VALID) + len(postcode_rows())
    assert summary.rows_rejected == len(BROKEN)
    landed = query(stores["warehouse"], "SELECT count(*) FROM acute_apc")[0][0]
    assert landed == sum(1 for case in VALID if case[0] == "acute_apc")


def test_quarantine_keeps_each_rejected_row_as_sent_with_its_reasons(loaded):
    where, _, stores = loaded
    with duckdb.connect(str(stores["vault"]), read_only=True) as vault:
        rows = vault.execute(
            "SELECT file, line, raw_values, reasons FROM quarantine WHERE kind = 'rejected_row'"
        ).fetchall()
    assert len(rows) == len(BROKEN)
    for file, line, raw_values, reasons in rows:
        feed, cells, expected = where[(file, line)]
        sent = json.loads(raw_values)
        assert all(sent[name] == value for name, value in cells.items())  # "" as sent
        assert {(r["column_name"], r["rule"]) for r in json.loads(reasons)} == expected


def test_a_postcode_outside_the_area_is_valid_but_not_in_the_area(loaded):
    _, _, stores = loaded
    places = query_with_lineage(
        stores, lineage_sql("acute_apc", "w.postcode_in_area, w.lsoa_code") + " ORDER BY l.line"
    )
    # VALID acute_apc rows in order: 4 with Ann's own postcode, ss12ab, CB1 1AA, blank, Ann's.
    assert places == [(True, "E01000001")] * 4 + [
        (True, "E01000001"),
        (False, None),
        (None, None),
        (True, "E01000001"),
    ]


def test_the_as_of_date_decides_what_is_in_the_future(tmp_path, stores):
    folder = tmp_path / "area"
    write_feed(
        folder / "acute_apc.csv",
        "acute_apc",
        [spell("ann", "2015-04-01")],
    )
    later = load_paths(folder, stores["warehouse"], stores["vault"], dt.date(2015, 4, 1), False)
    assert later.rows_rejected == 0


def test_the_sql_nhs_number_check_agrees_with_the_nhs_number_type():
    numbers = [
        "9434765919",
        "9434765918",
        "1111111111",
        "0000000000",
        "4010232137",
        "4010232138",
        "1234567881",
        "1234567890",
        "9876543210",
    ]
    numbers += [f"{n:010d}" for n in range(400000000, 4000000000, 36028797)]
    with duckdb.connect() as con:
        checked = con.execute(
            f"SELECT n, {nhs_number_valid_sql('n')} FROM unnest(?) AS t(n)", [numbers]
        ).fetchall()
    assert {n: bool(v) for n, v in checked} == {n: is_valid_nhs_number(n) for n in numbers}
    assert any(v for _, v in checked) and not all(v for _, v in checked)
