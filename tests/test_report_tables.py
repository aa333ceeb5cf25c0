"""The report's spend and quality tables: every count disclosure-controlled, money rounded to the
nearest £1,000, shares recomputed from the rounded figures."""

from joinedup.landing.quality import QualityReport
from joinedup.marts import SpendRow
from joinedup.report.tables import quality_section, spend_section


def spend_rows() -> list[SpendRow]:
    return [
        SpendRow("all", "all", 1003, 2_345_678.0, 2338.66),
        SpendRow("org_type", "acute", 1003, 1_234_499.0, 1230.81),
        SpendRow("org_type", "social_care", 1003, 500.0, 0.5),
        SpendRow("age_band", "85+", 6, 90_000.0, 15000.0),
        SpendRow("age_band", "65-74", 12, 60_600.0, 5050.0),
        SpendRow("social_care_status", "permanent_care", 0, 0.0, None),
    ]


def test_spend_is_rounded_to_1000_pounds_and_per_person_recomputed_from_rounded_figures():
    section = spend_section("2015/16", spend_rows())
    assert section.year == "2015/16"
    everyone = section.all_residents
    assert (everyone.people, everyone.total_gbp) == (1005, 2_346_000)
    assert everyone.per_person_gbp == 2_346_000 / 1005
    acute, social_care = section.by_org_type
    assert (acute.label, acute.total_gbp, acute.per_person_gbp) == (
        "Acute hospital",
        1_234_000,
        1_234_000 / 1005,
    )
    assert (social_care.label, social_care.total_gbp) == (
        "Adult social care",
        1_000,
    )  # £500 rounds up


def test_spend_of_a_group_of_1_to_7_people_is_not_shown():
    segments = dict(spend_section("2015/16", spend_rows()).by_segment)
    oldest, younger = segments["Age band"]
    assert (oldest.label, oldest.people, oldest.total_gbp, oldest.per_person_gbp) == (
        "85+",
        None,
        None,
        None,
    )
    assert (younger.people, younger.total_gbp, younger.per_person_gbp) == (10, 61_000, 6_100)
    (care,) = segments["Social care status"]
    assert (care.label, care.people, care.total_gbp, care.per_person_gbp) == (
        "permanent care",
        0,
        0,
        None,
    )


def feed(read, rejected, present=None, valid=None, linkage=None, type1=0, rules=()):
    return {
        "files": 1,
        "files_rejected_whole": [],
        "extra_columns": [],
        "rows_read": read,
        "rows_accepted": read - rejected,
        "rows_rejected": rejected,
        "rejections": [{"column": "c", "rule": rule, "rows": n} for rule, n in rules],
        "nhs_number": None if present is None else {"present": present, "valid": valid},
        "linkage": linkage or {},
        "type1_rows_not_landed": type1,
        "type1_rows_removed": 0,
    }


def quality_report() -> QualityReport:
    return QualityReport(
        feeds={
            "acute_apc": feed(
                1003, 3, 988, 981, {"nhs_number": 981, "probabilistic": 19},
                rules=[("invalid_code", 3)],
            ),
            "social_care_events": feed(
                212, 12, 150, 149, {"nhs_number": 149, "council_id": 51},
                rules=[("invalid_code", 2), ("future_date", 10)],
            ),
            "gp_register": feed(500, 0, 500, 500, {"nhs_number": 500}, type1=6),
            "population": feed(96, 0),
        },
        objections_recorded={"TYPE1": 6, "NDOO": 12},
    )  # fmt: skip


def test_feed_counts_are_rounded_or_suppressed_and_shares_use_the_rounded_counts():
    section = quality_section(quality_report())
    apc, care, register, population = section.feeds
    assert (apc.rows_read, apc.rows_accepted, apc.rows_rejected) == (1005, 1000, None)
    assert apc.nhs_number_completeness == 990 / 1000 * 100
    assert apc.nhs_number_validity == 980 / 990 * 100
    assert apc.linked == {"council_id": 0, "nhs_number": 980, "probabilistic": 20}
    assert (care.rows_rejected, care.nhs_number_completeness) == (10, 150 / 200 * 100)
    assert register.type1_not_landed is None
    assert population.nhs_number_completeness is None and population.rows_read == 95


def test_totals_are_rounded_from_the_true_totals():
    totals = quality_section(quality_report()).totals
    assert totals.rows_read == 1810  # 1811 read in all, not the sum of rounded parts (1805)
    assert totals.rows_rejected == 15
    # completeness over the feeds that carry NHS numbers: 1638 present of 1700 accepted
    assert totals.nhs_number_completeness == 1640 / 1700 * 100
    assert totals.linked == {"council_id": 50, "nhs_number": 1630, "probabilistic": 20}


def test_linkage_shares_and_rejections_by_rule_over_every_feed():
    section = quality_section(quality_report())
    assert section.link_methods == ("council_id", "nhs_number", "probabilistic")
    linked = 1700  # 981 + 19 + 149 + 51 + 500 rows linked
    assert section.linkage_shares == (
        ("council_id", 50, 50 / linked * 100),
        ("nhs_number", 1630, 1630 / linked * 100),
        ("probabilistic", 20, 20 / linked * 100),
    )
    assert section.rejections == (("future_date", 10), ("invalid_code", None))
    assert section.objections == (("NDOO", 10), ("TYPE1", None))
