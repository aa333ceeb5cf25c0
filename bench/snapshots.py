"""What keeping the warehouse as a Parquet folder in snapshots costs a load (issue 13): the area
landed by `joinedup load` into a DuckDB file and into a Parquet folder (the snapshot writer
`load --engine spark` commits with, here on DuckDB so that only the store differs), then a
second load of one file sent again (its first 1,000 A&E attendances, other costs) into each;
each stage's wall time and peak memory (bench/spark.py's `measure`), the stores' sizes, and the
two warehouses and vaults compared table for table (bench/spark.py's `linkage_differences`).

    python bench/snapshots.py /work/areas/175000/area    # the area is only read

Writes under OUT/snapshots-<people>/ (removed first). Take timings under
`flock /work/wt/bench.lock` on a shared machine and note the load average. Exit 4 if the two
warehouses differ.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT  # noqa: E402
from spark import AS_OF, CLI, linkage_differences, measure  # noqa: E402

from joinedup.engine.parquet import current  # noqa: E402

RESENT = 1000
QUOTE = '"'


def resend(area: Path, out: Path) -> None:
    out.mkdir()
    with (area / "acute_ae.csv").open() as sent, (out / "acute_ae.csv").open("w") as again:
        for number, line in enumerate(sent):
            if number > RESENT:
                break
            head, _, cost = line.rstrip("\n").rpartition(",")
            if number == 0 or not cost:  # the header, or no cost to change
                again.write(line)
                continue
            again.write(f'{head},"{float(cost.strip(QUOTE)) + 9000:.2f}"\n')


def size_mib(path: Path) -> float:
    found = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return round(int(found.stdout.split()[0]) / 1024, 1)


def main(argv: list[str]) -> int:
    area = Path(argv[0])
    folder = OUT / f"snapshots-{area.parent.name}"
    shutil.rmtree(folder, ignore_errors=True)
    file_side, parquet_side = folder / "file", folder / "parquet"
    (parquet_side / "landed").mkdir(parents=True)  # an existing folder: a Parquet warehouse
    file_side.mkdir()
    resend(area, folder / "second")
    register = ["--register", str(area / "register.yaml")] if (area / "register.yaml").exists() else []
    print(f"{area} (load average {os.getloadavg()[0]:.1f})", flush=True)
    results = []
    for name, where in (("file", file_side / "landed.duckdb"), ("parquet", parquet_side / "landed")):
        stores = ["--warehouse", str(where), "--vault", str(where.parent / "v.duckdb"), "--as-of", AS_OF, "--quiet"]
        if name == "parquet":  # the same keys: the same pseudonyms and row keys
            for suffix in (".key", ".rowkey"):
                shutil.copy(file_side / f"v.duckdb{suffix}", parquet_side / f"v.duckdb{suffix}")
        results.append(measure(f"load into a {name}", [*CLI, "load", str(area), *stores, *register]))
        results.append(measure(f"second load into a {name}", [*CLI, "load", str(folder / "second"), *stores, *register]))
    sizes = {"file": size_mib(file_side / "landed.duckdb"), "snapshot": size_mib(current(parquet_side / "landed")),
             "parquet folder (two snapshots)": size_mib(parquet_side / "landed")}  # fmt: skip
    differ = linkage_differences(file_side, parquet_side)
    different = {k: v for k, v in differ.items() if v["differ"]}
    print(f"  sizes MiB: {sizes}; tables differing: {different or 'none'}")
    print(f"  load average at the end {os.getloadavg()[0]:.1f}")
    (folder / "results.json").write_text(json.dumps({"stages": results, "sizes_mib": sizes, "differences": differ}, indent=1))
    return 4 if different else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
