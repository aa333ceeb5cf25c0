"""`make bench`: time and peak memory of each pipeline stage on generated areas.

Each stage runs as its own process (the real CLI), so its peak resident memory is measured
exactly (wait4's ru_maxrss). Sizes: the default area (175,000 people) always; Kent (1,500,000)
when BENCH_SIZES says so, e.g. `make bench BENCH_SIZES="175000 1500000"`.
Results are printed as a table and written to out/bench/results.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("BENCH_OUT", ROOT / "out" / "bench"))
JOINEDUP = str(Path(sys.executable).with_name("joinedup"))


LINKAGE = ("import json, sys; from joinedup.identity.evaluate import linkage_quality;"
           "print(json.dumps(linkage_quality(*sys.argv[1:4]), default=str))")


def measure(name: str, argv: list[str], stdout=subprocess.DEVNULL) -> dict:
    """Run one stage; return its wall time and peak memory."""
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    stderr = process.stderr.read() if process.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    result = {"stage": name, "seconds": round(seconds, 1), "peak_mib": round(usage.ru_maxrss / 1024),
              "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1), "exit_code": code}
    if code not in (0, 4):  # 4: a measured bar was missed, which the table shows
        print(stderr[-2000:], file=sys.stderr)
    print(f"  {name:<34} {result['seconds']:>8.1f} s  {result['peak_mib']:>7,} MiB  exit {code}",
          flush=True)
    return result


def duckdb_bare_read(area: Path) -> dict:
    """DuckDB reading every feed file of the area, untyped: the floor a load cannot beat."""
    script = ("import duckdb,glob,sys; con=duckdb.connect();"
              "[con.execute(f\"select count(*) from read_csv('{f}', all_varchar=true)\").fetchone()"
              " for f in sorted(glob.glob(sys.argv[1] + '/*.csv'))]")
    return measure("duckdb bare read of the feeds", [sys.executable, "-c", script, str(area)])


def bench_size(people: int) -> list[dict]:
    folder = OUT / str(people)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    area, warehouse = folder / "area", folder / "warehouse.duckdb"
    print(f"{people:,} people", flush=True)
    results = [measure("synth", [JOINEDUP, "synth", "--out", str(area), "--people", str(people), "--quiet"])]
    results.append(duckdb_bare_read(area))
    results.append(measure("load (validate, link, pseudonymise)",
                           [JOINEDUP, "load", str(area), "--warehouse", str(warehouse)]))
    with (folder / "linkage.json").open("w") as handle:
        results.append(measure("linkage quality vs truth", [sys.executable, "-c", LINKAGE,
                                                            str(warehouse), str(folder / "vault.duckdb"),
                                                            str(area / "truth")], stdout=handle))
    results.append(measure("marts", [JOINEDUP, "marts", "--warehouse", str(warehouse), "--quiet"]))
    with (folder / "metrics.json").open("w") as handle:
        results.append(measure("metrics", [JOINEDUP, "metrics", "--warehouse", str(warehouse),
                                           "--format", "json"], stdout=handle))
    results.append(measure("report", [JOINEDUP, "report", "--warehouse", str(warehouse),
                                      "--out", str(folder / "report.html")]))
    risk = ["--warehouse", str(warehouse), "--model-dir", str(folder / "models")]
    results.append(measure("risk train (and temporal validation)", [JOINEDUP, "risk", "train", *risk]))
    results.append(measure("risk score", [JOINEDUP, "risk", "score", *risk, "--index-date", "2016-04-01"]))
    with (folder / "calibration.json").open("w") as handle:
        results.append(measure("calibrate", [JOINEDUP, "calibrate", str(area), "--format", "json"],
                               stdout=handle))
    for row in results:
        row["people"] = people
    print_quality(folder)
    return results


def print_quality(folder: Path) -> None:
    """The quality figures the stages measured: linkage, risk evaluation, calibration."""
    linkage = json.loads((folder / "linkage.json").read_text() or "{}")
    print(f"  linkage of rows without a valid NHS number: precision {linkage.get('precision')}, "
          f"recall {linkage.get('recall')} ({linkage.get('rows_without_valid_nhs_number')} rows)")
    overall = linkage.get("overall") or {}
    print(f"  linkage of all rows: precision {overall.get('precision')}, "
          f"recall {overall.get('recall')} ({overall.get('rows')} rows)")
    evaluation = folder / "models" / "evaluation.json"
    if evaluation.exists():
        for outcome, e in json.loads(evaluation.read_text())["outcomes"].items():
            d, c = e["discrimination"], e["calibration"]
            rule, model = e["versus_rule"]["rule"], e["versus_rule"]["model_same_size"]
            print(f"  risk {outcome}: AUROC {d['auroc']:.3f} ({d['ci_low']:.3f}-{d['ci_high']:.3f}), "
                  f"slope {c['slope']:.2f}; PPV at the rule's list size {model['ppv']:.3f} vs rule "
                  f"{rule['ppv']:.3f}; without social care AUROC "
                  f"{e['without_social_care']['discrimination']['auroc']:.3f}")
    calibration = json.loads((folder / "calibration.json").read_text() or "[]")
    print(f"  calibration: {sum(r['passed'] for r in calibration)} of {len(calibration)} figures pass")


def main() -> int:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "175000").split()]
    OUT.mkdir(parents=True, exist_ok=True)
    results = [row for people in sizes for row in bench_size(people)]
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"results: {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
