"""Issue 13's same answers and figures: marts, metrics and risk scores on DuckDB and on Spark
(local[2] by default, JOINEDUP_SPARK_MASTER) for one landed warehouse, side by side, each stage
timed, and the answers compared: the metrics JSON in every value, every row of the five marts
(doubles to 1e-9) and every person's risk scores for one model (to 1e-9). With --people, the
generated area is also landed a second time by `load --engine spark` (its checks on Spark, its
probabilistic linkage on Splink's Spark backend; the same keys; its warehouse a Parquet folder,
loaded-on-spark/landed/), and the two loads' vaults
(every record's person, link method and match weight; the people; the review queue) and
warehouses compared.

    python bench/spark.py --people 20000            # generate (seed 1), load and train on DuckDB first
    python bench/spark.py W.duckdb --models DIR     # a landed warehouse and a trained model
    python bench/spark.py --area DIR                # only the floor and the two loads of DIR's CSVs

The warehouse is copied to OUT/spark-<name>/ (the original is not changed) and written as a
Parquet folder there; each stage runs as its own process, its peak memory the largest resident
total of the process and all its descendants (for Spark, the JVM that pyspark starts), sampled
from /proc every 0.2 s. Take timings under `flock /work/wt/bench.lock`
on a shared machine and note the load average. Exit 0 when every answer is the same, else 4.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT  # noqa: E402

from joinedup.marts import build as marts  # noqa: E402

CLI = [sys.executable, "-m", "joinedup.cli"]
AS_OF, INDEX_DATE = "2016-05-01", "2016-04-01"
MART_KEYS = {**marts.MART_KEYS, "risk_scores": ("pseudo_id", "index_date")}
TOLERANCE = 1e-9
# The floor a load is measured against (issue 13): DuckDB landing the same CSVs as text.
FLOOR = """import duckdb, glob, sys
con = duckdb.connect(sys.argv[2])
for f in sorted(glob.glob(sys.argv[1] + '/*.csv')):
    con.execute(f"CREATE TABLE {f.rsplit('/', 1)[1][:-4]} AS SELECT * FROM read_csv('{f}', all_varchar=true)")
"""


def _tree_rss_kib(root: int) -> int:
    """Resident KiB of a process and every descendant, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields["PPid"])
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew, tree = bool(found), tree | found
    return sum(rss.get(pid, 0) for pid in tree)


