"""Do two source trees give the same results on one generated area? Lands the area once (with
--before), then builds the marts and computes the metrics (all, and by locality) and risk's
costs over two windows with each tree on its own copy, and compares them: the metrics JSON
byte for byte apart from `generated_at`, every warehouse table row for row (doubles to 1e-6), costs to 0.005.

    python bench/same_results.py --before /path/to/old/src --after src [--people 3000 --seed 11]
    python bench/same_results.py --before OLD/src --after src --area /work/areas/175000/area \
        --register /work/areas/175000/area/register.yaml --as-of 2016-05-01 --land-each \
        --work /tmp/same-175k

`--area` reuses a generated area (only read); `--land-each` lands it with each tree (for a
change to landing or identity), both with one pair of secrets made for the run so that their
pseudo_ids agree, and compares the vaults too. Tables are compared without the columns that say
when a load ran and a new vault's random id (`VOLATILE`); the load's printed summary
is compared apart from its seconds. Used for issue 8's refactors: "identical" means no change.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
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


# What differs between two loads of the same files by design: when they ran, a new vault's id.
VOLATILE = {"loads.started_at", "loads.finished_at", "store_binding.vault_id",
            "identifier_records.resolved_at", "review_queue.decided_at", "vault_meta.vault_id"}  # fmt: skip


def joinedup(src: Path, *args: str, out=subprocess.DEVNULL) -> None:
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    subprocess.run([sys.executable, "-m", "joinedup.cli", *args], env=env, stdout=out, check=True)


def land(src: Path, area: Path, folder: Path, load_args: list[str]) -> str:
    """Land `area` into folder/warehouse.duckdb (vault beside it); the printed summary without
    its seconds. A folder left by an earlier run is replaced."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    printed = folder / "load.txt"
    with printed.open("w") as handle:
        joinedup(src, "load", str(area), "--warehouse", str(folder / "warehouse.duckdb"),
                 "--quiet", *load_args, out=handle)  # fmt: skip
    return re.sub(r" \([0-9.]+s\)", "", printed.read_text())


def results(src: Path, work: Path, side: str, landed: bool) -> dict:
    """Marts, metrics and costs of `side`'s warehouse (copied from the one landing first)."""
    warehouse = work / side / "warehouse.duckdb"  # one name: the metrics' `area` is its stem
    if not landed:
        shutil.rmtree(warehouse.parent, ignore_errors=True)
        warehouse.parent.mkdir(parents=True)
        shutil.copy(work / "landed" / "warehouse.duckdb", warehouse)
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    costs = subprocess.run([sys.executable, "-c", COSTS, str(warehouse)], env=env,
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    joinedup(src, "marts", "--warehouse", str(warehouse), "--quiet")
    found = {"costs": json.loads(costs)}
    for name, extra in (("metrics", []), ("metrics_by_locality", ["--by", "locality"])):
        path = work / side / f"{name}.json"
        with path.open("w") as handle:
            joinedup(src, "metrics", "--warehouse", str(warehouse), "--quiet", *extra, out=handle)
        found[name] = re.sub(r'\n *"generated_at": "[^"]*",', "", path.read_text())
    return found


def differing_tables(work: Path, store: str, skip_volatile: bool) -> tuple[list[str], list[str]]:
    """The tables of `store` whose rows differ between the sides, and the columns left out."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{work / 'before' / store}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{work / 'after' / store}' AS b (READ_ONLY)")
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a'").fetchall()]  # fmt: skip
    differing, left_out = [], []
    for t in tables:
        columns = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'a'"
            " AND table_name = ? ORDER BY column_index", [t]).fetchall()  # fmt: skip
        volatile = [c for c, _ in columns if skip_volatile and f"{t}.{c}" in VOLATILE]
        left_out += [f"{t}.{c}" for c in volatile]
        # doubles to 1e-6: DuckDB's parallel sums add in any order, so the marts' costs differ
        # in their last bits between two builds of one warehouse by the same code
        kept = ", ".join(f'round("{c}", 6)' if kind in ("DOUBLE", "FLOAT") else f'"{c}"'
                         for c, kind in columns if c not in volatile) or "1"  # fmt: skip
        if con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT {kept} FROM a.{t} EXCEPT ALL SELECT {kept} FROM b.{t}))"
            f" + (SELECT count(*) FROM (SELECT {kept} FROM b.{t} EXCEPT ALL SELECT {kept} FROM a.{t}))"
        ).fetchone()[0]:
            differing.append(t)
    return differing, left_out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the old tree's src folder")
    parser.add_argument("--after", type=Path, required=True, help="the new tree's src folder")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--area", type=Path, help="an existing generated area (only read)")
    parser.add_argument("--register", type=Path, help="passed to load")
    parser.add_argument("--as-of", help="passed to load")
    parser.add_argument("--land-each", action="store_true", help="land the area with each tree")
    parser.add_argument("--work", type=Path, help="keep the stores here (default: a temp folder)")
    args = parser.parse_args()
    load_args = [*(["--register", str(args.register)] if args.register else []),
                 *(["--as-of", args.as_of] if args.as_of else [])]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="same-results-") as folder:
        work = args.work or Path(folder)
        work.mkdir(parents=True, exist_ok=True)
        area = args.area or work / "area"
        if args.area is None:
            joinedup(args.before, "synth", "--out", str(area), "--people", str(args.people),
                     "--seed", str(args.seed), "--quiet")  # fmt: skip
        printed = {}
        if args.land_each:  # one pair of secrets for both sides: the same pseudo_ids
            os.environ["JOINEDUP_PSEUDO_KEY"] = secrets.token_hex(32)
            os.environ["JOINEDUP_ROW_KEY"] = secrets.token_hex(32)
            for side, src in (("before", args.before), ("after", args.after)):
                printed[side] = land(src, area, work / side, load_args)
        else:
            land(args.before, area, work / "landed", load_args)
        before = results(args.before, work, "before", args.land_each)
        after = results(args.after, work, "after", args.land_each)
        tables, left_out = differing_tables(work, "warehouse.duckdb", args.land_each)
        vault_tables, vault_left_out = (
            differing_tables(work, "vault.duckdb", True) if args.land_each else ([], [])
        )
    worst = max(abs(x - y) for k in before["costs"]
                for x, y in zip(before["costs"][k], after["costs"][k], strict=True))  # fmt: skip
    report = {
        "metrics identical": before["metrics"] == after["metrics"],
        "metrics by locality identical": before["metrics_by_locality"]
        == after["metrics_by_locality"],
        "warehouse tables differing after marts": tables,
        "largest cost difference (GBP)": worst,
    }
    if args.land_each:
        report |= {
            "load summaries identical": printed["before"] == printed["after"],
            "vault tables differing": vault_tables,
            "columns left out": left_out + [f"vault:{c}" for c in vault_left_out],
        }
    print(json.dumps(report, indent=2))
    same = report["metrics identical"] and report["metrics by locality identical"]
    same = same and report.get("load summaries identical", True) and not vault_tables
    return 0 if same and not tables and worst <= 0.005 else 1


if __name__ == "__main__":
    sys.exit(main())
