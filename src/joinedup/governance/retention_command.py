"""`joinedup retention --register R --warehouse W --vault V [--as-of DATE] [--apply]`: list (by
default) or destroy what the register's retention periods have expired (see retention.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from joinedup.arguments import iso_date
from joinedup.governance import retention


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--register", type=Path, required=True, help="the governance register")
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--vault", type=Path, required=True)
    parser.add_argument("--as-of", type=iso_date, default=dt.date.today(), help="default today")
    parser.add_argument(
        "--apply", action="store_true", help="destroy (default: list what would be destroyed)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    policy = retention.Policy.from_register(args.register)
    do = retention.apply if args.apply else retention.plan
    result = do(policy, args.warehouse, args.vault, args.as_of)
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return 0
    verb = "destroyed" if args.apply else "would destroy"
    if result.get("resumed"):
        print(f"finished the interrupted run of {result['as_of']}; run again for a new pass")
    print(f"retention as of {result['as_of']}, policy {result['policy_version'][:12]}: {verb}")
    print(f"{'feed':<24} {'kept from':<10} {'rows':>9} {'people':>7}")
    for feed, counts in result["feeds"].items():
        print(f"{feed:<24} {counts['cutoff']:<10} {counts['rows']:>9} {counts['people']:>7}")
    print(f"people with no row left: {result['people_removed']}")
    print(f"quarantined raw rows: {result['quarantine_rows_destroyed']}")
    if args.apply:
        print(
            f"identities: {result['identities_destroyed']}; risk scores: {result['risk_scores_removed']}"
        )
        print(f"record: {retention.record_path(args.warehouse)} ({result['seconds']}s)")
    return 0