def measure(name: str, argv: list[str], stdout=subprocess.DEVNULL, log: Path | None = None) -> dict:
    """Run one stage; its wall time, CPU time and the peak resident memory of its process tree
    (and its whole stderr in `log`, if given)."""
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, text=True)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_rss_kib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if log:
        log.write_text(stderr)
    result = {"stage": name, "seconds": round(time.monotonic() - started, 1),
              "peak_mib": round(max(peak[0], usage.ru_maxrss) / 1024),
              "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1), "exit_code": code}  # fmt: skip
    if code:
        print(stderr[-2000:], file=sys.stderr)
    print(f"  {name:<34} {result['seconds']:>8.1f} s  {result['peak_mib']:>7,} MiB  exit {code}", flush=True)
    return result


def without_time(path: Path) -> dict:
    printed = json.loads(path.read_text())
    printed.pop("generated_at")
    return printed


def generated(people: int, folder: Path, results: list) -> tuple[Path, Path]:
    """A generated area landed and a model trained, both on DuckDB: (warehouse, model dir). The
    area is landed again by `load --engine spark` into folder/loaded-on-spark/."""
    area, models = folder / "area", folder / "models"
    results.append(measure("synth", [*CLI, "synth", "--out", str(area), "--people", str(people),
                                     "--seed", "1", "--quiet"]))  # fmt: skip
    warehouse = landed(area, folder, results)
    train = [*CLI, "risk", "train", "--warehouse", str(warehouse), "--model-dir", str(models)]
    results.append(measure("risk train on duckdb", [*train, "--quiet"]))
    return warehouse, models


def landed(area: Path, folder: Path, results: list, register: bool = False) -> Path:
    """The floor, then `load` on DuckDB and `load --engine spark` (the same keys) of the area's
    CSVs, side by side (with its register.yaml if `register`); the DuckDB-landed warehouse."""
    results.append(measure("floor (the CSVs as text into DuckDB)", [sys.executable, "-c", FLOOR, str(area), str(folder / "floor.duckdb")]))
    options = ["--as-of", AS_OF, "--quiet", *(["--register", str(area / "register.yaml")] if register else [])]
    for engine, where in (("duckdb", folder), ("spark", folder / "loaded-on-spark")):
        where.mkdir(exist_ok=True)
        if engine == "spark":  # the same keyed functions: the same pseudonyms
            for suffix in (".key", ".rowkey"):
                shutil.copy(folder / f"v.duckdb{suffix}", where / f"v.duckdb{suffix}")
        target = where / ("landed" if engine == "spark" else "landed.duckdb")  # Spark's: a Parquet folder
        load = [*CLI, "load", str(area), "--warehouse", str(target), "--vault", str(where / "v.duckdb")]
        results.append(measure(f"load on {engine}", [*load, *options, "--engine", engine],
                               log=folder / f"load-on-{engine}.stderr"))  # fmt: skip
    return folder / "landed.duckdb"


VAULT_TABLES = {
    "identifier_records": ("record_id", "person_key, link_method, match_weight"),
    "people": ("person_key", "nhs_number, given_name, family_name, date_of_birth, sex, postcode, merged_into"),
    "review_queue": ("review_id", "record_id, candidate_person_key, provisional_person_key, match_weight, status"),
}


def linkage_differences(duck: Path, spark: Path) -> dict:
    """The two loads' vaults and warehouses: rows of each table, and rows not the same on both
    (match weights to TOLERANCE; a load's times and its vault's id left out)."""
    import duckdb

    from joinedup.engine.parquet import current, tables_in

    con = duckdb.connect()
    found = {}
    for side, path in (("d", duck), ("s", spark)):
        con.execute(f"ATTACH '{path / 'v.duckdb'}' AS v{side} (READ_ONLY)")
    con.execute(f"ATTACH '{duck / 'landed.duckdb'}' AS wd (READ_ONLY)")
    con.execute("ATTACH ':memory:' AS ws")  # the Spark load's Parquet warehouse, as views
    tables = tables_in(spark / "landed")
    for table in tables:
        files = current(spark / "landed") / table / "*.parquet"
        con.execute(f"CREATE VIEW ws.{table} AS SELECT * FROM read_parquet('{files}')")
    for table, (key, columns) in VAULT_TABLES.items():
        differ = " OR ".join(
            f"abs(a.{c} - b.{c}) > {TOLERANCE}" if c == "match_weight" else f"a.{c} IS DISTINCT FROM b.{c}"
            for c in columns.split(", ")
        )  # fmt: skip
        found[f"vault.{table}"] = dict(zip(("rows", "differ"), con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE a.{key} IS NULL OR b.{key} IS NULL OR {differ})"
            f" FROM vd.{table} a FULL JOIN vs.{table} b ON a.{key} = b.{key}").fetchone(), strict=True))  # fmt: skip
    for table in tables:
        own = {"loads": "started_at, finished_at", "store_binding": "vault_id"}.get(table)  # the load's own
        columns = f"* EXCLUDE ({own})" if own else "*"
        one_way = "SELECT {c} FROM w{a}.{t} EXCEPT ALL SELECT {c} FROM w{b}.{t}"
        differ = sum(con.execute(f"SELECT count(*) FROM ({one_way.format(c=columns, t=table, a=a, b=b)})").fetchone()[0]
                     for a, b in (("d", "s"), ("s", "d")))  # fmt: skip
        rows = con.execute(f"SELECT count(*) FROM wd.{table}").fetchone()[0]
        found[f"warehouse.{table}"] = {"rows": rows, "differ": differ}
    return found


