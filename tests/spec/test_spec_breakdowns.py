"""Breakdowns (metrics.md "Breakdowns"): each dimension's groups on a hand-made area, a person
counted in every group one of their events falls in, and `joinedup metrics --by`."""

import json

import pytest
from spec_area import area_fixture  # noqa: F401 (provides the `area` fixture)
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


def test_by_with_a_metric_it_does_not_break_down_yet_is_a_command_line_error(random_area, capsys):
    argv = ["metrics", "--warehouse", str(random_area), "--by", "ward", "--metric", "dtoc_days"]
    assert cli.main(argv) == 2
    assert "no breakdown yet for dtoc_days" in capsys.readouterr().err


def test_the_report_tables_show_each_metrics_latest_figure_by_locality_and_decile(random_area):
    with store.reading(random_area) as con:
        locality, decile = breakdown_tables(con, ("2014-09", "2016-03"))
        raw = engine.compute_metrics(con, ["ae_4h"], ("2014-09", "2016-03"), by="locality")
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
