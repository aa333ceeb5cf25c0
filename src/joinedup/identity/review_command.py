"""`joinedup review --vault V [--warehouse W] [--accept ID | --reject ID]`: the held pairs,
identities side by side, and the reviewer's decision (see review.py). It prints identities only
as the answer to the reviewer."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from joinedup.identity.review import SHOWN, accept, held_pairs, reject
from joinedup.identity.vault import Vault


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", required=True, type=Path, help="the identity vault (DuckDB)")
    parser.add_argument(
        "--warehouse", type=Path, help="also move an accepted record's warehouse rows"
    )
    decision = parser.add_mutually_exclusive_group()
    decision.add_argument("--accept", type=int, metavar="ID", help="the record is the candidate")
    decision.add_argument("--reject", type=int, metavar="ID", help="the record is someone else")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    with Vault.open(args.vault, must_exist=True) as vault:
        if args.accept is not None:
            moved = accept(vault, args.accept, args.warehouse)
            print(f"review {args.accept}: accepted; warehouse rows moved: {moved}")
            if args.warehouse is None:
                print("warehouse not updated: pass --warehouse to move its rows", file=sys.stderr)
        elif args.reject is not None:
            reject(vault, args.reject)
            print(f"review {args.reject}: rejected; the record stays a person of its own")
        else:
            pairs = held_pairs(vault)
            print(json.dumps(pairs, indent=2) if args.format == "json" else as_text(pairs))
    return 0


def as_text(pairs: list[dict]) -> str:
    if not pairs:
        return "no pairs held for review"
    blocks = []
    for pair in pairs:
        lines = [
            f"review {pair['review_id']}: match weight {pair['match_weight']:.2f} "
            f"(probability {pair['match_probability']:.4f}); "
            f"candidate person {pair['candidate']['person_key']}",
            f"  {'':14}{'record':24}candidate",
        ]
        for name in SHOWN:
            left, right = pair["record"][name] or "-", pair["candidate"][name] or "-"
            lines.append(f"  {name:14}{left:24}{right}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
