"""nel_admissions, nel_admissions_rate and the residency rule (metrics.md "Resident")."""

from spec_area import approx, area_fixture  # noqa: F401 (provides the `area` fixture)


def test_emergency_general_and_acute_spells_count_by_admission_month_quarter_and_year(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | admission_method | main_specialty
        a         | 2015-04-03     | 21               | 300
        b         | 2015-04-30     | 2A               | 430
        c         | 2015-05-01     | 28               | 300
        d         | 2015-04-10     | 11               | 300
        e         | 2015-04-11     | 21               | 501
        f         | 2015-04-12     | 21               | 710
        g         | 2015-04-13     | 21               | 716
        h         | 2016-01-05     | 22               | 300
        """,
    )
    months = area.metric("nel_admissions")
    # d is elective, e maternity, f mental illness; 716 is outside 700-715 so g counts.
    assert months["2015-04"]["numerator"] == 3
    assert months["2015-05"]["numerator"] == 1
    assert months["2015/16-Q1"]["numerator"] == 4
    assert months["2015/16-Q4"]["numerator"] == 1
    assert months["2015/16"]["value"] == 5
    assert months["2015-06"]["value"] == 0
    assert months["2015/16"]["grain"] == "year"
    rates = area.metric("nel_admissions_rate")
    assert rates["2015/16"]["denominator"] == 19_000  # ward X9 lies outside the area
    assert rates["2015/16"]["value"] == approx(5 / 19_000 * 100_000)


def test_a_non_resident_is_left_out(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | postcode_in_area
        inside    | 2015-06-01     | true
        outside   | 2015-06-02     | false
        """,
    )
    assert area.metric("nel_admissions")["2015-06"]["numerator"] == 1


def test_a_blank_postcode_falls_back_to_the_latest_gp_registration_on_or_before_the_event(area):
    area.add(
        "gp_register",
        """
        pseudo_id | registration_date | postcode_in_area
        stayed    | 2010-01-01        | true
        moved_out | 2010-01-01        | true
        moved_out | 2015-01-01        | false
        moves_in  | 2010-01-01        | false
        moves_in  | 2015-07-01        | true
        """,
    )
    area.add(
        "acute_apc",
        """
        pseudo_id    | admission_date | postcode_in_area
        stayed       | 2015-06-01     |
        moved_out    | 2015-06-01     |
        moves_in     | 2015-06-01     |
        never_seen   | 2015-06-01     |
        moves_in     | 2015-07-01     |
        """,
    )
    months = area.metric("nel_admissions")
    # moves_in's in-area registration comes after the June spell, so June counts only `stayed`;
    # in July the registration of the same day applies; a person with no registration is out.
    assert months["2015-06"]["numerator"] == 1
    assert months["2015-07"]["numerator"] == 1
