"""Scoring speed: `joinedup risk score`'s work, phase by phase, on a trained warehouse, and the
time to score 1,500,000 people (Kent) extrapolated from it.

    python bench/risk_score.py --warehouse W --model-dir M [--index-date 2016-04-01] [--repeat 3]

The feature SQL is timed on the warehouse's own people (its cost grows with rows, linearly);
prediction, reasons, the rule's flags and tiers are timed on the feature table stacked to
--people rows (1,500,000 by default), so that the models really score that many; writing the scores table is timed on the
warehouse's own people and scaled. Take it quietly: `flock /work/wt/bench.lock python ...`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path

import numpy as np

from joinedup.governance import objections
from joinedup.risk import scores as score_store
from joinedup.risk import workflow
from joinedup.risk.features import FeatureTable, build_features
from joinedup.risk.rules import load_rules
from joinedup.risk.tiers import assign_tiers
from joinedup.warehouse import store


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def stacked(table: FeatureTable, people: int) -> FeatureTable:
    copies = -(-people // len(table))
    rows = np.tile(np.arange(len(table)), copies)[:people]
    return table.select(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--index-date", type=date.fromisoformat, default=date(2016, 4, 1))
    parser.add_argument("--people", type=int, default=1_500_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bundle = workflow.load(args.model_dir)
    rules = load_rules()
    best: dict[str, float] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(best.get(name, float("inf")), seconds)

    with store.writing(args.warehouse) as con:
        for _ in range(args.repeat):
            table, seconds = timed(build_features, con, args.index_date)
            keep("features_sql", seconds)
            keep_rows, seconds = timed(objections.allowed, con, table.pseudo_ids, args.index_date)
            keep("opt_outs", seconds)
            big = stacked(table.select(keep_rows), args.people)
            predicted, seconds = timed(bundle.predict, big)
            keep("predict", seconds)
            _, seconds = timed(bundle.explain, workflow.PRIMARY_OUTCOME, big)
            keep("reasons", seconds)
            _, seconds = timed(rules.flag, big)
            keep("rule_flags", seconds)
            _, seconds = timed(assign_tiers, predicted[workflow.PRIMARY_OUTCOME])
            keep("tiers", seconds)
            stored, _ = timed(workflow.score, con, bundle, args.index_date, rules)
            _, seconds = timed(score_store.write, con, stored)
            keep("write", seconds)
        own = len(table)
    scale = args.people / own
    kent = {
        "features_sql": best["features_sql"] * scale,
        "opt_outs": best["opt_outs"] * scale,
        **{k: best[k] for k in ("predict", "reasons", "rule_flags", "tiers")},
        "write": best["write"] * scale,
    }
    print(
        json.dumps(
            {
                "warehouse_people": own,
                "learners": dict(bundle.chosen),
                "best_of": args.repeat,
                "seconds_at_warehouse_size": {k: round(v, 2) for k, v in best.items()},
                "people": args.people,
                "seconds_at_people": {k: round(v, 1) for k, v in kent.items()},
                "total_seconds_at_people": round(sum(kent.values()), 1),
                "load_average": os.getloadavg(),
                "note": "features_sql, opt_outs and write scaled linearly from the warehouse's "
                "own people; predict, reasons, rule_flags and tiers measured on that many rows",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
