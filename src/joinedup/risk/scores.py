"""The warehouse table `risk_scores`: one row per person and index date, a score column per
outcome, the tier by the emergency admission score, its top reasons and whether the case-finding
rule flags the person (tier I's worklists show both). `risk score` writes it; `risk list`, the
web service and retention read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from joinedup.errors import BadInput
from joinedup.risk.outcomes import OUTCOMES

SCORES_TABLE = "risk_scores"


@dataclass
class StoredScores:
    """One index date's scores, sorted by pseudo_id (as a FeatureTable is)."""

    index: date
    pseudo_ids: np.ndarray
    practices: np.ndarray
    localities: np.ndarray
    scores: dict[str, np.ndarray]
    tiers: np.ndarray
    reasons: np.ndarray  # the chosen model's top reasons for the primary outcome's score
    rule_flagged: np.ndarray  # the case-finding rule flags the person

    def __len__(self) -> int:
        return len(self.pseudo_ids)


def write(con, stored: StoredScores) -> int:
    """Replace this index date's rows; the number of rows written."""
    n = len(stored)
    columns = {
        "index_date": pa.array([stored.index] * n, pa.date32()),
        "pseudo_id": pa.array(stored.pseudo_ids.tolist(), pa.string()),
        "practice_code": pa.array(stored.practices.tolist(), pa.string()),
        "locality": pa.array(stored.localities.tolist(), pa.string()),
        **{o: pa.array(stored.scores[o], pa.float64()) for o in OUTCOMES},
        "tier": pa.array(stored.tiers.tolist(), pa.string()),
        "reasons": pa.array(stored.reasons.tolist(), pa.string()),
        "rule_flagged": pa.array(stored.rule_flagged.astype(bool), pa.bool_()),
    }
    outcome_columns = ", ".join(f"{o} DOUBLE" for o in OUTCOMES)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {SCORES_TABLE} (index_date DATE, pseudo_id VARCHAR, "
        f"practice_code VARCHAR, locality VARCHAR, {outcome_columns}, tier VARCHAR)"
    )
    for name, kind in (("reasons", "VARCHAR"), ("rule_flagged", "BOOLEAN")):  # tables before them
        con.execute(f"ALTER TABLE {SCORES_TABLE} ADD COLUMN IF NOT EXISTS {name} {kind}")
    con.execute(f"DELETE FROM {SCORES_TABLE} WHERE index_date = ?", [stored.index])
    con.register("new_scores", pa.table(columns))
    con.execute(f"INSERT INTO {SCORES_TABLE} BY NAME SELECT * FROM new_scores")
    con.unregister("new_scores")
    return n


def read(con, index: date) -> StoredScores:
    """The scores written for `index`; bad input when `risk score` has not written them."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [SCORES_TABLE]
    ).fetchone()[0]
    result = (
        con.execute(
            f"SELECT pseudo_id, practice_code, locality, {', '.join(OUTCOMES)}, tier, "
            "COALESCE(reasons, '') AS reasons, COALESCE(rule_flagged, false) AS rule_flagged "
            f"FROM {SCORES_TABLE} WHERE index_date = ? ORDER BY pseudo_id",
            [index],
        ).fetchnumpy()
        if exists
        else {"pseudo_id": []}
    )
    if len(result["pseudo_id"]) == 0:
        raise BadInput(
            f"no risk scores at {index.isoformat()} in the warehouse; run `joinedup risk score "
            f"--index-date {index.isoformat()}` first"
        )
    return StoredScores(
        index=index,
        pseudo_ids=np.asarray(result["pseudo_id"], dtype=object),
        practices=np.asarray(result["practice_code"], dtype=object),
        localities=np.asarray(result["locality"], dtype=object),
        scores={o: np.asarray(result[o], dtype=np.float64) for o in OUTCOMES},
        tiers=np.asarray(result["tier"], dtype=object),
        reasons=np.asarray(result["reasons"], dtype=object),
        rule_flagged=np.asarray(result["rule_flagged"], dtype=bool),
    )