def differences(duck: Path, parquet: Path) -> dict:
    """Per table: rows on each side, rows on one side only, and values that differ (doubles by
    more than TOLERANCE), compared in DuckDB (the file against Spark's Parquet)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{duck}' AS d (READ_ONLY)")
    found = {}
    for table, keys in MART_KEYS.items():
        con.execute(f"CREATE OR REPLACE VIEW s AS SELECT * FROM read_parquet('{parquet}/{table}/*.parquet')")
        columns = con.execute(f"DESCRIBE d.{table}").fetchall()
        on = " AND ".join(f"a.{k} IS NOT DISTINCT FROM b.{k}" for k in keys)
        checks = [
            f"abs(a.{name} - b.{name}) > {TOLERANCE} OR (a.{name} IS NULL) <> (b.{name} IS NULL)"
            if kind == "DOUBLE" else f"a.{name} IS DISTINCT FROM b.{name}"
            for name, kind, *_ in columns if name not in keys
        ]  # fmt: skip
        differ = " + ".join(f"count(*) FILTER (WHERE {c})" for c in checks) or "0"
        rows = con.execute(
            f"SELECT (SELECT count(*) FROM d.{table}), (SELECT count(*) FROM s),"
            f" count(*) FILTER (WHERE a.{keys[0]} IS NULL OR b.{keys[0]} IS NULL), {differ}"
            f" FROM d.{table} a FULL JOIN s b ON {on}"
        ).fetchone()
        found[table] = dict(zip(("duckdb_rows", "spark_rows", "one_side_only", "values_differ"), rows, strict=True))
    return found


def side_by_side(area: Path, folder: Path, results: list) -> int:
    """An area's CSVs landed three ways (floor, DuckDB, Spark), each load's wall and peak also as
    a ratio to the floor's, and the two loads compared; exit 0 when they are the same, else 4."""
    landed(area, folder, results, register=(area / "register.yaml").exists())
    floor = results[0]
    for result in results[1:]:
        result["to_floor"] = {k: round(result[k] / floor[k], 1) for k in ("seconds", "peak_mib")}
        print(f"  {result['stage']}: {result['to_floor']['seconds']}x the floor's wall, {result['to_floor']['peak_mib']}x its peak")
    linkage = linkage_differences(folder, folder / "loaded-on-spark")
    for table, counts in linkage.items():
        print(f"  {table}: {counts}")
    print(f"  load average at the end {os.getloadavg()[0]:.1f}")
    (folder / "results.json").write_text(json.dumps({"results": results, "linkage": linkage}, indent=2))
    return 4 if any(t["differ"] for t in linkage.values()) else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse", nargs="?", type=Path)
    parser.add_argument("--models", type=Path)
    parser.add_argument("--people", type=int)
    parser.add_argument("--area", type=Path, help="an area's CSVs to land side by side (only)")
    args = parser.parse_args(argv)
    name = f"{args.people}" if args.people else f"{args.area.parent.name}-loads" if args.area else args.warehouse.stem
    folder = OUT / f"spark-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ.setdefault("JOINEDUP_SPARK_CONF", "spark.driver.memory=4g")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"{name} (load average {os.getloadavg()[0]:.1f})", flush=True)
    results: list[dict] = []
    if args.area:
        return side_by_side(args.area, folder, results)
    warehouse, models = generated(args.people, folder, results) if args.people else (args.warehouse, args.models)
    duck, parquet = folder / "w.duckdb", folder / "w.parquet"
    shutil.copyfile(warehouse, duck)
    results.append(measure("parquet (write the warehouse)", [*CLI, "parquet", str(duck), "--out", str(parquet)]))
    for engine, where in (("duckdb", duck), ("spark", parquet)):
        on = ["--engine", engine, "--warehouse", str(where)]
        results.append(measure(f"marts on {engine}", [*CLI, "marts", *on, "--quiet"]))
        with (folder / f"metrics-{engine}.json").open("w") as handle:
            results.append(measure(f"metrics on {engine}", [*CLI, "metrics", *on, "--quiet"], stdout=handle))
        score = [*CLI, "risk", "score", *on, "--model-dir", str(models), "--index-date", INDEX_DATE]
        results.append(measure(f"risk score on {engine}", [*score, "--quiet"]))
    same_metrics = without_time(folder / "metrics-duckdb.json") == without_time(folder / "metrics-spark.json")
    tables = differences(duck, parquet)
    same_tables = all(t["duckdb_rows"] == t["spark_rows"] > 0 and not t["one_side_only"] and not t["values_differ"]
                      for t in tables.values())  # fmt: skip
    linkage = linkage_differences(folder, folder / "loaded-on-spark") if args.people else {}
    same_tables = same_tables and not any(t["differ"] for t in linkage.values())
    print(f"  metrics JSON equal in every value: {same_metrics}")
    for table, counts in {**tables, **linkage}.items():
        print(f"  {table}: {counts}")
    print(f"  load average at the end {os.getloadavg()[0]:.1f}")
    report = {"results": results, "same_metrics": same_metrics, "tables": tables, "linkage": linkage}
    (folder / "results.json").write_text(json.dumps(report, indent=2))
    return 0 if same_metrics and same_tables else 4


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
