"""Breakdowns (metrics.md "Breakdowns"): each dimension's groups on a hand-made area, a person
counted in every group one of their events falls in, and `joinedup metrics --by`."""

import json

import pytest
from spec_area import approx, area_fixture  # noqa: F401 (provides the `area` fixture)
from test_spec_random_areas import build_random_area

from joinedup import cli
from joinedup.metrics import engine
from joinedup.report.breakdowns import breakdown_tables
from joinedup.warehouse import store


def grouped(area, metric_id: str, by: str, period: str) -> dict:
    """{group: (numerator, denominator)} of one metric and period, engine equal to reference."""
    computed = area.records([metric_id], ("2015-04", "2016-03"), by=by)
    return {
        r["group"]: (r["numerator"], r["denominator"])
        for r in computed
        if r["period"] == period and r["by"] == by
    }


@pytest.fixture(name="discharges")
def discharges_fixture(area):
    """Three resident discharges in April 2015 (a Saturday, a Monday, a Sunday) and one from
    outside. c has no postcode of its own: its ward is that of its registration at admission."""
    area.add(
        "geography",
        """
        lsoa_code | ward_code | ward_name | locality | imd_decile
        E02       | W2        | Ward two  | South    | 7
        E03       | W2        | Ward two  | South    | 6
        E04       | W2        | Ward two  | South    | 6
        """,
    )
    area.add(
        "person",
        """
        pseudo_id | sex | birth_month
        a         | 1   | 1945-01
        b         | 2   | 1931-01
        """,
    )
    area.add(
        "gp_register",
        """
        pseudo_id | practice_code | registration_date | deregistration_date | ward_code | postcode_in_area
        a         | P1            | 2000-01-01        |                     | W1        | true
        b         | P1            | 2000-01-01        |                     | W2        | true
        b         | P2            | 2015-04-02        |                     | W2        | true
        c         | P1            | 2000-01-01        | 2015-04-03          | W2        | true
        """,
    )
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date | age_at_discharge_date | ward_code | postcode_in_area
        a         | 2015-04-01     | 2015-04-04     | 70                    | W1        | true
        b         | 2015-04-01     | 2015-04-06     | 84                    | W2        | true
        c         | 2015-04-01     | 2015-04-05     | 93                    |           |
        d         | 2015-04-01     | 2015-04-05     | 70                    | X9        | false
        """,
    )
    return area


@pytest.mark.parametrize(
    ("by", "groups"),
    [
        ("ward", {"W1": (1, 1), "W2": (1, 2)}),
        ("locality", {"North": (1, 1), "South": (1, 2)}),
        ("imd_decile", {"3": (1, 1), "6": (1, 2)}),  # W2: two postcodes of three in decile 6
        ("practice", {"P1": (1, 1), "P2": (0, 1), "unregistered": (1, 1)}),  # on discharge day
        ("age_band", {"70-74": (1, 1), "80-84": (0, 1), "90+": (1, 1)}),
        ("sex", {"1": (1, 1), "2": (0, 1), "unknown": (1, 1)}),
    ],
)
def test_each_dimension_groups_weekend_discharges(discharges, by, groups):
    found = grouped(discharges, "weekend_discharges", by, "2015-04")
    assert found.pop(None) == (2, 3)  # the area's own record comes first, group null
    assert found == groups


def test_a_carer_counts_in_every_ward_of_their_events_and_once_in_the_area(area):
    area.add(
        "geography",
        "lsoa_code | ward_code | ward_name | locality | imd_decile\nE02 | W2 | Two | South | 7",
    )
    area.add(
        "social_care_events",
        """
        pseudo_id | client_type | event_type | event_start_date | ward_code | postcode_in_area
        carer     | CARER       | ASSESSMENT | 2015-05-01       | W1        | true
        carer     | CARER       | REVIEW     | 2015-11-01       | W2        | true
        """,
    )
    found = grouped(area, "carers_supported", "ward", "2015/16")
    assert found == {None: (1, None), "W1": (1, None), "W2": (1, None)}


def test_ambulance_conveyance_by_practice_keeps_each_groups_care_home_split(area):
    area.add(
        "gp_register",
        """
        pseudo_id | practice_code | registration_date
        a         | P1            | 2000-01-01
        b         | P2            | 2000-01-01
        """,
    )
    area.add(
        "urgent_care_contacts",
        """
        pseudo_id | contact_datetime    | outcome        | from_care_home
        a         | 2015-04-02 10:00:00 | CONVEYED       | Y
        a         | 2015-04-09 10:00:00 | SEE_AND_TREAT  | N
        b         | 2015-04-03 10:00:00 | CONVEYED       | N
        c         | 2015-04-04 10:00:00 | HEAR_AND_TREAT |
        """,
    )
    found = grouped(area, "conveyance", "practice", "2015-04")
    assert found == {None: (2, 4), "P1": (1, 2), "P2": (1, 1), "unregistered": (0, 1)}
    with store.reading(area.path) as con:
        records = engine.compute_metrics(con, ["conveyance"], ("2015-04", "2015-04"), by="practice")
    p1 = next(r for r in records if r["group"] == "P1")
    assert p1["breakdown"]["from_care_home"] == {
        "N": {"numerator": 0, "denominator": 1, "value": 0.0},
        "Y": {"numerator": 1, "denominator": 1, "value": 100.0},
    }


def test_care_home_emergencies_by_sex_count_attendances_and_ambulance_incidents(area):
    area.add("person", "pseudo_id | sex | birth_month\na | 1 | 1930-01\nb | 2 | 1931-01")
    area.add(
        "acute_ae",
        """
        pseudo_id | arrival_datetime    | from_care_home
        a         | 2015-04-02 10:00:00 | Y
        b         | 2015-04-03 10:00:00 | N
        """,
    )
    area.add(
        "urgent_care_contacts",
        """
        pseudo_id | contact_datetime    | from_care_home
        a         | 2015-04-02 09:00:00 | Y
        b         | 2015-04-05 09:00:00 | Y
        """,
    )
    found = grouped(area, "care_home_emergencies", "sex", "2015-04")
    assert found == {None: (3, None), "1": (2, None), "2": (1, None)}


def test_home_deaths_by_ward_place_each_death_by_the_registration_address(area):
    area.add(
        "geography",
        "lsoa_code | ward_code | ward_name | locality | imd_decile\nE02 | W2 | Two | South | 7",
    )
    area.add(
        "gp_register",
        """
        pseudo_id | registration_date | ward_code | postcode_in_area
        a         | 2000-01-01        | W1        | true
        b         | 2000-01-01        | W2        | true
        c         | 2000-01-01        | W2        | true
        """,
    )
    area.add(
        "deaths",
        """
        pseudo_id | date_of_death | place_of_death | age_at_date_of_death
        a         | 2015-06-01    | HOME           | 80
        b         | 2015-07-01    | HOSPITAL       | 81
        c         | 2015-08-01    | CARE_HOME      | 82
        """,
    )
    found = grouped(area, "eol_home_deaths", "ward", "2015/16")
    assert found == {None: (2, 3), "W1": (1, 1), "W2": (1, 2)}


def year_groups(records: list[dict], period: str = "2015/16") -> dict:
    return {
        r["group"]: (r["numerator"], r["denominator"]) for r in records if r["period"] == period
    }


def test_population_rates_by_age_band_and_sex_take_each_groups_own_population(area):
    area.add(
        "person", "pseudo_id | sex | birth_month\na | 1 | 1945-01\nb | 2 | 1975-01\nc | | 1975-01"
    )
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | age_at_admission_date
        a         | 2015-05-01     | 70
        a         | 2015-06-01     | 70
        b         | 2015-07-01     | 40
        c         | 2015-08-01     | 40
        """,
    )
    by_band = year_groups(area.records(["nel_admissions_rate"], by="age_band"))
    assert by_band == {None: (4, 19_000), "70-74": (2, 1_000), "40-44": (2, 1_000)}
    by_sex = year_groups(area.records(["nel_admissions_rate"], by="sex"))
    assert by_sex == {None: (4, 19_000), "1": (2, 9_500), "2": (1, 9_500), "unknown": (1, None)}


