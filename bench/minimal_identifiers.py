"""The cost of minimal identifiers, and the time of a retention run, for the IG lead.

    python bench/minimal_identifiers.py --people 20000 --seed 7 [--out DIR] [--retention]

Generates an area (once), lands it twice through `joinedup load --register`: with the area's
register (full identifiers) and with a copy whose every agreement says `identifiers: minimal`
(names discarded, date of birth cut to its month, before linkage), and reports linkage precision
and recall against the area's truth for both (rows without a valid NHS number, and overall).
With --retention, builds the marts of the full landing and times `joinedup retention --apply`
ten years on (as of 2023-04-01). Each stage runs as its own process (time, peak memory). Take it
under `flock /work/wt/bench.lock` on a shared machine. Writes DIR/results.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import measure  # noqa: E402

CLI = [sys.executable, "-m", "joinedup.cli"]
AS_OF, RETENTION_AS_OF = "2016-06-01", "2023-04-01"
QUALITY = (
    "import json, sys; from joinedup.identity.evaluate import linkage_quality;"
    "q = linkage_quality(*sys.argv[1:4]); q.pop('errors');"
    "print(json.dumps(q, default=str))"
)


def minimal_register(area: Path, out: Path) -> Path:
    data = yaml.safe_load((area / "register.yaml").read_text())
    for agreement in data["agreements"]:
        agreement["identifiers"] = "minimal"
    path = out / "register.minimal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def land(area: Path, out: Path, mode: str, register: Path) -> dict:
    warehouse, vault = out / f"{mode}.duckdb", out / f"{mode}.vault.duckdb"
    for old in out.glob(f"{mode}.*"):
        old.unlink()
    load = measure(f"load ({mode} identifiers)", [*CLI, "load", str(area), "--warehouse",
                   str(warehouse), "--vault", str(vault), "--as-of", AS_OF, "--register",
                   str(register), "--quiet"])  # fmt: skip
    done = subprocess.run([sys.executable, "-c", QUALITY, str(warehouse), str(vault),
                           str(area / "truth")], capture_output=True, text=True, check=True)  # fmt: skip
    return {"load": load, "linkage": json.loads(done.stdout.splitlines()[-1]), "warehouse": str(warehouse),
            "vault": str(vault)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--area", type=Path, help="an area already generated (default: OUT/area)")
    parser.add_argument("--retention", action="store_true")
    args = parser.parse_args()
    out = args.out or Path("out") / "bench" / f"minimal-{args.people}"
    area = args.area or out / "area"
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"people": args.people, "seed": args.seed}
    if not (area / "register.yaml").exists():
        results["synth"] = measure("synth", [*CLI, "synth", "--out", str(area), "--people",
                                   str(args.people), "--seed", str(args.seed)])  # fmt: skip
    full = land(area, out, "full", area / "register.yaml")
    results["full"] = full
    results["minimal"] = land(area, out, "minimal", minimal_register(area, out))
    if args.retention:
        results["marts"] = measure("marts", [*CLI, "marts", "--warehouse", full["warehouse"]])
        with open(out / "retention.json", "w") as counts:
            results["retention"] = measure("retention --apply (ten years on)", [*CLI, "retention",
                "--register", str(area / "register.yaml"), "--warehouse", full["warehouse"],
                "--vault", full["vault"], "--as-of", RETENTION_AS_OF, "--apply", "--format",
                "json"], stdout=counts)  # fmt: skip
    for mode in ("full", "minimal"):
        q = results[mode]["linkage"]
        print(f"{mode:<8} without a valid NHS number: precision {q['precision']}, recall"
              f" {q['recall']} ({q['person_otherwise_known']} rows); overall: precision"
              f" {q['overall']['precision']}, recall {q['overall']['recall']}"
              f" ({q['overall']['rows']} rows)")  # fmt: skip
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
