"""eol_home_deaths and eol_admissions: deaths carry no postcode, so residency falls back."""

from spec_area import approx, area_fixture  # noqa: F401 (provides the `area` fixture)


def end_of_life_area(area):
    area.add(
        "gp_register",
        """
        pseudo_id | registration_date | postcode_in_area
        home      | 2000-01-01        | true
        hospital  | 2000-01-01        | true
        care_home | 2000-01-01        | true
        late_reg  | 2000-01-01        | true
        away      | 2000-01-01        | false
        """,
    )
    area.add(
        "deaths",
        """
        pseudo_id | date_of_death | place_of_death
        home      | 2015-06-01    | HOME
        hospital  | 2015-07-01    | HOSPITAL
        care_home | 2015-08-01    | CARE_HOME
        late_reg  | 2015-09-01    | HOSPITAL
        away      | 2015-09-01    | HOME
        unknown   | 2015-09-01    | HOME
        """,
    )
    area.add(
        "eol_register",
        """
        pseudo_id | added_date
        home      | 2015-01-01
        hospital  | 2015-07-01
        late_reg  | 2015-09-02
        """,
    )
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | discharge_date | admission_method | postcode_in_area
        home      | 2014-06-01     | 2014-06-03     | 21               | true
        home      | 2014-06-02     | 2014-06-04     | 22               | false
        home      | 2014-05-31     | 2014-06-01     | 21               | true
        home      | 2015-01-01     | 2015-01-02     | 11               | true
        hospital  | 2015-07-01     |                | 21               | true
        late_reg  | 2015-08-01     | 2015-08-05     | 21               | true
        """,
    )


def test_home_deaths_share_with_the_register_breakdown(area):
    end_of_life_area(area)
    year = area.metric("eol_home_deaths")["2015/16"]
    # Resident deaths: home, hospital, care_home, late_reg (away lived elsewhere; unknown has
    # no registration); at home or in a care home: 2. On the register by death: home, hospital.
    assert (year["numerator"], year["denominator"]) == (2, 4)
    assert year["value"] == approx(50.0)
    assert year["breakdown"] == {"eol_register": {"numerator": 1, "denominator": 2, "value": 50.0}}


def test_emergency_spells_in_the_last_365_days_of_people_on_the_register(area):
    end_of_life_area(area)
    year = area.metric("eol_admissions")["2015/16"]
    # home: the spells of 2014-06-01 (365 days before) and 2014-06-02 (any postcode) count,
    # 2014-05-31 is 366 days before and 2015-01-01 elective; hospital: the day of death counts.
    assert (year["numerator"], year["denominator"]) == (3, 2)
    assert year["value"] == approx(1.5)