def test_a_band_cut_by_18_counts_two_fifths_of_its_population_within_the_group(area):
    area.add(
        "delayed_transfers",
        """
        pseudo_id | ready_date | transfer_date | age_at_ready_date
        a         | 2015-04-01 | 2015-04-11    | 18
        """,
    )
    april = year_groups(area.records(["dtoc_days"], by="age_band"), "2015-04")
    assert april == {None: (10, 15_400), "15-19": (10, 400)}


def test_a_practices_population_is_its_registered_residents_on_1_october(area):
    area.add(
        "person",
        """
        pseudo_id | sex | birth_month
        turned65  | 1   | 1950-10
        still64   | 1   | 1950-11
        died      | 1   | 1940-01
        moved     | 2   | 1940-01
        away      | 2   | 1940-01
        """,
    )
    area.add(
        "gp_register",
        """
        pseudo_id | practice_code | registration_date | deregistration_date | postcode_in_area
        turned65  | P1            | 2000-01-01        |                     | true
        still64   | P1            | 2000-01-01        |                     | true
        died      | P1            | 2000-01-01        |                     | true
        moved     | P1            | 2000-01-01        | 2015-10-02          | true
        moved     | P2            | 2015-10-02        |                     | true
        away      | P1            | 2000-01-01        |                     | false
        """,
    )
    area.add("deaths", "pseudo_id | date_of_death | age_at_date_of_death\ndied | 2015-09-30 | 75")
    area.add(
        "social_care_events",
        """
        pseudo_id | service_type    | placement_type | event_start_date | age_at_event_start_date
        turned65  | LTS_RESIDENTIAL | PERMANENT      | 2015-11-01       | 65
        moved     | LTS_NURSING     | PERMANENT      | 2015-11-01       | 75
        nobody    | LTS_NURSING     | PERMANENT      | 2015-11-01       | 90
        """,
    )
    found = year_groups(area.records(["res_admissions_65"], by="practice"))
    # P1 on 1 October 2015: turned65 and moved (still on P1's list that day) are its 65+
    # residents; still64 is 64, died had died, away lives outside; P2 had nobody yet
    assert found == {None: (3, 6_000), "P1": (1, 2), "P2": (1, None), "unregistered": (1, None)}


