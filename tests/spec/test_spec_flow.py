"""ae_4h, long_stays, fit_days, weekend_discharges, care_direct_from_hospital,
preferred_place_of_death, reablement_outcome, conveyance, personal_budgets, carers_supported
(metrics.md "Hospital flow, seven-day services and outcome metrics")."""

from spec_area import approx, area_fixture  # noqa: F401 (provides the `area` fixture)


def test_ae_4h_counts_departures_at_most_240_minutes_after_arrival(area):
    area.add(
        "acute_ae",
        """
        pseudo_id | arrival_datetime | departure_datetime | postcode_in_area
        exactly   | 2015-04-01T10:00 | 2015-04-01T14:00   | true
        late      | 2015-04-01T10:00 | 2015-04-01T14:01   | true
        midnight  | 2015-04-30T22:30 | 2015-05-01T01:00   | true
        no_depart | 2015-04-02T10:00 |                    | true
        outside   | 2015-04-03T10:00 | 2015-04-03T10:30   | false
        may       | 2015-05-01T00:00 | 2015-05-01T05:00   | true
        """,
    )
    months = area.metric("ae_4h")
    april = months["2015-04"]  # exactly, late, midnight (by arrival); no departure: left out
    assert (april["numerator"], april["denominator"]) == (2, 3)
    assert april["value"] == approx(200 / 3)
    assert (months["2015-05"]["numerator"], months["2015-05"]["denominator"]) == (0, 1)
    assert months["2015-06"]["value"] is None


def test_long_stays_count_g_and_a_inpatients_on_the_last_day_of_the_month(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date | main_specialty | admission_method | postcode_in_area
        d7        | 2015-04-23     | 2015-05-02     | 300            | 11               | true
        d6        | 2015-04-24     |                | 300            | 21               | true
        d14       | 2015-04-16     | 2015-05-01     | 430            | 21               | true
        d21       | 2015-04-09     |                | 300            | 21               | true
        gone      | 2015-04-01     | 2015-04-30     | 300            | 21               | true
        mother    | 2015-04-01     | 2015-05-10     | 501            | 21               | true
        mind      | 2015-04-01     | 2015-05-10     | 710            | 21               | true
        outside   | 2015-04-01     | 2015-05-10     | 300            | 21               | false
        """,
    )
    months = area.metric("long_stays")
    april = months["2015-04"]  # on 30 April: d7 (7 days), d14, d21; d6 is 6 days in, gone left
    assert april["numerator"] == april["value"] == 3
    assert april["breakdown"] == {"7+": 3, "14+": 2, "21+": 1}
    may = months["2015-05"]  # d6 (37 days) and d21 (52 days) are still in on 31 May
    assert may["breakdown"] == {"7+": 2, "14+": 2, "21+": 2}
    assert may["unit"] == "count"


def test_fit_days_average_the_days_from_medically_fit_to_discharge(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | ready_for_discharge_date | discharge_date | discharge_method | postcode_in_area
        waited    | 2015-04-01     | 2015-04-05               | 2015-04-15     | 1                | true
        same_day  | 2015-04-01     | 2015-04-10               | 2015-04-10     | 1                | true
        died      | 2015-04-01     | 2015-04-08               | 2015-04-12     | 4                | true
        no_ready  | 2015-04-01     |                          | 2015-04-12     | 1                | true
        open      | 2015-04-01     | 2015-04-08               |                |                  | true
        outside   | 2015-04-01     | 2015-04-02               | 2015-04-20     | 1                | false
        may       | 2015-04-20     | 2015-04-25               | 2015-05-01     | 1                | true
        """,
    )
    months = area.metric("fit_days")
    april = months["2015-04"]  # 10 + 0 + 4 days over 3 spells (a death counts; no date: out)
    assert (april["numerator"], april["denominator"]) == (14, 3)
    assert april["value"] == approx(14 / 3)
    assert (months["2015-05"]["numerator"], months["2015-05"]["denominator"]) == (6, 1)


