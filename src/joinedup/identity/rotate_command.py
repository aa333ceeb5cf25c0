"""`joinedup rotate-key --vault V --warehouse W`: a new pseudonymisation key, every pseudo_id in
the warehouse re-keyed (see rotate.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from joinedup.identity import keys
from joinedup.identity.rotate import rotate_key


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", required=True, type=Path, help="the identity vault (DuckDB)")
    parser.add_argument("--warehouse", required=True, type=Path, help="the warehouse (DuckDB)")


def run(args: argparse.Namespace) -> int:
    changed = rotate_key(args.vault, args.warehouse)
    for table, rows in changed.items():
        print(f"{table}: {rows} rows re-keyed")
    print(f"new key in {keys.key_file_for(args.vault)}")
    return 0
