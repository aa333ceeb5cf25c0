"""Loads are idempotent, incremental and atomic; the warehouse holds no identifier."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from landing_area import (
    AS_OF,
    PEOPLE,
    base_area,
    lineage_sql,
    query,
    query_with_lineage,
    row,
    snapshot,
    spell,
    text_values,
    token,
    write_feed,
)

from joinedup.landing import load_paths, write
from joinedup.landing.quality import quality_report
from joinedup.warehouse import store


def land(folder, stores, as_of=AS_OF):
    return load_paths(folder, stores["warehouse"], stores["vault"], as_of, progress=False)


def test_loading_the_same_files_twice_changes_nothing(area, stores):
    land(area, stores)
    before = snapshot(stores["warehouse"])
    again = land(area, stores)
    assert again.files_already_loaded == 4 and again.files_loaded == 0
    assert snapshot(stores["warehouse"]) == before
    assert before["acute_apc"] and before["person"]


def test_next_month_adds_and_a_repeated_key_replaces(tmp_path, stores):
    folder = tmp_path / "area"
    write_feed(
        folder / "acute_apc" / "2014-06.csv",
        "acute_apc",
        [
            spell("ann", "2014-06-01", spell_id="S1"),
            spell("bob", "2014-06-03", spell_id="S2"),
        ],
    )
    land(folder, stores)
    write_feed(
        folder / "acute_apc" / "2014-07.csv",
        "acute_apc",
        [
            spell("ann", "2014-06-01", "2014-07-02", spell_id="S1"),
            spell("cat", "2014-07-05", spell_id="S3"),
        ],
    )
    second = land(folder, stores)
    assert second.files_already_loaded == 1 and second.files_loaded == 1
    spells = query_with_lineage(
        stores, lineage_sql("acute_apc", "w.spell_id, w.discharge_date, l.file, w._load_id")
    )
    assert sorted(spells, key=repr) == sorted(
        [
            (token(stores, "S1"), dt.date(2014, 7, 2), "acute_apc/2014-07.csv", 2),
            (token(stores, "S2"), None, "acute_apc/2014-06.csv", 1),
            (token(stores, "S3"), None, "acute_apc/2014-07.csv", 2),
        ],
        key=repr,
    )


def test_within_one_load_the_last_row_sent_for_a_key_wins(tmp_path, stores):
    folder = tmp_path / "area"
    write_feed(
        folder / "acute_apc.csv",
        "acute_apc",
        [
            row("acute_apc", "ann", spell_id="S1", spell_cost="100"),
            row("acute_apc", "ann", spell_id="S1", spell_cost="250"),
        ],
    )
    land(folder, stores)
    assert query_with_lineage(stores, lineage_sql("acute_apc", "w.spell_cost, l.line")) == [
        (250.0, 3)
    ]


def test_a_load_failing_after_its_first_table_leaves_the_warehouse_unchanged(
    tmp_path, stores, monkeypatch
):
    land(base_area(tmp_path / "first"), stores)
    before = snapshot(stores["warehouse"])
    folder = tmp_path / "second"
    write_feed(folder / "acute_apc.csv", "acute_apc", [row("acute_apc", "cat", spell_id="S9")])
    write_feed(folder / "deaths.csv", "deaths", [row("deaths", "bob")])
    written = []

    def write_then_fail(con, feed, load_id):
        original(con, feed, load_id)
        written.append(feed.name)
        raise RuntimeError("injected failure")

    original = write.write_event_feed
    monkeypatch.setattr(write, "write_event_feed", write_then_fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        land(folder, stores)
    assert written == ["acute_apc"]
    assert snapshot(stores["warehouse"]) == before


KILLER = """
import os, signal, sys, datetime as dt
from joinedup.landing import load_paths, write
from joinedup.landing.quality import quality_report
from joinedup.warehouse import store
def die(con):
    os.kill(os.getpid(), signal.SIGKILL)
