"""dtoc_days: delayed days by month, split across months, open delays, agency and reason."""

from spec_area import approx, area_fixture  # noqa: F401 (provides the `area` fixture)

ADULTS = 15_400  # bands 20-24 and up, plus 2 of the 5 years of 15-19


def test_a_delay_spanning_two_months_is_split_between_them(area):
    area.add(
        "delayed_transfers",
        """
        pseudo_id | ready_date | transfer_date | agency | reason
        a         | 2015-06-25 | 2015-07-04    | SC     | DI
        """,
    )
    months = area.metric("dtoc_days")
    # 25-30 June are 6 days; 1-3 July are 3 (the transfer day is not a delayed day).
    assert months["2015-06"]["numerator"] == 6
    assert months["2015-07"]["numerator"] == 3
    assert months["2015-08"]["numerator"] == 0
    assert months["2015-06"]["denominator"] == ADULTS
    assert months["2015-06"]["value"] == approx(6 / ADULTS * 100_000)
    assert months["2015-06"]["breakdown"] == {"agency": {"SC": 6}, "reason": {"DI": 6}}


def test_an_open_delay_runs_to_the_end_of_every_month_after_it_starts(area):
    area.add(
        "delayed_transfers",
        """
        pseudo_id | ready_date | transfer_date | agency | reason | age_at_ready_date
        open      | 2016-02-20 |               | NHS    | C      | 80
        same_day  | 2016-02-10 | 2016-02-10    | NHS    | A      | 80
        both      | 2016-03-30 | 2016-04-02    | BOTH   | E      | 18
        child     | 2016-03-01 | 2016-03-10    | NHS    | A      | 17
        """,
    )
    months = area.metric("dtoc_days")
    assert months["2016-02"]["numerator"] == 10  # 20-29 February 2016
    march = months["2016-03"]
    assert march["numerator"] == 31 + 2
    assert march["breakdown"] == {"agency": {"BOTH": 2, "NHS": 31}, "reason": {"C": 31, "E": 2}}
