"""Scoring speed: `joinedup risk score` end to end on a real warehouse, stage by stage, and
whether it wrote the same scores and reasons as the ones already stored for that date.

    python bench/risk_score.py --warehouse W --model-dir M [--index-date 2016-04-01] [--repeat 1]

W is rewritten (the command replaces its risk_scores rows for the date): give a scratch copy.
Each run is the real command in its own process (wall, CPU and peak memory from wait4); the
stages are its own progress lines. When W already holds scores for the date (say, written by an
earlier version), the scores written are compared with them: the largest score difference per
outcome and the people whose reasons, tier or rule flag differ. Take it quietly:
`flock /work/wt/bench.lock python bench/risk_score.py ...`, OMP_NUM_THREADS=1. A county-sized W
without a county-sized load: `bench/stacked_warehouse.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from joinedup.risk.outcomes import OUTCOMES

STAGE = re.compile(r"^risk: (.+): done in ([0-9.]+)s$")


def stored(warehouse: Path, index: date) -> pa.Table | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not con.sql(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'risk_scores'"
        ).fetchall()[0][0]:
            return None
        return con.sql(
            f"SELECT * FROM risk_scores WHERE index_date = DATE '{index.isoformat()}'"
        ).to_arrow_table()


def compared(warehouse: Path, index: date, before: pa.Table) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.register("before", before)
        largest = ", ".join(f"max(abs(a.{o} - b.{o}))" for o in OUTCOMES)
        row = con.execute(
            f"SELECT count(*), count(a.pseudo_id), count(b.pseudo_id), {largest},"
            " count(*) FILTER (WHERE a.reasons IS DISTINCT FROM b.reasons),"
            " count(*) FILTER (WHERE a.tier IS DISTINCT FROM b.tier),"
            " count(*) FILTER (WHERE a.rule_flagged IS DISTINCT FROM b.rule_flagged)"
            " FROM before a FULL JOIN (SELECT * FROM risk_scores WHERE index_date = ?) b"
            " USING (pseudo_id)",
            [index],
        ).fetchone()
    people, before_rows, after_rows, *rest = row
    return {
        "people": people,
        "only_before": people - after_rows,
        "only_after": people - before_rows,
        "largest_score_difference": dict(zip(OUTCOMES, rest[: len(OUTCOMES)], strict=True)),
        "reasons_differ": rest[len(OUTCOMES)],
        "tier_differs": rest[len(OUTCOMES) + 1],
        "rule_flag_differs": rest[len(OUTCOMES) + 2],
    }


def run(argv: list[str]) -> dict:
    load = os.getloadavg()
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    err = process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"risk score failed:\n{err[-2000:]}")
    stages = {m[1]: float(m[2]) for m in map(STAGE.match, err.splitlines()) if m}
    return {
        "wall_seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mib": round(usage.ru_maxrss / 1024),
        "stages_seconds": stages,
        "load_average_before": [round(x, 2) for x in load],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--index-date", type=date.fromisoformat, default=date(2016, 4, 1))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    before = stored(args.warehouse, args.index_date)
    argv = [sys.executable, "-m", "joinedup.cli", "risk", "score", "--warehouse",
            str(args.warehouse), "--model-dir", str(args.model_dir),
            "--index-date", args.index_date.isoformat()]  # fmt: skip
    runs = [run(argv) for _ in range(args.repeat)]
    result = {
        "warehouse": str(args.warehouse),
        "warehouse_gib": round(args.warehouse.stat().st_size / 2**30, 2),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "runs": runs,
    }
    if before is not None and before.num_rows:
        result["against_the_scores_stored_before"] = compared(
            args.warehouse, args.index_date, before
        )
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
