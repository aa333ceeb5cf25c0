"""`joinedup lineage --vault V --warehouse W --out FILE.csv`: every landed person-level row's
file, line and pseudo_id, written owner-only (see lineage.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from joinedup.identity.vault import Vault
from joinedup.landing.lineage import landed_lineage, write_csv
from joinedup.warehouse import store


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", required=True, type=Path, help="the identity vault (DuckDB)")
    parser.add_argument("--warehouse", required=True, type=Path, help="the warehouse (DuckDB)")
    parser.add_argument("--out", required=True, type=Path, help="CSV file to write (owner-only)")


def run(args: argparse.Namespace) -> int:
    with (
        Vault.open(args.vault, must_exist=True) as vault,
        store.reading(args.warehouse, needed=("load_files",)) as con,
    ):
        rows = landed_lineage(con, vault, args.warehouse)
    write_csv(args.out, rows)
    print(f"{rows.num_rows} rows' lineage written to {args.out}")
    return 0
