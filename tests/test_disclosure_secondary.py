"""Secondary suppression of breakdown tables: no suppressed cell can be worked out from the
area's total and the other cells, checked by an attacker who knows every published cell exactly
and tries every way of filling the suppressed ones."""

import itertools
import random

from joinedup.governance.disclosure import apply_disclosure_control


def table(counts: dict[str, int], denominators: dict[str, int] | None = None) -> list[dict]:
    """The area's record and one record per group, as `joinedup metrics --by` gives them."""

    def rec(group, numerator, denominator):
        value = None if not denominator else numerator / denominator * 100
        return {
            "id": "ae_4h",
            "period": "2015-04",
            "grain": "month",
            "numerator": numerator,
            "denominator": denominator,
            "value": value,
            "unit": "percent",
            "breakdown": {},
            "by": "practice",
            "group": group,
        }

    denominators = denominators or {g: n + 20 for g, n in counts.items()}
    total = rec(None, sum(counts.values()), sum(denominators.values()))
    return [total] + [rec(g, counts[g], denominators[g]) for g in counts]


def possible_values(total: int, published: list[int], hidden: int) -> list[set[int]]:
    """Each suppressed cell's possible values (each at least 1) given the total and the rest."""
    rest = total - sum(published)
    options = [set() for _ in range(hidden)]
    for values in itertools.product(range(1, rest + 1), repeat=hidden):
        if sum(values) == rest:
            for cell, value in zip(options, values, strict=True):
                cell.add(value)
    return options


def assert_nothing_recoverable(raw: list[dict], controlled: list[dict], field: str) -> None:
    cells = [(r, c) for r, c in zip(raw, controlled, strict=True) if r["group"] is not None]
    hidden = [r[field] for r, c in cells if c[field] is None]
    published = [r[field] for r, c in cells if c[field] is not None]
    assert all(c[field] is None for r, c in cells if 1 <= r[field] <= 7)  # primary
    if hidden and controlled[0][field] is not None:  # a suppressed total tells nothing
        for options in possible_values(raw[0][field], published, len(hidden)):
            assert len(options) >= 2, f"{field}: a suppressed cell is recoverable"


def test_one_small_cell_takes_the_next_smallest_with_it():
    raw = table({"P1": 3, "P2": 40, "P3": 12, "P4": 0})
    controlled = apply_disclosure_control(raw)
    by_group = {c["group"]: c for c in controlled}
    assert by_group["P1"]["numerator"] is None  # primary
    assert by_group["P3"]["numerator"] is None and by_group["P3"]["value"] is None  # secondary
    assert by_group["P2"]["numerator"] == 40 and by_group["P4"]["numerator"] == 0
    assert by_group[None]["numerator"] == 55  # the total stays published
    assert "numerator" in by_group["P3"]["suppressed"]
    assert_nothing_recoverable(raw, controlled, "numerator")


def test_two_ones_are_not_enough():
    raw = table({"P1": 1, "P2": 1, "P3": 9, "P4": 30})
    controlled = apply_disclosure_control(raw)
    assert [c["numerator"] for c in controlled[1:]] == [None, None, None, 30]
    assert_nothing_recoverable(raw, controlled, "numerator")


def test_no_suppressed_cell_is_recoverable_in_random_tables():
    rng = random.Random(12)
    for _ in range(300):
        groups = [f"P{n}" for n in range(rng.randrange(1, 6))]
        counts = {g: rng.choice([0, 1, 2, 5, 7, 8, 9, 15, 40]) for g in groups}
        denominators = {g: counts[g] + rng.choice([0, 1, 3, 9, 50]) for g in groups}
        raw = table(counts, denominators)
        controlled = apply_disclosure_control(raw)
        for field in ("numerator", "denominator"):
            assert_nothing_recoverable(raw, controlled, field)


def test_midpoint6_suppresses_nothing_and_so_needs_no_secondary_suppression():
    controlled = apply_disclosure_control(table({"P1": 3, "P2": 40}), "midpoint6")
    assert all(c["suppressed"] == [] for c in controlled)
