import datetime as dt

import pytest

from joinedup.errors import BadInput
from joinedup.governance import workdays
from joinedup.governance.workdays import add_working_days, is_working_day, working_days_between

D = dt.date


def _easter(year: int) -> dt.date:
    """Anonymous Gregorian computus, to check the data's Good Fridays and Easter Mondays."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = h + m - 7 * ((a + 11 * h + 22 * m) // 451) + 114
    return D(year, n // 31, n % 31 + 1)


def test_ten_working_days_over_two_weekends():
    # Monday 2 March 2015: ten working days later is Monday 16 March.
    assert add_working_days(D(2015, 3, 2)) == D(2015, 3, 16)
    # found on a Saturday: counting starts on Monday
    assert add_working_days(D(2015, 3, 7), 1) == D(2015, 3, 9)


def test_easter_christmas_and_substitute_days_are_skipped():
    # Thursday 2 April 2015; Good Friday 3rd and Easter Monday 6th are not working days.
    assert add_working_days(D(2015, 4, 2)) == D(2015, 4, 20)
    # Christmas 2015: 25th Friday, Boxing Day Saturday -> substitute Monday 28th; New Year Friday.
    assert add_working_days(D(2015, 12, 23), 3) == D(2015, 12, 30)
    assert not is_working_day(D(2015, 12, 28))
    # one-off: the 2022 State Funeral (Monday 19 September)
    assert add_working_days(D(2022, 9, 16), 1) == D(2022, 9, 20)


def test_every_year_has_its_easter_and_no_holiday_falls_at_a_weekend():
    first, last = workdays.years_covered()
    holidays = workdays.bank_holidays()
    for year in range(first, last + 1):
        easter = _easter(year)
        assert easter - dt.timedelta(days=2) in holidays
        assert easter + dt.timedelta(days=1) in holidays
        assert D(year, 1, 1) in holidays or D(year, 1, 1).weekday() >= 5
        assert sum(d.year == year for d in holidays) >= 8
    assert all(d.weekday() < 5 for d in holidays)


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(D(2015, 3, 2), D(2015, 3, 16)) == 10
    assert working_days_between(D(2015, 3, 16), D(2015, 3, 2)) == 0


def test_a_year_beyond_the_data_is_an_error_naming_the_years():
    first, last = workdays.years_covered()
    with pytest.raises(BadInput, match=f"{first}-{last} only, not {last + 1}"):
        add_working_days(D(last, 12, 24))
