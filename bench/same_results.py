"""Do two source trees give the same results on one generated area? Lands the area once (with
--before), then builds the marts and computes the metrics (all, and by locality) and risk's
costs over three windows with each tree on its own copy, and compares them: metrics JSON apart
from `area` and `generated_at`, every warehouse table row for row, costs to 0.005.

    python bench/same_results.py --before /path/to/old/src --after src [--people 3000 --seed 11]

Used for issue 8's refactors (code groupings, one cost rule): "identical" means no change.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

COSTS = """
import json, sys
from datetime import date
import duckdb, numpy as np
from joinedup.risk.outcomes import cost_in_window
con = duckdb.connect(sys.argv[1], read_only=True)
ids = np.array([r[0] for r in con.execute("SELECT pseudo_id FROM person ORDER BY 1").fetchall()],
               dtype=object)
windows = ((date(2014, 4, 1), date(2015, 4, 1)), (date(2014, 10, 1), date(2015, 4, 1)))
print(json.dumps({f"{s}..{e}": cost_in_window(con, ids, s, e).tolist() for s, e in windows}))
"""


def joinedup(src: Path, *args: str, out=subprocess.DEVNULL) -> None:
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    subprocess.run([sys.executable, "-m", "joinedup.cli", *args], env=env, stdout=out, check=True)


def results(src: Path, work: Path, side: str) -> dict:
    warehouse = work / f"{side}.duckdb"
    shutil.copy(work / "landed.duckdb", warehouse)
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    costs = subprocess.run([sys.executable, "-c", COSTS, str(warehouse)], env=env,
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    joinedup(src, "marts", "--warehouse", str(warehouse), "--quiet")
    found = {"costs": json.loads(costs)}
    for name, extra in (("metrics", []), ("metrics_by_locality", ["--by", "locality"])):
        path = work / f"{side}_{name}.json"
        with path.open("w") as handle:
            joinedup(src, "metrics", "--warehouse", str(warehouse), "--quiet", *extra, out=handle)
        found[name] = json.loads(path.read_text())["metrics"]
    return found


def differing_tables(work: Path) -> list[str]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{work / 'before.duckdb'}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{work / 'after.duckdb'}' AS b (READ_ONLY)")
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a'").fetchall()]  # fmt: skip
    return [t for t in tables if con.execute(
        f"SELECT (SELECT count(*) FROM (FROM a.{t} EXCEPT ALL FROM b.{t}))"
        f" + (SELECT count(*) FROM (FROM b.{t} EXCEPT ALL FROM a.{t}))").fetchone()[0]]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the old tree's src folder")
    parser.add_argument("--after", type=Path, required=True, help="the new tree's src folder")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="same-results-") as folder:
        work = Path(folder)
        joinedup(args.before, "synth", "--out", str(work / "area"), "--people", str(args.people),
                 "--seed", str(args.seed), "--quiet")  # fmt: skip
        joinedup(args.before, "load", str(work / "area"), "--warehouse", str(work / "landed.duckdb"),
                 "--quiet")  # fmt: skip
        before, after = results(args.before, work, "before"), results(args.after, work, "after")
        tables = differing_tables(work)
    worst = max(abs(x - y) for k in before["costs"]
                for x, y in zip(before["costs"][k], after["costs"][k], strict=True))  # fmt: skip
    report = {
        "metrics identical": before["metrics"] == after["metrics"],
        "metrics by locality identical": before["metrics_by_locality"]
        == after["metrics_by_locality"],
        "warehouse tables differing after marts": tables,
        "largest cost difference (GBP)": worst,
    }
    print(json.dumps(report, indent=2))
    same = report["metrics identical"] and report["metrics by locality identical"]
    return 0 if same and not tables and worst <= 0.005 else 1


if __name__ == "__main__":
    sys.exit(main())
