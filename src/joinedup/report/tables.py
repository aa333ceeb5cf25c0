"""The report's tables, every figure disclosure-controlled (DESIGN.md tier A).

Counts: 1-7 suppressed, others rounded to the nearest 5 (`governance.disclosure.count`), each
total rounded from its true value. Shares are recomputed from the rounded counts.
Money: rounded to the nearest £1,000; spend per person is the rounded total over the rounded
people count, and a row whose people count is suppressed shows no money at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from joinedup.governance.disclosure import count as controlled
from joinedup.governance.disclosure import rounded_money
from joinedup.marts import SpendRow

ORG_TYPE_NAMES = {
    "acute": "Acute hospital",
    "community": "Community health",
    "mental_health": "Mental health",
    "primary_care": "Primary care",
    "urgent_care": "Urgent care (ambulance, 111, out of hours)",
    "social_care": "Adult social care",
}
SEGMENT_NAMES = {
    "age_band": "Age band",
    "ltc_band": "Long-term conditions (QOF registers)",
    "social_care_status": "Social care status",
    "locality": "Locality",
    "high_cost": "High-cost cohort (top 5% by spend)",
}


def share(part: int | None, whole: int | None) -> float | None:
    """A percentage of two already-controlled counts; None when either is suppressed."""
    if part is None or not whole:
        return None
    return part / whole * 100


@dataclass(frozen=True)
class SpendLine:
    label: str
    people: int | None
    total_gbp: int | None
    per_person_gbp: float | None


def spend_line(label: str, row: SpendRow) -> SpendLine:
    people = controlled(row.people)
    if people is None:
        return SpendLine(label, None, None, None)
    total = rounded_money(row.total_cost)
    return SpendLine(label, people, total, total / people if people else None)


@dataclass(frozen=True)
class SpendSection:
    year: str
    all_residents: SpendLine
    by_org_type: tuple[SpendLine, ...]
    by_segment: tuple[tuple[str, tuple[SpendLine, ...]], ...]  # (dimension name, lines)


def spend_section(year: str, rows: list[SpendRow]) -> SpendSection:
    """Disclosure-controlled spend from `marts.spend_per_person` rows of one financial year."""
    everyone = next(r for r in rows if r.dimension == "all")
    by_org = tuple(
        spend_line(ORG_TYPE_NAMES.get(r.value, r.value), r)
        for r in rows
        if r.dimension == "org_type"
    )
    by_segment = tuple(
        (
            name,
            tuple(
                spend_line(r.value.replace("_", " "), r) for r in rows if r.dimension == dimension
            ),
        )
        for dimension, name in SEGMENT_NAMES.items()
    )
    return SpendSection(year, spend_line("All residents", everyone), by_org, by_segment)


@dataclass(frozen=True)
class FeedQuality:
    feed: str
    rows_read: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    nhs_number_completeness: float | None  # percent of accepted rows with an NHS number
    nhs_number_validity: float | None  # percent of those that pass modulus 11
    linked: dict[str, int | None]  # link method -> rows
    type1_not_landed: int | None


@dataclass(frozen=True)
class QualitySection:
    feeds: tuple[FeedQuality, ...]
    totals: FeedQuality
    link_methods: tuple[str, ...]
    rejections: tuple[tuple[str, int | None], ...]  # (rule, rows) over every feed
    linkage_shares: tuple[tuple[str, int | None, float | None], ...]  # method, rows, % of linked
    objections: tuple[tuple[str, int | None], ...]  # (objection type, objections recorded)


def quality_section(report: dict) -> QualitySection:
    """Disclosure-controlled tables from `landing.quality_report`."""
    raw = report.feeds
    methods = tuple(sorted({m for feed in raw.values() for m in feed["linkage"]}))
    feeds = tuple(_feed_quality(name, feed, methods) for name, feed in raw.items())
    totals = _feed_quality("All feeds", _summed(raw.values(), methods), methods)
    rules: dict[str, int] = {}
    for feed in raw.values():
        for rejection in feed["rejections"]:
            rules[rejection["rule"]] = rules.get(rejection["rule"], 0) + rejection["rows"]
    linked_rows = controlled(sum(sum(f["linkage"].values()) for f in raw.values()))
    return QualitySection(
        feeds=feeds,
        totals=totals,
        link_methods=methods,
        rejections=tuple((rule, controlled(n)) for rule, n in sorted(rules.items())),
        linkage_shares=tuple(
            (method, totals.linked[method], share(totals.linked[method], linked_rows))
            for method in methods
        ),
        objections=tuple(
            (kind, controlled(n)) for kind, n in sorted(report.objections_recorded.items())
        ),
    )


def _summed(feeds, methods: tuple[str, ...]) -> dict:
    """The true totals over every feed, in the shape of one feed of the quality report."""
    feeds = list(feeds)
    with_nhs = [f["nhs_number"] for f in feeds if f["nhs_number"]]
    return {
        "rows_read": sum(f["rows_read"] for f in feeds),
        "rows_accepted": sum(f["rows_accepted"] for f in feeds),
        "rows_rejected": sum(f["rows_rejected"] for f in feeds),
        "nhs_accepted": sum(f["rows_accepted"] for f in feeds if f["nhs_number"]),
        "nhs_number": {
            "present": sum(n["present"] for n in with_nhs),
            "valid": sum(n["valid"] for n in with_nhs),
        }
        if with_nhs
        else None,
        "linkage": {m: sum(f["linkage"].get(m, 0) for f in feeds) for m in methods},
        "type1_rows_not_landed": sum(f["type1_rows_not_landed"] for f in feeds),
    }


def _feed_quality(name: str, feed: dict, methods: tuple[str, ...]) -> FeedQuality:
    accepted = controlled(feed["rows_accepted"])
    completeness = validity = None
    if feed["nhs_number"]:
        # the denominator of completeness is the accepted rows of feeds that carry NHS numbers
        with_column = controlled(feed.get("nhs_accepted", feed["rows_accepted"]))
        present = controlled(feed["nhs_number"]["present"])
        completeness = share(present, with_column)
        validity = share(controlled(feed["nhs_number"]["valid"]), present)
    return FeedQuality(
        feed=name,
        rows_read=controlled(feed["rows_read"]),
        rows_accepted=accepted,
        rows_rejected=controlled(feed["rows_rejected"]),
        nhs_number_completeness=completeness,
        nhs_number_validity=validity,
        linked={m: controlled(feed["linkage"].get(m, 0)) for m in methods},
        type1_not_landed=controlled(feed["type1_rows_not_landed"]),
    )
