"""readmissions_30d and falls_65."""

from spec_area import approx, area_fixture  # noqa: F401 (provides the `area` fixture)


def test_a_readmission_on_the_discharge_day_counts_and_maternity_is_not_an_index_spell(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | spell_id | admission_date | discharge_date | admission_method | main_specialty | discharge_method | discharge_destination
        same_day  | s1       | 2015-05-01     | 2015-05-10     | 11               | 300            | 1                | 19
        same_day  | s2       | 2015-05-10     | 2015-05-20     | 21               | 300            | 1                | 19
        day_29    | s3       | 2015-05-01     | 2015-05-02     | 21               | 300            | 1                | 19
        day_29    | s4       | 2015-05-31     | 2015-06-01     | 22               | 300            | 1                | 19
        day_30    | s5       | 2015-06-01     | 2015-06-02     | 21               | 300            | 1                | 19
        day_30    | s6       | 2015-07-02     | 2015-07-03     | 21               | 300            | 1                | 19
        planned   | s7       | 2015-05-01     | 2015-05-02     | 21               | 300            | 1                | 19
        planned   | s8       | 2015-05-03     | 2015-05-04     | 11               | 300            | 1                | 19
        mother    | s9       | 2015-05-01     | 2015-05-03     | 21               | 501            | 1                | 19
        mother    | s10      | 2015-05-05     | 2015-05-07     | 21               | 300            | 1                | 19
        died      | s11      | 2015-05-01     | 2015-05-03     | 21               | 300            | 4                | 79
        died      | s12      | 2015-05-03     | 2015-05-04     | 21               | 300            | 1                | 19
        """,
    )
    records = area.metric("readmissions_30d")
    may = records["2015-05"]
    # May discharges: s1 s2 s3 s7 s8 s10 s12 (s9 maternity, s11 died); readmitted: s1 (s2 the
    # same day) and s3 (s4 29 days on). s8 is elective, so s7 is not readmitted.
    assert (may["numerator"], may["denominator"]) == (2, 7)
    assert may["value"] == approx(200 / 7)
    june = records["2015-06"]  # s4 and s5; s6 came 30 days after s5
    assert (june["numerator"], june["denominator"]) == (0, 2)
    year = records["2015/16"]
    assert (year["numerator"], year["denominator"]) == (2, 10)


def test_falls_are_directly_standardised_and_a_64_year_old_waits_until_65(area):
    area.add(
        "acute_apc",
        """
        pseudo_id | admission_date | age_at_admission_date | primary_diagnosis | secondary_diagnoses | admission_method
        turning   | 2015-05-01     | 64                    | S720              | W19X                | 21
        turning   | 2015-11-01     | 65                    | S720              | W19X                | 21
        old       | 2015-06-01     | 92                    | T141              | I10; W010           | 22
        old       | 2015-07-01     | 92                    | S062              | W20X                | 21
        medical   | 2015-06-01     | 80                    | I10               | W01X                | 21
        planned   | 2015-06-01     | 80                    | S720              | W01X                | 11
        band_80   | 2015-06-01     | 84                    | S422              | w18                 | 21
        """,
    )
    year = area.metric("falls_65")["2015/16"]
    # Counts: 65-69: 1, 80-84: 1, 90+: 1 (W20 is not a fall); each band holds 1,000 people.
    assert year["numerator"] == 3
    assert year["breakdown"]["age_band"] == {
        "65-69": 1,
        "70-74": 0,
        "75-79": 0,
        "80-84": 1,
        "85-89": 0,
        "90+": 1,
    }
    dsr = (1 / 1000 * 5500 + 1 / 1000 * 2500 + 1 / 1000 * 1000) / 19_500 * 100_000
    assert year["value"] == approx(dsr)
    assert year["unit"] == "dsr_per_100k"
