"""`joinedup trace-return --vault V --register R --org CODE --out FILE --audit A`: the NHS number
for a sender's records that arrived without one, from the vault (see trace_return.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from joinedup.identity.trace_return import trace_return


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", required=True, type=Path, help="the identity vault")
    parser.add_argument("--register", required=True, type=Path, help="governance register (YAML)")
    parser.add_argument("--org", required=True, help="the organisation's code (e.g. the council)")
    parser.add_argument("--out", required=True, type=Path, help="the CSV to write (owner-only)")
    parser.add_argument("--audit", required=True, type=Path, help="the audit log")


def run(args: argparse.Namespace) -> int:
    found = trace_return(args.vault, args.register, args.org, args.out, args.audit)
    print(f"{found} records of {args.org} with the NHS number linkage found")
    return 0
