"""Issue 13's figures: marts and metrics on DuckDB and on Spark (local[2] by default,
JOINEDUP_SPARK_MASTER) for one landed warehouse, side by side, and whether the two metrics JSON
files are equal in every value.

    python bench/spark.py WAREHOUSE.duckdb     # e.g. out/bench/175000/warehouse.duckdb

The warehouse is copied to out/bench/spark-<name>/ (the original is not changed), written as a
Parquet folder there, and each stage runs as its own process (its peak memory is the largest of
the process and its children: for Spark, the JVM). Take timings under `flock /work/wt/bench.lock`
on a shared machine and note the load average.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT, measure  # noqa: E402

CLI = [sys.executable, "-m", "joinedup.cli"]


def without_time(path: Path) -> dict:
    printed = json.loads(path.read_text())
    printed.pop("generated_at")
    return printed


def main(warehouse: Path) -> int:
    folder = OUT / f"spark-{warehouse.stem}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    duck, parquet = folder / "w.duckdb", folder / "w.parquet"
    shutil.copyfile(warehouse, duck)
    os.environ.setdefault("JOINEDUP_SPARK_CONF", "spark.driver.memory=4g")
    print(f"{warehouse} (load average {os.getloadavg()[0]:.1f})", flush=True)
    results = [measure("parquet (write the warehouse)", [*CLI, "parquet", str(duck), "--out", str(parquet)])]
    for engine, where in (("duckdb", duck), ("spark", parquet)):
        on = ["--engine", engine, "--warehouse", str(where)]
        results.append(measure(f"marts on {engine}", [*CLI, "marts", *on, "--quiet"]))
        with (folder / f"metrics-{engine}.json").open("w") as handle:
            results.append(measure(f"metrics on {engine}", [*CLI, "metrics", *on, "--quiet"], stdout=handle))
    same = without_time(folder / "metrics-duckdb.json") == without_time(folder / "metrics-spark.json")
    print(f"  metrics JSON equal on both engines: {same}")
    print(f"  load average at the end {os.getloadavg()[0]:.1f}")
    (folder / "results.json").write_text(json.dumps({"results": results, "same_metrics": same}, indent=2))
    return 0 if same else 4


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
