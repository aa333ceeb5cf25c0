"""res_admissions_65 and reablement_91d: permanent care, moves between homes, 91-day outcomes."""

from spec_area import approx, area_fixture  # noqa: F401 (provides the `area` fixture)


def test_moves_between_homes_and_respite_are_not_admissions(area):
    area.add(
        "social_care_events",
        """
        pseudo_id | event_start_date | event_end_date | service_type    | placement_type | age_at_event_start_date
        mover     | 2015-01-01       | 2015-06-30     | LTS_RESIDENTIAL | PERMANENT      | 85
        mover     | 2015-07-01       |                | LTS_NURSING     | PERMANENT      | 85
        settled   | 2014-02-01       |                | LTS_RESIDENTIAL | PERMANENT      | 90
        settled   | 2015-09-01       |                | LTS_NURSING     | PERMANENT      | 90
        newcomer  | 2015-08-01       |                | LTS_NURSING     | PERMANENT      | 70
        respite   | 2015-08-02       | 2015-08-09     | LTS_RESIDENTIAL | RESPITE        | 75
        gap       | 2015-01-01       | 2015-05-30     | LTS_RESIDENTIAL | PERMANENT      | 80
        gap       | 2015-06-01       |                | LTS_RESIDENTIAL | PERMANENT      | 80
        """,
    )
    records = area.metric("res_admissions_65")
    # mover and settled (an open-ended placement) only move; `gap` was out of care on 31 May.
    assert records["2015-06"]["numerator"] == 1
    assert records["2015-07"]["numerator"] == 0
    assert records["2015-08"]["numerator"] == 1
    assert records["2015-09"]["numerator"] == 0
    year = records["2015/16"]
    assert (year["numerator"], year["denominator"]) == (2, 6_000)
    assert year["value"] == approx(2 / 6_000 * 100_000)


def test_a_64_year_old_is_not_counted_until_65_and_people_count_once(area):
    area.add(
        "social_care_events",
        """
        pseudo_id | event_start_date | event_end_date | service_type    | placement_type | age_at_event_start_date
        young     | 2015-05-01       | 2015-05-20     | LTS_RESIDENTIAL | PERMANENT      | 64
        young     | 2015-11-01       |                | LTS_RESIDENTIAL | PERMANENT      | 65
        twice     | 2015-05-01       | 2015-05-20     | LTS_NURSING     | PERMANENT      | 88
        twice     | 2015-11-01       |                | LTS_NURSING     | PERMANENT      | 88
        """,
    )
    records = area.metric("res_admissions_65")
    assert records["2015-05"]["numerator"] == 1
    assert records["2015-11"]["numerator"] == 2
    assert records["2015/16"]["numerator"] == 2  # distinct people in the year


def reablement_cohort(area):
    """Five people discharged in October 2015 who start reablement within 7 days."""
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date | age_at_discharge_date
        home      | 2015-10-01     | 2015-10-05     | 80
        died      | 2015-10-01     | 2015-10-05     | 80
        back_in   | 2015-10-01     | 2015-10-05     | 80
        back_in   | 2016-01-01     |                | 80
        in_care   | 2015-10-01     | 2015-10-05     | 80
        late      | 2015-10-01     | 2015-10-05     | 80
        young     | 2015-10-01     | 2015-10-05     | 64
        twice     | 2015-10-01     | 2015-10-05     | 79
        twice     | 2015-11-01     | 2015-11-10     | 79
        """,
    )
    area.add(
        "social_care_events",
        """
        pseudo_id | event_start_date | event_end_date | service_type    | placement_type
        home      | 2015-10-12       | 2015-11-01     | STS_REABLEMENT  |
        died      | 2015-10-05       | 2015-10-20     | STS_REABLEMENT  |
        back_in   | 2015-10-06       | 2015-10-20     | STS_REABLEMENT  |
        in_care   | 2015-10-06       | 2015-10-20     | STS_REABLEMENT  |
        in_care   | 2015-12-01       |                | LTS_NURSING     | PERMANENT
        late      | 2015-10-13       | 2015-10-20     | STS_REABLEMENT  |
        young     | 2015-10-06       | 2015-10-20     | STS_REABLEMENT  |
        """,
    )
    area.add(
        "community_contacts",
        """
        pseudo_id | contact_date | service
        twice     | 2015-10-07   | REHABILITATION
        twice     | 2015-11-12   | INTERMEDIATE_CARE
        """,
    )
    area.add("deaths", "pseudo_id | date_of_death\ndied | 2015-11-04")


def test_reablement_counts_people_at_home_91_days_on_and_keeps_deaths_in_the_cohort(area):
    reablement_cohort(area)
    year = area.metric("reablement_91d")["2015/16"]
    # late started reablement 8 days on, young was 64; twice enters once (first discharge);
    # died, back_in (in hospital on 4 January) and in_care (open-ended placement) are not home.
    assert (year["numerator"], year["denominator"]) == (2, 5)
    assert year["value"] == approx(40.0)


def test_discharges_outside_october_to_december_do_not_enter_the_cohort(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date | discharge_method | discharge_destination
        september | 2015-09-20     | 2015-09-30     | 1                | 19
        january   | 2015-12-20     | 2016-01-01     | 1                | 19
        december  | 2015-12-20     | 2015-12-31     | 1                | 19
        dead      | 2015-12-01     | 2015-12-02     | 4                | 79
        """,
    )
    area.add(
        "community_contacts",
        """
        pseudo_id | contact_date | service
        september | 2015-10-01   | REHABILITATION
        january   | 2016-01-02   | REHABILITATION
        december  | 2016-01-07   | INTERMEDIATE_CARE
        dead      | 2015-12-03   | REHABILITATION
        """,
    )
    year = area.metric("reablement_91d")["2015/16"]
    assert (year["numerator"], year["denominator"]) == (1, 1)