def test_weekend_discharges_are_saturday_and_sunday_discharges_of_the_living(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date | discharge_method | discharge_destination
        friday    | 2015-04-01     | 2015-04-03     | 1                | 19
        saturday  | 2015-04-01     | 2015-04-04     | 1                | 19
        sunday    | 2015-04-01     | 2015-04-05     | 1                | 19
        monday    | 2015-04-01     | 2015-04-06     | 1                | 19
        died      | 2015-04-01     | 2015-04-04     | 4                | 79
        open      | 2015-04-01     |                |                  |
        """,
    )
    april = area.metric("weekend_discharges")["2015-04"]
    assert (april["numerator"], april["denominator"]) == (2, 4)
    assert april["value"] == approx(50.0)


def test_care_direct_from_hospital_counts_admissions_within_a_day_of_a_discharge(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date
        same_day  | 2015-05-01     | 2015-06-01
        next_day  | 2015-05-01     | 2015-06-01
        two_days  | 2015-05-01     | 2015-06-01
        """,
    )
    area.add(
        "social_care_events",
        """
        pseudo_id | event_start_date | event_end_date | service_type    | placement_type | age_at_event_start_date
        same_day  | 2015-06-01       |                | LTS_RESIDENTIAL | PERMANENT      | 80
        next_day  | 2015-06-02       | 2015-08-01     | LTS_RESIDENTIAL | PERMANENT      | 80
        next_day  | 2015-08-02       |                | LTS_NURSING     | PERMANENT      | 80
        two_days  | 2015-06-03       |                | LTS_NURSING     | PERMANENT      | 80
        home      | 2015-07-01       |                | LTS_RESIDENTIAL | PERMANENT      | 80
        respite   | 2015-06-01       |                | LTS_RESIDENTIAL | RESPITE        | 80
        young     | 2015-06-01       |                | LTS_RESIDENTIAL | PERMANENT      | 64
        """,
    )
    year = area.metric("care_direct_from_hospital")["2015/16"]
    # admissions: same_day, next_day (the move to nursing is no admission), two_days, home
    assert (year["numerator"], year["denominator"]) == (2, 4)
    assert year["value"] == approx(50.0)


def test_care_direct_from_hospital_counts_each_admission_of_a_person(area):
    area.add(
        "acute_apc", "pseudo_id | admission_date | discharge_date\nback | 2015-05-01 | 2015-05-10"
    )
    area.add(
        "social_care_events",
        """
        pseudo_id | event_start_date | event_end_date | service_type    | placement_type
        back      | 2015-05-11       | 2015-06-30     | LTS_RESIDENTIAL | PERMANENT
        back      | 2015-09-01       |                | LTS_RESIDENTIAL | PERMANENT
        """,
    )
    year = area.metric("care_direct_from_hospital")["2015/16"]
    assert (year["numerator"], year["denominator"]) == (1, 2)


def test_preferred_place_of_death_compares_registered_preferences_with_the_place(area):
    area.add(
        "gp_register",
        """
        pseudo_id | registration_date | postcode_in_area
        home_pref | 2000-01-01        | true
        hosp_pref | 2000-01-01        | true
        no_pref   | 2000-01-01        | true
        late_add  | 2000-01-01        | true
        away      | 2000-01-01        | false
        unlisted  | 2000-01-01        | true
        """,
    )
    area.add(
        "eol_register",
        """
        pseudo_id | added_date | preferred_place_of_death
        home_pref | 2015-01-01 | HOME
        hosp_pref | 2015-01-01 | HOSPICE
        no_pref   | 2015-01-01 |
        late_add  | 2015-09-02 | HOME
        away      | 2015-01-01 | HOME
        """,
    )
    area.add(
        "deaths",
        """
        pseudo_id | date_of_death | place_of_death
        home_pref | 2015-06-01    | HOME
        hosp_pref | 2015-07-01    | HOSPITAL
        no_pref   | 2015-08-01    | HOME
        late_add  | 2015-09-01    | HOME
        away      | 2015-09-01    | HOME
        unlisted  | 2015-09-01    | HOME
        """,
    )
    year = area.metric("preferred_place_of_death")["2015/16"]
    assert (year["numerator"], year["denominator"]) == (1, 2)
    assert year["value"] == approx(50.0)


def test_reablement_outcome_is_the_share_ending_with_no_or_low_support_by_end_date(area):
    area.add(
        "social_care_events",
        """
        pseudo_id | event_type | service_type   | event_start_date | event_end_date | event_outcome
        a         | SERVICE    | STS_REABLEMENT | 2015-03-01       | 2015-04-10     | NO_SERVICES
        b         | SERVICE    | STS_REABLEMENT | 2015-05-01       | 2015-06-10     | UNIVERSAL_SIGNPOSTING
        c         | SERVICE    | STS_REABLEMENT | 2015-05-01       | 2015-06-10     | ONGOING_LOW_LEVEL
        d         | SERVICE    | STS_REABLEMENT | 2015-05-01       | 2015-06-10     | LONG_TERM_SUPPORT
        e         | SERVICE    | STS_REABLEMENT | 2015-05-01       | 2015-06-10     |
        f         | SERVICE    | STS_REABLEMENT | 2016-03-01       | 2016-04-01     | NO_SERVICES
        g         | SERVICE    | STS_REABLEMENT | 2015-05-01       |                |
        h         | REVIEW     | STS_REABLEMENT | 2015-05-01       | 2015-06-10     | NO_SERVICES
        i         | SERVICE    | STS_OTHER      | 2015-05-01       | 2015-06-10     | NO_SERVICES
        """,
    )
    year = area.metric("reablement_outcome")["2015/16"]
    assert (year["numerator"], year["denominator"]) == (3, 4)
    assert year["value"] == approx(75.0)