def test_falls_keep_their_standardisation_within_a_locality_and_are_crude_within_a_band(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | age_at_admission_date | primary_diagnosis | secondary_diagnoses | ward_code
        a         | 2015-05-01     | 67                    | S720              | W010                | W1
        b         | 2015-06-01     | 91                    | S720              | W190                | W1
        """,
    )
    locality = {r["group"]: r for r in area.records(["falls_65"], by="locality")}
    # every band of W1 holds 1,000: (1/1000 x 5500 + 1/1000 x 1000) / 19500 x 100,000
    assert locality["North"]["value"] == approx((5.5 + 1) / 19_500 * 100_000)
    assert (locality["North"]["numerator"], locality["North"]["denominator"]) == (2, 6_000)
    bands = {r["group"]: r for r in area.records(["falls_65"], by="age_band")}
    assert bands["65-69"]["value"] == approx(100) and bands["90+"]["denominator"] == 1_000


def test_a_long_stay_is_grouped_on_the_month_end_by_the_age_it_has_reached_then(area):
    area.add("person", "pseudo_id | sex | birth_month\na | 1 | 1950-04\nb | 2 | 1950-05")
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date | age_at_admission_date
        a         | 2015-04-01     | 2015-05-20     | 64
        b         | 2015-04-20     | 2015-05-20     | 64
        """,
    )
    april = year_groups(area.records(["long_stays"], by="age_band"), "2015-04")
    assert april == {
        None: (2, None),
        "65-69": (1, None),
        "60-64": (1, None),
    }  # a turned 65 in April
    bands = {r["group"]: r["breakdown"] for r in area.records(["long_stays"], by="age_band")
             if r["period"] == "2015-04"}  # fmt: skip
    assert bands["65-69"] == {"7+": 1, "14+": 1, "21+": 1} and bands["60-64"]["14+"] == 0


