"""The tier A gate for tables (`governance.disclosure`): parts of a shown total get secondary
suppression; money is published to the nearest £1,000."""

from joinedup.governance.disclosure import apply_disclosure_control, parts
from joinedup.governance.disclosure import rounded_money as money


def test_one_suppressed_part_hides_the_next_smallest():
    assert parts({"a": 3, "b": 12, "c": 40, "d": 100}) == {"a": None, "b": None, "c": 40, "d": 100}


def test_hidden_parts_that_could_only_be_ones_hide_one_more():
    assert parts({"a": 1, "b": 1, "c": 9, "d": 50}) == {"a": None, "b": None, "c": None, "d": 50}


def test_two_hidden_parts_that_cannot_be_worked_out_stay_as_they_are():
    assert parts({"a": 2, "b": 6, "c": 30, "z": 0}) == {"a": None, "b": None, "c": 30, "z": 0}
    assert money(12_499.99) == 12_000 and money(12_500) == 13_000


def test_spend_records_are_published_to_the_nearest_thousand_with_their_value_recomputed():
    record = {"id": "spend", "period": "2015/16", "grain": "year", "unit": "gbp",
              "numerator": 1_234_567.0, "denominator": 400, "value": 3086.4,
              "breakdown": {"acute": 600_499.0, "social_care": {"home": 1_500.0}}}  # fmt: skip
    (kept,) = apply_disclosure_control([record])
    assert kept["numerator"] == 1_234_567.0  # the metrics command publishes spend as it is
    (shown,) = apply_disclosure_control([record], round_money=True)
    assert (shown["numerator"], shown["denominator"]) == (1_235_000, 400)
    assert shown["value"] == 1_235_000 / 400
    assert shown["breakdown"] == {"acute": 600_000, "social_care": {"home": 2_000}}