def test_conveyance_is_the_share_of_ambulance_incidents_conveyed_by_origin(area):
    area.add(
        "urgent_care_contacts",
        """
        pseudo_id | contact_datetime | service   | outcome        | from_care_home | postcode_in_area
        a         | 2015-04-01T10:00 | AMBULANCE | CONVEYED       | Y              | true
        b         | 2015-04-02T10:00 | AMBULANCE | SEE_AND_TREAT  | Y              | true
        c         | 2015-04-03T10:00 | AMBULANCE | CONVEYED       | N              | true
        d         | 2015-04-04T10:00 | AMBULANCE | HEAR_AND_TREAT |                | true
        e         | 2015-04-05T10:00 | NHS111    | CONVEYED       | N              | true
        f         | 2015-04-06T10:00 | AMBULANCE | CONVEYED       | N              | false
        """,
    )
    april = area.metric("conveyance")["2015-04"]
    assert (april["numerator"], april["denominator"]) == (2, 4)
    assert april["breakdown"]["from_care_home"]["Y"] == {
        "numerator": 1,
        "denominator": 2,
        "value": approx(50.0),
    }
    assert april["breakdown"]["from_care_home"]["unknown"]["denominator"] == 1


def test_personal_budgets_take_adults_with_community_support_on_31_march(area):
    area.add(
        "person",
        """
        pseudo_id | sex | birth_month
        direct    | 1   | 1950-01
        managed   | 2   | 1950-01
        council   | 1   | 1950-01
        both      | 2   | 1950-01
        ended     | 1   | 1950-01
        ends_day  | 2   | 1950-01
        turns_18  | 1   | 1998-03
        is_17     | 2   | 1998-04
        """,
    )
    area.add(
        "social_care_events",
        """
        pseudo_id | service_type  | event_start_date | event_end_date | delivery_mechanism      | age_at_event_start_date
        direct    | LTS_COMMUNITY | 2015-01-01       |                | DIRECT_PAYMENT          | 65
        managed   | LTS_COMMUNITY | 2015-01-01       |                | MANAGED_PERSONAL_BUDGET | 65
        council   | LTS_COMMUNITY | 2015-01-01       |                | COUNCIL_COMMISSIONED    | 65
        both      | LTS_COMMUNITY | 2015-01-01       |                | COUNCIL_COMMISSIONED    | 65
        both      | LTS_COMMUNITY | 2015-06-01       |                | DIRECT_PAYMENT          | 65
        ended     | LTS_COMMUNITY | 2015-01-01       | 2016-03-30     | DIRECT_PAYMENT          | 65
        ends_day  | LTS_COMMUNITY | 2015-01-01       | 2016-03-31     | DIRECT_PAYMENT          | 65
        turns_18  | LTS_COMMUNITY | 2015-01-01       |                | DIRECT_PAYMENT          | 16
        is_17     | LTS_COMMUNITY | 2015-01-01       |                | DIRECT_PAYMENT          | 16
        """,
    )
    year = area.metric("personal_budgets")["2015/16"]
    # on 31 March 2016: direct, managed, council, both (once), ends_day and turns_18
    assert (year["numerator"], year["denominator"]) == (5, 6)
    assert year["value"] == approx(500 / 6)


def test_carers_supported_counts_distinct_resident_carers_by_event_start(area):
    area.add(
        "social_care_events",
        """
        pseudo_id | client_type  | event_type | event_start_date | postcode_in_area
        carer1    | CARER        | ASSESSMENT | 2015-04-01       | true
        carer1    | CARER        | SERVICE    | 2015-06-01       | true
        carer2    | CARER        | REVIEW     | 2016-03-31       | true
        carer3    | CARER        | REQUEST    | 2015-06-01       | true
        carer4    | CARER        | ASSESSMENT | 2015-06-01       | false
        carer5    | CARER        | ASSESSMENT | 2016-04-01       | true
        user      | SERVICE_USER | ASSESSMENT | 2015-06-01       | true
        """,
    )
    year = area.metric("carers_supported")["2015/16"]
    assert year["numerator"] == year["value"] == 2
    assert year["denominator"] is None