def test_a_reablement_cohort_member_counts_in_the_group_of_their_first_qualifying_discharge(area):
    area.add(
        "gp_register",
        """
        pseudo_id | practice_code | registration_date | deregistration_date
        a         | P1            | 2000-01-01        | 2015-11-01
        a         | P2            | 2015-11-01        |
        """,
    )
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date | age_at_discharge_date
        a         | 2015-10-01     | 2015-10-05     | 80
        a         | 2015-11-10     | 2015-11-15     | 80
        """,
    )
    area.add(
        "social_care_events",
        """
        pseudo_id | service_type   | event_start_date | event_end_date
        a         | STS_REABLEMENT | 2015-10-06       | 2015-10-20
        a         | STS_REABLEMENT | 2015-11-16       | 2015-11-30
        """,
    )
    found = year_groups(area.records(["reablement_91d"], by="practice"))
    assert found == {None: (1, 1), "P1": (1, 1)}  # once, at the October discharge's practice


@pytest.fixture(scope="module", name="random_area")
def random_area_fixture(tmp_path_factory):
    path = tmp_path_factory.mktemp("breakdowns") / "random.duckdb"
    build_random_area(path, 7, people=300)
    return path


def test_metrics_by_practice_prints_groups_with_secondary_suppression(random_area, capsys):
    argv = ["metrics", "--warehouse", str(random_area), "--by", "practice"]
    assert cli.main([*argv, "--disclosure-control", "--quiet"]) == 0
    records = json.loads(capsys.readouterr().out)["metrics"]
    assert {r["id"] for r in records} == set(engine.BREAKDOWN_METRICS)
    assert {r["group"] for r in records} >= {None, "P1", "P2", "unregistered"}
    totals = {(r["id"], r["period"]): r for r in records if r["group"] is None}
    tables: dict[tuple, list[dict]] = {}
    for r in records:
        if r["group"] is not None:
            tables.setdefault((r["id"], r["period"]), []).append(r)
    for key, cells in tables.items():  # one suppressed numerator only beside a suppressed total
        if sum(c["numerator"] is None for c in cells) == 1:
            assert totals[key]["numerator"] is None, (key, cells)


def test_by_with_the_survey_metric_is_a_command_line_error(random_area, capsys):
    argv = [
        "metrics",
        "--warehouse",
        str(random_area),
        "--by",
        "ward",
        "--metric",
        "patient_experience",
    ]
    assert cli.main(argv) == 2
    assert (
        "--by: patient_experience: an aggregate survey, with no breakdowns"
        in capsys.readouterr().err
    )


def test_the_report_tables_show_each_metrics_latest_figure_by_locality_and_decile(random_area):
    months = ("2014-09", "2016-03")
    with store.reading(random_area) as con:
        area = engine.compute_metrics(con, months=months)  # as the report computes them first
        locality, decile = breakdown_tables(con, months, area=area)
        assert (locality, decile) == breakdown_tables(con, months)  # given or computed again
        raw = engine.compute_metrics(con, ["ae_4h"], months, by="locality")
    assert (locality.dimension, locality.groups) == ("locality", ("North", "South"))
    assert decile.groups == ("1", "5", "8")  # in number order
    ae = next(row for row in locality.rows if row.metric == "ae_4h")
    assert ae.period == "2016-03"  # the latest complete month
    counted = {r["group"] for r in raw if r["period"] == "2016-03" and r["group"]}
    for group, shown in zip(locality.groups, ae.values, strict=True):
        assert (shown == "") == (group not in counted)  # blank only where nothing was counted
    # a random area's groups are small: every figure shown has passed suppression
    assert all(v in ("", "suppressed") or v.endswith("%") for v in ae.values)
    assert {row.metric for row in locality.rows} <= set(engine.BREAKDOWN_METRICS)
