from datetime import date

import numpy as np
import pytest
from risk_area import Warehouse

from joinedup.risk.tiers import assign_tiers, disclosed, on_care_plan, pyramid
from joinedup.warehouse.pseudonyms import numbers_of


@pytest.mark.parametrize(
    ("people", "sizes"),
    [(1000, (5, 45, 150, 800)), (20_000, (100, 900, 3000, 16_000)), (10, (0, 0, 2, 8))],
)
def test_tiers_are_a_pyramid_of_half_a_percent_four_and_a_half_fifteen_and_the_rest(people, sizes):
    scores = np.random.default_rng(0).random(people)
    tiers = assign_tiers(scores)
    counts = tuple(int((tiers == t).sum()) for t in ("very_high", "high", "moderate", "low"))
    assert counts == sizes
    order = np.argsort(-scores)
    assert set(tiers[order[: sizes[0]]]) <= {"very_high"}
    assert tiers[order[-1]] == "low"


def test_equal_scores_keep_row_order_so_tiers_are_reproducible():
    tiers = assign_tiers(np.zeros(200))
    assert list(tiers[:1]) == ["very_high"] and tiers[1] == "high"


def test_pyramid_counts_by_group_and_disclosure_control_hides_small_counts_and_what_reveals_them():
    groups = np.array(["P1"] * 12 + ["P2"] * 40)
    tiers = np.array(["very_high"] * 2 + ["low"] * 10 + ["high"] * 9 + ["low"] * 31)
    raw = pyramid(groups, tiers)
    assert raw["P1"] == {"very_high": 2, "high": 0, "moderate": 0, "low": 10, "total": 12}
    shown = disclosed(raw)
    # very_high (2) is suppressed, and low too: the total less low would reveal it
    assert shown["P1"] == {"very_high": None, "high": 0, "moderate": 0, "low": None, "total": 10}
    assert shown["P2"] == {"very_high": 0, "high": 10, "moderate": 0, "low": 30, "total": 40}


def test_on_a_care_plan_means_eol_register_a_recent_review_or_a_long_term_service(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    index = date(2015, 4, 1)
    w.insert("eol_register", pseudo_id="eol", added_date=date(2015, 1, 1))
    w.insert("eol_register", pseudo_id="eol_later", added_date=index)
    for pid, day in (("reviewed", date(2014, 6, 1)), ("reviewed_long_ago", date(2014, 3, 1))):
        w.row("social_care_events", pid, event_type="REVIEW", event_start_date=day)
    w.service("long_term", date(2012, 1, 1))
    w.service("ended", date(2012, 1, 1), end=date(2015, 3, 1))
    w.service("reablement", date(2015, 3, 1), service_type="STS_REABLEMENT", component="OTHER")
    ids = np.array(
        [
            "eol",
            "eol_later",
            "reviewed",
            "reviewed_long_ago",
            "long_term",
            "ended",
            "reablement",
            "nobody",
        ],
        dtype=object,
    )
    planned = on_care_plan(w.con, np.array(numbers_of(w.con, ids), dtype=object), index)
    assert list(ids[planned]) == ["eol", "reviewed", "long_term"]
