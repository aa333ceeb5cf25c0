"""`joinedup review --vault V --register R --user ID --audit A [--warehouse W] [--accept ID |
--reject ID]`: the held pairs, identities side by side, and the reviewer's decision (see
review.py). Review is off unless an agreement of the register switches it on for its feed
(GOVERNANCE.md), and then only for an active `linkage_officer` of the register: otherwise the run
is refused (exit 4) before the vault is opened. Every run, refused or not, is audited (counts
and review ids only). It prints identities only as the answer to the reviewer."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from joinedup.errors import CheckFailed, UserError
from joinedup.governance.audit import AuditLog
from joinedup.governance.register import load_register
from joinedup.identity.review import SHOWN, decide, reviewable
from joinedup.identity.vault import Vault

ROLE = "linkage_officer"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", required=True, type=Path, help="the identity vault (DuckDB)")
    parser.add_argument("--register", required=True, type=Path, help="governance register (YAML)")
    parser.add_argument("--user", required=True, help=f"the reviewer: a {ROLE} of the register")
    parser.add_argument("--audit", required=True, type=Path, help="the audit log")
    parser.add_argument(
        "--warehouse", type=Path, help="also move an accepted record's warehouse rows"
    )
    decision = parser.add_mutually_exclusive_group()
    decision.add_argument("--accept", type=int, metavar="ID", help="the record is the candidate")
    decision.add_argument("--reject", type=int, metavar="ID", help="the record is someone else")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    register, day = load_register(args.register), dt.date.today()
    chosen = "accept" if args.accept is not None else "reject" if args.reject is not None else None
    review_id = args.accept if args.accept is not None else args.reject
    user = register.active_user(args.user, day)
    log = AuditLog(args.audit, register.sha256)

    def audit(decision: str, rule: str, count: int | None = None) -> None:
        log.append(user=args.user, organisation=user.organisation if user else None,
                   role=user.role if user else None, purpose="linkage_review", tier="review",
                   action=f"cli review {chosen or 'list'}", resource=f"review {review_id}"
                   if chosen else "review queue", count=count, decision=decision, rule=rule)  # fmt: skip

    try:
        if user is None or user.role != ROLE:
            audit("deny", "review:linkage_officer_only")
            raise CheckFailed(f"--user {args.user}: identity review is only for an active {ROLE}"
                              " of the register")  # fmt: skip
        feeds = register.review_feeds(day)
        if not feeds:
            audit("deny", "review:off")
            raise CheckFailed(f"{args.register}: identity review is off (no agreement sets"
                              " identity_review), so held pairs stay separate people")  # fmt: skip
        with Vault.open(args.vault, must_exist=True, key_file=register.vault_key_file) as vault:
            if chosen is None:
                pairs = reviewable(vault, feeds)
                audit("allow", "review:agreement", len(pairs))
                print(json.dumps(pairs, indent=2) if args.format == "json" else as_text(pairs))
                return 0
            try:
                moved = decide(vault, feeds, review_id, chosen, args.warehouse)
            except UserError:
                audit("deny", "review:not_a_held_pair_under_review")
                raise
        audit("allow", "review:agreement", moved)
    finally:
        log.close()
    if chosen == "accept":
        print(f"review {review_id}: accepted; warehouse rows moved: {moved}")
        if args.warehouse is None:
            print("warehouse not updated: pass --warehouse to move its rows", file=sys.stderr)
    else:
        print(f"review {review_id}: rejected; the record stays a person of its own")
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
