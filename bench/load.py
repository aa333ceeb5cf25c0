"""`make bench` (the load): `joinedup load` beside the floor, on one generated area.

The floor is DuckDB landing the same CSVs into a database file as text
(`CREATE TABLE AS SELECT * FROM read_csv(..., all_varchar = true)`, one table per file): no
validation, linkage or pseudonymisation, so a load cannot beat it. Each runs as its own process
from a fresh start; wall time, CPU time and peak resident memory (wait4's ru_maxrss: the load is
one process, DuckDB's threads included), each as a ratio to the floor, and the file sizes (the
warehouse beside the floor's database; the vault apart). The load average is printed with the
figures, since a busy machine stretches every wall time.

    python bench/load.py [--people 175000] [--seed 1] [--dir out/bench/175000]

The area is generated in DIR/area unless it is there already (bench/run.py makes the same one);
the stores are written to DIR/load/, so that run.py's warehouse is left alone. Results:
DIR/load/load.json; the load's progress, with each stage's time, DIR/load/load.log.
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

ROOT = Path(__file__).resolve().parents[1]
JOINEDUP = [sys.executable, "-m", "joinedup.cli"]
FLOOR = """
import glob, sys
from pathlib import Path
import duckdb
con = duckdb.connect(sys.argv[2])
for path in sorted(glob.glob(sys.argv[1] + "/*.csv")):
    con.execute(f"CREATE TABLE {Path(path).stem} AS SELECT * FROM read_csv('{path}', all_varchar = true)")
con.execute("CHECKPOINT")
con.close()
"""


def measure(argv: list[str], log: Path) -> dict:
    """Run one process to its end (its stderr, progress with each stage's time, in `log`):
    wall and CPU seconds, peak resident MiB."""
    started = time.monotonic()
    with log.open("w") as stderr:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code:
        print(log.read_text()[-2000:], file=sys.stderr)
        raise SystemExit(f"{argv[2:4]}: exit {code}")
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mib": round(usage.ru_maxrss / 1024),
    }


def fresh(*paths: Path) -> None:
    for path in paths:
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()


def bench(folder: Path, people: int, seed: int) -> dict:
    area = folder / "area"
    if not (area / "gp_register.csv").exists():
        shutil.rmtree(area, ignore_errors=True)
        subprocess.run([*JOINEDUP, "synth", "--out", str(area), "--people", str(people),
                        "--seed", str(seed), "--quiet"], check=True)  # fmt: skip
    stores = folder / "load"
    stores.mkdir(exist_ok=True)
    floor_db, warehouse, vault = (
        stores / n for n in ("floor.duckdb", "warehouse.duckdb", "vault.duckdb")
    )
    fresh(floor_db, warehouse, vault)
    load_average = os.getloadavg()
    results = {"people": people, "area": str(area), "load_average_before": load_average}
    results["floor"] = measure(
        [sys.executable, "-c", FLOOR, str(area), str(floor_db)], stores / "floor.log"
    )
    results["floor"]["file_mib"] = round(floor_db.stat().st_size / 2**20, 1)
    results["load"] = measure([*JOINEDUP, "load", str(area), "--warehouse", str(warehouse),
                               "--vault", str(vault)], stores / "load.log")  # fmt: skip
    results["load"]["file_mib"] = round(warehouse.stat().st_size / 2**20, 1)
    results["load"]["vault_mib"] = round(vault.stat().st_size / 2**20, 1)
    results["load_average_after"] = os.getloadavg()
    floor = results["floor"]
    for name in ("load",):
        row = results[name]
        row["seconds_ratio"] = round(row["seconds"] / floor["seconds"], 2)
        row["cpu_ratio"] = round(row["cpu_seconds"] / floor["cpu_seconds"], 2)
        row["size_ratio"] = round(row["file_mib"] / floor["file_mib"], 2)
    return results


def show(results: dict) -> None:
    print(f"{results['people']:,} people ({results['area']}); load average "
          f"{' '.join(f'{x:.2f}' for x in results['load_average_before'])} before, "
          f"{' '.join(f'{x:.2f}' for x in results['load_average_after'])} after")  # fmt: skip
    print(f"  {'':<16} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'file MiB':>9}  ratios to floor")
    for name in ("floor", "load"):
        r = results[name]
        ratios = (f"wall {r['seconds_ratio']}x, cpu {r['cpu_ratio']}x, size {r['size_ratio']}x"
                  f" (vault {r['vault_mib']} MiB)") if name != "floor" else ""  # fmt: skip
        print(
            f"  {name:<16} {r['seconds']:>8.1f} {r['cpu_seconds']:>8.1f} {r['peak_mib']:>9,}"
            f" {r['file_mib']:>9.1f}  {ratios}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=175_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, help="default: out/bench/PEOPLE")
    args = parser.parse_args()
    folder = args.dir or ROOT / "out" / "bench" / str(args.people)
    folder.mkdir(parents=True, exist_ok=True)
    results = bench(folder, args.people, args.seed)
    (folder / "load" / "load.json").write_text(json.dumps(results, indent=2))
    show(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