write.write_people = die
load_paths(sys.argv[1], sys.argv[2], sys.argv[3], dt.date(2015, 3, 31), progress=False)
"""


def test_a_load_killed_before_it_commits_leaves_the_warehouse_unchanged(tmp_path, stores):
    land(base_area(tmp_path / "first"), stores)
    before = snapshot(stores["warehouse"])
    folder = tmp_path / "second"
    write_feed(folder / "acute_apc.csv", "acute_apc", [row("acute_apc", "cat", spell_id="S9")])
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(folder), str(stores["warehouse"]), str(stores["vault"])],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": "src"},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-500:]
    assert snapshot(stores["warehouse"]) == before
    land(folder, stores)  # a re-run after the kill completes normally
    assert query(
        stores["warehouse"],
        "SELECT count(*) FROM acute_apc WHERE spell_id = ?",
        [token(stores, "S9")],
    ) == [(1,)]


def test_no_identifier_of_the_input_reaches_the_warehouse(area, stores):
    land(area, stores)
    identifiers = {"LA7731"}
    for person in PEOPLE.values():
        nhs = person["nhs_number"]
        identifiers |= {
            nhs,
            f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
            person["given_name"],
            person["family_name"],
            person["date_of_birth"],
            person["postcode"],
            person["postcode"].replace(" ", ""),
        }
    texts = text_values(stores["warehouse"])
    assert len(texts) > 20
    leaks = {i for i in identifiers for text in texts if i.lower() in text.lower()}
    assert leaks == set()


def test_rows_carry_pseudo_id_age_geography_and_the_person_table(area, stores):
    land(area, stores)
    ann = query(
        stores["warehouse"],
        "SELECT pseudo_id, age_at_admission_date, age_at_discharge_date,"
        " postcode_in_area, lsoa_code, ward_code, locality, imd_decile FROM acute_apc"
        " WHERE spell_id = ?",
        [token(stores, "S1")],
    )[0]
    pseudonym = query(
        stores["warehouse"], "SELECT pseudonym FROM pseudonyms WHERE pseudo_id = ?", [ann[0]]
    )
    assert isinstance(ann[0], int) and len(pseudonym[0][0]) == 64  # a number, and its pseudonym
    assert ann[1:] == (73, 73, True, "E01000001", "E05000001", "Central", 3)
    assert query(
        stores["warehouse"], "SELECT sex, birth_month FROM person WHERE pseudo_id = ?", [ann[0]]
    ) == [("2", "1940-06")]
    same_person = query(
        stores["warehouse"], "SELECT count(*) FROM gp_register WHERE pseudo_id = ?", [ann[0]]
    )
    assert same_person == [(1,)]
    outside = query(
        stores["warehouse"],
        "SELECT postcode_in_area, lsoa_code FROM gp_register WHERE age_at_registration_date = 69",
    )
    assert outside == [(False, None)]  # Cat's SS9 9ZZ is well formed but not in the area


def test_linkage_outcomes_count_every_accepted_person_level_row(area, stores):
    land(area, stores)
    outcomes = dict(
        query(stores["warehouse"], "SELECT feed, sum(rows) FROM linkage_outcomes GROUP BY feed")
    )
    assert outcomes == {"gp_register": 3, "acute_apc": 2, "social_care_events": 1}
    by_nhs = query(
        stores["warehouse"],
        "SELECT rows FROM linkage_outcomes WHERE feed = 'acute_apc' AND link_method = 'nhs_number'",
    )
    assert by_nhs == [(2,)]


def _objection(person, kind, recorded="2014-01-01", withdrawn=""):
    return row(
        "objections", person, objection_type=kind, recorded_date=recorded, withdrawn_date=withdrawn
    )


def test_gp_rows_of_an_active_type1_objector_are_not_landed(area, stores):
    write_feed(
        area / "objections.csv",
        "objections",
        [
            _objection("ann", "TYPE1"),
            _objection("bob", "TYPE1", withdrawn="2014-06-01"),
            _objection("cat", "NDOO", recorded="2014-02-01"),
        ],
    )
    write_feed(
        area / "gp_conditions.csv",
        "gp_conditions",
        [
            row("gp_conditions", "ann", condition="DEM"),
            row("gp_conditions", "bob", condition="DEM"),
        ],
    )
    land(area, stores)
    effects = query(
        stores["warehouse"], "SELECT feed, rows_not_landed FROM objection_effects ORDER BY feed"
    )
    assert effects == [("gp_conditions", 1), ("gp_register", 1), ("social_care_events", 0)]
    assert query(stores["warehouse"], "SELECT count(*) FROM gp_register") == [(2,)]
    assert query(stores["warehouse"], "SELECT count(*) FROM gp_conditions") == [(1,)]
    assert query(stores["warehouse"], "SELECT count(*) FROM acute_apc") == [(2,)]  # not GP data
    recorded = query(
        stores["warehouse"],
        "SELECT objection_type, recorded_date, withdrawn_date"
        " FROM objections ORDER BY objection_type, withdrawn_date NULLS FIRST",
    )
    assert recorded == [
        ("NDOO", dt.date(2014, 2, 1), None),
        ("TYPE1", dt.date(2014, 1, 1), None),
        ("TYPE1", dt.date(2014, 1, 1), dt.date(2014, 6, 1)),
    ]


def test_a_type1_objection_arriving_later_removes_the_gp_rows_already_landed(area, stores):
    land(area, stores)
    later = area.parent / "later"
    write_feed(later / "objections.csv", "objections", [_objection("bob", "TYPE1")])
    land(later, stores)
    assert query(
        stores["warehouse"],
        "SELECT feed, rows_not_landed, rows_removed FROM objection_effects WHERE load_id = 2",
    ) == [("gp_register", 0, 1)]
    assert query(stores["warehouse"], "SELECT count(*) FROM gp_register") == [(2,)]


def _council_row_with_nhs_number(folder):
    write_feed(folder / "social_care_events.csv", "social_care_events", [
        row("social_care_events", "cat", event_id="E1", la_person_id="LA7731",
            event_start_date="2014-08-01", event_end_date="")])  # fmt: skip


def test_council_rows_of_a_social_care_opt_out_are_not_landed_and_counted(area, stores):
    _council_row_with_nhs_number(area)
    write_feed(area / "objections.csv", "objections", [_objection("cat", "SC_DISSENT")])
    land(area, stores)
    assert query(stores["warehouse"], "SELECT count(*) FROM social_care_events") == [(0,)]
    assert query(
        stores["warehouse"],
        "SELECT count(*) FROM gp_register r JOIN objections o USING (pseudo_id)",
    ) == [(1,)]  # the NHS rows of the same person still land
    assert query(
        stores["warehouse"],
        "SELECT feed, rows_not_landed, rows_removed FROM objection_effects WHERE rows_not_landed > 0",
    ) == [("social_care_events", 1, 0)]
    with store.reading(stores["warehouse"]) as con:
        report = quality_report(con)
    council = report.feeds["social_care_events"]
    assert (council["sc_dissent_rows_not_landed"], council["type1_rows_not_landed"]) == (1, 0)


def test_a_social_care_opt_out_arriving_later_removes_the_council_rows(area, stores):
    _council_row_with_nhs_number(area)
    land(area, stores)
    assert query(stores["warehouse"], "SELECT count(*) FROM social_care_events") == [(1,)]
    later = area.parent / "later"
    write_feed(later / "objections.csv", "objections", [_objection("cat", "SC_DISSENT")])
    land(later, stores)
    assert query(stores["warehouse"], "SELECT count(*) FROM social_care_events") == [(0,)]
    assert query(
        stores["warehouse"],
        "SELECT feed, rows_not_landed, rows_removed FROM objection_effects WHERE load_id = 2",
    ) == [("social_care_events", 0, 1)]


def test_earlier_rows_take_the_age_a_later_date_of_birth_gives(tmp_path, stores):
    first, second = tmp_path / "first", tmp_path / "second"
    write_feed(
        first / "acute_apc.csv",
        "acute_apc",
        [spell("ann", "2014-06-01", spell_id="S1", date_of_birth="1941-06-15")],
    )
    land(first, stores)
    assert query(stores["warehouse"], "SELECT age_at_admission_date FROM acute_apc") == [(72,)]
    write_feed(second / "gp_register.csv", "gp_register", [row("gp_register", "ann")])
    land(second, stores)  # the GP register (PDS-traced) says 1940-06-15
    assert query(stores["warehouse"], "SELECT age_at_admission_date FROM acute_apc") == [(73,)]
    assert query(stores["warehouse"], "SELECT birth_month FROM person") == [("1940-06",)]


def test_source_record_ids_are_keyed_tokens_that_still_join_feeds(area, stores):
    write_feed(
        area / "delayed_transfers.csv",
        "delayed_transfers",
        [
            row(
                "delayed_transfers",
                "ann",
                delay_id="D1",
                spell_id="S1",
                ready_date="2014-06-08",
                transfer_date="2014-06-10",
            )
        ],
    )
    land(area, stores)
    texts = set(text_values(stores["warehouse"]))
    assert not {"S1", "S2", "E1", "D1"} & texts  # a PAS or Care First id never lands as sent
    joined = query(
        stores["warehouse"],
        "SELECT count(*) FROM delayed_transfers d JOIN acute_apc a USING (provider_code, spell_id)",
    )
    assert query(stores["warehouse"], "SELECT rule, column_name FROM rejections") == []
    spells = query(
        stores["warehouse"],
        "SELECT spell_id FROM delayed_transfers UNION ALL SELECT spell_id FROM acute_apc"
        " WHERE spell_id IN (SELECT spell_id FROM delayed_transfers)",
    )
    assert joined == [(1,)] and spells == [(token(stores, "S1"),)] * 2
