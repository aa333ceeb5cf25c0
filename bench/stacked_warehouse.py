"""A county-sized warehouse for timing `risk score` without a county-sized load: a warehouse's
risk inputs (the tables the features and the opt-outs read) copied `--times` over, each copy's
people renamed (pseudo_id || '-' || copy); a fractional last copy keeps the people whose
pseudo_id sorts in its first share (hex digits: 0.5 keeps those below '8').

    python bench/stacked_warehouse.py SOURCE.duckdb OUT.duckdb [--times 8.5]

8.5 times the 175,000-person area gives 1,493,116 scored people in a 3.3 GB file (the inputs
only: no marts). Then `python bench/risk_score.py --warehouse OUT.duckdb --model-dir M`.
"""

from __future__ import annotations

import argparse
import math
import time

import duckdb

TABLES = (
    "gp_register", "deaths", "person", "gp_conditions", "gp_medications", "acute_ae",
    "acute_apc", "gp_appointments", "community_contacts", "mental_health_contacts",
    "urgent_care_contacts", "delayed_transfers", "eol_register", "social_care_events",
    "objections",
)  # fmt: skip
HEX = "0123456789abcdef"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--times", type=float, default=8.5)
    args = parser.parse_args()
    whole = math.floor(args.times)
    below = HEX[round((args.times - whole) * 16)] if args.times > whole else "0"
    con = duckdb.connect(args.out, config={"memory_limit": "3GB"})
    con.execute(f"ATTACH '{args.source}' AS src (READ_ONLY)")
    con.execute("CREATE TABLE practices AS SELECT * FROM src.practices")
    for table in TABLES:
        started = time.monotonic()
        con.execute(
            f"CREATE TABLE {table} AS SELECT * REPLACE (pseudo_id || '-' || k AS pseudo_id)"
            f" FROM src.{table}, range({whole + 1}) AS copies(k)"
            f" WHERE k < {whole} OR pseudo_id < '{below}' ORDER BY k, pseudo_id"
        )
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        print(f"{table}: {rows:,} rows ({time.monotonic() - started:.0f} s)", flush=True)
    con.execute("CHECKPOINT")
    con.close()


if __name__ == "__main__":
    main()
