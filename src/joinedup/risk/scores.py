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

from joinedup.engine import DuckDB, engine_of
from joinedup.errors import BadInput
from joinedup.risk.outcomes import OUTCOMES

SCORES_TABLE = "risk_scores"


@dataclass
class StoredScores:
    """One index date's scores, sorted by person number (as a FeatureTable is)."""

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
    """Replace this index date's rows (on DuckDB or Spark); the number of rows written."""
    n = len(stored)
    columns = {
        "index_date": pa.array(np.full(n, np.datetime64(stored.index, "D")), pa.date32()),
        "pseudo_id": pa.array(stored.pseudo_ids, pa.int32()),
        "practice_code": pa.array(stored.practices, pa.string()),
        "locality": pa.array(stored.localities, pa.string()),
        **{o: pa.array(stored.scores[o], pa.float64()) for o in OUTCOMES},
        "tier": pa.array(stored.tiers, pa.string()),
        "reasons": pa.array(stored.reasons, pa.string()),
        "rule_flagged": pa.array(stored.rule_flagged.astype(bool), pa.bool_()),
    }
    con = engine_of(con)
    con.register("new_scores", pa.table(columns))
    names = ", ".join(columns)
    if SCORES_TABLE not in con.tables():
        con.execute(f"CREATE OR REPLACE TABLE {SCORES_TABLE} AS SELECT {names} FROM new_scores")
        return n
    if isinstance(con, DuckDB):  # a table written before the last two columns existed
        for name, kind in (("reasons", "VARCHAR"), ("rule_flagged", "BOOLEAN")):
            con.execute(f"ALTER TABLE {SCORES_TABLE} ADD COLUMN IF NOT EXISTS {name} {kind}")
    con.execute(  # the other index dates' rows stay
        f"CREATE OR REPLACE TABLE {SCORES_TABLE} AS SELECT {names} FROM {SCORES_TABLE}"
        f" WHERE index_date <> ? UNION ALL SELECT {names} FROM new_scores",
        [stored.index],
    )
    return n


def read(con, index: date) -> StoredScores:
    """The scores written for `index`; bad input when `risk score` has not written them."""
    exists = SCORES_TABLE in engine_of(con).tables()
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
