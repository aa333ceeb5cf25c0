"""dementia_dx_rate, ae_attendances, ae_conversion, care_home_emergencies, patient_experience."""

from spec_area import approx, area_fixture  # noqa: F401 (provides the `area` fixture)


def test_dementia_rate_counts_registered_residents_aged_65_at_month_end(area):
    area.add(
        "person",
        """
        pseudo_id   | sex | birth_month
        diagnosed   | 2   | 1940-01
        well        | 1   | 1945-03
        turning     | 2   | 1950-06
        resolved    | 1   | 1940-01
        dead        | 2   | 1940-01
        left        | 1   | 1940-01
        type1       | 2   | 1940-01
        elsewhere   | 1   | 1940-01
        other_gp    | 2   | 1940-01
        """,
    )
    area.add(
        "gp_register",
        """
        pseudo_id  | practice_code | registration_date | deregistration_date | postcode_in_area
        diagnosed  | P1            | 2000-01-01        |                     | true
        well       | P1            | 2000-01-01        |                     | true
        turning    | P1            | 2000-01-01        |                     | true
        resolved   | P1            | 2000-01-01        |                     | true
        dead       | P1            | 2000-01-01        |                     | true
        left       | P1            | 2000-01-01        | 2015-05-31          | true
        elsewhere  | P1            | 2000-01-01        |                     | false
        other_gp   | Q9            | 2000-01-01        |                     | true
        """,
    )
    area.add(
        "gp_conditions",
        """
        pseudo_id | practice_code | condition | diagnosed_date | resolved_date
        diagnosed | P1            | DEM       | 2014-01-01     |
        turning   | P1            | DEM       | 2015-05-15     |
        resolved  | P1            | DEM       | 2010-01-01     | 2015-05-31
        left      | P1            | DEM       | 2010-01-01     |
        elsewhere | P1            | DEM       | 2010-01-01     |
        other_gp  | P1            | DEM       | 2010-01-01     |
        """,
    )
    # type1 objected: their GP rows never landed, so only their death-free person row exists.
    area.add("deaths", "pseudo_id | date_of_death\ndead | 2015-04-30")
    months = area.metric("dementia_dx_rate")
    april = months["2015-04"]  # diagnosed, well, resolved, left (turning is 64 until June)
    assert (april["numerator"], april["denominator"]) == (3, approx(4 * 0.071))
    may = months["2015-05"]  # left deregistered on 31 May; resolved resolved on 31 May
    assert (may["numerator"], may["denominator"]) == (1, approx(3 * 0.071))
    june = months["2015-06"]  # turning is 65 at the end of June and was diagnosed in May
    assert (june["numerator"], june["denominator"]) == (2, approx(4 * 0.071))
    assert june["value"] == approx(2 / (4 * 0.071) * 100)


def test_ae_attendances_count_residents_by_arrival_and_conversion_is_the_admitted_share(area):
    area.add(
        "acute_ae",
        """
        pseudo_id | arrival_datetime    | from_care_home | disposal | postcode_in_area
        a         | 2015-04-30T23:59    | Y              | ADM      | true
        b         | 2015-04-01T00:10    | N              | HOM      | true
        c         | 2015-04-02T10:00    |                | ADM      | true
        d         | 2015-04-03T10:00    | N              | ADM      | false
        e         | 2015-05-01T00:00    | N              | HOM      | true
        """,
    )
    april = area.metric("ae_attendances")["2015-04"]
    assert april["numerator"] == 3
    assert april["breakdown"] == {"from_care_home": {"N": 1, "Y": 1, "unknown": 1}}
    conversion = area.metric("ae_conversion")
    assert (conversion["2015-04"]["numerator"], conversion["2015-04"]["denominator"]) == (2, 3)
    assert conversion["2015-04"]["value"] == approx(200 / 3)
    assert conversion["2015-06"]["value"] is None  # no attendances: no rate


def test_care_home_emergencies_add_ae_and_ambulance_contacts_from_care_homes(area):
    area.add(
        "acute_ae",
        """
        pseudo_id | arrival_datetime | from_care_home
        a         | 2015-07-01T10:00 | Y
        b         | 2015-07-02T10:00 | N
        """,
    )
    area.add(
        "urgent_care_contacts",
        """
        pseudo_id | contact_datetime | service   | from_care_home | postcode_in_area
        a         | 2015-07-01T09:00 | AMBULANCE | Y              | true
        c         | 2015-07-03T09:00 | NHS111    | Y              | true
        d         | 2015-07-04T09:00 | AMBULANCE | Y              | false
        e         | 2015-07-05T09:00 | AMBULANCE | N              | true
        """,
    )
    july = area.metric("care_home_emergencies")["2015-07"]
    assert july["numerator"] == 2
    assert july["breakdown"] == {"source": {"ae": 1, "ambulance": 1}}


def test_patient_experience_takes_the_named_question_in_whatever_periods_it_has(area):
    area.add(
        "experience_survey",
        """
        question_id      | question_text | period     | positive_responses | total_responses
        GPPS_LTC_SUPPORT | support       | 2014/15    | 640                | 1000
        GPPS_LTC_SUPPORT | support       | 2015/16-Q2 | 330                | 500
        OTHER            | other         | 2015/16    | 1                  | 2
        """,
    )
    records = area.metric("patient_experience")
    assert records.keys() == {"2014/15", "2015/16-Q2"}
    assert records["2014/15"]["value"] == approx(64.0)
    assert records["2015/16-Q2"]["grain"] == "quarter"
