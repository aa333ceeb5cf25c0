"""`joinedup audit verify --audit A`: check the audit log's hash chain (governance/audit.py);
exit 4 at the first broken record."""

from __future__ import annotations

import argparse
from pathlib import Path

from joinedup.errors import CheckFailed
from joinedup.governance.audit import verify


def configure(parser: argparse.ArgumentParser) -> None:
    action = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = action.add_parser(
        "verify", help="check the hash chain; exit 4 at the first broken record"
    )
    check.add_argument("--audit", required=True, type=Path, help="the audit log file")


def run(args: argparse.Namespace) -> int:
    result = verify(args.audit)
    if result.broken_at is not None:
        raise CheckFailed(
            f"{args.audit}, line {result.broken_at}: chain broken ({result.reason});"
            f" {result.records} records before it are intact"
        )
    print(f"{result.records} records, chain intact")
    return 0
