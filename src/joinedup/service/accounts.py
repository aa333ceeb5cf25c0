"""`joinedup accounts --service S set-password USER --password-stdin | disable USER | list`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from joinedup.errors import BadInput
from joinedup.governance.audit import AuditLog
from joinedup.governance.register import load_register
from joinedup.service.store import ServiceStore


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--service", required=True, type=Path, help="the service's store S (SQLite)"
    )
    parser.add_argument(
        "--audit", type=Path, help="audit log: record each change (with --register)"
    )
    parser.add_argument(
        "--register", type=Path, help="governance register (its hash goes in the record)"
    )
    action = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    setter = action.add_parser(
        "set-password", help="set (or reset) a user's password and enable the account"
    )
    setter.add_argument("user")
    setter.add_argument("--password-stdin", action="store_true", required=True,
                        help="read the password from the first line of standard input")  # fmt: skip
    action.add_parser("disable", help="disable an account and end its sessions").add_argument(
        "user"
    )
    action.add_parser("list", help="accounts and their state (never a hash)")


def _audit(args: argparse.Namespace, action: str) -> None:
    """An administrative change, in the audit log when one is given (GOVERNANCE.md "Audit")."""
    if args.audit is None:
        return
    if args.register is None:
        raise BadInput("--audit needs --register (every audit record carries the register's hash)")
    log = AuditLog(args.audit, load_register(args.register).sha256)
    try:
        log.append(tier="admin", action=f"accounts {action}", resource=f"account {args.user}",
                   decision="allow", rule="command_line")  # fmt: skip
    finally:
        log.close()


def run(args: argparse.Namespace) -> int:
    if args.audit is not None and args.register is None:
        raise BadInput("--audit needs --register (every audit record carries the register's hash)")
    store = ServiceStore(args.service)
    try:
        if args.action == "set-password":
            password = sys.stdin.readline().rstrip("\r\n")
            store.set_password(args.user, password)
            _audit(args, "set-password")
            print(f"password set for {args.user}")
        elif args.action == "disable":
            if not store.disable(args.user):
                raise BadInput(f"{args.service}: no account {args.user}")
            _audit(args, "disable")
            print(f"{args.user} disabled")
        else:
            for account in store.accounts():
                state = "disabled" if account.disabled else "locked" if account.locked else "active"
                print(f"{account.user_id}\t{state}\tchanged {account.changed}")
    finally:
        store.close()
    return 0
