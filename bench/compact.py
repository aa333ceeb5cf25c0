"""The compact warehouse against a reference built by an earlier code: sizes, the same answers.

    python bench/compact.py --reference /work/areas/175000 --out /tmp/c175

REFERENCE holds `area/` (with `register.yaml`), `floor.duckdb`, `warehouse.duckdb` (loaded with
`--register area/register.yaml --as-of 2016-05-01`, marts built), `vault.duckdb` and its key
files, and `metrics.json` (`joinedup metrics --format json` of that warehouse), as the shared
measurement areas do. With the reference's key files (copied, never written there), this code
loads the same area into OUT (wall, CPU and peak memory of the load; the file's size after the
load and after the marts, beside the floor's, and where its bytes go), then checks that the
metrics JSON is the reference's (but its time) and that the lineage, each landed row's
pseudo_id, is the reference's (the reference's stores are copied to OUT/reference to read them;
a reference made before row ids is read as its code read it, `old_lineage`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from warehouse_size import segment_sizes

JOINEDUP = [sys.executable, "-m", "joinedup.cli"]
MIB = 1 << 20


def measured(argv: list[str], log: Path) -> dict:
    started = time.monotonic()
    with log.open("w") as stderr:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{argv[3:5]}: failed, see {log}")
    return {
        "seconds": round(time.monotonic() - started, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mib": round(usage.ru_maxrss / 1024),
    }


def largest(path: Path, top: int = 8) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        sizes = segment_sizes(con)
    return [f"{t}.{c} {s / MIB:.1f}" for (t, c), s in sorted(sizes.items(), key=lambda x: -x[1])][
        :top
    ]


def metrics_json(warehouse: Path) -> dict:
    out = subprocess.run(
        [*JOINEDUP, "metrics", "--warehouse", str(warehouse), "--format", "json", "--quiet"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return without_time(json.loads(out))


def without_time(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k != "generated_at"}


def lineage(folder: Path, out: Path) -> bytes:
    subprocess.run([*JOINEDUP, "lineage", "--vault", str(folder / "vault.duckdb"), "--warehouse",
                    str(folder / "warehouse.duckdb"), "--out", str(out)], check=True,
                   capture_output=True)  # fmt: skip
    return out.read_bytes()


def old_lineage(folder: Path, out: Path) -> bytes:
    """`joinedup lineage` of a warehouse made before row ids (the shared areas' reference), the
    way that code read it: the vault's row keys joined to the warehouse's (hex or compact)."""
    from joinedup.keyed_hash import compact_sql
    from joinedup.landing import files
    from joinedup.landing.lineage import write_csv

    with duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"ATTACH '{folder / 'vault.duckdb'}' AS vault (READ_ONLY)")
        types = dict(con.execute("SELECT table_name, data_type FROM duckdb_columns()"
                                 " WHERE column_name = '_row_key'").fetchall())  # fmt: skip
        key = {"VARCHAR": compact_sql("w._row_key"), "BIGINT": "w._row_key"}
        selects = [
            f"SELECT l.feed, l.file, l.line, w.pseudo_id FROM {f.name} w JOIN vault.row_lineage l"
            f" ON l.feed = '{f.name}' AND {compact_sql('l.row_key')} = {key[types[f.name]]}"
            for f in files.landing_order()
            if f.is_person_level and f.name in types
        ]
        rows = con.sql(" UNION ALL ".join(selects) + " ORDER BY feed, file, line").to_arrow_table()
    write_csv(out, rows)
    return out.read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    ref, out = args.reference, args.out
    shutil.rmtree(out, ignore_errors=True)
    (out / "reference").mkdir(parents=True)
    for name in ("vault.duckdb.key", "vault.duckdb.rowkey"):
        shutil.copy2(ref / name, out / name)
    warehouse = out / "warehouse.duckdb"
    results = {"load_average_before": os.getloadavg()}
    results["load"] = measured([*JOINEDUP, "load", str(ref / "area"), "--warehouse",
                                str(warehouse), "--vault", str(out / "vault.duckdb"),
                                "--register", str(ref / "area" / "register.yaml"),
                                "--as-of", "2016-05-01"], out / "load.log")  # fmt: skip
    results["load_average_after"] = os.getloadavg()
    results["floor_mib"] = round((ref / "floor.duckdb").stat().st_size / MIB, 1)
    results["loaded_mib"] = round(warehouse.stat().st_size / MIB, 1)
    results["loaded_largest"] = largest(warehouse)
    subprocess.run([*JOINEDUP, "marts", "--warehouse", str(warehouse), "--quiet"], check=True)
    results["with_marts_mib"] = round(warehouse.stat().st_size / MIB, 1)
    results["reference_with_marts_and_scores_mib"] = round(
        (ref / "warehouse.duckdb").stat().st_size / MIB, 1
    )
    results["with_marts_largest"] = largest(warehouse)
    text = (ref / "metrics.json").read_text()  # the shared areas' file has a log line first
    reference_metrics = without_time(json.loads(text[text.index("{") :]))
    results["metrics_json_identical"] = metrics_json(warehouse) == reference_metrics
    for name in ("warehouse.duckdb", "vault.duckdb", "vault.duckdb.key", "vault.duckdb.rowkey"):
        shutil.copy2(ref / name, out / "reference" / name)
    results["lineage_identical"] = lineage(out, out / "lineage.csv") == old_lineage(
        out / "reference", out / "reference" / "lineage.csv"
    )
    (out / "compact.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
