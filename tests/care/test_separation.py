"""Role separation within tier I and the DIRECT objection (GOVERNANCE.md): a social worker sees no
GP-sourced row and no diagnosis; a GP sees social care rows; with a DIRECT objection each viewer
sees only the rows their own organisation sent, and is told so."""

import pytest
from care_register import write_register

from joinedup.governance.separation import DIRECT_NOTICE, TIER_I_FEEDS, columns, filter_record

ROWS = {
    "gp_conditions": [{"pseudo_id": "x", "practice_code": "P81001", "condition": "DM",
                       "diagnosed_date": "2014-01-01", "_source_line": 4}],
    "acute_apc": [{"pseudo_id": "x", "spell_id": "S1", "provider_code": "RZA",
                   "admission_date": "2015-01-01", "primary_diagnosis": "S720",
                   "secondary_diagnoses": "I10", "hrg_code": "HA11A", "main_specialty": "430"}],
    "acute_ae": [{"pseudo_id": "x", "provider_code": "RZA", "disposal": "01"}],
    "mental_health_contacts": [{"pseudo_id": "x", "team_type": "CMHT"}],
    "community_contacts": [{"pseudo_id": "x", "service": "FALLS", "contact_date": "2015-02-01"}],
    "social_care_events": [{"pseudo_id": "x", "event_type": "SERVICE", "la_person_id": "LA1"}],
    "deaths": [{"pseudo_id": "x", "date_of_death": "2016-01-01", "underlying_cause": "C34"}],
}  # fmt: skip
DIAGNOSIS_COLUMNS = {"condition", "primary_diagnosis", "secondary_diagnoses", "hrg_code",
                     "underlying_cause", "main_specialty"}  # fmt: skip


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    return write_register(tmp_path_factory.mktemp("sep"))


def test_a_social_worker_sees_no_gp_feed_no_diagnosis_and_no_mental_health(register):
    seen = filter_record(register, "social_worker", "E06000033", ROWS, False).rows
    assert not any(feed.startswith("gp_") for feed in seen)
    assert "mental_health_contacts" not in seen and "acute_ae" not in seen
    shown = {c for rows in seen.values() for row in rows for c in row}
    assert not shown & DIAGNOSIS_COLUMNS
    assert seen["acute_apc"] == [{"provider_code": "RZA", "admission_date": "2015-01-01",
                                  "discharge_date": None, "admission_method": None,
                                  "patient_classification": None, "discharge_method": None,
                                  "discharge_destination": None, "ready_for_discharge_date": None}]  # fmt: skip
    assert {"social_care_events", "community_contacts", "deaths"} <= set(seen)


@pytest.mark.parametrize("role", ["gp", "clinician"])
def test_gps_and_clinicians_see_every_feed_with_its_detail(register, role):
    seen = filter_record(register, role, "P81001", ROWS, False)
    assert set(seen.rows) == set(ROWS)
    assert seen.rows["social_care_events"][0]["event_type"] == "SERVICE"
    assert seen.rows["acute_apc"][0]["primary_diagnosis"] == "S720"
    assert seen.notice is None


def test_no_pseudonym_lineage_or_council_id_column_is_ever_shown(register):
    for role in ("gp", "clinician", "social_worker"):
        for feed in TIER_I_FEEDS:
            assert not {"pseudo_id", "_source_line", "_source_file", "_row_id", "la_person_id",
                        "nhs_number"} & set(columns(role, feed))  # fmt: skip


def test_a_direct_objection_shows_only_the_viewers_own_organisations_rows(register):
    gp = filter_record(register, "gp", "P81001", ROWS, True)
    assert {f for f, rows in gp.rows.items() if rows} == {"gp_conditions"}
    assert gp.objected and gp.notice == DIRECT_NOTICE
    hospital = filter_record(register, "clinician", "RZA", ROWS, True)
    assert {f for f, rows in hospital.rows.items() if rows} == {"acute_apc", "acute_ae"}
    council = filter_record(register, "social_worker", "E06000033", ROWS, True)
    assert {f for f, rows in council.rows.items() if rows} == {"social_care_events", "deaths"}
    other_practice = filter_record(register, "gp", "P81002", ROWS, True)
    assert not any(other_practice.rows.values())
