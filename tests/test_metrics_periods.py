"""Reporting periods: months, quarters from April, financial years, coverage."""

from datetime import date

import pytest

from joinedup.metrics import periods


def test_a_day_belongs_to_its_month_quarter_and_financial_year():
    day = date(2016, 2, 29)
    assert periods.containing(day, "month").label == "2016-02"
    assert periods.containing(day, "quarter").label == "2015/16-Q4"
    assert periods.containing(day, "year").label == "2015/16"
    assert periods.containing(date(2015, 4, 1), "quarter").label == "2015/16-Q1"
    assert periods.containing(date(2015, 3, 31), "year").label == "2014/15"


def test_quarters_run_from_april_and_know_their_last_day():
    q3 = periods.parse("2015/16-Q3")
    assert (q3.start, q3.end) == (date(2015, 10, 1), date(2015, 12, 31))
    q4 = periods.parse("1999/00-Q4")
    assert (q4.start, q4.end) == (date(2000, 1, 1), date(2000, 3, 31))
    assert q4.population_year == 1999


def test_labels_round_trip_and_malformed_labels_are_refused():
    for label in ("2015-02", "2015/16", "2015/16-Q2"):
        assert periods.parse(label).label == label
    for bad in ("2015/17", "2015-13x", "2015/16-Q5", "FY2015"):
        with pytest.raises(ValueError):
            periods.parse(bad)


def test_coverage_holds_every_period_touching_the_months():
    covered = periods.covering("2015-03", "2015-04")
    assert [(p.grain, p.label) for p in covered] == [
        ("month", "2015-03"),
        ("month", "2015-04"),
        ("quarter", "2014/15-Q4"),
        ("quarter", "2015/16-Q1"),
        ("year", "2014/15"),
        ("year", "2015/16"),
    ]
