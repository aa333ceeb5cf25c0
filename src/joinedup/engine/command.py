"""`joinedup parquet STORE --out DIR`: write a warehouse or a vault (a DuckDB file) as a Parquet
folder, one folder per table, for `--engine spark` (docs/spark.md). Give the vault its own
folder, apart from the warehouse: it holds the identifiers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from joinedup.engine.parquet import export
from joinedup.warehouse import store


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", type=Path, help="a warehouse or vault DuckDB file")
    parser.add_argument("--out", required=True, type=Path, help="a new folder for the Parquet store")


def run(args: argparse.Namespace) -> int:
    with store.reading(args.store, what="store") as con:
        tables = export(con, args.out)
    print(f"{args.out}: {len(tables)} tables written as Parquet", file=sys.stderr)
    return 0
