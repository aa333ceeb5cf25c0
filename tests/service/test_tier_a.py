"""The service's tier A tables: parts of a shown total get secondary suppression."""

from joinedup.service.tier_a import money, parts


def test_one_suppressed_part_hides_the_next_smallest():
    assert parts({"a": 3, "b": 12, "c": 40, "d": 100}) == {"a": None, "b": None, "c": 40, "d": 100}


def test_hidden_parts_that_could_only_be_ones_hide_one_more():
    assert parts({"a": 1, "b": 1, "c": 9, "d": 50}) == {"a": None, "b": None, "c": None, "d": 50}


def test_two_hidden_parts_that_cannot_be_worked_out_stay_as_they_are():
    assert parts({"a": 2, "b": 6, "c": 30, "z": 0}) == {"a": None, "b": None, "c": 30, "z": 0}
    assert money(12_499.99) == 12_000 and money(12_500) == 13_000
