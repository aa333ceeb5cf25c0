"""Issue 12's figures: `joinedup metrics --by practice` on a warehouse, and the evaluator on a
scheme planted in a generated area (the true effect, the estimate with its interval, the naive
before/after, and the evaluator's time).

    python bench/commissioning.py by-practice WAREHOUSE   # the command, then its cost per metric
    python bench/commissioning.py planted [PEOPLE]   # default 175000; about 2,000 enrolled
    python bench/commissioning.py evaluator WAREHOUSE   # the evaluator's time, 2,000 people

The planted area is kept in out/bench/planted-PEOPLE (delete it to generate again).
The planted area is generated with `synth --scheme --scheme-cohort 0.04` and evaluated on the
warehouse a perfect landing would produce (`synth/oracle.py`, written to a file), so that the
figure is the evaluator's and not the linkage's. Take timings under `flock /work/wt/bench.lock`
on a shared machine and note the load average.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import JOINEDUP, OUT, measure  # noqa: E402

START = "2015-04-01"  # the default scheme start of the default area (12 months before its end)
ORACLE = (
    "import sys; from pathlib import Path; from joinedup.synth.oracle import build_oracle_warehouse;"
    "con = build_oracle_warehouse(Path(sys.argv[1]));"
    "con.execute(f\"ATTACH '{sys.argv[2]}' AS w; COPY FROM DATABASE memory TO w; DETACH w\")"
)


def by_practice(warehouse: str) -> None:
    argv = [JOINEDUP, "metrics", "--warehouse", warehouse, "--by", "practice", "--format", "json"]
    print(f"  cpu {measure('metrics --by practice', argv)['cpu_seconds']} s", flush=True)
    profile = [sys.executable, "-c", PROFILE, warehouse]
    subprocess.run(profile, check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


# Each metric's queries timed in one process: the area's (what `--by` prints first) and the
# practices' (the practices' populations first, as the engine computes them once).
PROFILE = """
import sys, time
from joinedup.metrics import engine as E, periods as P
from joinedup.warehouse import store
with store.reading(sys.argv[1]) as con:
    con.execute("SET enable_progress_bar = false")
    periods = P.covering(*E.covered_months(con))
    print(f"  {'per metric (wall, cpu s)':<34} {'area':>13} {'practices':>13}")
    engines = {'area': E.Engine(con, periods), 'practice': E.Engine(con, periods, 'practice')}
    steps = [('population', lambda e: e.population())]
    steps += [(c.__name__, c) for c in dict.fromkeys(E.CALCULATIONS[m] for m in E.BREAKDOWN_METRICS)]
    for name, step in steps:
        cells = []
        for engine in engines.values():
            wall, cpu = time.monotonic(), time.process_time()
            step(engine)
            cells.append(f"{time.monotonic() - wall:6.2f} {time.process_time() - cpu:6.2f}")
        print(f"  {name:<34} {cells[0]:>13} {cells[1]:>13}", flush=True)
"""


BUSIEST = """
import sys
from joinedup.warehouse import store
with store.reading(sys.argv[1]) as con:
    rows = con.execute(
        "SELECT pseudo_id FROM acute_apc WHERE admission_date >= DATE '2014-04-01'"
        " AND admission_date < DATE '2015-04-01' GROUP BY pseudo_id"
        " ORDER BY COUNT(*) DESC, pseudo_id LIMIT 2000").fetchall()
print("pseudo_id"); print("\\n".join(p for (p,) in rows))
"""


def evaluator(warehouse: str) -> None:
    """The evaluator on a warehouse for the 2,000 people with the most admissions in the year
    before START (a case-management cohort's shape; no scheme, so the time is what counts)."""
    folder = OUT / "evaluator"
    folder.mkdir(parents=True, exist_ok=True)
    cohort = folder / "cohort.csv"
    with cohort.open("w") as out:
        subprocess.run([sys.executable, "-c", BUSIEST, warehouse], stdout=out, check=True)
    argv = [JOINEDUP, "evaluate", "--warehouse", warehouse, "--cohort", str(cohort)]
    with (folder / "evaluation.json").open("w") as handle:
        timed = measure("evaluate (2,000 people)", [*argv, "--start", START], stdout=handle)
    found = json.loads((folder / "evaluation.json").read_text())
    print(f"  cohort {found['cohort']}; cpu {timed['cpu_seconds']} s; risk {found['risk_score']}")


def planted(people: int) -> None:
    folder = OUT / f"planted-{people}"
    area, warehouse = folder / "area", folder / "oracle.duckdb"
    folder.mkdir(parents=True, exist_ok=True)
    synth = [JOINEDUP, "synth", "--out", str(area), "--people", str(people), "--quiet"]
    if not warehouse.exists():  # kept: timing the evaluator again need not generate again
        measure(
            "synth --scheme (twice: with and without)",
            [*synth, "--scheme", "--scheme-cohort", "0.04"],
        )
        measure("oracle warehouse", [sys.executable, "-c", ORACLE, str(area), str(warehouse)])
    cohort = folder / "cohort.csv"
    with (
        (area / "truth" / "scheme_enrolment.csv").open(newline="") as rows,
        cohort.open("w") as out,
    ):
        out.write("pseudo_id\n" + "".join(f"{r['person_id']}\n" for r in csv.DictReader(rows)))
    result = folder / "evaluation.json"
    with result.open("w") as handle:
        argv = [JOINEDUP, "evaluate", "--warehouse", str(warehouse), "--cohort", str(cohort)]
        timed = measure("evaluate", [*argv, "--start", START], stdout=handle)
    truth = json.loads((area / "truth" / "scheme.json").read_text())
    found = json.loads(result.read_text())
    print(
        f"  enrolled {truth['enrolled']} (published {found['cohort']}); evaluator cpu"
        f" {timed['cpu_seconds']} s"
    )
    for window, planted_effect in truth["windows"].items():
        e = found["windows"][window]["emergency_admissions"]
        print(
            f"  {window}: planted {planted_effect['effect_per_person']:+.3f} admissions a person;"
            f" estimate {e['did']['value']:+.3f} ({e['did']['low']:+.3f} to {e['did']['high']:+.3f});"
            f" naive {e['naive']['value']:+.3f} ({e['naive_percent']:+.0f}%)"
        )
        c = found["windows"][window]["cost"]
        print(
            f"  {window}: cost a person {c['did']['value']:+,.0f} GBP ({c['did']['low']:+,.0f} to"
            f" {c['did']['high']:+,.0f}); naive {c['naive']['value']:+,.0f}"
        )
    print(f"  risk score: {found['risk_score']}")
    print(f"  load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["by-practice"]:
        by_practice(sys.argv[2])
    elif sys.argv[1:2] == ["evaluator"]:
        evaluator(sys.argv[2])
    else:
        planted(int(sys.argv[2]) if len(sys.argv) > 2 else 175_000)
    subprocess.run(["uptime"], check=False)
