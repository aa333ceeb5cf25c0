"""The ceiling on a generated area: the generator's true yearly hazards (truth/hazards.csv, one row
per person and 1 April) ranked as if they were a model's scores, and how much of the gain over
chance that they achieve the model achieves.

A warehouse person (by pseudonym) is matched to its true person through the lineage of its GP registration
rows (the vault's file and line of each row, against truth/row_person.csv): the person holding
most of them. Only pseudo_ids, lines and truth person ids are read; no identifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from joinedup.errors import BadInput
from joinedup.risk import evaluation
from joinedup.risk.features import FeatureTable
from joinedup.warehouse.pseudonyms import pseudonyms_of

HAZARDS_FILE = "hazards.csv"
# outcome: the truth column holding its true hazard (high cost: expected cost, a ranking only)
TRUTH_COLUMNS = {
    "emergency_admission": "emergency_admission",
    "permanent_care": "permanent_care",
    "high_cost": "expected_cost",
}
PROBABILITIES = ("emergency_admission", "permanent_care")  # Brier scores need probabilities

PERSON_OF_PSEUDO_ID = """
    WITH lines AS (
        SELECT g.pseudo_id, r.person_id, count(*) AS n
        FROM truth_lineage g
        JOIN read_csv(?, header = true, columns = {'feed': 'VARCHAR', 'line': 'BIGINT',
                                                   'person_id': 'VARCHAR'}) r
          ON r.feed = g.feed AND r.line = g.line
        WHERE g.feed = 'gp_register' AND g.pseudo_id IS NOT NULL
        GROUP BY g.pseudo_id, r.person_id
    )
    SELECT pseudo_id, arg_max(person_id, n) FROM lines GROUP BY pseudo_id"""


class Truth(NamedTuple):
    """A generated area's truth folder, and the lineage (feed, file, line, pseudo_id) of the
    warehouse's rows from the vault (`landing.lineage.landed_lineage`)."""

    folder: Path
    lineage: pa.Table


def true_hazards(con, truth: Truth, table: FeatureTable) -> dict[str, np.ndarray]:
    """Per outcome, each person's true hazard at the table's index date (NaN when unmatched)."""
    path, people = truth.folder / HAZARDS_FILE, truth.folder / "row_person.csv"
    for needed in (path, people):
        if not needed.is_file():
            raise BadInput(f"{needed}: missing (expected a generated area's truth folder)")
    con.register("truth_lineage", truth.lineage)
    try:
        person_of = dict(con.execute(PERSON_OF_PSEUDO_ID, [str(people)]).fetchall())
    finally:
        con.unregister("truth_lineage")
    columns = ", ".join(TRUTH_COLUMNS.values())
    rows = con.execute(
        f"SELECT CAST(person_id AS VARCHAR), {columns} FROM read_csv(?, header = true) "
        "WHERE CAST(index_date AS DATE) = ?",
        [str(path), table.index],
    ).fetchall()
    if not rows:
        raise BadInput(
            f"{path}: no true hazards at {table.index.isoformat()} (written each 1 April)"
        )
    by_person = {row[0]: row[1:] for row in rows}
    missing = (np.nan,) * len(TRUTH_COLUMNS)
    values = np.array(
        [by_person.get(person_of.get(p), missing) for p in pseudonyms_of(con, table.pseudo_ids)],
        dtype=np.float64,
    ).reshape(len(table), len(TRUTH_COLUMNS))
    return {outcome: values[:, i] for i, outcome in enumerate(TRUTH_COLUMNS)}


def ceiling(y, p, p_twin, hazards: dict[str, np.ndarray], outcome: str, flags) -> dict:
    """The true hazards', the model's and the rule's discrimination on the people matched to the
    truth, and the model's share of the gain over chance that the true hazards achieve. For the
    outcomes with true probabilities, also the expected AUROC of the model and of its twin
    without social care: their AUROC averaged over the outcomes the true hazards could have
    drawn, which a rare outcome's few events measure only roughly."""
    known = ~np.isnan(hazards[outcome])
    y, p, h, flags = y[known], p[known], hazards[outcome][known], flags[known].astype(float)
    p_twin = p_twin[known]
    result = {
        "people": int(known.sum()),
        "events": int(y.sum()),
        "oracle_auroc": _auroc(y, h),
        "model_auroc": _auroc(y, p),
        "rule_auroc": _auroc(y, flags),
        "oracle_brier": evaluation.brier(y, h) if outcome in PROBABILITIES else None,
        "model_brier": evaluation.brier(y, p),
        "chance_brier": float(y.mean() * (1 - y.mean())) if len(y) else None,
    }
    probabilities = outcome in PROBABILITIES
    for name, score in (("oracle", h), ("model", p), ("twin", p_twin)):
        result[f"{name}_expected_auroc"] = expected_auroc(h, score) if probabilities else None
    result["share_of_achievable_auroc_gain"] = _share(
        result["model_auroc"], result["oracle_auroc"], 0.5
    )
    result["share_of_achievable_brier_gain"] = (
        None
        if result["oracle_brier"] is None
        else _share(-result["model_brier"], -result["oracle_brier"], -result["chance_brier"])
    )
    return result


def expected_auroc(hazard: np.ndarray, score: np.ndarray) -> float | None:
    """AUROC expected when each person's outcome is drawn from their true hazard: over pairs of
    different people, P(score ranks the case above the non-case), ties counting a half."""
    order = np.argsort(score, kind="stable")
    h, s = hazard[order], score[order]
    _, first = np.unique(s, return_index=True)
    controls = 1 - h
    below = np.concatenate([[0.0], np.cumsum(controls)])[first]  # controls scored strictly lower
    tied = np.add.reduceat(controls, first)
    group_cases = np.add.reduceat(h, first)
    same_person = (h * controls).sum()
    pairs = h.sum() * controls.sum() - same_person
    if pairs <= 0:
        return None
    # within a tie group: pairs of different people count a half
    wins = (group_cases * below).sum() + 0.5 * ((group_cases * tied).sum() - same_person)
    return float(wins / pairs)


def _auroc(y, score) -> float | None:
    found = evaluation.auroc_with_ci(y, score) if len(y) else None
    return found["auroc"] if found else None


def _share(model: float | None, best: float | None, chance: float) -> float | None:
    if model is None or best is None or best == chance:
        return None
    return (model - chance) / (best - chance)
