import copy

import pytest

from joinedup.governance.disclosure import apply_disclosure_control, round_count, suppress


def record(**fields):
    base = {"id": "m", "period": "2015/16", "grain": "year", "breakdown": {}}
    return {**base, **fields}


def controlled(method="round5", **fields):
    return apply_disclosure_control([record(**fields)], method)[0]


@pytest.mark.parametrize(
    ("n", "expected"), [(0, 0), (1, None), (5, None), (7, None), (8, 8), (250, 250)]
)
def test_suppress_hides_counts_one_to_seven(n, expected):
    assert suppress(n) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, 0),
        (1, None),
        (7, None),
        (8, 10),
        (12, 10),
        (13, 15),
        (17, 15),
        (18, 20),
        (181, 180),
        (183, 185),
    ],
)
def test_round5_suppresses_then_rounds_to_the_nearest_5(n, expected):
    # ehrql measures/disclosure_control.py apply_sdc: <= 7 suppressed, then nearest 5
    assert round_count(n) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0), (1, 3), (6, 3), (7, 9), (12, 9), (13, 15), (18, 15), (19, 21), (31500, 31497)],
)
def test_midpoint6_matches_the_opensafely_table(n, expected):
    # docs.opensafely.org/releasing-files "Midpoint 6 rounding": 0 -> 0, 1-6 -> 3, 7-12 -> 9, 13-18 -> 15
    assert round_count(n, "midpoint6") == expected


def test_whole_number_floats_count_and_other_values_are_refused():
    assert round_count(181.0) == 180
    for bad in (-1, 2.5, True, "12"):
        with pytest.raises(ValueError, match="whole number"):
            round_count(bad)
    with pytest.raises(ValueError, match="method"):
        round_count(10, "round10")


def test_metrics_md_example_rate_is_recomputed_from_rounded_figures():
    out = controlled(numerator=181, denominator=31500, value=574.6, unit="per_100k")
    assert (out["numerator"], out["denominator"]) == (180, 31500)
    assert out["value"] == pytest.approx(180 / 31500 * 100_000)
    assert out["suppressed"] == [] and out["disclosure_control"] == "round5"


def test_percent_is_recomputed_from_rounded_numerator_and_denominator():
    out = controlled(numerator=83, denominator=104, value=79.8, unit="percent")
    assert out["value"] == pytest.approx(85 / 105 * 100)


def test_an_estimated_denominator_is_made_whole_then_rounded():
    # dementia_dx_rate: diagnosed / (7.1% of registered people aged 65+)
    out = controlled(numerator=1139, denominator=2503.4, value=45.5, unit="percent")
    assert (out["numerator"], out["denominator"]) == (1140, 2505)
    assert out["value"] == pytest.approx(1140 / 2505 * 100)


def test_small_numerator_suppresses_the_rate_with_a_flag():
    out = controlled(numerator=6, denominator=900, value=0.67, unit="percent")
    assert (out["numerator"], out["denominator"], out["value"]) == (None, 900, None)
    assert out["suppressed"] == ["numerator", "value"]


def test_zero_stays_zero_and_is_published():
    out = controlled(numerator=0, denominator=900, value=0.0, unit="percent")
    assert (out["numerator"], out["value"], out["suppressed"]) == (0, 0.0, [])


def test_totals_are_rounded_from_true_totals_not_summed_from_rounded_parts():
    out = controlled(numerator=24, value=24, unit="count", breakdown={"NHS": 12, "SC": 12})
    assert out["numerator"] == 25 and out["value"] == 25
    assert out["breakdown"] == {"NHS": 10, "SC": 10}


def test_nested_breakdowns_are_controlled_with_dotted_paths_for_what_was_suppressed():
    breakdown = {"agency": {"NHS": 3, "SC": 40, "BOTH": 0}, "reason": {"A": 43}}
    out = controlled(
        numerator=43, denominator=140_000, value=30.7, unit="per_100k", breakdown=breakdown
    )
    assert out["breakdown"] == {"agency": {"NHS": None, "SC": 40, "BOTH": 0}, "reason": {"A": 45}}
    assert out["suppressed"] == ["breakdown.agency.NHS"]


def test_breakdown_entries_with_their_own_rate_are_recomputed():
    breakdown = {"eol_register": {"numerator": 40, "denominator": 61, "value": 65.6}}
    out = controlled(
        numerator=700, denominator=1750, value=40.0, unit="percent", breakdown=breakdown
    )
    assert out["breakdown"]["eol_register"]["value"] == pytest.approx(40 / 60 * 100)
    assert out["breakdown"]["eol_register"]["denominator"] == 60


def test_a_breakdown_figure_that_is_not_a_count_is_withheld():
    out = controlled(numerator=100, value=100, unit="count", breakdown={"mean_age": 81.4})
    assert out["breakdown"] == {"mean_age": None}
    assert out["suppressed"] == ["breakdown.mean_age"]


def test_standardised_rate_is_withheld_when_its_crude_count_is_small():
    small = controlled(numerator=5, denominator=3000, value=160.2, unit="dsr_per_100k")
    large = controlled(numerator=412, denominator=32000, value=1290.4, unit="dsr_per_100k")
    assert (small["numerator"], small["value"]) == (None, None)
    assert (large["numerator"], large["value"]) == (410, 1290.4)


def test_a_count_per_person_is_recomputed_as_a_ratio():
    # eol_admissions: emergency spells (numerator) per person (denominator)
    out = controlled(numerator=359, denominator=119, value=3.02, unit="count")
    assert out["value"] == pytest.approx(360 / 120)


def test_spend_is_withheld_when_the_people_it_covers_are_few():
    few = controlled(
        numerator=51234.5, denominator=5, value=10246.9, unit="gbp", breakdown={"acute": 40000.0}
    )
    many = controlled(numerator=5_123_456.7, denominator=1001, value=5118.3, unit="gbp")
    assert (few["numerator"], few["denominator"], few["value"]) == (None, None, None)
    assert few["breakdown"] == {"acute": None}
    assert few["suppressed"] == ["numerator", "denominator", "value", "breakdown.acute"]
    assert (many["numerator"], many["denominator"], many["value"]) == (5_123_456.7, 1000, 5118.3)


def test_midpoint6_publishes_small_counts_as_midpoints():
    out = controlled("midpoint6", numerator=5, denominator=31500, value=15.9, unit="per_100k")
    assert (out["numerator"], out["denominator"]) == (3, 31497)
    assert out["value"] == pytest.approx(3 / 31497 * 100_000)
    assert out["suppressed"] == [] and out["disclosure_control"] == "midpoint6"


def test_input_records_are_not_changed():
    records = [record(numerator=6, denominator=900, value=0.67, unit="percent", breakdown={"a": 6})]
    before = copy.deepcopy(records)
    apply_disclosure_control(records)
    assert records == before


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        apply_disclosure_control([], "round10")
