"""Risk tiers (a pyramid by score rank), their counts by practice and locality through disclosure
control, and case-finding worklists per practice.

Already on a care plan (worklist column): on the end-of-life register before the index date, or
a social care REVIEW in the 12 months before it, or a long-term social care service (LTS_*)
active the day before it. Those people already have a plan somebody owns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from joinedup.governance import disclosure
from joinedup.risk.evaluation import ranking
from joinedup.risk.features import Windows, lit

# (tier, share of the population down to and including this tier), highest first.
TIERS = (("very_high", 0.005), ("high", 0.05), ("moderate", 0.20), ("low", 1.0))
TIER_NAMES = tuple(name for name, _ in TIERS)


def assign_tiers(scores: np.ndarray) -> np.ndarray:
    """Tier of each person by rank: very high the top 0.5%, high the next 4.5%, moderate the
    next 15%, low the rest (cut points rounded to whole people)."""
    tiers = np.empty(len(scores), dtype=object)
    order = ranking(scores)
    start = 0
    for name, cumulative in TIERS:
        end = len(scores) if cumulative == 1.0 else round(cumulative * len(scores))
        tiers[order[start:end]] = name
        start = max(start, end)
    return tiers


def pyramid(groups: np.ndarray, tiers: np.ndarray) -> dict[str, dict[str, int]]:
    """Raw people per group and tier, plus the group's total ({group: {tier: count}})."""
    counts: dict[str, dict[str, int]] = {}
    labels = np.array([str(g) for g in groups], dtype=object)
    for group in sorted(set(labels)):
        in_group = tiers[labels == group]
        counts[group] = {name: int((in_group == name).sum()) for name in TIER_NAMES}
        counts[group]["total"] = int(len(in_group))
    return counts


def disclosed(
    counts: dict[str, dict[str, int]], method: str = "round5"
) -> dict[str, dict[str, int | None]]:
    """The pyramid after disclosure control (DESIGN.md tier A, `governance.disclosure`): each
    group's total and its tiers as the parts of a published total, so small counts are
    suppressed (None), with secondary suppression, and every count is rounded from its own
    true value (the service's pyramid publishes the same)."""
    return {
        group: {
            **disclosure.parts({t: n for t, n in row.items() if t != "total"}, method),
            "total": disclosure.count(row["total"], method),
        }
        for group, row in counts.items()
    }


def care_plan_sql(index: date) -> str:
    w = Windows(index)
    idx, last, m12 = lit(w.index), lit(w.last_day), lit(w.months_back(12))
    return f"""
    SELECT pseudo_id FROM eol_register WHERE added_date < {idx}
    UNION
    SELECT pseudo_id FROM social_care_events
    WHERE event_type = 'REVIEW' AND event_start_date >= {m12} AND event_start_date < {idx}
    UNION
    SELECT pseudo_id FROM social_care_events
    WHERE event_type = 'SERVICE' AND service_type LIKE 'LTS_%' AND event_start_date < {idx}
      AND (event_end_date IS NULL OR event_end_date >= {last})"""


def on_care_plan(con, pseudo_ids: np.ndarray, index: date) -> np.ndarray:
    found = {row[0] for row in con.execute(care_plan_sql(index)).fetchall()}
    return np.fromiter((p in found for p in pseudo_ids), dtype=bool, count=len(pseudo_ids))


@dataclass(frozen=True)
class WorklistRow:
    practice_code: str
    pseudo_id: str
    score: float
    tier: str
    reasons: str
    on_care_plan: bool
    rule_flagged: bool

    def as_dict(self) -> dict:
        return {
            "practice_code": self.practice_code,
            "pseudo_id": self.pseudo_id,
            "score": round(self.score, 4),
            "tier": self.tier,
            "reasons": self.reasons,
            "on_care_plan": self.on_care_plan,
            "rule_flagged": self.rule_flagged,
        }
